#!/usr/bin/env bats
# Issue 3, "cgroups" and "Process": the limits of `bottle run -m/--cpus/--pids-limit` land in
# the container's cgroup (seen from the host while it runs), a fork bomb stops at the pids
# limit, a memory hog is OOM-killed and reported as such, rlimits can be lowered, and raising
# a hard limit without CAP_SYS_RESOURCE fails clearly. The cgroups go with the container.

load lib

# cgroup_value CONTROLLER FILE: FILE of the running container's cgroup in CONTROLLER's hierarchy.
cgroup_value() {
    cat "$(host_cgroup "$1")/$2"
}

@test "memory, cpu and pids limits are in the container's cgroups while it runs" {
    bottle_start -m 64m --cpus 0.5 --pids-limit 50 -- sh -c 'echo ready; read -r _ || :'
    wait_bg_out '^ready$'
    local init_pid mount
    init_pid=$(container_pid)
    [[ -n $init_pid ]]
    assert_eq "$(cgroup_value memory memory.limit_in_bytes)" $((64 << 20)) "memory.limit_in_bytes"
    assert_eq "$(cgroup_value pids pids.max)" 50 "pids.max"
    assert_eq "$(cgroup_value cpu cpu.cfs_quota_us)" 50000 "cpu.cfs_quota_us"
    assert_eq "$(cgroup_value cpu cpu.cfs_period_us)" 100000 "cpu.cfs_period_us"
    # The init and its child are in the container's cgroup of every hierarchy.
    for mount in $(shim_cgroup_mounts); do
        grep -qx "$init_pid" "$mount/$CG_PARENT/$NAME/cgroup.procs" || {
            echo "init $init_pid not in $mount/$CG_PARENT/$NAME" >&2
            false
        }
        assert_eq "$(wc -l <"$mount/$CG_PARENT/$NAME/cgroup.procs")" 2 "$mount: bottle-init and sh"
    done
    bottle_finish
    assert_eq "$status" 0
    assert_clean
}

@test "the container's own view: it is at the root of its cgroup namespace" {
    bottle_run -- cat /proc/self/cgroup
    assert_eq "$status" 0
    # Every line ends in ":/" (its own cgroup is the namespace root).
    grep -v ':/$' <<<"$out" && false
    [[ -n $out ]]
    assert_clean
}

@test "a fork bomb stops at --pids-limit" {
    shim_add_helpers shim-forkbomb
    bottle_run --pids-limit 32 -- /helpers/shim-forkbomb 1000
    assert_eq "$status" 0
    local forked
    forked=$(awk '$1 == "forked" { print $2 }' <<<"$out")
    assert_match "$out" '^forked [0-9]+ EAGAIN$' "fork failed with EAGAIN, not at the cap"
    # 32 tasks: bottle-init, the bomb and at most 30 children.
    ((forked >= 1 && forked <= 30)) || {
        echo "forked $forked children under --pids-limit 32" >&2
        false
    }
    assert_clean
}

@test "a shell fork loop stops at --pids-limit too, and the host is unaffected" {
    bottle_run --pids-limit 10 -- sh -c 'i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i + 1)); done
        echo "started $i"'
    assert_match "$err" "can't fork" "the shell hit the limit"
    [[ $out != "started 100" ]]
    assert_clean
}

@test "a memory hog under -m 32m is OOM-killed: 137 and the shim says OOM-killed" {
    shim_add_helpers shim-eat-memory
    bottle_run -m 32m -- /helpers/shim-eat-memory 512
    assert_eq "$status" 137 "killed by SIGKILL"
    [[ $out != *survived* ]]
    assert_match "$err" "OOM-killed" "the shim reports the OOM kill"
    assert_clean
}

@test "a hog within its limit survives and is not reported as OOM-killed" {
    shim_add_helpers shim-eat-memory
    bottle_run -m 64m -- /helpers/shim-eat-memory 16
    assert_eq "$status" 0
    assert_eq "$(tail -n 1 <<<"$out")" "survived 16"
    [[ $err != *OOM* ]]
    assert_clean
}

@test "--ulimit nofile lowers the limits; the default is 1024" {
    bottle_run --ulimit nofile=100:200 -- sh -c 'ulimit -n; ulimit -Hn'
    assert_eq "$status" 0
    assert_eq "$out" $'100\n200'
    bottle_run -- sh -c 'ulimit -n; ulimit -Hn'
    assert_eq "$status" 0
    assert_eq "$out" $'1024\n1024' "the default spec's RLIMIT_NOFILE"
    assert_clean
}

@test "raising the hard nofile limit beyond the host's fails with 125 and a clear message" {
    local cap_eff hard
    cap_eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
    ((0x$cap_eff & (1 << 24))) && skip "this root has CAP_SYS_RESOURCE: raising works"
    hard=$(ulimit -Hn)
    [[ $hard == unlimited ]] && skip "the host's hard nofile limit is unlimited"
    bottle_run --ulimit "nofile=100:$((hard + 1000))" -- true
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" "NOFILE|nofile" "the message names the limit"
    assert_match "$err" "$((hard + 1000))" "and the value"
    assert_clean
}
