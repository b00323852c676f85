// SPDX-License-Identifier: MIT
/* layout.c - the socket-layout parser; format in layout.h.
 *
 * The text is untrusted (fuzzed in tests/fuzz): every line is copied into a
 * bounded buffer before splitting, and no field is trusted for length.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "label.h"
#include "layout.h"
#include "util.h"

#define LAYOUT_MAX_FILE (64 * 1024)
#define LAYOUT_MAX_LINE 1024
#define LAYOUT_FIELDS 4

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split @line in place into at most @max fields; returns how many there
 * are (max + 1 if there are more). */
static size_t split_fields(char *line, char *f[], size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			return n;
		if (n == max)
			return max + 1;
		f[n++] = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

static bool valid_channel(const char *s)
{
	size_t len = strlen(s);

	if (len < 1 || len > 31)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

static const char *name_problem(const char *s)
{
	if (strlen(s) > 100)
		return "is longer than 100 bytes";
	if (strchr(s, '/'))
		return "contains '/' (give a file name: the directory comes from the command line)";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "is '.' or '..'";
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "contains a control character";
	return NULL;
}

/* Fill @ch from the fields of one line; @why gets the reason on error. */
static const char *parse_channel(char *f[LAYOUT_FIELDS], struct layout_channel *ch)
{
	static char why[sizeof(((struct ms_error *)0)->msg)];
	struct ms_error le;

	if (!valid_channel(f[0]))
		return "channel name must be 1-31 of [a-z0-9_-]";
	const char *bad = name_problem(f[1]);
	if (bad) {
		snprintf(why, sizeof(why), "socket name %s", bad);
		return why;
	}
	/* The same rule as --mode (src/lib/cli); the line number says where,
	 * so the reason stays in the layout's own words. 0 would mean "as the
	 * umask makes it" to sock_listen_path, and a socket nobody but root
	 * can reach is never what a layout wants. */
	if (cli_scan_mode(f[2], &ch->mode, NULL) < 0)
		return strspn(f[2], "0") == strlen(f[2]) && *f[2] ?
		       "mode 0 lets nobody but root connect: give e.g. 0660" :
		       "mode must be octal, at most 0777 (e.g. 0660)";
	if (strcmp(f[3], "-") != 0) {
		if (label_check_syntax(f[3], &le) < 0) {
			snprintf(why, sizeof(why), "%s", le.msg);
			return why;
		}
		snprintf(ch->context, sizeof(ch->context), "%s", f[3]);
	} else {
		ch->context[0] = '\0';
	}
	snprintf(ch->channel, sizeof(ch->channel), "%s", f[0]);
	snprintf(ch->name, sizeof(ch->name), "%s", f[1]);
	return NULL;
}

/* One line (without its newline): blank, comment or channel. */
static const char *parse_line(char *line, struct layout *out)
{
	char *f[LAYOUT_FIELDS];
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	size_t n = split_fields(line, f, LAYOUT_FIELDS);
	if (n == 0)
		return NULL;
	if (n != LAYOUT_FIELDS)
		return "expected 4 fields: CHANNEL SOCKET-NAME MODE CONTEXT (\"-\" for none)";
	if (out->n == LAYOUT_MAX_CHANNELS)
		return "too many channels (at most 16)";
	struct layout_channel ch = { 0 };
	const char *why = parse_channel(f, &ch);
	if (why)
		return why;
	if (layout_find(out, ch.channel))
		return "duplicate channel";
	out->ch[out->n++] = ch;
	return NULL;
}

int layout_parse(const char *text, size_t len, const char *filename,
		 struct layout *out, struct ms_error *e)
{
	char line[LAYOUT_MAX_LINE + 1];
	size_t lineno = 0;

	if (!filename)
		filename = "(layout)";
	memset(out, 0, sizeof(*out));
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t linelen = end - pos;

		lineno++;
		if (memchr(text + pos, '\0', linelen))
			return ms_fail(e, MS_EXIT_CONFIG, "%s:%zu: NUL byte in line",
				       filename, lineno);
		if (linelen > LAYOUT_MAX_LINE)
			return ms_fail(e, MS_EXIT_CONFIG, "%s:%zu: line longer than %d bytes",
				       filename, lineno, LAYOUT_MAX_LINE);
		memcpy(line, text + pos, linelen);
		line[linelen] = '\0';
		const char *why = parse_line(line, out);
		if (why)
			return ms_fail(e, MS_EXIT_CONFIG, "%s:%zu: %s", filename, lineno, why);
		pos = end + 1;
	}
	if (out->n == 0)
		return ms_fail(e, MS_EXIT_CONFIG, "%s:%zu: no channels defined",
			       filename, lineno);
	return 0;
}

int layout_load(const char *path, struct layout *out, struct ms_error *e)
{
	_cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct stat st;

	if (fd < 0)
		return ms_fail_errno(e, MS_EXIT_CONFIG, "cannot open layout file %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return ms_fail(e, MS_EXIT_CONFIG, "layout file %s is not a regular file", path);
	buf = malloc(LAYOUT_MAX_FILE + 1);
	if (!buf)
		return ms_fail_errno(e, MS_EXIT_SYS, "cannot read %s", path);
	for (;;) {
		ssize_t n = read(fd, buf + len, LAYOUT_MAX_FILE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ms_fail_errno(e, MS_EXIT_CONFIG, "cannot read layout file %s", path);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > LAYOUT_MAX_FILE)
			return ms_fail(e, MS_EXIT_CONFIG,
				       "layout file %s is larger than 64 KiB: is it the right file?",
				       path);
	}
	return layout_parse(buf, len, path, out, e);
}

const struct layout_channel *layout_find(const struct layout *l,
					 const char *channel)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->ch[i].channel, channel))
			return &l->ch[i];
	return NULL;
}
