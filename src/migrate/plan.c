// SPDX-License-Identifier: MIT
/* plan.c - options -> libvirt flags, parameters and expectations; see
 * plan.h. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "util.h"

enum mig_flow mig_plan_flow(const struct mig_opts *o)
{
	return o->p2p || o->tunnelled ? MIG_FLOW_P2P : MIG_FLOW_DIRECT;
}

static const struct {
	unsigned long flag;
	const char *name;
} flag_names[] = {
	{ VIR_MIGRATE_LIVE, "--live" },
	{ VIR_MIGRATE_PEER2PEER, "--p2p" },
	{ VIR_MIGRATE_TUNNELLED, "--tunnelled" },
	{ VIR_MIGRATE_PERSIST_DEST, "--persistent" },
	{ VIR_MIGRATE_UNDEFINE_SOURCE, "--undefinesource" },
	{ VIR_MIGRATE_PAUSED, "--suspend" },
	{ VIR_MIGRATE_NON_SHARED_DISK, "--copy-storage-all" },
	{ VIR_MIGRATE_NON_SHARED_INC, "--copy-storage-inc" },
	{ VIR_MIGRATE_CHANGE_PROTECTION, "--change-protection" },
	{ VIR_MIGRATE_UNSAFE, "--unsafe" },
	{ VIR_MIGRATE_OFFLINE, "--offline" },
	{ VIR_MIGRATE_COMPRESSED, "--compressed" },
	{ VIR_MIGRATE_ABORT_ON_ERROR, "--abort-on-error" },
	{ VIR_MIGRATE_AUTO_CONVERGE, "--auto-converge" },
	{ VIR_MIGRATE_POSTCOPY, "--postcopy" },
	{ VIR_MIGRATE_TLS, "--tls" },
	{ VIR_MIGRATE_PARALLEL, "--parallel" },
	{ VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES,
	  "--copy-storage-synchronous-writes" },
};

unsigned long mig_plan_flags(const struct mig_opts *o)
{
	const struct {
		bool on;
		unsigned long flag;
	} map[] = {
		{ o->live, VIR_MIGRATE_LIVE },
		{ mig_plan_flow(o) == MIG_FLOW_P2P, VIR_MIGRATE_PEER2PEER },
		{ o->tunnelled, VIR_MIGRATE_TUNNELLED },
		{ o->persistent, VIR_MIGRATE_PERSIST_DEST },
		{ o->undefinesource, VIR_MIGRATE_UNDEFINE_SOURCE },
		{ o->suspend, VIR_MIGRATE_PAUSED },
		{ o->copy_all, VIR_MIGRATE_NON_SHARED_DISK },
		{ o->copy_inc, VIR_MIGRATE_NON_SHARED_INC },
		{ o->change_protection, VIR_MIGRATE_CHANGE_PROTECTION },
		{ o->unsafe_, VIR_MIGRATE_UNSAFE },
		{ o->offline, VIR_MIGRATE_OFFLINE },
		{ o->compressed, VIR_MIGRATE_COMPRESSED },
		{ o->abort_on_error, VIR_MIGRATE_ABORT_ON_ERROR },
		{ o->auto_converge, VIR_MIGRATE_AUTO_CONVERGE },
		{ o->postcopy, VIR_MIGRATE_POSTCOPY },
		{ o->tls, VIR_MIGRATE_TLS },
		{ o->parallel, VIR_MIGRATE_PARALLEL },
		{ o->sync_writes, VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES },
	};
	unsigned long flags = 0;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].on)
			flags |= map[i].flag;
	return flags;
}

void mig_plan_flag_names(unsigned long flags, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(flag_names) && o < len; i++) {
		if (!(flags & flag_names[i].flag))
			continue;
		int n = snprintf(buf + o, len - o, "%s%s", o ? " " : "",
				 flag_names[i].name);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

const char *mig_plan_mode(const struct mig_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
		 mig_plan_flow(o) == MIG_FLOW_P2P ? "p2p" : "direct",
		 o->tunnelled ? "-tunnelled" : "",
		 o->offline ? "-offline" : (o->live ? "-live" : "-nonlive"),
		 o->postcopy ? "-postcopy" : "");
	return buf;
}


static int no_memory(struct ms_error *e, const char *field)
{
	return ms_fail(e, MS_EXIT_SYS, "cannot add migration parameter %s: "
		       "out of memory", field);
}

static int add_string(virTypedParameterPtr *p, int *n, int *max,
		      const char *field, const char *value, struct ms_error *e)
{
	if (virTypedParamsAddString(p, n, max, field, value) < 0)
		return no_memory(e, field);
	return 0;
}

/* A comma list (--migrate-disks vda,vdb; --comp-methods mt,xbzrle): one
 * entry of @field per item, as virsh sends them. */
static int add_list(virTypedParameterPtr *p, int *n, int *max,
		    const char *opt, const char *field, const char *list,
		    struct ms_error *e)
{
	char buf[1024];
	char *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return ms_fail(e, MS_EXIT_USAGE, "%s is longer than %zu "
			       "bytes: list fewer items", opt, sizeof(buf) - 1);
	strcpy(buf, list);
	for (char *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (virTypedParamsAddStringList(p, n, max, field,
				(const char *[]){ tok, NULL }) < 0)
			return no_memory(e, field);
	return 0;
}

/* The string parameters, given or not. */
static int add_strings(const struct mig_opts *o, virTypedParameterPtr *p,
		       int *n, int *max, struct ms_error *e)
{
	const struct {
		const char *field, *value;
	} map[] = {
		{ VIR_MIGRATE_PARAM_URI, o->migrateuri },
		{ VIR_MIGRATE_PARAM_DISKS_URI, o->disks_uri },
		{ VIR_MIGRATE_PARAM_DEST_NAME, o->dname },
		{ VIR_MIGRATE_PARAM_TLS_DESTINATION, o->tls_destination },
		{ VIR_MIGRATE_PARAM_GRAPHICS_URI, o->graphicsuri },
		{ VIR_MIGRATE_PARAM_DEST_XML, o->dest_xml },
		{ VIR_MIGRATE_PARAM_PERSIST_XML, o->persist_xml },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].value &&
		    add_string(p, n, max, map[i].field, map[i].value, e) < 0)
			return -1;
	return 0;
}

/* The numbers, when given (ints: -1 or 0 means not given, see options.h). */
static int add_numbers(const struct mig_opts *o, virTypedParameterPtr *p,
		       int *n, int *max, struct ms_error *e)
{
	const struct {
		const char *field;
		int value, unset;
	} ints[] = {
		{ VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, o->parallel_connections, 0 },
		{ VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL, o->comp_mt_level, -1 },
		{ VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS, o->comp_mt_threads, -1 },
		{ VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS, o->comp_mt_dthreads, -1 },
		{ VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL, o->auto_converge_initial, -1 },
		{ VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT, o->auto_converge_increment, -1 },
	};
	const struct {
		const char *field;
		unsigned long long value; /* 0: not given */
	} ulls[] = {
		{ VIR_MIGRATE_PARAM_BANDWIDTH, o->bandwidth },
		{ VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY, o->postcopy_bandwidth },
		{ VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE, o->comp_xbzrle_cache },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ints); i++)
		if (ints[i].value != ints[i].unset &&
		    virTypedParamsAddInt(p, n, max, ints[i].field,
					 ints[i].value) < 0)
			return no_memory(e, ints[i].field);
	for (size_t i = 0; i < ARRAY_SIZE(ulls); i++)
		if (ulls[i].value &&
		    virTypedParamsAddULLong(p, n, max, ulls[i].field,
					    ulls[i].value) < 0)
			return no_memory(e, ulls[i].field);
	return 0;
}

static int fill_params(const struct mig_opts *o, virTypedParameterPtr *p,
		       int *n, int *max, struct ms_error *e)
{
	if (add_strings(o, p, n, max, e) < 0 || add_numbers(o, p, n, max, e) < 0)
		return -1;
	if (o->migrate_disks &&
	    add_list(p, n, max, "--migrate-disks",
		     VIR_MIGRATE_PARAM_MIGRATE_DISKS, o->migrate_disks, e) < 0)
		return -1;
	if (o->comp_methods &&
	    add_list(p, n, max, "--comp-methods", VIR_MIGRATE_PARAM_COMPRESSION,
		     o->comp_methods, e) < 0)
		return -1;
	return 0;
}

int mig_plan_params(const struct mig_opts *o, virTypedParameterPtr *params,
		    int *nparams, struct ms_error *e)
{
	int max = 0;

	*params = NULL;
	*nparams = 0;
	if (fill_params(o, params, nparams, &max, e) < 0) {
		virTypedParamsFree(*params, *nparams);
		*params = NULL;
		*nparams = 0;
		return -1;
	}
	return 0;
}

struct mig_persist_expect mig_plan_expect(bool src_persistent,
					  bool dst_had_config,
					  bool undefinesource, bool persistent)
{
	struct mig_persist_expect x;

	/* The destination keeps a definition if it had one or is told to
	 * write one; --persistent replaces an existing one with the
	 * source's. The source keeps its config unless --undefinesource. */
	x.dst_persistent = persistent || dst_had_config;
	x.src_config = src_persistent && !undefinesource;
	if (persistent)
		x.dst_config = dst_had_config ? MIG_DST_CONFIG_REPLACED
					      : MIG_DST_CONFIG_NEW;
	else
		x.dst_config = dst_had_config ? MIG_DST_CONFIG_UNCHANGED
					      : MIG_DST_CONFIG_NONE;
	return x;
}

int mig_plan_postcopy_verdict(int uffd_errno, bool privileged, int unpriv,
			      bool devnode, struct ms_error *e)
{
	if (uffd_errno == 0 || unpriv == 1)
		return 0;
	if (uffd_errno == ENOSYS)
		return ms_fail(e, MS_EXIT_PREFLIGHT,
			       "--postcopy needs userfaultfd, which this kernel "
			       "lacks (CONFIG_USERFAULTFD): drop --postcopy");
	if (devnode) {
		ms_fail(e, MS_EXIT_PREFLIGHT,
			"the userfaultfd syscall is refused here (%s) but "
			"/dev/userfaultfd is usable: post-copy works with QEMU "
			"8.1 or later only", strerror(uffd_errno));
		return 1;
	}
	if (privileged)
		return ms_fail(e, MS_EXIT_PREFLIGHT,
			       "--postcopy needs userfaultfd, and the kernel "
			       "refuses it even to root here (%s; "
			       "vm.unprivileged_userfaultfd=%d): allow the "
			       "userfaultfd syscall (seccomp/LSM) or drop "
			       "--postcopy", strerror(uffd_errno), unpriv);
	ms_fail(e, MS_EXIT_PREFLIGHT,
		"userfaultfd is refused to this user (%s; "
		"vm.unprivileged_userfaultfd=%d): post-copy works only if QEMU "
		"runs with CAP_SYS_PTRACE; if it fails, set "
		"vm.unprivileged_userfaultfd=1 or drop --postcopy",
		strerror(uffd_errno), unpriv);
	return 1;
}
