#!/bin/sh
# migrate-p2p.sh - managed peer-to-peer live migration over UNIX sockets.
#
#   migrate-p2p.sh SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]
#
# SRC_URI  the source daemon, as this client reaches it
#          (qemu+unix:///system?socket=/run/libvirt/libvirt-sock)
# SOCKDIR  the migration socket directory, as BOTH daemons see it: the source
#          daemon reaches the destination daemon at SOCKDIR/test-sock-driver,
#          the source QEMU the destination QEMU at SOCKDIR/test-sock-qemu
#          (names from the socket layout)
# The source daemon drives the migration; this client only starts it.
set -eu
if [ $# -lt 3 ]; then
	echo "usage: $0 SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]" >&2
	exit 2
fi
src=$1 dir=$2 domain=$3
shift 3
exec "${MIGSOCK_BIN:+$MIGSOCK_BIN/}migsock-migrate" -c "$src" --p2p --live \
	--dir "$dir" "$@" "$domain"
