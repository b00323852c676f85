// SPDX-License-Identifier: MIT
/* libFuzzer harness for layout_parse (src/lib/layout.c): any bytes either
 * parse into channels that keep every rule of layout.h, or fail with one
 * line "FILE:LINE: reason" and MS_EXIT_CONFIG. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"
#include "layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_channel(const struct layout_channel *ch, const struct layout *l)
{
	size_t len = strlen(ch->channel);

	if (len < 1 || len > 31 ||
	    strspn(ch->channel, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		abort();
	if (!ch->name[0] || strlen(ch->name) > 100 || strchr(ch->name, '/') ||
	    !strcmp(ch->name, ".") || !strcmp(ch->name, ".."))
		abort();
	if (ch->mode == 0 || ch->mode > 0777)
		abort();
	if (ch->context[0] && label_check_syntax(ch->context, NULL) != 0)
		abort();
	if (layout_find(l, ch->channel) != ch) /* unique */
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layout l;
	struct ms_error e = { 0 };

	if (layout_parse((const char *)data, size, "f", &l, &e) == 0) {
		if (l.n == 0 || l.n > LAYOUT_MAX_CHANNELS)
			abort();
		for (size_t i = 0; i < l.n; i++)
			check_channel(&l.ch[i], &l);
		return 0;
	}
	if (e.code != MS_EXIT_CONFIG || strncmp(e.msg, "f:", 2) != 0 ||
	    strchr(e.msg, '\n'))
		abort();
	return 0;
}
