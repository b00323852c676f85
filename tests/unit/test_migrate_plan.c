// SPDX-License-Identifier: MIT
/* Unit tests for src/migrate/plan.c: flag mapping, typed parameters, the
 * post-copy verdict, and libvirt's 16-row persistence table as data. */

#include <errno.h>
#include <string.h>

#include "check.h"
#include "../../src/migrate/plan.h"
#include "../../src/migrate/run.h"

static void base(struct mig_opts *o)
{
	mig_opts_init(o);
	o->connect = "qemu:///system";
	o->domain = "g";
	o->desturi = "qemu+unix:///system?socket=/d/s";
}

TEST(flags_map_one_to_one)
{
	struct mig_opts o;

	base(&o);
	CHECK(mig_plan_flow(&o) == MIG_FLOW_DIRECT);
	CHECK(mig_plan_flags(&o) == 0);
	o.live = o.p2p = true;
	CHECK(mig_plan_flow(&o) == MIG_FLOW_P2P);
	CHECK(mig_plan_flags(&o) == (VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER));
	o.persistent = o.undefinesource = o.copy_inc = o.parallel = true;
	CHECK(mig_plan_flags(&o) == (VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER |
		VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE |
		VIR_MIGRATE_NON_SHARED_INC | VIR_MIGRATE_PARALLEL));
	base(&o);
	o.tunnelled = true; /* tunnelled is always peer-to-peer */
	CHECK(mig_plan_flags(&o) == (VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PEER2PEER));
	base(&o);
	o.offline = o.persistent = o.p2p = true;
	CHECK(mig_plan_flags(&o) == (VIR_MIGRATE_OFFLINE | VIR_MIGRATE_PERSIST_DEST |
				     VIR_MIGRATE_PEER2PEER));
	base(&o);
	o.postcopy = o.suspend = o.copy_all = o.tls = true;
	CHECK(mig_plan_flags(&o) == (VIR_MIGRATE_POSTCOPY | VIR_MIGRATE_PAUSED |
				     VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_TLS));
	base(&o);
	o.copy_all = o.sync_writes = o.compressed = o.auto_converge = true;
	o.abort_on_error = o.unsafe_ = o.change_protection = true;
	CHECK(mig_plan_flags(&o) == (VIR_MIGRATE_NON_SHARED_DISK |
		VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES | VIR_MIGRATE_COMPRESSED |
		VIR_MIGRATE_AUTO_CONVERGE | VIR_MIGRATE_ABORT_ON_ERROR |
		VIR_MIGRATE_UNSAFE | VIR_MIGRATE_CHANGE_PROTECTION));
}

TEST(flag_names_and_modes)
{
	struct mig_opts o;
	char buf[256];

	mig_plan_flag_names(VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER |
			    VIR_MIGRATE_NON_SHARED_DISK, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "--live --p2p --copy-storage-all");
	mig_plan_flag_names(VIR_MIGRATE_NON_SHARED_INC |
			    VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "--copy-storage-inc --copy-storage-synchronous-writes");
	mig_plan_flag_names(0, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "");
	base(&o);
	o.live = true;
	CHECK_STR_EQ(mig_plan_mode(&o, buf, sizeof(buf)), "direct-live");
	o.p2p = o.tunnelled = true;
	CHECK_STR_EQ(mig_plan_mode(&o, buf, sizeof(buf)), "p2p-tunnelled-live");
	base(&o);
	o.p2p = o.offline = true;
	CHECK_STR_EQ(mig_plan_mode(&o, buf, sizeof(buf)), "p2p-offline");
	base(&o);
	o.p2p = o.postcopy = true;
	CHECK_STR_EQ(mig_plan_mode(&o, buf, sizeof(buf)), "p2p-nonlive-postcopy");
}

TEST(params_carry_uris_disks_and_connections)
{
	struct mig_opts o;
	struct ms_error e;
	virTypedParameterPtr p;
	int n, conns = 0;
	const char *s = NULL;
	const char *disks[4];
	int ndisks = 0;

	base(&o);
	o.migrateuri = "unix:///d/q";
	o.disks_uri = "unix:///d/n";
	o.migrate_disks = "vda,vdb,vdc";
	o.parallel_connections = 4;
	o.dname = "g2";
	CHECK(mig_plan_params(&o, &p, &n, &e) == 0);
	CHECK(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_URI, &s) == 1);
	CHECK_STR_EQ(s, "unix:///d/q");
	CHECK(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_DISKS_URI, &s) == 1);
	CHECK_STR_EQ(s, "unix:///d/n");
	CHECK(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_DEST_NAME, &s) == 1);
	CHECK_STR_EQ(s, "g2");
	CHECK(virTypedParamsGetInt(p, n, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
				   &conns) == 1 && conns == 4);
	/* One migrate_disks entry per disk, in order. */
	for (int i = 0; i < n; i++)
		if (!strcmp(p[i].field, VIR_MIGRATE_PARAM_MIGRATE_DISKS) &&
		    p[i].type == VIR_TYPED_PARAM_STRING && ndisks < 4)
			disks[ndisks++] = p[i].value.s;
	CHECK(ndisks == 3);
	if (ndisks == 3) {
		CHECK_STR_EQ(disks[0], "vda");
		CHECK_STR_EQ(disks[1], "vdb");
		CHECK_STR_EQ(disks[2], "vdc");
	}
	CHECK(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_TLS_DESTINATION, &s) == 0);
	virTypedParamsFree(p, n);

	base(&o); /* nothing optional: no parameters at all */
	CHECK(mig_plan_params(&o, &p, &n, &e) == 0 && n == 0);
	virTypedParamsFree(p, n);
}

/* Every virsh 9.0 option that maps to a typed parameter: its field and
 * type as virsh sends it (tools/virsh-domain.c, doMigrate). */
TEST(params_of_every_virsh_option)
{
	struct mig_opts o;
	struct ms_error e;
	virTypedParameterPtr p;
	int n, v = 0, comp = 0;
	unsigned long long u = 0;
	const char *s = NULL;

	base(&o);
	o.graphicsuri = "spice://dst:5900";
	o.dest_xml = (char *)"<domain>live</domain>";
	o.persist_xml = (char *)"<domain>conf</domain>";
	o.tls_destination = "dst.example";
	o.comp_methods = "mt,xbzrle";
	o.comp_mt_level = 0; /* a valid level, unlike "not given" (-1) */
	o.comp_mt_threads = 4;
	o.comp_mt_dthreads = 2;
	o.comp_xbzrle_cache = 1ULL << 33;
	o.auto_converge_initial = 20;
	o.auto_converge_increment = 5;
	o.bandwidth = 100;
	o.postcopy_bandwidth = 50;
	CHECK(mig_plan_params(&o, &p, &n, &e) == 0);
	CHECK(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_GRAPHICS_URI, &s) == 1);
	CHECK_STR_EQ(s, "spice://dst:5900");
	CHECK(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_DEST_XML, &s) == 1);
	CHECK_STR_EQ(s, "<domain>live</domain>");
	CHECK(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_PERSIST_XML, &s) == 1);
	CHECK_STR_EQ(s, "<domain>conf</domain>");
	CHECK(virTypedParamsGetString(p, n, VIR_MIGRATE_PARAM_TLS_DESTINATION, &s) == 1);
	CHECK_STR_EQ(s, "dst.example");
	CHECK(virTypedParamsGetInt(p, n, VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL, &v) == 1 && v == 0);
	CHECK(virTypedParamsGetInt(p, n, VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS, &v) == 1 && v == 4);
	CHECK(virTypedParamsGetInt(p, n, VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS, &v) == 1 && v == 2);
	CHECK(virTypedParamsGetInt(p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL, &v) == 1 && v == 20);
	CHECK(virTypedParamsGetInt(p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT, &v) == 1 && v == 5);
	CHECK(virTypedParamsGetULLong(p, n, VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE, &u) == 1 && u == 1ULL << 33);
	CHECK(virTypedParamsGetULLong(p, n, VIR_MIGRATE_PARAM_BANDWIDTH, &u) == 1 && u == 100);
	CHECK(virTypedParamsGetULLong(p, n, VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY, &u) == 1 && u == 50);
	/* One compression entry per method, in order. */
	for (int i = 0; i < n; i++) {
		if (strcmp(p[i].field, VIR_MIGRATE_PARAM_COMPRESSION) ||
		    p[i].type != VIR_TYPED_PARAM_STRING)
			continue;
		CHECK_STR_EQ(p[i].value.s, comp ? "xbzrle" : "mt");
		comp++;
	}
	CHECK(comp == 2);
	CHECK(n == 14); /* 4 strings, 5 ints, 3 ULLs, 2 methods */
	virTypedParamsFree(p, n);

	/* Tuning not given sends nothing (libvirt would refuse an mt level
	 * without the mt method). */
	base(&o);
	CHECK(mig_plan_params(&o, &p, &n, &e) == 0 && n == 0);
	virTypedParamsFree(p, n);
}

/* docs/migration.rst, "Configuration file handling": before (source
 * persistent, destination config), flags (--undefinesource,
 * --persistent), after (dest persistent, source config, dest config). */
static const struct {
	bool src_persistent, dst_config, undefinesource, persistent;
	bool dst_persistent, src_config_after;
	enum mig_dst_config dst_config_after;
} table[16] = {
	{ 0, 0, 0, 0, 0, 0, MIG_DST_CONFIG_NONE },
	{ 0, 0, 1, 0, 0, 0, MIG_DST_CONFIG_NONE },
	{ 0, 0, 0, 1, 1, 0, MIG_DST_CONFIG_NEW },
	{ 0, 0, 1, 1, 1, 0, MIG_DST_CONFIG_NEW },
	{ 0, 1, 0, 0, 1, 0, MIG_DST_CONFIG_UNCHANGED },
	{ 0, 1, 1, 0, 1, 0, MIG_DST_CONFIG_UNCHANGED },
	{ 0, 1, 0, 1, 1, 0, MIG_DST_CONFIG_REPLACED },
	{ 0, 1, 1, 1, 1, 0, MIG_DST_CONFIG_REPLACED },
	{ 1, 0, 0, 0, 0, 1, MIG_DST_CONFIG_NONE },
	{ 1, 0, 1, 0, 0, 0, MIG_DST_CONFIG_NONE },
	{ 1, 0, 0, 1, 1, 1, MIG_DST_CONFIG_NEW },
	{ 1, 0, 1, 1, 1, 0, MIG_DST_CONFIG_NEW },
	{ 1, 1, 0, 0, 1, 1, MIG_DST_CONFIG_UNCHANGED },
	{ 1, 1, 1, 0, 1, 0, MIG_DST_CONFIG_UNCHANGED },
	{ 1, 1, 0, 1, 1, 1, MIG_DST_CONFIG_REPLACED },
	{ 1, 1, 1, 1, 1, 0, MIG_DST_CONFIG_REPLACED },
};

TEST(persistence_table_16_rows)
{
	for (size_t i = 0; i < 16; i++) {
		struct mig_persist_expect x = mig_plan_expect(
			table[i].src_persistent, table[i].dst_config,
			table[i].undefinesource, table[i].persistent);
		bool ok = x.dst_persistent == table[i].dst_persistent &&
			  x.src_config == table[i].src_config_after &&
			  x.dst_config == table[i].dst_config_after;
		if (!ok)
			fprintf(stderr, "row %zu differs\n", i + 1);
		CHECK(ok);
	}
}

TEST(postcopy_verdicts)
{
	struct ms_error e = { 0 };

	CHECK(mig_plan_postcopy_verdict(0, false, 0, false, &e) == 0);
	CHECK(mig_plan_postcopy_verdict(EPERM, false, 1, false, &e) == 0);
	CHECK(mig_plan_postcopy_verdict(ENOSYS, true, -1, true, &e) == -1);
	CHECK(e.code == MS_EXIT_PREFLIGHT);
	CHECK_STR_EQ(e.msg, "--postcopy needs userfaultfd, which this kernel lacks (CONFIG_USERFAULTFD): drop --postcopy");
	CHECK(mig_plan_postcopy_verdict(EPERM, true, 0, false, &e) == -1);
	CHECK(strstr(e.msg, "refuses it even to root here") != NULL);
	CHECK(strstr(e.msg, "vm.unprivileged_userfaultfd=0") != NULL);
	/* Unprivileged client: QEMU may still hold CAP_SYS_PTRACE. */
	CHECK(mig_plan_postcopy_verdict(EPERM, false, 0, false, &e) == 1);
	/* Only the device node: QEMU 8.1+ would use it. */
	CHECK(mig_plan_postcopy_verdict(EPERM, true, 0, true, &e) == 1);
	CHECK(strstr(e.msg, "/dev/userfaultfd is usable") != NULL);
}

TEST(postcopy_after_first_pass)
{
	struct mig_opts o;
	struct mig_stats s;

	base(&o);
	memset(&s, 0, sizeof(s));
	o.postcopy = o.postcopy_after_precopy = true;
	CHECK(!mig_run_first_pass_done(&o, &s, false, false)); /* no counter yet */
	s.have_iteration = true;
	s.iteration = 1;
	CHECK(!mig_run_first_pass_done(&o, &s, false, false));
	s.iteration = 2;
	CHECK(mig_run_first_pass_done(&o, &s, false, false));
	CHECK(!mig_run_first_pass_done(&o, &s, true, false));  /* once */
	CHECK(!mig_run_first_pass_done(&o, &s, false, true));  /* aborting */
	o.postcopy_after_precopy = false;
	CHECK(!mig_run_first_pass_done(&o, &s, false, false));
}

int main(void)
{
	if (virInitialize() < 0) /* libvirt's error and param helpers */
		return 1;
	RUN(flags_map_one_to_one);
	RUN(flag_names_and_modes);
	RUN(params_carry_uris_disks_and_connections);
	RUN(params_of_every_virsh_option);
	RUN(persistence_table_16_rows);
	RUN(postcopy_verdicts);
	RUN(postcopy_after_first_pass);
	return CHECK_DONE();
}
