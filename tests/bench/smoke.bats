#!/usr/bin/env bats
# tests/bench/smoke.bats - the benchmark's own test, run by `make check`:
# the load tool moves and checks every byte, catches a corrupted one, reads
# a forwarder's processes, and the driver prints its table. Small sizes; no
# speed is asserted anywhere.
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
