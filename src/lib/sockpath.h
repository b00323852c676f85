/* SPDX-License-Identifier: MIT
 * sockpath.h - creating and reaching UNIX sockets in a shared directory,
 * safely. Shared by migsock-relay, migsock-bind, migsock-probe and
 * migsock-migrate's preflight: one implementation of the path rules.
 *
 * Rules for a listening socket at PATH:
 *  - strlen(PATH) must fit sun_path (107 bytes + NUL): refused with the
 *    length and the limit otherwise (MS_EXIT_PATH);
 *  - the parent directory is opened with O_NOFOLLOW|O_DIRECTORY and every
 *    later step works relative to that fd (no TOCTOU through a renamed or
 *    symlinked directory component in the last step);
 *  - an existing entry that is a socket nobody accepts on (ECONNREFUSED) is
 *    stale and replaced; a live socket, a symlink, or any other kind of file
 *    is never removed (MS_EXIT_PATH);
 *  - the SELinux context, when given, is set with setsockcreatecon before
 *    socket() and reset right after (label.h);
 *  - mode and owner are applied to the socket file before listen(), so no
 *    peer can connect while it is still wider than asked.
 */
#ifndef MIGSOCK_SOCKPATH_H
#define MIGSOCK_SOCKPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "log.h"

/* Longest path a sockaddr_un can hold, not counting the NUL. */
#define SOCKPATH_MAX 107

struct sock_listen_opts {
	const char *context;  /* SELinux context for the socket, or NULL */
	bool label_required;  /* fail (MS_EXIT_LABEL) if it cannot be set */
	mode_t mode;          /* 0 = leave as umask made it */
	uid_t uid;            /* (uid_t)-1 = unchanged */
	gid_t gid;            /* (gid_t)-1 = unchanged */
	int backlog;          /* 0 = SOMAXCONN */
};

/* Check length and characters of @path without touching the filesystem. */
int sockpath_check(const char *path, struct ms_error *e);

/* Create a listening SOCK_STREAM socket at @path following the rules above.
 * Returns the fd (O_CLOEXEC|O_NONBLOCK) or -1 with @e filled. */
int sock_listen_path(const char *path, const struct sock_listen_opts *o,
		     struct ms_error *e);

/* Remove the socket file we created at @path, but only if it is still the
 * same inode as @fd's (never unlink a successor's socket). Works for
 * sockets created by sock_listen_path and, through the kernel's sock_diag,
 * for listening sockets passed in (socket activation). */
void sock_unlink_if_ours(const char *path, int fd);

/* Connect a SOCK_STREAM socket to @path. @context labels the new socket
 * (NULL: inherit). Nonblocking sockets return the fd with the connect in
 * progress (EINPROGRESS is not an error). Returns fd or -1 with errno set
 * and @e filled. */
int sock_connect_path(const char *path, const char *context, bool nonblock,
		      struct ms_error *e);

#endif
