// SPDX-License-Identifier: MIT
/* Unit tests for src/relay/setup.c: layout socket paths. */

#include "check.h"
#include "../../src/relay/relay.h"

TEST(join_path)
{
	char out[SOCKPATH_MAX + 1];
	struct ms_error e = { 0 };
	char dir[128];

	CHECK(relay_join_path(out, sizeof(out), "/run/migsock", "test-sock-qemu", &e) == 0);
	CHECK_STR_EQ(out, "/run/migsock/test-sock-qemu");
	/* Exactly the limit fits; one byte more is refused with both numbers. */
	memset(dir, 'd', sizeof(dir));
	dir[0] = '/';
	dir[SOCKPATH_MAX - 2] = '\0';
	CHECK(relay_join_path(out, sizeof(out), dir, "x", &e) == 0);
	CHECK(strlen(out) == SOCKPATH_MAX);
	CHECK(relay_join_path(out, sizeof(out), dir, "xy", &e) == -1);
	CHECK(e.code == MS_EXIT_PATH);
	CHECK(strstr(e.msg, "is 108 bytes, the limit is 107") != NULL);
}

int main(void)
{
	RUN(join_path);
	return CHECK_DONE();
}
