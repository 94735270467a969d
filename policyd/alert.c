/* alert.c - see alert.h. */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "log.h"

#define KINDS 8

static struct {
	pthread_mutex_t lock;
	char command[PATH_MAX];
	struct {
		char kind[16];
		time_t last;
		unsigned suppressed;
	} seen[KINDS];
} alerts = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
alert_configure(const char *command)
{
	pthread_mutex_lock(&alerts.lock);
	snprintf(alerts.command, sizeof(alerts.command), "%s", command);
	pthread_mutex_unlock(&alerts.lock);
}

/* Whether an alert of kind may run now; records it.  *suppressed gets
 * how many were skipped since the last one.  Called with the lock. */
static int
may_run(const char *kind, time_t now, unsigned *suppressed)
{
	int free_slot = -1;

	for (int i = 0; i < KINDS; i++) {
		if (alerts.seen[i].kind[0] == '\0') {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (strcmp(alerts.seen[i].kind, kind) != 0)
			continue;
		if (now - alerts.seen[i].last < 60) {
			alerts.seen[i].suppressed++;
			return 0;
		}
		*suppressed = alerts.seen[i].suppressed;
		alerts.seen[i].suppressed = 0;
		alerts.seen[i].last = now;
		return 1;
	}
	if (free_slot < 0)
		return 0;
	snprintf(alerts.seen[free_slot].kind, sizeof(alerts.seen[0].kind),
		 "%s", kind);
	alerts.seen[free_slot].last = now;
	*suppressed = 0;
	return 1;
}

static void
set_env(char *buf, size_t size, const char *name, const char *v)
{
	snprintf(buf, size, "POLICYD_%s=%s", name, v != NULL ? v : "");
}

static void
spawn(const char *command, const char *kind, const struct audit_rec *r,
      unsigned suppressed)
{
	char env[12][320], *envp[13];
	char *argv[] = { (char *)command, (char *)kind, NULL };
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t pid;
	int rc;

	set_env(env[0], sizeof(env[0]), "KIND", kind);
	set_env(env[1], sizeof(env[1]), "EVENT", r->event);
	set_env(env[2], sizeof(env[2]), "USER", r->user);
	set_env(env[3], sizeof(env[3]), "HOST", r->host);
	set_env(env[4], sizeof(env[4]), "SERVICE", r->service);
	set_env(env[5], sizeof(env[5]), "RESULT", r->result);
	set_env(env[6], sizeof(env[6]), "REASON", r->reason);
	set_env(env[7], sizeof(env[7]), "ACTOR", r->actor);
	snprintf(env[8], sizeof(env[8]), "POLICYD_ACTOR_UID=%lld",
		 (long long)r->actor_uid);
	snprintf(env[9], sizeof(env[9]), "POLICYD_TIME=%lld",
		 (long long)r->time);
	snprintf(env[10], sizeof(env[10]), "POLICYD_SUPPRESSED=%u",
		 suppressed);
	snprintf(env[11], sizeof(env[11]), "PATH=/usr/sbin:/usr/bin:/sbin:"
		 "/bin");
	for (int i = 0; i < 12; i++)
		envp[i] = env[i];
	envp[12] = NULL;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, command, NULL, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		log_err("alert_command %s: %s", command, strerror(rc));
}

void
alert_fire(const char *kind, const struct audit_rec *r)
{
	char command[PATH_MAX];
	unsigned suppressed = 0;
	int run;

	pthread_mutex_lock(&alerts.lock);
	snprintf(command, sizeof(command), "%s", alerts.command);
	run = command[0] != '\0' && may_run(kind, time(NULL), &suppressed);
	pthread_mutex_unlock(&alerts.lock);
	if (run)
		spawn(command, kind, r, suppressed);
}
