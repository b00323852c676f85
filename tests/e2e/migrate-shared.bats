#!/usr/bin/env bats
# tests/e2e/migrate-shared.bats - migsock-migrate with the "shared"
# topology: one socket directory mounted into both daemons, so the
# destination QEMU's own qemu and nbd sockets are reached directly and
# only the driver socket is relayed. --dir alone builds every URI. Root.

load e2e

setup_file() {
	e2e_require
	pods_up --topology shared
}

teardown_file() {
	pods_down
}

setup() {
	e2e_require
	M=$MIGSOCK_BIN/migsock-migrate
}

teardown() {
	pods_logs_if_failed
}

@test "migrate-shared: p2p live with storage copy through one shared directory" {
	guest_create sh --memory 128 --fill 32 --disks 2 --disk-size 16
	guest_mark sh src
	[ "$SRC_SOCKDIR_HOST" = "$DST_SOCKDIR_HOST" ]
	# Before: no QEMU socket yet; dst's QEMU creates them while preparing.
	[ ! -e "$SRC_SOCKDIR_HOST/test-sock-qemu" ]
	run "$M" -c "$SRC_URI" sh --dir "$SOCKDIR" --dest-connect "$DST_URI" \
		--p2p --live --copy-storage-all --persistent --undefinesource
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"migrated sh (p2p-live) in "*"destination: running, persistent"* ]]
	guest_verify sh dst
	[ -f "$DST_ROOT/etc/libvirt/qemu/sh.xml" ]
	run vsh src dominfo sh
	[ "$status" -ne 0 ]
}
