/* SPDX-License-Identifier: MIT
 * layout.h - the socket layout of a migration (sockets/migration.layout):
 * for each channel its socket name, mode and SELinux context.
 *
 * Format, one channel per line, '#' starts a comment (anywhere on a line),
 * fields separated by blanks (space, tab, carriage return):
 *     CHANNEL  SOCKET-NAME  MODE  CONTEXT
 *     qemu     test-sock-qemu  0660  system_u:object_r:svirt_socket_t:s0
 * CHANNEL: [a-z0-9_-]{1,31}, unique. SOCKET-NAME: a file name (no '/',
 * not "." or ".."), at most 100 bytes. MODE: octal, 1 to 0777.
 * CONTEXT: an SELinux context or "-" for none.
 * The same file is read by shell (sockets/layout.sh) with awk.
 */
#ifndef MIGSOCK_LAYOUT_H
#define MIGSOCK_LAYOUT_H

#include <stddef.h>
#include <sys/types.h>

#include "log.h"

#define LAYOUT_MAX_CHANNELS 16
/* Installed layout; the Makefile sets MIGSOCK_DATADIR from PREFIX.
 * $MIGSOCK_LAYOUT overrides it, --layout overrides both. */
#ifndef MIGSOCK_DATADIR
#define MIGSOCK_DATADIR "/usr/local/share/migsock"
#endif
#define LAYOUT_DEFAULT_PATH MIGSOCK_DATADIR "/migration.layout"

struct layout_channel {
	char channel[32];
	char name[101];
	mode_t mode;
	char context[256]; /* "" for none */
};

struct layout {
	size_t n;
	struct layout_channel ch[LAYOUT_MAX_CHANNELS];
};

/* Parse @len bytes of @text (not necessarily NUL-terminated). Errors are
 * MS_EXIT_CONFIG with "FILE:LINE: reason". Fuzzed in tests/fuzz. */
int layout_parse(const char *text, size_t len, const char *filename,
		 struct layout *out, struct ms_error *e);

/* Read and parse a file (at most 64 KiB). */
int layout_load(const char *path, struct layout *out, struct ms_error *e);

/* The channel named @channel, or NULL. */
const struct layout_channel *layout_find(const struct layout *l,
					 const char *channel);

#endif
