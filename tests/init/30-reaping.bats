#!/usr/bin/env bats
# Reaping (docs/bottle-init.md, "Reaping" and "Without grace mode"): orphans re-parented to
# bottle-init are reaped, as PID 1 of a pid namespace and as a quiet child subreaper when it is
# not PID 1; the main child's exit is noticed even in a burst of other exits (catatonit#4), and
# bottle-init does not wait for daemons left running when the main child is gone.

load ../lib

@test "as PID 1: 50 orphans are re-parented to it and reaped, no zombie is left" {
    # make-zombies checks that its orphans went to pid 1 and vanished; ps then shows the whole
    # namespace.
    capture in_pidns 20 "$INIT" -- sh -c \
        '"$0" -n 50 -r 1 || exit 1; exec ps -e -o pid=,stat=,comm=' "$HELPERS/make-zombies"
    assert_eq "$status" 0
    assert_eq "$(grep -c 'reparented-to=1$' <<<"$out")" 50 "50 orphans went to pid 1"
    assert_line "$out" "zombies=0"
    assert_no_match "$(grep -vE '^(orphan|zombies=)' <<<"$out")" ' Z' "no zombie in the namespace"
}

@test "as PID 1 in tini and dumb-init modes too" {
    for init in "$TINI --" "$DUMB_INIT"; do
        capture in_pidns 20 $init "$HELPERS/make-zombies" -n 20 -r 1
        assert_eq "$status" 0 "$init"
        assert_line "$out" "zombies=0"
    done
}

@test "not PID 1: it becomes a child subreaper by itself, reaps orphans and says nothing" {
    # bash is PID 1 of the namespace; make-zombies expects its orphans to go to its parent,
    # bottle-init, and not to bash.
    capture ns_script 20 '
        "$INIT" -- "$HELPERS/make-zombies" -n 20 2>"$BT_TMP/init.err"
        echo "status=$?"
        "$TINI" -- "$HELPERS/make-zombies" -n 5 2>"$BT_TMP/tini.err"
        echo "tini-status=$?"
        "$DUMB_INIT" "$HELPERS/make-zombies" -n 5 2>"$BT_TMP/dumb-init.err"
        echo "dumb-init-status=$?"
    '
    assert_eq "$status" 0
    assert_line "$out" "status=0"
    assert_eq "$(grep -c '^orphan pid=' <<<"$out")" 30
    assert_eq "$(cat "$BT_TMP/init.err")" "" "bottle-init's stderr"
    assert_line "$out" "tini-status=0"
    assert_eq "$(cat "$BT_TMP/tini.err")" "" "no subreaper warning in tini mode"
    assert_line "$out" "dumb-init-status=0"
    assert_eq "$(cat "$BT_TMP/dumb-init.err")" "" "dumb-init's stderr"
}

@test "-s and TINI_SUBREAPER register it as a subreaper quietly as well" {
    capture ns_script 20 '
        "$INIT" -s -- "$HELPERS/make-zombies" -n 5 2>>"$BT_TMP/err"; echo "s=$?"
        TINI_SUBREAPER=1 "$TINI" -- "$HELPERS/make-zombies" -n 5 2>>"$BT_TMP/err"; echo "env=$?"
        "$TINI" -s -- "$HELPERS/make-zombies" -n 5 2>>"$BT_TMP/err"; echo "tini-s=$?"
    '
    assert_eq "$status" 0
    assert_line "$out" "s=0"
    assert_line "$out" "env=0"
    assert_line "$out" "tini-s=0"
    assert_eq "$(cat "$BT_TMP/err")" ""
}

@test "the main child's exit is seen when 100 other processes exit at the same moment" {
    # catatonit#4: one SIGCHLD for many exits must not hide the main child's.
    for round in 1 2 3; do
        capture in_pidns 10 "$INIT" -- "$HELPERS/make-zombies" -x 7 -n 100
        assert_eq "$status" 7 "as PID 1, round $round"
    done
    capture ns_script 30 '
        for round in 1 2 3; do
            run_timeout 8 "$INIT" -- "$HELPERS/make-zombies" -x 9 -n 100
            echo "status=$?"
        done
    '
    assert_eq "$status" 0
    assert_eq "$(grep -c '^status=9$' <<<"$out")" 3 "not PID 1"
}

@test "without grace mode it exits with the main child, leaving no wait on daemons" {
    local start
    start=$(bt_now)
    capture in_pidns 10 "$INIT" -- sh -c 'sleep 30 & sleep 30 & exit 3'
    assert_eq "$status" 3
    assert_le "$(($(bt_now) - start))" 3000000 "took at most 3 s"
    start=$(bt_now)
    capture in_pidns 10 "$TINI" -- sh -c 'sleep 30 & exit 4'
    assert_eq "$status" 4
    assert_le "$(($(bt_now) - start))" 3000000 "tini mode took at most 3 s"
}

@test "-w and --warn-on-reap report every orphan reaped, by pid" {
    for opt in -w --warn-on-reap; do
        capture in_pidns 20 "$INIT" "$opt" -- "$HELPERS/make-zombies" -n 10 -r 1
        assert_eq "$status" 0 "$opt"
        local orphans reaped
        orphans=$(sed -nE 's/^orphan pid=([0-9]+) .*/\1/p' <<<"$out" | sort -n | tr '\n' ' ')
        reaped=$(sed -nE 's/.*Reaped zombie process with pid=([0-9]+)$/\1/p' <<<"$err" |
            sort -n | tr '\n' ' ')
        assert_eq "$reaped" "$orphans" "$opt: the pids reported are the orphans'"
    done
}
