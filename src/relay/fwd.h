/* SPDX-License-Identifier: MIT
 * fwd.h - one direction of a relayed connection: bytes move from a source
 * socket into a pipe and from the pipe to the destination socket with
 * splice(), so they are never copied to user space. A direction falls back
 * to a read()/write() buffer only if the kernel refuses splice (EINVAL).
 *
 * Memory stays bounded: the source is read only while the pipe has room,
 * so a slow reader on the destination pushes back to the sender.
 *
 * Small reads (a request, a reply) take a shortcut through a buffer:
 * read() then write() cost less than two splices, need no pipe, and a
 * read shorter than the buffer tells the socket is empty (epoll(7)), which
 * saves the extra call that would only return EAGAIN.
 *
 * Pipes are created lazily (an idle connection holds none) and grow from
 * the kernel's default to a larger size only for bulk streams, within a
 * budget shared by all connections: past pipe-user-pages-soft the kernel
 * would shrink every new pipe of this user to one page.
 */
#ifndef MIGSOCK_RELAY_FWD_H
#define MIGSOCK_RELAY_FWD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fwd {
	int pipe_r, pipe_w;   /* -1 until the first byte */
	size_t pipe_size;     /* capacity of the pipe (or of buf) */
	size_t pending;       /* bytes in the pipe (or in buf) */
	char *buf;            /* copy fallback: the bytes, from buf_off */
	size_t buf_off;
	bool copy;            /* splice refused: read()/write() */
	bool eof;             /* the source said EOF */
	bool shut;            /* EOF passed on: shutdown(dst, SHUT_WR) done */
	bool bulk;            /* the last read filled its buffer: splice */
	bool src_hup;         /* the source hung up: read on until EOF */
	uint64_t bytes;       /* delivered to the destination */
};

/* The largest pipe a bulk direction grows to. Not bigger: the bytes in
 * flight (client's socket buffer + pipe + our socket buffer) should stay
 * in the CPU cache, so the receiver copies out of cache, not memory. On
 * the 2-CPU test machine a 1 MiB pipe made one relayed stream 19% slower
 * than 256 KiB (5.3 vs 6.5 GB/s, all pinned to one CPU): the receiving
 * end's CPU per GB rose from 0.056 to 0.072 s. */
#define FWD_PIPE_MAX (256 * 1024)

/* Sizing policy, set once at start (from /proc/sys/fs, before the
 * sandbox). @used is shared by the main loop and the worker threads
 * (worker.h): changed only with atomic adds and a compare-and-swap when
 * a pipe grows, so two threads cannot both take the last room. */
struct fwd_budget {
	size_t max_pipe;      /* largest pipe to ask for */
	size_t limit;         /* bytes of pipe capacity all fwds may hold */
	_Atomic size_t used;  /* bytes of pipe capacity held now */
};

extern struct fwd_budget fwd_budget;

void fwd_budget_init(size_t pipe_max_size, size_t user_pages_soft,
		     size_t page_size);

/* The pipe size to grow a pipe of @cur bytes to (or @cur to stay), given
 * the budget. Pure; unit-tested. */
size_t fwd_grow_target(size_t cur, const struct fwd_budget *b);

void fwd_init(struct fwd *f);
void fwd_release(struct fwd *f);

/* Move what can move now from @src to @dst (@dst < 0: not connected yet,
 * only fill). @src_ready/@dst_ready track edge-triggered readiness: cleared
 * on EAGAIN, set again by epoll events (and @src_ready whenever the pipe
 * frees room). Passes EOF on with shutdown() once the pipe is empty.
 * Returns 0, 1 if it stopped after @budget rounds with work left (call
 * again later, for fairness), or -errno on a fatal error. */
int fwd_pump(struct fwd *f, int src, int dst, bool *src_ready,
	     bool *dst_ready, unsigned budget);

/* Moved enough to be a stream (the last read filled its buffer and at
 * least @min bytes went through): worth a worker thread (worker.h). */
static inline bool fwd_streaming(const struct fwd *f, uint64_t min)
{
	return f->bulk && f->bytes >= min;
}

/* The source reported EPOLLRDHUP/EPOLLHUP: a short read no longer means
 * there is nothing left to read, the EOF still is. */
static inline void fwd_src_hangup(struct fwd *f)
{
	f->src_hup = true;
}

/* All bytes passed on and EOF forwarded. */
static inline bool fwd_done(const struct fwd *f)
{
	return f->shut;
}

#endif
