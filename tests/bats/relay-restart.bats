#!/usr/bin/env bats
# tests/bats/relay-restart.bats - a relay restarted by its supervisor
# serves the same path again with no manual cleanup (issue 11), both ways
# migsock-relay(1) "Restart and recovery" describes:
#   - plain restart (a pod's restart policy, the demo's launcher, a shell
#     loop): SIGKILL leaves the socket file behind, stale; the next relay
#     replaces it; a client in the gap is refused;
#   - the listening socket held by the supervisor (systemd socket
#     activation; here migsock-bind in front of a restart loop, which keeps
#     fd 3 open like systemd does): the socket survives the relay, a client
#     in the gap waits in the backlog and is served by the next relay.
# shellcheck disable=SC2030,SC2031
# d, rpid and waited_status are set by relay-lib.bash's functions.
# shellcheck disable=SC2154

load common
load relay-lib

setup() {
	relay_setup
}

teardown() {
	touch "$d/stop" 2>/dev/null || true
	relay_teardown
}

# One line through the relay at $1, echoed back (bounded).
served() {
	[ "$(timeout 20 socat -t 5 - "UNIX-CONNECT:$1" <<<"hello $2")" = "hello $2" ]
}

@test "relay restart: SIGKILLed, started again on the same path, a client is served" {
	bg "$d/up.log" "$HELPER" serve "$d/up" echo
	wait_for_socket "$d/up"
	start_relay --listen "$d/relay" --connect "$d/up"
	served "$d/relay" one
	kill -KILL "$rpid"
	wait_exit "$rpid"
	# What SIGKILL leaves: the socket file, and nothing accepting on it.
	[ -S "$d/relay" ]
	run timeout 5 socat -u OPEN:/dev/null "UNIX-CONNECT:$d/relay"
	[ "$status" -ne 0 ]
	[[ $output == *"Connection refused"* ]]
	start_relay --listen "$d/relay" --connect "$d/up"
	served "$d/relay" two
}

@test "relay restart: the supervisor holds the socket, a client in the gap waits and is served" {
	bg "$d/up.log" "$HELPER" serve "$d/up" echo
	wait_for_socket "$d/up"
	# The supervisor: migsock-bind creates the socket and execs a loop that
	# keeps fd 3 and restarts the relay 2 s after it dies, passing fd 3 by
	# the socket-activation protocol (LISTEN_PID: the relay's own pid).
	# shellcheck disable=SC2016 # expanded by the supervisor's bash
	bg "$d/sup.log" "$MIGSOCK_BIN/migsock-bind" "$d/relay" -- bash -c '
		n=0
		while [ ! -e "$0/stop" ]; do
			n=$((n + 1))
			(echo "$BASHPID" >"$0/relay.pid.new"; mv "$0/relay.pid.new" "$0/relay.pid"
			 LISTEN_PID=$BASHPID exec "$1" --connect "$0/up" 2>>"$0/relay.log")
			echo "relay $n ended" >>"$0/sup.events"
			sleep 2
		done' "$d" "$MIGSOCK_BIN/migsock-relay"
	wait_grep "$d/relay.pid" '[0-9]'
	served "$d/relay" one
	local old
	old=$(cat "$d/relay.pid")
	kill -KILL "$old"
	wait_grep "$d/sup.events" "relay 1 ended"
	# In the gap: no relay runs, the socket is the supervisor's.
	[ "$(cat "$d/relay.pid")" = "$old" ]
	served "$d/relay" queued
	# The client was served by the next relay, not by a ghost of the old.
	[ "$(cat "$d/relay.pid")" != "$old" ]
	served "$d/relay" three
}
