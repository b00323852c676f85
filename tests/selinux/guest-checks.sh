#!/bin/sh
# shellcheck shell=sh
# tests/selinux/guest-checks.sh - the checks, run by guest-init (PID 1,
# kernel_t) in the enforcing guest, chrooted into the labelled copy.
#
# Cast, each in the domain it has on a real host:
#   migsock-relay, migsock-bind  migsock_t (/usr/local/bin, migsock_exec_t)
#   QEMU                         svirt_t   (sockcheck as client or server)
#   libvirtd                     virtd_t   (sockcheck as client or server)
# Sockets live in /run/migsock/src (the source pod's directory) and
# /run/migsock/dst (the destination's), both migsock_dir_t.

result() { # result pass|fail NAME DETAIL...
	_r=$1 _n=$2
	shift 2
	echo "MSRESULT $_r $_n: $*"
}

SC=/usr/local/libexec/migsock-test/sockcheck
SRC=/run/migsock/src
DST=/run/migsock/dst
HV_CTX=system_u:object_r:svirt_socket_t:s0
DRIVER_CTX=system_u:object_r:virt_var_run_t:s0
LAYOUT=/usr/local/share/migsock/migration.layout
# ASan's leak check would need ptrace, which no confined domain gets.
export ASAN_OPTIONS=detect_leaks=0

as_qemu() { runcon -t svirt_t -l "${QEMU_LEVEL:-s0:c1,c2}" "$SC" "$@"; }
as_libvirtd() { runcon -t virtd_t "$SC" "$@"; }
as_migsock() { runcon -t migsock_t "$@"; }

# wait_ready FILE PID: up to 30 s (TCG is slow) for PID to say it is
# ready by writing to FILE; false at once if PID died.
wait_ready() {
	_i=0
	while [ ! -s "$1" ] && kill -0 "$2" 2>/dev/null && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -s "$1" ]
}

# expect_eq NAME WANT GOT WHAT
expect_eq() {
	if [ "$2" = "$3" ]; then
		result pass "$1" "$4: $3"
	else
		result fail "$1" "$4: want '$2', kernel says '$3'"
	fi
}

# mark NAME: a line in the kernel log, written when check NAME begins.
mark() { echo "MSMARK $1" >/dev/kmsg; }

# avc_for NAME TCONTEXT-TYPE COMM: a denial of connectto on that type
# logged after mark NAME, so a check is never satisfied by the denial an
# earlier one caused.
avc_for() {
	dmesg | sed -n "/MSMARK $1\$/,\$p" | grep 'avc:  denied' | grep "{ connectto }" |
		grep "comm=\"$3\"" | grep ":$2:" | tail -n 1
}

canon() { "$SC" canon "$1"; }

check_module() {
	_missing=
	for _c in system_u:system_r:migsock_t:s0 system_u:object_r:migsock_exec_t:s0 \
		system_u:object_r:migsock_dir_t:s0 "$HV_CTX"; do
		canon "$_c" >/dev/null 2>&1 || _missing="$_missing $_c"
	done
	if [ -z "$_missing" ]; then
		result pass module-types "migsock_t, migsock_exec_t, migsock_dir_t, svirt_socket_t are known to the kernel"
	else
		result fail module-types "unknown to the kernel:$_missing"
	fi
	expect_eq fc-exec-label system_u:object_r:migsock_exec_t:s0 \
		"$("$SC" filecon /usr/local/bin/migsock-relay 2>&1)" "/usr/local/bin/migsock-relay (migsock.fc)"
	expect_eq fc-dir-label system_u:object_r:migsock_dir_t:s0 \
		"$("$SC" filecon "$SRC" 2>&1)" "$SRC (migsock.fc)"
}

# The policy alone, before the binaries: a socket labelled by the probe
# (kernel_t, unconfined) and the hypervisor connecting to it.
check_policy_basics() {
	"$SC" listen "$SRC/basic-hv" "$HV_CTX" >/log/basic-hv 2>&1 &
	wait_ready /log/basic-hv $! || result fail basic-listen "$(cat /log/basic-hv)"
	"$SC" listen "$SRC/basic-driver" "$DRIVER_CTX" >/log/basic-driver 2>&1 &
	wait_ready /log/basic-driver $! || result fail basic-listen "$(cat /log/basic-driver)"
	expect_eq basic-peersec "$HV_CTX" "$("$SC" peercon "$SRC/basic-hv" 2>&1)" \
		"SO_PEERSEC of a socket labelled with setsockcreatecon"
	if _out=$(as_qemu send "$SRC/basic-hv" ping 2>&1); then
		result pass basic-svirt-connect "svirt_t connects to svirt_socket_t: $_out"
	else
		result fail basic-svirt-connect "svirt_t to svirt_socket_t: $_out"
	fi
	mark basic-svirt-denied
	as_qemu send "$SRC/basic-driver" ping >/log/basic-denied 2>&1
	_rc=$?
	_avc=$(avc_for basic-svirt-denied virt_runtime_t sockcheck)
	if [ $_rc = 13 ] && [ -n "$_avc" ]; then
		result pass basic-svirt-denied "EACCES, logged: $_avc"
	else
		result fail basic-svirt-denied "exit $_rc ($(cat /log/basic-denied)), AVC: '${_avc}'"
	fi
}

check_module
check_policy_basics
if [ -x /usr/local/bin/migsock-relay ] && [ -f "$LAYOUT" ]; then
	# shellcheck source=SCRIPTDIR/guest-checks-tools.sh
	. /guest-checks-tools.sh
else
	result fail binaries "migsock-relay or $LAYOUT missing from the guest: build with make"
fi
