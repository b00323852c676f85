/* SPDX-License-Identifier: MIT
 * sandbox.h - the isolation a long-running migsock process enters once its
 * sockets exist (after passt's isolation.c):
 *
 *  stage 1 (sandbox_enter): drop every capability from all sets and the
 *          bounding set (libcap), set no_new_privs, then load a seccomp
 *          filter (libseccomp) whose default action kills the process.
 *
 * The allow-list is not kept here: each module declares the syscalls it
 * needs beside the code that makes them, with SANDBOX_SYSCALLS(), and the
 * linker gathers the lists of the modules a binary actually links.
 * Afterwards /proc/self/status shows Seccomp: 2, NoNewPrivs: 1, CapEff: 0.
 */
#ifndef MIGSOCK_SANDBOX_H
#define MIGSOCK_SANDBOX_H

#include <stdbool.h>
#include <sys/syscall.h>

#include "log.h"

#define SB_CAT2(a, b) a##b
#define SB_CAT(a, b) SB_CAT2(a, b)

/* Declare syscalls (as __NR_x numbers) a module needs once sandboxed:
 *   SANDBOX_SYSCALLS(__NR_splice, __NR_pipe2);
 * Entries land in the "migsock_syscalls" section; sandbox.c walks it. */
#define SANDBOX_SYSCALLS(...)                                          \
	static const int SB_CAT(sandbox_syscalls_, __LINE__)[]           \
		__attribute__((used, section("migsock_syscalls"),        \
			       aligned(sizeof(int)))) = { __VA_ARGS__ }

struct sandbox_opts {
	bool disabled;   /* --no-sandbox: debugging only, logs a warning */
	bool log_only;   /* seccomp SCMP_ACT_LOG instead of kill (debugging) */
};

int sandbox_enter(const struct sandbox_opts *o, struct ms_error *e);

#endif
