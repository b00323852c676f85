// SPDX-License-Identifier: MIT
/* Unit tests for src/lib/notify.c: socket activation variables (parsing,
 * garbage, export) and readiness datagrams to real sockets. */

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "notify.h"

static int fds[NOTIFY_FDS_MAX];
static char names[NOTIFY_FDS_MAX][64];

static void set_listen(const char *pid, const char *n, const char *fdnames)
{
	char me[32];

	if (pid && !strcmp(pid, "self")) {
		snprintf(me, sizeof(me), "%ld", (long)getpid());
		pid = me;
	}
	pid ? setenv("LISTEN_PID", pid, 1) : unsetenv("LISTEN_PID");
	n ? setenv("LISTEN_FDS", n, 1) : unsetenv("LISTEN_FDS");
	fdnames ? setenv("LISTEN_FDNAMES", fdnames, 1) : unsetenv("LISTEN_FDNAMES");
}

/* Put two fresh sockets at fds 3 and 4, without CLOEXEC. */
static void open_fds_3_4(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	if (sv[0] != 3) {
		dup2(sv[0], 3);
		close(sv[0]);
	}
	if (sv[1] != 4) {
		dup2(sv[1], 4);
		close(sv[1]);
	}
	fcntl(3, F_SETFD, 0);
	fcntl(4, F_SETFD, 0);
}

TEST(no_activation)
{
	struct ms_error e = { 0 };

	set_listen(NULL, NULL, NULL);
	CHECK(notify_listen_fds(fds, names, &e) == 0);
	/* Meant for another process: 0, and left in place. */
	set_listen("1", "2", "a:b");
	CHECK(notify_listen_fds(fds, names, &e) == 0);
	CHECK(getenv("LISTEN_FDS") != NULL);
}

TEST(takes_fds_with_names)
{
	struct ms_error e = { 0 };

	open_fds_3_4();
	set_listen("self", "2", "listen:extra");
	CHECK(notify_listen_fds(fds, names, &e) == 2);
	CHECK(fds[0] == 3 && fds[1] == 4);
	CHECK_STR_EQ(names[0], "listen");
	CHECK_STR_EQ(names[1], "extra");
	CHECK((fcntl(3, F_GETFD) & FD_CLOEXEC) && (fcntl(4, F_GETFD) & FD_CLOEXEC));
	CHECK(!getenv("LISTEN_PID") && !getenv("LISTEN_FDS") && !getenv("LISTEN_FDNAMES"));

	/* Without LISTEN_FDNAMES every name is "". */
	set_listen("self", "1", NULL);
	CHECK(notify_listen_fds(fds, names, &e) == 1);
	CHECK_STR_EQ(names[0], "");
	set_listen("self", "0", NULL);
	CHECK(notify_listen_fds(fds, names, &e) == 0);
}

TEST(rejects_garbage)
{
	static const char *const cases[][3] = {
		{ "12x", "1", NULL },     { "-5", "1", NULL },
		{ "", "1", NULL },        { "self", "abc", NULL },
		{ "self", "-1", NULL },   { "self", " 1", NULL },
		{ "self", "65", NULL },   { "self", NULL, NULL },
		{ "self", "1", "a:b" },   { "self", "2", "a" },
		{ "self", "1", "a\nb" },  { "self", "2", "a:b:" },
		{ "self", "1", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ "self", "99999999999", NULL },
	};
	struct ms_error e;

	open_fds_3_4();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.code = 0;
		set_listen(cases[i][0], cases[i][1], cases[i][2]);
		int r = notify_listen_fds(fds, names, &e);
		CHECK(r == -1);
		CHECK(e.code == MS_EXIT_USAGE);
		if (r != -1)
			fprintf(stderr, "  case %zu accepted\n", i);
	}
	/* fd 5 is not open: LISTEN_FDS=3 claims it. */
	close(5);
	set_listen("self", "3", NULL);
	CHECK(notify_listen_fds(fds, names, &e) == -1);
	CHECK(strstr(e.msg, "fd 5 is not open") != NULL);
	set_listen(NULL, NULL, NULL);
}

TEST(export_for_exec)
{
	struct ms_error e = { 0 };
	const char *const n2[] = { "driver", "qemu" };
	char me[32];

	snprintf(me, sizeof(me), "%ld", (long)getpid());
	CHECK(notify_export_fds(2, n2, &e) == 0);
	CHECK_STR_EQ(getenv("LISTEN_FDS"), "2");
	CHECK_STR_EQ(getenv("LISTEN_PID"), me);
	CHECK_STR_EQ(getenv("LISTEN_FDNAMES"), "driver:qemu");
	CHECK(notify_export_fds(1, NULL, &e) == 0);
	CHECK(getenv("LISTEN_FDNAMES") == NULL);
	const char *const bad[] = { "a:b" };
	CHECK(notify_export_fds(1, bad, &e) == -1 && e.code == MS_EXIT_USAGE);
	CHECK(notify_export_fds(NOTIFY_FDS_MAX + 1, NULL, &e) == -1);

	/* Round trip: what we export, the taker reads back. */
	open_fds_3_4();
	CHECK(notify_export_fds(2, n2, &e) == 0);
	CHECK(notify_listen_fds(fds, names, &e) == 2);
	CHECK_STR_EQ(names[1], "qemu");
}

/* A datagram socket at @addr (abstract if it starts with '@'). */
static int dgram_at(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t l = strlen(addr);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, addr, l);
	if (addr[0] == '@')
		sa.sun_path[0] = '\0';
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l +
				    (addr[0] == '@' ? 0 : 1));
	if (bind(s, (struct sockaddr *)&sa, len) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static void expect_datagram(int s, const char *want)
{
	char buf[256];
	ssize_t n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR_EQ(buf, want);
}

TEST(ready_and_stopping_to_path)
{
	char p[64];

	snprintf(p, sizeof(p), "/tmp/msn.%ld.sock", (long)getpid());
	unlink(p);
	int s = dgram_at(p);
	CHECK(s >= 0);
	setenv("NOTIFY_SOCKET", p, 1);
	CHECK(notify_ready(-1, NULL) == 0);
	expect_datagram(s, "READY=1");
	CHECK(notify_ready(-1, "listening on 3 sockets") == 0);
	expect_datagram(s, "READY=1\nSTATUS=listening on 3 sockets");
	notify_stopping();
	expect_datagram(s, "STOPPING=1");
	close(s);
	unlink(p);
	/* Nobody there any more: an error, not a crash. */
	CHECK(notify_ready(-1, NULL) == -1);
	unsetenv("NOTIFY_SOCKET");
	CHECK(notify_ready(-1, NULL) == 0);
}

TEST(ready_to_abstract_address)
{
	char a[64];

	snprintf(a, sizeof(a), "@migsock-test-%ld", (long)getpid());
	int s = dgram_at(a);
	CHECK(s >= 0);
	setenv("NOTIFY_SOCKET", a, 1);
	CHECK(notify_ready(-1, NULL) == 0);
	expect_datagram(s, "READY=1");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK(notify_ready(-1, NULL) == -1);
	unsetenv("NOTIFY_SOCKET");
	close(s);
}

TEST(ready_fd_newline_then_closed)
{
	int p[2];
	char buf[8];

	CHECK(pipe(p) == 0);
	CHECK(notify_ready(p[1], NULL) == 0);
	CHECK(read(p[0], buf, sizeof(buf)) == 1 && buf[0] == '\n');
	CHECK(read(p[0], buf, sizeof(buf)) == 0); /* write end closed */
	CHECK(fcntl(p[1], F_GETFD) == -1);
	close(p[0]);
}

int main(void)
{
	RUN(no_activation);
	RUN(takes_fds_with_names);
	RUN(rejects_garbage);
	RUN(export_for_exec);
	RUN(ready_and_stopping_to_path);
	RUN(ready_to_abstract_address);
	RUN(ready_fd_newline_then_closed);
	return CHECK_DONE();
}
