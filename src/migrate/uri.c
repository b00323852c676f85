// SPDX-License-Identifier: MIT
/* uri.c - socket paths inside URIs; see uri.h. */

#include <stdio.h>
#include <string.h>

#include "uri.h"

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copy @n bytes of @s into @buf, decoding %XX. */
static bool copy_decoded(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (o + 1 >= len)
			return false;
		buf[o++] = c;
	}
	buf[o] = '\0';
	return o > 0;
}

bool mig_uri_unix_path(const char *uri, char *buf, size_t len)
{
	const char *p, *end;

	if (!uri)
		return false;
	if (starts_with(uri, "unix://"))
		p = uri + strlen("unix://");
	else if (starts_with(uri, "unix:"))
		p = uri + strlen("unix:");
	else
		p = NULL;
	if (p)
		return *p == '/' && copy_decoded(p, strlen(p), buf, len);

	p = strchr(uri, '?');
	while (p) {
		p++;
		if (starts_with(p, "socket=")) {
			p += strlen("socket=");
			end = p + strcspn(p, "&");
			return copy_decoded(p, (size_t)(end - p), buf, len);
		}
		p = strchr(p, '&');
	}
	return false;
}

bool mig_uri_is_unix_daemon(const char *uri)
{
	const char *colon = uri ? strchr(uri, ':') : NULL;

	if (!colon)
		return false;
	/* "driver+unix://" or a local "driver:///" URI. */
	return memmem(uri, (size_t)(colon - uri), "+unix", 5) != NULL ||
	       strncmp(colon, ":///", 4) == 0;
}

bool mig_uri_is_unix(const char *uri)
{
	return starts_with(uri, "unix:");
}

bool mig_daemon_socket(const char *uri, char *buf, size_t len)
{
	if (mig_uri_unix_path(uri, buf, len))
		return true;
	if (!mig_uri_is_unix_daemon(uri))
		return false;
	/* libvirt's default for a system URI without ?socket=. */
	if (!strstr(uri, "/system"))
		return false;
	snprintf(buf, len, "/run/libvirt/libvirt-sock");
	return true;
}
