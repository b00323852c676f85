/* SPDX-License-Identifier: MIT
 * msbench.h - what the load tool (msbench.c), its report (report.c) and
 * its watchers (watch.c) share.
 */
#ifndef MIGSOCK_MSBENCH_H
#define MIGSOCK_MSBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* qsort comparator for doubles, ascending. */
int cmp_double(const void *a, const void *b);

/* `msbench report FILE`: print the table; returns the exit code. */
int cmd_report(int argc, char **argv);

/* `msbench targets FILE`: the figures of issue 12's targets as TSV rows
 * (figure, measured, target, verdict, note). */
int cmd_targets(int argc, char **argv);

/* watch.c */

/* Memory of a set of processes, summed: RSS and peak RSS (user memory),
 * and the capacity of the pipes they hold (kernel memory; -1 when it
 * cannot be read, e.g. without root or pidfd_getfd). */
struct mem_sample {
	unsigned procs;
	uint64_t rss_kib, hwm_kib;
	int64_t pipes_kib;
};

/* The "KEY:  N kB" line of /proc/PID/FILE, in KiB; 0 if absent. */
uint64_t proc_kib(pid_t pid, const char *file, const char *key);
void mem_sample(const pid_t *pids, size_t n, struct mem_sample *s);
/* Fold sample @s into the running maxima @peak. */
void mem_peak(struct mem_sample *peak, const struct mem_sample *s);
/* The pipe capacity migsock-relay allows itself, in KiB (0: no limit). */
uint64_t pipe_budget_kib(void);

int cmd_memwatch(int argc, char **argv);
int cmd_spin(int argc, char **argv);

#endif
