#!/usr/bin/env bats
# tests/bats/sockpath.bats - the socket-path rules (src/lib/sockpath.h) as
# a user meets them through a binary (migsock-bind): exact error lines,
# exit 4, and that nothing that was there is touched.
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

# Bind at $1 and report what the program saw: "ok" if it got a socket.
bind_at() {
	"$BIND" "$@" -- sh -c '[ "$LISTEN_FDS" = 1 ] && echo ok'
}

@test "sockpath: a path longer than sun_path is refused with its length and the limit" {
	long=$d/$(printf 'x%.0s' $(seq 1 $((108 - ${#d} - 1))))
	[ "${#long}" -eq 108 ]
	run bind_at "$long"
	[ "$status" -eq 4 ]
	[[ "$output" == "migsock-bind: socket path "*"... is 108 bytes, the limit is 107: use a shorter directory" ]]
	[ -z "$(ls -A "$d")" ]
	# 107 bytes is fine.
	run bind_at "${long%x}"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "sockpath: a stale socket is replaced" {
	"$BIND" "$d/s" -- true
	[ -S "$d/s" ]
	run "$MIGSOCK_BIN/migsock-probe" "$d/s"
	[ "$status" -eq 1 ]
	"$BIND" "$d/s" -- sleep 30 3>&- &
	pids+=($!)
	wait_for_socket "$d/s"
	"$MIGSOCK_BIN/migsock-probe" "$d/s"
}

@test "sockpath: a live socket is never clobbered" {
	socat UNIX-LISTEN:"$d/s",fork /dev/null 3>&- &
	pids+=($!)
	wait_for_socket "$d/s"
	ino=$(stat -c %i "$d/s")
	run bind_at "$d/s"
	[ "$status" -eq 4 ]
	[ "$output" = "migsock-bind: something already accepts connections at $d/s: stop it or choose another path" ]
	[ "$(stat -c %i "$d/s")" = "$ino" ]
	wait_for_socket "$d/s"
}

@test "sockpath: a regular file, a directory, a fifo are never clobbered" {
	echo keep >"$d/file"
	mkdir "$d/dir"
	touch "$d/dir/inside"
	mkfifo "$d/fifo"
	for f in file:"a regular file" dir:"a directory" fifo:"a fifo"; do
		run bind_at "$d/${f%%:*}"
		[ "$status" -eq 4 ]
		[ "$output" = "migsock-bind: $d/${f%%:*} exists and is ${f#*:}: remove it or choose another path" ]
	done
	[ "$(cat "$d/file")" = keep ]
	[ -e "$d/dir/inside" ]
	[ -p "$d/fifo" ]
}

@test "sockpath: a symlink as the final component is not followed" {
	ln -s "$d/elsewhere" "$d/link"
	run bind_at "$d/link"
	[ "$status" -eq 4 ]
	[ "$output" = "migsock-bind: $d/link exists and is a symlink: remove it or choose another path" ]
	[ -L "$d/link" ]
	[ ! -e "$d/elsewhere" ]
	# Nor to a stale socket: it stays where it is.
	"$BIND" "$d/target" -- true
	ln -sf "$d/target" "$d/link"
	run bind_at "$d/link"
	[ "$status" -eq 4 ]
	[ -S "$d/target" ] && [ -L "$d/link" ]
}

@test "sockpath: a symlinked parent directory is refused" {
	mkdir "$d/real"
	ln -s real "$d/alias"
	run bind_at "$d/alias/s"
	[ "$status" -eq 4 ]
	[ "$output" = "migsock-bind: socket directory $d/alias is a symlink: give the real directory" ]
	[ -z "$(ls -A "$d/real")" ]
}

@test "sockpath: a missing directory is named" {
	run bind_at "$d/nodir/s"
	[ "$status" -eq 4 ]
	[ "$output" = "migsock-bind: socket directory $d/nodir does not exist: create it first" ]
}

@test "sockpath: an unwritable directory, as an unprivileged user" {
	require_root
	chmod 0755 "$d"
	mkdir -m 0755 "$d/ro"
	run setpriv --reuid nobody --regid nogroup --clear-groups \
		"$BIND" "$d/ro/s" -- true
	[ "$status" -eq 4 ]
	[ "$output" = "migsock-bind: cannot create socket $d/ro/s (is the directory writable for this user?): Permission denied" ]
	[ -z "$(ls -A "$d/ro")" ]
}

@test "sockpath: mode and owner are applied" {
	run bind_at --mode 0600 "$d/s"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$d/s")" = 600 ]
	if [ "$(id -u)" = 0 ]; then
		run bind_at --mode 0660 --owner 65534:65534 "$d/t"
		[ "$status" -eq 0 ]
		[ "$(stat -c '%a %u %g' "$d/t")" = "660 65534 65534" ]
	fi
}

@test "sockpath: a relative path works from the current directory" {
	cd "$d"
	run bind_at rel.sock
	[ "$status" -eq 0 ]
	[ -S "$d/rel.sock" ]
}
