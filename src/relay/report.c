// SPDX-License-Identifier: MIT
/* report.c - migsock-relay's log lines; see report.h. */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "report.h"
#include "sandbox.h"

SANDBOX_SYSCALLS(__NR_write, __NR_writev);

static enum relay_log_format log_format = RELAY_LOG_TEXT;

void report_init(enum relay_log_format fmt)
{
	log_format = fmt;
}

void report_format_conn(char *buf, size_t len, enum relay_log_format fmt,
			const struct conn_summary *s)
{
	char ch[96], end[64], detail[512];
	unsigned long ms = (unsigned long)(s->duration_us / 1000);

	if (fmt == RELAY_LOG_JSON) {
		snprintf(buf, len,
			 "{\"event\":\"conn\",\"id\":%lu,\"channel\":\"%s\","
			 "\"pid\":%ld,\"uid\":%ld,\"gid\":%ld,"
			 "\"bytes_up\":%" PRIu64 ",\"bytes_down\":%" PRIu64 ","
			 "\"duration_ms\":%lu,\"end\":\"%s\",\"detail\":\"%s\"}",
			 s->id, json_escape(s->channel, ch, sizeof(ch)),
			 (long)s->pid, (long)(int)s->uid, (long)(int)s->gid,
			 s->bytes_up, s->bytes_down, ms,
			 json_escape(s->end, end, sizeof(end)),
			 json_escape(s->detail, detail, sizeof(detail)));
		return;
	}
	snprintf(buf, len,
		 "conn %lu %s: pid %ld uid %ld gid %ld, %" PRIu64
		 " bytes up, %" PRIu64 " bytes down, %lu.%03lus, %s%s%s",
		 s->id, s->channel, (long)s->pid, (long)(int)s->uid,
		 (long)(int)s->gid, s->bytes_up, s->bytes_down, ms / 1000,
		 ms % 1000, s->end, *s->detail ? ": " : "", s->detail);
}

void report_format_msg(char *buf, size_t len, enum relay_log_format fmt,
		       const char *level, const char *event, const char *msg)
{
	char m[768];

	if (fmt == RELAY_LOG_JSON)
		snprintf(buf, len,
			 "{\"event\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}",
			 event, level, json_escape(msg, m, sizeof(m)));
	else
		snprintf(buf, len, "%s", msg);
}

static void emit(const char *level, const char *line)
{
	if (log_format == RELAY_LOG_JSON)
		fprintf(stderr, "%s\n", line);
	else if (level[0] == 'e')
		log_error("%s", line);
	else if (level[0] == 'w')
		log_warn("%s", line);
	else
		log_info("%s", line);
}

void report_conn(const struct conn_summary *s)
{
	char line[1024];

	report_format_conn(line, sizeof(line), log_format, s);
	emit("info", line);
}

void report_msg(const char *level, const char *event, const char *fmt, ...)
{
	char msg[768], line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_format_msg(line, sizeof(line), log_format, level, event, msg);
	emit(level, line);
}
