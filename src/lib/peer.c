// SPDX-License-Identifier: MIT
/* peer.c - peer credentials and allow-lists; see peer.h.
 *
 * Names in allow-lists are resolved once, at option parsing, so the check
 * per connection is a few integer comparisons and needs no NSS lookups
 * (which the sandbox would not allow anyway).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "label.h"
#include "peer.h"
#include "sandbox.h"

/* peer_get on every accepted connection. */
SANDBOX_SYSCALLS(__NR_getsockopt);

#define ID_NAME_MAX 64

/* Call @add for each comma-separated item of @list. */
static int each_item(const char *list, const char *what,
		     int (*add)(struct peer_allow *, const char *, struct ms_error *),
		     struct peer_allow *a, struct ms_error *e)
{
	if (!list || !*list)
		return ms_fail(e, MS_EXIT_USAGE, "empty %s list: give numbers or names separated by ','",
			       what);
	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[ID_NAME_MAX + 1];

		if (len == 0 || len > ID_NAME_MAX)
			return ms_fail(e, MS_EXIT_USAGE,
				       "%s list '%.80s' has an empty or overlong entry: give numbers or names separated by ','",
				       what, list);
		memcpy(item, p, len);
		item[len] = '\0';
		if (add(a, item, e) < 0)
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int add_uid(struct peer_allow *a, const char *s, struct ms_error *e)
{
	if (a->n_uids == PEER_ALLOW_MAX)
		return ms_fail(e, MS_EXIT_USAGE, "too many allowed uids (at most %d)",
			       PEER_ALLOW_MAX);
	if (cli_scan_user(s, &a->uids[a->n_uids], e) < 0)
		return -1;
	a->n_uids++;
	return 0;
}

static int add_gid(struct peer_allow *a, const char *s, struct ms_error *e)
{
	if (a->n_gids == PEER_ALLOW_MAX)
		return ms_fail(e, MS_EXIT_USAGE, "too many allowed gids (at most %d)",
			       PEER_ALLOW_MAX);
	if (cli_scan_group(s, &a->gids[a->n_gids], e) < 0)
		return -1;
	a->n_gids++;
	return 0;
}

int peer_allow_add_uids(struct peer_allow *a, const char *list, struct ms_error *e)
{
	return each_item(list, "uid", add_uid, a, e);
}

int peer_allow_add_gids(struct peer_allow *a, const char *list, struct ms_error *e)
{
	return each_item(list, "gid", add_gid, a, e);
}

/* One context per call: contexts contain ',' (category sets). */
int peer_allow_add_context(struct peer_allow *a, const char *ctx, struct ms_error *e)
{
	if (a->n_contexts == PEER_ALLOW_MAX)
		return ms_fail(e, MS_EXIT_USAGE, "too many allowed contexts (at most %d)",
			       PEER_ALLOW_MAX);
	if (label_check_syntax(ctx, e) < 0)
		return -1;
	a->contexts[a->n_contexts++] = ctx;
	return 0;
}

int peer_get(int fd, struct peer_info *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	memset(p, 0, sizeof(*p));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	/* No label when SELinux is off: context stays "". */
	label_peer(fd, p->context, sizeof(p->context));
	return 0;
}

static bool uid_listed(const struct peer_allow *a, uid_t uid)
{
	for (size_t i = 0; i < a->n_uids; i++)
		if (a->uids[i] == uid)
			return true;
	return a->n_uids == 0;
}

static bool gid_listed(const struct peer_allow *a, gid_t gid)
{
	for (size_t i = 0; i < a->n_gids; i++)
		if (a->gids[i] == gid)
			return true;
	return a->n_gids == 0;
}

static bool context_listed(const struct peer_allow *a, const char *ctx)
{
	for (size_t i = 0; i < a->n_contexts; i++)
		if (!strcmp(a->contexts[i], ctx))
			return true;
	return a->n_contexts == 0;
}

bool peer_admitted(const struct peer_allow *a, const struct peer_info *p,
		   char *why, size_t whylen)
{
	if (!uid_listed(a, p->uid)) {
		snprintf(why, whylen, "uid %u not allowed", (unsigned)p->uid);
		return false;
	}
	if (!gid_listed(a, p->gid)) {
		snprintf(why, whylen, "gid %u not allowed", (unsigned)p->gid);
		return false;
	}
	if (!context_listed(a, p->context)) {
		snprintf(why, whylen, "context %s not allowed",
			 p->context[0] ? p->context : "(none: SELinux off?)");
		return false;
	}
	if (whylen)
		why[0] = '\0';
	return true;
}
