/*
 * admin.c - the administrative verbs of admin.sock: users and passwords.
 * Replies never carry a password hash; "user show" gives its cost only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "audit.h"
#include "login.h"
#include "dispatch.h"
#include "hash.h"
#include "log.h"
#include "password.h"
#include "pending.h"
#include "stats.h"
#include "wipe.h"

/* Room one listed user can take in a reply, with the trailing MORE. */
#define RECORD_ROOM (3 + 3 + PROTO_MAX_NAME + 4 * (3 + 8) + 3 + 1 + 16)

static int
store_status(int rc)
{
	switch (rc) {
	case STORE_OK:
		return PROTO_OK;
	case STORE_NOT_FOUND:
		return PROTO_NOT_FOUND;
	case STORE_EXISTS:
		return PROTO_EXISTS;
	default:
		return PROTO_UNAVAILABLE;
	}
}

static int
hash_status(int rc)
{
	return rc == HASH_OK ? PROTO_OK : PROTO_UNAVAILABLE;
}

/* Starts the record of an admin operation on rq->user, for the store
 * call that decides it; admin_audit_end() after that call. */
static void
admin_audit(struct request *rq, struct audit_rec *ev, const char *event)
{
	request_audit(rq, ev, event, 1);
	ev->result = "ok";
}

/* Ends an admin operation's record, alerting when it was committed. */
static void
admin_audit_end(struct audit_rec *ev)
{
	if (audit_done(ev))
		alert_fire("admin", ev);
}

/* The uid a log line names as the actor. */
static unsigned
actor(const struct request *rq)
{
	return (unsigned)rq->peer->cred.uid;
}

/* Reads the request's password into pw and checks it as a new password
 * for u (NULL: a new user).  Returns a status. */
static int
read_new_password(struct request *rq, const struct store_user *u, char *pw)
{
	int status;

	if (request_password(rq, PROTO_T_PASSWORD, pw, &status) != 0)
		return -1;
	if (status != PROTO_OK)
		return status;
	return password_check(rq, rq->user, u, pw);
}

int
admin_user_add(struct request *rq)
{
	char pw[PROTO_MAX_SECRET + 1], phc[STORE_PHC_MAX];
	struct store_user u;
	int status;

	if (!valid_user_name(rq->user)) {
		rq->reason = PROTO_R_BAD_NAME;
		return PROTO_BAD_REQUEST;
	}
	status = store_status(store_user_get(rq->d->store, rq->user, &u));
	WIPE_OBJ(u);
	if (status == PROTO_OK)
		return PROTO_EXISTS;
	if (status != PROTO_NOT_FOUND)
		return status;
	status = read_new_password(rq, NULL, pw);
	if (status == PROTO_OK)
		status = hash_status(hash_make(&rq->set.argon2, pw, strlen(pw),
					       phc, rq->deadline_ms));
	if (status == PROTO_OK) {
		struct audit_rec ev;

		admin_audit(rq, &ev, "user-add");
		status = store_status(store_user_add(rq->d->store, rq->user, phc,
						     time(NULL), &ev));
		admin_audit_end(&ev);
	}
	if (status == PROTO_OK)
		log_notice("user %s added by uid %u", rq->user, actor(rq));
	wipe(pw, sizeof(pw));
	wipe(phc, sizeof(phc));
	return status;
}

int
admin_user_del(struct request *rq)
{
	struct audit_rec ev;
	int status;

	struct wfield f;
	uint8_t purge = 0;

	if (wire_find(rq->msg, PROTO_T_PURGE, &f) == 0 && wire_u8(&f, &purge))
		return -1;
	admin_audit(rq, &ev, "user-del");
	ev.reason = purge ? "purge" : "";
	status = store_status(store_user_del(rq->d->store, rq->user, &ev));
	admin_audit_end(&ev);
	/* History, TOTP and recovery codes go with the row; --purge also
	 * forgets the counted failures and any lock (kept by name). */
	if (status == PROTO_OK && purge &&
	    store_unlock(rq->d->store, 'u', rq->user, NULL) == STORE_ERROR)
		status = PROTO_UNAVAILABLE;

	if (status == PROTO_OK)
		log_notice("user %s deleted by uid %u", rq->user, actor(rq));
	return status;
}

/* One user as a record; cost (the hash's parameters) only for "show". */
static void
put_user(struct wwriter *w, const struct store_user *u, const char *cost)
{
	size_t mark = wire_record_begin(w, PROTO_T_RECORD);

	wire_put_str(w, PROTO_T_USER, u->name);
	wire_put_u64(w, PROTO_T_UID, (uint64_t)u->id);
	wire_put_u8(w, PROTO_T_DISABLED, (uint8_t)u->disabled);
	wire_put_u64(w, PROTO_T_CREATED, (uint64_t)u->created);
	wire_put_u64(w, PROTO_T_PW_CHANGED, (uint64_t)u->pw_changed);
	wire_put_u8(w, PROTO_T_MUST_CHANGE, (uint8_t)u->must_change);
	if (cost != NULL)
		wire_put_str(w, PROTO_T_HASH_PARAMS, cost);
	wire_record_end(w, mark);
}

static int
list_one(const struct store_user *u, void *arg)
{
	struct wwriter *w = arg;

	if (w->cap - w->len < RECORD_ROOM)
		return 1;	/* frame full: the client asks again */
	put_user(w, u, NULL);
	return 0;
}

int
admin_user_list(struct request *rq)
{
	char after[PROTO_MAX_NAME + 1];
	int more = 0, rc;

	if (wire_get_str(rq->msg, PROTO_T_AFTER, after, sizeof(after)) < 0)
		return -1;
	rc = store_user_list(rq->d->store, after, SIZE_MAX, list_one, rq->out,
			     &more);
	if (rc != STORE_OK)
		return PROTO_UNAVAILABLE;
	if (more)
		wire_put_u8(rq->out, PROTO_T_MORE, 1);
	return PROTO_OK;
}

static int
put_failure(int64_t when, const char *rhost, const char *service, void *arg)
{
	struct wwriter *w = arg;
	size_t mark = wire_record_begin(w, PROTO_T_FAILURE);

	wire_put_u64(w, PROTO_T_TIME, (uint64_t)when);
	wire_put_str(w, PROTO_T_RHOST, rhost);
	wire_put_str(w, PROTO_T_SERVICE, service);
	wire_record_end(w, mark);
	return 0;
}

/* What `user show` adds to the record: the last login, the lock, and
 * the counted failures (at most 20, newest first). */
static int
put_login_state(struct request *rq)
{
	struct last_login last;
	int64_t until;
	int locked;

	if (store_last_login(rq->d->store, rq->user, &last) != STORE_OK)
		return PROTO_UNAVAILABLE;
	locked = store_locked(rq->d->store, 'u', rq->user, time(NULL), &until);
	if (locked < 0)
		return PROTO_UNAVAILABLE;
	wire_put_u64(rq->out, PROTO_T_LAST_LOGIN, (uint64_t)last.time);
	wire_put_str(rq->out, PROTO_T_LAST_HOST, last.host);
	wire_put_u32(rq->out, PROTO_T_FAILURES, last.failures);
	if (locked)
		wire_put_u64(rq->out, PROTO_T_UNTIL,
			     until == LOCK_FOREVER ? 0 : (uint64_t)until);
	if (store_failures(rq->d->store, rq->user, 20, put_failure,
			   rq->out) != STORE_OK)
		return PROTO_UNAVAILABLE;
	return PROTO_OK;
}

/* How many retired password hashes are kept (never the hashes). */
static int
put_history_count(struct request *rq, int64_t user_id)
{
	char(*old)[STORE_PHC_MAX] = calloc(100, sizeof(*old));
	size_t n = 0;
	int rc;

	if (old == NULL)
		return PROTO_UNAVAILABLE;
	rc = store_history(rq->d->store, user_id, old, 100, &n);
	wipe(old, 100 * sizeof(*old));
	free(old);
	if (rc != STORE_OK)
		return PROTO_UNAVAILABLE;
	wire_put_u32(rq->out, PROTO_T_HISTORY, (uint32_t)n);
	return PROTO_OK;
}

/* `user show`'s TOTP state and recovery codes left; never the secret. */
static int
put_totp_state(struct request *rq, int64_t user_id)
{
	struct store_totp t;
	uint32_t left = 0;
	int rc = store_totp_get(rq->d->store, user_id, &t);
	uint8_t state = 0;

	if (rc == STORE_ERROR ||
	    store_codes_left(rq->d->store, user_id, &left) != STORE_OK)
		return PROTO_UNAVAILABLE;
	if (rc == STORE_OK)
		state = (uint8_t)((t.sealed_len > 0 ? 2 : 0) +
				  (t.pending_len > 0 ? 1 : 0));
	WIPE_OBJ(t);
	wire_put_u8(rq->out, PROTO_T_TOTP_STATE, state);
	wire_put_u32(rq->out, PROTO_T_CODES_LEFT, left);
	return put_history_count(rq, user_id);
}

int
admin_user_show(struct request *rq)
{
	struct store_user u;
	struct hash_cost c;
	char cost[64] = "malformed";
	int status;

	status = store_status(store_user_get(rq->d->store, rq->user, &u));
	if (status == PROTO_OK) {
		if (hash_phc_cost(u.phc, &c) == 0)
			snprintf(cost, sizeof(cost), "argon2id m=%u,t=%u,p=%u",
				 c.memory_kib, c.time, c.parallelism);
		put_user(rq->out, &u, cost);
		status = put_login_state(rq);
		if (status == PROTO_OK)
			status = put_totp_state(rq, u.id);
	}
	WIPE_OBJ(u);
	return status;
}

static int
set_disabled(struct request *rq, int disabled)
{
	struct audit_rec ev;
	int status;

	admin_audit(rq, &ev, disabled ? "user-disable" : "user-enable");
	status = store_status(
		store_user_set_disabled(rq->d->store, rq->user, disabled,
					&ev));
	admin_audit_end(&ev);

	if (status == PROTO_OK)
		log_notice("user %s %s by uid %u", rq->user,
			   disabled ? "disabled" : "enabled", actor(rq));
	return status;
}

int
admin_user_disable(struct request *rq)
{
	return set_disabled(rq, 1);
}

int
admin_user_enable(struct request *rq)
{
	return set_disabled(rq, 0);
}

/* passwd sets a checked password. */
int
admin_passwd(struct request *rq)
{
	char pw[PROTO_MAX_SECRET + 1];
	struct store_user u;
	int status;

	status = store_status(store_user_get(rq->d->store, rq->user, &u));
	if (status == PROTO_OK)
		status = read_new_password(rq, &u, pw);
	else
		pw[0] = '\0';
	if (status == PROTO_OK)
		status = password_set(rq, &u, pw, "admin");
	else if (status == PROTO_POLICY)
		password_refused_audit(rq);
	if (status == PROTO_OK)
		log_notice("password of user %s set by uid %u", rq->user,
			   actor(rq));
	wipe(pw, sizeof(pw));
	WIPE_OBJ(u);
	return status;
}

/* The candidate against the current and old hashes: 1 when it matches
 * none, 0 when it is one of them, -1 if the check could not run. */
static int
check_history(struct request *rq, struct login *l, void *arg)
{
	int status = password_check(rq, rq->user, &l->u, arg);

	if (status == PROTO_UNAVAILABLE)
		return -1;
	return (rq->reasons & (1u << PROTO_R_REUSED)) == 0;
}

/*
 * pwcheck says what a candidate would break.  The rules need no stored
 * hash; the history does, and so tells whether a guess is a current or
 * old password: that part goes through the counted check of the user's
 * account and keeps its attempt whatever the answer (refused while
 * locked, at most `deny` comparisons per window).  Recorded.
 */
int
admin_pwcheck(struct request *rq)
{
	char pw[PROTO_MAX_SECRET + 1];
	struct audit_rec ev;
	struct login l;
	int status;

	memset(&l, 0, sizeof(l));
	pw[0] = '\0';
	if ((status = login_load(rq, &l)) != 0)
		goto out;
	if (!l.found) {
		status = PROTO_NOT_FOUND;
		goto out;
	}
	if (request_password(rq, PROTO_T_PASSWORD, pw, &status) != 0) {
		status = -1;
		goto out;
	}
	if (status != PROTO_OK)
		goto out;
	status = password_check(rq, rq->user, NULL, pw);
	if (status == PROTO_OK &&
	    login_counted(rq, &l, check_history, pw, &status) ==
		    LOGIN_REFUSED)
		goto out;
	status = rq->reasons != 0 ? PROTO_POLICY : PROTO_OK;
	request_audit(rq, &ev, "password-check", 1);
	ev.result = status == PROTO_OK ? "ok" : "refused";
	ev.reason = rq->reasons & (1u << PROTO_R_REUSED) ? "reused" : "";
	audit_now(rq->d->store, &ev);
	log_notice("password of user %s checked by uid %u: %s", rq->user,
		   actor(rq), proto_status_name(status));
out:
	wipe(pw, sizeof(pw));
	WIPE_OBJ(l.u);
	return status;
}

int
admin_expire(struct request *rq)
{
	struct audit_rec ev;
	int status;

	admin_audit(rq, &ev, "password-expire");
	status = store_status(store_user_expire(rq->d->store, rq->user, &ev));
	admin_audit_end(&ev);

	if (status == PROTO_OK)
		log_notice("user %s must change password (set by uid %u)",
			   rq->user, actor(rq));
	return status;
}

/* unlock NAME, or unlock --source HOST (PROTO_T_RHOST). */
int
admin_unlock(struct request *rq)
{
	char key[PROTO_MAX_TEXT + 1];
	char kind = 'u';
	int rc, status;

	rc = wire_get_str(rq->msg, PROTO_T_RHOST, key, sizeof(key));
	if (rc == 1) {
		rc = wire_get_str(rq->msg, PROTO_T_USER, key, sizeof(key));
	} else {
		kind = 's';
	}
	if (rc < 0)
		return -1;
	if (rc > 0 || key[0] == '\0') {
		rq->reason = PROTO_R_MISSING_FIELD;
		return PROTO_BAD_REQUEST;
	}
	{
		struct audit_rec ev;

		char unknown[AUDIT_UNKNOWN_SIZE];

		admin_audit(rq, &ev, "unlock");
		if (kind == 's') {
			ev.user = "";
			ev.host = key;
		} else {
			/* The failures of a name that is not a user may be
			 * lifted too; its record has the pseudonym. */
			ev.user = request_name(rq, key, unknown);
		}
		status = store_status(store_unlock(rq->d->store, kind, key, &ev));
		admin_audit_end(&ev);
		if (status == PROTO_NOT_FOUND) {
			/* Nothing was locked: refused, not done. */
			ev.result = "refused";
			ev.reason = "not-locked";
			audit_now(rq->d->store, &ev);
		}
	}
	if (status == PROTO_OK)
		log_notice("%s %s unlocked by uid %u",
			   kind == 's' ? "host" : "user", key, actor(rq));
	return status;
}

static int
put_lock(char kind, const char *key, int64_t since, int64_t until, void *arg)
{
	struct wwriter *w = arg;
	size_t mark;

	if (w->cap - w->len < 3 + 4 + 3 + PROTO_MAX_TEXT + 2 * 11 + 16)
		return 1;	/* the frame is full */
	mark = wire_record_begin(w, PROTO_T_RECORD);
	wire_put_u8(w, PROTO_T_KIND, (uint8_t)kind);
	wire_put_str(w, PROTO_T_USER, key);
	wire_put_u64(w, PROTO_T_TIME, (uint64_t)since);
	wire_put_u64(w, PROTO_T_UNTIL,
		     until == LOCK_FOREVER ? 0 : (uint64_t)until);
	wire_record_end(w, mark);
	return 0;
}

int
admin_locks(struct request *rq)
{
	return store_status(store_locks(rq->d->store, time(NULL), put_lock,
					rq->out));
}

static void
put_stat(struct wwriter *w, const char *name, uint64_t v)
{
	size_t mark = wire_record_begin(w, PROTO_T_RECORD);

	wire_put_str(w, PROTO_T_NAME, name);
	wire_put_u64(w, PROTO_T_VALUE, v);
	wire_record_end(w, mark);
}

static int
count_lock(char kind, const char *key, int64_t since, int64_t until,
	   void *arg)
{
	uint64_t *n = arg;

	(void)key;
	(void)since;
	(void)until;
	n[kind == 's']++;
	return 0;
}

static void
put_text(struct wwriter *w, const char *name, const char *text)
{
	size_t mark = wire_record_begin(w, PROTO_T_RECORD);

	wire_put_str(w, PROTO_T_NAME, name);
	wire_put_str(w, PROTO_T_TEXT, text);
	wire_record_end(w, mark);
}

static void
put_number(struct wwriter *w, const char *name, uint64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
	put_text(w, name, text);
}

/* One config.SECTION.KEY line; a text longer than the protocol carries
 * (a long path) is cut, and says so with "...". */
static void
put_config_line(void *arg, const char *name, const char *text)
{
	char cut[PROTO_MAX_TEXT + 1];

	if (strlen(text) > PROTO_MAX_TEXT) {
		snprintf(cut, sizeof(cut), "%.*s...", PROTO_MAX_TEXT - 3, text);
		text = cut;
	}
	put_text(arg, name, text);
}

/* What runs, from which files, and whether the store can decide: the
 * answer comes whether or not the store works.  Then the effective
 * configuration, each key with where it was set (config.h). */
int
admin_status(struct request *rq)
{
	struct daemon *d = rq->d;
	struct store_health h;
	char line[PATH_MAX + 64];

	put_text(rq->out, "version", POLICYD_VERSION);
	put_number(rq->out, "pid", (uint64_t)getpid());
	put_number(rq->out, "uptime_seconds", stats_uptime());
	put_text(rq->out, "config", d->cfg_path);
	pthread_mutex_lock(&d->cfg_lock);
	put_text(rq->out, "user", d->cfg.user[0] ? d->cfg.user : "(unchanged)");
	put_text(rq->out, "runtime_dir", d->cfg.runtime_dir);
	put_text(rq->out, "database", d->cfg.database);
	put_text(rq->out, "key_file", d->cfg.totp_key_file);
	cfg_describe(&d->cfg, put_config_line, rq->out);
	pthread_mutex_unlock(&d->cfg_lock);
	store_health(d->store, &h);
	put_text(rq->out, "store", h.failed ? "failed: a sync failed; every "
		 "decision is answered unavailable until a restart" : "ok");
	if (h.error_at != 0) {
		snprintf(line, sizeof(line), "%s", h.error);
		put_text(rq->out, "store_last_error", line);
		put_number(rq->out, "store_last_error_at",
			   (uint64_t)h.error_at);
	}
	put_number(rq->out, "hash_workers", hash_workers());
	put_number(rq->out, "logins_waiting_for_code", pending_count(NULL));
	return PROTO_OK;
}

/* Counters since start, then the gauges of now: locks, the hash queue,
 * and the costliest cost every hidden answer takes (cost.h). */
/* policyctl reload: this instance re-reads its file, as on SIGHUP, and
 * the answer says whether it took it. */
int
admin_reload(struct request *rq)
{
	char why[512] = "";
	int rc;

	log_notice("reload asked by uid %u", actor(rq));
	rc = daemon_reload(rq->d, 10000, why, sizeof(why));
	if (rc < 0)
		return PROTO_UNAVAILABLE;
	if (rc == 0) {
		wire_put_str(rq->out, PROTO_T_TEXT, why);
		rq->keep_fields = 1;
		return PROTO_BAD_REQUEST;
	}
	return PROTO_OK;
}

int
admin_stats(struct request *rq)
{
	uint64_t locks[2] = { 0, 0 };
	unsigned running, waiting;
	struct store_health h;
	struct hash_cost cost;
	int64_t typical_us;

	for (int i = 0; i < STAT_COUNT; i++)
		put_stat(rq->out, stats_name(i), stats_get(i));
	/* A store that fails still lets the counters be read: the gauges
	 * that need it are left out, and store_failed says why. */
	store_health(rq->d->store, &h);
	put_stat(rq->out, "store_failed", (uint64_t)h.failed);
	if (store_locks(rq->d->store, time(NULL), count_lock, locks) ==
	    STORE_OK) {
		put_stat(rq->out, "locked_accounts", locks[0]);
		put_stat(rq->out, "locked_sources", locks[1]);
	}
	hash_queue(&running, &waiting);
	put_stat(rq->out, "hash_running", running);
	put_stat(rq->out, "hash_waiting", waiting);
	put_stat(rq->out, "hash_workers", hash_workers());
	hash_costliest(&cost, &typical_us);
	put_stat(rq->out, "costliest_memory_kib", cost.memory_kib);
	put_stat(rq->out, "costliest_time", cost.time);
	put_stat(rq->out, "costliest_parallelism", cost.parallelism);
	put_stat(rq->out, "costliest_typical_us",
		 (uint64_t)(typical_us > 0 ? typical_us : 0));
	put_stat(rq->out, "uptime_seconds", stats_uptime());
	return PROTO_OK;
}
