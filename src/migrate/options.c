// SPDX-License-Identifier: MIT
/* options.c - migsock-migrate's command line; see options.h. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libvirtconf.h"
#include "options.h"
#include "uri.h"
#include "util.h"

enum {
	OPT_DOMAIN = 256, OPT_DESTURI, OPT_MIGRATEURI, OPT_DISKS_URI,
	OPT_DEST_CONNECT, OPT_DNAME, OPT_LIVE, OPT_P2P, OPT_DIRECT,
	OPT_TUNNELLED, OPT_OFFLINE, OPT_PERSISTENT, OPT_UNDEFINESOURCE,
	OPT_COPY_ALL, OPT_COPY_INC, OPT_MIGRATE_DISKS, OPT_PARALLEL,
	OPT_PARALLEL_CONNECTIONS, OPT_POSTCOPY, OPT_POSTCOPY_AFTER_PRECOPY,
	OPT_SUSPEND, OPT_TIMEOUT, OPT_TIMEOUT_SUSPEND, OPT_TIMEOUT_POSTCOPY,
	OPT_TIMEOUT_ABORT, OPT_TLS, OPT_TLS_DESTINATION, OPT_VERBOSE, OPT_DIR,
	OPT_LAYOUT, OPT_JSON, OPT_NO_PROGRESS, OPT_AUTO_CONVERGE,
	OPT_ABORT_ON_ERROR, OPT_COMPRESSED, OPT_UNSAFE, OPT_CHANGE_PROTECTION,
	OPT_BANDWIDTH,
	/* recovery and hangs */
	OPT_POSTCOPY_RESUME, OPT_RECOVER, OPT_RECOVER_DIR, OPT_ABORT_POSTCOPY,
	OPT_CONNECT_TIMEOUT,
};

/* The rest of virsh 9.0's migrate options, and ours. */
enum {
	OPT_GRAPHICSURI = 400, OPT_XML, OPT_PERSISTENT_XML, OPT_COMP_METHODS,
	OPT_COMP_MT_LEVEL, OPT_COMP_MT_THREADS, OPT_COMP_MT_DTHREADS,
	OPT_COMP_XBZRLE_CACHE, OPT_AUTO_CONVERGE_INITIAL,
	OPT_AUTO_CONVERGE_INCREMENT, OPT_POSTCOPY_BANDWIDTH, OPT_SYNC_WRITES,
	OPT_VERSION,
	/* refused: see refused_opts[] */
	OPT_ZEROCOPY, OPT_LISTEN_ADDRESS, OPT_DISKS_PORT, OPT_RDMA_PIN_ALL,
};

static const struct option long_opts[] = {
	{ "connect", required_argument, NULL, 'c' },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "desturi", required_argument, NULL, OPT_DESTURI },
	{ "migrateuri", required_argument, NULL, OPT_MIGRATEURI },
	{ "disks-uri", required_argument, NULL, OPT_DISKS_URI },
	{ "dest-connect", required_argument, NULL, OPT_DEST_CONNECT },
	{ "dname", required_argument, NULL, OPT_DNAME },
	{ "live", no_argument, NULL, OPT_LIVE },
	{ "p2p", no_argument, NULL, OPT_P2P },
	{ "direct", no_argument, NULL, OPT_DIRECT },
	{ "tunnelled", no_argument, NULL, OPT_TUNNELLED },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "persistent", no_argument, NULL, OPT_PERSISTENT },
	{ "undefinesource", no_argument, NULL, OPT_UNDEFINESOURCE },
	{ "copy-storage-all", no_argument, NULL, OPT_COPY_ALL },
	{ "copy-storage-inc", no_argument, NULL, OPT_COPY_INC },
	{ "migrate-disks", required_argument, NULL, OPT_MIGRATE_DISKS },
	{ "parallel", no_argument, NULL, OPT_PARALLEL },
	{ "parallel-connections", required_argument, NULL, OPT_PARALLEL_CONNECTIONS },
	{ "postcopy", no_argument, NULL, OPT_POSTCOPY },
	{ "postcopy-after-precopy", no_argument, NULL, OPT_POSTCOPY_AFTER_PRECOPY },
	{ "suspend", no_argument, NULL, OPT_SUSPEND },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "timeout-suspend", no_argument, NULL, OPT_TIMEOUT_SUSPEND },
	{ "timeout-postcopy", no_argument, NULL, OPT_TIMEOUT_POSTCOPY },
	{ "timeout-abort", no_argument, NULL, OPT_TIMEOUT_ABORT },
	{ "bandwidth", required_argument, NULL, OPT_BANDWIDTH },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "tls-destination", required_argument, NULL, OPT_TLS_DESTINATION },
	{ "auto-converge", no_argument, NULL, OPT_AUTO_CONVERGE },
	{ "abort-on-error", no_argument, NULL, OPT_ABORT_ON_ERROR },
	{ "compressed", no_argument, NULL, OPT_COMPRESSED },
	{ "unsafe", no_argument, NULL, OPT_UNSAFE },
	{ "change-protection", no_argument, NULL, OPT_CHANGE_PROTECTION },
	{ "graphicsuri", required_argument, NULL, OPT_GRAPHICSURI },
	{ "xml", required_argument, NULL, OPT_XML },
	{ "persistent-xml", required_argument, NULL, OPT_PERSISTENT_XML },
	{ "comp-methods", required_argument, NULL, OPT_COMP_METHODS },
	{ "comp-mt-level", required_argument, NULL, OPT_COMP_MT_LEVEL },
	{ "comp-mt-threads", required_argument, NULL, OPT_COMP_MT_THREADS },
	{ "comp-mt-dthreads", required_argument, NULL, OPT_COMP_MT_DTHREADS },
	{ "comp-xbzrle-cache", required_argument, NULL, OPT_COMP_XBZRLE_CACHE },
	{ "auto-converge-initial", required_argument, NULL, OPT_AUTO_CONVERGE_INITIAL },
	{ "auto-converge-increment", required_argument, NULL, OPT_AUTO_CONVERGE_INCREMENT },
	{ "postcopy-bandwidth", required_argument, NULL, OPT_POSTCOPY_BANDWIDTH },
	{ "copy-storage-synchronous-writes", no_argument, NULL, OPT_SYNC_WRITES },
	{ "zerocopy", no_argument, NULL, OPT_ZEROCOPY },
	{ "listen-address", required_argument, NULL, OPT_LISTEN_ADDRESS },
	{ "disks-port", required_argument, NULL, OPT_DISKS_PORT },
	{ "rdma-pin-all", no_argument, NULL, OPT_RDMA_PIN_ALL },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	/* recovery and hangs */
	{ "postcopy-resume", no_argument, NULL, OPT_POSTCOPY_RESUME },
	{ "recover", required_argument, NULL, OPT_RECOVER },
	{ "recover-dir", required_argument, NULL, OPT_RECOVER_DIR },
	{ "abort-postcopy", no_argument, NULL, OPT_ABORT_POSTCOPY },
	{ "keepalive-interval", required_argument, NULL, 'k' },
	{ "keepalive-count", required_argument, NULL, 'K' },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

/* virsh options that cannot apply over UNIX sockets: refused when met. */
static const struct {
	int opt;
	const char *why;
} refused_opts[] = {
	{ OPT_ZEROCOPY, "--zerocopy cannot work over UNIX sockets: QEMU's "
	  "zero-copy send needs SO_ZEROCOPY, which the kernel offers on TCP "
	  "and UDP sockets only: drop --zerocopy" },
	{ OPT_LISTEN_ADDRESS, "--listen-address names the TCP address the "
	  "destination QEMU listens on; over UNIX sockets it listens on the "
	  "--migrateuri path: drop --listen-address" },
	{ OPT_DISKS_PORT, "--disks-port names the TCP port of the "
	  "destination's NBD server; over UNIX sockets the disks go through "
	  "--disks-uri unix:///PATH (or --dir): drop --disks-port" },
	{ OPT_RDMA_PIN_ALL, "--rdma-pin-all pins memory for RDMA migration "
	  "(rdma:// URIs), which UNIX sockets do not carry: drop --rdma-pin-all" },
};

void mig_opts_init(struct mig_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->comp_mt_level = o->comp_mt_threads = o->comp_mt_dthreads = -1;
	o->auto_converge_initial = o->auto_converge_increment = -1;
	o->keepalive_interval = 5; /* virsh's defaults */
	o->keepalive_count = 6;
	o->connect_timeout = 30;
}

void mig_opts_free(struct mig_opts *o)
{
	free(o->dest_xml);
	free(o->persist_xml);
	o->dest_xml = o->persist_xml = NULL;
}

/* An int option within its range: the shared line ("--timeout 12x:
 * expected seconds from 1 to 2147483647"). */
static int parse_int(const char *opt, const char *s, int min, int max,
		     const char *unit, int *out, struct ms_error *e)
{
	char name[40];

	snprintf(name, sizeof(name), "--%s", opt);
	return cli_opt_int(name, s, min, max, unit, out, e);
}

static void set_timeout_action(struct mig_opts *o, enum mig_timeout_action a)
{
	o->timeout_action = a;
	o->n_timeout_actions++;
}

/* Flags without an argument, as a table: option value -> field. */
static bool *flag_field(struct mig_opts *o, int c)
{
	switch (c) {
	case OPT_LIVE: return &o->live;
	case OPT_P2P: return &o->p2p;
	case OPT_DIRECT: return &o->direct;
	case OPT_TUNNELLED: return &o->tunnelled;
	case OPT_OFFLINE: return &o->offline;
	case OPT_PERSISTENT: return &o->persistent;
	case OPT_UNDEFINESOURCE: return &o->undefinesource;
	case OPT_COPY_ALL: return &o->copy_all;
	case OPT_COPY_INC: return &o->copy_inc;
	case OPT_PARALLEL: return &o->parallel;
	case OPT_POSTCOPY: return &o->postcopy;
	case OPT_POSTCOPY_AFTER_PRECOPY: return &o->postcopy_after_precopy;
	case OPT_SUSPEND: return &o->suspend;
	case OPT_TLS: return &o->tls;
	case OPT_AUTO_CONVERGE: return &o->auto_converge;
	case OPT_ABORT_ON_ERROR: return &o->abort_on_error;
	case OPT_COMPRESSED: return &o->compressed;
	case OPT_UNSAFE: return &o->unsafe_;
	case OPT_CHANGE_PROTECTION: return &o->change_protection;
	case OPT_VERBOSE: return &o->verbose;
	case OPT_JSON: return &o->json;
	case OPT_NO_PROGRESS: return &o->no_progress;
	case OPT_SYNC_WRITES: return &o->sync_writes;
	case OPT_VERSION: return &o->version;
	case OPT_POSTCOPY_RESUME: return &o->postcopy_resume;
	case OPT_ABORT_POSTCOPY: return &o->abort_postcopy;
	default: return NULL;
	}
}

/* Options with an argument that is kept as a string. */
static const char **string_field(struct mig_opts *o, int c)
{
	switch (c) {
	case 'c': return &o->connect;
	case OPT_DOMAIN: return &o->domain;
	case OPT_DESTURI: return &o->desturi;
	case OPT_MIGRATEURI: return &o->migrateuri;
	case OPT_DISKS_URI: return &o->disks_uri;
	case OPT_DEST_CONNECT: return &o->dest_connect;
	case OPT_DNAME: return &o->dname;
	case OPT_MIGRATE_DISKS: return &o->migrate_disks;
	case OPT_TLS_DESTINATION: return &o->tls_destination;
	case OPT_DIR: return &o->dir;
	case OPT_LAYOUT: return &o->layout;
	case OPT_GRAPHICSURI: return &o->graphicsuri;
	case OPT_XML: return &o->xml_file;
	case OPT_PERSISTENT_XML: return &o->persistent_xml_file;
	case OPT_COMP_METHODS: return &o->comp_methods;
	case OPT_RECOVER_DIR: return &o->recover_dir;
	default: return NULL;
	}
}

/* Numbers with a range (QEMU's, where it has one): option -> field. */
static int *int_field(struct mig_opts *o, int c, int *min, int *max,
		      const char **unit)
{
	*min = 1;
	*max = 255;
	*unit = "a number";
	switch (c) {
	case OPT_PARALLEL_CONNECTIONS: /* QEMU's multifd-channels range */
		return &o->parallel_connections;
	case OPT_COMP_MT_LEVEL:
		*min = 0;
		*max = 9;
		return &o->comp_mt_level;
	case OPT_COMP_MT_THREADS: return &o->comp_mt_threads;
	case OPT_COMP_MT_DTHREADS: return &o->comp_mt_dthreads;
	case OPT_AUTO_CONVERGE_INITIAL:
		*max = 99;
		return &o->auto_converge_initial;
	case OPT_AUTO_CONVERGE_INCREMENT:
		*max = 99;
		return &o->auto_converge_increment;
	case OPT_TIMEOUT:
		*max = INT_MAX;
		*unit = "seconds";
		return &o->timeout;
	/* recovery and hangs */
	case OPT_RECOVER:
		*max = 86400;
		*unit = "seconds";
		return &o->recover;
	case 'k':
		*min = 0;
		*max = 3600;
		*unit = "seconds";
		return &o->keepalive_interval;
	case 'K':
		*max = 1000;
		return &o->keepalive_count;
	case OPT_CONNECT_TIMEOUT:
		*max = 3600;
		*unit = "seconds";
		return &o->connect_timeout;
	default: return NULL;
	}
}

static const char *opt_name(int c)
{
	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == c)
			return c == 'c' ? "c" : lo->name;
	return "?";
}

static int parse_one(struct mig_opts *o, int c, const char *arg,
		     struct ms_error *e)
{
	bool *flag = flag_field(o, c);
	const char **str = string_field(o, c);
	const char *unit;
	int min, max, *num = int_field(o, c, &min, &max, &unit);

	for (size_t i = 0; i < ARRAY_SIZE(refused_opts); i++)
		if (refused_opts[i].opt == c)
			return ms_fail(e, MS_EXIT_USAGE, "%s", refused_opts[i].why);
	if (num)
		return parse_int(opt_name(c), arg, min, max, unit, num, e);
	if (flag) {
		*flag = true;
		return 0;
	}
	if (str) {
		if (!*arg)
			return ms_fail(e, MS_EXIT_USAGE,
				       "%s%s has an empty argument: give a value",
				       c == 'c' ? "-" : "--", opt_name(c));
		*str = arg;
		return 0;
	}
	switch (c) {
	case OPT_BANDWIDTH:
	case OPT_POSTCOPY_BANDWIDTH: {
		int mib = 0;
		int r = parse_int(opt_name(c), arg, 1, INT_MAX,
				  "a bandwidth in MiB/s", &mib, e);
		*(c == OPT_BANDWIDTH ? &o->bandwidth : &o->postcopy_bandwidth) =
			(unsigned long)mib;
		return r;
	}
	case OPT_COMP_XBZRLE_CACHE: {
		/* virsh's plain byte count, or with a K/M/G/T suffix. */
		uint64_t bytes = 0;
		int r = cli_opt_size("--comp-xbzrle-cache", arg, 1, UINT64_MAX,
				     &bytes, e);
		o->comp_xbzrle_cache = bytes;
		return r;
	}
	case OPT_TIMEOUT_SUSPEND:
		set_timeout_action(o, MIG_TIMEOUT_SUSPEND);
		return 0;
	case OPT_TIMEOUT_POSTCOPY:
		set_timeout_action(o, MIG_TIMEOUT_POSTCOPY);
		return 0;
	case OPT_TIMEOUT_ABORT:
		set_timeout_action(o, MIG_TIMEOUT_ABORT);
		return 0;
	case 'h':
		o->help = true;
		return 0;
	default:
		return ms_fail(e, MS_EXIT_USAGE,
			       "unknown or incomplete option: see --help");
	}
}

/* virsh migrate's positional order: DOMAIN DESTURI MIGRATEURI. */
static int parse_positional(struct mig_opts *o, int argc, char **argv,
			    struct ms_error *e)
{
	const char **slots[] = { &o->domain, &o->desturi, &o->migrateuri };
	size_t next = 0;

	for (int i = optind; i < argc; i++) {
		while (next < ARRAY_SIZE(slots) && *slots[next])
			next++;
		if (next == ARRAY_SIZE(slots))
			return cli_unexpected_argument(argv[i], e);
		*slots[next++] = argv[i];
	}
	return 0;
}

int mig_opts_parse(struct mig_opts *o, int argc, char **argv,
		   struct ms_error *e)
{
	int c;

	optind = 0; /* full re-initialisation: the unit tests parse often */
	opterr = 0; /* we print our own one-line error */
	while ((c = getopt_long(argc, argv, "c:hk:K:", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return cli_bad_option(argv, e);
		if (parse_one(o, c, optarg, e) < 0)
			return -1;
	}
	return parse_positional(o, argc, argv, e);
}

void mig_opts_env(struct mig_opts *o, const char *libvirt_conf)
{
	static const char *const vars[] = { "VIRSH_DEFAULT_CONNECT_URI",
					    "LIBVIRT_DEFAULT_URI" };

	if (o->connect) {
		o->connect_from = "-c";
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v) {
			o->connect = v;
			o->connect_from = vars[i];
			return;
		}
	}
	/* Unreadable counts as unset: the refusal then names the file. */
	if (libvirt_conf && libvirt_conf_uri_default(libvirt_conf, o->conf_uri_buf,
						     sizeof(o->conf_uri_buf)) > 0) {
		snprintf(o->conf_from_buf, sizeof(o->conf_from_buf),
			 "uri_default in %s", libvirt_conf);
		o->connect = o->conf_uri_buf;
		o->connect_from = o->conf_from_buf;
	}
}

/* virsh reads at most 10 MiB of XML (VSH_MAX_XML_FILE). */
#define XML_MAX (10 * 1024 * 1024)

static int load_xml(const char *opt, const char *path, char **out,
		    struct ms_error *e)
{
	_cleanup_free_ char *buf = NULL;
	FILE *f;
	size_t n;

	if (!path)
		return 0;
	if (!(f = fopen(path, "re")))
		return ms_fail_errno(e, MS_EXIT_USAGE, "cannot read %s %s", opt,
				     path);
	buf = malloc(XML_MAX + 1);
	n = buf ? fread(buf, 1, XML_MAX + 1, f) : 0;
	bool bad = buf && ferror(f);
	fclose(f);
	if (!buf)
		return ms_fail(e, MS_EXIT_SYS, "out of memory reading %s", path);
	if (bad)
		return ms_fail(e, MS_EXIT_USAGE, "cannot read %s %s: read "
			       "error", opt, path);
	if (n > XML_MAX)
		return ms_fail(e, MS_EXIT_USAGE, "%s %s is larger than 10 MiB: "
			       "give a domain definition", opt, path);
	buf[n] = '\0';
	if (!strstr(buf, "<domain"))
		return ms_fail(e, MS_EXIT_USAGE, "%s %s holds no <domain> "
			       "definition: start from virsh dumpxml "
			       "--migratable%s and edit it", opt, path,
			       strcmp(opt, "--xml") ? " --inactive" : "");
	*out = steal_pointer(&buf);
	return 0;
}

int mig_opts_load(struct mig_opts *o, struct ms_error *e)
{
	if (load_xml("--xml", o->xml_file, &o->dest_xml, e) < 0 ||
	    load_xml("--persistent-xml", o->persistent_xml_file,
		     &o->persist_xml, e) < 0)
		return -1;
	return 0;
}

static int build_uri(char *buf, size_t len, const char *what,
		     struct ms_error *e, const char *prefix, const char *dir,
		     const char *name)
{
	int n = snprintf(buf, len, "%s%s/%s", prefix, dir, name);

	if (n < 0 || (size_t)n >= len)
		return ms_fail(e, MS_EXIT_USAGE,
			       "the %s built from --dir %s is longer than %zu "
			       "bytes: use a shorter directory", what, dir,
			       len - 1);
	return 0;
}

static int channel_name(const struct layout *l, const char *channel,
			const char **name, struct ms_error *e)
{
	const struct layout_channel *ch = layout_find(l, channel);

	if (!ch)
		return ms_fail(e, MS_EXIT_CONFIG,
			       "the socket layout has no '%s' channel: add it "
			       "(see sockets/migration.layout)", channel);
	*name = ch->name;
	return 0;
}

bool mig_copies_storage(const struct mig_opts *o)
{
	return o->copy_all || o->copy_inc;
}

bool mig_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; p && *p; p += strcspn(p, ","), p += !!*p)
		if (!strncmp(p, item, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

int mig_opts_resolve(struct mig_opts *o, const struct layout *l,
		     struct ms_error *e)
{
	const char *name = NULL;

	if (!o->dir)
		return 0;
	if (o->dir[0] != '/')
		return ms_fail(e, MS_EXIT_USAGE,
			       "--dir %s is relative: give the absolute path "
			       "both daemons see", o->dir);
	if (!o->desturi) {
		if (channel_name(l, "driver", &name, e) < 0 ||
		    build_uri(o->desturi_buf, sizeof(o->desturi_buf),
			      "destination URI", e,
			      "qemu+unix:///system?socket=", o->dir, name) < 0)
			return -1;
		o->desturi = o->desturi_buf;
	}
	/* Tunnelled and offline migrations open no hypervisor stream. */
	if (!o->migrateuri && !o->tunnelled && !o->offline) {
		if (channel_name(l, "qemu", &name, e) < 0 ||
		    build_uri(o->migrateuri_buf, sizeof(o->migrateuri_buf),
			      "migration URI", e, "unix://", o->dir,
			      name) < 0)
			return -1;
		o->migrateuri = o->migrateuri_buf;
	}
	if (!o->disks_uri && mig_copies_storage(o) && !o->tunnelled &&
	    !o->offline) {
		if (channel_name(l, "nbd", &name, e) < 0 ||
		    build_uri(o->disks_uri_buf, sizeof(o->disks_uri_buf),
			      "disks URI", e, "unix://", o->dir, name) < 0)
			return -1;
		o->disks_uri = o->disks_uri_buf;
	}
	return 0;
}

static int refuse(struct ms_error *e, const char *msg)
{
	return ms_fail(e, MS_EXIT_USAGE, "%s", msg);
}

/* migsock moves the data streams over UNIX sockets only, and the path a
 * unix: URI names must be absolute: libvirt hands it to QEMU. */
static int check_unix_uri(const char *opt, const char *uri, struct ms_error *e)
{
	char path[PATH_MAX];

	if (!uri)
		return 0;
	if (!mig_uri_is_unix(uri))
		return ms_fail(e, MS_EXIT_USAGE,
			       "%s '%s' is not a UNIX socket: write "
			       "unix:///absolute/path", opt, uri);
	if (!mig_uri_unix_path(uri, path, sizeof(path)))
		return ms_fail(e, MS_EXIT_USAGE,
			       "%s '%s' names no socket path: write "
			       "unix:///absolute/path", opt, uri);
	return 0;
}

/* What is missing or contradictory on the command line itself. */
static int check_basics(const struct mig_opts *o, struct ms_error *e)
{
	if (o->direct)
		return refuse(e, "--direct asks for unmanaged direct migration, "
			      "which libvirt's QEMU driver does not offer (QEMU "
			      "has no management daemon of its own): drop "
			      "--direct for managed direct migration, or use --p2p");
	if (!o->domain)
		return refuse(e, "no domain given: name it with --domain NAME");
	if (!o->connect)
		return refuse(e, "no source daemon given: give -c URI (e.g. "
			      "qemu+unix:///system?socket=/path/libvirt-sock), "
			      "set LIBVIRT_DEFAULT_URI, or set uri_default in "
			      "libvirt.conf");
	if (!o->desturi)
		return refuse(e, "no destination given: give --desturi URI or "
			      "--dir DIR (the shared socket directory)");
	if (!strstr(o->desturi, "://"))
		return ms_fail(e, MS_EXIT_USAGE, "--desturi '%s' is not a "
			       "libvirt URI: write e.g. qemu+unix:///system?"
			       "socket=/path/test-sock-driver", o->desturi);
	if (check_unix_uri("--migrateuri", o->migrateuri, e) < 0 ||
	    check_unix_uri("--disks-uri", o->disks_uri, e) < 0)
		return -1;
	return 0;
}

static int check_offline(const struct mig_opts *o, struct ms_error *e)
{
	if (!o->offline)
		return 0;
	if (o->live)
		return refuse(e, "--offline moves only the inactive definition "
			      "and cannot be --live: choose one");
	if (!o->persistent)
		return refuse(e, "--offline needs --persistent: libvirt only "
			      "migrates a definition it may keep on the "
			      "destination");
	if (mig_copies_storage(o))
		return refuse(e, "--offline cannot copy storage (libvirt copies "
			      "no disks offline): drop --copy-storage-*");
	if (o->postcopy || o->parallel || o->suspend || o->timeout ||
	    o->tunnelled)
		return refuse(e, "--offline moves no memory: drop --postcopy, "
			      "--parallel, --suspend, --timeout and --tunnelled");
	return 0;
}

static int check_storage(const struct mig_opts *o, struct ms_error *e)
{
	if (o->copy_all && o->copy_inc)
		return refuse(e, "--copy-storage-all and --copy-storage-inc "
			      "exclude each other: choose one");
	if (!mig_copies_storage(o)) {
		if (o->migrate_disks)
			return refuse(e, "--migrate-disks selects disks to copy: "
				      "add --copy-storage-all or "
				      "--copy-storage-inc");
		if (o->disks_uri)
			return refuse(e, "--disks-uri is only used to copy "
				      "storage: add --copy-storage-all or "
				      "--copy-storage-inc");
		return 0;
	}
	if (!o->tunnelled && mig_uri_is_unix(o->migrateuri) && !o->disks_uri)
		return refuse(e, "copying storage next to a UNIX --migrateuri "
			      "needs --disks-uri unix:///PATH (or --dir DIR): "
			      "libvirt would send the disks over TCP");
	return 0;
}

/* libvirt's tunnel is the daemons' RPC connection: over UNIX sockets it
 * carries the memory stream only. */
static int check_tunnelled(const struct mig_opts *o, struct ms_error *e)
{
	if (!o->tunnelled)
		return 0;
	if (!o->p2p)
		return refuse(e, "--tunnelled needs --p2p: the tunnel is the "
			      "source daemon's own connection to the destination");
	if (o->parallel)
		return refuse(e, "--tunnelled cannot carry --parallel "
			      "connections: drop one of them");
	if (o->postcopy)
		return refuse(e, "--tunnelled cannot carry --postcopy: drop one "
			      "of them");
	if (mig_copies_storage(o))
		return refuse(e, "--tunnelled cannot copy storage over UNIX "
			      "sockets: drop --tunnelled and copy through "
			      "--disks-uri (or --dir)");
	if (o->migrateuri || o->disks_uri)
		return refuse(e, "--tunnelled sends everything through the "
			      "daemon connection: drop --migrateuri and "
			      "--disks-uri");
	return 0;
}

static int check_copy_modes(const struct mig_opts *o, struct ms_error *e)
{
	if (o->postcopy_after_precopy && !o->postcopy)
		return refuse(e, "--postcopy-after-precopy needs --postcopy");
	if (o->parallel_connections && !o->parallel)
		return refuse(e, "--parallel-connections N needs --parallel");
	if (o->parallel && o->postcopy)
		return refuse(e, "--parallel and --postcopy cannot be combined: "
			      "QEMU has no post-copy over multiple connections");
	if (o->n_timeout_actions && !o->timeout)
		return refuse(e, "--timeout-suspend, --timeout-postcopy and "
			      "--timeout-abort need --timeout SEC");
	if (o->n_timeout_actions > 1)
		return refuse(e, "--timeout-suspend, --timeout-postcopy and "
			      "--timeout-abort exclude each other: choose one");
	if (o->timeout && !o->live)
		return refuse(e, "--timeout acts on a live migration: add --live");
	if (o->timeout_action == MIG_TIMEOUT_POSTCOPY && o->timeout &&
	    !o->postcopy)
		return refuse(e, "--timeout-postcopy needs --postcopy");
	return 0;
}

static int check_tls(const struct mig_opts *o, struct ms_error *e)
{
	if (!o->tls) {
		if (o->tls_destination)
			return refuse(e, "--tls-destination needs --tls");
		return 0;
	}
	if (mig_uri_is_unix(o->migrateuri) && !o->tls_destination)
		return refuse(e, "--tls over a UNIX --migrateuri has no hostname "
			      "to check the certificate against: add "
			      "--tls-destination HOSTNAME");
	if (mig_copies_storage(o) && mig_uri_is_unix(o->disks_uri))
		return refuse(e, "NBD migration with TLS is not supported over "
			      "UNIX sockets (libvirt): drop --tls or "
			      "--copy-storage-*");
	return 0;
}

/* Over a UNIX desturi the destination has no hostname for libvirt to
 * derive tcp://HOST from: the caller must name the QEMU socket. */
static int check_unix_streams(const struct mig_opts *o, struct ms_error *e)
{
	if (o->tunnelled || o->offline || o->migrateuri)
		return 0;
	if (mig_uri_is_unix_daemon(o->desturi))
		return refuse(e, "with a UNIX --desturi libvirt cannot choose "
			      "where QEMU sends the migration stream: give "
			      "--migrateuri unix:///PATH or --dir DIR");
	return 0;
}

/* A list option must not hold empty items ("mt,", ",xbzrle"). */
static int check_list(const char *opt, const char *list, struct ms_error *e)
{
	size_t n = list ? strlen(list) : 1;

	if (list && (list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,")))
		return ms_fail(e, MS_EXIT_USAGE, "%s '%s' has an empty item: "
			       "write NAME,NAME", opt, list);
	return 0;
}

/* Tuning that libvirt refuses without what it tunes ("Turn ... on to
 * tune it"), or that does nothing without it. */
static int check_tuning(const struct mig_opts *o, struct ms_error *e)
{
	if (check_list("--comp-methods", o->comp_methods, e) < 0 ||
	    check_list("--migrate-disks", o->migrate_disks, e) < 0)
		return -1;
	if ((o->comp_mt_level >= 0 || o->comp_mt_threads >= 0 ||
	     o->comp_mt_dthreads >= 0) && !mig_list_has(o->comp_methods, "mt"))
		return refuse(e, "--comp-mt-level, --comp-mt-threads and "
			      "--comp-mt-dthreads tune the mt compression "
			      "method: add --comp-methods mt");
	if (o->comp_xbzrle_cache && !mig_list_has(o->comp_methods, "xbzrle"))
		return refuse(e, "--comp-xbzrle-cache tunes the xbzrle "
			      "compression method: add --comp-methods xbzrle");
	if ((o->auto_converge_initial >= 0 ||
	     o->auto_converge_increment >= 0) && !o->auto_converge)
		return refuse(e, "--auto-converge-initial and "
			      "--auto-converge-increment tune --auto-converge: "
			      "add it");
	if (o->postcopy_bandwidth && !o->postcopy)
		return refuse(e, "--postcopy-bandwidth limits the post-copy "
			      "phase: add --postcopy");
	if (o->sync_writes && !mig_copies_storage(o))
		return refuse(e, "--copy-storage-synchronous-writes acts on a "
			      "storage copy: add --copy-storage-all or "
			      "--copy-storage-inc");
	if (o->persistent_xml_file && !o->persistent)
		return refuse(e, "--persistent-xml is the definition the "
			      "destination keeps: add --persistent");
	return 0;
}

/* Recovery: what libvirt 9.0 can resume (only a post-copy migration, with
 * the same URIs and flags), and --abort-postcopy, which talks to the
 * source daemon alone. */
static int check_recovery(const struct mig_opts *o, struct ms_error *e)
{
	if (o->postcopy_resume && !o->postcopy)
		return refuse(e, "--postcopy-resume resumes a failed post-copy "
			      "migration: repeat the original command with "
			      "--postcopy --postcopy-resume");
	if (o->recover && !o->postcopy)
		return refuse(e, "--recover SEC resumes a post-copy migration "
			      "that failed: add --postcopy");
	if (o->recover_dir && !o->recover)
		return refuse(e, "--recover-dir DIR is where --recover looks "
			      "for the sockets: add --recover SEC");
	if (o->recover_dir && o->recover_dir[0] != '/')
		return ms_fail(e, MS_EXIT_USAGE, "--recover-dir %s is relative: "
			       "give an absolute path", o->recover_dir);
	if (o->postcopy_resume && o->offline)
		return refuse(e, "--postcopy-resume cannot be --offline: an "
			      "offline migration has no post-copy");
	return 0;
}

static int check_abort_postcopy(const struct mig_opts *o, struct ms_error *e)
{
	if (!o->domain)
		return refuse(e, "no domain given: name it with --domain NAME");
	if (!o->connect)
		return refuse(e, "no source daemon given: give -c URI");
	if (o->postcopy_resume || o->recover)
		return refuse(e, "--abort-postcopy pauses a post-copy migration "
			      "and exits: drop --postcopy-resume and --recover");
	return 0;
}

int mig_opts_check(const struct mig_opts *o, struct ms_error *e)
{
	if (o->abort_postcopy)
		return check_abort_postcopy(o, e);
	if (check_recovery(o, e) < 0)
		return -1;
	if (check_basics(o, e) < 0 || check_offline(o, e) < 0 ||
	    check_tunnelled(o, e) < 0 || check_storage(o, e) < 0 ||
	    check_copy_modes(o, e) < 0 || check_tls(o, e) < 0 ||
	    check_unix_streams(o, e) < 0 || check_tuning(o, e) < 0)
		return -1;
	return 0;
}
