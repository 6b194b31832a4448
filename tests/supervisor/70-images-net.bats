#!/usr/bin/env bats
# bottled runs services from images (overlay over the image's layers) and on the bridge with
# published ports, and removes a dead container's network leftovers after its own crash.

load lib

@test "a service from an image: overlay over its layers, the image untouched, image rm refused while it exists" {
    "$SUP_BIN/bottle" --root "$SUP_ROOT" image import --dir "$SUP_ROOTFS" img1 >/dev/null
    SUP_NAMES+=(fromimg)
    printf '{"name": "fromimg", "image": "img1", "command": ["sh", "-c", "echo hi > /touched; rm /bin/true; exec sleep 1000"], "restart": "always"}\n' \
        >"$SUP_CONFIG/fromimg.json"
    sup_start
    wait_event up fromimg 20 >/dev/null
    local pid
    pid=$(field "$(rpc inspect '{"name": "fromimg"}')" pid)
    wait_for 10 test -e "/proc/$pid/root/touched"
    [[ ! -e /proc/$pid/root/bin/true ]]
    # the layers in the store are as imported
    [[ -z $(find "$SUP_ROOT/layers" -name touched) ]]
    [[ -n $(find "$SUP_ROOT/layers" -path '*/bin/true' | head -1) ]]
    run "$SUP_BIN/bottle" --root "$SUP_ROOT" image rm img1
    assert_eq "$status" 125
    [[ $output == *"used by"* ]]
    # a restart starts from the image again
    kill -KILL "$pid"
    wait_for 15 sh -c "[ \"\$(python3 '$RPC' '$SUP_SOCK' inspect '{\"name\": \"fromimg\"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"restarts\"])')\" = 1 ]"
    wait_event up fromimg 10 "$(rpc dump | grep '"exited"' | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')" >/dev/null
}

@test "a service of a missing image fails to start with the reason" {
    SUP_NAMES+=(noimg)
    printf '{"name": "noimg", "image": "nosuch", "command": ["true"]}\n' >"$SUP_CONFIG/noimg.json"
    sup_start
    local out
    out=$(wait_event start-failed noimg 10)
    [[ $out == *nosuch* ]]
}

@test "a bridged service with a published port is reachable from 127.0.0.1; bottled removes a dead one's network after its own crash" {
    [[ -x $SUP_BIN/bottle-net ]] || skip "bottle-net is not built"
    command -v nft >/dev/null || skip "nft is needed to check the tables"
    local n=$(($$ % 200)) port=$((20000 + $$ % 20000))
    export BOTTLE_BRIDGE=btsup$n BOTTLE_SUBNET=10.$((100 + n % 50)).$((n % 250)).0/24
    SUP_NAMES+=(web)
    service web "\"command\": [\"sh\", \"-c\", \"while :; do echo web | nc -l -p 80; done\"], \"network\": \"bridge\", \"ports\": [\"$port:80\"], \"restart\": \"always\""
    sup_start
    wait_event up web 20 >/dev/null
    local got=
    wait_for 10 eval 'got=$(timeout 5 busybox nc -w 3 127.0.0.1 '"$port"' </dev/null); [[ $got == web ]]' || true
    assert_eq "$got" web
    ip link show "$BOTTLE_BRIDGE" >/dev/null
    # bottled and the shim die: the veth, the table and the lease stay behind ...
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    local veth
    veth=$(awk -F= '$1 == "veth" { print $2 }' "$SUP_STATE/containers/web/net")
    [[ -n $veth ]]
    kill -KILL "$(cat "$SUP_STATE/containers/web/shim.pid")"
    kill -KILL "$(cat "$SUP_STATE/containers/web/pid")" 2>/dev/null || true
    sleep 0.5
    ip link show "$veth" >/dev/null
    # ... until the next bottled: shim-lost, the leftovers removed, the service restarted
    sup_start
    wait_event shim-lost web 15 >/dev/null
    wait_event up web 20 >/dev/null
    wait_for 10 eval 'got=$(timeout 5 busybox nc -w 3 127.0.0.1 '"$port"' </dev/null); [[ $got == web ]]' || true
    assert_eq "$got" web
    ! ip link show "$veth" 2>/dev/null
    # a clean stop leaves no bridge and no table
    kill -TERM "$SUP_PID"
    timeout 20 tail --pid="$SUP_PID" -f /dev/null
    SUP_PID=
    ! ip link show "$BOTTLE_BRIDGE" 2>/dev/null
    [[ -z $(nft list tables 2>/dev/null | grep -i "$BOTTLE_BRIDGE") ]]
}

teardown() {
    if [[ -n ${BOTTLE_BRIDGE:-} ]]; then
        # What a failed test left: shims killed first, then bottle-net removes their network.
        [[ -n ${SUP_PID:-} ]] && kill -KILL "$SUP_PID" 2>/dev/null
        local pid
        for pid in $(cat "$SUP_STATE"/containers/*/shim.pid 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        sleep 0.2
        "$SUP_BIN/bottle-net" reconcile "$SUP_STATE" 2>/dev/null || true
        sup_teardown
        ip link del "$BOTTLE_BRIDGE" 2>/dev/null || true
        local table
        for table in $(nft list tables 2>/dev/null | awk '{ print $3 }' | grep -i "bottle_b_$BOTTLE_BRIDGE"); do
            nft delete table ip "$table" 2>/dev/null
        done
        return 0
    fi
    sup_teardown
}
