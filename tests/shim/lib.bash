# Helpers for the bottle-shim and `bottle run` suites: a private rootfs, state dir, cgroup
# parent and container name per test, bounded runs, and a teardown that removes every cgroup,
# mount and directory a test (or a broken bottle) left behind. Load it with `load lib`.
#
# Every test gets: $NAME (container name), $ROOTFS (a private copy of the busybox rootfs, so
# that mount points and writes never reach the shared one), $BOTTLE_STATE (its own state dir)
# and $CG_PARENT (a cgroup parent of its own for bundles and bottle-shim runs). `bottle run`
# does not pass --cgroup-parent yet, so its cgroups go to bottle/$NAME: teardown removes those
# too, but never the shared "bottle" parent itself (another test may be using it).

_shim_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -f $_shim_lib_dir/../lib.bash ]]; then
    # shellcheck source=../lib.bash
    source "$_shim_lib_dir/../lib.bash"
fi

# The few generic helpers used here, for when ../lib.bash is missing or lacks one of them.
: "${BOTTLE_BUILD:=$(cd "$_shim_lib_dir/../.." && pwd)/build}"
export BOTTLE_BUILD
: "${BT_BIN:=$BOTTLE_BUILD/bin}"
: "${HELPERS:=$BOTTLE_BUILD/tests/helpers}"
declare -p BT_PIDS &>/dev/null || BT_PIDS=()
declare -F bt_setup >/dev/null || bt_setup() {
    BT_TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/bottle-test.XXXXXX")
    export BT_TMP
    BT_PIDS=()
    exec </dev/null
    ulimit -c 0
}
declare -F bt_teardown >/dev/null || bt_teardown() {
    local pid
    for pid in "${BT_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${BT_PIDS[@]}"; do
        timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    BT_PIDS=()
    [[ -n ${BT_TMP:-} && -d $BT_TMP ]] && rm -rf -- "$BT_TMP"
    return 0
}
declare -F bt_track >/dev/null || bt_track() { BT_PIDS+=("$@"); }
declare -F run_timeout >/dev/null || run_timeout() {
    local secs=$1
    shift
    timeout -k 2 "$secs" "$@"
}
declare -F wait_for >/dev/null || wait_for() {
    local secs=$1 tries
    shift
    tries=$((${secs%.*} * 50 + 1))
    until "$@"; do
        if ((--tries <= 0)); then
            echo "wait_for: gave up after ${secs}s: $*" >&2
            return 1
        fi
        sleep 0.02
    done
}
declare -F capture >/dev/null || capture() {
    status=0
    "$@" >"$BT_TMP/capture.out" 2>"$BT_TMP/capture.err" 3>&- || status=$?
    out=$(cat "$BT_TMP/capture.out")
    err=$(cat "$BT_TMP/capture.err")
    printf '# status %s\n# stdout:\n%s\n# stderr:\n%s\n' "$status" "$out" "$err" >&2
}
declare -F assert_eq >/dev/null || assert_eq() {
    [[ $1 == "$2" ]] && return 0
    printf 'assert_eq failed%s\n  expected: %s\n  got:      %s\n' "${3:+ ($3)}" "$2" "$1" >&2
    return 1
}
declare -F assert_match >/dev/null || assert_match() {
    [[ $1 =~ $2 ]] && return 0
    printf 'assert_match failed%s\n  regex: %s\n  got:   %s\n' "${3:+ ($3)}" "$2" "$1" >&2
    return 1
}

BOTTLE=$BT_BIN/bottle
SHIM=$BT_BIN/bottle-shim
# Not $INIT: the init suite lets BOTTLE_INIT point that at tini; the shim needs bottle-init.
SHIM_INIT=$BT_BIN/bottle-init
BUSYBOX_ROOTFS=$BOTTLE_BUILD/rootfs/busybox

# ---- setup and teardown ----

shim_setup() {
    bt_setup
    [[ $EUID -eq 0 ]] || skip "bottle-shim tests need root"
    local file
    for file in "$BOTTLE" "$SHIM" "$SHIM_INIT"; do
        [[ -x $file ]] || skip "$file is not built"
    done
    [[ -x $BUSYBOX_ROOTFS/bin/busybox ]] ||
        skip "no busybox rootfs at $BUSYBOX_ROOTFS (make rootfs)"
    NAME=bt-$BATS_TEST_NUMBER-$$
    CG_PARENT=bt-test-$$-$BATS_TEST_NUMBER
    # bottle run and bottle-shim put containers under it (not the shared default "bottle").
    BOTTLE_CGROUP_PARENT=$CG_PARENT
    export BOTTLE_CGROUP_PARENT
    BOTTLE_STATE=$BT_TMP/state
    # Logs and storage (detached mode, --storage) would go to /var/lib/bottle otherwise.
    BOTTLE_ROOT=$BT_TMP/root
    export BOTTLE_STATE BOTTLE_ROOT
    ROOTFS=$BT_TMP/rootfs
    shim_copy_rootfs "$ROOTFS"
    SHIM_BG_PID=
    SHIM_BG_STDIN=
}

# shim_copy_rootfs DEST: a private copy of the busybox rootfs. The 2 MB busybox binary is a hard
# link when it can be (the copy costs more than everything else in a test's setup); every other
# file is a copy, so that a container writing to its /etc cannot reach the shared rootfs.
shim_copy_rootfs() {
    local dest=$1
    if cp -al "$BUSYBOX_ROOTFS" "$dest" 2>/dev/null; then
        cp -a --remove-destination "$BUSYBOX_ROOTFS/etc/." "$dest/etc/"
    else
        rm -rf "$dest"
        cp -a "$BUSYBOX_ROOTFS" "$dest"
    fi
}

shim_teardown() {
    local pid dir mount
    # The shims first (our children), then whatever is left in the containers' cgroups.
    for pid in "${BT_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${BT_PIDS[@]}"; do
        timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    BT_PIDS=()
    if [[ -n ${SHIM_BG_STDIN:-} ]]; then
        exec {SHIM_BG_STDIN}>&-
    fi
    local dirs=
    [[ -n ${NAME:-} && -n ${CG_PARENT:-} ]] && dirs=$(shim_cgroup_dirs)
    for dir in $dirs; do
        bt_cgroup_kill "$dir"
    done
    for dir in $dirs; do
        find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    # Mounts a broken bottle could have left in the host's namespace: under our tmp dir, at
    # /run/netns/NAME. Unmount them before anything is deleted, deepest first.
    if [[ -n ${BT_TMP:-} ]]; then
        for mount in $(shim_mounts_under "$BT_TMP" | sort -r); do
            umount -l "$mount" 2>/dev/null || true
        done
    fi
    if [[ -n ${NAME:-} && -e /run/netns/$NAME ]]; then
        umount -l "/run/netns/$NAME" 2>/dev/null || true
        rm -f "/run/netns/$NAME"
    fi
    if [[ -n ${BT_TMP:-} && -n $(shim_mounts_under "$BT_TMP") ]]; then
        echo "teardown: mounts left under $BT_TMP, not deleting it" >&2
        BT_TMP=
    fi
    bt_teardown
}

setup() { shim_setup; }
teardown() { shim_teardown; }

# ---- cgroups, mounts ----

# shim_cgroup_mounts: every cgroup (v1) and cgroup2 mount point, from mountinfo (read once).
shim_cgroup_mounts() {
    if [[ -z ${_shim_cgroup_mounts:-} ]]; then
        _shim_cgroup_mounts=$(awk '{ for (i = 7; $i != "-"; i++);
            if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5 }' /proc/self/mountinfo)
    fi
    echo "$_shim_cgroup_mounts"
}
shim_cgroup_mounts >/dev/null # fill the cache here: $(...) callers run in subshells

# shim_cgroup_dirs: this test's cgroup dirs in every hierarchy: any directory named $NAME or
# $NAME-* (a second container of the test), and the test's own parent $CG_PARENT.
shim_cgroup_dirs() {
    # shellcheck disable=SC2046
    find $(shim_cgroup_mounts) -maxdepth 4 -type d \( -name "$NAME" -o -name "$NAME-*" \
        -o -name "$CG_PARENT" \) -prune -print 2>/dev/null
}

# shim_mounts_under DIR: mount points in our mount namespace at or below DIR.
shim_mounts_under() {
    awk -v dir="$1" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo
}

# assert_clean [NAME]: nothing of container NAME (default $NAME) is left: no state dir, no
# bundle dir, no cgroup dir in any hierarchy, no mount under the test's tmp dir (the rootfs and
# volumes live there), no named netns.
assert_clean() {
    local name=${1:-$NAME} left=() mount dir
    [[ -e $BOTTLE_STATE/containers/$name ]] && left+=("state dir $BOTTLE_STATE/containers/$name")
    [[ -e $BOTTLE_STATE/bundles/$name ]] && left+=("bundle dir $BOTTLE_STATE/bundles/$name")
    # Where bottle puts a container's cgroup: bottle/NAME (bottle run), PARENT/NAME (a
    # bundle's cgroupsPath or --cgroup-parent), in every hierarchy. (Teardown also searches.)
    for mount in $(shim_cgroup_mounts); do
        for dir in "$mount/bottle/$name" "$mount/$CG_PARENT/$name" "$mount/$name"; do
            [[ -e $dir ]] && left+=("cgroup $dir")
        done
    done
    while read -r mount; do
        [[ -n $mount ]] && left+=("mount $mount")
    done < <(shim_mounts_under "$BT_TMP")
    [[ -e /run/netns/$name ]] && left+=("netns /run/netns/$name")
    ((${#left[@]} == 0)) && return 0
    printf 'left behind by %s: %s\n' "$name" "${left[@]}" >&2
    return 1
}

# assert_one_line TEXT [WHAT]: TEXT is exactly one non-empty line (bottle's error contract).
assert_one_line() {
    [[ -n $1 && $1 != *$'\n'* ]] && return 0
    printf 'assert_one_line failed%s: got %d line(s):\n%s\n' "${2:+ ($2)}" \
        "$(printf '%s' "$1" | grep -c '')" "$1" >&2
    return 1
}

# ---- payloads ----

# shim_add_helpers NAME...: copies the payload programs $HELPERS/NAME into $ROOTFS/helpers,
# with the shared libraries they need (the busybox rootfs has no libc).
shim_add_helpers() {
    local helper lib
    mkdir -p "$ROOTFS/helpers"
    for helper; do
        [[ -x $HELPERS/$helper ]] || skip "$HELPERS/$helper is not built"
        cp "$HELPERS/$helper" "$ROOTFS/helpers/"
        for lib in $(ldd "$HELPERS/$helper" | grep -oE '/[^ ]+'); do
            [[ -e $ROOTFS$lib ]] || cp -L --parents "$lib" "$ROOTFS"
        done
    done
}

# ---- running containers ----

# bottle_run [OPTIONS] [--] CMD...: `bottle run --name $NAME --rootfs $ROOTFS OPTIONS`, 30 s at
# most, captured (status, out, err).
bottle_run() {
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --rootfs "$ROOTFS" "$@"
}

# bottle_start [OPTIONS] [--] CMD...: the same in the background, stdout in $BT_TMP/bg.out and
# stderr in $BT_TMP/bg.err, stdin a fifo that the test holds open (-i: docker's "keep stdin
# open"); SHIM_BG_PID is the shim (bottle run execs it). Returns at once: wait for the payload
# to say it is ready (wait_bg_out). A payload that ends with `read -r _` runs until
# bottle_finish closes its stdin, which stops it without relying on signals.
bottle_start() {
    bg_start "$BOTTLE" run --name "$NAME" --rootfs "$ROOTFS" -i "$@"
}

# bg_start CMD...: runs CMD (a `bottle run` or bottle-shim --foreground) as bottle_start does.
bg_start() {
    rm -f "$BT_TMP/bg.stdin"
    mkfifo "$BT_TMP/bg.stdin"
    "$@" <"$BT_TMP/bg.stdin" >"$BT_TMP/bg.out" 2>"$BT_TMP/bg.err" 3>&- &
    SHIM_BG_PID=$!
    bt_track "$SHIM_BG_PID"
    exec {SHIM_BG_STDIN}>"$BT_TMP/bg.stdin"
}

# bottle_finish [SECS]: closes the background container's stdin and waits (default 10 s) for
# it to exit; sets status, out and err as bottle_stop does.
bottle_finish() {
    if [[ -n ${SHIM_BG_STDIN:-} ]]; then
        exec {SHIM_BG_STDIN}>&-
    fi
    SHIM_BG_STDIN=
    bottle_wait_bg "${1:-10}"
}

# wait_bg_out REGEX [SECS]: waits until the background container's stdout has a line
# matching REGEX.
wait_bg_out() {
    wait_for "${2:-10}" _bg_ready_or_gone "$1" || true
    grep -qE -- "$1" "$BT_TMP/bg.out" || {
        echo "no line matching $1 from the background container" >&2
        echo "stdout: $(cat "$BT_TMP/bg.out")" >&2
        echo "stderr: $(cat "$BT_TMP/bg.err")" >&2
        return 1
    }
}

_bg_ready_or_gone() {
    grep -qE -- "$1" "$BT_TMP/bg.out" || ! kill -0 "$SHIM_BG_PID" 2>/dev/null
}

# bottle_stop [SIG [SECS]]: sends SIG (default TERM) to the background shim, waits SECS
# (default 10) at most and sets status to its exit status (124 when it had to be killed), out
# and err to its output.
bottle_stop() {
    kill "-${1:-TERM}" "$SHIM_BG_PID" 2>/dev/null || true
    bottle_wait_bg "${2:-10}"
}

# bottle_wait_bg SECS: waits for the background shim to exit by itself; as bottle_stop.
bottle_wait_bg() {
    status=0
    if ! timeout "$1" tail --pid="$SHIM_BG_PID" -f /dev/null; then
        kill -KILL "$SHIM_BG_PID" 2>/dev/null || true
        wait "$SHIM_BG_PID" 2>/dev/null || true
        status=124
    else
        wait "$SHIM_BG_PID" || status=$?
    fi
    out=$(cat "$BT_TMP/bg.out")
    err=$(cat "$BT_TMP/bg.err")
    printf '# background status %s\n# stdout:\n%s\n# stderr:\n%s\n' "$status" "$out" "$err" >&2
}

# container_pid [NAME]: the container init's host pid, from the shim's pid file.
container_pid() {
    cat "$BOTTLE_STATE/containers/${1:-$NAME}/pid" 2>/dev/null
}

# host_cgroup CONTROLLER [NAME]: the container's cgroup dir in CONTROLLER's v1 hierarchy, as
# `bottle run` places it ($CG_PARENT/NAME under the hierarchy's root: BOTTLE_CGROUP_PARENT).
host_cgroup() {
    local mount
    mount=$(awk -v c="$1" '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup" &&
        ("," $(i + 3) ",") ~ ("," c ",")) print $5 }' /proc/self/mountinfo | head -n 1)
    echo "$mount/$CG_PARENT/${2:-$NAME}"
}

# ---- bundles ----

# make_bundle DIR [PYTHON]: an OCI bundle in DIR: the config.json of `bottle spec`, with
# process.terminal false and linux.cgroupsPath /$CG_PARENT/$NAME, then PYTHON run on it (the
# spec is `c`). root.path is "rootfs" when DIR/rootfs exists (copy $ROOTFS there for a
# self-contained bundle), otherwise $ROOTFS itself.
make_bundle() {
    local dir=$1 code=${2:-} root=rootfs
    mkdir -p "$dir"
    [[ -e $dir/rootfs || -L $dir/rootfs ]] || root=$ROOTFS
    "$BOTTLE" spec --rootfs "$root" >"$dir/config.json"
    edit_config "$dir/config.json" "c['process']['terminal'] = False
c['linux']['cgroupsPath'] = '/$CG_PARENT/$NAME'
$code"
}

# shim_foreground BUNDLE [OPTIONS]: bottle-shim --foreground on BUNDLE as $NAME with the
# test's state dir and cgroup parent, 30 s at most, captured.
shim_foreground() {
    local bundle=$1
    shift
    capture run_timeout 30 "$SHIM" --foreground --bundle "$bundle" --id "$NAME" \
        --state "$BOTTLE_STATE" --init "$SHIM_INIT" --cgroup-parent "$CG_PARENT" "$@"
}
