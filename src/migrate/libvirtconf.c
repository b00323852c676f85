// SPDX-License-Identifier: MIT
/* libvirtconf.c - uri_default from libvirt.conf; see libvirtconf.h. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libvirtconf.h"

#define SETTING "uri_default"

int libvirt_conf_path(uid_t uid, const char *xdg_config_home,
		      const char *home, char *buf, size_t len)
{
	int n;

	if (uid == 0)
		n = snprintf(buf, len, "/etc/libvirt/libvirt.conf");
	else if (xdg_config_home && *xdg_config_home)
		n = snprintf(buf, len, "%s/libvirt/libvirt.conf", xdg_config_home);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.config/libvirt/libvirt.conf", home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* If @line sets uri_default, its quoted value: 1 (copied), 0 (another
 * line), -1 (too long for @buf). */
static int value_of(const char *line, char *buf, size_t len)
{
	const char *p = skip_blanks(line);

	if (strncmp(p, SETTING, strlen(SETTING)) != 0)
		return 0;
	p = skip_blanks(p + strlen(SETTING));
	if (*p != '=')
		return 0;
	p = skip_blanks(p + 1);
	char quote = *p;
	if (quote != '"' && quote != '\'')
		return 0;
	const char *end = strchr(p + 1, quote);
	if (!end)
		return 0;
	size_t n = (size_t)(end - (p + 1));
	if (n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, p + 1, n);
	buf[n] = '\0';
	return 1;
}

int libvirt_conf_uri_default(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int found = 0;

	if (!f)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	/* The first setting counts, as in libvirt (virConfGetValue). */
	while (!found && fgets(line, sizeof(line), f))
		found = value_of(line, buf, len);
	if (found > 0 && !*buf)
		found = 0;
	if (found >= 0 && ferror(f))
		found = -1;
	fclose(f);
	return found;
}
