/* SPDX-License-Identifier: MIT
 * options.h - migsock-migrate's command line: every option of libvirt
 * 9.0's `virsh migrate` with virsh's meaning (so a `virsh migrate` line
 * becomes a migsock line by renaming the command), or refused with the
 * reason when it cannot apply over UNIX sockets (--zerocopy,
 * --listen-address, --disks-port, --rdma-pin-all); plus
 * --dir/--layout/--json/--no-progress/--dest-connect/--timeout-abort.
 *
 * The steps, each a function the unit tests drive:
 *   mig_opts_parse()    argv -> struct mig_opts (MS_EXIT_USAGE on garbage)
 *   mig_opts_env()      the source URI from the environment or
 *                       libvirt.conf's uri_default, as virsh
 *   mig_opts_resolve()  --dir + socket layout -> desturi/migrateuri/disks-uri
 *                       where the user gave none
 *   mig_opts_check()    the up-front refusals: flag conflicts and the
 *                       combinations libvirt refuses over UNIX sockets
 *   mig_opts_load()     read the --xml and --persistent-xml files
 */
#ifndef MIGSOCK_MIGRATE_OPTIONS_H
#define MIGSOCK_MIGRATE_OPTIONS_H

#include <stdbool.h>

#include "layout.h"
#include "log.h"

#define MIG_URI_MAX 512

enum mig_timeout_action {
	MIG_TIMEOUT_SUSPEND = 0, /* virsh's default: pause the guest */
	MIG_TIMEOUT_POSTCOPY,    /* switch to post-copy */
	MIG_TIMEOUT_ABORT,       /* ours: abort the job, exit MS_EXIT_ABORTED */
};

struct mig_opts {
	const char *connect;        /* -c: source daemon URI */
	const char *domain;
	const char *dname;          /* --dname: name on the destination */
	const char *desturi;        /* destination daemon URI (as the source
	                             * daemon sees it with --p2p) */
	const char *migrateuri;     /* hypervisor stream: unix:///PATH */
	const char *disks_uri;      /* NBD stream: unix:///PATH */
	const char *dest_connect;   /* destination as this client reaches it
	                             * (default: desturi) */
	const char *dir;            /* --dir: socket directory of the layout */
	const char *layout;         /* --layout FILE */
	const char *migrate_disks;  /* comma-separated target names */
	const char *tls_destination;
	const char *graphicsuri;    /* for SPICE/VNC clients to follow */
	const char *xml_file;       /* --xml: the destination's definition */
	const char *persistent_xml_file; /* --persistent-xml */
	const char *comp_methods;   /* --comp-methods: comma-separated */

	bool live, p2p, direct, tunnelled, offline, persistent, undefinesource;
	bool copy_all, copy_inc, parallel, postcopy, postcopy_after_precopy;
	bool suspend, tls, verbose, json, no_progress, help, version;
	bool auto_converge, abort_on_error, compressed, unsafe_, change_protection;
	bool sync_writes;           /* --copy-storage-synchronous-writes */

	int parallel_connections;   /* 0: not given */
	unsigned long bandwidth;    /* MiB/s, 0: libvirt's default */
	int timeout;                /* seconds, 0: none */
	enum mig_timeout_action timeout_action;
	int n_timeout_actions;      /* how many --timeout-* were given */

	/* Tuning, each -1 (or 0 for the unsigned) when not given. */
	int comp_mt_level;          /* 0-9 */
	int comp_mt_threads;        /* 1-255 */
	int comp_mt_dthreads;       /* 1-255 */
	unsigned long long comp_xbzrle_cache; /* bytes */
	int auto_converge_initial;  /* % of CPU throttled first, 1-99 */
	int auto_converge_increment;/* % added each time, 1-99 */
	unsigned long postcopy_bandwidth; /* MiB/s */

	/* Where the source URI came from: "-c" or the variable's name. */
	const char *connect_from;

	/* The contents of --xml/--persistent-xml (mig_opts_load; free with
	 * mig_opts_free). */
	char *dest_xml, *persist_xml;

	/* Recovery and hangs (issue 11): --postcopy-resume, --recover SEC,
	 * --recover-dir DIR, --abort-postcopy, -k/--keepalive-interval,
	 * -K/--keepalive-count, --connect-timeout SEC. */
	bool postcopy_resume;       /* VIR_MIGRATE_POSTCOPY_RESUME */
	bool abort_postcopy;        /* pause a running post-copy, then exit */
	int recover;                /* seconds to keep resuming, 0: off */
	const char *recover_dir;    /* the socket directory as seen here */
	int keepalive_interval;     /* seconds, 0: no keepalive (virsh: 5) */
	int keepalive_count;        /* unanswered probes before closing (6) */
	int connect_timeout;        /* seconds to reach both daemons (30) */

	/* URIs built from --dir (the pointers above point here then). */
	char desturi_buf[MIG_URI_MAX];
	char migrateuri_buf[MIG_URI_MAX];
	char disks_uri_buf[MIG_URI_MAX];
	/* The source URI from libvirt.conf, and where it was found. */
	char conf_uri_buf[MIG_URI_MAX];
	char conf_from_buf[MIG_URI_MAX];
};

void mig_opts_init(struct mig_opts *o);

/* Parse argv (positional: DOMAIN [DESTURI [MIGRATEURI]], as virsh).
 * Pointers in @o point into @argv. */
int mig_opts_parse(struct mig_opts *o, int argc, char **argv,
		   struct ms_error *e);

/* Without -c, the source URI as virsh finds it: $VIRSH_DEFAULT_CONNECT_URI,
 * else $LIBVIRT_DEFAULT_URI (empty ones are ignored), else uri_default in
 * the libvirt.conf at @libvirt_conf (libvirtconf.h: libvirt_conf_path;
 * NULL: none). */
void mig_opts_env(struct mig_opts *o, const char *libvirt_conf);

/* With --dir, fill the URIs the user left out from the layout's driver,
 * qemu and nbd socket names. No-op without --dir. */
int mig_opts_resolve(struct mig_opts *o, const struct layout *l,
		     struct ms_error *e);

/* Up-front refusals (MS_EXIT_USAGE), before anything is contacted. */
int mig_opts_check(const struct mig_opts *o, struct ms_error *e);

/* Read the --xml and --persistent-xml files (MS_EXIT_USAGE if one cannot
 * be read or holds no <domain>). */
int mig_opts_load(struct mig_opts *o, struct ms_error *e);
void mig_opts_free(struct mig_opts *o);

bool mig_copies_storage(const struct mig_opts *o);

/* Whether the comma-separated @list names @item. */
bool mig_list_has(const char *list, const char *item);

#endif
