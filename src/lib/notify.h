/* SPDX-License-Identifier: MIT
 * notify.h - the systemd protocols, implemented directly (no libsystemd):
 * socket activation (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; fds from 3)
 * and readiness (READY=1 to NOTIFY_SOCKET), plus --ready-fd for scripts.
 */
#ifndef MIGSOCK_NOTIFY_H
#define MIGSOCK_NOTIFY_H

#include <stddef.h>

#include "log.h"

#define NOTIFY_FDS_START 3
#define NOTIFY_FDS_MAX 64
/* Set by migsock-bind to the path of the socket it passes and to its own
 * pid (the pid of the program it execs): that program owns the file and
 * removes it when it stops. A process started by a supervisor in between
 * has another pid and leaves the file to the supervisor's socket; systemd
 * sets neither: the socket unit keeps its socket across restarts. */
#define NOTIFY_BIND_PATH_ENV "MIGSOCK_BIND_PATH"
#define NOTIFY_BIND_PID_ENV "MIGSOCK_BIND_PID"

/* Take the listening fds passed to this process. Returns how many (0 if
 * none or LISTEN_PID is not us), fills @fds and @names (name or "" each),
 * sets FD_CLOEXEC on them and unsets the variables. -1 with @e on garbage. */
int notify_listen_fds(int fds[NOTIFY_FDS_MAX], char names[NOTIFY_FDS_MAX][64],
		      struct ms_error *e);

/* Pass @n fds (already open as 3..3+n-1) to a program about to be exec'd:
 * sets LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID=getpid(). */
int notify_export_fds(int n, const char *const names[], struct ms_error *e);

/* Send "READY=1" (and @status if not NULL) to $NOTIFY_SOCKET if set, and
 * write "\n" to @ready_fd if >= 0 (then close it). */
int notify_ready(int ready_fd, const char *status);

/* Send "STOPPING=1" to $NOTIFY_SOCKET if set. */
void notify_stopping(void);

#endif
