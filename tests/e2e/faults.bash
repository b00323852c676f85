# shellcheck shell=bash
# tests/e2e/faults.bash - fault injection around a live migration between
# the pods (tests/e2e/faults.bats): relays per channel that a test can
# kill, phase detection from the source's job stats, restarting a pod's
# daemon or sidecar, and the checks every fault case ends with.
#
# The bridged pods run one relay process for every channel in the src
# sidecar. To hit one channel at a time, faults_relays_split replaces that
# sidecar with three host-run migsock-relay processes, one per channel
# (--layout --channels NAME), over the same two socket directories: the
# same binary and mode the sidecar runs, split so each can be killed.

# shellcheck source=tests/e2e/e2e.bash
. "$(dirname "${BASH_SOURCE[0]}")/e2e.bash"
# shellcheck source=sockets/layout.sh
. "$E2E_TOP/sockets/layout.sh"

FAULT_CHANNELS=(driver qemu nbd)

# The pid of channel $1's host relay (kept in a file: bats runs setup_file
# and each test in different processes).
relay_pid() {
	cat "$POD_STATE/log/relay-$1.pid" 2>/dev/null || echo 0
}

# Container id of a pod's role (libvirtd or sidecar).
fault_ctr() {
	echo "${SRC_CTR%-src-libvirtd}-$1-$2"
}

# Host pids of the processes of container $1-$2 named $3 (comm).
fault_ctr_pids() {
	local pid
	for pid in $(runc --root "$RUNC_ROOT" ps --format json "$(fault_ctr "$1" "$2")" | jq -r '.[]'); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$3" ] && echo "$pid"
	done
	return 0
}

# Stop the src sidecar (the bridge relay) and serve each channel with its
# own host-run relay instead.
faults_relays_split() {
	local id
	id=$(fault_ctr src sidecar)
	runc --root "$RUNC_ROOT" kill "$id" TERM 2>/dev/null || true
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(runc --root "$RUNC_ROOT" state "$id" 2>/dev/null | jq -r .status)" = running ] || break
		sleep 0.1
	done
	runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
	for i in "${FAULT_CHANNELS[@]}"; do
		fault_relay_start "$i" || return
	done
}

# Start the host relay of channel $1; ready when it says so on --ready-fd.
fault_relay_start() {
	local ch=$1 ready
	ready=$POD_STATE/log/relay-$ch.ready
	: >"$ready"
	"$MIGSOCK_BIN/migsock-relay" --layout "$MIGSOCK_LAYOUT" --channels "$ch" \
		--listen-dir "$SRC_SOCKDIR_HOST" --connect-dir "$DST_SOCKDIR_HOST" \
		--drain-timeout 30 --ready-fd 3 \
		3>"$ready" >/dev/null 2>>"$POD_STATE/log/relay-$ch.log" &
	echo $! >"$POD_STATE/log/relay-$ch.pid"
	local i
	for ((i = 0; i < 300; i++)); do
		if [ -s "$ready" ]; then
			relay_fds "$ch" >"$POD_STATE/log/relay-$ch.idle-fds"
			return 0
		fi
		pid_running "$(relay_pid "$ch")" || break
		sleep 0.1
	done
	echo "faults: the $ch relay did not come up: $(tail -n 3 "$POD_STATE/log/relay-$ch.log")" >&2
	return 1
}

# Open descriptors of channel $1's relay.
relay_fds() {
	find "/proc/$(relay_pid "$1")/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# fault_target CH...: this case kills (or stops) channel CH's relay on
# purpose. Any other relay that dies fails the case (fault_relays_idle,
# fault_relays_heal, fault_relays_check); only targets are restarted.
fault_target() {
	local ch
	for ch in "$@"; do
		echo "$ch" >>"$POD_STATE/log/fault-targets"
	done
}

fault_is_target() {
	grep -qx "$1" "$POD_STATE/log/fault-targets" 2>/dev/null
}

# fault_kill_relay SIG CH: send SIG to channel CH's relay, as the fault.
fault_kill_relay() {
	fault_target "$2"
	kill -"$1" "$(relay_pid "$2")"
}

# Every relay that is not a target of this case still runs.
fault_relays_check() {
	local ch bad=0
	for ch in "${FAULT_CHANNELS[@]}"; do
		if ! pid_running "$(relay_pid "$ch")" && ! fault_is_target "$ch"; then
			echo "faults: the $ch relay died, and it was not this case's target: $(tail -n 3 "$POD_STATE/log/relay-$ch.log")" >&2
			bad=1
		fi
	done
	return "$bad"
}

# Every relay is back to the descriptors it had when idle: the
# connections of the failed migration are closed on both sides. A dead
# relay fails unless it is this case's target (then there is nothing to
# count).
fault_relays_idle() {
	local ch idle i
	fault_relays_check || return
	for ch in "${FAULT_CHANNELS[@]}"; do
		pid_running "$(relay_pid "$ch")" || continue
		idle=$(cat "$POD_STATE/log/relay-$ch.idle-fds")
		for ((i = 0; i < 100; i++)); do
			[ "$(relay_fds "$ch")" -le "$idle" ] && break
			sleep 0.1
		done
		if [ "$(relay_fds "$ch")" -gt "$idle" ]; then
			echo "faults: the $ch relay holds $(relay_fds "$ch") descriptors, $idle when idle" >&2
			return 1
		fi
	done
}

# Restart the relays this case (or the last one) killed on purpose; a
# relay that died without being a target fails instead of being hidden.
fault_relays_heal() {
	fault_relays_check || return
	fault_relays_restart
}

# Start every relay that is not running, stopped ones continue.
fault_relays_restart() {
	local ch
	for ch in "${FAULT_CHANNELS[@]}"; do
		kill -CONT "$(relay_pid "$ch")" 2>/dev/null || true
		if ! pid_running "$(relay_pid "$ch")"; then
			fault_relay_start "$ch" || return
		fi
	done
}

# After a case: no untargeted relay died (else the case fails); every
# relay runs again and the targets list starts empty for the next case.
fault_relays_done() {
	local rc=0
	fault_relays_check || rc=1
	fault_relays_restart || rc=1
	rm -f "$POD_STATE/log/fault-targets"
	return "$rc"
}

# Stop the host relays (SIGTERM, then wait until gone): for teardown_file.
fault_relays_stop() {
	local ch pid i
	for ch in "${FAULT_CHANNELS[@]}"; do
		pid=$(relay_pid "$ch")
		kill -CONT "$pid" 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			pid_running "$pid" || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		rm -f "$POD_STATE/log/relay-$ch.pid"
	done
}

# Sanitizer reports in the host relays' logs.
fault_relay_reports() {
	local f bad=0
	for f in "$POD_STATE"/log/relay-*.log; do
		[ -f "$f" ] || continue
		if grep -Eq 'ERROR: [A-Za-z]+Sanitizer|Sanitizer:DEADLYSIGNAL|runtime error:' "$f"; then
			cat "$f" >&2
			bad=1
		fi
	done
	return "$bad"
}

# --- a migration in the background -------------------------------------------

# fault_migrate_bg NAME ARGS...: migsock-migrate in the background (live,
# storage copy, throttled by --bandwidth so a fault lands mid-way); its
# output goes to $POD_STATE/mig.out, its pid to MIG_PID.
fault_migrate_bg() {
	local name=$1
	shift
	guest_mark "$name" src || return
	"$MIGSOCK_BIN/migsock-migrate" -c "$SRC_URI" "$name" --dir "$SOCKDIR" \
		--dest-connect "$DST_URI" --live --copy-storage-all --no-progress \
		"$@" >"$POD_STATE/mig.out" 2>&1 3>&- &
	MIG_PID=$!
}

# Wait for the migration started by fault_migrate_bg; MIG_STATUS, MIG_OUT.
fault_migrate_wait() {
	MIG_STATUS=0
	wait "$MIG_PID" || MIG_STATUS=$?
	MIG_OUT=$(cat "$POD_STATE/mig.out")
	echo "migsock-migrate exit $MIG_STATUS: $MIG_OUT"
	# FAULTS_SUMMARY=FILE collects what the user saw, case by case.
	if [ -n "${FAULTS_SUMMARY:-}" ]; then
		printf '%s | exit %s | %s\n' "${BATS_TEST_DESCRIPTION:-?}" "$MIG_STATUS" \
			"$(tr '\n' ' ' <<<"$MIG_OUT")" >>"$FAULTS_SUMMARY"
	fi
}

# The user is told, in one line, that the migration of $G failed (exit 1);
# libvirt's reason follows the prefix.
fault_says_failed() {
	if [ "$MIG_STATUS" -ne 1 ] || [[ $MIG_OUT != "migsock-migrate: migration of $G failed: "* ]] ||
		[ "$(wc -l <<<"$MIG_OUT")" -ne 1 ]; then
		echo "faults: expected exit 1 and one line 'migsock-migrate: migration of $G failed: ...'" >&2
		return 1
	fi
}

# fault_wait_phase NAME nbd|ram [SECONDS]: wait until the source's job
# stats show the disk copy (file/disk bytes moving, no memory yet) or the
# RAM phase (memory bytes moving). Fails if the job ends first.
fault_wait_phase() {
	local name=$1 phase=$2 secs=${3:-120} info deadline
	deadline=$((SECONDS + secs))
	while ((SECONDS < deadline)); do
		info=$(vsh src domjobinfo "$name" 2>/dev/null) || true
		case $phase in
		nbd)
			if grep -Eq '^(File|Disk) processed: +[1-9]' <<<"$info" &&
				! grep -Eq '^Memory processed: +[1-9]' <<<"$info"; then
				return 0
			fi
			;;
		ram)
			grep -Eq '^Memory processed: +[1-9]' <<<"$info" && return 0
			;;
		esac
		if ! kill -0 "$MIG_PID" 2>/dev/null; then
			echo "faults: the migration ended before its $phase phase" >&2
			return 1
		fi
		sleep 0.2
	done
	echo "faults: no $phase phase within ${secs}s" >&2
	return 1
}

# --- after the fault -----------------------------------------------------------

# fault_settled NAME: the outcome is final on both sides: no migration job
# on src, and nothing of NAME on dst unless it runs there.
fault_settled() {
	local name=$1 i job dst
	for ((i = 0; i < 150; i++)); do
		job=$(vsh src domjobinfo "$name" 2>/dev/null | awk '/^Job type:/ { print $3 }')
		dst=$(vsh dst domstate "$name" 2>/dev/null | head -n1)
		if [ "${job:-None}" = None ] && { [ -z "$dst" ] || [ "$dst" = running ]; }; then
			return 0
		fi
		sleep 0.2
	done
	echo "faults: $name not settled: src job '$job', dst state '$dst'" >&2
	return 1
}

# fault_on_source NAME: the migration failed cleanly: the guest runs on src
# with its RAM, counter and disks intact, is gone from dst, and dst's socket
# directory holds nothing live but the sidecar's driver socket.
# libvirt/QEMU: the destination QEMU's listening sockets (test-sock-qemu,
# and test-sock-nbd when the NBD server was not stopped) stay behind as
# stale sockets when libvirt kills that QEMU; nothing accepts on them and
# the next destination QEMU replaces them (fault_retry proves it), so a
# stale one is reported, not failed.
fault_on_source() {
	local name=$1 f out
	fault_settled "$name" || return
	guest_verify "$name" src || return
	fault_relays_idle || return
	while IFS= read -r f; do
		if [ -S "$f" ] && { [ "${f##*/}" = "$(layout_get qemu name)" ] ||
			[ "${f##*/}" = "$(layout_get nbd name)" ]; } &&
			out=$("$MIGSOCK_BIN/migsock-probe" "$f" 2>&1; true) &&
			[[ $out == *"stale socket"* ]]; then
			echo "note: stale $f left by the destination QEMU (libvirt/QEMU behaviour)"
			continue
		fi
		echo "faults: left in dst's socket directory: $f" >&2
		return 1
	done < <(find "$DST_SOCKDIR_HOST" -mindepth 1 ! -name "$(layout_get driver name)")
}

# fault_retry NAME: with the fault cleared, the same guest migrates (full
# speed) and arrives intact.
fault_retry() {
	local name=$1
	fault_relays_heal || return
	guest_mark "$name" src || return
	local out rc=0
	out=$("$MIGSOCK_BIN/migsock-migrate" -c "$SRC_URI" "$name" --dir "$SOCKDIR" \
		--dest-connect "$DST_URI" --live --copy-storage-all --no-progress 2>&1 3>&-) || rc=$?
	echo "retry: exit $rc: $out"
	[ "$rc" -eq 0 ] || return 1
	guest_verify "$name" dst
}

# fault_cleanup NAME: destroy the guest wherever it is (CPU for the next).
fault_cleanup() {
	vsh src destroy "$1" >/dev/null 2>&1 || true
	vsh dst destroy "$1" >/dev/null 2>&1 || true
	vsh src undefine "$1" >/dev/null 2>&1 || true
	vsh dst undefine "$1" >/dev/null 2>&1 || true
	rm -f "$SRC_ROOT/var/lib/libvirt/images/$1"-* "$DST_ROOT/var/lib/libvirt/images/$1"-*
}

# --- restarting pod parts ---------------------------------------------------------

# fault_restart_container POD ROLE [SOCKET]: delete the (dead) container
# and run it again from its bundle; wait until libvirt answers at SOCKET.
fault_restart_container() {
	local pod=$1 role=$2 sock=${3:-} id i
	id=$(fault_ctr "$pod" "$role")
	runc --root "$RUNC_ROOT" kill "$id" KILL 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[ "$(runc --root "$RUNC_ROOT" state "$id" 2>/dev/null | jq -r .status)" = running ] || break
		sleep 0.1
	done
	runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
	runc --root "$RUNC_ROOT" run --detach --bundle "$POD_STATE/$pod/$role" "$id" \
		</dev/null >>"$POD_STATE/log/$pod-$role.log" 2>&1 || return
	[ -n "$sock" ] || return 0
	for ((i = 0; i < 600; i++)); do
		virsh -q -c "qemu+unix:///system?socket=$sock" uri >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "faults: nothing answers at $sock after restarting $id" >&2
	return 1
}

# --- post-copy -------------------------------------------------------------------

# fault_postcopy_prepare NAME: let post-copy take a while (1 MiB/s) so a
# fault lands in it (QEMU's post-copy bandwidth is unlimited by default).
fault_postcopy_prepare() {
	vsh src migrate-setspeed "$1" 1 --postcopy >/dev/null
}

# fault_postcopy_switch NAME: once the RAM phase runs, switch the running
# migration to post-copy (libvirt refuses while the disk mirror is not in
# sync: retry), then wait until the source says "paused (post-copy)".
fault_postcopy_switch() {
	local name=$1 deadline
	fault_wait_phase "$name" ram || return
	deadline=$((SECONDS + 120))
	until vsh src migrate-postcopy "$name" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)) || ! kill -0 "$MIG_PID" 2>/dev/null; then
			echo "faults: could not switch $name to post-copy" >&2
			return 1
		fi
		sleep 0.2
	done
	fault_wait_reason "$name" src "paused (post-copy)" 60 || return
	fault_postcopy_settle "$name"
}

# fault_postcopy_settle NAME: wait until the destination stopped asking for
# pages (the source's "Postcopy requests" unchanged over 8 samples, ~2 s;
# at most 60 s):
# the guest's working set has moved. Killed earlier, the destination's TCG
# vCPU may be waiting for a page while holding QEMU's big lock; its monitor
# then cannot answer and libvirt 9.0 cannot resume (it does not send
# migrate-recover out-of-band). That case is the RECOVERY section of
# migsock-migrate(1); the rows here test what can be recovered.
fault_postcopy_settle() {
	local name=$1 deadline req info last='' same=0
	deadline=$((SECONDS + 60))
	while ((SECONDS < deadline)); do
		# virsh leaves the line out while the count is 0.
		info=$(vsh src domjobinfo "$name" 2>/dev/null) || info=
		grep -q '^Job type: *Unbounded' <<<"$info" || {
			echo "faults: no migration job on src for $name" >&2
			return 1
		}
		req=$(awk -F: '/^Postcopy requests/ { gsub(/ /, "", $2); print $2 }' <<<"$info")
		req=${req:-0}
		if [ "$req" = "$last" ]; then
			((++same >= 8)) && return 0
		else
			same=0
		fi
		last=$req
		sleep 0.2
	done
	echo "faults: $name kept requesting pages for 60 s (last: $last)" >&2
	return 1
}

# fault_wait_reason NAME src|dst STATE [SECONDS]: domstate --reason says STATE.
fault_wait_reason() {
	local name=$1 side=$2 want=$3 secs=${4:-60} deadline st=
	deadline=$((SECONDS + secs))
	while ((SECONDS < deadline)); do
		st=$(vsh "$side" domstate "$name" --reason 2>/dev/null | head -n1)
		[ "$st" = "$want" ] && return 0
		sleep 0.1
	done
	echo "faults: $name is '$st' on $side, waited ${secs}s for '$want'" >&2
	return 1
}

# The migration failed in post-copy and migsock says so: exit 9, one line.
fault_says_postcopy_failed() {
	if [ "$MIG_STATUS" -ne 9 ] ||
		[[ $MIG_OUT != "migsock-migrate: migration of $G failed in post-copy "* ]] ||
		[ "$(grep -c '^migsock-migrate: migration of' <<<"$MIG_OUT")" -ne 1 ]; then
		echo "faults: expected exit 9 and 'migsock-migrate: migration of $G failed in post-copy ...'" >&2
		return 1
	fi
}

# fault_summary_postcopy WHERE SECONDS: the faults summary gets the guest's
# final place and the time from the relay's restart to completion.
fault_summary_postcopy() {
	[ -n "${FAULTS_SUMMARY:-}" ] || return 0
	printf 'post-copy | %s | guest: %s | relay restart to completion: %s\n' \
		"${BATS_TEST_DESCRIPTION:-?}" "$1" "$2" >>"$FAULTS_SUMMARY"
}

# fault_resume NAME ARGS...: the same migration again with
# --postcopy-resume (in the foreground); RESUME_STATUS, RESUME_OUT.
fault_resume() {
	local name=$1
	shift
	RESUME_STATUS=0
	# Bounded: on SIGTERM migsock-migrate ends within 30 s (its man page).
	RESUME_OUT=$(timeout -s TERM 300 "$MIGSOCK_BIN/migsock-migrate" -c "$SRC_URI" "$name" --dir "$SOCKDIR" \
		--dest-connect "$DST_URI" --live --copy-storage-all --no-progress \
		"$@" 2>&1 3>&-) || RESUME_STATUS=$?
	echo "resume: exit $RESUME_STATUS: $RESUME_OUT"
}

# Seconds (one decimal) since the epoch time $1 (date +%s.%N).
fault_since() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}
