#!/usr/bin/env bats
# Issue 3, "Bad input": a malformed or hostile config.json, or a bad `bottle run` flag, gets
# exit 125 and a one-line message that names the cause, and nothing on the host is touched:
# no state dir, no bundle dir, no cgroup, no mount, the bundle itself unchanged.

load lib

# snapshot DIR: a fingerprint of everything in DIR (names, types, modes, sizes, mtimes).
snapshot() {
    find "$1" -printf '%P %y %m %s %T@\n' | sort | md5sum
}

# assert_nothing_made: no trace of $NAME on the host: no state dir, no bundle dir, no cgroup of
# its own (a parent made on the way may stay, as with runc), no mount, no named netns.
assert_nothing_made() {
    assert_clean
}

# refuse_bundle PYTHON REGEX: `bottle run --bundle` of the bundle that PYTHON makes (on the
# default spec `c`) exits 125 with one line matching REGEX, and changes nothing.
refuse_bundle() {
    local code=$1 regex=$2 before
    make_bundle "$BT_TMP/bundle" "c['process']['args'] = ['sh', '-c', 'echo RAN']
$code"
    refuse_prepared "$code" "$regex"
}

# refuse_prepared WHAT REGEX: the same for the bundle as it is in $BT_TMP/bundle.
refuse_prepared() {
    local what=$1 regex=$2 before
    before=$(snapshot "$BT_TMP/bundle")
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 125 "$what"
    assert_one_line "$err" "$what"
    assert_match "$err" "$regex" "$what: the message names the cause"
    [[ $out != *RAN* ]]
    assert_eq "$(snapshot "$BT_TMP/bundle")" "$before" "$what: the bundle is untouched"
    assert_nothing_made
}

# refuse_run OPTION... -- CMD: `bottle run --rootfs $ROOTFS OPTIONS` exits 125 with one line
# and changes nothing (the rootfs neither).
refuse_run() {
    local before
    before=$(snapshot "$ROOTFS")
    bottle_run "$@"
    assert_eq "$status" 125 "$*"
    assert_one_line "$err" "$*"
    assert_eq "$(snapshot "$ROOTFS")" "$before" "$*: the rootfs is untouched"
    assert_nothing_made
}

@test "malformed config.json: truncated, not an object, empty, trailing garbage, missing" {
    make_bundle "$BT_TMP/bundle"
    local good
    good=$(cat "$BT_TMP/bundle/config.json")
    head -c 200 <<<"$good" >"$BT_TMP/bundle/config.json"
    refuse_prepared "truncated" "config.json"
    echo '[]' >"$BT_TMP/bundle/config.json"
    refuse_prepared "an array" "config.json"
    : >"$BT_TMP/bundle/config.json"
    refuse_prepared "empty" "config.json"
    printf '%s\n}x\n' "$good" >"$BT_TMP/bundle/config.json"
    refuse_prepared "trailing garbage" "config.json"
    rm "$BT_TMP/bundle/config.json"
    refuse_prepared "no config.json" "config.json"
}

@test "unknown keys are refused, naming the key" {
    refuse_bundle "c['bogus'] = 1" "bogus"
    refuse_bundle "c['process']['bogus'] = 1" "process\\.bogus"
    refuse_bundle "c['linux']['resources']['memory'] = {'limit': 1 << 26, 'bogus': 1}" \
        "memory\\.bogus"
}

@test "unsupported features are refused, never ignored" {
    refuse_bundle "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW'}" "seccomp"
    refuse_bundle "c['process']['apparmorProfile'] = 'docker-default'" "apparmorProfile"
    refuse_bundle "c['mounts'][0]['options'] = ['tmpcopyup']" "tmpcopyup"
}

@test "wrong types are refused, naming the field" {
    refuse_bundle "c['hostname'] = 5" "hostname"
    refuse_bundle "c['process']['args'] = 'sh'" "process\\.args"
    refuse_bundle "c['process']['user']['uid'] = '0'" "process\\.user\\.uid"
    refuse_bundle "c['mounts'] = {}" "mounts"
    refuse_bundle "c['linux']['resources']['memory'] = {'limit': '64m'}" "memory\\.limit"
    refuse_bundle "c['process']['env'] = ['NOEQUALS']" "process\\.env"
}

@test "huge and negative values are refused" {
    refuse_bundle "c['linux']['resources']['memory'] = {'limit': 10 ** 30}" "memory\\.limit"
    refuse_bundle "c['linux']['resources']['pids'] = {'limit': -5}" "pids\\.limit"
    refuse_bundle "c['process']['user']['uid'] = 2 ** 40" "process\\.user\\.uid"
    refuse_bundle "c['process']['rlimits'][0]['hard'] = 2 ** 70" "rlimits"
}

@test "relative and '..' mount destinations are refused" {
    refuse_bundle "c['mounts'].append({'destination': 'tmp/x', 'type': 'tmpfs', 'source': 'tmpfs'})" \
        "destination"
    refuse_bundle "c['mounts'].append({'destination': '/tmp/../../x', 'type': 'tmpfs', 'source': 'tmpfs'})" \
        "\\.\\."
    refuse_bundle "c['process']['cwd'] = 'relative'" "process\\.cwd"
}

@test "a missing rootfs is refused" {
    refuse_bundle "c['root']['path'] = 'no-such-rootfs'" "no-such-rootfs"
    refuse_bundle "c['root']['path'] = '/no/such/rootfs'" "/no/such/rootfs"
}

@test "a rootfs symlink pointing out of the bundle is refused" {
    mkdir "$BT_TMP/bundle"
    ln -s "$ROOTFS" "$BT_TMP/bundle/rootfs"
    make_bundle "$BT_TMP/bundle" "c['process']['args'] = ['sh', '-c', 'echo RAN']"
    refuse_prepared "rootfs -> $ROOTFS" "outside the bundle"
    refuse_bundle "c['root']['path'] = '../rootfs'" "outside the bundle"
}

@test "a mount or namespace that fails at run time is refused and undone" {
    # The mount point may be made in the rootfs (runc and crun do the same): compare the
    # config only, and everything else must be gone.
    make_bundle "$BT_TMP/bundle" "c['process']['args'] = ['sh', '-c', 'echo RAN']
c['mounts'].append({'destination': '/x', 'type': 'bogusfs', 'source': 'none'})"
    local before
    before=$(md5sum <"$BT_TMP/bundle/config.json")
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" "bogusfs"
    assert_eq "$(md5sum <"$BT_TMP/bundle/config.json")" "$before"
    assert_nothing_made
    refuse_bundle "c['linux']['namespaces'][0]['path'] = '/no/such/ns'" "/no/such/ns"
}

@test "a bundle mount target that is a symlink to /etc runs, inside the rootfs" {
    make_bundle "$BT_TMP/bundle" "c['root']['readonly'] = False
c['process']['args'] = ['sh', '-c', 'cat /etc/hosts; echo overwritten >/evil/hosts']
c['mounts'].append({'destination': '/evil/hosts', 'type': 'bind',
                    'source': '$BT_TMP/hostfile', 'options': ['rbind', 'rw']})"
    ln -s /etc "$ROOTFS/evil"
    echo bt-volume >"$BT_TMP/hostfile"
    local hosts_sum
    hosts_sum=$(md5sum </etc/hosts)
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --bundle "$BT_TMP/bundle"
    assert_eq "$status" 0
    assert_eq "$out" "bt-volume" "the bind landed on the container's /etc/hosts"
    assert_eq "$(md5sum </etc/hosts)" "$hosts_sum" "the host's /etc/hosts"
    assert_eq "$(cat "$BT_TMP/hostfile")" "overwritten"
    assert_clean
}

@test "bad --memory values are refused" {
    local value
    for value in abc -5 10x 0 1e30 64q; do
        refuse_run -m "$value" -- true
        assert_match "$err" "$value" "-m $value: the message names the value"
    done
}

@test "bad --cpus, --pids-limit, --ulimit, -v, --tmpfs, -u values are refused" {
    refuse_run --cpus abc -- true
    refuse_run --cpus 0 -- true
    refuse_run --pids-limit x -- true
    refuse_run --ulimit bogus=1 -- true
    refuse_run --ulimit nofile=200:100 -- true
    refuse_run -v "$BT_TMP/no-such-dir:/x" -- true
    refuse_run -v "$BT_TMP:relative" -- true
    refuse_run -v "$BT_TMP:/x:rx" -- true
    refuse_run -v "$BT_TMP:/x/../../y" -- true
    refuse_run --tmpfs relative -- true
    refuse_run -u no-such-user -- true
}

@test "unknown --cap-add and --cap-drop names are refused" {
    refuse_run --cap-add BOGUS -- true
    assert_match "$err" "BOGUS"
    refuse_run --cap-drop NOT_A_CAP -- true
    assert_match "$err" "NOT_A_CAP"
}

@test "a missing --rootfs is refused" {
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --rootfs "$BT_TMP/no-such-rootfs" -- true
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" "no-such-rootfs"
    assert_nothing_made
}

@test "a container name that is a path is refused before anything is written" {
    local name
    for name in ../escaped "a/b" .hidden ""; do
        capture run_timeout 30 "$BOTTLE" run --name "$name" --rootfs "$ROOTFS" -- true
        assert_eq "$status" 125 "--name '$name'"
        assert_one_line "$err" "--name '$name'"
    done
    # Nothing was written anywhere under (or beside) the state dir's bundles.
    local made
    made=$(find "$BOTTLE_STATE" -name config.json 2>/dev/null || true)
    assert_eq "$made" "" "config.json written for an invalid name"
    assert_nothing_made
}

@test "bottle-shim itself: bad usage and a bad bundle give 125 and one line" {
    capture run_timeout 10 "$SHIM" --foreground --id "$NAME" --state "$BOTTLE_STATE"
    assert_eq "$status" 125 "no --bundle"
    assert_one_line "$err"
    capture run_timeout 10 "$SHIM" --foreground --bundle "$BT_TMP" --id "bad/id" --state "$BOTTLE_STATE"
    assert_eq "$status" 125 "an id with a slash"
    assert_one_line "$err"
    make_bundle "$BT_TMP/bundle" "c['bogus'] = True"
    shim_foreground "$BT_TMP/bundle"
    assert_eq "$status" 125 "an unknown key"
    assert_one_line "$err"
    assert_match "$err" "bogus"
    assert_nothing_made
}
