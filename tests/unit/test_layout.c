// SPDX-License-Identifier: MIT
/* Unit tests for src/lib/layout.c: the shipped layout, and one test per
 * kind of malformed line ("FILE:LINE: reason", MS_EXIT_CONFIG). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "layout.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static int parse(const char *text, struct layout *l, struct ms_error *e)
{
	return layout_parse(text, strlen(text), "t.layout", l, e);
}

TEST(shipped_layout)
{
	struct layout l;
	struct ms_error e = { 0 };

	CHECK(layout_load(TOP_SRCDIR "/sockets/migration.layout", &l, &e) == 0);
	if (e.msg[0])
		fprintf(stderr, "  %s\n", e.msg);
	CHECK(l.n == 3);
	const struct layout_channel *q = layout_find(&l, "qemu");
	CHECK(q != NULL);
	if (q) {
		CHECK_STR_EQ(q->name, "test-sock-qemu");
		CHECK(q->mode == 0660);
		CHECK_STR_EQ(q->context, "system_u:object_r:svirt_socket_t:s0");
	}
	CHECK(layout_find(&l, "driver") && layout_find(&l, "nbd"));
	CHECK(layout_find(&l, "nope") == NULL);
}

TEST(comments_blanks_and_dash)
{
	struct layout l;
	struct ms_error e = { 0 };
	const char *t = "# header\n\n  \t\n"
			"a  s-a  0600  -   # trailing comment\n"
			"b\ts-b\t640\tsystem_u:object_r:t_t:s0\r\n"
			"c s-c 7 -";   /* no final newline */

	CHECK(parse(t, &l, &e) == 0);
	CHECK(l.n == 3);
	CHECK_STR_EQ(l.ch[0].context, "");
	CHECK(l.ch[0].mode == 0600);
	CHECK(l.ch[1].mode == 0640);
	CHECK_STR_EQ(l.ch[1].context, "system_u:object_r:t_t:s0");
	CHECK_STR_EQ(l.ch[2].name, "s-c");
	CHECK(l.ch[2].mode == 07);
}

/* Each malformed line is refused with the file, its line and a reason. */
TEST(malformed_lines)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "ok a 0660 -\nqemu sock 0660\n", "t.layout:2: expected 4 fields" },
		{ "qemu sock 0660 - extra\n", "t.layout:1: expected 4 fields" },
		{ "Qemu sock 0660 -\n", "t.layout:1: channel name" },
		{ "qemu.x sock 0660 -\n", "t.layout:1: channel name" },
		{ "abcdefghijabcdefghijabcdefghij12 s 0660 -\n", "t.layout:1: channel name" },
		{ "qemu a/b 0660 -\n", "t.layout:1: socket name contains '/'" },
		{ "qemu .. 0660 -\n", "t.layout:1: socket name is '.' or '..'" },
		{ "qemu . 0660 -\n", "t.layout:1: socket name is '.' or '..'" },
		{ "qemu s 0668 -\n", "t.layout:1: mode must be octal" },
		{ "qemu s 01777 -\n", "t.layout:1: mode must be octal" },
		{ "qemu s rw -\n", "t.layout:1: mode must be octal" },
		{ "qemu s -660 -\n", "t.layout:1: mode must be octal" },
		{ "qemu s 0000 -\n", "t.layout:1: mode 0 lets nobody but root connect" },
		{ "qemu s 0660 system_u:object_r\n", "t.layout:1: SELinux context" },
		{ "a s 0660 -\n#\na t 0660 -\n", "t.layout:3: duplicate channel" },
		{ "# only comments\n\n", "t.layout:2: no channels defined" },
		{ "", "t.layout:0: no channels defined" },
	};
	struct layout l;
	struct ms_error e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.code = 0;
		e.msg[0] = '\0';
		CHECK(parse(cases[i].text, &l, &e) == -1);
		CHECK(e.code == MS_EXIT_CONFIG);
		if (strncmp(e.msg, cases[i].want, strlen(cases[i].want)) != 0) {
			check_failures++;
			fprintf(stderr, "  case %zu: got '%s', want '%s...'\n", i, e.msg,
				cases[i].want);
		}
	}
}

TEST(long_name_and_line_limits)
{
	struct layout l;
	struct ms_error e = { 0 };
	char t[2048];

	/* A 100-byte name is the limit; 101 is refused. */
	snprintf(t, sizeof(t), "q %0100d 0660 -\n", 0);
	CHECK(parse(t, &l, &e) == 0);
	CHECK(strlen(l.ch[0].name) == 100);
	snprintf(t, sizeof(t), "q %0101d 0660 -\n", 0);
	CHECK(parse(t, &l, &e) == -1);
	CHECK(strstr(e.msg, "t.layout:1: socket name is longer than 100 bytes") != NULL);

	memset(t, 'x', 1500);
	t[1500] = '\0';
	CHECK(parse(t, &l, &e) == -1);
	CHECK(strstr(e.msg, "t.layout:1: line longer") != NULL);

	/* A NUL byte inside the text is refused, not silently cut. */
	static const char nul[] = "a s 0660 -\nb s\0x 0660 -\n";
	CHECK(layout_parse(nul, sizeof(nul) - 1, "t.layout", &l, &e) == -1);
	CHECK(strstr(e.msg, "t.layout:2: NUL byte") != NULL);
}

TEST(too_many_channels)
{
	struct layout l;
	struct ms_error e = { 0 };
	char t[4096];
	size_t off = 0;

	for (int i = 0; i < LAYOUT_MAX_CHANNELS + 1; i++)
		off += (size_t)snprintf(t + off, sizeof(t) - off, "c%d s%d 0660 -\n", i, i);
	CHECK(parse(t, &l, &e) == -1);
	CHECK(strstr(e.msg, "t.layout:17: too many channels") != NULL);
}

TEST(load_errors)
{
	struct layout l;
	struct ms_error e = { 0 };
	char p[] = "/tmp/msl.XXXXXX";

	CHECK(layout_load("/nonexistent/x.layout", &l, &e) == -1);
	CHECK(e.code == MS_EXIT_CONFIG && strstr(e.msg, "/nonexistent/x.layout"));
	CHECK(layout_load("/tmp", &l, &e) == -1);
	CHECK(strstr(e.msg, "not a regular file") != NULL);

	int fd = mkstemp(p);
	CHECK(fd >= 0);
	CHECK(write(fd, "a s 0660 -\nb\n", 13) == 13);
	close(fd);
	CHECK(layout_load(p, &l, &e) == -1);
	char want[64];
	snprintf(want, sizeof(want), "%s:2: expected 4 fields", p);
	CHECK(strncmp(e.msg, want, strlen(want)) == 0);

	/* Larger than 64 KiB: refused. */
	FILE *f = fopen(p, "w");
	for (int i = 0; f && i < 7000; i++)
		fputs("# padding\n", f);
	if (f)
		fclose(f);
	CHECK(layout_load(p, &l, &e) == -1);
	CHECK(strstr(e.msg, "larger than 64 KiB") != NULL);
	unlink(p);
}

int main(void)
{
	RUN(shipped_layout);
	RUN(comments_blanks_and_dash);
	RUN(malformed_lines);
	RUN(long_name_and_line_limits);
	RUN(too_many_channels);
	RUN(load_errors);
	return CHECK_DONE();
}
