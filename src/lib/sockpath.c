// SPDX-License-Identifier: MIT
/* sockpath.c - safe creation of listening UNIX sockets and connections to
 * them; the rules are in sockpath.h.
 *
 * Every step after opening the parent directory works relative to that
 * directory fd. bind() and connect() take a path, not a dirfd, so they go
 * through the directory's magic link /proc/self/fd/N/NAME, or, when that
 * is too long or /proc is missing, through fchdir() to it and back.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "label.h"
#include "sandbox.h"
#include "sockpath.h"
#include "util.h"

/* What sock_connect_path and sock_unlink_if_ours make once sandboxed
 * (the latter asks sock_diag over netlink: sendto, recvfrom). */
SANDBOX_SYSCALLS(__NR_socket, __NR_connect, __NR_close, __NR_fstat,
		 __NR_newfstatat, __NR_unlinkat, __NR_getsockopt, __NR_openat,
		 __NR_sendto, __NR_recvfrom);

/* Listening sockets this process created: sock_unlink_if_ours removes a
 * path only if its inode is still the one recorded here for the fd. */
#define OURS_MAX 64
static struct {
	int fd;
	dev_t dev;
	ino_t ino;
} ours[OURS_MAX];
static size_t n_ours;

int sockpath_check(const char *path, struct ms_error *e)
{
	if (!path || !*path)
		return ms_fail(e, MS_EXIT_PATH, "socket path is empty: give a path");
	size_t len = strlen(path);
	if (len > SOCKPATH_MAX)
		return ms_fail(e, MS_EXIT_PATH,
			       "socket path %.40s... is %zu bytes, the limit is %d: use a shorter directory",
			       path, len, SOCKPATH_MAX);
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return ms_fail(e, MS_EXIT_PATH,
				       "socket path contains a control character (byte %zu): use a plain name",
				       (size_t)(c - path));
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return ms_fail(e, MS_EXIT_PATH,
			       "socket path %s does not end in a file name: add one", path);
	return 0;
}

/* Split @path into its directory (into @dir) and final component. */
static const char *split_path(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, dirlen, ".");
		return path;
	}
	if (slash == path)
		snprintf(dir, dirlen, "/");
	else
		snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
	return slash + 1;
}

static int open_parent(const char *dir, struct ms_error *e)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return ms_fail(e, MS_EXIT_PATH,
			       "socket directory %s does not exist: create it first", dir);
	if (errno == ELOOP || errno == ENOTDIR) {
		struct stat st;
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			return ms_fail(e, MS_EXIT_PATH,
				       "socket directory %s is a symlink: give the real directory", dir);
		return ms_fail(e, MS_EXIT_PATH,
			       "socket directory %s is not a directory: fix the path", dir);
	}
	return ms_fail_errno(e, MS_EXIT_PATH, "cannot open socket directory %s", dir);
}

typedef int (*addr_op)(int sock, const struct sockaddr *sa, socklen_t len);

/* Run bind() or connect() on @name inside directory @dirfd. */
static int op_at(addr_op op, int sock, int dirfd, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
			 dirfd, name);

	if (n > 0 && (size_t)n < sizeof(sa.sun_path) &&
	    faccessat(AT_FDCWD, "/proc/self/fd", F_OK, 0) == 0) {
		int r = op(sock, (struct sockaddr *)&sa, sizeof(sa));
		/* A security policy may refuse the walk through /proc while
		 * allowing the directory itself: then try the other way. */
		if (r == 0 || (errno != EACCES && errno != EPERM))
			return r;
	}

	/* Fallback: the name alone, from inside the directory. */
	_cleanup_fd_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || fchdir(dirfd) < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", name);
	int r = op(sock, (struct sockaddr *)&sa, sizeof(sa));
	int saved = errno;
	if (fchdir(cwd) < 0)
		saved = errno;
	errno = saved;
	return r;
}

static int bind_op(int s, const struct sockaddr *sa, socklen_t l)
{
	return bind(s, sa, l);
}

static int connect_op(int s, const struct sockaddr *sa, socklen_t l)
{
	return connect(s, sa, l);
}

/* Does anything accept at @name in @dirfd? 1 live, 0 stale, -1 unknown.
 * Nonblocking: a listener with a full queue must not hang us (EAGAIN). */
static int socket_is_live(int dirfd, const char *name)
{
	_cleanup_fd_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (s < 0)
		return -1;
	if (op_at(connect_op, s, dirfd, name) == 0)
		return 1;
	if (errno == ECONNREFUSED)
		return 0;
	if (errno == EAGAIN) /* backlog full: someone is listening */
		return 1;
	return -1;
}

static const char *file_kind(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISLNK(m))
		return "a symlink";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a socket";
}

/* Make room for a new socket at @name: nothing there, or a stale socket
 * that we remove. Anything else is refused. */
static int clear_stale(int dirfd, const char *name, const char *path,
		       struct ms_error *e)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return ms_fail_errno(e, MS_EXIT_PATH, "cannot inspect %s", path);
	}
	if (!S_ISSOCK(st.st_mode))
		return ms_fail(e, MS_EXIT_PATH,
			       "%s exists and is %s: remove it or choose another path",
			       path, file_kind(st.st_mode));
	int live = socket_is_live(dirfd, name);
	if (live == 1)
		return ms_fail(e, MS_EXIT_PATH,
			       "something already accepts connections at %s: stop it or choose another path",
			       path);
	if (live < 0)
		return ms_fail_errno(e, MS_EXIT_PATH,
				     "cannot tell whether socket %s is in use", path);

	/* Stale. Remove it only if it is still the inode we looked at. */
	struct stat again;
	if (fstatat(dirfd, name, &again, AT_SYMLINK_NOFOLLOW) < 0 ||
	    again.st_ino != st.st_ino || again.st_dev != st.st_dev)
		return ms_fail(e, MS_EXIT_PATH,
			       "%s changed while being replaced: retry", path);
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return ms_fail_errno(e, MS_EXIT_PATH, "cannot remove stale socket %s", path);
	return 0;
}

/* chmod without following a symlink that replaced the socket meanwhile. */
static int chmod_socket(int dirfd, const char *name, const struct stat *st,
			mode_t mode)
{
	_cleanup_fd_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;
	char proc[64];

	if (fd < 0 || fstat(fd, &now) < 0)
		return -1;
	if (now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		errno = ESTALE;
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (chmod(proc, mode) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	return fchmodat(dirfd, name, mode, 0); /* no /proc: checked above */
}

static void remember(int fd, const struct stat *st)
{
	for (size_t i = 0; i < n_ours; i++)
		if (ours[i].fd == fd) {
			ours[i].dev = st->st_dev;
			ours[i].ino = st->st_ino;
			return;
		}
	if (n_ours < OURS_MAX)
		ours[n_ours++] = (typeof(ours[0])){ fd, st->st_dev, st->st_ino };
}

static int apply_owner_mode(int dirfd, const char *name, const char *path,
			    const struct sock_listen_opts *o, const struct stat *st,
			    struct ms_error *e)
{
	if ((o->uid != (uid_t)-1 || o->gid != (gid_t)-1) &&
	    fchownat(dirfd, name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return ms_fail_errno(e, MS_EXIT_PATH, "cannot change owner of %s", path);
	if (o->mode && chmod_socket(dirfd, name, st, o->mode) < 0)
		return ms_fail_errno(e, MS_EXIT_PATH, "cannot set mode %04o on %s",
				     (unsigned)o->mode, path);
	return 0;
}

/* Create the labelled socket and bind it at @name; mode and owner before
 * listen() so nobody connects while it is wider than asked. */
static int bind_listen(int dirfd, const char *name, const char *path,
		       const struct sock_listen_opts *o, struct ms_error *e)
{
	if (label_sockcreate(o->context, o->label_required, e) < 0)
		return -1;
	_cleanup_fd_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int saved = errno;
	if (o->context)
		label_sockcreate(NULL, false, NULL);
	errno = saved;
	if (s < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "cannot create socket for %s", path);
	if (op_at(bind_op, s, dirfd, name) < 0) {
		if (errno == EADDRINUSE)
			return ms_fail(e, MS_EXIT_PATH,
				       "%s appeared while creating the socket: retry", path);
		if (errno == EACCES || errno == EPERM || errno == EROFS)
			return ms_fail_errno(e, MS_EXIT_PATH,
					     "cannot create socket %s (is the directory writable for this user?)",
					     path);
		return ms_fail_errno(e, MS_EXIT_PATH, "cannot bind socket %s", path);
	}
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode))
		return ms_fail(e, MS_EXIT_PATH, "socket %s was replaced right after bind: retry", path);
	if (apply_owner_mode(dirfd, name, path, o, &st, e) < 0) {
		unlinkat(dirfd, name, 0);
		return -1;
	}
	if (listen(s, o->backlog > 0 ? o->backlog : SOMAXCONN) < 0) {
		ms_fail_errno(e, MS_EXIT_SYS, "cannot listen on %s", path);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	remember(s, &st);
	return steal_fd(&s);
}

int sock_listen_path(const char *path, const struct sock_listen_opts *o,
		     struct ms_error *e)
{
	static const struct sock_listen_opts defaults = {
		.uid = (uid_t)-1, .gid = (gid_t)-1,
	};
	char dir[SOCKPATH_MAX + 2];

	if (sockpath_check(path, e) < 0)
		return -1;
	if (!o)
		o = &defaults;
	if (o->context && label_validate(o->context, e) < 0)
		return -1;
	const char *name = split_path(path, dir, sizeof(dir));
	_cleanup_fd_ int dirfd = open_parent(dir, e);
	if (dirfd < 0)
		return -1;
	if (clear_stale(dirfd, name, path, e) < 0)
		return -1;
	return bind_listen(dirfd, name, path, o, e);
}

/* The file a listening socket @fd is bound to, as the kernel knows it
 * (sock_diag, UDIAG_SHOW_VFS): for sockets this process did not create,
 * such as ones passed by socket activation. */
static int bound_file_of(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_UNIX, .udiag_show = UDIAG_SHOW_VFS,
		       .udiag_cookie = { (unsigned)-1, (unsigned)-1 } },
	};
	union {
		struct nlmsghdr h;
		char buf[1024];
	} resp;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return -1;
	req.r.udiag_ino = (unsigned)st.st_ino;
	_cleanup_fd_ int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0 || send(nl, &req, sizeof(req), 0) < 0)
		return -1;
	ssize_t n = recv(nl, &resp, sizeof(resp), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct unix_diag_msg)) ||
	    !NLMSG_OK(&resp.h, (size_t)n) || resp.h.nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return -1;
	struct unix_diag_msg *m = NLMSG_DATA(&resp.h);
	struct rtattr *a = (struct rtattr *)(m + 1);
	int len = (int)resp.h.nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(a) < sizeof(struct unix_diag_vfs))
			continue;
		struct unix_diag_vfs v;
		memcpy(&v, RTA_DATA(a), sizeof(v));
		/* The kernel's internal dev_t: major in the top 12 bits. */
		*dev = makedev(v.udiag_vfs_dev >> 20, v.udiag_vfs_dev & 0xfffff);
		*ino = v.udiag_vfs_ino;
		return 0;
	}
	return -1;
}

/* The inode @fd is bound to: the kernel's answer when it gives one (it
 * cannot be fooled by a reused fd number), else what we recorded when we
 * created it (kernels without sock_diag for AF_UNIX). */
static int identity_of(int fd, dev_t *dev, ino_t *ino)
{
	int r = bound_file_of(fd, dev, ino);

	for (size_t i = 0; i < n_ours; i++)
		if (ours[i].fd == fd) {
			if (r < 0) {
				*dev = ours[i].dev;
				*ino = ours[i].ino;
				r = 0;
			}
			ours[i] = ours[--n_ours];
			break;
		}
	return r;
}

void sock_unlink_if_ours(const char *path, int fd)
{
	char dir[SOCKPATH_MAX + 2];
	struct stat st;
	dev_t dev;
	ino_t ino;

	if (!path || sockpath_check(path, NULL) < 0 || identity_of(fd, &dev, &ino) < 0)
		return;
	const char *name = split_path(path, dir, sizeof(dir));
	_cleanup_fd_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd >= 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISSOCK(st.st_mode) && st.st_ino == ino && st.st_dev == dev)
		unlinkat(dirfd, name, 0);
}

static int connect_error(const char *path, struct ms_error *e)
{
	switch (errno) {
	case ENOENT:
		return ms_fail(e, MS_EXIT_FAIL, "no socket at %s: start the listener first", path);
	case ECONNREFUSED:
		return ms_fail(e, MS_EXIT_FAIL,
			       "nothing accepts connections at %s (stale socket or not a socket)", path);
	case EACCES:
	case EPERM:
		return ms_fail_errno(e, MS_EXIT_FAIL,
				     "cannot connect to %s: check its mode, owner and label", path);
	default:
		return ms_fail_errno(e, MS_EXIT_FAIL, "cannot connect to %s", path);
	}
}

int sock_connect_path(const char *path, const char *context, bool nonblock,
		      struct ms_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (sockpath_check(path, e) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (context && label_sockcreate(context, false, e) < 0) {
		errno = EINVAL;
		return -1;
	}
	int flags = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
	_cleanup_fd_ int s = socket(AF_UNIX, flags, 0);
	int saved = errno;
	if (context)
		label_sockcreate(NULL, false, NULL);
	errno = saved;
	if (s < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "cannot create socket for %s", path);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    !(nonblock && errno == EINPROGRESS)) {
		saved = errno;
		connect_error(path, e);
		errno = saved;
		return -1;
	}
	return steal_fd(&s);
}
