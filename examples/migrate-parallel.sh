#!/bin/sh
# migrate-parallel.sh - peer-to-peer live migration over several
# connections: QEMU opens 1 + N connections to SOCKDIR/test-sock-qemu (a
# relay in between must accept them all and keep their order).
#
#   migrate-parallel.sh SRC_URI SOCKDIR DOMAIN [N [migsock-migrate options...]]
#
# SRC_URI  the source daemon, as this client reaches it
# SOCKDIR  the socket directory as both daemons see it
# N        parallel connections besides the main one (default 4, 1-255)
set -eu
if [ $# -lt 3 ]; then
	echo "usage: $0 SRC_URI SOCKDIR DOMAIN [N [migsock-migrate options...]]" >&2
	exit 2
fi
src=$1 dir=$2 domain=$3 n=${4:-4}
shift $(($# < 4 ? 3 : 4))
exec "${MIGSOCK_BIN:+$MIGSOCK_BIN/}migsock-migrate" -c "$src" --p2p --live \
	--parallel --parallel-connections "$n" --dir "$dir" "$@" "$domain"
