#!/usr/bin/env bats
# Issue 3, "Security": a root process inside a default container can neither see nor signal
# host processes, nor reach host files through /proc/1/root, /proc/self/cwd, a leaked fd or
# cwd (the CVE-2024-21626 class), nor write the host's bottle-init or bottle-shim (the
# CVE-2019-5736 class).

load lib

@test "the container sees only its own processes" {
    sleep 60 3>&- &
    local host_sleep=$!
    bt_track "$host_sleep"
    bottle_run -- sh -c 'ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\n" " "; echo
        ps -o comm >/tmp/ps.out; tail -n +2 /tmp/ps.out | tr "\n" " "'
    assert_eq "$status" 0
    # bottle-init (1), sh (2), and ls/grep/sort/tr of the pipeline: all small pids.
    local pid
    for pid in $(head -n 1 <<<"$out"); do
        ((pid < 20)) || {
            echo "pid $pid in the container's /proc" >&2
            false
        }
    done
    assert_eq "$(tail -n 1 <<<"$out")" "memfd:bottle-in sh ps " "ps: bottle-init, sh and ps"
    assert_clean
}

@test "a host process cannot be signalled from inside" {
    sleep 60 3>&- &
    local host_sleep=$!
    bt_track "$host_sleep"
    # Only our own sleep is ever targeted (never kill -1: were the pid namespace missing, that
    # would kill every process on the host).
    bottle_run -- sh -c "kill -0 $host_sleep && echo visible; kill -KILL $host_sleep && echo killed
        echo done"
    assert_eq "$status" 0
    assert_eq "$out" "done" "neither kill -0 nor kill -KILL found the host's pid"
    kill -0 "$host_sleep" # still alive
    assert_eq "$(proc_state_of "$host_sleep")" S "the host sleep still sleeps"
    assert_clean
}

proc_state_of() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    echo "${stat%% *}"
}

@test "/proc/1/root, /proc/self/root, /proc/self/cwd and /proc/1/cwd lead to the container's root" {
    echo host-secret >"$BT_TMP/MARKER" # beside the rootfs, outside it
    echo inside >"$ROOTFS/inside-marker"
    bottle_run -w /tmp -- sh -c '
        for p in /proc/1/root /proc/self/root /proc/self/cwd /proc/1/cwd; do
            stat -c "$p %d:%i" "$p/"
        done
        stat -c "/ %d:%i" /
        cat /proc/1/root/inside-marker
        for p in /proc/1/root/.. /proc/self/root/../.. /proc/self/cwd/../.. /proc/1/cwd/../../..; do
            cat "$p/MARKER" 2>/dev/null && echo "ESCAPED through $p"
        done
        ls -a /proc/1/root/ | tr "\n" " "; echo; ls -a / | tr "\n" " "; echo'
    assert_eq "$status" 0
    local root_id
    root_id=$(awk '$1 == "/" { print $2 }' <<<"$out")
    [[ -n $root_id ]]
    assert_match "$out" "/proc/1/root $root_id" "/proc/1/root is /"
    assert_match "$out" "/proc/self/root $root_id" "/proc/self/root is /"
    assert_match "$out" "/proc/1/cwd $root_id" "bottle-init's cwd is /"
    [[ $out == *inside* ]]
    [[ $out != *host-secret* && $out != *ESCAPED* ]]
    # The two listings are the same.
    local lines
    mapfile -t lines < <(tail -n 2 <<<"$out")
    assert_eq "${lines[0]}" "${lines[1]}" "ls /proc/1/root vs ls /"
    assert_clean
}

@test "no fd of the caller or of the shim reaches the container" {
    exec {leaked}<"$BT_TMP"
    # ls runs as a child of sh: it lists bottle-init's fds and the shell's, which are exactly
    # what the command was started with (no pipe or substitution of its own). bottle-init
    # holds a pipe of its own until it has seen its child's exec; wait (2 s at most) until it
    # has settled, which is when it has its signalfd.
    bottle_run -- sh -c 'i=0
        while [ $i -lt 100 ] && ! ls -l /proc/1/fd/ | grep -q signalfd; do
            sleep 0.02; i=$((i + 1))
        done
        ls -l /proc/1/fd/ /proc/$$/fd/'
    exec {leaked}<&-
    assert_eq "$status" 0
    # Beyond stdio, bottle-init may keep its own anonymous fds (signalfd...), the command none.
    local dir='' line fd target count=0
    while read -r line; do
        case $line in
        /proc/1/fd/:) dir='bottle-init' ;;
        /proc/*/fd/:) dir='the command' ;;
        *' -> '*)
            target=${line##* -> }
            fd=${line% -> *}
            fd=${fd##* }
            count=$((count + 1))
            ((fd <= 2)) && continue
            [[ $dir == bottle-init && $target == anon_inode:* ]] || {
                echo "$dir has fd $fd -> $target" >&2
                false
            }
            ;;
        esac
    done <<<"$out"
    ((count >= 6)) # stdio of both were seen
    assert_clean
}

@test "an inherited host directory fd cannot become the container's cwd (CVE-2024-21626)" {
    mkdir "$BT_TMP/outside"
    echo host-secret >"$BT_TMP/outside/MARKER"
    exec {leaked}<"$BT_TMP/outside"
    bottle_run -w "/proc/self/fd/$leaked" -- sh -c 'cat MARKER; pwd'
    exec {leaked}<&-
    [[ $out != *host-secret* ]] || {
        echo "the container's cwd is the host's $BT_TMP/outside" >&2
        false
    }
    if [[ $status -ne 125 ]]; then
        assert_eq "$status" 0
        [[ $out != *unreachable* ]]
    fi
    assert_clean
}

@test "none of the shim's own fds can become the container's cwd" {
    local fd
    for fd in $(seq 3 12); do
        bottle_run -w "/proc/self/fd/$fd" -- pwd
        if [[ $status -ne 125 ]]; then
            # Only a directory inside the container would be acceptable.
            assert_eq "$status" 0 "-w /proc/self/fd/$fd"
            [[ -n $out && $out != *unreachable* ]] || {
                echo "-w /proc/self/fd/$fd: cwd outside the container's root ($out)" >&2
                false
            }
        fi
        assert_clean
    done
}

@test "bottle-init and bottle-shim are not in the rootfs and no process inside runs them" {
    bottle_run -- sh -c 'find / -xdev -name "bottle*" 2>/dev/null
        for exe in /proc/[0-9]*/exe; do readlink "$exe"; done'
    assert_eq "$status" 0
    [[ $out != */bottle-init* || $out == *memfd:bottle-init* ]]
    [[ $out != *bottle-shim* ]]
    grep -vE '^(/memfd:bottle-init \(deleted\)|/bin/busybox)$' <<<"$out" && false
    [[ -z $(find "$ROOTFS" -name 'bottle*') ]]
    assert_clean
}

@test "/proc/1/exe is a sealed memfd: no way to write through it; the host binaries are unchanged" {
    shim_add_helpers shim-exe-write
    local init_sum shim_sum
    init_sum=$(md5sum <"$SHIM_INIT")
    shim_sum=$(md5sum <"$SHIM")
    bottle_run -- /helpers/shim-exe-write /proc/1/exe
    assert_eq "$status" 0
    local line
    for line in open-wronly open-rdwr open-trunc mmap-shared-write reopen-wronly; do
        assert_match "$out" "(^|"$'\n'")$line E[A-Z]+(\$|"$'\n'")" "$line must fail"
    done
    assert_match "$out" $'\nmagic 7f454c46' "/proc/1/exe is bottle-init's ELF image, readable"
    local seals
    seals=$(awk '$1 == "seals" { print $2 }' <<<"$out")
    assert_match "$seals" '^0x[0-9a-f]+$' "F_GET_SEALS works: a memfd"
    ((seals & 0x8)) || {
        echo "F_SEAL_WRITE (0x8) missing in $seals" >&2
        false
    }
    assert_eq "$(md5sum <"$SHIM_INIT")" "$init_sum" "host bottle-init"
    assert_eq "$(md5sum <"$SHIM")" "$shim_sum" "host bottle-shim"
    assert_clean
}

@test "the container's init is not the host's bottle-init file" {
    bottle_start -- sh -c 'echo ready; read -r _ || :'
    wait_bg_out '^ready$'
    local init_pid
    init_pid=$(container_pid)
    [[ -n $init_pid ]]
    [[ $(stat -L -c %d:%i "/proc/$init_pid/exe") != $(stat -c %d:%i "$SHIM_INIT") ]]
    assert_match "$(readlink "/proc/$init_pid/exe")" '^/memfd:bottle-init'
    bottle_finish
    assert_eq "$status" 0
    assert_clean
}
