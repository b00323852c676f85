#!/usr/bin/env bats
# tests/bench/smoke.bats - the benchmarks' own test, run by `make check`:
# the load tool moves and checks every byte, catches a corrupted one, reads
# a forwarder's processes (CPU, RSS, pipes), watches a cgroup, spins a
# bounded CPU hog, the driver prints its table and targets. Small sizes; no
# speed is asserted anywhere. The whole pipeline (real pods, minutes) is
# tests/bench/pipeline.bats, `make bench-pipeline`.
# MSBENCH: the tool under test; MIGSOCK_BIN: where migsock-relay is.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
load ../bats/common
MSBENCH=${MSBENCH:-$TOP/build/bench/msbench}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

setup() {
	dir=$(mktemp -d /tmp/msbs.XXXXXX)
	"$MSBENCH" server --listen "$dir/srv.sock" 2>"$dir/server.log" &
	server_pid=$!
	fwd_pid=
	"$MSBENCH" wait --connect "$dir/srv.sock" --timeout 10
}

teardown() {
	local pid kids=()
	for pid in $fwd_pid $server_pid; do
		mapfile -t kids < <(ps -o pid= --ppid "$pid" || true)
		kill "$pid" "${kids[@]}" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -s "$dir/server.log" ]; then
		echo "server log:"
		cat "$dir/server.log"
	fi
	rm -rf "$dir"
}

start_socat() {
	socat "UNIX-LISTEN:$dir/fwd.sock,fork" "UNIX-CONNECT:$dir/srv.sock" &
	fwd_pid=$!
	"$MSBENCH" wait --connect "$dir/fwd.sock" --timeout 10
}

# cat with stdin only: every other descriptor closed first.
pipe_holder() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -le 2 ] || eval "exec $fd>&-"
	done
	exec cat >/dev/null 2>/dev/null
}

# The value of key $1 in the key=value line in $output.
value_of() {
	sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$output"
}

@test "one stream to the server: every byte arrives and is checked" {
	run "$MSBENCH" stream --connect "$dir/srv.sock" --bytes 64M
	[ "$status" -eq 0 ]
	[ "$(value_of bytes)" = 67108864 ]
	[[ "$output" == "test=stream streams=1 "* ]]
	# the server reports its own CPU time in its verdict
	[ -n "$(value_of server_cpu_s_per_gb)" ]
}

@test "four streams from the server: the client checks every byte" {
	run "$MSBENCH" stream --connect "$dir/srv.sock" --bytes 64M --streams 4 --down
	[ "$status" -eq 0 ]
	[ "$(value_of streams)" = 4 ]
	[ "$(value_of bytes)" = 67108864 ]
}

@test "one flipped byte is caught at its offset" {
	run "$MSBENCH" stream --connect "$dir/srv.sock" --bytes 64M --corrupt-at 33554433
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrong data at byte 33554433:"* ]]
	[[ "$output" != *gbps=* ]]
}

@test "sampled checking catches a flipped byte on a 4 KiB boundary" {
	run "$MSBENCH" stream --connect "$dir/srv.sock" --bytes 64M --verify sampled \
		--corrupt-at 33554436
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrong data at byte 33554436:"* ]]
	run "$MSBENCH" stream --connect "$dir/srv.sock" --bytes 64M --verify sampled --down
	[ "$status" -eq 0 ]
	[ "$(value_of verify)" = sampled ]
}

@test "round trips are echoed exactly and give percentiles" {
	run "$MSBENCH" rr --connect "$dir/srv.sock" --count 500 --size 64
	[ "$status" -eq 0 ]
	[ "$(value_of count)" = 500 ]
	[ -n "$(value_of p50_us)" ]
	[ -n "$(value_of p99_us)" ]
}

@test "through socat: bytes intact and the forwarder's CPU is read" {
	start_socat
	run "$MSBENCH" stream --connect "$dir/fwd.sock" --bytes 64M --pid "$fwd_pid"
	[ "$status" -eq 0 ]
	# socat's 8 KiB copy loop cannot move 64 MiB without CPU time, nor
	# without being woken up.
	awk -v s="$(value_of fwd_cpu_s)" 'BEGIN { exit !(s > 0) }'
	awk -v r="$(value_of fwd_runs_per_mb)" 'BEGIN { exit !(r > 0) }'
}

@test "idle connections through socat: its children are counted" {
	start_socat
	run "$MSBENCH" hold --connect "$dir/fwd.sock" --conns 32 --pid "$fwd_pid"
	[ "$status" -eq 0 ]
	# socat itself plus one fork per connection.
	[ "$(value_of fwd_procs)" = 33 ]
	[ "$(value_of fwd_hwm_kib)" -gt "$(value_of fwd_pss_kib)" ]
}

@test "a forwarder pid that is not running is a one-line error" {
	run "$MSBENCH" hold --connect "$dir/srv.sock" --conns 2 --pid 999999999
	[ "$status" -eq 1 ]
	[[ "$output" == "msbench: forwarder pid 999999999 is not running: check its log" ]]
}

@test "wait gives up on a path nobody listens at" {
	run "$MSBENCH" wait --connect "$dir/nobody.sock" --timeout 0.2
	[ "$status" -eq 1 ]
	[[ "$output" == "msbench: nothing accepts at $dir/nobody.sock after 0.2 s:"* ]]
}

@test "report refuses a results file without results" {
	: >"$dir/empty.txt"
	run "$MSBENCH" report "$dir/empty.txt"
	[ "$status" -eq 3 ]
	[[ "$output" == *"holds no results"* ]]
}

@test "the driver alternates every case and prints the table" {
	BENCH_RUNS=2 BENCH_BYTES=32M BENCH_PAR_STREAMS=8 BENCH_PAR_BYTES=32M \
		BENCH_RR_COUNT=200 BENCH_HOLD_CONNS=16 BENCH_OUT="$dir/out" \
		run "$TOP/tests/bench/run-bench"
	[ "$status" -eq 0 ]
	[[ "$output" == *"failed measurements: 0"* ]]
	local c cases=(direct socat socat-b1M)
	[ ! -x "${MIGSOCK_BIN:-$TOP/build/bin}/migsock-relay" ] || cases+=(relay)
	for c in "${cases[@]}"; do
		# two runs of four tests for every case
		[ "$(grep -c "^case=$c run=" "$dir/out/results.txt")" -eq 8 ]
		grep -q "^$c " "$dir/out/report.txt"
	done
	grep -q "^targets for migsock-relay" "$dir/out/report.txt"
}

@test "report and targets: issue 12's targets from a results file" {
	cat >"$dir/r.txt" <<-EOF
	case=direct run=1 test=stream streams=1 bytes=100 gbps=10
	case=relay run=1 test=stream streams=1 bytes=100 gbps=9.6
	case=direct run=1 test=parallel streams=64 bytes=100 gbps=10
	case=relay run=1 test=parallel streams=64 bytes=100 gbps=9 fwd_hwm_kib=3072 fwd_rss_peak_kib=2048 fwd_pipes_kib=16448 pipe_budget_kib=32768
	case=direct run=1 test=rr size=64 count=10 p50_us=10 p99_us=20
	case=relay run=1 test=rr size=64 count=10 p50_us=21 p99_us=40
	EOF
	run "$MSBENCH" targets "$dir/r.txt"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == "one stream, relay / direct AF_UNIX"$'\t'"0.96x"$'\t'">= 0.95x"$'\t'"met"$'\t'* ]]
	[[ "${lines[1]}" == "64 streams, relay / direct"$'\t'"0.90x"$'\t'">= 0.95x"$'\t'"MISSED by 5%"$'\t'* ]]
	[[ "${lines[2]}" == *$'\t'"2.10x"$'\t'"<= 2.00x"$'\t'"MISSED by 5%"$'\t'* ]]
	[[ "${lines[3]}" == "relay RSS, 64 bulk streams"$'\t'"VmHWM 3.0 MiB, VmRSS peak 2.0 MiB; pipes 16.1 MiB"$'\t'*$'\t'met$'\t'* ]]
	# Pipes past the budget miss it.
	sed -i 's/fwd_pipes_kib=16448/fwd_pipes_kib=40000/' "$dir/r.txt"
	run "$MSBENCH" targets "$dir/r.txt"
	[[ "${lines[3]}" == *$'\t'MISSED$'\t'* ]]
	run "$MSBENCH" report "$dir/r.txt"
	[ "$status" -eq 0 ]
	[[ "$output" == *"targets for migsock-relay (issue 12)"* ]]
	[[ "$output" == *"64 streams, relay / direct"*"MISSED by 5%"* ]]
}

@test "through the relay: CPU per GiB, peak RSS and the pipes it holds" {
	local relay=${MIGSOCK_BIN:-$TOP/build/bin}/migsock-relay
	[ -x "$relay" ] || skip "no $relay (make)"
	[ "$(id -u)" = 0 ] || skip "reading another process's pipes needs root"
	"$relay" --listen "$dir/fwd.sock" --connect "$dir/srv.sock" 2>"$dir/relay.log" &
	fwd_pid=$!
	"$MSBENCH" wait --connect "$dir/fwd.sock" --timeout 10
	run "$MSBENCH" stream --connect "$dir/fwd.sock" --bytes 256M --streams 8 --pid "$fwd_pid"
	echo "$output"
	[ "$status" -eq 0 ]
	awk -v s="$(value_of fwd_cpu_s_per_gib)" 'BEGIN { exit !(s > 0) }'
	[ "$(value_of fwd_hwm_kib)" -gt 0 ]
	[ "$(value_of fwd_rss_kib)" -gt 0 ]
	[ "$(value_of fwd_rss_peak_kib)" -gt 0 ]
	# 8 streams through a splicing relay: at least one pipe per stream,
	# 4 KiB or more each.
	[ "$(value_of fwd_pipes_kib)" -ge 32 ]
	[ "$(value_of pipe_budget_kib)" -gt 0 ]
}

@test "memwatch: peak RSS and pipe capacity of a cgroup's processes, until SIGTERM" {
	# A stand-in cgroup: only cgroup.procs is read. cat holds the read end
	# of a pipe of the default 64 KiB, and no other pipe (bats's closed).
	sleep 30 | pipe_holder &
	local holder=$!
	mkdir "$dir/cg"
	echo "$holder" >"$dir/cg/cgroup.procs"
	"$MSBENCH" memwatch --cgroup "$dir/cg" --interval 0.05 --timeout 20 >"$dir/mw.out" &
	local mw=$!
	sleep 0.5
	kill -TERM "$mw"
	wait "$mw"
	kill "$holder" 2>/dev/null || true
	output=$(cat "$dir/mw.out")
	echo "$output"
	[ "$(value_of procs_max)" = 1 ]
	[ "$(value_of rss_peak_kib)" -gt 0 ]
	[ "$(value_of hwm_end_kib)" -gt 0 ]
	[ "$(id -u)" != 0 ] || [ "$(value_of pipes_peak_kib)" = 64 ]
	[ "$(value_of samples)" -ge 2 ]
	run "$MSBENCH" memwatch --cgroup "$dir/nothing" --timeout 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"no process in $dir/nothing/cgroup.procs"* ]]
}

@test "spin: a CPU hog that ends at its timeout and on SIGTERM" {
	local t0=$SECONDS pid
	run timeout 20 "$MSBENCH" spin --timeout 1
	[ "$status" -eq 0 ]
	[ $((SECONDS - t0)) -le 10 ]
	"$MSBENCH" spin --timeout 60 &
	pid=$!
	sleep 0.3
	# It burns CPU: utime+stime went up.
	[ "$(awk '{ print $14 + $15 }' "/proc/$pid/stat")" -gt 0 ]
	kill -TERM "$pid"
	timeout 10 tail --pid="$pid" -f /dev/null
	run "$MSBENCH" spin --timeout 0
	[ "$status" -eq 2 ]
}

@test "run-results: the quiet-machine statement only under a load of 1" {
	# Sourced in a shell of its own: it defines, and runs nothing.
	run bash -c '. "$1" && is_quiet 0.99 && ! is_quiet 1.00 && ! is_quiet 7.5' _ \
		"$TOP/tests/bench/run-results"
	[ "$status" -eq 0 ]
	run "$TOP/tests/bench/run-results" --dest "$dir/not-a-results-name"
	[ "$status" -eq 2 ]
	[[ "$output" == *"must start with results-"* ]]
}

# A results.tsv of the migration benchmark: one full row per case and
# scenario of one run (see run-bench-migrate for the columns).
fake_migrate_results() {
	local c s pc hog
	printf 'case\tscenario\trun\twall_s\telapsed_ms\tdowntime_ms\tmemory_bps\titerations\tmoved_bytes\tfwd_cpu_s\tload1\tfwd_wait_s\tfwd_rss_peak_kib\tfwd_pipes_peak_kib\tfwd_procs\tpostcopy\tpostcopy_requests\thog_cpu_s\tsetup_s\n'
	for s in one parallel postcopy contention; do
		for c in a b d; do
			[ "$s" != postcopy ] || [ "$c" != d ] || continue
			pc=0 hog=0
			[ "$s" != postcopy ] || pc=1
			[ "$s" != contention ] || hog=3.5
			printf '%s\t%s\t1\t5.1\t%s\t80\t600000000\t4\t2147483648\t0.5\t0.2\t0.1\t3000\t512\t2\t%s\t3\t%s\t20\n' \
				"$c" "$s" "$([ "$c" = b ] && echo 4000 || echo 5000)" "$pc" "$hog"
		done
	done
}

@test "bench-migrate: every figure or no table; the targets from its results" {
	local rbm=$TOP/tests/bench/migrate/run-bench-migrate
	fake_migrate_results >"$dir/results.tsv"
	check() {
		bash -c '. "$1"; OUT=$2; CASES="a b d"; RUNS=1
			SCENARIOS="one parallel postcopy contention"; check_results' _ "$rbm" "$dir"
	}
	run check
	[ "$status" -eq 0 ]
	# A missing figure, a post-copy that never switched, hogs that never
	# ran, a missing migration: each is named.
	sed -i '3s/\t3000\t/\tnan\t/' "$dir/results.tsv"
	run check
	[ "$status" -eq 1 ]
	[[ "$output" == *"b one run 1: no fwd_rss_peak_kib"* ]]
	fake_migrate_results | awk -F'\t' -v OFS='\t' '$2 == "postcopy" { $16 = 0 } $2 == "contention" { $18 = 0 } 1' \
		| grep -v '^d.parallel' >"$dir/results.tsv"
	run check
	[ "$status" -eq 1 ]
	[[ "$output" == *"a postcopy run 1: the migration never switched to post-copy"* ]]
	[[ "$output" == *"d contention run 1: the CPU hogs did not run"* ]]
	[[ "$output" == *"10 results for 11 migrations"* ]]
	# The targets: 4000/5000 ms is 0.80 against no forwarder and socat.
	fake_migrate_results >"$dir/results.tsv"
	run bash -c '. "$1"; report_targets_tsv "$2"' _ "$TOP/tests/bench/migrate/report.bash" "$dir/results.tsv"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == "e2e one connection, relay / no forwarder (shared dir)"$'\t'"0.80x"$'\t'"<= 1.05x"$'\t'"met"$'\t'* ]]
	[[ "${lines[3]}" == "e2e contention: one connection, a CPU hog per core, relay / socat -b 1048576"$'\t'"0.80x"$'\t'"<= 0.80x"$'\t'"met"$'\t'* ]]
	sed -i 's/^b\tcontention\t1\t5.1\t4000/b\tcontention\t1\t5.1\t4500/' "$dir/results.tsv"
	run bash -c '. "$1"; report_targets_tsv "$2"' _ "$TOP/tests/bench/migrate/report.bash" "$dir/results.tsv"
	[[ "${lines[3]}" == *$'\t'"0.90x"$'\t'"<= 0.80x"$'\t'"MISSED by 12%"$'\t'* ]]
	run bash -c '. "$1"; report_table "$2" /dev/null' _ "$TOP/tests/bench/migrate/report.bash" "$dir/results.tsv"
	[ "$status" -eq 0 ]
	[[ "$output" == *"post-copy (after one pre-copy pass): median [min-max] of 1 runs"* ]]
	[[ "$output" == *"CPU seconds the hogs got during the migration"* ]]
}
