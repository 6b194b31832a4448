#!/usr/bin/env bats
# Storage drivers end to end through bottle-shim (--storage overlay and btrfs: the image is never
# written and the container's own data goes with it), joining an existing network namespace by
# path, oom_score_adj, and the clean-up of a crashed shim's leftovers on the next start.

load lib

# A btrfs file system on a loop device, made by the test and removed in teardown.
btrfs_setup() {
    command -v mkfs.btrfs >/dev/null || skip "mkfs.btrfs missing (apt-get install btrfs-progs)"
    truncate -s 256M "$BT_TMP/btrfs.img"
    mkfs.btrfs -q "$BT_TMP/btrfs.img" >/dev/null
    LOOP=$(losetup --find --show "$BT_TMP/btrfs.img")
    mkdir -p "$BT_TMP/btrfs"
    mount "$LOOP" "$BT_TMP/btrfs"
    btrfs subvolume create "$BT_TMP/btrfs/image" >/dev/null
    cp -a "$BUSYBOX_ROOTFS/." "$BT_TMP/btrfs/image/"
}

btrfs_teardown() {
    if [[ -n ${LOOP:-} ]]; then
        umount -l "$BT_TMP/btrfs" 2>/dev/null || true
        losetup -d "$LOOP" 2>/dev/null || true
        LOOP=
    fi
}

teardown() {
    btrfs_teardown
    if [[ -n ${NETNS:-} ]]; then
        ip netns delete "$NETNS" 2>/dev/null || true
    fi
    shim_teardown
}

@test "--storage overlay: deletions and writes stay in the container's upper dir, then go" {
    bottle_run --storage overlay -- sh -c 'rm /bin/ls && echo new >/etc/new && ls /bin/ls 2>&1;
        cat /etc/new'
    assert_eq "$status" 0 "$err"
    assert_match "$out" "No such file"
    assert_match "$out" "new"
    [[ -e $ROOTFS/bin/ls && ! -e $ROOTFS/etc/new ]]
    [[ ! -e $BOTTLE_ROOT/containers/$NAME ]]
    btrfs_teardown
    assert_clean
}

@test "--storage overlay, detached: the upper dir survives until bottle rm" {
    capture run_timeout 30 "$BOTTLE" run -d --name "$NAME" --storage overlay --rootfs "$ROOTFS" \
        -- sh -c 'echo kept >/kept'
    assert_eq "$status" 0 "$err"
    wait_for 10 test -e "$BOTTLE_STATE/containers/$NAME/exit"
    [[ -e $BOTTLE_ROOT/containers/$NAME/upper/kept && ! -e $ROOTFS/kept ]]
    capture run_timeout 30 "$BOTTLE" rm "$NAME"
    assert_eq "$status" 0 "$err"
    [[ ! -e $BOTTLE_ROOT/containers/$NAME ]]
    btrfs_teardown
    assert_clean
}

@test "--storage btrfs: the container writes to a snapshot, the image subvolume is untouched" {
    btrfs_setup
    # Snapshots live on the image's file system: --root is on the btrfs too, as docker's
    # btrfs driver wants /var/lib/docker on btrfs.
    export BOTTLE_ROOT=$BT_TMP/btrfs/root
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --storage btrfs \
        --rootfs "$BT_TMP/btrfs/image" -- sh -c 'rm /bin/ls; echo snap >/snap; cat /snap'
    assert_eq "$status" 0 "$err"
    assert_eq "$out" "snap"
    [[ -e $BT_TMP/btrfs/image/bin/ls && ! -e $BT_TMP/btrfs/image/snap ]]
    # The snapshot is deleted with the container.
    [[ ! -e $BOTTLE_ROOT/containers/$NAME/rootfs ]]
    [[ -z $(btrfs subvolume list "$BT_TMP/btrfs" | grep -v ' path image$') ]]
    btrfs_teardown # our own mount, not the container's
    assert_clean
}

@test "--storage btrfs with --root on another file system: a clear one-line error, nothing left" {
    btrfs_setup
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --storage btrfs \
        --rootfs "$BT_TMP/btrfs/image" -- true
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" "same btrfs"
    [[ ! -e $BOTTLE_ROOT/containers/$NAME ]]
    btrfs_teardown
    assert_clean
}

@test "a network namespace given by path is joined, not created" {
    NETNS=bt-join-$$
    ip netns add "$NETNS"
    ip netns exec "$NETNS" ip link add bt-join0 type veth peer name bt-join1
    make_bundle "$BT_TMP/bundle" "
for ns in c['linux']['namespaces']:
    if ns['type'] == 'network':
        ns['path'] = '/run/netns/$NETNS'
c['process']['args'] = ['ip', 'link']"
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 0 "$err"
    assert_match "$out" "bt-join0"
    # Joined, not owned: the namespace outlives the container.
    [[ -e /run/netns/$NETNS && ! -e /run/netns/$NAME ]]
}

@test "process.oomScoreAdj is applied to the container's processes" {
    make_bundle "$BT_TMP/bundle" "c['process']['oomScoreAdj'] = 500
c['process']['args'] = ['cat', '/proc/self/oom_score_adj']"
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 0 "$err"
    assert_eq "$out" "500"
}

@test "a crashed shim's leftovers are cleaned on the next start: its container is killed" {
    capture run_timeout 30 "$BOTTLE" run -d --name "$NAME" --rootfs "$ROOTFS" -- sleep 1000
    assert_eq "$status" 0 "$err"
    local shim init
    shim=$(cat "$BOTTLE_STATE/containers/$NAME/shim.pid")
    init=$(cat "$BOTTLE_STATE/containers/$NAME/pid")
    kill -KILL "$shim"
    wait_for 5 sh -c "! kill -0 $shim 2>/dev/null"
    kill -0 "$init" # the container outlived its shim
    [[ -e /run/netns/$NAME ]]
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --rootfs "$ROOTFS" -- echo again
    assert_eq "$status" 0 "$err"
    assert_eq "$out" "again"
    assert_match "$err" "cleaning up after a shim that died"
    wait_for 5 sh -c "! kill -0 $init 2>/dev/null"
    assert_clean
}

@test "bottle rm of a container whose shim died kills it through its cgroup" {
    capture run_timeout 30 "$BOTTLE" run -d --name "$NAME" --rootfs "$ROOTFS" -- sleep 1000
    assert_eq "$status" 0 "$err"
    local shim init
    shim=$(cat "$BOTTLE_STATE/containers/$NAME/shim.pid")
    init=$(cat "$BOTTLE_STATE/containers/$NAME/pid")
    kill -KILL "$shim"
    wait_for 5 sh -c "! kill -0 $shim 2>/dev/null"
    capture run_timeout 30 "$BOTTLE" rm "$NAME"
    assert_eq "$status" 0 "$err"
    wait_for 5 sh -c "! kill -0 $init 2>/dev/null"
    assert_clean
}
