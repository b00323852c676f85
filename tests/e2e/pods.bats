#!/usr/bin/env bats
# tests/e2e/pods.bats - the two container pods (container/pods) and a real
# live migration with storage copy between them over UNIX sockets only, in
# both topologies. Root only; each test starts and removes its own pods.

load e2e

setup() {
	e2e_require
}

teardown() {
	pods_down
}

# The id of one of the pods' containers, from the daemon's id in the env.
ctr_of() {
	local pod=$1 role=$2
	echo "${SRC_CTR%-src-libvirtd}-$pod-$role"
}

ctr_pid() {
	runc --root "$RUNC_ROOT" state "$(ctr_of "$1" "$2")" | jq -r .pid
}

@test "pods: command line errors exit 2, an over-long state path exits 4" {
	run "$PODS" up
	[ "$status" -eq 2 ]
	run "$PODS" up --state /tmp/x --topology mesh
	[ "$status" -eq 2 ]
	[[ $output == *"unknown topology 'mesh'"* ]]
	run "$PODS" frobnicate --state /tmp/x
	[ "$status" -eq 2 ]
	run "$PODS" up --state "/tmp/$(printf 'd%.0s' {1..80})"
	[ "$status" -eq 4 ]
	[[ $output == *"too long"* ]]
}

@test "pods: an up that fails half-way leaves nothing running" {
	local state fake
	state=$(ms_tmpdir)
	fake=$(ms_tmpdir)
	printf '#!/bin/sh\necho "fake relay refuses" >&2\nexit 3\n' >"$fake/migsock-relay"
	chmod +x "$fake/migsock-relay"
	run env MIGSOCK_BIN="$fake" "$PODS" up --state "$state"
	[ "$status" -eq 1 ]
	[[ $output == *"dst sidecar does not serve"* ]]
	grep -q "fake relay refuses" "$state/log/dst-sidecar.log"
	no_leftovers "$state"
	[ ! -e "$state/env" ]
	[ -z "$(runc --root "$state/runc" list -q 2>/dev/null)" ]
	rm -rf "$state" "$fake"
}

@test "pods: up writes the env, status is healthy, down leaves no process, mount or socket" {
	pods_up
	local state=$POD_STATE name
	run "$PODS" status --state "$state"
	[ "$status" -eq 0 ]
	[ "$TOPOLOGY" = bridged ]
	[ "$SOCKDIR" = /run/migsock ]
	[ "$DESTURI" = "qemu+unix:///system?socket=/run/migsock/test-sock-driver" ]
	[ "$MIGRATEURI" = unix:///run/migsock/test-sock-qemu ]
	[ "$DISKSURI" = unix:///run/migsock/test-sock-nbd ]
	[ "$SRC_SOCKDIR_HOST" != "$DST_SOCKDIR_HOST" ]
	# The bridge serves every layout channel in src's directory; dst's has
	# the exported daemon socket.
	for name in test-sock-driver test-sock-qemu test-sock-nbd; do
		[ -S "$SRC_SOCKDIR_HOST/$name" ]
	done
	[ -S "$DST_SOCKDIR_HOST/test-sock-driver" ]
	# Both daemons answer the host, and dst answers through src's directory.
	[ "$(virsh -q -c "$SRC_URI" hostname)" = migsock-src ]
	[ "$(virsh -q -c "$DST_URI" hostname)" = migsock-dst ]
	[ "$(virsh -q -c "qemu+unix:///system?socket=$SRC_SOCKDIR_HOST/test-sock-driver" hostname)" = migsock-dst ]
	run "$PODS" up --state "$state"
	[ "$status" -eq 1 ]
	[[ $output == *"already set up"* ]]
	# The leftover check sees running pods (so it can fail).
	run no_leftovers "$state"
	[ "$status" -ne 0 ]
	# The destination daemon stops: its sidecar relay still runs, but is
	# not ready (migsock-probe --through, as a kubelet would probe it).
	runc --root "$RUNC_ROOT" kill "$DST_CTR" KILL
	run "$PODS" status --state "$state"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"dst sidecar: not ready (migsock-probe --through /run/migsock/test-sock-driver)"* ]]
	[[ $output == *"its upstream does not accept"* ]]

	run "$PODS" down --state "$state"
	[ "$status" -eq 0 ]
	no_leftovers "$state"
	run runc --root "$state/runc" list -q
	[ -z "$output" ]
	run "$PODS" status --state "$state"
	[ "$status" -eq 1 ]
	# A second down is harmless.
	run "$PODS" down --state "$state"
	[ "$status" -eq 0 ]
}

@test "pods: each daemon has its own namespaces, loopback only, own /etc/libvirt and host_uuid" {
	pods_up
	local src dst ns uuid_src uuid_dst
	src=$(ctr_pid src libvirtd)
	dst=$(ctr_pid dst libvirtd)
	for ns in mnt pid net ipc uts; do
		[ "$(readlink "/proc/$src/ns/$ns")" != "$(readlink /proc/self/ns/$ns)" ]
		[ "$(readlink "/proc/$dst/ns/$ns")" != "$(readlink /proc/self/ns/$ns)" ]
		[ "$(readlink "/proc/$src/ns/$ns")" != "$(readlink "/proc/$dst/ns/$ns")" ]
	done
	# The sidecars are containers of their own too.
	[ "$(readlink "/proc/$(ctr_pid dst sidecar)/ns/net")" != "$(readlink "/proc/$dst/ns/net")" ]
	# PID 1 reaps orphans (QEMU): tini.
	[ "$(pod_exec src cat /proc/1/comm)" = tini ]
	# Network: loopback only.
	run pod_exec src ip -o link show
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | awk -F': ' '{print $2}')" = lo ]
	run pod_exec dst ip -o link show
	[ "$(echo "$output" | awk -F': ' '{print $2}')" = lo ]
	[ "$(pod_exec src hostname)" = migsock-src ]
	[ "$(pod_exec dst hostname)" = migsock-dst ]
	# Distinct host UUIDs, or libvirt refuses to migrate ("same host").
	uuid_src=$(vsh src capabilities | sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' | head -n1)
	uuid_dst=$(vsh dst capabilities | sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' | head -n1)
	# Two commands: errexit ignores the left side of &&.
	[ -n "$uuid_src" ]
	[ -n "$uuid_dst" ]
	[ "$uuid_src" != "$uuid_dst" ]
	# /etc/libvirt is the pod's own: a definition on src exists only there.
	"$DOMAIN_XML" --name lonely >"$POD_STATE/lonely.xml"
	vsh src define "$POD_STATE/lonely.xml"
	[ -f "$SRC_ROOT/etc/libvirt/qemu/lonely.xml" ]
	pod_exec src test -f /etc/libvirt/qemu/lonely.xml
	[ ! -e "$DST_ROOT/etc/libvirt/qemu/lonely.xml" ]
	run pod_exec dst test -e /etc/libvirt/qemu/lonely.xml
	[ "$status" -ne 0 ]
	run vsh dst dominfo lonely
	[ "$status" -ne 0 ]
	# The relays in the sidecars run sandboxed: no capabilities, seccomp.
	local ctr st
	for ctr in "$SRC_SIDECAR_CTR" "$DST_SIDECAR_CTR"; do
		# shellcheck disable=SC2016 # expands in the sidecar
		st=$(runc --root "$RUNC_ROOT" exec "$ctr" sh -c \
			'cat /proc/$(pidof migsock-relay)/status')
		grep -Eq '^CapEff:[[:space:]]+0+$' <<<"$st"
		grep -Eq '^Seccomp:[[:space:]]+2$' <<<"$st"
		grep -Eq '^NoNewPrivs:[[:space:]]+1$' <<<"$st"
	done
	# The daemons run from the host's read-only /usr and /etc.
	run pod_exec src touch /usr/migsock-rw-test
	[ "$status" -ne 0 ]
}

@test "pods: status fails when a relay dies" {
	pods_up
	run "$PODS" status --state "$POD_STATE"
	[ "$status" -eq 0 ]
	runc --root "$RUNC_ROOT" kill "$(ctr_of src sidecar)" KILL
	local _
	for _ in $(seq 50); do
		[ "$(runc --root "$RUNC_ROOT" state "$(ctr_of src sidecar)" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	run "$PODS" status --state "$POD_STATE"
	[ "$status" -eq 1 ]
	[[ $output == *"src sidecar: not running"* ]]
}

@test "bridged: a live guest moves with its disks through the bridge relays; down stops it" {
	pods_up --topology bridged
	guest_create g1 --fill 160 --disks 2 --disk-size 48
	guest_verify g1 src
	migrate_virsh g1
	guest_verify g1 dst
	# ...and the check can fail: the guest is no longer on src.
	run guest_verify g1 src
	[ "$status" -ne 0 ]
	# The bridge carried the streams: RAM over qemu, disks over nbd.
	grep -Eq 'qemu: .* ([0-9]{9,}) bytes up' "$POD_STATE/log/src-sidecar.log"
	grep -Eq 'nbd: .* ([0-9]{8,}) bytes up' "$POD_STATE/log/src-sidecar.log"
	[ -z "$(vsh src list --all --name)" ]
	# Down with a guest running: QEMU goes with its pod.
	local state=$POD_STATE
	run "$PODS" down --state "$state"
	[ "$status" -eq 0 ]
	no_leftovers "$state"
}

@test "shared: one directory in both daemons; a persistent guest's config moves to dst" {
	pods_up --topology shared
	[ "$SRC_SOCKDIR_HOST" = "$DST_SOCKDIR_HOST" ]
	[ ! -e "$POD_STATE/src/sidecar" ]
	guest_create g2 --fill 128 --disks 1 --disk-size 64 --persistent
	[ -f "$SRC_ROOT/etc/libvirt/qemu/g2.xml" ]
	migrate_virsh g2 --persistent --undefinesource
	guest_verify g2 dst
	[ -f "$DST_ROOT/etc/libvirt/qemu/g2.xml" ]
	[ ! -e "$SRC_ROOT/etc/libvirt/qemu/g2.xml" ]
	run vsh src dominfo g2
	[ "$status" -ne 0 ]
	# The driver relay carried the p2p control connection.
	grep -Eq 'conn [0-9]+ .* [0-9]{4,} bytes up' "$POD_STATE/log/dst-sidecar.log"
}

@test "pods: --kvm passes /dev/kvm into the daemons" {
	# -c first: "<>" would create a missing /dev/kvm as a plain file.
	{ [ -c /dev/kvm ] && : <>/dev/kvm; } 2>/dev/null || skip "no usable /dev/kvm here"
	pods_up --kvm
	[ "$DOMAIN_TYPE" = kvm ]
	pod_exec src test -c /dev/kvm
	pod_exec dst test -c /dev/kvm
	# libvirt can open it: it reports KVM domain capabilities.
	vsh src domcapabilities --virttype kvm | grep -q '<domain>kvm</domain>'
	run pod_exec src grep -c 'Unable to open /dev/kvm' /var/log/libvirt/libvirtd.log
	[ "$output" = 0 ]
}
