/* SPDX-License-Identifier: MIT
 * libvirtconf.h - the one setting of libvirt's client configuration file
 * (libvirt.conf) that virsh uses to find its daemon: uri_default.
 *
 * virsh, given no -c and neither VIRSH_DEFAULT_CONNECT_URI nor
 * LIBVIRT_DEFAULT_URI, connects to uri_default from
 * /etc/libvirt/libvirt.conf (root) or $XDG_CONFIG_HOME/libvirt/libvirt.conf
 * (others; ~/.config without XDG_CONFIG_HOME). migsock-migrate does the
 * same, so a container set up for virsh needs nothing more for it.
 */
#ifndef MIGSOCK_MIGRATE_LIBVIRTCONF_H
#define MIGSOCK_MIGRATE_LIBVIRTCONF_H

#include <stddef.h>
#include <sys/types.h>

/* The file libvirt reads for user @uid: @xdg_config_home and @home are
 * the environment's values (NULL when unset). Writes it to @buf; returns
 * 0, or -1 when it has no place (no XDG_CONFIG_HOME nor HOME) or does
 * not fit. */
int libvirt_conf_path(uid_t uid, const char *xdg_config_home,
		      const char *home, char *buf, size_t len);

/* uri_default from the file at @path into @buf. Returns 1 when set, 0
 * when the file or the setting is absent (or empty), -1 when the file
 * cannot be read or the value does not fit (errno set). Reads what
 * libvirt's own configuration parser takes for this one setting:
 * `uri_default = "URI"` (or 'URI'), spaces around `=`, # comments. */
int libvirt_conf_uri_default(const char *path, char *buf, size_t len);

#endif
