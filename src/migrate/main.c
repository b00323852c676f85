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
#include "result.h"
#include "run.h"

static const char usage[] =
"Usage: migsock-migrate -c SRC-URI [--domain] NAME [OPTIONS]\n"
"       migsock-migrate -c SRC-URI NAME --dir DIR [OPTIONS]\n"
"Migrate the libvirt domain NAME over UNIX sockets. The options keep\n"
"`virsh migrate`'s names: a virsh line becomes a migsock line by\n"
"changing the command name.\n"
"\n"
"Where:\n"
"  -c, --connect URI        source daemon (qemu+unix:///system?socket=PATH)\n"
"      --domain NAME        the guest (or the first positional argument)\n"
"      --desturi URI        destination daemon, as the source daemon sees\n"
"                           it with --p2p, as this client sees it without\n"
"      --migrateuri URI     QEMU's migration stream: unix:///PATH\n"
"      --disks-uri URI      the NBD disk stream: unix:///PATH\n"
"      --dir DIR            the shared socket directory: builds the three\n"
"                           URIs above from the socket layout (explicit\n"
"                           URIs win)\n"
"      --layout FILE        socket layout (default $MIGSOCK_LAYOUT, else\n"
"                           " LAYOUT_DEFAULT_PATH ")\n"
"      --dest-connect URI   the destination as this client reaches it,\n"
"                           for checks with --p2p (default: --desturi)\n"
"      --dname NAME         the guest's name on the destination\n"
"\n"
"How (control flow and data):\n"
"      --p2p                peer-to-peer: the source daemon drives\n"
"                           (default: managed direct, this client drives)\n"
"      --tunnelled          with --p2p: data through the daemon connection\n"
"      --direct             unmanaged direct: refused, QEMU lacks it\n"
"      --live               keep the guest running while copying memory\n"
"      --offline            move only the inactive definition (needs\n"
"                           --persistent)\n"
"      --suspend            leave the guest paused on the destination\n"
"      --copy-storage-all   copy disks (NBD) / --copy-storage-inc: only\n"
"      --copy-storage-inc   what differs from a shared backing image\n"
"      --migrate-disks LIST copy only these targets (vda,vdb)\n"
"      --parallel           multiple connections; with\n"
"      --parallel-connections N  (1-255) QEMU opens 1 + N connections\n"
"      --postcopy           allow post-copy (needs userfaultfd)\n"
"      --postcopy-after-precopy  switch after the first pre-copy pass\n"
"      --timeout SEC        after SEC seconds of a live migration:\n"
"      --timeout-suspend    pause the guest (default), or\n"
"      --timeout-postcopy   switch to post-copy, or\n"
"      --timeout-abort      abort (exit 7)\n"
"      --bandwidth MIB      limit the migration to MIB MiB/s\n"
"      --tls, --tls-destination HOST  TLS (not with UNIX NBD)\n"
"      --auto-converge, --compressed, --abort-on-error, --unsafe,\n"
"      --change-protection  as in virsh\n"
"\n"
"Persistence (libvirt's table of configuration files applies):\n"
"      --persistent         keep the definition on the destination\n"
"      --undefinesource     remove the definition from the source\n"
"\n"
"Output:\n"
"      --verbose            say what is checked and done\n"
"      --json               JSON lines on stdout: progress objects, then\n"
"                           one {\"type\":\"result\",...} object\n"
"      --no-progress        no progress output\n"
"  -h, --help               this text\n"
"\n"
"Progress: a bar on a terminal, a line per second otherwise. Ctrl-C or\n"
"SIGTERM aborts the job; the guest keeps running on the source.\n"
"\n"
"Exit codes: 0 migrated and verified; 1 the migration failed (or its\n"
"outcome is not what the mode promises); 2 bad command line or refused\n"
"combination; 3 bad socket layout; 6 a preflight check failed, nothing\n"
"was started; 7 aborted (signal, --timeout-abort), the guest still runs\n"
"on the source; 111 unexpected system error.\n";

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
	mig_signals_interruptible(true); /* nothing started yet */
	int pf = mig_preflight(&c, &o, &e);
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
	mig_result(&c, &out, &r);
	if (o.json && r.exit_code)
		log_error("%s", r.message);
	mig_result_print(&c, &r);
	close_all(&c);
	return r.exit_code;
}
