/* SPDX-License-Identifier: MIT
 * log.h - one-line messages on stderr, die() helpers, and the error object
 * library functions fill instead of exiting (crun's style: the library
 * reports, the command decides).
 *
 * Format: "PROG: message". Under systemd (JOURNAL_STREAM set) each line gets
 * a "<N>" priority prefix so journald keeps the severity.
 */
#ifndef MIGSOCK_LOG_H
#define MIGSOCK_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdnoreturn.h>

#include "exitcodes.h"

#define PRINTF(f, a) __attribute__((format(printf, f, a)))

/* An error a library function reports: the exit code a command should use
 * and the one-line message (no program prefix, no newline). */
struct ms_error {
	int code;
	char msg[512];
};

/* Fill @e (if not NULL) and return -1, so callers can "return ms_fail(...)".
 * ms_fail_errno appends ": strerror(errno)". */
int ms_fail(struct ms_error *e, int code, const char *fmt, ...) PRINTF(3, 4);
int ms_fail_errno(struct ms_error *e, int code, const char *fmt, ...) PRINTF(3, 4);

/* Add context to an error on its way up (after crun's crun_error_wrap):
 * "CONTEXT: message". One way only: the context goes in front, the code
 * stays (MS_EXIT_SYS if it was never set); if the line gets too long, the
 * end of the old message is cut, never the context. Returns -1, so callers
 * can "return ms_error_wrap(e, "upstream %s", path)". @e may be NULL. */
int ms_error_wrap(struct ms_error *e, const char *fmt, ...) PRINTF(2, 3);

/* Program name used as prefix; set once from main(). */
void log_init(const char *prog);
const char *log_prog(void);

void log_info(const char *fmt, ...) PRINTF(1, 2);
void log_warn(const char *fmt, ...) PRINTF(1, 2);
void log_error(const char *fmt, ...) PRINTF(1, 2);

noreturn void die(int code, const char *fmt, ...) PRINTF(2, 3);
noreturn void die_errno(int code, const char *fmt, ...) PRINTF(2, 3);
noreturn void die_err(const struct ms_error *e);

/* Log lines as JSON (one object per line, for log collectors) instead of
 * "PROG: message": every log_*() and die*() line becomes
 *   {"ts":"2026-12-03T16:50:00.123Z","level":"error","event":"message",
 *    "msg":"..."}
 * so a program with a --log-format json option never mixes plain lines in. */
void log_set_json(bool on);
bool log_is_json(void);
/* The current time as RFC 3339 UTC with milliseconds, e.g.
 * "2026-12-03T16:50:00.123Z" (24 bytes; the buffer leaves room). */
#define LOG_TS_LEN 64
char *log_timestamp(char out[LOG_TS_LEN]);
/* Write one finished line (no newline) to stderr as it is. */
void log_write_line(const char *line);

/* JSON string escaping into @out (always NUL-terminated, truncated to fit).
 * Returns @out. For JSON-lines logs and --json results. */
char *json_escape(const char *in, char *out, size_t outlen);

#endif
