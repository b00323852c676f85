#!/usr/bin/env bats
# tests/bats/completion.bats - bash completion (completion/migsock.bash) for
# the four commands: options come from each command's --help, option
# arguments complete (log formats, layout channels, directories), and
# migsock-bind completes the program after "--"; make install puts it where
# bash-completion looks for it.
# shellcheck disable=SC2030,SC2031

load common

setup() {
	d=$(ms_tmpdir)
	pids=() # stopped by scratch_teardown (common.bash)
	export pids
}

teardown() {
	scratch_teardown
}

# Complete the words "$@" (the last one being completed) as bash would.
complete_words() {
	PATH=$MIGSOCK_BIN:$PATH bash -c '
		. "$1/completion/migsock.bash"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_migsock "$1"
		printf "%s\n" "${COMPREPLY[@]}"' sh "$TOP" "$@"
}

@test "completion: every option of each command completes, and only those" {
	local c opt n
	for c in relay bind probe migrate; do
		[ -x "$MIGSOCK_BIN/migsock-$c" ] || continue
		run complete_words "migsock-$c" --
		[ "$status" -eq 0 ]
		n=0
		# Each long option of --help's option lines is offered (not the
		# options its descriptions mention).
		for opt in $("$MIGSOCK_BIN/migsock-$c" --help | sed -nE 's/^ {1,8}(-[a-zA-Z], )?(--[a-z][^ ]*( [A-Z][^ ]*)?(, --[a-z][^ ]*)*).*/\2/p' |
			grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
			grep -qx -- "$opt" <<<"$output" || { echo "migsock-$c: $opt not offered"; return 1; }
			n=$((n + 1))
		done
		[ "$n" -ge 4 ]
		# Nothing that is not an option.
		run grep -vc -- '^--' <<<"$output"
		[ "$output" = 0 ]
	done
	run complete_words migsock-probe --th
	[ "$output" = --through ]
}

@test "completion: option arguments: log formats, layout channels, directories" {
	run complete_words migsock-relay --log-format j
	[ "$output" = json ]
	run complete_words migsock-relay --layout "$TOP/sockets/migration.layout" --channels driver,n
	[ "$output" = driver,nbd ]
	MIGSOCK_LAYOUT=$TOP/sockets/migration.layout run complete_words migsock-bind --channel q
	[ "$output" = qemu ]
	mkdir "$d/sockdir"
	: >"$d/sockfile"
	run complete_words migsock-relay --listen-dir "$d/sock"
	[ "$output" = "$d/sockdir" ]
}

@test "completion: migsock-bind completes the program after --" {
	run complete_words migsock-bind "$d/s" -- migsock-rel
	[ "$output" = migsock-relay ]
}

@test "completion: make install puts it under each command's name" {
	case $MIGSOCK_BIN in
	*/build/asan/bin) set -- BUILDDIR=build/asan SANITIZE=1 ;;
	*) set -- ;;
	esac
	make -s -C "$TOP" "$@" DESTDIR="$d/root" install >/dev/null
	local c dir=$d/root/usr/local/share/bash-completion/completions
	for c in relay bind probe migrate; do
		cmp "$TOP/completion/migsock.bash" "$dir/migsock-$c"
	done
}
