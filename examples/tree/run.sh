#!/bin/sh
# A supervision tree: a db, an app that needs it and a proxy in front of the app, under
# rest_for_one (examples/tree/stack.json.in). They start in order, each once the one before is
# ready (the db and the app say so on fd 3, s6 style); when the db dies, the app and the proxy
# are restarted after it (they hold state from the old db); when the proxy dies, only the proxy
# is. Uses its own state/root dirs, cgroup parent and bottled, and removes them. Needs root.
#   examples/tree/run.sh [BUILD-DIR]
set -u
here=$(dirname "$(realpath "$0")")
build=$(realpath "${1:-$here/../../build}")
bin=$build/bin
rootfs=${ROOTFS:-$build/rootfs/busybox}
[ -x "$bin/bottled" ] && [ -x "$rootfs/bin/busybox" ] || { echo "run 'make all rootfs' first" >&2; exit 125; }
tmp=$(mktemp -d /tmp/bottle-tree.XXXXXX)
parent=bottle-tree-$$
state=$tmp/state
bottled=
cleanup() {
    if [ -n "$bottled" ]; then
        kill -TERM "$bottled" 2>/dev/null
        i=0; while kill -0 "$bottled" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
        kill -KILL "$bottled" 2>/dev/null
    fi
    for d in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
    for n in stack-db stack-app stack-proxy; do
        [ -e /run/netns/$n ] && { umount /run/netns/$n 2>/dev/null; rm -f /run/netns/$n; }
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/config" "$tmp/shared"
sed -e "s|@ROOTFS@|$rootfs|g" -e "s|@SHARED@|$tmp/shared|g" "$here/stack.json.in" >"$tmp/config/stack.json"
bottle() { timeout 30 "$bin/bottle" --state "$state" --root "$tmp/root" "$@"; }
# wait_for SECS CMD...: polls CMD every 0.1 s.
wait_for() {
    n=$(($1 * 10)); shift
    while [ $n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; n=$((n - 1)); done
    return 1
}
pid() { # the init's pid of service $1, from bottled
    python3 - "$state/bottled.sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "inspect",
                      "params": {"name": sys.argv[2]}}).encode() + b"\n")
print(json.loads(s.makefile().readline())["result"]["pid"])
PY
}
# events: every event bottled still keeps, one "TYPE NAME" line each.
events() { python3 - "$state/bottled.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events","params":{"since":0}}\n')
for line in s.makefile():
    m = json.loads(line)
    if m.get("id") == 1:
        break
    print(m["params"]["type"], m["params"]["name"])
PY
}
ready_count() { events | grep -c "^ready $1\$"; }
at_least() { [ "$(ready_count "$1")" -ge "$2" ]; }

"$bin/bottled" --config "$tmp/config" --state "$state" --root "$tmp/root" --cgroup-parent "$parent" 2>"$tmp/bottled.log" &
bottled=$!
echo "== a tree (rest_for_one): stack-db, then stack-app, then stack-proxy, each once the one before is ready"
wait_for 30 at_least stack 1 || { echo "the tree did not come up"; cat "$tmp/bottled.log"; exit 1; }
for n in stack-db stack-app stack-proxy; do echo "$n: pid $(pid $n)"; done
db=$(pid stack-db) app=$(pid stack-app) proxy=$(pid stack-proxy)
echo "app uses db generation $(cat "$tmp/shared/app.db")"

echo "== SIGKILL the proxy: only the proxy restarts"
kill -KILL "$proxy"
wait_for 20 at_least stack-proxy 2 || { echo "the proxy did not come back"; exit 1; }
printf 'db %s, app %s, proxy %s -> %s\n' \
    "$([ "$(pid stack-db)" = "$db" ] && echo kept || echo RESTARTED)" \
    "$([ "$(pid stack-app)" = "$app" ] && echo kept || echo RESTARTED)" \
    "$proxy" "$(pid stack-proxy)"

echo "== SIGKILL the db: the app and the proxy are restarted after it (rest_for_one)"
kill -KILL "$db"
wait_for 30 at_least stack 2 || { echo "the tree did not come back"; exit 1; }
printf 'db %s, app %s, proxy %s\n' \
    "$([ "$(pid stack-db)" = "$db" ] && echo kept || echo restarted)" \
    "$([ "$(pid stack-app)" = "$app" ] && echo kept || echo restarted)" \
    "$([ "$(pid stack-proxy)" = "$proxy" ] && echo kept || echo restarted)"
echo "app now uses db generation $(cat "$tmp/shared/app.db") (db serves $(cat "$tmp/shared/db.gen"))"
[ "$(cat "$tmp/shared/app.db")" = "$(cat "$tmp/shared/db.gen")" ] || { echo "app is stale"; exit 1; }

echo "== bottle stop stack: the proxy, the app, then the db, one at a time"
bottle stop stack >/dev/null
wait_for 30 sh -c "! kill -0 $(pid stack-db) 2>/dev/null"
echo "stopped, in order: $(events | awk '$1 == "stopped" { print $2 }' | tail -4 | tr '\n' ' ' | sed 's/ $//')"
echo "== done"
