/* SPDX-License-Identifier: MIT
 * run.h - the migration itself: libvirt's blocking call runs in a thread
 * while the main thread watches (job stats -> progress), reacts to
 * SIGINT/SIGTERM (virDomainAbortJob), --timeout, and switches to post-copy
 * after the first pre-copy pass with --postcopy-after-precopy.
 *
 * Signals: mig_signals_block() must run first thing in main(), before any
 * libvirt thread exists, so every thread inherits the mask and the
 * signals wait for sigtimedwait() in the watch loop.
 */
#ifndef MIGSOCK_MIGRATE_RUN_H
#define MIGSOCK_MIGRATE_RUN_H

#include <stdbool.h>

#include "migrate.h"

/* After SIGINT/SIGTERM: how long to wait for libvirt to end the job, and
 * the hard bound on the whole client (a daemon that does not answer the
 * abort or the checks after it). Documented in migsock-migrate(1). */
#define ABORT_GRACE_S 10
#define ABORT_HARD_S 30

void mig_signals_block(void);

/* While nothing is started (preflight), let SIGINT/SIGTERM end the main
 * thread's wait at once with their default action (@on), or hold them
 * again for the watch loop. Only the main thread ever unblocks them. */
void mig_signals_interruptible(bool on);

/* A SIGINT/SIGTERM that arrived before the migration started, or 0. */
int mig_signals_pending(void);

int mig_run(struct mig_ctx *c, struct mig_outcome *out);

/* The same call with @extra flags (VIR_MIGRATE_POSTCOPY_RESUME). */
int mig_run_flags(struct mig_ctx *c, struct mig_outcome *out,
		  unsigned long extra);

/* Give up a migration call still running at @monotonic seconds (0: no
 * limit; --recover's deadline for a resume). */
void mig_run_deadline(double monotonic);

/* CLOCK_MONOTONIC in seconds. */
double mig_now(void);

/* virsh's -k/-K on every open connection (needs the event loop). */
void mig_keepalive(virConnectPtr conn, const struct mig_opts *o);

/* --postcopy-after-precopy: switch now? (@started: already switched,
 * @aborting: an abort was asked for.) */
bool mig_run_first_pass_done(const struct mig_opts *o,
			     const struct mig_stats *s, bool started,
			     bool aborting);

#endif
