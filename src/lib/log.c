// SPDX-License-Identifier: MIT
/* log.c - messages, die() and the error object; see log.h. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *prog = "migsock";

void log_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	prog = slash ? slash + 1 : name;
}

const char *log_prog(void)
{
	return prog;
}

/* ": strerror(err)" at @buf + @n, and the fix where it is always the same:
 * out of descriptors means the limit is too low for the job. */
static void append_errno(char *buf, size_t len, int n, int err)
{
	if (!err || n < 0 || (size_t)n >= len)
		return;
	snprintf(buf + n, len - (size_t)n, ": %s%s", strerror(err),
		 err == EMFILE || err == ENFILE ?
		 ": raise the descriptor limit (ulimit -n)" : "");
}

static int ms_vfail(struct ms_error *e, int code, int err, const char *fmt,
		    va_list ap)
{
	if (!e)
		return -1;
	e->code = code;
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	append_errno(e->msg, sizeof(e->msg), n, err);
	return -1;
}

int ms_fail(struct ms_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ms_vfail(e, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int ms_fail_errno(struct ms_error *e, int code, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	ms_vfail(e, code, err, fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

int ms_error_wrap(struct ms_error *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	/* ": old" copied by hand, cut to fit: the cut is wanted here, and
	 * snprintf would have the compiler warn about it. */
	if (n >= 0 && (size_t)n < sizeof(e->msg) && old[0]) {
		size_t o = (size_t)n;
		for (const char *p = ": "; *p && o + 1 < sizeof(e->msg); p++)
			e->msg[o++] = *p;
		for (const char *p = old; *p && o + 1 < sizeof(e->msg); p++)
			e->msg[o++] = *p;
		e->msg[o] = '\0';
	}
	if (!e->code)
		e->code = MS_EXIT_SYS;
	return -1;
}

/* Severity prefixes journald understands (sd-daemon.h values). */
enum { PRIO_ERR = 3, PRIO_WARNING = 4, PRIO_INFO = 6 };

/* Every message is one line, whatever it quotes: libvirt's and QEMU's
 * errors carry newlines. Each line break (and the blanks after it) becomes
 * "; " in @out; trailing ones are dropped. */
static void one_line(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *r = in; *r && o + 3 < outlen; r++) {
		if (*r != '\n' && *r != '\r') {
			out[o++] = *r;
			continue;
		}
		while (r[1] == '\n' || r[1] == '\r' || r[1] == ' ' || r[1] == '\t')
			r++;
		if (r[1]) {
			out[o++] = ';';
			out[o++] = ' ';
		}
	}
	out[o] = '\0';
}

static bool json_lines;

void log_set_json(bool on)
{
	json_lines = on;
}

bool log_is_json(void)
{
	return json_lines;
}

char *log_timestamp(char out[LOG_TS_LEN])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, LOG_TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	return out;
}

void log_write_line(const char *line)
{
	fprintf(stderr, "%s\n", line);
}

static void vlog_json(int prio, const char *line)
{
	char ts[LOG_TS_LEN], msg[1200];

	fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"message\",\"msg\":\"%s\"}\n",
		log_timestamp(ts),
		prio == PRIO_ERR ? "error" : prio == PRIO_WARNING ? "warn" : "info",
		json_escape(line, msg, sizeof(msg)));
}

static void vlog(int prio, int err, const char *fmt, va_list ap)
{
	char raw[1024], line[1024];
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);

	append_errno(raw, sizeof(raw), n, err);
	one_line(raw, line, sizeof(line));
	if (json_lines)
		vlog_json(prio, line);
	else if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s: %s\n", prio, prog, line);
	else
		fprintf(stderr, "%s: %s\n", prog, line);
}

#define LOG_FN(name, prio)                   \
	void name(const char *fmt, ...)      \
	{                                    \
		va_list ap;                  \
		va_start(ap, fmt);           \
		vlog(prio, 0, fmt, ap);      \
		va_end(ap);                  \
	}

LOG_FN(log_info, PRIO_INFO)
LOG_FN(log_warn, PRIO_WARNING)
LOG_FN(log_error, PRIO_ERR)

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_ERR, 0, fmt, ap);
	va_end(ap);
	exit(code);
}

void die_errno(int code, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_ERR, err, fmt, ap);
	va_end(ap);
	exit(code);
}

void die_err(const struct ms_error *e)
{
	die(e->code ? e->code : MS_EXIT_SYS, "%s", e->msg);
}

char *json_escape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; in && *in && o + 7 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, outlen - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	return out;
}
