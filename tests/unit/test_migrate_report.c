// SPDX-License-Identifier: MIT
/* Unit tests for src/migrate/xmlscan.c and progress.c: the facts read
 * from libvirt's XML and the renderings of job statistics. */

#include <string.h>

#include "check.h"
#include "../../src/migrate/progress.h"
#include "../../src/migrate/xmlscan.h"

static const char caps[] =
	"<capabilities>\n\n  <host>\n    <uuid>0b7e1b2c-1111-4222-8333-944455556666</uuid>\n"
	"    <cpu>\n      <arch>x86_64</arch>\n    </cpu>\n  </host>\n"
	"  <guest>\n    <uuid>not-this</uuid>\n  </guest>\n</capabilities>\n";

static const char domxml[] =
	"<domain type='qemu'>\n  <name>g</name>\n  <devices>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='qemu' type='qcow2'/>\n"
	"      <source file='/var/lib/libvirt/images/a&amp;b.qcow2' index='2'/>\n"
	"      <backingStore type='file' index='3'>\n"
	"        <source file='/base.img'/>\n      </backingStore>\n"
	"      <target dev='vda' bus='virtio'/>\n    </disk>\n"
	"    <disk type='file' device='cdrom'>\n"
	"      <driver name='qemu' type='raw'/>\n"
	"      <source file='/iso/x.iso'/>\n"
	"      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>\n"
	"    <disk type=\"file\" device=\"disk\">\n"
	"      <driver name=\"qemu\" type=\"raw\"/>\n"
	"      <source file=\"/img/c.raw\"/>\n"
	"      <target dev=\"vdb\" bus=\"virtio\"/>\n      <shareable/>\n    </disk>\n"
	"    <disk type='block' device='disk'>\n"
	"      <source dev='/dev/sdz'/>\n"
	"      <target dev='vdc' bus='virtio'/>\n    </disk>\n"
	"  </devices>\n</domain>\n";

TEST(host_uuid_from_capabilities)
{
	char buf[80];

	CHECK(mig_xml_host_uuid(caps, buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "0b7e1b2c-1111-4222-8333-944455556666");
	CHECK(!mig_xml_host_uuid("<capabilities><host></host></capabilities>",
				 buf, sizeof(buf)));
	CHECK(!mig_xml_host_uuid(caps, buf, 8)); /* does not fit */
}

TEST(disks_from_domain_xml)
{
	struct mig_disk d[8];
	size_t n = mig_xml_disks(domxml, d, 8);

	CHECK(n == 4);
	CHECK_STR_EQ(d[0].target, "vda");
	CHECK_STR_EQ(d[0].path, "/var/lib/libvirt/images/a&b.qcow2");
	CHECK_STR_EQ(d[0].format, "qcow2");
	CHECK(d[0].is_file && d[0].is_disk && !d[0].readonly);
	CHECK_STR_EQ(d[1].target, "sda");
	CHECK(!d[1].is_disk && d[1].readonly);
	CHECK_STR_EQ(d[2].path, "/img/c.raw");
	CHECK(d[2].shareable);
	CHECK(!d[3].is_file && d[3].path[0] == '\0');
	CHECK_STR_EQ(d[3].target, "vdc");
	CHECK(mig_xml_disks(domxml, d, 2) == 2);
}

TEST(copied_disks_follow_libvirt)
{
	struct mig_disk d[8];

	mig_xml_disks(domxml, d, 8);
	CHECK(mig_xml_disk_copied(&d[0], NULL));
	CHECK(!mig_xml_disk_copied(&d[1], NULL));  /* cdrom, readonly */
	CHECK(!mig_xml_disk_copied(&d[2], NULL));  /* shareable */
	CHECK(!mig_xml_disk_copied(&d[3], NULL));  /* no file source */
	CHECK(mig_xml_disk_copied(&d[0], "vdb,vda"));
	CHECK(!mig_xml_disk_copied(&d[0], "vdaa,vd"));
}

static struct mig_stats sample(void)
{
	struct mig_stats s;

	memset(&s, 0, sizeof(s));
	s.elapsed_ms = 2000;
	s.data_total = 1024ULL * 1024 * 1024;
	s.data_processed = 256ULL * 1024 * 1024;
	s.data_remaining = 768ULL * 1024 * 1024;
	s.mem_bps = 128ULL * 1024 * 1024;
	s.have_iteration = true;
	s.iteration = 1;
	s.have_dirty_rate = true;
	s.dirty_rate = 42;
	return s;
}

TEST(stats_from_typed_params)
{
	virTypedParameterPtr p = NULL;
	int n = 0, max = 0;
	struct mig_stats s;

	virTypedParamsAddULLong(&p, &n, &max, VIR_DOMAIN_JOB_DATA_TOTAL, 1000);
	virTypedParamsAddULLong(&p, &n, &max, VIR_DOMAIN_JOB_DATA_PROCESSED, 400);
	virTypedParamsAddULLong(&p, &n, &max, VIR_DOMAIN_JOB_DATA_REMAINING, 600);
	virTypedParamsAddULLong(&p, &n, &max, VIR_DOMAIN_JOB_DOWNTIME, 37);
	virTypedParamsAddULLong(&p, &n, &max, VIR_DOMAIN_JOB_MEMORY_ITERATION, 2);
	mig_stats_from_params(&s, VIR_DOMAIN_JOB_COMPLETED, p, n);
	CHECK(s.type == VIR_DOMAIN_JOB_COMPLETED);
	CHECK(s.data_total == 1000 && s.data_processed == 400 && s.data_remaining == 600);
	CHECK(s.have_downtime && s.downtime_ms == 37);
	CHECK(s.have_iteration && s.iteration == 2);
	CHECK(!s.have_dirty_rate);
	/* A running job's downtime is only QEMU's estimate. */
	mig_stats_from_params(&s, VIR_DOMAIN_JOB_UNBOUNDED, p, n);
	CHECK(!s.have_downtime && s.data_processed == 400);
	virTypedParamsFree(p, n);
}

TEST(renderings)
{
	struct mig_stats s = sample();
	char buf[512], b[32];

	CHECK(mig_stats_rate(&s) == 128ULL * 1024 * 1024);
	CHECK(mig_stats_eta(&s) == 6);
	CHECK_STR_EQ(mig_human_bytes(512, b, sizeof(b)), "512 B");
	CHECK_STR_EQ(mig_human_bytes(1536, b, sizeof(b)), "1.5 KiB");
	mig_stats_line(&s, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "256.0 MiB/1.0 GiB 25% 128.0 MiB/s ETA 6s iteration 1 dirty 42 pages/s");
	mig_stats_bar(&s, 8, buf, sizeof(buf));
	CHECK(!strncmp(buf, "[##------] 256.0 MiB", 20));
	mig_stats_json(&s, buf, sizeof(buf));
	CHECK(strstr(buf, "\"data_total\":1073741824,") != NULL);
	CHECK(strstr(buf, "\"eta_seconds\":6,") != NULL);
	/* Without a rate: rate from elapsed time; no total: no ETA. */
	s.mem_bps = 0;
	CHECK(mig_stats_rate(&s) == s.data_processed / 2);
	s.data_total = 0;
	CHECK(mig_stats_eta(&s) == -1);
}

int main(void)
{
	if (virInitialize() < 0) /* libvirt's error and param helpers */
		return 1;
	RUN(host_uuid_from_capabilities);
	RUN(disks_from_domain_xml);
	RUN(copied_disks_follow_libvirt);
	RUN(stats_from_typed_params);
	RUN(renderings);
	return CHECK_DONE();
}
