#!/usr/bin/env bats
# Issue 5, the address allocator: 100 containers started at once on one bridge get 100
# distinct addresses (the lease file is changed under a lock and replaced atomically), each
# container's eth0 has the address it leased, and all of it goes when they stop.

load lib

N=100

@test "$N containers started concurrently get $N distinct addresses" {
    local i pids=() names=()
    for ((i = 0; i < N; i++)); do
        names+=("$NAME-$i")
        run_timeout 120 "$BOTTLE" run -d --rm --name "$NAME-$i" --rootfs "$ROOTFS" \
            --network bridge -- sleep 300 >"$BT_TMP/start.$i" 2>&1 3>&- &
        pids+=($!)
    done
    local failed=0
    for i in "${!pids[@]}"; do
        wait "${pids[i]}" || { failed=$((failed + 1)); cat "$BT_TMP/start.$i" >&2; }
    done
    assert_eq "$failed" 0 "failed starts"
    local leases
    leases=$(grep -v -- ' -next$' "$BOTTLE_STATE/net/$BRIDGE.leases")
    assert_eq "$(wc -l <<<"$leases")" "$N" "leases"
    assert_eq "$(awk '{ print $1 }' <<<"$leases" | sort -u | wc -l)" "$N" "distinct leased addresses"
    assert_eq "$(awk '{ print $2 }' <<<"$leases" | sort -u | wc -l)" "$N" "distinct holders"
    # What each container really has on its eth0.
    local seen=() address
    for name in "${names[@]}"; do
        address=$(ip -n "$name" -4 -o addr show eth0 | awk '{ print $4 }')
        assert_eq "$address" "$(lease_of "$name")/24" "$name's eth0"
        seen+=("$address")
    done
    assert_eq "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)" "$N" "distinct eth0 addresses"
    for name in "${names[@]}"; do
        kill -TERM "$(<"$BOTTLE_STATE/containers/$name/shim.pid")"
    done
    for name in "${names[@]}"; do
        wait_gone "$name" 60
    done
    assert_net_clean "${names[@]}"
}

@test "a freed address is handed out last, and a full subnet is refused in one line" {
    # A /29: .2 to .6 are the five addresses containers can get.
    export BOTTLE_SUBNET=$SUBNET_PREFIX.0/29
    local i
    for i in 1 2 3 4 5; do
        net_start "$NAME-$i" --network bridge -- sleep 60
        assert_eq "$(lease_of "$NAME-$i")" "$SUBNET_PREFIX.$((i + 1))"
    done
    bottle_run --network bridge -- true
    assert_eq "$status" 125
    assert_one_line "$err"
    assert_match "$err" "no free address"
    kill -TERM "$(<"$BOTTLE_STATE/containers/$NAME-2/shim.pid")"
    wait_gone "$NAME-2"
    net_start "$NAME-7" --network bridge -- sleep 60
    assert_eq "$(lease_of "$NAME-7")" "$SUBNET_PREFIX.3" "the only free one"
    for i in 1 3 4 5 7; do
        kill -TERM "$(<"$BOTTLE_STATE/containers/$NAME-$i/shim.pid")"
    done
    for i in 1 3 4 5 7; do
        wait_gone "$NAME-$i"
    done
    assert_net_clean "$NAME-1" "$NAME-2" "$NAME-7"
}
