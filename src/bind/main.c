// SPDX-License-Identifier: MIT
/* migsock-bind - create one labelled listening UNIX socket safely and exec
 * a program with it, by the socket-activation protocol (fd 3, LISTEN_PID,
 * LISTEN_FDS, LISTEN_FDNAMES). Like s6-ipcserver-socketbinder: the binder
 * does the privileged, careful part and gets out of the way. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "label.h"
#include "layout.h"
#include "notify.h"
#include "peer.h"
#include "sockpath.h"
#include "help-bind.h"

/* The text is man/migsock-bind.1.scd, rendered by man/scd2help at build
 * time (man/man.mk): edit the man page, not this file. */
static const char usage[] = MIGSOCK_HELP;

enum {
	OPT_CONTEXT = 256, OPT_REQUIRE_LABEL, OPT_MODE, OPT_OWNER, OPT_BACKLOG,
	OPT_NAME, OPT_NONBLOCK, OPT_LAYOUT, OPT_DIR, OPT_CHANNEL, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "require-label", no_argument, NULL, OPT_REQUIRE_LABEL },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "backlog", required_argument, NULL, OPT_BACKLOG },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "nonblock", no_argument, NULL, OPT_NONBLOCK },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct bind_opts {
	struct sock_listen_opts sock;
	const char *path, *name, *layout, *dir, *channel;
	bool mode_set, nonblock;
	char **argv; /* PROGRAM [ARGS...] */
	char pathbuf[SOCKPATH_MAX + 64];
};

static noreturn PRINTF(1, 2) void usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	die(MS_EXIT_USAGE, "%s: try --help", msg);
}

static void parse_option(struct bind_opts *o, int c, const char *arg)
{
	struct ms_error e = { 0 };
	int rc = 0;

	switch (c) {
	case OPT_CONTEXT: o->sock.context = arg; break;
	case OPT_REQUIRE_LABEL: o->sock.label_required = true; break;
	case OPT_MODE:
		rc = cli_opt_mode("--mode", arg, &o->sock.mode, &e);
		o->mode_set = true;
		break;
	case OPT_OWNER:
		rc = cli_opt_owner("--owner", arg, &o->sock.uid, &o->sock.gid, &e);
		break;
	case OPT_BACKLOG:
		rc = cli_opt_int("--backlog", arg, 1, 65535, "a number",
				 &o->sock.backlog, &e);
		break;
	case OPT_NAME: o->name = arg; break;
	case OPT_NONBLOCK: o->nonblock = true; break;
	case OPT_LAYOUT: o->layout = arg; break;
	case OPT_DIR: o->dir = arg; break;
	case OPT_CHANNEL: o->channel = arg; break;
	}
	if (rc < 0)
		die_err(&e);
}

static void parse_args(int argc, char *argv[], struct bind_opts *o)
{
	int c;

	opterr = 0;
	/* '+': stop at PATH, so PROGRAM's own options are never ours. */
	while ((c = getopt_long(argc, argv, "+h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			exit(MS_EXIT_OK);
		}
		if (c == OPT_VERSION) {
			cli_print_version();
			exit(MS_EXIT_OK);
		}
		if (c == '?' || c == ':') {
			struct ms_error e;
			cli_bad_option(argv, &e);
			die_err(&e);
		}
		parse_option(o, c, optarg);
	}
	bool layout_form = o->dir || o->channel || o->layout;
	/* getopt consumed "--" itself if it came right after the options. */
	bool dashdash = optind > 1 && !strcmp(argv[optind - 1], "--");
	if (!layout_form && !dashdash && optind < argc && strcmp(argv[optind], "--") != 0)
		o->path = argv[optind++];
	if (!dashdash && optind < argc && !strcmp(argv[optind], "--")) {
		dashdash = true;
		optind++;
	}
	if (!dashdash || (!layout_form && !o->path))
		usage_error("%s", layout_form ? "expected -- PROGRAM after the options" :
			    "expected PATH -- PROGRAM [ARGS...]");
	o->argv = argv + optind;
	if (!o->argv[0])
		usage_error("%s", "no PROGRAM after --");
	if (layout_form && (!o->dir || !o->channel))
		usage_error("%s", "--layout form needs both --dir DIR and --channel NAME");
}

/* Layout form: the path, mode and context come from the channel's line,
 * the command line overrides mode and context. */
static void apply_layout(struct bind_opts *o)
{
	static struct layout l;
	struct ms_error e = { 0 };
	const char *file = cli_layout_file(o->layout);

	if (cli_layout_load(o->layout, &l, &e) < 0)
		die_err(&e);
	const struct layout_channel *ch = layout_find(&l, o->channel);
	if (!ch)
		die(MS_EXIT_USAGE, "no channel '%s' in %s: see the layout's first column",
		    o->channel, file);
	int n = snprintf(o->pathbuf, sizeof(o->pathbuf), "%s/%s", o->dir, ch->name);
	if (n < 0 || (size_t)n >= sizeof(o->pathbuf))
		die(MS_EXIT_PATH, "socket path %s/%s is %d bytes, the limit is %d: use a shorter directory",
		    o->dir, ch->name, n, SOCKPATH_MAX);
	o->path = o->pathbuf;
	if (!o->mode_set)
		o->sock.mode = ch->mode;
	if (!o->sock.context && ch->context[0])
		o->sock.context = ch->context;
	if (!o->name)
		o->name = ch->channel;
}

/* Move the listening socket to fd 3, inheritable, blocking unless asked. */
static void place_at_fd3(int fd, bool nonblock)
{
	if (fd != NOTIFY_FDS_START && dup2(fd, NOTIFY_FDS_START) < 0)
		die_errno(MS_EXIT_SYS, "cannot move the socket to fd 3");
	if (fcntl(NOTIFY_FDS_START, F_SETFD, 0) < 0 ||
	    fcntl(NOTIFY_FDS_START, F_SETFL, nonblock ? O_NONBLOCK : 0) < 0)
		die_errno(MS_EXIT_SYS, "cannot prepare fd 3 for %s", "the program");
}

int main(int argc, char *argv[])
{
	static struct bind_opts o = {
		.sock = { .uid = (uid_t)-1, .gid = (gid_t)-1 },
	};
	struct ms_error e = { 0 };

	log_init(argv[0]);
	parse_args(argc, argv, &o);
	if (o.channel)
		apply_layout(&o);
	if (!o.name) {
		/* The file name, if it fits LISTEN_FDNAMES; else systemd's
		 * name for unnamed fds. */
		const char *slash = strrchr(o.path, '/');
		o.name = slash ? slash + 1 : o.path;
		if (strlen(o.name) > 63 || strchr(o.name, ':'))
			o.name = "unknown";
	}
	const char *names[] = { o.name };
	if (notify_export_fds(1, names, &e) < 0)
		die(MS_EXIT_USAGE, "--name: %s", e.msg);

	int fd = sock_listen_path(o.path, &o.sock, &e);
	if (fd < 0)
		die_err(&e);
	/* The program (this pid, after exec) removes the file when it stops
	 * (migsock-relay does). */
	char pid[24];
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	if (setenv(NOTIFY_BIND_PATH_ENV, o.path, 1) < 0 ||
	    setenv(NOTIFY_BIND_PID_ENV, pid, 1) < 0) {
		sock_unlink_if_ours(o.path, fd);
		die_errno(MS_EXIT_SYS, "cannot set %s", NOTIFY_BIND_PATH_ENV);
	}
	place_at_fd3(fd, o.nonblock);
	execvp(o.argv[0], o.argv);

	int err = errno;
	sock_unlink_if_ours(o.path, fd);
	errno = err;
	die_errno(err == ENOENT ? MS_EXIT_NOENT : MS_EXIT_EXEC, "cannot run %s", o.argv[0]);
}
