// SPDX-License-Identifier: MIT
/* Unit tests for src/relay/opts.c: migsock-relay's command line. */

#include "check.h"
#include "../../src/relay/opts.h"

#define ARGV(...) ((char *[]){ "migsock-relay", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "x", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(act, o, e, ...) \
	relay_opts_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), act, o, e)

TEST(single_mode_defaults)
{
	struct relay_opts o;
	struct ms_error e = { 0 };

	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b") == RELAY_RUN);
	CHECK_STR_EQ(o.listen, "/a");
	CHECK_STR_EQ(o.connect, "/b");
	CHECK(o.drain_timeout == 30);
	CHECK(o.max_conns == 4096);
	CHECK(o.ready_fd == -1);
	CHECK(o.mode == 0);
	CHECK(o.uid == (uid_t)-1 && o.gid == (gid_t)-1);
	CHECK(o.log_format == RELAY_LOG_TEXT);
	CHECK(!o.no_sandbox && !o.require_label);
	CHECK(o.context == NULL && o.connect_context == NULL);
}

TEST(every_option_lands)
{
	struct relay_opts o;
	struct ms_error e = { 0 };

	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b",
		    "--context", "u:r:t:s0", "--connect-context", "u:r:c:s0",
		    "--require-label", "--mode", "0640", "--owner", "12:34",
		    "--allow-uid", "0,5", "--allow-gid", "7",
		    "--allow-context", "u:r:x:s0", "--allow-context", "u:r:y:s0",
		    "--ready-fd", "9", "--log-format", "json",
		    "--drain-timeout", "0", "--max-conns", "10",
		    "--no-sandbox") == RELAY_RUN);
	CHECK_STR_EQ(o.context, "u:r:t:s0");
	CHECK_STR_EQ(o.connect_context, "u:r:c:s0");
	CHECK(o.require_label && o.no_sandbox);
	CHECK(o.mode == 0640);
	CHECK(o.uid == 12 && o.gid == 34);
	CHECK(o.allow.n_uids == 2 && o.allow.uids[1] == 5);
	CHECK(o.allow.n_gids == 1 && o.allow.gids[0] == 7);
	CHECK(o.allow.n_contexts == 2);
	CHECK(o.ready_fd == 9);
	CHECK(o.log_format == RELAY_LOG_JSON);
	CHECK(o.drain_timeout == 0);
	CHECK(o.max_conns == 10);
}

TEST(layout_mode)
{
	struct relay_opts o;
	struct ms_error e = { 0 };

	CHECK(PARSE(false, &o, &e, "--layout", "f", "--listen-dir", "/a",
		    "--connect-dir", "/b", "--channels", "qemu,nbd") == RELAY_RUN);
	CHECK_STR_EQ(o.channels, "qemu,nbd");
	/* Activation: no --listen-dir needed. */
	CHECK(PARSE(true, &o, &e, "--layout", "f", "--connect-dir", "/b") == RELAY_RUN);
	CHECK(PARSE(false, &o, &e, "--layout", "f", "--connect-dir", "/b") == -1);
	CHECK(e.code == MS_EXIT_USAGE);
	CHECK(PARSE(false, &o, &e, "--layout", "f", "--listen-dir", "/a") == -1);
	CHECK(strstr(e.msg, "--connect-dir") != NULL);
}

TEST(conflicts_and_missing)
{
	struct relay_opts o;
	struct ms_error e = { 0 };

	CHECK(PARSE(false, &o, &e, "--listen", "/a") == -1);
	CHECK(e.code == MS_EXIT_USAGE && strstr(e.msg, "--connect"));
	CHECK(PARSE(false, &o, &e, "--connect", "/b") == -1);
	CHECK(strstr(e.msg, "--listen") != NULL);
	CHECK(PARSE(true, &o, &e, "--connect", "/b") == RELAY_RUN);
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b",
		    "--connect-dir", "/c") == -1);
	CHECK(strstr(e.msg, "exclude") != NULL);
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b",
		    "--channels", "qemu") == -1);
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b", "extra") == -1);
	CHECK(strstr(e.msg, "extra") != NULL);
}

TEST(bad_values)
{
	struct relay_opts o;
	struct ms_error e = { 0 };

	CHECK(PARSE(false, &o, &e, "--bogus") == -1);
	CHECK(e.code == MS_EXIT_USAGE && strstr(e.msg, "--bogus"));
	CHECK(PARSE(false, &o, &e, "--listen") == -1);
	CHECK(PARSE(false, &o, &e, "--mode", "0999", "--listen", "/a", "--connect", "/b") == -1);
	CHECK(strstr(e.msg, "--mode 0999") != NULL);
	CHECK(PARSE(false, &o, &e, "--log-format", "xml", "--listen", "/a", "--connect", "/b") == -1);
	CHECK(PARSE(false, &o, &e, "--max-conns", "0", "--listen", "/a", "--connect", "/b") == -1);
	CHECK(PARSE(false, &o, &e, "--ready-fd", "-1", "--listen", "/a", "--connect", "/b") == -1);
	CHECK(PARSE(false, &o, &e, "--drain-timeout", "1x", "--listen", "/a", "--connect", "/b") == -1);
	CHECK(PARSE(false, &o, &e, "--owner", "no-such-user-here", "--listen", "/a", "--connect", "/b") == -1);
	CHECK(PARSE(false, &o, &e, "--help") == RELAY_HELP);
	CHECK(PARSE(false, &o, &e, "-h") == RELAY_HELP);
	CHECK(PARSE(false, &o, &e, "--version") == RELAY_VERSION);
}

/* Each path option once: a second --listen used to win silently. */
TEST(path_options_once)
{
	struct relay_opts o;
	struct ms_error e = { 0 };

	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--listen", "/c", "--connect", "/b") == -1);
	CHECK(e.code == MS_EXIT_USAGE);
	CHECK(strstr(e.msg, "--listen given twice (/a, then /c)") == e.msg);
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b", "--connect", "/b") == -1);
	CHECK(strstr(e.msg, "--connect given twice") == e.msg);
	CHECK(PARSE(false, &o, &e, "--layout", "/x", "--layout", "/y", "--connect-dir", "/d") == -1);
}

/* Values go through src/lib/cli: the same line as the other binaries. */
TEST(value_messages)
{
	struct relay_opts o;
	struct ms_error e = { 0 };

	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b", "--mode", "0999") == -1);
	CHECK_STR_EQ(e.msg, "--mode 0999: expected an octal mode from 1 to 0777, e.g. 0660");
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b", "--max-conns", "0") == -1);
	CHECK_STR_EQ(e.msg, "--max-conns 0: expected a number from 1 to 1000000");
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b", "--owner", "no-such-user-here") == -1);
	CHECK_STR_EQ(e.msg, "--owner: unknown user 'no-such-user-here': give a uid number or an existing user name");
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b", "--log-format", "xml") == -1);
	CHECK_STR_EQ(e.msg, "--log-format xml: expected text or json");
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b", "--drain-timeout", "1.2") == RELAY_RUN);
	CHECK(o.drain_timeout == 2);
	CHECK(PARSE(false, &o, &e, "--listen", "/a", "--connect", "/b", "--drain-timeout", "2m") == RELAY_RUN);
	CHECK(o.drain_timeout == 120);
}

TEST(list_has)
{
	CHECK(relay_list_has(NULL, "qemu"));
	CHECK(relay_list_has("driver,qemu,nbd", "qemu"));
	CHECK(relay_list_has("driver,qemu,nbd", "nbd"));
	CHECK(!relay_list_has("driver,qemu,nbd", "qem"));
	CHECK(!relay_list_has("driver,qemux", "qemu"));
	CHECK(!relay_list_has("", "qemu"));
}

int main(void)
{
	RUN(single_mode_defaults);
	RUN(every_option_lands);
	RUN(layout_mode);
	RUN(conflicts_and_missing);
	RUN(bad_values);
	RUN(path_options_once);
	RUN(value_messages);
	RUN(list_has);
	return CHECK_DONE();
}
