// SPDX-License-Identifier: MIT
/* Unit tests for src/lib/label.c: context syntax, and behaviour with
 * SELinux disabled (this host; the enforcing case runs in a VM test). */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "label.h"

TEST(valid_contexts)
{
	static const char *const good[] = {
		LABEL_HYPERVISOR_SOCKET,
		"system_u:object_r:virt_var_run_t:s0",
		"system_u:object_r:svirt_socket_t",
		"unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023",
		"system_u:system_r:svirt_t:s0:c1,c2",
		"system_u:system_r:svirt_t:s0:c1.c3,c7-s1:c2",
		"user.name:role-x:type_t:s0",
	};
	struct ms_error e = { 0 };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		e.msg[0] = '\0';
		CHECK(label_check_syntax(good[i], &e) == 0);
		if (e.msg[0])
			fprintf(stderr, "  %s: %s\n", good[i], e.msg);
	}
}

TEST(malformed_contexts)
{
	static const char *const bad[] = {
		"", "system_u", "system_u:object_r", "system_u:object_r:",
		":object_r:svirt_socket_t:s0", "system_u::svirt_socket_t:s0",
		"system_u:object_r:svirt_socket_t:", "system_u:object_r:svirt socket_t:s0",
		"system_u:object_r:svirt_socket_t:s0;rm", "system_u:object_r:1type:s0",
		"system_u:object_r:svirt_socket_t:s0-", "system_u:object_r:svirt_socket_t:s0:",
		"system_u:object_r:svirt_socket_t:s0:c1,", "system_u:object_r:svirt_socket_t:s0:c1..c2",
		"system_u:object_r:svirt_socket_t:s0-s1-s2", "system_u:object_r:t:s0\n",
		"a:b:c:s0:c1.c2.c3", "system_u:object_r:svirt_socket_t:s0 ",
	};
	struct ms_error e = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.code = 0;
		int r = label_check_syntax(bad[i], &e);
		CHECK(r == -1);
		CHECK(e.code == MS_EXIT_LABEL);
		if (r == 0)
			fprintf(stderr, "  accepted: '%s'\n", bad[i]);
	}
	/* The message names the context and the expected form, on one line. */
	label_check_syntax("system_u:object_r:svirt\nsocket_t:s0", &e);
	CHECK(strstr(e.msg, "malformed") != NULL);
	CHECK(strstr(e.msg, "user:role:type") != NULL);
	CHECK(strchr(e.msg, '\n') == NULL);
	char longctx[300];
	memset(longctx, 'a', sizeof(longctx) - 1);
	longctx[sizeof(longctx) - 1] = '\0';
	CHECK(label_check_syntax(longctx, &e) == -1);
}

/* This host has no policy loaded: a requested label is a notice, or
 * MS_EXIT_LABEL when required. Skipped where SELinux is on. */
TEST(selinux_disabled_behaviour)
{
	struct ms_error e = { 0 };
	char buf[256];
	int sv[2];

	if (label_enabled()) {
		printf("     (skipped: SELinux is enabled here)\n");
		return;
	}
	CHECK(label_validate(LABEL_HYPERVISOR_SOCKET, &e) == 0);
	CHECK(label_validate("bad", &e) == -1 && e.code == MS_EXIT_LABEL);
	CHECK(label_sockcreate(LABEL_HYPERVISOR_SOCKET, false, &e) == 0);
	CHECK(label_sockcreate(NULL, false, &e) == 0);
	CHECK(label_sockcreate(LABEL_HYPERVISOR_SOCKET, true, &e) == -1);
	CHECK(e.code == MS_EXIT_LABEL);
	CHECK(strstr(e.msg, "SELinux is disabled") != NULL);
	CHECK(strstr(e.msg, "--require-label") != NULL);

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(label_peer(sv[0], buf, sizeof(buf)) == -1);
	CHECK(buf[0] == '\0');
	CHECK(label_of_fd(sv[0], buf, sizeof(buf)) == -1);
	close(sv[0]);
	close(sv[1]);
}

/* Exactly one notice line however many sockets ask for a label: run in
 * a child before anything else in this program asked for one. */
TEST(one_notice_line)
{
	int pipefd[2];
	char out[1024] = "";

	if (label_enabled())
		return;
	CHECK(pipe(pipefd) == 0);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		struct ms_error e = { 0 };
		dup2(pipefd[1], 2);
		for (int i = 0; i < 3; i++)
			label_sockcreate("system_u:object_r:other_t:s0", false, &e);
		_exit(0);
	}
	close(pipefd[1]);
	size_t len = 0;
	ssize_t n;
	while ((n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	out[len] = '\0';
	int lines = 0;
	for (char *c = out; *c; c++)
		lines += *c == '\n';
	CHECK(lines == 1);
	CHECK(strstr(out, "SELinux is disabled") != NULL);
	CHECK(strstr(out, "system_u:object_r:other_t:s0") != NULL);
}

int main(void)
{
	RUN(one_notice_line);
	RUN(valid_contexts);
	RUN(malformed_contexts);
	RUN(selinux_disabled_behaviour);
	return CHECK_DONE();
}
