// SPDX-License-Identifier: MIT
/* Unit tests for src/relay/report.c: the per-connection log line in text
 * and JSON, and notices. */

#include "check.h"
#include "../../src/relay/report.h"

static const struct conn_summary sample = {
	.id = 7, .channel = "qemu", .pid = 1234, .uid = 107, .gid = 36,
	.bytes_up = 1048576, .bytes_down = 42, .duration_us = 2345678,
	.end = "closed", .detail = "",
};

TEST(text_line)
{
	char buf[512];

	report_format_conn(buf, sizeof(buf), RELAY_LOG_TEXT, &sample);
	CHECK_STR_EQ(buf, "conn 7 qemu: pid 1234 uid 107 gid 36, 1048576 bytes up, 42 bytes down, 2.345s, closed");
	struct conn_summary s = sample;
	s.end = "reset";
	s.detail = "upstream to client: Broken pipe";
	report_format_conn(buf, sizeof(buf), RELAY_LOG_TEXT, &s);
	CHECK(strstr(buf, ", reset: upstream to client: Broken pipe") != NULL);
}

TEST(json_line)
{
	char buf[1024];

	report_format_conn(buf, sizeof(buf), RELAY_LOG_JSON, &sample);
	CHECK_STR_EQ(buf, "{\"event\":\"conn\",\"id\":7,\"channel\":\"qemu\",\"pid\":1234,"
		     "\"uid\":107,\"gid\":36,\"bytes_up\":1048576,\"bytes_down\":42,"
		     "\"duration_ms\":2345,\"end\":\"closed\",\"detail\":\"\"}");
	/* Strings are escaped: a hostile socket name cannot break the line. */
	struct conn_summary s = sample;
	s.channel = "a\"b\nc";
	s.uid = (uid_t)-1;
	report_format_conn(buf, sizeof(buf), RELAY_LOG_JSON, &s);
	CHECK(strstr(buf, "\"channel\":\"a\\\"b\\u000ac\"") != NULL);
	CHECK(strstr(buf, "\"uid\":-1") != NULL);
	CHECK(strchr(buf, '\n') == NULL);
}

TEST(messages)
{
	char buf[512];

	report_format_msg(buf, sizeof(buf), RELAY_LOG_TEXT, "warn", "refused", "qemu: refused");
	CHECK_STR_EQ(buf, "qemu: refused");
	report_format_msg(buf, sizeof(buf), RELAY_LOG_JSON, "warn", "refused", "say \"no\"");
	CHECK_STR_EQ(buf, "{\"event\":\"refused\",\"level\":\"warn\",\"msg\":\"say \\\"no\\\"\"}");
}

int main(void)
{
	RUN(text_line);
	RUN(json_line);
	RUN(messages);
	return CHECK_DONE();
}
