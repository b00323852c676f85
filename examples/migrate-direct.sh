#!/bin/sh
# migrate-direct.sh - managed direct live migration over UNIX sockets: this
# client talks to both daemons and drives every phase itself.
#
#   migrate-direct.sh SRC_URI DST_URI SOCKDIR DOMAIN [migsock-migrate options...]
#
# SRC_URI, DST_URI  both daemons, as THIS client reaches them
#                   (qemu+unix:///system?socket=PATH)
# SOCKDIR           the migration socket directory as both QEMUs see it:
#                   the source QEMU connects to SOCKDIR/test-sock-qemu
# If the client dies mid-way, libvirt aborts and the guest stays on the
# source (use migrate-p2p.sh when the client may go away).
set -eu
if [ $# -lt 4 ]; then
	echo "usage: $0 SRC_URI DST_URI SOCKDIR DOMAIN [migsock-migrate options...]" >&2
	exit 2
fi
src=$1 dst=$2 dir=$3 domain=$4
shift 4
exec "${MIGSOCK_BIN:+$MIGSOCK_BIN/}migsock-migrate" -c "$src" --desturi "$dst" \
	--live --dir "$dir" "$@" "$domain"
