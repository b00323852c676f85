/* SPDX-License-Identifier: MIT
 * migrate.h - the state of one migsock-migrate run: the options, both
 * daemons and the guest (the context, filled by preflight), and what the
 * migration call and its watch saw (the outcome, filled by run and
 * recover). One run, one migration, one result.
 *
 *   main.c       the steps in order; every failure ends in one result
 *   options.c    argv and environment -> struct mig_opts; the up-front
 *                refusals (options.h)
 *   uri.c        socket paths inside libvirt and QEMU URIs (uri.h)
 *   preflight.c  checks before anything starts; fills the context
 *   ctx.c        the context's lifetime, the guest lookup, libvirt's
 *                last error
 *   plan.c       options -> libvirt flags, typed parameters, expectations
 *   run.c        the migration call in a thread, watched (progress,
 *                signals, --timeout, post-copy switch); fills the outcome
 *   recover.c    a post-copy that failed: wait for the sockets, resume
 *                (--recover, --postcopy-resume, --abort-postcopy)
 *   watchdog.c   bounded waits around blocking libvirt calls
 *   events.c     libvirt's event loop, the JOB_COMPLETED statistics
 *   progress.c   job statistics and their three renderings
 *   result.c     where the guest is afterwards, the summary, --json
 *   xmlscan.c    the few facts read from libvirt's XML
 */
#ifndef MIGSOCK_MIGRATE_H
#define MIGSOCK_MIGRATE_H

#include <stdbool.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>

#include "options.h"
#include "progress.h"

/* One daemon as this client sees it. */
struct mig_side {
	virConnectPtr conn;         /* NULL: not reachable from this client */
	const char *uri;
	char host_uuid[80];
	pid_t daemon_pid;           /* 0: not visible */
	char root[64];              /* "/proc/PID/root" or "" */
};

/* The context: what preflight found, what run and result act on. */
struct mig_ctx {
	const struct mig_opts *o;
	struct mig_side src, dst;
	virDomainPtr dom;           /* on the source */
	const char *name;           /* the guest's name on the source (the
	                             * domain may be given by id or UUID) */
	const char *dst_name;       /* --dname or the guest's name */
	bool src_persistent, src_active, src_paused;
	bool dst_known;             /* dst state below is real */
	bool dst_had_config;
};

/* What --recover did (recover.c); all zero without a post-copy failure. */
struct mig_recovery {
	bool postcopy_failed;   /* the migration failed in post-copy: the
	                         * source is paused (post-copy failed) */
	bool dst_lost;          /* ... and the destination has no guest */
	int attempts;           /* resume calls made by --recover */
	bool recovered;         /* a resume completed the migration */
	bool completed_by_qemu; /* ... or QEMU finished it without one (only
	                         * the daemons' connection had broken) */
	bool gave_up;           /* --recover's time ran out */
	double wait_seconds;    /* failure -> the sockets accept again */
	double back_seconds;    /* sockets accept again -> completion */
	char first_error[512];  /* libvirt's error of the post-copy failure */
};

/* The outcome of the migration call and its watch (and of --recover). */
struct mig_outcome {
	int rc;                 /* 0: libvirt reported success */
	char error[512];        /* libvirt's message when rc < 0 */
	bool aborted;           /* we asked libvirt to abort */
	int abort_signal;       /* the signal that asked, 0 for the timeout */
	bool timeout_hit;
	bool postcopy_started;
	bool suspended;         /* --timeout-suspend paused the guest */
	bool have_last;
	struct mig_stats last;  /* last sample while running */
	bool have_completed;
	struct mig_stats completed; /* from the JOB_COMPLETED event */
	double seconds;         /* wall time of the migration call */
	bool abandoned;         /* stopped waiting for libvirt after a signal
	                         * (the job had not ended ABORT_GRACE_S after
	                         * the abort, or a second signal came) */
	unsigned long extra_flags; /* VIR_MIGRATE_POSTCOPY_RESUME on a resume */
	bool abandoned_resume;  /* --recover left a resume call behind */
	struct mig_recovery rec;
};

/* ctx.c */
/* The guest on @conn as virsh finds it: by id, then UUID, then name. */
virDomainPtr mig_lookup_domain(virConnectPtr conn, const char *what);

/* Close what preflight opened (safe on a zeroed or half-filled context). */
void mig_ctx_close(struct mig_ctx *c);

/* libvirt's last error message (of this thread), or "unknown error". */
const char *mig_virt_error(void);

#endif
