// SPDX-License-Identifier: MIT
/* sandbox.c - enter the sandbox: capabilities, no_new_privs, seccomp;
 * see sandbox.h. After passt's isolation.c, in three steps, each of which
 * must succeed or the process refuses to serve:
 *
 *  1. capabilities: the bounding set (needs CAP_SETPCAP, so first), the
 *     ambient set, then effective, permitted and inheritable;
 *  2. PR_SET_NO_NEW_PRIVS, which seccomp without CAP_SYS_ADMIN requires;
 *  3. a seccomp filter that allows only the syscalls the linked modules
 *     declared with SANDBOX_SYSCALLS() and kills the process otherwise
 *     (clone only for threads, see allow()).
 */

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox.h"

/* What any process here makes after entering the sandbox: memory, exit,
 * signals, time, logging to stderr, and the event loop. This list also
 * guarantees the section exists, so __start_/__stop_ below resolve. */
SANDBOX_SYSCALLS(__NR_read, __NR_write, __NR_writev, __NR_close,
		 __NR_exit, __NR_exit_group, __NR_rt_sigreturn,
		 __NR_rt_sigprocmask, __NR_rt_sigaction, __NR_restart_syscall,
		 __NR_brk, __NR_mmap, __NR_munmap, __NR_mremap, __NR_madvise,
		 __NR_futex, __NR_clock_gettime, __NR_clock_nanosleep,
		 __NR_nanosleep, __NR_getpid, __NR_gettid, __NR_tgkill,
		 __NR_fstat, __NR_newfstatat, __NR_lseek, __NR_getrandom,
		 __NR_fcntl, __NR_epoll_wait, __NR_epoll_pwait, __NR_epoll_ctl);

/* ASan and UBSan runtimes: reports read /proc/self/maps, LeakSanitizer at
 * exit stops the world from a clone()d tracer with ptrace(), and the
 * allocator maps and protects memory. Only in sanitizer builds. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIGSOCK_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MIGSOCK_ASAN 1
#endif
#ifdef MIGSOCK_ASAN
SANDBOX_SYSCALLS(__NR_mprotect, __NR_openat, __NR_readlinkat,
		 __NR_getdents64, __NR_sched_yield, __NR_sched_getaffinity,
		 __NR_sigaltstack, __NR_prctl, __NR_clone, __NR_clone3,
		 __NR_ptrace, __NR_wait4, __NR_waitid, __NR_getppid, __NR_kill,
		 __NR_pipe2, __NR_dup, __NR_dup3, __NR_execve, __NR_prlimit64,
		 __NR_setrlimit, __NR_getrlimit, __NR_uname, __NR_pread64,
		 __NR_ioctl, __NR_set_robust_list, __NR_rseq, __NR_getuid,
		 __NR_geteuid, __NR_unlinkat);
#ifdef __NR_getdents /* legacy calls the x86-64 sanitizer runtime makes */
SANDBOX_SYSCALLS(__NR_getdents, __NR_open, __NR_readlink, __NR_stat,
		 __NR_lstat, __NR_access, __NR_dup2, __NR_unlink);
#endif
#endif

extern const int __start_migsock_syscalls[];
extern const int __stop_migsock_syscalls[];

static int drop_capabilities(struct ms_error *e)
{
	cap_value_t max = (cap_value_t)cap_max_bits();
	cap_t none;

	/* Without CAP_SETPCAP the bounding set cannot shrink; an unprivileged
	 * process then has no capabilities to lose, and no_new_privs keeps
	 * exec from granting any. */
	for (cap_value_t c = 0; c < max; c++) {
		if (prctl(PR_CAPBSET_READ, c) != 1)
			continue;
		if (cap_drop_bound(c) < 0 && errno != EINVAL) {
			if (errno == EPERM)
				break; /* no CAP_SETPCAP in the effective set */
			return ms_fail_errno(e, MS_EXIT_SANDBOX,
					     "cannot drop capability %d from the bounding set", c);
		}
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return ms_fail_errno(e, MS_EXIT_SANDBOX, "cannot clear ambient capabilities");
	none = cap_init();
	if (!none)
		return ms_fail_errno(e, MS_EXIT_SANDBOX, "cannot drop capabilities");
	int r = cap_set_proc(none);
	cap_free(none);
	if (r < 0)
		return ms_fail_errno(e, MS_EXIT_SANDBOX, "cannot drop capabilities");
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The allow-list from the linker section, sorted and without duplicates
 * (libseccomp refuses some repeated rules). Returns how many, or -1. */
static int collect_syscalls(int *out, size_t max)
{
	size_t n = (size_t)(__stop_migsock_syscalls - __start_migsock_syscalls);
	size_t k = 0;

	if (n > max)
		return -1;
	memcpy(out, __start_migsock_syscalls, n * sizeof(int));
	qsort(out, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || out[k - 1] != out[i])
			out[k++] = out[i];
	return (int)k;
}

/* Add the rule for one allowed syscall. Threads, not processes: a
 * declared clone() is allowed only with CLONE_THREAD (pthread_create;
 * fork and posix_spawn stay fatal), and clone3(), whose flags sit in
 * memory a filter cannot read, fails with ENOSYS so that glibc (2.34+)
 * falls back to clone(). Sanitizer builds keep both unrestricted: their
 * runtimes clone a tracer process at exit. */
static int allow(scmp_filter_ctx ctx, int nr)
{
#ifndef MIGSOCK_ASAN
	if (nr == __NR_clone)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
						CLONE_THREAD));
	if (nr == __NR_clone3)
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
#endif
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int load_seccomp(bool log_only, struct ms_error *e)
{
	int nrs[1024];
	int n = collect_syscalls(nrs, sizeof(nrs) / sizeof(nrs[0]));

	if (n < 0)
		return ms_fail(e, MS_EXIT_SANDBOX, "seccomp allow-list longer than 1024 entries");
	scmp_filter_ctx ctx = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return ms_fail(e, MS_EXIT_SANDBOX, "cannot create the seccomp filter (libseccomp)");
	for (int i = 0; i < n; i++) {
		int r = allow(ctx, nrs[i]);
		if (r < 0) {
			seccomp_release(ctx);
			errno = -r;
			return ms_fail_errno(e, MS_EXIT_SANDBOX,
					     "cannot allow syscall %d in the seccomp filter", nrs[i]);
		}
	}
	int r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		errno = -r;
		return ms_fail_errno(e, MS_EXIT_SANDBOX, "cannot load the seccomp filter");
	}
	return 0;
}

int sandbox_enter(const struct sandbox_opts *o, struct ms_error *e)
{
	if (o && o->disabled) {
		log_warn("sandbox disabled: capabilities kept, no seccomp filter (debugging only)");
		return 0;
	}
	if (drop_capabilities(e) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ms_fail_errno(e, MS_EXIT_SANDBOX, "cannot set no_new_privs");
	return load_seccomp(o && o->log_only, e);
}
