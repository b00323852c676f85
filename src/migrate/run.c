// SPDX-License-Identifier: MIT
/* run.c - run and watch one migration; see run.h. */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "plan.h"
#include "run.h"
#include "util.h"
#include "watchdog.h"

#define TICK_MS 200
#define PLAIN_EVERY_MS 1000

struct job {
	struct mig_ctx *c;
	virTypedParameterPtr params;
	int nparams;
	unsigned long flags;
	pthread_t main_thread;
	atomic_bool done;
	int rc;
	char error[512];
	struct mig_job_watch *watch; /* its events (JOB_COMPLETED, iterations) */
};

/* A job whose thread is still inside libvirt when we stop waiting (after
 * a signal): kept reachable, never freed; the process exits soon. */
static struct job *abandoned_job;

/* --recover: a resume call still inside libvirt at this time (monotonic
 * seconds, 0: none) is left behind. */
static double call_deadline;

void mig_run_deadline(double monotonic)
{
	call_deadline = monotonic;
}

double mig_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sigset_t watched_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1); /* the migration thread is done */
	return set;
}

void mig_signals_block(void)
{
	sigset_t set = watched_signals();

	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void mig_signals_interruptible(bool on)
{
	sigset_t set = watched_signals();

	sigdelset(&set, SIGUSR1);
	pthread_sigmask(on ? SIG_UNBLOCK : SIG_BLOCK, &set, NULL);
}

int mig_signals_pending(void)
{
	sigset_t set = watched_signals();
	struct timespec zero = { 0, 0 };
	int sig;

	sigdelset(&set, SIGUSR1);
	while ((sig = sigtimedwait(&set, NULL, &zero)) < 0 && errno == EINTR)
		;
	return sig > 0 ? sig : 0;
}

static double now_s(void)
{
	return mig_now();
}

static void *migrate_thread(void *arg)
{
	struct job *j = arg;
	struct mig_ctx *c = j->c;

	if (mig_plan_flow(c->o) == MIG_FLOW_DIRECT) {
		virDomainPtr d = virDomainMigrate3(c->dom, c->dst.conn,
						   j->params, j->nparams,
						   (unsigned int)j->flags);
		j->rc = d ? 0 : -1;
		if (d)
			virDomainFree(d);
	} else {
		j->rc = virDomainMigrateToURI3(c->dom, c->o->desturi, j->params,
					       (unsigned int)j->nparams,
					       (unsigned int)j->flags);
	}
	if (j->rc < 0) /* libvirt's last error is per thread */
		snprintf(j->error, sizeof(j->error), "%s", mig_virt_error());
	atomic_store(&j->done, true);
	pthread_kill(j->main_thread, SIGUSR1);
	return NULL;
}

/* --- progress output ------------------------------------------------- */

struct view {
	const struct mig_opts *o;
	bool tty;
	int width;
	double last_plain;
	bool bar_drawn;
};

static void view_init(struct view *v, const struct mig_opts *o)
{
	struct winsize ws;

	v->o = o;
	v->tty = isatty(STDERR_FILENO) == 1;
	v->width = 30;
	if (v->tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 100)
		v->width = 40;
	v->last_plain = 0;
	v->bar_drawn = false;
}

static void view_show(struct view *v, const struct mig_stats *s, double t)
{
	char buf[512];

	if (v->o->no_progress)
		return;
	if (v->o->json) {
		if (t - v->last_plain < PLAIN_EVERY_MS / 1000.0)
			return;
		v->last_plain = t;
		mig_stats_json(s, buf, sizeof(buf));
		printf("{\"type\":\"progress\",%s}\n", buf);
		fflush(stdout);
	} else if (v->tty) {
		mig_stats_bar(s, v->width, buf, sizeof(buf));
		fprintf(stderr, "\r%s\033[K", buf);
		v->bar_drawn = true;
	} else {
		if (t - v->last_plain < PLAIN_EVERY_MS / 1000.0)
			return;
		v->last_plain = t;
		mig_stats_line(s, buf, sizeof(buf));
		fprintf(stderr, "%s: %s\n", log_prog(), buf);
	}
}

static void view_end(struct view *v)
{
	if (v->bar_drawn)
		fputc('\n', stderr);
	v->bar_drawn = false;
}

/* --- reactions --------------------------------------------------------- */

static void arm_backstop(struct mig_ctx *c)
{
	char what[600], fix[400];

	snprintf(what, sizeof(what), "the source daemon at %s", c->src.uri);
	snprintf(fix, sizeof(fix), "gave up after the signal; where %s is "
		 "could not be read: check virsh -c %s domstate %s --reason",
		 c->o->domain, c->src.uri, c->o->domain);
	mig_watchdog_stage(what, fix);
	mig_watchdog_arm(ABORT_HARD_S, MS_EXIT_FAIL, c->o->json, c->o->domain);
}

static void request_abort(struct mig_ctx *c, struct mig_outcome *out,
			  int sig, struct view *v)
{
	view_end(v);
	if (out->aborted) {
		log_warn("still aborting the migration of %s", c->o->domain);
		return;
	}
	out->aborted = true;
	out->abort_signal = sig;
	if (sig)
		arm_backstop(c);
	log_info("%s: aborting the migration of %s", sig ? strsignal(sig) :
		 "timeout", c->o->domain);
	if (virDomainAbortJob(c->dom) < 0)
		log_warn("libvirt did not abort the job (%s)%s",
			 mig_virt_error(), out->postcopy_started ?
			 ": post-copy cannot be undone, waiting for it to "
			 "finish" : "");
}

static void on_timeout(struct mig_ctx *c, struct mig_outcome *out,
		       struct view *v)
{
	out->timeout_hit = true;
	switch (c->o->timeout_action) {
	case MIG_TIMEOUT_SUSPEND:
		view_end(v);
		log_info("timeout of %d s: suspending %s to let the migration "
			 "converge", c->o->timeout, c->o->domain);
		if (virDomainSuspend(c->dom) < 0)
			log_warn("cannot suspend %s (%s)", c->o->domain,
				 mig_virt_error());
		else
			out->suspended = true;
		break;
	case MIG_TIMEOUT_POSTCOPY:
		view_end(v);
		log_info("timeout of %d s: switching to post-copy", c->o->timeout);
		if (virDomainMigrateStartPostCopy(c->dom, 0) < 0)
			log_warn("cannot switch to post-copy (%s)", mig_virt_error());
		else
			out->postcopy_started = true;
		break;
	case MIG_TIMEOUT_ABORT:
		request_abort(c, out, 0, v);
		break;
	}
}

bool mig_run_first_pass_done(const struct mig_opts *o,
			     const struct mig_stats *s, bool started,
			     bool aborting)
{
	/* virsh's rule: the first pass of pre-copy is over when the memory
	 * iteration counter reaches 2. */
	return o->postcopy_after_precopy && !started && !aborting &&
	       s->have_iteration && s->iteration >= 2;
}

static void note_postcopy(struct mig_ctx *c, struct mig_outcome *out,
			  struct view *v)
{
	out->postcopy_started = true;
	if (c->o->verbose) {
		view_end(v);
		log_info("first pre-copy pass done: switched to post-copy");
	}
}

static void maybe_postcopy(struct mig_ctx *c, struct job *j,
			   struct mig_outcome *out, const struct mig_stats *s,
			   struct view *v)
{
	/* The iteration event switched it (events.h)... */
	if (!out->postcopy_started && mig_job_watch_switched(j->watch))
		return note_postcopy(c, out, v);
	/* ...or this poll saw the second pass first. */
	if (!mig_run_first_pass_done(c->o, s, out->postcopy_started,
				     out->aborted))
		return;
	if (virDomainMigrateStartPostCopy(c->dom, 0) < 0) {
		if (mig_job_watch_switched(j->watch))
			return note_postcopy(c, out, v);
		view_end(v);
		log_warn("cannot switch to post-copy (%s)", mig_virt_error());
		return;
	}
	note_postcopy(c, out, v);
}

static void sample(struct mig_ctx *c, struct job *j, struct mig_outcome *out,
		   struct view *v, double t)
{
	virTypedParameterPtr params = NULL;
	int nparams = 0, type = 0;

	if (virDomainGetJobStats(c->dom, &type, &params, &nparams, 0) < 0)
		return; /* the job may have just ended */
	if (type != VIR_DOMAIN_JOB_NONE && nparams > 0) {
		mig_stats_from_params(&out->last, type, params, nparams);
		out->have_last = true;
		maybe_postcopy(c, j, out, &out->last, v);
		/* Nothing to show while QEMU is still being set up. */
		if (out->last.data_total)
			view_show(v, &out->last, t);
	}
	virTypedParamsFree(params, nparams);
}

/* A signal asked to end, and libvirt's job did not end (QEMU stuck in a
 * send, or post-copy, which cannot be aborted): stop waiting. The guest
 * stays where libvirt has it; result.c says where. */
static void give_up(struct mig_ctx *c, struct mig_outcome *out,
		   struct view *v, const char *why)
{
	view_end(v);
	out->abandoned = true;
	log_warn("%s: not waiting any longer for libvirt to end the migration "
		 "of %s%s", why, c->o->domain, out->postcopy_started ?
		 " (post-copy goes on without this client)" : "");
}

static void watch(struct mig_ctx *c, struct job *j, struct mig_outcome *out)
{
	sigset_t set = watched_signals();
	struct timespec tick = { 0, TICK_MS * 1000000L };
	double start = now_s(), signalled = 0;
	struct view v;

	view_init(&v, c->o);
	while (!atomic_load(&j->done)) {
		int sig = sigtimedwait(&set, NULL, &tick);
		double t = now_s();

		if ((sig == SIGINT || sig == SIGTERM) && signalled) {
			give_up(c, out, &v, "a second signal");
			break;
		}
		if (sig == SIGINT || sig == SIGTERM) {
			signalled = t;
			request_abort(c, out, sig, &v);
		}
		if (atomic_load(&j->done))
			break;
		if (signalled && t - signalled >= ABORT_GRACE_S) {
			give_up(c, out, &v, "no end of the job");
			break;
		}
		if (!signalled && call_deadline && t >= call_deadline) {
			give_up(c, out, &v, "--recover's time is up");
			break;
		}
		if (c->o->timeout && !out->timeout_hit && !out->aborted &&
		    t - start >= c->o->timeout)
			on_timeout(c, out, &v);
		sample(c, j, out, &v, t);
	}
	view_end(&v);
	out->seconds = now_s() - start;
}

void mig_keepalive(virConnectPtr conn, const struct mig_opts *o)
{
	/* libvirt sends a probe after -k seconds of silence and closes the
	 * connection after -K unanswered ones: a call to a daemon that
	 * stopped answering then fails instead of blocking forever. The
	 * probes need the event loop (events.c). */
	if (conn && o->keepalive_interval > 0 &&
	    virConnectSetKeepAlive(conn, o->keepalive_interval,
				   (unsigned int)o->keepalive_count) < 0 &&
	    o->verbose)
		log_info("no keepalive on this connection (%s)", mig_virt_error());
}

/* The thread is still inside libvirt: keep the objects it uses alive (a
 * close would wait for it), and the job reachable. */
static void abandon(struct mig_ctx *c, struct job *j,
		    struct mig_job_watch *w)
{
	virDomainRef(c->dom);
	virConnectRef(c->src.conn);
	if (c->dst.conn)
		virConnectRef(c->dst.conn);
	abandoned_job = j;
	mig_job_watch_finish(w, 0, NULL);
}

int mig_run_flags(struct mig_ctx *c, struct mig_outcome *out,
		  unsigned long extra)
{
	struct job *j = calloc(1, sizeof(*j));
	struct mig_job_watch w;
	struct ms_error e;
	pthread_t th;
	int r;

	memset(out, 0, sizeof(*out));
	out->extra_flags = extra;
	/* A resume continues a post-copy: nothing to switch, no abort. */
	out->postcopy_started = extra & VIR_MIGRATE_POSTCOPY_RESUME;
	if (!j) {
		out->rc = -1;
		snprintf(out->error, sizeof(out->error), "out of memory");
		return -1;
	}
	j->c = c;
	j->main_thread = pthread_self();
	atomic_init(&j->done, false);
	j->flags = mig_plan_flags(c->o) | extra;
	mig_keepalive(c->src.conn, c->o);
	mig_keepalive(c->dst.conn, c->o);
	if (mig_plan_params(c->o, &j->params, &j->nparams, &e) < 0) {
		out->rc = -1;
		snprintf(out->error, sizeof(out->error), "%s", e.msg);
		free(j);
		return -1;
	}
	j->watch = &w;
	mig_job_watch_start(&w, c->src.conn, c->dom,
			    c->o->postcopy_after_precopy && !out->postcopy_started);
	if ((r = pthread_create(&th, NULL, migrate_thread, j)) != 0) {
		mig_job_watch_finish(&w, 0, &out->completed);
		virTypedParamsFree(j->params, j->nparams);
		free(j);
		out->rc = -1;
		snprintf(out->error, sizeof(out->error),
			 "cannot start the migration thread: %s", strerror(r));
		return -1;
	}
	watch(c, j, out);
	if (out->abandoned) {
		pthread_detach(th);
		abandon(c, j, &w);
		out->rc = -1;
		snprintf(out->error, sizeof(out->error), "the job did not end");
		return -1;
	}
	pthread_join(th, NULL);
	if (mig_job_watch_switched(&w))
		out->postcopy_started = true;
	virTypedParamsFree(j->params, j->nparams);
	out->rc = j->rc;
	memcpy(out->error, j->error, sizeof(out->error));
	free(j);
	/* The event may trail the API's return by a moment. */
	out->have_completed = mig_job_watch_finish(&w, out->rc == 0 ? 2000 : 0,
						   &out->completed);
	return out->rc;
}

int mig_run(struct mig_ctx *c, struct mig_outcome *out)
{
	return mig_run_flags(c, out, c->o->postcopy_resume ?
			     VIR_MIGRATE_POSTCOPY_RESUME : 0);
}
