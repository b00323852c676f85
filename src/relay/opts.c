// SPDX-License-Identifier: MIT
/* opts.c - migsock-relay's command line; see opts.h. */

#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

enum {
	OPT_LISTEN = 256, OPT_CONNECT, OPT_LAYOUT, OPT_LISTEN_DIR,
	OPT_CONNECT_DIR, OPT_CHANNELS, OPT_CONTEXT, OPT_CONNECT_CONTEXT,
	OPT_REQUIRE_LABEL, OPT_MODE, OPT_OWNER, OPT_ALLOW_UID, OPT_ALLOW_GID,
	OPT_ALLOW_CONTEXT, OPT_READY_FD, OPT_LOG_FORMAT, OPT_DRAIN_TIMEOUT,
	OPT_MAX_CONNS, OPT_NO_SANDBOX, OPT_HELP, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "listen-dir", required_argument, NULL, OPT_LISTEN_DIR },
	{ "connect-dir", required_argument, NULL, OPT_CONNECT_DIR },
	{ "channels", required_argument, NULL, OPT_CHANNELS },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "connect-context", required_argument, NULL, OPT_CONNECT_CONTEXT },
	{ "require-label", no_argument, NULL, OPT_REQUIRE_LABEL },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "allow-uid", required_argument, NULL, OPT_ALLOW_UID },
	{ "allow-gid", required_argument, NULL, OPT_ALLOW_GID },
	{ "allow-context", required_argument, NULL, OPT_ALLOW_CONTEXT },
	{ "ready-fd", required_argument, NULL, OPT_READY_FD },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

bool relay_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (!list)
		return true;
	for (const char *p = list; *p;) {
		const char *comma = strchrnul(p, ',');
		if ((size_t)(comma - p) == n && strncmp(p, name, n) == 0)
			return true;
		p = *comma ? comma + 1 : comma;
	}
	return false;
}

/* A path option given twice would silently win the last time. */
static int set_once(const char **field, const char *opt, const char *arg,
		    struct ms_error *e)
{
	if (*field)
		return ms_fail(e, MS_EXIT_USAGE, "%s given twice (%s, then %s): this relay serves one --listen/--connect pair; run one relay per pair or use --layout",
			       opt, *field, arg);
	*field = arg;
	return 0;
}

/* Whole seconds for the drain timer; a fraction rounds up. */
static int drain_timeout(struct relay_opts *o, const char *arg,
			 struct ms_error *e)
{
	double v;

	if (cli_opt_seconds("--drain-timeout", arg, 0, 86400, &v, e) < 0)
		return -1;
	o->drain_timeout = (unsigned)v;
	if (o->drain_timeout < v)
		o->drain_timeout++;
	return 0;
}

static const char *const log_formats[] = { "text", "json", NULL };

static int set_option(struct relay_opts *o, int c, const char *arg,
		      struct ms_error *e)
{
	int v;

	switch (c) {
	case OPT_LISTEN: return set_once(&o->listen, "--listen", arg, e);
	case OPT_CONNECT: return set_once(&o->connect, "--connect", arg, e);
	case OPT_LAYOUT: return set_once(&o->layout, "--layout", arg, e);
	case OPT_LISTEN_DIR: return set_once(&o->listen_dir, "--listen-dir", arg, e);
	case OPT_CONNECT_DIR: return set_once(&o->connect_dir, "--connect-dir", arg, e);
	case OPT_CHANNELS: o->channels = arg; break;
	case OPT_CONTEXT: o->context = arg; break;
	case OPT_CONNECT_CONTEXT: o->connect_context = arg; break;
	case OPT_REQUIRE_LABEL: o->require_label = true; break;
	case OPT_NO_SANDBOX: o->no_sandbox = true; break;
	case OPT_MODE:
		return cli_opt_mode("--mode", arg, &o->mode, e);
	case OPT_OWNER:
		return cli_opt_owner("--owner", arg, &o->uid, &o->gid, e);
	case OPT_ALLOW_UID:
		if (peer_allow_add_uids(&o->allow, arg, e) < 0)
			return ms_error_wrap(e, "--allow-uid");
		break;
	case OPT_ALLOW_GID:
		if (peer_allow_add_gids(&o->allow, arg, e) < 0)
			return ms_error_wrap(e, "--allow-gid");
		break;
	case OPT_ALLOW_CONTEXT:
		return peer_allow_add_context(&o->allow, arg, e); /* names the context */
	case OPT_READY_FD:
		return cli_opt_int("--ready-fd", arg, 0, INT_MAX,
				   "a file descriptor number", &o->ready_fd, e);
	case OPT_LOG_FORMAT:
		if ((v = cli_opt_word("--log-format", arg, log_formats, e)) < 0)
			return -1;
		o->log_format = v == 1 ? RELAY_LOG_JSON : RELAY_LOG_TEXT;
		break;
	case OPT_DRAIN_TIMEOUT:
		return drain_timeout(o, arg, e);
	case OPT_MAX_CONNS:
		return cli_opt_unsigned("--max-conns", arg, 1, 1000000, "a number",
					&o->max_conns, e);
	}
	return 0;
}

/* The two modes exclude each other; each needs its own options. */
static int check_modes(const struct relay_opts *o, bool activated,
		       struct ms_error *e)
{
	bool layout_mode = o->layout || o->listen_dir || o->connect_dir;

	if (layout_mode && (o->listen || o->connect))
		return ms_fail(e, MS_EXIT_USAGE, "--layout/--listen-dir/--connect-dir and --listen/--connect exclude each other: use one mode");
	if (o->channels && !layout_mode)
		return ms_fail(e, MS_EXIT_USAGE, "--channels needs --layout: it picks channels of a socket layout");
	if (o->listen && o->connect && strcmp(o->listen, o->connect) == 0)
		return ms_fail(e, MS_EXIT_USAGE, "--listen and --connect are both %s: the relay would connect to itself; give the daemon's socket to --connect",
			       o->listen);
	if (o->listen_dir && o->connect_dir && strcmp(o->listen_dir, o->connect_dir) == 0)
		return ms_fail(e, MS_EXIT_USAGE, "--listen-dir and --connect-dir are both %s: the relay would connect to itself; give the daemons' socket directory to --connect-dir",
			       o->listen_dir);
	if (layout_mode) {
		if (!o->connect_dir)
			return ms_fail(e, MS_EXIT_USAGE, "--layout mode needs --connect-dir DIR");
		if (!o->listen_dir && !activated)
			return ms_fail(e, MS_EXIT_USAGE, "--layout mode needs --listen-dir DIR (or sockets passed by LISTEN_FDS)");
		return 0;
	}
	if (!o->connect)
		return ms_fail(e, MS_EXIT_USAGE, "missing --connect UPSTREAM_PATH: try --help");
	if (!o->listen && !activated)
		return ms_fail(e, MS_EXIT_USAGE, "missing --listen PATH (or sockets passed by LISTEN_FDS): try --help");
	return 0;
}

int relay_opts_parse(int argc, char *argv[], bool activated,
		     struct relay_opts *o, struct ms_error *e)
{
	int c;

	*o = (struct relay_opts){
		.uid = (uid_t)-1, .gid = (gid_t)-1, .ready_fd = -1,
		.drain_timeout = 30, .max_conns = 4096,
	};
	optind = 0; /* GNU: full re-initialisation, for repeated calls */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", long_opts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP)
			return RELAY_HELP;
		if (c == OPT_VERSION)
			return RELAY_VERSION;
		if (c == '?' || c == ':')
			return cli_bad_option(argv, e);
		if (set_option(o, c, optarg, e) < 0)
			return -1;
	}
	if (optind < argc)
		return cli_unexpected_argument(argv[optind], e);
	if (check_modes(o, activated, e) < 0)
		return -1;
	return RELAY_RUN;
}
