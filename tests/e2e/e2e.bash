# shellcheck shell=bash
# tests/e2e/e2e.bash - helpers for the end-to-end tests: real libvirtd and
# QEMU in two runc pods (container/pods), the test guest (tests/guest).
# In a bats file under tests/e2e:   load e2e
#
# A typical test:
#   setup()    { e2e_require; pods_up --topology bridged; }
#   teardown() { pods_down; }
#   @test "..." {
#       guest_create g1 --fill 128 --disks 1
#       migrate_virsh g1
#       guest_verify g1 dst
#   }
#
# After pods_up, every variable of the pods' env file is exported (see
# container/pods: SRC_URI DST_URI DESTURI MIGRATEURI DISKSURI SOCKDIR
# SRC_SOCKDIR_HOST DST_SOCKDIR_HOST SRC_ROOT DST_ROOT TOPOLOGY DOMAIN_TYPE
# RUNC_ROOT SRC_CTR DST_CTR ...), plus POD_STATE (the state directory).
# MIGSOCK_BIN (from tests/bats/common.bash) picks the binaries under test;
# the pods' relays run from it too.

# shellcheck source=tests/bats/common.bash
. "$(dirname "${BASH_SOURCE[0]}")/../bats/common.bash"

E2E_TOP=$TOP
PODS=$E2E_TOP/container/pods
GUEST_DIR=${GUEST_DIR:-$E2E_TOP/build/guest}
GUESTCTL=$E2E_TOP/tests/guest/guestctl
DOMAIN_XML=$E2E_TOP/tests/guest/domain-xml

# e2e_require: skip the test unless this is root on a machine with runc,
# libvirtd, QEMU and the guest's ingredients.
e2e_require() {
	require_root
	local t
	for t in runc tini libvirtd virsh qemu-system-x86_64 qemu-img busybox socat jq; do
		command -v "$t" >/dev/null || skip "needs $t (make deps)"
	done
	[ -x "$MIGSOCK_BIN/migsock-relay" ] || skip "no $MIGSOCK_BIN/migsock-relay (make)"
}

# pods_up [--topology bridged|shared] [--kvm]: build the guest if needed,
# start both pods in a fresh state directory, export the env file.
# Fails (with the pods' logs) if they do not come up.
pods_up() {
	"$E2E_TOP/tests/guest/build" "$GUEST_DIR" >/dev/null
	POD_STATE=$(mktemp -d /tmp/mse.XXXXXX)
	export POD_STATE
	if ! MIGSOCK_BIN=$MIGSOCK_BIN "$PODS" up --state "$POD_STATE" "$@"; then
		pods_logs
		return 1
	fi
	set -a
	# shellcheck source=/dev/null
	. "$POD_STATE/env"
	set +a
}

# pods_down: stop both pods (no process, mount or socket left) and remove
# the state directory. Safe to call twice or when pods_up failed. In a bats
# teardown(), it prints the pods' logs first if the test failed.
pods_down() {
	[ -n "${POD_STATE:-}" ] || return 0
	if [ -n "${BATS_TEST_NAME:-}" ] && [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		pods_logs
	fi
	"$PODS" down --state "$POD_STATE"
	local sanitized=0
	sanitizer_reports "$POD_STATE" || sanitized=1
	rm -rf --one-file-system "$POD_STATE"
	POD_STATE=
	return "$sanitized"
}

# sanitizer_reports DIR: fail, showing them, if the relays' logs under
# DIR/log hold ASan/UBSan/LSan reports (make check runs the pods' relays
# from the sanitizer build).
sanitizer_reports() {
	local f bad=0
	for f in "$1"/log/*-sidecar.log; do
		[ -f "$f" ] || continue
		if grep -Eq 'ERROR: [A-Za-z]+Sanitizer|Sanitizer has encountered a fatal error|Sanitizer:DEADLYSIGNAL|runtime error:' "$f"; then
			echo "sanitizer report in $f:" >&2
			cat "$f" >&2
			bad=1
		fi
	done
	return "$bad"
}

# pods_logs: print the pods' logs (daemons, QEMU, relays) to stderr, for a
# failing test.
pods_logs() {
	local f
	[ -n "${POD_STATE:-}" ] || return 0
	for f in "$POD_STATE"/log/*.log "$POD_STATE"/*/root/var/log/libvirt/libvirtd.log \
		"$POD_STATE"/*/root/var/log/libvirt/qemu/*.log; do
		[ -s "$f" ] || continue
		echo "===== $f" >&2
		tail -n 40 "$f" >&2
	done
}

# pods_logs_if_failed: in a bats teardown, show the pods' logs when the test
# that just ran failed.
pods_logs_if_failed() {
	[ -n "${BATS_TEST_COMPLETED:-}" ] || pods_logs
}

# side_uri src|dst: the host-side libvirt URI of that pod's daemon.
side_uri() {
	case $1 in
	src) echo "$SRC_URI" ;;
	dst) echo "$DST_URI" ;;
	*) echo "side_uri: src or dst, not '$1'" >&2; return 2 ;;
	esac
}

# side_root src|dst: host path of that pod's root (its /run, /etc/libvirt...).
side_root() {
	case $1 in
	src) echo "$SRC_ROOT" ;;
	dst) echo "$DST_ROOT" ;;
	*) echo "side_root: src or dst, not '$1'" >&2; return 2 ;;
	esac
}

# vsh src|dst ARGS...: virsh against that pod's daemon.
vsh() {
	local uri
	uri=$(side_uri "$1") || return
	shift
	virsh -q -c "$uri" "$@"
}

# pod_exec src|dst CMD...: run CMD inside that pod's libvirtd container.
pod_exec() {
	local ctr
	case $1 in
	src) ctr=$SRC_CTR ;;
	dst) ctr=$DST_CTR ;;
	*) echo "pod_exec: src or dst, not '$1'" >&2; return 2 ;;
	esac
	shift
	runc --root "$RUNC_ROOT" exec "$ctr" "$@"
}

# guest_create NAME [--memory MIB] [--fill MIB] [--disks N] [--disk-size MIB]
#              [--seed N] [--persistent] [--churn] [--churn-mib N]
# Make the guest's disk images in the src pod (qcow2 holding msfill data of
# known checksum), put the kernel and initramfs in both pods, start the
# guest on src (transient by default; --persistent defines it first), wait
# until it has filled its RAM and answers, and record what guest_verify
# expects in $POD_STATE/guests/NAME. Defaults: 256 MiB RAM, 160 filled,
# 1 disk of 64 MiB. --churn: the guest keeps rewriting its RAM (same data,
# so the checksum holds) to keep pages dirty during the migration;
# --churn-mib N only the first N MiB of it.
guest_create() {
	local name=$1 memory=256 fill=160 disks=1 disk_size=64 seed persistent=0
	local churn=() i dev letters=abcdefgh sums='' img raw xml
	shift
	seed=$((RANDOM + 1))
	while [ $# -gt 0 ]; do
		case $1 in
		--memory) memory=$2; shift 2 ;;
		--fill) fill=$2; shift 2 ;;
		--disks) disks=$2; shift 2 ;;
		--disk-size) disk_size=$2; shift 2 ;;
		--seed) seed=$2; shift 2 ;;
		--persistent) persistent=1; shift ;;
		--churn) churn=(--churn); shift ;;
		--churn-mib) churn=(--churn-mib "$2"); shift 2 ;;
		*) echo "guest_create: unknown option '$1'" >&2; return 2 ;;
		esac
	done
	mkdir -p "$POD_STATE/guests"
	for i in src dst; do
		cp "$GUEST_DIR/vmlinuz" "$GUEST_DIR/initramfs.gz" "$(side_root "$i")/var/lib/libvirt/boot/"
	done
	for ((i = 0; i < disks; i++)); do
		dev=vd${letters:i:1}
		img=$SRC_ROOT/var/lib/libvirt/images/$name-$dev.qcow2
		raw=$POD_STATE/guests/$name-$dev.raw
		"$GUEST_DIR/msfill" gen $((seed + 1 + i)) "$disk_size" >"$raw"
		sums+="$dev=$("$GUEST_DIR/msfill" sum "$raw") "
		qemu-img convert -q -f raw -O qcow2 "$raw" "$img"
		rm -f "$raw"
	done
	xml=$POD_STATE/guests/$name.xml
	"$DOMAIN_XML" --name "$name" --memory "$memory" --fill "$fill" \
		--seed "$seed" --disks "$disks" "${churn[@]}" >"$xml"
	if [ "$persistent" = 1 ]; then
		vsh src define "$xml" >/dev/null && vsh src start "$name" >/dev/null
	else
		vsh src create "$xml" >/dev/null
	fi || return 1
	{
		echo "RAM_SUM=$("$GUEST_DIR/msfill" gen "$seed" "$fill" | "$GUEST_DIR/msfill" sum -)"
		echo "DISK_SUMS='${sums% }'"
		echo "COUNTER=0"
	} >"$POD_STATE/guests/$name"
	guest_wait_ready "$name" src
}

# guest_wait_ready NAME src|dst [SECONDS]: wait until the guest answers
# "ping" (it answers only once its RAM is filled). Default 180 s: TCG on
# a busy 2-core machine is slow.
guest_wait_ready() {
	local name=$1 side=$2 secs=${3:-180} sock deadline
	sock=$(side_root "$side")$GUEST_RUNDIR/$name.sock
	deadline=$((SECONDS + secs))
	while ((SECONDS < deadline)); do
		if [ "$("$GUESTCTL" --timeout 2 "$sock" ping 2>/dev/null)" = ready ]; then
			return 0
		fi
		sleep 0.5
	done
	echo "guest $name did not answer on $sock within ${secs}s" >&2
	pods_logs
	return 1
}

# guest_ask NAME src|dst COMMAND: the guest's answer to COMMAND (ping, ram,
# counter, disk, uptime), asked through that pod's /run.
guest_ask() {
	"$GUESTCTL" "$(side_root "$2")$GUEST_RUNDIR/$1.sock" "$3"
}

# guest_mark NAME src|dst: record the guest's counter now, so the next
# guest_verify proves the guest kept running since.
guest_mark() {
	local c
	c=$(guest_ask "$1" "$2" counter) || return 1
	sed -i "s/^COUNTER=.*/COUNTER=$c/" "$POD_STATE/guests/$1"
}

# guest_verify NAME src|dst: prove the guest runs on that side and not on
# the other, its RAM checksum is the one its seed gives, its counter went
# past the last mark, and every disk reads back (through that side's QEMU)
# with the checksum it was created with. On dst, also check each disk
# image file on the host, at the path dst's definition names. Prints what
# failed and returns 1.
guest_verify() {
	local name=$1 side=$2 other state ram counter disks img dev
	local RAM_SUM DISK_SUMS COUNTER
	other=$([ "$side" = src ] && echo dst || echo src)
	# shellcheck source=/dev/null
	. "$POD_STATE/guests/$name"
	state=$(vsh "$side" domstate "$name" 2>/dev/null | head -n1)
	if [ "$state" != running ]; then
		echo "guest_verify: $name is '$state' on $side, not running" >&2
		return 1
	fi
	if [ "$(vsh "$other" domstate "$name" 2>/dev/null | head -n1)" = running ]; then
		echo "guest_verify: $name still runs on $other" >&2
		return 1
	fi
	ram=$(guest_ask "$name" "$side" ram) || return 1
	if [ "$ram" != "$RAM_SUM" ]; then
		echo "guest_verify: $name RAM checksum $ram, expected $RAM_SUM" >&2
		return 1
	fi
	counter=$(guest_ask "$name" "$side" counter) || return 1
	if ! [ "$counter" -gt "$COUNTER" ] 2>/dev/null; then
		echo "guest_verify: $name counter '$counter' did not advance past $COUNTER" >&2
		return 1
	fi
	disks=$(guest_ask "$name" "$side" disk) || return 1
	if [ "$disks" != "$DISK_SUMS" ]; then
		echo "guest_verify: $name disks '$disks', expected '$DISK_SUMS'" >&2
		return 1
	fi
	if [ "$side" = dst ]; then
		for dev in $DISK_SUMS; do
			# The path the destination uses (--xml may have moved it).
			img=$(vsh dst domblklist "$name" | awk -v t="${dev%%=*}" '$1 == t { print $2 }')
			img=$DST_ROOT${img:-/var/lib/libvirt/images/$name-${dev%%=*}.qcow2}
			if [ "$(image_sum "$img")" != "${dev#*=}" ]; then
				echo "guest_verify: image $img does not hold the expected data" >&2
				return 1
			fi
		done
	fi
	sed -i "s/^COUNTER=.*/COUNTER=$counter/" "$POD_STATE/guests/$name"
}

# image_sum FILE: msfill checksum of the guest-visible content of a qcow2
# image (read with -U: the image may be in use by a running QEMU).
image_sum() {
	local raw
	raw=$(mktemp "$POD_STATE/img.XXXXXX")
	qemu-img convert -U -q -f qcow2 -O raw "$1" "$raw" &&
		"$GUEST_DIR/msfill" sum "$raw"
	rm -f "$raw"
}

# migrate_virsh NAME [VIRSH-OPTIONS...]: live peer-to-peer migration with
# full storage copy over the pods' UNIX sockets, driven by virsh on the
# src daemon; extra options are appended (e.g. --persistent). Tests that
# migrate another way call guest_mark NAME src first, then guest_verify.
migrate_virsh() {
	local name=$1
	shift
	guest_mark "$name" src || return 1
	virsh -q -c "$SRC_URI" migrate --domain "$name" --p2p --live \
		--copy-storage-all --desturi "$DESTURI" \
		--migrateuri "$MIGRATEURI" --disks-uri "$DISKSURI" "$@"
}

# no_leftovers DIR: fail if any process runs with its root under DIR, any
# mount lies under DIR, or any socket file is left under DIR.
no_leftovers() {
	local dir=$1 p root left=0 f
	for p in /proc/[0-9]*; do
		root=$(readlink "$p/root" 2>/dev/null) || continue
		case $root in
		"$dir"/*)
			echo "left: process ${p#/proc/} ($(cat "$p/comm" 2>/dev/null)) rooted at $root" >&2
			left=1
			;;
		esac
	done
	if awk -v d="$dir/" 'index($5, d) == 1 { found = 1; print "left: mount " $5 > "/dev/stderr" } END { exit !found }' /proc/self/mountinfo; then
		left=1
	fi
	while IFS= read -r f; do
		echo "left: socket $f" >&2
		left=1
	done < <(find "$dir" -type s 2>/dev/null)
	return "$left"
}
