/* SPDX-License-Identifier: MIT
 * events.h - libvirt's event loop in a thread of its own, and the one
 * event we need: the source's JOB_COMPLETED, which carries the completed
 * job's statistics (bytes, downtime) even when the guest was transient and
 * is gone from the source by the time the migration call returns; and,
 * for --postcopy-after-precopy, MIGRATION_ITERATION, as virsh: the switch
 * to post-copy is asked the moment the second pass begins (polling the
 * job's iteration counter misses it when the later passes take less than
 * a poll interval).
 */
#ifndef MIGSOCK_MIGRATE_EVENTS_H
#define MIGSOCK_MIGRATE_EVENTS_H

#include <stdatomic.h>
#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "log.h"
#include "progress.h"

/* Before the first virConnectOpen: register the default event loop
 * implementation and run it in a thread. */
int mig_events_start(struct ms_error *e);
void mig_events_stop(void);

struct mig_job_watch {
	int callback_id;  /* -1: not registered */
	int iteration_id; /* -1: not registered */
	virConnectPtr conn;
	bool done;        /* the event arrived (under the lock) */
	struct mig_stats stats;
	atomic_bool switched; /* post-copy asked for at the second pass */
};

/* Watch @dom on @conn for JOB_COMPLETED; with @postcopy_after_pass, also
 * switch the migration to post-copy when its second pass begins. */
void mig_job_watch_start(struct mig_job_watch *w, virConnectPtr conn,
			 virDomainPtr dom, bool postcopy_after_pass);

/* Did the watch switch the migration to post-copy? */
bool mig_job_watch_switched(struct mig_job_watch *w);

/* Wait up to @ms for the event, copy its stats to @out (if not NULL);
 * true if it came. Deregisters. */
bool mig_job_watch_finish(struct mig_job_watch *w, int ms,
			  struct mig_stats *out);

#endif
