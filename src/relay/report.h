/* SPDX-License-Identifier: MIT
 * report.h - migsock-relay's log lines on stderr: one per listener at
 * start, one per connection when it ends, one per refused peer, the live
 * figures (SIGUSR1, and at exit), and notices; human-readable text
 * ("migsock-relay: conn 3 qemu ...") or JSON lines (--log-format json: one
 * object per line with "ts", "level", "event", the event's own fields and
 * "msg", the text line; see migsock-relay(1), LOGS).
 *
 * Probes stay out of the log: a connection that moved no byte either way
 * and was closed by its client (migsock-probe, a kubelet probe) is only
 * counted; refusals of such connections for the same reason in a row are
 * logged once, with the count when the channel serves again.
 */
#ifndef MIGSOCK_RELAY_REPORT_H
#define MIGSOCK_RELAY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "opts.h"

/* What a connection did, for its closing line. */
struct conn_summary {
	unsigned long id;
	const char *channel;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	uint64_t bytes_up;    /* client -> upstream */
	uint64_t bytes_down;  /* upstream -> client */
	uint64_t duration_us;
	const char *end;      /* closed, reset, error, refused, drain-timeout */
	const char *detail;   /* "" or why, e.g. "upstream: Connection refused" */
};

/* One field of a structured event: a string, or a number. */
struct report_field {
	const char *key;
	const char *str;      /* NULL: the number */
	long long num;
	bool raw;             /* str is JSON already (an array) */
};
static inline struct report_field report_str(const char *key, const char *v)
{
	return (struct report_field){ .key = key, .str = v ? v : "" };
}
#define RF_STR(k, v) report_str((k), (v))
#define RF_NUM(k, v) ((struct report_field){ .key = (k), .num = (long long)(v) })
#define RF_RAW(k, v) ((struct report_field){ .key = (k), .str = (v), .raw = true })

void report_init(enum relay_log_format fmt);

/* Format into @buf (no newline). Pure (the time stamp is given); unit-tested.
 * Text: @text alone. JSON: {"ts":@ts,"level":..,"event":..,FIELDS,"msg":@text}. */
void report_format_event(char *buf, size_t len, enum relay_log_format fmt,
			 const char *ts, const char *level, const char *event,
			 const struct report_field *f, size_t n, const char *text);
void report_format_conn(char *buf, size_t len, enum relay_log_format fmt,
			const char *ts, const struct conn_summary *s);

/* Write a line to stderr. */
void report_event(const char *level, const char *event,
		  const struct report_field *f, size_t n, const char *fmt, ...)
	PRINTF(5, 6);
void report_conn(const struct conn_summary *s);
/* A notice without fields of its own. */
void report_msg(const char *level, const char *event, const char *fmt, ...)
	PRINTF(3, 4);
/* A peer refused before any upstream connect (allow-lists, --max-conns). */
void report_refused(const char *channel, pid_t pid, uid_t uid, gid_t gid,
		    const char *why);

/* Is this closed connection one to count but not log? (See above.) */
bool report_is_probe(const struct conn_summary *s);

struct relay;
/* At start, one line per listener: path, channel, upstream (and whether
 * it is there), label, allow-list. */
void report_listeners(const struct relay *r, const struct relay_opts *o);
/* One line per channel: connections open and total, bytes each way,
 * refusals (event "stats"). */
void report_stats(const struct relay *r);

#endif
