/* SPDX-License-Identifier: MIT
 * check.h - the unit-test harness: each tests/unit/test_*.c is one program
 * with TEST() functions run from main() by RUN(); it exits 1 if any CHECK
 * failed, printing file:line and the failed expression.
 */
#ifndef MIGSOCK_CHECK_H
#define MIGSOCK_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(expr)                                                        \
	do {                                                               \
		check_count++;                                             \
		if (!(expr)) {                                             \
			check_failures++;                                  \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",        \
				__FILE__, __LINE__, #expr);                \
		}                                                          \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                 \
	do {                                                               \
		const char *check_a_ = (a), *check_b_ = (b);               \
		check_count++;                                             \
		if (strcmp(check_a_, check_b_) != 0) {                     \
			check_failures++;                                  \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n",         \
				__FILE__, __LINE__, check_a_, check_b_);   \
		}                                                          \
	} while (0)

#define TEST(name) static void name(void)
#define RUN(name)                                                          \
	do {                                                               \
		int before_ = check_failures;                              \
		name();                                                    \
		printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #name); \
	} while (0)

#define CHECK_DONE()                                                       \
	(printf("%d checks, %d failed\n", check_count, check_failures),    \
	 check_failures ? 1 : 0)

#endif
