#!/usr/bin/env bats
# tests/bats/bind.bats - migsock-bind with real processes: the socket it
# hands over at fd 3 by the socket-activation protocol, a real program
# (migsock-relay) serving on it, exec failures, layout form, options.
# shellcheck disable=SC2016,SC2030,SC2031

bats_require_minimum_version 1.5.0
load common

BIND=$MIGSOCK_BIN/migsock-bind

setup() {
	d=$(ms_tmpdir)
	pids=()
}

teardown() {
	scratch_teardown
}

@test "bind: --help lists every option of the option table, --version" {
	help_lists_options "$BIND" "$TOP/src/bind/main.c"
}

@test "bind: bad command lines are one line and exit 2" {
	for args in "--frobnicate" "--mode" "--mode 0999 $d/s -- true" \
		"--backlog 0 $d/s -- true" "$d/s true" "$d/s --" "--owner nosuchuser $d/s -- true" \
		"--dir $d -- true" "--name a:b $d/s -- true"; do
		# shellcheck disable=SC2086
		run "$BIND" $args
		echo "args: $args -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == migsock-bind:* ]]
	done
	[ -z "$(ls -A "$d")" ]
}

@test "bind: the program gets the socket at fd 3 with LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES" {
	run "$BIND" --mode 0640 "$d/s.sock" -- sh -c \
		'echo "$LISTEN_PID $$ $LISTEN_FDS $LISTEN_FDNAMES"; readlink /proc/$$/fd/3; grep ^flags /proc/$$/fdinfo/3'
	[ "$status" -eq 0 ]
	read -r lpid spid n names <<<"${lines[0]}"
	[ "$lpid" = "$spid" ]
	[ "$n" = 1 ]
	[ "$names" = s.sock ]
	[[ "${lines[1]}" == socket:* ]]
	# Blocking by default, as systemd passes sockets (O_NONBLOCK is 04000).
	flags=$(awk '{print $2}' <<<"${lines[2]}")
	(( (8#$flags & 8#4000) == 0 ))
	[ -S "$d/s.sock" ]
	[ "$(stat -c %a "$d/s.sock")" = 640 ]

	run "$BIND" --nonblock --name front "$d/t.sock" -- sh -c \
		'echo "$LISTEN_FDNAMES"; grep ^flags /proc/$$/fdinfo/3'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = front ]
	flags=$(awk '{print $2}' <<<"${lines[1]}")
	(( (8#$flags & 8#4000) != 0 ))
}

@test "bind: migsock-relay serves on the socket migsock-bind created" {
	socat UNIX-LISTEN:"$d/up",fork EXEC:cat 3>&- &
	pids+=($!)
	wait_for_socket "$d/up"
	"$BIND" "$d/front" -- "$MIGSOCK_BIN/migsock-relay" --connect "$d/up" \
		2>"$d/relay.log" 3>&- &
	pids+=($!)
	wait_for_socket "$d/front"
	run sh -c "echo through-the-relay | socat -t 2 - UNIX-CONNECT:$d/front"
	cat "$d/relay.log"
	[ "$status" -eq 0 ]
	[ "$output" = through-the-relay ]
}

@test "bind: the relay removes the socket migsock-bind handed it when it stops on SIGTERM" {
	socat UNIX-LISTEN:"$d/up",fork EXEC:cat 3>&- &
	pids+=($!)
	wait_for_socket "$d/up"
	# Layout form too: the relay matches the fd by its channel name.
	mkdir "$d/l"
	local sock pid rc form _
	for form in path layout; do
		if [ "$form" = path ]; then
			sock=$d/front
			"$BIND" "$sock" -- "$MIGSOCK_BIN/migsock-relay" --connect "$d/up" \
				--ready-fd 9 9>"$d/ready" 2>>"$d/relay.log" 3>&- &
		else
			sock=$d/l/$(awk '$1 == "qemu" { print $2 }' "$MIGSOCK_LAYOUT")
			mkdir -p "$d/updir"
			"$BIND" --dir "$d/l" --channel qemu -- "$MIGSOCK_BIN/migsock-relay" \
				--layout "$MIGSOCK_LAYOUT" --connect-dir "$d/updir" \
				--ready-fd 9 9>"$d/ready" 2>>"$d/relay.log" 3>&- &
		fi
		pid=$!
		pids+=("$pid")
		wait_for_socket "$sock"
		# Serving (signals handled) once the ready newline is written.
		for _ in $(seq 100); do [ -s "$d/ready" ] && break; sleep 0.1; done
		[ -s "$d/ready" ]
		rm "$d/ready"
		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		cat "$d/relay.log"
		[ "$rc" -eq 0 ]
		[ ! -e "$sock" ]
	done
	# A supervisor in between (it keeps fd 3 and may start the next relay):
	# the relay is not the process migsock-bind exec'd and leaves the file.
	# shellcheck disable=SC2016 # expanded by the supervisor's bash
	"$BIND" "$d/sup" -- bash -c '
		(echo "$BASHPID" >"$0/relay.pid"
		 LISTEN_PID=$BASHPID exec "$1" --connect "$0/up" 2>>"$0/relay.log")
		echo ended >"$0/sup.events"
		sleep 30' "$d" "$MIGSOCK_BIN/migsock-relay" 3>&- &
	pids+=($!)
	wait_for_socket "$d/sup"
	for _ in $(seq 100); do [ -s "$d/relay.pid" ] && grep -q "listening on fd" "$d/relay.log" && break; sleep 0.1; done
	sleep 0.3 # its signalfd is set up right after the start lines
	kill -TERM "$(cat "$d/relay.pid")"
	for _ in $(seq 100); do [ -s "$d/sup.events" ] && break; sleep 0.1; done
	cat "$d/relay.log"
	[ -s "$d/sup.events" ]
	[ -S "$d/sup" ]
}

@test "bind: a program that is missing exits 127, one that cannot run 126; the socket is removed" {
	run -127 "$BIND" "$d/s" -- "$d/no-such-program"
	[ "$status" -eq 127 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"cannot run $d/no-such-program"* ]]
	[ ! -e "$d/s" ]
	echo "not a program" >"$d/prog"
	chmod 0644 "$d/prog"
	run -126 "$BIND" "$d/s" -- "$d/prog"
	[ "$status" -eq 126 ]
	[ ! -e "$d/s" ]
}

@test "bind: refuses a live socket and other files (exit 4) and leaves them alone" {
	socat UNIX-LISTEN:"$d/live",fork /dev/null 3>&- &
	pids+=($!)
	wait_for_socket "$d/live"
	run "$BIND" "$d/live" -- true
	[ "$status" -eq 4 ]
	[ "$output" = "migsock-bind: something already accepts connections at $d/live: stop it or choose another path" ]
	wait_for_socket "$d/live"
	echo keep >"$d/file"
	run "$BIND" "$d/file" -- true
	[ "$status" -eq 4 ]
	[ "$(cat "$d/file")" = keep ]
}

@test "bind: labels with SELinux off: one notice, or exit 5 with --require-label" {
	if [ -e /sys/fs/selinux/enforce ]; then skip "SELinux is on here"; fi
	ctx=system_u:object_r:svirt_socket_t:s0
	run "$BIND" --context "$ctx" "$d/s" -- echo ran
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "migsock-bind: SELinux is disabled: sockets are created without the label $ctx" ]
	[ "${lines[1]}" = ran ]
	run "$BIND" --require-label --context "$ctx" "$d/s2" -- echo ran
	[ "$status" -eq 5 ]
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$d/s2" ]
	run "$BIND" --context "system_u:object_r:bad type:s0" "$d/s3" -- echo ran
	[ "$status" -eq 5 ]
	[ ! -e "$d/s3" ]
}

@test "bind: layout form takes name, mode and context from the layout; options override" {
	run "$BIND" --layout "$TOP/sockets/migration.layout" --dir "$d" --channel nbd -- \
		sh -c 'echo "$LISTEN_FDNAMES"'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = nbd ]
	[ -S "$d/test-sock-nbd" ]
	[ "$(stat -c %a "$d/test-sock-nbd")" = 660 ]
	MIGSOCK_LAYOUT=$TOP/sockets/migration.layout run "$BIND" --dir "$d" --channel driver \
		--mode 0600 --name drv -- sh -c 'echo "$LISTEN_FDNAMES"'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = drv ]
	[ "$(stat -c %a "$d/test-sock-driver")" = 600 ]
	run "$BIND" --layout "$TOP/sockets/migration.layout" --dir "$d" --channel video -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *"no channel 'video'"* ]]
}

@test "bind: --owner sets the socket's owner (root)" {
	require_root
	run "$BIND" --owner nobody:65534 --mode 0600 "$d/s" -- true
	[ "$status" -eq 0 ]
	[ "$(stat -c '%u:%g %a' "$d/s")" = "65534:65534 600" ]
}

@test "bind: --backlog is the listen queue: beyond it, connections wait" {
	"$BIND" --backlog 1 "$d/q" -- sleep 30 3>&- &
	pids+=($!)
	local tries=50
	until [ -S "$d/q" ] || ((tries-- == 0)); do sleep 0.1; done
	# Nobody accepts: the queue of 1 takes two connections (the kernel's
	# "more than backlog" rule), the third one waits.
	"$MIGSOCK_BIN/migsock-probe" --timeout 1 "$d/q"
	"$MIGSOCK_BIN/migsock-probe" --timeout 1 "$d/q"
	run "$MIGSOCK_BIN/migsock-probe" --timeout 0.3 "$d/q"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timeout after 0.3s"* ]]
}
