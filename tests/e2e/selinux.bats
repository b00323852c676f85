#!/usr/bin/env bats
# tests/e2e/selinux.bats - migsock under an enforcing SELinux kernel.
#
# Boots Debian's kernel under qemu (TCG) with selinux=1 enforcing=1, loads
# the reference policy with selinux/migsock.pp (and the test-only
# selinux/test/migsock_test.pp) compiled in, and runs
# tests/selinux/guest-checks*.sh there with the binaries under test, then
# tests/selinux/guest-migrate*.sh: two real libvirtd (this host's /usr over
# 9p, libvirt's SELinux driver) migrating QEMU guests through the relays.
# The guest boots once (setup_file); each test below reports one in-guest
# check. Needs what `make selinux-guest` builds (`make e2e` does). About 6
# minutes on a quiet 2-core machine, bounded at 20 (MIGSOCK_GUEST_TIMEOUT).

load ../bats/common

BUILD=$(dirname "$MIGSOCK_BIN")
SOCKCHECK=$BUILD/tests/selinux/sockcheck
GUEST_ROOT=$BUILD/selinux/guest

# Why the guest cannot boot here, or nothing.
missing_parts() {
	command -v "${MIGSOCK_QEMU:-qemu-system-x86_64}" >/dev/null ||
		{ echo "${MIGSOCK_QEMU:-qemu-system-x86_64} not installed (Debian: qemu-system-x86)"; return; }
	compgen -G '/boot/vmlinuz-*' >/dev/null ||
		{ echo "no kernel in /boot (Debian: linux-image-amd64)"; return; }
	if [ ! -f /usr/share/selinux/devel/Makefile ] || [ ! -d /var/lib/selinux/default ]; then
		echo "reference policy not installed (Debian: selinux-policy-dev selinux-policy-default)"
		return
	fi
	command -v cpio >/dev/null || { echo "cpio not installed"; return; }
}

setup_file() {
	# Each test skips with this reason (bats 1.8 cannot skip in setup_file).
	GUEST_SKIP=$(missing_parts)
	export GUEST_SKIP
	if [ -n "$GUEST_SKIP" ]; then
		echo "# SELinux guest test skipped: $GUEST_SKIP" >&3
		return 0
	fi
	export GUEST_OUT=$BATS_FILE_TMPDIR/guest
	if [ ! -f "$GUEST_ROOT/stamp" ] || [ ! -x "$SOCKCHECK" ]; then
		echo "# $GUEST_ROOT or $SOCKCHECK missing: run make selinux-guest (make e2e does)" >&3
		return 1
	fi
	"$TOP/tests/selinux/run-guest" "$GUEST_OUT" "$MIGSOCK_BIN" "$SOCKCHECK" "$GUEST_ROOT" \
		"$TOP/sockets/migration.layout" || {
		echo "# the guest did not finish; console:" >&3
		tail -n 40 "$GUEST_OUT/console.log" | sed 's/^/# /' >&3
		return 1
	}
	# The run's kernel-reported contexts and denials, for the log.
	sed 's/^/# /' "$GUEST_OUT/results" >&3
	sed 's/^/# AVC /' "$GUEST_OUT/avc" >&3
	sed 's/^/# VIEW /' "$GUEST_OUT/view" >&3
}

setup() {
	if [ -n "$GUEST_SKIP" ]; then
		skip "SELinux guest test skipped: $GUEST_SKIP"
	fi
}

# in_guest NAME: the guest's check NAME passed.
in_guest() {
	local line
	line=$(grep -E "^(pass|fail) $1: " "$GUEST_OUT/results" | head -n 1)
	if [ -z "$line" ]; then
		echo "check $1 did not run in the guest; console tail:"
		tail -n 20 "$GUEST_OUT/console.log"
		return 1
	fi
	echo "$line"
	[[ $line == pass* ]]
}

@test "guest: the reference policy with migsock loads and the kernel enforces it" {
	in_guest policy-load
	in_guest enforcing
}

@test "guest: migsock module types are known to the kernel" {
	in_guest module-types
}

@test "guest: migsock.fc labels the binaries and the shared directory" {
	in_guest fc-exec-label
	in_guest fc-dir-label
}

@test "guest: policy alone: svirt_t connects to svirt_socket_t, not to virt_var_run_t (AVC)" {
	in_guest basic-peersec
	in_guest basic-svirt-connect
	in_guest basic-svirt-denied
}

@test "guest: relay sockets carry the layout's contexts (qemu, nbd, driver)" {
	in_guest relay-default-qemu
	in_guest relay-default-nbd
	in_guest relay-default-driver
	in_guest relay-sockfile-label
}

@test "guest: relay socket carries a custom --context exactly" {
	in_guest relay-custom-context
}

@test "guest: QEMU (svirt_t) sends data through relay sockets labelled svirt_socket_t" {
	in_guest hv-flow-qemu
	in_guest hv-flow-nbd
	in_guest hv-flow-chained
}

@test "guest: libvirtd (virtd_t) sends data through the driver channel" {
	in_guest libvirtd-flow-driver
}

@test "guest: QEMU is denied the driver channel and an unlabelled relay socket (AVC logged)" {
	in_guest hv-denied-driver
	in_guest hv-denied-unlabelled
}

@test "guest: relay refuses malformed and unknown contexts before any socket exists" {
	in_guest relay-malformed-context
	in_guest relay-unknown-context
}

@test "guest: SO_PEERSEC allow-list admits the allowed QEMU and rejects another guest's" {
	in_guest peersec-admitted
	in_guest peersec-rejected
}

@test "guest: migsock-bind sockets carry the requested and the default context" {
	in_guest bind-custom-context
	in_guest bind-flow
	in_guest bind-default-context
}

@test "guest: MCS: a QEMU of another guest (c1,c2) is denied a socket labelled s0:c5,c6 (AVC)" {
	in_guest bind-mcs-other-guest-denied
}

@test "guest: migsock-bind refuses malformed and unknown contexts before any socket exists" {
	in_guest bind-malformed-context
	in_guest bind-unknown-context
}

@test "guest: the policy module allowed everything the relay and binder did (no migsock_t AVC)" {
	in_guest no-migsock-denials
}

# The migrations (tests/selinux/guest-migrate*.sh): two real libvirtd with
# libvirt's SELinux driver, QEMU in svirt_t, relays in migsock_t.
@test "guest: real libvirtd run in virtd_t, QEMU in svirt_t with its own MCS pair, relays in migsock_t (ps -Z)" {
	in_guest mig-daemons
	in_guest mig-start
	in_guest mig-view
}

@test "guest: live p2p migration with storage copy through the relays, enforcing; guest verified on the destination" {
	in_guest mig-storage
	in_guest mig-storage-verify
}

@test "guest: live p2p migration with --parallel and storage copy through the relays, enforcing; guest verified" {
	in_guest mig-parallel
	in_guest mig-parallel-verify
}

@test "guest: no AVC denial on the migration paths (daemons, QEMU, relays, sockets)" {
	in_guest mig-no-denials
}

@test "guest: negative control: relay sockets left at their default label: QEMU denied (AVC), migration fails, guest stays on the source, migsock-migrate says what to fix" {
	in_guest mig-denied
	in_guest mig-denied-hint
}

@test "guest: no in-guest check failed" {
	run grep '^fail ' "$GUEST_OUT/results"
	echo "$output"
	[ "$status" -ne 0 ]
}
