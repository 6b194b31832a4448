#!/usr/bin/env bats
# No signal is lost at start-up (docs/bottle-init.md, "Start-up"): SIGTERM sent at every delay
# from 0 to 5 ms after the exec of bottle-init, several times each, always ends the child and
# bottle-init exits 143. start-race counts a run where bottle-init itself died of the SIGTERM
# before any child existed as "early" (nothing is left behind and the shell sees 143 too); a
# run is lost when the child survives, the status is anything else or nothing exits in 2 s.

load ../lib

# race [START-RACE OPTIONS] -- INIT [ARGS]: runs start-race with the payload as the program.
race() {
    local opts=()
    while [[ $1 != -- ]]; do
        opts+=("$1")
        shift
    done
    shift
    capture run_timeout 60 "$HELPERS/with-signals" "$HELPERS/start-race" -r 3 -m 5000 -s 100 \
        -T 2000 "${opts[@]}" -- "$@" "$HELPERS/start-race" --payload
    assert_line "$out" "runs=[0-9]+ forwarded=[0-9]+ early=[0-9]+ lost=0"
    assert_eq "$status" 0
    # The payload must have been killed by a forwarded SIGTERM in a good share of the runs.
    local forwarded
    forwarded=$(sed -nE 's/.* forwarded=([0-9]+) .*/\1/p' <<<"$out")
    assert_ge "$forwarded" 40 "runs where the SIGTERM was forwarded"
}

@test "native mode: SIGTERM at 0..5 ms after exec is never lost" {
    race -- "$INIT" --
}

@test "native mode with -g: never lost (the child's group exists before anything is forwarded)" {
    race -- "$INIT" -g --
}

@test "tini mode: never lost" {
    race -- "$TINI" --
}

@test "dumb-init mode (setsid, signals to the group): never lost" {
    race -- "$DUMB_INIT"
}

@test "as PID 1 of a new pid namespace: never lost" {
    # A SIGTERM that reaches a namespace's PID 1 before it blocks signals is discarded by the
    # kernel (no handler), so the init is exec'd with SIGTERM blocked: the test is then that a
    # pending SIGTERM is forwarded once the child exists.
    race -N -B -- "$INIT" --
}
