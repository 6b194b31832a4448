#!/bin/bash
# The signal/kill test bench: runs a program under a private bottled (restart always), once per
# case, sends it a signal, a stop, an OOM or a kill of its shim, and prints one table row per
# case: what the program printed, how it exited, whether bottled restarted it and how fast. The
# rows and columns are stable so that tests can assert them. Needs root; leaves nothing behind.
set -u
usage="Usage: $0 [OPTIONS] [-- COMMAND [ARG...]]

Runs COMMAND (default: a small shell service with traps, examples/signals/service.sh) under a
private bottled and sends it, one case at a time in a fresh container:
  TERM INT HUP USR1 QUIT KILL   bottle kill -s SIG
  stop                          bottle stop (SIGTERM, then SIGKILL after --stop-timeout)
  oom                           under --memory, dd fills a tmpfs in the container; the
                                program's oom_score_adj is raised so that the kernel's OOM
                                killer picks the program (the rootfs needs dd)
  shim                          SIGKILL to the container's bottle-shim
and prints: CASE, SENT, PROGRAM SAW (its output after the signal), EXIT (code/signal/oom from
bottled's events), AFTER (signal to exit), RESTARTED (by bottled, and how fast).
Every case gets BENCH_CASE=<case> in its environment. Exit status: 0, 1 when a case's program
could not be started or ended before it was sent anything, 125 for bad options or setup.

  --cases LIST        the cases, by comma or space (default all, in the order above)
  --rootfs DIR        the program's rootfs (default: the busybox rootfs of the build)
  --stop-timeout S    the stop timeout, whole seconds (default 2)
  --memory SIZE       the oom case's memory limit (default 32M)
  --wait S            how long a case waits for the program to exit (default 2)
  --start-wait S      how long a case waits for the program's first line of output before
                      it acts (default 1; 30 for the default program, which prints its
                      first line once its traps are set)
  --tsv               tab-separated rows without the header, for scripts
  -h, --help

Environment: BOTTLE_BUILD (the build dir), BENCH_CGROUP_PARENT, BENCH_NAME_PREFIX (of the
containers' names, default bench-PID), TMPDIR."

here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "${BOTTLE_BUILD:-$here/../../build}")
die() {
    echo "bench.sh: $*" >&2
    exit 125
}

all_cases="TERM INT HUP USR1 QUIT KILL stop oom shim"
cases=$all_cases
rootfs=
stop_timeout=2
memory=32M
wait_exit=2
start_wait=
tsv=0
while [ $# -gt 0 ]; do
    case $1 in
    --cases) [ $# -ge 2 ] || die "--cases needs a list"; cases=${2//,/ }; shift 2 ;;
    --rootfs) [ $# -ge 2 ] || die "--rootfs needs a directory"; rootfs=$2; shift 2 ;;
    --stop-timeout) [ $# -ge 2 ] || die "--stop-timeout needs seconds"; stop_timeout=$2; shift 2 ;;
    --memory) [ $# -ge 2 ] || die "--memory needs a size"; memory=$2; shift 2 ;;
    --wait) [ $# -ge 2 ] || die "--wait needs seconds"; wait_exit=$2; shift 2 ;;
    --start-wait) [ $# -ge 2 ] || die "--start-wait needs seconds"; start_wait=$2; shift 2 ;;
    --tsv) tsv=1; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done
for c in $cases; do
    [[ " $all_cases " == *" $c "* ]] || die "unknown case '$c' (cases: $all_cases)"
done
[ -n "$cases" ] || die "--cases is empty"
[[ $stop_timeout =~ ^[0-9]+$ ]] || die "--stop-timeout: expected whole seconds, got '$stop_timeout'"
[[ $wait_exit =~ ^[0-9]+$ ]] && [ "$wait_exit" -gt 0 ] ||
    die "--wait: expected whole seconds > 0, got '$wait_exit'"
[[ ${start_wait:-1} =~ ^[0-9]+$ ]] || die "--start-wait: expected whole seconds, got '$start_wait'"
[[ $memory =~ ^[0-9]+[KkMmGg]?$ ]] || die "--memory: expected a size such as 32M, got '$memory'"
bottle=$build/bin/bottle
bottled_bin=$build/bin/bottled
[ -x "$bottle" ] && [ -x "$bottled_bin" ] || die "run 'make' first ($build/bin has no bottle, bottled)"
[ "$(id -u)" -eq 0 ] || die "needs root (containers, cgroups)"
rootfs=$(realpath "${rootfs:-$build/rootfs/busybox}" 2>/dev/null) && [ -d "$rootfs" ] ||
    die "no rootfs ${rootfs:-$build/rootfs/busybox} (for the default: make rootfs)"
program="$*"
if [ $# -eq 0 ]; then
    [ -x "$rootfs/bin/sh" ] || die "the default program needs /bin/sh in $rootfs"
    set -- sh -c "$(cat "$here/service.sh")"
    program="sh examples/signals/service.sh (the default)"
    start_wait=${start_wait:-30}
fi
start_wait=${start_wait:-1}

# Container names are global (/run/netns/NAME): this run's own.
prefix=${BENCH_NAME_PREFIX:-bench-$$}
[[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,50}$ ]] ||
    die "BENCH_NAME_PREFIX: expected up to 51 letters, digits, '_', '.' or '-', got '$prefix'"
parent=${BENCH_CGROUP_PARENT:-bottle-bench-$$}
[[ $parent =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] ||
    die "BENCH_CGROUP_PARENT: expected letters, digits, '_', '.' or '-', got '$parent'"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bottle-bench.XXXXXX") || die "cannot create a temp dir"
state=$tmp/state
export BOTTLE_STATE=$state BOTTLE_ROOT=$tmp/root
bottled_pid=
events_pid=
cleanup() {
    if [ -n "$bottled_pid" ] && kill -0 "$bottled_pid" 2>/dev/null; then
        kill -TERM "$bottled_pid" # stops every container, then exits
        timeout $((stop_timeout + 20)) tail --pid="$bottled_pid" -f /dev/null ||
            kill -KILL "$bottled_pid"
        wait "$bottled_pid" 2>/dev/null
    fi
    if [ -n "$events_pid" ]; then
        kill "$events_pid" 2>/dev/null
        wait "$events_pid" 2>/dev/null
    fi
    local dir
    for dir in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do
        [ -d "$dir" ] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# json_string TEXT: TEXT as a JSON string.
json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\t'/\\t}
    s=${s//$'\r'/\\r}
    printf '"%s"' "$s"
}

command_json=
for arg; do command_json+=${command_json:+, }$(json_string "$arg"); done

now_ns() { echo "${EPOCHREALTIME/./}000"; }

# event_field LINE KEY: one value of an event's JSON line.
event_field() {
    [[ $1 =~ \"$2\":\"?([^\",}]*) ]] && echo "${BASH_REMATCH[1]}"
}

# next_event NAME AFTER_SEQ SECS TYPE...: the first event of NAME after AFTER_SEQ whose type is
# one of TYPE, waiting at most SECS; nothing (status 1) when none came.
next_event() {
    local name=$1 after=$2 secs=$3 line type
    shift 3
    local deadline=$(($(now_ns) + secs * 1000000000))
    while :; do
        while IFS= read -r line; do
            [[ $line == *"\"name\":\"$name\""* ]] || continue
            (($(event_field "$line" seq) > after)) || continue
            type=$(event_field "$line" type)
            for t; do [ "$type" = "$t" ] && { echo "$line"; return 0; }; done
        done <"$tmp/events"
        (($(now_ns) < deadline)) || return 1
        sleep 0.02
    done
}

last_seq() {
    local line
    line=$(tail -n 1 "$tmp/events")
    event_field "$line" seq || echo 0
}

# saw NAME FROM_NS TO_NS: what the program printed between the two times, one line.
saw() {
    local ts line text='' t
    while IFS= read -r line; do
        ts=${line%% *}
        t=$(date -d "$ts" +%s%N 2>/dev/null) || continue
        ((t >= $2 && t <= $3)) || continue
        text+=${text:+ / }${line#* }
    done < <(timeout 10 "$bottle" logs --timestamps "$1" 2>/dev/null)
    [ -n "$text" ] || text=-
    echo "${text:0:32}"
}

describe_exit() { # CODE SIGNAL OOM LOST
    local text
    if [ "$2" -gt 0 ]; then
        text="signal $2 ($(kill -l "$2"))"
    elif [ "$1" -gt 128 ] && [ "$1" -le 192 ]; then
        text="code $1 (128+$(kill -l $(($1 - 128))))"
    else
        text="code $1"
    fi
    [ "$3" = true ] && text+=", oom"
    [ "$4" = true ] && text+=", shim lost"
    echo "$text"
}

# raise_oom_score NAME INIT: oom_score_adj 1000 for every process of the container but its init,
# so that an OOM in its cgroup kills the program, not the hog (raising needs no capability).
raise_oom_score() {
    local pid
    for pid in $(cat /sys/fs/cgroup/*/"$parent"/"$1"/cgroup.procs 2>/dev/null | sort -u); do
        [ "$pid" = "$2" ] || echo 1000 >"/proc/$pid/oom_score_adj" 2>/dev/null
    done
}

rows=()
row() { # CASE SENT SAW EXIT AFTER RESTARTED
    rows+=("$(printf '%s\t' "$@")")
}

run_case() {
    local case=$1 name=$prefix-${1,,} spec extra='' sent seq up init t0 exited after restarted line
    case $case in
    # The hog fills a tmpfs: its pages are charged to the container's memory cgroup but are not
    # in the hog's RSS, so its OOM score stays low (a hog that grows its own memory would
    # outscore the program: the kernel rounds oom_score_adj's weight down).
    oom) extra=", \"resources\": {\"memory\": \"$memory\"}, \"mounts\": [{\"type\": \"tmpfs\", \"target\": \"/bench-oom\"}]" ;;
    esac
    # restart always; core dumps off (QUIT would drop a core file in the rootfs); /tmp as cwd.
    spec="{\"name\": \"$name\", \"rootfs\": $(json_string "$rootfs"), \"command\": [$command_json],
 \"env\": [\"BENCH_CASE=$case\"], \"workdir\": \"/tmp\", \"restart\": \"always\",
 \"backoff\": {\"initial_ms\": 100, \"max_ms\": 1000},
 \"stop\": {\"signal\": \"SIGTERM\", \"timeout_s\": $stop_timeout},
 \"rlimits\": {\"core\": 0}$extra}"
    printf '%s\n' "$spec" >"$tmp/config/.$name.tmp" && mv "$tmp/config/.$name.tmp" "$tmp/config/$name.json"
    seq=$(last_seq)
    kill -HUP "$bottled_pid"
    if ! up=$(next_event "$name" "$seq" 20 up start-failed); then
        row "$case" - - "did not start" - -
        return
    fi
    if [ "$(event_field "$up" type)" != up ]; then
        row "$case" - - "start failed: $(tail -n 1 "$tmp/bottled.log")" - -
        return
    fi
    init=$(event_field "$up" pid)
    seq=$(event_field "$up" seq)
    # Until the program has printed something (the default one: its traps are set).
    local deadline=$((SECONDS + start_wait))
    while [ $SECONDS -le $deadline ] && [ -z "$(timeout 5 "$bottle" logs "$name" 2>/dev/null)" ]; do
        sleep 0.05
    done
    sleep 0.1
    if exited=$(next_event "$name" "$seq" 0 exited); then
        row "$case" - "$(saw "$name" 0 "$(event_field "$exited" time_ns)")" \
            "exited by itself: $(describe_exit "$(event_field "$exited" code)" \
                "$(event_field "$exited" signal)" "$(event_field "$exited" oom)" false)" - -
        return
    fi
    local wait_s=$wait_exit hog=''
    t0=$(now_ns)
    case $case in
    stop)
        sent="bottle stop (timeout ${stop_timeout} s)"
        timeout 10 "$bottle" stop "$name" >/dev/null
        wait_s=$((stop_timeout + 10))
        ;;
    oom)
        sent="tmpfs filled under -m $memory"
        if [ ! -x "$rootfs/bin/dd" ] && [ ! -x "$rootfs/usr/bin/dd" ]; then
            row "$case" "$sent" - "skipped: no dd in the rootfs" - -
            return
        fi
        raise_oom_score "$name" "$init"
        timeout 30 "$bottle" exec "$name" -- dd if=/dev/zero of=/bench-oom/fill bs=64k \
            >/dev/null 2>&1 &
        hog=$!
        wait_s=20
        ;;
    shim)
        sent="SIGKILL to bottle-shim"
        kill -KILL "$(cat "$state/containers/$name/shim.pid")"
        wait_s=10
        ;;
    *)
        sent="bottle kill -s $case"
        timeout 10 "$bottle" kill -s "$case" "$name" >/dev/null
        ;;
    esac
    exited=$(next_event "$name" "$seq" "$wait_s" exited)
    [ -n "$hog" ] && wait "$hog" 2>/dev/null
    if [ -z "$exited" ]; then
        row "$case" "$sent" "$(saw "$name" "$t0" "$(now_ns)")" "still running" - -
        return
    fi
    local t_exit code signal oom lost=false
    t_exit=$(event_field "$exited" time_ns)
    code=$(event_field "$exited" code)
    signal=$(event_field "$exited" signal)
    oom=$(event_field "$exited" oom)
    next_event "$name" "$seq" 0 shim-lost >/dev/null && lost=true
    after="$(((t_exit - t0) / 1000000)) ms"
    line=$(next_event "$name" "$(event_field "$exited" seq)" 10 up stopped)
    case $(event_field "$line" type) in
    up) restarted="yes, in $((($(event_field "$line" time_ns) - t_exit) / 1000000)) ms" ;;
    stopped) restarted="no, stopped" ;;
    *) restarted="no" ;;
    esac
    row "$case" "$sent" "$(saw "$name" "$t0" "$t_exit")" "$(describe_exit "$code" "$signal" "$oom" "$lost")" \
        "$after" "$restarted"
}

# Removes NAME's spec: bottled stops it (if it runs) and forgets it.
remove_case() {
    local name=$prefix-${1,,} seq
    seq=$(last_seq)
    rm -f "$tmp/config/$name.json"
    kill -HUP "$bottled_pid"
    next_event "$name" "$seq" 1 removed >/dev/null
    if [ "$(event_field "$(timeout 5 "$bottle" inspect "$name" 2>/dev/null | tr -d '\n ')" status)" = running ]; then
        next_event "$name" "$seq" $((stop_timeout + 10)) stopped >/dev/null
    fi
}

mkdir -p "$tmp/config"
"$bottled_bin" --config "$tmp/config" --state "$state" --root "$tmp/root" --cgroup-parent "$parent" \
    2>>"$tmp/bottled.log" &
bottled_pid=$!
deadline=$((SECONDS + 10))
while [ ! -S "$state/bottled.sock" ] && [ $SECONDS -le $deadline ]; do sleep 0.05; done
[ -S "$state/bottled.sock" ] || die "bottled did not start: $(tail -n 3 "$tmp/bottled.log")"
: >"$tmp/events"
"$bottle" events >"$tmp/events" 2>/dev/null &
events_pid=$!

[ "$tsv" -eq 1 ] || echo "program: $program, in $rootfs"
for c in $cases; do
    run_case "$c"
    if [ "$tsv" -eq 1 ]; then
        printf '%s\n' "${rows[-1]%$'\t'}"
    else
        IFS=$'\t' read -r -a f <<<"${rows[-1]}"
        [ ${#rows[@]} -eq 1 ] && printf '%-5s  %-26s  %-32s  %-26s  %8s  %s\n' \
            CASE SENT "PROGRAM SAW" EXIT AFTER RESTARTED
        printf '%-5s  %-26s  %-32s  %-26s  %8s  %s\n' "${f[@]}"
    fi
    remove_case "$c"
done
# A case whose program never ran is a failure of the bench, not a row about the program.
for r in "${rows[@]}"; do
    IFS=$'\t' read -r -a f <<<"$r"
    [[ ${f[3]} == "did not start" || ${f[3]} == "start failed"* || ${f[3]} == "exited by itself"* ]] &&
        exit 1
done
exit 0
