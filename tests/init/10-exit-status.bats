#!/usr/bin/env bats
# bottle-init passes its program's exit status through (docs/bottle-init.md, "Exit status"):
# the code, 128+N for death by signal N, -e remapping, 126/127 for exec failures with a
# message naming the program, and the usage-error codes of each mode.

load ../lib

@test "the child's exit code is bottle-init's exit code" {
    for code in 0 1 2 7 100 126 127 254 255; do
        capture run_timeout 10 "$INIT" -- "$HELPERS/exit-with" "$code"
        assert_eq "$status" "$code" "exit-with $code"
    done
}

@test "death by signal N gives 128+N (raised, and a real SIGSEGV)" {
    # HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV PIPE ALRM TERM SYS RTMIN RTMAX
    for sig in 1 2 3 4 5 6 7 8 9 10 11 13 14 15 31 34 64; do
        capture run_timeout 10 "$INIT" -- "$HELPERS/kill-self" "$sig"
        assert_eq "$status" "$((128 + sig))" "kill-self $sig"
    done
    capture run_timeout 10 "$INIT" -- "$HELPERS/kill-self" fault
    assert_eq "$status" 139 "a write through NULL"
}

@test "tini and dumb-init modes pass codes and signals through too" {
    for init in "$TINI --" "$DUMB_INIT" "$DUMB_INIT -c"; do
        capture run_timeout 10 $init "$HELPERS/exit-with" 42
        assert_eq "$status" 42 "$init: exit-with 42"
        capture run_timeout 10 $init "$HELPERS/kill-self" 11
        assert_eq "$status" 139 "$init: kill-self 11"
        capture run_timeout 10 $init "$HELPERS/kill-self" 15
        assert_eq "$status" 143 "$init: kill-self 15"
    done
}

@test "-e N maps exit status N to 0, repeatable, and leaves other codes alone" {
    capture run_timeout 10 "$INIT" -e 3 -- "$HELPERS/exit-with" 3
    assert_eq "$status" 0 "-e 3, exit 3"
    capture run_timeout 10 "$INIT" -e 3 -e 4 -- "$HELPERS/exit-with" 4
    assert_eq "$status" 0 "-e 3 -e 4, exit 4"
    capture run_timeout 10 "$INIT" -e 3 -e 4 -- "$HELPERS/exit-with" 5
    assert_eq "$status" 5 "-e 3 -e 4, exit 5"
    capture run_timeout 10 "$INIT" --remap-exit 7 -- "$HELPERS/exit-with" 7
    assert_eq "$status" 0 "--remap-exit 7, exit 7"
    capture run_timeout 10 "$INIT" -e 143 -- "$HELPERS/kill-self" 15
    assert_eq "$status" 0 "-e 143, death by SIGTERM"
    capture run_timeout 10 "$TINI" -e 9 -- "$HELPERS/exit-with" 9
    assert_eq "$status" 0 "tini -e 9, exit 9"
}

@test "a program that does not exist: 127 and 'exec PROGRAM failed'" {
    capture run_timeout 10 "$INIT" -- /nonexistent/bottle-test-prog arg
    assert_eq "$status" 127
    assert_line "$err" "bottle-init: exec /nonexistent/bottle-test-prog failed: No such file or directory"

    capture run_timeout 10 env PATH=/usr/bin:/bin "$INIT" -- bottle-no-such-program
    assert_eq "$status" 127 "looked up in PATH"
    assert_line "$err" "bottle-init: exec bottle-no-such-program failed: No such file or directory"
}

@test "a program that is not executable: 126 and 'exec PROGRAM failed'" {
    printf '#!/bin/sh\nexit 0\n' >"$BT_TMP/noexec"
    chmod 0644 "$BT_TMP/noexec"
    capture run_timeout 10 "$INIT" -- "$BT_TMP/noexec"
    assert_eq "$status" 126
    assert_line "$err" "bottle-init: exec $BT_TMP/noexec failed: Permission denied"

    capture run_timeout 10 "$INIT" -- "$BT_TMP"
    assert_eq "$status" 126 "a directory"
    assert_line "$err" "bottle-init: exec $BT_TMP failed: .+"
}

@test "exec failures in tini mode: 127/126 and tini's FATAL message" {
    capture run_timeout 10 "$TINI" -- /nonexistent/bottle-test-prog
    assert_eq "$status" 127
    assert_line "$err" '\[FATAL tini \([0-9]+\)\] exec /nonexistent/bottle-test-prog failed: No such file or directory'
    printf '#!/bin/sh\nexit 0\n' >"$BT_TMP/noexec"
    capture run_timeout 10 "$TINI" -- "$BT_TMP/noexec"
    assert_eq "$status" 126
    assert_line "$err" "\[FATAL tini \([0-9]+\)\] exec $BT_TMP/noexec failed: Permission denied"
}

@test "exec failures in dumb-init mode: 127/126 and '[dumb-init] PROGRAM: REASON'" {
    capture run_timeout 10 "$DUMB_INIT" /nonexistent/bottle-test-prog
    assert_eq "$status" 127
    assert_line "$err" '\[dumb-init\] /nonexistent/bottle-test-prog: No such file or directory'
    printf '#!/bin/sh\nexit 0\n' >"$BT_TMP/noexec"
    capture run_timeout 10 "$DUMB_INIT" "$BT_TMP/noexec"
    assert_eq "$status" 126
    assert_line "$err" "\[dumb-init\] $BT_TMP/noexec: Permission denied"
}

@test "usage errors exit 125 in native mode, with a message" {
    capture run_timeout 10 "$INIT"
    assert_eq "$status" 125 "no program"
    [[ -n $err ]]
    capture run_timeout 10 "$INIT" --bottle-no-such-option -- true
    assert_eq "$status" 125 "unknown long option"
    [[ -n $err ]]
    capture run_timeout 10 "$INIT" -Z -- true
    assert_eq "$status" 125 "unknown short option"
    capture run_timeout 10 "$INIT" -e 256 -- true
    assert_eq "$status" 125 "-e out of range"
    capture run_timeout 10 "$INIT" -e -- true
    assert_eq "$status" 125 "-e without a number"
    capture run_timeout 10 "$INIT" -r 99:1 -- true
    assert_eq "$status" 125 "-r with a bad signal"
    capture run_timeout 10 "$INIT" -G nonsense -- true
    assert_eq "$status" 125 "-G without a number"
}

@test "usage errors exit 1 in tini and dumb-init modes" {
    capture run_timeout 10 "$TINI"
    assert_eq "$status" 1 "tini without a program"
    [[ -n $err ]]
    capture run_timeout 10 "$TINI" -Z -- true
    assert_eq "$status" 1 "tini -Z"
    capture run_timeout 10 "$DUMB_INIT"
    assert_eq "$status" 1 "dumb-init without a program"
    [[ -n $err$out ]]
    capture run_timeout 10 "$DUMB_INIT" --bottle-no-such-option true
    assert_eq "$status" 1 "dumb-init with an unknown option"
    capture run_timeout 10 "$DUMB_INIT" -r 40:1 true
    assert_eq "$status" 1 "dumb-init -r 40:1 (S must be 1..31)"
    capture run_timeout 10 "$DUMB_INIT" -r 15:32 true
    assert_eq "$status" 1 "dumb-init -r 15:32 (R must be 0..31)"
}

@test "native -h, -V and -l print on stdout and exit 0" {
    capture run_timeout 10 "$INIT" -h
    assert_eq "$status" 0 "-h"
    assert_match "$out" "bottle-init"
    assert_match "$out" "--grace"
    capture run_timeout 10 "$INIT" --help
    assert_eq "$status" 0 "--help"
    capture run_timeout 10 "$INIT" -V
    assert_eq "$status" 0 "-V"
    assert_match "$out" "[0-9]+\.[0-9]+\.[0-9]+"
    capture run_timeout 10 "$INIT" --version
    assert_eq "$status" 0 "--version"
    capture run_timeout 10 "$INIT" -l
    assert_eq "$status" 0 "-l"
    [[ -n $out ]]
}

@test "native mode: options stop at the program name ('bottle-init ls -d /')" {
    capture run_timeout 10 "$INIT" ls -d /
    assert_eq "$status" 0
    assert_eq "$out" "/"
    capture run_timeout 10 "$INIT" -g ls -d /
    assert_eq "$status" 0 "bottle-init -g ls -d /"
    assert_eq "$out" "/"
}

@test "quiet by default; -v and --verbose add messages on stderr" {
    capture run_timeout 10 "$INIT" -- true
    assert_eq "$status" 0
    assert_eq "$err" "" "no option"
    capture run_timeout 10 "$INIT" -vvv -- true
    assert_eq "$status" 0 "-vvv"
    [[ -n $err ]] || { echo "-vvv printed nothing" >&2; return 1; }
    capture run_timeout 10 "$INIT" --verbose --verbose --verbose -- true
    assert_eq "$status" 0 "--verbose x3"
    [[ -n $err ]] || { echo "--verbose printed nothing" >&2; return 1; }
}
