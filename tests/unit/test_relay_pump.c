// SPDX-License-Identifier: MIT
/* Unit tests for src/relay/pump.c and worker.c: both directions of a
 * connection on real socketpairs. When a connection is finished (full
 * close vs half-close), events as epoll reports them, and a worker
 * thread that pumps a connection and hands it back with exact counts. */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sandbox.h"
#include "../../src/relay/pump.h"
#include "../../src/relay/worker.h"

/* cl[0]: the client's end, cl[1]: the relay's client socket; up[0]: the
 * relay's upstream socket, up[1]: the upstream's end. */
struct rig {
	int cl[2], up[2];
	struct pump p;
};

static void rig_open(struct rig *r)
{
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, r->cl) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, r->up) == 0);
	pump_init(&r->p, r->cl[1]);
	r->p.ufd = r->up[0];
	r->p.c_rd = r->p.c_wr = r->p.u_rd = r->p.u_wr = true;
}

static void rig_close(struct rig *r)
{
	pump_release(&r->p);
	if (r->cl[0] >= 0)
		close(r->cl[0]);
	if (r->up[1] >= 0)
		close(r->up[1]);
}

/* The events epoll would report for @fd now (level view). */
static uint32_t events_of(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };

	CHECK(poll(&p, 1, 0) >= 0);
	return (uint32_t)p.revents; /* POLL* and EPOLL* bits agree */
}

static int step(struct rig *r)
{
	const char *where = "";

	CHECK(pump_event(&r->p, true, events_of(r->p.cfd)) == 0);
	CHECK(pump_event(&r->p, false, events_of(r->p.ufd)) == 0);
	return pump_run(&r->p, true, 4, &where);
}

static size_t drain(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n > 0 ? (size_t)n : 0;
}

TEST(finished_rules)
{
	/* up_done, down_done, client_gone, upstream_gone */
	CHECK(pump_finished(true, true, false, false));
	CHECK(!pump_finished(true, false, false, false)); /* half-close */
	CHECK(!pump_finished(false, true, false, false));
	CHECK(pump_finished(true, false, true, false));   /* client gone */
	CHECK(!pump_finished(false, false, true, false)); /* its bytes first */
	CHECK(pump_finished(false, true, false, true));   /* upstream gone */
	CHECK(!pump_finished(true, false, false, true));
	CHECK(pump_finished(false, false, true, true));   /* both gone */
}

TEST(half_close_keeps_the_other_way)
{
	struct rig r;
	char buf[64];

	rig_open(&r);
	CHECK(write(r.cl[0], "ping", 4) == 4);
	CHECK(shutdown(r.cl[0], SHUT_WR) == 0);
	CHECK(step(&r) == PUMP_IDLE);
	CHECK(!r.p.c_gone);
	CHECK(drain(r.up[1], buf, sizeof(buf)) == 4);
	CHECK(read(r.up[1], buf, sizeof(buf)) == 0); /* EOF passed on */
	/* The reply still flows back after the client's EOF. */
	CHECK(write(r.up[1], "pong", 4) == 4);
	CHECK(step(&r) == PUMP_IDLE);
	CHECK(drain(r.cl[0], buf, sizeof(buf)) == 4);
	CHECK(memcmp(buf, "pong", 4) == 0);
	CHECK(shutdown(r.up[1], SHUT_WR) == 0);
	CHECK(step(&r) == PUMP_DONE);
	CHECK(r.p.up.bytes == 4 && r.p.down.bytes == 4);
	rig_close(&r);
}

TEST(client_gone_finishes_after_its_bytes)
{
	struct rig r;
	char buf[64];

	rig_open(&r);
	CHECK(write(r.cl[0], "last", 4) == 4);
	close(r.cl[0]);
	r.cl[0] = -1;
	/* The upstream stays open and silent: finished anyway, once the
	 * client's last bytes and its EOF are passed on. */
	CHECK(step(&r) == PUMP_DONE);
	CHECK(r.p.c_gone);
	CHECK(r.p.up.bytes == 4);
	CHECK(drain(r.up[1], buf, sizeof(buf)) == 4);
	CHECK(memcmp(buf, "last", 4) == 0);
	CHECK(read(r.up[1], buf, sizeof(buf)) == 0);
	rig_close(&r);
}

TEST(client_gone_waits_for_an_upstream_that_does_not_read)
{
	struct rig r;
	static char big[1 << 20];
	size_t sent = 0;
	ssize_t n;

	rig_open(&r);
	/* More than both socket buffers and the pipe hold. */
	while (sent < sizeof(big)) {
		CHECK(step(&r) >= 0);
		n = write(r.cl[0], big, sizeof(big) - sent);
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	close(r.cl[0]);
	r.cl[0] = -1;
	CHECK(step(&r) == PUMP_IDLE); /* its bytes are still on the way */
	/* The upstream reads everything: then it is finished. */
	size_t got = 0;
	int st = PUMP_IDLE;
	for (int i = 0; i < 10000 && st != PUMP_DONE; i++) {
		while ((n = read(r.up[1], big, sizeof(big))) > 0)
			got += (size_t)n;
		st = step(&r);
	}
	CHECK(st == PUMP_DONE);
	while ((n = read(r.up[1], big, sizeof(big))) > 0)
		got += (size_t)n;
	CHECK(n == 0); /* and the EOF */
	CHECK(r.p.up.bytes == got && got == sent);
	rig_close(&r);
}

TEST(upstream_gone_finishes_after_its_bytes)
{
	struct rig r;
	char buf[64];

	rig_open(&r);
	CHECK(write(r.up[1], "banner", 6) == 6);
	close(r.up[1]);
	r.up[1] = -1;
	/* The client neither writes nor closes. */
	CHECK(step(&r) == PUMP_DONE);
	CHECK(r.p.u_gone && !r.p.c_gone);
	CHECK(r.p.down.bytes == 6 && r.p.up.bytes == 0);
	CHECK(drain(r.cl[0], buf, sizeof(buf)) == 6);
	CHECK(read(r.cl[0], buf, sizeof(buf)) == 0);
	rig_close(&r);
}

/* The client sent bytes and left, and the upstream left before taking
 * them (a cancelled migration): the connection ends, as a reset. */
TEST(both_gone_with_bytes_in_flight_ends)
{
	struct rig r;
	static char big[1 << 20];
	ssize_t n;
	int st = 0;

	rig_open(&r);
	/* Fill the upstream's buffer and the pipe. */
	while ((n = write(r.cl[0], big, sizeof(big))) > 0 || step(&r) == PUMP_MORE)
		;
	CHECK(step(&r) == PUMP_IDLE);
	CHECK(r.p.up.pending > 0);
	close(r.cl[0]);
	r.cl[0] = -1;
	/* The upstream takes what its socket holds, then closes: the
	 * pipe's bytes can reach no one. */
	while (read(r.up[1], big, sizeof(big)) > 0)
		;
	close(r.up[1]);
	r.up[1] = -1;
	for (int i = 0; i < 100 && st >= 0 && st != PUMP_DONE; i++)
		st = step(&r);
	CHECK(r.p.c_gone && r.p.u_gone);
	CHECK(st == -EPIPE);
	rig_close(&r);
}

TEST(reset_is_an_error)
{
	struct rig r;
	char buf[64];

	rig_open(&r);
	/* The client closes with bytes it never read: a reset. */
	CHECK(write(r.up[1], "unread", 6) == 6);
	CHECK(step(&r) == PUMP_IDLE);
	close(r.cl[0]);
	r.cl[0] = -1;
	CHECK(pump_event(&r.p, true, events_of(r.p.cfd)) == ECONNRESET);
	(void)buf;
	rig_close(&r);
}

TEST(worker_limit_per_cpu)
{
	CHECK(worker_limit_for(-1) == WORKER_MIN);
	CHECK(worker_limit_for(1) == WORKER_MIN);
	CHECK(worker_limit_for(2) == 8);
	CHECK(worker_limit_for(4) == 16);
	CHECK(worker_limit_for(16) == WORKER_MAX);
	CHECK(worker_limit_for(1000) == WORKER_MAX);
}

/* --- worker ---------------------------------------------------------- */

static int done_fd;
static struct worker_result got_res;
static void *got_owner;
static int got_calls;

static void on_done(void *ctx, void *owner, const struct worker_result *res)
{
	CHECK(ctx == &done_fd);
	got_owner = owner;
	got_res = *res;
	got_calls++;
}

/* Wait for the done eventfd, then collect. */
static void collect(void)
{
	struct pollfd p = { .fd = done_fd, .events = POLLIN };

	got_calls = 0;
	CHECK(poll(&p, 1, 10000) == 1);
	worker_collect(on_done, &done_fd);
}

/* Send @len bytes each way through a worker, both ends at once. */
static void *echo_thread(void *arg)
{
	int fd = *(int *)arg;
	static char buf[65536];
	ssize_t n;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	/* Upstream: echo until EOF, then EOF back. */
	while (poll(&p, 1, 10000) == 1) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w > 0)
				off += w;
			else
				poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1, 1000);
		}
	}
	shutdown(fd, SHUT_WR);
	return NULL;
}

TEST(worker_pumps_and_hands_back)
{
	struct rig r;
	struct ms_error e = { 0 };
	enum { TOTAL = 4 << 20 };
	static char out[65536], in[65536];
	size_t sent = 0, recvd = 0;
	pthread_t echo;
	int owner;

	CHECK(worker_init(&done_fd, &e) == 0);
	rig_open(&r);
	CHECK(pthread_create(&echo, NULL, echo_thread, &r.up[1]) == 0);
	struct worker *w = worker_start(&r.p, &owner);
	CHECK(w != NULL);
	memset(out, 'x', sizeof(out));
	while (recvd < TOTAL) {
		struct pollfd p = { .fd = r.cl[0],
				    .events = POLLIN | (sent < TOTAL ? POLLOUT : 0) };
		CHECK(poll(&p, 1, 10000) == 1);
		if (sent < TOTAL && (p.revents & POLLOUT)) {
			size_t len = TOTAL - sent < sizeof(out) ? TOTAL - sent : sizeof(out);
			ssize_t n = write(r.cl[0], out, len);
			if (n > 0 && (sent += (size_t)n) == TOTAL)
				shutdown(r.cl[0], SHUT_WR);
		}
		ssize_t n = read(r.cl[0], in, sizeof(in));
		if (n == 0)
			break;
		if (n > 0)
			recvd += (size_t)n;
	}
	CHECK(recvd == TOTAL);
	collect();
	CHECK(got_calls == 1);
	CHECK(got_owner == &owner);
	CHECK(got_res.err == 0 && !got_res.stopped);
	/* The counts are exact, and the pump is ours again. */
	CHECK(r.p.up.bytes == TOTAL && r.p.down.bytes == TOTAL);
	pthread_join(echo, NULL);
	rig_close(&r);
}

TEST(worker_stops_when_told)
{
	struct rig r;
	struct worker_result res;
	int owner;

	rig_open(&r);
	/* Nothing moves: the worker waits in epoll until told to stop. */
	struct worker *w = worker_start(&r.p, &owner);
	CHECK(w != NULL);
	worker_stop_all();
	worker_join(w, &res);
	CHECK(res.stopped);
	CHECK(res.err == 0);
	rig_close(&r);
}

/* In a child that entered the sandbox (seccomp kills on any syscall
 * not declared): a worker thread starts, pumps, ends and is joined. */
TEST(worker_runs_in_the_sandbox)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct sandbox_opts so = { 0 };
		struct ms_error e = { 0 };
		struct rig r;
		alarm(30);
		/* Fresh eventfds (the stop one is set by the test before),
		 * made before the sandbox as the relay does. */
		if (worker_init(&done_fd, &e) < 0)
			_exit(20);
		rig_open(&r);
		int ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLIN };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &ev) < 0 ||
		    sandbox_enter(&so, &e) < 0)
			_exit(20);
		int owner;
		if (!worker_start(&r.p, &owner))
			_exit(21);
		if (write(r.cl[0], "x", 1) != 1)
			_exit(22);
		shutdown(r.cl[0], SHUT_WR);
		shutdown(r.up[1], SHUT_WR);
		/* The relay's way to wait (poll is not on its list). */
		if (epoll_wait(ep, &ev, 1, 10000) != 1)
			_exit(24);
		got_calls = 0;
		worker_collect(on_done, &done_fd);
		_exit(got_calls == 1 && r.p.up.bytes == 1 && !got_res.err ? 0 : 23);
	}
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	if (WIFSIGNALED(status))
		fprintf(stderr, "sandboxed worker: killed by signal %d\n", WTERMSIG(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(finished_rules);
	RUN(half_close_keeps_the_other_way);
	RUN(client_gone_finishes_after_its_bytes);
	RUN(client_gone_waits_for_an_upstream_that_does_not_read);
	RUN(upstream_gone_finishes_after_its_bytes);
	RUN(both_gone_with_bytes_in_flight_ends);
	RUN(reset_is_an_error);
	RUN(worker_limit_per_cpu);
	RUN(worker_pumps_and_hands_back);
	RUN(worker_stops_when_told);
	RUN(worker_runs_in_the_sandbox);
	return CHECK_DONE();
}
