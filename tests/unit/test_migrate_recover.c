// SPDX-License-Identifier: MIT
/* Unit tests for the recovery and no-hang parts of migsock-migrate
 * (issue 11): their options and refusals, the sockets --recover waits
 * for, the preflight verdicts of --postcopy-resume, and the lines the
 * user reads (post-copy failure, watchdog). */

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "../../src/migrate/options.h"
#include "../../src/migrate/recover.h"
#include "../../src/migrate/result.h"
#include "../../src/migrate/watchdog.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static int parse(struct mig_opts *o, char **argv, int argc, struct ms_error *e)
{
	mig_opts_init(o);
	return mig_opts_parse(o, argc, argv, e);
}

TEST(recovery_options_parse)
{
	char *argv[] = { "m", "-c", "qemu:///system", "g", "--p2p", "--live",
			 "--postcopy", "--postcopy-resume", "--recover", "120",
			 "--recover-dir", "/host/sockets", "-k", "3", "-K", "4",
			 "--connect-timeout", "9", "--dir", "/run/migsock", NULL };
	struct mig_opts o;
	struct ms_error e;

	CHECK(parse(&o, argv, ARGC(argv), &e) == 0);
	CHECK(o.postcopy_resume && o.recover == 120);
	CHECK_STR_EQ(o.recover_dir, "/host/sockets");
	CHECK(o.keepalive_interval == 3 && o.keepalive_count == 4);
	CHECK(o.connect_timeout == 9);
}

TEST(defaults_are_virsh_keepalive_and_30s)
{
	char *argv[] = { "m", "-c", "x:///", "g", NULL };
	char *longs[] = { "m", "--keepalive-interval", "0",
			  "--keepalive-count", "1", NULL };
	struct mig_opts o;
	struct ms_error e;

	CHECK(parse(&o, argv, ARGC(argv), &e) == 0);
	CHECK(o.keepalive_interval == 5 && o.keepalive_count == 6);
	CHECK(o.connect_timeout == 30 && o.recover == 0);
	CHECK(parse(&o, longs, ARGC(longs), &e) == 0);
	CHECK(o.keepalive_interval == 0 && o.keepalive_count == 1);
}

static void refused(char **argv, int argc, int code, const char *msg)
{
	struct mig_opts o;
	struct ms_error e;
	int r = parse(&o, argv, argc, &e);

	if (r == 0)
		r = mig_opts_check(&o, &e);
	CHECK(r == -1);
	CHECK(e.code == code);
	CHECK_STR_EQ(e.msg, msg);
}

#define REFUSED(code, msg, ...)                                           \
	do {                                                              \
		char *a_[] = { "m", "-c", "qemu:///system", "g",          \
			       "--desturi", "qemu+unix:///system?socket=/d/s", \
			       "--migrateuri", "unix:///d/q", __VA_ARGS__, NULL }; \
		refused(a_, ARGC(a_), code, msg);                         \
	} while (0)

TEST(recovery_refusals)
{
	REFUSED(MS_EXIT_USAGE, "--postcopy-resume resumes a failed post-copy "
		"migration: repeat the original command with --postcopy "
		"--postcopy-resume", "--postcopy-resume");
	REFUSED(MS_EXIT_USAGE, "--recover SEC resumes a post-copy migration "
		"that failed: add --postcopy", "--recover", "60");
	REFUSED(MS_EXIT_USAGE, "--recover-dir DIR is where --recover looks for "
		"the sockets: add --recover SEC", "--postcopy", "--recover-dir",
		"/x");
	REFUSED(MS_EXIT_USAGE, "--recover-dir rel is relative: give an "
		"absolute path", "--postcopy", "--recover", "5",
		"--recover-dir", "rel");
	REFUSED(MS_EXIT_USAGE, "--recover 0: expected seconds from 1 to 86400",
		"--postcopy", "--recover", "0");
	REFUSED(MS_EXIT_USAGE, "--connect-timeout x: expected seconds from 1 "
		"to 3600", "--connect-timeout", "x");
	REFUSED(MS_EXIT_USAGE, "--keepalive-count 0: expected a number from 1 "
		"to 1000", "-K", "0");
	/* libvirt 9.0 resumes no tunnelled post-copy: refused as before. */
	REFUSED(MS_EXIT_USAGE, "--tunnelled cannot carry --postcopy: drop one "
		"of them", "--p2p", "--tunnelled", "--postcopy",
		"--postcopy-resume");
	REFUSED(MS_EXIT_USAGE, "--abort-postcopy pauses a post-copy migration "
		"and exits: drop --postcopy-resume and --recover",
		"--abort-postcopy", "--postcopy", "--postcopy-resume");
}

TEST(abort_postcopy_needs_only_source_and_domain)
{
	char *ok[] = { "m", "-c", "qemu:///system", "g", "--abort-postcopy", NULL };
	char *nodom[] = { "m", "-c", "qemu:///system", "--abort-postcopy", NULL };
	struct mig_opts o;
	struct ms_error e;

	CHECK(parse(&o, ok, ARGC(ok), &e) == 0);
	CHECK(mig_opts_check(&o, &e) == 0);
	CHECK(parse(&o, nodom, ARGC(nodom), &e) == 0);
	CHECK(mig_opts_check(&o, &e) == -1 && e.code == MS_EXIT_USAGE);
}

TEST(recover_paths_map_into_recover_dir)
{
	struct mig_opts o;
	char paths[4][PATH_MAX];

	mig_opts_init(&o);
	o.migrateuri = "unix:///run/migsock/test-sock-qemu";
	o.desturi = "qemu+unix:///system?socket=/run/migsock/test-sock-driver";
	o.recover_dir = "/tmp/host-view";
	CHECK(mig_recover_paths(&o, paths, 4) == 1); /* not p2p: qemu only */
	CHECK_STR_EQ(paths[0], "/tmp/host-view/test-sock-qemu");
	o.p2p = true;
	CHECK(mig_recover_paths(&o, paths, 4) == 2);
	CHECK_STR_EQ(paths[1], "/tmp/host-view/test-sock-driver");
	/* Without --recover-dir: only paths whose directory exists here. */
	o.recover_dir = NULL;
	o.migrateuri = "unix:///nonexistent-dir-for-test/q";
	o.desturi = "qemu+unix:///system?socket=/tmp/d";
	CHECK(mig_recover_paths(&o, paths, 4) == 1);
	CHECK_STR_EQ(paths[0], "/tmp/d");
}

TEST(postcopy_resume_preflight_verdicts)
{
	struct mig_opts o;
	struct ms_error e;

	mig_opts_init(&o);
	o.domain = "g";
	CHECK(mig_recover_check_src(&o, VIR_DOMAIN_RUNNING, 0, &e) == 0);
	o.postcopy_resume = true;
	CHECK(mig_recover_check_src(&o, VIR_DOMAIN_PAUSED,
				    VIR_DOMAIN_PAUSED_POSTCOPY_FAILED, &e) == 0);
	CHECK(mig_recover_check_src(&o, VIR_DOMAIN_PAUSED,
				    VIR_DOMAIN_PAUSED_POSTCOPY, &e) == -1);
	CHECK(e.code == MS_EXIT_PREFLIGHT);
	CHECK_STR_EQ(e.msg, "the post-copy migration of g is still running: "
		     "nothing to resume (pause it first with migsock-migrate "
		     "--abort-postcopy to resume it over other sockets)");
	CHECK(mig_recover_check_src(&o, VIR_DOMAIN_RUNNING, 1, &e) == -1);
	CHECK_STR_EQ(e.msg, "g is running on the source, not paused after a "
		     "failed post-copy: libvirt resumes only a post-copy "
		     "migration that failed; drop --postcopy-resume to start a "
		     "new migration");
}

TEST(postcopy_failure_lines)
{
	struct mig_opts o;
	struct mig_outcome out;
	struct mig_place dst;
	char buf[1024];

	mig_opts_init(&o);
	o.domain = "g";
	memset(&out, 0, sizeof(out));
	memset(&dst, 0, sizeof(dst));
	out.rec.postcopy_failed = true;
	strcpy(out.rec.first_error, "operation failed: job 'migration out' failed");
	dst.checked = dst.exists = dst.active = true;
	mig_postcopy_message(&o, &out, &dst, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "migration of g failed in post-copy (operation "
		     "failed: job 'migration out' failed): the guest runs on the "
		     "destination without all of its memory and the source is "
		     "paused (post-copy failed); bring the sockets back and run "
		     "the same command with --postcopy-resume (or --recover SEC)");
	o.recover = 30;
	out.rec.attempts = 2;
	strcpy(out.error, "connect failed");
	mig_postcopy_message(&o, &out, &dst, buf, sizeof(buf));
	CHECK(strstr(buf, "not recovered after 2 resume attempts within "
		     "--recover 30 s (last: connect failed)") != NULL);
	dst.active = false;
	mig_postcopy_message(&o, &out, &dst, buf, sizeof(buf));
	CHECK(strstr(buf, "the destination lost the guest: it cannot be "
		     "resumed") != NULL);
}

TEST(place_state_names_postcopy_reasons)
{
	struct mig_place p = { .checked = true, .exists = true, .active = true };
	char buf[64];

	p.state = VIR_DOMAIN_PAUSED;
	p.reason = VIR_DOMAIN_PAUSED_POSTCOPY_FAILED;
	CHECK_STR_EQ(mig_place_state(&p, buf, sizeof(buf)),
		     "paused (post-copy failed)");
	p.state = VIR_DOMAIN_RUNNING;
	p.reason = VIR_DOMAIN_RUNNING_POSTCOPY;
	CHECK_STR_EQ(mig_place_state(&p, buf, sizeof(buf)), "running (post-copy)");
	p.reason = VIR_DOMAIN_RUNNING_MIGRATED;
	CHECK_STR_EQ(mig_place_state(&p, buf, sizeof(buf)), "running");
	p.exists = false;
	CHECK_STR_EQ(mig_place_state(&p, buf, sizeof(buf)), "none");
}

/* --recover never connects to the migration socket: it asks the kernel
 * whether something listens there, and a stale file left by SIGKILL is
 * not a listener. */
TEST(stream_listener_found_without_connecting)
{
	char dir[] = "/tmp/ms-rec.XXXXXX";
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/q", dir);
	CHECK(mig_recover_listening(a.sun_path) == 0); /* nothing there */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(mig_recover_listening(a.sun_path) == 0); /* bound, not listening */
	CHECK(listen(fd, 1) == 0);
	CHECK(mig_recover_listening(a.sun_path) == 1);
	close(fd);                                     /* the file stays, stale */
	CHECK(mig_recover_listening(a.sun_path) == 0);
	unlink(a.sun_path);
	rmdir(dir);
}

TEST(watchdog_line)
{
	char buf[256];

	mig_watchdog_message(buf, sizeof(buf), 30, "the source daemon at X",
			     "check it");
	CHECK_STR_EQ(buf, "the source daemon at X did not answer within 30 s: "
		     "check it");
}

int main(void)
{
	RUN(recovery_options_parse);
	RUN(defaults_are_virsh_keepalive_and_30s);
	RUN(recovery_refusals);
	RUN(abort_postcopy_needs_only_source_and_domain);
	RUN(recover_paths_map_into_recover_dir);
	RUN(postcopy_resume_preflight_verdicts);
	RUN(postcopy_failure_lines);
	RUN(place_state_names_postcopy_reasons);
	RUN(stream_listener_found_without_connecting);
	RUN(watchdog_line);
	return CHECK_DONE();
}
