# Shared helpers for bottle's bats suites: where the binaries are, bounded waits, pid
# namespaces and per-test cleanup. Load it first thing with `load ../lib` (bats) or source it
# (plain bash, e.g. inside a pid namespace). Nothing here may wait without a bound.
#
# Every test gets $BT_TMP (a fresh directory) and runs with stdin from /dev/null and core dumps
# off. Processes a test starts in the background are registered with bt_track and are SIGKILLed
# in teardown. A file that needs its own setup/teardown calls bt_setup/bt_teardown from them.

BT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# `make check` sets BOTTLE_BUILD to the absolute build directory.
: "${BOTTLE_BUILD:=$BT_REPO/build}"
export BOTTLE_BUILD
BT_BIN=$BOTTLE_BUILD/bin
HELPERS=$BOTTLE_BUILD/tests/helpers
HELPERS_SRC=$BT_REPO/tests/helpers
# BOTTLE_INIT/BOTTLE_TINI/BOTTLE_DUMB_INIT point the init suite at another binary (for
# instance /usr/bin/tini, to compare).
INIT=${BOTTLE_INIT:-$BT_BIN/bottle-init}
TINI=${BOTTLE_TINI:-$BT_BIN/tini}
DUMB_INIT=${BOTTLE_DUMB_INIT:-$BT_BIN/dumb-init}
export INIT TINI DUMB_INIT HELPERS HELPERS_SRC

# The pids bt_track registered, and their start times (to never kill a reused pid).
BT_PIDS=()
declare -A BT_PID_START=()

bt_setup() {
    BT_TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/bottle-test.XXXXXX")
    export BT_TMP
    BT_PIDS=()
    BT_PID_START=()
    exec </dev/null
    ulimit -c 0
}

bt_teardown() {
    local i pid
    # Newest first, each one gone before the next: a namespace's PID 1 dies before the unshare
    # that waits for it (else it would be left as a zombie of the host's PID 1, which does not
    # reap), a child before its init. Only processes that are still the ones we started: pids
    # are reused (pid_max may be 32768).
    for ((i = ${#BT_PIDS[@]} - 1; i >= 0; i--)); do
        pid=${BT_PIDS[i]}
        if [[ $(bt_starttime "$pid") == "${BT_PID_START[$pid]:-}" ]]; then
            kill -KILL "$pid" 2>/dev/null
            wait_for 5 proc_gone "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${BT_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true # reaps our own children
    done
    BT_PIDS=()
    BT_PID_START=()
    if [[ -n ${BT_TMP:-} && -d $BT_TMP ]]; then
        rm -rf -- "$BT_TMP"
    fi
    return 0
}

setup() { bt_setup; }
teardown() { bt_teardown; }

# bt_track PID...: SIGKILL these processes in teardown (if they are still the same processes:
# their start time is recorded now).
bt_track() {
    local pid start
    for pid; do
        start=$(bt_starttime "$pid")
        if [[ -n $start ]]; then
            BT_PIDS+=("$pid")
            BT_PID_START[$pid]=$start
        fi
    done
    return 0
}

# bt_starttime PID: the start time of PID (field 22 of /proc/PID/stat), or nothing.
bt_starttime() {
    local stat fields
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
    read -r -a fields <<<"${stat##*) }"
    echo "${fields[19]}"
}

# bt_need FILE...: skips the test unless every FILE is an executable (for binaries that only
# exist once their part of bottle is written).
bt_need() {
    local file
    for file; do
        [[ -x $file ]] || skip "$file is not built"
    done
}

# run_timeout SECS CMD...: runs CMD, SIGTERMed after SECS seconds and SIGKILLed 2 s later.
# Exit status 124 means it timed out (137 after the SIGKILL).
run_timeout() {
    local secs=$1
    shift
    timeout -k 2 "$secs" "$@"
}

# wait_for SECS CMD...: runs CMD every 20 ms until it succeeds (0) or SECS have passed (1,
# with a message on stderr).
wait_for() {
    local secs=$1
    shift
    local deadline
    deadline=$(bt_deadline "$secs")
    until "$@"; do
        if bt_past "$deadline"; then
            echo "wait_for: gave up after ${secs}s: $*" >&2
            return 1
        fi
        bt_sleep 0.02
    done
}

# bt_sleep SECS: sleeps without starting a process (reads, with a timeout, a pipe nobody writes).
bt_sleep() {
    if [[ -z ${BT_SLEEP_FD:-} ]] || ! { true >&"$BT_SLEEP_FD"; } 2>/dev/null; then
        exec {BT_SLEEP_FD}<> <(:)
    fi
    read -r -t "$1" -u "$BT_SLEEP_FD" || true
}

# bt_now: the time in microseconds (for durations).
bt_now() {
    local t=${EPOCHREALTIME/./}
    echo "$((10#$t))"
}

bt_deadline() {
    local secs=$1
    echo "$(($(bt_now) + ${secs%.*} * 1000000 + $(bt_frac_us "$secs")))"
}

# The fractional part of SECS ("0.25" → 250000) in microseconds.
bt_frac_us() {
    local secs=$1 frac
    [[ $secs == *.* ]] || { echo 0; return; }
    frac=${secs#*.}000000
    echo "$((10#${frac:0:6}))"
}

bt_past() {
    local t=${EPOCHREALTIME/./}
    ((10#$t >= $1))
}

# file_has FILE REGEX [COUNT]: FILE has at least COUNT (default 1) lines matching the
# extended REGEX. Pure bash: wait_for calls it every 20 ms.
# bt_cgroup_kill DIR: SIGKILLs every process in cgroup DIR and below until none is left (5 s at
# most; 1 when some stayed).
bt_cgroup_kill() {
    local dir=$1 pids tries=250
    while :; do
        pids=$(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null)
        [[ -z $pids ]] && return 0
        ((--tries > 0)) || return 1
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
        bt_sleep 0.02
    done
}

# bt_cgroup_purge PARENT: a test's cgroup parent goes, in every hierarchy: its processes are
# killed, then its directories removed, deepest first.
bt_cgroup_purge() {
    local dir
    for dir in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
        [[ -d $dir ]] && bt_cgroup_kill "$dir"
    done
    for dir in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
        [[ -d $dir ]] && wait_for 5 sh -c "find '$dir' -depth -type d -exec rmdir {} + 2>/dev/null; [ ! -d '$dir' ]"
    done
    return 0
}

# The system's python3 for editing config.json: a pyenv shim first in PATH costs 0.5 s a call.
BT_PYTHON=$(command -v /usr/bin/python3 || command -v python3)

# edit_config FILE PYTHON: runs PYTHON on the JSON in FILE (bound to `c`) and writes it back.
edit_config() {
    "$BT_PYTHON" - "$1" "$2" <<'EOF'
import json, sys
path, code = sys.argv[1], sys.argv[2]
with open(path) as f:
    c = json.load(f)
exec(code)
with open(path, "w") as f:
    json.dump(c, f, indent=2)
EOF
}

file_has() {
    local line count=0
    [[ -r $1 ]] || return 1
    while IFS= read -r line; do
        if [[ $line =~ $2 ]] && ((++count >= ${3:-1})); then
            return 0
        fi
    done <"$1"
    return 1
}

# proc_state PID: the state letter of PID (R, S, T, Z...) or nothing when it is gone.
proc_state() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
    stat=${stat##*) }
    echo "${stat%% *}"
}

# proc_gone PID: PID has exited (gone, or a zombie nobody reaped yet).
proc_gone() {
    local state
    state=$(proc_state "$1")
    [[ -z $state || $state == Z ]]
}

# proc_stopped PID: PID is stopped (T).
proc_stopped() {
    [[ $(proc_state "$1") == T ]]
}

# cwd_is PID DIR: PID's working directory is DIR.
cwd_is() {
    [[ $(readlink "/proc/$1/cwd" 2>/dev/null) == "$2" ]]
}

# children_of PID [near]: the pids whose parent is PID, one a line. With "near", only the 64
# pids after PID are looked at (a child forked at once gets one of them, unless the system is
# forking fast): cheap enough to poll. Otherwise every process is (pgrep, slow here).
children_of() {
    if [[ ${2:-} != near ]]; then
        pgrep -P "$1" || true
        return 0
    fi
    local pid_max pid n stat
    pid_max=$(</proc/sys/kernel/pid_max)
    for ((n = 1; n <= 64; n++)); do
        pid=$((($1 + n) % pid_max))
        { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || continue
        stat=${stat##*) }
        stat=${stat#* }
        [[ ${stat%% *} == "$1" ]] && echo "$pid"
    done
    return 0
}

# bt_wait PID SECS: waits for our background child PID to exit and sets $status to its exit
# status, or to 124 (after SIGKILLing it) when it still runs after SECS. Returns 0.
bt_wait() {
    local pid=$1 secs=$2
    status=0
    if ! wait_for "$secs" proc_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null || true
        status=124
        return 0
    fi
    wait "$pid" || status=$?
}

# field NAME LINE: the value of NAME=VALUE in LINE (trap-signals' ready lines).
field() {
    local name=$1 line=$2 word
    for word in $line; do
        if [[ $word == "$name="* ]]; then
            echo "${word#*=}"
            return 0
        fi
    done
    return 1
}

# ready_line FILE [N]: the Nth (default first) "ready" line trap-signals wrote to FILE.
ready_line() {
    grep -E '^ready ' "$1" | sed -n "${2:-1}p"
}

# track_ready FILE: bt_track every process that wrote a ready line to FILE. Only for
# trap-signals processes in our own pid namespace (their pids are ours).
track_ready() {
    local line
    while IFS= read -r line; do
        [[ $line == "ready "* ]] && bt_track "$(field pid "$line")"
    done <"$1"
    return 0
}

# in_pidns SECS CMD...: runs CMD as PID 1 of a new pid namespace with its own /proc, with
# default signal dispositions and an empty mask, for at most SECS seconds (then 124, as
# run_timeout). When CMD (or the unshare process) dies, the kernel kills everything left in the
# namespace.
in_pidns() {
    local secs=$1
    shift
    run_timeout "$secs" "$HELPERS/with-signals" \
        unshare --pid --fork --mount-proc --kill-child -- "$@" 3>&-
}

# ns_script SECS SCRIPT [ARGS...]: runs the bash code SCRIPT, with this file loaded and
# $BT_TMP, $INIT, $TINI, $DUMB_INIT and $HELPERS set, as PID 1 of a new pid namespace (bash
# reaps orphans there), for at most SECS seconds. Use it for scenarios that leave orphans
# behind or need a process that is not PID 1 but still contained.
ns_script() {
    local secs=$1 script=$2
    shift 2
    printf 'source %q\nBT_TMP=%q\nset -u\n%s\n' "$BT_REPO/tests/lib.bash" "$BT_TMP" "$script" \
        >"$BT_TMP/ns-script.bash"
    run_timeout "$secs" "$HELPERS/with-signals" \
        unshare --pid --fork --mount-proc --kill-child -- bash "$BT_TMP/ns-script.bash" "$@" 3>&-
}

# bt_start [-o OUT] [-e ERR] CMD...: starts CMD in the background with default signal
# dispositions and an empty mask, stdout and stderr to OUT and ERR (default $BT_TMP/bg.out,
# bg.err). Sets BG_PID (killed in teardown; bt_wait it).
bt_start() {
    local out=$BT_TMP/bg.out err=$BT_TMP/bg.err
    while [[ $1 == -o || $1 == -e ]]; do
        [[ $1 == -o ]] && out=$2 || err=$2
        shift 2
    done
    [[ $1 == -- ]] && shift
    "$HELPERS/with-signals" "$@" >"$out" 2>"$err" 3>&- &
    BG_PID=$!
    bt_track "$BG_PID"
}

# capture CMD...: runs CMD with stdout and stderr apart; sets $status, $out and $err (their
# text without the last newline). Unlike bats' run it runs in this shell.
capture() {
    status=0
    "$@" >"$BT_TMP/capture.out" 2>"$BT_TMP/capture.err" 3>&- || status=$?
    out=$(<"$BT_TMP/capture.out")
    err=$(<"$BT_TMP/capture.err")
    # Shown by bats when the test fails.
    printf '# status %s\n# stdout:\n%s\n# stderr:\n%s\n' "$status" "$out" "$err" >&2
}

# assert_eq GOT WANT [WHAT], assert_match GOT REGEX [WHAT], assert_le A B [WHAT],
# assert_ge A B [WHAT]: say what differed, then fail.
assert_eq() {
    [[ $1 == "$2" ]] && return 0
    printf 'assert_eq failed%s\n  expected: %s\n  got:      %s\n' "${3:+ ($3)}" "$2" "$1" >&2
    return 1
}

assert_match() {
    [[ $1 =~ $2 ]] && return 0
    printf 'assert_match failed%s\n  regex: %s\n  got:   %s\n' "${3:+ ($3)}" "$2" "$1" >&2
    return 1
}

# assert_line TEXT REGEX [WHAT]: some whole line of TEXT matches REGEX (grep -E).
assert_line() {
    grep -Eqx -- "$2" <<<"$1" && return 0
    printf 'assert_line failed%s\n  no line matches: %s\n  in:\n%s\n' "${3:+ ($3)}" "$2" "$1" >&2
    return 1
}

assert_no_match() {
    [[ ! $1 =~ $2 ]] && return 0
    printf 'assert_no_match failed%s\n  regex: %s\n  got:   %s\n' "${3:+ ($3)}" "$2" "$1" >&2
    return 1
}

assert_le() {
    (($1 <= $2)) && return 0
    printf 'assert_le failed%s: %s > %s\n' "${3:+ ($3)}" "$1" "$2" >&2
    return 1
}

assert_ge() {
    (($1 >= $2)) && return 0
    printf 'assert_ge failed%s: %s < %s\n' "${3:+ ($3)}" "$1" "$2" >&2
    return 1
}

# pidns_start [-o OUT] [-e ERR] CMD...: starts CMD as PID 1 of a new pid namespace in the
# background, its stdout and stderr going to OUT and ERR (default $BT_TMP/ns.out, ns.err).
# Returns once CMD has been exec'd, with NS_UNSHARE set to the unshare process (our child: bt_wait
# it) and NS_INIT to CMD's pid as seen from here. Both are killed in teardown.
pidns_start() {
    local out=$BT_TMP/ns.out err=$BT_TMP/ns.err
    while [[ $1 == -o || $1 == -e ]]; do
        [[ $1 == -o ]] && out=$2 || err=$2
        shift 2
    done
    [[ $1 == -- ]] && shift
    local exe
    exe=$(readlink -f "$(command -v "$1")") || return 1
    "$HELPERS/with-signals" unshare --pid --fork --mount-proc --kill-child -- "$@" \
        >"$out" 2>"$err" 3>&- &
    NS_UNSHARE=$!
    NS_INIT=
    bt_track "$NS_UNSHARE"
    # On a busy system the child may be far from unshare's pid: then the slow way.
    if ! wait_for 5 _pidns_execd "$NS_UNSHARE" "$exe" near &&
        ! wait_for 2 _pidns_execd "$NS_UNSHARE" "$exe"; then
        {
            echo "pidns_start: $1 did not start as PID 1; unshare is ${NS_UNSHARE}:"
            ps -o pid,ppid,stat,args -p "$NS_UNSHARE" --ppid "$NS_UNSHARE"
            cat "$err"
        } >&2
        return 1
    fi
    bt_track "$NS_INIT"
}

_pidns_execd() {
    local child
    child=$(children_of "$1" "${3:-}" | head -n 1)
    [[ -n $child && $(readlink "/proc/$child/exe" 2>/dev/null) == "$2" ]] || return 1
    NS_INIT=$child
}

# signals_from FILE SENDER [PID]: the signal numbers in trap-signals' FILE sent by SENDER (and
# received by PID, when given), one a line, in arrival order.
signals_from() {
    local file=$1 sender=$2 pid=${3:-}
    grep -E "^sig=[0-9]+ from=$sender code=-?[0-9]+ pid=${pid:-[0-9]+}\$" "$file" |
        sed -E 's/^sig=([0-9]+) .*/\1/'
}

# all_signals: the signals an init must forward: 1..64 but KILL, CHLD and STOP.
all_signals() {
    local sig
    for sig in $(seq 1 64); do
        case $sig in 9 | 17 | 19) ;; *) echo "$sig" ;; esac
    done
}

# is_static FILE: FILE is an ELF executable without a program interpreter (PT_INTERP).
is_static() {
    ! readelf -lW "$1" 2>/dev/null | grep -q 'INTERP'
}
