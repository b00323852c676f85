#!/usr/bin/env bats
# tests/bats/suite.bats - the test suite's own rules: every bats test has a
# time limit that ends a hang (grandchildren included) instead of the run;
# make check's summary counts every stage, shows each skip's reason, fails
# a skip without one, and under CI=true fails a skip whose reason is not in
# tests/skips-allowed; the unit-test output becomes TAP with its skips.

load common

setup() {
	d=$(ms_tmpdir)
	# shellcheck disable=SC2034 # read by scratch_teardown
	pids=()
}

teardown() {
	scratch_teardown
}

@test "suite: a hung test fails at its time limit, its hung grandchildren ended too" {
	# A unique sleep length marks this test's processes.
	local mark=$((900 + RANDOM % 99)).$$
	# (TEST becomes @test afterwards: bats would take the lines for its own.)
	sed 's/^TEST/@test/' >"$d/hang.bats" <<-EOF
		load "$TOP/tests/bats/common"
		BATS_TEST_TIMEOUT=2
		TEST "hangs inside run" { run sleep $mark; }
		TEST "hangs in wait" { sleep $mark & wait \$!; }
		TEST "hangs in a pipeline" { sleep $mark | cat; }
		TEST "passes" { true; }
	EOF
	local start=$SECONDS
	run timeout 120 bats "$d/hang.bats"
	echo "$output"
	echo "status $status"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^not ok .* # timeout after 2s$' <<<"$output")" -eq 3 ]
	grep -q '^ok 4 passes$' <<<"$output"
	# Each hang ends within its limit and the second of grace, not at the
	# end of its sleep.
	echo "took $((SECONDS - start)) s"
	[ $((SECONDS - start)) -lt 60 ]
	! pgrep -f "sleep $mark" >/dev/null || { pgrep -af "sleep $mark"; false; }
}

@test "suite: every bats file has a time limit" {
	local f n=0 missing=()
	for f in "$TOP"/tests/*/*.bats; do
		n=$((n + 1))
		# common.bash sets the limit; e2e.bash and faults.bash load it.
		grep -Eq '^load (common|e2e|faults|\.\./bats/common)$' "$f" || missing+=("$f")
		[ "$("$TOP/tests/run-bats" --timeout-for "$f")" -gt 0 ]
	done
	grep -q 'bats/common.bash' "$TOP/tests/e2e/e2e.bash"
	grep -q 'e2e.bash' "$TOP/tests/e2e/faults.bash"
	printf 'no time limit: %s\n' "${missing[@]}"
	[ "${#missing[@]}" -eq 0 ]
	[ "$n" -ge 20 ]
	# The Makefile runs bats through tests/run-bats, which sets the limit too.
	run make -s -C "$TOP" -pn bats
	grep -q '^BATS ?\{0,1\}= tests/run-bats' <<<"$output"
}

# A results directory as make check leaves it: stage dirs with TAP.
results() {
	mkdir -p "$d/r/bats" "$d/r/e2e"
	printf 'ok 1 a\nok 2 b # skip no usable /dev/kvm here\nnot ok 3 c\n' >"$d/r/bats/report.tap"
	echo 0 >"$d/r/bats/status"
	printf 'ok 1 d\nok 2 e # skip needs a flux capacitor\n' >"$d/r/e2e/report.tap"
	echo 0 >"$d/r/e2e/status"
}

@test "suite: the summary sums every stage, lists skips with reasons, ends with one line" {
	results
	run env -u CI "$TOP/tests/summary/summary" "$d/r"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "2 passed, 1 failed, 2 skipped" ]
	[[ "$output" == *"FAILED  [bats] c"* ]]
	[[ "$output" == *"skipped [bats] b: no usable /dev/kvm here"* ]]
	[[ "$output" == *"skipped [e2e] e: needs a flux capacitor"* ]]
	# All passed: exit 0.
	sed -i '/^not ok/d' "$d/r/bats/report.tap"
	run env -u CI "$TOP/tests/summary/summary" "$d/r"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "2 passed, 0 failed, 2 skipped" ]
	# A stage that failed without a failed test still fails the run.
	echo 2 >"$d/r/e2e/status"
	run env -u CI "$TOP/tests/summary/summary" "$d/r"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stages that failed: e2e"* ]]
}

@test "suite: under CI=true a skip fails unless its reason is allowed; a skip without reason always fails" {
	results
	sed -i '/^not ok/d' "$d/r/bats/report.tap"
	run env CI=true "$TOP/tests/summary/summary" "$d/r"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "2 passed, 1 failed, 1 skipped" ]
	[[ "$output" == *"FAILED  [e2e] e: skipped in CI (needs a flux capacitor); not in tests/skips-allowed"* ]]
	# The allowed reason alone: CI passes.
	sed -i '/flux/d' "$d/r/e2e/report.tap"
	run env CI=true "$TOP/tests/summary/summary" "$d/r"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "2 passed, 0 failed, 1 skipped" ]
	# bats prints a bare "# skip" for skip without a reason.
	echo 'ok 3 f # skip' >>"$d/r/e2e/report.tap"
	run env -u CI "$TOP/tests/summary/summary" "$d/r"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAILED  [e2e] f: skipped without a reason"* ]]
}

@test "suite: a stage without tests of its own counts once, passed or failed" {
	run "$TOP/tests/summary/stage" "$d/r" build true
	[ "$status" -eq 0 ]
	run "$TOP/tests/summary/stage" "$d/r" lint false
	[ "$status" -eq 1 ]
	run env -u CI "$TOP/tests/summary/summary" "$d/r"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 1 failed, 0 skipped" ]
	[[ "$output" == *"FAILED  [lint] stage lint: exited 1"* ]]
}

@test "suite: unit-test output becomes TAP, skips with their reason" {
	cat >"$d/fake-unit" <<-'EOF'
		#!/bin/sh
		echo "ok   first"
		echo "     (skipped: second needs root)"
		echo "ok   second"
		echo "FAIL third"
		echo "3 checks, 1 failed"
		exit 1
	EOF
	chmod +x "$d/fake-unit"
	MIGSOCK_RESULTS=$d/r/unit run "$TOP/tests/summary/unit-tap" "$d/fake-unit"
	[ "$status" -eq 1 ]
	[ "$(cat "$d/r/unit/unit-fake-unit.tap")" = "ok 1 fake-unit: first
ok 2 fake-unit: second # skip second needs root
not ok 3 fake-unit: third" ]
}
