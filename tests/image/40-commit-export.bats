#!/usr/bin/env bats
# bottle commit (a container's changes, deletions as whiteouts, become a new layer) and bottle
# image export (an OCI layout tar with docker's manifest.json) read back by bottle itself,
# skopeo and umoci.

load lib

@test "commit: writes and deletions of a container become a layer on top of its image" {
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/flat.tar" .
    bottle_image import "$BT_TMP/flat.tar" base
    capture run_timeout 30 "$BOTTLE" run -d --name "$NAME" --storage overlay base -- \
        sh -c 'rm /bin/ls; mkdir -p /srv && echo data >/srv/file'
    assert_eq "$status" 0 "$err"
    wait_for 10 test -e "$BOTTLE_STATE/containers/$NAME/exit"
    capture run_timeout 60 "$BOTTLE" commit "$NAME" committed:1
    assert_eq "$status" 0 "$err"
    assert_eq "$out" committed:1
    assert_eq "$(jq '.layers | length' "$BOTTLE_ROOT/images/committed:1.json")" 2
    capture run_timeout 30 "$BOTTLE" rm "$NAME"
    for driver in overlay copy; do
        capture run_timeout 30 "$BOTTLE" run --name "$NAME-$driver" --storage $driver committed:1 \
            sh -c 'cat /srv/file; ls /bin/ls 2>&1'
        assert_eq "$status" 1 "$err"
        assert_match "$out" "^data"
        assert_match "$out" "No such file"
    done
    # The base is unchanged.
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --storage overlay base ls /bin/ls
    assert_eq "$out" /bin/ls
    capture run_timeout 30 "$BOTTLE" commit nosuch x
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_clean
}

# commit_and_check DRIVER: a container's write and deletion, committed, are all the new layer
# holds, and a container of the new image sees them.
commit_and_check() {
    local driver=$1
    capture run_timeout 30 "$BOTTLE" run -d --name "$NAME" --storage "$driver" base -- \
        sh -c 'rm /bin/ls; mkdir -p /srv && echo data >/srv/file'
    assert_eq "$status" 0 "$err"
    wait_for 10 test -e "$BOTTLE_STATE/containers/$NAME/exit"
    capture run_timeout 60 "$BOTTLE" commit "$NAME" "committed-$driver"
    assert_eq "$status" 0 "$err"
    local top
    top=$(jq -r '.layers[1]' "$BOTTLE_ROOT/images/committed-$driver.json" | cut -d: -f2)
    assert_eq "$(cd "$BOTTLE_ROOT/layers/sha256/$top/tree" && find . | sort | tr '\n' ' ')" \
        ". ./bin ./bin/ls ./srv ./srv/file "
    [[ -c $BOTTLE_ROOT/layers/sha256/$top/tree/bin/ls ]]
    [[ ! -e $BOTTLE_ROOT/containers/$NAME/commit-diff && ! -e $BOTTLE_ROOT/containers/$NAME/commit-base ]]
    capture run_timeout 30 "$BOTTLE" rm "$NAME"
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --storage "$driver" "committed-$driver" \
        sh -c 'cat /srv/file; ls /bin/ls 2>&1'
    assert_match "$out" "^data"
    assert_match "$out" "No such file"
}

@test "commit: a copy container, compared with its image" {
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/flat.tar" .
    bottle_image import "$BT_TMP/flat.tar" base
    commit_and_check copy
    assert_clean
}

@test "commit: a btrfs container, compared with its image's subvolume" {
    btrfs_setup
    export BOTTLE_ROOT=$BT_TMP/btrfs/root
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/flat.tar" .
    bottle_image import "$BT_TMP/flat.tar" base
    commit_and_check btrfs
    btrfs_teardown
    assert_clean
}

@test "export: bottle, skopeo and umoci read the archive back, whiteouts included" {
    need_skopeo
    need_umoci
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/l0.tar" .
    python3 "$MKTAR" "$BT_TMP/l1.tar" d:etc f:etc/gone:1 d:opq f:opq/old:1
    python3 "$MKTAR" "$BT_TMP/l2.tar" d:etc wh:etc/gone d:opq opq:opq f:opq/new:3
    python3 "$MKIMAGE" "$BT_TMP/img.tar" app:3 --cmd /bin/echo --cmd exported \
        "$BT_TMP/l0.tar" "$BT_TMP/l1.tar" "$BT_TMP/l2.tar"
    bottle_image import "$BT_TMP/img.tar"
    capture run_timeout 60 "$BOTTLE" image export app:3 "$BT_TMP/out.tar"
    assert_eq "$status" 0 "$err"
    # skopeo: both as an OCI archive and as a docker archive (manifest.json).
    capture skopeo inspect --config "oci-archive:$BT_TMP/out.tar"
    assert_eq "$status" 0 "$err"
    assert_match "$out" '"exported"'
    capture skopeo copy -q "docker-archive:$BT_TMP/out.tar" "oci:$BT_TMP/viaskopeo:x"
    assert_eq "$status" 0 "$err"
    # umoci unpacks the layout, applying the whiteouts.
    mkdir "$BT_TMP/layout" && tar -C "$BT_TMP/layout" -xf "$BT_TMP/out.tar"
    capture umoci unpack --image "$BT_TMP/layout:3" "$BT_TMP/unpacked"
    assert_eq "$status" 0 "$err"
    [[ -x $BT_TMP/unpacked/rootfs/bin/busybox && ! -e $BT_TMP/unpacked/rootfs/etc/gone ]]
    assert_eq "$(ls "$BT_TMP/unpacked/rootfs/opq")" new
    # bottle itself, into another root: the same files.
    BOTTLE_ROOT=$BT_TMP/root2 bottle_image import "$BT_TMP/out.tar" again
    assert_eq "$status" 0 "$err"
    assert_match "$out" "again \(docker-save, 3 layers, 3 new\)"
    BOTTLE_ROOT=$BT_TMP/root2 capture run_timeout 30 "$BOTTLE" run --name "$NAME" \
        --storage copy again sh -c 'ls /etc/gone 2>&1; ls /opq'
    assert_match "$out" "No such file"
    assert_match "$out" "new$"
    assert_clean
}
