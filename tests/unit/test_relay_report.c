// SPDX-License-Identifier: MIT
/* Unit tests for src/relay/report.c: the per-connection log line in text
 * and JSON, structured events, and which connections stay out of the log. */

#include "check.h"
#include "../../src/relay/report.h"

#define TS "2026-12-03T16:50:00.123Z"

static const struct conn_summary sample = {
	.id = 7, .channel = "qemu", .pid = 1234, .uid = 107, .gid = 36,
	.bytes_up = 1048576, .bytes_down = 42, .duration_us = 2345678,
	.end = "closed", .detail = "",
};

TEST(text_line)
{
	char buf[512];

	report_format_conn(buf, sizeof(buf), RELAY_LOG_TEXT, TS, &sample);
	CHECK_STR_EQ(buf, "conn 7 qemu: pid 1234 uid 107 gid 36, 1048576 bytes up, 42 bytes down, 2.345s, closed");
	struct conn_summary s = sample;
	s.end = "reset";
	s.detail = "upstream to client: Broken pipe";
	report_format_conn(buf, sizeof(buf), RELAY_LOG_TEXT, TS, &s);
	CHECK(strstr(buf, ", reset: upstream to client: Broken pipe") != NULL);
}

TEST(json_line)
{
	char buf[1024];

	report_format_conn(buf, sizeof(buf), RELAY_LOG_JSON, TS, &sample);
	CHECK_STR_EQ(buf, "{\"ts\":\"" TS "\",\"level\":\"info\",\"event\":\"conn\","
		     "\"id\":7,\"channel\":\"qemu\",\"pid\":1234,"
		     "\"uid\":107,\"gid\":36,\"bytes_up\":1048576,\"bytes_down\":42,"
		     "\"duration_ms\":2345,\"end\":\"closed\",\"detail\":\"\","
		     "\"msg\":\"conn 7 qemu: pid 1234 uid 107 gid 36, 1048576 bytes up, "
		     "42 bytes down, 2.345s, closed\"}");
	/* Strings are escaped: a hostile socket name cannot break the line. */
	struct conn_summary s = sample;
	s.channel = "a\"b\nc";
	s.uid = (uid_t)-1;
	report_format_conn(buf, sizeof(buf), RELAY_LOG_JSON, TS, &s);
	CHECK(strstr(buf, "\"channel\":\"a\\\"b\\u000ac\"") != NULL);
	CHECK(strstr(buf, "\"uid\":-1") != NULL);
	CHECK(strchr(buf, '\n') == NULL);
}

TEST(events)
{
	char buf[1024];
	const struct report_field f[] = {
		RF_STR("channel", "driver"), RF_NUM("open", 3),
		RF_RAW("allow_uids", "[0,107]"), RF_STR("none", NULL),
	};

	report_format_event(buf, sizeof(buf), RELAY_LOG_TEXT, TS, "warn", "x", f, 4, "the text");
	CHECK_STR_EQ(buf, "the text");
	report_format_event(buf, sizeof(buf), RELAY_LOG_JSON, TS, "warn", "x", f, 4, "say \"no\"");
	CHECK_STR_EQ(buf, "{\"ts\":\"" TS "\",\"level\":\"warn\",\"event\":\"x\","
		     "\"channel\":\"driver\",\"open\":3,\"allow_uids\":[0,107],\"none\":\"\","
		     "\"msg\":\"say \\\"no\\\"\"}");
	/* Too long for the buffer: cut, but still one line ending in '}'. */
	char small[64];
	report_format_event(small, sizeof(small), RELAY_LOG_JSON, TS, "info", "x", f, 4,
			    "a long message that does not fit in sixty-four bytes at all");
	CHECK(strlen(small) == sizeof(small) - 1 && small[sizeof(small) - 2] == '}');
}

/* A probe (nothing moved, closed by the client) is counted, not logged. */
TEST(probes)
{
	struct conn_summary s = sample;

	CHECK(!report_is_probe(&s));
	s.bytes_up = s.bytes_down = 0;
	CHECK(report_is_probe(&s));
	s.end = "refused";
	CHECK(!report_is_probe(&s));
	s.end = "reset";
	CHECK(!report_is_probe(&s));
}

/* The closing lines as written to stderr, with repeated silent refusals
 * left out and counted when the channel serves again. */
TEST(refusals_in_a_row)
{
	FILE *saved = stderr, *tmp = tmpfile();
	char out[4096];
	struct conn_summary s = sample;

	s.bytes_up = s.bytes_down = 0;
	s.end = "refused";
	s.detail = "no socket at /x: start the listener first";
	stderr = tmp;
	report_init(RELAY_LOG_TEXT);
	report_conn(&s);
	report_conn(&s);
	report_conn(&s);
	s.end = "closed";
	s.detail = "";
	report_conn(&s); /* a probe: back, but not itself logged */
	s.bytes_up = 5;
	report_conn(&s);
	stderr = saved;
	rewind(tmp);
	size_t n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	CHECK(strstr(out, "refused: no socket at /x") != NULL);
	CHECK(strstr(strstr(out, "refused: no socket") + 1, "refused: no socket") == NULL);
	CHECK(strstr(out, "qemu: upstream accepts again (2 more refused connections were not logged)") != NULL);
	CHECK(strstr(out, "5 bytes up") != NULL);
	int lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	CHECK(lines == 3);
}

int main(void)
{
	RUN(text_line);
	RUN(json_line);
	RUN(events);
	RUN(probes);
	RUN(refusals_in_a_row);
	return CHECK_DONE();
}
