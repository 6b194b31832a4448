#!/usr/bin/env bats
# tini mode, chosen by running bottle-init as `tini` (docs/bottle-init.md, "tini mode"):
# tini's --version line (docker info parses it), -h, -w, -p, -g, its environment variables and
# its "[LEVEL tini (PID)] " messages; options stop at the program name.

load ../lib

@test "--version prints 'tini version 0.19.0 - git.bottle-init-VERSION' and exits 0" {
    capture run_timeout 10 "$TINI" --version
    assert_eq "$status" 0
    assert_match "$out" '^tini version 0\.19\.0 - git\.bottle-init-[0-9]+\.[0-9]+\.[0-9]+[^[:space:]]*$'
    assert_eq "$err" ""
}

@test "-h prints tini's usage on stdout and exits 0" {
    capture run_timeout 10 "$TINI" -h
    assert_eq "$status" 0
    assert_line "$out" 'Usage: tini \[OPTIONS\] PROGRAM -- \[ARGS\] \| --version'
    assert_match "$out" 'TINI_SUBREAPER'
    assert_eq "$err" ""
}

@test "-l prints the license and exits 0" {
    capture run_timeout 10 "$TINI" -l
    assert_eq "$status" 0
    assert_match "$out" '[Ll]icen[cs]e|LICENSE|Permission|copyright|Copyright'
}

@test "options stop at the program name: 'tini ls -d /' runs ls -d /" {
    capture run_timeout 10 "$TINI" ls -d /
    assert_eq "$status" 0
    assert_eq "$out" "/"
    capture run_timeout 10 "$TINI" -s ls -d /
    assert_eq "$status" 0 "tini -s ls -d /"
    assert_eq "$out" "/"
    capture run_timeout 10 "$TINI" -- ls -d /
    assert_eq "$status" 0 "tini -- ls -d /"
    assert_eq "$out" "/"
}

@test "-w prints '[WARN  tini (PID)] Reaped zombie process with pid=N' per orphan" {
    capture in_pidns 20 "$TINI" -w -- "$HELPERS/make-zombies" -n 8 -r 1
    assert_eq "$status" 0
    local orphans reaped
    orphans=$(sed -nE 's/^orphan pid=([0-9]+) .*/\1/p' <<<"$out" | sort -n | tr '\n' ' ')
    # PID 1 of the namespace: "(1)".
    reaped=$(sed -nE 's/^\[WARN  tini \(1\)\] Reaped zombie process with pid=([0-9]+)$/\1/p' \
        <<<"$err" | sort -n | tr '\n' ' ')
    assert_eq "$reaped" "$orphans"
}

@test "verbosity 1 by default: a clean run prints nothing" {
    capture in_pidns 10 "$TINI" -- true
    assert_eq "$status" 0
    assert_eq "$err" ""
    capture in_pidns 10 "$TINI" -- "$HELPERS/make-zombies" -n 3 -r 1
    assert_eq "$status" 0 "orphans, without -w"
    assert_eq "$err" ""
}

@test "TINI_VERBOSITY=3 and -vvv add INFO/DEBUG messages with tini's prefix" {
    # tini itself prints these on stdout; either is fine.
    capture in_pidns 10 env TINI_VERBOSITY=3 "$TINI" -- true
    assert_eq "$status" 0
    assert_line "$out"$'\n'"$err" '\[(INFO |DEBUG|TRACE) tini \(1\)\] .+'
    capture in_pidns 10 "$TINI" -vvv -- true
    assert_eq "$status" 0 "-vvv"
    assert_line "$out"$'\n'"$err" '\[(INFO |DEBUG|TRACE) tini \(1\)\] .+'
}

@test "TINI_VERBOSITY=0 silences warnings, -w ones included (as tini)" {
    capture in_pidns 20 env TINI_VERBOSITY=0 "$TINI" -w -- "$HELPERS/make-zombies" -n 3 -r 1
    assert_eq "$status" 0
    assert_line "$out" "zombies=0"
    assert_eq "$err" ""
}

@test "-g and TINI_KILL_PROCESS_GROUP=1 send signals to the child's process group" {
    for how in -g env; do
        rm -f "$BT_TMP/sig"
        if [[ $how == env ]]; then
            TINI_KILL_PROCESS_GROUP=1 pidns_start "$TINI" -- "$HELPERS/trap-signals" \
                -o "$BT_TMP/sig" -f 2 -x 10:0 -t 20
        else
            pidns_start "$TINI" -g -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 2 -x 10:0 -t 20
        fi
        wait_for 5 file_has "$BT_TMP/sig" '^ready ' 3
        kill -USR2 "$NS_INIT"
        wait_for 5 file_has "$BT_TMP/sig" '^sig=12 from=1 ' 3
        kill -USR1 "$NS_INIT"
        bt_wait "$NS_UNSHARE" 10
        assert_eq "$status" 0 "$how"
    done
    # Without either, only the child gets it.
    rm -f "$BT_TMP/sig"
    pidns_start "$TINI" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -f 2 -x 10:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready ' 3
    kill -USR1 "$NS_INIT"
    bt_wait "$NS_UNSHARE" 10
    assert_eq "$status" 0 "plain"
    assert_eq "$(grep -c '^sig=' "$BT_TMP/sig")" 1 "plain: the child only"
}

# pdeath_test INIT OPTION...: runs INIT OPTION... trap-signals under a parent that is then
# SIGKILLed; prints trap-signals' output.
pdeath_test() {
    capture ns_script 20 '
        bash -c "\"\$@\" \"\$HELPERS/trap-signals\" -o \"\$BT_TMP/sig\" -x 10:0 -t 10 & wait" _ "$@" &
        parent=$!
        wait_for 5 file_has "$BT_TMP/sig" "^ready " || exit 1
        kill -KILL "$parent"
        wait_for 5 file_has "$BT_TMP/sig" "^sig=" || exit 2
        cat "$BT_TMP/sig"
    ' "$@"
}

@test "-p SIGUSR1: the parent's death makes it forward SIGUSR1 to the child" {
    pdeath_test "$TINI" -p SIGUSR1 --
    assert_eq "$status" 0
    local init
    init=$(field ppid "$(grep '^ready ' <<<"$out")")
    assert_line "$out" "sig=10 from=$init code=-?[0-9]+ pid=[0-9]+"
}

@test "native --pdeath-signal USR2 works the same way" {
    capture ns_script 20 '
        bash -c "\"\$INIT\" --pdeath-signal USR2 -- \"\$HELPERS/trap-signals\" \
            -o \"\$BT_TMP/sig\" -x 12:0 -t 10 & wait" &
        parent=$!
        wait_for 5 file_has "$BT_TMP/sig" "^ready " || exit 1
        kill -KILL "$parent"
        wait_for 5 file_has "$BT_TMP/sig" "^sig=" || exit 2
        cat "$BT_TMP/sig"
    '
    assert_eq "$status" 0
    local init
    init=$(field ppid "$(grep '^ready ' <<<"$out")")
    assert_line "$out" "sig=12 from=$init code=-?[0-9]+ pid=[0-9]+"
}
