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
};

/* Check the outcome and fill @r (exit code, message, figures). */
void mig_result(struct mig_ctx *c, const struct mig_outcome *out,
		struct mig_report *r);

/* Human summary on stderr, or the JSON object on stdout. */
void mig_result_print(const struct mig_ctx *c, const struct mig_report *r);

/* Name of a VIR_DOMAIN_* state: "running", "paused", ... */
const char *mig_state_name(int state);

#endif
