#!/bin/bash
# tests/soak/soak.sh - load soak of migsock-relay (issue 7, "Load").
#
# A relay between soakload's clients and soakload's echo server carries
# N parallel streams checked byte by byte plus a storm of short connections
# for a bounded time. Afterwards every byte has been verified (soakload),
# the relay still runs, its open descriptors are back where they were after
# a warm-up run of the same shape and its RSS has not grown beyond a small
# slack: 128 KiB, i.e. 14 bytes per connection over 10,064 connections (the
# relay's RSS after a same-shape warm-up stays flat to the page: a leak of
# tens of bytes per connection, allocator overhead included, shows). The
# script prints the smallest per-connection leak its run can catch and
# refuses a run too small to catch 64 bytes. Figures are printed, never
# asserted as timings.
#
# --valgrind runs the relay under memcheck (no sandbox: valgrind's own
# syscalls are not on the relay's seccomp list) and fails on any invalid
# access or definite/indirect leak at exit.
#
# usage: soak.sh [--seconds S] [--streams N] [--short N] [--valgrind]
# env:   MIGSOCK_BIN (build/bin), SOAKLOAD (build/soak/soakload)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MIGSOCK_BIN:-$top/build/bin}
soakload=${SOAKLOAD:-$top/build/soak/soakload}
seconds=30 streams=64 shorts=10000 valgrind=0
# RSS may grow this much past the warm-up figure (allocator slack, a few
# pages); the leak it can hide is this divided by the connections.
rss_slack_kib=128

die() {
	echo "soak: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--streams) streams=$2; shift 2 ;;
	--short) shorts=$2; shift 2 ;;
	--valgrind) valgrind=1; shift ;;
	*) die "unknown option $1 (see the usage line in $0)" ;;
	esac
done
[ -x "$bin/migsock-relay" ] || die "no $bin/migsock-relay: run make first"
[ -x "$soakload" ] || die "no $soakload: run make soak-bins first"

dir=$(mktemp -d /tmp/ms-soak.XXXXXX)
relay_pid=
cleanup() {
	if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then
		kill -KILL "$relay_pid" 2>/dev/null || true
		wait "$relay_pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fd_count() { find "/proc/$relay_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$relay_pid/status"; }
cpu_seconds() {
	# utime + stime (fields 14, 15 of /proc/PID/stat, after the comm).
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$relay_pid/stat"
}

start_relay() {
	local -a cmd=("$bin/migsock-relay" --listen "$dir/via" --connect "$dir/up"
		--ready-fd 3)
	if [ "$valgrind" = 1 ]; then
		cmd=(valgrind --tool=memcheck --leak-check=full
			"--show-leak-kinds=definite,indirect"
			"--errors-for-leak-kinds=definite,indirect"
			--error-exitcode=99 --log-file="$dir/valgrind.log"
			"${cmd[@]}" --no-sandbox)
	fi
	"${cmd[@]}" 3>"$dir/ready" 2>"$dir/relay.log" &
	relay_pid=$!
	local tries=600
	while [ ! -s "$dir/ready" ]; do
		kill -0 "$relay_pid" 2>/dev/null || { cat "$dir/relay.log" >&2; die "the relay exited before it was ready"; }
		((tries-- > 0)) || die "the relay was not ready after 60 s"
		sleep 0.1
	done
}

# Wait (bounded) until the relay has closed every connection's descriptors.
settle_fds() {
	local want=$1 tries=200
	while [ "$(fd_count)" -gt "$want" ] && ((tries-- > 0)); do
		sleep 0.1
	done
}

run_load() {
	"$soakload" --upstream "$dir/up" --via "$dir/via" "$@"
}

start_relay
fd_start=$(fd_count) rss_start=$(status_kib VmRSS)

# Warm-up of the same shape: pools, allocator arenas and lazily built state
# reach their working size, so what follows measures growth, not first use.
conns=$((streams + shorts))
leak_bytes=$(((rss_slack_kib * 1024 + conns - 1) / conns))
if [ "$valgrind" = 0 ] && [ "$leak_bytes" -gt 64 ]; then
	die "$conns connections cannot show a leak below $leak_bytes bytes each: give --short $((rss_slack_kib * 1024 / 64)) or more"
fi
run_load --streams "$streams" --short $((shorts / 20 + 1)) --seconds 2 >/dev/null ||
	die "warm-up run failed: $(tail -n 3 "$dir/relay.log")"
settle_fds "$fd_start"
fd_warm=$(fd_count) rss_warm=$(status_kib VmRSS) cpu_warm=$(cpu_seconds)

echo "soak: $streams streams + $shorts short connections for $seconds s through migsock-relay$([ "$valgrind" = 1 ] && echo ' under valgrind')"
run_load --streams "$streams" --short "$shorts" --seconds "$seconds" ||
	die "the load run failed (above); relay log: $(tail -n 3 "$dir/relay.log")"
kill -0 "$relay_pid" 2>/dev/null || die "the relay died during the soak"
settle_fds "$fd_warm"
fd_end=$(fd_count) rss_end=$(status_kib VmRSS) rss_peak=$(status_kib VmHWM)
cpu_end=$(cpu_seconds)

echo "soak: relay descriptors: $fd_start at start, $fd_warm after warm-up, $fd_end after the soak"
echo "soak: relay RSS: $rss_start KiB at start, $rss_warm KiB after warm-up, $rss_end KiB after the soak, peak $rss_peak KiB"
echo "soak: relay CPU during the soak: $(awk -v a="$cpu_warm" -v b="$cpu_end" 'BEGIN { printf "%.2f", b - a }') s"

kill -TERM "$relay_pid"
rc=0
wait "$relay_pid" || rc=$?
relay_pid=
if [ "$valgrind" = 1 ]; then
	grep -E 'ERROR SUMMARY|in use at exit|All heap blocks|definitely lost|indirectly lost' "$dir/valgrind.log" | sed 's/^==[0-9]*== /soak: valgrind: /'
	[ "$rc" != 99 ] || { cat "$dir/valgrind.log" >&2; die "valgrind found errors or leaks in the relay"; }
fi
[ "$rc" = 0 ] || { tail -n 5 "$dir/relay.log" >&2; die "the relay exited with $rc after SIGTERM, expected 0"; }
[ ! -e "$dir/via" ] || die "the relay left its socket $dir/via behind"
[ "$fd_end" -le "$fd_warm" ] || die "the relay holds $fd_end descriptors after the soak, $fd_warm before: a descriptor leak"
if [ "$valgrind" = 0 ]; then
	echo "soak: RSS slack $rss_slack_kib KiB over $conns connections: catches a leak of $leak_bytes bytes or more per connection"
	if [ "$rss_end" -gt $((rss_warm + rss_slack_kib)) ]; then
		die "relay RSS grew from $rss_warm KiB to $rss_end KiB (more than $rss_slack_kib KiB over $conns connections, $(((rss_end - rss_warm) * 1024 / conns)) bytes each): a memory leak"
	fi
fi
echo "soak: ok"
