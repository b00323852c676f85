// SPDX-License-Identifier: MIT
/* soakload.c - both ends of the relay soak (tests/soak/soak.sh).
 *
 * One process plays the client and the upstream around a relay:
 *   - an echo server on --upstream (the relay's --connect path): a thread
 *     per connection echoes every byte back and forwards the half-close;
 *   - --streams N long connections to --via (the relay's --listen path),
 *     each writing a pseudo-random byte stream for --seconds and checking
 *     every echoed byte against the same sequence;
 *   - --short M short connections spread over the same time (connect, one
 *     request of 1 B..16 KiB, half-close, read and check the echo, close).
 *
 * Byte i of a stream is a pure function of (seed, i), so any byte can be
 * checked wherever the relay split or merged the writes. Prints figures;
 * exits 0 only if every byte came back intact, every connection completed,
 * and the server saw exactly one upstream connection per client connection.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define SHORT_MAX (16 * 1024)
#define STALL_SECONDS 60

struct opts {
	const char *upstream;
	const char *via;
	int streams;
	int shorts;
	int short_threads;
	double seconds;
};

static struct opts opt = {
	.streams = 64, .shorts = 10000, .short_threads = 4, .seconds = 30,
};

static atomic_ulong upstream_accepted;
static atomic_ulong errors;
static double t_start;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&errors, 1);
	va_start(ap, fmt);
	fputs("soakload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The bytes [off, off+len) of stream @seed. */
static void stream_fill(uint64_t seed, uint64_t off, unsigned char *buf,
			size_t len)
{
	uint64_t block = splitmix(seed ^ (off / 8) * 0x100000001b3ULL);

	for (size_t i = 0; i < len; i++, off++) {
		if (off % 8 == 0)
			block = splitmix(seed ^ (off / 8) * 0x100000001b3ULL);
		buf[i] = (unsigned char)(block >> (8 * (off % 8)));
	}
}

static bool stream_check(uint64_t seed, uint64_t off, const unsigned char *buf,
			 size_t len)
{
	unsigned char want[CHUNK];

	stream_fill(seed, off, want, len);
	return memcmp(want, buf, len) == 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	strcpy(sa->sun_path, path);
	return 0;
}

static int connect_via(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || unix_addr(opt.via, &sa) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	/* A relay that stops forwarding must fail the run, not hang it. */
	struct timeval tv = { .tv_sec = STALL_SECONDS };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* --- upstream: the echo server ---------------------------------------- */

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned char buf[CHUNK];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || write_all(fd, buf, (size_t)r) < 0)
			break; /* the client side reports the damage */
	}
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

static void *echo_server(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fail("upstream accept: %s", strerror(errno));
			sleep(1);
			continue;
		}
		atomic_fetch_add(&upstream_accepted, 1);
		if (pthread_create(&t, &attr, echo_conn, (void *)(intptr_t)fd)) {
			fail("upstream: no thread for a connection");
			close(fd);
		}
	}
	return NULL;
}

static int start_upstream(void)
{
	struct sockaddr_un sa;
	pthread_t t;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || unix_addr(opt.upstream, &sa) < 0)
		return -1;
	unlink(opt.upstream);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, SOMAXCONN) < 0)
		return -1;
	return pthread_create(&t, NULL, echo_server, (void *)(intptr_t)fd) ? -1 : 0;
}

/* --- long streams ------------------------------------------------------ */

struct stream {
	int id;
	uint64_t sent, echoed;
	bool ok;
};

static bool stream_step_out(struct stream *s, int fd, unsigned char *buf)
{
	size_t n = 1 + splitmix(s->sent ^ (uint64_t)s->id) % CHUNK;

	stream_fill((uint64_t)s->id, s->sent, buf, n);
	ssize_t w = write(fd, buf, n);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (w < 0) {
		fail("stream %d: write after %" PRIu64 " bytes: %s", s->id,
		     s->sent, strerror(errno));
		return false;
	}
	s->sent += (uint64_t)w;
	return true;
}

/* Returns 1 to go on, 0 at EOF, -1 on error. */
static int stream_step_in(struct stream *s, int fd, unsigned char *buf)
{
	ssize_t r = read(fd, buf, CHUNK);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (r < 0) {
		fail("stream %d: read after %" PRIu64 " bytes: %s", s->id,
		     s->echoed, strerror(errno));
		return -1;
	}
	if (r == 0)
		return 0;
	if (!stream_check((uint64_t)s->id, s->echoed, buf, (size_t)r)) {
		fail("stream %d: corrupt bytes at offset %" PRIu64, s->id,
		     s->echoed);
		return -1;
	}
	s->echoed += (uint64_t)r;
	return 1;
}

static void *stream_run(void *arg)
{
	struct stream *s = arg;
	static __thread unsigned char out[CHUNK], in[CHUNK];
	double deadline = t_start + opt.seconds, last_progress = now();
	bool shut = false;
	int fd = connect_via(), r = 1;

	if (fd < 0) {
		fail("stream %d: connect %s: %s", s->id, opt.via, strerror(errno));
		return NULL;
	}
	while (r > 0) {
		double t = now();
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (!shut && t >= deadline) {
			shutdown(fd, SHUT_WR); /* the relay must forward this */
			shut = true;
		}
		if (!shut)
			p.events |= POLLOUT;
		if (t - last_progress > STALL_SECONDS) {
			fail("stream %d: no progress for %d s (sent %" PRIu64
			     ", echoed %" PRIu64 ")", s->id, STALL_SECONDS,
			     s->sent, s->echoed);
			break;
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		last_progress = t;
		if ((p.revents & POLLOUT) && !stream_step_out(s, fd, out))
			break;
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			r = stream_step_in(s, fd, in);
	}
	close(fd);
	s->ok = r == 0 && s->echoed == s->sent;
	if (r == 0 && s->echoed != s->sent)
		fail("stream %d: sent %" PRIu64 " bytes, %" PRIu64 " came back",
		     s->id, s->sent, s->echoed);
	return NULL;
}

/* --- short connections ------------------------------------------------- */

struct shorter {
	int first, count;
	int ok;
	double worst;
	double *lat; /* per connection, seconds */
};

static bool short_one(int n, double *lat)
{
	unsigned char req[SHORT_MAX], got[SHORT_MAX];
	uint64_t seed = 0x50000000ULL + (uint64_t)n;
	size_t len = 1 + splitmix(seed) % SHORT_MAX, have = 0;
	double t0 = now();
	int fd = connect_via();

	if (fd < 0) {
		fail("short %d: connect %s: %s", n, opt.via, strerror(errno));
		return false;
	}
	stream_fill(seed, 0, req, len);
	bool ok = write_all(fd, req, len) == 0 && shutdown(fd, SHUT_WR) == 0;
	while (ok) {
		ssize_t r = read(fd, got + have, sizeof(got) - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = r == 0;
			break;
		}
		have += (size_t)r;
		if (have == sizeof(got))
			break;
	}
	close(fd);
	if (!ok || have != len || memcmp(req, got, len) != 0) {
		fail("short %d: sent %zu bytes, got %zu back%s", n, len, have,
		     ok ? " (or different ones)" : " before an error");
		return false;
	}
	*lat = now() - t0;
	return true;
}

static void *short_run(void *arg)
{
	struct shorter *sh = arg;
	/* Spread the storm over 80% of the run, beside the streams. */
	double interval = opt.seconds * 0.8 / (sh->count ? sh->count : 1);

	for (int i = 0; i < sh->count; i++) {
		double due = t_start + interval * i, t = now();

		if (due > t)
			usleep((useconds_t)((due - t) * 1e6));
		if (short_one(sh->first + i, &sh->lat[sh->ok]))
			sh->ok++;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* --- main ---------------------------------------------------------------- */

static _Noreturn void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: soakload --upstream PATH --via PATH [--streams N] "
		"[--short N] [--short-threads N] [--seconds S]\n");
	exit(code);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "upstream", required_argument, NULL, 'u' },
		{ "via", required_argument, NULL, 'v' },
		{ "streams", required_argument, NULL, 's' },
		{ "short", required_argument, NULL, 'n' },
		{ "short-threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'u': opt.upstream = optarg; break;
		case 'v': opt.via = optarg; break;
		case 's': opt.streams = atoi(optarg); break;
		case 'n': opt.shorts = atoi(optarg); break;
		case 't': opt.short_threads = atoi(optarg); break;
		case 'S': opt.seconds = atof(optarg); break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (!opt.upstream || !opt.via || opt.streams < 0 || opt.shorts < 0 ||
	    opt.short_threads < 1 || opt.seconds <= 0)
		usage(2);
}

static int report(struct stream *st, struct shorter *sh, double elapsed)
{
	uint64_t bytes = 0;
	int streams_ok = 0, shorts_ok = 0, n = 0;
	double *lat = calloc((size_t)opt.shorts + 1, sizeof(double));

	for (int i = 0; i < opt.streams; i++) {
		bytes += st[i].echoed;
		streams_ok += st[i].ok;
	}
	for (int t = 0; t < opt.short_threads; t++) {
		shorts_ok += sh[t].ok;
		for (int i = 0; i < sh[t].ok; i++)
			lat[n++] = sh[t].lat[i];
	}
	qsort(lat, (size_t)n, sizeof(double), cmp_double);
	printf("soak: %d/%d streams intact, %.2f GiB each way verified byte by "
	       "byte in %.1f s (%.0f MiB/s each way)\n",
	       streams_ok, opt.streams, (double)bytes / (1 << 30), elapsed,
	       (double)bytes / (1 << 20) / elapsed);
	printf("soak: %d/%d short connections intact, latency p50 %.2f ms "
	       "p99 %.2f ms\n", shorts_ok, opt.shorts,
	       n ? lat[n / 2] * 1e3 : 0, n ? lat[n * 99 / 100] * 1e3 : 0);
	unsigned long want = (unsigned long)opt.streams + (unsigned long)opt.shorts;
	unsigned long seen = atomic_load(&upstream_accepted);
	printf("soak: %lu upstream connections for %lu client connections, "
	       "%lu errors\n", seen, want, atomic_load(&errors));
	free(lat);
	return streams_ok == opt.streams && shorts_ok == opt.shorts &&
	       seen == want && atomic_load(&errors) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	parse(argc, argv);
	if (start_upstream() < 0) {
		fprintf(stderr, "soakload: cannot listen on %s: %s\n",
			opt.upstream, strerror(errno));
		return 111;
	}
	struct stream *st = calloc((size_t)opt.streams + 1, sizeof(*st));
	struct shorter *sh = calloc((size_t)opt.short_threads, sizeof(*sh));
	pthread_t *tid = calloc((size_t)(opt.streams + opt.short_threads),
				sizeof(pthread_t));
	if (!st || !sh || !tid)
		return 111;

	t_start = now();
	for (int i = 0; i < opt.streams; i++) {
		st[i].id = i + 1;
		if (pthread_create(&tid[i], NULL, stream_run, &st[i]))
			return 111;
	}
	for (int t = 0, first = 0; t < opt.short_threads; t++) {
		sh[t].count = opt.shorts / opt.short_threads +
			      (t < opt.shorts % opt.short_threads);
		sh[t].first = first;
		first += sh[t].count;
		sh[t].lat = calloc((size_t)sh[t].count + 1, sizeof(double));
		if (!sh[t].lat ||
		    pthread_create(&tid[opt.streams + t], NULL, short_run, &sh[t]))
			return 111;
	}
	for (int i = 0; i < opt.streams + opt.short_threads; i++)
		pthread_join(tid[i], NULL);
	int rc = report(st, sh, now() - t_start);
	unlink(opt.upstream);
	return rc;
}
