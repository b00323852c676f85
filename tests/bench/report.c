// SPDX-License-Identifier: MIT
/* report.c - `msbench report FILE`: the benchmark's table from the results
 * lines run-bench collected ("case=C run=R test=T key=value ..."): medians
 * with min-max, ratios against the direct connection and socat's defaults,
 * and the targets for migsock-relay beside them. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msbench.h"
#include "util.h"

/* Results lines are "case=C run=R test=T key=value ...". */
#define MAX_KV 16
#define MAX_RECS 4096
#define MAX_CASES 8

struct rec {
	char cas[32], test[16], verify[16];
	char key[MAX_KV][24];
	double val[MAX_KV];
	int nkv;
};

struct results {
	struct rec *recs;
	size_t n;
	char cases[MAX_CASES][32];
	int ncases;
};

static void add_case(struct results *r, const char *cas)
{
	for (int i = 0; i < r->ncases; i++)
		if (strcmp(r->cases[i], cas) == 0)
			return;
	if (r->ncases < MAX_CASES)
		snprintf(r->cases[r->ncases++], sizeof(r->cases[0]), "%s", cas);
}

/* Cases in the order of the issue, unknown names last. */
static int case_rank(const char *cas)
{
	static const char *const order[] = { "direct", "relay", "socat", "socat-b1M" };

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (strcmp(cas, order[i]) == 0)
			return (int)i;
	return (int)ARRAY_SIZE(order);
}

static int cmp_case(const void *a, const void *b)
{
	return case_rank(a) - case_rank(b);
}

static void sort_cases(struct results *r)
{
	qsort(r->cases, (size_t)r->ncases, sizeof(r->cases[0]), cmp_case);
}

static void parse_rec(char *line, struct rec *rc)
{
	char *save = NULL;

	memset(rc, 0, sizeof(*rc));
	for (char *tok = strtok_r(line, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(tok, "case") == 0)
			snprintf(rc->cas, sizeof(rc->cas), "%s", eq + 1);
		else if (strcmp(tok, "test") == 0)
			snprintf(rc->test, sizeof(rc->test), "%s", eq + 1);
		else if (strcmp(tok, "verify") == 0)
			snprintf(rc->verify, sizeof(rc->verify), "%s", eq + 1);
		else if (rc->nkv < MAX_KV) {
			snprintf(rc->key[rc->nkv], sizeof(rc->key[0]), "%s", tok);
			rc->val[rc->nkv++] = strtod(eq + 1, NULL);
		}
	}
}

static int load_results(const char *file, struct results *r, struct ms_error *e)
{
	char line[1024];
	FILE *f = fopen(file, "re");

	if (!f)
		return ms_fail(e, MS_EXIT_CONFIG,
			       "cannot read results file %s (%s): give the results.txt run-bench wrote",
			       file, strerror(errno));
	r->recs = calloc(MAX_RECS, sizeof(*r->recs));
	while (r->recs && r->n < MAX_RECS && fgets(line, sizeof(line), f)) {
		struct rec *rc = &r->recs[r->n];

		parse_rec(line, rc);
		if (!rc->cas[0] || !rc->test[0])
			continue;
		add_case(r, rc->cas);
		r->n++;
	}
	fclose(f);
	if (!r->recs)
		return ms_fail(e, MS_EXIT_SYS, "out of memory");
	return 0;
}

static bool rec_value(const struct rec *rc, const char *key, double *v)
{
	for (int i = 0; i < rc->nkv; i++)
		if (strcmp(rc->key[i], key) == 0) {
			*v = rc->val[i];
			return true;
		}
	return false;
}

struct stat3 {
	double med, min, max;
	int n;
};

/* Median (and min, max) of @key over the runs of @cas/@test; med is NAN
 * when there is none. */
/* Median, min and max of v[0..n), sorting it; med is NAN when n is 0. */
static struct stat3 stat3_of(double *v, int n)
{
	if (n == 0)
		return (struct stat3){ .med = __builtin_nan("") };
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return (struct stat3){ .n = n, .min = v[0], .max = v[n - 1],
			       .med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 };
}

static struct stat3 stat_of(const struct results *r, const char *cas,
			    const char *test, const char *key)
{
	double v[MAX_RECS];
	int n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->recs[i].cas, cas) == 0 &&
		    strcmp(r->recs[i].test, test) == 0 &&
		    rec_value(&r->recs[i], key, &v[n]))
			n++;
	return stat3_of(v, n);
}

static double med(const struct results *r, const char *cas, const char *test,
		  const char *key)
{
	return stat_of(r, cas, test, key).med;
}

/* "3.21 (3.10-3.40)" or "-" */
static void cell_range(char *out, size_t len, struct stat3 s, double scale)
{
	if (s.n == 0)
		snprintf(out, len, "-");
	else if (s.n == 1)
		snprintf(out, len, "%.2f", s.med * scale);
	else
		snprintf(out, len, "%.2f (%.2f-%.2f)", s.med * scale,
			 s.min * scale, s.max * scale);
}

/* "%.{prec}f{suffix}", or "-" for a figure not measured (NAN). */
static void cell(char *out, size_t len, double v, int prec, const char *suffix)
{
	if (v != v)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.*f%s", prec, v, suffix);
}

static void print_params(const struct results *r)
{
	double v;

	printf("migsock relay benchmark: figures, not assertions. Medians of the runs,\n"
	       "(min-max) where there were several; cases alternated within each run.\n"
	       "GB = 10^9 bytes.");
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->recs[i].test, "stream") == 0 &&
		    rec_value(&r->recs[i], "bytes", &v)) {
			printf(" One stream: %.2f GiB.", v / (1 << 30));
			if (strcmp(r->recs[i].verify, "sampled") == 0)
				printf(" Stream bytes checked by sample (8 B per 4 KiB).");
			break;
		}
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->recs[i].test, "parallel") == 0 &&
		    rec_value(&r->recs[i], "bytes", &v)) {
			double k = 0;
			rec_value(&r->recs[i], "streams", &k);
			printf(" Parallel: %.0f streams, %.2f GiB in all.", k,
			       v / (1 << 30));
			break;
		}
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->recs[i].test, "rr") == 0 &&
		    rec_value(&r->recs[i], "count", &v)) {
			double size = 0;
			rec_value(&r->recs[i], "size", &size);
			printf(" Round trip: %.0f x %.0f B.", v, size);
			break;
		}
	printf("\n\n");
}

#define ROW "%-10s %-20s %-8s %-16s %-7s %-20s %-8s\n"

static void print_throughput(const struct results *r)
{
	printf(ROW, "case", "1 stream GB/s", "fwd CPU", "client/server", "fwd",
	       "parallel GB/s", "fwd CPU");
	printf(ROW, "", "", "s/GB", "CPU s/GB", "runs/MB", "(aggregate)", "s/GB");
	for (int i = 0; i < r->ncases; i++) {
		const char *c = r->cases[i];
		char one[40], cpu1[16], ends[32], runs[16], par[40], cpup[16];
		double cl = med(r, c, "stream", "client_cpu_s_per_gb");
		double sv = med(r, c, "stream", "server_cpu_s_per_gb");

		cell_range(one, sizeof(one), stat_of(r, c, "stream", "gbps"), 1);
		cell(cpu1, sizeof(cpu1), med(r, c, "stream", "fwd_cpu_s_per_gb"), 3, "");
		if (cl == cl && sv == sv)
			snprintf(ends, sizeof(ends), "%.3f/%.3f", cl, sv);
		else
			snprintf(ends, sizeof(ends), "-");
		cell(runs, sizeof(runs), med(r, c, "stream", "fwd_runs_per_mb"), 1, "");
		cell_range(par, sizeof(par), stat_of(r, c, "parallel", "gbps"), 1);
		cell(cpup, sizeof(cpup), med(r, c, "parallel", "fwd_cpu_s_per_gb"), 3, "");
		printf(ROW, c, one, cpu1, ends, runs, par, cpup);
	}
	printf("\n");
}

#undef ROW
#define ROW "%-10s %-10s %-10s %-10s %-12s %-12s\n"

static void print_latency_memory(const struct results *r)
{
	printf(ROW, "case", "RTT p50", "RTT p99", "idle:", "idle: VmHWM", "idle: Pss");
	printf(ROW, "", "us", "us", "procs", "sum MiB", "sum MiB");
	for (int i = 0; i < r->ncases; i++) {
		const char *c = r->cases[i];
		char p50[16], p99[16], procs[16], hwm[16], pss[16];

		cell(p50, sizeof(p50), med(r, c, "rr", "p50_us"), 1, "");
		cell(p99, sizeof(p99), med(r, c, "rr", "p99_us"), 1, "");
		cell(procs, sizeof(procs), med(r, c, "hold", "fwd_procs"), 0, "");
		cell(hwm, sizeof(hwm), med(r, c, "hold", "fwd_hwm_kib") / 1024, 1, "");
		cell(pss, sizeof(pss), med(r, c, "hold", "fwd_pss_kib") / 1024, 1, "");
		printf(ROW, c, p50, p99, procs, hwm, pss);
	}
	printf("\nfwd CPU: the forwarder's time on CPU (schedstat, all its processes\n"
	       "and threads) per GB moved; client/server: the two ends' own CPU per GB\n"
	       "(a forwarder can make receiving dearer); fwd runs/MB: times the\n"
	       "forwarder was put on a CPU per MB, about its wake-ups. idle: the\n"
	       "forwarder holding the idle connections, summed over its processes;\n"
	       "socat forks one per connection, so its VmHWM sum counts shared pages\n"
	       "once per process, Pss shares them out. Both are user memory: pipe\n"
	       "and socket buffers live in the kernel and are not in them.\n\n");
}

#undef ROW

/* Ratios of every case against @base: throughput and RTT as case/base. */
static void print_ratios(const struct results *r, const char *base)
{
	int any = 0;

	for (int i = 0; i < r->ncases; i++) {
		const char *c = r->cases[i];
		char one[16], par[16], p50[16], p99[16], cpu[16];

		if (strcmp(c, base) == 0 || strcmp(c, "direct") == 0)
			continue;
		if (!any++)
			printf("%-10s %-10s %-10s %-10s %-10s %-10s   (vs %s)\n", "ratio",
			       "1 stream", "parallel", "RTT p50", "RTT p99",
			       "CPU/GB", base);
		cell(one, sizeof(one), med(r, c, "stream", "gbps") /
		     med(r, base, "stream", "gbps"), 2, "x");
		cell(par, sizeof(par), med(r, c, "parallel", "gbps") /
		     med(r, base, "parallel", "gbps"), 2, "x");
		cell(p50, sizeof(p50), med(r, c, "rr", "p50_us") /
		     med(r, base, "rr", "p50_us"), 2, "x");
		cell(p99, sizeof(p99), med(r, c, "rr", "p99_us") /
		     med(r, base, "rr", "p99_us"), 2, "x");
		cell(cpu, sizeof(cpu), med(r, c, "stream", "fwd_cpu_s_per_gb") /
		     med(r, base, "stream", "fwd_cpu_s_per_gb"), 2, "x");
		printf("%-10s %-10s %-10s %-10s %-10s %-10s\n", c, one, par, p50,
		       p99, base[0] == 'd' ? "-" : cpu);
	}
	if (any)
		printf("\n");
}

/* The record of @cas/@test in run @run, or NULL. */
static const struct rec *find_rec(const struct results *r, const char *cas,
				  const char *test, double run)
{
	double v;

	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->recs[i].cas, cas) == 0 &&
		    strcmp(r->recs[i].test, test) == 0 &&
		    rec_value(&r->recs[i], "run", &v) && v == run)
			return &r->recs[i];
	return NULL;
}

/* Median (min, max) over the runs of @a's @key divided by @b's in the same
 * run. The cases of one run are measured back to back, so a paired ratio
 * cancels most of the load other users put on the machine meanwhile. */
static struct stat3 paired_ratio(const struct results *r, const char *a,
				 const char *b, const char *test, const char *key)
{
	double v[MAX_RECS];
	int n = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct rec *x = &r->recs[i], *y;
		double run, xv, yv;

		if (strcmp(x->cas, a) != 0 || strcmp(x->test, test) != 0 ||
		    !rec_value(x, "run", &run) || !rec_value(x, key, &xv))
			continue;
		y = find_rec(r, b, test, run);
		if (y && rec_value(y, key, &yv) && yv > 0)
			v[n++] = xv / yv;
	}
	return stat3_of(v, n);
}

/* One target: the ratio of the medians, the median of the paired ratios
 * (the verdict's basis when there is one) and the limit. */
static void print_target(const struct results *r, const char *what,
			 const char *base, const char *test, const char *key,
			 double limit, bool at_least)
{
	double of_medians = med(r, "relay", test, key) / med(r, base, test, key);
	struct stat3 p = paired_ratio(r, "relay", base, test, key);
	double basis = p.n ? p.med : of_medians;
	const char *verdict = basis != basis ? "not measured"
			      : (at_least ? basis >= limit : basis <= limit) ? "met"
			      : "MISSED";
	char paired[48];

	if (p.n)
		snprintf(paired, sizeof(paired), "%.2fx (%.2f-%.2f)", p.med, p.min, p.max);
	else
		snprintf(paired, sizeof(paired), "-");
	printf("  %-30s %7.2fx   %-20s %s %.2fx   %s\n", what, of_medians, paired,
	       at_least ? ">=" : "<=", limit, verdict);
}

static void print_targets(const struct results *r)
{
	printf("targets for migsock-relay (issue 2)\n");
	printf("  %-30s %8s   %-20s %-9s  %s\n", "", "medians", "paired by run",
	       "target", "verdict (paired)");
	print_target(r, "one stream vs direct", "direct", "stream", "gbps", 0.9, true);
	print_target(r, "one stream vs socat defaults", "socat", "stream", "gbps", 4, true);
	print_target(r, "parallel streams vs direct", "direct", "parallel", "gbps", 0.85, true);
	print_target(r, "RTT p50 vs direct", "direct", "rr", "p50_us", 2.5, false);
}

int cmd_report(int argc, char **argv)
{
	struct results r = { 0 };
	struct ms_error e;

	if (argc != 3)
		die(MS_EXIT_USAGE, "report needs one argument: the results file");
	if (load_results(argv[2], &r, &e) < 0)
		die_err(&e);
	if (r.n == 0)
		die(MS_EXIT_CONFIG, "%s holds no results: run the benchmark first", argv[2]);
	print_params(&r);
	sort_cases(&r);
	print_throughput(&r);
	print_latency_memory(&r);
	print_ratios(&r, "direct");
	print_ratios(&r, "socat");
	print_targets(&r);
	free(r.recs);
	return 0;
}
