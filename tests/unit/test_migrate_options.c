// SPDX-License-Identifier: MIT
/* Unit tests for src/migrate/options.c: virsh-compatible parsing, --dir
 * URIs from the socket layout, and every up-front refusal (exact line). */

#include <string.h>

#include "check.h"
#include "../../src/migrate/options.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static int parse(struct mig_opts *o, char **argv, int argc, struct ms_error *e)
{
	mig_opts_init(o);
	return mig_opts_parse(o, argc, argv, e);
}

TEST(parses_virsh_names)
{
	char *argv[] = { "m", "-c", "qemu:///system", "--domain", "web1",
			 "--p2p", "--live", "--persistent", "--undefinesource",
			 "--copy-storage-all", "--migrate-disks", "vda,vdb",
			 "--parallel", "--parallel-connections", "4",
			 "--desturi", "qemu+unix:///system?socket=/d/s",
			 "--migrateuri", "unix:///d/q", "--disks-uri",
			 "unix:///d/n", "--timeout", "30", "--timeout-abort",
			 "--json", "--no-progress", NULL };
	struct mig_opts o;
	struct ms_error e;

	CHECK(parse(&o, argv, ARGC(argv), &e) == 0);
	CHECK_STR_EQ(o.connect, "qemu:///system");
	CHECK_STR_EQ(o.domain, "web1");
	CHECK(o.p2p && o.live && o.persistent && o.undefinesource);
	CHECK(o.copy_all && !o.copy_inc && o.parallel);
	CHECK(o.parallel_connections == 4 && o.timeout == 30);
	CHECK(o.timeout_action == MIG_TIMEOUT_ABORT);
	CHECK_STR_EQ(o.migrate_disks, "vda,vdb");
	CHECK_STR_EQ(o.disks_uri, "unix:///d/n");
	CHECK(o.json && o.no_progress);
	CHECK(mig_opts_check(&o, &e) == 0);
}

TEST(positional_like_virsh)
{
	char *argv[] = { "m", "--live", "web1", "qemu+unix:///system?socket=/d/s",
			 "unix:///d/q", "-c", "qemu:///system", NULL };
	char *extra[] = { "m", "a", "b", "c", "d", NULL };
	struct mig_opts o;
	struct ms_error e;

	CHECK(parse(&o, argv, ARGC(argv), &e) == 0);
	CHECK_STR_EQ(o.domain, "web1");
	CHECK_STR_EQ(o.desturi, "qemu+unix:///system?socket=/d/s");
	CHECK_STR_EQ(o.migrateuri, "unix:///d/q");
	CHECK(parse(&o, extra, ARGC(extra), &e) == -1);
	CHECK(e.code == MS_EXIT_USAGE);
	CHECK_STR_EQ(e.msg, "unexpected argument 'd': see --help");
}

TEST(bad_numbers_and_options)
{
	char *a1[] = { "m", "--parallel-connections", "0", NULL };
	char *a2[] = { "m", "--timeout", "12x", NULL };
	char *a3[] = { "m", "--bogus", NULL };
	char *a4[] = { "m", "--domain", "", NULL };
	struct mig_opts o;
	struct ms_error e;

	CHECK(parse(&o, a1, ARGC(a1), &e) == -1 && e.code == MS_EXIT_USAGE);
	CHECK_STR_EQ(e.msg, "--parallel-connections '0' is not a number from 1 to 255");
	CHECK(parse(&o, a2, ARGC(a2), &e) == -1);
	CHECK_STR_EQ(e.msg, "--timeout '12x' is not a number from 1 to 2147483647");
	CHECK(parse(&o, a3, ARGC(a3), &e) == -1);
	CHECK_STR_EQ(e.msg, "unknown option or missing argument '--bogus': see --help");
	CHECK(parse(&o, a4, ARGC(a4), &e) == -1);
	CHECK_STR_EQ(e.msg, "--domain has an empty argument: give a value");
}

static struct layout test_layout(void)
{
	static const char text[] =
		"driver drv.sock 0660 -\nqemu q.sock 0660 -\nnbd n.sock 0660 -\n";
	struct layout l;
	struct ms_error e;

	layout_parse(text, strlen(text), "test", &l, &e);
	return l;
}

TEST(dir_builds_uris_from_layout)
{
	char *argv[] = { "m", "-c", "x", "g", "--dir", "/run/mig", "--p2p",
			 "--live", "--copy-storage-inc", NULL };
	char *tun[] = { "m", "-c", "x", "g", "--dir", "/run/mig", "--p2p",
			"--tunnelled", "--migrateuri", "unix:///own", NULL };
	char *rel[] = { "m", "--dir", "run/mig", NULL };
	struct layout l = test_layout();
	struct mig_opts o;
	struct ms_error e;

	CHECK(parse(&o, argv, ARGC(argv), &e) == 0);
	CHECK(mig_opts_resolve(&o, &l, &e) == 0);
	CHECK_STR_EQ(o.desturi, "qemu+unix:///system?socket=/run/mig/drv.sock");
	CHECK_STR_EQ(o.migrateuri, "unix:///run/mig/q.sock");
	CHECK_STR_EQ(o.disks_uri, "unix:///run/mig/n.sock");
	CHECK(mig_opts_check(&o, &e) == 0);

	/* Tunnelled: no QEMU stream; an explicit URI is kept (and refused). */
	CHECK(parse(&o, tun, ARGC(tun), &e) == 0);
	CHECK(mig_opts_resolve(&o, &l, &e) == 0);
	CHECK_STR_EQ(o.migrateuri, "unix:///own");
	CHECK(o.disks_uri == NULL);

	CHECK(parse(&o, rel, ARGC(rel), &e) == 0);
	CHECK(mig_opts_resolve(&o, &l, &e) == -1 && e.code == MS_EXIT_USAGE);
	CHECK_STR_EQ(e.msg, "--dir run/mig is relative: give the absolute path both daemons see");
}

TEST(dir_needs_layout_channels)
{
	static const char text[] = "driver drv.sock 0660 -\n";
	char *argv[] = { "m", "--dir", "/d", "--live", NULL };
	struct layout l;
	struct mig_opts o;
	struct ms_error e;

	CHECK(layout_parse(text, strlen(text), "t", &l, &e) == 0);
	CHECK(parse(&o, argv, ARGC(argv), &e) == 0);
	CHECK(mig_opts_resolve(&o, &l, &e) == -1 && e.code == MS_EXIT_CONFIG);
	CHECK_STR_EQ(e.msg, "the socket layout has no 'qemu' channel: add it (see sockets/migration.layout)");
}

/* Each refusal: extra options on top of a valid p2p line, and the line. */
static const struct {
	const char *args[8];
	const char *msg;
} refusals[] = {
	{ { "--direct" }, "--direct asks for unmanaged direct migration, which libvirt's QEMU driver does not offer (QEMU has no management daemon of its own): drop --direct for managed direct migration, or use --p2p" },
	{ { "--offline" }, "--offline moves only the inactive definition and cannot be --live: choose one" },
	{ { "--copy-storage-all", "--copy-storage-inc", "--disks-uri", "unix:///d/n" }, "--copy-storage-all and --copy-storage-inc exclude each other: choose one" },
	{ { "--migrate-disks", "vda" }, "--migrate-disks selects disks to copy: add --copy-storage-all or --copy-storage-inc" },
	{ { "--disks-uri", "unix:///d/n" }, "--disks-uri is only used to copy storage: add --copy-storage-all or --copy-storage-inc" },
	{ { "--copy-storage-all" }, "copying storage next to a UNIX --migrateuri needs --disks-uri unix:///PATH (or --dir DIR): libvirt would send the disks over TCP" },
	{ { "--tunnelled", "--parallel" }, "--tunnelled cannot carry --parallel connections: drop one of them" },
	{ { "--tunnelled", "--postcopy" }, "--tunnelled cannot carry --postcopy: drop one of them" },
	{ { "--tunnelled", "--copy-storage-all" }, "--tunnelled cannot copy storage over UNIX sockets: drop --tunnelled and copy through --disks-uri (or --dir)" },
	{ { "--tunnelled" }, "--tunnelled sends everything through the daemon connection: drop --migrateuri and --disks-uri" },
	{ { "--postcopy-after-precopy" }, "--postcopy-after-precopy needs --postcopy" },
	{ { "--parallel-connections", "4" }, "--parallel-connections N needs --parallel" },
	{ { "--parallel", "--postcopy" }, "--parallel and --postcopy cannot be combined: QEMU has no post-copy over multiple connections" },
	{ { "--timeout-abort" }, "--timeout-suspend, --timeout-postcopy and --timeout-abort need --timeout SEC" },
	{ { "--timeout", "5", "--timeout-abort", "--timeout-suspend" }, "--timeout-suspend, --timeout-postcopy and --timeout-abort exclude each other: choose one" },
	{ { "--timeout", "5", "--timeout-postcopy" }, "--timeout-postcopy needs --postcopy" },
	{ { "--tls" }, "--tls over a UNIX --migrateuri has no hostname to check the certificate against: add --tls-destination HOSTNAME" },
	{ { "--tls", "--tls-destination", "h", "--copy-storage-all", "--disks-uri", "unix:///d/n" }, "NBD migration with TLS is not supported over UNIX sockets (libvirt): drop --tls or --copy-storage-*" },
	{ { "--tls-destination", "h" }, "--tls-destination needs --tls" },
	{ { "--migrateuri", "unix:relative" }, "--migrateuri 'unix:relative' names no socket path: write unix:///absolute/path" },
};

TEST(every_refusal_has_its_line)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		char *argv[32] = { "m", "-c", "qemu:///system", "--domain", "g",
				   "--p2p", "--live", "--desturi",
				   "qemu+unix:///system?socket=/d/s" };
		int argc = 9;
		struct mig_opts o;
		struct ms_error e = { 0 };
		bool has_uri = false;

		for (size_t k = 0; refusals[i].args[k]; k++) {
			has_uri |= !strcmp(refusals[i].args[k], "--migrateuri");
			argv[argc++] = (char *)refusals[i].args[k];
		}
		if (!has_uri && strcmp(refusals[i].args[0], "--offline")) {
			argv[argc++] = "--migrateuri";
			argv[argc++] = "unix:///d/q";
		}
		CHECK(parse(&o, argv, argc, &e) == 0);
		CHECK(mig_opts_check(&o, &e) == -1);
		CHECK(e.code == MS_EXIT_USAGE);
		if (strcmp(e.msg, refusals[i].msg))
			fprintf(stderr, "refusal %zu: got \"%s\"\n", i, e.msg);
		CHECK_STR_EQ(e.msg, refusals[i].msg);
	}
}

TEST(refusals_without_base_options)
{
	char *nodom[] = { "m", "-c", "x", NULL };
	char *nodst[] = { "m", "-c", "x", "g", NULL };
	char *nosrc[] = { "m", "g", NULL };
	char *nouri[] = { "m", "-c", "x", "g", "--live", "--desturi",
			  "qemu+unix:///system?socket=/d/s", NULL };
	char *offl[] = { "m", "-c", "x", "g", "--offline", "--desturi", "qemu+tcp://d/system", NULL };
	char *offcopy[] = { "m", "-c", "x", "g", "--offline", "--persistent",
			    "--copy-storage-all", "--desturi", "qemu+tcp://d/system", NULL };
	char *offpar[] = { "m", "-c", "x", "g", "--offline", "--persistent",
			   "--parallel", "--desturi", "qemu+tcp://d/system", NULL };
	char *tunnop2p[] = { "m", "-c", "x", "g", "--tunnelled", "--desturi", "qemu+tcp://d/system", NULL };
	char *tmo[] = { "m", "-c", "x", "g", "--timeout", "3", "--desturi", "qemu+tcp://d/system",
			"--migrateuri", "unix:///q", NULL };
	char *offok[] = { "m", "-c", "x", "g", "--offline", "--persistent",
			  "--p2p", "--desturi", "qemu+unix:///system?socket=/d/s", NULL };
	char *notauri[] = { "m", "-c", "x", "g", "--desturi", "other", NULL };
	char *tcpuri[] = { "m", "-c", "x", "g", "--desturi", "qemu+tcp://d/system",
			   "--migrateuri", "tcp://host:4444", NULL };
	struct { char **argv; int argc; const char *msg; } cases[] = {
		{ notauri, ARGC(notauri), "--desturi 'other' is not a libvirt URI: write e.g. qemu+unix:///system?socket=/path/test-sock-driver" },
		{ tcpuri, ARGC(tcpuri), "--migrateuri 'tcp://host:4444' is not a UNIX socket: write unix:///absolute/path" },
		{ nodom, ARGC(nodom), "no domain given: name it with --domain NAME" },
		{ nodst, ARGC(nodst), "no destination given: give --desturi URI or --dir DIR (the shared socket directory)" },
		{ nosrc, ARGC(nosrc), "no source daemon given: give -c URI (e.g. qemu+unix:///system?socket=/path/libvirt-sock)" },
		{ nouri, ARGC(nouri), "with a UNIX --desturi libvirt cannot choose where QEMU sends the migration stream: give --migrateuri unix:///PATH or --dir DIR" },
		{ offl, ARGC(offl), "--offline needs --persistent: libvirt only migrates a definition it may keep on the destination" },
		{ offcopy, ARGC(offcopy), "--offline cannot copy storage (libvirt copies no disks offline): drop --copy-storage-*" },
		{ offpar, ARGC(offpar), "--offline moves no memory: drop --postcopy, --parallel, --suspend, --timeout and --tunnelled" },
		{ tunnop2p, ARGC(tunnop2p), "--tunnelled needs --p2p: the tunnel is the source daemon's own connection to the destination" },
		{ tmo, ARGC(tmo), "--timeout acts on a live migration: add --live" },
	};
	struct mig_opts o;
	struct ms_error e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(parse(&o, cases[i].argv, cases[i].argc, &e) == 0);
		CHECK(mig_opts_check(&o, &e) == -1 && e.code == MS_EXIT_USAGE);
		CHECK_STR_EQ(e.msg, cases[i].msg);
	}
	/* Offline needs no QEMU stream even over a UNIX desturi. */
	CHECK(parse(&o, offok, ARGC(offok), &e) == 0);
	CHECK(mig_opts_check(&o, &e) == 0);
}

TEST(unix_paths_from_uris)
{
	char buf[128];

	CHECK(mig_uri_unix_path("unix:///run/x/q", buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "/run/x/q");
	CHECK(mig_uri_unix_path("unix:/run/x/q", buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "/run/x/q");
	CHECK(mig_uri_unix_path("qemu+unix:///system?socket=/a%20b/s&mode=x",
				buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "/a b/s");
	CHECK(!mig_uri_unix_path("tcp://host:49152", buf, sizeof(buf)));
	CHECK(!mig_uri_unix_path("qemu+unix:///system", buf, sizeof(buf)));
	CHECK(!mig_uri_unix_path("unix:///toolong", buf, 4));
	CHECK(mig_uri_is_unix_daemon("qemu+unix:///system?socket=/s"));
	CHECK(mig_uri_is_unix_daemon("qemu:///system"));
	CHECK(!mig_uri_is_unix_daemon("qemu+tcp://h/system"));
	CHECK(!mig_uri_is_unix_daemon("qemu+ssh://h/system"));
}

int main(void)
{
	RUN(parses_virsh_names);
	RUN(positional_like_virsh);
	RUN(bad_numbers_and_options);
	RUN(dir_builds_uris_from_layout);
	RUN(dir_needs_layout_channels);
	RUN(every_refusal_has_its_line);
	RUN(refusals_without_base_options);
	RUN(unix_paths_from_uris);
	return CHECK_DONE();
}
