// SPDX-License-Identifier: MIT
/* libFuzzer harness for socket activation's environment (src/lib/notify.c):
 * LISTEN_FDNAMES split into exactly LISTEN_FDS names, and the decimal
 * numbers of LISTEN_PID and LISTEN_FDS. The parsers are static: the file
 * is compiled into the harness. Input: one byte picks the name count
 * (0..NOTIFY_FDS_MAX+1), the rest is the variable's value. Whatever is
 * accepted gives names that are printable, without ':', at most 63 bytes,
 * and joined with ':' are the input again; whatever is refused is a usage
 * error with a message. Numbers: accepted means digits only, at most 10 of
 * them, and the value strtol reads, within the limit. */

#include <stdint.h>

#include "../../src/lib/notify.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_names(const char *s, int n)
{
	char names[NOTIFY_FDS_MAX][64];
	char joined[NOTIFY_FDS_MAX * 64 + 1];
	struct ms_error e = { 0 };
	size_t o = 0;

	if (n > NOTIFY_FDS_MAX) /* the caller never asks for more */
		return;
	if (parse_names(s, n, names, &e) < 0) {
		if (e.code != MS_EXIT_USAGE || !e.msg[0])
			abort();
		return;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		if (len > FDNAME_MAX || strchr(names[i], ':'))
			abort();
		for (size_t k = 0; k < len; k++)
			if (names[i][k] < 0x20 || names[i][k] > 0x7e)
				abort();
		if (i)
			joined[o++] = ':';
		memcpy(joined + o, names[i], len);
		o += len;
	}
	joined[o] = '\0';
	if (strcmp(joined, s) != 0)
		abort();
}

static void check_decimal(const char *s)
{
	long max = 0x7fffffff;
	long v = parse_decimal(s, max);

	if (v < 0)
		return;
	if (!*s || strlen(s) > 10 || strspn(s, "0123456789") != strlen(s))
		abort();
	if (strtol(s, NULL, 10) != v || v > max)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	check_names(s, data[0] % (NOTIFY_FDS_MAX + 2));
	check_decimal(s);
	free(s);
	return 0;
}
