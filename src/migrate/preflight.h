/* SPDX-License-Identifier: MIT
 * preflight.h - everything checked before a migration starts; the state
 * of both sides goes into the context (migrate.h) for the checks after
 * it. Every failure is one line naming the fix, with MS_EXIT_PREFLIGHT:
 * nothing was started.
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

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "migrate.h"

/* Run every check; fills @c (connections, guest, states). On failure @c
 * holds what was opened so far: close it with mig_ctx_close(). */
int mig_preflight(struct mig_ctx *c, const struct mig_opts *o,
		  struct ms_error *e);

/* Identity of /etc/libvirt of the daemon listening at @sock: its pid and
 * "/proc/PID/root", if the peer is a libvirt daemon this host can see. */
bool mig_daemon_root(const char *sock, pid_t *pid, char *root, size_t len);

#endif
