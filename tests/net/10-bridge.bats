#!/usr/bin/env bats
# Issue 5, container networking, bridge mode: eth0 with a leased address on the test's own
# bridge, a default route, NAT to the outside, published ports from 127.0.0.1 and from another
# host, the container's /etc files, container:NAME, and nothing left behind afterwards.

load lib

@test "bridge: eth0 with an address of the subnet, a default route via the bridge, /etc files" {
    bottle_run --network bridge -- sh -c \
        'ip -4 -o addr show eth0; ip route; cat /etc/hostname; grep -v ^# /etc/hosts; cat /etc/resolv.conf'
    assert_eq "$status" 0
    assert_line "$out" "2: eth0 +inet $SUBNET_PREFIX\.2/24 .*"
    assert_line "$out" "default via $SUBNET_PREFIX\.1 dev eth0 *"
    assert_line "$out" "$NAME"
    assert_line "$out" "$SUBNET_PREFIX\.2	$NAME"
    # The host's name servers, without loopback ones.
    local server
    for server in $(awk '$1 == "nameserver" && $2 !~ /^127\./ { print $2 }' /etc/resolv.conf); do
        assert_line "$out" "nameserver $server"
    done
    assert_no_match "$out" "nameserver 127\."
    assert_net_clean "$NAME"
    assert_clean
}

@test "--bridge and --subnet override the environment" {
    local bridge=${BRIDGE:0:13}b2
    BRIDGE=$bridge # for assert_net_clean and teardown
    bottle_run --network bridge --bridge "$bridge" --subnet "10.249.$(($$ % 250)).0/28" -- \
        sh -c 'ip -4 -o addr show eth0; cat /sys/class/net/eth0/iflink'
    assert_eq "$status" 0
    assert_line "$out" "2: eth0 +inet 10\.249\.$(($$ % 250))\.2/28 .*"
    assert_net_clean "$NAME"
}

@test "two containers on the bridge reach each other" {
    net_start "$NAME-a" --network bridge -- sh -c 'echo from-a | nc -l -p 7000'
    local a
    a=$(lease_of "$NAME-a")
    assert_match "$a" "^$SUBNET_PREFIX\.[0-9]+$"
    # The server may need a moment to listen: retry the client inside the container.
    bottle_run --network bridge -- sh -c \
        "for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 2 $a 7000 </dev/null && exit 0; sleep 0.2; done; exit 1"
    assert_eq "$status" 0
    assert_eq "$out" "from-a"
    wait_gone "$NAME-a"
    assert_net_clean "$NAME" "$NAME-a"
}

@test "a container reaches a server on another host (NAT through the host)" {
    other_host_up
    echo from-other >"$BT_TMP/reply"
    # ip netns exec execs nc: $! is the server itself (killed in teardown), fd 3 (bats') closed.
    ip netns exec "$OTHER_NS" busybox nc -l -p 9000 <"$BT_TMP/reply" >/dev/null 2>&1 3>&- &
    bt_track $!
    bottle_run --network bridge -- sh -c \
        "for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 2 $OTHER_PREFIX.2 9000 </dev/null | grep from-other && break; sleep 0.2; done"
    assert_eq "$status" 0
    assert_eq "$out" "from-other"
    assert_net_clean "$NAME"
}

@test "a published port is reachable from 127.0.0.1 and from another host" {
    other_host_up
    net_start "$NAME" --network bridge -p 18080:80 -p 127.0.0.1:18081:81 -- \
        sh -c 'while :; do echo web | nc -l -p 80; done & while :; do echo local | nc -l -p 81; done'
    local got=
    wait_for 10 eval 'got=$(tcp_get 127.0.0.1 18080); [[ $got == web ]]' || true
    assert_eq "$got" "web" "from 127.0.0.1"
    got=$(tcp_get "$OTHER_NS" "$OTHER_PREFIX.1" 18080)
    assert_eq "$got" "web" "from the other host"
    got=$(tcp_get 127.0.0.1 18081)
    assert_eq "$got" "local" "a port published on 127.0.0.1"
    # Published on 127.0.0.1 only: the other host gets no answer.
    got=$(tcp_get "$OTHER_NS" "$OTHER_PREFIX.1" 18081 || true)
    assert_eq "$got" "" "127.0.0.1:18081 from the other host"
    local veth
    veth=$(net_veth_of "$NAME")
    ip link show "$veth" >/dev/null
    [[ -n $(net_our_tables | grep bottle_c_) ]]
    kill -TERM "$(<"$BOTTLE_STATE/containers/$NAME/shim.pid")"
    wait_gone "$NAME"
    assert_net_clean "$NAME"
}

@test "--network container:NAME shares another container's network namespace" {
    net_start "$NAME-a" --network bridge -- sleep 30
    local a
    a=$(lease_of "$NAME-a")
    bottle_run --network "container:$NAME-a" -- ip -4 -o addr show eth0
    assert_eq "$status" 0
    assert_match "$out" "inet $a/24"
    kill -TERM "$(<"$BOTTLE_STATE/containers/$NAME-a/shim.pid")"
    wait_gone "$NAME-a"
    assert_net_clean "$NAME" "$NAME-a"
}

@test "bad network options: one line, exit 125, nothing made" {
    local args
    for args in "--network bogus" "-p 80:80" "--network bridge -p 99999:80" \
        "--network bridge -p 1.2.3:80:80" "--network bridge --subnet 10.0.0.1/24" \
        "--network bridge --bridge way-too-long-bridge-name" "--network container:../x"; do
        # shellcheck disable=SC2086
        bottle_run $args -- true
        assert_eq "$status" 125 "$args"
        assert_one_line "$err" "$args"
    done
    assert_net_clean "$NAME"
    assert_clean
}

@test "after a crash, bottle-net reconcile removes the veth, table, lease and bridge" {
    net_start "$NAME" --network bridge -p 18090:80 -- sleep 60
    local veth
    veth=$(net_veth_of "$NAME")
    ip link show "$veth" >/dev/null
    [[ -n $(lease_of "$NAME") ]]
    net_kill_shims
    wait_for 5 test ! -e "/proc/$(<"$BOTTLE_STATE/containers/$NAME/shim.pid")"
    # The shim died: everything is still there...
    ip link show "$BRIDGE" >/dev/null
    [[ -n $(net_our_tables | grep bottle_c_) ]]
    # ...until a reconcile (what bottled does on start).
    capture "$NET" reconcile "$BOTTLE_STATE"
    assert_eq "$status" 0
    # The netns is the stale-state code's (bottle-shim's next start, bottle rm): here by hand.
    umount -l "/run/netns/$NAME" 2>/dev/null; rm -f "/run/netns/$NAME"
    rm -rf "$BOTTLE_STATE/containers/$NAME"
    assert_net_clean "$NAME"
}

@test "after a crash, the next start of the same name cleans up and gets an address" {
    net_start "$NAME" --network bridge -- sleep 60
    local first
    first=$(lease_of "$NAME")
    net_kill_shims
    wait_for 5 test ! -e "/proc/$(<"$BOTTLE_STATE/containers/$NAME/shim.pid")"
    bottle_run --network bridge -- ip -4 -o addr show eth0
    assert_eq "$status" 0
    assert_match "$out" "inet $SUBNET_PREFIX\.[0-9]+/24"
    assert_net_clean "$NAME"
}

@test "bottle rm of a container whose shim died removes its network" {
    net_start "$NAME" --network bridge -p 18091:80 -- sleep 60
    ip link show "$(net_veth_of "$NAME")" >/dev/null
    net_kill_shims
    wait_for 5 test ! -e "/proc/$(<"$BOTTLE_STATE/containers/$NAME/shim.pid")"
    capture run_timeout 30 "$BOTTLE" rm "$NAME"
    assert_eq "$status" 0
    assert_net_clean "$NAME"
    assert_clean
}
