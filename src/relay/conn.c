// SPDX-License-Identifier: MIT
/* conn.c - one relayed connection, from accept to its closing log line:
 * peer check, upstream connect in accept order, forwarding both ways. */

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
	struct conn *dnext;          /* dead_list */
	struct relay_channel *ch;
	unsigned long id;
	int cfd, ufd;
	bool queued, connecting, busy, dead;
	bool c_rd, c_wr, u_rd, u_wr; /* edge-triggered readiness */
	struct fwd up, down;         /* client->upstream, upstream->client */
	struct peer_info peer;
	uint64_t start_us;
	uint64_t counted_up, counted_down; /* bytes already in ch->stats */
};

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

static struct conn *dead_list;

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

/* Add the bytes moved since the last call to the channel's figures. */
static void count_bytes(struct conn *c)
{
	RELAY_STAT_ADD(c->ch, bytes_up, c->up.bytes - c->counted_up);
	RELAY_STAT_ADD(c->ch, bytes_down, c->down.bytes - c->counted_down);
	c->counted_up = c->up.bytes;
	c->counted_down = c->down.bytes;
}

static void conn_close(struct relay *r, struct conn *c, const char *end,
		       const char *detail)
{
	bool was_head = c->queued && c->ch->queue_head == c;

	if (c->dead)
		return;
	count_bytes(c);
	RELAY_STAT_SUB(c->ch, open, 1);
	if (strcmp(end, "refused") == 0)
		RELAY_STAT_ADD(c->ch, refused, 1);
	dequeue(c);
	c->dead = true;
	close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	struct conn_summary s = {
		.id = c->id, .channel = c->ch->name, .pid = c->peer.pid,
		.uid = c->peer.uid, .gid = c->peer.gid,
		.bytes_up = c->up.bytes, .bytes_down = c->down.bytes,
		.duration_us = now_us() - c->start_us, .end = end,
		.detail = detail ? detail : "",
	};
	report_conn(&s);
	fwd_release(&c->up);
	fwd_release(&c->down);
	if (c->prev)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	/* Freed after this batch of events: later events may point at it. */
	c->dnext = dead_list;
	dead_list = c;
	r->n_conns--;
	for (size_t i = 0; i < r->n_listeners; i++)
		if (r->listeners[i].paused)
			relay_poll_listener(r, &r->listeners[i], true);
	if (r->draining && r->n_conns == 0)
		r->stop = true;
	/* The next connection may connect now (unless the queue is being
	 * run right now, or everything is closing). */
	if (was_head && !c->ch->running && !r->stop)
		conn_run_queue(r, c->ch);
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

static void conn_pump(struct relay *r, struct conn *c)
{
	int up = fwd_pump(&c->up, c->cfd, c->queued ? -1 : c->ufd, &c->c_rd,
			  &c->u_wr, PUMP_ROUNDS);
	if (up < 0)
		return conn_fail(r, c, -up, "client to upstream");
	if (c->ufd < 0 || c->queued)
		return;
	int down = fwd_pump(&c->down, c->ufd, c->cfd, &c->u_rd, &c->c_wr,
			    PUMP_ROUNDS);
	if (down < 0)
		return conn_fail(r, c, -down, "upstream to client");
	if (fwd_done(&c->up) && fwd_done(&c->down))
		return conn_close(r, c, "closed", NULL);
	count_bytes(c);
	if (up > 0 || down > 0)
		mark_busy(r, c);
}

static int watch(struct relay *r, int fd, struct ev_src *ev)
{
	struct epoll_event e = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = ev,
	};

	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &e);
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

void conn_accept(struct relay *r, struct relay_listener *l, int fd)
{
	struct peer_info p = { 0 };

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
		.id = ++r->next_id, .cfd = fd, .ufd = -1, .peer = p,
		.start_us = now_us(), .next = r->conns,
	};
	fwd_init(&c->up);
	fwd_init(&c->down);
	if (r->conns)
		r->conns->prev = c;
	r->conns = c;
	r->n_conns++;
	RELAY_STAT_ADD(l->ch, total, 1);
	RELAY_STAT_ADD(l->ch, open, 1);
	enqueue(c);
	if (watch(r, fd, &c->cev) < 0)
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
	c->u_rd = c->u_wr = true;
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

	if (getpeername(c->ufd, (struct sockaddr *)&sa, &salen) == 0)
		return connected(r, c);
	if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) {
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
	c->ufd = fd;
	if (watch(r, fd, &c->uev) < 0)
		return conn_fail(r, c, errno, "epoll");
	check_connect(r, c);
}

void conn_run_queue(struct relay *r, struct relay_channel *ch)
{
	struct conn *head;

	ch->running = true;
	while ((head = ch->queue_head) && !ch->retry_armed && !head->connecting)
		start_connect(r, head);
	ch->running = false;
}

/* The upstream socket of a connecting head reported: done, failed, or
 * (not connected and no error) the attempt died, so try again later. */
static void connect_event(struct relay *r, struct conn *c)
{
	struct relay_channel *ch = c->ch;

	c->connecting = false;
	check_connect(r, c);
	if (c->dead || !c->queued)
		return conn_run_queue(r, ch);
	if (c->connecting) {
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->ufd, NULL);
		close(c->ufd);
		c->ufd = -1;
		c->connecting = false;
		arm_retry(r, ch);
	}
}

static int sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

void conn_event(struct relay *r, struct ev_src *ev, uint32_t events)
{
	bool client = ev->kind == EV_CLIENT;
	struct conn *c = client ? container_of(ev, struct conn, cev)
				: container_of(ev, struct conn, uev);

	if (c->dead)
		return;
	if (!client && c->connecting) {
		connect_event(r, c);
		return;
	}
	if (events & EPOLLERR) {
		int err = sock_error(client ? c->cfd : c->ufd);
		if (err)
			return conn_fail(r, c, err, client ? "client" : "upstream");
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		*(client ? &c->c_rd : &c->u_rd) = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		fwd_src_hangup(client ? &c->up : &c->down);
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		*(client ? &c->c_wr : &c->u_wr) = true;
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
		if (!c->dead)
			conn_pump(r, c);
	}
}

/* Free connections closed during the last batch of events. */
void conn_reap(void)
{
	while (dead_list) {
		struct conn *c = dead_list;
		dead_list = c->dnext;
		free(c);
	}
}

void conn_close_all(struct relay *r, const char *why)
{
	r->stop = true;
	while (r->conns)
		conn_close(r, r->conns, why, NULL);
}
