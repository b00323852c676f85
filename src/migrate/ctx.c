// SPDX-License-Identifier: MIT
/* ctx.c - the context's lifetime, the guest lookup, libvirt's last error;
 * see migrate.h. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "migrate.h"

const char *mig_virt_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m && *m ? m : "unknown error";
}

/* virsh's order (virshLookupDomainBy): a number is tried as an id, a
 * UUID string as a UUID, anything else (and whatever failed) as a name. */
virDomainPtr mig_lookup_domain(virConnectPtr conn, const char *what)
{
	virDomainPtr d = NULL;
	char *end;
	long id;

	errno = 0;
	id = strtol(what, &end, 10);
	if (!errno && end != what && !*end && id >= 0 && id <= INT_MAX)
		d = virDomainLookupByID(conn, (int)id);
	if (!d && strlen(what) == VIR_UUID_STRING_BUFLEN - 1)
		d = virDomainLookupByUUIDString(conn, what);
	if (!d)
		d = virDomainLookupByName(conn, what);
	return d;
}

void mig_ctx_close(struct mig_ctx *c)
{
	if (c->dom)
		virDomainFree(c->dom);
	if (c->dst.conn)
		virConnectClose(c->dst.conn);
	if (c->src.conn)
		virConnectClose(c->src.conn);
	c->dom = NULL;
	c->dst.conn = c->src.conn = NULL;
}
