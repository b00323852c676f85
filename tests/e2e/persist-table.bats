#!/usr/bin/env bats
# tests/e2e/persist-table.bats - libvirt's table of configuration files
# after a migration (docs/migration.rst, the seed's 16 rows), row by row,
# against real daemons: before (source transient or persistent, a
# destination config or none), flags (--undefinesource, --persistent),
# after (destination persistent or transient, the config files under
# SRC_ROOT/DST_ROOT/etc/libvirt/qemu, and whose definition the
# destination's file holds). migsock-migrate checks the table itself too
# (exit 1 if libvirt's outcome differs); this file looks for itself.
# Odd rows run managed direct, even rows peer-to-peer. The guest is a
# 32 MiB machine without an OS: the table is about definitions.

load e2e

setup_file() {
	e2e_require
	pods_up --topology bridged
}

teardown_file() {
	pods_down
}

setup() {
	e2e_require
	M=$MIGSOCK_BIN/migsock-migrate
}

teardown() {
	pods_logs_if_failed
}

# domain_xml NAME UUID DESCRIPTION
domain_xml() {
	cat <<-XML
	<domain type='${DOMAIN_TYPE:-qemu}'>
	  <name>$1</name>
	  <uuid>$2</uuid>
	  <description>$3</description>
	  <memory unit='MiB'>32</memory>
	  <vcpu>1</vcpu>
	  <os><type arch='x86_64' machine='pc'>hvm</type></os>
	  <on_poweroff>destroy</on_poweroff>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	    <controller type='usb' model='none'/>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	XML
}

# yes/no of "Persistent:" in virsh dominfo, or "absent".
persistence() {
	local out
	out=$(vsh "$1" dominfo "$2" 2>/dev/null) || { echo absent; return; }
	awk '/^Persistent:/ { print $2 }' <<<"$out"
}

config_file() {
	echo "$(side_root "$1")/etc/libvirt/qemu/$2.xml"
}

# row N SRC-TYPE DST-CONFIG UNDEFINESOURCE PERSISTENT -> DST-TYPE SRC-CONFIG DST-CONFIG
# Y/N as in the table; DST-CONFIG after: N, Y (new), unchanged, replaced.
row() {
	local n=$1 src_type=$2 dst_cfg=$3 undef=$4 pers=$5
	local want_type=$6 want_src_cfg=$7 want_dst_cfg=$8
	local name=row$n uuid flags=() xml=$BATS_TEST_TMPDIR/row.xml
	uuid=$(cat /proc/sys/kernel/random/uuid)

	# Before.
	domain_xml "$name" "$uuid" "source definition" >"$xml"
	if [ "$src_type" = persistent ]; then
		vsh src define "$xml" >/dev/null
		vsh src start "$name" >/dev/null
	else
		vsh src create "$xml" >/dev/null
	fi
	if [ "$dst_cfg" = Y ]; then
		domain_xml "$name" "$uuid" "definition made on the destination" >"$xml"
		vsh dst define "$xml" >/dev/null
	fi

	# Migrate.
	[ "$undef" = Y ] && flags+=(--undefinesource)
	[ "$pers" = Y ] && flags+=(--persistent)
	if ((n % 2)); then
		flags+=(--desturi "$DST_URI")
	else
		flags+=(--p2p --dest-connect "$DST_URI")
	fi
	run "$M" -c "$SRC_URI" "$name" --dir "$SOCKDIR" --live --json \
		--no-progress "${flags[@]}"
	echo "$output"
	[ "$status" -eq 0 ]

	# After: where the guest runs, and both sides' configuration.
	[ "$(vsh dst domstate "$name")" = running ]
	[ "$(vsh src domstate "$name" 2>/dev/null)" != running ]
	if [ "$want_type" = Persistent ]; then
		[ "$(persistence dst "$name")" = yes ]
	else
		[ "$(persistence dst "$name")" = no ]
	fi
	if [ "$want_src_cfg" = Y ]; then
		[ -f "$(config_file src "$name")" ]
		[ "$(persistence src "$name")" = yes ]
	else
		[ ! -e "$(config_file src "$name")" ]
		[ "$(persistence src "$name")" = absent ]
	fi
	case $want_dst_cfg in
	N) [ ! -e "$(config_file dst "$name")" ] ;;
	Y | replaced) grep -q '<description>source definition</description>' "$(config_file dst "$name")" ;;
	unchanged) grep -q "<description>definition made on the destination</description>" "$(config_file dst "$name")" ;;
	esac

	# Clean up this row's guest on both sides.
	vsh dst destroy "$name" >/dev/null
	vsh dst undefine "$name" >/dev/null 2>&1 || true
	vsh src undefine "$name" >/dev/null 2>&1 || true
}

#             n  source     dstcfg undef pers  -> dst type   srccfg dstcfg
@test "table row 1"  { row 1  transient  N N N  Transient  N N; }
@test "table row 2"  { row 2  transient  N Y N  Transient  N N; }
@test "table row 3"  { row 3  transient  N N Y  Persistent N Y; }
@test "table row 4"  { row 4  transient  N Y Y  Persistent N Y; }
@test "table row 5"  { row 5  transient  Y N N  Persistent N unchanged; }
@test "table row 6"  { row 6  transient  Y Y N  Persistent N unchanged; }
@test "table row 7"  { row 7  transient  Y N Y  Persistent N replaced; }
@test "table row 8"  { row 8  transient  Y Y Y  Persistent N replaced; }
@test "table row 9"  { row 9  persistent N N N  Transient  Y N; }
@test "table row 10" { row 10 persistent N Y N  Transient  N N; }
@test "table row 11" { row 11 persistent N N Y  Persistent Y Y; }
@test "table row 12" { row 12 persistent N Y Y  Persistent N Y; }
@test "table row 13" { row 13 persistent Y N N  Persistent Y unchanged; }
@test "table row 14" { row 14 persistent Y Y N  Persistent N unchanged; }
@test "table row 15" { row 15 persistent Y N Y  Persistent Y replaced; }
@test "table row 16" { row 16 persistent Y Y Y  Persistent N replaced; }
