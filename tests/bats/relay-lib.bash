# shellcheck shell=bash
# tests/bats/relay-lib.bash - helpers for tests/bats/relay*.bats: a scratch
# directory, background processes that teardown always stops, the relay
# started and awaited through --ready-fd, and the test peers (relay-helper).

HELPER=$MIGSOCK_BIN/../helpers/relay-helper
# Set here, read by the tests: the scratch directory, background pids, the
# relay's pid, the status wait_exit saw.
export d='' rpid='' waited_status=0
pids=()

relay_setup() {
	d=$(ms_tmpdir)
	pids=()
	if [ ! -x "$HELPER" ]; then
		echo "missing $HELPER: run make relay-helper (or make bats)" >&2
		return 1
	fi
}

# Stop everything (the relay by SIGTERM, so sanitizer builds run their
# exit checks), then fail the test if a sanitizer spoke in the relay's log.
# KEEP_D=1 keeps the scratch directory for a look after a failure.
relay_teardown() {
	local p rc=0
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if grep -qE 'Sanitizer|runtime error:' "$d/relay.log" 2>/dev/null; then
		cat "$d/relay.log" >&2
		rc=1
	fi
	[ -n "${KEEP_D:-}" ] || rm -rf "$d"
	return "$rc"
}

# Run a test peer in the background: bg OUTFILE CMD...
bg() {
	local out=$1
	shift
	"$@" >"$out" 2>&1 3>&- &
	pids+=($!)
}

# Start the relay with the given options; wait for its ready newline.
# Sets rpid; its stderr goes to $d/relay.log. With relay_nofile=N set, the
# relay runs with a descriptor limit of N (soft and hard: it cannot raise
# it).
start_relay() {
	local pre=()
	rm -f "$d/ready"
	[ -z "${relay_nofile:-}" ] || pre=(prlimit "--nofile=$relay_nofile:$relay_nofile" --)
	"${pre[@]}" "$MIGSOCK_BIN/migsock-relay" --ready-fd 9 "$@" 9>"$d/ready" \
		2>>"$d/relay.log" 3>&- &
	rpid=$!
	pids+=("$rpid")
	local tries=100
	while ((tries-- > 0)); do
		[ -s "$d/ready" ] && return 0
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.1
	done
	echo "relay did not get ready; its log:" >&2
	cat "$d/relay.log" >&2
	return 1
}

# Wait (up to $2 tenths of a second) for process $1 to exit; its status
# in $waited_status.
wait_exit() {
	local pid=$1 tries=${2:-100}
	while ((tries-- > 0)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			waited_status=0
			wait "$pid" || waited_status=$?
			return 0
		fi
		sleep 0.1
	done
	echo "process $pid still running" >&2
	return 1
}

# Wait until file $1 contains pattern $2 (up to $3 tenths of a second).
wait_grep() {
	local file=$1 pattern=$2 tries=${3:-100}
	while ((tries-- > 0)); do
		grep -q -- "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no '$pattern' in $file:" >&2
	cat "$file" >&2 2>/dev/null
	return 1
}

# Number of descriptors process $1 holds.
fd_count() {
	local fds=("/proc/$1/fd"/*)
	echo "${#fds[@]}"
}

# Wait until process $1 holds $2 descriptors (up to $3 tenths of a second).
wait_fds() {
	local pid=$1 want=$2 tries=${3:-100}
	while ((tries-- > 0)); do
		[ "$(fd_count "$pid")" -eq "$want" ] && return 0
		sleep 0.1
	done
	echo "process $pid holds $(fd_count "$pid") descriptors, not $want:" >&2
	ls -l "/proc/$pid/fd" >&2
	return 1
}
