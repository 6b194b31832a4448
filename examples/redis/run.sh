#!/bin/bash
# The redis example: a private bottled keeps redis-server alive in a minimal rootfs built from
# Debian's packages (mkrootfs.sh), with its data on a bind mount. Shows redis answering, a
# SIGKILL of redis-server inside the container, bottled bringing it back, and the data still
# there. Uses its own state/root dirs and cgroup parent and removes them; needs root.
#
# Every path can be overridden: BOTTLE_BUILD (the build dir), REDIS_ROOTFS (built there when it
# holds no redis-server), REDIS_DATA (kept when given), REDIS_STATE, REDIS_ROOT,
# REDIS_CGROUP_PARENT, REDIS_NAME (the service's name, default redis: it names the container's
# netns in /run/netns, so parallel runs need their own), TMPDIR. REDIS_TIMEOUT bounds every wait
# (seconds, default 20).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "${BOTTLE_BUILD:-$here/../../build}")
bottle=$build/bin/bottle
bottled_bin=$build/bin/bottled
[ -x "$bottle" ] && [ -x "$bottled_bin" ] || { echo "run.sh: run 'make' first ($build/bin)" >&2; exit 125; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (containers, cgroups, mounts)" >&2; exit 125; }
timeout_s=${REDIS_TIMEOUT:-20}
name=${REDIS_NAME:-redis}
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]] ||
    { echo "run.sh: REDIS_NAME: expected a service name ([A-Za-z0-9_.-], 64 at most), got '$name'" >&2; exit 125; }
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] ||
    { echo "run.sh: REDIS_TIMEOUT: expected whole seconds, got '$timeout_s'" >&2; exit 125; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bottle-redis.XXXXXX") || exit 125
rootfs=${REDIS_ROOTFS:-$tmp/rootfs}
data=${REDIS_DATA:-$tmp/data}
state=${REDIS_STATE:-$tmp/state}
root=${REDIS_ROOT:-$tmp/root}
parent=${REDIS_CGROUP_PARENT:-bottle-redis-$$}
export BOTTLE_STATE=$state BOTTLE_ROOT=$root
bottled_pid=
events_pid=

cleanup() {
    if [ -n "$bottled_pid" ] && kill -0 "$bottled_pid" 2>/dev/null; then
        # SIGTERM: bottled stops redis (SIGTERM, then the spec's timeout) and exits.
        kill -TERM "$bottled_pid"
        timeout 30 tail --pid="$bottled_pid" -f /dev/null || kill -KILL "$bottled_pid"
        wait "$bottled_pid" 2>/dev/null
    fi
    [ -n "$events_pid" ] && kill "$events_pid" 2>/dev/null && wait "$events_pid" 2>/dev/null
    local dir
    for dir in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do
        [ -d "$dir" ] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=0
step() { printf '\n== %s\n' "$*"; }
say() { echo "-> $*"; }
bad() {
    echo "-> $*" >&2
    failed=1
}
cli() { timeout "$timeout_s" "$bottle" "$@"; }

# event_field LINE KEY: one value of an event's JSON line (numbers, booleans, plain strings).
event_field() {
    [[ $1 =~ \"$2\":\"?([^\",}]*) ]] && echo "${BASH_REMATCH[1]}"
}

# wait_event TYPE AFTER_SEQ: the first event TYPE of the service after AFTER_SEQ, within $timeout_s.
wait_event() {
    local type=$1 after=$2 deadline=$((SECONDS + timeout_s)) line
    while [ $SECONDS -le $deadline ]; do
        while IFS= read -r line; do
            [[ $line == *"\"type\":\"$type\",\"name\":\"$name\""* ]] || continue
            (($(event_field "$line" seq) > after)) && { echo "$line"; return 0; }
        done <"$tmp/events"
        sleep 0.05
    done
    return 1
}

# redis_cli ARG...: redis-cli inside the container (it has its own network namespace).
redis_cli() { cli exec "$name" -- redis-cli "$@" 2>&1; }

wait_pong() {
    local deadline=$((SECONDS + timeout_s))
    while [ $SECONDS -le $deadline ]; do
        [ "$(redis_cli ping)" = PONG ] && return 0
        sleep 0.1
    done
    return 1
}

step "a redis rootfs from Debian's redis-server and redis-tools"
if [ -x "$rootfs/usr/bin/redis-server" ]; then
    say "using $rootfs"
else
    "$here/mkrootfs.sh" "$rootfs" || exit 125
fi
mkdir -p "$data"
chown "$(stat -c %u:%g "$rootfs/data")" "$data"
mkdir -p "$tmp/config"
# The spec as shipped, with this run's rootfs and data dir.
sed -e "s|\"name\": \"redis\"|\"name\": \"$name\"|" \
    -e "s|\"/var/lib/bottle/rootfs/redis\"|\"$rootfs\"|" \
    -e "s|\"/var/lib/bottle/redis-data\"|\"$data\"|" "$here/redis.json" >"$tmp/config/$name.json"
say "spec: restart always, /data bound to $data, appendonly yes, health redis-cli ping"

step "bottled supervises redis"
"$bottled_bin" --config "$tmp/config" --state "$state" --root "$root" --cgroup-parent "$parent" \
    2>>"$tmp/bottled.log" &
bottled_pid=$!
deadline=$((SECONDS + timeout_s))
while [ ! -S "$state/bottled.sock" ] && [ $SECONDS -le $deadline ]; do sleep 0.05; done
[ -S "$state/bottled.sock" ] || { bad "bottled did not start: $(tail -3 "$tmp/bottled.log")"; exit 1; }
"$bottle" events >"$tmp/events" 2>/dev/null &
events_pid=$!
if ! up=$(wait_event up 0); then
    bad "redis did not come up; bottled says: $(tail -3 "$tmp/bottled.log")"
    exit 1
fi
init_pid=$(event_field "$up" pid)
say "up: bottle-init is pid $init_pid on the host"
if wait_pong; then say "PING: PONG"; else bad "redis does not answer PING: $(redis_cli ping)"; exit 1; fi

step "redis keeps data in /data (a bind mount of the host's $data)"
say "SET greeting: $(redis_cli set greeting 'hello from before the kill')"
say "INCR visits: $(redis_cli incr visits)"
say "GET greeting: $(redis_cli get greeting)"

step "SIGKILL to redis-server inside the container"
server_pid=$(pgrep -P "$init_pid" -x redis-server | head -n 1)
[ -n "$server_pid" ] || { bad "no redis-server under bottle-init $init_pid"; exit 1; }
say "redis-server is pid $server_pid on the host, a child of bottle-init $init_pid"
before=$(event_field "$up" seq)
kill -KILL "$server_pid"
if exited=$(wait_event exited "$before"); then
    say "exited: code $(event_field "$exited" code), signal $(event_field "$exited" signal)," \
        "oom $(event_field "$exited" oom) (bottle-init passes 128+9 through)"
else
    bad "bottled did not see redis exit"
fi
if up2=$(wait_event up "$(event_field "${exited:-$up}" seq)"); then
    ms=$((($(event_field "$up2" time_ns) - $(event_field "$exited" time_ns)) / 1000000))
    backoff=$(wait_event backoff "$(event_field "$exited" seq)")
    say "restarted by bottled in $ms ms (backoff $(event_field "$backoff" delay_ms) ms):" \
        "bottle-init is now pid $(event_field "$up2" pid)"
else
    bad "bottled did not restart redis"
fi
if wait_pong; then say "PING: PONG"; else bad "redis does not answer after the restart"; fi
got=$(redis_cli get greeting)
if [ "$got" = "hello from before the kill" ]; then
    say "GET greeting after the restart: $got (the data survived)"
else
    bad "GET greeting after the restart: '$got' (the data was lost)"
fi
say "INCR visits: $(redis_cli incr visits)"
loaded=$(cli logs "$name" 2>&1 | grep -m1 -o 'DB loaded from append only file.*')
[ -n "$loaded" ] && say "redis's log: $loaded"

# Health checks (readiness "health") are reported when bottled runs them.
health=$(grep -cE '"type":"(ready|healthy)","name":"'"$name"'"' "$tmp/events")
[ "$health" -gt 0 ] && say "bottled reported redis ready/healthy $health times (health: redis-cli ping)"

step "bottled stops redis (SIGTERM) and exits; nothing is left"
kill -TERM "$bottled_pid"
timeout "$timeout_s" tail --pid="$bottled_pid" -f /dev/null || bad "bottled did not exit on SIGTERM"
wait "$bottled_pid" 2>/dev/null
bottled_pid=
if grep -q '"type":"stopped","name":"'"$name"'"' "$tmp/events"; then say "redis stopped"; else
    bad "no stopped event for redis"; fi
left=$(cat /sys/fs/cgroup/*/"$parent"/"$name"/cgroup.procs 2>/dev/null)
[ -z "$left" ] && say "no process left in redis's cgroups" || bad "processes left: $left"

echo
if [ "$failed" -eq 0 ]; then echo "redis example: all steps behaved as expected"; else
    echo "redis example: a step misbehaved (bottled's log: tail of $tmp/bottled.log)"
    tail -20 "$tmp/bottled.log" | sed 's/^/   /'
fi
exit "$failed"
