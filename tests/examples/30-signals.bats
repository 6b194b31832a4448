#!/usr/bin/env bats
# The signal/kill bench (examples/signals/bench.sh): its table has the rows its cases must give
# (a trapped TERM, KILL as signal 9 and a restart, a TERM-ignoring program killed after the stop
# timeout, an OOM reported as such, a lost shim), for the default program and for a COMMAND, and
# it leaves nothing behind.

load ../lib

BENCH=$BATS_TEST_DIRNAME/../../examples/signals/bench.sh

setup() {
    bt_setup
    [[ $EUID -eq 0 ]] || skip "the bench needs root"
    bt_need "$BT_BIN/bottled" "$BT_BIN/bottle"
    [[ -x $BOTTLE_BUILD/rootfs/busybox/bin/busybox ]] || skip "no busybox rootfs (make rootfs)"
    PARENT=bt-ex-sig-$$-$BATS_TEST_NUMBER
    PREFIX=bt-sig-$$-$BATS_TEST_NUMBER
    mkdir "$BT_TMP/t"
}

# Whatever a failed or killed run left: processes in our cgroups, the cgroups.
teardown() {
    local dir pid
    # A run that was itself killed leaves its bottled and event stream (named by their paths).
    for pid in $(pgrep -f "$BT_TMP/t/" || true); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    bt_cgroup_purge "$PARENT"
    for dir in /run/netns/"$PREFIX"-*; do
        [[ -e $dir ]] || continue
        umount -l "$dir" 2>/dev/null || true
        rm -f "$dir"
    done
    bt_teardown
}

# bench ARG...: runs the bench with this test's cgroup parent, names and temp dir; $status,
# $out, $err.
bench() {
    capture run_timeout 400 env TMPDIR="$BT_TMP/t" BENCH_CGROUP_PARENT="$PARENT" \
        BENCH_NAME_PREFIX="$PREFIX" "$BENCH" "$@"
}

# row CASE: the bench's TSV row of CASE; sets SENT SAW EXIT AFTER RESTARTED.
row() {
    local line
    line=$(grep -E "^$1"$'\t' <<<"$out") || { echo "no row for $1 in: $out" >&2; return 1; }
    IFS=$'\t' read -r _ SENT SAW EXIT AFTER RESTARTED <<<"$line"
}

# Nothing of the run is left: cgroups, temp dirs, processes, named netns.
assert_nothing_left() {
    assert_eq "$(ls -d /sys/fs/cgroup/*/"$PARENT" /sys/fs/cgroup/"$PARENT" 2>/dev/null)" "" "cgroups"
    assert_eq "$(ls -A "$BT_TMP/t")" "" "the bench's temp dir"
    assert_eq "$(pgrep -f "$BT_TMP/t/" || true)" "" "processes of the run"
    assert_eq "$(compgen -G "/run/netns/$PREFIX-*" || true)" "" "named netns"
}

@test "the default program: TERM/INT trapped, HUP handled, USR1 and KILL kill it, stop times out, OOM, lost shim" {
    # --wait 6: a loaded machine can take seconds to deliver a signal and report the exit.
    bench --tsv --wait 6
    [ "$status" -eq 0 ]
    assert_eq "$(wc -l <<<"$out")" 9 "one row per case"

    row TERM
    assert_eq "$SENT" "bottle kill -s TERM"
    assert_eq "$SAW" "trapped TERM, exiting 0"
    assert_eq "$EXIT" "code 0"
    assert_match "$RESTARTED" '^yes, in [0-9]+ ms$'

    row INT
    assert_eq "$SAW" "trapped INT, exiting 130"
    assert_eq "$EXIT" "code 130 (128+INT)"
    assert_match "$RESTARTED" '^yes'

    row HUP
    assert_eq "$SAW" "trapped HUP, reloading"
    assert_eq "$EXIT" "still running"
    assert_eq "$RESTARTED" "-"

    row USR1 # not trapped: its default action ends the shell
    assert_eq "$SAW" "-"
    assert_eq "$EXIT" "code 138 (128+USR1)"
    assert_match "$RESTARTED" '^yes'

    row QUIT # busybox sh ignores it
    assert_eq "$EXIT" "still running"

    row KILL
    assert_eq "$SAW" "-"
    assert_eq "$EXIT" "signal 9 (KILL)"
    assert_match "$RESTARTED" '^yes, in [0-9]+ ms$'

    row stop # the program ignores TERM: SIGKILLed once the 2 s timeout has passed
    assert_eq "$SENT" "bottle stop (timeout 2 s)"
    assert_eq "$SAW" "trapped TERM, ignoring it"
    assert_eq "$EXIT" "signal 9 (KILL)"
    assert_ge "${AFTER% ms}" 2000 "killed after the timeout"
    assert_le "${AFTER% ms}" 15000 "killed soon after the timeout"
    assert_eq "$RESTARTED" "no, stopped"

    row oom
    assert_eq "$EXIT" "code 137 (128+KILL), oom"
    assert_match "$RESTARTED" '^yes'

    row shim
    assert_eq "$EXIT" "signal 9 (KILL), shim lost"
    assert_match "$RESTARTED" '^yes'

    assert_nothing_left
}

@test "a COMMAND of one's own: sleep dies of TERM (143) and stops at once" {
    bench --tsv --wait 6 --cases TERM,stop --stop-timeout 10 -- sleep 1000
    [ "$status" -eq 0 ]
    row TERM
    assert_eq "$SAW" "-"
    assert_eq "$EXIT" "code 143 (128+TERM)"
    assert_match "$RESTARTED" '^yes'
    row stop
    assert_eq "$SENT" "bottle stop (timeout 10 s)"
    assert_eq "$EXIT" "code 143 (128+TERM)"
    assert_le "${AFTER% ms}" 9000 "no wait for the timeout"
    assert_nothing_left
}

@test "a program that ends before it is sent anything: its row says so and the bench exits 1" {
    bench --tsv --cases KILL -- sh -c 'exit 7'
    assert_eq "$status" 1
    row KILL
    assert_eq "$EXIT" "exited by itself: code 7"
    assert_nothing_left
}

@test "the human table: a header, then one aligned row per case" {
    bench --wait 6 --cases KILL,HUP
    [ "$status" -eq 0 ]
    assert_line "$out" 'program: sh examples/signals/service.sh \(the default\), in .*'
    assert_line "$out" 'CASE +SENT +PROGRAM SAW +EXIT +AFTER +RESTARTED'
    assert_line "$out" 'KILL +bottle kill -s KILL +- +signal 9 \(KILL\) +[0-9]+ ms +yes, in [0-9]+ ms'
    assert_line "$out" 'HUP +bottle kill -s HUP +trapped HUP, reloading +still running +- +-'
    assert_eq "$(wc -l <<<"$out")" 4
    assert_nothing_left
}

@test "bad input: one line naming the cause, exit 125, nothing started" {
    local args
    for args in "--cases TERM,FOO" "--stop-timeout soon" "--memory lots" "--rootfs $BT_TMP/none" \
        "--wait 0" "--start-wait x" "--frobnicate"; do
        # shellcheck disable=SC2086
        bench $args
        assert_eq "$status" 125 "$args"
        assert_eq "$(wc -l <<<"$err")" 1 "$args"
        assert_match "$err" '^bench\.sh: ' "$args"
    done
    assert_nothing_left
}
