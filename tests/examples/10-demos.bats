#!/usr/bin/env bats
# Every example is exercised: the demos run and report success, and leave nothing behind.

setup() {
    BUILD=${BOTTLE_BUILD:-$BATS_TEST_DIRNAME/../../build}
    EXAMPLES=$BATS_TEST_DIRNAME/../../examples
}

@test "examples/demo.sh (make demo) runs every step as expected" {
    run timeout 300 "$EXAMPLES/demo.sh" "$BUILD"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"demo: all steps behaved as expected"* ]]
    ! ls -d /sys/fs/cgroup/*/bottle-demo-* 2>/dev/null
    ! ls -d /tmp/bottle-demo.* 2>/dev/null
}

@test "examples/init-demo.sh: bottle-init as PID 1 reaps and forwards SIGTERM (exit 143)" {
    run timeout 60 "$EXAMPLES/init-demo.sh" "$BUILD"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"zombies now: 0"* ]]
    [[ "$output" == *"exited with 143"* ]]
}
