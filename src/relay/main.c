// SPDX-License-Identifier: MIT
/* migsock-relay - forward UNIX-socket connections to an upstream socket,
 * zero-copy, in one sandboxed event loop. main() only wires the modules:
 * options (opts.c), sockets (setup.c), the loop (loop.c, conn.c, fwd.c). */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "label.h"
#include "relay.h"
#include "report.h"
#include "sandbox.h"

#ifndef MIGSOCK_VERSION
#define MIGSOCK_VERSION "0.1"
#endif

static const char usage[] =
"Usage: migsock-relay --listen PATH --connect UPSTREAM_PATH [options]\n"
"       migsock-relay --layout FILE --listen-dir DIR --connect-dir DIR\n"
"                     [--channels NAME,...] [options]\n"
"       migsock-relay --connect UPSTREAM_PATH [options]   (LISTEN_FDS set)\n"
"       migsock-relay --layout FILE --connect-dir DIR [options] (LISTEN_FDS set)\n"
"\n"
"Listen on UNIX socket PATH and forward every connection, both ways, to\n"
"the socket UPSTREAM_PATH with splice(): one process, one event loop,\n"
"upstream connects in accept order, half-close passed on.\n"
"With --layout, serve every channel of a socket layout in one process:\n"
"DIR/NAME forwards to DIR2/NAME for each channel, each listening socket\n"
"with the channel's mode and SELinux context. Without --listen or\n"
"--listen-dir, take the listening sockets from systemd socket activation\n"
"(LISTEN_FDS); with --layout they are matched to channels by\n"
"LISTEN_FDNAMES (channel or socket name).\n"
"\n"
"Sockets:\n"
"  --listen PATH          listening socket to create (a stale socket is\n"
"                         replaced; a live one or any other file is not)\n"
"  --connect PATH         upstream socket for every connection\n"
"  --layout FILE          socket layout (default: $MIGSOCK_LAYOUT, else\n"
"                         " LAYOUT_DEFAULT_PATH ")\n"
"  --listen-dir DIR       create the layout's sockets in DIR\n"
"  --connect-dir DIR      forward to the layout's sockets in DIR\n"
"  --channels LIST        serve only these channels (e.g. driver,qemu,nbd)\n"
"  --mode OCTAL           mode of the listening sockets (default: the\n"
"                         layout's, else as the umask makes it)\n"
"  --owner UID[:GID]      owner of the listening sockets\n"
"SELinux:\n"
"  --context CTX          context of the listening sockets (default: the\n"
"                         layout's; " LABEL_HYPERVISOR_SOCKET "\n"
"                         for the hypervisor channels qemu and nbd)\n"
"  --connect-context CTX  context of the relay's upstream sockets\n"
"  --require-label        fail (exit 5) instead of a notice when a socket\n"
"                         cannot be labelled\n"
"Peers (checked on accept; a refused peer is closed and logged):\n"
"  --allow-uid LIST       admit only these users (numbers or names, commas)\n"
"  --allow-gid LIST       admit only these groups\n"
"  --allow-context CTX    admit only peers with this context (repeatable)\n"
"Running:\n"
"  --ready-fd N           write a newline to fd N once serving (also sends\n"
"                         READY=1 to $NOTIFY_SOCKET when set)\n"
"  --log-format FMT       text (default) or json: one line per connection\n"
"                         when it ends (channel, peer, bytes, duration, end)\n"
"  --drain-timeout SEC    on SIGTERM/SIGINT stop accepting, remove the\n"
"                         sockets, and wait this long for open connections\n"
"                         (default 30; a second signal closes them now)\n"
"  --max-conns N          refuse connections beyond N (default 4096)\n"
"  --no-sandbox           do not drop capabilities or load seccomp\n"
"                         (debugging only)\n"
"  -h, --help             this text\n"
"  --version              the version\n"
"\n"
"Exit: 0 done (signal), 2 bad command line, 3 bad layout file, 4 socket\n"
"path refused, 5 SELinux context refused, 8 sandbox failed, 111 system\n"
"error.\n";

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
	if (action < 0)
		die_err(&e);
	if (action == RELAY_HELP) {
		fputs(usage, stdout);
		return MS_EXIT_OK;
	}
	if (action == RELAY_VERSION) {
		printf("migsock-relay %s\n", MIGSOCK_VERSION);
		return MS_EXIT_OK;
	}
	report_init(o.log_format);
	raise_nofile();
	init_pipe_budget();
	signal(SIGPIPE, SIG_IGN);
	if (relay_setup(&r, &o, &e) < 0)
		die_err(&e);
	so.disabled = o.no_sandbox;
	if (relay_loop_init(&r, &e) < 0 || sandbox_enter(&so, &e) < 0) {
		relay_close_listeners(&r);
		die_err(&e);
	}
	notify_ready(o.ready_fd, "serving");
	relay_run(&r);
	return MS_EXIT_OK;
}
