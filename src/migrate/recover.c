// SPDX-License-Identifier: MIT
/* recover.c - post-copy recovery and --abort-postcopy; see recover.h. */

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "recover.h"
#include "sockpath.h"
#include "uri.h"
#include "util.h"
#include "watchdog.h"

#define POLL_MS 250
#define RETRY_PAUSE_S 2   /* between a failed resume and the next wait */
#define BLIND_RETRY_S 5   /* no socket visible here: resume this often */
#define SETTLE_MS 3000    /* libvirt may mark the failure a moment late */

static double now_s(void)
{
	return mig_now();
}

/* --- preflight ------------------------------------------------------- */

int mig_recover_check_src(const struct mig_opts *o, int state, int reason,
			  struct ms_error *e)
{
	if (!o->postcopy_resume)
		return 0;
	if (state == VIR_DOMAIN_PAUSED &&
	    reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED)
		return 0;
	if (state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_POSTCOPY)
		return ms_fail(e, MS_EXIT_PREFLIGHT, "the post-copy migration "
			       "of %s is still running: nothing to resume (pause "
			       "it first with migsock-migrate --abort-postcopy "
			       "to resume it over other sockets)", o->domain);
	return ms_fail(e, MS_EXIT_PREFLIGHT, "%s is %s on the source, not "
		       "paused after a failed post-copy: libvirt resumes only a "
		       "post-copy migration that failed; drop "
		       "--postcopy-resume to start a new migration",
		       o->domain, state == VIR_DOMAIN_RUNNING ? "running" :
		       state == VIR_DOMAIN_PAUSED ? "paused" : "not running");
}

int mig_recover_check_dst(const struct mig_ctx *c, virDomainPtr d,
			  struct ms_error *e)
{
	int state = 0, reason = 0;

	if (!c->o->postcopy_resume)
		return 0;
	if (!d || virDomainIsActive(d) != 1)
		return ms_fail(e, MS_EXIT_PREFLIGHT, "%s is not running on the "
			       "destination: the post-copy migration cannot be "
			       "resumed (the destination lost the guest; its "
			       "memory is split and the source copy is stale)",
			       c->dst_name);
	if (virDomainGetState(d, &state, &reason, 0) == 0 &&
	    !(state == VIR_DOMAIN_RUNNING &&
	      reason == VIR_DOMAIN_RUNNING_POSTCOPY_FAILED) &&
	    !(state == VIR_DOMAIN_PAUSED &&
	      reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED))
		return ms_fail(e, MS_EXIT_PREFLIGHT, "%s on the destination is "
			       "not in the post-copy-failed state libvirt "
			       "resumes from (state %d, reason %d)",
			       c->dst_name, state, reason);
	return 0;
}

/* --- telling the user ------------------------------------------------ */

static void say(const struct mig_opts *o, const char *event, int attempt,
		double seconds, const char *fmt, ...) PRINTF(5, 6);

static void say(const struct mig_opts *o, const char *event, int attempt,
		double seconds, const char *fmt, ...)
{
	char msg[1024], esc[2100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!o->json) {
		log_info("%s", msg);
		return;
	}
	printf("{\"type\":\"recovery\",\"event\":\"%s\",\"attempt\":%d,"
	       "\"seconds\":%.3f,\"message\":\"%s\"}\n", event, attempt,
	       seconds, json_escape(msg, esc, sizeof(esc)));
	fflush(stdout);
}

/* --- state ----------------------------------------------------------- */

static bool src_state(struct mig_ctx *c, int *state, int *reason)
{
	return virDomainGetState(c->dom, state, reason, 0) == 0;
}

/* Paused "post-copy failed" on the source. A post-copy that is still
 * marked running gets SETTLE_MS to turn into one. */
static bool src_postcopy_failed(struct mig_ctx *c)
{
	struct timespec step = { 0, 100 * 1000000L };
	int state, reason;

	for (int waited = 0; waited <= SETTLE_MS; waited += 100) {
		if (!src_state(c, &state, &reason) || state != VIR_DOMAIN_PAUSED)
			return false;
		if (reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED)
			return true;
		if (reason != VIR_DOMAIN_PAUSED_POSTCOPY)
			return false;
		nanosleep(&step, NULL);
	}
	return false;
}

/* Our own connection to the destination, after its daemon restarted. */
static void reopen_dst(struct mig_ctx *c)
{
	char what[600], fix[400];
	virConnectPtr conn;

	if (!c->dst.conn || virConnectIsAlive(c->dst.conn) == 1)
		return;
	snprintf(what, sizeof(what), "the destination daemon at %s",
		 c->dst.uri);
	snprintf(fix, sizeof(fix), "it accepts connections but says nothing "
		 "while resuming post-copy: check it (virsh -c %s uri)",
		 c->dst.uri);
	mig_watchdog_stage(what, fix);
	mig_watchdog_arm(c->o->connect_timeout, MS_EXIT_POSTCOPY, c->o->json,
			 c->o->domain);
	conn = virConnectOpen(c->dst.uri);
	mig_watchdog_disarm();
	if (!conn)
		return; /* not back yet: the next round tries again */
	virConnectClose(c->dst.conn);
	c->dst.conn = conn;
	mig_keepalive(conn, c->o);
}

/* The guest is gone from the destination: nothing left to resume. Only
 * known with a live connection there. */
static bool dst_lost(struct mig_ctx *c)
{
	unsigned char uuid[VIR_UUID_BUFLEN];
	virDomainPtr d;
	bool lost;

	if (!c->dst.conn || virConnectIsAlive(c->dst.conn) != 1 ||
	    virDomainGetUUID(c->dom, uuid) < 0)
		return false;
	d = virDomainLookupByUUID(c->dst.conn, uuid);
	lost = !d || virDomainIsActive(d) != 1;
	if (d)
		virDomainFree(d);
	return lost;
}

/* The migration finished although libvirt marked it failed: seen when
 * only the daemons' connection broke (driver channel) while QEMU's stream
 * went on. The source let the guest go, the destination runs it. */
static bool completed_meanwhile(struct mig_ctx *c)
{
	unsigned char uuid[VIR_UUID_BUFLEN];
	virDomainPtr d;
	int state = 0, reason = 0;
	bool src_gone, dst_runs = false;

	if (!c->dst.conn || virConnectIsAlive(c->dst.conn) != 1 ||
	    virDomainGetUUID(c->dom, uuid) < 0)
		return false;
	d = virDomainLookupByUUID(c->src.conn, uuid);
	src_gone = !d || virDomainIsActive(d) != 1;
	if (d)
		virDomainFree(d);
	if (!src_gone)
		return false;
	if ((d = virDomainLookupByUUID(c->dst.conn, uuid))) {
		dst_runs = virDomainGetState(d, &state, &reason, 0) == 0 &&
			   state == VIR_DOMAIN_RUNNING &&
			   reason != VIR_DOMAIN_RUNNING_POSTCOPY_FAILED;
		virDomainFree(d);
	}
	return dst_runs;
}

/* --- waiting for the sockets ----------------------------------------- */

static bool add_path(const struct mig_opts *o, const char *uri,
		     char (*paths)[PATH_MAX], int *n, int max)
{
	char path[PATH_MAX], dir[PATH_MAX];
	const char *base;
	struct stat st;

	if (*n >= max || !uri || !mig_uri_unix_path(uri, path, sizeof(path)))
		return false;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (o->recover_dir) {
		int w = snprintf(paths[*n], PATH_MAX, "%s/%s", o->recover_dir,
				 base);
		if (w < 0 || w >= PATH_MAX)
			return false;
		(*n)++;
		return true;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	if (stat(dir[0] ? dir : ".", &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	snprintf(paths[(*n)++], PATH_MAX, "%s", path);
	return true;
}

int mig_recover_paths(const struct mig_opts *o, char (*paths)[PATH_MAX],
		      int max)
{
	int n = 0;

	add_path(o, o->migrateuri, paths, &n, max);
	/* p2p: the source daemon reconnects to the destination daemon. */
	if (o->p2p)
		add_path(o, o->desturi, paths, &n, max);
	return n;
}

/* 1 if a listening AF_UNIX socket of this network namespace is bound to
 * the file @dev/@ino (sock_diag, UDIAG_SHOW_VFS), 0 if none, -1 if the
 * kernel would not say. */
static int listener_bound_to(dev_t dev, ino_t ino)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = AF_UNIX, .udiag_states = 1U << 10 /* LISTEN */,
		       .udiag_show = UDIAG_SHOW_VFS },
	};
	static char buf[32768];
	int found = 0;
	_cleanup_fd_ int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
				     NETLINK_SOCK_DIAG);

	if (nl < 0 || send(nl, &req, sizeof(req), 0) < 0)
		return -1;
	for (;;) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;

		if (n < 0)
			return -1;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return found;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			struct unix_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a = (struct rtattr *)(m + 1);
			int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));

			for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
				struct unix_diag_vfs v;

				if (a->rta_type != UNIX_DIAG_VFS ||
				    RTA_PAYLOAD(a) < sizeof(v))
					continue;
				memcpy(&v, RTA_DATA(a), sizeof(v));
				/* The kernel's dev_t: major in the top 12 bits. */
				if (v.udiag_vfs_ino == ino &&
				    makedev(v.udiag_vfs_dev >> 20,
					    v.udiag_vfs_dev & 0xfffff) == dev)
					found = 1;
			}
		}
	}
}

/* A path --recover waits for. The migration stream's socket is never
 * connected to: through a relay, a probe would reach the destination
 * QEMU's recovery listener and break the recovery (seen: QEMU 7.2 takes
 * it for the resumed stream). It counts as back when a listener in this
 * network namespace is bound to it, or when its file is a new one (a
 * relay in another namespace recreated it). The daemon socket is probed
 * by connecting: libvirtd just sees a client come and go. */
struct probe {
	char path[PATH_MAX];
	bool stream;
	bool had;        /* dev/ino of the file at the failure */
	dev_t dev;
	ino_t ino;
};

static bool probe_back(const struct probe *p)
{
	struct stat st;
	struct ms_error e;
	int fd;

	if (!p->stream) {
		if ((fd = sock_connect_path(p->path, NULL, false, &e)) < 0)
			return false;
		close(fd);
		return true;
	}
	if (stat(p->path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	if (listener_bound_to(st.st_dev, st.st_ino) == 1)
		return true;
	return !p->had || st.st_dev != p->dev || st.st_ino != p->ino;
}

int mig_recover_listening(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	return listener_bound_to(st.st_dev, st.st_ino);
}

static bool all_back(const struct probe *p, int n)
{
	for (int i = 0; i < n; i++)
		if (!probe_back(&p[i]))
			return false;
	return true;
}

/* Sleep @ms unless SIGINT/SIGTERM comes: returns the signal or 0. */
static int pause_ms(int ms)
{
	sigset_t set;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	while ((sig = sigtimedwait(&set, NULL, &ts)) < 0 && errno == EINTR)
		;
	return sig > 0 ? sig : 0;
}

/* Until every path accepts (0), the deadline (-1), or a signal (its
 * number). No path visible: wait BLIND_RETRY_S and let libvirt try. */
static int wait_paths(const struct probe *paths, int n, double deadline,
		      int first)
{
	int sig;

	if (!n) {
		if (first)
			return 0;
		return (sig = pause_ms(BLIND_RETRY_S * 1000)) ? sig :
		       now_s() < deadline ? 0 : -1;
	}
	while (!all_back(paths, n)) {
		if (now_s() >= deadline)
			return -1;
		if ((sig = pause_ms(POLL_MS)))
			return sig;
	}
	return 0;
}

/* --- the loop ---------------------------------------------------------- */

static void list_paths(const struct probe *paths, int n, char *buf,
		       size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && o < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				 paths[i].path);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (!n)
		snprintf(buf, len, "none visible here: give --recover-dir DIR; "
			 "resuming every %d s", BLIND_RETRY_S);
}

/* One resume; true when it completed. @out keeps the outcome. */
static bool resume_once(struct mig_ctx *c, struct mig_outcome *out,
			struct mig_recovery *r, double back, double deadline)
{
	struct mig_outcome o2;

	r->attempts++;
	say(c->o, "resuming", r->attempts, now_s() - back,
	    "resuming the post-copy migration of %s (attempt %d)",
	    c->o->domain, r->attempts);
	mig_run_deadline(deadline);
	mig_run_flags(c, &o2, VIR_MIGRATE_POSTCOPY_RESUME);
	mig_run_deadline(0);
	if (o2.abandoned && !o2.aborted) {
		/* Seen under TCG: the destination QEMU's vCPU waits for a page
		 * while holding the big lock, its monitor cannot answer, and
		 * libvirt's resume waits for it forever. */
		snprintf(out->error, sizeof(out->error), "the resume call did "
			 "not return within --recover %d s (the destination QEMU "
			 "may be stuck waiting for a page)", c->o->recover);
		out->abandoned_resume = true;
		say(c->o, "attempt-failed", r->attempts, now_s() - back, "%s",
		    out->error);
		return false;
	}
	if (o2.rc == 0 || o2.aborted || o2.abandoned) {
		o2.seconds += out->seconds;
		*out = o2;
		return true;
	}
	snprintf(out->error, sizeof(out->error), "%s", o2.error);
	say(c->o, "attempt-failed", r->attempts, now_s() - back,
	    "resume attempt %d failed: %s", r->attempts, o2.error);
	return false;
}

/* QEMU completed on its own: a success, said as such. */
static bool finished(struct mig_ctx *c, struct mig_outcome *out,
		     struct mig_recovery *r, double back)
{
	if (!completed_meanwhile(c))
		return false;
	out->rc = 0;
	out->error[0] = '\0';
	r->recovered = r->completed_by_qemu = true;
	r->back_seconds = now_s() - back;
	say(c->o, "completed", r->attempts, r->back_seconds, "the migration "
	    "of %s completed without a resume: the guest runs on the "
	    "destination", c->o->domain);
	return true;
}

/* Which path is the migration stream's (the first, see
 * mig_recover_paths), and what its file is now, at the failure. */
static void note_paths(const struct mig_opts *o, char (*found)[PATH_MAX],
		       int n, struct probe *p)
{
	char mine[PATH_MAX];
	struct stat st;

	for (int i = 0; i < n; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		memcpy(p[i].path, found[i], sizeof(p[i].path));
		p[i].stream = i == 0 && mig_uri_unix_path(o->migrateuri, mine,
							  sizeof(mine));
		if (p[i].stream && stat(p[i].path, &st) == 0) {
			p[i].had = true;
			p[i].dev = st.st_dev;
			p[i].ino = st.st_ino;
		}
	}
}

static void recover_loop(struct mig_ctx *c, struct mig_outcome *out,
			 struct mig_recovery *r)
{
	char found[4][PATH_MAX], list[2200];
	struct probe paths[4];
	int n = mig_recover_paths(c->o, found, 4);
	double start = now_s(), deadline = start + c->o->recover, back;
	double first_back = 0; /* the sockets first accepted again */
	int w;

	note_paths(c->o, found, n, paths);
	list_paths(paths, n, list, sizeof(list));
	say(c->o, "waiting", 0, 0, "waiting up to %d s for the sockets to "
	    "accept again (%s)", c->o->recover, list);
	for (int round = 0; now_s() < deadline; round++) {
		if ((w = wait_paths(paths, n, deadline, round == 0)) != 0) {
			if (w > 0)
				say(c->o, "interrupted", r->attempts,
				    now_s() - start, "%s: stopped waiting for "
				    "the sockets", strsignal(w));
			break;
		}
		back = now_s();
		if (!first_back) {
			first_back = back;
			r->wait_seconds = first_back - start;
			if (n)
				say(c->o, "sockets-back", 0, back - start,
				    "the sockets accept again after %.1f s",
				    back - start);
		}
		reopen_dst(c);
		if (finished(c, out, r, first_back))
			return;
		if ((r->dst_lost = dst_lost(c)))
			return;
		if (resume_once(c, out, r, back, deadline)) {
			r->recovered = out->rc == 0;
			r->back_seconds = now_s() - first_back;
			return;
		}
		if (finished(c, out, r, first_back))
			return;
		if (out->abandoned_resume || !src_postcopy_failed(c))
			break;
		if ((w = pause_ms(RETRY_PAUSE_S * 1000)) != 0)
			break;
	}
	r->gave_up = now_s() >= deadline;
}

void mig_recover(struct mig_ctx *c, struct mig_outcome *out)
{
	struct mig_recovery r;

	if (out->rc == 0 || out->abandoned || !c->o->postcopy ||
	    !src_postcopy_failed(c))
		return;
	memset(&r, 0, sizeof(r));
	r.postcopy_failed = true;
	snprintf(r.first_error, sizeof(r.first_error), "%s", out->error);
	/* Without --recover the result line says it all (one line). */
	if (c->o->recover || c->o->json)
		say(c->o, "postcopy-failed", 0, 0, "the migration of %s failed "
		    "in post-copy (%s): the source is paused (post-copy "
		    "failed)", c->o->domain, out->error);
	if (c->o->recover)
		recover_loop(c, out, &r);
	if (!r.recovered && !r.dst_lost) {
		reopen_dst(c);
		r.dst_lost = dst_lost(c);
	}
	if (r.recovered)
		say(c->o, "recovered", r.attempts, r.back_seconds, "post-copy "
		    "of %s completed %.1f s after the sockets came back (%d "
		    "attempt%s)", c->o->domain, r.back_seconds, r.attempts,
		    r.attempts == 1 ? "" : "s");
	out->rec = r;
}

/* --- --abort-postcopy ------------------------------------------------ */

static int abort_fail(const struct mig_opts *o, int code, const char *msg,
		      const char *state)
{
	char esc[1400], dom[600];

	log_error("%s", msg);
	if (o->json) {
		printf("{\"type\":\"result\",\"ok\":false,\"exit_code\":%d,"
		       "\"action\":\"abort-postcopy\",\"domain\":\"%s\","
		       "\"error\":\"%s\",\"source_state\":%s%s%s}\n", code,
		       json_escape(o->domain, dom, sizeof(dom)),
		       json_escape(msg, esc, sizeof(esc)), state ? "\"" : "",
		       state ? state : "null", state ? "\"" : "");
		fflush(stdout);
	}
	return code;
}

static int abort_on(const struct mig_opts *o, virDomainPtr dom)
{
	char msg[800];
	int state = 0, reason = 0;
	struct timespec step = { 0, 100 * 1000000L };

	if (virDomainGetState(dom, &state, &reason, 0) < 0 ||
	    state != VIR_DOMAIN_PAUSED || reason != VIR_DOMAIN_PAUSED_POSTCOPY) {
		snprintf(msg, sizeof(msg), "%s is not migrating in post-copy "
			 "on the source: --abort-postcopy pauses only a running "
			 "post-copy migration (abort a pre-copy one with Ctrl-C "
			 "or virsh domjobabort)", o->domain);
		return abort_fail(o, MS_EXIT_PREFLIGHT, msg, NULL);
	}
	if (virDomainAbortJobFlags(dom, VIR_DOMAIN_ABORT_JOB_POSTCOPY) < 0) {
		snprintf(msg, sizeof(msg), "libvirt did not pause the post-copy "
			 "migration of %s: %s", o->domain, mig_virt_error());
		return abort_fail(o, MS_EXIT_FAIL, msg, NULL);
	}
	for (int i = 0; i < 100; i++) {
		if (virDomainGetState(dom, &state, &reason, 0) == 0 &&
		    reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED)
			break;
		nanosleep(&step, NULL);
	}
	if (reason != VIR_DOMAIN_PAUSED_POSTCOPY_FAILED) {
		snprintf(msg, sizeof(msg), "libvirt accepted the pause, but %s "
			 "is not paused (post-copy failed) on the source within "
			 "10 s", o->domain);
		return abort_fail(o, MS_EXIT_FAIL, msg, NULL);
	}
	if (o->json)
		printf("{\"type\":\"result\",\"ok\":true,\"exit_code\":0,"
		       "\"action\":\"abort-postcopy\",\"domain\":\"%s\","
		       "\"error\":null,\"source_state\":\"paused\"}\n",
		       json_escape(o->domain, msg, sizeof(msg)));
	else
		log_info("paused the post-copy migration of %s: the source is "
			 "paused (post-copy failed); finish it with the same "
			 "migsock-migrate command plus --postcopy-resume",
			 o->domain);
	return MS_EXIT_OK;
}

int mig_abort_postcopy(const struct mig_opts *o)
{
	char what[600], fix[400], msg[800];
	virConnectPtr conn;
	virDomainPtr dom;
	int rc;

	snprintf(what, sizeof(what), "the source daemon at %s", o->connect);
	snprintf(fix, sizeof(fix), "it accepts connections but says nothing: "
		 "check that it runs (virsh -c %s uri), or raise "
		 "--connect-timeout", o->connect);
	mig_watchdog_stage(what, fix);
	mig_watchdog_arm(o->connect_timeout, MS_EXIT_PREFLIGHT, o->json,
			 o->domain);
	conn = virConnectOpen(o->connect);
	if (!conn) {
		mig_watchdog_disarm();
		snprintf(msg, sizeof(msg), "cannot reach the source daemon at "
			 "%s (%s): start it or fix -c", o->connect,
			 mig_virt_error());
		return abort_fail(o, MS_EXIT_PREFLIGHT, msg, NULL);
	}
	mig_keepalive(conn, o);
	dom = virDomainLookupByName(conn, o->domain);
	mig_watchdog_disarm();
	if (!dom) {
		snprintf(msg, sizeof(msg), "no domain %s on the source: check "
			 "the name with virsh -c %s list --all", o->domain,
			 o->connect);
		rc = abort_fail(o, MS_EXIT_PREFLIGHT, msg, NULL);
	} else {
		rc = abort_on(o, dom);
		virDomainFree(dom);
	}
	virConnectClose(conn);
	return rc;
}
