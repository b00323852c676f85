// SPDX-License-Identifier: MIT
/* Unit tests for src/lib/log.c: the error object and JSON escaping. */

#include "check.h"
#include "log.h"

TEST(fail_fills_error)
{
	struct ms_error e = { 0 };

	CHECK(ms_fail(&e, MS_EXIT_PATH, "socket path %s is %d bytes", "x", 3) == -1);
	CHECK(e.code == MS_EXIT_PATH);
	CHECK_STR_EQ(e.msg, "socket path x is 3 bytes");
	CHECK(ms_fail(NULL, MS_EXIT_PATH, "ignored") == -1);
}

TEST(json_escape_quotes_and_controls)
{
	char out[64];

	CHECK_STR_EQ(json_escape("a\"b\\c\n", out, sizeof(out)), "a\\\"b\\\\c\\u000a");
	CHECK_STR_EQ(json_escape("", out, sizeof(out)), "");
	/* Truncation never splits the output past the buffer. */
	char small[8];
	json_escape("abcdefghijkl", small, sizeof(small));
	CHECK(strlen(small) < sizeof(small));
}

/* What log_error() writes to stderr for @msg. */
static void logged(const char *msg, char *buf, size_t len)
{
	FILE *saved = stderr, *tmp = tmpfile();

	stderr = tmp;
	log_error("%s", msg);
	stderr = saved;
	rewind(tmp);
	size_t n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

TEST(messages_are_one_line)
{
	char buf[256];

	log_init("/usr/bin/migsock-test");
	logged("failed: internal error: qemu closed\n  load failed\n", buf, sizeof(buf));
	CHECK_STR_EQ(buf, "migsock-test: failed: internal error: qemu closed; load failed\n");
	logged("a\r\n\r\nb", buf, sizeof(buf));
	CHECK_STR_EQ(buf, "migsock-test: a; b\n");
}

int main(void)
{
	RUN(fail_fills_error);
	RUN(json_escape_quotes_and_controls);
	RUN(messages_are_one_line);
	return CHECK_DONE();
}
