#!/usr/bin/env bats
# bottled's control verbs end to end, through the bottle CLI: pause/resume (a counter stops
# moving), stop thaws first, stats from the cgroup, update live (a fork bomb held by the new
# pids limit) and kept over restarts, wait, kill --all, logs and exec of services, ps and
# inspect; hostile clients (half lines, 64 at once, one that never reads, garbage); no
# wake-ups when idle; and one line with exit 125 from every verb when bottled is not running.

load lib

# service NAME JSON-EXTRA: as lib.bash's, but in the host's network namespace: these tests need
# no network, and a named netns (/run/netns/NAME) is global, shared with every other suite that
# runs at the same time and uses a name like "web".
service() {
    local name=$1 extra=$2
    SUP_NAMES+=("$name")
    printf '{"name": "%s", "rootfs": "%s", "network": "host", %s}\n' "$name" "$SUP_ROOTFS" \
        "$extra" >"$SUP_CONFIG/$name.json"
}

# bottle ARGS...: the CLI on this test's bottled, 30 s at most, captured (status, out, err).
bottle() {
    capture run_timeout 30 "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" "$@"
}

# cg_file NAME CONTROLLER FILE: FILE of service NAME's cgroup where CONTROLLER lives (v1 mount,
# else the unified hierarchy).
cg_file() {
    local dir
    for dir in /sys/fs/cgroup/"$2" /sys/fs/cgroup/unified /sys/fs/cgroup; do
        if [[ -e $dir/$SUP_CG/$1/$3 ]]; then
            echo "$dir/$SUP_CG/$1/$3"
            return 0
        fi
    done
    return 1
}

# frozen NAME: the freezer bottled uses holds NAME's cgroup frozen (v2 "frozen 1", else v1
# FROZEN).
frozen() {
    local file
    if file=$(cg_file "$1" unified cgroup.events) && [[ -e ${file%/*}/cgroup.freeze ]]; then
        grep -qx 'frozen 1' "$file"
    else
        [[ $(<"$(cg_file "$1" freezer freezer.state)") == FROZEN ]]
    fi
}

assert_one_line() {
    [[ -n $1 && $1 != *$'\n'* ]] && return 0
    printf 'assert_one_line failed%s: got:\n%s\n' "${2:+ ($2)}" "$1" >&2
    return 1
}

# last_seq: the sequence number of the newest event (to wait for the next ones).
last_seq() {
    rpc dump | tail -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["seq"])'
}

# A shared directory, bind-mounted at /shared in the services that ask for it.
SHARED_MOUNT='"mounts": [{"source": "SHARED", "target": "/shared"}]'
shared_service() {
    mkdir -p "$BT_TMP/shared"
    service "$1" "$2, ${SHARED_MOUNT/SHARED/$BT_TMP/shared}"
}

# count: the counter the "counter" service writes every 20 ms.
count() {
    # The freeze can land between the shell's truncation of the file and its write: empty is 0.
    local n
    n=$(cat "$BT_TMP/shared/count" 2>/dev/null)
    echo "${n:-0}"
}

COUNTER='"command": ["sh", "-c", "i=0; while :; do i=$((i + 1)); echo $i > /shared/count; sleep 0.02; done"]'

@test "pause: the counter stops moving (the cgroup is frozen when pause returns) and resume starts it again" {
    shared_service counter "$COUNTER"
    sup_start
    wait_event up counter 10
    wait_for 10 test -s "$BT_TMP/shared/count"
    bottle pause counter
    assert_eq "$status" 0 "$err"
    assert_eq "$out" counter
    frozen counter
    local before after
    before=$(count)
    sleep 0.5
    after=$(count)
    assert_eq "$after" "$before" "the counter moved while paused"
    bottle ps
    assert_line "$out" 'counter +[0-9]+ +running \(paused\) +0 +[0-9a-z]+ +[0-9]+'
    bottle inspect counter
    assert_match "$out" '"paused": ?true'
    bottle pause counter
    assert_eq "$status" 125
    assert_eq "$err" "bottle: pause counter: counter is already paused"
    bottle resume counter
    assert_eq "$status" 0 "$err"
    ! frozen counter || false
    wait_for 5 sh -c "[ \"\$(cat '$BT_TMP/shared/count')\" -gt $after ] 2>/dev/null"
    bottle resume counter
    assert_eq "$status" 125
    assert_match "$err" "counter is not paused"
    capture rpc dump
    assert_match "$out" '"type": "paused", "name": "counter"'
    assert_match "$out" '"type": "resumed", "name": "counter"'
}

@test "a paused container stays paused over a restart of bottled (SIGQUIT), and resumes" {
    shared_service counter "$COUNTER"
    sup_start
    wait_event up counter 10
    wait_for 10 test -s "$BT_TMP/shared/count"
    bottle pause counter
    assert_eq "$status" 0 "$err"
    kill -QUIT "$SUP_PID"
    timeout 10 tail --pid="$SUP_PID" -f /dev/null
    rm -f "$SUP_SOCK"
    sup_start
    wait_event adopted counter 10
    frozen counter
    bottle inspect counter
    assert_match "$out" '"paused": ?true'
    local before
    before=$(count)
    bottle resume counter
    assert_eq "$status" 0 "$err"
    wait_for 5 sh -c "[ \"\$(cat '$BT_TMP/shared/count')\" -gt $before ] 2>/dev/null"
}

@test "stop thaws a paused service first: its SIGTERM handler runs, no SIGKILL at the timeout" {
    shared_service polite '"command": ["sh", "-c", "trap \"echo term > /shared/term; exit 0\" TERM; while :; do sleep 1 & wait $!; done"], "stop": {"timeout_s": 30}'
    sup_start
    wait_event up polite 10
    bottle pause polite
    assert_eq "$status" 0 "$err"
    local t0=$SECONDS
    bottle stop polite
    assert_eq "$status" 0 "$err"
    assert_le $((SECONDS - t0)) 10 "stop waited for the 30 s timeout"
    assert_eq "$(cat "$BT_TMP/shared/term")" term
    local state
    state=$(rpc inspect '{"name": "polite"}')
    assert_eq "$(field "$state" state)" down
    assert_eq "$(field "$state" paused)" False
    capture rpc dump
    assert_no_match "$out" '"type": "killing"'
}

@test "pause of a service that is not running is an error; a paused service that is killed restarts thawed" {
    service once '"command": ["true"]'
    shared_service counter "$COUNTER"', "restart": "always"'
    sup_start
    wait_event stopped once 10
    bottle pause once
    assert_eq "$status" 125
    assert_eq "$err" "bottle: pause once: once is not running (down)"
    bottle pause nosuch
    assert_eq "$status" 125
    assert_eq "$err" "bottle: pause nosuch: no such service"
    wait_event up counter 10
    bottle pause counter
    assert_eq "$status" 0 "$err"
    # Any other signal would stay pending in the frozen cgroup.
    bottle kill -s USR1 counter
    assert_eq "$status" 125
    assert_match "$err" "counter is paused"
    local first seq
    first=$(field "$(rpc inspect '{"name": "counter"}')" pid)
    seq=$(last_seq)
    bottle kill -s KILL counter
    assert_eq "$status" 0 "$err"
    wait_event up counter 10 "$seq"
    local state
    state=$(rpc inspect '{"name": "counter"}')
    [[ $(field "$state" pid) != "$first" ]]
    assert_eq "$(field "$state" paused)" False
    ! frozen counter || false
    local before
    before=$(count)
    wait_for 5 sh -c "[ \"\$(cat '$BT_TMP/shared/count')\" != '$before' ]"
}

@test "stats: cpu, memory and pids from the cgroup, with the limits" {
    service busy '"command": ["sh", "-c", "while :; do :; done"], "resources": {"memory": "64M", "pids": 40, "cpus": 0.5}'
    sup_start
    wait_event up busy 10
    bottle stats busy --json
    assert_eq "$status" 0 "$err"
    local first=$out cpu1 cpu2
    assert_eq "$(field "$first" memory_limit)" 67108864
    assert_eq "$(field "$first" pids_limit)" 40
    assert_eq "$(field "$first" cpus)" 0.5
    # bottle-init and sh, as the cgroup lists them.
    assert_eq "$(field "$first" pids_current)" 2
    assert_eq "$(wc -l <"$(cg_file busy pids cgroup.procs)")" 2
    (($(field "$first" memory_usage) > 0))
    cpu1=$(field "$first" cpu_usage_ns)
    sleep 1
    bottle stats --json
    cpu2=$(python3 -c 'import json,sys; print([s for s in json.loads(sys.argv[1]) if s["name"] == "busy"][0]["cpu_usage_ns"])' "$out")
    # A busy loop under a 0.5 cpu limit: between 0.2 and 0.75 s of cpu in 1 s (and the time
    # python took).
    ((cpu2 - cpu1 >= 200000000)) || { echo "cpu went from $cpu1 to $cpu2"; false; }
    bottle stats
    assert_eq "$status" 0 "$err"
    assert_line "$out" 'NAME +CPU +MEM USAGE / LIMIT +PIDS / LIMIT'
    assert_line "$out" 'busy +[0-9.]+s +[0-9.]+[KMG]?i?B / 64\.0MiB +2 / 40'
    bottle stats nosuch
    assert_eq "$status" 125
    assert_eq "$err" "bottle: stats nosuch: no such service"
}

@test "update: memory and pids live; a fork bomb is then held by the pids limit, bottled stays responsive; the limits outlive restarts" {
    local helper lib
    mkdir -p "$SUP_ROOTFS/helpers"
    helper=$HELPERS/shim-forkbomb
    [[ -x $helper ]] || skip "$helper is not built"
    cp "$helper" "$SUP_ROOTFS/helpers/"
    for lib in $(ldd "$helper" | grep -oE '/[^ ]+'); do
        [[ -e $SUP_ROOTFS$lib ]] || cp -L --parents "$lib" "$SUP_ROOTFS"
    done
    service bomb '"command": ["sleep", "1000"], "resources": {"pids": 200}, "restart": "always"'
    sup_start
    wait_event up bomb 10
    assert_eq "$(<"$(cg_file bomb pids pids.max)")" 200
    bottle update bomb --pids-limit 16 --memory 48m
    assert_eq "$status" 0 "$err"
    assert_eq "$(<"$(cg_file bomb pids pids.max)")" 16
    local memory
    memory=$(cat "$(cg_file bomb memory memory.limit_in_bytes)" 2>/dev/null ||
        cat "$(cg_file bomb memory memory.max)")
    assert_eq "$memory" 50331648
    capture rpc dump
    assert_match "$out" '"type": "updated", "name": "bomb", "live": true, "override_memory": \{"value": 50331648'
    "$SUP_BIN/bottle" --state "$SUP_STATE" exec bomb /helpers/shim-forkbomb 1000 \
        >"$BT_TMP/bomb.out" 2>&1 &
    local bomber=$!
    bt_track "$bomber"
    # bottled answers while the bomb goes off.
    local i
    for i in 1 2 3; do
        bottle stats bomb --json
        assert_eq "$status" 0 "bottled did not answer during the fork bomb"
        assert_le "$(field "$out" pids_current)" 16
    done
    bt_wait "$bomber" 30
    assert_eq "$status" 0 "$(cat "$BT_TMP/bomb.out")"
    local forked
    forked=$(awk '$1 == "forked" { print $2 }' "$BT_TMP/bomb.out")
    grep -qx 'forked [0-9]* EAGAIN' "$BT_TMP/bomb.out"
    # 16 tasks: bottle-init, sleep, the bomb and at most 13 children.
    ((forked >= 1 && forked <= 13)) || { echo "forked $forked under pids 16"; false; }
    bottle ps
    assert_eq "$status" 0

    # A restart of the service, then one of bottled: the override stays.
    local seq
    seq=$(last_seq)
    bottle restart bomb
    wait_event up bomb 10 "$seq"
    wait_for 5 test -e "$(cg_file bomb pids pids.max)"
    assert_eq "$(<"$(cg_file bomb pids pids.max)")" 16
    kill -TERM "$SUP_PID"
    timeout 20 tail --pid="$SUP_PID" -f /dev/null
    sup_start
    # (bottled's shutdown stopped it, and that is remembered: start it again.)
    bottle start bomb
    wait_event up bomb 10
    assert_eq "$(<"$(cg_file bomb pids pids.max)")" 16
    bottle inspect bomb
    assert_match "$out" '"pids": ?16'
    assert_match "$out" '"memory": ?50331648'
    # Bad values: one line, nothing changed.
    bottle update bomb --pids-limit lots
    assert_eq "$status" 125
    assert_one_line "$err"
    bottle update bomb --memory 1k
    assert_eq "$status" 125
    assert_match "$err" "memory: expected 0 \(no limit\) or"
    bottle update bomb
    assert_eq "$status" 125
    assert_eq "$(<"$(cg_file bomb pids pids.max)")" 16
}

@test "wait --for running|ready|stopped: exit 0 once there, 1 at the timeout; stop -t SECS" {
    service stubborn '"command": ["sh", "-c", "trap \"\" TERM; while :; do sleep 1; done"], "stop": {"timeout_s": 60}'
    sup_start
    bottle wait stubborn --for running --timeout 10
    assert_eq "$status" 0 "$err"
    bottle wait stubborn --for ready --timeout 10
    assert_eq "$status" 0 "$err"
    local t0
    t0=$(bt_now)
    bottle wait stubborn --for stopped --timeout 1
    assert_eq "$status" 1
    assert_match "$err" "not stopped after 1s"
    (($(bt_now) - t0 >= 1000000))
    "$SUP_BIN/bottle" --state "$SUP_STATE" wait stubborn --for stopped --timeout 20 \
        >"$BT_TMP/wait.out" 2>&1 &
    local waiter=$!
    bt_track "$waiter"
    # SIGTERM is ignored: -t 1 kills it after 1 s instead of the spec's 60.
    t0=$SECONDS
    bottle stop -t 1 stubborn
    assert_eq "$status" 0 "$err"
    assert_le $((SECONDS - t0)) 10
    assert_eq "$(field "$(rpc inspect '{"name": "stubborn"}')" state)" down
    bt_wait "$waiter" 10
    assert_eq "$status" 0 "$(cat "$BT_TMP/wait.out")"
    bottle wait stubborn --for sideways
    assert_eq "$status" 125
    bottle wait nosuch --for running --timeout 5
    assert_eq "$status" 125
    assert_eq "$err" "bottle: wait nosuch: no such service"
    bottle stop -t soon stubborn
    assert_eq "$status" 125
    assert_one_line "$err"
}

@test "kill through bottled: -s to the init's child, --all to every process of the container" {
    mkdir -p "$BT_TMP/shared"
    cat >"$BT_TMP/shared/run.sh" <<'EOF'
trap 'echo parent >> /shared/got' USR2
sh -c "trap 'echo child >> /shared/got' USR2; while :; do sleep 1 & wait \$!; done" &
while :; do sleep 1 & wait $!; done
EOF
    shared_service signals '"command": ["sh", "/shared/run.sh"]'
    sup_start
    wait_event up signals 10
    wait_for 10 sh -c "[ \$(wc -l < '$(cg_file signals pids cgroup.procs)') -ge 4 ]"
    bottle kill -s USR2 signals
    assert_eq "$status" 0 "$err"
    wait_for 5 file_has "$BT_TMP/shared/got" '^parent$'
    sleep 0.3
    ! file_has "$BT_TMP/shared/got" '^child$' || false
    : >"$BT_TMP/shared/got"
    bottle kill --all -s USR2 signals
    assert_eq "$status" 0 "$err"
    wait_for 5 file_has "$BT_TMP/shared/got" '^parent$'
    wait_for 5 file_has "$BT_TMP/shared/got" '^child$'
    bottle kill -s NOPE signals
    assert_eq "$status" 125
    bottle kill --all -s KILL signals
    assert_eq "$status" 0 "$err"
    wait_event stopped signals 10
    bottle kill signals
    assert_eq "$status" 125
    assert_eq "$err" "bottle: cannot kill signals: signals is not running (down)"
}

@test "logs, logs -f, exec, ps and inspect work on bottled's services" {
    service web '"command": ["sh", "-c", "echo hello-from-web; echo oops >&2; while :; do sleep 1; done"]'
    service done '"command": ["sh", "-c", "exit 3"]'
    sup_start
    wait_event up web 10
    wait_event stopped done 10
    wait_for 10 file_has "$SUP_ROOT/containers/web/container.log" hello-from-web
    bottle logs web
    assert_eq "$status" 0 "$err"
    assert_eq "$out" hello-from-web
    assert_eq "$err" oops
    bottle logs --tail 1 web
    assert_eq "$out$err" oops
    bottle exec web sh -c 'echo in-$(hostname); exit 7'
    assert_eq "$status" 7
    assert_eq "$out" in-web
    "$SUP_BIN/bottle" --state "$SUP_STATE" --root "$SUP_ROOT" logs -f web >"$BT_TMP/follow.out" 2>&1 &
    local follower=$!
    bt_track "$follower"
    wait_for 5 file_has "$BT_TMP/follow.out" hello-from-web
    bottle ps
    assert_eq "$status" 0 "$err"
    assert_line "$out" 'SERVICE +PID +STATE +RESTARTS +UPTIME +LAST EXIT'
    assert_line "$out" 'web +[0-9]+ +running +0 +[0-9a-z]+ +0'
    assert_no_match "$out" 'done'
    bottle ps -a
    assert_line "$out" 'done +- +down +0 +- +3'
    bottle ps -a --json
    assert_match "$out" '"kind": ?"service"'
    bottle inspect web
    assert_match "$out" '"kind": ?"service"'
    assert_match "$out" '"state": ?"running"'
    bottle stop web
    assert_eq "$status" 0 "$err"
    bt_wait "$follower" 10
    assert_eq "$status" 0 "logs -f ended with the service"
    # The log outlives the run.
    bottle logs web
    assert_eq "$out" hello-from-web
}

@test "hostile clients: a half line that hangs, 64 clients at once and more, garbage" {
    service idle '"command": ["sleep", "1000"]'
    sup_start
    wait_event up idle 10
    capture run_timeout 60 python3 - "$SUP_SOCK" <<'PY'
import json, socket, sys, time
path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    return s

def call(s, method, ident=1):
    s.sendall(json.dumps({"jsonrpc": "2.0", "id": ident, "method": method}).encode() + b"\n")
    buf = b""
    while b"\n" not in buf:
        chunk = s.recv(65536)
        assert chunk, "closed"
        buf += chunk
    return json.loads(buf.split(b"\n")[0])

# A half line that never ends does not hold anyone else up.
half = connect()
half.sendall(b'{"jsonrpc": "2.0", "id": 1, "meth')
t = time.time()
assert call(connect(), "ps")["result"][0]["name"] == "idle"
print("half line: others served in %.2fs" % (time.time() - t))

# 64 at once, every one served.
clients = [connect() for _ in range(64)]
for i, s in enumerate(clients):
    s.sendall(json.dumps({"jsonrpc": "2.0", "id": i, "method": "ps"}).encode() + b"\n")
for i, s in enumerate(clients):
    buf = b""
    while b"\n" not in buf:
        buf += s.recv(65536)
    assert json.loads(buf.split(b"\n")[0])["id"] == i
print("64 clients served")
for s in clients:
    s.close()
half.close()

# Every slot taken by clients that hang on half a line: a new one still gets in (the longest
# idle goes), and bottled says nothing to those left.
hangers = []
for _ in range(64):
    s = connect()
    s.sendall(b'{"jsonrpc"')
    hangers.append(s)
time.sleep(0.2)
assert call(connect(), "ps")["result"][0]["name"] == "idle"
print("65th client served")
for s in hangers:
    s.close()

# Garbage: binary, NULs, invalid UTF-8, deep nesting, a bare newline, a batch.
for junk in [b"\x00\x01\x02\xff\xfe\n", b"\xc3\x28 not utf-8\n", b"[" * 10000 + b"\n",
             b"\n", b'[{"jsonrpc": "2.0", "id": 1, "method": "ps"}]\n', b"{}\n",
             b'{"jsonrpc": "2.0", "id": 1, "method": "kill", "params": {"name": "idle", "signal": "BOGUS"}}\n',
             b'{"jsonrpc": "2.0", "id": 1, "method": "update", "params": {"name": "idle", "pids": "many"}}\n']:
    s = connect()
    s.sendall(junk)
    s.settimeout(2)
    try:
        s.recv(65536)
    except socket.timeout:
        pass
    s.close()
assert call(connect(), "ps")["result"][0]["state"] == "running"
print("garbage refused")
PY
    assert_eq "$status" 0 "$err"
    assert_match "$out" "65th client served"
    assert_match "$out" "garbage refused"
    kill -0 "$SUP_PID"
}

@test "a client that never reads while events stream is dropped, not bottled" {
    service counter '"command": ["sleep", "1000"]'
    sup_start
    wait_event up counter 10
    capture run_timeout 120 python3 - "$SUP_SOCK" <<'PY'
import json, socket, sys, time
path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    return s

# Fill the ring of kept events: pause and resume, 2 events each.
s = connect()
f = s.makefile("rb")
for i in range(400):
    for method in ("pause", "resume"):
        s.sendall(json.dumps({"jsonrpc": "2.0", "id": i, "method": method,
                              "params": {"name": "counter"}}).encode() + b"\n")
        reply = json.loads(f.readline())
        assert "result" in reply, reply
s.close()

# A client asks for the replay again and again, and never reads: ~800 events of ~100 bytes
# per request, 100 requests, far past the 4 MiB cap.
hog = connect()
req = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "events", "params": {"since": 0}}).encode() + b"\n"
for _ in range(100):
    try:
        hog.sendall(req)
    except OSError:
        break
time.sleep(1)

# bottled still answers others.
t = time.time()
other = connect()
other.sendall(b'{"jsonrpc": "2.0", "id": 9, "method": "ps"}\n')
assert json.loads(other.makefile("rb").readline())["id"] == 9
print("others served in %.2fs" % (time.time() - t))

# The hog was dropped: what it gets ends (EOF or reset) well before all it asked for.
total = 0
hog.settimeout(10)
try:
    while True:
        chunk = hog.recv(1 << 20)
        if not chunk:
            break
        total += len(chunk)
except ConnectionResetError:
    pass
print("hog got %d bytes, then the end" % total)
assert total < 100 * 800 * 100, total
PY
    assert_eq "$status" 0 "$err"
    assert_match "$out" "then the end"
    kill -0 "$SUP_PID"
    capture rpc ps
    assert_eq "$status" 0
}

@test "idle: bottled makes no voluntary context switch in 10 s with services running" {
    service a '"command": ["sleep", "1000"]'
    service b '"command": ["sh", "-c", "while :; do sleep 1; done"]'
    sup_start
    wait_event up a 10
    wait_event up b 10
    sleep 1
    # Every thread of bottled (libuv may have more than one).
    switches() {
        cat /proc/"$SUP_PID"/task/*/status | awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n }'
    }
    local before after
    before=$(switches)
    sleep 10
    after=$(switches)
    assert_eq "$after" "$before" "voluntary context switches of bottled in 10 s"
}

@test "every bottled verb says in one line, exit 125, that bottled is not running" {
    local verb
    for verb in "pause x" "resume x" "stats" "stats x" "update x --pids-limit 5" \
        "wait x --for running" "start x" "stop x" "stop -t 1 x" "restart x" "events"; do
        # shellcheck disable=SC2086
        bottle $verb
        assert_eq "$status" 125 "$verb"
        assert_one_line "$err" "$verb"
        assert_match "$err" "^bottle: bottled is not running .*start it with: bottled --config" "$verb"
    done
    # ps, inspect and kill still serve the containers of bottle run -d.
    bottle ps
    assert_eq "$status" 0
    bottle inspect x
    assert_eq "$err" "bottle: no such container: x"
    bottle kill x
    assert_eq "$err" "bottle: no such container: x"
    # Bad usage is found before bottled is asked.
    bottle wait x
    assert_eq "$status" 125
    assert_eq "$err" "bottle: wait: --for ready|running|stopped is needed"
    bottle update x
    assert_eq "$err" "bottle: update: nothing to change: give --memory, --cpus or --pids-limit"
}

@test "with bottled running, ps, inspect and kill still serve a container of bottle run -d" {
    service web '"command": ["sleep", "1000"]'
    SUP_NAMES+=(solo)
    sup_start
    wait_event up web 10
    bottle run -d --name solo --network host --cgroup-parent "$SUP_CG" --rootfs "$SUP_ROOTFS" \
        -- sleep 1000
    assert_eq "$status" 0 "$err"
    bottle ps
    assert_line "$out" 'web +[0-9]+ +running +0 +[0-9a-z-]+ +0'
    assert_line "$out" 'NAME +PID +STATUS +STARTED'
    assert_line "$out" 'solo +[0-9]+ +running +[0-9-]+ [0-9:]+'
    bottle ps --json
    assert_eq "$(python3 -c 'import json, sys; print(" ".join(o["kind"] + ":" + o["name"] for o in json.loads(sys.argv[1])))' "$out")" \
        "service:web container:solo"
    bottle inspect solo
    assert_match "$out" '"kind": ?"container"'
    bottle kill -s KILL solo
    assert_eq "$status" 0 "$err"
    wait_for 10 test -e "$SUP_STATE/containers/solo/exit"
    bottle ps -a
    assert_line "$out" 'solo +- +exited \(137\) +[0-9-]+ [0-9:]+'
    assert_eq "$(field "$(rpc inspect '{"name": "web"}')" state)" running
}

@test "events --since SEQ replays only what came after SEQ, then streams" {
    service web '"command": ["sleep", "1000"]'
    sup_start
    wait_event up web 10
    local seq
    seq=$(last_seq)
    "$SUP_BIN/bottle" --state "$SUP_STATE" events --since "$seq" >"$BT_TMP/events.out" 2>&1 &
    local streamer=$!
    bt_track "$streamer"
    bottle pause web
    assert_eq "$status" 0 "$err"
    wait_for 5 file_has "$BT_TMP/events.out" '"type":"paused","name":"web"'
    # Nothing at or before SEQ came back.
    python3 -c '
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
assert seqs and min(seqs) == int(sys.argv[2]) + 1, seqs' "$BT_TMP/events.out" "$seq"
    bottle resume web
    wait_for 5 file_has "$BT_TMP/events.out" '"type":"resumed","name":"web"'
    bottle events --since banana
    assert_eq "$status" 125
}
