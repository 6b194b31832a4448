#!/usr/bin/env bats
# Issue 3, "Namespaces": a container gets new mount, uts, ipc, pid, net and cgroup namespaces
# (--network host shares the host's; --userns adds a user namespace whose root is host uid
# 100000); its network namespace is named under /run/netns while it runs.

load lib

# ns_of PID TYPE: the namespace PID is in, e.g. "net:[4026531840]".
ns_of() {
    readlink "/proc/$1/ns/$2"
}

@test "a container has its own mount, uts, ipc, pid, net and cgroup namespaces" {
    bottle_start -- sh -c 'echo ready; read -r _ || :'
    wait_bg_out '^ready$'
    local init_pid type
    init_pid=$(container_pid)
    [[ -n $init_pid ]]
    for type in mnt uts ipc pid net cgroup; do
        [[ $(ns_of "$init_pid" "$type") != "$(ns_of $$ "$type")" ]] || {
            echo "the container shares the host's $type namespace" >&2
            false
        }
    done
    assert_eq "$(ns_of "$init_pid" user)" "$(ns_of $$ user)" "no user namespace by default"
    bottle_finish
    assert_eq "$status" 0
    assert_clean
}

@test "--network none (and the default): only lo" {
    bottle_run --network none -- sh -c 'ls /sys/class/net; tail -n +3 /proc/net/dev | cut -d: -f1'
    assert_eq "$status" 0
    assert_eq "$(tr -d ' ' <<<"$out")" $'lo\nlo'
    bottle_run -- ls /sys/class/net
    assert_eq "$status" 0
    assert_eq "$out" "lo" "the default is a new network namespace too"
    assert_clean
}

@test "--network none: lo is up, as docker, runc and crun leave it" {
    bottle_run --network none -- cat /sys/class/net/lo/flags
    assert_eq "$status" 0
    ((out & 1)) || {
        echo "lo flags $out: IFF_UP not set" >&2
        false
    }
}

@test "--network host sees the host's interfaces" {
    local host_ifaces
    host_ifaces=$(ls /sys/class/net)
    bottle_start --network host -- sh -c 'ls /sys/class/net; echo ready; read -r _ || :'
    wait_bg_out '^ready$'
    local init_pid
    init_pid=$(container_pid)
    assert_eq "$(ns_of "$init_pid" net)" "$(ns_of $$ net)" "the host's network namespace"
    [[ ! -e /run/netns/$NAME ]] # nothing to name
    bottle_finish
    assert_eq "$status" 0
    assert_eq "$out" "$host_ifaces"$'\nready'
    assert_clean
}

@test "the container's network namespace is named /run/netns/NAME while it runs" {
    bottle_start --network none -- sh -c 'echo ready; read -r _ || :'
    wait_bg_out '^ready$'
    local init_pid ns
    init_pid=$(container_pid)
    ns=$(ns_of "$init_pid" net)
    [[ -e /run/netns/$NAME ]]
    assert_eq "net:[$(stat -L -c %i "/run/netns/$NAME")]" "$ns" "/run/netns/$NAME is its netns"
    capture run_timeout 10 ip netns exec "$NAME" ls /sys/class/net
    assert_eq "$status" 0
    assert_eq "$out" "lo" "ip netns exec works"
    bottle_finish
    assert_eq "$status" 0
    [[ ! -e /run/netns/$NAME ]]
    assert_clean
}

@test "--userns: root inside is uid 100000 outside" {
    # The container's root (host uid 100000) must reach its rootfs and cannot create mount
    # points in a rootfs owned by host root.
    chmod 0755 "$BT_TMP"
    mkdir "$BT_TMP/vol" "$ROOTFS/data"
    chown 100000:100000 "$BT_TMP/vol"
    bottle_start --userns -v "$BT_TMP/vol:/data" -- sh -c 'cat /proc/self/uid_map /proc/self/gid_map
        id -u; touch /data/by-container; echo ready; read -r _ || :'
    wait_bg_out '^ready$'
    local init_pid child
    init_pid=$(container_pid)
    [[ -n $init_pid ]]
    assert_match "$(grep '^Uid:' "/proc/$init_pid/status")" $'^Uid:\t100000\t100000\t100000\t100000$' \
        "bottle-init as seen from the host"
    child=$(pgrep -P "$init_pid" | head -n 1)
    [[ -n $child ]]
    assert_match "$(grep '^Uid:' "/proc/$child/status")" $'^Uid:\t100000\t' "the command"
    assert_match "$(grep '^Gid:' "/proc/$child/status")" $'^Gid:\t100000\t' "the command's gid"
    [[ $(ns_of "$init_pid" user) != "$(ns_of $$ user)" ]]
    assert_eq "$(stat -c %u:%g "$BT_TMP/vol/by-container")" "100000:100000" "a file it created"
    bottle_finish
    assert_eq "$status" 0
    assert_eq "$(tr -s ' ' <<<"$out")" $' 0 100000 65536\n 0 100000 65536\n0\nready'
    assert_clean
}

@test "--userns: host-root files stay out of reach of the container's root" {
    chmod 0755 "$BT_TMP"
    touch "$ROOTFS/secret"
    echo secret >"$BT_TMP/root-only"
    chmod 0600 "$BT_TMP/root-only"
    bottle_run --userns -v "$BT_TMP/root-only:/secret" -- sh -c 'cat /secret && echo read
        echo x >/secret && echo wrote; exit 0'
    assert_eq "$status" 0
    [[ $out != *secret* && $out != *read* && $out != *wrote* ]]
    assert_eq "$(cat "$BT_TMP/root-only")" "secret"
    assert_clean
}

@test "a namespaced sysctl of the spec is applied inside, not on the host" {
    local host_value
    host_value=$(cat /proc/sys/net/ipv4/ip_forward)
    make_bundle "$BT_TMP/bundle" "c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$((1 - host_value))'}
c['process']['args'] = ['cat', '/proc/sys/net/ipv4/ip_forward']"
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    if [[ $(cat /proc/sys/net/ipv4/ip_forward) != "$host_value" ]]; then
        echo "$host_value" >/proc/sys/net/ipv4/ip_forward # put it back
        echo "the container changed the host's net.ipv4.ip_forward" >&2
        false
    fi
    assert_eq "$status" 0
    assert_eq "$out" "$((1 - host_value))" "inside"
    assert_clean
}
