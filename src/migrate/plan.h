/* SPDX-License-Identifier: MIT
 * plan.h - from options to what libvirt is asked: the control flow, the
 * VIR_MIGRATE_* flags and typed parameters, and what the configuration
 * files must look like afterwards (libvirt's 16-row persistence table).
 * Pure functions: the unit tests check them without a daemon.
 */
#ifndef MIGSOCK_MIGRATE_PLAN_H
#define MIGSOCK_MIGRATE_PLAN_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "options.h"

enum mig_flow {
	MIG_FLOW_DIRECT, /* managed direct: virDomainMigrate3, two connections */
	MIG_FLOW_P2P,    /* peer-to-peer: virDomainMigrateToURI3 */
};

enum mig_flow mig_plan_flow(const struct mig_opts *o);
unsigned long mig_plan_flags(const struct mig_opts *o);

/* A short name of the mode for messages and JSON: "p2p", "direct",
 * "p2p-tunnelled", "p2p-offline", ... */
const char *mig_plan_mode(const struct mig_opts *o, char *buf, size_t len);

/* The typed parameters for virDomainMigrate3/ToURI3, as virsh 9.0 sends
 * them: migrate_uri, disks_uri, destination_name, tls.destination,
 * graphics_uri, destination_xml, persistent_xml (the files' contents),
 * parallel.connections, compression.mt.*, auto_converge.*, bandwidth,
 * bandwidth.postcopy, compression.xbzrle.cache, and one migrate_disks or
 * compression entry per list item. Free with virTypedParamsFree. */
int mig_plan_params(const struct mig_opts *o, virTypedParameterPtr *params,
		    int *nparams, struct ms_error *e);

/* Each "--flag" the flags mean, space-separated, for --verbose/JSON. */
void mig_plan_flag_names(unsigned long flags, char *buf, size_t len);

/* After a successful migration, per libvirt's table ("Persistence of a
 * domain" in docs/migration.rst). */
enum mig_dst_config {
	MIG_DST_CONFIG_NONE,      /* no config file on the destination */
	MIG_DST_CONFIG_NEW,       /* written from the source definition */
	MIG_DST_CONFIG_UNCHANGED, /* the destination's own config kept */
	MIG_DST_CONFIG_REPLACED,  /* the destination's config replaced */
};

struct mig_persist_expect {
	bool dst_persistent;   /* "Dest type" */
	bool src_config;       /* "Source config" after */
	enum mig_dst_config dst_config;
};

struct mig_persist_expect mig_plan_expect(bool src_persistent,
					  bool dst_had_config,
					  bool undefinesource, bool persistent);

/* Whether QEMU can use post-copy: @uffd_errno is what the userfaultfd
 * syscall returned here (0 = worked), @privileged whether this process
 * holds CAP_SYS_PTRACE (root), @unpriv vm.unprivileged_userfaultfd (-1
 * unknown), @devnode whether /dev/userfaultfd opened (QEMU 8.1 and later
 * use it when the syscall is refused). The daemons of a UNIX-socket migration share this host's
 * kernel, so a refusal here is the refusal QEMU meets, unless QEMU holds
 * privileges we lack. Returns 0 (usable), -1 (not: @e says why and the
 * fix, MS_EXIT_PREFLIGHT) or 1 (cannot tell from here: @e has a warning). */
int mig_plan_postcopy_verdict(int uffd_errno, bool privileged, int unpriv,
			      bool devnode, struct ms_error *e);

#endif
