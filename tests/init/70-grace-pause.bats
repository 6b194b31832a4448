#!/usr/bin/env bats
# Grace mode (-G SECS), pause mode (-P) and what the init does to itself (docs/bottle-init.md,
# "Grace mode", "Pause mode", "The init itself"): TERM/INT/QUIT go to every descendant,
# re-parented daemons included, what ignores SIGTERM is SIGKILLed after SECS, the exit status
# is the main child's; pause mode reaps and only TERM/INT end it; the init moves to /, closes
# inherited fds (not the child's) and rewrites LISTEN_PID.

load ../lib

# The payload of the grace tests, run by sh: a child of the main process and a daemon
# (re-parented to the init) that record signals and exit 0 on SIGTERM, and a process that
# ignores SIGTERM and writes "ignorer PID"; then the main process ($3, with its arguments).
GRACE_PAYLOAD='
    F=$1 H=$2
    shift 2
    "$H/trap-signals" -o "$F" -x 15:0 -t 20 &
    ( "$H/trap-signals" -o "$F" -x 15:0 -t 20 & )
    sh -c "trap \"\" TERM; echo ignorer \$\$ >>\"\$1\"; exec sleep 30" _ "$F" &
    exec "$@"
'

# grace_wait_ready FILE N: waits for N ready lines and the ignorer line in FILE.
grace_wait_ready() {
    wait_for 10 file_has "$1" '^ready ' "$2"
    wait_for 10 file_has "$1" '^ignorer '
}

@test "-G: SIGTERM reaches every process, the TERM-ignorer is killed after SECS" {
    pidns_start "$INIT" -G 2 -- sh -c "$GRACE_PAYLOAD" _ "$BT_TMP/sig" "$HELPERS" \
        "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 15:5 -t 20
    grace_wait_ready "$BT_TMP/sig" 3
    local start elapsed
    start=$(bt_now)
    kill -TERM "$NS_INIT"
    bt_wait "$NS_UNSHARE" 15
    elapsed=$(($(bt_now) - start))
    assert_eq "$status" 5 "the main child's status"
    # main child, its child and the daemon all got SIGTERM from the init (pid 1).
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | tr '\n' ' ')" "15 15 15 "
    assert_ge "$elapsed" 1500000 "waited for the grace period"
    assert_le "$elapsed" 5000000 "but not much longer"
}

@test "-G as PID 1: a process that entered the namespace (docker exec) gets SIGTERM and the grace period" {
    pidns_start "$INIT" -G 2 -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 15:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    # Its parent (nsenter) is outside the namespace: it descends from nobody in there. It
    # records SIGTERM and stays, so the init has to wait for it, then SIGKILL it.
    bt_start nsenter --target "$NS_INIT" --pid --mount -- \
        "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready ' 2
    local start elapsed
    start=$(bt_now)
    kill -TERM "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    elapsed=$(($(bt_now) - start))
    assert_eq "$status" 0
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | tr '\n' ' ')" "15 15 "
    assert_ge "$elapsed" 1500000 "waited for the entered process during the grace period"
    assert_le "$elapsed" 5000000 "but not much longer"
}

@test "-G not PID 1: descendants and re-parented daemons get SIGTERM, the ignorer SIGKILL" {
    capture ns_script 30 '
        F=$BT_TMP/sig
        "$INIT" --grace 2 -- sh -c "$1" _ "$F" "$HELPERS" \
            "$HELPERS/trap-signals" -o "$F" -x 15:5 -t 20 &
        init=$!
        wait_for 10 file_has "$F" "^ready " 3 || exit 1
        wait_for 10 file_has "$F" "^ignorer " || exit 1
        ignorer=$(sed -n "s/^ignorer //p" "$F")
        start=$(bt_now)
        kill -TERM "$init"
        bt_wait "$init" 15
        echo "status=$status elapsed=$(($(bt_now) - start))"
        proc_gone "$ignorer" && echo "ignorer gone"
        echo "init=$init"
    ' "$GRACE_PAYLOAD"
    assert_eq "$status" 0
    assert_line "$out" "status=5 elapsed=[0-9]+"
    assert_line "$out" "ignorer gone"
    local init elapsed
    init=$(sed -n 's/^init=//p' <<<"$out")
    elapsed=$(sed -nE 's/.*elapsed=([0-9]+)$/\1/p' <<<"$out")
    assert_eq "$(signals_from "$BT_TMP/sig" "$init" | tr '\n' ' ')" "15 15 15 "
    assert_ge "$elapsed" 1500000 "waited for the grace period"
    assert_le "$elapsed" 5000000 "but not much longer"
}

@test "-G: when the main child exits by itself the rest get SIGTERM, then SIGKILL" {
    # The main process waits for the two trap-signals and the ignorer to be ready, notes the
    # time (in microseconds) and exits 4.
    pidns_start "$INIT" -G 2 -- sh -c "$GRACE_PAYLOAD" _ "$BT_TMP/sig" "$HELPERS" \
        sh -c 'i=0; until [ "$(grep -c "^ready " "$1")" -ge 2 ] && grep -q "^ignorer " "$1"; do
                   [ $i -lt 500 ] || exit 99; sleep 0.02; i=$((i + 1)); done
               echo "main-exit $(date +%s%N | cut -c1-16)" >>"$1"; exit 4' _ "$BT_TMP/sig"
    bt_wait "$NS_UNSHARE" 20
    local elapsed
    elapsed=$(($(bt_now) - $(sed -n 's/^main-exit //p' "$BT_TMP/sig")))
    assert_eq "$status" 4 "the main child's status"
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | tr '\n' ' ')" "15 15 "
    assert_ge "$elapsed" 1500000 "waited for the grace period"
    assert_le "$elapsed" 6000000 "but not much longer"
}

@test "-G does not wait when nothing is left, or once the rest has exited" {
    local start
    start=$(bt_now)
    capture in_pidns 10 "$INIT" -G 5 -- "$HELPERS/exit-with" 3
    assert_eq "$status" 3
    assert_le "$(($(bt_now) - start))" 2500000 "nothing left: no wait"
    start=$(bt_now)
    capture in_pidns 10 "$INIT" -G 5 -- sh -c '"$1" -o "$2" -x 15:0 -t 20 & sleep 0.3; exit 6' \
        _ "$HELPERS/trap-signals" "$BT_TMP/sig"
    assert_eq "$status" 6
    assert_le "$(($(bt_now) - start))" 3000000 "a leftover that exits on SIGTERM: no full wait"
    assert_line "$(cat "$BT_TMP/sig")" "sig=15 from=1 code=-?[0-9]+ pid=[0-9]+"
}

@test "-G: SIGINT and SIGQUIT are sent as themselves to every descendant" {
    for sig in 2 3; do
        rm -f "$BT_TMP/sig"
        pidns_start "$INIT" -G 3 -- sh -c '
            ( "$1" -o "$2" -x "$3:0" -t 20 & )
            exec "$1" -o "$2" -x "$3:0" -t 20' _ "$HELPERS/trap-signals" "$BT_TMP/sig" "$sig"
        wait_for 10 file_has "$BT_TMP/sig" '^ready ' 2
        kill -"$sig" "$NS_INIT"
        bt_wait "$NS_UNSHARE" 10
        assert_eq "$status" 0 "signal $sig"
        assert_eq "$(signals_from "$BT_TMP/sig" 1 | tr '\n' ' ')" "$sig $sig " "signal $sig"
    done
}

# init_blocking PID: PID has blocked signals (bottle-init is set up).
init_blocking() {
    local mask
    mask=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
    [[ -n $mask && $mask != 0000000000000000 ]]
}

@test "-P as PID 1: other signals are ignored, SIGTERM ends it with 0" {
    pidns_start "$INIT" -P
    wait_for 5 init_blocking "$NS_INIT"
    for sig in HUP USR1 USR2 QUIT ALRM PIPE CHLD WINCH CONT 40; do
        kill -"$sig" "$NS_INIT"
    done
    bt_sleep 0.3
    [[ $(proc_state "$NS_INIT") == S ]] || {
        echo "pause mode did not survive: state '$(proc_state "$NS_INIT")'" >&2
        return 1
    }
    kill -TERM "$NS_INIT"
    bt_wait "$NS_UNSHARE" 5
    assert_eq "$status" 0
}

@test "--pause: SIGINT ends it with 0 too, as PID 1 and not" {
    pidns_start "$INIT" --pause
    wait_for 5 init_blocking "$NS_INIT"
    kill -INT "$NS_INIT"
    bt_wait "$NS_UNSHARE" 5
    assert_eq "$status" 0 "PID 1"
    bt_start "$INIT" -P
    wait_for 5 init_blocking "$BG_PID"
    kill -USR1 "$BG_PID"
    bt_sleep 0.2
    kill -INT "$BG_PID"
    bt_wait "$BG_PID" 5
    assert_eq "$status" 0 "not PID 1"
}

@test "-P reaps what is re-parented to it" {
    pidns_start "$INIT" -P
    wait_for 5 init_blocking "$NS_INIT"
    capture run_timeout 20 nsenter --target "$NS_INIT" --pid --mount -- \
        "$HELPERS/make-zombies" -n 20 -r 1
    assert_eq "$status" 0
    assert_line "$out" "zombies=0"
    kill -TERM "$NS_INIT"
    bt_wait "$NS_UNSHARE" 5
    assert_eq "$status" 0
}

@test "the init moves to / while the child keeps its cwd (native and tini modes)" {
    for init in "$INIT --" "$TINI --"; do
        rm -f "$BT_TMP/sig"
        cd "$BT_TMP"
        bt_start $init "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 10:0 -t 20
        cd /
        wait_for 5 file_has "$BT_TMP/sig" '^ready '
        track_ready "$BT_TMP/sig"
        assert_eq "$(field cwd "$(ready_line "$BT_TMP/sig")")" "$(realpath "$BT_TMP")" "$init"
        wait_for 5 cwd_is "$BG_PID" / || true
        assert_eq "$(readlink "/proc/$BG_PID/cwd")" / "$init: the init's cwd"
        kill -USR1 "$BG_PID"
        bt_wait "$BG_PID" 10
        assert_eq "$status" 0 "$init"
    done
}

# fd_targets PID: what PID's fds >= 3 point to, one a line.
fd_targets() {
    local fd
    for fd in /proc/"$1"/fd/*; do
        ((${fd##*/} >= 3)) && readlink "$fd"
    done 2>/dev/null
    return 0
}

# init_closed_inherited PID INHERITED-FILE: none of PID's fds >= 3 is one listed in the file.
init_closed_inherited() {
    ! fd_targets "$1" | grep -qxF -f "$2"
}

@test "the init closes inherited fds >= 3; the child keeps them" {
    : >"$BT_TMP/seven"
    exec 7<"$BT_TMP/seven" 8>"$BT_TMP/eight"
    # Everything this shell has open but fd 3 (bats', closed for the init) is inherited.
    fd_targets "$BASHPID" | grep -vxF "$(readlink /proc/$BASHPID/fd/3)" >"$BT_TMP/inherited"
    for init in "$INIT --" "$TINI --" "$DUMB_INIT"; do
        rm -f "$BT_TMP/sig"
        bt_start $init "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 10:0 -t 20
        wait_for 5 file_has "$BT_TMP/sig" '^ready '
        track_ready "$BT_TMP/sig"
        assert_match ",$(field fds "$(ready_line "$BT_TMP/sig")")," ",7,8," "$init: child's fds"
        wait_for 5 init_closed_inherited "$BG_PID" "$BT_TMP/inherited" || true
        assert_eq "$(fd_targets "$BG_PID" | grep -xF -f "$BT_TMP/inherited")" "" "$init's fds"
        kill -USR1 "$BG_PID"
        bt_wait "$BG_PID" 10
        assert_eq "$status" 0 "$init"
    done
    exec 7<&- 8>&-
}

@test "LISTEN_PID naming the init is rewritten to the child's pid; other values stay" {
    for init in "$INIT --" "$DUMB_INIT"; do
        capture run_timeout 10 bash -c 'export LISTEN_PID=$$ LISTEN_FDS=2; exec $1 sh -c "echo \$LISTEN_PID \$\$ \$LISTEN_FDS"' _ "$init"
        assert_eq "$status" 0 "$init"
        local listen_pid child fds
        read -r listen_pid child fds <<<"$out"
        assert_eq "$listen_pid" "$child" "$init: LISTEN_PID"
        assert_eq "$fds" 2 "$init: LISTEN_FDS untouched"
    done
    capture run_timeout 10 env LISTEN_PID=999999 "$INIT" -- sh -c 'echo $LISTEN_PID'
    assert_eq "$out" 999999 "LISTEN_PID naming another process"
}
