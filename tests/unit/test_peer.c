// SPDX-License-Identifier: MIT
/* Unit tests for src/lib/peer.c: real peer credentials (including a peer
 * running as another user), allow-list parsing by number and name, and
 * the admission rules of peer.h. */

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "label.h"
#include "peer.h"
#include "sockpath.h"

TEST(credentials_of_socketpair)
{
	struct peer_info p;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(peer_get(sv[0], &p) == 0);
	CHECK(p.pid == getpid());
	CHECK(p.uid == geteuid());
	CHECK(p.gid == getegid());
	/* SELinux off: no context, and no failure because of it; on: the
	 * peer's (here our own) context. */
	if (label_enabled())
		CHECK(p.context[0] != '\0');
	else
		CHECK(p.context[0] == '\0');
	close(sv[0]);
	close(sv[1]);
	CHECK(peer_get(-1, &p) == -1);
}

TEST(parse_lists)
{
	struct peer_allow a = { 0 };
	struct ms_error e = { 0 };

	CHECK(peer_allow_add_uids(&a, "0,65534", &e) == 0);
	CHECK(a.n_uids == 2 && a.uids[0] == 0 && a.uids[1] == 65534);
	CHECK(peer_allow_add_uids(&a, "root", &e) == 0);
	CHECK(a.n_uids == 3 && a.uids[2] == 0);
	CHECK(peer_allow_add_gids(&a, "root,7", &e) == 0);
	CHECK(a.n_gids == 2 && a.gids[0] == 0 && a.gids[1] == 7);
	struct passwd *nobody = getpwnam("nobody");
	if (nobody) {
		CHECK(peer_allow_add_uids(&a, "nobody", &e) == 0);
		CHECK(a.uids[a.n_uids - 1] == nobody->pw_uid);
	}

	static const char *const bad[] = { "", ",", "0,", ",0", "1,,2",
					   "no-such-user-xyz", "-1", "4294967295" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct peer_allow b = { 0 };
		e.code = 0;
		CHECK(peer_allow_add_uids(&b, bad[i], &e) == -1);
		CHECK(e.code == MS_EXIT_USAGE);
	}
	CHECK(peer_allow_add_gids(&a, "no-such-group-xyz", &e) == -1);
	CHECK(strstr(e.msg, "unknown group 'no-such-group-xyz'") != NULL);

	CHECK(peer_allow_add_context(&a, "system_u:system_r:svirt_t:s0:c1,c2", &e) == 0);
	CHECK(a.n_contexts == 1);
	CHECK(peer_allow_add_context(&a, "svirt_t", &e) == -1);
	CHECK(e.code == MS_EXIT_LABEL);

	struct peer_allow full = { 0 };
	for (int i = 0; i < PEER_ALLOW_MAX; i++)
		CHECK(peer_allow_add_uids(&full, "1", &e) == 0);
	CHECK(peer_allow_add_uids(&full, "1", &e) == -1);
}

TEST(admission_rules)
{
	struct peer_allow a = { 0 };
	struct ms_error e = { 0 };
	struct peer_info p = { .pid = 1, .uid = 1000, .gid = 100 };
	char why[128];

	CHECK(peer_admitted(&a, &p, why, sizeof(why))); /* empty: everyone */
	CHECK(peer_allow_add_uids(&a, "0,1000", &e) == 0);
	CHECK(peer_admitted(&a, &p, why, sizeof(why)));
	p.uid = 1001;
	CHECK(!peer_admitted(&a, &p, why, sizeof(why)));
	CHECK_STR_EQ(why, "uid 1001 not allowed");
	p.uid = 0;
	CHECK(peer_allow_add_gids(&a, "5", &e) == 0);
	CHECK(!peer_admitted(&a, &p, why, sizeof(why)));
	CHECK_STR_EQ(why, "gid 100 not allowed");
	p.gid = 5;
	CHECK(peer_admitted(&a, &p, why, sizeof(why)));
	CHECK(peer_allow_add_context(&a, "system_u:system_r:svirt_t:s0", &e) == 0);
	CHECK(!peer_admitted(&a, &p, why, sizeof(why)));
	CHECK(strstr(why, "context") != NULL);
	snprintf(p.context, sizeof(p.context), "system_u:system_r:svirt_t:s0");
	CHECK(peer_admitted(&a, &p, why, sizeof(why)));
}

/* A client running as nobody connects to a real listening socket. */
TEST(peer_as_other_user)
{
	char dir[] = "/tmp/msp.XXXXXX", path[64];
	struct ms_error e = { 0 };
	const struct sock_listen_opts o = { .mode = 0666, .uid = (uid_t)-1,
					    .gid = (gid_t)-1 };

	if (geteuid() != 0) {
		printf("     (skipped: peer_as_other_user needs root)\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	CHECK(chmod(dir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/p.sock", dir);
	int l = sock_listen_path(path, &o, &e);
	CHECK(l >= 0);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		int c = sock_connect_path(path, NULL, false, NULL);
		char b;
		_exit(c >= 0 && read(c, &b, 1) == 0 ? 0 : 11);
	}
	int c = -1;
	for (int i = 0; i < 500 && c < 0; i++) {
		c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			usleep(10000);
	}
	CHECK(c >= 0);
	struct peer_info p;
	CHECK(peer_get(c, &p) == 0);
	CHECK(p.pid == pid);
	CHECK(p.uid == 65534 && p.gid == 65534);
	struct peer_allow a = { 0 };
	char why[128];
	CHECK(peer_allow_add_uids(&a, "0", &e) == 0);
	CHECK(!peer_admitted(&a, &p, why, sizeof(why)));
	CHECK_STR_EQ(why, "uid 65534 not allowed");
	close(c);
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sock_unlink_if_ours(path, l);
	close(l);
	rmdir(dir);
}

int main(void)
{
	RUN(credentials_of_socketpair);
	RUN(parse_lists);
	RUN(admission_rules);
	RUN(peer_as_other_user);
	return CHECK_DONE();
}
