#!/usr/bin/env bats
# tests/bats/migrate-hang.bats - migsock-migrate never hangs on a daemon
# that accepts connections and never answers (issue 11): a silent socket
# (socat keeping each connection open, reading nothing) stands in for a
# wedged or stopped libvirt daemon. No VMs, no root. The destination case
# needs a source that answers: tests/e2e/faults.bats.

load common

setup() {
	d=$(ms_tmpdir)
	socat "UNIX-LISTEN:$d/wedged,fork" EXEC:'sleep 600' 3>&- &
	wpid=$!
	wait_for_socket "$d/wedged"
	W="qemu+unix:///system?socket=$d/wedged"
	M=$MIGSOCK_BIN/migsock-migrate
}

teardown() {
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	rm -rf "$d"
}

@test "migrate: a wedged source daemon gives one line and exit 6 within --connect-timeout" {
	local t0=$SECONDS
	run timeout 60 "$M" -c "$W" g --desturi "$W" --migrateuri "unix://$d/q" --connect-timeout 2
	echo "$output"
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: the source daemon at $W did not answer within 2 s: it accepts connections but says nothing; check that it runs and is not stopped (virsh -c $W uri), or raise --connect-timeout" ]
	[ $((SECONDS - t0)) -le 20 ]
}

@test "migrate: --json gets a result object from the connect timeout too" {
	run timeout 60 "$M" -c "$W" g --desturi "$W" --migrateuri "unix://$d/q" --connect-timeout 1 --json
	[ "$status" -eq 6 ]
	local res
	res=$(grep '^{' <<<"$output")
	[ "$(jq -r .exit_code <<<"$res")" = 6 ]
	[ "$(jq -r .ok <<<"$res")" = false ]
	[[ $(jq -r .error <<<"$res") == "the source daemon at $W did not answer within 1 s: "* ]]
}

@test "migrate: SIGTERM while a wedged daemon is being reached ends the client at once" {
	"$M" -c "$W" g --desturi "$W" --migrateuri "unix://$d/q" 3>&- &
	local pid=$! i
	# Until it is connected and waiting for the daemon's answer.
	for ((i = 0; i < 100; i++)); do
		[ -n "$(pgrep -P "$wpid")" ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
}

@test "migrate --abort-postcopy: a wedged source daemon gives one line and exit 6" {
	run timeout 60 "$M" --abort-postcopy -c "$W" g --connect-timeout 2
	echo "$output"
	[ "$status" -eq 6 ]
	[[ $output == "migsock-migrate: the source daemon at $W did not answer within 2 s: "* ]]
	[ "$(wc -l <<<"$output")" -eq 1 ]
}

@test "migrate: recovery options refused up front with the reason, exit 2" {
	run "$M" -c "$W" g --desturi "$W" --migrateuri "unix://$d/q" --postcopy-resume
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --postcopy-resume resumes a failed post-copy migration: repeat the original command with --postcopy --postcopy-resume" ]
	run "$M" -c "$W" g --desturi "$W" --migrateuri "unix://$d/q" --recover 30
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --recover SEC resumes a post-copy migration that failed: add --postcopy" ]
	run "$M" -c "$W" g --p2p --tunnelled --desturi "$W" --postcopy --postcopy-resume
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --tunnelled cannot carry --postcopy: drop one of them" ]
}
