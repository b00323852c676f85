// SPDX-License-Identifier: MIT
/* libFuzzer harness for the peer allow-lists (src/lib/peer.c), the owner,
 * mode and number parsers every command line shares (src/lib/cli.c) and
 * the relay's --channels list (src/relay/opts.c).
 * Input: one byte picks the parser, the rest is its text. Promises:
 * - --allow-uid/--allow-gid lists: accepted means one entry per
 *   comma-separated item (at most PEER_ALLOW_MAX), a numeric item gives its
 *   number, each listed id is admitted and an unlisted one is refused with
 *   a reason; refused means MS_EXIT_USAGE with a message, and nothing is
 *   half-added beyond the items before the bad one.
 * - owners (--owner, cli_scan_owner): accepted means a uid set, the gid
 *   set exactly when there is a ':', numbers read as numbers; refused
 *   means MS_EXIT_USAGE with a message and the outputs untouched.
 * - --allow-context: accepted only if the context syntax check accepts it,
 *   and then only that exact context is admitted.
 * - --mode: accepted means octal digits, 1..0777; numbers: accepted means
 *   decimal digits only, the value strtoull reads, within the range;
 *   relay_list_has finds exactly the comma-separated items. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "label.h"
#include "peer.h"
#include "../../src/relay/opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t items(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == ',';
	return n;
}

/* Is @item (len bytes) all digits and short enough to be read as a number? */
static bool numeric(const char *item, size_t len)
{
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++)
		if (item[i] < '0' || item[i] > '9')
			return false;
	return strtoull(item, NULL, 10) < 0xffffffffULL;
}

static void check_ids(const char *s, bool group)
{
	struct peer_allow a = { 0 };
	struct ms_error e = { 0 };
	int rc = group ? peer_allow_add_gids(&a, s, &e) : peer_allow_add_uids(&a, s, &e);
	size_t n = group ? a.n_gids : a.n_uids;

	if (rc < 0) {
		if (e.code != MS_EXIT_USAGE || !e.msg[0] || n >= items(s))
			abort();
		return;
	}
	if (n != items(s) || n > PEER_ALLOW_MAX)
		abort();
	const char *p = s;
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(p, ",");
		unsigned id = group ? a.gids[i] : a.uids[i];
		if (numeric(p, len) && strtoull(p, NULL, 10) != id)
			abort();
		struct peer_info peer = { .uid = group ? 0 : id, .gid = group ? id : 0 };
		char why[128];
		if (!peer_admitted(&a, &peer, why, sizeof(why)) || why[0])
			abort();
		p += len + 1;
	}
	/* An id nobody listed: the largest listed one plus one, if it fits. */
	unsigned max = 0;
	for (size_t i = 0; i < n; i++)
		max = (group ? a.gids[i] : a.uids[i]) > max ? (group ? a.gids[i] : a.uids[i]) : max;
	if (max < 0xfffffffeU) {
		struct peer_info peer = { .uid = group ? 0 : max + 1, .gid = group ? max + 1 : 0 };
		char why[128];
		if (peer_admitted(&a, &peer, why, sizeof(why)) || !strstr(why, "not allowed"))
			abort();
	}
}

static void check_owner(const char *s)
{
	struct ms_error e = { 0 };
	uid_t uid = 7;
	gid_t gid = 7;
	const char *colon = strchr(s, ':');

	if (cli_scan_owner(s, &uid, &gid, &e) < 0) {
		if (e.code != MS_EXIT_USAGE || !e.msg[0] || uid != 7 || gid != 7)
			abort();
		return;
	}
	if (uid == (uid_t)-1 || (colon ? gid == (gid_t)-1 : gid != (gid_t)-1))
		abort();
	if (numeric(s, colon ? (size_t)(colon - s) : strlen(s)) &&
	    strtoull(s, NULL, 10) != uid)
		abort();
}

static void check_context(const char *s)
{
	struct peer_allow a = { 0 };
	struct ms_error e = { 0 };

	if (peer_allow_add_context(&a, s, &e) < 0) {
		if (e.code != MS_EXIT_LABEL && e.code != MS_EXIT_USAGE)
			abort();
		if (!e.msg[0] || a.n_contexts != 0)
			abort();
		return;
	}
	if (label_check_syntax(s, NULL) != 0 || a.n_contexts != 1)
		abort();
	struct peer_info same = { 0 }, other = { 0 };
	char why[512];
	snprintf(same.context, sizeof(same.context), "%s", s);
	snprintf(other.context, sizeof(other.context), "x%s", s);
	if (strlen(s) < sizeof(same.context) && !peer_admitted(&a, &same, why, sizeof(why)))
		abort();
	if (peer_admitted(&a, &other, why, sizeof(why)))
		abort();
}

static void check_mode_list(const char *s)
{
	struct ms_error e = { 0 };
	mode_t m = 0;
	uint64_t v = 0;

	if (cli_scan_mode(s, &m, &e) == 0) {
		if (!*s || strspn(s, "01234567") != strlen(s) || m == 0 || m > 0777)
			abort();
		if ((unsigned long)m != strtoul(s, NULL, 8))
			abort();
	} else if (e.code != MS_EXIT_USAGE || !e.msg[0]) {
		abort();
	}
	if (cli_scan_uint(s, 1, 65535, "a number", &v, &e) == 0) {
		if (!*s || strspn(s, "0123456789") != strlen(s) || v < 1 || v > 65535 ||
		    strtoull(s, NULL, 10) != v)
			abort();
	}
	/* Every item of the list is in it; the list plus a suffix is not. */
	char *copy = strdup(s);
	if (!copy)
		return;
	for (char *save = NULL, *it = strtok_r(copy, ",", &save); it;
	     it = strtok_r(NULL, ",", &save)) {
		if (!relay_list_has(s, it))
			abort();
	}
	free(copy);
	/* A name longer than the whole list is none of its items. */
	size_t len = strlen(s);
	char *longer = malloc(len + 2);
	if (!longer)
		return;
	memcpy(longer, s, len);
	memcpy(longer + len, "z", 2);
	if (relay_list_has(s, longer))
		abort();
	free(longer);
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
	switch (data[0] % 5) {
	case 0: check_ids(s, false); break;
	case 1: check_ids(s, true); break;
	case 2: check_owner(s); break;
	case 3: check_context(s); break;
	case 4: check_mode_list(s); break;
	}
	free(s);
	return 0;
}
