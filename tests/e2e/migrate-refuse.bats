#!/usr/bin/env bats
# tests/e2e/migrate-refuse.bats - every up-front refusal of migsock-migrate:
# the exact line and exit code, before anything is contacted (the source
# URI below has no daemon; a refusal that contacted it would say so).

load e2e

setup() {
	M=$MIGSOCK_BIN/migsock-migrate
	[ -x "$M" ] || skip "no $M (make)"
	NOWHERE="qemu+unix:///system?socket=$BATS_TEST_TMPDIR/no-daemon"
}

# refused EXIT MESSAGE ARGS...: run with a valid p2p base line plus ARGS.
refused() {
	local code=$1 msg=$2
	shift 2
	run "$M" -c "$NOWHERE" --domain g --p2p --live \
		--desturi 'qemu+unix:///system?socket=/d/s' "$@"
	echo "$output"
	[ "$status" -eq "$code" ]
	[ "$output" = "migsock-migrate: $msg" ]
}

@test "migrate-refuse: --help lists every option and exits 0" {
	run "$M" --help
	[ "$status" -eq 0 ]
	local o
	for o in --connect --domain --desturi --migrateuri --disks-uri --dir \
		--layout --dest-connect --dname --p2p --tunnelled --direct --live \
		--offline --suspend --copy-storage-all --copy-storage-inc \
		--migrate-disks --parallel --parallel-connections --postcopy \
		--postcopy-after-precopy --timeout --timeout-suspend \
		--timeout-postcopy --timeout-abort --bandwidth --tls \
		--tls-destination --persistent --undefinesource --verbose --json \
		--no-progress --help; do
		[[ $output == *"$o"* ]] || { echo "missing $o"; return 1; }
	done
}

@test "migrate-refuse: command line errors exit 2" {
	run "$M" --bogus
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: unknown option or missing argument '--bogus': see --help" ]
	run "$M" -c x g --parallel-connections many
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --parallel-connections 'many' is not a number from 1 to 255" ]
	run "$M" -c x
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: no domain given: name it with --domain NAME" ]
	run "$M" -c x g
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: no destination given: give --desturi URI or --dir DIR (the shared socket directory)" ]
	run "$M" -c x g --live --desturi 'qemu+unix:///system?socket=/d/s'
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: with a UNIX --desturi libvirt cannot choose where QEMU sends the migration stream: give --migrateuri unix:///PATH or --dir DIR" ]
}

@test "migrate-refuse: unmanaged direct" {
	refused 2 "--direct asks for unmanaged direct migration, which libvirt's QEMU driver does not offer (QEMU has no management daemon of its own): drop --direct for managed direct migration, or use --p2p" --direct --migrateuri unix:///d/q
}

@test "migrate-refuse: tunnelled with parallel, post-copy, storage copy, stream URIs; without p2p" {
	refused 2 "--tunnelled cannot carry --parallel connections: drop one of them" --tunnelled --parallel
	refused 2 "--tunnelled cannot carry --postcopy: drop one of them" --tunnelled --postcopy
	refused 2 "--tunnelled cannot copy storage over UNIX sockets: drop --tunnelled and copy through --disks-uri (or --dir)" --tunnelled --copy-storage-all
	refused 2 "--tunnelled sends everything through the daemon connection: drop --migrateuri and --disks-uri" --tunnelled --migrateuri unix:///d/q
	run "$M" -c "$NOWHERE" g --tunnelled --desturi 'qemu+unix:///system?socket=/d/s'
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --tunnelled needs --p2p: the tunnel is the source daemon's own connection to the destination" ]
}

@test "migrate-refuse: TLS over UNIX sockets" {
	refused 2 "--tls over a UNIX --migrateuri has no hostname to check the certificate against: add --tls-destination HOSTNAME" --tls --migrateuri unix:///d/q
	refused 2 "NBD migration with TLS is not supported over UNIX sockets (libvirt): drop --tls or --copy-storage-*" --tls --tls-destination h --copy-storage-all --migrateuri unix:///d/q --disks-uri unix:///d/n
	refused 2 "--tls-destination needs --tls" --tls-destination h --migrateuri unix:///d/q
}

@test "migrate-refuse: conflicting flags" {
	refused 2 "--offline moves only the inactive definition and cannot be --live: choose one" --offline --persistent
	run "$M" -c "$NOWHERE" g --p2p --offline --desturi 'qemu+unix:///system?socket=/d/s'
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --offline needs --persistent: libvirt only migrates a definition it may keep on the destination" ]
	run "$M" -c "$NOWHERE" g --p2p --offline --persistent --copy-storage-all --desturi 'qemu+unix:///system?socket=/d/s'
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --offline cannot copy storage (libvirt copies no disks offline): drop --copy-storage-*" ]
	refused 2 "--copy-storage-all and --copy-storage-inc exclude each other: choose one" --copy-storage-all --copy-storage-inc --dir /d
	refused 2 "copying storage next to a UNIX --migrateuri needs --disks-uri unix:///PATH (or --dir DIR): libvirt would send the disks over TCP" --copy-storage-all --migrateuri unix:///d/q
	refused 2 "--migrate-disks selects disks to copy: add --copy-storage-all or --copy-storage-inc" --migrate-disks vda --migrateuri unix:///d/q
	refused 2 "--disks-uri is only used to copy storage: add --copy-storage-all or --copy-storage-inc" --disks-uri unix:///d/n --migrateuri unix:///d/q
	refused 2 "--postcopy-after-precopy needs --postcopy" --postcopy-after-precopy --migrateuri unix:///d/q
	refused 2 "--parallel-connections N needs --parallel" --parallel-connections 4 --migrateuri unix:///d/q
	refused 2 "--parallel and --postcopy cannot be combined: QEMU has no post-copy over multiple connections" --parallel --postcopy --migrateuri unix:///d/q
	refused 2 "--timeout-suspend, --timeout-postcopy and --timeout-abort need --timeout SEC" --timeout-abort --migrateuri unix:///d/q
	refused 2 "--timeout-postcopy needs --postcopy" --timeout 3 --timeout-postcopy --migrateuri unix:///d/q
	refused 2 "--timeout-suspend, --timeout-postcopy and --timeout-abort exclude each other: choose one" --timeout 3 --timeout-suspend --timeout-abort --migrateuri unix:///d/q
	run "$M" -c "$NOWHERE" g --p2p --timeout 3 --dir /d
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --timeout acts on a live migration: add --live" ]
}

@test "migrate-refuse: --dir needs an absolute path and a layout with the channel" {
	refused 2 "--dir d is relative: give the absolute path both daemons see" --dir d
	printf 'driver drv 0660 -\n' >"$BATS_TEST_TMPDIR/layout"
	refused 3 "the socket layout has no 'qemu' channel: add it (see sockets/migration.layout)" --dir /d --layout "$BATS_TEST_TMPDIR/layout"
}

@test "migrate-refuse: socket paths that cannot fit sun_path are refused before connecting" {
	local long
	long=/$(printf 'd%.0s' {1..120})
	refused 6 "--migrateuri: socket path $(printf '%.40s' "$long/test-sock-qemu")... is $((${#long} + 15)) bytes, the limit is 107: use a shorter directory" --dir "$long" --desturi "$NOWHERE"
}

@test "migrate-refuse: an unreachable source daemon is a preflight failure" {
	refused 6 "cannot reach the source daemon at $NOWHERE (Failed to connect socket to '$BATS_TEST_TMPDIR/no-daemon': No such file or directory): start it or fix -c" --dir /d
}
