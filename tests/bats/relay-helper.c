// SPDX-License-Identifier: MIT
/* relay-helper - the ends of a relayed connection for tests/bats/relay*.bats:
 * test upstreams (servers) and clients that check what crossed the relay.
 * Exit 0 if what the mode checks held, 1 otherwise (with a line on stderr).
 *
 *   serve PATH echo            echo every connection as data arrives,
 *                              pass EOF on, one poll() loop (many conns)
 *   serve PATH echo-after-eof  read to EOF, then send it back and close
 *   serve PATH banner          send "banner\n", shutdown(SHUT_WR), then
 *                              print what arrives until EOF; one conn
 *   serve PATH order N         backlog 1, accept slowly; print the first
 *                              line of each of N connections in accept order
 *   serve PATH flood           write until the peer is gone; print "gone"
 *   serve PATH duplex FILE     one connection: send FILE while copying
 *                              what arrives to stdout, both at once
 *   serve PATH mute            accept every connection and then never
 *                              read, write or close it (a wedged peer)
 *   serve PATH banner-close    each connection: send "banner\n", close
 *   client PATH halfclose-up   send "ping", shutdown(SHUT_WR), print reply
 *   client PATH halfclose-down read to EOF and print it, then send "pong"
 *   client PATH burst N        connect N times in order, send "i\n" on each
 *   client PATH many N         hold N connections open at once, each sends
 *                              its own 4 KiB and must get it back exactly
 *   client PATH quit-unread    connect, let data arrive, close unread
 *   client PATH hold           send "held\n", print the echo, then keep
 *                              the connection until EOF (or a signal)
 *   client PATH duplex FILE    as serve's duplex, on a connection made
 *   client PATH stream-hold N  send N bytes while reading the echo back,
 *                              print "streamed N", then keep the
 *                              connection open until killed
 *   client PATH read-hold      read to EOF and print it, then keep the
 *                              socket open (no write, no close) until killed
 *   client PATH connect-close N  N times: connect, then close at once
 *                              (no shutdown), one after the other
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE 4096

static void fail(const char *what)
{
	fprintf(stderr, "relay-helper: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_un addr_of(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		fail(path);
	}
	strcpy(sa.sun_path, path);
	return sa;
}

static int listen_at(const char *path, int backlog)
{
	struct sockaddr_un sa = addr_of(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, backlog) < 0)
		fail(path);
	return fd;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = addr_of(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail(path);
	return fd;
}

/* Write all of buf; false (errno set) when the peer is gone. */
static bool write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void write_all(int fd, const void *buf, size_t len)
{
	if (!write_full(fd, buf, len))
		fail("write");
}

/* Read until EOF into a growing buffer; returns its length. */
static size_t read_to_eof(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	for (;;) {
		if (len == cap && !(buf = realloc(buf, cap *= 2)))
			fail("realloc");
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("read");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	return len;
}

/* Full duplex with nonblocking I/O (socat's blocking writes deadlock when
 * both ends send bulk at once): send @file, copy arrivals to stdout,
 * shutdown(SHUT_WR) after the last byte, return at EOF from the peer. */
static int duplex(int fd, const char *file)
{
	static char out[1 << 20], in[1 << 20];
	int src = open(file, O_RDONLY | O_CLOEXEC);
	size_t off = 0, len = 0;
	bool sent = false, got_eof = false;

	if (src < 0)
		fail(file);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (!got_eof || !sent) {
		struct pollfd p = { .fd = fd, .events = (got_eof ? 0 : POLLIN) | (sent ? 0 : POLLOUT) };
		if (poll(&p, 1, -1) < 0)
			fail("poll");
		if (!sent && off == len) {
			ssize_t n = read(src, out, sizeof(out));
			if (n < 0)
				fail("read file");
			off = 0;
			len = (size_t)n;
			if (n == 0) {
				shutdown(fd, SHUT_WR);
				sent = true;
			}
		}
		if (!sent && off < len) {
			ssize_t n = write(fd, out + off, len - off);
			if (n < 0 && errno != EAGAIN)
				fail("write");
			off += n > 0 ? (size_t)n : 0;
		}
		if (!got_eof) {
			ssize_t n = read(fd, in, sizeof(in));
			if (n < 0 && errno != EAGAIN)
				fail("read");
			if (n == 0)
				got_eof = true;
			if (n > 0 && fwrite(in, 1, (size_t)n, stdout) != (size_t)n)
				fail("stdout");
		}
	}
	fflush(stdout);
	close(src);
	close(fd);
	return 0;
}

/* --- servers ------------------------------------------------------------ */

#define ECHO_MAX 2048

static void serve_echo(int lfd)
{
	struct pollfd p[ECHO_MAX + 1] = { { .fd = lfd, .events = POLLIN } };
	size_t n = 1;
	char buf[65536];

	for (;;) {
		if (poll(p, n, -1) < 0)
			fail("poll");
		if ((p[0].revents & POLLIN) && n <= ECHO_MAX) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				p[n++] = (struct pollfd){ .fd = c, .events = POLLIN };
		}
		for (size_t i = 1; i < n; i++) {
			if (!p[i].revents)
				continue;
			ssize_t r = read(p[i].fd, buf, sizeof(buf));
			if (r > 0 && write_full(p[i].fd, buf, (size_t)r))
				continue;
			/* EOF, or a peer gone (the relay closed a connection
			 * it could not serve): pass EOF on and forget it; the
			 * server goes on for the others. */
			shutdown(p[i].fd, SHUT_WR);
			close(p[i].fd);
			p[i--] = p[--n];
		}
	}
}

static void serve_echo_after_eof(int lfd)
{
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			fail("accept");
		char *buf;
		size_t len = read_to_eof(c, &buf);
		write_all(c, buf, len);
		free(buf);
		close(c);
	}
}

static void serve_banner(int lfd)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	char *buf;

	if (c < 0)
		fail("accept");
	write_all(c, "banner\n", 7);
	if (shutdown(c, SHUT_WR) < 0)
		fail("shutdown");
	size_t len = read_to_eof(c, &buf);
	printf("%.*s\n", (int)len, buf);
	free(buf);
	close(c);
}

static void serve_order(int lfd, int n)
{
	struct timespec pause = { .tv_nsec = 5 * 1000 * 1000 };

	for (int i = 0; i < n; i++) {
		nanosleep(&pause, NULL); /* let the relay's connects pile up */
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			fail("accept");
		char *buf;
		size_t len = read_to_eof(c, &buf);
		printf("%.*s", (int)len, buf);
		fflush(stdout);
		free(buf);
		close(c);
	}
}

static void serve_flood(int lfd)
{
	char buf[65536];
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		fail("accept");
	memset(buf, 'x', sizeof(buf));
	while (write(c, buf, sizeof(buf)) > 0)
		;
	printf("gone: %s\n", strerror(errno));
}

/* Hold every accepted connection; raise the descriptor limit to hold
 * many. Runs until killed. */
static void serve_mute(int lfd)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0 && errno != EINTR && errno != ECONNABORTED)
			fail("accept");
	}
}

static void serve_banner_close(int lfd)
{
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			fail("accept");
		write_all(c, "banner\n", 7);
		close(c);
	}
}

static int serve(const char *path, const char *mode, char **args)
{
	bool order = strcmp(mode, "order") == 0;
	int lfd = listen_at(path, order ? 1 : 4096);

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A server outlives its clients: a write to one that left is EPIPE
	 * for that connection, never the end of the server. */
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(mode, "echo") == 0)
		serve_echo(lfd);
	else if (strcmp(mode, "echo-after-eof") == 0)
		serve_echo_after_eof(lfd);
	else if (strcmp(mode, "banner") == 0)
		serve_banner(lfd);
	else if (order && args[0])
		serve_order(lfd, atoi(args[0]));
	else if (strcmp(mode, "flood") == 0)
		serve_flood(lfd);
	else if (strcmp(mode, "mute") == 0)
		serve_mute(lfd);
	else if (strcmp(mode, "banner-close") == 0)
		serve_banner_close(lfd);
	else if (strcmp(mode, "duplex") == 0 && args[0])
		return duplex(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), args[0]);
	else
		return 2;
	return 0;
}

/* --- clients ------------------------------------------------------------ */

static int client_halfclose_up(const char *path)
{
	int fd = connect_to(path);
	char *buf;

	write_all(fd, "ping", 4);
	if (shutdown(fd, SHUT_WR) < 0)
		fail("shutdown");
	size_t len = read_to_eof(fd, &buf);
	printf("%.*s\n", (int)len, buf);
	free(buf);
	close(fd);
	return 0;
}

static int client_halfclose_down(const char *path)
{
	int fd = connect_to(path);
	char *buf;
	size_t len = read_to_eof(fd, &buf);

	printf("%.*s", (int)len, buf);
	free(buf);
	write_all(fd, "pong", 4);
	shutdown(fd, SHUT_WR);
	/* Wait for the relay to pass our EOF on and close. */
	len = read_to_eof(fd, &buf);
	free(buf);
	close(fd);
	return len == 0 ? 0 : 1;
}

static int client_burst(const char *path, int n)
{
	int *fds = calloc((size_t)n, sizeof(int));
	char line[32];

	for (int i = 0; i < n; i++) {
		fds[i] = connect_to(path);
		int len = snprintf(line, sizeof(line), "%d\n", i + 1);
		write_all(fds[i], line, (size_t)len);
		shutdown(fds[i], SHUT_WR);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

static void fill_msg(char *buf, int id)
{
	unsigned x = (unsigned)id * 2654435761u + 1;

	for (size_t i = 0; i < MSG_SIZE; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (char)x;
	}
}

static int client_many(const char *path, int n)
{
	int *fds = calloc((size_t)n, sizeof(int));
	char want[MSG_SIZE], got[MSG_SIZE];
	int bad = 0;

	/* All open first, so the relay holds n connections at once. */
	for (int i = 0; i < n; i++)
		fds[i] = connect_to(path);
	for (int i = 0; i < n; i++) {
		fill_msg(want, i);
		write_all(fds[i], want, MSG_SIZE);
	}
	for (int i = 0; i < n; i++) {
		size_t have = 0;
		while (have < MSG_SIZE) {
			ssize_t r = read(fds[i], got + have, MSG_SIZE - have);
			if (r <= 0)
				fail("read echo");
			have += (size_t)r;
		}
		fill_msg(want, i);
		bad += memcmp(want, got, MSG_SIZE) != 0;
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	printf("%d connections, %d mismatched\n", n, bad);
	return bad ? 1 : 0;
}

static int client_quit_unread(const char *path)
{
	int fd = connect_to(path);
	char c;

	/* One byte proves data flows; the rest stays unread in our queue,
	 * so closing resets the connection. */
	if (read(fd, &c, 1) != 1)
		fail("read");
	usleep(200 * 1000);
	close(fd);
	return 0;
}

static int client_hold(const char *path)
{
	int fd = connect_to(path);
	char buf[64];
	size_t have = 0;

	write_all(fd, "held\n", 5);
	while (have < 5) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n <= 0)
			return 1;
		have += (size_t)n;
	}
	printf("%.*s", (int)have, buf);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static int client_stream_hold(const char *path, size_t total)
{
	static char out[65536], in[65536];
	int fd = connect_to(path);
	size_t sent = 0, got = 0;

	memset(out, 's', sizeof(out));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (got < total) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0) };
		if (poll(&p, 1, -1) < 0)
			fail("poll");
		size_t len = total - sent < sizeof(out) ? total - sent : sizeof(out);
		ssize_t n = len ? write(fd, out, len) : 0;
		if (n < 0 && errno != EAGAIN)
			fail("write");
		sent += n > 0 ? (size_t)n : 0;
		n = read(fd, in, sizeof(in));
		if (n == 0 || (n < 0 && errno != EAGAIN))
			fail("read echo");
		got += n > 0 ? (size_t)n : 0;
	}
	printf("streamed %zu\n", got);
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

static int client_read_hold(const char *path)
{
	int fd = connect_to(path);
	char *buf;
	size_t len = read_to_eof(fd, &buf);

	printf("%.*s", (int)len, buf);
	fflush(stdout);
	free(buf);
	for (;;)
		pause();
	return 0;
}

static int client_connect_close(const char *path, int n)
{
	for (int i = 0; i < n; i++)
		close(connect_to(path));
	return 0;
}

static int client(const char *path, const char *mode, char **args)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "halfclose-up") == 0)
		return client_halfclose_up(path);
	if (strcmp(mode, "halfclose-down") == 0)
		return client_halfclose_down(path);
	if (strcmp(mode, "burst") == 0 && args[0])
		return client_burst(path, atoi(args[0]));
	if (strcmp(mode, "many") == 0 && args[0])
		return client_many(path, atoi(args[0]));
	if (strcmp(mode, "quit-unread") == 0)
		return client_quit_unread(path);
	if (strcmp(mode, "hold") == 0)
		return client_hold(path);
	if (strcmp(mode, "stream-hold") == 0 && args[0])
		return client_stream_hold(path, strtoul(args[0], NULL, 10));
	if (strcmp(mode, "read-hold") == 0)
		return client_read_hold(path);
	if (strcmp(mode, "connect-close") == 0 && args[0])
		return client_connect_close(path, atoi(args[0]));
	if (strcmp(mode, "duplex") == 0 && args[0])
		return duplex(connect_to(path), args[0]);
	return 2;
}

int main(int argc, char *argv[])
{
	if (argc >= 4 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], argv[3], argv + 4);
	if (argc >= 4 && strcmp(argv[1], "client") == 0)
		return client(argv[2], argv[3], argv + 4);
	fprintf(stderr, "usage: relay-helper serve|client PATH MODE [N]\n");
	return 2;
}
