/* SPDX-License-Identifier: MIT
 * exitcodes.h - the exit codes every migsock binary uses (documented in
 * README.md and each man page). One meaning per code, across all binaries,
 * so a shell script can branch on them without knowing which tool failed.
 */
#ifndef MIGSOCK_EXITCODES_H
#define MIGSOCK_EXITCODES_H

enum ms_exit {
	MS_EXIT_OK = 0,        /* done */
	MS_EXIT_FAIL = 1,      /* the job ran and failed: migration failed,
	                        * nothing accepts at the probed path */
	MS_EXIT_USAGE = 2,     /* bad command line: unknown option, missing
	                        * or malformed argument, conflicting flags */
	MS_EXIT_CONFIG = 3,    /* bad input file: socket layout */
	MS_EXIT_PATH = 4,      /* socket path refused: too long, unsafe
	                        * directory, symlink, live socket, not a socket */
	MS_EXIT_LABEL = 5,     /* SELinux context malformed, unknown, or
	                        * required but unavailable */
	MS_EXIT_PREFLIGHT = 6, /* migsock-migrate: a check before migrating
	                        * failed; nothing was started */
	MS_EXIT_ABORTED = 7,   /* migsock-migrate: aborted (signal, timeout);
	                        * the guest still runs on the source */
	MS_EXIT_SANDBOX = 8,   /* could not drop privileges or load seccomp */
	MS_EXIT_POSTCOPY = 9,  /* migsock-migrate: the migration failed in
	                        * post-copy and was not resumed: the guest
	                        * runs on the destination without all of its
	                        * memory, the source is paused (post-copy
	                        * failed); resume with --postcopy-resume */
	MS_EXIT_SYS = 111,     /* unexpected system error (s6 convention:
	                        * temporary failure) */
	MS_EXIT_EXEC = 126,    /* migsock-bind: the program could not be run */
	MS_EXIT_NOENT = 127,   /* migsock-bind: the program was not found */
};

#endif
