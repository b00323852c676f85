#!/usr/bin/env bats
# tests/bats/relay-cli.bats - migsock-relay as a command: path-safety
# refusals, peer allow-lists, the sandbox, readiness, SIGTERM drain, the
# JSON log, serving a whole socket layout, and bad command lines.
# Each test runs in its own subshell with its teardown: pids+=() is seen there.
# shellcheck disable=SC2030,SC2031
# d, rpid and waited_status are set by relay-lib.bash's functions.
# shellcheck disable=SC2154

load common
load relay-lib

RELAY=$MIGSOCK_BIN/migsock-relay

setup() {
	relay_setup
}

teardown() {
	relay_teardown
}

echo_upstream() {
	bg "$d/up.log" "$HELPER" serve "$1" echo
	wait_for_socket "$1"
}

# --- socket paths ------------------------------------------------------------

@test "relay-cli: a listen path longer than sun_path is refused with its length" {
	local long
	long=$d/$(printf 'x%.0s' $(seq 120))
	run "$RELAY" --listen "$long" --connect "$d/up"
	[ "$status" -eq 4 ]
	[[ "$output" == *"is $((${#long})) bytes, the limit is 107"* ]]
	[ ! -e "$long" ]
}

@test "relay-cli: a live socket at the listen path is not clobbered" {
	echo_upstream "$d/live"
	run "$RELAY" --listen "$d/live" --connect "$d/up"
	[ "$status" -eq 4 ]
	[[ "$output" == *"$d/live"* ]]
	# The first owner still serves.
	run socat -t 2 - "UNIX-CONNECT:$d/live" <<<"still here"
	[ "$output" = "still here" ]
}

@test "relay-cli: a regular file or a symlink at the listen path is left alone" {
	echo data >"$d/file"
	run "$RELAY" --listen "$d/file" --connect "$d/up"
	[ "$status" -eq 4 ]
	[ "$(cat "$d/file")" = "data" ]
	ln -s "$d/elsewhere" "$d/link"
	run "$RELAY" --listen "$d/link" --connect "$d/up"
	[ "$status" -eq 4 ]
	[ -L "$d/link" ]
	[ ! -e "$d/elsewhere" ]
}

@test "relay-cli: a stale socket is replaced, and removed again on exit" {
	bg "$d/stale.log" "$HELPER" serve "$d/l" echo
	wait_for_socket "$d/l"
	kill -9 "${pids[-1]}"
	wait "${pids[-1]}" 2>/dev/null || true
	[ -S "$d/l" ]
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"through"
	[ "$output" = "through" ]
	kill -TERM "$rpid"
	wait_exit "$rpid"
	[ "$waited_status" -eq 0 ]
	[ ! -e "$d/l" ]
}

@test "relay-cli: --mode and --owner apply to the listening socket" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up" --mode 0600 --owner nobody:nogroup
	[ "$(stat -c '%a %U' "$d/l")" = "600 nobody" ]
}

# --- peers -------------------------------------------------------------------

@test "relay-cli: --allow-uid refuses another user's connection and logs it" {
	echo_upstream "$d/up"
	chmod 0755 "$d"
	start_relay --listen "$d/l" --connect "$d/up" --mode 0666 --allow-uid 0
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$HELPER" client "$d/l" halfclose-up
	# Closed unanswered (its write may even fail): nothing echoed.
	[[ "$output" != *ping* ]]
	wait_grep "$d/relay.log" "refused peer pid [0-9]* uid 65534"
	# root is on the list and gets through.
	run "$HELPER" client "$d/l" halfclose-up
	[ "$output" = "ping" ]
}

# --- sandbox, readiness ------------------------------------------------------

@test "relay-cli: a running relay is sandboxed: Seccomp 2, NoNewPrivs 1, CapEff 0" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	grep -qx $'Seccomp:\t2' "/proc/$rpid/status"
	grep -qx $'NoNewPrivs:\t1' "/proc/$rpid/status"
	grep -qx $'CapEff:\t0000000000000000' "/proc/$rpid/status"
	# ...and still forwards from inside the sandbox, then exits cleanly.
	run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"sandboxed"
	[ "$output" = "sandboxed" ]
	kill -TERM "$rpid"
	wait_exit "$rpid"
	[ "$waited_status" -eq 0 ]
}

@test "relay-cli: --no-sandbox leaves seccomp off" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up" --no-sandbox
	grep -qx $'Seccomp:\t0' "/proc/$rpid/status"
}

@test "relay-cli: --ready-fd gets a newline once the socket accepts" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	[ "$(od -An -c "$d/ready" | tr -d ' ')" = '\n' ]
	[ -S "$d/l" ]
}

@test "relay-cli: READY=1 goes to NOTIFY_SOCKET once serving" {
	echo_upstream "$d/up"
	bg "$d/notify.err" socat -u "UNIX-RECV:$d/notify" "OPEN:$d/notify.log,creat,append"
	for _ in $(seq 50); do [ -S "$d/notify" ] && break; sleep 0.1; done
	NOTIFY_SOCKET=$d/notify "$RELAY" --listen "$d/l" --connect "$d/up" \
		2>>"$d/relay.log" 3>&- &
	rpid=$!
	pids+=("$rpid")
	wait_grep "$d/notify.log" "READY=1"
	[ -S "$d/l" ]
	run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"ready"
	[ "$output" = "ready" ]
}

# --- stopping ----------------------------------------------------------------

@test "relay-cli: SIGTERM stops accepting and removes the socket, open connections finish" {
	bg "$d/up.log" "$HELPER" serve "$d/up" echo-after-eof
	wait_for_socket "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	# A client that sends only after the relay got SIGTERM.
	{ (sleep 2; printf late) | socat -t 30 - "UNIX-CONNECT:$d/l"; } >"$d/client.out" 3>&- &
	local client=$!
	pids+=("$client")
	# The relay accepted it: it connected upstream for it.
	wait_connected "$d/up"
	kill -TERM "$rpid"
	wait_grep "$d/relay.log" "stopping"
	[ ! -e "$d/l" ]
	wait_exit "$client" 100
	[ "$(cat "$d/client.out")" = "late" ]
	wait_exit "$rpid"
	[ "$waited_status" -eq 0 ]
	grep -q "4 bytes up, 4 bytes down.*closed" "$d/relay.log"
}

@test "relay-cli: --drain-timeout ends connections that do not finish, exit 0" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up" --drain-timeout 1
	bg "$d/held" "$HELPER" client "$d/l" hold
	wait_grep "$d/held" "held"
	kill -TERM "$rpid"
	wait_exit "$rpid" 100
	[ "$waited_status" -eq 0 ]
	grep -q "drain-timeout" "$d/relay.log"
}

@test "relay-cli: a second signal during the drain closes connections at once" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up" --drain-timeout 600
	bg "$d/held" "$HELPER" client "$d/l" hold
	wait_grep "$d/held" "held"
	kill -INT "$rpid"
	wait_grep "$d/relay.log" "stopping"
	kill -0 "$rpid"
	kill -INT "$rpid"
	wait_exit "$rpid" 100
	[ "$waited_status" -eq 0 ]
	grep -q "terminated" "$d/relay.log"
}

@test "relay-cli: idle connections and small messages hold no pipes" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	local before i socks=0 tries=100
	before=$(find "/proc/$rpid/fd" -lname 'pipe:*' | wc -l)
	for i in $(seq 20); do
		bg "$d/idle$i" socat -u "UNIX-CONNECT:$d/l" STDOUT
	done
	# Each relayed connection is two sockets; the listener is one more.
	while ((tries-- > 0)); do
		socks=$(find "/proc/$rpid/fd" -lname 'socket:*' | wc -l)
		[ "$socks" -ge 41 ] && break
		sleep 0.1
	done
	[ "$socks" -ge 41 ]
	[ "$(find "/proc/$rpid/fd" -lname 'pipe:*' | wc -l)" -eq "$before" ]
	# One byte each way on another connection: small reads go through a
	# buffer, so still no pipe (bulk streams get theirs: test_relay_fwd).
	bg "$d/held" "$HELPER" client "$d/l" hold
	wait_grep "$d/held" "held"
	[ "$(find "/proc/$rpid/fd" -lname 'pipe:*' | wc -l)" -eq "$before" ]
}

# --- logs --------------------------------------------------------------------

@test "relay-cli: --log-format json writes one JSON object per line" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up" --log-format json
	run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"json"
	[ "$output" = "json" ]
	wait_grep "$d/relay.log" '"event":"conn"'
	kill -TERM "$rpid"
	wait_exit "$rpid"
	# Every line parses; the connection line has the documented fields.
	jq -e . "$d/relay.log" >/dev/null
	jq -e -s 'any(.[]; .event == "conn"
		and (.id | type == "number") and .channel == "up"
		and (.pid | type == "number") and .uid == 0 and .gid == 0
		and .bytes_up == 5 and .bytes_down == 5
		and (.duration_ms | type == "number") and .end == "closed"
		and .detail == "")' "$d/relay.log"
}

@test "relay-cli: --log-format json: start lines, refusals, figures and errors are JSON too" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up" --log-format json \
		--allow-uid 0 --mode 0666
	# A refused peer (nobody is not in --allow-uid).
	if [ "$(id -u)" = 0 ]; then
		chmod 0755 "$d"
		setpriv --reuid nobody --regid nogroup --clear-groups \
			socat -t 2 - "UNIX-CONNECT:$d/l" <<<"x" >/dev/null 2>&1 || true
		wait_grep "$d/relay.log" '"event":"refused"'
	fi
	kill -USR1 "$rpid"
	wait_grep "$d/relay.log" '"event":"stats"'
	kill -TERM "$rpid"
	wait_exit "$rpid"
	# A start failure in JSON mode is JSON as well.
	"$RELAY" --log-format json --listen "$d/l2" --connect "$d/up" --mode 0999 2>>"$d/relay.log" || true
	cat "$d/relay.log"
	# Every line is an object with a time stamp, a level and an event.
	jq -e -s 'length >= 4 and all(.[]; (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))
		and (.level | IN("info", "warn", "error")) and (.event | type == "string")
		and (.msg | type == "string"))' "$d/relay.log"
	jq -e -s --arg l "$d/l" --arg up "$d/up" 'any(.[]; .event == "listen" and .path == $l
		and .upstream == $up and .upstream_state == "there" and .allow_uids == [0]
		and .label == "-")' "$d/relay.log"
	jq -e -s 'any(.[]; .event == "stats" and .channel == "up" and .open == 0)' "$d/relay.log"
	jq -e -s 'any(.[]; .level == "error" and (.msg | startswith("--mode 0999: expected")))' "$d/relay.log"
	if [ "$(id -u)" = 0 ]; then
		jq -e -s 'any(.[]; .event == "refused" and .channel == "up" and .uid == 65534
			and (.reason | contains("uid 65534 not allowed")))' "$d/relay.log"
	fi
}

@test "relay-cli: one start line per listener: path, upstream, label, allow-list" {
	mkdir "$d/a" "$d/b"
	echo_upstream "$d/b/test-sock-driver"
	start_relay --layout "$TOP/sockets/migration.layout" \
		--listen-dir "$d/a" --connect-dir "$d/b" --allow-uid 0,107 --allow-gid 36
	cat "$d/relay.log"
	[ "$(grep -c 'listening on ' "$d/relay.log")" -eq 3 ]
	grep -qx "migsock-relay: listening on $d/a/test-sock-driver: channel driver, upstream $d/b/test-sock-driver (there), label -, allow uid 0,107; gid 36" "$d/relay.log"
	# qemu and nbd upstreams appear during a migration: no warning for them.
	grep -qx "migsock-relay: listening on $d/a/test-sock-qemu: channel qemu, upstream $d/b/test-sock-qemu (missing, needed during a migration), label -, allow uid 0,107; gid 36" "$d/relay.log"
	[ "$(grep -c 'warn\|is missing' "$d/relay.log")" -eq 0 ]
}

@test "relay-cli: a missing upstream that must always exist is a warning at start" {
	mkdir "$d/a" "$d/b"
	start_relay --layout "$TOP/sockets/migration.layout" \
		--listen-dir "$d/a" --connect-dir "$d/b" --channels driver,qemu
	cat "$d/relay.log"
	grep -qx "migsock-relay: driver: upstream $d/b/test-sock-driver is missing: connections are refused until it accepts (start the daemon, or check --connect)" "$d/relay.log"
	[ "$(grep -c 'is missing' "$d/relay.log")" -eq 1 ]
}

@test "relay-cli: refuses --listen twice, --listen equal to --connect, --allow-context without SELinux" {
	run "$RELAY" --listen "$d/l" --listen "$d/m" --connect "$d/up"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--listen given twice"* ]]
	run "$RELAY" --listen "$d/l" --connect "$d/l"
	[ "$status" -eq 2 ]
	[[ "$output" == *"would connect to itself"* ]]
	# The same socket by another spelling: found by inode, and removed.
	run "$RELAY" --listen "$d/l" --connect "$d/../${d##*/}/l"
	[ "$status" -eq 2 ]
	[[ "$output" == *"this relay's own listening socket"* ]]
	[ ! -e "$d/l" ]
	if ! selinuxenabled 2>/dev/null; then
		run "$RELAY" --listen "$d/l" --connect "$d/up" --allow-context system_u:system_r:svirt_t:s0
		[ "$status" -eq 5 ]
		[[ "$output" == *"SELinux is disabled here, so peers have no context"* ]]
		[ ! -e "$d/l" ]
	fi
}

@test "relay-cli: SIGUSR1 prints each channel's figures without stopping" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	bg "$d/held" "$HELPER" client "$d/l" hold
	wait_grep "$d/held" "held"
	run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"12345"
	[ "$output" = "12345" ]
	wait_grep "$d/relay.log" "conn [0-9]* up: .* 6 bytes up, 6 bytes down"
	rm "$d/up" # the next connection is refused
	socat -u OPEN:/dev/null "UNIX-CONNECT:$d/l" || true
	wait_grep "$d/relay.log" "refused: no socket"
	kill -USR1 "$rpid"
	wait_grep "$d/relay.log" "stats up: "
	cat "$d/relay.log"
	# The held connection is still open, its 5 bytes each way counted.
	grep -q "stats up: 1 open, 3 total, 11 bytes up, 11 bytes down, 1 refused" "$d/relay.log"
	kill -0 "$rpid"
}

@test "relay-cli: probes are counted, not logged" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up"
	local _
	for _ in 1 2 3 4 5; do
		"$MIGSOCK_BIN/migsock-probe" "$d/l"
	done
	run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"real"
	[ "$output" = "real" ]
	wait_grep "$d/relay.log" "conn 6 up: .*5 bytes up"
	kill -USR1 "$rpid"
	wait_grep "$d/relay.log" "stats up: 0 open, 6 total"
	cat "$d/relay.log"
	[ "$(grep -c ' conn ' "$d/relay.log")" -eq 1 ]
}

# --- layout ------------------------------------------------------------------

@test "relay-cli: --layout serves driver, qemu and nbd in one process" {
	mkdir "$d/a" "$d/b"
	local ch name
	for name in test-sock-driver test-sock-qemu test-sock-nbd; do
		echo_upstream "$d/b/$name"
	done
	start_relay --layout "$TOP/sockets/migration.layout" \
		--listen-dir "$d/a" --connect-dir "$d/b"
	for name in test-sock-driver test-sock-qemu test-sock-nbd; do
		[ "$(stat -c %a "$d/a/$name")" = 660 ]
		run socat -t 2 - "UNIX-CONNECT:$d/a/$name" <<<"via $name"
		[ "$output" = "via $name" ]
	done
	for ch in driver qemu nbd; do
		wait_grep "$d/relay.log" "conn [0-9]* $ch: .*closed"
	done
	kill -TERM "$rpid"
	wait_exit "$rpid"
	[ -z "$(ls "$d/a")" ]
}

@test "relay-cli: --channels picks channels of the layout" {
	mkdir "$d/a" "$d/b"
	echo_upstream "$d/b/test-sock-qemu"
	start_relay --layout "$TOP/sockets/migration.layout" \
		--listen-dir "$d/a" --connect-dir "$d/b" --channels qemu --mode 0600
	[ "$(ls "$d/a")" = test-sock-qemu ]
	[ "$(stat -c %a "$d/a/test-sock-qemu")" = 600 ]
	run "$RELAY" --layout "$TOP/sockets/migration.layout" \
		--listen-dir "$d/a" --connect-dir "$d/b" --channels nosuch
	[ "$status" -eq 2 ]
	[[ "$output" == *'no channel "nosuch"'* ]]
}

@test "relay-cli: a malformed layout is refused with file and line" {
	printf 'qemu sock 0660 -\nbad line\n' >"$d/bad.layout"
	run "$RELAY" --layout "$d/bad.layout" --listen-dir "$d" --connect-dir "$d/elsewhere"
	[ "$status" -eq 3 ]
	[[ "$output" == *"$d/bad.layout:2"* ]]
	[ ! -e "$d/sock" ]
}

@test "relay-cli: socket activation with --layout matches fds by LISTEN_FDNAMES" {
	command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
	mkdir "$d/b"
	echo_upstream "$d/b/test-sock-qemu"
	echo_upstream "$d/b/test-sock-nbd"
	# Passed sockets named by channel (qemu) and by socket name (nbd).
	systemd-socket-activate -l "$d/q" -l "$d/n" --fdname=qemu:test-sock-nbd \
		"$RELAY" --layout "$TOP/sockets/migration.layout" --connect-dir "$d/b" \
		>/dev/null 2>>"$d/relay.log" 3>&- &
	pids+=($!)
	for _ in $(seq 50); do [ -S "$d/n" ] && break; sleep 0.1; done
	run socat -t 5 - "UNIX-CONNECT:$d/q" <<<"to qemu"
	[ "$output" = "to qemu" ]
	run socat -t 5 - "UNIX-CONNECT:$d/n" <<<"to nbd"
	[ "$output" = "to nbd" ]
	wait_grep "$d/relay.log" "conn [0-9]* qemu: .*closed"
	wait_grep "$d/relay.log" "conn [0-9]* nbd: .*closed"
}

# --- limits ------------------------------------------------------------------

@test "relay-cli: --max-conns refuses the connection beyond the limit" {
	echo_upstream "$d/up"
	start_relay --listen "$d/l" --connect "$d/up" --max-conns 2
	local i
	for i in 1 2; do
		bg "$d/held$i" "$HELPER" client "$d/l" hold
		# Its echo proves the connection is up through the relay.
		wait_grep "$d/held$i" "held"
	done
	run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"third"
	[[ "$output" != *third* ]]
	wait_grep "$d/relay.log" "--max-conns 2 reached"
}

@test "relay-cli: out of file descriptors, clients are refused and the relay recovers" {
	echo_upstream "$d/up"
	# Few descriptors (hard limit too, so the relay cannot raise it), and
	# none inherited: bats and its report formatter hold descriptors open,
	# which would eat the 40 and leave the relay nothing to recover with.
	(
		close_inherited_fds
		exec prlimit --nofile=40:40 "$MIGSOCK_BIN/migsock-relay" --ready-fd 9 \
			--listen "$d/l" --connect "$d/up" 9>"$d/ready" 2>>"$d/relay.log"
	) &
	rpid=$!
	pids+=("$rpid")
	for _ in $(seq 100); do [ -s "$d/ready" ] && break; sleep 0.1; done
	run "$HELPER" client "$d/l" many 40
	[ "$status" -ne 0 ]
	wait_grep "$d/relay.log" "out of file descriptors\\|Too many open files"
	# Once those are gone, the relay serves again. It learns that they are
	# gone from their hang-ups, which it may not have read yet: a client in
	# that window is still refused, so ask again (bounded) until served.
	local try
	for try in $(seq 50); do
		run socat -t 2 - "UNIX-CONNECT:$d/l" <<<"recovered"
		[ "$output" = "recovered" ] && break
		sleep 0.2
	done
	echo "served after $try attempts"
	[ "$output" = "recovered" ]
}

# --- command line --------------------------------------------------------------

@test "relay-cli: --help lists every option" {
	run "$RELAY" --help
	[ "$status" -eq 0 ]
	local opt
	for opt in --listen --connect --layout --listen-dir --connect-dir \
		--channels --context --connect-context --require-label --mode \
		--owner --allow-uid --allow-gid --allow-context --ready-fd \
		--log-format --drain-timeout --max-conns --no-sandbox --version; do
		[[ "$output" == *"$opt "* ]] || { echo "missing $opt"; return 1; }
	done
}

@test "relay-cli: bad command lines exit 2 with one line" {
	# bad_line WORD ARGS...: exit 2, one line naming WORD, no socket.
	bad_line() {
		local word=$1
		shift
		run "$RELAY" "$@"
		echo "$*: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == "migsock-relay: "*"$word"* ]]
		[ ! -e "$d/l" ]
	}
	bad_line --connect --listen "$d/l"
	bad_line --bogus --listen "$d/l" --connect "$d/up" --bogus
	bad_line "--mode 999" --listen "$d/l" --connect "$d/up" --mode 999
	bad_line "--log-format xml" --listen "$d/l" --connect "$d/up" --log-format xml
	bad_line "exclude each other" --listen "$d/l" --connect "$d/up" --layout x --connect-dir "$d"
}

@test "relay-cli: a malformed SELinux context is refused before any socket exists" {
	run "$RELAY" --listen "$d/l" --connect "$d/up" --context "not a context"
	[ "$status" -eq 5 ]
	[ ! -e "$d/l" ]
}
