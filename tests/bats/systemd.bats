#!/usr/bin/env bats
# Each test runs in its own subshell with its teardown: pids+=() is seen there.
# shellcheck disable=SC2030,SC2031
# tests/bats/systemd.bats - the systemd units in systemd/: they pass
# `systemd-analyze verify` without a warning, and the relay started exactly
# as migsock-relay@.service starts it (its ExecStart line, the example
# environment file, the socket passed on fd 3 with LISTEN_FDS/LISTEN_PID/
# LISTEN_FDNAMES, NOTIFY_SOCKET set) reports READY=1 and forwards data.

load common

UNITS=$TOP/systemd

setup() {
	d=$(ms_tmpdir)
	pids=()
	# An echo server as the upstream the relay forwards to.
	socat "UNIX-LISTEN:$d/upstream,fork" EXEC:cat 3>&- &
	pids+=($!)
	# systemd's side of NOTIFY_SOCKET: collect the datagrams the relay sends.
	socat -u "UNIX-RECV:$d/notify" "OPEN:$d/notify.log,creat,append" 3>&- &
	pids+=($!)
	wait_for_socket "$d/upstream"
	for _ in $(seq 50); do [ -S "$d/notify" ] && break; sleep 0.1; done
}

teardown() {
	scratch_teardown
}

# The service's ExecStart command, as systemd would run it here: @BINDIR@ is
# the build under test, variables come from the example environment file
# with the upstream replaced. ${VAR} is one word, $VAR splits on blanks.
unit_command() {
	local line MIGSOCK_CONNECT MIGSOCK_OPTS
	# shellcheck disable=SC1091
	. "$UNITS/relay.conf.example"
	MIGSOCK_CONNECT=$d/upstream
	line=$(sed -n 's/^ExecStart=//p' "$UNITS/migsock-relay@.service")
	line=${line//@BINDIR@/$MIGSOCK_BIN}
	# shellcheck disable=SC2016,SC2086 # literal ${...}; word splitting of $MIGSOCK_OPTS is the point
	set -- ${line//'${MIGSOCK_CONNECT}'/$MIGSOCK_CONNECT}
	local arg out=()
	for arg; do
		# shellcheck disable=SC2016 # the literal text of the unit
		if [ "$arg" = '$MIGSOCK_OPTS' ]; then
			# shellcheck disable=SC2206
			out+=($MIGSOCK_OPTS)
		else
			out+=("$arg")
		fi
	done
	printf '%s\n' "${out[@]}"
}

wait_for_ready() {
	local tries=100
	while ((tries-- > 0)); do
		grep -q '^READY=1' "$d/notify.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no READY=1 on NOTIFY_SOCKET; got: $(cat "$d/notify.log" 2>/dev/null)" >&2
	return 1
}

@test "systemd units: systemd-analyze verify reports nothing" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	mkdir "$d/units"
	sed "s|@BINDIR@|$MIGSOCK_BIN|g" "$UNITS/migsock-relay@.service" >"$d/units/migsock-relay@.service"
	cp "$UNITS/migsock-relay@.socket" "$d/units/"
	ln -s migsock-relay@.service "$d/units/migsock-relay@test-sock-driver.service"
	ln -s migsock-relay@.socket "$d/units/migsock-relay@test-sock-driver.socket"
	cd "$d/units"
	run env SYSTEMD_UNIT_PATH="$d/units:" systemd-analyze verify --man=no \
		migsock-relay@test-sock-driver.socket migsock-relay@test-sock-driver.service
	echo "$output"
	[ "$status" -eq 0 ]
	# verify exits 0 even for unknown keys and bad values: demand silence.
	[ -z "$output" ]
}

@test "systemd units: the service runs the relay as Type=notify with the sandbox directives" {
	local u=$UNITS/migsock-relay@.service
	grep -qx 'Type=notify' "$u"
	grep -qx 'NoNewPrivileges=yes' "$u"
	grep -qx 'CapabilityBoundingSet=' "$u"
	grep -qx 'RestrictAddressFamilies=AF_UNIX' "$u"
	grep -qx 'ProtectSystem=strict' "$u"
	grep -q '^SystemCallFilter=' "$u"
	grep -qx 'FileDescriptorName=%i' "$UNITS/migsock-relay@.socket"
}

@test "socket activation: relay started like migsock-relay@.service answers, READY=1 arrives" {
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate not installed"
	local cmd
	mapfile -t cmd < <(unit_command)
	# Like systemd with Accept=no: the socket exists first, the service is
	# started by the first connection, which must not be lost.
	# setpriv: the unit's NoNewPrivileges=yes and empty CapabilityBoundingSet=
	# (root then execs with no capability at all).
	systemd-socket-activate -l "$d/relay" --fdname=test-sock-driver \
		-E NOTIFY_SOCKET="$d/notify" -E ASAN_OPTIONS -E UBSAN_OPTIONS \
		-E MIGSOCK_LAYOUT setpriv --no-new-privs --bounding-set=-all --inh-caps=-all -- \
		"${cmd[@]}" 3>&- 2>"$d/relay.log" &
	pids+=($!)
	for _ in $(seq 50); do [ -S "$d/relay" ] && break; sleep 0.1; done
	run socat -t 5 - "UNIX-CONNECT:$d/relay" <<<"through the activated relay"
	cat "$d/relay.log"
	[ "$status" -eq 0 ]
	[ "$output" = "through the activated relay" ]
	wait_for_ready
	# The relay really is the activated process (exec, same pid), and ran
	# with what the unit leaves it: no capability, no_new_privs.
	local status_file=/proc/${pids[-1]}/status
	[ "$(cat "/proc/${pids[-1]}/comm")" = migsock-relay ]
	grep -q '^CapBnd:[[:space:]]*0000000000000000$' "$status_file"
	grep -q '^CapEff:[[:space:]]*0000000000000000$' "$status_file"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "$status_file"
}

@test "socket activation: relay behind migsock-bind is READY before the first connection" {
	[ -x "$MIGSOCK_BIN/migsock-bind" ] || skip "migsock-bind not built"
	local cmd
	mapfile -t cmd < <(unit_command)
	NOTIFY_SOCKET=$d/notify "$MIGSOCK_BIN/migsock-bind" --name test-sock-driver \
		"$d/relay" -- "${cmd[@]}" 3>&- 2>"$d/relay.log" &
	pids+=($!)
	wait_for_ready
	[ -S "$d/relay" ]
	run socat -t 5 - "UNIX-CONNECT:$d/relay" <<<"bound by migsock-bind"
	cat "$d/relay.log"
	[ "$status" -eq 0 ]
	[ "$output" = "bound by migsock-bind" ]
	# SIGTERM: the relay stops and exits 0 (the unit's Restart=on-failure
	# must not see a failure on a normal stop).
	kill -TERM "${pids[-1]}"
	# Not `run wait`: run's subshell is not the process's parent.
	local rc=0
	wait "${pids[-1]}" || rc=$?
	[ "$rc" -eq 0 ]
}
