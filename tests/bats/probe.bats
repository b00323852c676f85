#!/usr/bin/env bats
# tests/bats/probe.bats - migsock-probe against real sockets: accepting,
# and each reason it is not (no such file, not a socket, stale, permission
# denied, timeout), path errors, options.
# shellcheck disable=SC2030,SC2031

bats_require_minimum_version 1.5.0
load common

PROBE=$MIGSOCK_BIN/migsock-probe

setup() {
	d=$(ms_tmpdir)
	pids=()
}

teardown() {
	scratch_teardown
}

# A socket file nobody listens on: migsock-bind creates it and execs a
# program that exits without removing it.
stale_socket() {
	"$MIGSOCK_BIN/migsock-bind" "$1" -- true
	[ -S "$1" ]
}

@test "probe: --help lists every option of the option table, --version" {
	help_lists_options "$PROBE" "$TOP/src/probe/main.c"
}

@test "probe: bad command lines are one line and exit 2" {
	for args in "" "--frobnicate $d/s" "--timeout" "--timeout x $d/s" \
		"--timeout -1 $d/s" "$d/a $d/b"; do
		# shellcheck disable=SC2086
		run "$PROBE" $args
		echo "args: $args -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == migsock-probe:* ]]
	done
}

@test "probe: 0 when something accepts, silently" {
	socat UNIX-LISTEN:"$d/s",fork /dev/null 3>&- &
	pids+=($!)
	wait_for_socket "$d/s"
	run "$PROBE" "$d/s"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "probe: each reason it is not accepting, one line, exit 1" {
	run "$PROBE" "$d/none"
	[ "$status" -eq 1 ]
	[ "$output" = "migsock-probe: $d/none: no such file" ]

	echo x >"$d/file"
	run "$PROBE" "$d/file"
	[ "$status" -eq 1 ]
	[ "$output" = "migsock-probe: $d/file: not a socket" ]

	mkfifo "$d/fifo"
	run "$PROBE" "$d/fifo"
	[ "$status" -eq 1 ]
	[ "$output" = "migsock-probe: $d/fifo: not a socket" ]

	stale_socket "$d/stale"
	run "$PROBE" "$d/stale"
	[ "$status" -eq 1 ]
	[ "$output" = "migsock-probe: $d/stale: connection refused (stale socket: nothing listens)" ]

	run "$PROBE" -q "$d/stale"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "probe: permission denied, as an unprivileged user" {
	require_root
	chmod 0755 "$d"
	"$MIGSOCK_BIN/migsock-bind" --mode 0600 "$d/s" -- sleep 30 3>&- &
	pids+=($!)
	wait_for_socket "$d/s"
	run setpriv --reuid nobody --regid nogroup --clear-groups "$PROBE" "$d/s"
	[ "$status" -eq 1 ]
	[ "$output" = "migsock-probe: $d/s: permission denied" ]
	# A directory on the way that nobody may search.
	mkdir -m 0700 "$d/private"
	stale_socket "$d/private/s"
	run setpriv --reuid nobody --regid nogroup --clear-groups "$PROBE" "$d/private/s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"permission denied"* ]]
}

@test "probe: timeout when the listener never accepts and its queue is full" {
	"$MIGSOCK_BIN/migsock-bind" --backlog 1 "$d/q" -- sleep 30 3>&- &
	pids+=($!)
	local tries=50
	until [ -S "$d/q" ] || ((tries-- == 0)); do sleep 0.1; done
	"$PROBE" "$d/q"
	"$PROBE" "$d/q"
	run "$PROBE" --timeout 0.2 "$d/q"
	[ "$status" -eq 1 ]
	[ "$output" = "migsock-probe: $d/q: timeout after 0.2s (the listener does not accept)" ]
}

@test "probe: path errors exit 4" {
	run "$PROBE" "/$(printf 'a%.0s' $(seq 1 120))"
	[ "$status" -eq 4 ]
	[[ "$output" == *"is 121 bytes, the limit is 107: use a shorter directory" ]]
	run "$PROBE" "$d/.."
	[ "$status" -eq 4 ]
}

# --- --through: through a relay to its upstream ------------------------------

start_relay_for_probe() {
	"$MIGSOCK_BIN/migsock-relay" --listen "$d/l" --connect "$d/up" \
		--ready-fd 9 9>"$d/ready" 2>>"$d/relay.log" 3>&- &
	pids+=($!)
	rpid=$!
	local _
	for _ in $(seq 100); do [ -s "$d/ready" ] && return 0; sleep 0.1; done
	cat "$d/relay.log"
	return 1
}

@test "probe: --through fails while the relay's upstream is down, passes once it accepts" {
	start_relay_for_probe
	# The plain check passes: the relay's own socket accepts.
	run "$PROBE" "$d/l"
	[ "$status" -eq 0 ]
	run "$PROBE" --through "$d/l"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "migsock-probe: $d/l: the relay accepted, then closed the connection: its upstream does not accept (is the daemon behind it running?)" ]
	run "$PROBE" --through --quiet "$d/l"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# An upstream that accepts and waits for its client, like libvirtd.
	socat "UNIX-LISTEN:$d/up,fork" EXEC:cat 3>&- &
	pids+=($!)
	wait_for_socket "$d/up"
	run "$PROBE" --through --settle 0.3 "$d/l"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# Probes leave no line in the relay's log; of the three refused (the
	# plain probe's too: the relay tried the upstream for it), the first is
	# logged, the others counted in one line once the upstream accepts.
	kill -TERM "$rpid"
	wait "$rpid" || true
	cat "$d/relay.log"
	[ "$(grep -c ' conn ' "$d/relay.log")" -eq 1 ]
	grep -q "upstream accepts again (2 more refused connections were not logged)" "$d/relay.log"
}

@test "probe: --through passes when the upstream speaks first" {
	start_relay_for_probe
	# An upstream that greets and hangs up at once, like an NBD server
	# refusing: the greeting counts as reaching the upstream.
	socat "UNIX-LISTEN:$d/up,fork" SYSTEM:'echo hello' 3>&- &
	pids+=($!)
	wait_for_socket "$d/up"
	run "$PROBE" --through --settle 2 "$d/l"
	[ "$status" -eq 0 ]
}

@test "probe: --settle takes seconds with units, and is refused otherwise" {
	run "$PROBE" --through --settle soon "$d/l"
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-probe: --settle soon: expected seconds from 0 to 86400 (e.g. 5, 0.5, 250ms, 2m)" ]
}
