#!/usr/bin/env bats
# bottle run -d belongs to bottled when it runs (as docker's to dockerd): the flags become a
# service that bottled supervises, with docker's --restart.

load lib

brun() {
    timeout 30 "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" "$@"
}

@test "run -d --restart always: bottled supervises it, restarts it when it dies, rm -f removes it" {
    sup_start
    SUP_NAMES+=(r1)
    run brun run -d --restart always --name r1 -e GREETING=hi -m 64m --pids-limit 50 \
        --rootfs "$SUP_ROOTFS" -- sh -c 'echo "$GREETING from $(hostname)"; exec sleep 1000'
    assert_eq "$status" 0
    assert_eq "$output" r1
    wait_event up r1 10 >/dev/null
    local pid
    pid=$(field "$(rpc inspect '{"name": "r1"}')" pid)
    kill -0 "$pid"
    # the limits reached the cgroup
    if [[ -f /sys/fs/cgroup/pids/$SUP_CG/r1/pids.max ]]; then
        assert_eq "$(cat /sys/fs/cgroup/pids/$SUP_CG/r1/pids.max)" 50
    fi
    wait_for 10 sh -c "'$SUP_BIN/bottle' --state '$SUP_STATE' --root '$SUP_ROOT' logs r1 | grep -q 'hi from r1'"
    kill -KILL "$pid"
    wait_for 15 sh -c "[ \"\$(python3 '$RPC' '$SUP_SOCK' inspect '{\"name\": \"r1\"}' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"restarts\"], d[\"state\"])')\" = '1 running' ]"
    # a name in use is refused, as docker does
    run brun run -d --name r1 --rootfs "$SUP_ROOTFS" -- true
    assert_eq "$status" 125
    [[ $output == *"already in use"* ]]
    local now
    now=$(field "$(rpc inspect '{"name": "r1"}')" pid)
    run brun rm -f r1
    assert_eq "$status" 0
    wait_for 15 sh -c "! kill -0 $now 2>/dev/null"
    wait_for 10 sh -c "! python3 '$RPC' '$SUP_SOCK' inspect '{\"name\": \"r1\"}' >/dev/null 2>&1"
}

@test "run -d without --restart under bottled: restart no, the container runs once" {
    sup_start
    SUP_NAMES+=(r2)
    run brun run -d --name r2 --rootfs "$SUP_ROOTFS" -- sh -c 'exit 3'
    assert_eq "$status" 0
    wait_event stopped r2 10 >/dev/null
    local ps
    ps=$(rpc inspect '{"name": "r2"}')
    assert_eq "$(field "$ps" restarts)" 0
    assert_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["last_exit"]["code"])' "$ps")" 3
    brun rm r2
}

@test "run --restart: without -d, without bottled, or with what a service cannot say: one line, exit 125" {
    run brun run --restart always --rootfs "$SUP_ROOTFS" -- true
    assert_eq "$status" 125
    [[ $output == *"needs -d"* ]]
    run brun run -d --restart always --name r3 --rootfs "$SUP_ROOTFS" -- true
    assert_eq "$status" 125
    assert_eq "${#lines[@]}" 1
    [[ $output == *"bottled is not running"* ]]
    sup_start
    run brun run -d -t --restart always --name r3 --rootfs "$SUP_ROOTFS" -- true
    assert_eq "$status" 125
    [[ $output == *"cannot be combined with -t"* ]]
    run brun run -d --restart sometimes --name r3 --rootfs "$SUP_ROOTFS" -- true
    assert_eq "$status" 125
    [[ $output == *"restart"* ]]
    run rpc inspect '{"name": "r3"}'
    [[ $status -ne 0 ]]
}
