// SPDX-License-Identifier: MIT
/* watch.c - what the benchmarks run beside the thing they measure:
 *
 *   msbench memwatch --cgroup DIR...   peak memory of the processes listed
 *                                      in DIR/cgroup.procs, until SIGTERM
 *   msbench spin [--timeout SECONDS]   one busy loop: a CPU hog for the
 *                                      contention run
 *
 * and mem_sample(), the memory figures of a set of processes that
 * `msbench stream --pid` reads too: VmRSS and VmHWM from /proc/PID/status,
 * and the capacity of the pipes they hold. A forwarder that splices moves
 * its bytes through pipes: their buffers are kernel memory, in no RSS,
 * and only the pipe's own descriptor tells its size (F_GETPIPE_SZ), so
 * each pipe is borrowed with pidfd_getfd(2) (root, Linux 5.6) for that
 * one call.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msbench.h"
#include "util.h"

/* --- pipes ------------------------------------------------------------------ */

/* Inodes of the pipes counted in one sample: a pipe's two ends (and a
 * pipe shared by a parent and its forked child) count once. */
struct inode_set {
	uint64_t *ino;
	size_t n, cap;
};

static bool inode_add(struct inode_set *s, uint64_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ino[i] == ino)
			return false;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *n = realloc(s->ino, cap * sizeof(*n));

		if (!n)
			return false;
		s->ino = n;
		s->cap = cap;
	}
	s->ino[s->n++] = ino;
	return true;
}

/* The capacity of one pipe end @fd of the process behind @pidfd, or -1. */
static long borrowed_pipe_size(int pidfd, int fd)
{
	int mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	long size;

	if (mine < 0)
		return -1;
	size = fcntl(mine, F_GETPIPE_SZ);
	close(mine);
	return size;
}

/* Add the capacity of the pipes @pid holds and @seen lacks to *@bytes.
 * Returns -1 when they cannot be read (no pidfd_getfd, not permitted);
 * a process that exits meanwhile just adds nothing. */
static int pipe_bytes(pid_t pid, struct inode_set *seen, uint64_t *bytes)
{
	char path[64], link[64];
	_cleanup_fd_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (pidfd < 0)
		return errno == ESRCH ? 0 : -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char lpath[320];
		unsigned long long ino;
		ssize_t n;
		long size;

		if (de->d_name[0] == '.')
			continue;
		snprintf(lpath, sizeof(lpath), "%s/%s", path, de->d_name);
		n = readlink(lpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "pipe:[%llu]", &ino) != 1 || !inode_add(seen, ino))
			continue;
		size = borrowed_pipe_size(pidfd, atoi(de->d_name));
		if (size > 0)
			*bytes += (uint64_t)size;
		else if (errno == EPERM || errno == ENOSYS)
			ret = -1;
	}
	closedir(d);
	return ret;
}

/* --- memory of a set of processes ------------------------------------------- */

void mem_sample(const pid_t *pids, size_t n, struct mem_sample *s)
{
	struct inode_set seen = { 0 };
	uint64_t pipes = 0;
	bool pipes_ok = true;

	*s = (struct mem_sample){ .procs = (unsigned)n };
	for (size_t i = 0; i < n; i++) {
		s->rss_kib += proc_kib(pids[i], "status", "VmRSS");
		s->hwm_kib += proc_kib(pids[i], "status", "VmHWM");
		if (pipe_bytes(pids[i], &seen, &pipes) < 0)
			pipes_ok = false;
	}
	s->pipes_kib = pipes_ok ? (int64_t)(pipes / 1024) : -1;
	free(seen.ino);
}

void mem_peak(struct mem_sample *peak, const struct mem_sample *s)
{
	if (s->procs > peak->procs)
		peak->procs = s->procs;
	if (s->rss_kib > peak->rss_kib)
		peak->rss_kib = s->rss_kib;
	if (s->hwm_kib > peak->hwm_kib)
		peak->hwm_kib = s->hwm_kib;
	if (s->pipes_kib < 0 || peak->pipes_kib < 0)
		peak->pipes_kib = -1;
	else if (s->pipes_kib > peak->pipes_kib)
		peak->pipes_kib = s->pipes_kib;
}

/* The kernel's per-user pipe limit, halved as migsock-relay halves it
 * (src/relay/main.c: the relay grows its pipes within half of
 * pipe-user-pages-soft, leaving the rest to default-sized pipes), in KiB;
 * 0 for no limit. */
uint64_t pipe_budget_kib(void)
{
	unsigned long pages = 16384;
	FILE *f = fopen("/proc/sys/fs/pipe-user-pages-soft", "re");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 16384;
		fclose(f);
	}
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE) / 2 / 1024;
}

/* --- memwatch ---------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The PIDs in DIR/cgroup.procs of every cgroup; appends to *pids. */
static void cgroup_pids(char *const *dirs, unsigned ndirs, pid_t **pids,
			size_t *n, size_t *cap)
{
	for (unsigned i = 0; i < ndirs; i++) {
		char path[4096];
		long pid;
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", dirs[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fscanf(f, "%ld", &pid) == 1) {
			if (*n == *cap) {
				size_t c = *cap ? *cap * 2 : 64;
				pid_t *np = realloc(*pids, c * sizeof(*np));

				if (!np)
					break;
				*pids = np;
				*cap = c;
			}
			(*pids)[(*n)++] = (pid_t)pid;
		}
		fclose(f);
	}
}

/* Reset the peak RSS (VmHWM) of every process: clear_refs "5". */
static void reset_hwm(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pids[i]);
		f = fopen(path, "we");
		if (!f)
			continue;
		fputs("5", f);
		fclose(f);
	}
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static void memwatch_usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: msbench memwatch --cgroup DIR [--cgroup DIR...] [--interval SECONDS]\n"
		"                        [--timeout SECONDS]\n"
		"Samples the processes in each DIR/cgroup.procs every --interval (0.1)\n"
		"until SIGTERM, SIGINT or --timeout (600), then prints one line: the peak\n"
		"of their summed VmRSS, the sum of their VmHWM at the end (reset at the\n"
		"start: the peak of the processes that lived through), and the peak\n"
		"capacity of the pipes they held (nan where unreadable).\n");
	exit(code);
}

int cmd_memwatch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cgroup", required_argument, NULL, 'g' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *dirs[16];
	unsigned ndirs = 0, samples = 0;
	double interval = 0.1, timeout = 600, deadline;
	struct mem_sample peak = { 0 }, s, end;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (ndirs == ARRAY_SIZE(dirs))
				die(MS_EXIT_USAGE, "--cgroup: at most %zu", ARRAY_SIZE(dirs));
			dirs[ndirs++] = optarg;
			break;
		case 'i': interval = strtod(optarg, NULL); break;
		case 't': timeout = strtod(optarg, NULL); break;
		case 'h': memwatch_usage(0); break;
		default: memwatch_usage(MS_EXIT_USAGE);
		}
	}
	if (ndirs == 0)
		die(MS_EXIT_USAGE, "memwatch needs --cgroup DIR: the cgroup of the processes to watch");
	if (!(interval > 0 && interval <= 10) || !(timeout > 0))
		die(MS_EXIT_USAGE, "--interval: use 0 to 10 seconds; --timeout: more than 0");
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	cgroup_pids(dirs, ndirs, &pids, &n, &cap);
	if (n == 0)
		die(MS_EXIT_FAIL, "no process in %s/cgroup.procs: is that the forwarder's cgroup?",
		    dirs[0]);
	reset_hwm(pids, n);
	deadline = mono_s() + timeout;
	while (!stop_requested && mono_s() < deadline) {
		n = 0;
		cgroup_pids(dirs, ndirs, &pids, &n, &cap);
		mem_sample(pids, n, &s);
		mem_peak(&peak, &s);
		samples++;
		sleep_s(interval);
	}
	n = 0;
	cgroup_pids(dirs, ndirs, &pids, &n, &cap);
	mem_sample(pids, n, &end);
	printf("memwatch samples=%u procs_max=%u rss_peak_kib=%" PRIu64
	       " rss_end_kib=%" PRIu64 " hwm_end_kib=%" PRIu64,
	       samples, peak.procs, peak.rss_kib, end.rss_kib, end.hwm_kib);
	if (peak.pipes_kib < 0)
		printf(" pipes_peak_kib=nan\n");
	else
		printf(" pipes_peak_kib=%" PRId64 "\n", peak.pipes_kib);
	return 0;
}

/* --- spin ------------------------------------------------------------------- */

/* One busy loop on whatever CPU the scheduler gives it, until SIGTERM,
 * the parent's death (PR_SET_PDEATHSIG: a harness killed with SIGKILL
 * leaves no hog behind) or --timeout, whichever comes first. */
int cmd_spin(int argc, char **argv)
{
	double timeout = 600, deadline;
	volatile uint64_t x = 0;
	pid_t parent = getppid();

	if (argc == 4 && strcmp(argv[2], "--timeout") == 0)
		timeout = strtod(argv[3], NULL);
	else if (argc != 2)
		die(MS_EXIT_USAGE, "usage: msbench spin [--timeout SECONDS] (default 600)");
	if (!(timeout > 0))
		die(MS_EXIT_USAGE, "--timeout %s: use a number of seconds above 0", argv[3]);
	signal(SIGTERM, on_stop);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		return 0;
	deadline = mono_s() + timeout;
	while (!stop_requested) {
		for (unsigned i = 0; i < 10000000u; i++)
			x += i;
		if (mono_s() > deadline)
			break;
	}
	return 0;
}
