// SPDX-License-Identifier: MIT
/* notify.c - systemd socket activation and readiness, without libsystemd;
 * see notify.h and sd_listen_fds(3), sd_notify(3) for the protocols.
 */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "sandbox.h"
#include "util.h"

/* notify_ready/notify_stopping may run after the sandbox is entered. */
SANDBOX_SYSCALLS(__NR_socket, __NR_sendto, __NR_close, __NR_write, __NR_getpid);

#define FDNAME_MAX 63

/* A decimal number without sign, blanks or leading junk; -1 if not. */
static long parse_decimal(const char *s, long max)
{
	long v = 0;

	if (!s || !*s || strlen(s) > 10)
		return -1;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (*c - '0');
	}
	return v <= max ? v : -1;
}

static bool valid_fdname(const char *s, size_t len)
{
	if (len > FDNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == ':')
			return false;
	return true;
}

/* Split LISTEN_FDNAMES into @names; it must hold exactly @n names. */
static int parse_names(const char *list, int n, char names[][64],
		       struct ms_error *e)
{
	int count = *list || n ? 1 : 0;

	for (const char *c = list; *c; c++)
		count += *c == ':';
	if (count != n)
		return ms_fail(e, MS_EXIT_USAGE,
			       "LISTEN_FDNAMES has %d names but LISTEN_FDS=%d: fix the caller",
			       count, n);
	const char *p = list;
	for (int i = 0; i < n; i++) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		if (!valid_fdname(p, len))
			return ms_fail(e, MS_EXIT_USAGE,
				       "LISTEN_FDNAMES entry %d is not a valid name (printable, no ':', at most %d bytes): fix the caller",
				       i + 1, FDNAME_MAX);
		memcpy(names[i], p, len);
		names[i][len] = '\0';
		p = colon ? colon + 1 : p + len;
	}
	return 0;
}

static void unset_listen_env(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

int notify_listen_fds(int fds[NOTIFY_FDS_MAX], char names[NOTIFY_FDS_MAX][64],
		      struct ms_error *e)
{
	const char *pid_s = getenv("LISTEN_PID");
	const char *n_s = getenv("LISTEN_FDS");
	const char *names_s = getenv("LISTEN_FDNAMES");

	if (!pid_s)
		return 0;
	long pid = parse_decimal(pid_s, 0x7fffffff);
	if (pid <= 0)
		return ms_fail(e, MS_EXIT_USAGE,
			       "LISTEN_PID=%.20s is not a process id: fix the caller", pid_s);
	if (pid != getpid())
		return 0; /* meant for another process; leave it alone */
	long n = parse_decimal(n_s, NOTIFY_FDS_MAX);
	if (n < 0)
		return ms_fail(e, MS_EXIT_USAGE,
			       "LISTEN_FDS=%.20s is not a number from 0 to %d: fix the caller",
			       n_s ? n_s : "(unset)", NOTIFY_FDS_MAX);
	for (int i = 0; i < n; i++) {
		names[i][0] = '\0';
		int fd = NOTIFY_FDS_START + i;
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0)
			return ms_fail(e, MS_EXIT_USAGE,
				       "LISTEN_FDS=%ld but fd %d is not open: fix the caller", n, fd);
		fds[i] = fd;
	}
	if (names_s && parse_names(names_s, (int)n, names, e) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	unset_listen_env();
	return (int)n;
}

int notify_export_fds(int n, const char *const names[], struct ms_error *e)
{
	char buf[NOTIFY_FDS_MAX * (FDNAME_MAX + 1) + 1];
	char num[32];
	size_t off = 0;

	if (n < 0 || n > NOTIFY_FDS_MAX)
		return ms_fail(e, MS_EXIT_USAGE, "cannot pass %d fds: at most %d", n,
			       NOTIFY_FDS_MAX);
	buf[0] = '\0';
	for (int i = 0; names && i < n; i++) {
		const char *name = names[i] ? names[i] : "unknown";
		size_t len = strlen(name);
		if (!valid_fdname(name, len))
			return ms_fail(e, MS_EXIT_USAGE,
				       "fd name '%.64s' is not valid: printable, no ':', at most %d bytes",
				       name, FDNAME_MAX);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					i ? ":" : "", name);
	}
	snprintf(num, sizeof(num), "%d", n);
	if (setenv("LISTEN_FDS", num, 1) < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "cannot set LISTEN_FDS");
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	if (setenv("LISTEN_PID", num, 1) < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "cannot set LISTEN_PID");
	if (names ? setenv("LISTEN_FDNAMES", buf, 1) : unsetenv("LISTEN_FDNAMES"))
		return ms_fail_errno(e, MS_EXIT_SYS, "cannot set LISTEN_FDNAMES");
	return 0;
}

/* NOTIFY_SOCKET is a path, or an abstract name written with '@'. */
static int notify_addr(struct sockaddr_un *sa, socklen_t *len)
{
	const char *s = getenv("NOTIFY_SOCKET");

	if (!s || !*s)
		return 0;
	size_t l = strlen(s);
	if ((s[0] != '/' && s[0] != '@') || l >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, s, l);
	if (s[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l +
			   (s[0] == '/' ? 1 : 0));
	return 1;
}

/* Send @msg to NOTIFY_SOCKET: 0 if sent or not asked for, -1 on error. */
static int notify_send(const char *msg)
{
	struct sockaddr_un sa;
	socklen_t len;
	int r = notify_addr(&sa, &len);

	if (r <= 0)
		return r;
	_cleanup_fd_ int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (sendto(s, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		return -1;
	return 0;
}

int notify_ready(int ready_fd, const char *status)
{
	char msg[512];
	int r = 0;

	if (status)
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	else
		snprintf(msg, sizeof(msg), "READY=1");
	if (notify_send(msg) < 0)
		r = -1;
	if (ready_fd >= 0) {
		ssize_t n;
		do
			n = write(ready_fd, "\n", 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			r = -1;
		close(ready_fd);
	}
	return r;
}

void notify_stopping(void)
{
	notify_send("STOPPING=1");
}
