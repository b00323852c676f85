// SPDX-License-Identifier: MIT
/* report.c - migsock-relay's log lines; see report.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "label.h"
#include "relay.h"
#include "report.h"
#include "sandbox.h"

SANDBOX_SYSCALLS(__NR_write, __NR_writev, __NR_clock_gettime);

static enum relay_log_format log_format = RELAY_LOG_TEXT;

void report_init(enum relay_log_format fmt)
{
	char ts[LOG_TS_LEN];

	log_format = fmt;
	log_set_json(fmt == RELAY_LOG_JSON);
	/* The first gmtime_r() reads the time zone files: do it now, before
	 * the sandbox forbids open(). */
	log_timestamp(ts);
}

/* snprintf at @buf + *@o, never past @len. */
static PRINTF(4, 5) void append(char *buf, size_t len, size_t *o,
				const char *fmt, ...)
{
	va_list ap;

	if (*o >= len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	*o = n < 0 ? len : *o + (size_t)n;
}

void report_format_event(char *buf, size_t len, enum relay_log_format fmt,
			 const char *ts, const char *level, const char *event,
			 const struct report_field *f, size_t n, const char *text)
{
	char esc[1024];
	size_t o = 0;

	if (fmt != RELAY_LOG_JSON) {
		snprintf(buf, len, "%s", text);
		return;
	}
	append(buf, len, &o, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"%s\"",
	       ts, level, event);
	for (size_t i = 0; i < n; i++) {
		if (f[i].raw)
			append(buf, len, &o, ",\"%s\":%s", f[i].key, f[i].str);
		else if (f[i].str)
			append(buf, len, &o, ",\"%s\":\"%s\"", f[i].key,
			       json_escape(f[i].str, esc, sizeof(esc)));
		else
			append(buf, len, &o, ",\"%s\":%lld", f[i].key, f[i].num);
	}
	append(buf, len, &o, ",\"msg\":\"%s\"}", json_escape(text, esc, sizeof(esc)));
	/* Cut short: still one line, and a collector sees it is broken
	 * rather than a merged line. */
	if (o >= len && len > 1)
		buf[len - 2] = '}';
}

void report_format_conn(char *buf, size_t len, enum relay_log_format fmt,
			const char *ts, const struct conn_summary *s)
{
	char text[1024];
	unsigned long ms = (unsigned long)(s->duration_us / 1000);

	snprintf(text, sizeof(text),
		 "conn %lu %s: pid %ld uid %ld gid %ld, %" PRIu64
		 " bytes up, %" PRIu64 " bytes down, %lu.%03lus, %s%s%s",
		 s->id, s->channel, (long)s->pid, (long)(int)s->uid,
		 (long)(int)s->gid, s->bytes_up, s->bytes_down, ms / 1000,
		 ms % 1000, s->end, *s->detail ? ": " : "", s->detail);
	const struct report_field f[] = {
		RF_NUM("id", s->id), RF_STR("channel", s->channel),
		RF_NUM("pid", s->pid), RF_NUM("uid", (int)s->uid),
		RF_NUM("gid", (int)s->gid), RF_NUM("bytes_up", s->bytes_up),
		RF_NUM("bytes_down", s->bytes_down), RF_NUM("duration_ms", ms),
		RF_STR("end", s->end), RF_STR("detail", s->detail),
	};
	report_format_event(buf, len, fmt, ts, "info", "conn", f,
			    sizeof(f) / sizeof(f[0]), text);
}

static void emit(const char *level, const char *line)
{
	if (log_format == RELAY_LOG_JSON)
		log_write_line(line);
	else if (level[0] == 'e')
		log_error("%s", line);
	else if (level[0] == 'w')
		log_warn("%s", line);
	else
		log_info("%s", line);
}

static void vevent(const char *level, const char *event,
		   const struct report_field *f, size_t n, const char *fmt,
		   va_list ap)
{
	char text[768], line[2048], ts[LOG_TS_LEN];

	vsnprintf(text, sizeof(text), fmt, ap);
	report_format_event(line, sizeof(line), log_format, log_timestamp(ts),
			    level, event, f, n, text);
	emit(level, line);
}

void report_event(const char *level, const char *event,
		  const struct report_field *f, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vevent(level, event, f, n, fmt, ap);
	va_end(ap);
}

void report_msg(const char *level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vevent(level, event, NULL, 0, fmt, ap);
	va_end(ap);
}

void report_refused(const char *channel, pid_t pid, uid_t uid, gid_t gid,
		    const char *why)
{
	const struct report_field f[] = {
		RF_STR("channel", channel), RF_NUM("pid", pid),
		RF_NUM("uid", (int)uid), RF_NUM("gid", (int)gid),
		RF_STR("reason", why),
	};

	report_event("warn", "refused", f, sizeof(f) / sizeof(f[0]),
		     "%s: refused peer pid %ld uid %ld gid %ld: %s", channel,
		     (long)pid, (long)(int)uid, (long)(int)gid, why);
}

bool report_is_probe(const struct conn_summary *s)
{
	return s->bytes_up == 0 && s->bytes_down == 0 &&
	       strcmp(s->end, "closed") == 0;
}

/* Per channel: the upstream refusal last logged, and how many identical
 * ones followed unlogged. Keyed by the channel's name (its address is
 * stable: relay->channels). Only the event loop's thread logs closes. */
static struct quiet {
	const char *channel;
	char detail[256];
	unsigned long suppressed;
} quiet[LAYOUT_MAX_CHANNELS];

static struct quiet *quiet_of(const char *channel)
{
	for (size_t i = 0; i < LAYOUT_MAX_CHANNELS; i++) {
		if (quiet[i].channel == channel || !quiet[i].channel) {
			quiet[i].channel = channel;
			return &quiet[i];
		}
	}
	return NULL;
}

/* true: leave @s out of the log (see report.h). */
static bool keep_quiet(const struct conn_summary *s)
{
	struct quiet *q = quiet_of(s->channel);
	bool silent_refusal = strcmp(s->end, "refused") == 0 &&
			      s->bytes_up == 0 && s->bytes_down == 0;

	if (!q)
		return false;
	if (silent_refusal) {
		if (q->detail[0] && strcmp(q->detail, s->detail) == 0) {
			q->suppressed++;
			return true;
		}
		snprintf(q->detail, sizeof(q->detail), "%s", s->detail);
		return false;
	}
	if (q->suppressed) {
		const struct report_field f[] = {
			RF_STR("channel", s->channel),
			RF_NUM("refused_unlogged", q->suppressed),
		};
		report_event("info", "upstream-back", f, 2,
			     "%s: upstream accepts again (%lu more refused connections were not logged)",
			     s->channel, q->suppressed);
	}
	q->detail[0] = '\0';
	q->suppressed = 0;
	return report_is_probe(s);
}

void report_conn(const struct conn_summary *s)
{
	char line[2048], ts[LOG_TS_LEN];

	if (keep_quiet(s))
		return;
	report_format_conn(line, sizeof(line), log_format, log_timestamp(ts), s);
	emit("info", line);
}

/* The allow-lists as text ("uid 0,107; gid 36") and as JSON arrays. */
static void format_allow(const struct peer_allow *a, char *text, size_t tlen,
			 char *uids, char *gids, char *ctxs, size_t jlen)
{
	size_t t = 0, u = 0, g = 0, c = 0;
	char esc[512];

	append(uids, jlen, &u, "[");
	append(gids, jlen, &g, "[");
	append(ctxs, jlen, &c, "[");
	text[0] = '\0';
	for (size_t i = 0; i < a->n_uids; i++) {
		append(text, tlen, &t, "%s%ld", i ? "," : "uid ", (long)a->uids[i]);
		append(uids, jlen, &u, "%s%ld", i ? "," : "", (long)a->uids[i]);
	}
	for (size_t i = 0; i < a->n_gids; i++) {
		append(text, tlen, &t, "%s%ld", i ? "," : t ? "; gid " : "gid ",
		       (long)a->gids[i]);
		append(gids, jlen, &g, "%s%ld", i ? "," : "", (long)a->gids[i]);
	}
	for (size_t i = 0; i < a->n_contexts; i++) {
		append(text, tlen, &t, "%s%s", i ? " or " : t ? "; context " : "context ",
		       a->contexts[i]);
		append(ctxs, jlen, &c, "%s\"%s\"", i ? "," : "",
		       json_escape(a->contexts[i], esc, sizeof(esc)));
	}
	if (!t)
		snprintf(text, tlen, "everyone");
	append(uids, jlen, &u, "]");
	append(gids, jlen, &g, "]");
	append(ctxs, jlen, &c, "]");
}

/* "there", "missing" or "not a socket", for the start line. */
static const char *upstream_state(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? "missing" : "unreachable";
	return S_ISSOCK(st.st_mode) ? "there" : "not a socket";
}

static void report_listener(const struct relay_listener *l, const char *allow,
			    const char *uids, const char *gids, const char *ctxs)
{
	const struct relay_channel *ch = l->ch;
	const char *state = upstream_state(ch->upstream);
	char path[SOCKPATH_MAX + 32], label[256];

	if (l->path[0])
		snprintf(path, sizeof(path), "%s", l->path);
	else
		snprintf(path, sizeof(path), "fd %d (passed)", l->fd);
	if (label_of_fd(l->fd, label, sizeof(label)) < 0)
		snprintf(label, sizeof(label), "-");
	const struct report_field f[] = {
		RF_STR("channel", ch->name), RF_STR("path", path),
		RF_STR("upstream", ch->upstream), RF_STR("upstream_state", state),
		RF_STR("upstream_needed", ch->on_demand ? "during-migration" : "always"),
		RF_STR("label", label), RF_RAW("allow_uids", uids),
		RF_RAW("allow_gids", gids), RF_RAW("allow_contexts", ctxs),
	};
	report_event("info", "listen", f, sizeof(f) / sizeof(f[0]),
		     "listening on %s: channel %s, upstream %s (%s%s), label %s, allow %s",
		     path, ch->name, ch->upstream, state,
		     ch->on_demand ? ", needed during a migration" : "", label, allow);
}

void report_listeners(const struct relay *r, const struct relay_opts *o)
{
	char allow[1024], uids[512], gids[512], ctxs[1024];

	(void)o;
	format_allow(r->allow, allow, sizeof(allow), uids, gids, ctxs, sizeof(uids));
	for (size_t i = 0; i < r->n_listeners; i++)
		report_listener(&r->listeners[i], allow, uids, gids,
				r->allow->n_contexts ? ctxs : "[]");
	/* A channel whose upstream must always exist, but does not: every
	 * connection will be refused until the daemon starts. */
	for (size_t i = 0; i < r->n_channels; i++) {
		const struct relay_channel *ch = &r->channels[i];
		const char *state = upstream_state(ch->upstream);
		if (ch->on_demand || strcmp(state, "there") == 0)
			continue;
		const struct report_field f[] = {
			RF_STR("channel", ch->name), RF_STR("upstream", ch->upstream),
			RF_STR("upstream_state", state),
		};
		report_event("warn", "upstream-missing", f, 3,
			     "%s: upstream %s is %s: connections are refused until it accepts (start the daemon, or check --connect)",
			     ch->name, ch->upstream, state);
	}
}

void report_stats(const struct relay *r)
{
	for (size_t i = 0; i < r->n_channels; i++) {
		const struct relay_channel *ch = &r->channels[i];
		uint64_t open = RELAY_STAT_GET(ch, open), total = RELAY_STAT_GET(ch, total),
			 up = RELAY_STAT_GET(ch, bytes_up), down = RELAY_STAT_GET(ch, bytes_down),
			 refused = RELAY_STAT_GET(ch, refused);
		const struct report_field f[] = {
			RF_STR("channel", ch->name), RF_NUM("open", open),
			RF_NUM("total", total), RF_NUM("bytes_up", up),
			RF_NUM("bytes_down", down), RF_NUM("refused", refused),
		};
		report_event("info", "stats", f, sizeof(f) / sizeof(f[0]),
			     "stats %s: %" PRIu64 " open, %" PRIu64 " total, %" PRIu64
			     " bytes up, %" PRIu64 " bytes down, %" PRIu64 " refused",
			     ch->name, open, total, up, down, refused);
	}
}
