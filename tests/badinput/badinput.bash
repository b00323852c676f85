# shellcheck shell=bash
# tests/badinput/badinput.bash - runs the rows of tests/badinput/catalogue.
#
# A row is a block of "key: value" lines, blocks separated by blank lines:
#   id:     GROUP-NAME (the group is what tests/bats/badinput.bats runs)
#   needs:  root (optional: such rows run in their group's own bats test,
#           which skips, with the reason in TAP, when not root)
#   setup:  shell run first in the row's scratch directory $D (optional)
#   run:    the command under test (shell words; migsock-* from $MIGSOCK_BIN)
#   exit:   the exit code it must return
#   error:  a line its stderr must contain exactly (@D@ = the scratch dir)
#   match:  the same as a bash glob, for lines with pids or timings
#   check:  shell run afterwards; must succeed (e.g. a file kept intact)
#   timeout: seconds the row may take (optional; default $BADINPUT_TIMEOUT),
#           for scenarios that start hundreds of processes on a loaded host
# Every row must also: finish within $BADINPUT_TIMEOUT seconds, not die of
# a signal, print no sanitizer report, leave no new socket in $D, and
# print its error in one line (at most one line on stderr besides notices).

# Needs tests/bats/common.bash loaded first (close_inherited_fds).
BADINPUT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BADINPUT_CATALOGUE=${BADINPUT_CATALOGUE:-$BADINPUT_DIR/catalogue}
BADINPUT_TIMEOUT=${BADINPUT_TIMEOUT:-20}

# Print the rows of @group (all rows for "") as one line each: id<US>needs<US>setup<US>run<US>
# exit<US>error<US>match<US>check<US>timeout (unit separator: no field
# contains it).
badinput_rows() {
	awk -v group="$1" '
		function flush() {
			if (r["id"] != "" && (group == "" || index(r["id"], group "-") == 1))
				printf "%s\037%s\037%s\037%s\037%s\037%s\037%s\037%s\037%s\n",
					r["id"], r["needs"], r["setup"], r["run"], r["exit"],
					r["error"], r["match"], r["check"], r["timeout"]
			delete r
		}
		/^#/ { next }
		/^[[:space:]]*$/ { flush(); next }
		{
			k = $0; sub(/:.*/, "", k)
			v = $0; sub(/^[a-z]+:[ \t]*/, "", v)
			r[k] = (k in r) ? r[k] "; " v : v
		}
		END { flush() }' "$BADINPUT_CATALOGUE"
}

# The sockets under @dir, one path a line, sorted.
badinput_sockets() {
	find "$1" -type s 2>/dev/null | sort
}

# Run one row; print "ok ID" or "not ok ID: reason" lines; return 0/1.
badinput_row() {
	local id=$1 needs=$2 setup=$3 run=$4 exit=$5 error=$6 match=$7 check=$8
	local limit=${9:-$BADINPUT_TIMEOUT}
	local D out rc=0 line found=0 lines
	if [ "$needs" = root ] && [ "$(id -u)" != 0 ]; then
		echo "not ok $id: needs root (run it through badinput_group GROUP root)"
		return 1
	fi
	D=$(mktemp -d /tmp/ms.XXXXXX)
	out=$(mktemp -d /tmp/ms-out.XXXXXX)
	cat >"$out/row.sh" <<-EOF
		. "$BADINPUT_DIR/helpers.bash"
		D=$D
		cd "\$D" || exit 99
		$setup
		badinput_sockets "\$D" >"$out/before"
		$run
	EOF
	# The row starts with stdin, stdout and stderr only, as from a shell:
	# descriptors bats or the CI runner hold would change what a row run
	# under a descriptor limit (the limits group) can open.
	(
		close_inherited_fds
		PATH="$MIGSOCK_BIN:$PATH" BADINPUT_OUT=$out \
			exec timeout -k 5 "$limit" bash "$out/row.sh" \
			>"$out/stdout" 2>"$out/stderr" </dev/null
	) || rc=$?
	local fail=
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail="hung: no exit within ${limit}s"
	elif [ "$rc" -ge 128 ]; then
		fail="killed by signal $((rc - 128))"
	elif grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$out/stderr"; then
		fail="sanitizer report"
	elif [ "$rc" != "$exit" ]; then
		fail="exit $rc, expected $exit"
	fi
	if [ -z "$fail" ]; then
		error=${error//@D@/$D}
		match=${match//@D@/$D}
		while IFS= read -r line; do
			if [ -n "$error" ] && [ "$line" = "$error" ]; then found=1; fi
			# shellcheck disable=SC2053 # match is a glob on purpose
			if [ -n "$match" ] && [[ $line == $match ]]; then found=1; fi
		done <"$out/stderr"
		[ "$found" = 1 ] || fail="expected line not on stderr: ${error:-$match}"
	fi
	# One line per error: notices (SELinux off) aside, nothing else.
	lines=$(grep -cv -e 'SELinux is disabled' -e '^soak' "$out/stderr" || true)
	if [ -z "$fail" ] && [ -n "$error" ] && [ "$lines" -gt 1 ]; then
		fail="$lines lines on stderr, expected the error alone"
	fi
	if [ -z "$fail" ]; then
		local left
		left=$(comm -13 <(cat "$out/before" "$D/.helper-sockets" 2>/dev/null | sort -u) \
			<(badinput_sockets "$D") 2>/dev/null)
		[ -z "$left" ] || fail="socket left behind: $left"
	fi
	# shellcheck source=tests/badinput/helpers.bash
	if [ -z "$fail" ] && [ -n "$check" ] &&
		! (cd "$D" && . "$BADINPUT_DIR/helpers.bash" && eval "$check") >>"$out/stderr" 2>&1; then
		fail="check failed: $check"
	fi
	badinput_teardown "$D"
	if [ -n "$fail" ]; then
		echo "not ok $id: $fail"
		sed 's/^/#   stderr: /' "$out/stderr" | head -n 8
		rm -rf "$D" "$out"
		return 1
	fi
	echo "ok $id"
	rm -rf "$D" "$out"
	return 0
}

# badinput_group GROUP [root]: run the rows of GROUP that need nothing, or
# with "root" those marked "needs: root"; fail if any row failed (all rows
# still run) or if there was no such row.
badinput_group() {
	local group=$1 want=${2:-} failed=0 n=0
	local id needs setup run exit error match check limit
	while IFS=$'\037' read -r id needs setup run exit error match check limit; do
		[ "$needs" = "$want" ] || continue
		n=$((n + 1))
		badinput_row "$id" "$needs" "$setup" "$run" "$exit" "$error" "$match" "$check" "$limit" ||
			failed=$((failed + 1))
	done < <(badinput_rows "$group")
	echo "# $group${want:+ (needs $want)}: $n rows, $failed failed"
	[ "$n" -gt 0 ] && [ "$failed" = 0 ]
}

# Kill what a row's setup started in the background (helpers.bash records
# their pids in $D/.pids) and remove the scratch directory.
badinput_teardown() {
	local D=$1 pid
	if [ -f "$D/.pids" ]; then
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null || true
		done <"$D/.pids"
	fi
	chmod -R u+rwx "$D" 2>/dev/null || true
}
