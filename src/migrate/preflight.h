/* SPDX-License-Identifier: MIT
 * preflight.h - everything checked before a migration starts, and the
 * state of both sides recorded for the checks after it. Every failure is
 * one line naming the fix, with MS_EXIT_PREFLIGHT: nothing was started.
 *
 * What "visible on this host" means: the daemons of a UNIX-socket
 * migration run on this kernel, often in containers. A socket path that
 * exists here is tested here; a daemon whose socket peer (SO_PEERCRED) is
 * a libvirtd/virtqemud process we can see is inspected through
 * /proc/PID/root (its /etc/libvirt, its disk images). What is not visible
 * is left to libvirt and said so with --verbose.
 */
#ifndef MIGSOCK_MIGRATE_PREFLIGHT_H
#define MIGSOCK_MIGRATE_PREFLIGHT_H

#include <limits.h>
#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "options.h"

struct mig_side {
	virConnectPtr conn;         /* NULL: not reachable from this client */
	const char *uri;
	char host_uuid[80];
	pid_t daemon_pid;           /* 0: not visible */
	char root[64];              /* "/proc/PID/root" or "" */
};

struct mig_ctx {
	const struct mig_opts *o;
	struct mig_side src, dst;
	virDomainPtr dom;           /* on the source */
	const char *dst_name;       /* --dname or the domain's name */
	bool src_persistent, src_active, src_paused;
	bool dst_known;             /* dst state below is real */
	bool dst_had_config;
};

/* Run every check; fills @c (connections, domain, states). */
int mig_preflight(struct mig_ctx *c, const struct mig_opts *o,
		  struct ms_error *e);

/* Close what mig_preflight opened. */
void mig_ctx_close(struct mig_ctx *c);

/* libvirt's last error message, or "unknown error". */
const char *mig_virt_error(void);

/* The libvirt daemon socket a URI reaches, when it is a local UNIX one. */
bool mig_daemon_socket(const char *uri, char *buf, size_t len);

/* Identity of /etc/libvirt of the daemon listening at @sock: its pid and
 * "/proc/PID/root", if the peer is a libvirt daemon this host can see. */
bool mig_daemon_root(const char *sock, pid_t *pid, char *root, size_t len);

#endif
