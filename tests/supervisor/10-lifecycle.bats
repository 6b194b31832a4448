#!/usr/bin/env bats
# bottled keeps services alive: restart policies, backoff, stop with a timeout, OOM as the exit
# reason, re-adoption after its own SIGKILL, SIGTERM shutdown, a hostile client.

load lib

@test "restart always: a crash loop backs off 0, 100, 200, 400, 800 ms; the socket stays responsive" {
    service crash '"command": ["sh", "-c", "exit 3"], "restart": "always"'
    sup_start
    # 0 + 100 + 200 + 400 + 800 ms of backoff, plus five container starts.
    wait_for 15 sh -c "python3 '$RPC' '$SUP_SOCK' dump | grep -c '\"backoff\"' | grep -qE '^([6-9]|[1-9][0-9])$'"
    local delays
    delays=$(rpc dump | python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["delay_ms"]) for l in sys.stdin if json.loads(l)["type"] == "backoff"))')
    [[ $delays == "0 100 200 400 800"* ]] || { echo "delays: $delays"; false; }
    # The starts really are that far apart (the timers are not sleeps): between the 2nd and the
    # 5th "starting" at least 100 + 200 + 400 ms passed.
    local span
    span=$(rpc dump | python3 -c '
import json, sys
t = [json.loads(l)["time_ns"] for l in sys.stdin if json.loads(l)["type"] == "starting"]
print((t[4] - t[1]) // 1000000)')
    (( span >= 700 )) || { echo "span $span ms"; false; }
    local ps
    ps=$(rpc inspect '{"name": "crash"}')
    (( $(field "$ps" restarts) >= 5 ))
    (( $(field "$ps" failures) >= 5 ))
}

@test "restart no: the service runs once" {
    service once '"command": ["sh", "-c", "exit 0"], "restart": "no"'
    sup_start
    wait_event stopped once 10
    sleep 0.5
    local ps
    ps=$(rpc inspect '{"name": "once"}')
    assert_eq "$(field "$ps" state)" down
    assert_eq "$(field "$ps" restarts)" 0
}

@test "on-failure:2 gives up after two failures in a row; exit 0 is no failure" {
    service flaky '"command": ["sh", "-c", "exit 1"], "restart": "on-failure:2", "backoff": {"initial_ms": 10}'
    service fine '"command": ["sh", "-c", "exit 0"], "restart": "on-failure"'
    sup_start
    wait_event gave-up flaky 10
    wait_event stopped fine 10
    local ps
    ps=$(rpc inspect '{"name": "flaky"}')
    assert_eq "$(field "$ps" failures)" 2
    assert_eq "$(field "$(rpc inspect '{"name": "fine"}')" restarts)" 0
}

@test "stop: a service that ignores SIGTERM is gone after its timeout, with all its children" {
    service stubborn '"command": ["sh", "-c", "trap \"\" TERM; sleep 1000 & sleep 1000 & echo up; wait"], "stop": {"timeout_s": 1}'
    sup_start
    wait_event up stubborn 10
    local t0=$SECONDS
    rpc stop '{"name": "stubborn"}' >/dev/null
    wait_event stopped stubborn 10
    (( SECONDS - t0 <= 5 ))
    # Nothing of it is left in its cgroup.
    local procs
    procs=$(cat /sys/fs/cgroup/pids/"$SUP_CG"/stubborn/cgroup.procs 2>/dev/null || true)
    assert_eq "$procs" ""
    assert_eq "$(field "$(rpc inspect '{"name": "stubborn"}')" wanted)" down
}

@test "an OOM kill under a 32 MiB limit is reported as the exit reason and counts as a failure" {
    service hog '"command": ["sh", "-c", "x=a; while :; do x=$x$x; done"], "resources": {"memory": "32M"}, "restart": "on-failure:1"'
    sup_start
    capture wait_event gave-up hog 30
    assert_match "$out" '"oom": true'
}

@test "re-adoption: SIGKILL bottled, the container keeps running, a new bottled adopts it and restarts it when it dies" {
    service keep '"command": ["sleep", "1000"], "restart": "always"'
    sup_start
    wait_event up keep 10
    local init
    init=$(field "$(rpc inspect '{"name": "keep"}')" pid)
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    kill -0 "$init"
    rm -f "$SUP_SOCK"
    sup_start
    wait_event adopted keep 10
    assert_eq "$(field "$(rpc inspect '{"name": "keep"}')" pid)" "$init"
    kill -KILL "$init"
    wait_event up keep 10 3
    local again
    again=$(field "$(rpc inspect '{"name": "keep"}')" pid)
    [[ $again != "$init" ]]
}

@test "a stop by hand survives a restart of bottled (unless-stopped)" {
    service manual '"command": ["sleep", "1000"], "restart": "unless-stopped"'
    sup_start
    wait_event up manual 10
    rpc stop '{"name": "manual"}' >/dev/null
    wait_event stopped manual 10
    kill -TERM "$SUP_PID"
    timeout 10 tail --pid="$SUP_PID" -f /dev/null
    sup_start
    sleep 1
    assert_eq "$(field "$(rpc inspect '{"name": "manual"}')" state)" down
}

@test "SIGTERM stops every container and bottled exits; SIGQUIT leaves them running" {
    service a '"command": ["sleep", "1000"], "restart": "always"'
    service b '"command": ["sleep", "1000"], "restart": "always"'
    sup_start
    wait_event up a 10
    wait_event up b 10
    local pa pb
    pa=$(field "$(rpc inspect '{"name": "a"}')" pid)
    kill -QUIT "$SUP_PID"
    timeout 10 tail --pid="$SUP_PID" -f /dev/null
    kill -0 "$pa"
    rm -f "$SUP_SOCK"
    sup_start
    wait_event adopted a 10
    kill -TERM "$SUP_PID"
    timeout 20 tail --pid="$SUP_PID" -f /dev/null
    ! kill -0 "$pa" 2>/dev/null
    [[ -z $(ls "$SUP_STATE/containers" 2>/dev/null) ]]
}

@test "garbage and oversize lines on the socket get errors; other clients are served" {
    service idle '"command": ["sleep", "1000"]'
    sup_start
    capture rpc raw 'not json'
    assert_match "$out" "-32700"
    capture rpc raw '{"jsonrpc": "2.0", "id": 7, "method": "nope"}'
    assert_match "$out" "-32601"
    python3 - "$SUP_SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
try:
    s.sendall(b"x" * (1 << 20))
except OSError:
    pass
PY
    capture rpc ps
    assert_eq "$status" 0
    assert_match "$out" '"idle"'
}

@test "bottle start/stop/restart/events talk to bottled; without bottled they say how to start it" {
    service web '"command": ["sleep", "1000"]'
    sup_start
    wait_event up web 10
    capture run_timeout 20 "$SUP_BIN/bottle" --state "$SUP_STATE" stop web
    assert_eq "$status" 0 "$err"
    wait_event stopped web 10
    capture run_timeout 20 "$SUP_BIN/bottle" --state "$SUP_STATE" start web
    assert_eq "$status" 0 "$err"
    capture run_timeout 3 "$SUP_BIN/bottle" --state "$SUP_STATE" events
    assert_match "$out" '"type":"stopped","name":"web"'
    capture run_timeout 20 "$SUP_BIN/bottle" --state "$SUP_STATE" stop nosuch
    assert_eq "$status" 125
    assert_match "$err" "no such service"
    kill -TERM "$SUP_PID"
    timeout 20 tail --pid="$SUP_PID" -f /dev/null
    capture run_timeout 20 "$SUP_BIN/bottle" --state "$SUP_STATE" stop web
    assert_eq "$status" 125
    [[ -n $err && $err != *$'\n'* ]]
    assert_match "$err" "bottled is not running.*bottled --config"
}
