# shellcheck shell=sh
# sockets/layout.sh - read the socket layout from shell scripts.
# Source it, then:   layout_get CHANNEL FIELD [FILE]
#   FIELD is one of: name mode context
# Example: qemu_sock="$dir/$(layout_get qemu name)"
# FILE defaults by the rule every migsock binary follows (src/lib/cli.c,
# cli_layout_file): $MIGSOCK_LAYOUT if set and not empty, else the
# installed migration.layout in the data directory below.

# The data directory: `make install` rewrites this line with its DATADIR
# (PREFIX/share/migsock), so the installed copy finds the installed layout.
_LAYOUT_DATADIR=/usr/local/share/migsock

# Read lines the way src/lib/layout.c does: '#' starts a comment anywhere
# on a line, and a carriage return counts as a blank.
_LAYOUT_AWK_CLEAN='{ gsub(/\r/, " "); sub(/#.*/, "") }'

layout_file_default() {
	if [ -n "${MIGSOCK_LAYOUT:-}" ]; then
		printf '%s\n' "$MIGSOCK_LAYOUT"
	else
		printf '%s\n' "$_LAYOUT_DATADIR/migration.layout"
	fi
}

layout_get() {
	_lg_file=${3:-$(layout_file_default)}
	case $2 in
	name) _lg_col=2 ;;
	mode) _lg_col=3 ;;
	context) _lg_col=4 ;;
	*) echo "layout_get: unknown field '$2' (use name, mode or context)" >&2; return 2 ;;
	esac
	_lg_val=$(awk -v ch="$1" -v col="$_lg_col" \
		"$_LAYOUT_AWK_CLEAN"' NF && $1 == ch { print $col; exit }' "$_lg_file") || return 3
	if [ -z "$_lg_val" ]; then
		echo "layout_get: no channel '$1' in $_lg_file" >&2
		return 3
	fi
	printf '%s\n' "$_lg_val"
}

layout_channels() {
	awk "$_LAYOUT_AWK_CLEAN"' NF { print $1 }' "${1:-$(layout_file_default)}"
}
