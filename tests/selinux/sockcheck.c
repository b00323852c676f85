/* SPDX-License-Identifier: MIT
 * sockcheck - the enforcing test guest's probe (tests/selinux/): reads the
 * contexts the kernel reports for sockets and plays the parts around the
 * binaries under test (a labelled listener, an echo server upstream of the
 * relay, a client that sends data through it).
 *
 *   sockcheck listen PATH [CTX]  listen (socket labelled CTX) and echo
 *   sockcheck send PATH MSG      connect, send MSG, print what comes back;
 *                                exit 0 if it is MSG, 13 if connect() got
 *                                EACCES, 1 otherwise
 *   sockcheck peercon PATH       connect and print SO_PEERSEC (getpeercon)
 *   sockcheck fdcon PID PATH     context of PID's socket bound to PATH
 *   sockcheck filecon PATH       context of the file PATH (lgetfilecon)
 *   sockcheck canon CTX          the kernel's canonical form of CTX
 *   sockcheck self               this process's context
 *
 * Contexts are printed raw (no mcstrans), one per line.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <selinux/selinux.h>

#define EXIT_DENIED 13

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "sockcheck: %s %s: %s\n", what, arg, strerror(errno));
	return 1;
}

static int sun_of(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr;
	int fd;

	if (sun_of(path, &addr) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Echo one connection until the client half-closes. */
static void echo_one(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n) < 0)
			break;
	close(fd);
}

static int cmd_listen(const char *path, const char *ctx)
{
	struct sockaddr_un addr;
	int fd;

	if (sun_of(path, &addr) < 0)
		return fail("path", path);
	if (ctx && setsockcreatecon_raw(ctx) < 0)
		return fail("setsockcreatecon", ctx);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket for", path);
	if (ctx && setsockcreatecon_raw(NULL) < 0)
		return fail("reset setsockcreatecon after", path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return fail("bind", path);
	if (listen(fd, 16) < 0)
		return fail("listen", path);
	printf("listening %s\n", path);
	fflush(stdout);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			return fail("accept on", path);
		echo_one(c);
	}
}

static int cmd_send(const char *path, const char *msg)
{
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	int fd = connect_to(path);

	if (fd < 0) {
		int denied = errno == EACCES;

		fail("connect", path);
		return denied ? EXIT_DENIED : 1;
	}
	if (write_all(fd, msg, strlen(msg)) < 0 || shutdown(fd, SHUT_WR) < 0)
		return fail("send to", path);
	while (got < sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	printf("received '%s'\n", buf);
	return strcmp(buf, msg) == 0 ? 0 : 1;
}

static int print_con(char *con)
{
	printf("%s\n", con);
	freecon(con);
	return 0;
}

static int cmd_peercon(const char *path)
{
	char *con = NULL;
	int fd = connect_to(path);

	if (fd < 0)
		return fail("connect", path);
	if (getpeercon_raw(fd, &con) < 0)
		return fail("getpeercon on", path);
	close(fd);
	return print_con(con);
}

/* Does the /proc/net/unix entry of socket @inode name a file called
 * @base? The path there is the one given to bind(), which may be a
 * different spelling of the same place (migsock binds through
 * /proc/self/fd/N/NAME), so only the last component is compared. */
static bool bound_as(unsigned long inode, const char *base)
{
	char line[PATH_MAX + 128];
	bool found = false;
	FILE *f = fopen("/proc/net/unix", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long ino;
		const char *slash;
		int off = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %n", &ino, &off) != 1 ||
		    ino != inode || off <= 0)
			continue;
		slash = strrchr(line + off, '/');
		found = strcmp(slash ? slash + 1 : line + off, base) == 0;
	}
	fclose(f);
	return found;
}

/* The context of the socket PID holds that is bound to PATH: getxattr
 * through /proc/PID/fd/N reaches the socket inode, whose label is the
 * socket's own (the socket file's label is another matter: filecon). */
static int cmd_fdcon(const char *pid, const char *path)
{
	char dir[64], fdpath[64 + sizeof(((struct dirent *)0)->d_name)];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	dp = opendir(dir);
	if (!dp)
		return fail("open", dir);
	while ((d = readdir(dp))) {
		struct stat st;
		char *con = NULL;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", dir, d->d_name);
		if (stat(fdpath, &st) < 0) {
			if (errno != ENOENT)
				fail("stat", fdpath);
			continue;
		}
		if (!S_ISSOCK(st.st_mode) || !bound_as((unsigned long)st.st_ino, base))
			continue;
		closedir(dp);
		if (getfilecon_raw(fdpath, &con) < 0)
			return fail("getfilecon", fdpath);
		return print_con(con);
	}
	closedir(dp);
	errno = ENOENT;
	return fail("no socket bound to that name under", dir);
}

static int cmd_filecon(const char *path)
{
	char *con = NULL;

	if (lgetfilecon_raw(path, &con) < 0)
		return fail("lgetfilecon", path);
	return print_con(con);
}

static int cmd_canon(const char *ctx)
{
	char *con = NULL;

	if (security_canonicalize_context_raw(ctx, &con) < 0)
		return fail("canonicalize", ctx);
	return print_con(con);
}

static int cmd_self(void)
{
	char *con = NULL;

	if (getcon_raw(&con) < 0)
		return fail("getcon", "self");
	return print_con(con);
}

static int usage(void)
{
	fprintf(stderr, "usage: sockcheck listen PATH [CTX] | send PATH MSG | "
		"peercon PATH | fdcon PID PATH | filecon PATH | canon CTX | self\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	/* A peer that hangs up is reported as EPIPE, not a silent death. */
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(cmd, "listen") && (argc == 3 || argc == 4))
		return cmd_listen(argv[2], argc == 4 ? argv[3] : NULL);
	if (!strcmp(cmd, "send") && argc == 4)
		return cmd_send(argv[2], argv[3]);
	if (!strcmp(cmd, "peercon") && argc == 3)
		return cmd_peercon(argv[2]);
	if (!strcmp(cmd, "fdcon") && argc == 4)
		return cmd_fdcon(argv[2], argv[3]);
	if (!strcmp(cmd, "filecon") && argc == 3)
		return cmd_filecon(argv[2]);
	if (!strcmp(cmd, "canon") && argc == 3)
		return cmd_canon(argv[2]);
	if (!strcmp(cmd, "self") && argc == 2)
		return cmd_self();
	return usage();
}
