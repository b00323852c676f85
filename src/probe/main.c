// SPDX-License-Identifier: MIT
/* migsock-probe - exit 0 if something accepts connections at a UNIX socket
 * path, 1 with a one-line reason otherwise: for shell scripts and pod
 * readiness probes (which cannot reach a UNIX socket by themselves).
 *
 * --through: the socket is a migsock-relay's, and the check goes on to its
 * upstream. The relay connects upstream as soon as it accepts, and closes
 * the client at once when the upstream refuses; so a connection the relay
 * keeps open for --settle seconds (or on which the upstream speaks first)
 * reached the upstream. */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "sockpath.h"
#include "help-probe.h"
#include "util.h"

/* The text is man/migsock-probe.1.scd, rendered by man/scd2help at build
 * time (man/man.mk): edit the man page, not this file. */
static const char usage[] = MIGSOCK_HELP;

enum { OPT_TIMEOUT = 256, OPT_VERSION, OPT_THROUGH, OPT_SETTLE };

static const struct option long_opts[] = {
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "through", no_argument, NULL, OPT_THROUGH },
	{ "settle", required_argument, NULL, OPT_SETTLE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static bool quiet;

static noreturn PRINTF(2, 3) void fail(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (quiet && code == MS_EXIT_FAIL)
		exit(code);
	die(code, "%s", msg);
}

static double parse_seconds(const char *opt, const char *s)
{
	struct ms_error e;
	double v;

	if (cli_opt_seconds(opt, s, 0, 86400, &v, &e) < 0)
		die_err(&e);
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Why @path cannot be connected to, before trying: 0 if it is a socket. */
static void check_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			fail(MS_EXIT_FAIL, "%s: no such file", path);
		if (errno == EACCES)
			fail(MS_EXIT_FAIL, "%s: permission denied (a directory on the way)", path);
		fail(MS_EXIT_FAIL, "%s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		fail(MS_EXIT_FAIL, "%s: not a socket", path);
}

/* One nonblocking connect: 0 connected (the socket in *@out), else errno.
 * A full listen queue is EAGAIN on AF_UNIX; in-progress is waited for up
 * to @left seconds. */
static int try_connect(const struct sockaddr_un *sa, double left, int *out)
{
	_cleanup_fd_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int err = 0;
	socklen_t len = sizeof(err);

	if (s < 0)
		fail(MS_EXIT_SYS, "cannot create a socket: %s", strerror(errno));
	if (connect(s, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		if (errno != EINPROGRESS)
			return errno;
		struct pollfd p = { .fd = s, .events = POLLOUT };
		int r = poll(&p, 1, (int)(left * 1000));
		if (r == 0)
			return ETIMEDOUT;
		if (r < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return errno;
		if (err)
			return err;
	}
	*out = steal_fd(&s);
	return 0;
}

/* --through: does the relay keep connection @fd open for @settle seconds
 * (or pass on bytes its upstream sends first)? A hang-up without data is
 * the relay closing it: its upstream refused. */
static int through(int fd, const char *path, double settle)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char c;
	int r;

	do
		r = poll(&p, 1, (int)(settle * 1000));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		fail(MS_EXIT_SYS, "poll: %s", strerror(errno));
	if (r == 0 || recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
		return MS_EXIT_OK;
	fail(MS_EXIT_FAIL, "%s: the relay accepted, then closed the connection: its upstream does not accept (is the daemon behind it running?)",
	     path);
}

static int probe(const char *path, double timeout, double settle)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double deadline = now() + timeout;
	_cleanup_fd_ int fd = -1;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	check_file(path);
	for (;;) {
		double left = deadline - now();
		int err = try_connect(&sa, left > 0 ? left : 0, &fd);

		switch (err) {
		case 0:
			return settle < 0 ? MS_EXIT_OK : through(fd, path, settle);
		case ECONNREFUSED:
			fail(MS_EXIT_FAIL, "%s: connection refused (stale socket: nothing listens)", path);
		case EACCES:
		case EPERM:
			fail(MS_EXIT_FAIL, "%s: permission denied", path);
		case ENOENT:
			fail(MS_EXIT_FAIL, "%s: no such file", path);
		case EAGAIN:
		case ETIMEDOUT:
			if (left <= 0)
				fail(MS_EXIT_FAIL, "%s: timeout after %gs (the listener does not accept)",
				     path, timeout);
			usleep(left > 0.02 ? 20000 : (useconds_t)(left * 1e6));
			break;
		default:
			fail(MS_EXIT_FAIL, "%s: %s", path, strerror(err));
		}
	}
}

int main(int argc, char *argv[])
{
	struct ms_error e = { 0 };
	double timeout = 5, settle = 1;
	bool through_relay = false;
	int c;

	log_init(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qh", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_TIMEOUT: timeout = parse_seconds("--timeout", optarg); break;
		case OPT_THROUGH: through_relay = true; break;
		case OPT_SETTLE: settle = parse_seconds("--settle", optarg); break;
		case 'q': quiet = true; break;
		case 'h': fputs(usage, stdout); return MS_EXIT_OK;
		case OPT_VERSION: cli_print_version(); return MS_EXIT_OK;
		default:
			cli_bad_option(argv, &e);
			die_err(&e);
		}
	}
	if (optind < argc - 1)
		cli_unexpected_argument(argv[optind + 1], &e), die_err(&e);
	if (optind == argc)
		die(MS_EXIT_USAGE, "missing PATH: try --help");

	if (sockpath_check(argv[optind], &e) < 0)
		die_err(&e);
	return probe(argv[optind], timeout, through_relay ? settle : -1);
}
