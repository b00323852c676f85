// SPDX-License-Identifier: MIT
/* migsock-migrate - run a libvirt migration over UNIX sockets: the options
 * of `virsh migrate`, checks before, progress during, proof after.
 * Thin command: options.c parses and refuses, preflight.c checks, run.c
 * migrates and watches, result.c verifies and reports. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "events.h"
#include "layout.h"
#include "log.h"
#include "options.h"
#include "preflight.h"
#include "recover.h"
#include "result.h"
#include "run.h"
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

static void resolve_dir(struct mig_opts *o)
{
	struct layout l;
	struct ms_error e;
	const char *path = o->layout ? o->layout : getenv("MIGSOCK_LAYOUT");

	if (!o->dir)
		return;
	if (!path || !*path)
		path = LAYOUT_DEFAULT_PATH;
	if (layout_load(path, &l, &e) < 0 || mig_opts_resolve(o, &l, &e) < 0)
		die_err(&e);
}

int main(int argc, char **argv)
{
	struct mig_opts o;
	struct mig_ctx c;
	struct mig_outcome out;
	struct mig_report r;
	struct ms_error e;
	int sig;

	log_init("migsock-migrate");
	mig_signals_block(); /* before libvirt starts any thread */
	mig_opts_init(&o);
	if (mig_opts_parse(&o, argc, argv, &e) < 0)
		die_err(&e);
	if (o.help) {
		fputs(usage, stdout);
		return MS_EXIT_OK;
	}
	resolve_dir(&o);
	if (mig_opts_check(&o, &e) < 0)
		die_err(&e);

	if (virInitialize() < 0)
		die(MS_EXIT_SYS, "cannot initialise libvirt");
	virSetErrorFunc(NULL, quiet_virt_errors);
	if (mig_events_start(&e) < 0)
		die_err(&e);
	if (o.abort_postcopy)
		return mig_abort_postcopy(&o);
	mig_signals_interruptible(true); /* nothing started yet */
	/* A daemon that accepts but never answers: --connect-timeout. */
	mig_watchdog_arm(o.connect_timeout, MS_EXIT_PREFLIGHT, o.json, o.domain);
	int pf = mig_preflight(&c, &o, &e);
	mig_watchdog_disarm();
	mig_signals_interruptible(false);
	if (pf < 0) {
		close_all(&c);
		die_err(&e);
	}
	if ((sig = mig_signals_pending())) {
		close_all(&c);
		die(MS_EXIT_ABORTED, "%s before the migration started: nothing "
		    "was started", strsignal(sig));
	}
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
	return r.exit_code;
}
