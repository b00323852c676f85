// SPDX-License-Identifier: MIT
/* label.c - SELinux contexts for sockets; see label.h.
 *
 * Syntax first (no kernel needed, fuzzed in tests/fuzz), the kernel's
 * verdict second. The grammar accepted for a raw context:
 *   context = user ":" role ":" type [ ":" range ]
 *   user, role, type = letter { letter | digit | "_" | "." | "-" }
 *   range = level [ "-" level ];  level = sens [ ":" cats ]
 *   cats = cat [ "." cat ] { "," cat [ "." cat ] }
 *   sens, cat = letter { letter | digit | "_" }
 * which covers what policies write ("system_u:object_r:svirt_socket_t:s0",
 * "s0-s0:c0.c1023", "s0:c1,c2") and keeps shell-unsafe bytes out.
 */

#include <ctype.h>
#include <errno.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/xattr.h>

#include "label.h"
#include "sandbox.h"

/* label_peer once sandboxed; setsockcreatecon writes /proc/thread-self. */
SANDBOX_SYSCALLS(__NR_getsockopt, __NR_openat, __NR_write, __NR_close,
		 __NR_gettid);

#define LABEL_MAX 255

bool label_enabled(void)
{
	return is_selinux_enabled() > 0;
}

/* An identifier at @p, ended by one of @stops or NUL; returns its end, or
 * NULL if it is empty, does not start with a letter or has a byte outside
 * letters, digits and @extra. */
static const char *scan_ident(const char *p, const char *extra, const char *stops)
{
	const char *start = p;

	if (!isalpha((unsigned char)*p))
		return NULL;
	for (; *p && !strchr(stops, *p); p++)
		if (!isalnum((unsigned char)*p) && !strchr(extra, *p))
			return NULL;
	return p > start ? p : NULL;
}

/* cats = cat [ "." cat ] { "," cat [ "." cat ] }, ending at '-' or NUL */
static const char *scan_cats(const char *p)
{
	for (;;) {
		p = scan_ident(p, "_", ".,-");
		if (p && *p == '.')
			p = scan_ident(p + 1, "_", ",-");
		if (!p || *p != ',')
			return p;
		p++;
	}
}

static const char *scan_level(const char *p)
{
	p = scan_ident(p, "_", ":-");
	if (p && *p == ':')
		p = scan_cats(p + 1);
	return p;
}

static const char *scan_range(const char *p)
{
	p = scan_level(p);
	if (p && *p == '-')
		p = scan_level(p + 1);
	return p;
}

/* Which part of the context is wrong, or NULL if the syntax is fine. */
static const char *syntax_problem(const char *ctx)
{
	static const char *const part[] = { "user", "role", "type" };
	const char *p = ctx;

	if (strlen(ctx) > LABEL_MAX)
		return "longer than 255 bytes";
	for (size_t i = 0; i < 3; i++) {
		p = scan_ident(p, "_.-", ":");
		if (!p)
			return part[i];
		if (i < 2 && *p++ != ':')
			return "fields: expected user:role:type[:range]";
	}
	if (!*p)
		return NULL;
	if (*p != ':')
		return "type";
	p = scan_range(p + 1);
	if (!p || *p)
		return "range";
	return NULL;
}

int label_check_syntax(const char *ctx, struct ms_error *e)
{
	if (!ctx || !*ctx)
		return ms_fail(e, MS_EXIT_LABEL,
			       "SELinux context is empty: give user:role:type[:range]");
	const char *bad = syntax_problem(ctx);
	if (bad) {
		char shown[64];
		snprintf(shown, sizeof(shown), "%s", ctx);
		for (char *c = shown; *c; c++)
			if (!isprint((unsigned char)*c))
				*c = '?';
		return ms_fail(e, MS_EXIT_LABEL,
			       "SELinux context '%s%s' is malformed (%s): use user:role:type[:range], e.g. %s",
			       shown, strlen(ctx) >= sizeof(shown) ? "..." : "", bad,
			       LABEL_HYPERVISOR_SOCKET);
	}
	return 0;
}

int label_validate(const char *ctx, struct ms_error *e)
{
	if (label_check_syntax(ctx, e) < 0)
		return -1;
	if (label_enabled() && security_check_context_raw(ctx) < 0)
		return ms_fail(e, MS_EXIT_LABEL,
			       "SELinux context %s is not valid in the loaded policy: check the type name, or load the policy module that defines it",
			       ctx);
	return 0;
}

int label_sockcreate(const char *ctx, bool required, struct ms_error *e)
{
	static bool noticed;

	if (!label_enabled()) {
		if (!ctx)
			return 0;
		if (required)
			return ms_fail(e, MS_EXIT_LABEL,
				       "SELinux is disabled on this host, so socket label %s cannot be applied: enable SELinux or drop --require-label",
				       ctx);
		if (!noticed)
			log_info("SELinux is disabled: sockets are created without the label %s", ctx);
		noticed = true;
		return 0;
	}
	/* The cast: libselinux < 3.5 takes a non-const char *. */
	if (setsockcreatecon_raw((char *)ctx) < 0)
		return ms_fail_errno(e, MS_EXIT_LABEL, "cannot set socket label %s",
				     ctx ? ctx : "(default)");
	return 0;
}

int label_peer(int fd, char *buf, size_t len)
{
	socklen_t l = (socklen_t)(len ? len - 1 : 0);

	if (!len)
		return -1;
	buf[0] = '\0';
	if (getsockopt(fd, SOL_SOCKET, SO_PEERSEC, buf, &l) < 0 || l == 0)
		return -1;
	buf[l] = '\0';
	return 0;
}

int label_of_fd(int fd, char *buf, size_t len)
{
	if (!len)
		return -1;
	buf[0] = '\0';
	ssize_t n = fgetxattr(fd, "security.selinux", buf, len - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}
