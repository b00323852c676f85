/* SPDX-License-Identifier: MIT
 * opts.h - migsock-relay's command line, parsed into one struct without
 * touching the filesystem (unit-tested). main.c owns the usage text.
 */
#ifndef MIGSOCK_RELAY_OPTS_H
#define MIGSOCK_RELAY_OPTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "log.h"
#include "peer.h"

enum relay_log_format { RELAY_LOG_TEXT, RELAY_LOG_JSON };

enum relay_action { RELAY_RUN, RELAY_HELP, RELAY_VERSION };

struct relay_opts {
	const char *listen;       /* --listen PATH */
	const char *connect;      /* --connect PATH */
	const char *layout;       /* --layout FILE */
	const char *listen_dir;   /* --listen-dir DIR */
	const char *connect_dir;  /* --connect-dir DIR */
	const char *channels;     /* --channels a,b,c (NULL: all) */
	const char *context;      /* --context CTX (NULL: default) */
	const char *connect_context;
	bool require_label;
	mode_t mode;              /* 0: not given */
	uid_t uid;                /* (uid_t)-1: not given */
	gid_t gid;
	struct peer_allow allow;
	int ready_fd;             /* -1: none */
	enum relay_log_format log_format;
	unsigned drain_timeout;   /* seconds */
	unsigned max_conns;
	bool no_sandbox;
};

/* Parse argv into @o. Returns the action, or -1 with @e filled
 * (MS_EXIT_USAGE). @activated: LISTEN_FDS is set, so --listen may be
 * missing. Name resolution for --owner/--allow-uid happens here. */
int relay_opts_parse(int argc, char *argv[], bool activated,
		     struct relay_opts *o, struct ms_error *e);

/* Is @name in the comma-separated @list? (NULL list: everything is.) */
bool relay_list_has(const char *list, const char *name);

#endif
