// SPDX-License-Identifier: MIT
/* watchdog.c - bounded waits around blocking libvirt calls; see
 * watchdog.h. */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static bool started, armed;
static struct timespec deadline;
static int armed_seconds, armed_code;
static bool armed_json;
static char stage_what[600] = "the daemons";
static char stage_fix[400] = "check that they run and answer";
static char armed_domain[256];

void mig_watchdog_message(char *buf, size_t len, int seconds,
			  const char *what, const char *fix)
{
	snprintf(buf, len, "%s did not answer within %d s: %s", what, seconds,
		 fix);
}

static void expire(void)
{
	char msg[1200], esc[2500], dom[600];

	mig_watchdog_message(msg, sizeof(msg), armed_seconds, stage_what,
			     stage_fix);
	fprintf(stderr, "%s: %s\n", log_prog(), msg);
	if (armed_json) {
		printf("{\"type\":\"result\",\"ok\":false,\"exit_code\":%d,"
		       "\"domain\":\"%s\",", armed_code,
		       json_escape(armed_domain, dom, sizeof(dom)));
		printf("\"error\":\"%s\",\"source\":null,\"destination\":null}\n",
		       json_escape(msg, esc, sizeof(esc)));
	}
	fflush(stdout);
	fflush(stderr);
	_exit(armed_code);
}

static void *watch(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		if (!armed) {
			pthread_cond_wait(&changed, &lock);
			continue;
		}
		int r = pthread_cond_timedwait(&changed, &lock, &deadline);
		if (r == ETIMEDOUT && armed)
			expire(); /* does not return */
	}
	return NULL;
}

void mig_watchdog_arm(int seconds, int code, bool json, const char *domain)
{
	pthread_mutex_lock(&lock);
	if (!started) {
		pthread_condattr_t ca;

		/* The deadline must not move with the wall clock. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_destroy(&changed);
		pthread_cond_init(&changed, &ca);
		pthread_condattr_destroy(&ca);
		started = pthread_create(&thread, NULL, watch, NULL) == 0;
		if (started)
			pthread_detach(thread);
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	armed_seconds = seconds;
	armed_code = code;
	armed_json = json;
	snprintf(armed_domain, sizeof(armed_domain), "%s", domain ? domain : "");
	armed = true;
	pthread_cond_signal(&changed);
	pthread_mutex_unlock(&lock);
}

void mig_watchdog_stage(const char *what, const char *fix)
{
	pthread_mutex_lock(&lock);
	snprintf(stage_what, sizeof(stage_what), "%s", what);
	snprintf(stage_fix, sizeof(stage_fix), "%s", fix);
	pthread_mutex_unlock(&lock);
}

void mig_watchdog_disarm(void)
{
	pthread_mutex_lock(&lock);
	armed = false;
	pthread_cond_signal(&changed);
	pthread_mutex_unlock(&lock);
}
