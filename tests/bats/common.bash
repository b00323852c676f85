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
