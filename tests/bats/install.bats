#!/usr/bin/env bats
# tests/bats/install.bats - `make install` into a DESTDIR puts binaries,
# man pages, systemd units, the socket layout and the examples where
# PREFIX says; the installed binaries run (--help, --version where their
# manual promises it, a relay round trip through the installed layout);
# `make uninstall` leaves no file behind.

# Each test runs in its own subshell: pids+=() is seen by its teardown.
# shellcheck disable=SC2030,SC2031

load common

setup() {
	d=$(ms_tmpdir)
	pids=()
	# Install the build under test (build/ or build/asan/) as it is, with
	# the default PREFIX: the same DATADIR, so nothing is rebuilt.
	case $MIGSOCK_BIN in
	*/build/asan/bin) build_args=(BUILDDIR=build/asan SANITIZE=1) ;;
	*) build_args=() ;;
	esac
	prefix=/usr/local
}

teardown() {
	scratch_teardown
}

mk() {
	make -s -C "$TOP" "${build_args[@]}" DESTDIR="$d/root" "$@"
}

commands() {
	local m
	for m in "$TOP"/src/*/main.c; do
		m=${m%/main.c}
		printf '%s\n' "${m##*/}"
	done
}

@test "install: DESTDIR holds binaries, man pages, units, layout and examples" {
	run mk install
	echo "$output"
	[ "$status" -eq 0 ]
	local r=$d/root$prefix c
	for c in $(commands); do
		[ -x "$r/bin/migsock-$c" ]
		[ -f "$r/share/man/man1/migsock-$c.1" ]
	done
	[ -f "$r/share/man/man5/migsock-layout.5" ]
	cmp "$TOP/sockets/migration.layout" "$r/share/migsock/migration.layout"
	[ -f "$r/share/migsock/layout.sh" ]
	# The unit runs the installed relay, not a placeholder.
	grep -qx "ExecStart=$prefix/bin/migsock-relay --connect \${MIGSOCK_CONNECT} \$MIGSOCK_OPTS" \
		"$r/lib/systemd/system/migsock-relay@.service"
	[ -f "$r/lib/systemd/system/migsock-relay@.socket" ]
	[ "$(find "$r/share/migsock/examples" -maxdepth 1 -name '*.sh' -perm -0755 | wc -l)" -eq 8 ]
	[ -x "$r/share/migsock/examples/k8s/daemonset-bridge/bridge-loop" ]
	[ -f "$r/share/migsock/examples/k8s/daemonset-bridge/daemonset.yaml" ]
	# Nothing lands outside PREFIX but the SELinux module's own place.
	run find "$d/root" -mindepth 1 -maxdepth 1
	[ "$output" = "$d/root/usr" ]
	# man finds the installed pages.
	run env MANPATH="$r/share/man" MANWIDTH=80 man 1 migsock-relay
	[ "$status" -eq 0 ]
	[[ "$output" == *"migsock-relay - "* ]]
	run env MANPATH="$r/share/man" MANWIDTH=80 man 5 migsock-layout
	[ "$status" -eq 0 ]
}

@test "install: the installed binaries run; the relay forwards through the installed layout" {
	mk install
	local bin=$d/root$prefix/bin c
	for c in $(commands); do
		run "$bin/migsock-$c" --help
		[ "$status" -eq 0 ]
		[[ "$output" == Usage:* ]]
		# --version where the manual documents it.
		if grep -q '^\*--version\*' "$TOP/man/migsock-$c.1.scd"; then
			run "$bin/migsock-$c" --version
			[ "$status" -eq 0 ]
			[[ "$output" == "migsock-$c "* ]]
		fi
	done
	# Layout mode with the installed layout: every channel from in/ to out/.
	export MIGSOCK_LAYOUT=$d/root$prefix/share/migsock/migration.layout
	mkdir "$d/in" "$d/out"
	local driver
	driver=$(awk '$1 == "driver" { print $2 }' "$MIGSOCK_LAYOUT")
	socat "UNIX-LISTEN:$d/out/$driver,fork" EXEC:cat 3>&- &
	pids+=($!)
	wait_for_socket "$d/out/$driver"
	"$bin/migsock-relay" --listen-dir "$d/in" --connect-dir "$d/out" 3>&- 2>"$d/relay.log" &
	pids+=($!)
	wait_for_socket "$d/in/$driver"
	run socat -t 5 - "UNIX-CONNECT:$d/in/$driver" <<<"through the installed relay"
	cat "$d/relay.log"
	[ "$output" = "through the installed relay" ]
}

@test "install: make uninstall leaves no file behind" {
	mk install
	run mk uninstall
	echo "$output"
	[ "$status" -eq 0 ]
	run find "$d/root" ! -type d
	echo "$output"
	[ -z "$output" ]
	[ ! -e "$d/root$prefix/share/migsock" ]
	[ ! -e "$d/root$prefix/lib/systemd/system" ]
	[ ! -e "$d/root$prefix/share/man/man1" ]
}

@test "install: PREFIX and DESTDIR decide every destination" {
	run make -n -C "$TOP" "${build_args[@]}" PREFIX=/opt/ms DESTDIR="$d/root" install
	[ "$status" -eq 0 ]
	local dests
	# Every path an install or sed writes to.
	dests=$(printf '%s\n' "$output" | sed 's/ && /\n/g' |
		awk '$1 == "install" { print $NF } / >\// { print $NF }' | sed 's/^>//')
	[ -n "$dests" ]
	run grep -v "^$d/root/opt/ms/\|^$d/root/usr/share/selinux/" <<<"$dests"
	echo "$output"
	[ -z "$output" ]
}

# The shell example of migsock-layout(5), with @DATADIR@ filled in.
layout_page_example() {
	awk '/^From a shell script/ { f = 1 } f && /^```$/ { n++; next } f && n == 1 { print }' \
		"$TOP/man/migsock-layout.5.scd" | sed "s|@DATADIR@|$1|g"
}

@test "install: the installed layout.sh reads the installed layout, for any PREFIX; the man page example runs" {
	# install-layout alone: no rebuild for another PREFIX.
	run make -s -C "$TOP" PREFIX="$d/prefix" install-layout
	echo "$output"
	[ "$status" -eq 0 ]
	local datadir=$d/prefix/share/migsock
	layout_page_example "$datadir" >"$d/example.sh"
	cat "$d/example.sh"
	[ -s "$d/example.sh" ]
	# MIGSOCK_LAYOUT unset or empty: the installed layout, by the rule of
	# every binary (src/lib/cli.c).
	run env -u MIGSOCK_LAYOUT sh -eu "$d/example.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "QEMU migrates through /run/migsock/test-sock-qemu" ]
	run env MIGSOCK_LAYOUT= sh -eu "$d/example.sh"
	[ "$output" = "QEMU migrates through /run/migsock/test-sock-qemu" ]
	# A set MIGSOCK_LAYOUT wins.
	sed 's/test-sock-qemu/other-qemu/' "$TOP/sockets/migration.layout" >"$d/other.layout"
	run env MIGSOCK_LAYOUT="$d/other.layout" sh -eu "$d/example.sh"
	[ "$output" = "QEMU migrates through /run/migsock/other-qemu" ]
	# With DESTDIR, the copy names PREFIX's directory, where it will run.
	make -s -C "$TOP" PREFIX=/opt/ms DESTDIR="$d/root" install-layout
	grep -qx "_LAYOUT_DATADIR=/opt/ms/share/migsock" "$d/root/opt/ms/share/migsock/layout.sh"
	cmp "$TOP/sockets/migration.layout" "$d/root/opt/ms/share/migsock/migration.layout"
}

@test "install: installed at its PREFIX, the binaries and layout.sh find the installed layout" {
	[ "$(id -u)" = 0 ] || skip "needs root (a private mount of PREFIX)"
	command -v unshare >/dev/null || skip "no unshare"
	mk install
	mkdir "$d/in" "$d/out"
	local driver
	driver=$(awk '$1 == "driver" { print $2 }' "$TOP/sockets/migration.layout")
	socat "UNIX-LISTEN:$d/out/$driver,fork" EXEC:cat 3>&- &
	pids+=($!)
	wait_for_socket "$d/out/$driver"
	layout_page_example "$prefix/share/migsock" >"$d/example.sh"
	# In a private mount namespace, the DESTDIR tree is mounted at PREFIX:
	# nothing on this host changes. No --layout, no MIGSOCK_LAYOUT.
	# shellcheck disable=SC2016 # expanded by the inner shell
	run env -u MIGSOCK_LAYOUT unshare --mount --propagation private sh -euc '
		mount --bind "$1$2" "$2"
		sh -eu "$3"
		"$2/bin/migsock-relay" --listen-dir "$4/in" --connect-dir "$4/out" \
			--channels driver --ready-fd 9 9>"$4/ready" 2>"$4/relay.log" 3>&- &
		for _ in $(seq 100); do [ -s "$4/ready" ] && break; sleep 0.1; done
		echo through | socat -t 5 - "UNIX-CONNECT:$4/in/$5"
		kill -TERM $!
		wait $!' sh "$d/root" "$prefix" "$d/example.sh" "$d" "$driver"
	echo "$output"
	cat "$d/relay.log"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "QEMU migrates through /run/migsock/test-sock-qemu" ]
	[ "${lines[1]}" = through ]
}
