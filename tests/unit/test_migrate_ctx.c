// SPDX-License-Identifier: MIT
/* Unit tests for src/migrate/ctx.c: the guest found as virsh finds it (by
 * id, UUID or name), against libvirt's own test driver (test:///default
 * holds one running guest, "test", id 1), and libvirt's last error. */

#include <string.h>

#include <libvirt/virterror.h>

#include "check.h"
#include "../../src/migrate/migrate.h"

static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static bool finds(virConnectPtr conn, const char *what, const char *name)
{
	virDomainPtr d = mig_lookup_domain(conn, what);
	bool ok = d && !strcmp(virDomainGetName(d), name);

	if (d)
		virDomainFree(d);
	return ok;
}

TEST(lookup_by_id_uuid_or_name)
{
	virConnectPtr conn = virConnectOpen("test:///default");
	char uuid[VIR_UUID_STRING_BUFLEN];
	virDomainPtr d;

	CHECK(conn != NULL);
	if (!conn)
		return;
	d = virDomainLookupByName(conn, "test");
	CHECK(d && virDomainGetUUIDString(d, uuid) == 0);
	if (d)
		virDomainFree(d);
	CHECK(finds(conn, "test", "test"));
	CHECK(finds(conn, "1", "test"));
	CHECK(finds(conn, uuid, "test"));
	CHECK(!finds(conn, "2", "test"));
	CHECK(!finds(conn, "00000000-0000-0000-0000-000000000000", "test"));
	CHECK(!finds(conn, "nosuch", "test"));
	/* The failed lookup left libvirt's message. */
	CHECK_STR_EQ(mig_virt_error(), "Domain not found");
	virConnectClose(conn);
}

TEST(close_is_safe_on_an_empty_context)
{
	struct mig_ctx c;

	memset(&c, 0, sizeof(c));
	mig_ctx_close(&c);
	mig_ctx_close(&c);
	CHECK(c.dom == NULL && c.src.conn == NULL && c.dst.conn == NULL);
}

int main(void)
{
	if (virInitialize() < 0)
		return 1;
	virSetErrorFunc(NULL, quiet);
	RUN(lookup_by_id_uuid_or_name);
	RUN(close_is_safe_on_an_empty_context);
	return CHECK_DONE();
}
