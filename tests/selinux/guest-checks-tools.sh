#!/bin/sh
# shellcheck shell=sh
# tests/selinux/guest-checks-tools.sh - checks of migsock-relay and
# migsock-bind in the enforcing guest; sourced by guest-checks.sh (uses
# its helpers and variables).
#
# The stand-ins upstream: the destination QEMU (svirt_t) listens on
# $DST/test-sock-qemu and $DST/test-sock-nbd, the destination libvirtd
# (virtd_t) on /run/libvirt/test-sock-driver; each echoes what it gets.

RELAY=/usr/local/bin/migsock-relay
BIND=/usr/local/bin/migsock-bind
# The relays run the way they do in production: sandboxed, in migsock_t.

# start_relay NAME ARGS...: run migsock-relay in migsock_t, wait until it
# says it serves; its pid in $relay_pid, its stderr in /log/NAME.
start_relay() {
	_name=$1
	shift
	# Not through a shell function: $! must be the relay itself.
	runcon -t migsock_t "$RELAY" --ready-fd 4 "$@" 4>"/log/$_name.ready" 2>"/log/$_name" &
	relay_pid=$!
	if wait_ready "/log/$_name.ready" $relay_pid; then
		return 0
	fi
	result fail "$_name" "relay did not start: $(cat "/log/$_name")"
	return 1
}

start_upstreams() {
	as_qemu listen "$DST/test-sock-qemu" >/log/up-qemu 2>&1 &
	wait_ready /log/up-qemu $! || result fail upstream-qemu "$(cat /log/up-qemu)"
	as_qemu listen "$DST/test-sock-nbd" >/log/up-nbd 2>&1 &
	wait_ready /log/up-nbd $! || result fail upstream-nbd "$(cat /log/up-nbd)"
	as_libvirtd listen /run/libvirt/test-sock-driver >/log/up-driver 2>&1 &
	wait_ready /log/up-driver $! || result fail upstream-driver "$(cat /log/up-driver)"
}

# check_socket_context NAME PID PATH WANT: the listening socket's own
# label, read back from the kernel through PID's descriptor.
check_socket_context() {
	expect_eq "$1" "$4" "$("$SC" fdcon "$2" "$3" 2>&1)" "$3 socket context"
}

# check_flow NAME WHO PATH: WHO (as_qemu, as_libvirtd) sends a message
# through PATH and gets it back.
check_flow() {
	_msg="migsock-$1-$$"
	if _out=$($2 send "$3" "$_msg" 2>&1); then
		result pass "$1" "$2 -> $3 -> upstream and back: $_out"
	else
		result fail "$1" "$2 -> $3: exit $?: $_out"
	fi
}

# check_denied NAME WHO PATH TYPE: connect() fails with EACCES and the
# kernel logs the denial of connectto on a socket of TYPE.
check_denied() {
	mark "$1"
	$2 send "$3" "should-not-arrive" >"/log/$1" 2>&1
	_rc=$?
	_avc=$(avc_for "$1" "$4" sockcheck)
	if [ $_rc = 13 ] && [ -n "$_avc" ]; then
		result pass "$1" "EACCES, kernel logged: ${_avc#*audit: }"
	else
		result fail "$1" "exit $_rc ($(cat "/log/$1")), AVC for $4: '${_avc}'"
	fi
}

# check_refused NAME PATH TOOL ARGS...: TOOL exits 5 (MS_EXIT_LABEL) with
# one line of error, and no socket was created at PATH.
check_refused() {
	_name=$1 _path=$2
	shift 2
	as_migsock "$@" 2>"/log/$_name" </dev/null >/dev/null
	_rc=$?
	_err=$(head -n 1 "/log/$_name")
	if [ $_rc = 5 ] && [ -n "$_err" ] && [ ! -e "$_path" ]; then
		result pass "$_name" "exit 5, no socket, said: $_err"
	else
		result fail "$_name" "exit $_rc, $([ -e "$_path" ] && echo "$_path exists" || echo "no socket"), said: $_err"
	fi
}

check_relay_layout() {
	start_relay relay-layout-hv --layout "$LAYOUT" --channels qemu,nbd \
		--listen-dir "$SRC" --connect-dir "$DST" || return
	check_socket_context relay-default-qemu $relay_pid "$SRC/test-sock-qemu" "$HV_CTX"
	check_socket_context relay-default-nbd $relay_pid "$SRC/test-sock-nbd" "$HV_CTX"
	expect_eq relay-sockfile-label system_u:object_r:migsock_dir_t:s0 \
		"$("$SC" filecon "$SRC/test-sock-qemu" 2>&1)" "$SRC/test-sock-qemu file"
	check_flow hv-flow-qemu as_qemu "$SRC/test-sock-qemu"
	check_flow hv-flow-nbd as_qemu "$SRC/test-sock-nbd"
	# Relays chained (one directory per pod, bridged): a relay connects
	# to another relay's svirt_socket_t socket.
	start_relay relay-chain --listen "$SRC/chain" --connect "$SRC/test-sock-qemu" \
		--context "$HV_CTX" && check_flow hv-flow-chained as_qemu "$SRC/chain"

	start_relay relay-layout-driver --layout "$LAYOUT" --channels driver \
		--listen-dir "$SRC" --connect-dir /run/libvirt || return
	# virt_var_run_t is an alias: the kernel reports the type's own name.
	check_socket_context relay-default-driver $relay_pid "$SRC/test-sock-driver" \
		"$(canon "$DRIVER_CTX")"
	check_flow libvirtd-flow-driver as_libvirtd "$SRC/test-sock-driver"
	check_denied hv-denied-driver as_qemu "$SRC/test-sock-driver" virt_runtime_t
}

check_relay_custom() {
	_ctx=system_u:object_r:svirt_socket_t:s0:c7,c42
	start_relay relay-custom --listen "$SRC/custom" --connect "$DST/test-sock-qemu" \
		--context "$_ctx" || return
	check_socket_context relay-custom-context $relay_pid "$SRC/custom" "$_ctx"

	start_relay relay-unlabelled --listen "$SRC/unlabelled" --connect "$DST/test-sock-qemu" || return
	_ctx=$("$SC" fdcon $relay_pid "$SRC/unlabelled" 2>&1)
	result info relay-unlabelled-context "no --context, no layout: $_ctx"
	case $_ctx in
	*:svirt_socket_t:*) ;;
	*) check_denied hv-denied-unlabelled as_qemu "$SRC/unlabelled" "$(echo "$_ctx" | cut -d: -f3)" ;;
	esac
}

check_relay_refusals() {
	check_refused relay-malformed-context "$SRC/malformed" "$RELAY" \
		--listen "$SRC/malformed" --connect "$DST/test-sock-qemu" --context 'svirt_socket_t'
	check_refused relay-unknown-context "$SRC/unknown" "$RELAY" \
		--listen "$SRC/unknown" --connect "$DST/test-sock-qemu" \
		--context system_u:object_r:no_such_type_t:s0
}

check_relay_peersec() {
	start_relay relay-allow --listen "$SRC/allow" --connect "$DST/test-sock-qemu" \
		--context "$HV_CTX" --allow-context system_u:system_r:svirt_t:s0:c1,c2 || return
	check_flow peersec-admitted as_qemu "$SRC/allow"
	# Another guest's QEMU: the kernel lets it connect, the list does not.
	_out=$(QEMU_LEVEL=s0:c3,c4 as_qemu send "$SRC/allow" other-guest 2>&1)
	_rc=$?
	# The relay logs the refusal when it handles the connection, which
	# may be after the client saw it closed: wait for the line (bounded).
	_i=0
	while ! grep -q 'refused peer' /log/relay-allow && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	_log=$(grep 'refused peer' /log/relay-allow | tail -n 1)
	if [ $_rc != 0 ] && [ -n "$_log" ]; then
		result pass peersec-rejected "svirt_t:s0:c3,c4 peer got nothing back ($_out); relay logged: $_log"
	else
		result fail peersec-rejected "exit $_rc, client: $_out; relay log: $(tail -n 3 /log/relay-allow)"
	fi
}

check_bind() {
	if [ ! -x "$BIND" ]; then
		result fail bind-present "migsock-bind is missing from the build"
		return
	fi
	_ctx=system_u:object_r:svirt_socket_t:s0:c5,c6
	runcon -t migsock_t "$BIND" --context "$_ctx" "$SRC/bound" -- \
		"$RELAY" --connect "$DST/test-sock-qemu" --ready-fd 4 \
		4>/log/bind-custom.ready 2>/log/bind-custom &
	_pid=$!
	if wait_ready /log/bind-custom.ready $_pid; then
		check_socket_context bind-custom-context $_pid "$SRC/bound" "$_ctx"
		# MCS: only the QEMU of the guest with categories c5,c6 may
		# connect; another guest's QEMU (c1,c2) is denied by the kernel.
		QEMU_LEVEL=s0:c5,c6 check_flow bind-flow as_qemu "$SRC/bound"
		check_denied bind-mcs-other-guest-denied as_qemu "$SRC/bound" svirt_socket_t
	else
		result fail bind-custom-context "bind + relay did not start: $(cat /log/bind-custom)"
	fi

	runcon -t migsock_t "$BIND" "$SRC/bound-default" -- \
		"$RELAY" --connect "$DST/test-sock-qemu" --ready-fd 4 \
		4>/log/bind-default.ready 2>/log/bind-default &
	_pid=$!
	if wait_ready /log/bind-default.ready $_pid; then
		check_socket_context bind-default-context $_pid "$SRC/bound-default" \
			system_u:system_r:migsock_t:s0
	else
		result fail bind-default-context "bind + relay did not start: $(cat /log/bind-default)"
	fi

	check_refused bind-malformed-context "$SRC/bind-bad" "$BIND" \
		--context 'user_u:role_r' "$SRC/bind-bad" -- /bin/true
	check_refused bind-unknown-context "$SRC/bind-unknown" "$BIND" \
		--context system_u:object_r:no_such_type_t:s0 "$SRC/bind-unknown" -- /bin/true
}

# Everything the policy module must allow was allowed: no denial for the
# relay or the binder in the whole run.
check_no_migsock_denials() {
	_avc=$(dmesg | grep 'avc:  denied' | grep 'scontext=[^ ]*:migsock_t:')
	if [ -z "$_avc" ]; then
		result pass no-migsock-denials "no AVC denial for migsock_t in the whole run"
	else
		result fail no-migsock-denials "$(echo "$_avc" | sed 's/.*avc: //' | sort -u | tr '\n' ' ')"
	fi
}

start_upstreams
check_relay_layout
check_relay_custom
check_relay_refusals
check_relay_peersec
check_bind
check_no_migsock_denials
