# shellcheck shell=bash
# tests/bats/common.bash - shared by every bats file: `load common`.
# MIGSOCK_BIN: directory of the binaries under test (the Makefile sets it to
# build/bin or build/asan/bin). TOP: the source tree.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MIGSOCK_BIN=${MIGSOCK_BIN:-$TOP/build/bin}
export MIGSOCK_LAYOUT=${MIGSOCK_LAYOUT:-$TOP/sockets/migration.layout}
# Sanitizer runs: fail on the first report, and a report is never silent.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Every test has a time limit, so a hang fails the test instead of the CI
# run: the suite's limit from tests/run-bats (which the Makefile runs bats
# through) unless BATS_TEST_TIMEOUT is set; a file that needs more sets
# BATS_TEST_TIMEOUT after `load common`.
if [ -z "${BATS_TEST_TIMEOUT:-}" ]; then
	BATS_TEST_TIMEOUT=$("$TOP/tests/run-bats" --timeout-for "${BATS_TEST_FILENAME:-}")
fi

# On a timeout bats 1.8 (bats_start_timeout_countdown in bats-exec-test)
# signals the test process, then kills its direct children only (pkill -P):
# a hung grandchild, such as the command inside `run`, keeps the test's
# output open and the whole suite waits for it. This replaces that function
# (same watchdog, same ABRT protocol with bats's own bats_timeout_trap) so
# that the watchdog notes the test's whole process tree first, then signals
# the test, then ends the tree: SIGTERM, SIGKILL after a second.
# tests/bats/suite.bats proves a hang in `run` and in `wait` ends at the
# limit.
ms_process_tree() { # PID SKIP: PID's descendants, deepest first, not SKIP's
	local p
	for p in $(pgrep -P "$1"); do
		[ "$p" = "$2" ] && continue
		ms_process_tree "$p" "$2"
		echo "$p"
	done
}
bats_start_timeout_countdown() {
	local -ri timeout=$1
	local -ri target_pid=$$
	# shellcheck disable=SC2064 # bats's protocol: expanded now
	trap "bats_timeout_trap $target_pid" ABRT
	(
		sleep "$timeout" &
		# shellcheck disable=SC2064
		trap "kill $!; exit 0" ABRT
		wait
		# From here on the test's exit (which aborts this countdown)
		# must not stop the kills below.
		trap '' ABRT
		self=$BASHPID
		tree=$(ms_process_tree "$target_pid" "$self")
		kill -ABRT "$target_pid" || exit 0
		# shellcheck disable=SC2086 # lists of pids
		if [ -n "$tree" ]; then
			kill -TERM $tree
			sleep 1
			kill -KILL $tree
		fi
	) &>/dev/null &
}

# require_postcopy: skip (with the reason) where QEMU cannot use
# post-copy: the kernel has no userfaultfd. The e2e files that switch a
# migration to post-copy all ask this.
require_postcopy() {
	[ -e /proc/sys/vm/unprivileged_userfaultfd ] || [ -e /dev/userfaultfd ] ||
		skip "no userfaultfd on this host (kernel without CONFIG_USERFAULTFD): post-copy cannot run"
}

# A fresh scratch directory per test, short enough for sun_path.
ms_tmpdir() {
	mktemp -d /tmp/ms.XXXXXX
}

# Wait until something accepts connections at $1 (up to $2 tenths of a second).
wait_for_socket() {
	local path=$1 tries=${2:-100}
	while ((tries-- > 0)); do
		if [ -S "$path" ] && socat -u OPEN:/dev/null "UNIX-CONNECT:$path" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "no listener at $path" >&2
	return 1
}

# wait_connected PATH [N] [TENTHS]: until N (default 1) connections to the
# socket bound at PATH exist (read from /proc/net/unix: accepted sockets
# carry the listener's path, state 03 connected), up to TENTHS (default
# 100) tenths of a second. E.g. "the relay has accepted a client and
# connected upstream for it": wait_connected UPSTREAM_PATH.
wait_connected() {
	local path=$1 n=${2:-1} tries=${3:-100}
	while ((tries-- > 0)); do
		[ "$(awk -v p="$path" '$6 == "03" && $NF == p { c++ } END { print c + 0 }' /proc/net/unix)" -ge "$n" ] &&
			return 0
		sleep 0.1
	done
	echo "fewer than $n connections to $path" >&2
	return 1
}

# close_inherited_fds: close every descriptor above 2 in this shell. For a
# process started under a descriptor limit (prlimit --nofile=N): what bats,
# its report formatter and the CI runner hold open would otherwise eat N
# before the process under test opens anything. Call it in a subshell.
close_inherited_fds() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	return 0
}

# pid_running PID: the process exists and has not exited. Not kill -0: a
# process whose parent has exited is adopted by init, and an init that
# does not reap (as on the CI machines) leaves it a zombie when it dies,
# which kill -0 still finds. Processes that outlive the test that started
# them (relays restarted in a teardown) need this.
pid_running() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# scratch_teardown: stop and reap every process in the array pids, remove
# the scratch directory $d (both set by the test file's setup()).
# shellcheck disable=SC2154
scratch_teardown() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$d"
}

# help_lists_options BINARY MAIN_C: every long option in MAIN_C's option
# table appears in BINARY --help, and --version names the binary.
help_lists_options() {
	local bin=$1 opts o out
	out=$("$bin" --help) || return 1
	opts=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)",.*/\1/p' "$2")
	[ -n "$opts" ] || { echo "no option table in $2"; return 1; }
	for o in $opts; do
		grep -q -- "--$o" <<<"$out" || { echo "missing --$o in --help"; return 1; }
	done
	[[ "$("$bin" --version)" =~ ^${bin##*/}\ [0-9] ]]
}
