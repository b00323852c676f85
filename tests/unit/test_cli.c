// SPDX-License-Identifier: MIT
/* Unit tests for src/lib/cli.c (the shared command-line layer) and
 * ms_error_wrap in src/lib/log.c. */

#include <getopt.h>
#include <stdlib.h>

#include "check.h"
#include "cli.h"

TEST(uint_range_and_syntax)
{
	struct ms_error e = { 0 };
	uint64_t v = 7;

	CHECK(cli_scan_uint("42", 1, 100, "a number", &v, &e) == 0 && v == 42);
	CHECK(cli_scan_uint("0", 0, 0, "a number", &v, &e) == 0 && v == 0);
	CHECK(cli_scan_uint("18446744073709551615", 0, UINT64_MAX, "a number", &v, &e) == 0 &&
	      v == UINT64_MAX);
	static const char *const bad[] = { "", "+1", "-1", " 1", "1 ", "0x10",
					   "1e3", "101", "18446744073709551616", "abc" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		e.code = 0;
		CHECK(cli_scan_uint(bad[i], 0, 100, "a number", &v, &e) == -1);
		CHECK(v == 7 && e.code == MS_EXIT_USAGE);
	}
	CHECK(cli_scan_uint(NULL, 0, 100, "a number", &v, &e) == -1);
	CHECK_STR_EQ(e.msg, "expected a number from 0 to 100");
	CHECK(cli_scan_uint("0", 1, 100, "a number", &v, &e) == -1);
}

TEST(opt_messages_name_option_and_value)
{
	struct ms_error e = { 0 };
	unsigned u;
	int i;

	CHECK(cli_opt_unsigned("--max-conns", "0", 1, 1000000, "a number", &u, &e) == -1);
	CHECK_STR_EQ(e.msg, "--max-conns 0: expected a number from 1 to 1000000");
	CHECK(cli_opt_int("--ready-fd", "stdout", 0, 2147483647, "a file descriptor number", &i, &e) == -1);
	CHECK_STR_EQ(e.msg, "--ready-fd stdout: expected a file descriptor number from 0 to 2147483647");
	CHECK(cli_opt_int("--x", "-5", -10, 10, "a number", &i, &e) == 0 && i == -5);
	CHECK(cli_opt_int("--x", "-11", -10, 10, "a number", &i, &e) == -1);
	CHECK_STR_EQ(e.msg, "--x -11: expected a number from -10 to 10");
	CHECK(cli_opt_int("--x", "-", -10, 10, "a number", &i, &e) == -1);
	CHECK(cli_opt_int("--x", "2147483648", 0, 2147483647, "a number", &i, &e) == -1);
	CHECK(cli_opt_int("--x", "2147483647", 0, 2147483647, "a number", &i, &e) == 0 &&
	      i == 2147483647);
}

TEST(seconds_with_units)
{
	struct ms_error e = { 0 };
	double v;

	CHECK(cli_scan_seconds("5", 0, 60, &v, &e) == 0 && v == 5);
	CHECK(cli_scan_seconds("0.5", 0, 60, &v, &e) == 0 && v == 0.5);
	CHECK(cli_scan_seconds("250ms", 0, 60, &v, &e) == 0 && v > 0.2499 && v < 0.2501);
	CHECK(cli_scan_seconds("30s", 0, 60, &v, &e) == 0 && v == 30);
	CHECK(cli_scan_seconds("1m", 0, 60, &v, &e) == 0 && v == 60);
	CHECK(cli_scan_seconds("1h", 0, 86400, &v, &e) == 0 && v == 3600);
	static const char *const bad[] = { "", "soon", "-1", "1.", ".", "5x", "5 s",
					   "2m", "1e3", "nan", "inf", "0.1234567890" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(cli_scan_seconds(bad[i], 0, 60, &v, &e) == -1);
	CHECK(cli_opt_seconds("--timeout", "soon", 0, 86400, &v, &e) == -1);
	CHECK_STR_EQ(e.msg, "--timeout soon: expected seconds from 0 to 86400 (e.g. 5, 0.5, 250ms, 2m)");
}

TEST(sizes_with_units)
{
	struct ms_error e = { 0 };
	uint64_t v;

	CHECK(cli_scan_size("4096", 1, UINT64_MAX, &v, &e) == 0 && v == 4096);
	CHECK(cli_scan_size("64K", 1, UINT64_MAX, &v, &e) == 0 && v == 65536);
	CHECK(cli_scan_size("2MiB", 1, UINT64_MAX, &v, &e) == 0 && v == 2u << 20);
	CHECK(cli_scan_size("1G", 1, UINT64_MAX, &v, &e) == 0 && v == 1u << 30);
	CHECK(cli_scan_size("3T", 1, UINT64_MAX, &v, &e) == 0 && v == 3ull << 40);
	CHECK(cli_scan_size("1P", 1, UINT64_MAX, &v, &e) == -1);
	CHECK(cli_scan_size("1Kb", 1, UINT64_MAX, &v, &e) == -1);
	CHECK(cli_scan_size("K", 1, UINT64_MAX, &v, &e) == -1);
	CHECK(cli_scan_size("17179869184G", 1, UINT64_MAX, &v, &e) == -1); /* overflows */
	CHECK(cli_scan_size("2K", 1, 1024, &v, &e) == -1);
	CHECK(cli_opt_size("--buf", "0", 1, 1024, &v, &e) == -1);
	CHECK(strncmp(e.msg, "--buf 0: expected a size in bytes from 1 to 1024", 48) == 0);
}

TEST(modes)
{
	struct ms_error e = { 0 };
	mode_t m = 0;

	CHECK(cli_scan_mode("660", &m, &e) == 0 && m == 0660);
	CHECK(cli_scan_mode("0600", &m, &e) == 0 && m == 0600);
	CHECK(cli_scan_mode("1", &m, &e) == 0 && m == 01);
	CHECK(cli_scan_mode("0777", &m, &e) == 0 && m == 0777);
	static const char *const bad[] = { "0", "0000", "8", "0999", "1777", "04777",
					   "", "rw", "00660", "-660", "+660" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = 0123;
		CHECK(cli_scan_mode(bad[i], &m, &e) == -1 && m == 0123);
	}
	CHECK(cli_opt_mode("--mode", "0999", &m, &e) == -1);
	CHECK_STR_EQ(e.msg, "--mode 0999: expected an octal mode from 1 to 0777, e.g. 0660");
	CHECK(e.code == MS_EXIT_USAGE);
}

TEST(owners)
{
	struct ms_error e = { 0 };
	uid_t u = 5;
	gid_t g = 5;

	CHECK(cli_scan_owner("0", &u, &g, &e) == 0 && u == 0 && g == (gid_t)-1);
	CHECK(cli_scan_owner("root:7", &u, &g, &e) == 0 && u == 0 && g == 7);
	CHECK(cli_scan_owner("65534:root", &u, &g, &e) == 0 && u == 65534 && g == 0);
	CHECK(cli_scan_user("4294967294", &u, &e) == 0 && u == 4294967294u);
	/* (uid_t)-1 means "unchanged" to chown: never a uid. */
	CHECK(cli_scan_user("4294967295", &u, &e) == -1);
	static const char *const bad[] = { "", ":5", "0:", "nosuchuser-xyz",
					   "0:nosuchgroup-xyz" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.code = 0;
		u = 5;
		CHECK(cli_scan_owner(bad[i], &u, &g, &e) == -1);
		CHECK(e.code == MS_EXIT_USAGE && u == 5);
	}
	CHECK_STR_EQ(e.msg, "unknown group 'nosuchgroup-xyz': give a gid number or an existing group name");
	CHECK(cli_opt_owner("--owner", "nosuchuser-xyz", &u, &g, &e) == -1);
	CHECK_STR_EQ(e.msg, "--owner: unknown user 'nosuchuser-xyz': give a uid number or an existing user name");
	CHECK(cli_opt_owner("--owner", ":5", &u, &g, &e) == -1);
	CHECK_STR_EQ(e.msg, "--owner: owner ':5' is malformed: give USER[:GROUP], numbers or names");
}

TEST(words)
{
	static const char *const fmts[] = { "text", "json", NULL };
	static const char *const three[] = { "a", "b", "c", NULL };
	struct ms_error e = { 0 };

	CHECK(cli_opt_word("--log-format", "json", fmts, &e) == 1);
	CHECK(cli_opt_word("--log-format", "xml", fmts, &e) == -1);
	CHECK_STR_EQ(e.msg, "--log-format xml: expected text or json");
	CHECK(cli_opt_word("--x", "d", three, &e) == -1);
	CHECK_STR_EQ(e.msg, "--x d: expected a, b or c");
}

TEST(getopt_errors)
{
	struct ms_error e = { 0 };
	char *argv[] = { "prog", "--frob", NULL };
	char *argv2[] = { "prog", "-qx", NULL };
	static const struct option lo[] = { { "ok", no_argument, NULL, 1 }, { 0 } };

	optind = 0;
	opterr = 0;
	CHECK(getopt_long(2, argv, "+q", lo, NULL) == '?');
	CHECK(cli_bad_option(argv, &e) == -1);
	CHECK_STR_EQ(e.msg, "bad option --frob (unknown, or missing its argument): try --help");
	optind = 0;
	CHECK(getopt_long(2, argv2, "+q", lo, NULL) == 'q');
	CHECK(getopt_long(2, argv2, "+q", lo, NULL) == '?');
	cli_bad_option(argv2, &e);
	CHECK_STR_EQ(e.msg, "bad option -x (unknown, or missing its argument): try --help");
	cli_unexpected_argument("extra", &e);
	CHECK_STR_EQ(e.msg, "unexpected argument extra: try --help");
	CHECK(e.code == MS_EXIT_USAGE);
}

/* One rule: --layout, else a non-empty MIGSOCK_LAYOUT, else installed. */
TEST(layout_file_rule)
{
	struct ms_error e = { 0 };
	struct layout l;

	unsetenv("MIGSOCK_LAYOUT");
	CHECK_STR_EQ(cli_layout_file(NULL), LAYOUT_DEFAULT_PATH);
	CHECK_STR_EQ(cli_layout_file("/given"), "/given");
	setenv("MIGSOCK_LAYOUT", "", 1);
	CHECK_STR_EQ(cli_layout_file(NULL), LAYOUT_DEFAULT_PATH);
	setenv("MIGSOCK_LAYOUT", "/env/x.layout", 1);
	CHECK_STR_EQ(cli_layout_file(NULL), "/env/x.layout");
	CHECK_STR_EQ(cli_layout_file("/given"), "/given");

	/* The error says where the path came from. */
	CHECK(cli_layout_load(NULL, &l, &e) == -1 && e.code == MS_EXIT_CONFIG);
	CHECK_STR_EQ(e.msg, "cannot open layout file /env/x.layout: No such file or directory (from MIGSOCK_LAYOUT)");
	CHECK(cli_layout_load("/nonexistent/y", &l, &e) == -1);
	CHECK_STR_EQ(e.msg, "cannot open layout file /nonexistent/y: No such file or directory");
	setenv("MIGSOCK_LAYOUT", "sockets/migration.layout", 1);
	CHECK(cli_layout_load(NULL, &l, &e) == 0 && layout_find(&l, "driver"));
	unsetenv("MIGSOCK_LAYOUT");
}

TEST(version)
{
	CHECK_STR_EQ(cli_version(), MIGSOCK_VERSION);
	CHECK(cli_version()[0] >= '0' && cli_version()[0] <= '9');
}

TEST(error_wrap)
{
	struct ms_error e = { 0 };
	char longmsg[600];

	ms_fail(&e, MS_EXIT_PATH, "socket path /x is 120 bytes");
	CHECK(ms_error_wrap(&e, "--connect") == -1);
	CHECK_STR_EQ(e.msg, "--connect: socket path /x is 120 bytes");
	CHECK(e.code == MS_EXIT_PATH);
	CHECK(ms_error_wrap(&e, "channel %s", "qemu") == -1);
	CHECK_STR_EQ(e.msg, "channel qemu: --connect: socket path /x is 120 bytes");
	CHECK(ms_error_wrap(NULL, "ignored") == -1);
	/* An unset code becomes the system-error code, never 0 (success). */
	struct ms_error z = { 0 };
	ms_error_wrap(&z, "context");
	CHECK(z.code == MS_EXIT_SYS);
	CHECK_STR_EQ(z.msg, "context");
	/* Overlong: the context survives, the old message is cut. */
	memset(longmsg, 'a', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	ms_fail(&e, MS_EXIT_USAGE, "%s", longmsg);
	ms_error_wrap(&e, "front");
	CHECK(strncmp(e.msg, "front: aaa", 10) == 0);
	CHECK(strlen(e.msg) == sizeof(e.msg) - 1);
}

int main(void)
{
	RUN(uint_range_and_syntax);
	RUN(opt_messages_name_option_and_value);
	RUN(seconds_with_units);
	RUN(sizes_with_units);
	RUN(modes);
	RUN(owners);
	RUN(words);
	RUN(getopt_errors);
	RUN(layout_file_rule);
	RUN(version);
	RUN(error_wrap);
	return CHECK_DONE();
}
