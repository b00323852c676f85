// SPDX-License-Identifier: MIT
/* result.c - verify and report a migration; see result.h. */

#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "result.h"
#include "util.h"

const char *mig_state_name(int state)
{
	static const char *const names[] = {
		[VIR_DOMAIN_NOSTATE] = "nostate", [VIR_DOMAIN_RUNNING] = "running",
		[VIR_DOMAIN_BLOCKED] = "blocked", [VIR_DOMAIN_PAUSED] = "paused",
		[VIR_DOMAIN_SHUTDOWN] = "shutdown", [VIR_DOMAIN_SHUTOFF] = "shutoff",
		[VIR_DOMAIN_CRASHED] = "crashed", [VIR_DOMAIN_PMSUSPENDED] = "pmsuspended",
	};

	if (state < 0 || (size_t)state >= ARRAY_SIZE(names) || !names[state])
		return "unknown";
	return names[state];
}

const char *mig_place_state(const struct mig_place *p, char *buf, size_t len)
{
	const char *pc = NULL;

	if (!p->exists)
		return "none";
	if (p->state == VIR_DOMAIN_PAUSED)
		pc = p->reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED ?
		     "post-copy failed" : p->reason == VIR_DOMAIN_PAUSED_POSTCOPY ?
		     "post-copy" : NULL;
	else if (p->state == VIR_DOMAIN_RUNNING)
		pc = p->reason == VIR_DOMAIN_RUNNING_POSTCOPY_FAILED ?
		     "post-copy failed" : p->reason == VIR_DOMAIN_RUNNING_POSTCOPY ?
		     "post-copy" : NULL;
	if (!pc)
		return mig_state_name(p->state);
	snprintf(buf, len, "%s (%s)", mig_state_name(p->state), pc);
	return buf;
}

/* Look the guest up again (by UUID: --dname may rename it). */
static void look(virConnectPtr conn, const unsigned char *uuid,
		 struct mig_place *p)
{
	virDomainPtr d;
	int reason;

	memset(p, 0, sizeof(*p));
	if (!conn)
		return;
	p->checked = true;
	if (!(d = virDomainLookupByUUID(conn, uuid)))
		return;
	p->exists = true;
	p->active = virDomainIsActive(d) == 1;
	p->persistent = virDomainIsPersistent(d) == 1;
	p->state = VIR_DOMAIN_SHUTOFF;
	if (virDomainGetState(d, &p->state, &reason, 0) < 0)
		p->state = VIR_DOMAIN_NOSTATE;
	p->reason = reason;
	virDomainFree(d);
}

/* Completed-job figures: the source keeps them for an outgoing
 * migration while the domain object lives; a transient guest is gone
 * from the source afterwards, so ask the destination's incoming job. */
static bool completed_stats(virConnectPtr conn, const unsigned char *uuid,
			    struct mig_stats *s)
{
	virTypedParameterPtr params = NULL;
	int nparams = 0, type = 0;
	virDomainPtr d = conn ? virDomainLookupByUUID(conn, uuid) : NULL;
	bool ok = false;

	if (!d)
		return false;
	if (virDomainGetJobStats(d, &type, &params, &nparams,
				 VIR_DOMAIN_JOB_STATS_COMPLETED) == 0 &&
	    type == VIR_DOMAIN_JOB_COMPLETED && nparams > 0) {
		mig_stats_from_params(s, type, params, nparams);
		ok = true;
	}
	virTypedParamsFree(params, nparams);
	virDomainFree(d);
	return ok;
}

static void fail(struct mig_report *r, int code, const char *msg)
{
	if (r->exit_code)
		return; /* keep the first problem */
	r->exit_code = code;
	snprintf(r->message, sizeof(r->message), "%s", msg);
}

static void verify_dst(const struct mig_ctx *c, const struct mig_outcome *out,
		       struct mig_report *r, const struct mig_persist_expect *x)
{
	const struct mig_opts *o = c->o;
	const struct mig_place *d = &r->dst;
	char m[512];
	/* A resumed post-copy found the source paused by the failure, not
	 * by the user: the guest runs on at the destination. */
	bool want_paused = o->suspend ||
			   (c->src_paused && !(out->extra_flags &
					       VIR_MIGRATE_POSTCOPY_RESUME));

	if (!d->checked)
		return;
	if (!d->exists) {
		snprintf(m, sizeof(m), "libvirt reported success but %s is not "
			 "on the destination: check virsh -c %s list --all",
			 c->dst_name, c->dst.uri);
		fail(r, MS_EXIT_FAIL, m);
		return;
	}
	if (o->offline) {
		if (!d->persistent)
			fail(r, MS_EXIT_FAIL, "offline migration finished but "
			     "the destination has no persistent definition");
		return;
	}
	if (!d->active) {
		snprintf(m, sizeof(m), "%s is not running on the destination "
			 "after the migration (state %s): check its log there",
			 c->dst_name, mig_state_name(d->state));
		fail(r, MS_EXIT_FAIL, m);
		return;
	}
	if (!out->suspended &&
	    (want_paused != (d->state == VIR_DOMAIN_PAUSED))) {
		snprintf(m, sizeof(m), "%s is %s on the destination, expected "
			 "%s", c->dst_name, mig_state_name(d->state),
			 want_paused ? "paused" : "running");
		fail(r, MS_EXIT_FAIL, m);
		return;
	}
	if (c->dst_known && d->persistent != x->dst_persistent) {
		snprintf(m, sizeof(m), "%s is %s on the destination, libvirt's "
			 "persistence table says %s", c->dst_name,
			 d->persistent ? "persistent" : "transient",
			 x->dst_persistent ? "persistent" : "transient");
		fail(r, MS_EXIT_FAIL, m);
	}
}

static void verify_src(const struct mig_ctx *c, struct mig_report *r,
		       const struct mig_persist_expect *x)
{
	const struct mig_opts *o = c->o;
	const struct mig_place *s = &r->src;
	char m[512];

	if (o->offline) {
		/* The guest stays as it was; only its config may go. */
		if (c->src_active && !s->active)
			fail(r, MS_EXIT_FAIL, "the source guest stopped during "
			     "an offline migration");
		if (s->exists && s->persistent != x->src_config) {
			snprintf(m, sizeof(m), "the source definition of %s %s",
				 o->domain, x->src_config ? "is gone" :
				 "is still there after --undefinesource");
			fail(r, MS_EXIT_FAIL, m);
		}
		return;
	}
	if (s->active) {
		snprintf(m, sizeof(m), "%s still runs on the source after a "
			 "successful migration", o->domain);
		fail(r, MS_EXIT_FAIL, m);
		return;
	}
	if (s->exists != x->src_config) {
		snprintf(m, sizeof(m), "the source %s a definition of %s, "
			 "libvirt's persistence table says it should%s",
			 s->exists ? "keeps" : "lost", o->domain,
			 x->src_config ? "" : " not");
		fail(r, MS_EXIT_FAIL, m);
	}
}

void mig_postcopy_message(const struct mig_opts *o, const struct mig_outcome *out,
			  const struct mig_place *dst, char *buf, size_t len)
{
	const struct mig_recovery *r = &out->rec;
	char why[700];

	if (r->attempts)
		snprintf(why, sizeof(why), "%.200s; not recovered after %d "
			 "resume attempt%s within --recover %d s (last: %.200s)",
			 r->first_error, r->attempts, r->attempts == 1 ? "" : "s",
			 o->recover, out->error);
	else if (o->recover && !r->dst_lost)
		snprintf(why, sizeof(why), "%.200s; the sockets did not accept "
			 "again within --recover %d s", r->first_error, o->recover);
	else
		snprintf(why, sizeof(why), "%.200s", r->first_error);
	if (r->dst_lost || (dst->checked && !dst->active)) {
		snprintf(buf, len, "migration of %s failed in post-copy (%.400s) and "
			 "the destination lost the guest: it cannot be resumed, "
			 "the source copy is paused and stale (destroy it there "
			 "and boot the guest again)", o->domain, why);
		return;
	}
	snprintf(buf, len, "migration of %s failed in post-copy (%.400s): the guest "
		 "runs on the destination without all of its memory and the "
		 "source is paused (post-copy failed); bring the sockets back "
		 "and run the same command with --postcopy-resume (or "
		 "--recover SEC)", o->domain, why);
}

/* After a signal libvirt's job did not end within ABORT_GRACE_S: say
 * where the guest is. Exit 7 only if it still runs on the source. */
static void verify_abandoned(const struct mig_ctx *c, struct mig_report *r,
			     int sig)
{
	char m[640], s1[64], s2[64];
	bool on_src = r->src.active && !r->postcopy_started &&
		      r->src.reason != VIR_DOMAIN_PAUSED_POSTCOPY;

	snprintf(m, sizeof(m), "%s: libvirt did not end the migration of %s "
		 "within %d s, stopped waiting; on the source it is %s, on the "
		 "destination %s%s: check virsh -c %s domjobinfo %s",
		 sig ? strsignal(sig) : "timeout", c->o->domain, ABORT_GRACE_S,
		 mig_place_state(&r->src, s1, sizeof(s1)),
		 r->dst.checked ? mig_place_state(&r->dst, s2, sizeof(s2)) :
		 "not visible", on_src ? " (the job may still be running)" : "",
		 c->src.uri, c->o->domain);
	fail(r, on_src ? MS_EXIT_ABORTED :
	     r->src.reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED &&
	     r->src.state == VIR_DOMAIN_PAUSED ? MS_EXIT_POSTCOPY : MS_EXIT_FAIL, m);
}

/* A failed or aborted migration: the guest must still be on the source. */
static void verify_rollback(const struct mig_ctx *c,
			    const struct mig_outcome *out, struct mig_report *r)
{
	char m[640];
	const char *where = !r->src.exists ? "is gone from the source" :
			    r->src.active ? NULL : "is not running on the source";
	bool was_running = c->src_active || c->o->offline;

	if (out->abandoned) {
		verify_abandoned(c, r, out->abort_signal);
		return;
	}
	if (out->rec.postcopy_failed) {
		mig_postcopy_message(c->o, out, &r->dst, m, sizeof(m));
		fail(r, MS_EXIT_POSTCOPY, m);
		return;
	}
	if (out->aborted) {
		if (was_running && where)
			snprintf(m, sizeof(m), "migration aborted, but %s %s: "
				 "check virsh -c %s list --all", c->o->domain,
				 where, c->src.uri);
		else
			snprintf(m, sizeof(m), "migration aborted (%s); %s "
				 "still runs on the source, state %s",
				 out->abort_signal ? strsignal(out->abort_signal)
						   : "timeout",
				 c->o->domain, mig_state_name(r->src.state));
		fail(r, MS_EXIT_ABORTED, m);
		return;
	}
	snprintf(m, sizeof(m), "migration of %s failed: %s%s", c->o->domain,
		 out->error, was_running && where ? "; the guest " : "");
	if (was_running && where) {
		size_t l = strlen(m);
		snprintf(m + l, sizeof(m) - l, "%s", where);
	}
	fail(r, MS_EXIT_FAIL, m);
}

void mig_result(struct mig_ctx *c, const struct mig_outcome *out,
		struct mig_report *r)
{
	unsigned char uuid[VIR_UUID_BUFLEN];
	struct mig_persist_expect x = mig_plan_expect(c->src_persistent,
		c->dst_had_config, c->o->undefinesource, c->o->persistent);

	memset(r, 0, sizeof(*r));
	mig_plan_mode(c->o, r->mode, sizeof(r->mode));
	mig_plan_flag_names(mig_plan_flags(c->o), r->flags, sizeof(r->flags));
	if ((out->extra_flags & VIR_MIGRATE_POSTCOPY_RESUME) &&
	    strlen(r->flags) + 20 < sizeof(r->flags))
		strcat(r->flags, " --postcopy-resume");
	r->seconds = out->seconds;
	r->aborted = out->aborted;
	r->timeout_hit = out->timeout_hit;
	r->postcopy_started = out->postcopy_started;
	r->suspended = out->suspended;
	r->abandoned = out->abandoned;
	r->rec = out->rec;
	if (virDomainGetUUID(c->dom, uuid) < 0)
		memset(uuid, 0, sizeof(uuid));
	look(c->src.conn, uuid, &r->src);
	look(c->dst.conn, uuid, &r->dst);
	if (out->rc < 0) {
		verify_rollback(c, out, r);
	} else {
		verify_dst(c, out, r, &x);
		verify_src(c, r, &x);
	}
	if (out->have_completed) {
		r->stats = out->completed;
		r->have_stats = true;
	} else {
		r->have_stats = completed_stats(c->src.conn, uuid, &r->stats) ||
				completed_stats(c->dst.conn, uuid, &r->stats);
	}
	if (!r->have_stats && out->have_last) {
		r->stats = out->last;
		r->have_stats = true;
	}
}

static void print_place(const char *name, const struct mig_place *p, bool last)
{
	bool pcf = (p->state == VIR_DOMAIN_PAUSED &&
		    p->reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED) ||
		   (p->state == VIR_DOMAIN_RUNNING &&
		    p->reason == VIR_DOMAIN_RUNNING_POSTCOPY_FAILED);

	if (!p->checked) {
		printf("\"%s\":null%s", name, last ? "" : ",");
		return;
	}
	printf("\"%s\":{\"exists\":%s,\"active\":%s,\"persistent\":%s,"
	       "\"state\":\"%s\",\"postcopy_failed\":%s}%s", name,
	       p->exists ? "true" : "false", p->active ? "true" : "false",
	       p->persistent ? "true" : "false",
	       p->exists ? mig_state_name(p->state) : "none",
	       pcf ? "true" : "false", last ? "" : ",");
}

/* "recovery": null unless the migration failed in post-copy. */
static void print_recovery(const struct mig_report *r)
{
	const struct mig_recovery *x = &r->rec;

	printf("\"abandoned\":%s,", r->abandoned ? "true" : "false");
	if (!x->postcopy_failed) {
		printf("\"recovery\":null,");
		return;
	}
	printf("\"recovery\":{\"attempts\":%d,\"recovered\":%s,"
	       "\"completed_without_resume\":%s,"
	       "\"destination_lost\":%s,\"wait_seconds\":%.3f,"
	       "\"seconds_since_sockets_back\":", x->attempts,
	       x->recovered ? "true" : "false",
	       x->completed_by_qemu ? "true" : "false",
	       x->dst_lost ? "true" : "false", x->wait_seconds);
	if (x->recovered)
		printf("%.3f},", x->back_seconds);
	else
		printf("null},");
}

static void print_json(const struct mig_ctx *c, const struct mig_report *r)
{
	char esc[1400], stats[1024] = "";

	printf("{\"type\":\"result\",\"ok\":%s,\"exit_code\":%d,",
	       r->exit_code ? "false" : "true", r->exit_code);
	/* A run that failed before the migration may lack any of these. */
	if (c->o->domain)
		printf("\"domain\":\"%s\",",
		       json_escape(c->o->domain, esc, sizeof(esc)));
	else
		printf("\"domain\":null,");
	if (r->mode[0])
		printf("\"mode\":\"%s\",\"flags\":\"%s\",", r->mode, r->flags);
	else
		printf("\"mode\":null,\"flags\":null,");
	printf("\"error\":");
	if (r->exit_code)
		printf("\"%s\",", json_escape(r->message, esc, sizeof(esc)));
	else
		printf("null,");
	printf("\"seconds\":%.3f,\"aborted\":%s,\"timeout_hit\":%s,"
	       "\"postcopy_started\":%s,\"suspended_by_timeout\":%s,",
	       r->seconds, r->aborted ? "true" : "false",
	       r->timeout_hit ? "true" : "false",
	       r->postcopy_started ? "true" : "false",
	       r->suspended ? "true" : "false");
	print_recovery(r);
	if (r->have_stats) {
		mig_stats_json(&r->stats, stats, sizeof(stats));
		printf("\"stats\":{%s},\"downtime_ms\":", stats);
		if (r->stats.have_downtime)
			printf("%llu,", r->stats.downtime_ms);
		else
			printf("null,");
	} else {
		printf("\"stats\":null,\"downtime_ms\":null,");
	}
	print_place("source", &r->src, false);
	print_place("destination", &r->dst, true);
	printf("}\n");
	fflush(stdout);
}

static void print_human(const struct mig_ctx *c, const struct mig_report *r)
{
	char bytes[32] = "?", down[32] = "?";

	if (r->exit_code) {
		log_error("%s", r->message);
		return;
	}
	if (r->have_stats) {
		mig_human_bytes(r->stats.data_processed, bytes, sizeof(bytes));
		if (r->stats.have_downtime)
			snprintf(down, sizeof(down), "%llu ms",
				 r->stats.downtime_ms);
	}
	log_info("migrated %s (%s) in %.1f s: %s transferred, downtime %s; "
		 "destination: %s%s%s", c->o->domain, r->mode, r->seconds, bytes,
		 down, r->dst.checked ? (r->dst.exists ?
		 mig_state_name(r->dst.state) : "absent") : "not visible",
		 r->dst.checked && r->dst.persistent ? ", persistent" : "",
		 r->rec.recovered ? "; recovered from a post-copy failure" : "");
}

void mig_result_print(const struct mig_ctx *c, const struct mig_report *r)
{
	if (c->o->json)
		print_json(c, r);
	else
		print_human(c, r);
}
