/* SPDX-License-Identifier: MIT
 * uri.h - the socket paths inside the URIs migsock-migrate handles: QEMU's
 * unix:///PATH streams and libvirt's driver+unix:///...?socket=PATH daemon
 * URIs. Pure string functions (the unit tests drive them).
 */
#ifndef MIGSOCK_MIGRATE_URI_H
#define MIGSOCK_MIGRATE_URI_H

#include <stdbool.h>
#include <stddef.h>

/* A QEMU stream URI: "unix:..." (absolute or not). */
bool mig_uri_is_unix(const char *uri);

/* The socket path of a unix:///PATH (or unix:/PATH) URI into @buf, or of
 * a libvirt URI's ?socket= parameter (percent-decoded). Returns false if
 * @uri names no socket path. */
bool mig_uri_unix_path(const char *uri, char *buf, size_t len);

/* A libvirt URI that reaches its daemon through a UNIX socket. */
bool mig_uri_is_unix_daemon(const char *uri);

/* The libvirt daemon socket a URI reaches, when it is a local UNIX one
 * (?socket=, or libvirt's default for a system URI). */
bool mig_daemon_socket(const char *uri, char *buf, size_t len);

#endif
