#!/usr/bin/env bats
# Issue 3, "Security": root in a default container cannot mount, load modules, set the clock,
# reboot, write /proc/sysrq-trigger or read /proc/kcore; it has docker's default capability
# set, --cap-add/--cap-drop change it, and the devices cgroup keeps host disks out of reach.

load lib

# Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
DOCKER_CAPS=00000000a80425fb

@test "root inside has docker's default capabilities, in every set" {
    bottle_run -- grep -E '^Cap(Prm|Eff|Bnd):' /proc/self/status
    assert_eq "$status" 0
    assert_eq "$out" $'CapPrm:\t'$DOCKER_CAPS$'\nCapEff:\t'$DOCKER_CAPS$'\nCapBnd:\t'$DOCKER_CAPS
    assert_clean
}

@test "mount, sethostname, settimeofday, module loading and reboot fail with EPERM" {
    shim_add_helpers shim-privops
    local host_name before after
    host_name=$(hostname)
    before=$(date +%s)
    bottle_run -- /helpers/shim-privops
    after=$(date +%s)
    if [[ $(hostname) != "$host_name" ]]; then
        hostname "$host_name"
        echo "the container changed the host's hostname" >&2
        false
    fi
    assert_eq "$status" 0
    local op modules_errno=EPERM
    # A kernel without module support answers ENOSYS before it looks at capabilities.
    [[ -e /proc/modules ]] || modules_errno='(EPERM|ENOSYS)'
    for op in mount sethostname settimeofday clock_settime reboot; do
        assert_match "$out" "(^|"$'\n'")$op EPERM(\$|"$'\n'")" "$op"
    done
    for op in init_module finit_module delete_module; do
        assert_match "$out" "(^|"$'\n'")$op $modules_errno(\$|"$'\n'")" "$op"
    done
    ((after - before < 30)) # the clock did not jump
    assert_clean
}

@test "the same through busybox: mount, hostname and date -s fail" {
    # date -s sets the clock to what it already is: harmless should it ever succeed (reboot is
    # only tried by shim-privops, with the harmless LINUX_REBOOT_CMD_CAD_OFF).
    local host_name
    host_name=$(hostname)
    bottle_run -- sh -c 'mount -t tmpfs none /root; echo "mount=$?"
        hostname bt-evil; echo "hostname=$?"
        date -s "@$(date +%s)" >/dev/null'
    if [[ $(hostname) != "$host_name" ]]; then
        hostname "$host_name"
        echo "the container changed the host's hostname" >&2
        false
    fi
    assert_eq "$status" 0
    assert_match "$out" $'^mount=[1-9][0-9]*\nhostname=[1-9][0-9]*$'
    assert_match "$err" "can't set date: Operation not permitted"
    assert_clean
}

@test "/proc/sysrq-trigger and /proc/sys are not writable" {
    bottle_run -- sh -c 'if [ -e /proc/sysrq-trigger ]; then
            echo h >/proc/sysrq-trigger && echo sysrq-written
        else
            echo sysrq-absent
        fi
        cat /proc/sys/kernel/hostname >/proc/sys/kernel/hostname && echo sys-written
        awk "\$5 == \"/proc/sys\" || \$5 == \"/proc/sysrq-trigger\" { print \$5, \$6 }" /proc/self/mountinfo'
    assert_eq "$status" 0
    [[ $out != *written* ]]
    assert_match "$out" $'(^|\n)/proc/sys ro[,$\n]' "/proc/sys is a read-only mount"
    if [[ -e /proc/sysrq-trigger ]]; then
        assert_match "$out" $'(^|\n)/proc/sysrq-trigger ro[,$\n]' "a read-only bind"
    else
        # This kernel has no sysrq: nothing to write to inside either.
        assert_match "$out" '^sysrq-absent'
    fi
    assert_match "$err" "Read-only file system"
    assert_clean
}

@test "/proc/kcore and the other masked paths are unreadable" {
    # Masked paths of the default spec that this kernel has: each must read as empty inside.
    local path present=()
    for path in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats \
        /proc/timer_stats /proc/acpi /proc/asound /proc/scsi /sys/firmware; do
        [[ -e $path ]] && present+=("$path")
    done
    ((${#present[@]} > 0)) || skip "this kernel has none of the masked paths"
    bottle_run -- sh -c 'for p in "$@"; do
            if [ -d "$p" ]; then echo "$p dir $(ls -A "$p" | wc -l)"
            else echo "$p file $(cat "$p" 2>/dev/null | wc -c)"; fi
        done
        head -c 16 /proc/kcore >/dev/null 2>&1 && echo kcore-read; exit 0' sh "${present[@]}"
    assert_eq "$status" 0
    for path in "${present[@]}"; do
        assert_match "$out" "(^|"$'\n'")$path (dir|file) 0(\$|"$'\n'")" "$path is masked"
    done
    [[ $out != *kcore-read* ]] || {
        echo "/proc/kcore was readable (host has it: $([[ -e /proc/kcore ]] && echo yes || echo no))" >&2
        false
    }
    assert_clean
}

@test "the devices cgroup refuses the host's disks even with CAP_MKNOD" {
    local dev
    dev=$(for d in /sys/dev/block/*; do
        grep -q '^DEVTYPE=disk' "$d/uevent" 2>/dev/null && basename "$d"
    done | head -n 1)
    [[ -n $dev ]] || skip "no block device on this host"
    shim_add_helpers shim-privops
    bottle_run -- /helpers/shim-privops blockdev "${dev%:*}" "${dev#*:}"
    assert_eq "$status" 0
    # mknod may be allowed or refused (devices cgroup "m"); opening must never work.
    [[ $out != *"open-blockdev ok"* ]]
    assert_match "$out" $'(^|\n)(mknod-blockdev EPERM|open-blockdev EPERM)'
    assert_clean
}

@test "--cap-add SYS_ADMIN allows sethostname and mount inside, and still not on the host" {
    local host_name
    host_name=$(hostname)
    bottle_run --cap-add SYS_ADMIN -- sh -c 'hostname bt-changed && hostname
        mkdir -p /mnt && mount -t tmpfs none /mnt && grep -c " /mnt " /proc/self/mountinfo'
    if [[ $(hostname) != "$host_name" ]]; then
        hostname "$host_name" # put it back for everyone else
        echo "the container changed the host's hostname" >&2
        false
    fi
    assert_eq "$status" 0
    assert_eq "$out" $'bt-changed\n1'
    assert_clean
}

@test "--cap-drop removes a capability, --cap-add adds one, by docker's names" {
    bottle_run --cap-drop CHOWN -- sh -c 'touch /tmp/f; chown 1000 /tmp/f && echo chowned
        grep ^CapEff: /proc/self/status'
    assert_eq "$status" 0
    [[ $out != *chowned* ]]
    assert_match "$out" $'CapEff:\t00000000a80425fa' "CAP_CHOWN (bit 0) dropped"
    bottle_run --cap-add NET_ADMIN --cap-drop ALL --cap-add KILL -- grep ^CapEff: /proc/self/status
    assert_eq "$status" 0
    # docker applies ALL first: only what is added remains.
    assert_eq "$out" $'CapEff:\t0000000000001020' "NET_ADMIN and KILL"
    assert_clean
}

@test "a non-root user has no capabilities" {
    bottle_run -u 1000:1000 -- grep -E '^Cap(Prm|Eff|Amb):' /proc/self/status
    assert_eq "$status" 0
    assert_eq "$out" $'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000'
    assert_clean
}
