#!/bin/sh
# migrate-postcopy.sh - peer-to-peer live migration that switches to
# post-copy after the first pre-copy pass: the guest then runs on the
# destination and fetches the pages it still lacks on demand, so a guest
# that dirties memory faster than it can be copied still converges.
#
#   migrate-postcopy.sh SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]
#
# SRC_URI  the source daemon, as this client reaches it
# SOCKDIR  the socket directory as both daemons see it
# Needs userfaultfd on the destination host. Once switched, a failure
# loses the guest: the two halves of its memory are on different hosts.
set -eu
if [ $# -lt 3 ]; then
	echo "usage: $0 SRC_URI SOCKDIR DOMAIN [migsock-migrate options...]" >&2
	exit 2
fi
src=$1 dir=$2 domain=$3
shift 3
exec "${MIGSOCK_BIN:+$MIGSOCK_BIN/}migsock-migrate" -c "$src" --p2p --live \
	--postcopy --postcopy-after-precopy --dir "$dir" "$@" "$domain"
