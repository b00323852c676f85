// SPDX-License-Identifier: MIT
/* pump.c - both directions of one relayed connection; see pump.h. */

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pump.h"
#include "sandbox.h"

SANDBOX_SYSCALLS(__NR_getsockopt, __NR_close, __NR_epoll_ctl);

void pump_init(struct pump *p, int cfd)
{
	/* An accepted socket has room to write: its output is not watched
	 * until a write finds none (pump_watch). */
	*p = (struct pump){ .cfd = cfd, .ufd = -1, .c_wr = true };
	fwd_init(&p->up);
	fwd_init(&p->down);
}

void pump_release(struct pump *p)
{
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->ufd >= 0)
		close(p->ufd);
	p->cfd = p->ufd = -1;
	fwd_release(&p->up);
	fwd_release(&p->down);
}

int pump_watch(struct pump *p, int epfd, int op, bool client, epoll_data_t data)
{
	uint32_t *now = client ? &p->c_ev : &p->u_ev;
	/* The direction that writes to this socket. */
	const struct fwd *toward = client ? &p->down : &p->up;
	uint32_t want = PUMP_WATCH_ALL;

	if (op == EPOLL_CTL_MOD) {
		if (!toward->pending)
			want &= ~(uint32_t)EPOLLOUT;
		if (want == *now)
			return 0;
	}
	struct epoll_event e = { .events = want, .data = data };
	if (epoll_ctl(epfd, op, client ? p->cfd : p->ufd, &e) < 0)
		return -1;
	*now = want;
	return 0;
}

static int sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

int pump_event(struct pump *p, bool client, uint32_t events)
{
	if (events & EPOLLERR) {
		int err = sock_error(client ? p->cfd : p->ufd);
		if (err)
			return err;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		*(client ? &p->c_rd : &p->u_rd) = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		fwd_src_hangup(client ? &p->up : &p->down);
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		*(client ? &p->c_wr : &p->u_wr) = true;
	/* EPOLLHUP, unlike EPOLLRDHUP alone: that peer closed (see pump.h). */
	if (events & EPOLLHUP)
		*(client ? &p->c_gone : &p->u_gone) = true;
	return 0;
}

bool pump_finished(bool up_done, bool down_done, bool client_gone,
		   bool upstream_gone)
{
	return (up_done && down_done) || (client_gone && up_done) ||
	       (upstream_gone && down_done) || (client_gone && upstream_gone);
}

static int run(struct pump *p, bool connected, unsigned rounds,
	       const char **where)
{
	int up = 0, down = 0;

	/* Both ways are pumped even toward a side that is gone: bytes for
	 * it fail with EPIPE, so a connection that loses data ends "reset",
	 * as it always did. */
	up = fwd_pump(&p->up, p->cfd, connected ? p->ufd : -1, &p->c_rd,
		      &p->u_wr, rounds);
	if (up < 0) {
		*where = "client to upstream";
		return up;
	}
	if (!connected)
		return up > 0 ? PUMP_MORE : PUMP_IDLE;
	down = fwd_pump(&p->down, p->ufd, p->cfd, &p->u_rd, &p->c_wr, rounds);
	if (down < 0) {
		*where = "upstream to client";
		return down;
	}
	if (pump_finished(fwd_done(&p->up), fwd_done(&p->down), p->c_gone,
			  p->u_gone))
		return PUMP_DONE;
	return up > 0 || down > 0 ? PUMP_MORE : PUMP_IDLE;
}

/* Add the bytes moved since the last call to the live counters. */
static void count(struct pump *p)
{
	if (p->live_up && p->up.bytes != p->counted_up)
		__atomic_fetch_add(p->live_up, p->up.bytes - p->counted_up, __ATOMIC_RELAXED);
	if (p->live_down && p->down.bytes != p->counted_down)
		__atomic_fetch_add(p->live_down, p->down.bytes - p->counted_down, __ATOMIC_RELAXED);
	p->counted_up = p->up.bytes;
	p->counted_down = p->down.bytes;
}

int pump_run(struct pump *p, bool connected, unsigned rounds,
	     const char **where)
{
	int st = run(p, connected, rounds, where);

	count(p);
	return st;
}
