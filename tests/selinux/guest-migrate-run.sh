#!/bin/bash
# shellcheck disable=SC2009,SC2094
# (SC2009: ps is read for its label column, which pgrep cannot print;
# SC2094: "virsh ... 2>&1" inside $() is no file read and written.)
# tests/selinux/guest-migrate-run.sh - live migrations between two real
# libvirtd (security_driver = "selinux", dynamic labels) through migsock
# relays, in the enforcing guest; run by guest-migrate.sh chrooted into
# /mroot, as kernel_t.
#
# Two "pods", src and dst, each a mount + PID namespace with its own
# /etc/libvirt, /run, /var/lib/libvirt, /var/log/libvirt and
# /var/cache/libvirt (from /srv/POD, labelled by the policy's file
# contexts). PID 1 of each is tini entered through init_exec_t (init_t),
# which starts libvirtd (virtd_exec_t -> virtd_t by the reference policy's
# transition); libvirt starts QEMU in svirt_t with its own MCS pair.
# Relays as in container/pods' bridged topology: the dst sidecar relay
# (driver channel -> dst libvirtd) and the bridge relay (src directory ->
# dst directory, every channel of the layout), started by init_t: they
# enter migsock_t through migsock.pp's own transition.
# Results: "MSRESULT pass|fail|info NAME: detail"; the kernel's view of
# processes and sockets: "MSVIEW ...".

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
export ASAN_OPTIONS=detect_leaks=0
export LIBVIRT_DEFAULT_URI=
FC=/etc/selinux/default/contexts/files/file_contexts
LAYOUT=/usr/local/share/migsock/migration.layout
INIT=/usr/local/sbin/init
RELAY=/usr/local/bin/migsock-relay
SRCDIR=/run/migsock/src # the migration directory as both daemons see it
DSTDIR=/run/migsock/dst # the dst pod's own directory, seen from here
uri() { echo "qemu+unix:///system?socket=/srv/$1/run/libvirt/libvirt-sock"; }
SRC=$(uri src)
DST=$(uri dst)
declare -A POD_PID

# Every libvirt call is bounded.
virsh() { timeout -k 5 300 /usr/bin/virsh "$@"; }

up() { echo "[$(cut -d' ' -f1 /proc/uptime)s]"; }
result() { # result pass|fail|info NAME DETAIL...
	local r=$1 n=$2
	shift 2
	echo "MSRESULT $r $n: $*"
}
view() { sed 's/^/MSVIEW /'; }

# mark NAME: a line in the kernel log; avc_since NAME: the denials after it.
mark() { echo "MSMARK $1" >/dev/kmsg; }
avc_since() {
	dmesg | sed -n "/MSMARK $1\$/,\$p" | grep 'avc:  denied' | sed 's/.*avc: *//'
}

# wait_for SECONDS CMD...: poll CMD every 0.5 s until it succeeds.
wait_for() {
	local n=$(($1 * 2))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.5
	done
}

make_pod() { # make_pod NAME
	local p=/srv/$1 uuid
	mkdir -p "$p"/etc/libvirt/qemu "$p"/run/libvirt "$p"/run/migsock/src \
		"$p"/var/lib/libvirt/images "$p"/var/lib/libvirt/qemu \
		"$p"/var/log/libvirt/qemu "$p"/var/cache/libvirt/qemu
	uuid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$p"/etc/libvirt/libvirtd.conf <<-EOF
		auth_unix_rw = "none"
		log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
		host_uuid = "$uuid"
	EOF
	# container/qemu.conf, with libvirt's SELinux driver instead of none.
	cat >"$p"/etc/libvirt/qemu.conf <<-EOF
		security_driver = "selinux"
		security_default_confined = 1
		user = "root"
		group = "root"
		dynamic_ownership = 0
		remember_owner = 0
		cgroup_controllers = [ ]
		namespaces = [ ]
		stdio_handler = "file"
	EOF
	setfiles -r "$p" "$FC" "$p"
}

start_pod() { # start_pod NAME DIR: DIR appears as $SRCDIR inside
	local p=/srv/$1
	unshare -m -p -f --kill-child -- bash -c "
		mount --bind $2 $p$SRCDIR &&
		mount --rbind $p/run /run &&
		mount --bind $p/etc/libvirt /etc/libvirt &&
		mount --bind $p/var/lib/libvirt /var/lib/libvirt &&
		mount --bind $p/var/log/libvirt /var/log/libvirt &&
		mount --bind $p/var/cache/libvirt /var/cache/libvirt &&
		exec $INIT -s -- /usr/sbin/libvirtd" </dev/null >"/log/pod-$1" 2>&1 &
	POD_PID[$1]=$!
}

daemon_up() { [ -S "/srv/$1/run/libvirt/libvirt-sock" ] && virsh -q -c "$(uri "$1")" version; }

# start_relay NAME [nsenter args --] ARGS...: a relay under init_t.
start_relay() {
	local name=$1
	shift
	"$@" --ready-fd 4 4>"/log/$name.ready" 2>"/log/$name" </dev/null &
	RELAY_PID=$!
	if ! wait_for 60 test -s "/log/$name.ready"; then
		result fail "$name" "relay did not start: $(cat "/log/$name")"
		return 1
	fi
}

domain_xml() { # domain_xml NAME
	cat <<-EOF
		<domain type='qemu'>
		  <name>$1</name>
		  <memory unit='MiB'>32</memory>
		  <vcpu>1</vcpu>
		  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    <disk type='file' device='disk'>
		      <driver name='qemu' type='raw'/>
		      <source file='/var/lib/libvirt/images/$1.img'/>
		      <target dev='vda' bus='virtio'/>
		    </disk>
		    <controller type='usb' model='none'/>
		    <memballoon model='none'/>
		  </devices>
		  <seclabel type='dynamic' model='selinux' relabel='yes'/>
		</domain>
	EOF
}

hmp() { # hmp URI NAME CMD: first value HMP prints
	virsh -q -c "$1" qemu-monitor-command --hmp "$2" "$3" 2>/dev/null |
		tr -d '\r' | awk 'NF >= 2 { print $2; exit }'
}

# The boot sector filled 0x10000.. with the disk's seed and counts ticks.
booted() { # booted URI NAME
	local c
	c=$(hmp "$1" "$2" 'xp /1xh 0x500')
	[ -n "$c" ] && [ "$c" != 0x0000 ]
}

GUESTS="ms-storage ms-parallel"

all_booted() {
	local d
	for d in $GUESTS; do booted "$SRC" "$d" || return 1; done
}

start_domains() {
	local d
	for d in $GUESTS; do
		cp /disks/"$d".img /srv/src/var/lib/libvirt/images/
		truncate -s "$(stat -c %s "/disks/$d.img")" /srv/dst/var/lib/libvirt/images/"$d".img
		domain_xml "$d" >/tmp/"$d".xml
	done
	# The images get the type of their directory (virt_image_t).
	setfiles -r /srv/src $FC /srv/src/var/lib/libvirt/images
	setfiles -r /srv/dst $FC /srv/dst/var/lib/libvirt/images
	# Both at once: QEMU's start is slow under nested TCG.
	local pids=
	for d in $GUESTS; do
		virsh -q -c "$SRC" create /tmp/"$d".xml >/log/create-"$d" 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do
		if ! wait "$p"; then
			result fail mig-start "$(cat /log/create-*) $(tail -n 3 /srv/src/var/log/libvirt/qemu/*.log 2>/dev/null)"
			return 1
		fi
	done
	if ! wait_for 300 all_booted; then
		result fail mig-start "not at the boot sector in 300 s: $(for d in $GUESTS; do echo "$d ticks $(hmp "$SRC" "$d" 'xp /1xh 0x500') ip $(hmp "$SRC" "$d" 'info registers' | head -c 40);"; done)"
		return 1
	fi
	result pass mig-start "$(up) guests run on src (32 MiB, SeaBIOS + a boot sector): $(ps -eo label,args | grep '[q]emu-system' | cut -d' ' -f1 | tr '\n' ' ')"
}

ticks_moved() { [ "$(hmp "$1" "$2" 'xp /1xh 0x500')" != "$3" ]; }

# verify NAME: on dst and running, gone from src, RAM and disk intact.
verify() {
	local d=$1 seed got c1 c2 want have
	seed=$(cat /disks/"$d".img.seed)
	[ "$(virsh -q -c "$DST" domstate "$d" 2>&1)" = running ] ||
		{ echo "not running on dst: $(virsh -q -c "$DST" domstate "$d" 2>&1)"; return 1; }
	! virsh -q -c "$SRC" domstate "$d" >/dev/null 2>&1 ||
		{ echo "still on src: $(virsh -q -c "$SRC" domstate "$d" 2>&1)"; return 1; }
	for a in 0x10000 0x1fffe; do
		got=$(hmp "$DST" "$d" "xp /1xh $a")
		[ "$got" = "$seed" ] || { echo "RAM at $a on dst: $got, want $seed"; return 1; }
	done
	c1=$(hmp "$DST" "$d" 'xp /1xh 0x500')
	wait_for 30 ticks_moved "$DST" "$d" "$c1" ||
		{ echo "tick counter stuck at $c1 on dst"; return 1; }
	c2=$(hmp "$DST" "$d" 'xp /1xh 0x500')
	want=$(sha256sum </disks/"$d".img | cut -c1-16)
	have=$(sha256sum </srv/dst/var/lib/libvirt/images/"$d".img | cut -c1-16)
	[ "$want" = "$have" ] || { echo "dst disk sha256 $have, want $want"; return 1; }
	echo "running on dst, gone from src; RAM pattern $seed at 0x10000 and 0x1fffe; ticks $c1 -> $c2; disk sha256 $have"
}

# migrate NAME ARGS...: migsock-migrate as README shows it (--dir).
migrate() {
	local d=$1
	shift
	mark "migrate-$d"
	timeout -k 5 400 migsock-migrate -c "$SRC" --p2p --live --copy-storage-all \
		--dir "$SRCDIR" --dest-connect "$DST" "$@" "$d" >/log/mig-"$d" 2>&1
}

record_view() { # record_view WHEN
	{
		echo "== $1: ps -eZ (init, libvirtd, QEMU, relays)"
		ps -eo label,pid,args | grep -E '[l]ibvirtd|[q]emu-system|[m]igsock-relay|/usr/local/sbin/[i]nit' |
			cut -c1-200
		echo "== $1: ls -Z of the migration directories and daemon sockets"
		ls -laZ $SRCDIR $DSTDIR /srv/src/run/libvirt/libvirt-sock /srv/dst/run/libvirt/libvirt-sock
		echo "== $1: the relays' listening sockets (their own labels, as each relay names them)"
		for p in $(pgrep -f "^$RELAY"); do
			for s in $SRCDIR/test-sock-driver $SRCDIR/test-sock-qemu $SRCDIR/test-sock-nbd; do
				c=$(sockcheck fdcon "$p" "$s" 2>/dev/null) && echo "relay $p ($(cut -d' ' -f1 "/proc/$p/attr/current")): $s: $c"
			done
		done
	} | view
}

stop_pid() { # stop_pid PID: SIGTERM, wait up to 30 s
	kill -TERM "$1" 2>/dev/null
	wait_for 30 sh -c "! kill -0 $1" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# QEMU under TCG writes the code it generates: libvirt's own warning
# ("Guest startup may be denied due to missing 'execmem' privilege unless
# the 'virt_use_execmem' policy boolean is enabled"). A KVM host needs no
# such boolean; README says so.
set_boolean() {
	echo 1 >/sys/fs/selinux/booleans/virt_use_execmem &&
		echo 1 >/sys/fs/selinux/commit_pending_bools &&
		result info mig-boolean "virt_use_execmem = $(cut -d' ' -f1 /sys/fs/selinux/booleans/virt_use_execmem) (TCG)"
}

# The kernel's view: contexts of the daemons, QEMU and relays.
check_view() {
	local ps bad=
	ps=$(ps -eo label,args)
	grep -qE '^system_u:system_r:virtd_t:s0 +/usr/sbin/libvirtd' <<<"$ps" || bad="$bad libvirtd-not-virtd_t"
	grep -qE '^system_u:system_r:svirt_t:s0:c[0-9]+,c[0-9]+ +/usr/bin/qemu-system' <<<"$ps" || bad="$bad qemu-not-svirt_t-mcs"
	grep -qE "^system_u:system_r:migsock_t:s0 +$RELAY" <<<"$ps" || bad="$bad relay-not-migsock_t"
	! grep -E "(libvirtd|qemu-system|$RELAY)" <<<"$ps" | grep -qvE '^system_u:system_r:(virtd_t|svirt_t|migsock_t|init_t|kernel_t):' ||
		bad="$bad other-domain"
	if [ -z "$bad" ]; then
		result pass mig-view "libvirtd virtd_t, QEMU svirt_t:s0:cX,cY, relays migsock_t (ps -Z in MSVIEW lines)"
	else
		result fail mig-view "$bad: $(grep -E "(libvirtd|qemu-system|$RELAY)" <<<"$ps" | cut -c1-80 | tr '\n' ' ')"
	fi
}

# migsock's part of a denial: its types, the socket classes, connect and
# relabel. Others (QEMU probing io_uring or sysfs) are the reference
# policy's, reported apart.
RELEVANT='migsock_|svirt_socket_t|svirt_image_t|tclass=(unix_stream_socket|sock_file)|\{ (connectto|relabelfrom|relabelto)'
relevant() { grep -E "$RELEVANT"; }

start_negative_relays() {
	local ch
	NEG_PIDS=
	start_relay relay-neg-driver $INIT -s -- $RELAY --layout $LAYOUT --channels driver \
		--listen-dir $SRCDIR --connect-dir $DSTDIR || return
	NEG_PIDS=$RELAY_PID
	for ch in qemu nbd; do
		start_relay relay-neg-$ch $INIT -s -- $RELAY \
			--listen $SRCDIR/test-sock-$ch --connect $DSTDIR/test-sock-$ch || return
		NEG_PIDS="$NEG_PIDS $RELAY_PID"
	done
}

# Negative control: the hypervisor channels served by relays whose sockets
# keep their default label (the relay's own, migsock_t).
negative() {
	local rc out avc state d=ms-storage
	start_negative_relays || return
	record_view negative
	migrate $d
	rc=$?
	out=$(tr '\n' ' ' </log/mig-$d)
	avc=$(avc_since migrate-$d | grep '{ connectto }' | grep 'scontext=[^ ]*:svirt_t:' |
		grep 'tcontext=[^ ]*:migsock_t:' | head -n 1)
	state=$(virsh -q -c "$SRC" domstate "$d" 2>&1)
	if [ $rc = 1 ] && [ -n "$avc" ] && [ "$state" = running ] && booted "$SRC" $d; then
		result pass mig-denied "$(up) exit 1, $d still running on src; migsock-migrate said: $out; kernel: $avc"
	else
		result fail mig-denied "exit $rc, src state '$state', said: $out; AVC: '$avc'; all: $(avc_since migrate-$d | sort -u | head -n 8 | tr '\n' ' ')"
	fi
	if grep -q 'svirt_socket_t' /log/mig-$d && grep -qi 'context' /log/mig-$d; then
		result pass mig-denied-hint "$out"
	else
		result fail mig-denied-hint "no hint at the relay's socket label in: $out"
	fi
	for p in $NEG_PIDS; do stop_pid "$p"; done
}

positive() { # positive NAME ARGS...
	local d=$1 name=$2 out
	shift 2
	if migrate "$d" "$@"; then
		result pass "$name" "$(up) $(tail -n 1 "/log/mig-$d")"
		if out=$(verify "$d"); then result pass "$name"-verify "$out"
		else result fail "$name"-verify "$out"; fi
	else
		result fail "$name" "exit $?: $(tail -n 3 "/log/mig-$d" | tr '\n' ' '); relay: $(tail -n 5 /log/relay-bridge | tr '\n' ' '); AVC: $(avc_since "migrate-$d" | sort -u | tr '\n' ' ')"
	fi
}

run() {
	set_boolean || { result fail mig-boolean "cannot set virt_use_execmem"; return; }
	if ! make_pod src || ! make_pod dst; then
		result fail mig-pods "setfiles failed"
		return
	fi
	start_pod dst $DSTDIR
	start_pod src $SRCDIR
	if ! wait_for 300 daemon_up dst || ! wait_for 300 daemon_up src; then
		result fail mig-daemons "libvirtd did not answer in 300 s: $(tail -n 5 /log/pod-*) $(tail -n 5 /srv/*/var/log/libvirt/libvirtd.log)"
		return
	fi
	result pass mig-daemons "$(up) two libvirtd: $(ps -eo label,args | grep -E '^[^ ]+ +/usr/sbin/libvirtd' | cut -d' ' -f1 | tr '\n' ' ')"
	start_relay relay-driver nsenter -t "${POD_PID[dst]}" -m -r -w -- $INIT -s -- $RELAY \
		--listen $SRCDIR/test-sock-driver --connect /run/libvirt/libvirt-sock \
		--context system_u:object_r:virt_var_run_t:s0 || return
	start_domains || return

	negative

	mark mig-allowed
	start_relay relay-bridge $INIT -s -- $RELAY --layout $LAYOUT \
		--listen-dir $SRCDIR --connect-dir $DSTDIR || return
	record_view before
	check_view
	positive ms-storage mig-storage
	positive ms-parallel mig-parallel --parallel --parallel-connections 3
	record_view after
	avc=$(avc_since mig-allowed | sort -u)
	if [ -z "$(relevant <<<"$avc")" ]; then
		result pass mig-no-denials "no AVC denial on the migration paths (relays, sockets, connect, relabel) from the relays' start to the end of both migrations"
	else
		result fail mig-no-denials "$(relevant <<<"$avc" | head -n 20 | tr '\n' ' ')"
	fi
	result info mig-other-denials "reference policy, not migsock's: $(grep -vE "$RELEVANT" <<<"$avc" | sed 's/ pid=[0-9]*//; s/ ino=[0-9]*//' | sort -u | tr '\n' ' ')"
}

run
result info mig-libvirtd-log "$(tail -n 8 /srv/src/var/log/libvirt/libvirtd.log /srv/dst/var/log/libvirt/libvirtd.log 2>/dev/null | tr '\n' ' ')"
