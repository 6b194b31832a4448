#!/usr/bin/env bats
# bottle run IMAGE with each storage driver: layers stacked with their whiteouts (a file deleted
# in an upper layer is gone, an opaque directory hides what is below), the image's config as the
# container's defaults (the command line wins), and image rm refused while a container uses it.

load lib

# A three-layer image: busybox; then /etc/gone and /opq/{old1,old2}; then a whiteout for
# /etc/gone and an opaque /opq with /opq/new.
layered_image() {
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/l0.tar" .
    python3 "$MKTAR" "$BT_TMP/l1.tar" d:etc f:etc/gone:1 d:opq f:opq/old1:1 f:opq/old2:2
    python3 "$MKTAR" "$BT_TMP/l2.tar" d:etc wh:etc/gone d:opq opq:opq f:opq/new:3
    python3 "$MKIMAGE" "$BT_TMP/img.tar" layered --cmd sh --cmd -c \
        --cmd 'ls /etc/gone 2>&1; ls /opq; echo "E=$E"' --env E=image \
        "$BT_TMP/l0.tar" "$BT_TMP/l1.tar" "$BT_TMP/l2.tar"
    bottle_image import "$BT_TMP/img.tar"
    assert_eq "$status" 0 "$err"
}

run_image() {
    capture run_timeout 60 "$BOTTLE" run --name "$NAME" "$@"
}

check_layered() {
    assert_eq "$status" 0 "$err"
    assert_match "$out" "No such file"
    assert_eq "$(echo "$out" | sed -n 2p)" new
    assert_match "$out" "E=image"
    [[ $(echo "$out" | wc -l) -eq 3 ]]
}

@test "run IMAGE --storage overlay: whiteouts and opaque dirs, the store untouched" {
    layered_image
    run_image --storage overlay layered
    check_layered
    run_image --storage overlay layered sh -c 'rm /bin/ls; echo x >/opq/new; echo ok'
    assert_eq "$out" ok
    run_image --storage overlay layered sh -c 'ls /bin/ls && cat /opq/new'
    assert_eq "$out" $'/bin/ls\n3'
    [[ ! -e $BOTTLE_ROOT/containers/$NAME ]]
    assert_clean
}

@test "run IMAGE --storage copy: the same view, the copy removed with the container" {
    layered_image
    run_image --storage copy layered
    check_layered
    [[ ! -e $BOTTLE_ROOT/containers/$NAME ]]
    assert_clean
}

@test "run IMAGE --storage btrfs: a snapshot of the image's read-only subvolume" {
    btrfs_setup
    export BOTTLE_ROOT=$BT_TMP/btrfs/root
    layered_image
    # Import on btrfs builds the subvolume (the default driver there).
    [[ -n $(btrfs subvolume list "$BT_TMP/btrfs" | grep 'root/btrfs/') ]]
    run_image layered
    check_layered
    run_image --storage btrfs layered sh -c 'rm /bin/ls; echo ok'
    assert_eq "$out" ok
    run_image --storage btrfs layered ls /bin/ls
    assert_eq "$out" /bin/ls
    local sub
    sub=$(echo "$BOTTLE_ROOT"/btrfs/*)
    assert_eq "$(btrfs property get -ts "$sub" ro)" "ro=true"
    [[ -z $(btrfs subvolume list "$BT_TMP/btrfs" | grep containers) ]]
    bottle_image rm layered
    assert_eq "$status" 0 "$err"
    [[ -z $(btrfs subvolume list "$BT_TMP/btrfs" | grep 'root/btrfs/') ]]
    btrfs_teardown # our own mount, not the container's
    assert_clean
}

@test "run IMAGE: the config's Entrypoint, Cmd, Env, WorkingDir and User as defaults" {
    oci_busybox "$BT_TMP/oci" v1 --config.entrypoint /bin/sh --config.entrypoint -c \
        --config.cmd 'echo "$A $B $(pwd) $(id -u)"' --config.env A=a --config.env B=b \
        --config.workingdir /tmp --config.user 1000
    bottle_image import "$BT_TMP/oci" defaults
    run_image --storage overlay defaults
    assert_eq "$status" 0 "$err"
    assert_eq "$out" "a b /tmp 1000"
    # docker's rules: COMMAND replaces Cmd (after the Entrypoint); -e, -w, -u win.
    run_image --storage overlay -e B=cli -w / -u 0 defaults 'echo "$A $B $(pwd) $(id -u)"'
    assert_eq "$status" 0 "$err"
    assert_eq "$out" "a cli / 0"
}

@test "run IMAGE: unknown image, and image rm refused while a container uses it" {
    run_image nosuch
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" "no such image: nosuch"
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/flat.tar" .
    bottle_image import "$BT_TMP/flat.tar" bb
    # A run that fails before the shim starts leaves no container storage behind.
    for driver in overlay copy; do
        run_image --storage $driver -u nosuchuser bb true
        assert_eq "$status" 125
        assert_one_line "$err"
        [[ ! -e $BOTTLE_ROOT/containers/$NAME ]]
    done
    capture run_timeout 30 "$BOTTLE" run -d --name "$NAME" --storage overlay bb -- sh -c 'echo hi'
    assert_eq "$status" 0 "$err"
    wait_for 10 test -e "$BOTTLE_STATE/containers/$NAME/exit"
    bottle_image rm bb
    assert_eq "$status" 125
    assert_match "$err" "image bb is used by container $NAME"
    capture run_timeout 30 "$BOTTLE" rm "$NAME"
    assert_eq "$status" 0 "$err"
    bottle_image rm bb
    assert_eq "$status" 0 "$err"
    assert_clean
}
