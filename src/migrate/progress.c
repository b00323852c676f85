// SPDX-License-Identifier: MIT
/* progress.c - job statistics and their renderings; see progress.h. */

#include <stdio.h>
#include <string.h>

#include "progress.h"
#include "util.h"

void mig_stats_from_params(struct mig_stats *s, int type,
			   virTypedParameterPtr params, int nparams)
{
	const struct {
		const char *field;
		unsigned long long *dst;
		bool *have;
	} map[] = {
		{ VIR_DOMAIN_JOB_TIME_ELAPSED, &s->elapsed_ms, NULL },
		{ VIR_DOMAIN_JOB_DATA_TOTAL, &s->data_total, NULL },
		{ VIR_DOMAIN_JOB_DATA_PROCESSED, &s->data_processed, NULL },
		{ VIR_DOMAIN_JOB_DATA_REMAINING, &s->data_remaining, NULL },
		{ VIR_DOMAIN_JOB_MEMORY_TOTAL, &s->mem_total, NULL },
		{ VIR_DOMAIN_JOB_MEMORY_PROCESSED, &s->mem_processed, NULL },
		{ VIR_DOMAIN_JOB_MEMORY_BPS, &s->mem_bps, NULL },
		{ VIR_DOMAIN_JOB_DISK_TOTAL, &s->disk_total, NULL },
		{ VIR_DOMAIN_JOB_DISK_PROCESSED, &s->disk_processed, NULL },
		{ VIR_DOMAIN_JOB_DISK_BPS, &s->disk_bps, NULL },
		{ VIR_DOMAIN_JOB_MEMORY_ITERATION, &s->iteration, &s->have_iteration },
		{ VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, &s->dirty_rate, &s->have_dirty_rate },
		{ VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS, &s->postcopy_requests, NULL },
		{ VIR_DOMAIN_JOB_DOWNTIME, &s->downtime_ms, &s->have_downtime },
		{ VIR_DOMAIN_JOB_SETUP_TIME, &s->setup_ms, NULL },
	};

	memset(s, 0, sizeof(*s));
	s->type = type;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		int r = virTypedParamsGetULLong(params, nparams, map[i].field,
						map[i].dst);
		if (r == 1 && map[i].have)
			*map[i].have = true;
	}
	/* While a job runs, "downtime" is QEMU's expectation, not a fact. */
	if (type != VIR_DOMAIN_JOB_COMPLETED)
		s->have_downtime = false;
}

unsigned long long mig_stats_rate(const struct mig_stats *s)
{
	if (s->mem_bps || s->disk_bps)
		return s->mem_bps + s->disk_bps;
	if (s->elapsed_ms)
		return s->data_processed * 1000ULL / s->elapsed_ms;
	return 0;
}

long long mig_stats_eta(const struct mig_stats *s)
{
	unsigned long long rate = mig_stats_rate(s);

	if (!rate || !s->data_total)
		return -1;
	return (long long)((s->data_remaining + rate - 1) / rate);
}

const char *mig_human_bytes(unsigned long long b, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", b);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

static unsigned percent(const struct mig_stats *s)
{
	if (!s->data_total)
		return 0;
	unsigned long long done = s->data_total - s->data_remaining;
	if (s->data_remaining > s->data_total)
		done = 0;
	return (unsigned)(done * 100ULL / s->data_total);
}

void mig_stats_line(const struct mig_stats *s, char *buf, size_t len)
{
	char done[32], total[32], rate[32], eta[32] = "?";
	long long secs = mig_stats_eta(s);
	int n;

	if (secs >= 0)
		snprintf(eta, sizeof(eta), "%llds", secs);
	mig_human_bytes(s->data_processed, done, sizeof(done));
	mig_human_bytes(s->data_total, total, sizeof(total));
	mig_human_bytes(mig_stats_rate(s), rate, sizeof(rate));
	n = snprintf(buf, len, "%s/%s %u%% %s/s ETA %s", done, total,
		     percent(s), rate, eta);
	if (n < 0 || (size_t)n >= len)
		return;
	if (s->have_iteration)
		n += snprintf(buf + n, len - (size_t)n, " iteration %llu",
			      s->iteration);
	if (n >= 0 && (size_t)n < len && s->have_dirty_rate)
		snprintf(buf + n, len - (size_t)n, " dirty %llu pages/s",
			 s->dirty_rate);
}

void mig_stats_bar(const struct mig_stats *s, int width, char *buf, size_t len)
{
	char line[200];
	char bar[128];
	int filled;

	if (width < 4)
		width = 4;
	if ((size_t)width >= sizeof(bar))
		width = (int)sizeof(bar) - 1;
	filled = (int)((unsigned)width * percent(s) / 100U);
	for (int i = 0; i < width; i++)
		bar[i] = i < filled ? '#' : '-';
	bar[width] = '\0';
	mig_stats_line(s, line, sizeof(line));
	snprintf(buf, len, "[%s] %s", bar, line);
}

void mig_stats_json(const struct mig_stats *s, char *buf, size_t len)
{
	long long eta = mig_stats_eta(s);

	snprintf(buf, len,
		 "\"elapsed_ms\":%llu,\"data_total\":%llu,"
		 "\"data_processed\":%llu,\"data_remaining\":%llu,"
		 "\"memory_total\":%llu,\"memory_processed\":%llu,"
		 "\"disk_total\":%llu,\"disk_processed\":%llu,"
		 "\"bytes_per_second\":%llu,\"eta_seconds\":%lld,"
		 "\"iteration\":%llu,\"dirty_pages_per_second\":%llu,"
		 "\"postcopy_requests\":%llu",
		 s->elapsed_ms, s->data_total, s->data_processed,
		 s->data_remaining, s->mem_total, s->mem_processed,
		 s->disk_total, s->disk_processed, mig_stats_rate(s), eta,
		 s->iteration, s->dirty_rate, s->postcopy_requests);
}
