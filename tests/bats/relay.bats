#!/usr/bin/env bats
# tests/bats/relay.bats - migsock-relay forwarding with real processes:
# byte-exact bulk both ways, half-close each way, many connections at
# once, upstream connects in accept order, reset closing both sides,
# worker threads for streaming connections only, up to their limit.
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

@test "relay: 1 GiB each way at once arrives byte-exact" {
	local size=$((1024 * 1024 * 1024))
	head -c "$size" /dev/urandom >"$d/a"
	head -c "$size" /dev/urandom >"$d/b"
	# Both ends send and receive at once, without blocking writes.
	"$HELPER" serve "$d/up" duplex "$d/b" 3>&- | sha256sum >"$d/up.got" &
	pids+=($!)
	for _ in $(seq 50); do [ -S "$d/up" ] && break; sleep 0.1; done
	start_relay --listen "$d/l" --connect "$d/up"
	"$HELPER" client "$d/l" duplex "$d/a" | sha256sum >"$d/client.got"
	wait_grep "$d/relay.log" "closed" 300
	[ "$(sha256sum <"$d/a")" = "$(cat "$d/up.got")" ]
	[ "$(sha256sum <"$d/b")" = "$(cat "$d/client.got")" ]
	grep -q "$size bytes up, $size bytes down" "$d/relay.log"
}

@test "relay: half-close from the client, the reply still flows back" {
	bg "$d/up.log" "$HELPER" serve "$d/up" echo-after-eof
	wait_for_socket "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	run "$HELPER" client "$d/l" halfclose-up
	[ "$status" -eq 0 ]
	[ "$output" = "ping" ]
	wait_grep "$d/relay.log" "4 bytes up, 4 bytes down.*closed"
}

@test "relay: half-close from upstream, the client can still send" {
	bg "$d/up.log" "$HELPER" serve "$d/up" banner
	local up=${pids[-1]}
	# banner mode serves one connection: no wait_for_socket probe.
	for _ in $(seq 50); do [ -S "$d/up" ] && break; sleep 0.1; done
	start_relay --listen "$d/l" --connect "$d/up"
	run "$HELPER" client "$d/l" halfclose-down
	[ "$status" -eq 0 ]
	[ "$output" = "banner" ]
	wait_exit "$up"
	[ "$(cat "$d/up.log")" = "pong" ]
	wait_grep "$d/relay.log" "4 bytes up, 7 bytes down.*closed"
}

@test "relay: 256 connections open at once, each echoed exactly" {
	bg "$d/up.log" "$HELPER" serve "$d/up" echo
	wait_for_socket "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	run "$HELPER" client "$d/l" many 256
	[ "$status" -eq 0 ]
	[ "$output" = "256 connections, 0 mismatched" ]
	# The probe above made one connection too.
	local tries=100
	while ((tries-- > 0)) && [ "$(grep -c '4096 bytes up, 4096 bytes down' "$d/relay.log")" -lt 256 ]; do
		sleep 0.1
	done
	[ "$(grep -c '4096 bytes up, 4096 bytes down' "$d/relay.log")" -eq 256 ]
}

@test "relay: upstream connects happen in accept order under a burst" {
	# The upstream accepts slowly with a backlog of 1, so the relay's
	# connects pile up and hit a full backlog (EAGAIN) on the way.
	bg "$d/order" "$HELPER" serve "$d/up" order 100
	local up=${pids[-1]}
	for _ in $(seq 50); do [ -S "$d/up" ] && break; sleep 0.1; done
	start_relay --listen "$d/l" --connect "$d/up"
	"$HELPER" client "$d/l" burst 100
	wait_exit "$up" 300
	[ "$waited_status" -eq 0 ]
	diff <(seq 1 100) "$d/order"
}

@test "relay: a client that resets closes the upstream side too" {
	bg "$d/up.log" "$HELPER" serve "$d/up" flood
	local up=${pids[-1]}
	for _ in $(seq 50); do [ -S "$d/up" ] && break; sleep 0.1; done
	start_relay --listen "$d/l" --connect "$d/up"
	"$HELPER" client "$d/l" quit-unread
	# The flooding upstream notices its peer is gone (no drain timeout).
	wait_exit "$up" 100
	grep -q "^gone:" "$d/up.log"
	wait_grep "$d/relay.log" "down, .*s, reset"
	# The relay itself keeps serving.
	kill -0 "$rpid"
}

@test "relay: an upstream that is not there refuses the client and logs it" {
	start_relay --listen "$d/l" --connect "$d/nothing"
	# Closed unanswered (socat may also report the broken pipe).
	run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"hello"
	[[ "$output" != *hello* ]]
	wait_grep "$d/relay.log" "refused: .*$d/nothing"
	kill -0 "$rpid"
}

# Threads of process $1.
threads_of() {
	local t=("/proc/$1/task"/*)
	echo "${#t[@]}"
}

@test "relay: streaming connections get worker threads up to the limit, idle ones none" {
	bg "$d/up.log" "$HELPER" serve "$d/up" echo
	wait_for_socket "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	local i n=10 limit base
	# The main thread (and a sanitizer runtime's own, if any).
	base=$(threads_of "$rpid")
	# The limit: 4 per online CPU, at least 8, at most 64 (worker.h).
	limit=$((4 * $(getconf _NPROCESSORS_ONLN)))
	((limit >= 8)) || limit=8
	((limit <= 64)) || limit=64
	((limit < n)) || n=$((limit + 2))
	for i in 1 2 3; do
		bg "$d/held$i" "$HELPER" client "$d/l" hold
		wait_grep "$d/held$i" "held"
	done
	[ "$(threads_of "$rpid")" -eq "$base" ]
	for i in $(seq "$n"); do
		bg "$d/stream$i" "$HELPER" client "$d/l" stream-hold 4194304
	done
	for i in $(seq "$n"); do
		wait_grep "$d/stream$i" "streamed 4194304" 300
	done
	# Streams past the limit stay in the main loop (and were echoed too).
	[ "$(threads_of "$rpid")" -eq $((base + limit)) ]
	# Their connections end: the workers are joined.
	for i in $(seq "$n"); do
		kill "${pids[-i]}"
	done
	local tries=100
	while ((tries-- > 0)) && [ "$(threads_of "$rpid")" -ne "$base" ]; do
		sleep 0.1
	done
	[ "$(threads_of "$rpid")" -eq "$base" ]
	wait_grep "$d/relay.log" "4194304 bytes up, 4194304 bytes down"
}

@test "relay: SIGTERM lets a worker's connection finish, the drain deadline stops another" {
	bg "$d/up.log" "$HELPER" serve "$d/up" echo
	wait_for_socket "$d/up"
	start_relay --listen "$d/l" --connect "$d/up" --drain-timeout 3
	local i base
	base=$(threads_of "$rpid")
	for i in 1 2; do
		bg "$d/stream$i" "$HELPER" client "$d/l" stream-hold 4194304
		wait_grep "$d/stream$i" "streamed 4194304" 300
	done
	[ "$(threads_of "$rpid")" -eq $((base + 2)) ]
	kill -TERM "$rpid"
	wait_grep "$d/relay.log" "stopping: waiting up to 3s for 2 connections"
	# One client ends during the drain: its worker hands it back, logged
	# with its exact counts.
	kill "${pids[-2]}"
	wait_grep "$d/relay.log" "4194304 bytes up, 4194304 bytes down, .*, closed$"
	kill -0 "$rpid"
	# The other is held past the deadline: its worker is stopped.
	wait_exit "$rpid" 100
	[ "$waited_status" -eq 0 ]
	grep -q "4194304 bytes up, 4194304 bytes down, .*, drain-timeout$" "$d/relay.log"
}
