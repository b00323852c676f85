// SPDX-License-Identifier: MIT
/* migsock-relay - forward UNIX-socket connections to an upstream socket,
 * zero-copy, in one sandboxed event loop. main() only wires the modules:
 * options (opts.c), sockets (setup.c), the loop (loop.c, conn.c, fwd.c). */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "label.h"
#include "relay.h"
#include "report.h"
#include "sandbox.h"
#include "help-relay.h"

/* The text is man/migsock-relay.1.scd, rendered by man/scd2help at build
 * time (man/man.mk): edit the man page, not this file. */
static const char usage[] = MIGSOCK_HELP;

/* Each connection holds two sockets and up to four pipe ends. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static size_t read_proc_size(const char *path, size_t dflt)
{
	FILE *f = fopen(path, "re");
	unsigned long v;

	if (!f)
		return dflt;
	if (fscanf(f, "%lu", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

static void init_pipe_budget(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	fwd_budget_init(read_proc_size("/proc/sys/fs/pipe-max-size", 1 << 20),
			read_proc_size("/proc/sys/fs/pipe-user-pages-soft", 16384),
			page);
}

int main(int argc, char *argv[])
{
	static struct relay_opts o;
	static struct relay r;
	struct ms_error e = { 0 };
	struct sandbox_opts so = { 0 };

	log_init(argv[0]);
	int action = relay_opts_parse(argc, argv, getenv("LISTEN_FDS") != NULL, &o, &e);
	/* Even a bad command line is reported in the asked format, if
	 * --log-format came before the mistake. */
	report_init(o.log_format);
	if (action < 0)
		die_err(&e);
	if (action == RELAY_HELP) {
		fputs(usage, stdout);
		return MS_EXIT_OK;
	}
	if (action == RELAY_VERSION) {
		cli_print_version();
		return MS_EXIT_OK;
	}
	if (o.ready_fd >= 0 && fcntl(o.ready_fd, F_GETFD) < 0)
		die(MS_EXIT_USAGE, "--ready-fd %d: not an open file descriptor: open it in the caller (e.g. %d>file)",
		    o.ready_fd, o.ready_fd);
	raise_nofile();
	init_pipe_budget();
	signal(SIGPIPE, SIG_IGN);
	if (relay_setup(&r, &o, &e) < 0)
		die_err(&e);
	report_listeners(&r, &o);
	so.disabled = o.no_sandbox;
	if (relay_loop_init(&r, &e) < 0 || sandbox_enter(&so, &e) < 0) {
		relay_loop_close(&r);
		relay_close_listeners(&r);
		die_err(&e);
	}
	notify_ready(o.ready_fd, "serving");
	relay_run(&r);
	report_stats(&r);
	return MS_EXIT_OK;
}
