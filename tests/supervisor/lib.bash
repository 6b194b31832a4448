# Helpers for the bottled suites: a private state dir, root dir, cgroup parent and config dir
# per test, a bottled in the background, an RPC client, and a teardown that leaves nothing:
# bottled, shims, containers (through their cgroups), cgroups, named netns, temp dirs.

load ../lib

SUP_BIN=$BOTTLE_BUILD/bin
RPC=$BOTTLE_BUILD/../tests/helpers/bottled-rpc.py
[[ -x $RPC ]] || RPC=$BATS_TEST_DIRNAME/../helpers/bottled-rpc.py

sup_setup() {
    bt_setup
    [[ $EUID -eq 0 ]] || skip "bottled tests need root"
    [[ -x $SUP_BIN/bottled ]] || skip "bottled is not built"
    SUP_STATE=$BT_TMP/state
    SUP_ROOT=$BT_TMP/root
    SUP_CONFIG=$BT_TMP/config
    SUP_CG=bt-sup-$$-$BATS_TEST_NUMBER
    SUP_SOCK=$SUP_STATE/bottled.sock
    SUP_ROOTFS=$BT_TMP/rootfs
    mkdir -p "$SUP_CONFIG"
    cp -al "$BOTTLE_BUILD/rootfs/busybox" "$SUP_ROOTFS" 2>/dev/null ||
        cp -a "$BOTTLE_BUILD/rootfs/busybox" "$SUP_ROOTFS"
    SUP_PID=
    SUP_NAMES=()
}

# service NAME JSON-EXTRA: writes a service spec NAME.json running in the test's rootfs.
service() {
    local name=$1 extra=$2
    SUP_NAMES+=("$name")
    printf '{"name": "%s", "rootfs": "%s", %s}\n' "$name" "$SUP_ROOTFS" "$extra" \
        >"$SUP_CONFIG/$name.json"
}

sup_start() {
    "$SUP_BIN/bottled" --config "$SUP_CONFIG" --state "$SUP_STATE" --root "$SUP_ROOT" \
        --cgroup-parent "$SUP_CG" -v >>"$BT_TMP/bottled.log" 2>&1 3>&- &
    SUP_PID=$!
    wait_for 10 test -S "$SUP_SOCK"
}

rpc() {
    timeout 20 python3 "$RPC" "$SUP_SOCK" "$@"
}

# wait_event TYPE NAME [SECS]: the events (replayed from the start) until one of TYPE for NAME.
wait_event() {
    local secs=${3:-10}
    timeout $((${secs%.*} + 10)) python3 "$RPC" "$SUP_SOCK" wait-event "$1" "$2" "$secs" "${4:-0}"
}

# field JSON KEY: one top-level field of a JSON object.
field() {
    python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}


sup_teardown() {
    local pid name
    if [[ -n ${SUP_PID:-} ]] && kill -0 "$SUP_PID" 2>/dev/null; then
        kill -TERM "$SUP_PID"
        timeout 20 tail --pid="$SUP_PID" -f /dev/null 2>/dev/null || kill -KILL "$SUP_PID"
    fi
    for pid in $(cat "$SUP_STATE"/containers/*/shim.pid 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    bt_cgroup_purge "$SUP_CG"
    for name in "${SUP_NAMES[@]}"; do
        if [[ -e /run/netns/$name ]]; then
            umount -l "/run/netns/$name" 2>/dev/null || true
            rm -f "/run/netns/$name"
        fi
    done
    # bottled's own log, when the test failed
    if [[ -z ${BATS_TEST_COMPLETED:-} && -f $BT_TMP/bottled.log ]]; then
        sed 's/^/# bottled: /' "$BT_TMP/bottled.log" | tail -40 >&3
    fi
    bt_teardown
}

setup() { sup_setup; }
teardown() { sup_teardown; }
