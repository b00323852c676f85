#!/usr/bin/env bats
# tests/bats/badinput.bats - every row of tests/badinput/catalogue, one test
# per group. Each row checks the exact error line and exit code, and that
# the binary did not crash (signal, sanitizer report), hang (timeout) or
# leave a socket behind. Failing rows are listed with their stderr.

load common
load ../badinput/badinput

run_group() {
	run badinput_group "$1"
	[ "$status" -eq 0 ]
}

@test "bad input: migsock-relay command lines" { run_group relay; }
@test "bad input: socket paths" { run_group path; }
@test "bad input: SELinux contexts" { run_group label; }
@test "bad input: socket-layout files" { run_group layout; }
@test "bad input: garbage, oversized and truncated data on the relay's sockets" { run_group data; }
@test "bad input: descriptors exhausted and connection limits" { run_group limits; }
@test "bad input: peers refused by uid, gid and context" { run_group peers; }
@test "bad input: migsock-bind" { run_group bind; }
@test "bad input: migsock-probe" { run_group probe; }
@test "bad input: migsock-migrate without daemons" { run_group migrate; }
@test "bad input: the catalogue holds at least 40 rows" {
	n=$(grep -c '^id: ' "$BADINPUT_CATALOGUE")
	echo "rows: $n"
	[ "$n" -ge 40 ]
	dups=$(grep '^id: ' "$BADINPUT_CATALOGUE" | sort | uniq -d)
	[ -z "$dups" ]
}
