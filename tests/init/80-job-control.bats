#!/usr/bin/env bats
# Job control through a real pseudo-terminal (docs/bottle-init.md, "Job control"): on a
# terminal the child gets its own process group and the terminal's foreground, so Ctrl-C and
# Ctrl-Z reach it (and an interactive shell under bottle-init works as on a login terminal);
# when the main child is stopped and bottle-init is not PID 1, bottle-init stops too so that
# the shell that started it gets the terminal back, and `fg` hands the terminal to the child.
# tests/helpers/pty-driver.py plays the terminal; it runs as PID 1 of a pid namespace so that
# nothing outlives a test.

load ../lib

# drive SECS SCRIPT-TEXT CMD...: runs CMD on a new terminal under pty-driver with the steps of
# SCRIPT-TEXT (each step bounded by 5 s, the whole run by SECS).
drive() {
    local secs=$1
    printf '%s\n' "$2" >"$BT_TMP/pty-script"
    shift 2
    capture in_pidns "$secs" env TERM=dumb python3 "$HELPERS_SRC/pty-driver.py" -t 5 \
        "$BT_TMP/pty-script" -- "$@"
}

@test "on a terminal the child leads the foreground process group; Ctrl-C reaches it directly" {
    for init in "$INIT" "$TINI"; do
        drive 20 '
expect ready pid=(\d+) ppid=\d+ pgid=\1 sid=\d+ tpgid=\1 
send \x03
expect sig=2 from=0 
wait' "$init" -- "$HELPERS/trap-signals" -c 1 -t 15
        assert_eq "$status" 0 "$init"
        assert_line "$err" "pty-driver: exit 0"
    done
}

@test "an interactive shell under bottle-init: Ctrl-C kills the foreground job, Ctrl-Z stops it, fg" {
    drive 40 "
expect [#\$] \$
send PS1='J''C> '\n
expect JC> \$
send sh -c 'echo R\$((1+1)); exec sleep 30'\n
expect R2
send \x03
expect JC> \$
send echo status=\$?\n
expect status=130
send sh -c 'echo R\$((1+2)); exec sleep 30'\n
expect R3
send \x1a
expect [Ss]topped
expect JC> \$
send echo alive\$((2+3))\n
expect alive5
send fg\n
expect exec sleep 30
sleep 0.3
send \x03
expect JC> \$
send echo fg-status=\$?\n
expect fg-status=130
send exit 7\n
wait" "$INIT" -- dash -i
    assert_eq "$status" 0
    assert_line "$err" "pty-driver: exit 7"
}

@test "Ctrl-Z on bottle-init's child stops bottle-init too; fg gives the terminal back" {
    # dash plays the login shell; bottle-init is one of its jobs (not PID 1). The child waits
    # for a line, then becomes trap-signals, which reports the terminal's foreground group.
    drive 40 "
expect [#\$] \$
send PS1='J''C> '\n
expect JC> \$
send $INIT -- sh -c 'echo R\$((1+1)); read x; exec $HELPERS/trap-signals -c 1 -t 15'\n
expect R2
send \x1a
expect [Ss]topped
expect JC> \$
send echo alive\$((2+3))\n
expect alive5
send fg\n
sleep 0.3
send go\n
expect ready pid=(\d+) ppid=\d+ pgid=\1 sid=\d+ tpgid=\1 
send \x03
expect sig=2 from=0 
expect JC> \$
send echo st=\$?\n
expect st=0
send exit 0\n
wait" dash -i
    assert_eq "$status" 0
    assert_line "$err" "pty-driver: exit 0"
}
