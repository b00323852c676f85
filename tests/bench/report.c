// SPDX-License-Identifier: MIT
/* report.c - `msbench report FILE`: the benchmark's table from the results
 * lines run-bench collected ("case=C run=R test=T key=value ..."): medians
 * with min-max, ratios against the direct connection and socat's defaults,
 * and issue 12's targets for migsock-relay beside them. `msbench targets
 * FILE` gives the same verdicts as TSV rows, for the results folder's
 * table of every target (tests/bench/run-results). */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msbench.h"
#include "util.h"

/* Results lines are "case=C run=R test=T key=value ...". */
#define MAX_KV 32
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
	char line[2048];
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
	printf(ROW, "", "", "s/GiB", "CPU s/GB", "runs/MB", "(aggregate)", "s/GiB");
	for (int i = 0; i < r->ncases; i++) {
		const char *c = r->cases[i];
		char one[40], cpu1[16], ends[32], runs[16], par[40], cpup[16];
		double cl = med(r, c, "stream", "client_cpu_s_per_gb");
		double sv = med(r, c, "stream", "server_cpu_s_per_gb");

		cell_range(one, sizeof(one), stat_of(r, c, "stream", "gbps"), 1);
		cell(cpu1, sizeof(cpu1), med(r, c, "stream", "fwd_cpu_s_per_gib"), 3, "");
		if (cl == cl && sv == sv)
			snprintf(ends, sizeof(ends), "%.3f/%.3f", cl, sv);
		else
			snprintf(ends, sizeof(ends), "-");
		cell(runs, sizeof(runs), med(r, c, "stream", "fwd_runs_per_mb"), 1, "");
		cell_range(par, sizeof(par), stat_of(r, c, "parallel", "gbps"), 1);
		cell(cpup, sizeof(cpup), med(r, c, "parallel", "fwd_cpu_s_per_gib"), 3, "");
		printf(ROW, c, one, cpu1, ends, runs, par, cpup);
	}
	printf("\n");
}

#undef ROW
#define ROW "%-10s %-8s %-8s | %-6s %-8s %-8s %-8s | %-8s %-8s %-8s\n"

/* KiB to MiB, NAN staying NAN. */
static double mib(double kib)
{
	return kib / 1024;
}

static void print_latency_memory(const struct results *r)
{
	printf(ROW, "case", "RTT p50", "RTT p99", "idle:", "VmHWM", "VmRSS", "Pss",
	       "parallel:", "VmRSS", "pipes");
	printf(ROW, "", "us", "us", "procs", "sum MiB", "sum MiB", "sum MiB", "VmHWM MiB",
	       "peak MiB", "peak MiB");
	for (int i = 0; i < r->ncases; i++) {
		const char *c = r->cases[i];
		char p50[16], p99[16], procs[16], hwm[16], rss[16], pss[16];
		char phwm[16], prss[16], pipes[16];

		cell(p50, sizeof(p50), med(r, c, "rr", "p50_us"), 1, "");
		cell(p99, sizeof(p99), med(r, c, "rr", "p99_us"), 1, "");
		cell(procs, sizeof(procs), med(r, c, "hold", "fwd_procs"), 0, "");
		cell(hwm, sizeof(hwm), mib(med(r, c, "hold", "fwd_hwm_kib")), 1, "");
		cell(rss, sizeof(rss), mib(med(r, c, "hold", "fwd_rss_kib")), 1, "");
		cell(pss, sizeof(pss), mib(med(r, c, "hold", "fwd_pss_kib")), 1, "");
		cell(phwm, sizeof(phwm), mib(med(r, c, "parallel", "fwd_hwm_kib")), 1, "");
		cell(prss, sizeof(prss), mib(med(r, c, "parallel", "fwd_rss_peak_kib")), 1, "");
		cell(pipes, sizeof(pipes), mib(med(r, c, "parallel", "fwd_pipes_kib")), 1, "");
		printf(ROW, c, p50, p99, procs, hwm, rss, pss, phwm, prss, pipes);
	}
	printf("\nfwd CPU: the forwarder's time on CPU (schedstat, all its processes\n"
	       "and threads) per GiB moved; client/server: the two ends' own CPU per GB\n"
	       "(a forwarder can make receiving dearer); fwd runs/MB: times the\n"
	       "forwarder was put on a CPU per MB, about its wake-ups. idle: the\n"
	       "forwarder holding the idle connections, summed over its processes;\n"
	       "socat forks one per connection, so its VmHWM sum counts shared pages\n"
	       "once per process, Pss shares them out. parallel: the forwarder moving\n"
	       "the parallel streams: VmHWM summed at the end (each process's peak),\n"
	       "the largest VmRSS sum sampled every 250 ms, and the largest capacity\n"
	       "of the pipes it held (kernel memory, in no RSS; read with\n"
	       "pidfd_getfd, root only). Socket buffers are in none of them.\n\n");
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
			       "CPU/GiB", base);
		cell(one, sizeof(one), med(r, c, "stream", "gbps") /
		     med(r, base, "stream", "gbps"), 2, "x");
		cell(par, sizeof(par), med(r, c, "parallel", "gbps") /
		     med(r, base, "parallel", "gbps"), 2, "x");
		cell(p50, sizeof(p50), med(r, c, "rr", "p50_us") /
		     med(r, base, "rr", "p50_us"), 2, "x");
		cell(p99, sizeof(p99), med(r, c, "rr", "p99_us") /
		     med(r, base, "rr", "p99_us"), 2, "x");
		cell(cpu, sizeof(cpu), med(r, c, "stream", "fwd_cpu_s_per_gib") /
		     med(r, base, "stream", "fwd_cpu_s_per_gib"), 2, "x");
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

/* Issue 12's ratio targets for migsock-relay: relay/base of @key in @test. */
struct target {
	const char *what, *base, *test, *key;
	double limit;
	bool at_least;
};

static const struct target targets[] = {
	{ "one stream, relay / direct AF_UNIX", "direct", "stream", "gbps", 0.95, true },
	{ "streams, relay / direct", "direct", "parallel", "gbps", 0.95, true },
	{ "64 B round trip p50, relay / direct", "direct", "rr", "p50_us", 2.0, false },
};

/* A target's figures: the ratio of the medians, the median of the paired
 * ratios (the verdict's basis when there is one), the verdict, and how far
 * from the limit a miss is, in percent of the limit. */
struct outcome {
	char what[64];
	double of_medians, basis, miss_pct;
	struct stat3 paired;
	const char *verdict;
};

static struct outcome judge(const struct results *r, const struct target *t)
{
	struct outcome o = { 0 };
	double streams = med(r, "relay", t->test, "streams");

	/* The parallel test's label starts with its stream count. */
	if (strcmp(t->test, "parallel") == 0)
		snprintf(o.what, sizeof(o.what), "%.0f %s", streams == streams ? streams : 0,
			 t->what);
	else
		snprintf(o.what, sizeof(o.what), "%s", t->what);
	o.of_medians = med(r, "relay", t->test, t->key) / med(r, t->base, t->test, t->key);
	o.paired = paired_ratio(r, "relay", t->base, t->test, t->key);
	o.basis = o.paired.n ? o.paired.med : o.of_medians;
	if (o.basis != o.basis)
		o.verdict = "not measured";
	else if (t->at_least ? o.basis >= t->limit : o.basis <= t->limit)
		o.verdict = "met";
	else
		o.verdict = "MISSED";
	o.miss_pct = t->at_least ? (1 - o.basis / t->limit) * 100
				 : (o.basis / t->limit - 1) * 100;
	return o;
}

/* The relay's memory with the parallel streams: RSS reported, the pipe
 * capacity it held against its budget. */
struct mem_outcome {
	double hwm_kib, rss_kib, pipes_kib, budget_kib, streams;
	const char *verdict;
};

static struct mem_outcome judge_memory(const struct results *r)
{
	struct mem_outcome m = {
		.hwm_kib = med(r, "relay", "parallel", "fwd_hwm_kib"),
		.rss_kib = med(r, "relay", "parallel", "fwd_rss_peak_kib"),
		.pipes_kib = stat_of(r, "relay", "parallel", "fwd_pipes_kib").max,
		.budget_kib = med(r, "relay", "parallel", "pipe_budget_kib"),
		.streams = med(r, "relay", "parallel", "streams"),
	};

	if (stat_of(r, "relay", "parallel", "fwd_pipes_kib").n == 0)
		m.pipes_kib = __builtin_nan("");
	if (m.hwm_kib != m.hwm_kib)
		m.verdict = "not measured";
	else if (m.pipes_kib != m.pipes_kib)
		m.verdict = "RSS reported; pipes not readable (root?)";
	else if (m.budget_kib > 0 && m.pipes_kib > m.budget_kib)
		m.verdict = "MISSED";
	else
		m.verdict = "met";
	return m;
}

static void print_targets(const struct results *r)
{
	char paired[48], verdict[48];
	struct mem_outcome m = judge_memory(r);

	printf("targets for migsock-relay (issue 12)\n");
	printf("  %-36s %8s   %-20s %-9s  %s\n", "", "medians", "paired by run",
	       "target", "verdict (paired)");
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		const struct target *t = &targets[i];
		struct outcome o = judge(r, t);

		if (o.paired.n)
			snprintf(paired, sizeof(paired), "%.2fx (%.2f-%.2f)", o.paired.med,
				 o.paired.min, o.paired.max);
		else
			snprintf(paired, sizeof(paired), "-");
		if (strcmp(o.verdict, "MISSED") == 0)
			snprintf(verdict, sizeof(verdict), "MISSED by %.0f%%", o.miss_pct);
		else
			snprintf(verdict, sizeof(verdict), "%s", o.verdict);
		printf("  %-36s %7.2fx   %-20s %s %.2fx   %s\n", o.what, o.of_medians,
		       paired, t->at_least ? ">=" : "<=", t->limit, verdict);
	}
	printf("  relay memory, %.0f bulk streams: VmHWM %.1f MiB, VmRSS peak %.1f MiB,\n"
	       "    pipes held %.1f MiB (largest of the runs) of a %.0f MiB pipe budget: %s\n",
	       m.streams == m.streams ? m.streams : 0, mib(m.hwm_kib), mib(m.rss_kib),
	       mib(m.pipes_kib), mib(m.budget_kib), m.verdict);
}

/* `msbench targets FILE`: one TSV row per target: figure, measured (the
 * verdict's basis), target, verdict, note. */
int cmd_targets(int argc, char **argv)
{
	struct results r = { 0 };
	struct ms_error e;
	struct mem_outcome m;

	if (argc != 3)
		die(MS_EXIT_USAGE, "targets needs one argument: the results file");
	if (load_results(argv[2], &r, &e) < 0)
		die_err(&e);
	if (r.n == 0)
		die(MS_EXIT_CONFIG, "%s holds no results: run the benchmark first", argv[2]);
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		const struct target *t = &targets[i];
		struct outcome o = judge(&r, t);

		printf("%s\t%.2fx\t%s %.2fx\t%s", o.what, o.basis,
		       t->at_least ? ">=" : "<=", t->limit, o.verdict);
		if (strcmp(o.verdict, "MISSED") == 0)
			printf(" by %.0f%%", o.miss_pct);
		printf("\tmedian of %d paired runs, make bench\n", o.paired.n);
	}
	m = judge_memory(&r);
	printf("relay RSS, %.0f bulk streams\tVmHWM %.1f MiB, VmRSS peak %.1f MiB; pipes %.1f MiB"
	       "\treported; pipes <= %.0f MiB budget\t%s\tmake bench, medians; pipes: largest\n",
	       m.streams == m.streams ? m.streams : 0, mib(m.hwm_kib), mib(m.rss_kib),
	       mib(m.pipes_kib), mib(m.budget_kib), m.verdict);
	free(r.recs);
	return 0;
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
