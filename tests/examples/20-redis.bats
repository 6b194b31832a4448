#!/usr/bin/env bats
# The redis example (examples/redis): the rootfs built from Debian's packages runs redis alone,
# the spec says what the example promises, and run.sh shows redis answering, a SIGKILL of
# redis-server undone by bottled with the data kept, and leaves nothing behind.

load ../lib

REDIS_DIR=$BATS_TEST_DIRNAME/../../examples/redis

setup() {
    bt_setup
    [[ $EUID -eq 0 ]] || skip "the redis example needs root"
    [[ -x /usr/bin/redis-server && -x /usr/bin/redis-cli ]] ||
        skip "redis-server is not installed (make deps installs redis-server and redis-tools)"
    bt_need "$BT_BIN/bottled" "$BT_BIN/bottle"
    NAME=bt-redis-$$-$BATS_TEST_NUMBER
    PARENT=bt-ex-redis-$$-$BATS_TEST_NUMBER
    ROOTFS=$BT_TMP/rootfs
    mkdir "$BT_TMP/t"
}

teardown() {
    local dir pid
    # A run that was itself killed leaves its bottled and event stream (named by their paths).
    for pid in $(pgrep -f "$BT_TMP/t/" || true); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    bt_cgroup_purge "$PARENT"
    if [[ -e /run/netns/${NAME:-none} ]]; then
        umount -l "/run/netns/$NAME" 2>/dev/null || true
        rm -f "/run/netns/$NAME"
    fi
    bt_teardown
}

build_rootfs() {
    run_timeout 60 "$REDIS_DIR/mkrootfs.sh" "$ROOTFS" >/dev/null
}

# run_example: run.sh with this test's rootfs, data dir, names and temp dir; $status, $out, $err.
run_example() {
    capture run_timeout 300 env TMPDIR="$BT_TMP/t" REDIS_ROOTFS="$ROOTFS" REDIS_DATA="$BT_TMP/data" \
        REDIS_NAME="$NAME" REDIS_CGROUP_PARENT="$PARENT" REDIS_TIMEOUT=60 "$REDIS_DIR/run.sh"
}

# Nothing of the run is left: cgroups, temp dirs, processes in the rootfs, mounts, named netns.
assert_nothing_left() {
    local procs=() pid
    assert_eq "$(ls -d /sys/fs/cgroup/*/"$PARENT" /sys/fs/cgroup/"$PARENT" 2>/dev/null)" "" "cgroups"
    assert_eq "$(ls -A "$BT_TMP/t")" "" "run.sh's temp dir"
    for pid in /proc/[0-9]*; do
        [[ $(readlink "$pid/root" 2>/dev/null) == "$ROOTFS"* ]] && procs+=("${pid#/proc/}")
    done
    assert_eq "${procs[*]}" "" "processes in the redis rootfs"
    assert_eq "$(grep -F "$BT_TMP" /proc/self/mountinfo || true)" "" "mounts"
    [[ ! -e /run/netns/$NAME ]]
}

@test "mkrootfs.sh: redis-server and redis-cli with their libraries and loader, a redis user, /data" {
    build_rootfs
    [[ -x $ROOTFS/usr/bin/redis-server && -x $ROOTFS/usr/bin/redis-cli ]]
    [[ -f $ROOTFS/lib64/ld-linux-x86-64.so.2 ]]
    # Every library either binary needs is there, and they run in the rootfs alone.
    local lib
    for lib in $(ldd /usr/bin/redis-server | awk '$2 == "=>" {print $3}'); do
        [[ -f $ROOTFS$lib ]] || { echo "missing $lib" >&2; false; }
    done
    capture chroot "$ROOTFS" /usr/bin/redis-server --version
    assert_match "$out" '^Redis server v=7'
    capture chroot "$ROOTFS" /usr/bin/redis-cli --version
    assert_match "$out" '^redis-cli 7'
    assert_line "$(<"$ROOTFS/etc/passwd")" 'redis:x:999:999:redis:/data:/nonexistent'
    assert_eq "$(stat -c %u:%g "$ROOTFS/data")" 999:999
    # Minimal: no shell, nothing else from the host.
    [[ ! -e $ROOTFS/bin/sh ]]
    assert_le "$(du -sm "$ROOTFS" | cut -f1)" 40 "MiB"
}

@test "mkrootfs.sh: no directory given is an error with exit 125" {
    capture "$REDIS_DIR/mkrootfs.sh"
    assert_eq "$status" 125
    assert_match "$err" '^usage: '
}

@test "redis.json: restart always, /data bound, appendonly, health redis-cli ping, stop SIGTERM with a timeout" {
    capture python3 - "$REDIS_DIR/redis.json" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))
cmd = spec["command"]
assert spec["restart"] == "always"
assert cmd[0] == "redis-server" and cmd[cmd.index("--appendonly") + 1] == "yes", cmd
assert cmd[cmd.index("--dir") + 1] == "/data", cmd
assert [m["target"] for m in spec["mounts"]] == ["/data"], spec["mounts"]
assert spec["health"]["exec"] == ["redis-cli", "ping"], spec["health"]
assert spec["readiness"] == "health"
assert spec["stop"]["signal"] == "SIGTERM" and spec["stop"]["timeout_s"] > 0, spec["stop"]
print("ok")
EOF
    assert_eq "$out" ok
}

@test "run.sh: redis answers PING, a SET survives a SIGKILL of redis-server, bottled restarts it, nothing is left" {
    build_rootfs
    run_example
    [ "$status" -eq 0 ]
    assert_line "$out" '-> up: bottle-init is pid [0-9]+ on the host'
    assert_eq "$(grep -c '^-> PING: PONG$' <<<"$out")" 2 "PONG before and after the kill"
    assert_line "$out" '-> SET greeting: OK'
    assert_line "$out" '-> INCR visits: 1'
    assert_line "$out" '-> redis-server is pid [0-9]+ on the host, a child of bottle-init [0-9]+'
    assert_line "$out" '-> exited: code 137, signal 0, oom false .*'
    assert_line "$out" '-> restarted by bottled in [0-9]+ ms \(backoff 0 ms\): bottle-init is now pid [0-9]+'
    assert_line "$out" '-> GET greeting after the restart: hello from before the kill \(the data survived\)'
    assert_line "$out" '-> INCR visits: 2'
    assert_line "$out" '-> redis stopped'
    assert_line "$out" 'redis example: all steps behaved as expected'
    # The data is on the host, in the bind-mounted directory, owned by the container's redis user.
    grep -rqa greeting "$BT_TMP/data/appendonlydir"
    assert_eq "$(stat -c %u "$BT_TMP/data/appendonlydir")" 999
    assert_nothing_left
}

@test "run.sh twice on one data dir: the second redis starts from the first one's data" {
    build_rootfs
    run_example
    [ "$status" -eq 0 ]
    run_example
    [ "$status" -eq 0 ]
    # visits was 2 at the end of the first run.
    assert_eq "$(grep '^-> INCR visits: ' <<<"$out" | head -n 1)" "-> INCR visits: 3"
    assert_nothing_left
}
