// SPDX-License-Identifier: MIT
/* conn.c - one relayed connection, from accept to its closing log line:
 * peer check, upstream connect in accept order, forwarding both ways
 * (pump.c) in the main loop or, once it streams, in a worker thread
 * (worker.c).
 *
 * Closing a connection only tears it down (sockets, pipes, its log
 * line) and puts it on a list: after each batch of events the loop
 * (conn_after_batch) runs the connect queues, starts the hand-overs to
 * workers, resumes paused listeners and frees what was closed. Nothing
 * here calls back into the queue from a close. */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "relay.h"
#include "report.h"
#include "sandbox.h"
#include "worker.h"

SANDBOX_SYSCALLS(__NR_epoll_ctl, __NR_getsockopt, __NR_getpeername,
		 __NR_socket, __NR_connect, __NR_close, __NR_clock_gettime,
		 __NR_timerfd_settime);

/* Rounds (each up to one pipe full) one direction may move before the
 * loop turns to other connections. */
#define PUMP_ROUNDS 16
/* Upstream backlog full: try the head of the queue again after this. */
#define RETRY_NSEC (10 * 1000 * 1000)

struct conn {
	struct ev_src cev, uev;      /* client and upstream socket events */
	struct conn *prev, *next;    /* relay->conns */
	struct conn *qnext;          /* channel connect queue */
	struct conn *bnext;          /* relay->busy */
	struct conn *hnext;          /* handoff list */
	struct conn *dnext;          /* dead_list */
	struct relay_channel *ch;
	unsigned long id;
	bool queued, connecting, busy, dead;
	bool handoff;                /* waits to move to a worker */
	bool no_worker;              /* a thread could not start: stay */
	struct worker *worker;       /* the thread pumping it, or NULL */
	struct pump p;
	struct peer_info peer;
	uint64_t start_us;
};

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

static struct conn *dead_list, *handoff_list;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void dequeue(struct conn *c)
{
	struct relay_channel *ch = c->ch;
	struct conn **pp = &ch->queue_head, *prev = NULL;

	if (!c->queued)
		return;
	while (*pp && *pp != c) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (*pp)
		*pp = c->qnext;
	if (ch->queue_tail == c)
		ch->queue_tail = prev;
	c->qnext = NULL;
	c->queued = false;
}

static void enqueue(struct conn *c)
{
	struct relay_channel *ch = c->ch;

	if (ch->queue_tail)
		ch->queue_tail->qnext = c;
	else
		ch->queue_head = c;
	ch->queue_tail = c;
	c->queued = true;
}

/* Tear down: sockets, pipes, the log line with the exact byte counts.
 * The memory is freed after the batch (conn_after_batch): later events
 * of this batch may still point at it. */
static void conn_close(struct relay *r, struct conn *c, const char *end,
		       const char *detail)
{
	if (c->dead)
		return;
	RELAY_STAT_SUB(c->ch, open, 1);
	if (strcmp(end, "refused") == 0)
		RELAY_STAT_ADD(c->ch, refused, 1);
	dequeue(c);
	c->dead = true;
	struct conn_summary s = {
		.id = c->id, .channel = c->ch->name, .pid = c->peer.pid,
		.uid = c->peer.uid, .gid = c->peer.gid,
		.bytes_up = c->p.up.bytes, .bytes_down = c->p.down.bytes,
		.duration_us = now_us() - c->start_us, .end = end,
		.detail = detail ? detail : "",
	};
	pump_release(&c->p);
	report_conn(&s);
	if (c->prev)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->dnext = dead_list;
	dead_list = c;
	r->n_conns--;
	r->closed = true;
}

static void conn_fail(struct relay *r, struct conn *c, int err,
		      const char *where)
{
	char detail[256];
	bool reset = err == ECONNRESET || err == EPIPE;

	snprintf(detail, sizeof(detail), "%s: %s", where, strerror(err));
	conn_close(r, c, reset ? "reset" : "error", detail);
}

static void mark_busy(struct relay *r, struct conn *c)
{
	if (c->busy)
		return;
	c->busy = true;
	c->bnext = r->busy;
	r->busy = c;
}

/* A streaming connection moves to a worker after this batch, if a
 * thread is free. */
static void maybe_handoff(struct relay *r, struct conn *c)
{
	if (c->handoff || c->no_worker || c->queued ||
	    r->n_workers + r->n_handoffs >= worker_limit() ||
	    !pump_streaming(&c->p, WORKER_AFTER_BYTES))
		return;
	c->handoff = true;
	c->hnext = handoff_list;
	handoff_list = c;
	r->n_handoffs++;
}

/* Add (EPOLL_CTL_ADD) or update (MOD) the watch on the client or
 * upstream socket of @c: see pump_watch. */
static int watch(struct relay *r, struct conn *c, int op, bool client)
{
	epoll_data_t data = { .ptr = client ? &c->cev : &c->uev };

	return pump_watch(&c->p, r->epfd, op, client, data);
}

static void conn_pump(struct relay *r, struct conn *c)
{
	const char *where = "";
	int st = pump_run(&c->p, !c->queued, PUMP_ROUNDS, &where);

	if (st < 0)
		return conn_fail(r, c, -st, where);
	if (st == PUMP_DONE)
		return conn_close(r, c, "closed", NULL);
	maybe_handoff(r, c);
	if (c->handoff)
		return;
	if (st == PUMP_MORE)
		return mark_busy(r, c);
	if (watch(r, c, EPOLL_CTL_MOD, true) < 0 ||
	    (!c->queued && watch(r, c, EPOLL_CTL_MOD, false) < 0))
		conn_fail(r, c, errno, "epoll");
}

static bool refuse_peer(struct relay *r, struct relay_listener *l,
			const struct peer_info *p)
{
	char why[256];

	if (r->n_conns >= r->max_conns)
		snprintf(why, sizeof(why), "--max-conns %u reached", r->max_conns);
	else if (peer_admitted(r->allow, p, why, sizeof(why)))
		return false;
	report_refused(l->ch->name, p->pid, p->uid, p->gid, why);
	return true;
}

/* A new client joins its channel's queue and is connected upstream
 * right away if it is the head: under descriptor pressure an accepted
 * client gets its upstream socket before the next accept takes one. */
void conn_accept(struct relay *r, struct relay_listener *l, int fd)
{
	struct peer_info p = { 0 };

	RELAY_STAT_ADD(l->ch, total, 1); /* refused ones too */
	if (peer_get(fd, &p) < 0) {
		RELAY_STAT_ADD(l->ch, refused, 1);
		report_msg("warn", "refused", "%s: refused a peer whose credentials cannot be read: %s",
			   l->ch->name, strerror(errno));
		close(fd);
		return;
	}
	if (refuse_peer(r, l, &p)) {
		RELAY_STAT_ADD(l->ch, refused, 1);
		close(fd);
		return;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		RELAY_STAT_ADD(l->ch, refused, 1);
		report_msg("error", "refused", "%s: refused pid %ld: out of memory",
			   l->ch->name, (long)p.pid);
		close(fd);
		return;
	}
	*c = (struct conn){
		.cev.kind = EV_CLIENT, .uev.kind = EV_UPSTREAM, .ch = l->ch,
		.id = ++r->next_id, .peer = p, .start_us = now_us(),
		.next = r->conns,
	};
	pump_init(&c->p, fd);
	c->p.live_up = &l->ch->stats.bytes_up;
	c->p.live_down = &l->ch->stats.bytes_down;
	if (r->conns)
		r->conns->prev = c;
	r->conns = c;
	r->n_conns++;
	RELAY_STAT_ADD(l->ch, open, 1);
	enqueue(c);
	if (watch(r, c, EPOLL_CTL_ADD, true) < 0)
		return conn_fail(r, c, errno, "epoll");
	conn_run_queue(r, l->ch);
}

static void arm_retry(struct relay *r, struct relay_channel *ch)
{
	struct itimerspec t = { .it_value.tv_nsec = RETRY_NSEC };

	ch->retry_armed = true;
	timerfd_settime(r->retry_fd, 0, &t, NULL);
}

/* The head's upstream connect completed. */
static void connected(struct relay *r, struct conn *c)
{
	c->connecting = false;
	dequeue(c);
	c->p.u_rd = c->p.u_wr = true;
	conn_pump(r, c);
}

/* Look at the head's socket: connected, failed, or still waiting.
 * AF_UNIX connects finish at once or fail with EAGAIN (backlog full);
 * the in-progress case is handled for safety. */
static void check_connect(struct relay *r, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);

	if (getpeername(c->p.ufd, (struct sockaddr *)&sa, &salen) == 0)
		return connected(r, c);
	if (getsockopt(c->p.ufd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) {
		char detail[512];
		snprintf(detail, sizeof(detail), "upstream %s: %s",
			 c->ch->upstream, strerror(err));
		return conn_close(r, c, "refused", detail);
	}
	c->connecting = true;
}

static void start_connect(struct relay *r, struct conn *c)
{
	struct relay_channel *ch = c->ch;
	struct ms_error e = { 0 };

	int fd = sock_connect_path(ch->upstream, ch->connect_context, true, &e);
	if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return arm_retry(r, ch);
	if (fd < 0)
		return conn_close(r, c, "refused", e.msg);
	c->p.ufd = fd;
	if (watch(r, c, EPOLL_CTL_ADD, false) < 0)
		return conn_fail(r, c, errno, "epoll");
	check_connect(r, c);
}

/* Connect the queue's heads in accept order until one has to wait
 * (connecting, or the upstream's backlog is full: retry timer). A head
 * that connects or fails leaves the queue, so this ends. */
void conn_run_queue(struct relay *r, struct relay_channel *ch)
{
	struct conn *head;

	while (!r->stop && (head = ch->queue_head) && !ch->retry_armed &&
	       !head->connecting)
		start_connect(r, head);
}

/* The upstream socket of a connecting head reported: done, failed, or
 * (not connected and no error) the attempt died, so try again later. */
static void connect_event(struct relay *r, struct conn *c)
{
	c->connecting = false;
	check_connect(r, c);
	if (c->dead || !c->queued || !c->connecting)
		return;
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->p.ufd, NULL);
	close(c->p.ufd);
	c->p.ufd = -1;
	c->connecting = false;
	arm_retry(r, c->ch);
}

void conn_event(struct relay *r, struct ev_src *ev, uint32_t events)
{
	bool client = ev->kind == EV_CLIENT;
	struct conn *c = client ? container_of(ev, struct conn, cev)
				: container_of(ev, struct conn, uev);

	/* Events left from before a hand-over: the worker starts by trying
	 * both ways, so nothing is lost by dropping them. */
	if (c->dead || c->handoff || c->worker)
		return;
	if (!client && c->connecting)
		return connect_event(r, c);
	int err = pump_event(&c->p, client, events);
	if (err)
		return conn_fail(r, c, err, client ? "client" : "upstream");
	conn_pump(r, c);
}

void conn_run_busy(struct relay *r)
{
	struct conn *list = r->busy;

	r->busy = NULL;
	while (list) {
		struct conn *c = list;
		list = c->bnext;
		c->bnext = NULL;
		c->busy = false;
		if (!c->dead && !c->handoff && !c->worker)
			conn_pump(r, c);
	}
}

static void unwatch(struct relay *r, struct conn *c)
{
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->p.cfd, NULL);
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->p.ufd, NULL);
}

/* Move one connection to a new worker thread; if none can start, it
 * stays in the main loop for good (said once per process). */
static void start_worker(struct relay *r, struct conn *c)
{
	static bool warned;

	unwatch(r, c);
	c->worker = worker_start(&c->p, c);
	if (c->worker) {
		r->n_workers++;
		return;
	}
	if (!warned)
		report_msg("warn", "worker", "%s: cannot start a worker thread (%s): serving streams in the main loop",
			   c->ch->name, strerror(errno));
	warned = true;
	c->no_worker = true;
	c->p.c_rd = c->p.c_wr = c->p.u_rd = c->p.u_wr = true;
	if (watch(r, c, EPOLL_CTL_ADD, true) < 0 || watch(r, c, EPOLL_CTL_ADD, false) < 0)
		return conn_fail(r, c, errno, "epoll");
	mark_busy(r, c);
}

static void start_handoffs(struct relay *r)
{
	while (handoff_list) {
		struct conn *c = handoff_list;
		handoff_list = c->hnext;
		c->hnext = NULL;
		c->handoff = false;
		r->n_handoffs--;
		if (!c->dead && !r->stop)
			start_worker(r, c);
	}
}

/* A worker handed its connection back: close it with what happened. */
static void worker_done(void *ctx, void *owner, const struct worker_result *res)
{
	struct relay *r = ctx;
	struct conn *c = owner;

	if (c->worker) {
		c->worker = NULL;
		r->n_workers--;
	}
	if (res->stopped)
		return; /* conn_close_all closes it */
	if (res->err)
		return conn_fail(r, c, res->err, res->where);
	conn_close(r, c, "closed", NULL);
}

void conn_collect_workers(struct relay *r)
{
	worker_collect(worker_done, r);
}

/* Free connections closed during the last batch of events. */
static void reap(void)
{
	while (dead_list) {
		struct conn *c = dead_list;
		dead_list = c->dnext;
		free(c);
	}
}

void conn_after_batch(struct relay *r)
{
	if (!r->stop)
		conn_run_busy(r);
	for (size_t i = 0; i < r->n_channels; i++)
		conn_run_queue(r, &r->channels[i]);
	start_handoffs(r);
	if (r->closed && !r->stop)
		relay_resume_listeners(r);
	r->closed = false;
	if (r->draining && r->n_conns == 0)
		r->stop = true;
	reap();
}

void conn_close_all(struct relay *r, const char *why)
{
	r->stop = true;
	/* Workers first: told to stop, joined, then closed from here. */
	if (r->n_workers)
		worker_stop_all();
	for (struct conn *c = r->conns, *next; c; c = next) {
		next = c->next;
		if (!c->worker)
			continue;
		struct worker_result res;
		worker_join(c->worker, &res);
		c->worker = NULL;
		r->n_workers--;
		/* One that finished before the stop ends as it ended. */
		if (!res.stopped)
			worker_done(r, c, &res);
	}
	while (r->conns)
		conn_close(r, r->conns, why, NULL);
}
