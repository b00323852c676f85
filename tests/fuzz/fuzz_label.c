// SPDX-License-Identifier: MIT
/* libFuzzer harness for the SELinux context syntax check (src/lib/label.c):
 * whatever it accepts has user:role:type, at most 255 bytes, and no byte a
 * shell, a log line or a path could trip on; whatever it refuses gets a
 * one-line MS_EXIT_LABEL message. */

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool accepted_shape(const char *s)
{
	size_t colons = 0;

	if (strlen(s) > 255)
		return false;
	for (const char *c = s; *c; c++) {
		if (!isalnum((unsigned char)*c) && !strchr("_.-:,", *c))
			return false;
		colons += *c == ':';
	}
	return colons >= 2 && s[0] != ':' && s[strlen(s) - 1] != ':';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_error e = { 0 };
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (label_check_syntax(s, &e) == 0) {
		if (!accepted_shape(s))
			abort();
	} else if (e.code != MS_EXIT_LABEL || strchr(e.msg, '\n') || !e.msg[0]) {
		abort();
	}
	free(s);
	return 0;
}
