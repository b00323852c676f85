// SPDX-License-Identifier: MIT
/* setup.c - migsock-relay's channels and listening sockets, from the
 * command line: one --listen/--connect pair, every channel of a socket
 * layout, or sockets passed by systemd socket activation. */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "label.h"
#include "relay.h"
#include "sandbox.h"

/* Removing our socket files on SIGTERM happens inside the sandbox. */
SANDBOX_SYSCALLS(__NR_unlink, __NR_unlinkat, __NR_newfstatat, __NR_fstat,
		 __NR_statx, __NR_close);

int relay_join_path(char *out, size_t len, const char *dir, const char *name,
		    struct ms_error *e)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len || n > SOCKPATH_MAX)
		return ms_fail(e, MS_EXIT_PATH, "socket path %s/%s is %d bytes, the limit is %d: use a shorter directory",
			       dir, name, n, SOCKPATH_MAX);
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool relay_channel_on_demand(const char *name)
{
	return !strcmp(name, "qemu") || !strcmp(name, "nbd") ||
	       ends_with(name, "-qemu") || ends_with(name, "-nbd");
}

static struct relay_channel *add_channel(struct relay *r, const char *name,
					 const char *connect_context)
{
	struct relay_channel *ch = &r->channels[r->n_channels++];

	snprintf(ch->name, sizeof(ch->name), "%s", name);
	ch->connect_context = connect_context;
	ch->on_demand = relay_channel_on_demand(name);
	return ch;
}

static int add_listener(struct relay *r, struct relay_channel *ch, int fd,
			const char *path, bool ours)
{
	struct relay_listener *l = &r->listeners[r->n_listeners++];

	*l = (struct relay_listener){ .ev.kind = EV_LISTENER, .fd = fd,
				      .ours = ours, .ch = ch };
	snprintf(l->path, sizeof(l->path), "%s", path);
	return 0;
}

static int listen_at(struct relay *r, struct relay_channel *ch,
		     const char *path, const struct relay_opts *o,
		     const char *context, mode_t mode, struct ms_error *e)
{
	struct sock_listen_opts lo = {
		.context = context, .label_required = o->require_label,
		.mode = mode, .uid = o->uid, .gid = o->gid,
	};

	if (r->n_listeners >= NOTIFY_FDS_MAX)
		return ms_fail(e, MS_EXIT_USAGE, "too many listening sockets: at most %d", NOTIFY_FDS_MAX);
	int fd = sock_listen_path(path, &lo, e);
	if (fd < 0)
		return -1;
	return add_listener(r, ch, fd, path, true);
}

/* The socket file migsock-bind created for us, if it passed one: ours to
 * remove when we stop (sock_unlink_if_ours checks it is still that
 * socket). Sockets from systemd stay: the socket unit owns them. */
static const char *bound_path;

/* The path of the one socket migsock-bind passed, if this process is the
 * one it exec'd (not a child of a supervisor it exec'd). */
static const char *bound_by_migsock_bind(int nfds)
{
	const char *path = getenv(NOTIFY_BIND_PATH_ENV);
	const char *pid = getenv(NOTIFY_BIND_PID_ENV);
	char self[24];

	snprintf(self, sizeof(self), "%ld", (long)getpid());
	if (nfds != 1 || !path || !pid || strcmp(pid, self) != 0 ||
	    sockpath_check(path, NULL) < 0)
		return NULL;
	return path;
}

/* A passed listening socket: make accept() nonblocking like ours. */
static int adopt_fd(struct relay *r, struct relay_channel *ch, int fd,
		    struct ms_error *e)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return ms_fail_errno(e, MS_EXIT_SYS, "passed socket fd %d", fd);
	return add_listener(r, ch, fd, bound_path ? bound_path : "", bound_path != NULL);
}

static int check_contexts(const struct relay_opts *o, struct ms_error *e)
{
	if (o->require_label && !label_enabled())
		return ms_fail(e, MS_EXIT_LABEL, "--require-label: SELinux is disabled here, so sockets cannot be labelled: drop --require-label or enable SELinux");
	if (o->context && label_validate(o->context, e) < 0)
		return -1;
	if (o->connect_context && label_validate(o->connect_context, e) < 0)
		return -1;
	/* Peers have no context without SELinux: every one would be refused,
	 * one connection at a time. */
	if (o->allow.n_contexts && !label_enabled())
		return ms_fail(e, MS_EXIT_LABEL, "--allow-context %s: SELinux is disabled here, so peers have no context and every one would be refused: drop --allow-context or enable SELinux",
			       o->allow.contexts[0]);
	return 0;
}

/* The file a listening socket is bound to: its own path, or for a passed
 * socket the one getsockname() names. */
static bool listener_stat(const struct relay_listener *l, struct stat *st)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	if (l->path[0])
		return stat(l->path, st) == 0;
	if (getsockname(l->fd, (struct sockaddr *)&sa, &len) < 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path) || !sa.sun_path[0])
		return false;
	sa.sun_path[sizeof(sa.sun_path) - 1] = '\0';
	return stat(sa.sun_path, st) == 0;
}

/* An upstream that is one of our own listening sockets (--listen equal to
 * --connect, or --listen-dir equal to --connect-dir, in any spelling)
 * would have each connection connect to the relay again, until
 * --max-conns. Compared by inode, after the sockets exist. */
static int check_loops(const struct relay *r, struct ms_error *e)
{
	struct stat up, own;

	for (size_t i = 0; i < r->n_listeners; i++) {
		const struct relay_listener *l = &r->listeners[i];
		if (stat(l->ch->upstream, &up) < 0 || !listener_stat(l, &own))
			continue;
		if (up.st_dev == own.st_dev && up.st_ino == own.st_ino)
			return ms_fail(e, MS_EXIT_USAGE, "channel %s: upstream %s is this relay's own listening socket: it would connect to itself; give the daemon's socket to --connect (or a different --connect-dir)",
				       l->ch->name, l->ch->upstream);
	}
	return 0;
}

static int setup_single(struct relay *r, const struct relay_opts *o, int nfds,
			const int *fds, struct ms_error *e)
{
	if (sockpath_check(o->connect, e) < 0)
		return ms_error_wrap(e, "--connect");
	struct relay_channel *ch = add_channel(r, base_name(o->connect),
					       o->connect_context);
	snprintf(ch->upstream, sizeof(ch->upstream), "%s", o->connect);
	if (o->listen)
		return listen_at(r, ch, o->listen, o, o->context, o->mode, e);
	for (int i = 0; i < nfds; i++)
		if (adopt_fd(r, ch, fds[i], e) < 0)
			return -1;
	return 0;
}

static int check_channel_list(const struct relay_opts *o,
			      const struct layout *l, const char *file,
			      struct ms_error *e)
{
	char name[64];

	for (const char *p = o->channels; p && *p;) {
		size_t n = strcspn(p, ",");
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		if (!layout_find(l, name))
			return ms_fail(e, MS_EXIT_USAGE, "--channels: no channel \"%s\" in the layout %s",
				       name, file);
		p += n + (p[n] == ',');
	}
	return 0;
}

/* Passed socket number @i belongs to the channel its LISTEN_FDNAMES entry
 * names (by channel or socket name). */
static int match_fd(struct relay *r, const struct layout *l,
		    const char *name, int fd, const char *file,
		    struct ms_error *e)
{
	for (size_t i = 0; i < r->n_channels; i++) {
		const struct layout_channel *lc = layout_find(l, r->channels[i].name);
		if (strcmp(name, lc->channel) == 0 || strcmp(name, lc->name) == 0)
			return adopt_fd(r, &r->channels[i], fd, e);
	}
	return ms_fail(e, MS_EXIT_USAGE, "passed socket fd %d is named \"%s\", which is no selected channel of %s: set FileDescriptorName= to a channel name",
		       fd, name, file);
}

static int setup_layout(struct relay *r, const struct relay_opts *o, int nfds,
			const int *fds, char names[][64], struct ms_error *e)
{
	const char *file = cli_layout_file(o->layout);
	struct layout l;
	char path[SOCKPATH_MAX + 1];

	if (cli_layout_load(o->layout, &l, e) < 0 || check_channel_list(o, &l, file, e) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++) {
		const struct layout_channel *lc = &l.ch[i];
		if (!relay_list_has(o->channels, lc->channel))
			continue;
		struct relay_channel *ch = add_channel(r, lc->channel, o->connect_context);
		if (relay_join_path(ch->upstream, sizeof(ch->upstream), o->connect_dir, lc->name, e) < 0)
			return -1;
		if (!o->listen_dir)
			continue;
		const char *ctx = o->context ? o->context : lc->context[0] ? lc->context : NULL;
		if (ctx && label_validate(ctx, e) < 0)
			return -1;
		if (relay_join_path(path, sizeof(path), o->listen_dir, lc->name, e) < 0 ||
		    listen_at(r, ch, path, o, ctx, o->mode ? o->mode : lc->mode, e) < 0)
			return -1;
	}
	for (int i = 0; !o->listen_dir && i < nfds; i++)
		if (match_fd(r, &l, names[i], fds[i], file, e) < 0)
			return -1;
	return 0;
}

int relay_setup(struct relay *r, const struct relay_opts *o,
		struct ms_error *e)
{
	static int fds[NOTIFY_FDS_MAX];
	static char names[NOTIFY_FDS_MAX][64];
	int nfds = 0;
	bool layout_mode = o->connect_dir != NULL;
	int rc;

	r->allow = &o->allow;
	r->max_conns = o->max_conns;
	r->drain_timeout = o->drain_timeout;
	if (check_contexts(o, e) < 0)
		return -1;
	if (!(layout_mode ? o->listen_dir : o->listen)) {
		nfds = notify_listen_fds(fds, names, e);
		if (nfds < 0)
			return -1;
		bound_path = bound_by_migsock_bind(nfds);
		if (nfds == 0)
			return ms_fail(e, MS_EXIT_USAGE, "no sockets passed (LISTEN_FDS/LISTEN_PID are not for this process): give --listen");
	}
	rc = layout_mode ? setup_layout(r, o, nfds, fds, names, e)
			 : setup_single(r, o, nfds, fds, e);
	if (rc == 0 && r->n_listeners == 0)
		rc = ms_fail(e, MS_EXIT_USAGE, "nothing to listen on: the selected channels got no socket");
	if (rc == 0)
		rc = check_loops(r, e);
	if (rc < 0)
		relay_close_listeners(r);
	return rc;
}

void relay_close_listeners(struct relay *r)
{
	for (size_t i = 0; i < r->n_listeners; i++) {
		struct relay_listener *l = &r->listeners[i];
		if (l->fd < 0)
			continue;
		if (l->ours)
			sock_unlink_if_ours(l->path, l->fd);
		close(l->fd);
		l->fd = -1;
	}
}
