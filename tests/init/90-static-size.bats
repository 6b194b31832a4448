#!/usr/bin/env bats
# bottle-init is small and static (docs/bottle-init.md, first paragraph; DESIGN.md): no program
# interpreter, at most 64 KiB, and at most 100 kB resident when idle as PID 1. bottle-init is
# static in SANITIZE builds too (it runs in containers with no libraries); only a binary that
# needs a sanitizer runtime, built by hand, is skipped.

load ../lib

# skip_if_sanitized: skips when the binary needs a sanitizer runtime.
skip_if_sanitized() {
    if readelf -dW "$INIT" 2>/dev/null | grep -qE 'NEEDED.*lib(a|ub|t|l|m)san'; then
        skip "sanitizer build"
    fi
}

@test "bottle-init is a static executable (no PT_INTERP)" {
    skip_if_sanitized
    readelf -hW "$INIT" | grep -qE 'Type:[[:space:]]+(EXEC|DYN)'
    if ! is_static "$INIT"; then
        readelf -lW "$INIT" | grep -E 'INTERP|interpreter' >&2
        echo "$INIT has a program interpreter" >&2
        return 1
    fi
    assert_eq "$(readelf -dW "$INIT" | grep -c NEEDED || true)" 0 "no shared library needed"
}

@test "bottle-init is at most 65536 bytes" {
    skip_if_sanitized
    assert_le "$(stat -L -c %s "$INIT")" 65536 "size of $INIT"
}

@test "tini and dumb-init are links to bottle-init" {
    assert_eq "$(readlink -f "$TINI")" "$(readlink -f "$INIT")" "tini"
    assert_eq "$(readlink -f "$DUMB_INIT")" "$(readlink -f "$INIT")" "dumb-init"
}

@test "idle as PID 1 of a pid namespace, bottle-init uses at most 100 kB of RSS" {
    skip_if_sanitized
    pidns_start "$INIT" -- "$HELPERS/trap-signals" -o "$BT_TMP/sig" -x 15:0 -t 20
    wait_for 5 file_has "$BT_TMP/sig" '^ready '
    bt_sleep 0.2
    local rss
    rss=$(sed -nE 's/^VmRSS:[[:space:]]+([0-9]+) kB$/\1/p' "/proc/$NS_INIT/status")
    echo "# VmRSS of bottle-init: $rss kB" >&3
    kill -TERM "$NS_INIT"
    bt_wait "$NS_UNSHARE" 5
    assert_eq "$status" 0
    assert_le "$rss" 100 "VmRSS in kB"
}
