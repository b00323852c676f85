/* SPDX-License-Identifier: MIT
 * report.h - migsock-relay's log lines on stderr: one per connection when
 * it ends, one per refused peer, and notices; human-readable text
 * ("migsock-relay: conn 3 qemu ...") or JSON lines (--log-format json,
 * one object per line, for log collectors).
 */
#ifndef MIGSOCK_RELAY_REPORT_H
#define MIGSOCK_RELAY_REPORT_H

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

void report_init(enum relay_log_format fmt);

/* Format into @buf (no newline). Pure; unit-tested. */
void report_format_conn(char *buf, size_t len, enum relay_log_format fmt,
			const struct conn_summary *s);
void report_format_msg(char *buf, size_t len, enum relay_log_format fmt,
		       const char *level, const char *event, const char *msg);

/* Write a line to stderr. */
void report_conn(const struct conn_summary *s);
void report_msg(const char *level, const char *event, const char *fmt, ...)
	PRINTF(3, 4);

#endif
