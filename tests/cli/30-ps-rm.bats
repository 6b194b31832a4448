#!/usr/bin/env bats
# bottle ps, inspect and rm, the interim verbs that read the state dir and ask the shims until
# bottled owns container state.

load lib

# json_values FILE EXPR...: the values of EXPRs (Python, the JSON in FILE bound to `j`), one a
# line (one python run: it starts slowly on a busy host).
json_values() {
    python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    print(eval(expr))' "$@"
}

@test "ps lists running containers; -a the exited ones too; --json" {
    cli_start
    bottle ps
    assert_eq "$status" 0
    assert_line "$out" 'NAME +PID +STATUS +STARTED'
    assert_line "$out" "$NAME +$INIT_PID +running +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}"
    bottle ps --json
    assert_eq "$(json_values "$BT_TMP/capture.out" 'len(j)' 'j[0]["name"]' 'j[0]["status"]' \
        'j[0]["pid"]')" "1
$NAME
running
$INIT_PID"

    bottle kill --all -s KILL "$NAME"
    wait_for 10 exited
    bottle ps
    assert_no_match "$out" "$NAME" "an exited container needs -a"
    bottle ps -a
    assert_line "$out" "$NAME +- +exited \\(137\\) +[0-9-]+ [0-9:]+"
    bottle ps -a --json
    assert_eq "$(json_values "$BT_TMP/capture.out" 'j[0]["status"]' 'j[0]["exit_code"]')" \
        $'exited\n137'
}

@test "inspect prints the container's state as JSON" {
    cli_start
    bottle inspect "$NAME"
    assert_eq "$status" 0
    assert_eq "$(json_values "$BT_TMP/capture.out" 'len(j)' 'j[0]["name"]' 'j[0]["status"]' \
        'j[0]["pid"]' 'j[0]["shim_pid"]' 'j[0]["bundle"]')" "1
$NAME
running
$INIT_PID
$SHIM_PID
$BUNDLE"
    bottle kill "$NAME"
    wait_for 10 exited
    bottle inspect "$NAME"
    assert_eq "$(json_values "$BT_TMP/capture.out" 'j[0]["status"]' 'j[0]["exit_code"]')" \
        $'exited\n143'
    bottle inspect bt-no-such-container
    assert_eq "$status" 125
    assert_eq "$err" "bottle: no such container: bt-no-such-container"
}

@test "rm refuses a running container; rm -f kills it and removes everything" {
    cli_start
    log_has hello
    bottle rm "$NAME"
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" 'is running'
    bottle exec "$NAME" true
    assert_eq "$status" 0 "still running"

    bottle rm -f "$NAME"
    assert_eq "$status" 0
    assert_eq "$out" "$NAME"
    proc_gone "$INIT_PID"
    proc_gone "$SHIM_PID"
    [[ ! -e $BOTTLE_STATE/containers/$NAME ]]
    [[ ! -e $BOTTLE_ROOT/containers/$NAME ]]
    local mount
    for mount in $(cli_cgroup_mounts); do
        [[ ! -e $mount/$CG_PARENT/$NAME ]]
    done
    bottle rm "$NAME"
    assert_eq "$status" 125
    assert_eq "$err" "bottle: no such container: $NAME"
}

@test "rm removes an exited container without -f" {
    cli_start
    bottle kill "$NAME"
    wait_for 10 exited
    bottle rm "$NAME"
    assert_eq "$status" 0
    [[ ! -e $BOTTLE_STATE/containers/$NAME ]]
    [[ ! -e $BOTTLE_ROOT/containers/$NAME ]]
    bottle logs "$NAME"
    assert_eq "$status" 125
}

@test "unknown or invalid container names: 125 and one line from every verb" {
    local verb
    for verb in "exec NAME true" "kill NAME" "logs NAME" "inspect NAME" "rm NAME" "rm -f NAME"; do
        # shellcheck disable=SC2086
        bottle ${verb/NAME/bt-no-such-container}
        assert_eq "$status" 125 "$verb"
        assert_eq "$err" "bottle: no such container: bt-no-such-container" "$verb"
        # shellcheck disable=SC2086
        bottle ${verb/NAME/../x}
        assert_eq "$status" 125 "$verb ../x"
        assert_one_line "$err" "$verb ../x"
    done
    bottle ps -a
    assert_eq "$status" 0
    assert_eq "$out" "$(printf '%-24s %-8s %-14s %s' NAME PID STATUS STARTED)" "no containers"
}
