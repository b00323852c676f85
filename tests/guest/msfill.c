/* SPDX-License-Identifier: MIT
 * msfill - deterministic test data for the migsock test guest, and its
 * checksum. Built static by tests/guest/build; the same binary runs in the
 * guest (to fill RAM and to check RAM and disks) and on the host (to know
 * the expected checksums before the guest even boots).
 *
 *   msfill gen SEED MIB     write MIB MiB of pseudo-random data to stdout
 *   msfill sum FILE|-       print the checksum of FILE (or stdin)
 *   msfill counter FILE     tick: write 1, 2, 3... to FILE, 5 times a second
 *   msfill churn SEED MIB FILE
 *                           rewrite FILE (made by "gen SEED MIB") in place
 *                           with the same data, forever: dirties the pages
 *                           without changing the checksum, so migrations
 *                           must iterate (and post-copy has work to do)
 *
 * The data is xorshift64* from SEED: incompressible, so a migration has to
 * move every byte. The checksum is a 64-bit multiply-xorshift hash over
 * 8-byte words with the length mixed in: it is for catching corruption in
 * transit, not an adversary, and it runs fast under TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static uint64_t buf[CHUNK / sizeof(uint64_t)];

static int usage(void)
{
	fprintf(stderr, "usage: msfill gen SEED MIB | sum FILE | counter FILE | churn SEED MIB FILE\n");
	return 2;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next CHUNK bytes of the stream into buf. */
static void gen_chunk(uint64_t *x)
{
	for (size_t i = 0; i < CHUNK / sizeof(uint64_t); i++) {
		*x ^= *x >> 12;
		*x ^= *x << 25;
		*x ^= *x >> 27;
		buf[i] = *x * 0x2545F4914F6CDD1Dull;
	}
}

/* xorshift64* needs a non-zero state */
static uint64_t gen_seed(uint64_t seed)
{
	return seed * 0x9E3779B97F4A7C15ull + 1;
}

static int gen(uint64_t seed, unsigned long mib)
{
	uint64_t x = gen_seed(seed);

	for (unsigned long m = 0; m < mib; m++) {
		gen_chunk(&x);
		if (write_all(STDOUT_FILENO, buf, CHUNK) < 0) {
			fprintf(stderr, "msfill: write: %s\n", strerror(errno));
			return 111;
		}
	}
	return 0;
}

static int churn(uint64_t seed, unsigned long mib, const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "msfill: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		uint64_t x = gen_seed(seed);
		for (unsigned long m = 0; m < mib; m++) {
			gen_chunk(&x);
			if (pwrite(fd, buf, CHUNK, (off_t)m * CHUNK) != CHUNK) {
				fprintf(stderr, "msfill: rewrite %s: %s\n", path, strerror(errno));
				return 111;
			}
		}
	}
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static int sum(const char *path)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	uint64_t h = 0xcbf29ce484222325ull, len = 0;
	size_t have = 0;

	if (fd < 0) {
		fprintf(stderr, "msfill: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		ssize_t r = read(fd, (char *)buf + have, CHUNK - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "msfill: read %s: %s\n", path, strerror(errno));
			return 1;
		}
		have += (size_t)r;
		len += (uint64_t)r;
		if (r == 0 || have == CHUNK) {
			size_t words = have / sizeof(uint64_t);
			for (size_t i = 0; i < words; i++)
				h = mix(h, buf[i]);
			for (size_t i = words * sizeof(uint64_t); i < have; i++)
				h = mix(h, ((unsigned char *)buf)[i]);
			have = 0;
		}
		if (r == 0)
			break;
	}
	h = mix(h, len);
	printf("%016" PRIx64 "\n", h);
	return 0;
}

static int counter(const char *path)
{
	char tmp[4096], line[32];
	const struct timespec tick = { 0, 200 * 1000 * 1000 };

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return usage();
	for (uint64_t n = 1;; n++) {
		int len = snprintf(line, sizeof(line), "%" PRIu64 "\n", n);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write_all(fd, line, (size_t)len) < 0 ||
		    close(fd) < 0 || rename(tmp, path) < 0) {
			fprintf(stderr, "msfill: counter %s: %s\n", path, strerror(errno));
			return 111;
		}
		nanosleep(&tick, NULL);
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(strtoull(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "sum"))
		return sum(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "counter"))
		return counter(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "churn"))
		return churn(strtoull(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), argv[4]);
	return usage();
}
