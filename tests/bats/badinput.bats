#!/usr/bin/env bats
# tests/bats/badinput.bats - every row of tests/badinput/catalogue, one test
# per group. Each row checks the exact error line and exit code, and that
# the binary did not crash (signal, sanitizer report), hang (timeout) or
# leave a socket behind. Failing rows are listed with their stderr. Rows
# marked "needs: root" run in a test of their own per group, which skips
# with its reason when not root.

load common
load ../badinput/badinput

run_group() {
	run badinput_group "$@"
	[ "$status" -eq 0 ]
}

run_root_group() {
	local ids
	ids=$(badinput_rows "$1" | awk -F'\037' '$2 == "root" { printf "%s%s", sep, $1; sep = ", " }')
	[ "$(id -u)" = 0 ] || skip "needs root: $ids"
	run_group "$1" root
}

@test "bad input: migsock-relay command lines" { run_group relay; }
@test "bad input: socket paths" { run_group path; }
@test "bad input: socket paths, as root" { run_root_group path; }
@test "bad input: SELinux contexts" { run_group label; }
@test "bad input: socket-layout files" { run_group layout; }
@test "bad input: garbage, oversized and truncated data on the relay's sockets" { run_group data; }
@test "bad input: descriptors exhausted and connection limits" { run_group limits; }
@test "bad input: peers (allow-lists that cannot work here)" { run_group peers; }
@test "bad input: peers refused by uid, gid and context, as root" { run_root_group peers; }
@test "bad input: migsock-bind" { run_group bind; }
@test "bad input: migsock-bind, as root" { run_root_group bind; }
@test "bad input: migsock-probe" { run_group probe; }
@test "bad input: migsock-probe, as root" { run_root_group probe; }
@test "bad input: migsock-migrate without daemons" { run_group migrate; }
@test "bad input: migsock-migrate without daemons, as root" { run_root_group migrate; }
@test "bad input: the catalogue holds at least 40 rows" {
	n=$(grep -c '^id: ' "$BADINPUT_CATALOGUE")
	echo "rows: $n"
	[ "$n" -ge 40 ]
	dups=$(grep '^id: ' "$BADINPUT_CATALOGUE" | sort | uniq -d)
	[ -z "$dups" ]
	# Every row runs in some test above: its group (and, for rows that
	# need root, the group's root test) is one this file runs.
	local me=$BATS_TEST_FILENAME id needs rest missing=()
	while IFS=$'\037' read -r id needs rest; do
		if [ "$needs" = root ]; then
			grep -q "{ run_root_group ${id%%-*}; }" "$me" || missing+=("$id")
		elif [ -n "$needs" ]; then
			missing+=("$id (unknown needs: $needs)")
		else
			grep -q "{ run_group ${id%%-*}; }" "$me" || missing+=("$id")
		fi
	done < <(badinput_rows "")
	printf 'no test runs row %s\n' "${missing[@]}"
	[ "${#missing[@]}" -eq 0 ]
}
