/* SPDX-License-Identifier: MIT
 * peer.h - who is on the other end of an accepted connection
 * (SO_PEERCRED, SO_PEERSEC) and whether the allow-lists admit them.
 * A forwarder hides the real client from the daemon behind it, so the
 * checks belong here.
 */
#ifndef MIGSOCK_PEER_H
#define MIGSOCK_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "log.h"

#define PEER_ALLOW_MAX 32

struct peer_info {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char context[256]; /* "" when SELinux is off */
};

/* Empty lists admit everyone. Lists of one kind are OR-ed, kinds are AND-ed:
 * uid in uids (if any) AND gid in gids (if any) AND context in contexts. */
struct peer_allow {
	size_t n_uids, n_gids, n_contexts;
	uid_t uids[PEER_ALLOW_MAX];
	gid_t gids[PEER_ALLOW_MAX];
	const char *contexts[PEER_ALLOW_MAX];
};

/* Parse a comma-separated list of numbers or names ("0,qemu") into @a. */
int peer_allow_add_uids(struct peer_allow *a, const char *list, struct ms_error *e);
int peer_allow_add_gids(struct peer_allow *a, const char *list, struct ms_error *e);
int peer_allow_add_context(struct peer_allow *a, const char *ctx, struct ms_error *e);

/* Fill @p for connected socket @fd. */
int peer_get(int fd, struct peer_info *p);

/* true if admitted; otherwise false and @why says which check failed. */
bool peer_admitted(const struct peer_allow *a, const struct peer_info *p,
		   char *why, size_t whylen);

#endif
