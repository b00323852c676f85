#!/usr/bin/env bats
# tests/bats/sandbox.bats - the sandbox (src/lib/sandbox.c) as the kernel
# reports it for a running migsock-relay: /proc/PID/status shows seccomp
# filter mode, no_new_privs and empty capability sets, the relay still
# forwards and exits cleanly inside it (with the sanitizers' exit-time work
# in asan builds), and --no-sandbox leaves it off. That an undeclared
# syscall kills with SIGSYS is tested in tests/unit/test_sandbox.c.
# shellcheck disable=SC2030,SC2031

bats_require_minimum_version 1.5.0
load common

RELAY=$MIGSOCK_BIN/migsock-relay

setup() {
	d=$(ms_tmpdir)
	pids=()
	socat UNIX-LISTEN:"$d/up",fork EXEC:cat 3>&- &
	pids+=($!)
	wait_for_socket "$d/up"
}

teardown() {
	scratch_teardown
}

field() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# Start the relay in front of the echo upstream; sets rpid.
start() {
	"$RELAY" --ready-fd 9 --listen "$d/front" --connect "$d/up" "$@" \
		9>"$d/ready" 2>"$d/relay.log" 3>&- &
	rpid=$!
	pids+=("$rpid")
	local tries=100
	until [ -s "$d/ready" ] || ((tries-- == 0)); do sleep 0.1; done
	[ -s "$d/ready" ] || { cat "$d/relay.log"; return 1; }
}

echo_through() {
	echo "$1" | socat -t 2 - UNIX-CONNECT:"$d/front"
}

@test "sandbox: a running relay shows Seccomp 2, NoNewPrivs 1 and no capabilities" {
	start
	[ "$(field "$rpid" Seccomp)" = 2 ]
	[ "$(field "$rpid" NoNewPrivs)" = 1 ]
	for c in CapInh CapPrm CapEff CapAmb; do
		[ "$(field "$rpid" "$c")" = 0000000000000000 ] || { echo "$c"; false; }
	done
	if [ "$(id -u)" = 0 ]; then
		[ "$(field "$rpid" CapBnd)" = 0000000000000000 ]
	fi
}

@test "sandbox: the sandboxed relay forwards, then exits 0 on SIGTERM" {
	start --drain-timeout 1
	run echo_through inside-the-sandbox
	[ "$status" -eq 0 ]
	[ "$output" = inside-the-sandbox ]
	kill -TERM "$rpid"
	local st=0
	wait "$rpid" || st=$?
	cat "$d/relay.log"
	[ "$st" -eq 0 ]
	run ! grep -q -i -E 'sanitizer|runtime error' "$d/relay.log"
}

@test "sandbox: a relay started by migsock-bind (socket activation) is sandboxed too" {
	"$MIGSOCK_BIN/migsock-bind" "$d/front" -- "$RELAY" --connect "$d/up" \
		2>"$d/relay.log" 3>&- &
	rpid=$!
	pids+=("$rpid")
	wait_for_socket "$d/front"
	run echo_through via-bind
	[ "$output" = via-bind ]
	[ "$(field "$rpid" Seccomp)" = 2 ]
	[ "$(field "$rpid" CapEff)" = 0000000000000000 ]
}

@test "sandbox: --no-sandbox leaves seccomp off and says so" {
	start --no-sandbox
	[ "$(field "$rpid" Seccomp)" = 0 ]
	[ "$(field "$rpid" NoNewPrivs)" = 0 ]
	grep -q 'sandbox disabled' "$d/relay.log"
	run echo_through unsandboxed
	[ "$output" = unsandboxed ]
}
