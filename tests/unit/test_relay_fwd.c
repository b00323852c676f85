// SPDX-License-Identifier: MIT
/* Unit tests for src/relay/fwd.c: one direction of a relayed connection,
 * on real socketpairs: exact bytes, backpressure, EOF only after the pipe
 * drains, errors, the copy fallback, and the pipe sizing policy. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "../../src/relay/fwd.h"

/* in[0]: the sender's end, in[1]: fwd's source; out[0]: fwd's
 * destination, out[1]: the receiver's end. All nonblocking. */
struct rig {
	int in[2], out[2];
	struct fwd f;
	bool src_ready, dst_ready;
};

static void rig_open(struct rig *r)
{
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, r->in) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, r->out) == 0);
	fwd_init(&r->f);
	r->src_ready = r->dst_ready = true;
}

static void rig_close(struct rig *r)
{
	fwd_release(&r->f);
	for (int i = 0; i < 2; i++) {
		if (r->in[i] >= 0)
			close(r->in[i]);
		if (r->out[i] >= 0)
			close(r->out[i]);
	}
}

static int pump(struct rig *r)
{
	/* Readiness as a level-triggered poller would report it. */
	r->src_ready = r->dst_ready = true;
	return fwd_pump(&r->f, r->in[1], r->out[0], &r->src_ready, &r->dst_ready, 4);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 7919) ^ (i >> 11));
}

TEST(moves_bytes_exactly)
{
	struct rig r;
	enum { TOTAL = 8 << 20 };
	static unsigned char chunk[65536], got[65536];
	size_t sent = 0, recvd = 0;
	int bad = 0;

	rig_open(&r);
	while (recvd < TOTAL) {
		size_t n = TOTAL - sent < sizeof(chunk) ? TOTAL - sent : sizeof(chunk);
		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern(sent + i);
		ssize_t w = n ? write(r.in[0], chunk, n) : 0;
		if (w > 0)
			sent += (size_t)w;
		CHECK(pump(&r) >= 0);
		ssize_t k;
		while ((k = read(r.out[1], got, sizeof(got))) > 0) {
			for (ssize_t i = 0; i < k; i++)
				bad += got[i] != pattern(recvd + (size_t)i);
			recvd += (size_t)k;
		}
	}
	CHECK(bad == 0);
	CHECK(recvd == TOTAL);
	CHECK(r.f.bytes == TOTAL);
	CHECK(!r.f.copy);
	CHECK(r.f.pipe_r >= 0); /* a bulk stream goes through a pipe */
	rig_close(&r);
}

TEST(backpressure_bounds_buffering)
{
	struct rig r;
	static char buf[65536];
	size_t sent = 0;

	rig_open(&r);
	/* Nobody reads at the far end: the pipe fills, then the source
	 * socket, then the sender is pushed back (EAGAIN). */
	for (int i = 0; i < 4096; i++) {
		ssize_t w = write(r.in[0], buf, sizeof(buf));
		if (w > 0)
			sent += (size_t)w;
		CHECK(pump(&r) >= 0);
		if (w < 0 && errno == EAGAIN && r.f.pending == r.f.pipe_size)
			break;
	}
	CHECK(write(r.in[0], buf, sizeof(buf)) < 0 && errno == EAGAIN);
	CHECK(r.f.pending <= r.f.pipe_size);
	CHECK(r.f.pipe_size <= fwd_budget.max_pipe);
	CHECK(sent < 64u << 20); /* bounded, not everything we tried */
	rig_close(&r);
}

TEST(eof_passes_on_after_the_pipe_drains)
{
	struct rig r;
	char buf[16];

	rig_open(&r);
	CHECK(write(r.in[0], "hello", 5) == 5);
	CHECK(shutdown(r.in[0], SHUT_WR) == 0);
	fwd_src_hangup(&r.f); /* as the poller reports it: EPOLLRDHUP */
	/* Destination not writable yet: bytes wait, EOF must wait too. */
	r.src_ready = true;
	r.dst_ready = false;
	CHECK(fwd_pump(&r.f, r.in[1], r.out[0], &r.src_ready, &r.dst_ready, 4) == 0);
	CHECK(r.f.eof && !fwd_done(&r.f) && r.f.pending == 5);
	CHECK(pump(&r) == 0);
	CHECK(fwd_done(&r.f));
	CHECK(read(r.out[1], buf, sizeof(buf)) == 5);
	CHECK(read(r.out[1], buf, sizeof(buf)) == 0); /* the EOF */
	/* The reverse direction of the destination still works. */
	CHECK(write(r.out[1], "back", 4) == 4);
	CHECK(read(r.out[0], buf, sizeof(buf)) == 4);
	rig_close(&r);
}

TEST(no_destination_yet_only_fills)
{
	struct rig r;

	rig_open(&r);
	CHECK(write(r.in[0], "early", 5) == 5);
	r.src_ready = r.dst_ready = true;
	CHECK(fwd_pump(&r.f, r.in[1], -1, &r.src_ready, &r.dst_ready, 4) == 0);
	CHECK(r.f.pending == 5 && r.f.bytes == 0);
	CHECK(pump(&r) == 0);
	CHECK(r.f.bytes == 5);
	rig_close(&r);
}

TEST(gone_destination_is_an_error)
{
	struct rig r;

	rig_open(&r);
	close(r.out[1]);
	r.out[1] = -1;
	CHECK(write(r.in[0], "x", 1) == 1);
	int rc = pump(&r);
	CHECK(rc == -EPIPE || rc == -ECONNRESET);
	rig_close(&r);
}

TEST(budget_limits_fairness_rounds)
{
	struct rig r;
	static char buf[65536];

	rig_open(&r);
	for (int i = 0; i < 4; i++)
		CHECK(write(r.in[0], buf, 4096) == 4096);
	r.src_ready = r.dst_ready = true;
	/* One round moves what is there; a budget of 1 reports more to do
	 * only if it stopped with progress possible. */
	int rc = fwd_pump(&r.f, r.in[1], r.out[0], &r.src_ready, &r.dst_ready, 1);
	CHECK(rc == 1);
	CHECK(pump(&r) == 0);
	CHECK(r.f.bytes == 4 * 4096);
	rig_close(&r);
}

TEST(copy_fallback_when_splice_is_refused)
{
	struct rig r;
	char path[] = "/tmp/test_relay_fwd.XXXXXX";
	static unsigned char data[3 * 4096], got[sizeof(data) + 1];
	int file = mkstemp(path);

	rig_open(&r);
	CHECK(file >= 0);
	unlink(path);
	/* splice() refuses O_APPEND files with EINVAL. */
	close(r.out[0]);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", file);
	r.out[0] = open(fdpath, O_WRONLY | O_APPEND);
	CHECK(r.out[0] >= 0);
	/* Bulk, so that splice is tried (small reads go through a buffer). */
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	CHECK(write(r.in[0], data, sizeof(data)) == (ssize_t)sizeof(data));
	CHECK(shutdown(r.in[0], SHUT_WR) == 0);
	fwd_src_hangup(&r.f);
	int rc = 0;
	for (int i = 0; i < 8 && rc == 0 && !r.f.eof; i++)
		rc = pump(&r);
	/* shutdown() on a file fails: ENOTSOCK after the bytes went out. */
	CHECK(rc == 0 || rc == -ENOTSOCK);
	CHECK(r.f.copy);
	CHECK(r.f.bytes == sizeof(data));
	CHECK(pread(file, got, sizeof(got), 0) == (ssize_t)sizeof(data));
	CHECK(memcmp(got, data, sizeof(data)) == 0);
	close(file);
	rig_close(&r);
}

/* A small message goes through without a pipe, and the short read tells
 * the source is empty: no further read until the next event. */
TEST(small_messages_need_no_pipe_nor_an_eagain_read)
{
	struct rig r;
	char buf[16];

	rig_open(&r);
	CHECK(write(r.in[0], "ping", 4) == 4);
	r.src_ready = r.dst_ready = true;
	CHECK(fwd_pump(&r.f, r.in[1], r.out[0], &r.src_ready, &r.dst_ready, 4) == 0);
	CHECK(!r.src_ready && r.dst_ready);
	CHECK(r.f.pipe_r < 0 && r.f.pending == 0 && r.f.bytes == 4);
	CHECK(read(r.out[1], buf, sizeof(buf)) == 4 && memcmp(buf, "ping", 4) == 0);
	/* Without a hang-up reported, a short read does not look for EOF;
	 * with one, it reads on and passes the EOF. */
	CHECK(write(r.in[0], "bye", 3) == 3);
	CHECK(shutdown(r.in[0], SHUT_WR) == 0);
	r.src_ready = true;
	CHECK(fwd_pump(&r.f, r.in[1], r.out[0], &r.src_ready, &r.dst_ready, 4) == 0);
	CHECK(!r.f.eof && r.f.bytes == 7);
	fwd_src_hangup(&r.f);
	r.src_ready = true;
	CHECK(fwd_pump(&r.f, r.in[1], r.out[0], &r.src_ready, &r.dst_ready, 4) == 0);
	CHECK(r.f.eof && fwd_done(&r.f));
	CHECK(read(r.out[1], buf, sizeof(buf)) == 3 && memcmp(buf, "bye", 3) == 0);
	CHECK(read(r.out[1], buf, sizeof(buf)) == 0);
	rig_close(&r);
}

/* A small message the destination cannot take waits in the pipe, and
 * what follows it stays behind it. */
TEST(small_message_to_a_full_destination_keeps_its_order)
{
	struct rig r;
	static char fill[65536], got[65536];
	size_t filled = 0, total = 0; /* bytes written ahead, bytes read */
	ssize_t n;

	rig_open(&r);
	while ((n = write(r.out[0], fill, sizeof(fill))) > 0)
		filled += (size_t)n;
	CHECK(write(r.in[0], "first", 5) == 5);
	CHECK(pump(&r) == 0);
	CHECK(r.f.pending == 5 && r.f.pipe_r >= 0);
	CHECK(write(r.in[0], "second", 6) == 6);
	CHECK(pump(&r) == 0);
	CHECK(r.f.pending == 11);
	/* The receiver empties its socket; the rest follows in order. */
	char tail[11] = { 0 };
	for (int spins = 0; total < filled + 11 && spins < 100000; spins++) {
		CHECK(pump(&r) == 0);
		n = read(r.out[1], got, sizeof(got));
		for (ssize_t i = 0; i < n; i++, total++)
			if (total >= filled)
				tail[total - filled] = got[i];
	}
	CHECK(total == filled + 11);
	CHECK(memcmp(tail, "firstsecond", 11) == 0);
	CHECK(r.f.bytes == 11);
	rig_close(&r);
}

TEST(bulk_streams_get_bigger_pipes_within_budget)
{
	struct fwd_budget b = { .max_pipe = 1 << 20, .limit = 4 << 20, .used = 0 };

	CHECK(fwd_grow_target(65536, &(struct fwd_budget){ 1 << 20, 4 << 20, 65536 }) == 1 << 20);
	/* Budget nearly spent: grow less, or not at all. */
	b.used = 4 << 20;
	CHECK(fwd_grow_target(65536, &b) == 65536);
	b.used = (4 << 20) - 65536; /* 64 KiB free: doubling just fits */
	CHECK(fwd_grow_target(65536, &b) == 128 << 10);
	b.used = (3 << 20) + 65536;
	CHECK(fwd_grow_target(65536, &b) == 1 << 20);
	b.used = (3 << 20) + 65536 * 2;
	CHECK(fwd_grow_target(65536, &b) == 512 << 10);
	/* Already at the top. */
	b.used = 1 << 20;
	CHECK(fwd_grow_target(1 << 20, &b) == 1 << 20);
}

TEST(budget_from_proc_values)
{
	struct fwd_budget saved = fwd_budget;

	fwd_budget_init(1 << 20, 16384, 4096);
	CHECK(fwd_budget.max_pipe == FWD_PIPE_MAX);
	CHECK(fwd_budget.limit == 32u << 20);
	fwd_budget_init(65536, 0, 4096);
	CHECK(fwd_budget.max_pipe == 65536);
	fwd_budget = saved;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(moves_bytes_exactly);
	RUN(backpressure_bounds_buffering);
	RUN(eof_passes_on_after_the_pipe_drains);
	RUN(no_destination_yet_only_fills);
	RUN(gone_destination_is_an_error);
	RUN(budget_limits_fairness_rounds);
	RUN(copy_fallback_when_splice_is_refused);
	RUN(small_messages_need_no_pipe_nor_an_eagain_read);
	RUN(small_message_to_a_full_destination_keeps_its_order);
	RUN(bulk_streams_get_bigger_pipes_within_budget);
	RUN(budget_from_proc_values);
	return CHECK_DONE();
}
