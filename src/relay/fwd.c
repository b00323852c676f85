// SPDX-License-Identifier: MIT
/* fwd.c - one direction of a relayed connection; see fwd.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fwd.h"
#include "sandbox.h"

SANDBOX_SYSCALLS(__NR_splice, __NR_pipe2, __NR_fcntl, __NR_read,
		 __NR_write, __NR_shutdown, __NR_close, __NR_recvfrom,
		 __NR_recvmsg);

#define COPY_BUF_SIZE (64 * 1024)
/* A read this size or larger marks a bulk stream (splice from then on);
 * at most one page, so the rest of a short write fits an empty pipe. */
#define SMALL_READ 4096
/* Pipes start at the kernel's default; a direction that has filled its
 * pipe this many times over is a bulk stream worth a bigger one. */
#define GROW_AFTER_FILLS 2

struct fwd_budget fwd_budget = {
	.max_pipe = FWD_PIPE_MAX, .limit = 256u << 20, .used = 0,
};

void fwd_budget_init(size_t pipe_max_size, size_t user_pages_soft,
		     size_t page_size)
{
	if (pipe_max_size >= page_size && pipe_max_size < fwd_budget.max_pipe)
		fwd_budget.max_pipe = pipe_max_size;
	/* Leave half of the per-user soft limit to the default-sized pipes
	 * and to other processes of the same user. 0 means unlimited. */
	if (user_pages_soft)
		fwd_budget.limit = user_pages_soft * page_size / 2;
}

size_t fwd_grow_target(size_t cur, const struct fwd_budget *b)
{
	size_t want = b->max_pipe;

	while (want > cur && b->used - cur + want > b->limit)
		want /= 2;
	return want > cur ? want : cur;
}

void fwd_init(struct fwd *f)
{
	*f = (struct fwd){ .pipe_r = -1, .pipe_w = -1 };
}

static void close_pipe(struct fwd *f)
{
	if (f->pipe_r < 0)
		return;
	close(f->pipe_r);
	close(f->pipe_w);
	f->pipe_r = f->pipe_w = -1;
	atomic_fetch_sub(&fwd_budget.used, f->pipe_size);
	f->pipe_size = 0;
}

void fwd_release(struct fwd *f)
{
	close_pipe(f);
	free(f->buf);
	f->buf = NULL;
}

static int open_pipe(struct fwd *f)
{
	int p[2];

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	int size = fcntl(p[1], F_GETPIPE_SZ);
	f->pipe_r = p[0];
	f->pipe_w = p[1];
	f->pipe_size = size > 0 ? (size_t)size : 4096;
	atomic_fetch_add(&fwd_budget.used, f->pipe_size);
	return 0;
}

/* Take the room to grow a pipe of @cur bytes from the shared budget:
 * the target size, its growth already counted as used (or @cur). */
static size_t reserve_growth(size_t cur)
{
	size_t used = atomic_load(&fwd_budget.used);

	for (;;) {
		struct fwd_budget now = { .max_pipe = fwd_budget.max_pipe,
					  .limit = fwd_budget.limit, .used = used };
		size_t want = fwd_grow_target(cur, &now);
		if (want <= cur)
			return cur;
		/* Another thread changed @used meanwhile: decide again. */
		if (atomic_compare_exchange_weak(&fwd_budget.used, &used,
						 used - cur + want))
			return want;
	}
}

/* The pipe just filled up again: a bulk stream. Grow it if the budget
 * allows; failing (EPERM past the user's limit) just keeps the size. */
static void maybe_grow(struct fwd *f)
{
	if (f->bytes < GROW_AFTER_FILLS * f->pipe_size)
		return;
	size_t want = reserve_growth(f->pipe_size);
	if (want <= f->pipe_size)
		return;
	int got = fcntl(f->pipe_w, F_SETPIPE_SZ, (int)want);
	size_t size = got > 0 && (size_t)got > f->pipe_size ? (size_t)got
							     : f->pipe_size;
	/* Count what the kernel gave (it rounds to pages), not the ask. */
	if (size >= want)
		atomic_fetch_add(&fwd_budget.used, size - want);
	else
		atomic_fetch_sub(&fwd_budget.used, want - size);
	f->pipe_size = size;
}

static int switch_to_copy(struct fwd *f)
{
	size_t size = f->pipe_size > COPY_BUF_SIZE ? f->pipe_size : COPY_BUF_SIZE;

	f->buf = malloc(size);
	if (!f->buf)
		return -ENOMEM;
	/* Bytes already in the pipe move into the buffer, in order. */
	size_t have = 0;
	while (have < f->pending) {
		ssize_t n = read(f->pipe_r, f->buf + have, f->pending - have);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		have += (size_t)n;
	}
	close_pipe(f);
	f->pipe_size = size;
	f->buf_off = 0;
	f->copy = true;
	return 0;
}

/* Keep what the destination did not take: into the (empty) pipe, whose
 * page-sized minimum holds a whole small read. */
static int stash(struct fwd *f, const char *p, size_t len)
{
	if (f->pipe_r < 0) {
		int r = open_pipe(f);
		if (r < 0)
			return r;
	}
	ssize_t n = write(f->pipe_w, p, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	f->pending = len;
	return 0;
}

/* The small-message shortcut (see fwd.h): source -> buffer ->
 * destination, the rest (if any) into the pipe. Returns bytes read, 0 at
 * EOF, -errno. Only with an empty pipe, so the order holds. */
static ssize_t pass_small(struct fwd *f, int src, int dst, bool *src_ready,
			  bool *dst_ready)
{
	/* One per thread (main loop, workers); nothing stays here. */
	static _Thread_local char buf[SMALL_READ];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(src, &msg, MSG_DONTWAIT);
	size_t sent = 0;

	if (n <= 0)
		return n < 0 ? -errno : 0;
	f->bulk = (size_t)n == sizeof(buf);
	/* A short read means empty for now, unless the read stopped at a
	 * message carrying descriptors (dropped: MSG_CTRUNC) or a hang-up
	 * is still to be read. */
	if (!f->bulk && !f->src_hup && !(msg.msg_flags & MSG_CTRUNC))
		*src_ready = false;
	if (dst >= 0 && *dst_ready) {
		ssize_t w = write(dst, buf, (size_t)n);
		if (w < 0 && errno != EAGAIN)
			return -errno;
		if (w < 0)
			*dst_ready = false;
		else
			sent = (size_t)w;
	}
	f->bytes += sent;
	if (sent < (size_t)n) {
		int r = stash(f, buf + sent, (size_t)n - sent);
		if (r < 0)
			return r;
	}
	return n;
}

/* Source -> pipe (or buffer). Returns bytes moved, 0 at EOF, -errno. */
static ssize_t fill(struct fwd *f, int src)
{
	ssize_t n;

	if (f->copy) {
		if (f->pending)
			return -EAGAIN; /* copy mode refills only when empty */
		n = read(src, f->buf, f->pipe_size);
		if (n > 0) {
			f->buf_off = 0;
			f->pending = (size_t)n;
		}
		return n < 0 ? -errno : n;
	}
	if (f->pipe_r < 0) {
		/* No pipe until there is a byte to move: idle connections
		 * hold none. A peek tells data from EOF from nothing yet. */
		char c;
		n = recv(src, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n <= 0)
			return n < 0 ? -errno : 0;
		int r = open_pipe(f);
		if (r < 0)
			return r;
	}
	n = splice(src, NULL, f->pipe_w, NULL, f->pipe_size - f->pending,
		   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0 && errno == EINVAL && f->pending == 0) {
		int r = switch_to_copy(f);
		return r < 0 ? r : fill(f, src);
	}
	if (n < 0)
		return -errno;
	f->pending += (size_t)n;
	f->bulk = n >= SMALL_READ;
	if (n > 0 && f->pending >= f->pipe_size)
		maybe_grow(f);
	return n;
}

/* Pipe (or buffer) -> destination. Returns bytes moved or -errno. */
static ssize_t drain(struct fwd *f, int dst)
{
	ssize_t n;

	if (f->copy)
		n = write(dst, f->buf + f->buf_off, f->pending);
	else
		n = splice(f->pipe_r, NULL, dst, NULL, f->pending,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0 && errno == EINVAL && !f->copy) {
		int r = switch_to_copy(f);
		return r < 0 ? r : drain(f, dst);
	}
	if (n < 0)
		return -errno;
	f->pending -= (size_t)n;
	f->buf_off += (size_t)n;
	f->bytes += (size_t)n;
	return n;
}

static bool can_fill(const struct fwd *f)
{
	return !f->eof && (f->copy ? f->pending == 0
				   : f->pipe_r < 0 || f->pending < f->pipe_size);
}

/* One round: fill once, drain once. Returns 1 on progress, 0 if nothing
 * moved, -errno on a fatal error. */
static int round_once(struct fwd *f, int src, int dst, bool *src_ready,
		      bool *dst_ready)
{
	int progress = 0;
	ssize_t n;

	if (*src_ready && can_fill(f)) {
		if (!f->copy && !f->bulk && f->pending == 0)
			n = pass_small(f, src, dst, src_ready, dst_ready);
		else
			n = fill(f, src);
		if (n == -EAGAIN)
			*src_ready = false;
		else if (n < 0)
			return (int)n;
		else if (n == 0)
			f->eof = true;
		progress = n >= 0;
	}
	if (dst >= 0 && *dst_ready && f->pending) {
		n = drain(f, dst);
		if (n == -EAGAIN) {
			*dst_ready = false;
		} else if (n < 0) {
			return (int)n;
		} else {
			/* Room in the pipe again: the source may hold bytes
			 * we stopped reading (EAGAIN from a full pipe looks
			 * the same as an empty socket). */
			*src_ready = true;
			progress = 1;
		}
	}
	return progress;
}

int fwd_pump(struct fwd *f, int src, int dst, bool *src_ready,
	     bool *dst_ready, unsigned budget)
{
	int r;

	while ((r = round_once(f, src, dst, src_ready, dst_ready)) > 0) {
		if (--budget == 0)
			return 1;
	}
	if (r < 0)
		return r;
	if (f->eof && f->pending == 0 && dst >= 0 && !f->shut) {
		/* ENOTCONN: the peer is gone already; nothing to tell it. */
		if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
			return -errno;
		f->shut = true;
		close_pipe(f);
	}
	return 0;
}
