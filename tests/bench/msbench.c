// SPDX-License-Identifier: MIT
/* msbench.c - load generator and measuring client for the relay benchmark.
 *
 *   msbench server --listen PATH          the far end: sink, source, echo, hold
 *   msbench stream --connect PATH ...     N bytes over 1..K parallel streams
 *   msbench rr     --connect PATH ...     request/response round trips
 *   msbench hold   --connect PATH ...     open idle connections, read the
 *                                         forwarder's memory while held
 *   msbench wait   --connect PATH         until something accepts at PATH
 *   msbench report FILE                   the table from the results lines
 *   msbench targets FILE                  issue 12's targets, TSV (report.c)
 *   msbench memwatch --cgroup DIR...      peak memory of a cgroup (watch.c)
 *   msbench spin                          a CPU hog (watch.c)
 *
 * The client talks to `msbench server` either directly or through a
 * forwarder under test (migsock-relay, socat). With --pid FORWARDER it reads
 * the forwarder's CPU time and memory from /proc, summed over the forwarder
 * and every descendant (socat forks one child per connection), while all
 * connections are still open, so no child has exited and lost its ticks.
 *
 * Every byte is checked: stream data is a fixed pseudo-random pattern of
 * prime period, so a dropped, duplicated or reordered chunk shows up at its
 * offset; round-trip messages carry their sequence number.
 *
 * Measurement commands print one line of key=value pairs on stdout.
 */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sockpath.h"
#include "msbench.h"
#include "util.h"

/* --- the data pattern ------------------------------------------------------ */

/* Byte o of every stream is pat[o % PAT_PERIOD]. The period is prime, so it
 * shares no factor with page, pipe or buffer sizes: moving a chunk anywhere
 * else in the stream changes the bytes at its offset. pat holds one period
 * plus MAX_CHUNK more bytes, so any chunk is one contiguous slice. */
#define PAT_PERIOD 1048573u
#define MAX_CHUNK (1u << 20)
static unsigned char pat[PAT_PERIOD + MAX_CHUNK];

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void pattern_init(void)
{
	uint64_t seed = 0x6d69677365636b21ull;

	for (size_t i = 0; i < PAT_PERIOD; i++)
		pat[i] = (unsigned char)splitmix64(&seed);
	for (size_t i = PAT_PERIOD; i < sizeof(pat); i++)
		pat[i] = pat[i - PAT_PERIOD];
}

static const unsigned char *pattern_at(uint64_t offset)
{
	return pat + offset % PAT_PERIOD;
}

/* Offset of the first byte of buf[0..len) that differs from the pattern at
 * stream offset @offset, or UINT64_MAX. */
static uint64_t pattern_mismatch(const unsigned char *buf, size_t len,
				 uint64_t offset)
{
	const unsigned char *want = pattern_at(offset);

	if (memcmp(buf, want, len) == 0)
		return UINT64_MAX;
	for (size_t i = 0;; i++)
		if (buf[i] != want[i])
			return offset + i;
}

/* Sampled check: the first and last byte of what one read returned, and
 * 8 bytes at every 4 KiB boundary of the stream inside it. Comparing every
 * byte costs the receiver as much as the copy out of the socket (memcmp
 * was 43% of the server's time in a profile), which is not what the
 * benchmark measures; a byte lost, doubled or moved still shifts every
 * sample after it, and the pattern does not repeat within 1 MiB. */
#define SAMPLE_STEP 4096u
#define SAMPLE_LEN 8u

static uint64_t pattern_mismatch_sampled(const unsigned char *buf, size_t len,
					 uint64_t offset)
{
	const unsigned char *want = pattern_at(offset);
	size_t first = (size_t)((SAMPLE_STEP - offset % SAMPLE_STEP) % SAMPLE_STEP);

	if (buf[0] != want[0])
		return offset;
	if (buf[len - 1] != want[len - 1])
		return pattern_mismatch(buf, len, offset);
	for (size_t i = first; i < len; i += SAMPLE_STEP) {
		size_t n = len - i < SAMPLE_LEN ? len - i : SAMPLE_LEN;

		if (memcmp(buf + i, want + i, n) != 0)
			return pattern_mismatch(buf + i, n, offset + i);
	}
	return UINT64_MAX;
}

static uint64_t check_pattern(bool sampled, const unsigned char *buf,
			      size_t len, uint64_t offset)
{
	return sampled ? pattern_mismatch_sampled(buf, len, offset)
		       : pattern_mismatch(buf, len, offset);
}

/* --- wire protocol --------------------------------------------------------- */

#define HELLO_MAGIC 0x3142534du /* "MSB1" */

enum mode {
	MODE_SINK = 1,   /* client sends `bytes`, server checks, replies result */
	MODE_SOURCE = 2, /* server sends `bytes`, client checks */
	MODE_ECHO = 3,   /* server echoes messages of `size` bytes until EOF */
	MODE_HOLD = 4,   /* server sends an ack, then waits for EOF */
};

struct hello {
	uint32_t magic;
	uint32_t mode;
	uint64_t bytes;
	uint32_t size;
	uint32_t flags;
};

#define HELLO_SAMPLED 1u /* check samples of the stream, not every byte */

/* What the server says after a sink stream: bytes seen, the first bad
 * offset (UINT64_MAX when every byte matched), and what receiving cost. */
struct verdict {
	uint64_t bytes;
	uint64_t bad_offset;
	uint64_t cpu_ns; /* the server thread's CPU time for this stream */
	uint64_t reads;  /* read() calls that returned data */
};

#define HOLD_ACK 0x4b434148u

/* --- small I/O helpers ----------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly @len bytes. Returns 1 done, 0 EOF before any byte, -1 error
 * (errno EPIPE for EOF in the middle). */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			if (got == 0)
				return 0;
			errno = EPIPE;
			return -1;
		}
		got += (size_t)n;
	}
	return 1;
}

static int sockaddr_for(const char *path, struct sockaddr_un *sa,
			struct ms_error *e)
{
	size_t len = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (len >= sizeof(sa->sun_path))
		return ms_fail(e, MS_EXIT_PATH,
			       "socket path %s is %zu bytes, the limit is %zu: use a shorter directory",
			       path, len, sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path, path, len);
	return 0;
}

static int connect_to(const char *path, struct ms_error *e)
{
	return sock_connect_path(path, NULL, false, e);
}

/* Connect and send the hello that picks the server's mode. */
static int open_session(const char *path, enum mode mode, uint64_t bytes,
			uint32_t size, uint32_t flags, struct ms_error *e)
{
	struct hello h = { .magic = HELLO_MAGIC, .mode = mode,
			   .bytes = bytes, .size = size, .flags = flags };
	_cleanup_fd_ int fd = connect_to(path, e);

	if (fd < 0)
		return -1;
	if (write_all(fd, &h, sizeof(h)) < 0)
		return ms_fail_errno(e, MS_EXIT_FAIL, "send hello to %s", path);
	return steal_fd(&fd);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1,024 idle connections plus a server need more than the usual soft limit
 * of 1,024 descriptors: take the hard limit. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --- the forwarder's process tree in /proc --------------------------------- */

struct tree_usage {
	unsigned procs;
	uint64_t ticks;   /* utime + stime, clock ticks */
	uint64_t cpu_ns;  /* time on CPU from schedstat, 0 if unavailable */
	uint64_t runs;    /* times put on a CPU (schedstat): ~ wake-ups */
	uint64_t hwm_kib; /* sum of VmHWM */
	uint64_t rss_kib; /* sum of VmRSS */
	uint64_t pss_kib; /* sum of Pss (smaps_rollup): shared pages split */
};

struct proc_row {
	pid_t pid, ppid;
	uint64_t ticks;
};

/* Fields after "pid (comm)": state ppid ... utime(14) stime(15). comm may
 * hold spaces and parentheses, so parse from the last ')'. */
static int read_stat(pid_t pid, struct proc_row *row)
{
	char path[64], buf[1024];
	unsigned long long ut, st;
	int ppid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu",
			 &ppid, &ut, &st) != 3)
		return -1;
	row->pid = pid;
	row->ppid = ppid;
	row->ticks = ut + st;
	return 0;
}

/* Every process on the machine with its parent and CPU ticks. */
static size_t scan_procs(struct proc_row **out)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0, cap = 0;
	struct proc_row *rows = NULL;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 512;
			struct proc_row *nr = realloc(rows, cap * sizeof(*rows));
			if (!nr)
				break;
			rows = nr;
		}
		if (read_stat((pid_t)pid, &rows[n]) == 0)
			n++;
	}
	closedir(d);
	*out = rows;
	return n;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static const struct proc_row *find_pid(const struct proc_row *rows, size_t n,
				       pid_t pid)
{
	struct proc_row key = { .pid = pid };

	return bsearch(&key, rows, n, sizeof(*rows), cmp_pid);
}

/* Is @row @root itself or one of its descendants? */
static bool descends_from(const struct proc_row *rows, size_t n,
			  const struct proc_row *row, pid_t root)
{
	for (int depth = 0; row && depth < 64; depth++) {
		if (row->pid == root)
			return true;
		if (row->ppid <= 1)
			return false;
		row = find_pid(rows, n, row->ppid);
	}
	return false;
}

/* The "KEY:  N kB" line of /proc/PID/FILE, in KiB; 0 if absent. */
uint64_t proc_kib(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	uint64_t kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			kib = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/* Nanoseconds on CPU, and how many times it got a CPU, summed over every
 * thread of @pid (schedstat's first and third fields).
 * utime+stime come in whole clock ticks per process: with one socat child
 * per connection, each child's truncated remainder adds up to a large error
 * (64 children of 30 ms each lose up to 0.64 s). */
static void proc_schedstat(pid_t pid, struct tree_usage *u)
{
	char path[64];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char file[384];
		unsigned long long ns, wait_ns, runs;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "/proc/%d/task/%s/schedstat", (int)pid,
			 de->d_name);
		f = fopen(file, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu %llu %llu", &ns, &wait_ns, &runs) == 3) {
			u->cpu_ns += ns;
			u->runs += runs;
		}
		fclose(f);
	}
	closedir(d);
}

/* CPU ticks (and with @memory, memory figures) of @root and all its
 * descendants. */
static int tree_usage(pid_t root, bool memory, struct tree_usage *u,
		      struct ms_error *e)
{
	_cleanup_free_ struct proc_row *rows = NULL;
	size_t n = scan_procs(&rows);

	memset(u, 0, sizeof(*u));
	qsort(rows, n, sizeof(*rows), cmp_pid);
	if (!find_pid(rows, n, root))
		return ms_fail(e, MS_EXIT_FAIL,
			       "forwarder pid %d is not running: check its log",
			       (int)root);
	for (size_t i = 0; i < n; i++) {
		if (!descends_from(rows, n, &rows[i], root))
			continue;
		u->procs++;
		u->ticks += rows[i].ticks;
		proc_schedstat(rows[i].pid, u);
		if (!memory)
			continue;
		u->hwm_kib += proc_kib(rows[i].pid, "status", "VmHWM");
		u->rss_kib += proc_kib(rows[i].pid, "status", "VmRSS");
		u->pss_kib += proc_kib(rows[i].pid, "smaps_rollup", "Pss");
	}
	return 0;
}

/* The PIDs of @root and all its descendants, into *@out (malloc'd). */
static size_t tree_pids(pid_t root, pid_t **out)
{
	_cleanup_free_ struct proc_row *rows = NULL;
	size_t n = scan_procs(&rows), k = 0;
	pid_t *pids = calloc(n ? n : 1, sizeof(*pids));

	*out = pids;
	if (!pids)
		return 0;
	qsort(rows, n, sizeof(*rows), cmp_pid);
	for (size_t i = 0; i < n; i++)
		if (descends_from(rows, n, &rows[i], root))
			pids[k++] = rows[i].pid;
	return k;
}

static double ticks_to_s(uint64_t ticks)
{
	return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* --- server ---------------------------------------------------------------- */

/* Wait for the client to close before closing our side: while a client
 * still measures, its forwarder (and socat's per-connection child) must
 * stay alive. */
static void drain_to_eof(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

static void serve_sink(int fd, uint64_t bytes, bool sampled)
{
	_cleanup_free_ unsigned char *buf = malloc(MAX_CHUNK);
	struct verdict v = { .bad_offset = UINT64_MAX };
	uint64_t cpu0 = thread_cpu_ns();

	if (!buf)
		return;
	while (v.bytes < bytes) {
		uint64_t left = bytes - v.bytes;
		ssize_t n = read(fd, buf, left < MAX_CHUNK ? left : MAX_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (v.bad_offset == UINT64_MAX)
			v.bad_offset = check_pattern(sampled, buf, (size_t)n, v.bytes);
		v.bytes += (uint64_t)n;
		v.reads++;
	}
	v.cpu_ns = thread_cpu_ns() - cpu0;
	if (write_all(fd, &v, sizeof(v)) == 0)
		drain_to_eof(fd);
}

static void serve_source(int fd, uint64_t bytes)
{
	for (uint64_t off = 0; off < bytes;) {
		uint64_t left = bytes - off;
		size_t len = left < MAX_CHUNK ? (size_t)left : MAX_CHUNK;
		ssize_t n = write(fd, pattern_at(off), len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (uint64_t)n;
	}
	drain_to_eof(fd);
}

static void serve_echo(int fd, uint32_t size)
{
	_cleanup_free_ char *msg = malloc(size ? size : 1);

	if (!msg || size == 0 || size > MAX_CHUNK)
		return;
	while (read_all(fd, msg, size) == 1)
		if (write_all(fd, msg, size) < 0)
			return;
}

static void serve_hold(int fd)
{
	uint32_t ack = HOLD_ACK;

	if (write_all(fd, &ack, sizeof(ack)) == 0)
		drain_to_eof(fd);
}

static void *serve_conn(void *arg)
{
	_cleanup_fd_ int fd = (int)(intptr_t)arg;
	struct hello h;
	int r = read_all(fd, &h, sizeof(h));

	/* A bare connect-and-close is a readiness probe (msbench wait). */
	if (r == 0)
		return NULL;
	if (r < 0 || h.magic != HELLO_MAGIC) {
		log_warn("connection without a valid hello: is a forwarder altering data?");
		return NULL;
	}
	switch (h.mode) {
	case MODE_SINK: serve_sink(fd, h.bytes, h.flags & HELLO_SAMPLED); break;
	case MODE_SOURCE: serve_source(fd, h.bytes); break;
	case MODE_ECHO: serve_echo(fd, h.size); break;
	case MODE_HOLD: serve_hold(fd); break;
	default: log_warn("hello with unknown mode %u", h.mode);
	}
	return NULL;
}

static int listen_on(const char *path, struct ms_error *e)
{
	struct sockaddr_un sa;
	_cleanup_fd_ int fd = -1;

	if (sockaddr_for(path, &sa, e) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ms_fail_errno(e, MS_EXIT_PATH,
				     "bind %s: remove it or pick a fresh directory", path);
	if (listen(fd, SOMAXCONN) < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "listen on %s", path);
	return steal_fd(&fd);
}

/* One thread per connection: simple, and the server is not what we
 * measure. Small stacks, since 1,024 idle connections mean 1,024 threads. */
static noreturn void serve(int lfd)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (;;) {
		pthread_t t;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			die_errno(MS_EXIT_SYS, "accept: raise the open-files limit (ulimit -n)");
		int err = pthread_create(&t, &attr, serve_conn, (void *)(intptr_t)fd);
		if (err) {
			errno = err;
			die_errno(MS_EXIT_SYS, "pthread_create");
		}
	}
}

/* --- options --------------------------------------------------------------- */

struct opts {
	const char *listen, *connect;
	uint64_t bytes;
	unsigned streams;
	size_t chunk;
	bool down, sampled;
	int sndbuf;
	pid_t pid;
	uint64_t corrupt_at;
	unsigned count, size, conns;
	double timeout;
};

static uint64_t parse_size(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'T': v <<= 10; /* fall through */
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	default: break;
	}
	if (errno || end == s || *end || *s == '-')
		die(MS_EXIT_USAGE,
		    "%s %s: not a size: use a number with an optional K, M, G suffix (powers of 1024)",
		    opt, s);
	return v;
}

static bool parse_verify(const char *s)
{
	if (strcmp(s, "sampled") == 0)
		return true;
	if (strcmp(s, "full") != 0)
		die(MS_EXIT_USAGE, "--verify %s: use full (every byte) or sampled", s);
	return false;
}

static noreturn void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: msbench server --listen PATH\n"
		"       msbench stream --connect PATH [--bytes N] [--streams K] [--chunk N]\n"
		"                      [--down] [--verify full|sampled] [--pid PID]\n"
		"                      [--sndbuf N] [--corrupt-at OFFSET]\n"
		"       msbench rr     --connect PATH [--count N] [--size N] [--pid PID]\n"
		"       msbench hold   --connect PATH [--conns N] [--pid PID]\n"
		"       msbench wait   --connect PATH [--timeout SECONDS]\n"
		"       msbench report RESULTS-FILE\n"
		"       msbench targets RESULTS-FILE\n"
		"       msbench memwatch --cgroup DIR... (see msbench memwatch --help)\n"
		"       msbench spin [--timeout SECONDS]\n"
		"Sizes take K, M, G suffixes (powers of 1024). --sndbuf: SO_SNDBUF of\n"
		"the client's sockets (on a UNIX stream socket the sender's buffer\n"
		"bounds the bytes in flight). --pid: the forwarder\n"
		"between client and server; its CPU time and memory (with stream: peak\n"
		"RSS and the capacity of its pipes), summed over its descendants, are\n"
		"printed too.\n");
	exit(code);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "streams", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "down", no_argument, NULL, 'd' },
		{ "verify", required_argument, NULL, 'v' },
		{ "sndbuf", required_argument, NULL, 'B' },
		{ "pid", required_argument, NULL, 'p' },
		{ "corrupt-at", required_argument, NULL, 'x' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'z' },
		{ "conns", required_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, '?' },
		{ 0 },
	};
	int c;

	*o = (struct opts){ .bytes = 4ull << 30, .streams = 1, .chunk = 256 * 1024,
			    .corrupt_at = UINT64_MAX, .count = 20000, .size = 64,
			    .conns = 1024, .timeout = 10 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'c': o->connect = optarg; break;
		case 'b': o->bytes = parse_size("--bytes", optarg); break;
		case 's': o->streams = (unsigned)parse_size("--streams", optarg); break;
		case 'k': o->chunk = parse_size("--chunk", optarg); break;
		case 'd': o->down = true; break;
		case 'v': o->sampled = parse_verify(optarg); break;
		case 'B': o->sndbuf = (int)parse_size("--sndbuf", optarg); break;
		case 'p': o->pid = (pid_t)parse_size("--pid", optarg); break;
		case 'x': o->corrupt_at = parse_size("--corrupt-at", optarg); break;
		case 'n': o->count = (unsigned)parse_size("--count", optarg); break;
		case 'z': o->size = (unsigned)parse_size("--size", optarg); break;
		case 'h': o->conns = (unsigned)parse_size("--conns", optarg); break;
		case 't': o->timeout = strtod(optarg, NULL); break;
		default: usage(MS_EXIT_USAGE);
		}
	}
	if (optind != argc)
		die(MS_EXIT_USAGE, "unexpected argument %s: see --help", argv[optind]);
	if (o->chunk == 0 || o->chunk > MAX_CHUNK)
		die(MS_EXIT_USAGE, "--chunk %zu: use 1 to %u bytes", o->chunk, MAX_CHUNK);
	if (o->streams == 0 || o->streams > 4096)
		die(MS_EXIT_USAGE, "--streams %u: use 1 to 4096", o->streams);
	if (o->size < 16 || o->size > MAX_CHUNK)
		die(MS_EXIT_USAGE, "--size %u: use 16 to %u bytes", o->size, MAX_CHUNK);
}

static const char *need_connect(const struct opts *o)
{
	if (!o->connect)
		die(MS_EXIT_USAGE, "missing --connect PATH: the server's or forwarder's socket");
	return o->connect;
}

/* --- stream ---------------------------------------------------------------- */

struct stream_job {
	int fd;
	uint64_t bytes;
	size_t chunk;
	bool down, sampled;
	uint64_t corrupt_at;
	pthread_barrier_t *start;
	struct ms_error err;
	int failed;
	uint64_t client_cpu_ns, server_cpu_ns, server_reads;
};

/* Send @bytes of the pattern, flipping one byte at @corrupt_at (the smoke
 * test proves the check catches it), then read the server's verdict. */
static int send_stream(struct stream_job *j)
{
	_cleanup_free_ unsigned char *bad = NULL;
	struct verdict v;

	for (uint64_t off = 0; off < j->bytes;) {
		uint64_t left = j->bytes - off;
		size_t len = left < j->chunk ? (size_t)left : j->chunk;
		const unsigned char *p = pattern_at(off);

		if (j->corrupt_at >= off && j->corrupt_at - off < len) {
			bad = malloc(len);
			if (!bad)
				return ms_fail(&j->err, MS_EXIT_SYS, "out of memory");
			memcpy(bad, p, len);
			bad[j->corrupt_at - off] ^= 0x5a;
			p = bad;
		}
		ssize_t n = write(j->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ms_fail_errno(&j->err, MS_EXIT_FAIL,
					     "send at byte %" PRIu64, off);
		off += (uint64_t)n;
		free(steal_pointer(&bad));
	}
	if (read_all(j->fd, &v, sizeof(v)) != 1)
		return ms_fail_errno(&j->err, MS_EXIT_FAIL,
				     "no verdict from the server after %" PRIu64 " bytes",
				     j->bytes);
	if (v.bytes != j->bytes)
		return ms_fail(&j->err, MS_EXIT_FAIL,
			       "server received %" PRIu64 " of %" PRIu64 " bytes",
			       v.bytes, j->bytes);
	if (v.bad_offset != UINT64_MAX)
		return ms_fail(&j->err, MS_EXIT_FAIL,
			       "server saw wrong data at byte %" PRIu64
			       ": the path between client and server altered the stream",
			       v.bad_offset);
	j->server_cpu_ns = v.cpu_ns;
	j->server_reads = v.reads;
	return 0;
}

static int receive_stream(struct stream_job *j)
{
	_cleanup_free_ unsigned char *buf = malloc(MAX_CHUNK);
	uint64_t off = 0;

	if (!buf)
		return ms_fail(&j->err, MS_EXIT_SYS, "out of memory");
	while (off < j->bytes) {
		uint64_t left = j->bytes - off;
		ssize_t n = read(j->fd, buf, left < j->chunk ? (size_t)left : j->chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ms_fail_errno(&j->err, MS_EXIT_FAIL,
					     "receive at byte %" PRIu64, off);
		if (n == 0)
			return ms_fail(&j->err, MS_EXIT_FAIL,
				       "stream ended after %" PRIu64 " of %" PRIu64 " bytes",
				       off, j->bytes);
		uint64_t bad = check_pattern(j->sampled, buf, (size_t)n, off);
		if (bad != UINT64_MAX)
			return ms_fail(&j->err, MS_EXIT_FAIL,
				       "received wrong data at byte %" PRIu64
				       ": the path between server and client altered the stream",
				       bad);
		off += (uint64_t)n;
	}
	return 0;
}

static void *stream_thread(void *arg)
{
	struct stream_job *j = arg;

	pthread_barrier_wait(j->start);
	uint64_t cpu0 = thread_cpu_ns();
	j->failed = (j->down ? receive_stream(j) : send_stream(j)) < 0;
	j->client_cpu_ns = thread_cpu_ns() - cpu0;
	return NULL;
}

/* CPU use of the forwarder tree (zero without --pid). */
static struct tree_usage forwarder_cpu(pid_t pid)
{
	struct tree_usage u = { 0 };
	struct ms_error e;

	if (pid && tree_usage(pid, false, &u, &e) < 0)
		die_err(&e);
	return u;
}

/* The forwarder's memory while the streams run: a thread samples it
 * every 250 ms (the first time 200 ms in, when socat has forked its
 * children: the list of processes is taken then and kept, so later samples
 * cost a few reads of /proc). VmHWM at the end gives the true peak RSS;
 * pipe capacity has no high-water mark, hence the samples. */
struct mem_watch {
	pid_t root;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	struct mem_sample peak;
	uint64_t rss_end_kib;
	unsigned samples;
};

/* Wait @ms or until the watch is done; true when done. */
static bool watch_wait(struct mem_watch *w, long ms)
{
	struct timespec ts;
	bool done;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->done &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT)
		;
	done = w->done;
	pthread_mutex_unlock(&w->lock);
	return done;
}

static void *mem_watch_thread(void *arg)
{
	struct mem_watch *w = arg;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	long wait_ms = 200;

	while (!watch_wait(w, wait_ms)) {
		struct mem_sample s;

		if (!pids)
			n = tree_pids(w->root, &pids);
		mem_sample(pids, n, &s);
		mem_peak(&w->peak, &s);
		w->samples++;
		wait_ms = 250;
	}
	return NULL;
}

static void mem_watch_start(struct mem_watch *w, pthread_t *tid, pid_t root)
{
	*w = (struct mem_watch){ .root = root };
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(tid, NULL, mem_watch_thread, w))
		die(MS_EXIT_SYS, "cannot start the memory watch thread");
}

/* Stop the watch and fold in a last sample, taken now, while every
 * connection is still open. */
static void mem_watch_stop(struct mem_watch *w, pthread_t tid)
{
	_cleanup_free_ pid_t *pids = NULL;
	struct mem_sample s;
	size_t n;

	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(tid, NULL);
	n = tree_pids(w->root, &pids);
	mem_sample(pids, n, &s);
	mem_peak(&w->peak, &s);
	w->samples++;
	/* VmHWM is each process's own lifetime peak: the sum at the end, not
	 * the largest sum seen. */
	w->peak.hwm_kib = s.hwm_kib;
	w->rss_end_kib = s.rss_kib;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

static void print_mem_watch(const struct mem_watch *w)
{
	printf(" fwd_hwm_kib=%" PRIu64 " fwd_rss_kib=%" PRIu64 " fwd_rss_peak_kib=%" PRIu64,
	       w->peak.hwm_kib, w->rss_end_kib, w->peak.rss_kib);
	if (w->peak.pipes_kib >= 0)
		printf(" fwd_pipes_kib=%" PRId64, w->peak.pipes_kib);
	printf(" pipe_budget_kib=%" PRIu64 " mem_samples=%u", pipe_budget_kib(),
	       w->samples);
}

/* fwd_cpu_s: schedstat nanoseconds where the kernel has them, else
 * utime+stime; fwd_stat_cpu_s: utime+stime from /proc/PID/stat. */
static void print_stream_result(const struct opts *o, uint64_t total,
				double secs, struct tree_usage t0,
				struct tree_usage t1, const struct stream_job *jobs,
				const struct mem_watch *mw)
{
	uint64_t client_ns = 0, server_ns = 0, reads = 0;
	double gb = (double)total / 1e9;
	double stat_s = ticks_to_s(t1.ticks - t0.ticks);
	double cpu_s = t1.cpu_ns ? (double)(t1.cpu_ns - t0.cpu_ns) / 1e9 : stat_s;

	printf("test=%s streams=%u bytes=%" PRIu64 " verify=%s seconds=%.4f gbps=%.4f",
	       o->streams > 1 ? "parallel" : "stream", o->streams, total,
	       o->sampled ? "sampled" : "full", secs, gb / secs);
	if (o->pid)
		printf(" fwd_cpu_s=%.3f fwd_cpu_s_per_gb=%.4f fwd_cpu_s_per_gib=%.4f"
		       " fwd_stat_cpu_s=%.2f fwd_runs_per_mb=%.2f",
		       cpu_s, cpu_s / gb, cpu_s / ((double)total / (1u << 30)), stat_s,
		       (double)(t1.runs - t0.runs) / ((double)total / 1e6));
	if (o->pid)
		print_mem_watch(mw);
	/* The ends' own costs: the forwarder can raise them (small skbs,
	 * more wake-ups), which its own CPU time does not show. */
	for (unsigned i = 0; i < o->streams; i++) {
		client_ns += jobs[i].client_cpu_ns;
		server_ns += jobs[i].server_cpu_ns;
		reads += jobs[i].server_reads;
	}
	printf(" client_cpu_s_per_gb=%.4f", (double)client_ns / 1e9 / gb);
	if (!o->down)
		printf(" server_cpu_s_per_gb=%.4f server_kib_per_read=%.1f",
		       (double)server_ns / 1e9 / gb,
		       reads ? (double)total / 1024 / (double)reads : 0);
	printf("\n");
}

static int cmd_stream(const struct opts *o)
{
	const char *path = need_connect(o);
	uint64_t per = o->bytes / o->streams;
	_cleanup_free_ struct stream_job *jobs = calloc(o->streams, sizeof(*jobs));
	_cleanup_free_ pthread_t *tids = calloc(o->streams, sizeof(*tids));
	pthread_barrier_t start;
	struct ms_error e;
	int failed = 0;

	if (!jobs || !tids)
		die(MS_EXIT_SYS, "out of memory for %u streams", o->streams);
	/* Connect everything first: connection setup is not throughput. */
	for (unsigned i = 0; i < o->streams; i++) {
		jobs[i] = (struct stream_job){ .bytes = per, .chunk = o->chunk,
					       .down = o->down, .sampled = o->sampled,
					       .start = &start,
					       .corrupt_at = i ? UINT64_MAX : o->corrupt_at };
		jobs[i].fd = open_session(path, o->down ? MODE_SOURCE : MODE_SINK,
					  per, 0, o->sampled ? HELLO_SAMPLED : 0, &e);
		if (jobs[i].fd < 0)
			die_err(&e);
		if (o->sndbuf && setsockopt(jobs[i].fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf,
					    sizeof(o->sndbuf)) < 0)
			die_errno(MS_EXIT_SYS, "SO_SNDBUF %d", o->sndbuf);
	}
	pthread_barrier_init(&start, NULL, o->streams + 1);
	for (unsigned i = 0; i < o->streams; i++)
		if (pthread_create(&tids[i], NULL, stream_thread, &jobs[i]))
			die(MS_EXIT_SYS, "cannot start stream thread %u", i);
	struct tree_usage cpu0 = forwarder_cpu(o->pid);
	struct mem_watch mw = { 0 };
	pthread_t mw_tid;
	if (o->pid)
		mem_watch_start(&mw, &mw_tid, o->pid);
	pthread_barrier_wait(&start);
	double t0 = now_s();
	for (unsigned i = 0; i < o->streams; i++)
		pthread_join(tids[i], NULL);
	double secs = now_s() - t0;
	/* Sampled before any connection closes: socat's children still live. */
	struct tree_usage cpu1 = forwarder_cpu(o->pid);
	if (o->pid)
		mem_watch_stop(&mw, mw_tid);
	for (unsigned i = 0; i < o->streams; i++) {
		if (jobs[i].failed && !failed++)
			log_error("stream %u: %s", i, jobs[i].err.msg);
		close(jobs[i].fd);
	}
	pthread_barrier_destroy(&start);
	if (failed)
		return MS_EXIT_FAIL;
	print_stream_result(o, per * o->streams, secs, cpu0, cpu1, jobs, &mw);
	return 0;
}

/* --- request/response ------------------------------------------------------ */

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One round trip of message @seq: its first 8 bytes are the number, the
 * rest pattern bytes, and the echo must match exactly. */
static int round_trip(int fd, unsigned char *msg, unsigned char *echo,
		      uint32_t size, uint64_t seq, struct ms_error *e)
{
	memcpy(msg, pattern_at(seq), size);
	memcpy(msg, &seq, sizeof(seq));
	if (write_all(fd, msg, size) < 0)
		return ms_fail_errno(e, MS_EXIT_FAIL, "send request %" PRIu64, seq);
	if (read_all(fd, echo, size) != 1)
		return ms_fail_errno(e, MS_EXIT_FAIL, "no reply to request %" PRIu64, seq);
	if (memcmp(msg, echo, size) != 0)
		return ms_fail(e, MS_EXIT_FAIL,
			       "reply %" PRIu64 " differs from its request: the path altered it",
			       seq);
	return 0;
}

static int cmd_rr(const struct opts *o)
{
	const char *path = need_connect(o);
	unsigned warmup = o->count / 10 < 200 ? o->count / 10 : 200;
	_cleanup_free_ unsigned char *msg = malloc(o->size);
	_cleanup_free_ unsigned char *echo = malloc(o->size);
	_cleanup_free_ double *us = calloc(o->count ? o->count : 1, sizeof(double));
	_cleanup_fd_ int fd = -1;
	struct ms_error e;
	double sum = 0;

	if (!msg || !echo || !us || o->count == 0)
		die(MS_EXIT_USAGE, "--count %u: use at least 1", o->count);
	fd = open_session(path, MODE_ECHO, 0, o->size, 0, &e);
	if (fd < 0)
		die_err(&e);
	for (uint64_t seq = 0; seq < warmup + o->count; seq++) {
		double t0 = now_s();

		if (round_trip(fd, msg, echo, o->size, seq, &e) < 0)
			die_err(&e);
		if (seq >= warmup)
			sum += us[seq - warmup] = (now_s() - t0) * 1e6;
	}
	qsort(us, o->count, sizeof(*us), cmp_double);
	printf("test=rr size=%u count=%u p50_us=%.2f p99_us=%.2f mean_us=%.2f\n",
	       o->size, o->count, us[o->count / 2], us[(size_t)o->count * 99 / 100],
	       sum / o->count);
	return 0;
}

/* --- idle connections ------------------------------------------------------ */

static void close_all(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

static int cmd_hold(const struct opts *o)
{
	const char *path = need_connect(o);
	_cleanup_free_ int *fds = calloc(o->conns ? o->conns : 1, sizeof(int));
	struct tree_usage u = { 0 };
	struct ms_error e;

	if (!fds)
		die(MS_EXIT_SYS, "out of memory for %u connections", o->conns);
	raise_nofile();
	/* One at a time, each answered by the server: every connection is
	 * then established end to end, through the forwarder. */
	for (unsigned i = 0; i < o->conns; i++) {
		uint32_t ack = 0;

		fds[i] = open_session(path, MODE_HOLD, 0, 0, 0, &e);
		if (fds[i] < 0 || read_all(fds[i], &ack, sizeof(ack)) != 1 ||
		    ack != HOLD_ACK) {
			if (fds[i] >= 0)
				ms_fail(&e, MS_EXIT_FAIL,
					"connection %u got no answer through %s: check the forwarder's log",
					i + 1, path);
			close_all(fds, fds[i] >= 0 ? i + 1 : i);
			die_err(&e);
		}
	}
	if (o->pid && tree_usage(o->pid, true, &u, &e) < 0) {
		close_all(fds, o->conns);
		die_err(&e);
	}
	close_all(fds, o->conns);
	printf("test=hold conns=%u", o->conns);
	if (o->pid)
		printf(" fwd_procs=%u fwd_hwm_kib=%" PRIu64 " fwd_rss_kib=%" PRIu64
		       " fwd_pss_kib=%" PRIu64,
		       u.procs, u.hwm_kib, u.rss_kib, u.pss_kib);
	printf("\n");
	return 0;
}

static int cmd_wait(const struct opts *o)
{
	const char *path = need_connect(o);
	double deadline = now_s() + o->timeout;
	struct ms_error e;

	for (;;) {
		int fd = connect_to(path, &e);

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (now_s() > deadline)
			die(MS_EXIT_FAIL, "nothing accepts at %s after %.1f s: check the forwarder's log",
			    path, o->timeout);
		usleep(20 * 1000);
	}
}

static int cmd_server(const struct opts *o)
{
	struct ms_error e;
	int lfd;

	if (!o->listen)
		die(MS_EXIT_USAGE, "missing --listen PATH: where the server listens");
	raise_nofile();
	lfd = listen_on(o->listen, &e);
	if (lfd < 0)
		die_err(&e);
	serve(lfd);
}

int main(int argc, char **argv)
{
	struct opts o;

	log_init("msbench");
	if (argc < 2)
		usage(MS_EXIT_USAGE);
	const char *cmd = argv[1];
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc, argv);
	if (strcmp(cmd, "targets") == 0)
		return cmd_targets(argc, argv);
	if (strcmp(cmd, "memwatch") == 0)
		return cmd_memwatch(argc, argv);
	if (strcmp(cmd, "spin") == 0)
		return cmd_spin(argc, argv);
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0)
		usage(0);
	parse_opts(argc - 1, argv + 1, &o);
	pattern_init();
	if (strcmp(cmd, "server") == 0)
		return cmd_server(&o);
	if (strcmp(cmd, "stream") == 0)
		return cmd_stream(&o);
	if (strcmp(cmd, "rr") == 0)
		return cmd_rr(&o);
	if (strcmp(cmd, "hold") == 0)
		return cmd_hold(&o);
	if (strcmp(cmd, "wait") == 0)
		return cmd_wait(&o);
	die(MS_EXIT_USAGE, "unknown command %s: use server, stream, rr, hold, wait, report, targets, memwatch or spin", cmd);
}
