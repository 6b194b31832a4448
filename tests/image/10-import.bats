#!/usr/bin/env bats
# bottle image import: every archive shape (docker export, docker save classic and with an OCI
# index, OCI layouts as directory and tar, gzip and zstd layers, a rootfs directory), made by
# real tools; the layer store keeps a shared layer once; ls, rm, gc.

load lib

@test "import: a docker export (flat tar) becomes a one-layer image" {
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/flat.tar" .
    bottle_image import "$BT_TMP/flat.tar" flat
    assert_eq "$status" 0 "$err"
    assert_match "$out" "flat \(docker-export, 1 layers, 1 new\)"
    bottle_image ls
    assert_match "$out" "flat +[0-9a-f]+ +1 +[0-9.]+M"
    [[ -x $(echo "$BOTTLE_ROOT"/layers/sha256/*/tree/bin/busybox) ]]
}

@test "import: gzip and zstd compressed exports" {
    command -v zstd >/dev/null || skip "zstd missing"
    tar -C "$BUSYBOX_ROOTFS" -czf "$BT_TMP/flat.tar.gz" .
    tar -C "$BUSYBOX_ROOTFS" -cf - . | zstd -q -o "$BT_TMP/flat.tar.zst"
    bottle_image import "$BT_TMP/flat.tar.gz" gz
    assert_eq "$status" 0 "$err"
    bottle_image import "$BT_TMP/flat.tar.zst" zst
    assert_eq "$status" 0 "$err"
    # The same content: the layer is the uncompressed tar's digest... of different tars (tar
    # writes mtimes), so only check that both run.
    bottle_image ls --json
    assert_match "$out" '"name":"gz"'
    assert_match "$out" '"name":"zst"'
}

@test "import: an OCI layout directory (umoci) with its config; the name from --NAME" {
    oci_busybox "$BT_TMP/oci" v1 --config.cmd echo --config.cmd hi --config.env A=1 \
        --config.workingdir /tmp --config.exposedports 80/tcp --config.stopsignal SIGQUIT
    bottle_image import "$BT_TMP/oci" web
    assert_eq "$status" 0 "$err"
    assert_match "$out" "web \(oci-layout, 1 layers, 1 new\)"
    local record=$BOTTLE_ROOT/images/web.json
    assert_eq "$(jq -c .config.Cmd "$record")" '["echo","hi"]'
    assert_eq "$(jq -r .config.WorkingDir "$record")" /tmp
    assert_eq "$(jq -r '.config.ExposedPorts | keys[0]' "$record")" 80/tcp
    assert_eq "$(jq -r .config.StopSignal "$record")" SIGQUIT
}

@test "import: skopeo's docker-archive and oci-archive; a shared layer is stored once" {
    need_skopeo
    oci_busybox "$BT_TMP/oci" v1
    skopeo copy -q "oci:$BT_TMP/oci:v1" "docker-archive:$BT_TMP/docker.tar:test/bb:7"
    skopeo copy -q "oci:$BT_TMP/oci:v1" "oci-archive:$BT_TMP/oci.tar:v1"
    bottle_image import "$BT_TMP/docker.tar"
    assert_eq "$status" 0 "$err"
    assert_match "$out" "test/bb:7 \(docker-save, 1 layers, 1 new\)"
    bottle_image import "$BT_TMP/oci.tar" other
    assert_eq "$status" 0 "$err"
    assert_match "$out" "other \(oci-layout, 1 layers, 0 new\)"
    assert_eq "$(ls "$BOTTLE_ROOT/layers/sha256" | wc -l)" 1
}

@test "import: an OCI layout with zstd layers (skopeo --dest-compress-format zstd)" {
    need_skopeo
    oci_busybox "$BT_TMP/oci" v1
    capture skopeo copy -q --dest-compress --dest-compress-format zstd "oci:$BT_TMP/oci:v1" \
        "oci:$BT_TMP/zoci:v1"
    [[ $status -eq 0 ]] || skip "this skopeo cannot write zstd layers: $err"
    jq -e '.layers[0].mediaType | test("zstd")' \
        "$BT_TMP/zoci/blobs/sha256/$(jq -r '.manifests[0].digest' "$BT_TMP/zoci/index.json" | cut -d: -f2)"
    bottle_image import "$BT_TMP/zoci" zimg
    assert_eq "$status" 0 "$err"
    assert_match "$out" "zimg \(oci-layout, 1 layers, 1 new\)"
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --storage overlay zimg echo zstd-ok
    assert_eq "$out" zstd-ok
}

@test "import: docker save classic (ID/layer.tar, symlinked duplicates) and the OCI-index layout" {
    python3 "$MKTAR" "$BT_TMP/l1.tar" d:etc f:etc/one:1 f:etc/gone:x
    python3 "$MKTAR" "$BT_TMP/l2.tar" f:etc/two:2 wh:etc/gone
    python3 "$MKIMAGE" "$BT_TMP/classic.tar" app:1 --cmd /bin/true "$BT_TMP/l1.tar" "$BT_TMP/l2.tar"
    python3 "$MKIMAGE" "$BT_TMP/new.tar" app:2 --new "$BT_TMP/l1.tar" "$BT_TMP/l2.tar"
    bottle_image import "$BT_TMP/classic.tar"
    assert_eq "$status" 0 "$err"
    assert_match "$out" "app:1 \(docker-save, 2 layers, 2 new\)"
    bottle_image import "$BT_TMP/new.tar"
    assert_eq "$status" 0 "$err"
    assert_match "$out" "app:2 \(docker-save, 2 layers, 0 new\)"
    # A classic archive whose second layer is a symlink to the first (docker's deduplication).
    mkdir "$BT_TMP/x" && tar -C "$BT_TMP/x" -xf "$BT_TMP/classic.tar"
    local first second
    first=$(jq -r '.[0].Layers[0]' "$BT_TMP/x/manifest.json")
    second=$(jq -r '.[0].Layers[1]' "$BT_TMP/x/manifest.json")
    cp "$BT_TMP/x/$first" "$BT_TMP/x/$second"
    # Make the config agree: both layers are l1 now.
    local config
    config=$(jq -r '.[0].Config' "$BT_TMP/x/manifest.json")
    jq -c ".rootfs.diff_ids[1] = .rootfs.diff_ids[0]" "$BT_TMP/x/$config" >"$BT_TMP/x/new.json"
    local hex
    hex=$(sha256sum "$BT_TMP/x/new.json" | cut -c1-64)
    mv "$BT_TMP/x/new.json" "$BT_TMP/x/$hex.json"
    rm "$BT_TMP/x/$config" "$BT_TMP/x/$second"
    ln -s "../$first" "$BT_TMP/x/$second"
    jq -c ".[0].Config = \"$hex.json\"" "$BT_TMP/x/manifest.json" >"$BT_TMP/x/m" &&
        mv "$BT_TMP/x/m" "$BT_TMP/x/manifest.json"
    tar -C "$BT_TMP/x" -cf "$BT_TMP/linked.tar" .
    BOTTLE_ROOT=$BT_TMP/root2 bottle_image import "$BT_TMP/linked.tar" linked
    assert_eq "$status" 0 "$err"
    assert_match "$out" "linked \(docker-save, 2 layers, 1 new\)"
}

@test "import --dir: a rootfs directory, device nodes left out" {
    mkdir "$BT_TMP/dir"
    cp -a "$BUSYBOX_ROOTFS/." "$BT_TMP/dir/"
    mknod "$BT_TMP/dir/dev-null" c 1 3
    bottle_image import --dir "$BT_TMP/dir" fromdir
    assert_eq "$status" 0 "$err"
    assert_match "$out" "fromdir \(directory, 1 layers, 1 new\)"
    assert_match "$err" "1 device nodes left out"
    local tree
    tree=$(echo "$BOTTLE_ROOT"/layers/sha256/*/tree)
    [[ -x $tree/bin/busybox && ! -e $tree/dev-null ]]
    bottle_image import --dir "$BT_TMP/dir"
    assert_eq "$status" 125
    assert_one_line "$err"
}

@test "image rm and gc: layers go with the last image that uses them" {
    python3 "$MKTAR" "$BT_TMP/l1.tar" f:a:1
    python3 "$MKTAR" "$BT_TMP/l2.tar" f:b:2
    python3 "$MKIMAGE" "$BT_TMP/one.tar" one "$BT_TMP/l1.tar"
    python3 "$MKIMAGE" "$BT_TMP/two.tar" two "$BT_TMP/l1.tar" "$BT_TMP/l2.tar"
    bottle_image import "$BT_TMP/one.tar"
    bottle_image import "$BT_TMP/two.tar"
    assert_eq "$(ls "$BOTTLE_ROOT/layers/sha256" | wc -l)" 2
    bottle_image rm two
    assert_eq "$status" 0 "$err"
    assert_eq "$(ls "$BOTTLE_ROOT/layers/sha256" | wc -l)" 1
    bottle_image rm one
    assert_eq "$(ls "$BOTTLE_ROOT/layers/sha256" | wc -l)" 0
    bottle_image rm one
    assert_eq "$status" 125
    assert_match "$err" "no such image: one"
    # A leftover of a crashed import and an orphan layer: gc removes both.
    mkdir -p "$BOTTLE_ROOT/tmp/layer.crashed/tree" "$BOTTLE_ROOT/layers/sha256/$(printf '%064d' 0)/tree"
    bottle_image gc
    assert_eq "$status" 0 "$err"
    [[ -z $(find "$BOTTLE_ROOT/tmp" "$BOTTLE_ROOT/layers/sha256" -mindepth 1) ]]
}

@test "import: progress on a terminal, none when stderr is a file" {
    command -v script >/dev/null || skip "script (util-linux) missing"
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/flat.tar" .
    capture run_timeout 60 script -qec "$BOTTLE image import $BT_TMP/flat.tar tty" /dev/null
    assert_eq "$status" 0 "$err"
    assert_match "$out" "import .*: [0-9]+ MiB"
    bottle_image import "$BT_TMP/flat.tar" notty
    assert_eq "$err" ""
}

@test "import: a multi-platform index gives this machine's image" {
    need_umoci
    [[ $(uname -m) == x86_64 ]] || skip "the test names amd64 as this machine"
    oci_busybox "$BT_TMP/oci" other --config.cmd echo --config.cmd arm64
    umoci new --image "$BT_TMP/oci:native"
    umoci unpack --image "$BT_TMP/oci:native" "$BT_TMP/unpack" >/dev/null
    cp -a "$BUSYBOX_ROOTFS/." "$BT_TMP/unpack/rootfs/"
    umoci repack --image "$BT_TMP/oci:native" "$BT_TMP/unpack" >/dev/null
    umoci config --image "$BT_TMP/oci:native" --config.cmd echo --config.cmd amd64
    # One index, the foreign platform first.
    jq -c '.manifests |= (map(. + {platform: {os: "linux", architecture:
        (if .annotations["org.opencontainers.image.ref.name"] == "other" then "arm64"
         else "amd64" end)}}) | sort_by(.platform.architecture) | reverse)' \
        "$BT_TMP/oci/index.json" >"$BT_TMP/index.json"
    mv "$BT_TMP/index.json" "$BT_TMP/oci/index.json"
    assert_eq "$(jq -r '.manifests[0].platform.architecture' "$BT_TMP/oci/index.json")" arm64
    bottle_image import "$BT_TMP/oci" multi
    assert_eq "$status" 0 "$err"
    capture run_timeout 30 "$BOTTLE" run --name "$NAME" --storage overlay multi
    assert_eq "$out" amd64
}
