/* SPDX-License-Identifier: MIT
 * xmlscan.h - the few facts migsock-migrate reads from libvirt's XML: the
 * host UUID in the capabilities, the disks of a domain. libvirt formats
 * its XML itself (one element per line, attributes in single quotes), so a
 * small scanner suffices and we avoid linking libxml2 ourselves.
 */
#ifndef MIGSOCK_MIGRATE_XMLSCAN_H
#define MIGSOCK_MIGRATE_XMLSCAN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define MIG_MAX_DISKS 64

struct mig_disk {
	char target[32];     /* <target dev='vda'/> */
	char path[PATH_MAX]; /* <source file='...'/> ("" if not a file) */
	char format[16];     /* <driver type='qcow2'/> */
	bool is_file;        /* <disk type='file'> */
	bool is_disk;        /* device='disk' (not cdrom/floppy/lun) */
	bool readonly, shareable;
};

/* The <host><uuid> of a capabilities document into @buf. */
bool mig_xml_host_uuid(const char *caps, char *buf, size_t len);

/* The disks of a domain definition, at most @max. Returns how many. */
size_t mig_xml_disks(const char *xml, struct mig_disk *out, size_t max);

/* Whether libvirt would copy @d with --copy-storage-*: a writable,
 * unshared disk with a source, selected by @only (comma list of targets)
 * when given. */
bool mig_xml_disk_copied(const struct mig_disk *d, const char *only);

#endif
