#!/bin/sh
# migrate-offline.sh - offline migration: copy the guest's persistent
# definition (not its memory or disks) to the destination daemon, running
# libvirt's pre-migration hook there. The guest itself stays where it is.
#
#   migrate-offline.sh SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]
#
# SRC_URI  the source daemon, as this client reaches it
# SOCKDIR  the socket directory as the source daemon sees it (only the
#          driver channel is used)
# The domain must be persistent (defined) on the source; libvirt requires
# --persistent for offline migration, which this script passes.
set -eu
if [ $# -lt 3 ]; then
	echo "usage: $0 SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]" >&2
	exit 2
fi
src=$1 dir=$2 domain=$3
shift 3
exec "${MIGSOCK_BIN:+$MIGSOCK_BIN/}migsock-migrate" -c "$src" --p2p --offline \
	--persistent --dir "$dir" "$@" "$domain"
