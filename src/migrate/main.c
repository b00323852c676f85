// SPDX-License-Identifier: MIT
/* migsock-migrate - run a libvirt migration over UNIX sockets: the options
 * of `virsh migrate`, checks before, progress during, proof after.
 * Thin command: options.c parses and refuses, preflight.c checks, run.c
 * migrates and watches, result.c verifies and reports (map: migrate.h).
 *
 * Every run that is not --help/--version ends with one result: a line on
 * stderr when something failed and, with --json, exactly one
 * {"type":"result"} object on stdout, whichever step failed. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "cli.h"
#include "events.h"
#include "layout.h"
#include "libvirtconf.h"
#include "log.h"
#include "migrate.h"
#include "options.h"
#include "plan.h"
#include "preflight.h"
#include "recover.h"
#include "result.h"
#include "run.h"
#include "util.h"
#include "watchdog.h"
#include "help-migrate.h"

/* The text is man/migsock-migrate.1.scd, rendered by man/scd2help at build
 * time (man/man.mk): edit the man page, not this file. */
static const char usage[] = MIGSOCK_HELP;

/* libvirt prints every error on stderr by default; we report our own. */
static void quiet_virt_errors(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static void close_all(struct mig_ctx *c)
{
	mig_ctx_close(c);
	mig_events_stop();
}

/* Whether argv asks for --json, for a command line that failed to parse
 * before getopt reached it (getopt permutes: it may come last). */
static bool argv_wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

/* The report of a run that ended before the migration: its exit code and
 * line; mode and flags once the command line parsed. */
static void early_report(struct mig_opts *o, bool parsed,
			 const struct ms_error *e, struct mig_report *r)
{
	memset(r, 0, sizeof(*r));
	r->exit_code = e->code;
	snprintf(r->message, sizeof(r->message), "%s", e->msg);
	if (parsed) {
		mig_plan_mode(o, r->mode, sizeof(r->mode));
		mig_plan_flag_names(mig_plan_flags(o), r->flags,
				    sizeof(r->flags));
	}
}

/* A failure before the migration started (command line, files, preflight,
 * a signal): the line on stderr, the result object with --json, and the
 * exit code. @c: the context to close, or NULL. */
static noreturn void fail_early(struct mig_opts *o, bool parsed,
				struct mig_ctx *c, const struct ms_error *e)
{
	struct mig_ctx none = { .o = o };
	struct mig_report r;

	early_report(o, parsed, e, &r);
	log_error("%s", e->msg);
	if (o->json)
		mig_result_print(c ? c : &none, &r);
	if (c)
		close_all(c);
	mig_opts_free(o);
	exit(e->code);
}

/* With --json, SIGINT/SIGTERM during the preflight (the default action
 * would end the process silently, maybe inside a libvirt call that never
 * returns) print the result prepared here, with the line on stderr. */
static struct {
	int sig;
	char *json, *line;
	size_t json_len, line_len;
} early_results[2] = { { .sig = SIGINT }, { .sig = SIGTERM } };

static void early_signal(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(early_results); i++) {
		if (early_results[i].sig != sig || !early_results[i].json)
			continue;
		/* write(2) only: async-signal-safe. */
		if (write(STDERR_FILENO, early_results[i].line,
			  early_results[i].line_len) < 0 ||
		    write(STDOUT_FILENO, early_results[i].json,
			  early_results[i].json_len) < 0)
			break;
	}
	_exit(MS_EXIT_ABORTED);
}

/* The result object of @e as mig_result_print writes it, into memory. */
static char *render_result(struct mig_opts *o, const struct ms_error *e,
			   size_t *len)
{
	struct mig_ctx none = { .o = o };
	struct mig_report r;
	char *buf = NULL;
	FILE *mem = open_memstream(&buf, len);
	FILE *saved = stdout;

	if (!mem)
		return NULL;
	early_report(o, true, e, &r);
	fflush(stdout);
	stdout = mem;
	mig_result_print(&none, &r);
	stdout = saved;
	fclose(mem);
	return buf;
}

static void early_signals_arm(struct mig_opts *o)
{
	struct sigaction sa = { .sa_handler = early_signal };
	struct ms_error e;

	if (!o->json)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(early_results); i++) {
		ms_fail(&e, MS_EXIT_ABORTED, "%s before the migration started: "
			"nothing was started", strsignal(early_results[i].sig));
		early_results[i].json = render_result(o, &e,
						      &early_results[i].json_len);
		if (asprintf(&early_results[i].line, "%s: %s\n", log_prog(),
			     e.msg) < 0)
			early_results[i].line = NULL;
		if (!early_results[i].json || !early_results[i].line)
			return; /* the default action then */
		early_results[i].line_len = strlen(early_results[i].line);
		sigaction(early_results[i].sig, &sa, NULL);
	}
}

static void early_signals_disarm(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	for (size_t i = 0; i < ARRAY_SIZE(early_results); i++) {
		sigaction(early_results[i].sig, &sa, NULL);
		free(early_results[i].json);
		free(early_results[i].line);
		early_results[i].json = early_results[i].line = NULL;
	}
}

/* With --dir, the URIs from the socket layout (the shared rule for which
 * file: --layout, $MIGSOCK_LAYOUT, the installed one). */
static int resolve_dir(struct mig_opts *o, struct ms_error *e)
{
	struct layout l;

	if (!o->dir)
		return 0;
	if (cli_layout_load(o->layout, &l, e) < 0 ||
	    mig_opts_resolve(o, &l, e) < 0)
		return -1;
	return 0;
}

/* Command line to checked options; --help and --version exit here. */
static void setup(struct mig_opts *o, int argc, char **argv)
{
	struct ms_error e;

	mig_opts_init(o);
	if (mig_opts_parse(o, argc, argv, &e) < 0) {
		o->json = o->json || argv_wants_json(argc, argv);
		fail_early(o, false, NULL, &e);
	}
	if (o->help || o->version) {
		if (o->help)
			fputs(usage, stdout);
		else
			cli_print_version();
		exit(MS_EXIT_OK);
	}
	char conf[MIG_URI_MAX];
	mig_opts_env(o, libvirt_conf_path(getuid(), getenv("XDG_CONFIG_HOME"),
					  getenv("HOME"), conf, sizeof(conf)) == 0 ? conf : NULL);
	if (resolve_dir(o, &e) < 0 || mig_opts_check(o, &e) < 0 ||
	    mig_opts_load(o, &e) < 0)
		fail_early(o, true, NULL, &e);
}

/* Connections, the guest and every check; nothing is started. */
static void prepare(struct mig_opts *o, struct mig_ctx *c)
{
	struct ms_error e;
	int sig;

	memset(c, 0, sizeof(*c));
	c->o = o;
	if (virInitialize() < 0) {
		ms_fail(&e, MS_EXIT_SYS, "cannot initialise libvirt");
		fail_early(o, true, NULL, &e);
	}
	virSetErrorFunc(NULL, quiet_virt_errors);
	if (mig_events_start(&e) < 0)
		fail_early(o, true, NULL, &e);
	if (o->abort_postcopy) /* recover.c: a mode of its own */
		exit(mig_abort_postcopy(o));
	early_signals_arm(o);
	mig_signals_interruptible(true); /* nothing started yet */
	/* A daemon that accepts but never answers: --connect-timeout. */
	mig_watchdog_arm(o->connect_timeout, MS_EXIT_PREFLIGHT, o->json,
			 o->domain);
	int pf = mig_preflight(c, o, &e);
	mig_watchdog_disarm();
	mig_signals_interruptible(false);
	early_signals_disarm();
	if (pf < 0)
		fail_early(o, true, c, &e);
	if ((sig = mig_signals_pending())) {
		ms_fail(&e, MS_EXIT_ABORTED, "%s before the migration started: "
			"nothing was started", strsignal(sig));
		fail_early(o, true, c, &e);
	}
	/* From here on, messages name the guest as libvirt does (it may
	 * have been given by id or UUID). */
	o->domain = c->name;
}

int main(int argc, char **argv)
{
	struct mig_opts o;
	struct mig_ctx c;
	struct mig_outcome out;
	struct mig_report r;

	log_init("migsock-migrate");
	mig_signals_block(); /* before libvirt starts any thread */
	setup(&o, argc, argv);
	prepare(&o, &c);
	if (o.verbose)
		log_info("preflight passed: migrating %s to %s", o.domain,
			 o.desturi);
	mig_run(&c, &out);
	mig_recover(&c, &out);
	mig_result(&c, &out, &r);
	if (o.json && r.exit_code)
		log_error("%s", r.message);
	mig_result_print(&c, &r);
	close_all(&c);
	mig_opts_free(&o);
	return r.exit_code;
}
