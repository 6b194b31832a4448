#!/bin/sh
# The main demo (`make demo`): containers on the default busybox rootfs, run by `bottle run`
# with no daemon. Shows bottle-init as PID 1 reaping orphans and passing a forwarded SIGTERM
# through, a fork bomb held by --pids-limit, a memory hog OOM-killed under -m, an overlay
# rootfs that leaves the image untouched. Uses its own state/root dirs and cgroup parent and
# removes them at the end. Needs root.
set -u
build=$(realpath "${1:-build}")
bottle=$build/bin/bottle
rootfs=$build/rootfs/busybox
[ -x "$bottle" ] && [ -x "$rootfs/bin/busybox" ] || { echo "run 'make all rootfs' first" >&2; exit 125; }
tmp=$(mktemp -d /tmp/bottle-demo.XXXXXX)
parent=bottle-demo-$$
export BOTTLE_STATE=$tmp/state BOTTLE_ROOT=$tmp/root
cleanup() {
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

echo
[ "$failed" -eq 0 ] && echo "demo: all steps behaved as expected" || echo "demo: a step misbehaved"
exit "$failed"
