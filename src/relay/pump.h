/* SPDX-License-Identifier: MIT
 * pump.h - both directions of one relayed connection (two fwds, fwd.h)
 * and the readiness of its two sockets: what the main loop (conn.c) and a
 * worker thread (worker.c) both drive, with the same rules for when the
 * connection is finished.
 *
 * Full close vs half-close. On AF_UNIX a peer's shutdown(SHUT_WR) shows
 * as EPOLLRDHUP: the peer sends no more but may still read, so the other
 * direction goes on (half-close, as before). A peer's close() (or both
 * halves shut) shows as EPOLLHUP: nothing can reach it any more. Then
 * the connection ends as soon as what that side had sent has been passed
 * on, whatever the other side does: a client that is gone no longer
 * keeps its connection and descriptors while the upstream stays open and
 * silent (issue 11), and an upstream that is gone frees the client after
 * its last bytes.
 */
#ifndef MIGSOCK_RELAY_PUMP_H
#define MIGSOCK_RELAY_PUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "fwd.h"

struct pump {
	int cfd, ufd;                 /* client, upstream (-1 until connected) */
	bool c_rd, c_wr, u_rd, u_wr;  /* edge-triggered readiness */
	bool c_gone, u_gone;          /* EPOLLHUP: that peer is gone entirely */
	uint32_t c_ev, u_ev;          /* what epoll watches each socket for */
	struct fwd up, down;          /* client->upstream, upstream->client */
	/* The channel's live byte counters (relay.h, struct relay_stats),
	 * or NULL: pump_run adds what moved, with relaxed atomics, from the
	 * main loop or a worker alike. */
	uint64_t *live_up, *live_down;
	uint64_t counted_up, counted_down;
};

enum pump_state {
	PUMP_IDLE = 0,   /* waits for the next event */
	PUMP_MORE = 1,   /* stopped at its fairness budget: call again */
	PUMP_DONE = 2,   /* finished: close it (log "closed") */
};

void pump_init(struct pump *p, int cfd);
/* Close both sockets and release the pipes. */
void pump_release(struct pump *p);

/* An epoll event on the client (@client) or upstream socket. Returns 0,
 * or the socket's pending error (errno value) for EPOLLERR. */
int pump_event(struct pump *p, bool client, uint32_t events);

/* Watching a socket for output costs a wake-up each time its peer reads
 * (the kernel's write-space callback): on a one-way stream, one per read
 * of the receiver, with nothing to send. So a socket is watched for
 * output only while bytes wait for it; input and hang-ups always.
 * PUMP_WATCH_ALL is what a socket is first added with (an upstream
 * connect in progress reports on output). */
#define PUMP_WATCH_ALL (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

/* epoll_ctl(@op) the client (@client) or upstream socket with @data and
 * PUMP_WATCH_ALL (EPOLL_CTL_ADD) or what it needs now (EPOLL_CTL_MOD:
 * only if that changed). Returns 0 or -1 (errno). */
int pump_watch(struct pump *p, int epfd, int op, bool client, epoll_data_t data);

/* Move what can move, each direction up to @rounds rounds. @connected:
 * the upstream connect is done (before, the client's bytes only fill the
 * pipe). Returns a pump_state, or -errno with *@where set to the failing
 * direction. */
int pump_run(struct pump *p, bool connected, unsigned rounds,
	     const char **where);

/* Is a connection finished? Both directions passed EOF on; or a side is
 * gone and everything it sent has been passed on (its direction is
 * done): what the other side still sends could reach no one; or both
 * sides are gone (what is left in flight could reach no one). Pure. */
bool pump_finished(bool up_done, bool down_done, bool client_gone,
		   bool upstream_gone);

/* Bytes moved both ways so far. */
static inline uint64_t pump_bytes(const struct pump *p)
{
	return p->up.bytes + p->down.bytes;
}

/* A direction is streaming (fwd_streaming) past @min bytes. */
static inline bool pump_streaming(const struct pump *p, uint64_t min)
{
	return fwd_streaming(&p->up, min) || fwd_streaming(&p->down, min);
}

#endif
