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
 * did in one loop. At most worker_limit() threads exist; a streaming
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

/* At most WORKER_PER_CPU threads per online CPU, within [WORKER_MIN,
 * WORKER_MAX] (8 on a 2-CPU machine). A thread per stream gives each
 * stream its own CPU share under contention, but threads cost CPU per GB
 * the single loop saves by serving many ready streams per wake-up:
 * 64 streams through 64 threads took 0.22-0.24 s of relay CPU per GB,
 * through 8 threads (and the main loop) 0.11-0.19, through one loop
 * 0.13-0.20 (2 CPUs, loaded). WORKER_MIN covers a migration with
 * KubeVirt's 8 multifd channels or --parallel 4 plus its main and disk
 * streams. Each holds a thread stack (mostly untouched) and one epoll
 * descriptor besides the connection's own. */
#define WORKER_PER_CPU 4
#define WORKER_MIN 8
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
 * workers (*@done_fd) and the one that tells all workers to stop; the
 * thread limit from the number of online CPUs. */
int worker_init(int *done_fd, struct ms_error *e);

/* How many worker threads may run (see WORKER_PER_CPU). */
unsigned worker_limit(void);

/* The limit for @ncpu online CPUs. Pure; unit-tested. */
unsigned worker_limit_for(long ncpu);

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
