#!/bin/sh
# migrate-storage.sh - peer-to-peer live migration with a full copy of the
# guest's disks (non-shared storage): QEMU mirrors every disk through the
# destination's NBD server at SOCKDIR/test-sock-nbd while memory moves
# through SOCKDIR/test-sock-qemu.
#
#   migrate-storage.sh SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]
#
# SRC_URI  the source daemon, as this client reaches it
# SOCKDIR  the socket directory as both daemons see it
# Pass --migrate-disks vda,vdb to copy only some disks. The destination
# daemon creates missing images if a storage pool holds their path.
set -eu
if [ $# -lt 3 ]; then
	echo "usage: $0 SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]" >&2
	exit 2
fi
src=$1 dir=$2 domain=$3
shift 3
exec "${MIGSOCK_BIN:+$MIGSOCK_BIN/}migsock-migrate" -c "$src" --p2p --live \
	--copy-storage-all --dir "$dir" "$@" "$domain"
