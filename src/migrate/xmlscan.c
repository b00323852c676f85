// SPDX-License-Identifier: MIT
/* xmlscan.c - facts from libvirt's own XML; see xmlscan.h. */

#include <string.h>

#include "xmlscan.h"

/* Copy [s, s+n) into @buf decoding the five XML entities. */
static bool copy_unescaped(const char *s, size_t n, char *buf, size_t len)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		     { "&apos;", '\'' }, { "&quot;", '"' } };
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		for (size_t k = 0; c == '&' && k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t el = strlen(ents[k].ent);
			if (i + el <= n && !strncmp(s + i, ents[k].ent, el)) {
				c = ents[k].c;
				i += el - 1;
				break;
			}
		}
		if (o + 1 >= len)
			return false;
		buf[o++] = c;
	}
	buf[o] = '\0';
	return true;
}

/* The value of attribute @name inside the tag starting at @tag (up to its
 * '>'), into @buf. */
static bool tag_attr(const char *tag, const char *name, char *buf, size_t len)
{
	const char *end = strchr(tag, '>');
	size_t nl = strlen(name);

	if (!end)
		return false;
	for (const char *p = tag; p < end; p++) {
		if ((p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n') ||
		    strncmp(p, name, nl) || p[nl] != '=')
			continue;
		char q = p[nl + 1];
		if (q != '\'' && q != '"')
			continue;
		const char *v = p + nl + 2;
		const char *ve = memchr(v, q, (size_t)(end - v));
		return ve && copy_unescaped(v, (size_t)(ve - v), buf, len);
	}
	return false;
}

/* First "<@elem" (followed by a blank, '/' or '>') in [p, end). */
static const char *find_elem(const char *p, const char *end, const char *elem)
{
	size_t el = strlen(elem);

	while (p && p < end && (p = strstr(p, elem)) && p < end) {
		char after = p[el];
		if (p[-1] == '<' && (after == ' ' || after == '/' ||
				     after == '>' || after == '\n'))
			return p - 1;
		p += el;
	}
	return NULL;
}

bool mig_xml_host_uuid(const char *caps, char *buf, size_t len)
{
	const char *host = strstr(caps, "<host>");
	const char *end = host ? strstr(host, "</host>") : NULL;
	const char *u = host ? find_elem(host, end, "uuid") : NULL;
	const char *ue;

	if (!u || !(u = strchr(u, '>')) || !(ue = strstr(++u, "</uuid>")))
		return false;
	return copy_unescaped(u, (size_t)(ue - u), buf, len) && buf[0];
}

static void scan_disk(const char *tag, const char *end, struct mig_disk *d)
{
	char val[32] = "";
	const char *el;

	memset(d, 0, sizeof(*d));
	d->is_file = tag_attr(tag + 1, "type", val, sizeof(val)) &&
		     !strcmp(val, "file");
	d->is_disk = !tag_attr(tag + 1, "device", val, sizeof(val)) ||
		     !strcmp(val, "disk");
	if ((el = find_elem(tag + 1, end, "source")))
		tag_attr(el + 1, "file", d->path, sizeof(d->path));
	if ((el = find_elem(tag + 1, end, "target")))
		tag_attr(el + 1, "dev", d->target, sizeof(d->target));
	if ((el = find_elem(tag + 1, end, "driver")))
		tag_attr(el + 1, "type", d->format, sizeof(d->format));
	d->readonly = find_elem(tag + 1, end, "readonly") != NULL;
	d->shareable = find_elem(tag + 1, end, "shareable") != NULL;
}

size_t mig_xml_disks(const char *xml, struct mig_disk *out, size_t max)
{
	const char *end = xml + strlen(xml);
	const char *devices = strstr(xml, "<devices>");
	const char *p = devices ? devices : xml;
	size_t n = 0;

	while (n < max && (p = find_elem(p + 1, end, "disk"))) {
		const char *close = strstr(p, "</disk>");
		if (!close)
			break;
		scan_disk(p, close, &out[n++]);
		p = close;
	}
	return n;
}

bool mig_xml_disk_copied(const struct mig_disk *d, const char *only)
{
	size_t tl = strlen(d->target);

	if (!d->is_disk || d->readonly || d->shareable || !d->path[0])
		return false;
	if (!only)
		return true;
	for (const char *p = only; *p;) {
		size_t l = strcspn(p, ",");
		if (l == tl && !strncmp(p, d->target, l))
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}
