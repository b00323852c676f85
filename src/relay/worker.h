/* SPDX-License-Identifier: MIT
 * worker.h - a thread that pumps one streaming connection (pump.h) with
 * its own small epoll, so the relay's data path uses every core.
 *
 * Why threads: one event loop serving every stream waits for one CPU.
 * Under contention (a guest and two QEMUs keeping both cores busy) it
 * stalls all of a migration's streams at once, and multifd through the
 * relay ran 1.26x the time without it (issue 12). A thread per streaming
 * connection is a schedulable entity per stream, like socat's processes
 * or KubeVirt's goroutines, so the scheduler gives the forwarder CPU per
 * stream and the streams stall independently.
 *
 * Who does what:
 *   main loop  accepts, peer checks, upstream connects in accept order,
 *              small and idle connections, every log line, every close;
 *   worker     a connection whose direction streams (fwd_streaming, at
 *              least WORKER_AFTER_BYTES) is handed over: its two sockets
 *              leave the main epoll and the worker pumps both ways until
 *              the connection is finished, fails, or is told to stop; it
 *              then hands the connection back (a list and an eventfd the
 *              main loop polls), and the main loop joins the thread, logs
 *              the exact byte counts and closes.
 * Idle connections never get a thread: 1,024 idle clients cost what they
 * did in one loop. At most WORKER_MAX threads exist; a streaming
 * connection beyond that stays in the main loop (served as before, with
 * its fairness budget) and moves to a worker when one is free.
 *
 * The seccomp filter is loaded before the first thread starts, and
 * threads inherit it; the syscalls threads need are declared in worker.c.
 * The pipe budget is shared through an atomic (fwd.h). Signals stay
 * blocked in workers (they inherit the main thread's mask): SIGTERM and
 * SIGINT reach the main loop's signalfd only.
 */
#ifndef MIGSOCK_RELAY_WORKER_H
#define MIGSOCK_RELAY_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "pump.h"

/* At most this many worker threads. Beyond a few per core they add no
 * throughput, but each is one more entity for the scheduler's fair share
 * under contention; QEMU's multifd takes at most 255 channels, KubeVirt
 * enables 8. Each holds a thread stack (WORKER_STACK, mostly untouched)
 * and one epoll descriptor besides the connection's own. */
#define WORKER_MAX 64
/* A direction must have moved this much (one full-size pipe) before its
 * connection gets a thread: a large libvirt RPC message alone does not
 * start one. */
#define WORKER_AFTER_BYTES (256u * 1024)

struct worker;

/* How a worker's connection ended. */
struct worker_result {
	int err;            /* 0, or the errno that ended it */
	const char *where;  /* the direction or socket that failed */
	bool stopped;       /* told to stop (worker_stop_all) */
};

/* Before the sandbox: the eventfd the main loop polls for finished
 * workers (*@done_fd) and the one that tells all workers to stop. */
int worker_init(int *done_fd, struct ms_error *e);

/* Hand @p (connected, both sockets out of the main epoll) to a new
 * thread; @owner comes back with the result. NULL (errno set) if no
 * thread could start: the caller keeps serving the connection. */
struct worker *worker_start(struct pump *p, void *owner);

/* Tell every worker to stop now (drain deadline, second signal). */
void worker_stop_all(void);

/* Main loop: join every worker that has finished, and call @fn with its
 * owner and result (the thread is gone: the pump is the caller's again). */
void worker_collect(void (*fn)(void *ctx, void *owner,
			       const struct worker_result *res),
		    void *ctx);

/* Wait for @w (after worker_stop_all) and join it; *@res gets how it
 * ended. Removes it from the finished list if it was there. */
void worker_join(struct worker *w, struct worker_result *res);

#endif
