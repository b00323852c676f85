/* SPDX-License-Identifier: MIT
 * result.h - after the migration: where the guest is and in which state,
 * checked against what the mode and libvirt's persistence table promise;
 * the figures of the completed job; the summary line and the --json
 * result object.
 */
#ifndef MIGSOCK_MIGRATE_RESULT_H
#define MIGSOCK_MIGRATE_RESULT_H

#include <stdbool.h>

#include "progress.h"
#include "run.h"

struct mig_place {
	bool checked;    /* we could look (a connection exists) */
	bool exists, active, persistent;
	int state;       /* VIR_DOMAIN_* when active */
	int reason;      /* VIR_DOMAIN_<STATE>_* */
};

struct mig_report {
	int exit_code;
	char message[640];      /* the one line printed; "" on success */
	char mode[64];
	char flags[256];
	struct mig_place src, dst;
	bool have_stats;
	struct mig_stats stats; /* completed job (or the last sample) */
	double seconds;
	bool aborted, timeout_hit, postcopy_started, suspended;
	bool abandoned;         /* gave up waiting after a signal */
	struct mig_recovery rec;
};

/* Check the outcome and fill @r (exit code, message, figures). */
void mig_result(struct mig_ctx *c, const struct mig_outcome *out,
		struct mig_report *r);

/* Human summary on stderr, or the JSON object on stdout. */
void mig_result_print(const struct mig_ctx *c, const struct mig_report *r);

/* Name of a VIR_DOMAIN_* state: "running", "paused", ... */
const char *mig_state_name(int state);

/* A place's state with libvirt's post-copy reasons: "paused (post-copy
 * failed)", "running (post-copy)", else the plain state name. */
const char *mig_place_state(const struct mig_place *p, char *buf, size_t len);

/* The one line for a migration that failed in post-copy (exit 9), or that
 * recovery could not finish. */
void mig_postcopy_message(const struct mig_opts *o, const struct mig_outcome *out,
			  const struct mig_place *dst, char *buf, size_t len);

#endif
