# Helpers for the network suite: on top of the shim suite's (private rootfs, state dir, cgroup
# parent, names), every test gets its own bridge ($BRIDGE), subnet ($SUBNET_PREFIX.0/24) and,
# when it asks for one, an "other host": a netns of its own ($OTHER_NS) joined to the host by a
# veth ($OTHER_VETH, host side $OTHER_PREFIX.1, other side $OTHER_PREFIX.2). Traffic goes only
# to loopback, to the test's containers and to that netns. Teardown removes what bottle or the
# test made (links, netns, nft tables, leases), also when a test fails; assert_net_clean checks
# that bottle itself left nothing.

load ../shim/lib

NET=$BT_BIN/bottle-net

net_setup() {
    shim_setup
    [[ -x $NET ]] || skip "$NET is not built"
    command -v nft >/dev/null || skip "nft (package nftables) is needed to check the tables"
    command -v ip >/dev/null || skip "ip (package iproute2) is needed"
    local n=$((BATS_TEST_NUMBER % 50)) p=$(($$ % 250))
    BRIDGE=btn$$x$n
    BRIDGE=${BRIDGE:0:15}
    SUBNET_PREFIX=10.$((200 + n)).$p
    OTHER_PREFIX=10.$((150 + n)).$p
    OTHER_NS=bto-$$-$n
    OTHER_VETH=bvo$$x$n
    OTHER_VETH=${OTHER_VETH:0:15}
    BOTTLE_BRIDGE=$BRIDGE
    BOTTLE_SUBNET=$SUBNET_PREFIX.0/24
    export BOTTLE_BRIDGE BOTTLE_SUBNET
}

net_teardown() {
    local table
    # The shims first (SIGKILL: they cannot clean up), then what they left: bottle-net
    # reconcile finds it from the records in our state dir.
    for pid in "${BT_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    net_kill_shims
    [[ -d ${BOTTLE_STATE:-/nonexistent} ]] && "$NET" reconcile "$BOTTLE_STATE" 2>/dev/null
    # Belt and braces, by name: the bridge and its table, tables that name our containers,
    # the other host.
    ip link del "$BRIDGE" 2>/dev/null
    for table in $(net_our_tables); do
        nft delete table ip "$table" 2>/dev/null
    done
    # Named netns of containers whose shim was killed ($NAME is shim_teardown's, $NAME-* ours).
    local ns
    for ns in /run/netns/"$NAME"-*; do
        [[ -e $ns ]] || continue
        umount -l "$ns" 2>/dev/null
        rm -f "$ns"
    done
    if [[ -n ${OTHER_NS:-} ]]; then
        ip netns del "$OTHER_NS" 2>/dev/null
        ip link del "$OTHER_VETH" 2>/dev/null
    fi
    shim_teardown
}

setup() { net_setup; }
teardown() { net_teardown; }

# net_kill_shims: SIGKILLs every shim with a pid file in our state dir (detached ones are not
# our children) and the processes of their containers.
net_kill_shims() {
    local file pid
    for file in "$BOTTLE_STATE"/containers/*/shim.pid "$BOTTLE_STATE"/containers/*/pid; do
        [[ -f $file ]] || continue
        pid=$(<"$file")
        [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
    done
    return 0
}

# net_our_tables: nft tables (ip family) that are this test's: its bridge's, and containers'
# whose comment names one of its containers ($NAME, $NAME-*).
net_our_tables() {
    local table
    for table in $(nft list tables ip 2>/dev/null | awk '{ print $3 }'); do
        if [[ $table == "bottle_b_$BRIDGE" ]]; then
            echo "$table"
        elif [[ $table == bottle_c_* ]] &&
            nft list table ip "$table" 2>/dev/null | grep -qE "comment \"bottle container $NAME(-[^\"]*)?\""; then
            echo "$table"
        fi
    done
}

# net_veth_of NAME: the host-side veth bottle gives container NAME ("bt" + FNV-1a of its state
# dir, as lib/net-config.c names it).
net_veth_of() {
    local text="$BOTTLE_STATE/containers/$1" hash=2166136261 i c
    for ((i = 0; i < ${#text}; i++)); do
        printf -v c '%d' "'${text:i:1}"
        hash=$(((hash ^ c) * 16777619 & 0xffffffff))
    done
    printf 'bt%08x\n' "$hash"
}

# assert_net_clean NAME...: nothing bottle made for these containers or this test's bridge is
# left: no veth, no named netns, no nft table, no lease, no bridge.
assert_net_clean() {
    local left=() name veth
    for name; do
        veth=$(net_veth_of "$name")
        [[ -e /run/netns/$name ]] && left+=("netns /run/netns/$name")
        ip link show "$veth" &>/dev/null && left+=("link $veth")
    done
    ip link show "$BRIDGE" &>/dev/null && left+=("bridge $BRIDGE")
    local tables
    tables=$(net_our_tables)
    [[ -n $tables ]] && left+=("nft tables: $tables")
    if [[ -s $BOTTLE_STATE/net/$BRIDGE.leases ]] &&
        grep -qv -- ' -next$' "$BOTTLE_STATE/net/$BRIDGE.leases"; then
        left+=("leases: $(grep -v -- ' -next$' "$BOTTLE_STATE/net/$BRIDGE.leases")")
    fi
    ((${#left[@]} == 0)) && return 0
    printf 'left behind: %s\n' "${left[@]}" >&2
    return 1
}

# other_host_up: the test's "other host" netns, with a veth to the host.
other_host_up() {
    ip netns add "$OTHER_NS"
    ip link add "$OTHER_VETH" type veth peer name eth0 netns "$OTHER_NS"
    ip addr add "$OTHER_PREFIX.1/24" dev "$OTHER_VETH"
    ip link set "$OTHER_VETH" up
    ip -n "$OTHER_NS" link set lo up
    ip -n "$OTHER_NS" addr add "$OTHER_PREFIX.2/24" dev eth0
    ip -n "$OTHER_NS" link set eth0 up
    ip -n "$OTHER_NS" route add default via "$OTHER_PREFIX.1"
}

# lease_of NAME: the address leased to container NAME on $BRIDGE.
lease_of() {
    awk -v id="$1" '$2 == id { print $1 }' "$BOTTLE_STATE/net/$BRIDGE.leases" 2>/dev/null
}

# tcp_get [NETNS] HOST PORT: connects (3 s at most) and prints what the server sends.
tcp_get() {
    local ns=
    if (($# == 3)); then
        ns=$1
        shift
    fi
    if [[ -n $ns ]]; then
        timeout 5 ip netns exec "$ns" busybox nc -w 3 "$1" "$2" </dev/null
    else
        timeout 5 busybox nc -w 3 "$1" "$2" </dev/null
    fi
}

# net_start NAME [OPTIONS] [--] CMD...: `bottle run -d --rm` of container NAME on $ROOTFS.
net_start() {
    local name=$1
    shift
    run_timeout 30 "$BOTTLE" run -d --rm --name "$name" --rootfs "$ROOTFS" "$@"
}

# wait_gone NAME [SECS]: until container NAME's state dir is gone.
wait_gone() {
    wait_for "${2:-10}" test ! -e "$BOTTLE_STATE/containers/$1"
}
