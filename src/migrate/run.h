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

void mig_signals_block(void);

/* While nothing is started (preflight), let SIGINT/SIGTERM end the main
 * thread's wait at once with their default action (@on), or hold them
 * again for the watch loop. Only the main thread ever unblocks them. */
void mig_signals_interruptible(bool on);

/* A SIGINT/SIGTERM that arrived before the migration started, or 0. */
int mig_signals_pending(void);

int mig_run(struct mig_ctx *c, struct mig_outcome *out);

/* --postcopy-after-precopy: switch now? (@started: already switched,
 * @aborting: an abort was asked for.) */
bool mig_run_first_pass_done(const struct mig_opts *o,
			     const struct mig_stats *s, bool started,
			     bool aborting);

#endif
