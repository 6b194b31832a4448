#!/usr/bin/env bats
# Health checks: exec (in the container) and tcp (in the container's network namespace),
# retries, timeouts, start_period, on_unhealthy restart/stop/none, "health" in inspect, checks
# suspended while paused, and no timer at all without checks.

load lib

# event_ms TYPE NAME [INDEX]: the time (ms since the epoch) of the event TYPE of NAME bottled
# logged (-v), the last one or the INDEXth (0: the first), or nothing. count_events TYPE NAME:
# how many it logged.
event_ms() {
    python3 - "$BT_TMP/bottled.log" "$1" "$2" "${3:--1}" <<'PY'
import json, sys
t = [e["time_ns"] for e in (json.loads(l.split("event ", 1)[1]) for l in open(sys.argv[1])
                            if l.startswith("bottled: event "))
     if e["type"] == sys.argv[2] and e["name"] == sys.argv[3]]
print(t[int(sys.argv[4])] // 1000000 if t else "")
PY
}

count_events() {
    grep -c "^bottled: event {.*\"type\":\"$1\",\"name\":\"$2\"" "$BT_TMP/bottled.log" || true
}

inspect() {
    rpc inspect "{\"name\": \"$1\"}"
}

bottle_exec() {
    timeout 20 "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" exec "$@"
}

# container_runs NAME CMDLINE: some process of NAME's cgroup has CMDLINE (NULs dropped).
container_runs() {
    local p
    for p in $(cat "/sys/fs/cgroup/pids/$SUP_CG/$1/cgroup.procs" 2>/dev/null); do
        [[ $(tr -d '\0' <"/proc/$p/cmdline" 2>/dev/null) == "$2" ]] && return 0
    done
    return 1
}

# wakeups PID: voluntary + involuntary context switches of PID so far.
wakeups() {
    awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$1/status"
}

@test "exec check passes: healthy event, health shown by inspect" {
    service hc-ok '"command": ["sleep", "1000"], "health": {"exec": ["true"], "interval_s": 5}'
    sup_start
    wait_event up hc-ok 10
    assert_eq "$(field "$(inspect hc-ok)" health)" starting
    wait_event healthy hc-ok 15
    assert_eq "$(field "$(inspect hc-ok)" health)" healthy
    # One event per transition, not per check.
    sleep 6
    assert_eq "$(count_events healthy hc-ok)" 1
    assert_eq "$(count_events unhealthy hc-ok)" 0
}

@test "exec check runs inside the container" {
    # /hc-inside-marker exists only at the root of the container's file system.
    service hc-inside '"command": ["sh", "-c", "echo inside > /hc-inside-marker; exec sleep 1000"], "health": {"exec": ["grep", "-q", "inside", "/hc-inside-marker"], "interval_s": 0.2, "retries": 1, "on_unhealthy": "none"}'
    [[ ! -e /hc-inside-marker ]]
    sup_start
    wait_event healthy hc-inside 10
}

@test "a failing exec check: unhealthy after retries; on_unhealthy restart kills it and the policy restarts it" {
    service hc-bad '"command": ["sleep", "1000"], "restart": "on-failure", "backoff": {"initial_ms": 10}, "health": {"exec": ["false"], "interval_s": 0.2, "retries": 3}'
    sup_start
    wait_event up hc-bad 10
    local pid
    pid=$(field "$(inspect hc-bad)" pid)
    capture wait_event unhealthy hc-bad 10
    assert_match "$out" '"failures": 3'
    assert_match "$out" '"error": "exit status 1"'
    # Three checks 0.2 s apart: not before 0.6 s.
    assert_ge $(($(event_ms unhealthy hc-bad 0) - $(event_ms up hc-bad 0))) 550
    capture wait_event exited hc-bad 10
    assert_match "$out" '"signal": 9'
    wait_event backoff hc-bad 10
    wait_for 10 sh -c "[ \$(grep -c '\"type\":\"up\",\"name\":\"hc-bad\"' '$BT_TMP/bottled.log') -ge 2 ]"
    ! kill -0 "$pid" 2>/dev/null
    local ps
    ps=$(inspect hc-bad)
    (($(field "$ps" restarts) >= 1))
}

@test "on_unhealthy stop: the service is stopped and stays down, even with restart always" {
    service hc-stop '"command": ["sleep", "1000"], "restart": "always", "health": {"exec": ["false"], "interval_s": 0.2, "retries": 1, "on_unhealthy": "stop"}'
    sup_start
    wait_event unhealthy hc-stop 10
    wait_event stopped hc-stop 10
    sleep 0.5
    local ps
    ps=$(inspect hc-stop)
    assert_eq "$(field "$ps" state)" down
    assert_eq "$(field "$ps" wanted)" down
    assert_eq "$(field "$ps" restarts)" 0
    assert_eq "$(count_events starting hc-stop)" 1
}

@test "on_unhealthy none: only the event; the container keeps running and becomes healthy again" {
    service hc-none '"command": ["sleep", "1000"], "restart": "always", "health": {"exec": ["test", "-e", "/tmp/ok"], "interval_s": 0.2, "retries": 2, "on_unhealthy": "none"}'
    sup_start
    wait_event up hc-none 10
    local pid
    pid=$(field "$(inspect hc-none)" pid)
    wait_event unhealthy hc-none 10
    assert_eq "$(field "$(inspect hc-none)" health)" unhealthy
    sleep 0.5
    assert_eq "$(count_events unhealthy hc-none)" 1
    kill -0 "$pid"
    bottle_exec hc-none touch /tmp/ok
    wait_event healthy hc-none 10
    assert_eq "$(field "$(inspect hc-none)" health)" healthy
    assert_eq "$(field "$(inspect hc-none)" pid)" "$pid"
    assert_eq "$(count_events exited hc-none)" 0
}

@test "start_period: failures do not count until it is over" {
    service hc-period '"command": ["sleep", "1000"], "health": {"exec": ["false"], "interval_s": 0.2, "retries": 1, "start_period_s": 2, "on_unhealthy": "none"}'
    sup_start
    wait_event up hc-period 10
    wait_event unhealthy hc-period 10
    assert_ge $(($(event_ms unhealthy hc-period) - $(event_ms up hc-period))) 1900
}

@test "a check longer than timeout_s fails as timed out" {
    service hc-slow '"command": ["sleep", "1000"], "health": {"exec": ["sleep", "30"], "interval_s": 0.2, "timeout_s": 0.5, "retries": 1, "on_unhealthy": "none"}'
    sup_start
    wait_event up hc-slow 10
    capture wait_event unhealthy hc-slow 10
    assert_match "$out" '"error": "timed out after 500 ms"'
    local took=$(($(event_ms unhealthy hc-slow) - $(event_ms up hc-slow)))
    assert_ge "$took" 650
    assert_le "$took" 6000
    # The timed-out command was told to stop (bottle exec forwards the SIGTERM): no pile-up of
    # `sleep 30` in the container.
    sleep 2
    local n
    n=$(for p in $(cat /sys/fs/cgroup/pids/"$SUP_CG"/hc-slow/cgroup.procs 2>/dev/null); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo; done | grep -c '^sleep 30' || true)
    assert_le "$n" 1 "timed-out checks left behind"
}

@test "tcp check connects inside the container's network namespace" {
    local port=$((20000 + RANDOM % 20000))
    # Nothing listens on the port on the host: a pass can only come from the container.
    ! ss -ltnH "sport = :$port" | grep -q .
    service hc-tcp "\"command\": [\"sh\", \"-c\", \"while :; do nc -l -p $port </dev/null; done\"], \"health\": {\"tcp\": $port, \"interval_s\": 0.2, \"retries\": 1, \"on_unhealthy\": \"none\"}"
    service hc-tcp-closed "\"command\": [\"sleep\", \"1000\"], \"health\": {\"tcp\": $port, \"interval_s\": 0.2, \"retries\": 2, \"on_unhealthy\": \"none\"}"
    sup_start
    wait_event healthy hc-tcp 10
    capture wait_event unhealthy hc-tcp-closed 10
    assert_match "$out" '"check": "tcp"'
    assert_match "$out" 'connection refused'
    assert_eq "$(count_events healthy hc-tcp-closed)" 0
}

@test "tcp check against a host address: from bottled's own network namespace" {
    local port=$((20000 + RANDOM % 20000))
    python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); time.sleep(60)' "$port" 3>&- &
    local listener=$!
    bt_track "$listener"
    wait_for 5 sh -c "ss -ltnH 'sport = :$port' | grep -q ."
    service hc-hosttcp "\"command\": [\"sleep\", \"1000\"], \"health\": {\"tcp\": \"127.0.0.1:$port\", \"interval_s\": 0.2, \"retries\": 1, \"on_unhealthy\": \"none\"}"
    sup_start
    wait_event healthy hc-hosttcp 10
    kill "$listener"
    wait "$listener" 2>/dev/null || true
    wait_event unhealthy hc-hosttcp 10
}

@test "paused: no checks run; they resume after resume" {
    service hc-pause '"command": ["sleep", "1000"], "health": {"exec": ["sh", "-c", "echo x >> /tmp/count"], "interval_s": 0.2, "timeout_s": 0.5, "retries": 1, "on_unhealthy": "none"}'
    sup_start
    wait_event healthy hc-pause 10
    capture rpc pause '{"name": "hc-pause"}'
    if [[ $status -ne 0 && $out == *-32601* ]]; then
        skip "bottle pause is not in this branch"
    fi
    [[ $status -eq 0 ]]
    sleep 0.5
    local before after
    before=$(cat "$SUP_ROOTFS/tmp/count" | wc -l)
    sleep 1.5
    after=$(cat "$SUP_ROOTFS/tmp/count" | wc -l)
    assert_eq "$after" "$before" "checks ran while paused"
    assert_eq "$(count_events unhealthy hc-pause)" 0
    rpc resume '{"name": "hc-pause"}' >/dev/null
    wait_for 5 sh -c "[ \$(wc -l < '$SUP_ROOTFS/tmp/count') -gt $after ]"
}

@test "no health checks: an idle bottled does not wake up; with checks it does" {
    service hc-idle '"command": ["sleep", "1000"]'
    sup_start
    wait_event up hc-idle 10
    sleep 0.5
    local a b
    a=$(wakeups "$SUP_PID")
    sleep 2
    b=$(wakeups "$SUP_PID")
    assert_le $((b - a)) 1 "wake-ups of an idle bottled"
    # The same measure sees the checks of a service that has them.
    service hc-busy '"command": ["sleep", "1000"], "health": {"exec": ["true"], "interval_s": 0.2}'
    kill -HUP "$SUP_PID"
    wait_event healthy hc-busy 10
    a=$(wakeups "$SUP_PID")
    sleep 1
    b=$(wakeups "$SUP_PID")
    assert_ge $((b - a)) 3 "wake-ups with checks every 0.2 s"
}

@test "SIGQUIT while a check runs: bottled exits at once, the container keeps running" {
    service hc-quit '"command": ["sleep", "1000"], "health": {"exec": ["sleep", "30"], "interval_s": 0.2, "timeout_s": 20}'
    sup_start
    wait_event up hc-quit 10
    local init
    init=$(field "$(inspect hc-quit)" pid)
    # A check is under way (its `sleep 30` runs in the container).
    wait_for 10 container_runs hc-quit sleep30
    local t0=$SECONDS
    kill -QUIT "$SUP_PID"
    timeout 10 tail --pid="$SUP_PID" -f /dev/null
    (( SECONDS - t0 <= 3 ))
    kill -0 "$init"
    # A new bottled adopts it and checks it again.
    rm -f "$SUP_SOCK"
    sup_start
    wait_event adopted hc-quit 10
    assert_eq "$(field "$(inspect hc-quit)" health)" starting
}
