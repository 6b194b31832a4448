#!/usr/bin/env bats
# SIGKILL bottled at any moment: in the middle of starts and of stops. The next bottled
# re-attaches, finishes what was going on, and never runs two instances of one service.

load lib

shims_of() {
    pgrep -c -f -- "bottle-shim --bundle [^ ]* --id $1 " || true
}

@test "SIGKILL bottled in the middle of starts: every service ends up running exactly once" {
    local name
    for name in s1 s2 s3 s4 s5 s6; do
        service $name '"command": ["sleep", "1000"], "restart": "always"'
    done
    sup_start
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    sup_start
    sleep 0.3
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    sup_start
    for name in s1 s2 s3 s4 s5 s6; do
        wait_for 20 sh -c "python3 '$RPC' '$SUP_SOCK' inspect '{\"name\": \"$name\"}' | grep -q '\"state\": \"running\"'"
    done
    sleep 1
    for name in s1 s2 s3 s4 s5 s6; do
        assert_eq "$(shims_of $name)" 1 "shims of $name"
        local pid
        pid=$(field "$(rpc inspect "{\"name\": \"$name\"}")" pid)
        kill -0 "$pid"
        # one container: its cgroup holds the init and its sleep, nothing of a second start
        local procs
        procs=$(cat /sys/fs/cgroup/pids/"$SUP_CG"/$name/cgroup.procs 2>/dev/null | wc -l)
        [[ ! -d /sys/fs/cgroup/pids ]] || assert_eq "$procs" 2 "processes of $name"
    done
}

@test "SIGKILL bottled in the middle of a stop: the next bottled finishes it and the service stays down" {
    service stubborn '"command": ["sh", "-c", "trap \"\" TERM; echo up; while :; do sleep 1; done"], "restart": "always", "stop": {"timeout_s": 3}'
    sup_start
    wait_event up stubborn 10
    local pid
    pid=$(field "$(rpc inspect '{"name": "stubborn"}')" pid)
    rpc stop '{"name": "stubborn"}' >/dev/null
    wait_event stopping stubborn 5 >/dev/null
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    kill -0 "$pid"
    sup_start
    # the stop goes on (SIGKILL after the timeout) and nothing restarts it
    wait_for 15 sh -c "! kill -0 $pid 2>/dev/null"
    wait_event stopped stubborn 10 >/dev/null
    sleep 1
    local ps
    ps=$(rpc inspect '{"name": "stubborn"}')
    assert_eq "$(field "$ps" state)" down
    assert_eq "$(field "$ps" wanted)" down
    assert_eq "$(shims_of stubborn)" 0
}

@test "a container that exited while bottled was away is restarted by the next one, with its restart count kept" {
    service flappy '"command": ["sleep", "1000"], "restart": "always"'
    sup_start
    wait_event up flappy 10
    local since
    since=$(rpc dump | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
    kill -KILL "$(field "$(rpc inspect '{"name": "flappy"}')" pid)"
    wait_event up flappy 10 "$since" >/dev/null
    assert_eq "$(field "$(rpc inspect '{"name": "flappy"}')" restarts)" 1
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    local pid
    pid=$(pgrep -f -- "--id flappy " | head -1)
    kill -KILL "$(cat "$SUP_STATE/containers/flappy/pid")"
    wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
    sup_start
    wait_event up flappy 15 >/dev/null
    local ps
    ps=$(rpc inspect '{"name": "flappy"}')
    assert_eq "$(field "$ps" state)" running
    assert_eq "$(field "$ps" restarts)" 2
    assert_eq "$(field "$(rpc dump | grep '"exited"' | tail -1)" signal)" 9
}
