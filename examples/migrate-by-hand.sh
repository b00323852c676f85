#!/bin/sh
# migrate-by-hand.sh - the whole flow with nothing but the four commands:
# start the relays, wait with migsock-probe until the destination daemon
# answers through them, migrate peer-to-peer, tear the relays down.
#
#   migrate-by-hand.sh SRC_SOCK DST_SOCK SRC_DIR DST_DIR DOMAIN [migsock-migrate options...]
#
# SRC_SOCK  the source daemon's RPC socket, as this host sees it
#           (e.g. /run/libvirt/libvirt-sock, or a pod's .../run/libvirt/libvirt-sock)
# DST_SOCK  the destination daemon's RPC socket, as this host sees it
# SRC_DIR   the source's migration socket directory, as this host sees it
# DST_DIR   the destination's; the same as SRC_DIR for one shared directory
# DOMAIN    the guest
# DAEMON_DIR (environment) where BOTH daemons see their own socket
#           directory (default: SRC_DIR, daemons running on this host with
#           one shared directory; /run/migsock for the pods of
#           container/pods or examples/k8s)
#
# Relays this script runs (stopped, and their sockets removed, when it
# ends, also on failure or Ctrl-C):
#   1. DST_DIR/test-sock-driver -> DST_SOCK: the destination daemon,
#      exported for the source daemon (--p2p);
#   2. if SRC_DIR is not DST_DIR: every channel of the socket layout, from
#      SRC_DIR to DST_DIR (driver, and the qemu and nbd sockets the
#      destination QEMU creates for the migration).
# Socket names come from the socket layout ($MIGSOCK_LAYOUT, else the
# installed one). Exit status: migsock-migrate's, 1 if the relays do not
# come up.
set -eu

if [ $# -lt 5 ]; then
	echo "usage: $0 SRC_SOCK DST_SOCK SRC_DIR DST_DIR DOMAIN [migsock-migrate options...]" >&2
	exit 2
fi
src_sock=$1 dst_sock=$2 src_dir=$3 dst_dir=$4 domain=$5
shift 5
daemon_dir=${DAEMON_DIR:-$src_dir}
bin=${MIGSOCK_BIN:+$MIGSOCK_BIN/}

# layout.sh: beside the installed examples, or in the source tree.
here=$(cd "$(dirname "$0")" && pwd)
for lib in "$here/../layout.sh" "$here/../sockets/layout.sh"; do
	[ -r "$lib" ] && break
done
# shellcheck source=sockets/layout.sh
. "$lib"
driver=$(layout_get driver name)

pids=''
stop_relays() {
	# SIGTERM: each relay stops accepting, removes its sockets and lets
	# open connections finish (--drain-timeout).
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null || true
	done
	pids=''
}
trap stop_relays EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The destination daemon, exported into its socket directory.
"${bin}migsock-relay" --drain-timeout 10 \
	--listen "$dst_dir/$driver" --connect "$dst_sock" &
pids="$pids $!"
# 2. The bridge between two directories, every channel.
if [ "$(cd "$src_dir" && pwd -P)" != "$(cd "$dst_dir" && pwd -P)" ]; then
	"${bin}migsock-relay" --drain-timeout 10 \
		--listen-dir "$src_dir" --connect-dir "$dst_dir" &
	pids="$pids $!"
fi

# Wait (at most 30 s) until the destination daemon answers where the
# source daemon will look for it: through every relay on the way
# (--through), not merely until a relay's socket exists.
tries=0
until "${bin}migsock-probe" --quiet --through --timeout 2 "$src_dir/$driver"; do
	tries=$((tries + 1))
	if [ "$tries" -ge 60 ]; then
		"${bin}migsock-probe" --through --timeout 2 "$src_dir/$driver" || true
		echo "$0: the destination daemon does not answer through $src_dir/$driver" >&2
		exit 1
	fi
	sleep 0.5
done

# Migrate: the source daemon drives, through the sockets in DAEMON_DIR.
rc=0
"${bin}migsock-migrate" -c "qemu+unix:///system?socket=$src_sock" --p2p --live \
	--dir "$daemon_dir" "$@" "$domain" || rc=$?
stop_relays
exit "$rc"
