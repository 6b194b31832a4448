#!/usr/bin/env bats
# bottle kill (through the shim's socket: the init, or --all) and bottle logs (the k8s-file log:
# streams apart, partial records joined, --tail, --timestamps, -f across rotations until the
# container exits).

load lib

@test "kill -s USR1 reaches the service; by name or number" {
    cli_start
    log_has '^.* stdout F hello$'
    bottle kill -s USR1 "$NAME"
    assert_eq "$status" 0
    log_has 'got-usr1'
    bottle kill --signal 10 "$NAME"
    assert_eq "$status" 0
    wait_for 10 file_has "$BOTTLE_ROOT/containers/$NAME/container.log" 'got-usr1' 2
    bottle kill -s SIGUSR1 "$NAME"
    wait_for 10 file_has "$BOTTLE_ROOT/containers/$NAME/container.log" 'got-usr1' 3
    not_exited
}

@test "kill with no signal sends TERM: the service dies of it, the exit file says 143" {
    cli_start
    bottle kill "$NAME"
    assert_eq "$status" 0
    wait_for 10 exited
    assert_eq "$(exit_field exit_code)" 143
}

@test "kill --all -s KILL empties the container; the exit file says 137" {
    # A service with children that ignore TERM: only --all reaches them directly.
    cli_bundle 'trap "" TERM; sleep 1000 & sleep 1000 & echo started; wait'
    cli_start
    log_has started
    bottle kill --all -s KILL "$NAME"
    assert_eq "$status" 0
    wait_for 10 exited
    assert_eq "$(exit_field exit_code)" 137
    assert_eq "$(exit_field signal)" 9
    local dir
    for dir in $(cli_cgroup_dirs); do
        assert_eq "$(find "$dir" -name cgroup.procs -exec cat {} +)" "" "$dir is empty"
    done
    # A container that is gone: one line and 125.
    bottle kill "$NAME"
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" 'not running'
}

@test "kill: a bad signal or an unknown container is 125 with one line" {
    cli_start
    bottle kill -s BOGUS "$NAME"
    assert_eq "$status" 125
    assert_eq "$err" "bottle: kill: invalid signal 'BOGUS'"
    bottle kill -s 65 "$NAME"
    assert_eq "$status" 125
    bottle kill bt-no-such-container
    assert_eq "$status" 125
    assert_eq "$err" "bottle: no such container: bt-no-such-container"
    not_exited
}

@test "logs: stdout to stdout, stderr to stderr; --tail N; --timestamps" {
    # (Two pipes: the order across streams is only kept for writes apart in time.)
    cli_bundle 'for i in 1 2 3 4 5; do echo out-$i; done; echo err-1 >&2; sleep 0.3; echo done; sleep 1000'
    cli_start
    log_has 'F done$'
    bottle logs "$NAME"
    assert_eq "$status" 0
    assert_eq "$out" $'out-1\nout-2\nout-3\nout-4\nout-5\ndone'
    assert_eq "$err" err-1
    bottle logs --tail 3 "$NAME"
    assert_eq "$out" $'out-5\ndone'
    assert_eq "$err" err-1 "err-1 is one of the last 3 lines"
    bottle logs --tail 1 "$NAME"
    assert_eq "$out" done
    assert_eq "$err" ""
    bottle logs --tail 0 "$NAME"
    assert_eq "$out$err" ""
    bottle logs --timestamps --tail 1 "$NAME"
    assert_match "$out" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}) done$'
    bottle logs --tail -1 "$NAME"
    assert_eq "$status" 125
}

@test "logs: partial records are joined back into their lines" {
    # A line written in pieces, and one longer than a record (16 KiB): P records in the file.
    cli_bundle 'printf part1; sleep 0.3; printf part2; sleep 0.3; echo part3
head -c 40000 /dev/zero | tr "\0" x; echo; echo last; sleep 1000'
    cli_start
    log_has 'F last$'
    file_has "$BOTTLE_ROOT/containers/$NAME/container.log" ' stdout P ' 2
    bottle logs "$NAME"
    assert_eq "$(sed -n 1p <<<"$out")" part1part2part3
    assert_eq "$(sed -n 2p <<<"$out" | tr -d '\n' | wc -c)" 40000
    assert_eq "$(sed -n 3p <<<"$out")" last
    bottle logs --tail 2 "$NAME"
    assert_eq "$(head -c 10 <<<"$out")" xxxxxxxxxx
    assert_eq "$(wc -l <<<"$out")" 2
}

@test "logs -f prints new lines and exits when the container exits" {
    cli_start
    log_has hello
    bt_start -o "$BT_TMP/follow.out" -e "$BT_TMP/follow.err" timeout -k 2 20 "$BOTTLE" logs -f "$NAME"
    local follower=$BG_PID
    wait_for 10 file_has "$BT_TMP/follow.out" '^hello$'
    bottle kill -s USR1 "$NAME"
    wait_for 10 file_has "$BT_TMP/follow.out" '^got-usr1$'
    assert_eq "$(cat "$BT_TMP/follow.err")" oops
    bottle kill --all -s KILL "$NAME"
    bt_wait "$follower" 10
    assert_eq "$status" 0 "logs -f ended by itself"
    assert_eq "$(cat "$BT_TMP/follow.out")" $'hello\ngot-usr1'
    # On a container that has exited, -f prints everything and returns at once.
    capture run_timeout 10 "$BOTTLE" logs -f "$NAME"
    assert_eq "$status" 0
    assert_eq "$out" $'hello\ngot-usr1'
}

@test "logs -f follows across rotations and sees every line exactly once" {
    # 3000 lines through 4 KiB files: dozens of rotations while we follow.
    cli_bundle 'trap "go=1" USR1; echo waiting; while [ -z "$go" ]; do sleep 1 & wait $!; done
i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i + 1)); done; sleep 0.5'
    cli_start --log-size 4096 --log-files 100
    bt_start -o "$BT_TMP/follow.out" -e "$BT_TMP/follow.err" timeout -k 2 60 "$BOTTLE" logs -f "$NAME"
    local follower=$BG_PID
    wait_for 10 file_has "$BT_TMP/follow.out" '^waiting$'
    bottle kill -s USR1 "$NAME"
    bt_wait "$follower" 60
    assert_eq "$status" 0
    seq 0 2999 | sed 's/^/line-/' | sed '1i waiting' >"$BT_TMP/expected"
    diff "$BT_TMP/expected" "$BT_TMP/follow.out"
    ls "$BOTTLE_ROOT/containers/$NAME"/container.log.* >/dev/null
    # And the same from the files afterwards.
    bottle logs "$NAME"
    diff "$BT_TMP/expected" "$BT_TMP/capture.out"
}

@test "logs of an unknown container: 125 and one line" {
    bottle logs bt-no-such-container
    assert_eq "$status" 125
    assert_eq "$err" "bottle: no such container: bt-no-such-container"
}
