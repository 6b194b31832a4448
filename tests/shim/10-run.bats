#!/usr/bin/env bats
# `bottle run` in the foreground and bottle-shim under it (issue 3, "Process shape";
# DESIGN.md, "Programs and the process tree", "Exit codes"): bottle-init is PID 1 with the
# command as its child, the status passes through, the shim is the init's parent and forwards
# signals, the process gets its hostname, env, cwd and user, and nothing is left afterwards.

load lib

@test "PID 1 is bottle-init from a memfd and the command is its child" {
    bottle_run -- sh -c 'echo "ppid=$PPID"; tr "\0" " " </proc/1/cmdline; echo
        readlink /proc/1/exe; ps -o pid,ppid,comm'
    assert_eq "$status" 0
    assert_eq "$err" "" "nothing on stderr"
    assert_match "$out" $'(^|\n)ppid=1\n' "the command's parent is PID 1"
    assert_match "$out" $'\nbottle-init( -[^ ]+)* -- sh -c ' "PID 1 runs bottle-init [OPTIONS] -- CMD"
    assert_match "$out" $'\n/memfd:bottle-init \\(deleted\\)\n' "PID 1 runs from the memfd"
    # ps: bottle-init, then sh's exec of ps as its child; nothing else.
    local procs
    procs=$(awk 'NR > 1 { print $1 ":" $2 }' <<<"${out##*PID}")
    assert_eq "$(tr '\n' ' ' <<<"$procs")" "1:0 2:1 " "the processes in the container"
    assert_clean
}

@test "exit codes pass through: 0, 1, 3, 255" {
    for code in 0 1 3 255; do
        bottle_run -- sh -c "exit $code"
        assert_eq "$status" "$code" "sh -c 'exit $code'"
        assert_clean
    done
}

@test "the command starts with no signal blocked or ignored" {
    bottle_run -- grep -E '^Sig(Blk|Ign):' /proc/self/status
    assert_eq "$status" 0
    assert_eq "$out" $'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000'
}

@test "death by signal N gives 128+N" {
    bottle_run -- sh -c 'kill -USR1 $$'
    assert_eq "$status" 138 "SIGUSR1"
    bottle_run -- sh -c 'kill -KILL $$'
    assert_eq "$status" 137 "SIGKILL"
    bottle_run -- sh -c 'kill -SEGV $$'
    assert_eq "$status" 139 "SIGSEGV"
    assert_clean
}

@test "a command that is not found gives 127, one that is not executable 126" {
    bottle_run -- /no/such/program
    assert_eq "$status" 127 "not found"
    assert_match "$err" "/no/such/program" "the message names the program"
    assert_clean
    printf 'echo hi\n' >"$ROOTFS/not-executable"
    chmod 0644 "$ROOTFS/not-executable"
    bottle_run -- /not-executable
    assert_eq "$status" 126 "not executable"
    assert_match "$err" "/not-executable" "the message names the program"
    assert_clean
}

@test "SIGTERM to the shim reaches the container; the status is 128+15" {
    bottle_start -- sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
    wait_bg_out '^ready$'
    bottle_stop TERM
    assert_eq "$status" 7 "the container's trap ran and its status came back"
    assert_match "$out" 'got-term'
    assert_clean
    bottle_start -- sleep 30
    wait_for 10 test -s "$BOTTLE_STATE/containers/$NAME/pid"
    bottle_stop TERM
    assert_eq "$status" 143 "sleep killed by SIGTERM"
    assert_clean
}

# bats, like any non-interactive shell, starts background jobs with SIGINT and SIGQUIT ignored:
# the shim must not pass that on, and must still get (and forward) those signals itself.
@test "a bottle run started in the background by a script: SIGINT still reaches the container" {
    bottle_start -- sh -c 'grep "^SigIgn:" /proc/1/status /proc/self/status | cut -d: -f2-
        trap "echo got-int; exit 5" INT; echo ready; while :; do sleep 0.1; done'
    wait_bg_out '^ready$'
    bottle_stop INT 3
    assert_eq "$status" 5 "SIGINT reached the container's shell"
    assert_match "$out" $'^SigIgn:\t0000000000000000\nSigIgn:\t0000000000000000\n' \
        "bottle-init and the command start with no signal ignored"
    assert_clean
}

@test "the shim is the init's parent; pid and shim.pid files while it runs" {
    bottle_start -- sh -c 'echo ready; read -r _ || :'
    wait_bg_out '^ready$'
    local state=$BOTTLE_STATE/containers/$NAME init_pid ppid
    [[ -f $state/pid && -f $state/shim.pid ]]
    init_pid=$(<"$state/pid")
    assert_eq "$(<"$state/shim.pid")" "$SHIM_BG_PID" "shim.pid is bottle run's pid (it execs the shim)"
    ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$init_pid/status")
    assert_eq "$ppid" "$SHIM_BG_PID" "the init's parent is the shim"
    assert_match "$(readlink "/proc/$init_pid/exe")" '^/memfd:bottle-init' "the pid file names the init"
    assert_eq "$(awk '/^NSpid:/ { print $NF }' "/proc/$init_pid/status")" 1 "PID 1 in its namespace"
    [[ -f $BOTTLE_STATE/bundles/$NAME/config.json ]]
    bottle_finish
    assert_eq "$status" 0
    assert_clean
}

@test "hostname: the name by default, --hostname when given; the host's is unchanged" {
    local host_name
    host_name=$(hostname)
    bottle_run -- hostname
    assert_eq "$status" 0
    assert_eq "$out" "$NAME" "default hostname"
    bottle_run --hostname bt-box -- cat /proc/sys/kernel/hostname
    assert_eq "$status" 0
    assert_eq "$out" "bt-box" "--hostname"
    assert_eq "$(hostname)" "$host_name" "the host's hostname"
    assert_clean
}

@test "-e sets the environment, -w the working directory" {
    bottle_run -e FOO=bar -e 'SPACED=a b' -w /tmp -- sh -c 'echo "$FOO|$SPACED|$PATH"; pwd'
    assert_eq "$status" 0
    assert_eq "$out" "bar|a b|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
/tmp"
    bottle_run -- pwd
    assert_eq "$out" "/" "the default working directory"
    assert_clean
}

@test "HOME comes from the user's passwd entry when the spec does not set it (as runc, crun, docker)" {
    bottle_run -- sh -c 'echo "HOME=$HOME"'
    assert_eq "$status" 0
    assert_eq "$out" "HOME=/root" "root"
    bottle_run -u nobody -- sh -c 'echo "HOME=$HOME"'
    assert_eq "$out" "HOME=/" "nobody"
    bottle_run -e HOME=/custom -- sh -c 'echo "HOME=$HOME"'
    assert_eq "$out" "HOME=/custom" "-e HOME wins"
}

@test "-u sets the user and group, by number and by name" {
    bottle_run -u 1000:1000 -- id
    assert_eq "$status" 0
    assert_match "$out" '^uid=1000 gid=1000( |$)' "-u 1000:1000"
    bottle_run -u nobody -- id
    assert_eq "$status" 0
    assert_match "$out" '^uid=65534\(nobody\) gid=65534\(nogroup\)' "-u nobody"
    bottle_run -u 1000:1000 -- sh -c 'grep -E "^(Uid|Gid):" /proc/self/status'
    assert_match "$out" $'Uid:\t1000\t1000\t1000\t1000' "real, effective, saved and fs uid"
    assert_match "$out" $'Gid:\t1000\t1000\t1000\t1000' "real, effective, saved and fs gid"
    assert_clean
}

@test "stdout and stderr of the container reach the caller" {
    bottle_run -- sh -c 'echo to-out; echo to-err >&2'
    assert_eq "$status" 0
    assert_eq "$out" "to-out"
    assert_eq "$err" "to-err"
}

@test "a second container with the name of a running one fails with 125; the first runs on" {
    bottle_start -- sh -c 'echo ready; read -r _; echo first-done'
    wait_bg_out '^ready$'
    local init_pid
    init_pid=$(container_pid)
    bottle_run -- true
    assert_eq "$status" 125 "bottle run --name of a running container"
    assert_one_line "$err"
    assert_match "$err" "$NAME" "the message names the container"
    # The same through --bundle (the shim's own check).
    make_bundle "$BT_TMP/bundle" "c['process']['args'] = ['true']
c['linux']['cgroupsPath'] = '/$CG_PARENT/second'"
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 125 "bottle run --bundle with the name of a running container"
    assert_one_line "$err"
    # The first one is untouched.
    kill -0 "$init_pid"
    kill -0 "$SHIM_BG_PID"
    assert_eq "$(container_pid)" "$init_pid" "its pid file"
    [[ -f $BOTTLE_STATE/bundles/$NAME/config.json ]]
    [[ -d $(host_cgroup pids) ]]
    bottle_finish
    assert_eq "$status" 0
    assert_eq "$out" $'ready\nfirst-done'
    assert_clean
}

@test "a container that fails to start leaves nothing behind" {
    # The mount point cannot be made: /etc/passwd is a file. The failure comes after the
    # cgroup, the namespaces and the state dir were made.
    bottle_run -m 64m --tmpfs /etc/passwd/x -- true
    assert_eq "$status" 125 "a mount point under a file"
    assert_one_line "$err"
    assert_match "$err" "/etc/passwd/x"
    assert_clean
}

@test "bottle-shim --cgroup-parent puts the cgroup under that parent and removes it" {
    make_bundle "$BT_TMP/bundle" "del c['linux']['cgroupsPath']
c['process']['args'] = ['sh', '-c', 'echo ready; read -r _ || :']"
    bg_start "$SHIM" --foreground --bundle "$BT_TMP/bundle" --id "$NAME" --state "$BOTTLE_STATE" \
        --init "$SHIM_INIT" --cgroup-parent "$CG_PARENT"
    wait_bg_out '^ready$'
    local init_pid mount
    init_pid=$(container_pid)
    for mount in $(shim_cgroup_mounts); do
        [[ -d $mount/$CG_PARENT/$NAME ]] || {
            echo "no $mount/$CG_PARENT/$NAME" >&2
            false
        }
        grep -qx "$init_pid" "$mount/$CG_PARENT/$NAME/cgroup.procs" || {
            echo "the init is not in $mount/$CG_PARENT/$NAME" >&2
            false
        }
    done
    bottle_finish
    assert_eq "$status" 0
    for mount in $(shim_cgroup_mounts); do
        [[ ! -e $mount/$CG_PARENT/$NAME ]]
    done
    [[ -d $BT_TMP/bundle && -f $BT_TMP/bundle/config.json ]] # not --remove-bundle: kept
    assert_clean
}

@test "process.terminal true gets a terminal or is refused, never silently ignored" {
    make_bundle "$BT_TMP/bundle" "c['process']['terminal'] = True
c['process']['args'] = ['sh', '-c', 'tty; exit 0']"
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    if [[ $status -eq 125 ]]; then
        assert_one_line "$err"
        assert_match "$err" "terminal" "the refusal names the field"
    else
        assert_eq "$status" 0
        assert_match "${out//$'\r'/}" '^/dev/(pts/[0-9]+|console)$' "the process has a terminal"
    fi
    assert_clean
}
