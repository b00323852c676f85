#!/bin/sh
# migrate-tunnelled.sh - peer-to-peer tunnelled live migration: the memory
# stream travels inside the daemons' own RPC connection, so only ONE socket
# (the driver channel, SOCKDIR/test-sock-driver) has to be shared or relayed.
# Costs extra copies in both daemons; no storage copy, parallel or post-copy.
#
#   migrate-tunnelled.sh SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]
#
# SRC_URI  the source daemon, as this client reaches it
# SOCKDIR  the socket directory as the source daemon sees it
set -eu
if [ $# -lt 3 ]; then
	echo "usage: $0 SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]" >&2
	exit 2
fi
src=$1 dir=$2 domain=$3
shift 3
exec "${MIGSOCK_BIN:+$MIGSOCK_BIN/}migsock-migrate" -c "$src" --p2p --tunnelled \
	--live --dir "$dir" "$@" "$domain"
