#!/usr/bin/env bats
# tests/e2e/migrate-refuse.bats - every up-front refusal of migsock-migrate:
# the exact line and exit code, before anything is contacted (the source
# URI below has no daemon; a refusal that contacted it would say so).

# run sets status/output/lines in the test's subshell (bats), and
# --separate-stderr sets stderr:
# shellcheck disable=SC2030,SC2031,SC2154

load e2e
bats_require_minimum_version 1.5.0

setup() {
	M=$MIGSOCK_BIN/migsock-migrate
	[ -x "$M" ] || skip "no $M (make)"
	NOWHERE="qemu+unix:///system?socket=$BATS_TEST_TMPDIR/no-daemon"
	SOCAT_PID=
}

teardown() {
	[ -z "$SOCAT_PID" ] || kill "$SOCAT_PID" 2>/dev/null || true
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
		--no-progress --help --xml --persistent-xml --graphicsuri \
		--copy-storage-synchronous-writes --postcopy-bandwidth \
		--auto-converge-initial --auto-converge-increment --comp-methods \
		--comp-mt-level --comp-mt-threads --comp-mt-dthreads \
		--comp-xbzrle-cache --zerocopy --listen-address --disks-port \
		--rdma-pin-all --version; do
		[[ $output == *"$o"* ]] || { echo "missing $o"; return 1; }
	done
}

@test "migrate-refuse: command line errors exit 2" {
	run "$M" --bogus
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: bad option --bogus (unknown, or missing its argument): try --help" ]
	run "$M" -c x g --parallel-connections many
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: --parallel-connections many: expected a number from 1 to 255" ]
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

@test "migrate-refuse: --version prints one version string" {
	run "$M" --version
	[ "$status" -eq 0 ]
	[[ $output =~ ^migsock-migrate\ [0-9]+\.[0-9]+(\.[0-9]+)?$ ]]
}

# virsh_migrate_options: "--name TYPE" per option of this host's
# `virsh migrate` (TYPE: flag, string or number).
virsh_migrate_options() {
	virsh migrate --help | sed -n 's/^ *\[\{0,1\}\(--[a-z0-9-]*\)\]\{0,1\} *\(<\([a-z]*\)>\)\{0,1\}.*/\1 \3/p' |
		awk '{ print $1, ($2 == "" ? "flag" : $2) }'
}

@test "migrate-refuse: every option of virsh migrate is accepted or refused with its reason, and has a row in the man page's table" {
	command -v virsh >/dev/null || skip "needs virsh"
	local opt type n=0 arg
	local scd=$TOP/man/migsock-migrate.1.scd
	while read -r opt type; do
		n=$((n + 1))
		grep -Eq "^\|  (-c, )?$opt\$" "$scd" || { echo "no man row for $opt"; return 1; }
		case $type in
		flag) arg=() ;;
		number) arg=(1) ;;
		*) arg=(x) ;;
		esac
		run "$M" -c "$NOWHERE" g --p2p --desturi 'qemu+unix:///system?socket=/d/s' \
			--migrateuri unix:///d/q "$opt" "${arg[@]}"
		echo "$opt: $output"
		[[ $output != *"unknown option"* ]]
	done < <(virsh_migrate_options)
	echo "$n options" >&2
	# libvirt 9.0's virsh migrate has 49 of them (with --domain and --desturi).
	[ "$n" -ge 49 ]
}

@test "migrate-refuse: virsh options that name TCP or RDMA things are refused up front" {
	refused 2 "--zerocopy cannot work over UNIX sockets: QEMU's zero-copy send needs SO_ZEROCOPY, which the kernel offers on TCP and UDP sockets only: drop --zerocopy" --zerocopy --parallel --migrateuri unix:///d/q
	refused 2 "--listen-address names the TCP address the destination QEMU listens on; over UNIX sockets it listens on the --migrateuri path: drop --listen-address" --listen-address 0.0.0.0 --migrateuri unix:///d/q
	refused 2 "--disks-port names the TCP port of the destination's NBD server; over UNIX sockets the disks go through --disks-uri unix:///PATH (or --dir): drop --disks-port" --copy-storage-all --dir /d --disks-port 49153
	refused 2 "--rdma-pin-all pins memory for RDMA migration (rdma:// URIs), which UNIX sockets do not carry: drop --rdma-pin-all" --rdma-pin-all --migrateuri unix:///d/q
}

@test "migrate-refuse: tuning without what it tunes" {
	refused 2 "--comp-mt-level, --comp-mt-threads and --comp-mt-dthreads tune the mt compression method: add --comp-methods mt" --comp-methods xbzrle --comp-mt-threads 2 --migrateuri unix:///d/q
	refused 2 "--comp-xbzrle-cache tunes the xbzrle compression method: add --comp-methods xbzrle" --compressed --comp-xbzrle-cache 1048576 --migrateuri unix:///d/q
	refused 2 "--auto-converge-initial and --auto-converge-increment tune --auto-converge: add it" --auto-converge-initial 30 --migrateuri unix:///d/q
	refused 2 "--postcopy-bandwidth limits the post-copy phase: add --postcopy" --postcopy-bandwidth 10 --migrateuri unix:///d/q
	refused 2 "--copy-storage-synchronous-writes acts on a storage copy: add --copy-storage-all or --copy-storage-inc" --copy-storage-synchronous-writes --migrateuri unix:///d/q
	refused 2 "--persistent-xml is the definition the destination keeps: add --persistent" --persistent-xml /x.xml --migrateuri unix:///d/q
	refused 2 "--comp-mt-level 10: expected a number from 0 to 9" --comp-mt-level 10
	refused 2 "--auto-converge-increment 0: expected a number from 1 to 99" --auto-converge-increment 0
}

@test "migrate-refuse: --xml and --persistent-xml files are read before anything is contacted" {
	refused 2 "cannot read --xml $BATS_TEST_TMPDIR/none.xml: No such file or directory" --xml "$BATS_TEST_TMPDIR/none.xml" --dir /d
	echo '<network/>' >"$BATS_TEST_TMPDIR/net.xml"
	refused 2 "--persistent-xml $BATS_TEST_TMPDIR/net.xml holds no <domain> definition: start from virsh dumpxml --migratable --inactive and edit it" --persistent --persistent-xml "$BATS_TEST_TMPDIR/net.xml" --dir /d
	# A readable definition passes on to the preflight (which finds no daemon).
	echo "<domain type='qemu'><name>g</name></domain>" >"$BATS_TEST_TMPDIR/g.xml"
	refused 6 "cannot reach the source daemon at $NOWHERE (Failed to connect socket to '$BATS_TEST_TMPDIR/no-daemon': No such file or directory): start it or fix -c" --xml "$BATS_TEST_TMPDIR/g.xml" --dir /d
}

@test "migrate-refuse: without -c the source is \$LIBVIRT_DEFAULT_URI (or \$VIRSH_DEFAULT_CONNECT_URI), as in virsh" {
	local other="qemu+unix:///system?socket=$BATS_TEST_TMPDIR/other"
	LIBVIRT_DEFAULT_URI=$NOWHERE run "$M" g --p2p --live --dir /d
	[ "$status" -eq 6 ]
	[ "$output" = "migsock-migrate: cannot reach the source daemon at $NOWHERE (Failed to connect socket to '$BATS_TEST_TMPDIR/no-daemon': No such file or directory): start it or fix LIBVIRT_DEFAULT_URI" ]
	LIBVIRT_DEFAULT_URI=$NOWHERE VIRSH_DEFAULT_CONNECT_URI=$other run "$M" g --p2p --live --dir /d
	[ "$status" -eq 6 ]
	[[ $output == *"at $other ("*"fix VIRSH_DEFAULT_CONNECT_URI" ]]
	# -c wins over both.
	LIBVIRT_DEFAULT_URI=$other run "$M" -c "$NOWHERE" g --p2p --live --dir /d
	[[ $output == *"at $NOWHERE ("*"fix -c" ]]
	LIBVIRT_DEFAULT_URI='' VIRSH_DEFAULT_CONNECT_URI='' run "$M" g --p2p --live --dir /d
	[ "$status" -eq 2 ]
	[ "$output" = "migsock-migrate: no source daemon given: give -c URI (e.g. qemu+unix:///system?socket=/path/libvirt-sock), set LIBVIRT_DEFAULT_URI, or set uri_default in libvirt.conf" ]
}

# json_fails EXIT MESSAGE ARGS...: migsock-migrate ARGS with --json must
# print exactly one line on stdout, a result object with that exit code
# and message, and the message on stderr.
json_fails() {
	local code=$1 msg=$2
	shift 2
	run --separate-stderr "$M" "$@"
	echo "status $status; stdout: $output; stderr: $stderr"
	[ "$status" -eq "$code" ]
	[ "${#lines[@]}" -eq 1 ]
	jq -e --argjson code "$code" --arg msg "$msg" \
		'.type == "result" and .ok == false and .exit_code == $code
		 and .error == $msg' <<<"$output"
	[ "$stderr" = "migsock-migrate: $msg" ]
}

@test "migrate-refuse: --json prints exactly one result object for each failure before the migration" {
	local base=(-c "$NOWHERE" g --p2p --live --desturi 'qemu+unix:///system?socket=/d/s' --migrateuri unix:///d/q)
	# A bad option, with --json after it (getopt never reached it).
	json_fails 2 "bad option --bogus (unknown, or missing its argument): try --help" "${base[@]}" --bogus --json
	jq -e '.domain == null and .mode == null and .source == null and .stats == null' <<<"$output"
	# A bad number.
	json_fails 2 "--timeout 12x: expected seconds from 1 to 2147483647" --json "${base[@]}" --timeout 12x
	# A refused option and a refused combination.
	json_fails 2 "--zerocopy cannot work over UNIX sockets: QEMU's zero-copy send needs SO_ZEROCOPY, which the kernel offers on TCP and UDP sockets only: drop --zerocopy" --json "${base[@]}" --zerocopy
	json_fails 2 "--parallel-connections N needs --parallel" --json "${base[@]}" --parallel-connections 2
	jq -e '.domain == "g" and .mode == "p2p-live" and .flags == "--live --p2p"' <<<"$output"
	# A bad socket layout.
	printf 'driver drv 0660 -\n' >"$BATS_TEST_TMPDIR/layout"
	json_fails 3 "the socket layout has no 'qemu' channel: add it (see sockets/migration.layout)" --json -c "$NOWHERE" g --p2p --live --dir /d --layout "$BATS_TEST_TMPDIR/layout"
	# A preflight refusal: nothing answers at the source.
	json_fails 6 "cannot reach the source daemon at $NOWHERE (Failed to connect socket to '$BATS_TEST_TMPDIR/no-daemon': No such file or directory): start it or fix -c" --json "${base[@]}"
	# --json with --help prints the help, not JSON.
	run "$M" --help --json
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == Usage:* ]]
}

@test "migrate-refuse: --json: SIGTERM or SIGINT while a daemon does not answer still ends with one result object" {
	command -v socat >/dev/null || skip "needs socat"
	local sock=$BATS_TEST_TMPDIR/mute pid rc sig before i
	# Accepts and never answers: virConnectOpen waits for ever.
	socat "UNIX-LISTEN:$sock,fork" SYSTEM:'sleep 60' &
	SOCAT_PID=$!
	for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
	for sig in TERM INT; do
		before=$(pgrep -c -P "$SOCAT_PID" || true)
		"$M" -c "qemu+unix:///system?socket=$sock" g --p2p --live \
			--desturi 'qemu+unix:///system?socket=/d/s' \
			--migrateuri unix:///d/q --json \
			>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
		pid=$!
		# In the preflight once it has connected (socat forks a child
		# per connection); a signal before that is not what we test.
		for ((i = 0; i < 200; i++)); do
			[ "$(pgrep -c -P "$SOCAT_PID" || true)" -gt "$before" ] && break
			sleep 0.1
		done
		sleep 0.2
		kill -"$sig" "$pid"
		rc=0
		wait "$pid" || rc=$?
		cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
		[ "$rc" -eq 7 ]
		[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 1 ]
		jq -e '.type == "result" and .exit_code == 7 and .domain == "g"
			and (.error | endswith(" before the migration started: nothing was started"))' \
			"$BATS_TEST_TMPDIR/out"
		grep -q "^migsock-migrate: .* before the migration started: nothing was started$" "$BATS_TEST_TMPDIR/err"
	done
}
