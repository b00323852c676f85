#!/usr/bin/env bats
# tests/e2e/faults.bats - the fault matrix (issue 7): a live migration with
# storage copy between the bridged pods, a fault injected at a chosen
# moment (the NBD disk copy or the RAM phase, found from the source's job
# stats; the migration is throttled with --bandwidth so the moment lasts),
# then: the guest runs on exactly one side, intact (RAM checksum, counter
# advanced, disks), nothing is left behind, and, once the fault is cleared,
# a second migration succeeds.
#
# What libvirt itself does in each case is written above each test: that is
# what a migsock user gets, with migsock's relays in the path.
#
# The src sidecar's single relay is replaced by one host relay per channel
# (faults.bash) so each channel can be killed alone. Root only; one pair of
# pods for the file. Slow variants run with FAULTS_LONG=1.

load faults

BW=8 # MiB/s: 32 MiB of disk take ~4 s, the RAM ~12 s

setup_file() {
	e2e_require
	pods_up --topology bridged
	faults_relays_split
}

teardown_file() {
	fault_relays_stop
	local rc=0
	fault_relay_reports || rc=1
	local state=$POD_STATE
	pods_down || rc=1
	no_leftovers "$state" || rc=1
	return "$rc"
}

setup() {
	e2e_require
	fault_relays_heal
}

teardown() {
	[ -n "${BATS_TEST_COMPLETED:-}" ] || pods_logs
	[ -z "${MIG_PID:-}" ] || kill -KILL "$MIG_PID" 2>/dev/null || true
	[ -z "${G:-}" ] || fault_cleanup "$G"
}

# A small guest: 128 MiB of RAM (48 filled), one 32 MiB disk.
fault_guest() {
	G=$1
	guest_create "$G" --memory 128 --fill 48 --disk-size 32
}

# libvirt: the source daemon (p2p) loses its connection to the destination
# daemon; it aborts the job, resumes the guest on the source, and the
# destination daemon, its client gone, destroys the half-migrated domain.
@test "fault: driver relay SIGKILLed during the disk copy" {
	fault_guest fk-drv
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" nbd
	kill -KILL "$(relay_pid driver)"
	fault_migrate_wait
	[ "$MIG_STATUS" -eq 1 ]
	fault_on_source "$G"
	fault_retry "$G"
}

# libvirt: QEMU's migration stream breaks; the source QEMU reports the
# migration failed, libvirt resumes the guest on the source and the
# destination QEMU, its incoming stream cut, is destroyed.
@test "fault: qemu relay SIGKILLed during the RAM phase" {
	fault_guest fk-qemu
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" ram
	kill -KILL "$(relay_pid qemu)"
	fault_migrate_wait
	[ "$MIG_STATUS" -eq 1 ]
	fault_on_source "$G"
	fault_retry "$G"
}

# libvirt: the drive-mirror job to the destination's NBD server fails with
# an I/O error; libvirt cancels the mirror and the migration, the guest
# keeps running on the source with its disk untouched.
@test "fault: nbd relay SIGKILLed during the disk copy" {
	fault_guest fk-nbd
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" nbd
	kill -KILL "$(relay_pid nbd)"
	fault_migrate_wait
	[ "$MIG_STATUS" -eq 1 ]
	fault_on_source "$G"
	fault_retry "$G"
}

# migsock-relay on SIGTERM stops accepting and removes its socket at once,
# but lets open connections finish (--drain-timeout, 30 s here): the RAM
# stream already flowing completes, libvirt sees nothing, the guest lands
# on the destination. The relay exits 0 once its last connection closes.
@test "fault: qemu relay SIGTERMed during the RAM phase drains, the migration completes" {
	fault_guest ft-qemu
	# A relay of this test's own, so its exit status can be read.
	kill -TERM "$(relay_pid qemu)"
	while kill -0 "$(relay_pid qemu)" 2>/dev/null; do sleep 0.1; done
	fault_relay_start qemu
	local pid
	pid=$(relay_pid qemu)
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" ram
	kill -TERM "$pid"
	sleep 0.5
	# Not accepting any more: the socket is gone while the stream flows.
	[ ! -e "$SRC_SOCKDIR_HOST/$(layout_get qemu name)" ]
	kill -0 "$pid"
	fault_migrate_wait
	[ "$MIG_STATUS" -eq 0 ]
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	fault_settled "$G"
	guest_verify "$G" dst
}
