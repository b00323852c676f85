// SPDX-License-Identifier: MIT
/* Unit tests for src/lib/sandbox.c, in child processes: the status lines
 * the kernel reports for a sandboxed process, a syscall declared by a
 * module is allowed, one nobody declared kills with SIGSYS, and a clean
 * exit (with the sanitizers' exit-time work in asan builds) still works. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sandbox.h"

/* This test program's own module declaration: getsid is on no other
 * list; clone and clone3 as a module that starts threads declares them. */
SANDBOX_SYSCALLS(__NR_getsid, __NR_clone, __NR_clone3);

enum { AFTER_EXIT, AFTER_DECLARED, AFTER_UNDECLARED, AFTER_FORK };

/* Child: enter the sandbox, tell the parent, wait for its byte, then do
 * @what. Returns the child's pid. */
static pid_t sandboxed_child(const struct sandbox_opts *o, int what, int *go_fd)
{
	int ready[2], go[2];

	if (pipe(ready) < 0 || pipe(go) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid != 0) {
		char c;
		close(ready[1]);
		close(go[0]);
		*go_fd = go[1];
		if (read(ready[0], &c, 1) != 1)
			*go_fd = -1;
		close(ready[0]);
		return pid;
	}
	struct ms_error e = { 0 };
	alarm(30); /* a hang at exit (sanitizer runtime) fails, not blocks */
	close(ready[0]);
	close(go[1]);
	if (sandbox_enter(o, &e) < 0) {
		fprintf(stderr, "sandbox_enter: %s\n", e.msg);
		_exit(20);
	}
	char c = 'r';
	if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
		_exit(21);
	if (what == AFTER_DECLARED && getsid(0) < 0)
		_exit(22);
	if (what == AFTER_UNDECLARED)
		syscall(__NR_getcwd, NULL, 0); /* on no list: SIGSYS */
	if (what == AFTER_FORK && fork() == 0)
		_exit(0); /* clone without CLONE_THREAD: SIGSYS before this */
	exit(0); /* the full exit path: atexit, sanitizer reports */
}

/* The value of "Key:" in /proc/PID/status. */
static int status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char p[64], line[256];
	size_t klen = strlen(key);
	int found = -1;

	snprintf(p, sizeof(p), "/proc/%ld/status", (long)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			char *v = line + klen + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			found = 0;
			break;
		}
	fclose(f);
	return found;
}

static int finish(pid_t pid, int go_fd)
{
	int status = -1;

	if (go_fd >= 0) {
		CHECK(write(go_fd, "g", 1) == 1);
		close(go_fd);
	}
	waitpid(pid, &status, 0);
	return status;
}

TEST(status_lines_and_clean_exit)
{
	const struct sandbox_opts o = { 0 };
	int go;
	char v[64];
	pid_t pid = sandboxed_child(&o, AFTER_EXIT, &go);

	CHECK(pid > 0 && go >= 0);
	CHECK(status_field(pid, "Seccomp", v, sizeof(v)) == 0);
	CHECK_STR_EQ(v, "2");
	CHECK(status_field(pid, "NoNewPrivs", v, sizeof(v)) == 0);
	CHECK_STR_EQ(v, "1");
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapAmb" };
	for (size_t i = 0; i < 4; i++) {
		CHECK(status_field(pid, caps[i], v, sizeof(v)) == 0);
		CHECK_STR_EQ(v, "0000000000000000");
	}
	if (geteuid() == 0) { /* only root can shrink the bounding set */
		CHECK(status_field(pid, "CapBnd", v, sizeof(v)) == 0);
		CHECK_STR_EQ(v, "0000000000000000");
	}
	int status = finish(pid, go);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFSIGNALED(status))
		fprintf(stderr, "  child killed by signal %d\n", WTERMSIG(status));
}

TEST(declared_syscall_allowed)
{
	const struct sandbox_opts o = { 0 };
	int go;
	pid_t pid = sandboxed_child(&o, AFTER_DECLARED, &go);
	int status = finish(pid, go);

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(undeclared_syscall_kills)
{
	const struct sandbox_opts o = { 0 };
	int go;
	pid_t pid = sandboxed_child(&o, AFTER_UNDECLARED, &go);
	int status = finish(pid, go);

	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
}

/* A declared clone() starts threads only (the relay's workers, tested
 * in test_relay_pump): a process cannot fork. Sanitizer builds allow
 * fork for their runtimes' exit-time tracer. */
TEST(declared_clone_cannot_fork)
{
#if defined(__SANITIZE_ADDRESS__)
	printf("  (skipped: sanitizer build)\n");
#else
	const struct sandbox_opts o = { 0 };
	int go;
	pid_t pid = sandboxed_child(&o, AFTER_FORK, &go);
	int status = finish(pid, go);

	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
#endif
}

TEST(log_only_and_disabled)
{
	struct sandbox_opts o = { .log_only = true };
	int go;
	char v[64];
	pid_t pid = sandboxed_child(&o, AFTER_UNDECLARED, &go);
	int status = finish(pid, go);

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	o = (struct sandbox_opts){ .disabled = true };
	pid = sandboxed_child(&o, AFTER_UNDECLARED, &go);
	CHECK(status_field(pid, "Seccomp", v, sizeof(v)) == 0);
	CHECK_STR_EQ(v, "0");
	status = finish(pid, go);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	alarm(120);
	RUN(status_lines_and_clean_exit);
	RUN(declared_syscall_allowed);
	RUN(undeclared_syscall_kills);
	RUN(declared_clone_cannot_fork);
	RUN(log_only_and_disabled);
	return CHECK_DONE();
}
