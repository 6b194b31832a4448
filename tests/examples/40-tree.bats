#!/usr/bin/env bats
# examples/tree: a db, an app and a proxy under rest_for_one, started in order on fd readiness.

setup() {
    BUILD=${BOTTLE_BUILD:-$BATS_TEST_DIRNAME/../../build}
    EXAMPLES=$BATS_TEST_DIRNAME/../../examples
}

@test "examples/tree/run.sh: ordered start, rest_for_one restarts, reverse stop, nothing left" {
    [[ $EUID -eq 0 ]] || skip "needs root"
    run timeout 300 "$EXAMPLES/tree/run.sh" "$BUILD"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"db kept, app kept, proxy "*" -> "* ]]
    [[ $output == *"db restarted, app restarted, proxy restarted"* ]]
    [[ $output == *"stopped, in order: stack-proxy stack-app stack-db stack"* ]]
    [[ $output == *"== done"* ]]
    ! ls -d /sys/fs/cgroup/*/bottle-tree-* 2>/dev/null
    ! ls -d /tmp/bottle-tree.* 2>/dev/null
}
