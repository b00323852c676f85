#!/usr/bin/env bats
# tests/e2e/migrate.bats - migsock-migrate against real daemons in the
# bridged pods (container/pods): every mode, storage copy with 3 disks,
# --parallel through the relays, post-copy, abort then retry, and the
# preflight refusals that need daemons, --xml and --persistent-xml, one
# --json result for every failure. One pair of pods for the file; each
# test uses its own guest. Root only.

# run --separate-stderr sets stderr:
# shellcheck disable=SC2154

load e2e
bats_require_minimum_version 1.5.0

setup_file() {
	e2e_require
	pods_up --topology bridged
}

teardown_file() {
	pods_down
}

setup() {
	e2e_require
	M=$MIGSOCK_BIN/migsock-migrate
}

teardown() {
	pods_logs_if_failed
}

# A small guest: 128 MiB, 32 filled, disks of 16 MiB.
small_guest() {
	guest_create "$@" --memory 128 --fill 32 --disk-size 16
}

# bare_domain NAME [--persistent]: a 32 MiB machine without an OS or
# disks, running on src at once; for tests about states and definitions,
# not guest data (booting the test guest under TCG takes tens of seconds).
bare_domain() {
	local xml=$BATS_TEST_TMPDIR/$1.xml
	cat >"$xml" <<-XML
	<domain type='${DOMAIN_TYPE:-qemu}'>
	  <name>$1</name>
	  <memory unit='MiB'>32</memory>
	  <os><type arch='x86_64' machine='pc'>hvm</type></os>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	    <controller type='usb' model='none'/>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	XML
	if [ "${2:-}" = --persistent ]; then
		vsh src define "$xml" >/dev/null && vsh src start "$1" >/dev/null
	else
		vsh src create "$xml" >/dev/null
	fi
}

# mig NAME ARGS...: migsock-migrate from src through the pods' layout
# directory, checking the destination through its host-side socket.
mig() {
	local name=$1
	shift
	run "$M" -c "$SRC_URI" "$name" --dir "$SOCKDIR" \
		--dest-connect "$DST_URI" "$@"
}

# The relay's per-connection log lines of one channel since line $1.
relay_conns() {
	tail -n +"$(($1 + 1))" "$POD_STATE/log/src-sidecar.log" | grep -c " $2: " || true
}

relay_log_lines() {
	wc -l <"$POD_STATE/log/src-sidecar.log"
}

@test "migrate: p2p live with storage copy of 3 disks, JSON result" {
	small_guest s3 --disks 3
	guest_mark s3 src
	mig s3 --p2p --live --copy-storage-all --json --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	tail -n1 <<<"$output" | jq -e '.type == "result" and .ok and .exit_code == 0
		and .mode == "p2p-live" and .destination.state == "running"
		and .destination.persistent == false and .source.exists == false
		and .stats.data_processed > 0 and (.downtime_ms | type) == "number"'
	guest_verify s3 dst
	# libvirt created the three images in dst's pool.
	[ -f "$DST_ROOT/var/lib/libvirt/images/s3-vdc.qcow2" ]
}

@test "migrate: managed direct (the client drives both daemons), live" {
	small_guest d1
	guest_mark d1 src
	run "$M" -c "$SRC_URI" d1 --dir "$SOCKDIR" --desturi "$DST_URI" \
		--live --copy-storage-all
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"migrated d1 (direct-live) in "* ]]
	[[ $output == *"destination: running"* ]]
	guest_verify d1 dst
}

@test "migrate: p2p tunnelled (the data rides the driver socket)" {
	small_guest t1 --disks 0
	guest_mark t1 src
	local before
	before=$(relay_log_lines)
	mig t1 --p2p --tunnelled --live
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify t1 dst
	# No QEMU or NBD stream went through the relay.
	[ "$(relay_conns "$before" qemu)" -eq 0 ]
	[ "$(relay_conns "$before" nbd)" -eq 0 ]
}

@test "migrate: p2p without --dest-connect (destination not visible from here)" {
	small_guest v1 --disks 0
	guest_mark v1 src
	run "$M" -c "$SRC_URI" v1 --dir "$SOCKDIR" --p2p --live --verbose
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"is not visible from here: the source daemon checks it"* ]]
	[[ $output == *"destination: not visible"* ]]
	guest_verify v1 dst
}

@test "migrate: non-live with incremental storage copy" {
	small_guest n1
	guest_mark n1 src
	# libvirt creates no image for an incremental copy: preflight says so.
	mig n1 --p2p --copy-storage-inc
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: disk /var/lib/libvirt/images/n1-vda.qcow2 (vda) does not exist on the destination, and libvirt creates no image for --copy-storage-inc: create it there first (qemu-img create -f qcow2 /var/lib/libvirt/images/n1-vda.qcow2 SIZE)" ]
	qemu-img create -q -f qcow2 "$DST_ROOT/var/lib/libvirt/images/n1-vda.qcow2" 16M
	mig n1 --p2p --copy-storage-inc
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"(p2p-nonlive)"* ]]
	guest_verify n1 dst
}

@test "migrate: --suspend leaves the guest paused on the destination" {
	bare_domain u1
	mig u1 --p2p --live --suspend --json --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	tail -n1 <<<"$output" | jq -e '.destination.state == "paused"'
	[ "$(vsh dst domstate u1)" = paused ]
	vsh dst destroy u1
}

@test "migrate: offline moves the definition, the guest keeps running on the source" {
	bare_domain o1 --persistent
	[ ! -e "$DST_ROOT/etc/libvirt/qemu/o1.xml" ]
	mig o1 --p2p --offline --persistent
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"migrated o1 (p2p-offline)"*"destination: shutoff, persistent"* ]]
	[ -f "$DST_ROOT/etc/libvirt/qemu/o1.xml" ]
	[ -f "$SRC_ROOT/etc/libvirt/qemu/o1.xml" ]
	[ "$(vsh dst domstate o1)" = "shut off" ]
	vsh dst dominfo o1 | grep -Eq '^Persistent: +yes'
	[ "$(vsh src domstate o1)" = running ]
	vsh src destroy o1
}

@test "migrate: --parallel --parallel-connections 4 opens 6 relayed connections" {
	small_guest p4
	guest_mark p4 src
	local before qemu driver i
	before=$(relay_log_lines)
	mig p4 --p2p --live --copy-storage-all --parallel --parallel-connections 4
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify p4 dst
	# The relay logs each connection when it ends: wait for the driver's.
	for ((i = 0; i < 50; i++)); do
		driver=$(relay_conns "$before" driver)
		[ "$driver" -ge 1 ] && break
		sleep 0.1
	done
	qemu=$(relay_conns "$before" qemu)
	echo "driver $driver qemu $qemu" >&2
	# The driver, QEMU's main stream and 4 multifd channels.
	[ "$driver" -eq 1 ]
	[ "$qemu" -eq 5 ]
	[ "$(relay_conns "$before" nbd)" -eq 1 ]
}

@test "migrate: post-copy, switched by --timeout-postcopy" {
	small_guest pc --disks 0
	guest_mark pc src
	# 1 MiB/s keeps pre-copy running past the 2 s timeout.
	mig pc --p2p --live --postcopy --timeout 2 --timeout-postcopy \
		--bandwidth 1 --json --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	# The last line is the result (stderr said when it switched).
	[[ $output == *"timeout of 2 s: switching to post-copy"* ]]
	tail -n1 <<<"$output" | jq -e '.ok and .timeout_hit and .postcopy_started
		and .stats.postcopy_requests > 0'
	guest_verify pc dst
}

@test "migrate: SIGINT and --timeout-abort abort (exit 7), the guest runs on; then a retry succeeds" {
	small_guest ab --disks 0
	guest_mark ab src
	"$M" -c "$SRC_URI" ab --dir "$SOCKDIR" --dest-connect "$DST_URI" \
		--p2p --live --bandwidth 1 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$! rc=0 i
	# Interrupt once the job is moving memory.
	for ((i = 0; i < 100; i++)); do
		grep -q 'iteration' "$BATS_TEST_TMPDIR/out" && break
		sleep 0.1
	done
	kill -INT "$pid"
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 7 ]
	grep -q "migration aborted (Interrupt); ab still runs on the source, state running" "$BATS_TEST_TMPDIR/out"
	guest_verify ab src
	# --timeout-abort: the same, from a timer; JSON progress lines, then
	# the result object.
	mig ab --p2p --live --bandwidth 1 --timeout 2 --timeout-abort --json
	echo "$output"
	[ "$status" -eq 7 ]
	[[ $output == *"migration aborted (timeout); ab still runs on the source, state running"* ]]
	grep '^{"type":"progress"' <<<"$output" | tail -n1 |
		jq -e '.data_total > 0 and .data_processed > 0 and .iteration >= 1
			and .bytes_per_second > 0'
	tail -n1 <<<"$output" | jq -e '.type == "result" and .ok == false
		and .exit_code == 7 and .aborted and .timeout_hit
		and .source.state == "running" and .destination.exists == false'
	guest_verify ab src
	# On a terminal the progress is a bar redrawn in place; interrupt it
	# once drawn (the pty's child of script is migsock-migrate).
	local tty=$BATS_TEST_TMPDIR/tty spid child
	script -qec "exec $M -c '$SRC_URI' ab --dir $SOCKDIR --p2p --live --bandwidth 1" \
		/dev/null >"$tty" &
	spid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q $'\r\\[#*-*] [0-9.]* [KMG]*i*B/' "$tty" && break
		sleep 0.1
	done
	child=$(pgrep -P "$spid")
	kill -INT "$child"
	rc=0
	wait "$spid" || rc=$?
	cat -v "$tty"
	[ "$rc" -eq 7 ]
	grep -q $'\r\\[#*-*] [0-9.]* [KMG]*i*B/' "$tty"
	grep -q 'ab still runs on the source' "$tty"
	# The retry goes through.
	mig ab --p2p --live
	echo "$output"
	[ "$status" -eq 0 ]
	guest_verify ab dst
}

@test "migrate: preflight refusals against real daemons (exit 6, nothing started)" {
	mig nosuch --p2p --live
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: no domain nosuch on the source: check the name with virsh -c $SRC_URI list --all" ]

	# The same daemon on both ends: one host UUID.
	bare_domain pf --persistent
	run "$M" -c "$SRC_URI" pf --dir "$SOCKDIR" --dest-connect "$SRC_URI" --p2p --live
	[ "$status" -eq 6 ]
	[[ $output == "migsock-migrate: both daemons report host UUID "*" and libvirt would refuse to migrate to the same host: give each daemon its own host_uuid in libvirtd.conf" ]]

	run "$M" -c "$SRC_URI" pf --dir "$SOCKDIR" --dest-connect "qemu+unix:///system?socket=$POD_STATE/nothing" --p2p --live
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: cannot reach the destination daemon at qemu+unix:///system?socket=$POD_STATE/nothing (Failed to connect socket to '$POD_STATE/nothing': No such file or directory): start it, its relay, or fix --dest-connect" ]

	# Another guest of that name already on the destination.
	vsh dst define "$BATS_TEST_TMPDIR/pf.xml"
	mig pf --p2p --live
	[ "$status" -eq 6 ]
	[[ $output == "migsock-migrate: the destination already has another domain named pf (UUID "*"): undefine it there or choose --dname" ]]
	vsh dst undefine pf

	vsh src destroy pf
	mig pf --p2p --live
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: pf is not running on the source: start it, or move its definition with --offline --persistent" ]
	vsh src undefine pf

	bare_domain tr
	mig tr --p2p --offline --persistent
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: tr is transient and --offline moves a persistent definition: define it on the source first, or migrate it live" ]
	# Nothing moved.
	[ "$(vsh src domstate tr)" = running ]
	run vsh dst domstate tr
	[ "$status" -ne 0 ]
	vsh src destroy tr
}

@test "migrate: --xml moves a disk to another path on the destination" {
	small_guest x1
	guest_mark x1 src
	local xml=$BATS_TEST_TMPDIR/x1-dst.xml dir=/var/lib/libvirt/images/moved
	local old=/var/lib/libvirt/images/x1-vda.qcow2 new
	new=$dir/x1-vda.qcow2
	vsh src dumpxml --migratable x1 | sed "s|$old|$new|" >"$xml"
	grep -q "<source file='$new'" "$xml"
	# Preflight checks the disks the destination will open: those of --xml.
	mkdir -p "$DST_ROOT$dir"
	mig x1 --p2p --live --copy-storage-all --xml "$xml"
	echo "$output"
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: disk $new (vda) does not exist on the destination and no storage pool there holds its directory: create it there first (qemu-img create -f qcow2 $new SIZE)" ]
	qemu-img create -q -f qcow2 "$DST_ROOT$new" 16M
	mig x1 --p2p --live --copy-storage-all --xml "$xml" --json --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	tail -n1 <<<"$output" | jq -e '.ok and .destination.state == "running"'
	# The destination runs the guest from the new path, and only there.
	[ "$(vsh dst domblklist x1 | awk '$1 == "vda" { print $2 }')" = "$new" ]
	[ ! -e "$DST_ROOT$old" ]
	guest_verify x1 dst
	vsh dst destroy x1
}

@test "migrate: --persistent-xml is the definition the destination keeps (guest given by UUID)" {
	small_guest px --disks 0 --persistent
	guest_mark px src
	local conf=$BATS_TEST_TMPDIR/px-conf.xml
	vsh src dumpxml --migratable --inactive px |
		sed 's|</name>|</name><title>kept by --persistent-xml</title>|' >"$conf"
	grep -q '<title>kept by --persistent-xml</title>' "$conf"
	# The guest by UUID, as virsh allows.
	mig "$(vsh src domuuid px)" --p2p --live --persistent \
		--persistent-xml "$conf" --json --no-progress
	echo "$output"
	[ "$status" -eq 0 ]
	tail -n1 <<<"$output" | jq -e '.ok and .domain == "px" and .destination.persistent'
	# The next boot's definition is the file; the running one the source's.
	vsh dst dumpxml --inactive px | grep -q '<title>kept by --persistent-xml</title>'
	[[ $(vsh dst dumpxml px) != *'<title>'* ]]
	guest_verify px dst
	vsh dst destroy px
	vsh dst undefine px
	vsh src undefine px
}

@test "migrate: --json prints exactly one result object when preflight or the migration fails" {
	# A preflight refusal from a real daemon.
	run --separate-stderr "$M" -c "$SRC_URI" nosuch --dir "$SOCKDIR" \
		--dest-connect "$DST_URI" --p2p --live --json
	echo "$output"
	[ "$status" -eq 6 ]
	[ "${#lines[@]}" -eq 1 ]
	jq -e --arg m "no domain nosuch on the source: check the name with virsh -c $SRC_URI list --all" \
		'.type == "result" and .exit_code == 6 and .error == $m' <<<"$output"
	# A migration libvirt refuses once started: --xml with other memory
	# breaks the guest's ABI. The guest stays on the source.
	bare_domain jf
	vsh src dumpxml --migratable jf | sed 's|<memory unit=.KiB.>[0-9]*</memory>|<memory unit="KiB">65536</memory>|' >"$BATS_TEST_TMPDIR/jf.xml"
	grep -q '<memory unit="KiB">65536</memory>' "$BATS_TEST_TMPDIR/jf.xml"
	run --separate-stderr "$M" -c "$SRC_URI" jf --dir "$SOCKDIR" \
		--dest-connect "$DST_URI" --p2p --live --xml "$BATS_TEST_TMPDIR/jf.xml" --json
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "$(grep -c '"type":"result"' <<<"$output")" -eq 1 ]
	tail -n1 <<<"$output" | jq -e '.type == "result" and .exit_code == 1
		and (.error | startswith("migration of jf failed: "))
		and .source.state == "running" and .destination.exists == false'
	[[ $stderr == *"migsock-migrate: migration of jf failed: "* ]]
	[ "$(vsh src domstate jf)" = running ]
	vsh src destroy jf
}
