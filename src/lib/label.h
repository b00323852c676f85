/* SPDX-License-Identifier: MIT
 * label.h - SELinux contexts for the sockets migsock creates (libselinux).
 *
 * The hypervisor only connects to sockets whose context allows it, and a
 * socket's context is fixed when socket() runs: so the context is set with
 * setsockcreatecon_raw() right before socket() and reset right after.
 * With SELinux disabled, asking for a label prints one notice (or fails
 * with MS_EXIT_LABEL when the caller requires labels).
 */
#ifndef MIGSOCK_LABEL_H
#define MIGSOCK_LABEL_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* libvirt's advice for sockets the hypervisor (svirt_t) connects to. */
#define LABEL_HYPERVISOR_SOCKET "system_u:object_r:svirt_socket_t:s0"

bool label_enabled(void);

/* Syntax check user:role:type[:range] (always), and, when SELinux is
 * enabled, security_check_context() (the kernel's verdict). */
int label_validate(const char *ctx, struct ms_error *e);

/* The syntax check alone (no kernel): for files read on another host,
 * such as the socket layout. Fuzzed in tests/fuzz. */
int label_check_syntax(const char *ctx, struct ms_error *e);

/* Set the context for the next socket() of this thread (NULL resets).
 * SELinux disabled: notice once and return 0, or fail if @required. */
int label_sockcreate(const char *ctx, bool required, struct ms_error *e);

/* Context of the peer of connected socket @fd (SO_PEERSEC) into @buf.
 * Returns 0, or -1 if SELinux is off or the peer has none. */
int label_peer(int fd, char *buf, size_t len);

/* Context of socket @fd itself (fgetfilecon on the socket inode / the
 * socket's own label); for tests and logs. */
int label_of_fd(int fd, char *buf, size_t len);

#endif
