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
#include "proto.h"

#define KINDS 8

/* A record kept for a summary: the newest event of its kind that had no
 * alert of its own. */
struct held {
	char event[32];
	char user[PROTO_MAX_TEXT + 1];
	char host[PROTO_MAX_TEXT + 1];
	char service[PROTO_MAX_TEXT + 1];
	char result[32];
	char reason[64];
	char actor[33];
	int64_t actor_uid, time, id;
};

static struct {
	pthread_mutex_t lock;
	char command[PATH_MAX];
	unsigned interval;		/* seconds between two of a kind */
	unsigned burst;			/* unknown names a minute that alert */
	time_t burst_start;		/* the minute being counted */
	unsigned burst_seen;
	struct {
		char kind[16];
		time_t last;		/* when one of the kind last ran */
		unsigned suppressed;	/* events since, without one */
		int64_t first;		/* the oldest of those's seq */
		struct held newest;	/* the newest of those */
	} seen[KINDS];
} alerts = { .lock = PTHREAD_MUTEX_INITIALIZER, .interval = 60 };

void
alert_configure(const char *command, unsigned interval, unsigned burst)
{
	pthread_mutex_lock(&alerts.lock);
	snprintf(alerts.command, sizeof(alerts.command), "%s", command);
	alerts.interval = interval > 0 ? interval : 1;
	alerts.burst = burst;
	pthread_mutex_unlock(&alerts.lock);
}

void
alert_unknown_name(const struct audit_rec *r)
{
	time_t now = time(NULL);
	unsigned seen = 0, burst;

	pthread_mutex_lock(&alerts.lock);
	burst = alerts.burst;
	if (burst > 0) {
		if (now - alerts.burst_start >= 60) {
			alerts.burst_start = now;
			alerts.burst_seen = 0;
		}
		seen = ++alerts.burst_seen;
	}
	pthread_mutex_unlock(&alerts.lock);
	if (seen == 0 || seen != burst)
		return;
	log_warn("%u failed logins of names that are not users within a "
		 "minute: a password spray or a list of names being tried",
		 seen);
	alert_fire("unknown-burst", r);
}

static void
hold(struct held *h, const struct audit_rec *r)
{
#define COPY(f) snprintf(h->f, sizeof(h->f), "%s", r->f != NULL ? r->f : "")
	COPY(event);
	COPY(user);
	COPY(host);
	COPY(service);
	COPY(result);
	COPY(reason);
#undef COPY
	snprintf(h->actor, sizeof(h->actor), "%s", r->actor);
	h->actor_uid = r->actor_uid;
	h->time = r->time;
	h->id = r->id;
}

static void
held_record(const struct held *h, struct audit_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->event = h->event;
	r->user = h->user;
	r->host = h->host;
	r->service = h->service;
	r->result = h->result;
	r->reason = h->reason;
	snprintf(r->actor, sizeof(r->actor), "%s", h->actor);
	r->actor_uid = h->actor_uid;
	r->time = h->time;
	r->id = h->id;
}

/* The slot of kind, made if new; -1 when all are taken.  Called with
 * the lock. */
static int
slot_of(const char *kind)
{
	int free_slot = -1;

	for (int i = 0; i < KINDS; i++) {
		if (alerts.seen[i].kind[0] == '\0') {
			if (free_slot < 0)
				free_slot = i;
		} else if (strcmp(alerts.seen[i].kind, kind) == 0) {
			return i;
		}
	}
	if (free_slot >= 0)
		snprintf(alerts.seen[free_slot].kind,
			 sizeof(alerts.seen[0].kind), "%s", kind);
	return free_slot;
}

static void
set_env(char *buf, size_t size, const char *name, const char *v)
{
	snprintf(buf, size, "POLICYD_%s=%s", name, v != NULL ? v : "");
}

/* Runs command for r; `suppressed` events of the kind had no alert of
 * their own since the last one, and a summary stands for them (r is the
 * newest). */
static void
spawn(const char *command, const char *kind, const struct audit_rec *r,
      unsigned suppressed, int64_t first, int summary)
{
	char env[15][320], *envp[16];
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
	snprintf(env[10], sizeof(env[10]), "POLICYD_SEQ=%lld",
		 (long long)r->id);
	snprintf(env[11], sizeof(env[11]), "POLICYD_SUPPRESSED=%u",
		 suppressed);
	snprintf(env[12], sizeof(env[12]), "POLICYD_SUMMARY=%d", summary);
	snprintf(env[13], sizeof(env[13]), "PATH=/usr/sbin:/usr/bin:/sbin:"
		 "/bin");
	/* A summary names the first of its events too: none of them is
	 * hidden between two others (policyctl audit shows them all). */
	snprintf(env[14], sizeof(env[14]), "POLICYD_FIRST_SEQ=%lld",
		 (long long)(summary ? first : r->id));
	for (int i = 0; i < 15; i++)
		envp[i] = env[i];
	envp[15] = NULL;
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
	time_t now = time(NULL);
	int i, run = 0;

	pthread_mutex_lock(&alerts.lock);
	snprintf(command, sizeof(command), "%s", alerts.command);
	i = command[0] != '\0' ? slot_of(kind) : -1;
	if (i < 0) {
		/* no command, or more kinds than slots: nothing to run */
	} else if (alerts.seen[i].last == 0 ||
		   now - alerts.seen[i].last >= (time_t)alerts.interval) {
		alerts.seen[i].last = now;
		run = 1;
	} else {
		if (alerts.seen[i].suppressed++ == 0)
			alerts.seen[i].first = r->id;
		hold(&alerts.seen[i].newest, r);
	}
	pthread_mutex_unlock(&alerts.lock);
	if (run)
		spawn(command, kind, r, 0, 0, 0);
}

void
alert_flush(void)
{
	char command[PATH_MAX], kind[16];
	time_t now = time(NULL);
	struct audit_rec r;

	for (int i = 0; i < KINDS; i++) {
		int64_t first = 0;
		unsigned n = 0;

		pthread_mutex_lock(&alerts.lock);
		snprintf(command, sizeof(command), "%s", alerts.command);
		if (alerts.seen[i].suppressed > 0 &&
		    now - alerts.seen[i].last >= (time_t)alerts.interval) {
			n = alerts.seen[i].suppressed;
			first = alerts.seen[i].first;
			alerts.seen[i].suppressed = 0;
			alerts.seen[i].last = now;
			held_record(&alerts.seen[i].newest, &r);
			snprintf(kind, sizeof(kind), "%s",
				 alerts.seen[i].kind);
		}
		pthread_mutex_unlock(&alerts.lock);
		if (n > 0 && command[0] != '\0')
			spawn(command, kind, &r, n, first, 1);
	}
}
