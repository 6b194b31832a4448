# Helpers for the suites of the CLI verbs that work on a running container (exec, kill, logs,
# ps, inspect, rm): each test gets a detached container of its own, started with bottle-shim
# --ready-fd in private state and root dirs under its own cgroup parent, and a teardown that
# kills everything in that cgroup parent, waits for the shim and removes the parent from every
# hierarchy, also when the test failed. Load it with `load lib`.
#
# Every test gets: $NAME (container name), $HOST_NAME (its hostname), $ROOTFS (a private copy
# of the busybox rootfs), $BUNDLE, $BOTTLE_STATE and $BOTTLE_ROOT (exported, so that plain
# `bottle VERB` finds the container), $CG_PARENT, and after cli_start $INIT_PID and $SHIM_PID.

_cli_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.bash
source "$_cli_lib_dir/../lib.bash"

BOTTLE=$BT_BIN/bottle
SHIM=$BT_BIN/bottle-shim
SHIM_INIT=$BT_BIN/bottle-init
BUSYBOX_ROOTFS=$BOTTLE_BUILD/rootfs/busybox

# The default service: says hello on both streams, reports USR1, and idles in a `wait` that a
# trapped signal interrupts at once.
CLI_SERVICE='trap "echo got-usr1" USR1; echo hello; echo oops >&2; while :; do sleep 1 & wait $!; done'

cli_setup() {
    bt_setup
    [[ $EUID -eq 0 ]] || skip "the CLI container tests need root"
    bt_need "$BOTTLE" "$SHIM" "$SHIM_INIT"
    [[ -x $BUSYBOX_ROOTFS/bin/busybox ]] ||
        skip "no busybox rootfs at $BUSYBOX_ROOTFS (make rootfs)"
    NAME=bt-cli-$$-$BATS_TEST_NUMBER
    HOST_NAME=bt-host-$$-$BATS_TEST_NUMBER
    CG_PARENT=bt-test-$$-$BATS_TEST_NUMBER
    BOTTLE_STATE=$BT_TMP/state
    BOTTLE_ROOT=$BT_TMP/root
    export BOTTLE_STATE BOTTLE_ROOT
    ROOTFS=$BT_TMP/rootfs
    BUNDLE=$BT_TMP/bundle
    cp -a "$BUSYBOX_ROOTFS" "$ROOTFS"
    INIT_PID=
    SHIM_PID=
}

cli_teardown() {
    local dir pid
    # Everything in the cgroup parent: the container, and `bottle exec` processes (they join
    # the container's cgroup). The shim then records the exit and goes.
    for dir in $(cli_cgroup_dirs); do
        bt_cgroup_kill "$dir"
    done
    if [[ -n ${SHIM_PID:-} ]]; then
        if ! wait_for 10 proc_gone "$SHIM_PID" 2>/dev/null; then
            kill -KILL "$SHIM_PID" 2>/dev/null || true
            wait_for 5 proc_gone "$SHIM_PID" 2>/dev/null || true
        fi
    fi
    for dir in $(cli_cgroup_dirs); do
        find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    bt_teardown
}

setup() { cli_setup; }
teardown() { cli_teardown; }

# cli_cgroup_mounts: every cgroup (v1) and cgroup2 mount point, from mountinfo.
cli_cgroup_mounts() {
    awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5 }' \
        /proc/self/mountinfo
}

# cli_cgroup_dirs: the test's cgroup parent in every hierarchy where it exists.
cli_cgroup_dirs() {
    local mount
    for mount in $(cli_cgroup_mounts); do
        [[ -d $mount/$CG_PARENT ]] && echo "$mount/$CG_PARENT"
    done
    return 0
}

# The default config.json, made once per file with placeholders (python starts slowly on a busy
# host): no terminal, hostname @HOST_NAME@, root @ROOTFS@, process.args sh -c @SERVICE@.
cli_setup_file() {
    CLI_BASE_CONFIG=$BATS_FILE_TMPDIR/config.json
    export CLI_BASE_CONFIG
    [[ -x $BOTTLE ]] || return 0
    "$BOTTLE" spec --rootfs @ROOTFS@ >"$CLI_BASE_CONFIG"
    edit_config "$CLI_BASE_CONFIG" "c['process']['terminal'] = False
c['hostname'] = '@HOST_NAME@'
c['process']['args'] = ['sh', '-c', '@SERVICE@']"
}

setup_file() { cli_setup_file; }

# json_string TEXT: TEXT as the inside of a JSON string.
json_string() {
    local text=$1
    text=${text//\\/\\\\}
    text=${text//\"/\\\"}
    text=${text//$'\n'/\\n}
    text=${text//$'\t'/\\t}
    printf '%s' "$text"
}

# cli_bundle [SERVICE [PYTHON]]: writes $BUNDLE/config.json for $ROOTFS: no terminal, hostname
# $HOST_NAME, process.args sh -c SERVICE (default $CLI_SERVICE), then PYTHON run on it (`c`).
cli_bundle() {
    local service=${1:-$CLI_SERVICE} code=${2:-} json
    mkdir -p "$BUNDLE"
    json=$(<"$CLI_BASE_CONFIG")
    json=${json//@HOST_NAME@/"$HOST_NAME"}
    json=${json//@ROOTFS@/"$(json_string "$ROOTFS")"}
    json=${json//@SERVICE@/"$(json_string "$service")"}
    printf '%s\n' "$json" >"$BUNDLE/config.json"
    if [[ -n $code ]]; then
        edit_config "$BUNDLE/config.json" "$code"
    fi
}

# cli_start [SHIM_OPTIONS...]: starts $BUNDLE (cli_bundle makes a default one) as the detached
# container $NAME and returns once the shim said "ok" on its ready fd; sets INIT_PID and
# SHIM_PID. Fails with what the shim said otherwise.
cli_start() {
    [[ -f $BUNDLE/config.json ]] || cli_bundle
    rm -f "$BT_TMP/ready"
    "$SHIM" --bundle "$BUNDLE" --id "$NAME" --state "$BOTTLE_STATE" --root "$BOTTLE_ROOT" \
        --init "$SHIM_INIT" --cgroup-parent "$CG_PARENT" --ready-fd 3 "$@" \
        3>"$BT_TMP/ready" </dev/null >"$BT_TMP/shim.out" 2>"$BT_TMP/shim.err"
    if ! wait_for 10 grep -q . "$BT_TMP/ready" || ! grep -qx ok "$BT_TMP/ready"; then
        echo "the shim did not start $NAME: $(cat "$BT_TMP/ready" "$BT_TMP/shim.err")" >&2
        return 1
    fi
    INIT_PID=$(cat "$BOTTLE_STATE/containers/$NAME/pid")
    SHIM_PID=$(cat "$BOTTLE_STATE/containers/$NAME/shim.pid")
}

# bottle VERB ARGS...: the bottle command, 30 s at most, captured (status, out, err).
bottle() {
    capture run_timeout 30 "$BOTTLE" "$@"
}

# log_has REGEX [SECS]: waits (default 10 s) until the container's log has a line matching REGEX.
log_has() {
    wait_for "${2:-10}" grep -qE -- "$1" "$BOTTLE_ROOT/containers/$NAME/container.log"
}

# exited: the container's exit record exists.
exited() {
    [[ -s $BOTTLE_STATE/containers/$NAME/exit ]]
}

# not_exited: the container has no exit record (a plain `! exited` would not fail a bats test).
not_exited() {
    [[ ! -s $BOTTLE_STATE/containers/$NAME/exit ]]
}

# exit_field KEY: a number or boolean of the container's exit record (one line of JSON).
exit_field() {
    local record
    record=$(<"$BOTTLE_STATE/containers/$NAME/exit")
    [[ $record =~ \"$1\":([^,}]*) ]] || return 1
    echo "${BASH_REMATCH[1]}"
}

# child_of PID SECS: waits until PID has a child and prints its pid.
child_of() {
    local pid=$1 secs=$2 child=
    local deadline
    deadline=$(bt_deadline "$secs")
    while :; do
        child=$(children_of "$pid" | head -n 1)
        [[ -n $child ]] && break
        bt_past "$deadline" && return 1
        bt_sleep 0.02
    done
    echo "$child"
}

# assert_one_line TEXT [WHAT]: TEXT is exactly one non-empty line (bottle's error contract).
assert_one_line() {
    [[ -n $1 && $1 != *$'\n'* ]] && return 0
    printf 'assert_one_line failed%s: got %d line(s):\n%s\n' "${2:+ ($2)}" \
        "$(printf '%s' "$1" | grep -c '')" "$1" >&2
    return 1
}
