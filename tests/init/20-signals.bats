#!/usr/bin/env bats
# Signal forwarding (docs/bottle-init.md, "Signals"): every signal 1..64 but KILL, STOP and
# CHLD that bottle-init receives reaches its child, fault and real-time signals and libc's
# reserved 32-34 included (tini drops the fault signals); -g targets the whole process group;
# the child starts with the signal mask and ignored set bottle-init itself inherited.

load ../lib

# The signals as a sorted, space-separated list, for comparisons.
sorted() {
    sort -n | tr '\n' ' '
}

# send_all PID FILE [N]: sends PID every signal an init must forward, SIGCHLD first (it must
# not be forwarded). SIGCONT goes last, once the N (default 1) processes writing FILE have
# recorded TSTP, TTIN and TTOU: the kernel discards a pending SIGCONT when a stop signal is
# generated, and pending stop signals when SIGCONT is, in the init's queue as in the child's.
send_all() {
    local pid=$1 file=$2 count=${3:-1} sig
    kill -17 "$pid"
    for sig in $(all_signals); do
        [[ $sig == 18 ]] || kill -"$sig" "$pid"
    done
    for sig in 20 21 22; do
        wait_for 5 file_has "$file" "^sig=$sig " "$count"
    done
    kill -18 "$pid"
}

@test "as PID 1 of a pid namespace: signals 1..64 but KILL/STOP/CHLD all reach the child" {
    pidns_start "$INIT" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -c 61 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    send_all "$NS_INIT" "$BT_TMP/sig"
    bt_wait "$NS_UNSHARE" 15
    assert_eq "$status" 0 "the child got 61 signals and exited 0"
    # The init is pid 1 in there: every one of them came from it, exactly once.
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | sorted)" "$(all_signals | sorted)"
}

@test "not PID 1: every signal reaches the child too, and SIGCHLD is not forwarded" {
    bt_start "$INIT" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -c 61 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    track_ready "$BT_TMP/sig"
    send_all "$BG_PID" "$BT_TMP/sig"
    bt_wait "$BG_PID" 15
    assert_eq "$status" 0
    assert_eq "$(signals_from "$BT_TMP/sig" "$BG_PID" | sorted)" "$(all_signals | sorted)"
}

@test "tini mode forwards the fault signals and 32-34 as well (tini itself does not)" {
    pidns_start "$TINI" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -c 61 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    send_all "$NS_INIT" "$BT_TMP/sig"
    bt_wait "$NS_UNSHARE" 15
    assert_eq "$status" 0
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | sorted)" "$(all_signals | sorted)"
}

@test "dumb-init -c (single child) forwards every signal unchanged" {
    pidns_start "$DUMB_INIT" -c "$HELPERS/trap-signals" -o "$BT_TMP/sig" -c 61 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    send_all "$NS_INIT" "$BT_TMP/sig"
    bt_wait "$NS_UNSHARE" 15
    assert_eq "$status" 0
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | sorted)" "$(all_signals | sorted)"
}

@test "a signal sent from inside the namespace to PID 1 (kill 1) is forwarded" {
    pidns_start "$INIT" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    # The namespace may be torn down (and the kill process SIGKILLed) before kill has exited:
    # its status says nothing.
    run_timeout 10 nsenter --target "$NS_INIT" --pid --mount -- kill -USR1 1 || true
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | sorted)" "10 "
}

@test "without -g only the child gets the signal, not the rest of its process group" {
    pidns_start "$INIT" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 2 -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready ' 3
    local main
    main=$(field pid "$(ready_line "$BT_TMP/sig" 3)")
    kill -USR2 "$NS_INIT"
    wait_for 5 file_has "$BT_TMP/sig" "^sig=12 from=1 code=0 pid=$main\$"
    kill -USR1 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0
    assert_eq "$(grep -c '^sig=' "$BT_TMP/sig")" 2 "two signals, both to the main child"
    assert_eq "$(signals_from "$BT_TMP/sig" 1 "$main" | sorted)" "10 12 "
}

@test "-g: every signal reaches every process of the child's process group" {
    pidns_start "$INIT" -g -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 2 -W -c 61 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready ' 3
    send_all "$NS_INIT" "$BT_TMP/sig" 3
    bt_wait "$NS_UNSHARE" 15
    assert_eq "$status" 0
    local line pid pgid
    pgid=$(field pgid "$(ready_line "$BT_TMP/sig" 3)")
    for n in 1 2 3; do
        line=$(ready_line "$BT_TMP/sig" "$n")
        pid=$(field pid "$line")
        assert_eq "$(field pgid "$line")" "$pgid" "one process group"
        # -W: the main child exits only after its copies, each of which got all 61.
        assert_eq "$(signals_from "$BT_TMP/sig" 1 "$pid" | sorted)" "$(all_signals | sorted)" \
            "process $n ($pid)"
    done
}

@test "-g, --pgroup and TINI_KILL_PROCESS_GROUP=1: the whole group gets the signal" {
    for opt in -g --pgroup env; do
        rm -f "$BT_TMP/sig"
        if [[ $opt == env ]]; then
            TINI_KILL_PROCESS_GROUP=1 pidns_start "$INIT" -- "$HELPERS/trap-signals" \
                -o "$BT_TMP/sig" -f 2 -x 10:0 -t 20
        else
            pidns_start "$INIT" "$opt" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 2 -x 10:0 -t 20
        fi
        wait_for 5 file_has "$BT_TMP/sig" '^ready ' 3
        kill -USR2 "$NS_INIT"
        # All three record it before the one that ends the run is sent.
        wait_for 5 file_has "$BT_TMP/sig" '^sig=12 from=1 ' 3
        kill -USR1 "$NS_INIT"
        bt_wait "$NS_UNSHARE" 10
        assert_eq "$status" 0 "$opt"
    done
}

@test "the child is the leader of its own process group" {
    pidns_start "$INIT" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    local line
    line=$(ready_line "$BT_TMP/sig")
    assert_eq "$(field pgid "$line")" "$(field pid "$line")"
    assert_eq "$(field ppid "$line")" 1
    kill -USR1 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0
}

@test "the child starts with an empty signal mask in every mode (no leaked block)" {
    for init in "$INIT --" "$TINI --" "$DUMB_INIT" "$DUMB_INIT -c"; do
        rm -f "$BT_TMP/sig"
        capture run_timeout 10 "$HELPERS/with-signals" $init "$HELPERS/trap-signals" \
            -o "$BT_TMP/sig" -m
        assert_eq "$status" 0 "$init"
        assert_eq "$(field blk "$(ready_line "$BT_TMP/sig")")" 0000000000000000 "$init"
    done
}

@test "the child gets back the mask bottle-init inherited, including signal 33" {
    # USR2 (12) and 33, which glibc and musl reserve: bits 11 and 32.
    capture run_timeout 10 "$HELPERS/with-signals" -b 12 -b 33 \
        "$INIT" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -m
    assert_eq "$status" 0
    assert_eq "$(field blk "$(ready_line "$BT_TMP/sig")")" 0000000100000800
}

@test "ignored signal dispositions reach the child unchanged" {
    # HUP (1), USR1 (10) and PIPE (13) ignored: 0x1201.
    for init in "$INIT --" "$TINI --" "$DUMB_INIT"; do
        rm -f "$BT_TMP/sig"
        capture run_timeout 10 "$HELPERS/with-signals" -i 1 -i 10 -i 13 \
            $init "$HELPERS/trap-signals" -o "$BT_TMP/sig" -m
        assert_eq "$status" 0 "$init"
        assert_eq "$(field ign "$(ready_line "$BT_TMP/sig")")" 0000000000001201 "$init"
    done
    capture run_timeout 10 "$HELPERS/with-signals" "$INIT" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig2" -m
    assert_eq "$(field ign "$(ready_line "$BT_TMP/sig2")")" 0000000000000000 "nothing ignored"
}

@test "native --setsid (or DUMB_INIT_SETSID=1): new session, signals to the group; -c: child only" {
    local line
    for how in --setsid env; do
        if [[ $how == env ]]; then
            capture run_timeout 10 env DUMB_INIT_SETSID=1 "$INIT" -- "$HELPERS/trap-signals" -m
        else
            capture run_timeout 10 "$INIT" --setsid -- "$HELPERS/trap-signals" -m
        fi
        assert_eq "$status" 0 "$how"
        line=$(grep '^ready ' <<<"$out")
        assert_eq "$(field sid "$line")" "$(field pid "$line")" "$how: sid"
    done
    capture run_timeout 10 "$INIT" -- "$HELPERS/trap-signals" -m
    line=$(grep '^ready ' <<<"$out")
    [[ $(field sid "$line") != "$(field pid "$line")" ]] || {
        echo "without --setsid the child leads a session: $line" >&2
        return 1
    }

    pidns_start "$INIT" --setsid -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 1 -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready ' 2
    kill -USR2 "$NS_INIT"
    wait_for 5 file_has "$BT_TMP/sig" '^sig=12 from=1 ' 2
    kill -USR1 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0 "--setsid: both got USR2 and USR1"

    rm -f "$BT_TMP/sig"
    pidns_start "$INIT" --setsid -c -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 1 -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready ' 2
    kill -USR2 "$NS_INIT"
    wait_for 5 file_has "$BT_TMP/sig" '^sig=12 from=1 '
    kill -USR1 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0 "--setsid -c"
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | tr '\n' ' ')" "12 10 " "--setsid -c: the child only"
}

@test "native -r S:R rewrites by name or number; R=0 drops S" {
    pidns_start "$INIT" -r TERM:USR1 --rewrite SIGINT:0 -r 3:31 -- "$HELPERS/trap-signals" \
        -o "$BT_TMP/sig" -x 12:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    kill -TERM "$NS_INIT"
    wait_for 5 file_has "$BT_TMP/sig" '^sig=10 from=1 '
    kill -QUIT "$NS_INIT"
    wait_for 5 file_has "$BT_TMP/sig" '^sig=31 from=1 '
    kill -INT "$NS_INIT"
    kill -USR2 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | tr '\n' ' ')" "10 31 12 "
}
