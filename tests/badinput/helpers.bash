# shellcheck shell=bash
# tests/badinput/helpers.bash - what catalogue rows use in setup:, run: and
# check: (sourced by each row's script, in its scratch directory $D).
#
# Scenario functions (sc_*) play a whole situation around a running
# migsock-relay: they start it, do harm to it through its sockets, stop it
# with SIGTERM, print its stderr to their stderr and return its exit code,
# so the row checks the relay's own words and exit like any command's.
# A scenario's own findings (data damaged, relay dead, memory unbounded)
# print "scenario: ..." and return 98, which no row expects.

# D (the scratch directory) is set by the row script that sources this.
# shellcheck disable=SC2154

badinput_sockets() {
	find "$1" -type s 2>/dev/null | sort
}

# A name of @1 bytes ("aaa...").
long_name() {
	head -c "$1" /dev/zero | tr '\0' a
}

# A socket the scenario's own helpers create (not the binary under test):
# exempt from the "no socket left behind" check.
helper_socket() {
	echo "$1" >>"$D/.helper-sockets"
}

# Start a command in the background; its pid goes to $D/.pids for teardown.
bg() {
	"$@" &
	echo $! >>"$D/.pids"
}

wait_socket() {
	local tries=100
	until [ -S "$1" ] && socat -u OPEN:/dev/null "UNIX-CONNECT:$1" 2>/dev/null; do
		((tries-- > 0)) || { echo "scenario: nothing listens at $1" >&2; return 1; }
		sleep 0.1
	done
}

# A live socket at @1: something accepts (and discards) connections.
live_socket() {
	bg socat -u "UNIX-LISTEN:$1,fork,unlink-early" /dev/null
	wait_socket "$1"
}

# A stale socket at @1: a socket file nobody accepts on any more.
stale_socket() {
	local pid
	socat -u "UNIX-LISTEN:$1,unlink-close=0" /dev/null &
	pid=$!
	while [ ! -S "$1" ]; do sleep 0.05; done
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
}

# A layout file @1 holding the rest of the arguments, one line each.
layout_file() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
}

# --- a relay under test ---------------------------------------------------

RELAY_PID=

# relay_start ARGS: migsock-relay --listen $D/l --connect $D/up ARGS, ready.
relay_start() {
	helper_socket "$D/up"
	: >"$D/.ready"
	migsock-relay --listen "$D/l" --connect "$D/up" --ready-fd 3 "$@" \
		3>"$D/.ready" 2>"$D/.relay.err" &
	RELAY_PID=$!
	echo "$RELAY_PID" >>"$D/.pids"
	local tries=300
	while [ ! -s "$D/.ready" ]; do
		if ! kill -0 "$RELAY_PID" 2>/dev/null; then
			cat "$D/.relay.err" >&2
			echo "scenario: the relay exited before it was ready" >&2
			return 98
		fi
		((tries-- > 0)) || { echo "scenario: relay not ready after 30 s" >&2; return 98; }
		sleep 0.1
	done
}

relay_alive() {
	kill -0 "$RELAY_PID" 2>/dev/null || { echo "scenario: the relay died" >&2; return 1; }
}

# Stop the helpers (upstreams, clients), then SIGTERM the relay, print its
# stderr, return its exit code.
relay_stop() {
	local rc=0 pid
	while read -r pid; do
		[ "$pid" = "$RELAY_PID" ] || kill -TERM "$pid" 2>/dev/null || true
	done <"$D/.pids"
	kill -TERM "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" || rc=$?
	cat "$D/.relay.err" >&2
	return "$rc"
}

# Kill the relay (a scenario failed) and return 98 with its log.
relay_abandon() {
	kill -KILL "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	cat "$D/.relay.err" >&2
	return 98
}

relay_kib() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$RELAY_PID/status"
}

# One round trip through the relay to an upstream echo: proves it serves.
relay_serves() {
	# A fresh echo upstream; removing any earlier one first, so the wait
	# below cannot see the old socket in the moment socat replaces it.
	rm -f "$D/up"
	bg socat "UNIX-LISTEN:$D/up,unlink-early" EXEC:cat
	wait_for_file "$D/up" || return 1
	relay_echoes
}

# relay_echoes: a line sent through the relay comes back from the echo
# upstream that is already listening.
relay_echoes() {
	local got
	got=$(printf 'ping\n' | timeout 10 socat -t 2 - "UNIX-CONNECT:$D/l")
	[ "$got" = ping ] || { echo "scenario: the relay no longer forwards (got '$got')" >&2; return 1; }
}

# wait_listening PATH: until a socket listens at PATH, read from
# /proc/net/unix (flag __SO_ACCEPTCON): no probe connection, which a
# one-shot listener would take for its client.
wait_listening() {
	local tries=200
	until awk -v p="$1" '$4 == "00010000" && $NF == p { f = 1 } END { exit !f }' /proc/net/unix; do
		((tries-- > 0)) || { echo "scenario: nothing listens at $1" >&2; return 1; }
		sleep 0.05
	done
}

# wait_pid PID [SEC]: until the background process PID (a child of this
# shell) has exited, up to SEC (default 10) seconds.
wait_pid() {
	local tries=$((${2:-10} * 20))
	while kill -0 "$1" 2>/dev/null; do
		((tries-- > 0)) || { echo "scenario: process $1 still running" >&2; return 1; }
		sleep 0.05
	done
	wait "$1" 2>/dev/null || true
}

wait_for_file() {
	local tries=100
	until [ -e "$1" ]; do
		((tries-- > 0)) || { echo "scenario: $1 never appeared" >&2; return 1; }
		sleep 0.05
	done
}

# --- scenarios: data on the relay's sockets ------------------------------

# 4 MiB of random bytes each way (client->upstream, then upstream->client):
# a byte forwarder forwards garbage exactly.
sc_garbage_both_ways() {
	head -c 4M /dev/urandom >"$D/garbage"
	relay_start || return
	local up
	bg socat -u "UNIX-LISTEN:$D/up,unlink-early" "CREATE:$D/got-up"
	up=$!
	wait_listening "$D/up" || relay_abandon || return
	timeout 20 socat -u "OPEN:$D/garbage" "UNIX-CONNECT:$D/l"
	# The upstream has it all once it saw the end and exited.
	wait_pid "$up" || relay_abandon || return
	cmp -s "$D/garbage" "$D/got-up" || { echo "scenario: garbage client->upstream not forwarded intact" >&2; relay_abandon; return; }
	bg socat -u "OPEN:$D/garbage" "UNIX-LISTEN:$D/up,unlink-early"
	wait_listening "$D/up" || relay_abandon || return
	timeout 20 socat -u "UNIX-CONNECT:$D/l" "CREATE:$D/got-down"
	cmp -s "$D/garbage" "$D/got-down" || { echo "scenario: garbage upstream->client not forwarded intact" >&2; relay_abandon; return; }
	rm -f "$D/garbage" "$D/got-up" "$D/got-down"
	relay_stop
}

# A client pushes 1 GiB at an upstream that never reads: the relay must
# apply backpressure (bounded memory), not buffer it.
sc_oversized_no_reader() {
	relay_start || return
	bg socat -u "UNIX-LISTEN:$D/up,unlink-early" SYSTEM:"sleep 60"
	wait_for_file "$D/up" || relay_abandon || return
	local before after pid
	before=$(relay_kib VmRSS)
	head -c 1G /dev/zero | socat -u - "UNIX-CONNECT:$D/l" &
	pid=$!
	sleep 3
	after=$(relay_kib VmHWM)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	relay_alive || relay_abandon || return
	if [ "$after" -gt $((before + 32768)) ]; then
		echo "scenario: relay memory grew from $before KiB to $after KiB for a stuck peer" >&2
		relay_abandon
		return
	fi
	relay_stop
}

# A client that vanishes mid-stream with unread data (the upstream is
# sending 64 MiB; the client reads 1 KiB and exits): both sides closed,
# the relay keeps serving.
sc_truncated_client() {
	relay_start || return
	bg socat -u OPEN:/dev/zero,readbytes=67108864 "UNIX-LISTEN:$D/up,unlink-early"
	wait_for_file "$D/up" || relay_abandon || return
	timeout 20 socat -u "UNIX-CONNECT:$D/l" - 2>/dev/null | head -c 1024 >/dev/null
	sleep 0.5
	relay_alive || relay_abandon || return
	relay_serves || relay_abandon || return
	relay_stop
}

# An upstream that closes at once, mid-request: the client gets EOF.
sc_upstream_hangs_up() {
	relay_start || return
	bg socat -u "UNIX-LISTEN:$D/up,unlink-early,fork" SYSTEM:"head -c 10"
	wait_for_file "$D/up" || relay_abandon || return
	head -c 1M /dev/urandom | timeout 20 socat -t 2 - "UNIX-CONNECT:$D/l" >/dev/null 2>&1
	relay_alive || relay_abandon || return
	relay_stop
}

# Nothing at the upstream path: the client is closed, the relay says why
# and keeps running.
sc_upstream_missing() {
	relay_start "$@" || return
	local got
	got=$(printf 'hello' | timeout 10 socat -t 2 - "UNIX-CONNECT:$D/l" 2>/dev/null)
	[ -z "$got" ] || { echo "scenario: got data from nowhere" >&2; relay_abandon; return; }
	relay_alive || relay_abandon || return
	relay_stop
}

# 300 clients connect and drop at once without sending: nothing leaks, the
# relay still serves.
sc_connect_storm() {
	relay_start || return
	bg socat "UNIX-LISTEN:$D/up,unlink-early,fork" EXEC:cat
	wait_for_file "$D/up" || relay_abandon || return
	local _
	for _ in $(seq 300); do
		socat -u OPEN:/dev/null "UNIX-CONNECT:$D/l" 2>/dev/null &
	done
	wait_children_except "$RELAY_PID"
	relay_alive || relay_abandon || return
	relay_echoes || relay_abandon || return
	relay_stop
}

# Wait for every background child but the relay and the helpers in .pids.
wait_children_except() {
	local pid
	for pid in $(jobs -p); do
		grep -qx "$pid" "$D/.pids" || wait "$pid" 2>/dev/null || true
	done
}

# --- scenarios: limits -----------------------------------------------------

# The relay runs with RLIMIT_NOFILE @1 and 30 clients hold connections: it
# must refuse what it cannot serve, not crash or spin, and serve again once
# they leave.
sc_nofile_exhausted() {
	local limit=$1 _
	RELAY_PREFIX=(prlimit "--nofile=$limit:$limit")
	relay_start_prefixed --max-conns 4096 || return
	bg socat "UNIX-LISTEN:$D/up,unlink-early,fork" EXEC:cat
	wait_for_file "$D/up" || relay_abandon || return
	for _ in $(seq 30); do
		(sleep 3 | socat - "UNIX-CONNECT:$D/l" >/dev/null 2>&1) &
	done
	sleep 1
	relay_alive || relay_abandon || return
	wait_children_except "$RELAY_PID"
	sleep 0.5
	relay_serves || relay_abandon || return
	relay_stop
}

# relay_start with a command prefix (prlimit, setpriv) in RELAY_PREFIX.
relay_start_prefixed() {
	helper_socket "$D/up"
	: >"$D/.ready"
	"${RELAY_PREFIX[@]}" migsock-relay --listen "$D/l" --connect "$D/up" \
		--ready-fd 3 "$@" 3>"$D/.ready" 2>"$D/.relay.err" &
	RELAY_PID=$!
	echo "$RELAY_PID" >>"$D/.pids"
	local tries=300
	while [ ! -s "$D/.ready" ]; do
		if ! kill -0 "$RELAY_PID" 2>/dev/null; then
			local rc=0
			wait "$RELAY_PID" || rc=$?
			cat "$D/.relay.err" >&2
			return "$rc"
		fi
		((tries-- > 0)) || { echo "scenario: relay not ready after 30 s" >&2; return 98; }
		sleep 0.1
	done
}

# --- scenarios: peers ------------------------------------------------------

# A client running as nobody connects to a relay that admits only @@: it is
# refused before any upstream connection, and root is still served (unless
# @@ allows a context: with SELinux off no peer has one, root included).
# The upstream takes one connection: once the relay has logged the
# refusal, the scenario connects to the upstream itself; the upstream's one
# connection must be that probe. Had the relay connected upstream for the
# refused peer, that connection would have come first.
sc_peer_refused() {
	chmod 0755 "$D"
	relay_start --mode 0666 "$@" || return
	local up got
	bg socat -u "UNIX-LISTEN:$D/up,unlink-early" "CREATE:$D/upstream-saw"
	up=$!
	wait_listening "$D/up" || relay_abandon || return
	got=$(printf 'let me in' | timeout 10 setpriv --reuid nobody --regid nogroup \
		--clear-groups socat -t 2 - "UNIX-CONNECT:$D/l" 2>/dev/null)
	[ -z "$got" ] || { echo "scenario: a refused peer got '$got'" >&2; relay_abandon; return; }
	wait_relay_log "refused peer" || relay_abandon || return
	printf 'probe\n' | timeout 5 socat -u - "UNIX-CONNECT:$D/up"
	wait_pid "$up" 10 || relay_abandon || return
	if [ "$(cat "$D/upstream-saw" 2>/dev/null)" != probe ]; then
		echo "scenario: a refused peer reached the upstream (its first connection carried '$(cat "$D/upstream-saw" 2>/dev/null)', not the probe)" >&2
		relay_abandon
		return
	fi
	relay_alive || relay_abandon || return
	case " $* " in
	*" --allow-context "*) ;;
	*) relay_serves || relay_abandon || return ;;
	esac
	relay_stop
}

# wait_relay_log TEXT: until the relay's stderr holds TEXT, up to 10 s.
wait_relay_log() {
	local tries=200
	until grep -qF -- "$1" "$D/.relay.err"; do
		((tries-- > 0)) || { echo "scenario: the relay never logged '$1'" >&2; return 1; }
		sleep 0.05
	done
}

# --max-conns 2 and four clients at once: two are served, the others are
# refused with a reason, and the relay serves again once they are gone.
sc_max_conns() {
	relay_start --max-conns 2 || return
	bg socat "UNIX-LISTEN:$D/up,unlink-early,fork" EXEC:cat
	wait_for_file "$D/up" || relay_abandon || return
	local _
	for _ in 1 2 3 4; do
		(sleep 2 | socat - "UNIX-CONNECT:$D/l" >/dev/null 2>&1) &
	done
	wait_children_except "$RELAY_PID"
	relay_alive || relay_abandon || return
	relay_serves || relay_abandon || return
	relay_stop
}
