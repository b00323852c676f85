// SPDX-License-Identifier: MIT
/* loop.c - migsock-relay's main event loop: epoll over the listening
 * sockets, the two sockets of every connection not in a worker thread
 * (edge-triggered), a signalfd for SIGTERM/SIGINT, two timerfds (upstream
 * retry, drain deadline) and the eventfd of finished workers. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "relay.h"
#include "report.h"
#include "sandbox.h"
#include "worker.h"

SANDBOX_SYSCALLS(__NR_epoll_wait, __NR_epoll_pwait, __NR_epoll_ctl,
		 __NR_accept4, __NR_read, __NR_close, __NR_fcntl,
		 __NR_timerfd_settime, __NR_exit_group, __NR_exit);

#define MAX_EVENTS 256
/* Accepts per listener wakeup, so a flood cannot starve open streams. */
#define ACCEPT_BURST 64

static struct ev_src ev_signal = { EV_SIGNAL }, ev_retry = { EV_RETRY },
		     ev_drain = { EV_DRAIN }, ev_worker = { EV_WORKER };

static int add_fd(struct relay *r, int fd, uint32_t events, void *ptr)
{
	struct epoll_event e = { .events = events, .data.ptr = ptr };

	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &e);
}

void relay_poll_listener(struct relay *r, struct relay_listener *l, bool on)
{
	struct epoll_event e = { .events = on ? EPOLLIN : 0, .data.ptr = &l->ev };

	if (l->fd >= 0 && epoll_ctl(r->epfd, EPOLL_CTL_MOD, l->fd, &e) == 0)
		l->paused = !on;
}

/* A system call failed while setting up; out of descriptors has a fix. */
static int setup_fail(struct ms_error *e, const char *what)
{
	if (errno == EMFILE || errno == ENFILE)
		return ms_fail(e, MS_EXIT_SYS, "%s: %s: raise the descriptor limit (ulimit -n)",
			       what, strerror(errno));
	return ms_fail_errno(e, MS_EXIT_SYS, "%s", what);
}

static int make_timer(struct ms_error *e)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return setup_fail(e, "timerfd_create");
	return fd;
}

int relay_loop_init(struct relay *r, struct ms_error *e)
{
	sigset_t mask;

	r->sigfd = r->retry_fd = r->drain_fd = r->reserve_fd = r->worker_fd = -1;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		return setup_fail(e, "epoll_create1");
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "sigprocmask");
	r->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sigfd < 0)
		return setup_fail(e, "signalfd");
	if ((r->retry_fd = make_timer(e)) < 0 || (r->drain_fd = make_timer(e)) < 0 ||
	    worker_init(&r->worker_fd, e) < 0)
		return -1;
	/* A spare descriptor: when accept() hits EMFILE, closing it lets us
	 * accept and close the connection instead of spinning on it. */
	r->reserve_fd = fcntl(r->epfd, F_DUPFD_CLOEXEC, 0);
	if (add_fd(r, r->sigfd, EPOLLIN, &ev_signal) < 0 ||
	    add_fd(r, r->retry_fd, EPOLLIN, &ev_retry) < 0 ||
	    add_fd(r, r->drain_fd, EPOLLIN, &ev_drain) < 0 ||
	    add_fd(r, r->worker_fd, EPOLLIN, &ev_worker) < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "epoll_ctl");
	for (size_t i = 0; i < r->n_listeners; i++)
		if (add_fd(r, r->listeners[i].fd, EPOLLIN, &r->listeners[i].ev) < 0)
			return ms_fail_errno(e, MS_EXIT_SYS, "epoll_ctl");
	return 0;
}

void relay_resume_listeners(struct relay *r)
{
	if (r->reserve_fd < 0)
		r->reserve_fd = fcntl(r->epfd, F_DUPFD_CLOEXEC, 0);
	for (size_t i = 0; i < r->n_listeners; i++)
		if (r->listeners[i].paused)
			relay_poll_listener(r, &r->listeners[i], true);
}

void relay_loop_close(struct relay *r)
{
	int *fds[] = { &r->epfd, &r->sigfd, &r->retry_fd, &r->drain_fd, &r->reserve_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Out of descriptors: refuse one waiting client rather than leaving
 * the listener readable forever (a busy loop). */
static void refuse_one(struct relay *r, struct relay_listener *l)
{
	if (r->reserve_fd < 0) {
		relay_poll_listener(r, l, false);
		report_msg("warn", "refused", "%s: out of file descriptors with %u connections: not accepting until one closes",
			   l->ch->name, r->n_conns);
		return;
	}
	close(r->reserve_fd);
	int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	r->reserve_fd = fcntl(r->epfd, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0) {
		RELAY_STAT_ADD(l->ch, total, 1);
		RELAY_STAT_ADD(l->ch, refused, 1);
	}
	report_msg("warn", "refused", "%s: refused a connection: out of file descriptors with %u connections (raise the nofile limit or lower --max-conns)",
		   l->ch->name, r->n_conns);
}

static void accept_burst(struct relay *r, struct relay_listener *l)
{
	for (int i = 0; i < ACCEPT_BURST && !r->draining; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_accept(r, l, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE)
			refuse_one(r, l);
		else if (errno == ECONNABORTED || errno == EINTR)
			continue;
		else if (errno != EAGAIN)
			report_msg("error", "accept", "%s: accept: %s", l->ch->name, strerror(errno));
		return;
	}
}

/* SIGTERM/SIGINT: stop accepting, remove our sockets, let connections
 * finish until the drain deadline. A second signal ends them now. */
static void start_drain(struct relay *r)
{
	if (r->draining) {
		report_msg("info", "stopping", "second signal: closing %u connections now", r->n_conns);
		return conn_close_all(r, "terminated");
	}
	r->draining = true;
	relay_close_listeners(r);
	notify_stopping();
	if (r->n_conns == 0) {
		r->stop = true;
		return;
	}
	report_msg("info", "stopping", "stopping: waiting up to %us for %u connections",
		   r->drain_timeout, r->n_conns);
	if (r->drain_timeout == 0)
		return conn_close_all(r, "drain-timeout");
	struct itimerspec t = { .it_value.tv_sec = r->drain_timeout };
	timerfd_settime(r->drain_fd, 0, &t, NULL);
}

static void drain_fd(int fd)
{
	char buf[sizeof(struct signalfd_siginfo)];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* SIGUSR1 prints the live figures; SIGTERM/SIGINT drain. */
static void on_signals(struct relay *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			report_stats(r);
		else
			start_drain(r);
	}
}

/* The queues run again after this batch (conn_after_batch). */
static void retry_channels(struct relay *r)
{
	for (size_t i = 0; i < r->n_channels; i++)
		r->channels[i].retry_armed = false;
}

static void dispatch(struct relay *r, struct epoll_event *ev)
{
	struct ev_src *src = ev->data.ptr;

	switch (src->kind) {
	case EV_LISTENER:
		return accept_burst(r, (struct relay_listener *)src);
	case EV_CLIENT:
	case EV_UPSTREAM:
		return conn_event(r, src, ev->events);
	case EV_SIGNAL:
		return on_signals(r);
	case EV_RETRY:
		drain_fd(r->retry_fd);
		return retry_channels(r);
	case EV_DRAIN:
		drain_fd(r->drain_fd);
		return conn_close_all(r, "drain-timeout");
	case EV_WORKER:
		return conn_collect_workers(r);
	}
}

int relay_run(struct relay *r)
{
	struct epoll_event evs[MAX_EVENTS];

	while (!r->stop) {
		int n = epoll_wait(r->epfd, evs, MAX_EVENTS, r->busy ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			report_msg("error", "epoll", "epoll_wait: %s", strerror(errno));
			conn_close_all(r, "error");
			break;
		}
		for (int i = 0; i < n && !r->stop; i++)
			dispatch(r, &evs[i]);
		conn_after_batch(r);
	}
	relay_close_listeners(r);
	return 0;
}
