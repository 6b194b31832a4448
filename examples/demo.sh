#!/bin/sh
# The main demo (`make demo`): containers on the default busybox rootfs, run by `bottle run`
# with no daemon, then supervised by bottled. Shows bottle-init as PID 1 reaping orphans and
# passing a forwarded SIGTERM through, a fork bomb held by --pids-limit, a memory hog
# OOM-killed under -m, an overlay rootfs that leaves the image untouched, a crashing service
# restarted with backoff, containers that outlive a SIGKILLed bottled and are re-adopted, and
# a supervision tree (examples/tree). Uses its own state/root dirs and cgroup parent and
# removes them at the end. Needs root.
set -u
build=$(realpath "${1:-build}")
bottle=$build/bin/bottle
rootfs=$build/rootfs/busybox
[ -x "$bottle" ] && [ -x "$rootfs/bin/busybox" ] || { echo "run 'make all rootfs' first" >&2; exit 125; }
tmp=$(mktemp -d /tmp/bottle-demo.XXXXXX)
parent=bottle-demo-$$
export BOTTLE_STATE=$tmp/state BOTTLE_ROOT=$tmp/root
bottled=
cleanup() {
    [ -n "$bottled" ] && kill -TERM "$bottled" 2>/dev/null && wait "$bottled" 2>/dev/null
    for d in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do [ -d "$d" ] && rmdir "$d"; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
failed=0
step() { printf '\n== %s\n' "$*"; }
expect() { # expect CODE MESSAGE: compare with the last status
    if [ "$status" -eq "$1" ]; then echo "-> exit $status, as expected ($2)"; else
        echo "-> exit $status, expected $1 ($2)"; failed=1; fi
}
run() { timeout 60 "$bottle" run --cgroup-parent "$parent" --rootfs "$rootfs" "$@"; status=$?; }

step "a container: PID 1 is bottle-init, the service is its child, the host is out of sight"
run --name demo-hello --hostname demo -- sh -c '
    echo "hostname: $(hostname)"; echo "PID 1: $(tr "\0" " " </proc/1/cmdline | cut -c1-40)"
    echo "processes I can see: $(ls /proc | grep -c "^[0-9]")"; exit 3'
expect 3 "the service's own status"

step "orphans are reaped by PID 1; SIGTERM sent to PID 1 is forwarded to the service"
run --name demo-reap -- sh -c '
    for i in 1 2 3 4 5; do sh -c "sleep 0.2 & exit"; done; sleep 1
    echo "zombies: $(cat /proc/[0-9]*/stat | sed "s/.*) //" | grep -c "^Z")"
    trap "echo service: got SIGTERM; exit 143" TERM; kill -TERM 1; sleep 5 & wait'
expect 143 "128+15"

step "a fork bomb stops at --pids-limit 32"
run --name demo-forks --pids-limit 32 -- sh -c '
    (i=0; while [ $i -lt 100 ]; do sleep 10 & i=$((i+1)); done) 2>/dev/null
    set -- /proc/[0-9]*; echo "tried 100 processes, got $# (counted with a glob: no fork needed)"
    kill -9 -1; [ $# -le 32 ]'
expect 0 "the limit held and the service went on"

step "a memory hog under -m 32m is OOM-killed and reported"
run --name demo-oom -m 32m -- sh -c 'x=a; while :; do x=$x$x; done'
expect 137 "SIGKILL by the OOM killer"

step "overlay storage: the container deletes /bin/ls, the image keeps it"
run --name demo-overlay --storage overlay -- sh -c 'rm /bin/ls && echo "deleted /bin/ls in the container"'
expect 0 "done"
[ -e "$rootfs/bin/ls" ] && echo "-> the image still has /bin/ls" || { echo "-> the image lost /bin/ls"; failed=1; }

step "supervision: bottled restarts a crashing service with backoff and survives its own SIGKILL"
mkdir -p "$tmp/services"
cat >"$tmp/services/crasher.json" <<JSON
{"name": "crasher", "rootfs": "$rootfs", "command": ["sh", "-c", "echo working; sleep 0.3; exit 1"],
 "restart": "on-failure", "backoff": {"initial_ms": 100, "max_ms": 1000}}
JSON
cat >"$tmp/services/steady.json" <<JSON
{"name": "steady", "rootfs": "$rootfs", "command": ["sleep", "1000"], "restart": "always"}
JSON
start_bottled() {
    "$build/bin/bottled" --config "$tmp/services" --cgroup-parent "$parent" 2>>"$tmp/bottled.log" &
    bottled=$!
    i=0; while [ ! -S "$BOTTLE_STATE/bottled.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
}
start_bottled
sleep 3
timeout 2 "$bottle" events | grep -E '"type":"(backoff|up)"' | grep crasher | head -6 |
    sed 's/^/   /'
echo "-> SIGKILL to bottled; the containers keep running"
steady_pid=$(cat "$BOTTLE_STATE/containers/steady/pid")
kill -KILL "$bottled"; wait "$bottled" 2>/dev/null; rm -f "$BOTTLE_STATE/bottled.sock"
if kill -0 "$steady_pid" 2>/dev/null; then echo "-> steady still runs (pid $steady_pid)"; else
    echo "-> steady died with bottled"; failed=1; fi
start_bottled
sleep 1
if timeout 2 "$bottle" events | grep -q '"type":"adopted","name":"steady"'; then
    echo "-> a new bottled adopted it"; else echo "-> steady was not adopted"; failed=1; fi
kill -TERM "$bottled"; wait "$bottled" 2>/dev/null
if kill -0 "$steady_pid" 2>/dev/null; then echo "-> SIGTERM to bottled left steady running"; failed=1
else echo "-> SIGTERM to bottled stopped every service"; fi

step "a supervision tree (examples/tree): db, app, proxy under rest_for_one"
"$(dirname "$0")/tree/run.sh" "$build" >"$tmp/tree.out" 2>&1
status=$?
sed 's/^/   /' "$tmp/tree.out"
expect 0 "the tree started in order, restarted by its strategy and stopped in reverse"

echo
[ "$failed" -eq 0 ] && echo "demo: all steps behaved as expected" || echo "demo: a step misbehaved"
exit "$failed"
