/* SPDX-License-Identifier: MIT
 * util.h - small helpers every module uses: cleanup attributes (after
 * bubblewrap's utils.h), ownership transfer, array sizes.
 */
#ifndef MIGSOCK_UTIL_H
#define MIGSOCK_UTIL_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define UNUSED __attribute__((unused))

static inline void close_fdp(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* An fd closed when it goes out of scope unless stolen with steal_fd(). */
#define _cleanup_fd_ _cleanup_(close_fdp)
/* A heap pointer freed when it goes out of scope unless stolen. */
#define _cleanup_free_ _cleanup_(freep)

static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

static inline void *steal_pointer(void *pp)
{
	void **p = pp;
	void *r = *p;
	*p = NULL;
	return r;
}

#endif
