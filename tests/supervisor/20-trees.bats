#!/usr/bin/env bats
# Supervision trees as OTP has them: ordered start on readiness, reverse stop, the three
# strategies, intensity escalating to the parent, and a root that never gives up for good.

load lib

# child NAME [EXTRA]: a long-running service for a tree's "children".
child() {
    printf '{"name": "%s", "rootfs": "%s", "command": ["sleep", "1000"], "restart": "always", "stop": {"timeout_s": 2}%s}' \
        "$1" "$SUP_ROOTFS" "${2:+, $2}"
}

# tree NAME STRATEGY INTENSITY CHILD-JSON...: writes NAME.json.
tree() {
    local name=$1 strategy=$2 intensity=$3
    shift 3
    local IFS=,
    SUP_NAMES+=("$name")
    printf '{"name": "%s", "strategy": "%s", "intensity": %s, "children": [%s]}\n' \
        "$name" "$strategy" "$intensity" "$*" >"$SUP_CONFIG/$name.json"
}

pid_of() {
    field "$(rpc inspect "{\"name\": \"$1\"}")" pid
}

# seq_of TYPE NAME [NTH]: the sequence number of the NTH (default 1st) event TYPE of NAME.
seq_of() {
    rpc dump | python3 -c '
import json, sys
kind, name, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
seqs = [e["seq"] for e in map(json.loads, sys.stdin) if e["type"] == kind and e["name"] == name]
print(seqs[nth - 1] if len(seqs) >= nth else 0)' "$1" "$2" "${3:-1}"
}

three() {
    SUP_NAMES+=(db app proxy)
    tree stack "$1" '{"max_restarts": 5, "period_s": 30}' "$(child db)" "$(child app)" "$(child proxy)"
}

@test "a tree starts its children in order, each after the previous is ready, and stops them in reverse" {
    three one_for_one
    sup_start
    wait_event ready stack 20
    (( $(seq_of ready db) < $(seq_of starting app) ))
    (( $(seq_of ready app) < $(seq_of starting proxy) ))
    assert_eq "$(field "$(rpc inspect '{"name": "stack"}')" state)" up
    assert_eq "$(field "$(rpc inspect '{"name": "app"}')" tree)" stack
    # bottle stop of a tree is back once every child is down (bottle wait works on trees)
    run timeout 60 "$SUP_BIN/bottle" --state "$SUP_STATE" stop stack
    assert_eq "$status" 0
    assert_eq "$(field "$(rpc inspect '{"name": "stack"}')" state)" down
    run timeout 20 "$SUP_BIN/bottle" --state "$SUP_STATE" wait stack --for stopped --timeout 5
    assert_eq "$status" 0
    # one at a time, the last first
    (( $(seq_of stopped proxy) < $(seq_of stopping app) ))
    (( $(seq_of stopped app) < $(seq_of stopping db) ))
    for name in db app proxy; do
        assert_eq "$(field "$(rpc inspect "{\"name\": \"$name\"}")" state)" down
    done
}

@test "one_for_one restarts only the child that failed" {
    three one_for_one
    sup_start
    wait_event ready stack 20
    local db=$(pid_of db) app=$(pid_of app) proxy=$(pid_of proxy)
    kill -KILL "$app"
    wait_for 10 sh -c "[ \"\$(python3 '$RPC' '$SUP_SOCK' dump | grep -c '\"type\": \"ready\", \"name\": \"app\"')\" -ge 2 ]"
    [[ $(pid_of app) != "$app" && $(pid_of app) != 0 ]]
    assert_eq "$(pid_of db)" "$db"
    assert_eq "$(pid_of proxy)" "$proxy"
    assert_eq "$(field "$(rpc inspect '{"name": "stack"}')" restarts)" 1
}

@test "one_for_all stops the others in reverse order and starts all of them again in order" {
    three one_for_all
    sup_start
    wait_event ready stack 20
    local db=$(pid_of db) app=$(pid_of app) proxy=$(pid_of proxy)
    local since
    since=$(seq_of ready stack)
    kill -KILL "$app"
    wait_event restarting stack 10 "$since" >/dev/null
    wait_event ready stack 20 "$since" >/dev/null
    for name in db app proxy; do
        [[ $(pid_of $name) != 0 ]]
    done
    [[ $(pid_of db) != "$db" && $(pid_of app) != "$app" && $(pid_of proxy) != "$proxy" ]]
    # proxy went down before db; then db, app, proxy came up in that order
    (( $(seq_of stopped proxy) < $(seq_of stopping db) ))
    (( $(seq_of ready db 2) < $(seq_of starting app 2) ))
    (( $(seq_of ready app 2) < $(seq_of starting proxy 2) ))
}

@test "rest_for_one restarts the failed child and those after it, not those before" {
    three rest_for_one
    sup_start
    wait_event ready stack 20
    local db=$(pid_of db) app=$(pid_of app) proxy=$(pid_of proxy)
    local since
    since=$(seq_of ready stack)
    kill -KILL "$app"
    wait_event ready stack 20 "$since" >/dev/null
    assert_eq "$(pid_of db)" "$db"
    [[ $(pid_of app) != "$app" && $(pid_of proxy) != "$proxy" && $(pid_of proxy) != 0 ]]
    (( $(seq_of ready app 2) < $(seq_of starting proxy 2) ))
}

@test "intensity: too many restarts stop the subtree and escalate to the parent; the root gives up, waits, starts again" {
    SUP_NAMES+=(crasher steady sub)
    local crasher sub
    crasher=$(printf '{"name": "crasher", "rootfs": "%s", "command": ["sh", "-c", "sleep 0.2; exit 1"], "restart": "always", "backoff": {"initial_ms": 10}}' "$SUP_ROOTFS")
    sub=$(printf '{"name": "sub", "strategy": "one_for_one", "intensity": {"max_restarts": 2, "period_s": 60}, "children": [%s]}' "$crasher")
    tree root one_for_one '{"max_restarts": 1, "period_s": 60}' "$(child steady)" "$sub"
    sup_start
    wait_event escalated sub 30
    # the root restarts its child tree once (max_restarts 1), then escalates and gives up
    wait_event gave-up root 60
    (( $(seq_of escalated sub 2) > 0 ))
    (( $(seq_of escalated root) > 0 ))
    (( $(seq_of escalated root) < $(seq_of gave-up root) ))
    # the whole root went down, the healthy sibling too, after the subtree
    (( $(seq_of stopped steady) > 0 ))
    assert_eq "$(field "$(rpc inspect '{"name": "steady"}')" state)" down
    assert_eq "$(field "$(rpc inspect '{"name": "root"}')" state)" backoff
    # ... and never for good: after the backoff cap (30 s) it starts again
    local since
    since=$(seq_of gave-up root)
    wait_event starting root 45 "$since" >/dev/null
    wait_event up steady 15 "$since" >/dev/null
}

@test "re-adoption: SIGKILL bottled, the tree's containers keep running and are adopted; the strategy still applies" {
    three rest_for_one
    sup_start
    wait_event ready stack 20
    local db=$(pid_of db) app=$(pid_of app) proxy=$(pid_of proxy)
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    kill -0 "$db" && kill -0 "$app" && kill -0 "$proxy"
    sup_start
    wait_event ready stack 20 >/dev/null
    assert_eq "$(pid_of db)" "$db"
    assert_eq "$(pid_of app)" "$app"
    assert_eq "$(pid_of proxy)" "$proxy"
    local since
    since=$(seq_of ready stack)
    kill -KILL "$app"
    wait_event ready stack 20 "$since" >/dev/null
    assert_eq "$(pid_of db)" "$db"
    [[ $(pid_of proxy) != "$proxy" ]]
}

@test "SIGHUP leaves an unchanged tree running; a changed tree is stopped and replaced" {
    three one_for_one
    sup_start
    wait_event ready stack 20
    local db=$(pid_of db)
    kill -HUP "$SUP_PID"
    sleep 1
    assert_eq "$(pid_of db)" "$db"
    tree stack one_for_one '{"max_restarts": 5, "period_s": 30}' "$(child db)" "$(child app)"
    kill -HUP "$SUP_PID"
    wait_event stopped proxy 20 >/dev/null
    local since
    since=$(seq_of stopped stack)
    wait_event ready stack 20 "$since" >/dev/null
    run rpc inspect '{"name": "proxy"}'
    [[ $status -ne 0 ]]
    [[ $(pid_of db) != "$db" ]]
}

@test "bottle apply: a tree at run time, unchanged, replaced, kept across a restart of bottled, removed with rm -f" {
    sup_start
    SUP_NAMES+=(web cache front)
    local spec=$BT_TMP/web.json
    printf '{"name": "web", "strategy": "one_for_all", "children": [%s, %s]}\n' \
        "$(child cache)" "$(child front)" >"$spec"
    run "$SUP_BIN/bottle" --state "$SUP_STATE" apply "$spec"
    assert_eq "$status" 0
    assert_eq "$output" "web created"
    wait_event ready web 20
    run "$SUP_BIN/bottle" --state "$SUP_STATE" apply "$spec"
    assert_eq "$output" "web unchanged"
    # a change: the old tree stops, the new one starts
    printf '{"name": "web", "strategy": "one_for_all", "children": [%s]}\n' "$(child cache)" >"$spec"
    run "$SUP_BIN/bottle" --state "$SUP_STATE" apply "$spec"
    assert_eq "$output" "web replaced"
    wait_event stopped front 20 >/dev/null
    local since
    since=$(seq_of stopped web)
    wait_event ready web 20 "$since" >/dev/null
    local cache
    cache=$(pid_of cache)
    # kept across a SIGKILL of bottled (no --config knows it)
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    sup_start
    wait_event ready web 20 >/dev/null
    assert_eq "$(pid_of cache)" "$cache"
    # rm refuses a running unit without -f, then stops and forgets it
    run "$SUP_BIN/bottle" --state "$SUP_STATE" rm web
    assert_eq "$status" 125
    [[ $output == *"is running"* ]]
    run "$SUP_BIN/bottle" --state "$SUP_STATE" rm -f web
    assert_eq "$status" 0
    wait_for 15 sh -c "! kill -0 $cache 2>/dev/null"
    wait_for 10 sh -c "! python3 '$RPC' '$SUP_SOCK' inspect '{\"name\": \"web\"}' >/dev/null 2>&1"
    [[ ! -e $SUP_STATE/bottled/applied/web.json ]]
}

@test "bottle apply refuses a bad spec in one line (exit 125) and a name that is taken" {
    service taken '"command": ["sleep", "1000"]'
    sup_start
    wait_event up taken 10
    printf '{"name": "x", "rootfs": "%s", "command": ["true"], "restart": "sometimes"}' "$SUP_ROOTFS" >"$BT_TMP/bad.json"
    run "$SUP_BIN/bottle" --state "$SUP_STATE" apply "$BT_TMP/bad.json"
    assert_eq "$status" 125
    assert_eq "${#lines[@]}" 1
    [[ $output == *"restart"* ]]
    printf '{"name": "t2", "children": [{"name": "taken", "rootfs": "%s", "command": ["true"]}]}' "$SUP_ROOTFS" >"$BT_TMP/clash.json"
    run "$SUP_BIN/bottle" --state "$SUP_STATE" apply "$BT_TMP/clash.json"
    assert_eq "$status" 125
    [[ $output == *"taken"* ]]
    # a unit of --config is not apply's to remove
    run "$SUP_BIN/bottle" --state "$SUP_STATE" rm -f taken
    assert_eq "$status" 125
    [[ $output == *"--config"* ]]
    kill -0 "$(pid_of taken)"
}

@test "the next child waits for real readiness: a db ready 2 s after it starts holds the app back 2 s" {
    SUP_NAMES+=(slowdb app2)
    local slow
    slow=$(printf '{"name": "slowdb", "rootfs": "%s", "command": ["sh", "-c", "sleep 2; echo >&3; exec sleep 1000"], "readiness": {"fd": 3}, "restart": "always"}' "$SUP_ROOTFS")
    tree paced one_for_one '{"max_restarts": 5, "period_s": 30}' "$slow" "$(child app2)"
    sup_start
    wait_event ready paced 30
    local gap
    gap=$(rpc dump | python3 -c '
import json, sys
t = {}
for e in map(json.loads, sys.stdin):
    t.setdefault((e["type"], e["name"]), e["time_ns"])
print((t[("starting", "app2")] - t[("up", "slowdb")]) // 1000000)')
    (( gap >= 1900 )) || { echo "app2 started ${gap} ms after slowdb was up"; false; }
    (( $(seq_of ready slowdb) < $(seq_of starting app2) ))
}
