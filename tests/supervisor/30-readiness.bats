#!/usr/bin/env bats
# Readiness: sd_notify (READY=1 on the NOTIFY_SOCKET the shim offers), the s6 notification fd,
# the first passing health check, the start timeout, and readiness kept across a SIGKILL of
# bottled.

load lib

HELPERS=$BOTTLE_BUILD/tests/helpers

# add_notify_helper: copies sd-notify (with the libraries it needs) into the rootfs' /helpers.
add_notify_helper() {
    local lib
    [[ -x $HELPERS/sd-notify ]] || skip "$HELPERS/sd-notify is not built"
    mkdir -p "$SUP_ROOTFS/helpers"
    cp "$HELPERS/sd-notify" "$SUP_ROOTFS/helpers/"
    for lib in $(ldd "$HELPERS/sd-notify" | grep -oE '/[^ ]+'); do
        [[ -e $SUP_ROOTFS$lib ]] || cp -L --parents "$lib" "$SUP_ROOTFS"
    done
}

# The events bottled logged (-v), read from its log: instant, unlike a replay over the socket.
# event_ms TYPE NAME: the time (ms since the epoch) of the last event TYPE of NAME, or nothing.
event_ms() {
    python3 - "$BT_TMP/bottled.log" "$1" "$2" <<'PY'
import json, sys
t = [e["time_ns"] for e in (json.loads(l.split("event ", 1)[1]) for l in open(sys.argv[1])
                            if l.startswith("bottled: event "))
     if e["type"] == sys.argv[2] and e["name"] == sys.argv[3]]
print(t[-1] // 1000000 if t else "")
PY
}

# count_events TYPE NAME: how many events TYPE of NAME bottled logged (all its runs).
count_events() {
    grep -c "^bottled: event {.*\"type\":\"$1\",\"name\":\"$2\"" "$BT_TMP/bottled.log" || true
}

@test "sd_notify: READY=1 sent after 2 s is reported after 2 s and not before; STATUS= alone is not ready" {
    add_notify_helper
    service rd-notified '"command": ["sh", "-c", "echo \"socket=$NOTIFY_SOCKET\"; /helpers/sd-notify STATUS=warming; sleep 2; /helpers/sd-notify STATUS=done READY=1; exec sleep 1000"], "readiness": "sd_notify"'
    sup_start
    wait_event up rd-notified 10
    wait_event ready rd-notified 10
    # bottled's own clock: the STATUS= sent at once did not count, the READY=1 2 s later did.
    local up ready
    up=$(event_ms up rd-notified)
    ready=$(event_ms ready rd-notified)
    assert_ge $((ready - up)) 1900 "ready came too early"
    assert_le $((ready - up)) 8000 "ready came too late"
    assert_eq "$(count_events ready rd-notified)" 1
    # The variable the service saw, and the socket's host side under the state dir.
    grep -rq 'socket=/run/notify/notify.sock' "$SUP_ROOT/containers/rd-notified" || {
        echo "NOTIFY_SOCKET not seen in the log"
        false
    }
    [[ -S $SUP_STATE/containers/rd-notified/notify/notify.sock ]]
    [[ -f $SUP_STATE/containers/rd-notified/ready ]]
    # The shim says so too.
    local state
    state=$(timeout 10 python3 "$RPC" "$SUP_STATE/containers/rd-notified/shim.sock" state)
    assert_eq "$(field "$state" ready)" True
}

@test "sd_notify: READY=1 from a process outside the container is ignored" {
    add_notify_helper
    service rd-shy '"command": ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; /helpers/sd-notify READY=1; exec sleep 1000"], "readiness": "sd_notify"'
    sup_start
    wait_event up rd-shy 10
    # The host's root reaches the socket through the state dir; it is not the container.
    NOTIFY_SOCKET=$SUP_STATE/containers/rd-shy/notify/notify.sock "$HELPERS/sd-notify" READY=1
    sleep 0.5
    assert_eq "$(count_events ready rd-shy)" 0 "a host process made it ready"
    [[ ! -e $SUP_STATE/containers/rd-shy/ready ]]
    "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" exec rd-shy touch /tmp/go
    wait_event ready rd-shy 10
}

@test "readiness fd 3: a newline written to fd 3 makes it ready; the service had fd 3 and nothing else" {
    service rd-fdready '"command": ["sh", "-c", "ls /proc/self/fd > /tmp/fds; sleep 1; echo >&3; exec sleep 1000"], "readiness": {"fd": 3}'
    sup_start
    wait_event up rd-fdready 10
    wait_event ready rd-fdready 10
    local up ready
    up=$(event_ms up rd-fdready)
    ready=$(event_ms ready rd-fdready)
    assert_ge $((ready - up)) 900 "ready came too early"
    capture "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" exec rd-fdready cat /tmp/fds
    # ls's own fd for the directory is the one after 3.
    assert_eq "$(echo $out)" "0 1 2 3 4"
}

@test "readiness fd 5: closing the fd without a newline is not ready" {
    service rd-closer '"command": ["sh", "-c", "exec 5>&-; exec sleep 1000"], "readiness": {"fd": 5}'
    sup_start
    wait_event up rd-closer 10
    sleep 1
    assert_eq "$(count_events ready rd-closer)" 0
    [[ ! -e $SUP_STATE/containers/rd-closer/ready ]]
    local state
    state=$(timeout 10 python3 "$RPC" "$SUP_STATE/containers/rd-closer/shim.sock" state)
    assert_eq "$(field "$state" ready)" False
}

@test "readiness health: ready at the first passing check, not before" {
    service rd-checked '"command": ["sh", "-c", "sleep 1.5; touch /tmp/ok; exec sleep 1000"], "readiness": "health", "health": {"exec": ["test", "-e", "/tmp/ok"], "interval_s": 0.2, "retries": 100}'
    sup_start
    wait_event up rd-checked 10
    wait_event ready rd-checked 10
    local up ready healthy
    up=$(event_ms up rd-checked)
    ready=$(event_ms ready rd-checked)
    healthy=$(event_ms healthy rd-checked)
    assert_ge $((ready - up)) 1400 "ready before the check could pass"
    [[ -n $healthy ]]
    assert_le "$healthy" "$ready"
}

@test "start timeout: no READY=1 within start_timeout_s is a failure; the policy restarts it" {
    service rd-slow '"command": ["sleep", "1000"], "readiness": "sd_notify", "start_timeout_s": 1, "restart": "on-failure:2", "backoff": {"initial_ms": 10}'
    sup_start
    wait_event up rd-slow 10
    local t0=$SECONDS
    capture wait_event start-timeout rd-slow 10
    [[ $status -eq 0 ]]
    (( SECONDS - t0 <= 4 ))
    capture wait_event exited rd-slow 10
    assert_match "$out" '"type": "exited".*"signal": 9'
    # Two failures in a row: on-failure:2 gives up.
    wait_event gave-up rd-slow 15
    assert_eq "$(count_events start-timeout rd-slow)" 2
    assert_eq "$(field "$(rpc inspect '{"name": "rd-slow"}')" failures)" 2
}

@test "readiness health survives a SIGKILL of bottled even when the checks fail afterwards" {
    service rd-hready '"command": ["sleep", "1000"], "readiness": "health", "health": {"exec": ["sh", "-c", "! test -e /tmp/fail"], "interval_s": 0.2, "retries": 1000, "on_unhealthy": "none"}'
    sup_start
    wait_event ready rd-hready 10
    [[ -f $SUP_STATE/containers/rd-hready/ready ]]
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    rm -f "$SUP_SOCK"
    # From now on every check fails: only the recorded readiness can make it ready again.
    "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" exec rd-hready touch /tmp/fail
    sup_start
    wait_event adopted rd-hready 10
    wait_event ready rd-hready 10
    assert_eq "$(count_events healthy rd-hready)" 1 "a check passed after the adoption"
}

@test "a ready service is not timed out" {
    service rd-quick '"command": ["sh", "-c", "echo >&3; exec sleep 1000"], "readiness": {"fd": 3}, "start_timeout_s": 1'
    sup_start
    wait_event ready rd-quick 10
    sleep 1.5
    assert_eq "$(count_events start-timeout rd-quick)" 0
    assert_eq "$(field "$(rpc inspect '{"name": "rd-quick"}')" state)" running
}

@test "readiness survives a SIGKILL of bottled: ready before, and ready while it was away" {
    add_notify_helper
    service rd-early '"command": ["sh", "-c", "/helpers/sd-notify READY=1; exec sleep 1000"], "readiness": "sd_notify"'
    service rd-late '"command": ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; echo >&3; exec sleep 1000"], "readiness": {"fd": 3}'
    service rd-never '"command": ["sleep", "1000"], "readiness": "sd_notify", "start_timeout_s": 0'
    sup_start
    wait_event ready rd-early 10
    wait_event up rd-late 10
    wait_event up rd-never 10
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    rm -f "$SUP_SOCK"
    # rd-late becomes ready while no bottled runs.
    "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" exec rd-late touch /tmp/go
    wait_for 5 test -e "$SUP_STATE/containers/rd-late/ready"
    sup_start
    wait_event adopted rd-early 10
    wait_event ready rd-early 10
    wait_event ready rd-late 10
    wait_event adopted rd-never 10
    sleep 0.5
    assert_eq "$(count_events ready rd-never)" 0 "rd-never became ready"
}

# run_bundle NAME PYTHON CMD...: `bottle run --bundle` in the foreground of the default spec on
# the test's rootfs with PYTHON applied (the spec is `c`), captured.
run_bundle() {
    local name=$1 code=$2
    shift 2
    SUP_NAMES+=("$name")
    mkdir -p "$BT_TMP/bundle-$name"
    "$SUP_BIN/bottle" spec --rootfs "$SUP_ROOTFS" >"$BT_TMP/bundle-$name/config.json"
    python3 - "$BT_TMP/bundle-$name/config.json" "$code" "$SUP_CG/$name" "$@" <<'PY'
import json, sys
path, code, cgroup, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(path) as f:
    c = json.load(f)
c["process"]["terminal"] = False
c["process"]["args"] = args
c["linux"]["cgroupsPath"] = "/" + cgroup
exec(code)
with open(path, "w") as f:
    json.dump(c, f, indent=2)
PY
    capture timeout 30 "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" run \
        --name "$name" --bundle "$BT_TMP/bundle-$name"
}

@test "bottle-shim: the annotation offers NOTIFY_SOCKET to a bundle run by hand; a bad value is refused" {
    add_notify_helper
    run_bundle rd-run "c['annotations'] = {'org.bottle.readiness': 'sd_notify'}" \
        sh -c 'echo "socket=$NOTIFY_SOCKET"; /helpers/sd-notify READY=1 && echo delivered'
    [[ $status -eq 0 ]]
    assert_line "$out" 'socket=/run/notify/notify.sock'
    # The barrier came back: the shim read the message (and closed the fd it was passed).
    assert_line "$out" 'delivered'
    # Without the annotation there is no socket.
    run_bundle rd-plain "" sh -c 'echo "socket=${NOTIFY_SOCKET:-none}"; test ! -e /run/notify/notify.sock'
    [[ $status -eq 0 ]]
    assert_line "$out" 'socket=none'
    local value
    for value in fd:2 fd:x sd-notify; do
        run_bundle rd-bad "c['annotations'] = {'org.bottle.readiness': '$value'}" true
        assert_eq "$status" 125 "$value"
        assert_eq "$(printf '%s\n' "$err" | grep -c .)" 1 "one line for $value"
        assert_match "$err" "annotation org.bottle.readiness: $value"
        [[ ! -e $SUP_STATE/containers/rd-bad ]]
    done
}
