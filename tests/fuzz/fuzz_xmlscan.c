// SPDX-License-Identifier: MIT
/* libFuzzer harness for migsock-migrate's XML scanner
 * (src/migrate/xmlscan.c), which reads the destination's host UUID and the
 * domain's disks from libvirt's XML without libxml2. Any text: no read or
 * write out of bounds (ASan), every result NUL-terminated within its
 * buffer; a host UUID found is non-empty and fits the caller's buffer
 * (input byte 0 picks its size); at most @max disks; a disk selected by
 * its own target (--migrate-disks) is copied exactly when it would be
 * copied with no selection. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/migrate/xmlscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_terminated(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mig_disk disks[MIG_MAX_DISKS];
	if (size < 1)
		return 0;
	size_t ulen = data[0] % 64 + 1;
	char *xml = malloc(size);
	char *uuid = malloc(ulen);
	if (!xml || !uuid) {
		free(xml);
		free(uuid);
		return 0;
	}
	memcpy(xml, data + 1, size - 1);
	xml[size - 1] = '\0';

	if (mig_xml_host_uuid(xml, uuid, ulen)) {
		check_terminated(uuid, ulen);
		if (!uuid[0])
			abort();
	}
	size_t max = (size_t)data[0] % MIG_MAX_DISKS + 1;
	size_t n = mig_xml_disks(xml, disks, max);
	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct mig_disk *d = &disks[i];
		check_terminated(d->target, sizeof(d->target));
		check_terminated(d->path, sizeof(d->path));
		check_terminated(d->format, sizeof(d->format));
		if (d->path[0] && !strstr(xml, "file="))
			abort();
		if (d->target[0] && !strchr(d->target, ',') &&
		    mig_xml_disk_copied(d, d->target) != mig_xml_disk_copied(d, NULL))
			abort();
		if (mig_xml_disk_copied(d, NULL) && (!d->path[0] || d->readonly || d->shareable))
			abort();
	}
	free(xml);
	free(uuid);
	return 0;
}
