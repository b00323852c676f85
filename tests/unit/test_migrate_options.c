// SPDX-License-Identifier: MIT
/* Unit tests for src/migrate/options.c and uri.c: virsh-compatible
 * parsing (every option of virsh 9.0's migrate, accepted or refused), the
 * source URI from the environment or libvirt.conf, --dir URIs from the socket layout, the
 * --xml files, and every up-front refusal (exact line). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../../src/migrate/libvirtconf.h"
#include "../../src/migrate/options.h"
#include "../../src/migrate/uri.h"

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

/* The options virsh 9.0 has and migsock lacked until now, each with its
 * value where it takes one. */
TEST(parses_the_rest_of_virsh)
{
	char *argv[] = { "m", "-c", "qemu:///system", "g", "--p2p", "--live",
			 "--desturi", "qemu+unix:///system?socket=/d/s",
			 "--migrateuri", "unix:///d/q", "--disks-uri",
			 "unix:///d/n", "--copy-storage-all",
			 "--copy-storage-synchronous-writes",
			 "--graphicsuri", "spice://dst:5900",
			 "--xml", "/x/live.xml", "--persistent",
			 "--persistent-xml", "/x/conf.xml",
			 "--compressed", "--comp-methods", "mt,xbzrle",
			 "--comp-mt-level", "0", "--comp-mt-threads", "4",
			 "--comp-mt-dthreads", "255", "--comp-xbzrle-cache",
			 "18446744073709551615", "--auto-converge",
			 "--auto-converge-initial", "20",
			 "--auto-converge-increment", "99", "--postcopy",
			 "--postcopy-bandwidth", "50", "--bandwidth", "100",
			 "--dname", "g2", "--abort-on-error", "--unsafe",
			 "--change-protection", NULL };
	struct mig_opts o;
	struct ms_error e;

	CHECK(parse(&o, argv, ARGC(argv), &e) == 0);
	CHECK(o.sync_writes && o.compressed && o.auto_converge && o.postcopy);
	CHECK(o.abort_on_error && o.unsafe_ && o.change_protection);
	CHECK_STR_EQ(o.graphicsuri, "spice://dst:5900");
	CHECK_STR_EQ(o.xml_file, "/x/live.xml");
	CHECK_STR_EQ(o.persistent_xml_file, "/x/conf.xml");
	CHECK_STR_EQ(o.comp_methods, "mt,xbzrle");
	CHECK(o.comp_mt_level == 0 && o.comp_mt_threads == 4);
	CHECK(o.comp_mt_dthreads == 255);
	CHECK(o.comp_xbzrle_cache == 18446744073709551615ULL);
	CHECK(o.auto_converge_initial == 20 && o.auto_converge_increment == 99);
	CHECK(o.postcopy_bandwidth == 50 && o.bandwidth == 100);
	CHECK_STR_EQ(o.dname, "g2");
	CHECK(mig_opts_check(&o, &e) == 0);

	/* Not given: the tuning fields say so. */
	CHECK(parse(&o, (char *[]){ "m", NULL }, 1, &e) == 0);
	CHECK(o.comp_mt_level == -1 && o.comp_mt_threads == -1);
	CHECK(o.comp_mt_dthreads == -1 && o.comp_xbzrle_cache == 0);
	CHECK(o.auto_converge_initial == -1 && o.auto_converge_increment == -1);
	CHECK(o.postcopy_bandwidth == 0 && !o.version);
	CHECK(parse(&o, (char *[]){ "m", "--version", NULL }, 2, &e) == 0);
	CHECK(o.version);
}

/* virsh options that name TCP or RDMA things: refused as met, each with
 * its reason, also when its argument is missing. */
TEST(refuses_what_unix_sockets_cannot_carry)
{
	static const struct {
		const char *args[3];
		const char *msg;
	} cases[] = {
		{ { "--zerocopy" }, "--zerocopy cannot work over UNIX sockets: QEMU's zero-copy send needs SO_ZEROCOPY, which the kernel offers on TCP and UDP sockets only: drop --zerocopy" },
		{ { "--listen-address", "0.0.0.0" }, "--listen-address names the TCP address the destination QEMU listens on; over UNIX sockets it listens on the --migrateuri path: drop --listen-address" },
		{ { "--disks-port", "49153" }, "--disks-port names the TCP port of the destination's NBD server; over UNIX sockets the disks go through --disks-uri unix:///PATH (or --dir): drop --disks-port" },
		{ { "--rdma-pin-all" }, "--rdma-pin-all pins memory for RDMA migration (rdma:// URIs), which UNIX sockets do not carry: drop --rdma-pin-all" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = { "m", "-c", "x", "g" };
		int argc = 4;
		struct mig_opts o;
		struct ms_error e = { 0 };

		for (size_t k = 0; cases[i].args[k]; k++)
			argv[argc++] = (char *)cases[i].args[k];
		CHECK(parse(&o, argv, argc, &e) == -1);
		CHECK(e.code == MS_EXIT_USAGE);
		CHECK_STR_EQ(e.msg, cases[i].msg);
	}
}

TEST(source_uri_from_the_environment)
{
	char *noc[] = { "m", "g", NULL };
	char *withc[] = { "m", "-c", "qemu:///c", "g", NULL };
	struct mig_opts o;
	struct ms_error e;

	unsetenv("VIRSH_DEFAULT_CONNECT_URI");
	unsetenv("LIBVIRT_DEFAULT_URI");
	CHECK(parse(&o, noc, ARGC(noc), &e) == 0);
	mig_opts_env(&o, NULL);
	CHECK(o.connect == NULL && o.connect_from == NULL);

	setenv("LIBVIRT_DEFAULT_URI", "qemu+unix:///system?socket=/l", 1);
	CHECK(parse(&o, noc, ARGC(noc), &e) == 0);
	mig_opts_env(&o, NULL);
	CHECK_STR_EQ(o.connect, "qemu+unix:///system?socket=/l");
	CHECK_STR_EQ(o.connect_from, "LIBVIRT_DEFAULT_URI");

	/* virsh's own variable first; -c before both. */
	setenv("VIRSH_DEFAULT_CONNECT_URI", "qemu:///v", 1);
	CHECK(parse(&o, noc, ARGC(noc), &e) == 0);
	mig_opts_env(&o, NULL);
	CHECK_STR_EQ(o.connect, "qemu:///v");
	CHECK_STR_EQ(o.connect_from, "VIRSH_DEFAULT_CONNECT_URI");
	CHECK(parse(&o, withc, ARGC(withc), &e) == 0);
	mig_opts_env(&o, NULL);
	CHECK_STR_EQ(o.connect, "qemu:///c");
	CHECK_STR_EQ(o.connect_from, "-c");

	/* An empty variable counts as unset. */
	setenv("VIRSH_DEFAULT_CONNECT_URI", "", 1);
	CHECK(parse(&o, noc, ARGC(noc), &e) == 0);
	mig_opts_env(&o, NULL);
	CHECK_STR_EQ(o.connect, "qemu+unix:///system?socket=/l");
	unsetenv("VIRSH_DEFAULT_CONNECT_URI");
	unsetenv("LIBVIRT_DEFAULT_URI");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(conf_path_as_libvirt)
{
	char buf[128];

	CHECK(libvirt_conf_path(0, "/x", "/h", buf, sizeof(buf)) == 0);
	CHECK_STR_EQ(buf, "/etc/libvirt/libvirt.conf");
	CHECK(libvirt_conf_path(1000, "/x", "/h", buf, sizeof(buf)) == 0);
	CHECK_STR_EQ(buf, "/x/libvirt/libvirt.conf");
	CHECK(libvirt_conf_path(1000, "", "/h", buf, sizeof(buf)) == 0);
	CHECK_STR_EQ(buf, "/h/.config/libvirt/libvirt.conf");
	CHECK(libvirt_conf_path(1000, NULL, NULL, buf, sizeof(buf)) == -1);
	CHECK(libvirt_conf_path(1000, "/a-rather-long-directory", NULL, buf, 16) == -1);
}

TEST(uri_default_from_libvirt_conf)
{
	char dir[] = "/tmp/mig-conf.XXXXXX", path[64], buf[64];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/libvirt.conf", dir);

	/* No file, a commented default (Debian's), then set. */
	CHECK(libvirt_conf_uri_default(path, buf, sizeof(buf)) == 0);
	write_file(path, "# comment\n#uri_default = \"qemu:///system\"\n");
	CHECK(libvirt_conf_uri_default(path, buf, sizeof(buf)) == 0);
	write_file(path, "remote_mode = \"legacy\"\n  uri_default\t=  'qemu+unix:///system?socket=/s/d'\n"
			 "uri_default = \"qemu:///later\"\n");
	CHECK(libvirt_conf_uri_default(path, buf, sizeof(buf)) == 1);
	CHECK_STR_EQ(buf, "qemu+unix:///system?socket=/s/d");
	/* Other settings whose names start alike, an empty value. */
	write_file(path, "uri_default_x = \"no\"\nuri_aliases = [ \"a=b\" ]\n");
	CHECK(libvirt_conf_uri_default(path, buf, sizeof(buf)) == 0);
	write_file(path, "uri_default = \"\"\n");
	CHECK(libvirt_conf_uri_default(path, buf, sizeof(buf)) == 0);
	/* Too long for the buffer: an error, not a cut URI. */
	write_file(path, "uri_default = \"qemu+unix:///system?socket=/a/very/long/path/that/does/not/fit\"\n");
	CHECK(libvirt_conf_uri_default(path, buf, 32) == -1);

	/* mig_opts_env: the variables first, the file last. */
	struct mig_opts o;
	struct ms_error e;
	char *noc[] = { "m", "g", NULL };
	write_file(path, "uri_default = \"qemu:///conf\"\n");
	unsetenv("VIRSH_DEFAULT_CONNECT_URI");
	unsetenv("LIBVIRT_DEFAULT_URI");
	CHECK(parse(&o, noc, ARGC(noc), &e) == 0);
	mig_opts_env(&o, path);
	CHECK_STR_EQ(o.connect, "qemu:///conf");
	CHECK(strncmp(o.connect_from, "uri_default in /tmp/mig-conf.", 29) == 0);
	setenv("LIBVIRT_DEFAULT_URI", "qemu:///env", 1);
	CHECK(parse(&o, noc, ARGC(noc), &e) == 0);
	mig_opts_env(&o, path);
	CHECK_STR_EQ(o.connect, "qemu:///env");
	unsetenv("LIBVIRT_DEFAULT_URI");
	unlink(path);
	rmdir(dir);
}

TEST(xml_files_are_read_up_front)
{
	char dir[] = "/tmp/mig-opts.XXXXXX";
	char live[64], conf[64], bad[64], none[64];
	struct mig_opts o;
	struct ms_error e;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(live, sizeof(live), "%s/live.xml", dir);
	snprintf(conf, sizeof(conf), "%s/conf.xml", dir);
	snprintf(bad, sizeof(bad), "%s/bad.xml", dir);
	snprintf(none, sizeof(none), "%s/none.xml", dir);
	write_file(live, "<domain type='qemu'>\n  <name>g</name>\n</domain>\n");
	write_file(conf, "<domain type='qemu'><name>g</name><title>t</title></domain>");
	write_file(bad, "<network/>\n");

	CHECK(parse(&o, (char *[]){ "m", "--xml", live, "--persistent-xml",
				    conf, NULL }, 5, &e) == 0);
	CHECK(mig_opts_load(&o, &e) == 0);
	CHECK(o.dest_xml && strstr(o.dest_xml, "<name>g</name>"));
	CHECK(o.persist_xml && strstr(o.persist_xml, "<title>t</title>"));
	mig_opts_free(&o);
	CHECK(o.dest_xml == NULL && o.persist_xml == NULL);

	CHECK(parse(&o, (char *[]){ "m", "--xml", none, NULL }, 3, &e) == 0);
	CHECK(mig_opts_load(&o, &e) == -1 && e.code == MS_EXIT_USAGE);
	CHECK(strstr(e.msg, "cannot read --xml ") == e.msg);
	CHECK(strstr(e.msg, "/none.xml: No such file or directory") != NULL);

	CHECK(parse(&o, (char *[]){ "m", "--persistent-xml", bad, NULL }, 3, &e) == 0);
	CHECK(mig_opts_load(&o, &e) == -1 && e.code == MS_EXIT_USAGE);
	CHECK(strstr(e.msg, "/bad.xml holds no <domain> definition: start from virsh dumpxml --migratable --inactive and edit it") != NULL);
	mig_opts_free(&o);

	unlink(live);
	unlink(conf);
	unlink(bad);
	rmdir(dir);
}

TEST(comma_lists)
{
	CHECK(mig_list_has("mt,xbzrle", "mt"));
	CHECK(mig_list_has("mt,xbzrle", "xbzrle"));
	CHECK(mig_list_has("xbzrle", "xbzrle"));
	CHECK(!mig_list_has("mtx,xbzrle", "mt"));
	CHECK(!mig_list_has("xbzrle,m", "mt"));
	CHECK(!mig_list_has("", "mt"));
	CHECK(!mig_list_has(NULL, "mt"));
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
	CHECK_STR_EQ(e.msg, "unexpected argument d: try --help");
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
	CHECK_STR_EQ(e.msg, "--parallel-connections 0: expected a number from 1 to 255");
	CHECK(parse(&o, a2, ARGC(a2), &e) == -1);
	CHECK_STR_EQ(e.msg, "--timeout 12x: expected seconds from 1 to 2147483647");
	CHECK(parse(&o, a3, ARGC(a3), &e) == -1);
	CHECK_STR_EQ(e.msg, "bad option --bogus (unknown, or missing its argument): try --help");
	CHECK(parse(&o, a4, ARGC(a4), &e) == -1);
	CHECK_STR_EQ(e.msg, "--domain has an empty argument: give a value");
	/* QEMU's ranges for the tuning numbers. */
	CHECK(parse(&o, (char *[]){ "m", "--comp-mt-level", "10", NULL }, 3, &e) == -1);
	CHECK_STR_EQ(e.msg, "--comp-mt-level 10: expected a number from 0 to 9");
	CHECK(parse(&o, (char *[]){ "m", "--comp-mt-threads", "0", NULL }, 3, &e) == -1);
	CHECK_STR_EQ(e.msg, "--comp-mt-threads 0: expected a number from 1 to 255");
	CHECK(parse(&o, (char *[]){ "m", "--comp-mt-dthreads", "256", NULL }, 3, &e) == -1);
	CHECK_STR_EQ(e.msg, "--comp-mt-dthreads 256: expected a number from 1 to 255");
	CHECK(parse(&o, (char *[]){ "m", "--auto-converge-initial", "100", NULL }, 3, &e) == -1);
	CHECK_STR_EQ(e.msg, "--auto-converge-initial 100: expected a number from 1 to 99");
	CHECK(parse(&o, (char *[]){ "m", "--auto-converge-increment", "0", NULL }, 3, &e) == -1);
	CHECK_STR_EQ(e.msg, "--auto-converge-increment 0: expected a number from 1 to 99");
	CHECK(parse(&o, (char *[]){ "m", "--postcopy-bandwidth", "fast", NULL }, 3, &e) == -1);
	CHECK_STR_EQ(e.msg, "--postcopy-bandwidth fast: expected a bandwidth in MiB/s from 1 to 2147483647");
	CHECK(parse(&o, (char *[]){ "m", "--comp-xbzrle-cache", "-1", NULL }, 3, &e) == -1);
	CHECK_STR_EQ(e.msg, "--comp-xbzrle-cache -1: expected a size in bytes from 1 to 18446744073709551615 (suffix K, M, G or T for KiB, MiB, GiB, TiB)");
	CHECK(parse(&o, (char *[]){ "m", "--comp-xbzrle-cache", "18446744073709551616", NULL }, 3, &e) == -1);
	CHECK(parse(&o, (char *[]){ "m", "--comp-xbzrle-cache", "0", NULL }, 3, &e) == -1);
	CHECK(parse(&o, (char *[]){ "m", "--comp-xbzrle-cache", "64M", NULL }, 3, &e) == 0);
	CHECK(o.comp_xbzrle_cache == 64ULL << 20);
	CHECK(parse(&o, (char *[]){ "m", "--xml", "", NULL }, 3, &e) == -1);
	CHECK_STR_EQ(e.msg, "--xml has an empty argument: give a value");
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
	{ { "--comp-mt-level", "5" }, "--comp-mt-level, --comp-mt-threads and --comp-mt-dthreads tune the mt compression method: add --comp-methods mt" },
	{ { "--comp-methods", "xbzrle", "--comp-mt-dthreads", "2" }, "--comp-mt-level, --comp-mt-threads and --comp-mt-dthreads tune the mt compression method: add --comp-methods mt" },
	{ { "--compressed", "--comp-xbzrle-cache", "65536" }, "--comp-xbzrle-cache tunes the xbzrle compression method: add --comp-methods xbzrle" },
	{ { "--comp-methods", "mt,", "--compressed" }, "--comp-methods 'mt,' has an empty item: write NAME,NAME" },
	{ { "--auto-converge-initial", "20" }, "--auto-converge-initial and --auto-converge-increment tune --auto-converge: add it" },
	{ { "--auto-converge-increment", "5" }, "--auto-converge-initial and --auto-converge-increment tune --auto-converge: add it" },
	{ { "--postcopy-bandwidth", "10" }, "--postcopy-bandwidth limits the post-copy phase: add --postcopy" },
	{ { "--copy-storage-synchronous-writes" }, "--copy-storage-synchronous-writes acts on a storage copy: add --copy-storage-all or --copy-storage-inc" },
	{ { "--persistent-xml", "/x.xml" }, "--persistent-xml is the definition the destination keeps: add --persistent" },
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
		{ nosrc, ARGC(nosrc), "no source daemon given: give -c URI (e.g. qemu+unix:///system?socket=/path/libvirt-sock), set LIBVIRT_DEFAULT_URI, or set uri_default in libvirt.conf" },
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
	RUN(parses_the_rest_of_virsh);
	RUN(refuses_what_unix_sockets_cannot_carry);
	RUN(source_uri_from_the_environment);
	RUN(conf_path_as_libvirt);
	RUN(uri_default_from_libvirt_conf);
	RUN(xml_files_are_read_up_front);
	RUN(comma_lists);
	RUN(positional_like_virsh);
	RUN(bad_numbers_and_options);
	RUN(dir_builds_uris_from_layout);
	RUN(dir_needs_layout_channels);
	RUN(every_refusal_has_its_line);
	RUN(refusals_without_base_options);
	RUN(unix_paths_from_uris);
	return CHECK_DONE();
}
