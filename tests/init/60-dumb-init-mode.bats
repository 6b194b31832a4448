#!/usr/bin/env bats
# dumb-init mode, chosen by running bottle-init as `dumb-init` (docs/bottle-init.md,
# "dumb-init mode"): options stop at the program name, setsid by default with signals to the
# child's group, -c / DUMB_INIT_SETSID=0 for a single child, -r rewriting, TSTP/TTIN/TTOU made
# STOP, SIGTERM to the group when the main child exits, "[dumb-init] " messages, -V.

load ../lib

@test "options stop at the program name: 'dumb-init ls -d /' runs ls -d /" {
    capture run_timeout 10 "$DUMB_INIT" ls -d /
    assert_eq "$status" 0
    assert_eq "$out" "/"
    capture run_timeout 10 "$DUMB_INIT" -c ls -d /
    assert_eq "$status" 0 "dumb-init -c ls -d /"
    assert_eq "$out" "/"
}

@test "setsid by default: the child leads a new session and process group" {
    capture run_timeout 10 "$HELPERS/with-signals" "$DUMB_INIT" "$HELPERS/trap-signals" -m
    assert_eq "$status" 0
    local line
    line=$(grep '^ready ' <<<"$out")
    assert_eq "$(field sid "$line")" "$(field pid "$line")" "sid"
    assert_eq "$(field pgid "$line")" "$(field pid "$line")" "pgid"
}

@test "-c, --single-child and DUMB_INIT_SETSID=0: the child stays in the init's session" {
    local line
    for how in -c --single-child env; do
        if [[ $how == env ]]; then
            capture run_timeout 10 env DUMB_INIT_SETSID=0 "$DUMB_INIT" "$HELPERS/trap-signals" -m
        else
            capture run_timeout 10 "$DUMB_INIT" "$how" "$HELPERS/trap-signals" -m
        fi
        assert_eq "$status" 0 "$how"
        line=$(grep '^ready ' <<<"$out")
        [[ $(field sid "$line") != "$(field pid "$line")" ]] || {
            echo "$how: the child leads its own session: $line" >&2
            return 1
        }
    done
}

@test "setsid mode signals the child's whole process group, -c only the child" {
    pidns_start "$DUMB_INIT" "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 1 -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready ' 2
    kill -USR2 "$NS_INIT"
    wait_for 5 file_has "$BT_TMP/sig" '^sig=12 from=1 ' 2
    kill -USR1 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0 "setsid mode"

    rm -f "$BT_TMP/sig"
    pidns_start "$DUMB_INIT" -c "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 1 -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready ' 2
    kill -USR2 "$NS_INIT"
    wait_for 5 file_has "$BT_TMP/sig" '^sig=12 from=1 '
    kill -USR1 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0 "-c"
    local main
    main=$(field pid "$(ready_line "$BT_TMP/sig" 2)")
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | tr '\n' ' ')" "12 10 " "-c: both to the child"
    assert_eq "$(signals_from "$BT_TMP/sig" 1 "$main" | tr '\n' ' ')" "12 10 " "-c: the child"
}

@test "-r 15:10 forwards SIGTERM as SIGUSR1; -r S:0 drops S" {
    pidns_start "$DUMB_INIT" -r 15:10 --rewrite 2:0 "$HELPERS/trap-signals" -o "$BT_TMP/sig" \
        -x 12:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    kill -TERM "$NS_INIT"
    wait_for 5 file_has "$BT_TMP/sig" '^sig=10 from=1 '
    kill -INT "$NS_INIT"
    kill -USR2 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0
    assert_eq "$(signals_from "$BT_TMP/sig" 1 | tr '\n' ' ')" "10 12 "
}

@test "DUMB_INIT_DEBUG=1 and -v print '[dumb-init] ' messages on stderr" {
    capture run_timeout 10 env DUMB_INIT_DEBUG=1 "$DUMB_INIT" true
    assert_eq "$status" 0
    assert_line "$err" '\[dumb-init\] .+'
    capture run_timeout 10 "$DUMB_INIT" -v true
    assert_eq "$status" 0 "-v"
    assert_line "$err" '\[dumb-init\] .+'
    capture run_timeout 10 "$DUMB_INIT" true
    assert_eq "$err" "" "quiet without them"
}

@test "-V prints 'dumb-init v1.2.5 (bottle-init VERSION)' on stderr; -h exits 0" {
    capture run_timeout 10 "$DUMB_INIT" -V
    assert_eq "$status" 0
    assert_match "$err" '^dumb-init v1\.2\.5 \(bottle-init [0-9]+\.[0-9]+\.[0-9]+[^)]*\)$'
    capture run_timeout 10 "$DUMB_INIT" --version
    assert_eq "$status" 0 "--version"
    assert_match "$err" '^dumb-init v1\.2\.5 \(bottle-init '
    capture run_timeout 10 "$DUMB_INIT" -h
    assert_eq "$status" 0 "-h"
    assert_match "$out$err" 'Usage: .*dumb-init'
}

@test "when the main child exits, its process group gets SIGTERM (not with -c)" {
    # The main trap-signals exits as soon as its copy is ready; the copy, still in the group,
    # must then get SIGTERM from the init. bash is PID 1, so the init is not.
    capture ns_script 20 '
        "$DUMB_INIT" "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 1 -m -x 15:0 -t 10
        echo "status=$?"
        wait_for 5 file_has "$BT_TMP/sig" "^sig=15 " || echo "no SIGTERM"
        "$DUMB_INIT" -c "$HELPERS/trap-signals" -o "$BT_TMP/sig-c" -f 1 -m -x 15:0 -t 10
        echo "c-status=$?"
        bt_sleep 0.5
    '
    assert_eq "$status" 0
    assert_line "$out" "status=0"
    local init
    init=$(field ppid "$(ready_line "$BT_TMP/sig" 2)")
    assert_eq "$(signals_from "$BT_TMP/sig" "$init" | tr '\n' ' ')" "15 "
    assert_line "$out" "c-status=0"
    assert_eq "$(grep -c '^sig=' "$BT_TMP/sig-c")" 0 "-c: the copy got nothing"
}

@test "setsid mode: TSTP is forwarded as STOP and the init stops itself until CONT" {
    capture ns_script 30 '
        F=$BT_TMP/sig
        "$DUMB_INIT" "$HELPERS/trap-signals" -o "$F" -x 15:0 -t 20 &
        init=$!
        wait_for 5 file_has "$F" "^ready " || exit 1
        child=$(field pid "$(ready_line "$F")")
        kill -TSTP "$init"
        wait_for 5 proc_stopped "$child" && echo "child stopped"
        wait_for 5 proc_stopped "$init" && echo "init stopped"
        kill -CONT "$init"
        wait_for 5 file_has "$F" "^sig=18 " && echo "child got CONT"
        [[ $(proc_state "$child") != T ]] && echo "child runs"
        [[ $(proc_state "$init") != T ]] && echo "init runs"
        kill -TERM "$init"
        bt_wait "$init" 5
        echo "status=$status"
        cat "$F"
    '
    assert_eq "$status" 0
    assert_line "$out" "child stopped"
    assert_line "$out" "init stopped"
    assert_line "$out" "child got CONT"
    assert_line "$out" "child runs"
    assert_line "$out" "init runs"
    assert_line "$out" "status=0"
    assert_no_match "$out" "sig=20 " "TSTP itself never reached the child"
}

@test "single-child mode forwards TSTP unchanged (and stops itself, as dumb-init does)" {
    capture ns_script 30 '
        F=$BT_TMP/sig
        "$DUMB_INIT" -c "$HELPERS/trap-signals" -o "$F" -x 15:0 -t 20 &
        init=$!
        wait_for 5 file_has "$F" "^ready " || exit 1
        child=$(field pid "$(ready_line "$F")")
        kill -TSTP "$init"
        wait_for 5 file_has "$F" "^sig=20 " && echo "child got TSTP"
        [[ $(proc_state "$child") != T ]] && echo "child runs"
        kill -CONT "$init"
        wait_for 5 file_has "$F" "^sig=18 " && echo "child got CONT"
        kill -TERM "$init"
        bt_wait "$init" 5
        echo "status=$status"
    '
    assert_eq "$status" 0
    assert_line "$out" "child got TSTP"
    assert_line "$out" "child runs"
    assert_line "$out" "child got CONT"
    assert_line "$out" "status=0"
}

@test "the init moves to / while the child keeps the cwd it was started in" {
    cd "$BT_TMP"
    bt_start "$DUMB_INIT" "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 10:0 -t 20
    cd /
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    track_ready "$BT_TMP/sig"
    assert_eq "$(field cwd "$(ready_line "$BT_TMP/sig")")" "$(realpath "$BT_TMP")" "child's cwd"
    wait_for 5 cwd_is "$BG_PID" / || true
    assert_eq "$(readlink "/proc/$BG_PID/cwd")" / "init's cwd"
    kill -USR1 "$BG_PID"
    bt_wait "$BG_PID" 10
    assert_eq "$status" 0
}
