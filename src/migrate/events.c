// SPDX-License-Identifier: MIT
/* events.c - libvirt's event loop thread and JOB_COMPLETED; see events.h. */

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "events.h"

static pthread_t loop_thread;
static atomic_bool loop_running;
static atomic_bool loop_stop;
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;

static void *event_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&loop_stop))
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

int mig_events_start(struct ms_error *e)
{
	int r;

	if (virEventRegisterDefaultImpl() < 0)
		return ms_fail(e, MS_EXIT_SYS, "cannot set up libvirt's event "
			       "loop");
	atomic_store(&loop_stop, false);
	if ((r = pthread_create(&loop_thread, NULL, event_loop, NULL)) != 0)
		return ms_fail(e, MS_EXIT_SYS, "cannot start the event thread: "
			       "%s", strerror(r));
	atomic_store(&loop_running, true);
	return 0;
}

static void wake(int timer, void *opaque)
{
	(void)opaque;
	virEventRemoveTimeout(timer);
}

/* Call after every connection is closed. */
void mig_events_stop(void)
{
	if (!atomic_load(&loop_running))
		return;
	atomic_store(&loop_stop, true);
	/* A timer that fires at once makes the loop return and see the flag. */
	virEventAddTimeout(0, wake, NULL, NULL);
	pthread_join(loop_thread, NULL);
	atomic_store(&loop_running, false);
}

static void on_job_completed(virConnectPtr conn, virDomainPtr dom,
			     virTypedParameterPtr params, int nparams,
			     void *opaque)
{
	struct mig_job_watch *w = opaque;

	(void)conn;
	(void)dom;
	pthread_mutex_lock(&watch_lock);
	mig_stats_from_params(&w->stats, VIR_DOMAIN_JOB_COMPLETED, params,
			      nparams);
	w->done = true;
	pthread_mutex_unlock(&watch_lock);
}

/* virsh's rule: the first pre-copy pass is over when the second begins
 * (iteration 2); ask for post-copy then, once. A refusal (the job ended
 * meanwhile) leaves the polling in run.c to try again or give up. */
static void on_iteration(virConnectPtr conn, virDomainPtr dom, int iteration,
			 void *opaque)
{
	struct mig_job_watch *w = opaque;

	(void)conn;
	if (iteration >= 2 && !atomic_load(&w->switched) &&
	    virDomainMigrateStartPostCopy(dom, 0) == 0)
		atomic_store(&w->switched, true);
}

void mig_job_watch_start(struct mig_job_watch *w, virConnectPtr conn,
			 virDomainPtr dom, bool postcopy_after_pass)
{
	memset(w, 0, sizeof(*w));
	w->conn = conn;
	w->callback_id = w->iteration_id = -1;
	atomic_init(&w->switched, false);
	if (!atomic_load(&loop_running))
		return;
	w->callback_id = virConnectDomainEventRegisterAny(conn, dom,
		VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
		VIR_DOMAIN_EVENT_CALLBACK(on_job_completed), w, NULL);
	if (postcopy_after_pass)
		w->iteration_id = virConnectDomainEventRegisterAny(conn, dom,
			VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
			VIR_DOMAIN_EVENT_CALLBACK(on_iteration), w, NULL);
}

bool mig_job_watch_switched(struct mig_job_watch *w)
{
	return atomic_load(&w->switched);
}

static bool arrived(struct mig_job_watch *w, struct mig_stats *out)
{
	bool done;

	pthread_mutex_lock(&watch_lock);
	done = w->done;
	if (done && out)
		*out = w->stats;
	pthread_mutex_unlock(&watch_lock);
	return done;
}

bool mig_job_watch_finish(struct mig_job_watch *w, int ms,
			  struct mig_stats *out)
{
	struct timespec step = { 0, 20 * 1000000L };
	bool done = false;

	if (w->iteration_id >= 0)
		virConnectDomainEventDeregisterAny(w->conn, w->iteration_id);
	w->iteration_id = -1;
	if (w->callback_id < 0)
		return false;
	for (int waited = 0; !(done = arrived(w, out)) && waited < ms; waited += 20)
		nanosleep(&step, NULL);
	virConnectDomainEventDeregisterAny(w->conn, w->callback_id);
	w->callback_id = -1;
	return done;
}
