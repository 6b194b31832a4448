#!/usr/bin/env bats
# Issue 3, "Input" and DESIGN.md, "The container spec": the bundle of `bottle spec` runs under
# runc and crun as well as under bottle, and the process inside sees the same container
# (hostname, user, capabilities, rlimits, network, /dev, mount points, cgroup view, env).
# crun refuses hybrid cgroup hosts: its test is skipped there, with the reason.

load lib

# What the payload prints: everything that should not depend on the runtime. PID 1 and the
# mount options are left out (bottle-init is PID 1 under bottle, the command under runc).
PROBE='hostname; id; grep -E "^(Cap|NoNewPrivs|Seccomp:)" /proc/self/status
ulimit -n; ulimit -Hn; ls /sys/class/net; ls /dev | tr "\n" " "; echo
awk "{ print \$5 }" /proc/self/mountinfo | sort; pwd; env | grep -v ^HOME= | sort
cat /proc/self/cgroup'

# compat_bundle: $BT_TMP/bundle from `bottle spec --rootfs rootfs` with its own rootfs,
# running PROBE.
compat_bundle() {
    mkdir "$BT_TMP/bundle"
    cp -a "$ROOTFS" "$BT_TMP/bundle/rootfs"
    make_bundle "$BT_TMP/bundle" "c['process']['args'] = ['sh', '-c', '''$PROBE''']"
}

# run_under RUNTIME: runs the bundle under RUNTIME (runc or crun) with a private state root
# and cgroup, as container $NAME-RUNTIME; status, out, err as capture sets them.
run_under() {
    local runtime=$1
    edit_config "$BT_TMP/bundle/config.json" \
        "c['linux']['cgroupsPath'] = '/$CG_PARENT/$NAME-$runtime'"
    capture run_timeout 30 "$runtime" --root "$BT_TMP/$runtime-state" run \
        -b "$BT_TMP/bundle" "$NAME-$runtime"
    edit_config "$BT_TMP/bundle/config.json" "c['linux']['cgroupsPath'] = '/$CG_PARENT/$NAME'"
}

@test "the bundle of bottle spec runs under bottle" {
    compat_bundle
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 0
    assert_eq "$(head -n 1 <<<"$out")" "bottle" "the spec's hostname"
    assert_clean
}

@test "runc runs the same bundle and its container looks the same as bottle's" {
    command -v runc >/dev/null || skip "runc is not installed"
    compat_bundle
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 0 "bottle"
    local bottle_out=$out
    run_under runc
    [[ $status -eq 0 ]] || skip "runc cannot run here: $(head -n 1 <<<"$err")"
    diff -u <(echo "$out") <(echo "$bottle_out") >&2 || {
        echo "runc (-) and bottle (+) differ" >&2
        false
    }
    assert_clean
    assert_clean "$NAME-runc"
}

@test "crun runs the same bundle and its container looks the same as bottle's" {
    command -v crun >/dev/null || skip "crun is not installed"
    compat_bundle
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 0 "bottle"
    local bottle_out=$out
    run_under crun
    if [[ $status -ne 0 ]]; then
        [[ $err == *hybrid* ]] && skip "crun refuses this hybrid cgroup host: $err"
        echo "crun failed: $err" >&2
        false
    fi
    diff -u <(echo "$out") <(echo "$bottle_out") >&2 || {
        echo "crun (-) and bottle (+) differ" >&2
        false
    }
    assert_clean
    assert_clean "$NAME-crun"
}
