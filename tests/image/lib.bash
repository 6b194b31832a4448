# Helpers for the image suites: everything of tests/shim/lib.bash (a private --root, --state,
# cgroup parent and name per test, a teardown that removes what a test left), plus archives
# made by the tests themselves: umoci and skopeo for OCI layouts and docker archives, tar for
# flat exports, mktar.py and mkimage.py for what no tool makes (hostile entries, opaque dirs).

_image_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../shim/lib.bash
source "$_image_lib_dir/../shim/lib.bash"
MKTAR=$_image_lib_dir/mktar.py
MKIMAGE=$_image_lib_dir/mkimage.py

image_setup() {
    shim_setup
    command -v python3 >/dev/null || skip "python3 missing"
    LOOP=
}

image_teardown() {
    btrfs_teardown
    shim_teardown
}

setup() { image_setup; }
teardown() { image_teardown; }

# bottle_image ARGS...: `bottle image ARGS` with the test's root, output in $out/$err/$status.
bottle_image() {
    capture run_timeout 60 "$BOTTLE" image "$@"
}

need_umoci() { command -v umoci >/dev/null || skip "umoci missing (apt-get install umoci)"; }
need_skopeo() { command -v skopeo >/dev/null || skip "skopeo missing (apt-get install skopeo)"; }

# oci_busybox DIR TAG [umoci config options...]: an OCI layout at DIR whose image TAG is the
# busybox rootfs (one layer), made with umoci.
oci_busybox() {
    local dir=$1 tag=$2
    shift 2
    need_umoci
    umoci init --layout "$dir"
    umoci new --image "$dir:$tag"
    umoci unpack --image "$dir:$tag" "$BT_TMP/unpack" >/dev/null
    cp -a "$BUSYBOX_ROOTFS/." "$BT_TMP/unpack/rootfs/"
    umoci repack --image "$dir:$tag" "$BT_TMP/unpack" >/dev/null
    if (($#)); then
        umoci config --image "$dir:$tag" "$@"
    fi
    rm -rf "$BT_TMP/unpack"
}

# oci_add_layer DIR TAG SCRIPT: a new layer on top of DIR:TAG, made by running the shell SCRIPT
# in the unpacked rootfs (deletions become whiteouts: umoci repack).
oci_add_layer() {
    local dir=$1 tag=$2 script=$3
    umoci unpack --image "$dir:$tag" "$BT_TMP/unpack" >/dev/null
    (cd "$BT_TMP/unpack/rootfs" && sh -c "$script")
    umoci repack --image "$dir:$tag" "$BT_TMP/unpack" >/dev/null
    rm -rf "$BT_TMP/unpack"
}

# store_snapshot: what the store holds (records, layers, temp files), to compare before and
# after a failed import.
store_snapshot() {
    (cd "$BOTTLE_ROOT" 2>/dev/null && find images layers tmp btrfs -mindepth 1 -maxdepth 2 \
        2>/dev/null | sort)
}

# assert_store_unchanged BEFORE: the store is as BEFORE (a failed import left nothing).
assert_store_unchanged() {
    local now
    now=$(store_snapshot)
    [[ $now == "$1" ]] && return 0
    printf 'the store changed:\nbefore:\n%s\nafter:\n%s\n' "$1" "$now" >&2
    return 1
}

# A btrfs file system on a loop device for --root (removed in teardown).
btrfs_setup() {
    command -v mkfs.btrfs >/dev/null || skip "mkfs.btrfs missing (apt-get install btrfs-progs)"
    truncate -s 256M "$BT_TMP/btrfs.img"
    mkfs.btrfs -q "$BT_TMP/btrfs.img" >/dev/null
    LOOP=$(losetup --find --show "$BT_TMP/btrfs.img")
    mkdir -p "$BT_TMP/btrfs"
    mount "$LOOP" "$BT_TMP/btrfs"
}

btrfs_teardown() {
    if [[ -n ${LOOP:-} ]]; then
        # Subvolumes go with the file system; the container's mounts are gone with its shim.
        umount -l "$BT_TMP/btrfs" 2>/dev/null || true
        losetup -d "$LOOP" 2>/dev/null || true
        LOOP=
    fi
}
