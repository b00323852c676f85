/* SPDX-License-Identifier: MIT
 * recover.h - a relay in the path never costs a guest (issue 11).
 *
 * Post-copy is the one phase where a broken stream does not roll back:
 * the guest runs on the destination, part of its memory is still on the
 * source. libvirt (8.5 and later) leaves the source paused "post-copy
 * failed" and the destination running "post-copy failed"; the same
 * migration call with VIR_MIGRATE_POSTCOPY_RESUME, once the sockets are
 * back, continues it. This module:
 *   - checks, before a --postcopy-resume, that there is something libvirt
 *     can resume (mig_recover_check_src/_dst, called by preflight);
 *   - after a failed migration, finds a post-copy failure and, with
 *     --recover SEC, waits for the sockets to accept again and resumes, as
 *     often as needed within SEC (mig_recover);
 *   - --abort-postcopy: pauses a running post-copy on purpose (virsh
 *     domjobabort --postcopy), e.g. to move it to other sockets.
 */
#ifndef MIGSOCK_MIGRATE_RECOVER_H
#define MIGSOCK_MIGRATE_RECOVER_H

#include <limits.h>
#include <stdbool.h>

#include "preflight.h"
#include "run.h"

/* Preflight with --postcopy-resume: the source guest in @state/@reason
 * (virDomainGetState) must be paused "post-copy failed". */
int mig_recover_check_src(const struct mig_opts *o, int state, int reason,
			  struct ms_error *e);

/* Preflight with --postcopy-resume: @d is the guest on the destination
 * (NULL: not there). */
int mig_recover_check_dst(const struct mig_ctx *c, virDomainPtr d,
			  struct ms_error *e);

/* After mig_run: note a post-copy failure in @out->rec and, with
 * --recover, resume until it completes or the time is up. @out then
 * holds the last attempt's outcome. */
void mig_recover(struct mig_ctx *c, struct mig_outcome *out);

/* The sockets --recover waits for, as seen from here: the migration
 * stream's and the destination daemon's (p2p), mapped into --recover-dir
 * when given, else kept where their directory exists here. Returns how
 * many (at most @max). */
int mig_recover_paths(const struct mig_opts *o, char (*paths)[PATH_MAX],
		      int max);

/* Whether a listening socket of this network namespace is bound to the
 * socket file @path, found without connecting (sock_diag): 1 yes, 0 no,
 * -1 the kernel would not say. */
int mig_recover_listening(const char *path);

/* --abort-postcopy: the whole command; returns the exit code. */
int mig_abort_postcopy(const struct mig_opts *o);

#endif
