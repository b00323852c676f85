/* SPDX-License-Identifier: MIT
 * cli.h - the command-line layer every migsock binary shares, so the same
 * mistake gets the same line from each of them: scanning numbers (with a
 * range and a unit), socket modes, owners (names or ids), the default
 * socket-layout file, getopt's errors, and the one version string.
 *
 * Two layers, one message style:
 *   cli_scan_*  check a value and fill @e with what was expected, without
 *               naming an option ("expected a number from 1 to 65535");
 *               usable for any input (layout files, environment).
 *   cli_opt_*   the same for an option's argument: the message is wrapped
 *               (ms_error_wrap) with the option and, where the message does
 *               not quote it, the value:
 *                 --backlog 0: expected a number from 1 to 65535
 *                 --mode 0999: expected an octal mode from 1 to 0777, e.g. 0660
 *                 --owner: unknown user 'bob': give a uid number or an existing user name
 * Every failure is MS_EXIT_USAGE; the functions return -1 and leave the
 * output untouched, or 0.
 */
#ifndef MIGSOCK_CLI_H
#define MIGSOCK_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "layout.h"
#include "log.h"

/* --- numbers -------------------------------------------------------------
 * Decimal digits only: no sign, no blanks, no "0x", no empty string.
 * @unit names what the number counts, for the message: "a number",
 * "seconds", "a file descriptor number" ("expected UNIT from MIN to MAX"). */
int cli_scan_uint(const char *s, uint64_t min, uint64_t max, const char *unit,
		  uint64_t *out, struct ms_error *e);
int cli_opt_uint(const char *opt, const char *s, uint64_t min, uint64_t max,
		 const char *unit, uint64_t *out, struct ms_error *e);
/* Signed: an optional '-' then digits. */
int cli_scan_int(const char *s, int64_t min, int64_t max, const char *unit,
		 int64_t *out, struct ms_error *e);
/* The same into an unsigned or an int. */
int cli_opt_unsigned(const char *opt, const char *s, unsigned min, unsigned max,
		     const char *unit, unsigned *out, struct ms_error *e);
int cli_opt_int(const char *opt, const char *s, int min, int max,
		const char *unit, int *out, struct ms_error *e);

/* A duration in seconds: "5", "0.5", or with a unit suffix "250ms", "30s",
 * "2m", "1h". Result in seconds, @min <= v <= @max. */
int cli_scan_seconds(const char *s, double min, double max, double *out,
		     struct ms_error *e);
int cli_opt_seconds(const char *opt, const char *s, double min, double max,
		    double *out, struct ms_error *e);

/* A size in bytes: "4096", or with a binary unit suffix "64K"/"64KiB",
 * "M"/"MiB", "G"/"GiB", "T"/"TiB" (powers of 1024). */
int cli_scan_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		  struct ms_error *e);
int cli_opt_size(const char *opt, const char *s, uint64_t min, uint64_t max,
		 uint64_t *out, struct ms_error *e);

/* --- modes ---------------------------------------------------------------
 * An octal socket mode from 1 to 0777 ("660" and "0660" alike). 0 is
 * refused: a socket only root can reach is never what a caller wants;
 * setuid/setgid/sticky bits mean nothing on a socket. */
int cli_scan_mode(const char *s, mode_t *out, struct ms_error *e);
int cli_opt_mode(const char *opt, const char *s, mode_t *out, struct ms_error *e);

/* --- owners --------------------------------------------------------------
 * A user or group: a decimal id (below (id_t)-1) or an existing name. */
int cli_scan_user(const char *s, uid_t *out, struct ms_error *e);
int cli_scan_group(const char *s, gid_t *out, struct ms_error *e);
/* "USER[:GROUP]"; the group, if not given, is (gid_t)-1 (unchanged). */
int cli_scan_owner(const char *s, uid_t *uid, gid_t *gid, struct ms_error *e);
int cli_opt_owner(const char *opt, const char *s, uid_t *uid, gid_t *gid,
		  struct ms_error *e);

/* --- one of a few words --------------------------------------------------
 * The index of @s in the NULL-terminated @words, or -1 with
 * "--opt S: expected a, b or c". */
int cli_opt_word(const char *opt, const char *s, const char *const words[],
		 struct ms_error *e);

/* --- getopt --------------------------------------------------------------
 * The line for getopt_long's '?' or ':' (opterr = 0): the option as typed.
 *   bad option --frobnicate (unknown, or missing its argument): try --help */
int cli_bad_option(char *const argv[], struct ms_error *e);
/*   unexpected argument X: try --help */
int cli_unexpected_argument(const char *arg, struct ms_error *e);

/* --- the socket layout ---------------------------------------------------
 * The one rule for which layout file a program reads:
 *   @given (--layout FILE) if not NULL, else $MIGSOCK_LAYOUT if set and not
 *   empty, else the installed file LAYOUT_DEFAULT_PATH.
 * An empty MIGSOCK_LAYOUT counts as unset (as in sockets/layout.sh), so
 * `MIGSOCK_LAYOUT= cmd` means "the installed layout" everywhere. */
const char *cli_layout_file(const char *given);
/* Resolve as above and load. The error says where the path came from when
 * it was not --layout: "...: No such file or directory (from
 * MIGSOCK_LAYOUT)" or "(the installed default: give --layout FILE)". */
int cli_layout_load(const char *given, struct layout *out, struct ms_error *e);

/* --- version -------------------------------------------------------------
 * The version of every migsock binary (MIGSOCK_VERSION, from the Makefile's
 * VERSION), and the --version line "migsock-relay 0.1" on stdout. */
const char *cli_version(void);
void cli_print_version(void);

#endif
