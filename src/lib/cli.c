// SPDX-License-Identifier: MIT
/* cli.c - the shared command-line layer; see cli.h.
 *
 * Scanners are written out by hand rather than with strtoul/strtod: those
 * accept blanks, signs, "0x" and locale-dependent decimal points, and
 * strtoul silently turns "-1" into ULONG_MAX.
 */

#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef MIGSOCK_VERSION
#define MIGSOCK_VERSION "0.1"
#endif

/* Longest user or group name looked up (useradd's limit is 32). */
#define CLI_NAME_MAX 64

/* Decimal digits at @s into @v; returns how many, 0 on none or overflow. */
static size_t scan_digits(const char *s, uint64_t *v)
{
	size_t n = 0;

	*v = 0;
	for (; s[n] >= '0' && s[n] <= '9'; n++) {
		uint64_t d = (uint64_t)(s[n] - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return 0;
		*v = *v * 10 + d;
	}
	return n;
}

int cli_scan_uint(const char *s, uint64_t min, uint64_t max, const char *unit,
		  uint64_t *out, struct ms_error *e)
{
	uint64_t v;
	size_t n = s ? scan_digits(s, &v) : 0;

	if (n == 0 || s[n] || v < min || v > max)
		return ms_fail(e, MS_EXIT_USAGE, "expected %s from %llu to %llu",
			       unit, (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int cli_opt_uint(const char *opt, const char *s, uint64_t min, uint64_t max,
		 const char *unit, uint64_t *out, struct ms_error *e)
{
	if (cli_scan_uint(s, min, max, unit, out, e) < 0)
		return ms_error_wrap(e, "%s %s", opt, s ? s : "");
	return 0;
}

int cli_opt_unsigned(const char *opt, const char *s, unsigned min, unsigned max,
		     const char *unit, unsigned *out, struct ms_error *e)
{
	uint64_t v;

	if (cli_opt_uint(opt, s, min, max, unit, &v, e) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int cli_scan_int(const char *s, int64_t min, int64_t max, const char *unit,
		 int64_t *out, struct ms_error *e)
{
	bool neg = s && *s == '-';
	uint64_t v;
	size_t n = s ? scan_digits(s + neg, &v) : 0;

	if (n && !s[neg + n] && v <= (uint64_t)INT64_MAX) {
		int64_t x = neg ? -(int64_t)v : (int64_t)v;
		if (x >= min && x <= max) {
			*out = x;
			return 0;
		}
	}
	return ms_fail(e, MS_EXIT_USAGE, "expected %s from %lld to %lld", unit,
		       (long long)min, (long long)max);
}

int cli_opt_int(const char *opt, const char *s, int min, int max,
		const char *unit, int *out, struct ms_error *e)
{
	int64_t v;

	if (cli_scan_int(s, min, max, unit, &v, e) < 0)
		return ms_error_wrap(e, "%s %s", opt, s ? s : "");
	*out = (int)v;
	return 0;
}

/* "12", "1.5", ".5" into @v; returns the length scanned, 0 if none. */
static size_t scan_decimal(const char *s, double *v)
{
	uint64_t ip = 0, fp;
	size_t n = scan_digits(s, &ip), f = 0;

	if (n == 0 && s[0] >= '0' && s[0] <= '9')
		return 0; /* overflow */
	*v = (double)ip;
	if (s[n] == '.') {
		f = scan_digits(s + n + 1, &fp);
		if (f == 0 || f > 9)
			return 0;
		double scale = 1;
		for (size_t i = 0; i < f; i++)
			scale *= 10;
		*v += (double)fp / scale;
		n += 1 + f;
	}
	return n;
}

static const struct { const char *suffix; double factor; } second_units[] = {
	{ "", 1 }, { "s", 1 }, { "ms", 0.001 }, { "m", 60 }, { "h", 3600 },
};

int cli_scan_seconds(const char *s, double min, double max, double *out,
		     struct ms_error *e)
{
	double v;
	size_t n = s ? scan_decimal(s, &v) : 0;

	for (size_t i = 0; n && i < sizeof(second_units) / sizeof(second_units[0]); i++) {
		if (strcmp(s + n, second_units[i].suffix) != 0)
			continue;
		v *= second_units[i].factor;
		if (v >= min && v <= max && isfinite(v)) {
			*out = v;
			return 0;
		}
	}
	return ms_fail(e, MS_EXIT_USAGE, "expected seconds from %g to %g (e.g. 5, 0.5, 250ms, 2m)",
		       min, max);
}

int cli_opt_seconds(const char *opt, const char *s, double min, double max,
		    double *out, struct ms_error *e)
{
	if (cli_scan_seconds(s, min, max, out, e) < 0)
		return ms_error_wrap(e, "%s %s", opt, s ? s : "");
	return 0;
}

int cli_scan_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		  struct ms_error *e)
{
	static const char units[] = "KMGT";
	uint64_t v;
	size_t n = s ? scan_digits(s, &v) : 0;
	const char *u = n ? s + n : NULL;
	int shift = 0;

	if (u && *u) {
		const char *p = strchr(units, *u);
		shift = p && *p ? 10 * (int)(p - units + 1) : -1;
		if (shift > 0 && strcmp(u + 1, "") != 0 && strcmp(u + 1, "iB") != 0)
			shift = -1;
	}
	if (!u || shift < 0 || (shift && v > (UINT64_MAX >> shift)) ||
	    (v << shift) < min || (v << shift) > max)
		return ms_fail(e, MS_EXIT_USAGE, "expected a size in bytes from %llu to %llu (suffix K, M, G or T for KiB, MiB, GiB, TiB)",
			       (unsigned long long)min, (unsigned long long)max);
	*out = v << shift;
	return 0;
}

int cli_opt_size(const char *opt, const char *s, uint64_t min, uint64_t max,
		 uint64_t *out, struct ms_error *e)
{
	if (cli_scan_size(s, min, max, out, e) < 0)
		return ms_error_wrap(e, "%s %s", opt, s ? s : "");
	return 0;
}

int cli_scan_mode(const char *s, mode_t *out, struct ms_error *e)
{
	size_t len = s ? strlen(s) : 0;
	unsigned v = 0;

	if (len >= 1 && len <= 4 && strspn(s, "01234567") == len) {
		for (const char *c = s; *c; c++)
			v = v * 8 + (unsigned)(*c - '0');
		if (v >= 1 && v <= 0777) {
			*out = (mode_t)v;
			return 0;
		}
	}
	return ms_fail(e, MS_EXIT_USAGE, "expected an octal mode from 1 to 0777, e.g. 0660");
}

int cli_opt_mode(const char *opt, const char *s, mode_t *out, struct ms_error *e)
{
	if (cli_scan_mode(s, out, e) < 0)
		return ms_error_wrap(e, "%s %s", opt, s ? s : "");
	return 0;
}

/* A decimal id below (id_t)-1 (which means "unchanged" to chown). */
static bool scan_id(const char *s, uint64_t *v)
{
	size_t n = scan_digits(s, v);

	return n && !s[n] && *v < 0xffffffffu;
}

int cli_scan_user(const char *s, uid_t *out, struct ms_error *e)
{
	char buf[4096];
	struct passwd pw, *res = NULL;
	uint64_t v;

	if (!s || !*s || strlen(s) > CLI_NAME_MAX)
		return ms_fail(e, MS_EXIT_USAGE, "user '%.80s' is empty or too long: give a uid number or an existing user name",
			       s ? s : "");
	if (scan_id(s, &v)) {
		*out = (uid_t)v;
		return 0;
	}
	if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return ms_fail(e, MS_EXIT_USAGE, "unknown user '%s': give a uid number or an existing user name", s);
	*out = res->pw_uid;
	return 0;
}

int cli_scan_group(const char *s, gid_t *out, struct ms_error *e)
{
	char buf[4096];
	struct group gr, *res = NULL;
	uint64_t v;

	if (!s || !*s || strlen(s) > CLI_NAME_MAX)
		return ms_fail(e, MS_EXIT_USAGE, "group '%.80s' is empty or too long: give a gid number or an existing group name",
			       s ? s : "");
	if (scan_id(s, &v)) {
		*out = (gid_t)v;
		return 0;
	}
	if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return ms_fail(e, MS_EXIT_USAGE, "unknown group '%s': give a gid number or an existing group name", s);
	*out = res->gr_gid;
	return 0;
}

int cli_scan_owner(const char *s, uid_t *uid, gid_t *gid, struct ms_error *e)
{
	char user[CLI_NAME_MAX + 1];
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t ulen = colon ? (size_t)(colon - s) : (s ? strlen(s) : 0);
	uid_t u;
	gid_t g = (gid_t)-1;

	if (ulen == 0 || ulen > CLI_NAME_MAX || (colon && !colon[1]))
		return ms_fail(e, MS_EXIT_USAGE, "owner '%.80s' is malformed: give USER[:GROUP], numbers or names",
			       s ? s : "");
	memcpy(user, s, ulen);
	user[ulen] = '\0';
	if (cli_scan_user(user, &u, e) < 0 ||
	    (colon && cli_scan_group(colon + 1, &g, e) < 0))
		return -1;
	*uid = u;
	*gid = g;
	return 0;
}

int cli_opt_owner(const char *opt, const char *s, uid_t *uid, gid_t *gid,
		  struct ms_error *e)
{
	if (cli_scan_owner(s, uid, gid, e) < 0)
		return ms_error_wrap(e, "%s", opt); /* the message quotes @s */
	return 0;
}

int cli_opt_word(const char *opt, const char *s, const char *const words[],
		 struct ms_error *e)
{
	char list[256] = "";
	size_t n = 0, len = 0;

	for (; words[n]; n++)
		if (s && strcmp(s, words[n]) == 0)
			return (int)n;
	for (size_t i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i == 0 ? "" : i + 1 == n ? " or " : ", ", words[i]);
	ms_fail(e, MS_EXIT_USAGE, "expected %s", list);
	return ms_error_wrap(e, "%s %s", opt, s ? s : "");
}

int cli_bad_option(char *const argv[], struct ms_error *e)
{
	extern int optind, optopt;
	const char *typed = argv[optind - 1];

	/* A short option inside a cluster ("-qx"): name the letter. */
	if (optopt > 0 && optopt < 256 && typed[0] == '-' && typed[1] != '-')
		return ms_fail(e, MS_EXIT_USAGE, "bad option -%c (unknown, or missing its argument): try --help",
			       optopt);
	return ms_fail(e, MS_EXIT_USAGE, "bad option %s (unknown, or missing its argument): try --help",
		       typed);
}

int cli_unexpected_argument(const char *arg, struct ms_error *e)
{
	return ms_fail(e, MS_EXIT_USAGE, "unexpected argument %s: try --help", arg);
}

const char *cli_layout_file(const char *given)
{
	const char *env = getenv("MIGSOCK_LAYOUT");

	if (given)
		return given;
	return env && *env ? env : LAYOUT_DEFAULT_PATH;
}

int cli_layout_load(const char *given, struct layout *out, struct ms_error *e)
{
	const char *env = getenv("MIGSOCK_LAYOUT");
	const char *file = cli_layout_file(given);

	if (layout_load(file, out, e) == 0)
		return 0;
	if (given || !e)
		return -1;
	size_t n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, "%s", env && *env ?
		 " (from MIGSOCK_LAYOUT)" :
		 " (the installed default: give --layout FILE or set MIGSOCK_LAYOUT)");
	return -1;
}

const char *cli_version(void)
{
	return MIGSOCK_VERSION;
}

void cli_print_version(void)
{
	printf("%s %s\n", log_prog(), MIGSOCK_VERSION);
}
