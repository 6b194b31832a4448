#!/bin/sh
# The demo of bottle-init (`make demo`): it runs as PID 1 of a fresh pid and mount namespace on
# the default busybox rootfs, reaps the orphans a service leaves behind, forwards a SIGTERM
# and passes the exit status through. bottle-init is bind-mounted read-only from the build
# dir, never copied into the rootfs. Needs root (namespaces); leaves nothing behind.
set -eu
build=${1:-build}
init=$(realpath "$build/bin/bottle-init")
rootfs=$(realpath "$build/rootfs/busybox")
[ -x "$init" ] && [ -x "$rootfs/bin/busybox" ] || { echo "run 'make all rootfs' first" >&2; exit 125; }

service='
echo "service: I am pid $$; PID 1 is: $(tr "\0\n" "  " </proc/1/cmdline | cut -c1-24)"
for i in 1 2 3 4 5; do sh -c "sleep 0.2 & exit"; done
echo "service: left 5 orphans behind; sleeping so that they die and are re-parented to PID 1"
sleep 1
zombies=$(cat /proc/[0-9]*/stat 2>/dev/null | sed "s/.*) //" | grep -c "^Z" || true)
echo "service: zombies now: $zombies (PID 1 reaped them)"
trap "echo service: got SIGTERM, exiting with 143; exit 143" TERM
echo "service: sending SIGTERM to PID 1; bottle-init forwards it to me"
kill -TERM 1
sleep 5 & wait
'
set +e
unshare --pid --fork --mount --propagation private sh -c '
    set -e
    mount --bind "$2" "$2"
    mount -t tmpfs -o size=1m,mode=755 tmpfs "$2/run"
    : >"$2/run/bottle-init"
    mount --bind -o ro "$1" "$2/run/bottle-init"
    mount -t proc proc "$2/proc"
    mount -t tmpfs -o size=64k,mode=755 tmpfs "$2/dev"
    : >"$2/dev/null"
    mount --bind /dev/null "$2/dev/null"
    exec chroot "$2" /run/bottle-init -- /bin/sh -c "$3"
' demo "$init" "$rootfs" "$service"
status=$?
set -e
echo "demo: bottle-init exited with $status (128+15: the service died of the forwarded SIGTERM)"
[ "$status" -eq 143 ]
