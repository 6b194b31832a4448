#!/usr/bin/env bats
# Issue 3, "Root filesystem" and "Mounts": -v binds (ro refuses writes and leaves the host
# file alone, rw writes reach the host), --tmpfs, --read-only, the standard /dev and a
# read-only /sys; a mount target that is a symlink out of the rootfs lands inside it; no
# container mount shows up in the host's mount table.

load lib

@test "-v SRC:DST:ro refuses writes and the host file stays unchanged" {
    mkdir "$BT_TMP/vol"
    echo original >"$BT_TMP/vol/data"
    bottle_run -v "$BT_TMP/vol:/data:ro" -- sh -c 'cat /data/data
        echo changed >/data/data && echo wrote
        touch /data/new && echo created
        rm /data/data && echo removed
        exit 0'
    assert_eq "$status" 0
    assert_eq "$out" "original"
    assert_match "$err" "Read-only file system"
    assert_eq "$(cat "$BT_TMP/vol/data")" "original" "the host file"
    assert_eq "$(ls "$BT_TMP/vol")" "data" "nothing created on the host"
    assert_clean
}

@test "-v of a single file, read-only" {
    echo original >"$BT_TMP/file"
    bottle_run -v "$BT_TMP/file:/etc/bt-file:ro" -- sh -c 'cat /etc/bt-file
        echo changed >/etc/bt-file && echo wrote; exit 0'
    assert_eq "$status" 0
    assert_eq "$out" "original"
    assert_eq "$(cat "$BT_TMP/file")" "original"
    assert_clean
}

@test "-v SRC:DST (rw) writes reach the host" {
    mkdir "$BT_TMP/vol"
    echo original >"$BT_TMP/vol/data"
    bottle_run -v "$BT_TMP/vol:/data" -- sh -c 'echo changed >/data/data; echo new >/data/new
        mkdir /data/dir'
    assert_eq "$status" 0
    assert_eq "$(cat "$BT_TMP/vol/data")" "changed"
    assert_eq "$(cat "$BT_TMP/vol/new")" "new"
    [[ -d $BT_TMP/vol/dir ]]
    assert_clean
}

@test "a container's mounts never appear in the host's mount table" {
    mkdir "$BT_TMP/vol"
    bottle_start -v "$BT_TMP/vol:/data" --tmpfs /scratch -- sh -c 'echo ready; read -r _ || :'
    wait_bg_out '^ready$'
    local mounts
    mounts=$(shim_mounts_under "$BT_TMP")
    assert_eq "$mounts" "" "mounts under the test dir while the container runs"
    bottle_finish
    assert_eq "$status" 0
    assert_clean
}

@test "--tmpfs mounts a tmpfs that is gone with the container" {
    bottle_run --tmpfs /scratch -- sh -c 'awk "\$5 == \"/scratch\" { for (i = 7; \$i != \"-\"; i++); print \$(i + 1) }" \
            /proc/self/mountinfo
        echo data >/scratch/file && cat /scratch/file'
    assert_eq "$status" 0
    assert_eq "$out" $'tmpfs\ndata'
    [[ -d $ROOTFS/scratch ]] # the mount point
    assert_eq "$(ls -A "$ROOTFS/scratch")" "" "nothing written through to the rootfs"
    assert_clean
}

@test "--read-only makes / read-only; --tmpfs still gives a writable dir" {
    local before
    before=$(cd "$ROOTFS" && find . | sort | md5sum)
    bottle_run --read-only --tmpfs /tmp -- sh -c 'touch /x && echo root-written
        echo data >/tmp/file && cat /tmp/file; exit 0'
    assert_eq "$status" 0
    assert_eq "$out" "data"
    assert_match "$err" "Read-only file system"
    assert_eq "$(cd "$ROOTFS" && find . | sort | md5sum)" "$before" "the rootfs is unchanged"
    assert_clean
}

@test "without --read-only, writes go to the rootfs directory" {
    bottle_run -- sh -c 'echo hello >/written'
    assert_eq "$status" 0
    assert_eq "$(cat "$ROOTFS/written")" "hello"
    assert_clean
}

@test "/dev has the standard nodes and links, /dev/pts, /dev/shm and /dev/mqueue; /sys is read-only" {
    bottle_run -- sh -c 'for n in null zero full random urandom tty; do
            stat -c "%n %F %t:%T" /dev/$n
        done
        for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done
        for d in /dev /dev/pts /dev/shm /dev/mqueue /sys; do
            awk -v d=$d "\$5 == d { for (i = 7; \$i != \"-\"; i++); print d, \$(i + 1), \$6 }" \
                /proc/self/mountinfo
        done
        ls /dev | tr "\n" " "'
    assert_eq "$status" 0
    local n
    for n in "null 1:3" "zero 1:5" "full 1:7" "random 1:8" "urandom 1:9" "tty 5:0"; do
        assert_match "$out" "/dev/${n% *} character special file ${n#* }" "/dev/${n% *}"
    done
    assert_match "$out" $'/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx'
    assert_match "$out" $'\n/dev tmpfs '
    assert_match "$out" $'\n/dev/pts devpts '
    assert_match "$out" $'\n/dev/shm tmpfs '
    assert_match "$out" $'\n/dev/mqueue mqueue '
    assert_match "$out" $'\n/sys sysfs ro[,$\n]'
    # Nothing else of the host's /dev (no disks, no /dev/mem).
    [[ $out != *" mem "* && $out != *vda* && $out != *sda* ]]
    assert_clean
}

@test "a mount target that is a symlink to /etc lands inside the rootfs; host /etc untouched" {
    ln -s /etc "$ROOTFS/evil"
    echo bt-volume >"$BT_TMP/hostfile"
    local hosts_sum newdir=bt-newdir-$$
    hosts_sum=$(md5sum </etc/hosts)
    bottle_run -v "$BT_TMP/hostfile:/evil/hosts" --tmpfs "/evil/$newdir" -- sh -c 'cat /etc/hosts
        echo written-through >/evil/hosts; ls -d /etc/'"$newdir"
    assert_eq "$status" 0
    assert_eq "$out" $'bt-volume\n/etc/'"$newdir" "the container's own /etc got both mounts"
    assert_eq "$(md5sum </etc/hosts)" "$hosts_sum" "the host's /etc/hosts"
    [[ ! -e /etc/$newdir ]] || {
        rmdir "/etc/$newdir"
        echo "a mount point was created in the host's /etc" >&2
        false
    }
    assert_eq "$(cat "$BT_TMP/hostfile")" "written-through" "the volume is the bind source"
    [[ -d $ROOTFS/etc/$newdir ]] # created in the rootfs instead
    assert_clean
}

@test "a mount target behind a relative symlink that climbs out of the rootfs stays inside" {
    mkdir "$BT_TMP/outside"
    # From $ROOTFS/up, enough ../ to reach the host's / and then down to $BT_TMP/outside.
    ln -s "../../../../../../../../../../..$BT_TMP/outside" "$ROOTFS/up"
    bottle_run --tmpfs /up/sub -- sh -c 'echo data >/up/sub/file && cat /up/sub/file'
    assert_eq "$status" 0
    assert_eq "$out" "data"
    assert_eq "$(ls -A "$BT_TMP/outside")" "" "nothing created outside the rootfs"
    [[ -d $ROOTFS$BT_TMP/outside/sub ]] # the symlink resolved inside the rootfs
    assert_clean
}
