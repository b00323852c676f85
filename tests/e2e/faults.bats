#!/usr/bin/env bats
# tests/e2e/faults.bats - the fault matrix (issue 7): a live migration with
# storage copy between the bridged pods, a fault injected at a chosen
# moment (the NBD disk copy or the RAM phase, found from the source's job
# stats; the migration is throttled with --bandwidth so the moment lasts),
# then: the guest runs on exactly one side, intact (RAM checksum, counter
# advanced, disks), nothing is left behind (no migration job, no domain or
# live socket on dst, every relay back to its idle descriptors; at the end
# no process, mount or socket under the pods' state), and, once the fault
# is cleared, a second migration of the same guest succeeds. Where the
# faulted migration itself completes (SIGTERM drain, p2p client killed),
# the next test's migration is the one after it.
#
# What libvirt itself does in each case is written above each test: that is
# what a migsock user gets, with migsock's relays in the path. Set
# FAULTS_SUMMARY=FILE to collect, case by case, what migsock-migrate said.
#
# The src sidecar's single relay is replaced by one host relay per channel
# (faults.bash) so each channel can be killed alone. Root only; one pair of
# pods for the file (5-10 min on a busy 2-core machine).

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

# A relay that died without being the case's target fails the case here.
teardown() {
	pods_logs_if_failed
	[ -z "${MIG_PID:-}" ] || kill -KILL "$MIG_PID" 2>/dev/null || true
	[ -z "${G:-}" ] || fault_cleanup "$G"
	fault_relays_done
}

# The case's guest (teardown destroys it).
fault_name() {
	G=$1
}

# A small guest: 128 MiB of RAM (32 filled: more and the guest's own OOM
# killer may take the checksum reader), one 32 MiB disk.
fault_guest() {
	fault_name "$1"
	guest_create "$G" --memory 128 --fill 32 --disk-size 32
}

# libvirt: the source daemon (p2p) loses its connection to the destination
# daemon; it aborts the job, resumes the guest on the source, and the
# destination daemon, its client gone, destroys the half-migrated domain.
@test "fault: driver relay SIGKILLed during the disk copy" {
	fault_guest fk-drv
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" nbd
	fault_kill_relay KILL driver
	fault_migrate_wait
	fault_says_failed
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
	fault_kill_relay KILL qemu
	fault_migrate_wait
	fault_says_failed
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
	fault_kill_relay KILL nbd
	fault_migrate_wait
	fault_says_failed
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
	fault_kill_relay TERM qemu
	while pid_running "$(relay_pid qemu)"; do sleep 0.1; done
	fault_relay_start qemu
	local pid
	pid=$(relay_pid qemu)
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" ram
	kill -TERM "$pid"
	sleep 0.5
	# Not accepting any more: the socket is gone while the stream flows.
	[ ! -e "$SRC_SOCKDIR_HOST/$(layout_get qemu name)" ]
	pid_running "$pid"
	fault_migrate_wait
	[ "$MIG_STATUS" -eq 0 ]
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	fault_settled "$G"
	guest_verify "$G" dst
}

# libvirt: the source daemon's connection to the destination daemon drops;
# the source aborts the job and resumes the guest. Here the daemon's
# container goes with it (tini exits with libvirtd, the destination QEMU
# dies with the PID namespace); it is restarted to clear the fault.
@test "fault: destination daemon killed during the RAM phase" {
	fault_guest fk-dstd
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" ram
	local pid
	pid=$(fault_ctr_pids dst libvirtd libvirtd)
	[ -n "$pid" ]
	kill -KILL "$pid"
	fault_migrate_wait
	fault_says_failed
	fault_restart_container dst libvirtd "$DST_ROOT/run/libvirt/libvirt-sock"
	fault_on_source "$G"
	fault_retry "$G"
}

# libvirt: the source QEMU's migration stream breaks (the peer is gone),
# the job fails and the guest resumes on the source; the destination
# daemon reaps its dead QEMU and forgets the domain.
@test "fault: destination QEMU killed during the RAM phase" {
	fault_guest fk-dstq
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" ram
	local pid
	pid=$(fault_ctr_pids dst libvirtd qemu-system-x86)
	[ -n "$pid" ]
	kill -KILL "$pid"
	fault_migrate_wait
	fault_says_failed
	fault_on_source "$G"
	fault_retry "$G"
}

# libvirt (the seed): in managed direct migration the client drives the
# phases; when it dies, the source daemon sees its connection close,
# aborts the migration and restarts the guest's CPUs on the source, and
# the destination daemon destroys the incoming domain its client left.
@test "fault: client killed during a managed direct migration" {
	fault_guest fk-cli
	fault_migrate_bg "$G" --desturi "$DST_URI" --bandwidth "$BW"
	fault_wait_phase "$G" ram
	kill -KILL "$MIG_PID"
	fault_migrate_wait
	[ "$MIG_STATUS" -eq 137 ]
	fault_on_source "$G"
	fault_retry "$G"
}

# libvirt (the seed): in peer-to-peer migration the source daemon drives;
# the client dying changes nothing, the migration completes.
@test "fault: client killed during a peer-to-peer migration, the migration completes" {
	fault_guest fk-p2p
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" ram
	kill -KILL "$MIG_PID"
	fault_migrate_wait
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(vsh dst domstate "$G" 2>/dev/null | head -n1)" = running ] &&
			[ -z "$(vsh src domstate "$G" 2>/dev/null)" ] && break
		sleep 0.2
	done
	fault_settled "$G"
	guest_verify "$G" dst
}

# The destination's socket directory is emptied while the disks copy: the
# connections already made (driver, nbd) go on, but QEMU's migration stream
# connects only after the disks are in sync and finds nothing: the relay
# closes it ("refused: no socket at ..."), QEMU fails the migration and
# libvirt resumes the guest on the source. Cleared by restarting the dst
# sidecar, whose driver socket went with the directory.
@test "fault: destination socket directory emptied during the disk copy" {
	fault_guest fk-dir
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" nbd
	rm -f "$DST_SOCKDIR_HOST"/*
	fault_migrate_wait
	fault_says_failed
	grep -q "refused: no socket at .*$(layout_get qemu name)" "$POD_STATE/log/relay-qemu.log"
	fault_restart_container dst sidecar "$DST_SOCKDIR_HOST/$(layout_get driver name)"
	fault_on_source "$G"
	fault_retry "$G"
}

# As above, but the destination QEMU's migration socket is replaced by a
# regular file: the relay refuses ("nothing accepts connections at ...")
# and never touches the file; the migration fails, the guest stays.
@test "fault: destination migration socket replaced by a regular file" {
	fault_guest fk-file
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_phase "$G" nbd
	local q
	q=$DST_SOCKDIR_HOST/$(layout_get qemu name)
	rm -f "$q"
	echo "not a socket" >"$q"
	fault_migrate_wait
	fault_says_failed
	grep -q "refused: nothing accepts connections at .*$(layout_get qemu name)" "$POD_STATE/log/relay-qemu.log"
	[ "$(cat "$q")" = "not a socket" ]
	rm -f "$q"
	fault_on_source "$G"
	fault_retry "$G"
}

# libvirt: the destination's images live on a 12 MiB filesystem. libvirt
# pre-creates the destination image with preallocation=falloc, so a disk
# too small fails the migration in its prepare phase, before any data moves
# ("No space left on device" from qemu-img), and the guest never stops on
# the source. Cleared by unmounting the small filesystem.
@test "fault: destination disk full: the migration fails in prepare" {
	fault_guest fk-full
	local pid
	pid=$(fault_ctr_pids dst libvirtd libvirtd)
	nsenter -t "$pid" -m -- mount -t tmpfs -o size=12m tmpfs /var/lib/libvirt/images
	fault_migrate_bg "$G" --p2p
	fault_migrate_wait
	nsenter -t "$pid" -m -- umount /var/lib/libvirt/images
	fault_says_failed
	[[ $MIG_OUT == *"No space left on device"* ]]
	fault_on_source "$G"
	fault_retry "$G"
}

# A slow path taken to the limit: the qemu relay stops forwarding (SIGSTOP)
# in the RAM phase, the stream stalls, and migsock-migrate --timeout 20
# --timeout-abort gives up: it aborts the job (virDomainAbortJob: QEMU
# cancels the stream), exits 7, and the guest runs on on the source. Then
# the relay resumes and finds its connections closed. (20 s, not 8: the
# time counts from the start, and under ASan on a loaded machine the disk
# copy alone took longer than 8 s, so the abort came before the stall.)
@test "fault: stalled relay and --timeout-abort: aborted, the guest stays" {
	fault_guest fk-slow
	local pid
	pid=$(relay_pid qemu)
	fault_target qemu
	fault_migrate_bg "$G" --p2p --bandwidth "$BW" --timeout 20 --timeout-abort
	fault_wait_phase "$G" ram
	kill -STOP "$pid"
	fault_migrate_wait
	kill -CONT "$pid"
	[ "$MIG_STATUS" -eq 7 ]
	[[ $MIG_OUT == *"migration aborted (timeout); $G still runs on the source"* ]]
	fault_on_source "$G"
	fault_retry "$G"
}

# A slow path: the qemu and nbd relays are throttled from the start (let
# run 2 ms in every 500: a few MiB/s at most), the migration cannot finish
# within --timeout 8, and --timeout-abort ends it during the disk copy:
# libvirt cancels the drive-mirror and the job, the guest never stopped.
@test "fault: throttled relays and --timeout-abort: aborted, the guest stays" {
	fault_guest fk-thr
	local pids=("$(relay_pid qemu)" "$(relay_pid nbd)")
	fault_target qemu nbd
	fault_migrate_bg "$G" --p2p --timeout 8 --timeout-abort
	(
		while kill -0 "$MIG_PID" 2>/dev/null; do
			kill -STOP "${pids[@]}"
			sleep 0.5
			kill -CONT "${pids[@]}"
			sleep 0.002
		done
		kill -CONT "${pids[@]}"
	) 3>&- &
	local throttle=$!
	fault_migrate_wait
	wait "$throttle" || true
	kill -CONT "${pids[@]}"
	[ "$MIG_STATUS" -eq 7 ]
	[[ $MIG_OUT == *"migration aborted (timeout); $G still runs on the source"* ]]
	fault_on_source "$G"
	fault_retry "$G"
}

# Bad input that needs the daemons: unknown guests, a guest in the wrong
# state, and garbage, oversized and truncated data on the driver sockets
# (libvirtd drops such a client; the relays log it and keep serving).
@test "bad input with daemons: unknown guest, wrong state, garbage on the driver sockets" {
	local M=$MIGSOCK_BIN/migsock-migrate
	run "$M" -c "$SRC_URI" nosuchguest --dir "$SOCKDIR" --dest-connect "$DST_URI" --p2p --live
	echo "$output"
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: no domain nosuchguest on the source: check the name with virsh -c $SRC_URI list --all" ]

	# A defined guest that is shut off cannot migrate live.
	fault_name fk-off
	"$DOMAIN_XML" --name "$G" --memory 128 --fill 16 --disks 0 >"$POD_STATE/$G.xml"
	vsh src define "$POD_STATE/$G.xml" >/dev/null
	run "$M" -c "$SRC_URI" "$G" --dir "$SOCKDIR" --dest-connect "$DST_URI" --p2p --live
	echo "$output"
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: $G is not running on the source: start it, or move its definition with --offline --persistent" ]

	local sock
	for sock in "$SRC_SOCKDIR_HOST/$(layout_get driver name)" "$DST_SOCKDIR_HOST/$(layout_get driver name)"; do
		head -c 1M /dev/urandom | timeout 20 socat -t 2 - "UNIX-CONNECT:$sock" >/dev/null 2>&1 || true
		# A header announcing a 2 GiB packet, then nothing.
		printf '\x7f\xff\xff\xff' | timeout 20 socat -t 2 - "UNIX-CONNECT:$sock" >/dev/null 2>&1 || true
		# A truncated header.
		printf '\x00\x00' | timeout 20 socat -t 2 - "UNIX-CONNECT:$sock" >/dev/null 2>&1 || true
	done
	# Both daemons still answer through the relays.
	virsh -q -c "qemu+unix:///system?socket=$SRC_SOCKDIR_HOST/$(layout_get driver name)" uri
	virsh -q -c "qemu+unix:///system?socket=$DST_SOCKDIR_HOST/$(layout_get driver name)" uri
	pid_running "$(relay_pid driver)"
}

# --- post-copy (issue 11) -------------------------------------------------------
# Each row: a live p2p migration with storage copy and --postcopy, switched
# to post-copy at the start of the RAM phase (post-copy throttled to
# 4 MiB/s so it lasts), then the fault. libvirt (8.5+): a stream that
# breaks in post-copy leaves the source "paused (post-copy failed)" and
# the destination "running (post-copy failed)"; nothing rolls back, the
# same call with VIR_MIGRATE_POSTCOPY_RESUME continues once the path is
# back. migsock-migrate exits 9 and says so; --recover SEC does it itself.

# Resumed by hand: the relay restarted on the same path (its stale socket
# replaced), then the same command plus --postcopy-resume.
@test "post-copy: qemu relay SIGKILLed, restarted, resumed by hand (--postcopy-resume)" {
	fault_guest fp-qemu
	fault_postcopy_prepare "$G"
	fault_migrate_bg "$G" --p2p --postcopy --bandwidth "$BW"
	fault_postcopy_switch "$G"
	fault_kill_relay KILL qemu
	fault_migrate_wait
	fault_says_postcopy_failed
	[[ $MIG_OUT == *"run the same command with --postcopy-resume"* ]]
	fault_wait_reason "$G" src "paused (post-copy failed)" 10
	fault_wait_reason "$G" dst "running (post-copy failed)" 10
	# Refused while the sockets are down? No: libvirt would try and fail;
	# migsock only refuses what cannot be resumed at all.
	fault_relay_start qemu
	local t0
	t0=$(date +%s.%N)
	fault_resume "$G" --p2p --postcopy --postcopy-resume
	local took
	took=$(fault_since "$t0")
	[ "$RESUME_STATUS" -eq 0 ]
	[[ $RESUME_OUT == "migsock-migrate: migrated $G "* ]]
	fault_settled "$G"
	guest_verify "$G" dst
	fault_summary_postcopy dst "$took s"
}

# Resumed automatically: --recover waits (bounded) until the sockets accept
# again, resumes, and reports it in --json (attempts, recovered, seconds).
@test "post-copy: qemu relay SIGKILLed, restarted, resumed by --recover" {
	fault_guest fp-qauto
	fault_postcopy_prepare "$G"
	fault_migrate_bg "$G" --p2p --postcopy --bandwidth "$BW" --json \
		--recover 300 --recover-dir "$SRC_SOCKDIR_HOST"
	fault_postcopy_switch "$G"
	fault_kill_relay KILL qemu
	fault_wait_reason "$G" src "paused (post-copy failed)" 60
	# It waits for the socket, not for us: give it time to notice.
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '"event":"waiting"' "$POD_STATE/mig.out" && break
		sleep 0.1
	done
	grep -q '"event":"waiting"' "$POD_STATE/mig.out"
	sleep 2
	kill -0 "$MIG_PID"
	fault_relay_start qemu
	local t0
	t0=$(date +%s.%N)
	fault_migrate_wait
	local took
	took=$(fault_since "$t0")
	[ "$MIG_STATUS" -eq 0 ]
	local res
	res=$(grep '"type":"result"' <<<"$MIG_OUT")
	[ "$(jq -r .ok <<<"$res")" = true ]
	[ "$(jq -r .recovery.recovered <<<"$res")" = true ]
	[ "$(jq -r .recovery.attempts <<<"$res")" -ge 1 ]
	[ "$(jq -r '.recovery.seconds_since_sockets_back > 0' <<<"$res")" = true ]
	grep -q '"event":"postcopy-failed"' <<<"$MIG_OUT"
	grep -q '"event":"sockets-back"' <<<"$MIG_OUT"
	grep -q '"event":"recovered"' <<<"$MIG_OUT"
	fault_settled "$G"
	guest_verify "$G" dst
	fault_summary_postcopy dst "$took s (migsock: $(jq -r .recovery.seconds_since_sockets_back <<<"$res") s after the sockets came back, $(jq -r .recovery.attempts <<<"$res") attempt(s))"
}

# Paused on purpose (virsh domjobabort --postcopy): the source becomes
# "paused (post-copy failed)" as after a fault, and --postcopy-resume
# finishes it over the same sockets.
@test "post-copy: --abort-postcopy pauses it, --postcopy-resume finishes it" {
	fault_guest fp-pause
	fault_postcopy_prepare "$G"
	fault_migrate_bg "$G" --p2p --postcopy --bandwidth "$BW"
	fault_postcopy_switch "$G"
	run "$MIGSOCK_BIN/migsock-migrate" --abort-postcopy -c "$SRC_URI" "$G"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "migsock-migrate: paused the post-copy migration of $G: the source is paused (post-copy failed); finish it with the same migsock-migrate command plus --postcopy-resume" ]
	fault_migrate_wait
	fault_says_postcopy_failed
	fault_wait_reason "$G" src "paused (post-copy failed)" 10
	# Not in post-copy any more: a second pause is refused with the reason.
	run "$MIGSOCK_BIN/migsock-migrate" --abort-postcopy -c "$SRC_URI" "$G"
	[ "$status" -eq 6 ]
	[[ $output == *"$G is not migrating in post-copy on the source"* ]]
	local t0
	t0=$(date +%s.%N)
	fault_resume "$G" --p2p --postcopy --postcopy-resume
	local took
	took=$(fault_since "$t0")
	[ "$RESUME_STATUS" -eq 0 ]
	fault_settled "$G"
	guest_verify "$G" dst
	fault_summary_postcopy dst "$took s (paused on purpose, no relay restart)"
}

# The driver channel (the source daemon's connection to the destination
# daemon) cut in post-copy: libvirt on the source loses its peer and marks
# the post-copy failed even though QEMU's stream may go on; --recover
# reconnects once the relay is back. Whatever libvirt makes of it, the
# guest must end on the destination, intact.
@test "post-copy: driver relay SIGKILLed, restarted, --recover" {
	fault_guest fp-drv
	fault_postcopy_prepare "$G"
	fault_migrate_bg "$G" --p2p --postcopy --bandwidth "$BW" --json \
		--recover 300 --recover-dir "$SRC_SOCKDIR_HOST"
	fault_postcopy_switch "$G"
	fault_kill_relay KILL driver
	sleep 3
	fault_relay_start driver
	local t0
	t0=$(date +%s.%N)
	fault_migrate_wait
	local took
	took=$(fault_since "$t0")
	[ "$MIG_STATUS" -eq 0 ]
	local res
	res=$(grep '"type":"result"' <<<"$MIG_OUT")
	echo "recovery: $(jq -c .recovery <<<"$res")"
	fault_settled "$G"
	guest_verify "$G" dst
	fault_summary_postcopy dst "$took s (recovery: $(jq -c .recovery <<<"$res"))"
}

# The destination daemon killed in post-copy: in these pods its container
# goes with it, and with it the destination QEMU, which held the guest's
# newest memory. libvirt cannot recover that: the source copy is stale and
# stays paused (post-copy failed); the guest is lost. migsock exits 9 and
# says the destination lost the guest; --postcopy-resume is refused by
# preflight with the reason. The only way on is to destroy the source copy.
@test "post-copy: destination daemon killed: unrecoverable, said so" {
	fault_guest fp-dstd
	fault_postcopy_prepare "$G"
	fault_migrate_bg "$G" --p2p --postcopy --bandwidth "$BW"
	fault_postcopy_switch "$G"
	local pid
	pid=$(fault_ctr_pids dst libvirtd libvirtd)
	[ -n "$pid" ]
	kill -KILL "$pid"
	fault_migrate_wait
	fault_restart_container dst libvirtd "$DST_ROOT/run/libvirt/libvirt-sock"
	fault_says_postcopy_failed
	fault_wait_reason "$G" src "paused (post-copy failed)" 10
	[ -z "$(vsh dst domstate "$G" 2>/dev/null)" ]
	fault_resume "$G" --p2p --postcopy --postcopy-resume
	[ "$RESUME_STATUS" -eq 6 ]
	[[ $RESUME_OUT == *"$G is not running on the destination: the post-copy migration cannot be resumed"* ]]
	fault_summary_postcopy "lost (source paused post-copy failed, stale)" "n/a"
}

# A fault at switchover: the qemu relay killed while the source is in its
# final stop-and-copy (vCPUs paused by the migration: "paused (migrating)";
# a 60 s downtime limit makes QEMU stop early, with much left to send at
# 8 MiB/s). Pre-copy is not committed until the destination has it all:
# QEMU fails the migration, libvirt restarts the vCPUs on the source.
@test "fault: qemu relay SIGKILLed during the final stop-and-copy" {
	fault_guest fk-switch
	vsh src migrate-setmaxdowntime "$G" 60000 >/dev/null
	fault_migrate_bg "$G" --p2p --bandwidth "$BW"
	fault_wait_reason "$G" src "paused (migrating)" 180
	fault_kill_relay KILL qemu
	fault_migrate_wait
	fault_says_failed
	fault_on_source "$G"
	if [ -n "${FAULTS_SUMMARY:-}" ]; then
		echo "switchover | qemu relay killed in stop-and-copy | guest: src (resumed by libvirt)" >>"$FAULTS_SUMMARY"
	fi
	fault_retry "$G"
}

# --- no hang (issue 11) -------------------------------------------------------------

# A destination daemon that accepts and never answers: one line, exit 6,
# within --connect-timeout (the source is real and answers).
@test "no hang: a wedged destination daemon gives one line and exit 6" {
	local w=$POD_STATE/wedged.sock
	socat "UNIX-LISTEN:$w,fork" EXEC:'sleep 600' 3>&- &
	local wp=$!
	local i
	for ((i = 0; i < 50; i++)); do [ -S "$w" ] && break; sleep 0.1; done
	run timeout 60 "$MIGSOCK_BIN/migsock-migrate" -c "$SRC_URI" nosuchguest \
		--desturi "qemu+unix:///system?socket=$w" --migrateuri "unix://$SRC_SOCKDIR_HOST/q" \
		--connect-timeout 3
	kill "$wp"
	echo "$output"
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: the destination daemon at qemu+unix:///system?socket=$w did not answer within 3 s: it accepts connections but says nothing; check that it runs and is not stopped (virsh -c qemu+unix:///system?socket=$w uri), or raise --connect-timeout" ]
}

# A destination daemon wedged in the middle of a migration (SIGSTOP: a
# daemon stuck on a lock, a frozen container). The QEMUs go on streaming,
# but the client's connection to that daemon is silent: libvirt's
# keepalive (-k 2 -K 3 here, virsh's 5 and 6 by default) closes it, the
# migration call fails, and libvirt resumes the guest on the source. The
# daemon, woken afterwards, drops the incoming guest with the closed
# connection.
@test "no hang: a destination daemon stopped during the RAM phase ends the migration by keepalive, guest on the source" {
	fault_guest fk-wedge
	fault_migrate_bg "$G" --bandwidth "$BW" -k 2 -K 3
	fault_wait_phase "$G" ram
	local pid t0 i took
	pid=$(fault_ctr_pids dst libvirtd libvirtd)
	[ -n "$pid" ]
	kill -STOP "$pid"
	t0=$SECONDS
	for ((i = 0; i < 1200; i++)); do kill -0 "$MIG_PID" 2>/dev/null || break; sleep 0.1; done
	took=$((SECONDS - t0))
	kill -CONT "$pid"
	fault_migrate_wait
	echo "ended ${took}s after SIGSTOP"
	# Keepalive: 2 s + 3 probes 2 s apart, then the calls unwind.
	[ "$took" -lt 60 ]
	fault_says_failed
	fault_on_source "$G"
	if [ -n "${FAULTS_SUMMARY:-}" ]; then
		echo "no hang | destination daemon stopped in the RAM phase | ended after ${took}s, exit $MIG_STATUS, guest: src" >>"$FAULTS_SUMMARY"
	fi
	fault_retry "$G"
}

# SIGTERM in a hung --parallel migration (the qemu relay stopped, QEMU's
# multifd channels blocked in send): the client asks libvirt to abort and
# ends within ABORT_GRACE_S (10 s) + the time to read the guest's place,
# saying where the guest is.
@test "no hang: SIGTERM ends a hung --parallel migration within the bound, saying where the guest is" {
	fault_guest fk-par
	fault_migrate_bg "$G" --p2p --parallel --parallel-connections 2 --bandwidth "$BW"
	fault_wait_phase "$G" ram
	fault_kill_relay STOP qemu
	sleep 3
	local t0
	t0=$SECONDS
	kill -TERM "$MIG_PID"
	local i
	for ((i = 0; i < 400; i++)); do kill -0 "$MIG_PID" 2>/dev/null || break; sleep 0.1; done
	local took=$((SECONDS - t0))
	kill -CONT "$(relay_pid qemu)"
	fault_migrate_wait
	echo "ended ${took}s after SIGTERM"
	[ "$took" -le 25 ]
	[ "$MIG_STATUS" -eq 7 ] || [ "$MIG_STATUS" -eq 1 ]
	[[ $MIG_OUT == *"$G"*"source"* ]]
	if [ -n "${FAULTS_SUMMARY:-}" ]; then
		echo "no hang | SIGTERM in a hung --parallel migration | ended after ${took}s, exit $MIG_STATUS" >>"$FAULTS_SUMMARY"
	fi
	fault_settled "$G"
	guest_verify "$G" src
}
