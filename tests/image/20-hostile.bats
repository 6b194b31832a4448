#!/usr/bin/env bats
# Hostile archives: each is refused or neutralised with a one-line message, nothing is written
# outside the store, and a failed import leaves no image and no layer behind.

load lib

# import_fails FILE PATTERN: the import of FILE exits 125 with one line matching PATTERN and
# the store is as it was.
import_fails() {
    local before
    before=$(store_snapshot)
    bottle_image import "$1" hostile
    assert_eq "$status" 125 "$err"
    assert_one_line "$err"
    assert_match "$err" "$2"
    assert_store_unchanged "$before"
    [[ ! -e $BOTTLE_ROOT/images/hostile.json ]]
}

setup() {
    image_setup
    # Something in the store already, so that "unchanged" means something.
    python3 "$MKTAR" "$BT_TMP/base.tar" f:base:1
    bottle_image import "$BT_TMP/base.tar" base
    mkdir "$BT_TMP/victim"
}

@test "hostile: '..' in a name is refused" {
    python3 "$MKTAR" "$BT_TMP/h.tar" f:ok:1 "f:../../../../victim/pwned:x"
    import_fails "$BT_TMP/h.tar" "'\.\.' in the name"
    [[ -z $(ls "$BT_TMP/victim") ]]
}

@test "hostile: an absolute name is made relative and stays in the layer" {
    python3 "$MKTAR" "$BT_TMP/h.tar" "f:$BT_TMP/victim/pwned:x"
    bottle_image import "$BT_TMP/h.tar" abs
    assert_eq "$status" 0 "$err"
    assert_match "$err" "1 absolute names made relative"
    [[ ! -e $BT_TMP/victim/pwned ]]
    [[ -f $(echo "$BOTTLE_ROOT"/layers/sha256/*/tree"$BT_TMP"/victim/pwned) ]]
}

@test "hostile: writing through a symlinked parent directory is refused" {
    python3 "$MKTAR" "$BT_TMP/h.tar" "l:escape:$BT_TMP/victim" "f:escape/pwned:x"
    import_fails "$BT_TMP/h.tar" "entry 'escape/pwned': a parent directory is a symlink"
    [[ -z $(ls "$BT_TMP/victim") ]]
    python3 "$MKTAR" "$BT_TMP/h2.tar" "l:up:../../../../../../../.." "f:up/$BT_TMP/victim/pwned:x"
    import_fails "$BT_TMP/h2.tar" "a parent directory is a symlink"
    [[ -z $(ls "$BT_TMP/victim") ]]
}

@test "hostile: a symlink that points out is kept as a symlink, never followed" {
    echo secret >"$BT_TMP/victim/file"
    python3 "$MKTAR" "$BT_TMP/h.tar" "l:link:$BT_TMP/victim/file" "f:link:overwritten"
    bottle_image import "$BT_TMP/h.tar" links
    assert_eq "$status" 0 "$err"
    # The later entry replaced the link itself; the target is untouched.
    assert_eq "$(cat "$BT_TMP/victim/file")" secret
}

@test "hostile: hardlinks out of the layer are refused" {
    echo secret >"$BT_TMP/victim/file"
    python3 "$MKTAR" "$BT_TMP/h.tar" "h:hl:../../../../../../$BT_TMP/victim/file"
    import_fails "$BT_TMP/h.tar" "'\.\.' in the name"
    python3 "$MKTAR" "$BT_TMP/h2.tar" "h:hl:$BT_TMP/victim/file"
    import_fails "$BT_TMP/h2.tar" "not in the layer"
    python3 "$MKTAR" "$BT_TMP/h3.tar" "l:dir:$BT_TMP/victim" "h:hl:dir/file"
    import_fails "$BT_TMP/h3.tar" "not in the layer"
    assert_eq "$(stat -c %h "$BT_TMP/victim/file")" 1
}

@test "hostile: device nodes are left out, setuid bits cleared (kept with --keep-setuid)" {
    python3 "$MKTAR" "$BT_TMP/h.tar" c:mem:1:1 c:sda:8:0 s:su:x
    bottle_image import "$BT_TMP/h.tar" devs
    assert_eq "$status" 0 "$err"
    assert_match "$err" "2 device nodes left out"
    assert_match "$err" "setuid/setgid bits cleared on 1 files"
    local tree
    tree=$(dirname "$(echo "$BOTTLE_ROOT"/layers/sha256/*/tree/su)")
    [[ ! -e $tree/mem && ! -e $tree/sda ]]
    assert_eq "$(stat -c %a "$tree/su")" 755
    python3 "$MKTAR" "$BT_TMP/h2.tar" s:su2:y
    bottle_image import --keep-setuid "$BT_TMP/h2.tar" suid
    assert_eq "$status" 0 "$err"
    assert_eq "$(stat -c %a "$(echo "$BOTTLE_ROOT"/layers/sha256/*/tree/su2)")" 4755
}

@test "hostile: absurd sizes are refused before anything is written" {
    python3 "$MKTAR" "$BT_TMP/h.tar" f:ok:1 big:huge:1099511627776
    import_fails "$BT_TMP/h.tar" "entry 'huge': 1099511627776 bytes go beyond the limit"
    head -c 5000 /dev/zero >"$BT_TMP/blob"
    python3 "$MKTAR" "$BT_TMP/h2.tar" "f:a:$(head -c 3000 /dev/zero | tr '\0' x)"
    bottle_image import --max-size 2000 "$BT_TMP/h2.tar" hostile
    assert_eq "$status" 125
    assert_match "$err" "beyond the limit of 2000 bytes"
}

@test "hostile: truncated and corrupt archives" {
    tar -C "$BUSYBOX_ROOTFS" -cf "$BT_TMP/full.tar" .
    head -c 600000 "$BT_TMP/full.tar" >"$BT_TMP/cut.tar"
    import_fails "$BT_TMP/cut.tar" "truncated or corrupt"
    tar -C "$BUSYBOX_ROOTFS" -czf "$BT_TMP/full.tar.gz" .
    local size
    size=$(stat -c %s "$BT_TMP/full.tar.gz")
    cp "$BT_TMP/full.tar.gz" "$BT_TMP/bad.tar.gz"
    # Garbage in the middle of the deflate stream.
    printf 'garbagegarbagegarbage' | dd of="$BT_TMP/bad.tar.gz" bs=1 seek=$((size / 2)) \
        conv=notrunc 2>/dev/null
    import_fails "$BT_TMP/bad.tar.gz" "truncated or corrupt|digest"
    head -c 4096 /dev/urandom >"$BT_TMP/noise"
    import_fails "$BT_TMP/noise" "not an archive|corrupt"
    : >"$BT_TMP/empty"
    import_fails "$BT_TMP/empty" "empty|not an archive|corrupt"
}

@test "hostile: digest mismatches (layer blob, config diff_id) are refused" {
    need_umoci
    oci_busybox "$BT_TMP/oci" v1
    # Another valid tar under the layer's name: the blob's digest no longer matches.
    local layer
    layer=$(jq -r '.layers[0].digest' \
        "$BT_TMP/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$BT_TMP/oci/index.json" | cut -d: -f2)" |
        cut -d: -f2)
    cp -r "$BT_TMP/oci" "$BT_TMP/oci2"
    python3 "$MKTAR" "$BT_TMP/other.tar" f:x:1
    gzip -c "$BT_TMP/other.tar" >"$BT_TMP/oci/blobs/sha256/$layer"
    import_fails "$BT_TMP/oci" "digest mismatch: expected sha256:$layer"
    # A classic docker save whose config names another diff_id.
    python3 "$MKTAR" "$BT_TMP/l1.tar" f:a:1
    python3 "$MKIMAGE" "$BT_TMP/img.tar" app "$BT_TMP/l1.tar"
    mkdir "$BT_TMP/x" && tar -C "$BT_TMP/x" -xf "$BT_TMP/img.tar"
    local config hex
    config=$(jq -r '.[0].Config' "$BT_TMP/x/manifest.json")
    jq -c ".rootfs.diff_ids[0] = \"sha256:$(printf '%064d' 1)\"" "$BT_TMP/x/$config" >"$BT_TMP/x/c"
    hex=$(sha256sum "$BT_TMP/x/c" | cut -c1-64)
    mv "$BT_TMP/x/c" "$BT_TMP/x/$hex.json" && rm "$BT_TMP/x/$config"
    jq -c ".[0].Config = \"$hex.json\"" "$BT_TMP/x/manifest.json" >"$BT_TMP/x/m" &&
        mv "$BT_TMP/x/m" "$BT_TMP/x/manifest.json"
    tar -C "$BT_TMP/x" -cf "$BT_TMP/bad.tar" .
    import_fails "$BT_TMP/bad.tar" "digest mismatch: the config says sha256:0+1"
    # A config that is not what its name says.
    echo '{}' >"$BT_TMP/x/$hex.json"
    tar -C "$BT_TMP/x" -cf "$BT_TMP/bad2.tar" .
    import_fails "$BT_TMP/bad2.tar" "digest mismatch"
}

@test "hostile: a failed import in the middle of a multi-layer image leaves no layer" {
    python3 "$MKTAR" "$BT_TMP/l1.tar" f:good:1
    python3 "$MKTAR" "$BT_TMP/l2.tar" "f:../evil:1"
    python3 "$MKIMAGE" "$BT_TMP/img.tar" app "$BT_TMP/l1.tar" "$BT_TMP/l2.tar"
    import_fails "$BT_TMP/img.tar" "'\.\.' in the name"
}

@test "hostile: an OCI layout directory whose blob links out of it is refused" {
    need_umoci
    oci_busybox "$BT_TMP/oci" v1
    local manifest layer
    manifest=$(jq -r '.manifests[0].digest' "$BT_TMP/oci/index.json" | cut -d: -f2)
    layer=$(jq -r '.layers[0].digest' "$BT_TMP/oci/blobs/sha256/$manifest" | cut -d: -f2)
    cp "$BT_TMP/oci/blobs/sha256/$layer" "$BT_TMP/victim/layer"
    rm "$BT_TMP/oci/blobs/sha256/$layer"
    # The same bytes, but outside the layout: refused all the same.
    ln -s "$BT_TMP/victim/layer" "$BT_TMP/oci/blobs/sha256/$layer"
    import_fails "$BT_TMP/oci" "layer blobs/sha256/$layer"
}
