/* SPDX-License-Identifier: MIT
 * watchdog.h - a bound on every wait this client cannot interrupt: libvirt
 * calls block, and a daemon that accepts the connection but never answers
 * (wedged, stopped, a wrong socket) would block them forever. A thread
 * sleeps until the deadline; if the main thread has not disarmed it by
 * then, it prints one line naming what did not answer and ends the process
 * with the armed exit code (_exit: the blocked thread holds libvirt locks,
 * so nothing is cleaned up; the daemons see the connection close).
 *
 * Used for the connection and checks before migrating (--connect-timeout,
 * exit 6: nothing was started) and as the backstop after SIGINT/SIGTERM
 * (exit 1: where the guest is could not be read).
 */
#ifndef MIGSOCK_MIGRATE_WATCHDOG_H
#define MIGSOCK_MIGRATE_WATCHDOG_H

#include <stdbool.h>

#include "log.h"

/* Arm (or re-arm) for @seconds; on expiry print "@what: @fix"-style line
 * built from the current stage and exit @code. @json: also print a
 * {"type":"result",...} object on stdout so --json readers get one. */
void mig_watchdog_arm(int seconds, int code, bool json, const char *domain);

/* What is being waited for now, for the line on expiry: "the source
 * daemon at URI". Also names the fix. Copied. */
void mig_watchdog_stage(const char *what, const char *fix);

void mig_watchdog_disarm(void);

/* The line the watchdog prints (without the program name), for the tests. */
void mig_watchdog_message(char *buf, size_t len, int seconds,
			  const char *what, const char *fix);

#endif
