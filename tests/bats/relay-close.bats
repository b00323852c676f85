#!/usr/bin/env bats
# tests/bats/relay-close.bats - full close vs half-close (issue 11): a peer
# that closed its socket entirely (EPOLLHUP) frees its relay connection as
# soon as what it sent is passed on, whatever the other side does. Half-close
# (shutdown, EPOLLRDHUP) keeps both ways working: relay.bats.
# Each test runs in its own subshell with its teardown: pids+=() is seen there.
# shellcheck disable=SC2030,SC2031
# d, rpid and waited_status are set by relay-lib.bash's functions.
# shellcheck disable=SC2154

load common
load relay-lib

setup() {
	relay_setup
}

teardown() {
	relay_teardown
}

# Connections logged as closed on channel $1.
closed_on() {
	grep -c "conn [0-9]* $1: .*, closed$" "$d/relay.log" || true
}

@test "relay-close: clients gone while the upstream is mute free their descriptors (nofile 64)" {
	mkdir "$d/l" "$d/u"
	printf 'mute mute 0600 -\necho echo 0600 -\n' >"$d/layout"
	# mute accepts and never reads, writes or closes: no probe connection.
	bg "$d/mute.log" "$HELPER" serve "$d/u/mute" mute
	bg "$d/echo.log" "$HELPER" serve "$d/u/echo" echo
	wait_for_socket "$d/u/echo"
	for _ in $(seq 50); do [ -S "$d/u/mute" ] && break; sleep 0.1; done
	relay_nofile=64 start_relay --layout "$d/layout" --listen-dir "$d/l" \
		--connect-dir "$d/u"
	local idle n=300 tries=300 closed refused
	idle=$(fd_count "$rpid")
	"$HELPER" client "$d/l/mute" connect-close "$n"
	# Each one is forwarded (connected upstream, then closed) or, if the
	# relay ran out of descriptors for a moment, refused; none is kept.
	# They send nothing, so the relay counts them without a log line
	# each: its figures (SIGUSR1) tell.
	local stats=''
	while ((tries-- > 0)); do
		kill -USR1 "$rpid"
		sleep 0.1
		stats=$(grep "stats mute: " "$d/relay.log" | tail -n 1)
		[[ $stats == *" 0 open, $n total,"* ]] && break
	done
	echo "$stats; the relay's log ends:" >&2
	grep -v ", closed$\|stats " "$d/relay.log" | tail -n 5 >&2
	[[ $stats == *" 0 open, $n total,"* ]]
	[[ $stats =~ ([0-9]+)\ refused$ ]]
	refused=${BASH_REMATCH[1]}
	closed=$((n - refused))
	((closed >= 64))
	wait_fds "$rpid" "$idle"
	# A normal client is served, and leaves nothing behind either.
	run "$HELPER" client "$d/l/echo" halfclose-up
	[ "$status" -eq 0 ]
	[ "$output" = ping ]
	wait_grep "$d/relay.log" "conn [0-9]* echo: .* 4 bytes up, 4 bytes down, .*closed"
	wait_fds "$rpid" "$idle"
	kill -0 "$rpid"
}

@test "relay-close: an upstream gone frees a client that stays open, after its last bytes" {
	bg "$d/up.log" "$HELPER" serve "$d/up" banner-close
	for _ in $(seq 50); do [ -S "$d/up" ] && break; sleep 0.1; done
	start_relay --listen "$d/l" --connect "$d/up"
	local idle
	idle=$(fd_count "$rpid")
	# The client never writes nor closes: the relay must not wait for it.
	bg "$d/client.out" "$HELPER" client "$d/l" read-hold
	local client=${pids[-1]}
	wait_grep "$d/relay.log" "0 bytes up, 7 bytes down, .*closed"
	[ "$(cat "$d/client.out")" = banner ]
	kill -0 "$client"
	wait_fds "$rpid" "$idle"
}
