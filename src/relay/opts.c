// SPDX-License-Identifier: MIT
/* opts.c - migsock-relay's command line; see opts.h. */

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int relay_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int relay_parse_mode(const char *s, mode_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '7')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 8);
	if (errno || *end || v > 07777 || v == 0)
		return -1;
	*out = (mode_t)v;
	return 0;
}

static int parse_id(const char *s, bool group, unsigned long *out)
{
	if (relay_parse_uint(s, UINT_MAX - 1, out) == 0)
		return 0;
	if (group) {
		struct group *g = getgrnam(s);
		if (!g)
			return -1;
		*out = g->gr_gid;
	} else {
		struct passwd *p = getpwnam(s);
		if (!p)
			return -1;
		*out = p->pw_uid;
	}
	return 0;
}

int relay_parse_owner(const char *s, uid_t *uid, gid_t *gid)
{
	char user[256];
	const char *colon = strchr(s, ':');
	size_t ulen = colon ? (size_t)(colon - s) : strlen(s);
	unsigned long v;

	if (ulen == 0 || ulen >= sizeof(user))
		return -1;
	memcpy(user, s, ulen);
	user[ulen] = '\0';
	if (parse_id(user, false, &v) < 0)
		return -1;
	*uid = (uid_t)v;
	*gid = (gid_t)-1;
	if (colon) {
		if (parse_id(colon + 1, true, &v) < 0)
			return -1;
		*gid = (gid_t)v;
	}
	return 0;
}

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

static int bad_value(struct ms_error *e, const char *opt, const char *val,
		     const char *want)
{
	return ms_fail(e, MS_EXIT_USAGE, "--%s %s: expected %s", opt, val, want);
}

/* Name the option in a library error: "--allow-uid: unknown user ...". */
static int prefix_error(struct ms_error *e, const char *opt, int rc)
{
	char msg[sizeof(e->msg)];

	if (rc == 0 || !e)
		return rc;
	snprintf(msg, sizeof(msg), "%s", e->msg);
	snprintf(e->msg, sizeof(e->msg), "%s: %.480s", opt, msg);
	if (!e->code)
		e->code = MS_EXIT_USAGE;
	return -1;
}

static int set_option(struct relay_opts *o, int c, const char *arg,
		      struct ms_error *e)
{
	unsigned long v;

	switch (c) {
	case OPT_LISTEN: o->listen = arg; break;
	case OPT_CONNECT: o->connect = arg; break;
	case OPT_LAYOUT: o->layout = arg; break;
	case OPT_LISTEN_DIR: o->listen_dir = arg; break;
	case OPT_CONNECT_DIR: o->connect_dir = arg; break;
	case OPT_CHANNELS: o->channels = arg; break;
	case OPT_CONTEXT: o->context = arg; break;
	case OPT_CONNECT_CONTEXT: o->connect_context = arg; break;
	case OPT_REQUIRE_LABEL: o->require_label = true; break;
	case OPT_NO_SANDBOX: o->no_sandbox = true; break;
	case OPT_MODE:
		if (relay_parse_mode(arg, &o->mode) < 0)
			return bad_value(e, "mode", arg, "an octal mode such as 0660");
		break;
	case OPT_OWNER:
		if (relay_parse_owner(arg, &o->uid, &o->gid) < 0)
			return bad_value(e, "owner", arg, "UID[:GID], numbers or existing names");
		break;
	case OPT_ALLOW_UID:
		return prefix_error(e, "--allow-uid", peer_allow_add_uids(&o->allow, arg, e));
	case OPT_ALLOW_GID:
		return prefix_error(e, "--allow-gid", peer_allow_add_gids(&o->allow, arg, e));
	case OPT_ALLOW_CONTEXT:
		return peer_allow_add_context(&o->allow, arg, e); /* names the context */
	case OPT_READY_FD:
		if (relay_parse_uint(arg, INT_MAX, &v) < 0)
			return bad_value(e, "ready-fd", arg, "a file descriptor number");
		o->ready_fd = (int)v;
		break;
	case OPT_LOG_FORMAT:
		if (strcmp(arg, "text") == 0)
			o->log_format = RELAY_LOG_TEXT;
		else if (strcmp(arg, "json") == 0)
			o->log_format = RELAY_LOG_JSON;
		else
			return bad_value(e, "log-format", arg, "text or json");
		break;
	case OPT_DRAIN_TIMEOUT:
		if (relay_parse_uint(arg, 86400, &v) < 0)
			return bad_value(e, "drain-timeout", arg, "seconds, 0 to 86400");
		o->drain_timeout = (unsigned)v;
		break;
	case OPT_MAX_CONNS:
		if (relay_parse_uint(arg, 1000000, &v) < 0 || v == 0)
			return bad_value(e, "max-conns", arg, "a number from 1 to 1000000");
		o->max_conns = (unsigned)v;
		break;
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
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (optopt && optopt < 256)
				return ms_fail(e, MS_EXIT_USAGE, "unknown option -%c: try --help", optopt);
			return ms_fail(e, MS_EXIT_USAGE, "bad option %s (unknown, or missing its argument): try --help", bad);
		}
		if (set_option(o, c, optarg, e) < 0)
			return -1;
	}
	if (optind < argc)
		return ms_fail(e, MS_EXIT_USAGE, "unexpected argument %s: try --help", argv[optind]);
	if (check_modes(o, activated, e) < 0)
		return -1;
	return RELAY_RUN;
}
