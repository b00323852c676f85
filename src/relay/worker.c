// SPDX-License-Identifier: MIT
/* worker.c - a thread per streaming connection; see worker.h. */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sandbox.h"
#include "worker.h"

/* What creating, running and ending a thread takes once sandboxed
 * (glibc 2.36: clone3, falling back to clone; a stack with a guard page;
 * robust futex list and rseq registration in the new thread; the stack
 * given back with madvise at exit; pthread_join waits on a futex), and
 * the worker's own epoll. */
SANDBOX_SYSCALLS(__NR_clone, __NR_clone3, __NR_mmap, __NR_mprotect,
		 __NR_munmap, __NR_madvise, __NR_futex, __NR_set_robust_list,
		 __NR_rseq, __NR_rt_sigprocmask, __NR_exit, __NR_sched_yield,
		 __NR_epoll_create1, __NR_epoll_ctl, __NR_epoll_wait,
		 __NR_epoll_pwait, __NR_read, __NR_write, __NR_close);

/* Rounds each direction may move before the worker looks at its events
 * (the stop request among them). */
#define WORKER_ROUNDS 16

/* A worker's stack: its frames are shallow (epoll_wait, splice) and the
 * 4 KiB small-read buffer lives in thread-local storage, which glibc
 * carves out of the same mapping. Untouched pages cost nothing; the
 * sanitizers' runtimes need their default. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WORKER_STACK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WORKER_STACK 0
#endif
#endif
#ifndef WORKER_STACK
#define WORKER_STACK (256 * 1024)
#endif

enum { EV_W_CLIENT, EV_W_UPSTREAM, EV_W_STOP };

struct worker {
	pthread_t tid;
	int epfd;
	struct pump *p;
	void *owner;
	struct worker_result res;
	struct worker *next;      /* done list */
	bool done;                /* on the done list (under done_lock) */
};

static int done_fd = -1, stop_fd = -1;
static unsigned limit = WORKER_MIN;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static struct worker *done_list;

unsigned worker_limit_for(long ncpu)
{
	if (ncpu < 1)
		return WORKER_MIN;
	if (ncpu > WORKER_MAX / WORKER_PER_CPU)
		return WORKER_MAX;
	unsigned n = (unsigned)ncpu * WORKER_PER_CPU;
	return n < WORKER_MIN ? WORKER_MIN : n;
}

unsigned worker_limit(void)
{
	return limit;
}

int worker_init(int *out_done_fd, struct ms_error *e)
{
	limit = worker_limit_for(sysconf(_SC_NPROCESSORS_ONLN));
	done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (done_fd < 0 || stop_fd < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "eventfd");
	*out_done_fd = done_fd;
	return 0;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	/* Only fails if the counter would overflow: then it is set anyway. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		abort();
}

/* Add (EPOLL_CTL_ADD) or update (MOD) the watch on a socket of the
 * worker's connection: see pump_watch. */
static int watch_sock(struct worker *w, int op, bool client)
{
	epoll_data_t data = { .u32 = client ? EV_W_CLIENT : EV_W_UPSTREAM };

	return pump_watch(w->p, w->epfd, op, client, data);
}

/* Pump until finished, failed or stopped. Returns the result. */
static void serve(struct worker *w)
{
	struct pump *p = w->p;
	struct epoll_event evs[3];
	int st;

	/* Readiness as of now is unknown: try everything once. */
	p->c_rd = p->c_wr = p->u_rd = p->u_wr = true;
	for (;;) {
		st = pump_run(p, true, WORKER_ROUNDS, &w->res.where);
		if (st < 0) {
			w->res.err = -st;
			return;
		}
		if (st == PUMP_DONE)
			return;
		if (st == PUMP_IDLE && (watch_sock(w, EPOLL_CTL_MOD, true) < 0 ||
					watch_sock(w, EPOLL_CTL_MOD, false) < 0)) {
			w->res.err = errno;
			w->res.where = "epoll";
			return;
		}
		int n = epoll_wait(w->epfd, evs, 3, st == PUMP_MORE ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			w->res.err = errno;
			w->res.where = "epoll";
			return;
		}
		for (int i = 0; i < n; i++) {
			uint32_t kind = evs[i].data.u32;
			if (kind == EV_W_STOP) {
				w->res.stopped = true;
				return;
			}
			int err = pump_event(p, kind == EV_W_CLIENT, evs[i].events);
			if (err) {
				w->res.err = err;
				w->res.where = kind == EV_W_CLIENT ? "client" : "upstream";
				return;
			}
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	serve(w);
	/* Hand the connection back. After the unlock the main loop may join
	 * and free @w: nothing of it is touched below. */
	pthread_mutex_lock(&done_lock);
	w->next = done_list;
	w->done = true;
	done_list = w;
	pthread_mutex_unlock(&done_lock);
	signal_fd(done_fd);
	return NULL;
}

static int watch(int epfd, int fd, uint32_t events, uint32_t kind)
{
	struct epoll_event e = { .events = events, .data.u32 = kind };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

static int start_thread(struct worker *w)
{
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);

	if (err)
		return err;
	if (WORKER_STACK)
		err = pthread_attr_setstacksize(&attr, WORKER_STACK);
	if (!err)
		err = pthread_create(&w->tid, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	return err;
}

struct worker *worker_start(struct pump *p, void *owner)
{
	struct worker *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->p = p;
	w->owner = owner;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		goto fail_errno;
	/* The stop eventfd is level-triggered and never read: once set,
	 * every worker sees it. */
	if (watch_sock(w, EPOLL_CTL_ADD, true) < 0 ||
	    watch_sock(w, EPOLL_CTL_ADD, false) < 0 ||
	    watch(w->epfd, stop_fd, EPOLLIN, EV_W_STOP) < 0)
		goto fail_errno;
	err = start_thread(w);
	if (err == 0)
		return w;
	errno = err;
fail_errno:
	err = errno;
	if (w->epfd >= 0)
		close(w->epfd);
	free(w);
	errno = err;
	return NULL;
}

void worker_stop_all(void)
{
	signal_fd(stop_fd);
}

/* Join a worker that is off the done list, close its epoll, free it. */
static void finish(struct worker *w, struct worker_result *res)
{
	pthread_join(w->tid, NULL);
	*res = w->res;
	close(w->epfd);
	free(w);
}

void worker_collect(void (*fn)(void *ctx, void *owner,
			       const struct worker_result *res),
		    void *ctx)
{
	uint64_t n;
	struct worker *list;

	if (read(done_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&done_lock);
	list = done_list;
	done_list = NULL;
	pthread_mutex_unlock(&done_lock);
	while (list) {
		struct worker *w = list;
		struct worker_result res;
		void *owner = w->owner;
		list = w->next;
		finish(w, &res);
		fn(ctx, owner, &res);
	}
}

void worker_join(struct worker *w, struct worker_result *res)
{
	pthread_join(w->tid, NULL);
	/* Finished on its own before the stop: take it off the done list
	 * (the thread has exited, so the list holds still under the lock). */
	pthread_mutex_lock(&done_lock);
	if (w->done) {
		struct worker **pp = &done_list;
		while (*pp && *pp != w)
			pp = &(*pp)->next;
		if (*pp)
			*pp = w->next;
	}
	pthread_mutex_unlock(&done_lock);
	*res = w->res;
	close(w->epfd);
	free(w);
}
