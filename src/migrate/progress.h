/* SPDX-License-Identifier: MIT
 * progress.h - a migration job's statistics (virDomainGetJobStats) as one
 * struct, and its three renderings: a bar for a terminal, a plain line for
 * logs, a JSON object for machines.
 */
#ifndef MIGSOCK_MIGRATE_PROGRESS_H
#define MIGSOCK_MIGRATE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

struct mig_stats {
	int type;                          /* VIR_DOMAIN_JOB_* */
	unsigned long long elapsed_ms;
	unsigned long long data_total, data_processed, data_remaining;
	unsigned long long mem_total, mem_processed, mem_bps;
	unsigned long long disk_total, disk_processed, disk_bps;
	unsigned long long iteration, dirty_rate, postcopy_requests;
	unsigned long long downtime_ms, setup_ms;
	bool have_downtime, have_iteration, have_dirty_rate;
};

/* Fill @s from the typed parameters of virDomainGetJobStats. */
void mig_stats_from_params(struct mig_stats *s, int type,
			   virTypedParameterPtr params, int nparams);

/* Bytes per second over the whole job (memory and disk), for the ETA. */
unsigned long long mig_stats_rate(const struct mig_stats *s);

/* Seconds left at the current rate, or -1 if unknown. */
long long mig_stats_eta(const struct mig_stats *s);

/* "1.5 GiB" style into @buf. */
const char *mig_human_bytes(unsigned long long b, char *buf, size_t len);

/* One line without newline: "12.0 MiB/256.0 MiB 4% 31.2 MiB/s ETA 8s
 * iteration 1 dirty 0 pages/s". */
void mig_stats_line(const struct mig_stats *s, char *buf, size_t len);

/* A bar @width columns wide, followed by the line's figures. */
void mig_stats_bar(const struct mig_stats *s, int width, char *buf, size_t len);

/* A JSON object's members (no braces): "\"elapsed_ms\":...,...". */
void mig_stats_json(const struct mig_stats *s, char *buf, size_t len);

#endif
