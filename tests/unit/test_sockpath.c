// SPDX-License-Identifier: MIT
/* Unit tests for src/lib/sockpath.c, on real sockets in a scratch
 * directory: every rule of sockpath.h. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sockpath.h"

static char dir[64];
static char path[256];

static const struct sock_listen_opts plain = {
	.uid = (uid_t)-1, .gid = (gid_t)-1,
};

static const char *at(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* A socket bound at @p; listening if @listening, else left stale after
 * close (the file stays, nobody accepts). Returns the fd or -1. */
static void set_sun(struct sockaddr_un *sa, const char *p)
{
	size_t len = strlen(p);

	sa->sun_family = AF_UNIX;
	if (len >= sizeof(sa->sun_path))
		len = 0;
	memcpy(sa->sun_path, p, len);
	sa->sun_path[len] = '\0';
}

static int raw_socket_at(const char *p, int listening)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	set_sun(&sa, p);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	if (listening && listen(s, 4) < 0)
		return -1;
	if (!listening) {
		close(s);
		return 0;
	}
	return s;
}

static int can_connect(const char *p)
{
	struct sockaddr_un sa;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	set_sun(&sa, p);
	int r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	close(s);
	return r == 0;
}

static mode_t lmode(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 ? st.st_mode : 0;
}

TEST(too_long_gives_length_and_limit)
{
	struct ms_error e = { 0 };
	char lp[200];

	memset(lp, 'a', sizeof(lp));
	lp[0] = '/';
	lp[108] = '\0';
	CHECK(sock_listen_path(lp, &plain, &e) == -1);
	CHECK(e.code == MS_EXIT_PATH);
	CHECK(strstr(e.msg, "108 bytes") != NULL);
	CHECK(strstr(e.msg, "limit is 107") != NULL);
	lp[107] = '\0';
	CHECK(sockpath_check(lp, &e) == 0);
	CHECK(sockpath_check("/tmp/a\nb", &e) == -1);
	CHECK(sockpath_check("/tmp/", &e) == -1);
	CHECK(sockpath_check("/tmp/..", &e) == -1);
	CHECK(sockpath_check("", &e) == -1);
}

TEST(creates_listening_socket)
{
	struct ms_error e = { 0 };
	int fd = sock_listen_path(at("new.sock"), &plain, &e);

	CHECK(fd >= 0);
	CHECK(S_ISSOCK(lmode(path)));
	CHECK(can_connect(path));
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	sock_unlink_if_ours(path, fd);
	CHECK(lmode(path) == 0);
	close(fd);
}

TEST(stale_socket_is_replaced)
{
	struct ms_error e = { 0 };

	CHECK(raw_socket_at(at("stale.sock"), 0) == 0);
	CHECK(S_ISSOCK(lmode(path)));
	CHECK(!can_connect(path));
	int fd = sock_listen_path(path, &plain, &e);
	CHECK(fd >= 0);
	CHECK(can_connect(path));
	sock_unlink_if_ours(path, fd);
	close(fd);
}

TEST(live_socket_is_not_clobbered)
{
	struct ms_error e = { 0 };
	int live = raw_socket_at(at("live.sock"), 1);
	struct stat before, after;

	CHECK(live >= 0);
	CHECK(lstat(path, &before) == 0);
	CHECK(sock_listen_path(path, &plain, &e) == -1);
	CHECK(e.code == MS_EXIT_PATH);
	CHECK(strstr(e.msg, "already accepts") != NULL);
	CHECK(lstat(path, &after) == 0);
	CHECK(before.st_ino == after.st_ino);
	CHECK(can_connect(path));
	close(live);
	unlink(path);
}

/* A listener that never accepts and whose queue is full is still live,
 * and finding that out must not block. */
TEST(full_queue_is_live)
{
	struct ms_error e = { 0 };
	struct sockaddr_un sa;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c[4];

	set_sun(&sa, at("full.sock"));
	CHECK(bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(l, 0) == 0);
	for (int i = 0; i < 4; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		connect(c[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	alarm(10);
	CHECK(sock_listen_path(path, &plain, &e) == -1);
	alarm(0);
	CHECK(strstr(e.msg, "already accepts") != NULL);
	for (int i = 0; i < 4; i++)
		close(c[i]);
	close(l);
	unlink(path);
}

TEST(other_files_are_not_clobbered)
{
	struct ms_error e = { 0 };
	int fd = open(at("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

	close(fd);
	CHECK(sock_listen_path(path, &plain, &e) == -1);
	CHECK(e.code == MS_EXIT_PATH && strstr(e.msg, "regular file"));
	CHECK(S_ISREG(lmode(path)));

	CHECK(mkdir(at("dir"), 0755) == 0);
	CHECK(sock_listen_path(path, &plain, &e) == -1);
	CHECK(strstr(e.msg, "a directory") != NULL);
	CHECK(S_ISDIR(lmode(path)));

	CHECK(mkfifo(at("fifo"), 0644) == 0);
	CHECK(sock_listen_path(path, &plain, &e) == -1);
	CHECK(strstr(e.msg, "a fifo") != NULL);
	CHECK(S_ISFIFO(lmode(path)));
}

TEST(final_symlink_is_not_followed)
{
	struct ms_error e = { 0 };
	char target[256];

	/* A dangling link: following it would create the socket elsewhere. */
	snprintf(target, sizeof(target), "%s/target.sock", dir);
	CHECK(symlink(target, at("link.sock")) == 0);
	CHECK(sock_listen_path(path, &plain, &e) == -1);
	CHECK(e.code == MS_EXIT_PATH && strstr(e.msg, "symlink"));
	CHECK(S_ISLNK(lmode(path)));
	CHECK(lmode(target) == 0);

	/* A link to a stale socket: the socket is not removed through it. */
	CHECK(raw_socket_at(target, 0) == 0);
	CHECK(sock_listen_path(at("link.sock"), &plain, &e) == -1);
	CHECK(S_ISSOCK(lmode(target)));
}

TEST(symlinked_parent_is_refused)
{
	struct ms_error e = { 0 };
	char real[128], link[128], p[256];

	snprintf(real, sizeof(real), "%s/real", dir);
	snprintf(link, sizeof(link), "%s/alias", dir);
	CHECK(mkdir(real, 0755) == 0);
	CHECK(symlink(real, link) == 0);
	snprintf(p, sizeof(p), "%s/s.sock", link);
	CHECK(sock_listen_path(p, &plain, &e) == -1);
	CHECK(e.code == MS_EXIT_PATH);
	CHECK(strstr(e.msg, "is a symlink") != NULL);
	snprintf(p, sizeof(p), "%s/s.sock", real);
	CHECK(lmode(p) == 0);
}

TEST(missing_directory)
{
	struct ms_error e = { 0 };

	CHECK(sock_listen_path(at("nodir/s.sock"), &plain, &e) == -1);
	CHECK(e.code == MS_EXIT_PATH);
	CHECK(strstr(e.msg, "does not exist") != NULL);
}

/* As nobody (65534) in a directory owned by root, mode 0755. */
TEST(unwritable_directory)
{
	char sub[256];

	if (geteuid() != 0) {
		printf("     (skipped: unwritable_directory needs root to switch user)\n");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/ro", dir);
	CHECK(mkdir(sub, 0755) == 0);
	CHECK(chmod(dir, 0755) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct ms_error e = { 0 };
		char p[300];
		snprintf(p, sizeof(p), "%s/s.sock", sub);
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		if (sock_listen_path(p, &plain, &e) != -1)
			_exit(11);
		if (e.code != MS_EXIT_PATH || !strstr(e.msg, "writable"))
			_exit(12);
		_exit(0);
	}
	int status = -1;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(mode_and_owner_are_applied)
{
	struct ms_error e = { 0 };
	struct sock_listen_opts o = plain;
	struct stat st;

	o.mode = 0640;
	if (geteuid() == 0) {
		o.uid = 65534;
		o.gid = 65534;
	}
	int fd = sock_listen_path(at("mode.sock"), &o, &e);
	CHECK(fd >= 0);
	CHECK(lstat(path, &st) == 0);
	CHECK((st.st_mode & 07777) == 0640);
	if (geteuid() == 0)
		CHECK(st.st_uid == 65534 && st.st_gid == 65534);
	sock_unlink_if_ours(path, fd);
	close(fd);
}

TEST(unlink_only_our_inode)
{
	struct ms_error e = { 0 };
	int fd = sock_listen_path(at("succ.sock"), &plain, &e);
	CHECK(fd >= 0);

	/* A successor replaced our socket: its file must survive. */
	CHECK(unlink(path) == 0);
	int succ = raw_socket_at(path, 1);
	CHECK(succ >= 0);
	sock_unlink_if_ours(path, fd);
	CHECK(S_ISSOCK(lmode(path)));
	CHECK(can_connect(path));
	close(succ);
	close(fd);
	unlink(path);

	/* An fd that is not a socket: nothing is removed. */
	CHECK(raw_socket_at(path, 0) == 0);
	sock_unlink_if_ours(path, 0);
	CHECK(S_ISSOCK(lmode(path)));
	unlink(path);
}

/* A socket this process did not create with sock_listen_path (as one
 * passed by socket activation): the kernel says which file it is bound to. */
TEST(unlink_inherited_socket)
{
	int fd = raw_socket_at(at("inh.sock"), 1);

	CHECK(fd >= 0);
	sock_unlink_if_ours(path, fd);
	CHECK(lmode(path) == 0);
	close(fd);

	/* Replaced by a successor meanwhile: the successor's file stays. */
	fd = raw_socket_at(path, 1);
	CHECK(fd >= 0);
	CHECK(unlink(path) == 0);
	int succ = raw_socket_at(path, 1);
	CHECK(succ >= 0);
	sock_unlink_if_ours(path, fd);
	CHECK(S_ISSOCK(lmode(path)));
	close(fd);
	close(succ);
	unlink(path);
}

/* Names long enough that /proc/self/fd/N/NAME does not fit sun_path take
 * the fchdir() route; the result must be the same. */
TEST(long_name_fallback)
{
	struct ms_error e = { 0 };
	char name[128], cwd[512], after[512];
	size_t room = SOCKPATH_MAX - strlen(dir) - 1;

	CHECK(room + strlen("/proc/self/fd/3/") > SOCKPATH_MAX);
	memset(name, 'n', room);
	name[room] = '\0';
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	int fd = sock_listen_path(at(name), &plain, &e);
	CHECK(fd >= 0);
	CHECK(strlen(path) == SOCKPATH_MAX);
	CHECK(can_connect(path));
	CHECK(getcwd(after, sizeof(after)) && !strcmp(cwd, after));
	/* A stale one of that length is replaced the same way. */
	close(fd);
	fd = sock_listen_path(path, &plain, &e);
	CHECK(fd >= 0);
	sock_unlink_if_ours(path, fd);
	CHECK(lmode(path) == 0);
	close(fd);
}

TEST(relative_path)
{
	struct ms_error e = { 0 };
	char cwd[512];

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(dir) == 0);
	int fd = sock_listen_path("rel.sock", &plain, &e);
	CHECK(fd >= 0);
	CHECK(S_ISSOCK(lmode("rel.sock")));
	sock_unlink_if_ours("rel.sock", fd);
	CHECK(lmode("rel.sock") == 0);
	close(fd);
	CHECK(chdir(cwd) == 0);
}

TEST(connect_path)
{
	struct ms_error e = { 0 };
	int l = sock_listen_path(at("conn.sock"), &plain, &e);
	CHECK(l >= 0);

	int c = sock_connect_path(path, NULL, false, &e);
	CHECK(c >= 0);
	close(c);
	c = sock_connect_path(path, NULL, true, &e);
	CHECK(c >= 0);
	CHECK((fcntl(c, F_GETFL) & O_NONBLOCK) != 0);
	close(c);
	sock_unlink_if_ours(path, l);
	close(l);

	CHECK(sock_connect_path(path, NULL, false, &e) == -1);
	CHECK(errno == ENOENT);
	CHECK(e.code == MS_EXIT_FAIL && strstr(e.msg, "no socket at"));

	CHECK(raw_socket_at(path, 0) == 0);
	CHECK(sock_connect_path(path, NULL, false, &e) == -1);
	CHECK(errno == ECONNREFUSED);
	CHECK(strstr(e.msg, "nothing accepts") != NULL);
	unlink(path);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/msuXXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(too_long_gives_length_and_limit);
	RUN(creates_listening_socket);
	RUN(stale_socket_is_replaced);
	RUN(live_socket_is_not_clobbered);
	RUN(full_queue_is_live);
	RUN(other_files_are_not_clobbered);
	RUN(final_symlink_is_not_followed);
	RUN(symlinked_parent_is_refused);
	RUN(missing_directory);
	RUN(unwritable_directory);
	RUN(mode_and_owner_are_applied);
	RUN(unlink_only_our_inode);
	RUN(unlink_inherited_socket);
	RUN(long_name_fallback);
	RUN(relative_path);
	RUN(connect_path);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return CHECK_DONE();
}
