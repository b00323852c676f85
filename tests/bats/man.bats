#!/usr/bin/env bats
# tests/bats/man.bats - one source per command (man/*.scd): --help prints
# exactly the text man/scd2help renders from it, `man -l` renders every
# built page without a warning, every long option a command accepts is in
# its man page and its --help, and the layout page's example is the
# installed default layout.

load common

MAN_BUILD=$TOP/build/man

# build/gen/datadir holds "DATADIR VERSION" (man/man.mk): the first part.
datadir() {
	sed 's/ [^ ]*$//' "$TOP/build/gen/datadir"
}

# The long options a command's parser accepts: its getopt_long table.
long_options() {
	sed -n 's/^[[:space:]]*{ *"\([a-z0-9-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' \
		"$TOP"/src/"$1"/*.c | sort -u
}

commands() {
	local scd
	for scd in "$TOP"/man/migsock-*.1.scd; do
		scd=${scd##*/migsock-}
		printf '%s\n' "${scd%.1.scd}"
	done
}

@test "man: --help is the text rendered from the man source" {
	local c n=0
	for c in $(commands); do
		[ -x "$MIGSOCK_BIN/migsock-$c" ] || continue
		"$TOP/man/scd2help" --datadir "$(datadir)" "$TOP/man/migsock-$c.1.scd" >"$BATS_TEST_TMPDIR/want"
		"$MIGSOCK_BIN/migsock-$c" --help >"$BATS_TEST_TMPDIR/got"
		diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}

@test "man: every page renders with man -l, without warnings" {
	local page n=0
	for page in "$MAN_BUILD"/*.[15]; do
		run env MANWIDTH=80 man --warnings -l "$page"
		[ "$status" -eq 0 ]
		[[ "$output" == *NAME* ]]
		[[ "$output" == *"$(basename "${page%.[15]}")"* ]]
		# No warnings from groff, no unsubstituted placeholders.
		run sh -c 'MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null' sh "$page"
		[ -z "$output" ]
		# (Not `! grep`: errexit ignores a negated command.)
		if grep -q '@DATADIR@' "$page"; then
			echo "unsubstituted @DATADIR@ in $page"
			return 1
		fi
		n=$((n + 1))
	done
	# Four commands and the layout format.
	[ "$n" -eq "$(find "$TOP/man" -name '*.scd' | wc -l)" ]
	[ -f "$MAN_BUILD/migsock-layout.5" ]
}

@test "man: every long option a command accepts is in its man page and --help" {
	local c opt n=0 missing=()
	for c in $(commands); do
		[ -d "$TOP/src/$c" ] || continue
		for opt in $(long_options "$c"); do
			grep -q -- "\*--$opt\*" "$TOP/man/migsock-$c.1.scd" || missing+=("migsock-$c.1.scd: --$opt")
			if [ -x "$MIGSOCK_BIN/migsock-$c" ]; then
				"$MIGSOCK_BIN/migsock-$c" --help | grep -q -- "--$opt\b" || missing+=("migsock-$c --help: --$opt")
			fi
			n=$((n + 1))
		done
	done
	printf 'undocumented: %s\n' "${missing[@]}"
	[ "${#missing[@]}" -eq 0 ]
	[ "$n" -ge 20 ]
}

@test "man: the layout page's example is the default layout" {
	local want got
	want=$(awk '$1 !~ /^#/ && NF { print $1, $2, $3, $4 }' "$TOP/sockets/migration.layout")
	got=$(awk '/^# EXAMPLES/ { ex = 1 } ex && /^```/ { n++; next } ex && n == 1 { print $1, $2, $3, $4 }' \
		"$TOP/man/migsock-layout.5.scd")
	[ "$want" = "$got" ]
}
