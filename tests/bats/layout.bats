#!/usr/bin/env bats
# tests/bats/layout.bats - the socket layout read two ways: by shell
# (sockets/layout.sh, awk) and by C (src/lib/layout.c, through
# migsock-bind --layout). For every channel both must agree on socket name,
# mode and context; malformed files are refused with FILE:LINE: reason.
# shellcheck disable=SC2016

bats_require_minimum_version 1.5.0
load common
# shellcheck source=sockets/layout.sh
. "$TOP/sockets/layout.sh"

BIND=$MIGSOCK_BIN/migsock-bind

setup() {
	d=$(ms_tmpdir)
}

teardown() {
	rm -rf "$d"
}

# What C made of channel $2 of layout $1: "NAME MODE CONTEXT" ("-" for no
# context), read back from the socket migsock-bind created in a fresh
# directory, its mode, and the label notice (SELinux is off here).
c_view() {
	local file=$1 ch=$2 out dir name ctx
	dir=$(mktemp -d "$d/c.XXXXXX")
	out=$("$BIND" --layout "$file" --dir "$dir" --channel "$ch" -- sh -c 'echo "fdname=$LISTEN_FDNAMES"' 2>&1) || return 1
	name=$(cd "$dir" && ls)
	[ "$(grep -c '^fdname=' <<<"$out")" = 1 ] && grep -q "^fdname=$ch\$" <<<"$out" || return 1
	ctx=$(sed -n 's/.*sockets are created without the label //p' <<<"$out")
	printf '%s %o %s\n' "$name" "$((8#$(stat -c %a "$dir/$name")))" "${ctx:--}"
}

# What shell makes of it, in the same form.
sh_view() {
	local file=$1 ch=$2 mode
	mode=$(layout_get "$ch" mode "$file") || return 1
	printf '%s %o %s\n' "$(layout_get "$ch" name "$file")" "$((8#$mode))" \
		"$(layout_get "$ch" context "$file")"
}

agree_on_every_channel() {
	local file=$1 ch n=0
	if [ -e /sys/fs/selinux/enforce ]; then skip "reads contexts from the SELinux-off notice"; fi
	for ch in $(layout_channels "$file"); do
		c=$(c_view "$file" "$ch")
		s=$(sh_view "$file" "$ch")
		echo "$ch: C '$c' shell '$s'"
		[ -n "$c" ] && [ "$c" = "$s" ] || return 1
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "layout: shell and C agree on every channel of sockets/migration.layout" {
	run agree_on_every_channel "$TOP/sockets/migration.layout"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "layout: shell and C agree on a layout with tabs, CRLF, comments anywhere, '-' and short modes" {
	printf '%s\n' "# a comment line" "" \
		"alpha	sock-a	0600	-   # trailing comment" \
		"   beta  sock-b  640  system_u:object_r:svirt_socket_t:s0:c1,c2" \
		"g-3_x sock.c 7 -" "crlf  sock-d  0660  -"$'\r' \
		"hash  sock-e  0600  system_u:object_r:svirt_socket_t:s0#comment" >"$d/x.layout"
	run agree_on_every_channel "$d/x.layout"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
}

@test "layout: a malformed file is refused as FILE:LINE: reason, exit 3" {
	printf '%s\n' "# ok so far" "qemu test-sock-qemu 0660 -" "nbd test-sock-nbd 0999 -" >"$d/bad.layout"
	run "$BIND" --layout "$d/bad.layout" --dir "$d" --channel qemu -- true
	[ "$status" -eq 3 ]
	[ "$output" = "migsock-bind: $d/bad.layout:3: mode must be octal, at most 0777 (e.g. 0660)" ]
	[ ! -e "$d/test-sock-qemu" ]
	printf 'qemu test-sock-qemu 0 -\n' >"$d/zero.layout"
	run "$BIND" --layout "$d/zero.layout" --dir "$d" --channel qemu -- true
	[ "$status" -eq 3 ]
	[ "$output" = "migsock-bind: $d/zero.layout:1: mode 0 lets nobody but root connect: give e.g. 0660" ]
	run "$BIND" --layout "$d/none.layout" --dir "$d" --channel qemu -- true
	[ "$status" -eq 3 ]
	[ "$output" = "migsock-bind: cannot open layout file $d/none.layout: No such file or directory" ]
}

@test "layout: layout.sh refuses an unknown channel and field" {
	run layout_get video name "$TOP/sockets/migration.layout"
	[ "$status" -eq 3 ]
	run layout_get qemu colour "$TOP/sockets/migration.layout"
	[ "$status" -eq 2 ]
}
