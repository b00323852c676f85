/* SPDX-License-Identifier: MIT
 * msbench.h - what the load tool (msbench.c) and its report (report.c)
 * share.
 */
#ifndef MIGSOCK_MSBENCH_H
#define MIGSOCK_MSBENCH_H

/* qsort comparator for doubles, ascending. */
int cmp_double(const void *a, const void *b);

/* `msbench report FILE`: print the table; returns the exit code. */
int cmd_report(int argc, char **argv);

#endif
