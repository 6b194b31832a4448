#!/usr/bin/env bats
# bottle exec: a command inside a running container (every namespace, the cgroup, the
# container's user, capabilities, rlimits and no_new_privs), its exit status passed through,
# and nothing of the host reachable from it: not the bottle binary (CVE-2019-5736 class), not a
# host fd or cwd (CVE-2024-21626 class), not a host process.

load lib

# The host pid of the command a background `bottle exec` (BG_PID) runs, once it has exec'd
# PROGRAM (its /proc/PID/exe ends with it).
exec_child() {
    local program=$1 deadline child
    deadline=$(bt_deadline 10)
    while :; do
        child=$(children_of "$BG_PID" | head -n 1)
        if [[ -n $child && $(readlink "/proc/$child/exe" 2>/dev/null) == *"$program" ]]; then
            echo "$child"
            return 0
        fi
        bt_past "$deadline" && return 1
        bt_sleep 0.02
    done
}

@test "exec runs in the container: its hostname, its pid 1, its root, its namespaces and cgroup" {
    cli_start
    bottle exec "$NAME" hostname
    assert_eq "$status" 0
    assert_eq "$out" "$HOST_NAME"

    bottle exec "$NAME" sh -c 'tr "\0" " " </proc/1/cmdline'
    assert_eq "$status" 0
    assert_match "$out" '^bottle-init ' "the container's pid 1"

    bt_start "$BOTTLE" exec "$NAME" sleep 30
    local child
    child=$(exec_child /bin/busybox)
    assert_eq "$(stat -L -c %d:%i "/proc/$child/root/")" "$(stat -L -c %d:%i "/proc/$INIT_PID/root/")" \
        "the same root directory"
    local ns
    for ns in mnt net ipc uts pid cgroup user; do
        assert_eq "$(readlink "/proc/$child/ns/$ns")" "$(readlink "/proc/$INIT_PID/ns/$ns")" "$ns namespace"
    done
    assert_eq "$(cat "/proc/$child/cgroup")" "$(cat "/proc/$INIT_PID/cgroup")" "the init's cgroups"
    assert_match "$(cat "/proc/$INIT_PID/cgroup")" "/$CG_PARENT/$NAME" "the container's cgroup"
    # Inside, its cgroup namespace shows the container's cgroup as the root.
    bottle exec "$NAME" cat /proc/self/cgroup
    assert_line "$out" '0::/'
}

@test "exec passes the exit status through: the code, 128+N, 127 not found, 126 not executable" {
    cli_start
    bottle exec "$NAME" sh -c 'exit 3'
    assert_eq "$status" 3
    bottle exec "$NAME" sh -c 'kill -TERM $$'
    assert_eq "$status" 143
    bottle exec "$NAME" bottle-no-such-program
    assert_eq "$status" 127
    assert_one_line "$err"
    assert_match "$err" 'bottle-no-such-program.*not found'
    bottle exec "$NAME" /no/such/path
    assert_eq "$status" 127
    assert_one_line "$err"
    bottle exec "$NAME" /etc/passwd
    assert_eq "$status" 126
    assert_one_line "$err"
    assert_match "$err" '/etc/passwd: Permission denied'
    bottle exec "$NAME" /etc
    assert_eq "$status" 126
    bottle exec -w /no/such/dir "$NAME" true
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" '/no/such/dir'
}

@test "exec gives the command the container's capabilities, rlimits, no_new_privs and user" {
    cli_bundle "" "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 777, 'hard': 888}]
c['process']['capabilities'] = {k: ['CAP_CHOWN', 'CAP_KILL'] if k != 'ambient' and k != 'inheritable' else [] for k in c['process']['capabilities']}"
    cli_start
    bottle exec "$NAME" cat /proc/self/status
    assert_eq "$status" 0
    local field
    for field in CapBnd CapEff CapPrm CapInh CapAmb NoNewPrivs; do
        assert_line "$out" "$(grep "^$field:" "/proc/$INIT_PID/status")" "$field as the init's"
    done
    assert_line "$out" 'CapBnd:[[:space:]]+0000000000000021' "CHOWN and KILL only"
    assert_line "$out" 'NoNewPrivs:[[:space:]]+1'
    bottle exec "$NAME" sh -c 'ulimit -Sn; ulimit -Hn; id -u'
    assert_eq "$out" $'777\n888\n0'

    # -u: a user of the container's /etc/passwd, with docker's capabilities for a non-root user.
    bottle exec -u nobody "$NAME" sh -c 'id; grep -E "^Cap(Eff|Bnd)" /proc/self/status'
    assert_eq "$status" 0
    assert_line "$out" 'uid=65534\(nobody\) gid=65534\(nogroup\).*'
    assert_line "$out" 'CapEff:[[:space:]]+0000000000000000'
    assert_line "$out" 'CapBnd:[[:space:]]+0000000000000021'
    bottle exec -u 1234:4321 "$NAME" id
    assert_match "$out" '^uid=1234 gid=4321'
    bottle exec -u no-such-user "$NAME" id
    assert_eq "$status" 125
    assert_one_line "$err"
}

@test "exec: env is the config's plus -e, cwd the config's or -w" {
    cli_bundle "" "c['process']['env'] += ['FOO=config', 'KEEP=yes']
c['process']['cwd'] = '/etc'"
    cli_start
    bottle exec "$NAME" sh -c 'echo $FOO $KEEP; pwd'
    assert_eq "$out" $'config yes\n/etc'
    FROM_HOST=passed bottle exec -e FOO=cli -e FROM_HOST -e NEW=1 -w /tmp "$NAME" \
        sh -c 'echo $FOO $KEEP $FROM_HOST $NEW; pwd'
    assert_eq "$out" $'cli yes passed 1\n/tmp'
    bottle exec -w relative "$NAME" true
    assert_eq "$status" 125
}

@test "exec: /proc/self/exe is the container's binary, and the bottle process is out of reach" {
    cli_start
    bottle exec "$NAME" readlink /proc/self/exe
    assert_eq "$out" /bin/busybox

    # Before it execs, the command is a copy of bottle inside the container's pid namespace.
    # Hold it there (strace delays its execve) and look at it from inside: its exe must be
    # refused, or the container could open the host's bottle binary (CVE-2019-5736).
    command -v strace >/dev/null || skip "strace is not installed"
    # (An absolute path: each execve of a PATH search would be delayed.)
    bt_start strace -f -o /dev/null -e trace=execve -e inject=execve:delay_enter=4000000 \
        "$BOTTLE" exec "$NAME" /bin/true
    wait_for 15 eval 'timeout 5 "$BOTTLE" exec "$NAME" sh -c "grep -lx bottle /proc/[0-9]*/comm" \
        >"$BT_TMP/found" 2>/dev/null'
    local pid
    pid=$(head -n 1 "$BT_TMP/found")
    pid=${pid#/proc/}
    pid=${pid%/comm}
    bottle exec "$NAME" ls -l "/proc/$pid/exe"
    assert_match "$err" "/proc/$pid/exe: cannot read link: Permission denied" "ls -l from inside"
    assert_no_match "$out" '->'
    bottle exec "$NAME" cat "/proc/$pid/exe"
    assert_eq "$status" 1
    bottle exec "$NAME" ls -l "/proc/$pid/cwd" "/proc/$pid/root"
    assert_match "$err" 'Permission denied'
    # And nothing else in the container leads to a file outside it.
    bottle exec "$NAME" sh -c 'for p in /proc/[0-9]*; do readlink $p/exe; done'
    assert_no_match "$out" "$BT_BIN|bottle-shim|/tmp/" "no exe link leads to the host"
    bt_wait "$BG_PID" 20
    assert_eq "$status" 0 "the delayed exec still ran"
}

@test "exec: the bottle process that waits for the command is not in the container" {
    cli_start
    bt_start "$BOTTLE" exec "$NAME" sleep 30
    local bottle_pid=$BG_PID child
    child=$(exec_child /bin/busybox)
    # On the host: bottle waits for the command, which is its child...
    assert_eq "$(children_of "$bottle_pid")" "$child"
    assert_eq "$(readlink "/proc/$bottle_pid/exe")" "$BOTTLE"
    # ...but inside, only the command is there: bottle sits outside the pid namespace.
    bottle exec "$NAME" sh -c 'grep -l . /proc/[0-9]*/comm | while read f; do cat $f; done'
    assert_line "$out" sleep
    assert_no_match "$out" 'bottle$|bottle[^-]' "no bottle process inside"
}

@test "exec: no host fd or cwd reaches the command (CVE-2024-21626 class)" {
    cli_start
    echo host-secret >"$BT_TMP/marker"
    mkdir "$BT_TMP/hostdir"
    cd "$BT_TMP"
    capture run_timeout 30 "$BOTTLE" exec "$NAME" sh -c \
        'pwd; ls /proc/self/fd; cat marker; cat /proc/self/cwd/marker; ls /proc/self/fd/5/ /proc/self/fd/6' \
        5<"$BT_TMP/hostdir" 6<"$BT_TMP/marker"
    assert_no_match "$out" host-secret
    assert_eq "$(head -n 1 <<<"$out")" / "the cwd is the container's"
    assert_eq "$(sed -n 2,5p <<<"$out" | tr '\n' ' ')" "0 1 2 3 " "only stdio (and ls's own fd)"
    # Not even with -w pointing up and out.
    capture run_timeout 30 "$BOTTLE" exec -w /../../.. "$NAME" sh -c 'pwd; ls'
    assert_eq "$(head -n 1 <<<"$out")" /
    assert_no_match "$out" marker
    # A directory as stdio would be one too: refused.
    status=0
    run_timeout 30 "$BOTTLE" exec "$NAME" true 1<"$BT_TMP/hostdir" 2>"$BT_TMP/err" || status=$?
    assert_eq "$status" 125
    assert_match "$(cat "$BT_TMP/err")" 'fd 1 is a directory'
}

@test "exec: the command sees only the container's processes" {
    cli_start
    bottle exec "$NAME" sh -c 'for p in /proc/[0-9]*; do echo "${p#/proc/} $(cat $p/comm)"; done'
    assert_eq "$status" 0
    assert_line "$out" '1 memfd:bottle-in.*'
    assert_no_match "$out" 'bats|bash|bottle-shim|systemd' "no host process"
    assert_le "$(grep -c . <<<"$out")" 6 "the container's few processes"
    # The host's own pid is not a process there (bash's $$ here is a host pid).
    bottle exec "$NAME" kill -0 "$SHIM_PID"
    assert_eq "$status" 1
}

@test "exec -i keeps stdin; without it stdin is /dev/null" {
    cli_start
    capture run_timeout 30 "$BOTTLE" exec -i "$NAME" cat <<<"from-stdin"
    assert_eq "$out" from-stdin
    capture run_timeout 30 "$BOTTLE" exec "$NAME" sh -c 'cat; readlink /proc/self/fd/0' <<<"from-stdin"
    assert_eq "$out" /dev/null
}

@test "exec without -t: the caller's terminal is not the command's; Ctrl-C still reaches it" {
    command -v python3 >/dev/null || skip "python3 is not installed"
    cli_start
    # Were our terminal its controlling terminal, the command could open it as /dev/tty or
    # push input into our shell with TIOCSTI.
    cat >"$BT_TMP/script" <<'EOF'
expect ready
send \x03
expect got-int
wait
EOF
    capture run_timeout 30 python3 "$HELPERS_SRC/pty-driver.py" -t 10 "$BT_TMP/script" -- \
        "$BOTTLE" exec -i "$NAME" sh -c 'echo tty_nr=$(cut -d" " -f7 /proc/self/stat)
echo x >/dev/tty && echo opened-dev-tty
trap "echo got-int; exit 7" INT; echo ready; while :; do sleep 1 & wait $!; done'
    assert_eq "$status" 0
    out=${out//$'\r'/}
    assert_line "$out" 'tty_nr=0' "no controlling terminal"
    assert_no_match "$out" opened-dev-tty
    assert_match "$err" 'pty-driver: exit 7'
}

@test "exec -t: a terminal of the container's devpts, its size, raw mode restored afterwards" {
    command -v python3 >/dev/null || skip "python3 is not installed"
    cli_start
    cat >"$BT_TMP/script" <<'EOF'
send stty size; tty; echo TERM=$TERM; echo marker-$((40+2))\n
expect marker-42
send exit 5\n
wait
EOF
    capture run_timeout 30 python3 "$HELPERS_SRC/pty-driver.py" -t 10 "$BT_TMP/script" -- \
        sh -c 'stty rows 33 cols 101; "$0" exec -t -i "$1" sh; echo bottle-status=$?; stty -a' \
        "$BOTTLE" "$NAME"
    assert_eq "$status" 0
    out=${out//$'\r'/}
    assert_line "$out" '33 101'
    assert_line "$out" '/dev/pts/[0-9]+' "a pts of the container"
    assert_line "$out" 'TERM=xterm'
    assert_line "$out" 'bottle-status=5'
    local after=${out#*bottle-status=5}
    assert_match "$after" '(^|[ ;])icanon' "canonical mode is back"
    assert_match "$after" '(^|[ ;])echo([ ;]|$)' "echo is back"
}

@test "exec -t: SIGWINCH carries a new terminal size into the container" {
    command -v python3 >/dev/null || skip "python3 is not installed"
    cli_start
    cat >"$BT_TMP/script" <<'EOF'
send stty size\n
expect 33 101
send echo resize-$((1+1))\n
expect resize-2
sleep 3
send stty size\n
expect 50 120
send exit 0\n
wait
EOF
    bt_start -o "$BT_TMP/pty.out" -e "$BT_TMP/pty.err" python3 "$HELPERS_SRC/pty-driver.py" \
        -t 10 "$BT_TMP/script" -- sh -c 'stty rows 33 cols 101; exec "$0" exec -t -i "$1" sh' \
        "$BOTTLE" "$NAME"
    local driver=$BG_PID bottle_pid tty
    wait_for 10 grep -q 'resize-2' "$BT_TMP/pty.out"
    bottle_pid=$(child_of "$driver" 5)
    tty=$(readlink "/proc/$bottle_pid/fd/0")
    assert_match "$tty" '^/dev/pts/'
    stty -F "$tty" rows 50 cols 120
    bt_wait "$driver" 20
    cat "$BT_TMP/pty.err" >&2
    assert_eq "$status" 0 "the driver saw 50 120"
}

@test "exec on a container that does not exist or has stopped: 125 and one line" {
    bottle exec bt-no-such-container true
    assert_eq "$status" 125
    assert_eq "$err" "bottle: no such container: bt-no-such-container"
    bottle exec ../../etc true
    assert_eq "$status" 125
    assert_one_line "$err"
    cli_start
    bottle kill --all -s KILL "$NAME"
    wait_for 10 exited
    bottle exec "$NAME" true
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" 'is not running'
}
