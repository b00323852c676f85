#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # $guest: each test and its teardown share a subshell
# tests/e2e/examples.bats - every script in examples/ migrates a real guest
# between the two container pods (bridged topology: every channel through
# migsock relays), run exactly as a user would run it, with the socket paths
# and URIs from the pods' env file. One pod pair serves all tests; each test
# boots its own small guest on the source and checks where it ends up.

load e2e

EX=$E2E_TOP/examples

setup_file() {
	e2e_require_file || return 0
	pods_up --topology bridged
}

teardown_file() {
	pods_down
}

# e2e_require skips; in setup_file a skip is not allowed, so ask quietly.
e2e_require_file() {
	[ "$(id -u)" = 0 ] && command -v runc >/dev/null && command -v libvirtd >/dev/null &&
		command -v qemu-system-x86_64 >/dev/null && [ -x "$MIGSOCK_BIN/migsock-migrate" ]
}

setup() {
	guest=
	e2e_require
	[ -x "$MIGSOCK_BIN/migsock-migrate" ] || skip "no $MIGSOCK_BIN/migsock-migrate (make)"
	[ -n "${POD_STATE:-}" ] || fail_setup "the pods did not come up"
}

teardown() {
	pods_logs_if_failed
	# Each test's guest, wherever it is now.
	local side
	[ -n "$guest" ] || return 0
	for side in src dst; do
		vsh "$side" destroy "$guest" >/dev/null 2>&1 || true
		vsh "$side" undefine "$guest" >/dev/null 2>&1 || true
	done
}

fail_setup() {
	echo "$*" >&2
	return 1
}

# A small guest with no disk: only the storage example copies disks (the
# pods share no storage, so a disk would have to be copied).
small_guest() {
	guest=$1
	shift
	guest_create "$guest" --memory 192 --fill 48 --disks 0 "$@"
	guest_mark "$guest" src
}

@test "examples: migrate-direct.sh (managed direct, client drives both daemons)" {
	small_guest ex-direct
	run "$EX/migrate-direct.sh" "$SRC_URI" "$DST_URI" "$SOCKDIR" "$guest" --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify "$guest" dst
}

@test "examples: migrate-p2p.sh (managed peer-to-peer)" {
	small_guest ex-p2p
	run "$EX/migrate-p2p.sh" "$SRC_URI" "$SOCKDIR" "$guest" --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify "$guest" dst
}

@test "examples: migrate-tunnelled.sh (peer-to-peer tunnelled, driver socket only)" {
	small_guest ex-tunnel
	run "$EX/migrate-tunnelled.sh" "$SRC_URI" "$SOCKDIR" "$guest" --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify "$guest" dst
}

@test "examples: migrate-offline.sh (definition only, guest stays on the source)" {
	small_guest ex-offline --persistent
	run "$EX/migrate-offline.sh" "$SRC_URI" "$SOCKDIR" "$guest" --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	# Defined but not running on the destination...
	[ "$(vsh dst domstate "$guest" | head -n1)" = "shut off" ]
	vsh dst dominfo "$guest" | grep -Eq '^Persistent: +yes'
	# ...and still running, intact, on the source.
	guest_verify "$guest" src
}

@test "examples: migrate-storage.sh (live, every disk copied over NBD)" {
	guest=ex-storage
	guest_create "$guest" --memory 192 --fill 48 --disks 2 --disk-size 32
	guest_mark "$guest" src
	run "$EX/migrate-storage.sh" "$SRC_URI" "$SOCKDIR" "$guest" --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify "$guest" dst
}

@test "examples: migrate-parallel.sh (1 + 2 connections through the relay)" {
	small_guest ex-parallel
	run "$EX/migrate-parallel.sh" "$SRC_URI" "$SOCKDIR" "$guest" 2 --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify "$guest" dst
}

@test "examples: migrate-postcopy.sh (switch to post-copy after one pass)" {
	require_postcopy
	small_guest ex-postcopy
	# A small guest's first pass can converge and finish pre-copy: with
	# 1 ms allowed for the final stop-and-copy it cannot, so the switch
	# at the second pass must happen (the result says it did).
	vsh src migrate-setmaxdowntime "$guest" 1
	run "$EX/migrate-postcopy.sh" "$SRC_URI" "$SOCKDIR" "$guest" --no-progress --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -rs 'map(select(.type == "result")) | .[-1].postcopy_started' <<<"$output")" = true ]
	guest_verify "$guest" dst
}

@test "examples: every script refuses a short command line with its usage, exit 2" {
	local s n=0
	for s in "$EX"/*.sh; do
		run "$s"
		[ "$status" -eq 2 ]
		[[ "$output" == usage:* ]]
		n=$((n + 1))
	done
	[ "$n" -eq 8 ]
}

# Last: it stops the pods' sidecars, and runs the relays itself.
@test "examples: migrate-by-hand.sh (its own relays, probe --through, migrate, tear down)" {
	small_guest ex-by-hand
	# The sidecars hold the sockets this script creates: stop them (their
	# relays drain and remove their sockets).
	local c
	for c in "$SRC_SIDECAR_CTR" "$DST_SIDECAR_CTR"; do
		[ -n "$c" ] || continue
		runc --root "$RUNC_ROOT" kill "$c" TERM
	done
	local _
	for _ in $(seq 100); do
		[ ! -e "$SRC_SOCKDIR_HOST/test-sock-driver" ] &&
			[ ! -e "$DST_SOCKDIR_HOST/test-sock-driver" ] && break
		sleep 0.1
	done
	[ ! -e "$SRC_SOCKDIR_HOST/test-sock-driver" ]
	run env DAEMON_DIR="$SOCKDIR" MIGSOCK_BIN="$MIGSOCK_BIN" "$EX/migrate-by-hand.sh" \
		"$POD_STATE/src/root/run/libvirt/libvirt-sock" \
		"$POD_STATE/dst/root/run/libvirt/libvirt-sock" \
		"$SRC_SOCKDIR_HOST" "$DST_SOCKDIR_HOST" "$guest" --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify "$guest" dst
	# Torn down: no relay socket left in either directory.
	[ -z "$(find "$SRC_SOCKDIR_HOST" "$DST_SOCKDIR_HOST" -type s)" ]
}
