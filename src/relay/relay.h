/* SPDX-License-Identifier: MIT
 * relay.h - the state of one migsock-relay process: channels (an upstream
 * path each), listening sockets (one or more per channel), connections,
 * and the epoll loop that drives them. One main thread runs the loop;
 * streaming connections move to worker threads (worker.h).
 *
 *   setup.c   channels and listening sockets from the options
 *   loop.c    epoll, signals, timers, accept, drain on SIGTERM; after each
 *             batch of events: connect queues, hand-overs, paused
 *             listeners, freeing closed connections (conn_after_batch)
 *   conn.c    a connection: peer check, upstream connect in accept order,
 *             its pump in the main loop or a worker, close and log
 *   pump.c    both directions of a connection, full vs half close
 *   fwd.c     one direction: splice through a pipe, the pipe budget
 *   worker.c  a thread per streaming connection, handed back to close
 *   report.c  log lines (written by the main thread only)
 */
#ifndef MIGSOCK_RELAY_H
#define MIGSOCK_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fwd.h"
#include "pump.h"
#include "layout.h"
#include "notify.h"
#include "opts.h"
#include "peer.h"
#include "sockpath.h"

/* What an epoll event points at. */
enum ev_kind { EV_LISTENER, EV_CLIENT, EV_UPSTREAM, EV_SIGNAL, EV_RETRY,
	       EV_DRAIN, EV_WORKER };

struct ev_src {
	enum ev_kind kind;
};

struct conn;

/* A channel's live figures (SIGUSR1, and at exit: report.c). Updated with
 * relaxed atomics (RELAY_STAT_ADD) where a connection is accepted or
 * refused, where bytes move and where it closes, so they stay right when
 * connections are served by other threads; read with RELAY_STAT_GET. */
struct relay_stats {
	uint64_t open, total;         /* connections now; accepted since
	                               * start, refused ones included */
	uint64_t bytes_up, bytes_down;
	uint64_t refused;             /* by allow-list, limit, descriptors
	                               * or upstream */
};
#define RELAY_STAT_ADD(ch, field, n) \
	__atomic_fetch_add(&(ch)->stats.field, (uint64_t)(n), __ATOMIC_RELAXED)
#define RELAY_STAT_SUB(ch, field, n) \
	__atomic_fetch_sub(&(ch)->stats.field, (uint64_t)(n), __ATOMIC_RELAXED)
#define RELAY_STAT_GET(ch, field) \
	__atomic_load_n(&(ch)->stats.field, __ATOMIC_RELAXED)

struct relay_channel {
	char name[32];
	char upstream[SOCKPATH_MAX + 1];
	const char *connect_context;  /* NULL: inherit */
	/* Accepted connections waiting for their upstream connect, oldest
	 * first: only the head is ever connecting (accept order). */
	struct conn *queue_head, *queue_tail;
	bool retry_armed;             /* head got EAGAIN, waits for timer */
	bool on_demand;               /* upstream exists only while migrating */
	struct relay_stats stats;
};

struct relay_listener {
	struct ev_src ev;
	int fd;
	char path[SOCKPATH_MAX + 1];  /* "" when passed by activation */
	bool ours;                    /* created here: unlink on exit */
	bool paused;                  /* out of fds: not polled for now */
	struct relay_channel *ch;
};

struct relay {
	int epfd, sigfd, retry_fd, drain_fd;
	int worker_fd;                /* finished workers (worker.h) */
	int reserve_fd;               /* spent to refuse when out of fds */
	size_t n_channels, n_listeners;
	struct relay_channel channels[LAYOUT_MAX_CHANNELS];
	struct relay_listener listeners[NOTIFY_FDS_MAX];
	const struct peer_allow *allow;
	unsigned max_conns, n_conns, drain_timeout;
	unsigned long next_id;
	struct conn *conns;           /* all connections */
	struct conn *busy;            /* stopped at their fairness budget */
	unsigned n_workers;           /* connections in worker threads */
	unsigned n_handoffs;          /* waiting to move to one */
	bool closed;                  /* a connection closed in this batch */
	bool draining;
	bool stop;
};

/* setup.c: fill channels and listeners from @o (creating sockets, or
 * taking them from LISTEN_FDS). Before the sandbox. */
int relay_setup(struct relay *r, const struct relay_opts *o,
		struct ms_error *e);
/* "DIR/NAME", refused (MS_EXIT_PATH) if longer than a socket path can be. */
int relay_join_path(char *out, size_t len, const char *dir, const char *name,
		    struct ms_error *e);
/* Channels named qemu or nbd (or, from --connect, sockets named *-qemu,
 * *-nbd): their upstream exists only while a migration runs. */
bool relay_channel_on_demand(const char *name);
/* Remove the socket files we created; close the listening sockets. */
void relay_close_listeners(struct relay *r);

/* loop.c */
int relay_loop_init(struct relay *r, struct ms_error *e);
int relay_run(struct relay *r);
/* Close what relay_loop_init opened (frees descriptors on a failed start,
 * so the sockets can still be removed). */
void relay_loop_close(struct relay *r);
void relay_poll_listener(struct relay *r, struct relay_listener *l, bool on);
/* Descriptors were freed: poll the listeners paused for want of them. */
void relay_resume_listeners(struct relay *r);

/* conn.c */
void conn_accept(struct relay *r, struct relay_listener *l, int fd);
void conn_event(struct relay *r, struct ev_src *ev, uint32_t events);
void conn_run_queue(struct relay *r, struct relay_channel *ch);
void conn_run_busy(struct relay *r);
/* After each batch of events: pump the busy ones, connect queue heads,
 * start hand-overs to workers, resume listeners, free closed ones. */
void conn_after_batch(struct relay *r);
/* Finished workers (their eventfd was readable): close their conns. */
void conn_collect_workers(struct relay *r);
/* Close every connection (logging @why) and stop the loop. */
void conn_close_all(struct relay *r, const char *why);

#endif
