/*
 * store_sqlite_lock.c - the SQLite backend of store.h for failures, locks
 * and logins.  Each decision is one IMMEDIATE transaction, its arithmetic
 * that of lockout.c, so two daemons sharing the file decide alike.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "lockout.h"
#include "store.h"
#include "store_sqlite.h"

static void
bind_key(sqlite3_stmt *s, char kind, const char *key)
{
	char k[2] = { kind, '\0' };

	sqlite3_bind_text(s, 1, k, 1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
}

/* The end of the key's lock: 1 with *until, 0 if none, -1 on error. */
static int
lock_until(struct store *st, char kind, const char *key, int64_t *until)
{
	sqlite3_stmt *s = st->stmt[S_LOCK_GET];
	int rc;

	bind_key(s, kind, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*until = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Runs a statement bound to (kind, key) and optionally one integer ?3. */
static int
key_op(struct store *st, int which, char kind, const char *key, int64_t arg)
{
	sqlite3_stmt *s = st->stmt[which];

	bind_key(s, kind, key);
	if (sqlite3_bind_parameter_count(s) >= 3)
		sqlite3_bind_int64(s, 3, arg);
	return sq_step(s) == SQLITE_DONE ? 0 : -1;
}

/* The key's failures in its window, counted up to `limit`. */
static int
count_failures(struct store *st, char kind, const char *key, uint32_t limit,
	       uint32_t *n)
{
	sqlite3_stmt *s = st->stmt[S_FAIL_COUNT];
	int rc;

	bind_key(s, kind, key);
	sqlite3_bind_int64(s, 3, limit);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Is the key locked at now?  1 yes, 0 no (an expired lock is lifted
 * here, with its failures), -1 error. */
static int
key_locked(struct store *st, char kind, const char *key, int64_t now,
	   int64_t *until)
{
	int rc = lock_until(st, kind, key, until);

	if (rc <= 0)
		return rc;
	if (lockout_holds(*until, now))
		return 1;
	if (key_op(st, S_LOCK_DEL, kind, key, 0) != 0 ||
	    key_op(st, S_FAIL_CLEAR, kind, key, 0) != 0)
		return -1;
	return 0;
}

/* Counts one failure for the key; locks it if that reaches deny.
 * Returns 1 if it locked, 0 if not, -1 on error. */
static int
count_one(struct store *st, char kind, const char *key,
	  const struct lock_rule *r, const struct attempt *a, int64_t *id)
{
	sqlite3_stmt *add = st->stmt[S_FAIL_ADD];
	int64_t until;
	uint32_t n;

	if (key_op(st, S_FAIL_PRUNE, kind, key,
		   lockout_window_start(r, a->now)) != 0)
		return -1;
	bind_key(add, kind, key);
	sqlite3_bind_int64(add, 3, a->now);
	sqlite3_bind_text(add, 4, a->rhost, -1, SQLITE_STATIC);
	sqlite3_bind_text(add, 5, a->service, -1, SQLITE_STATIC);
	if (sq_step(add) != SQLITE_DONE)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	/* Without deny the key is only recorded: nothing to count. */
	if (r->deny == 0)
		return 0;
	if (count_failures(st, kind, key, r->deny, &n) != 0)
		return -1;
	if (!lockout_after_failure(r, n, a->now, &until))
		return 0;
	add = st->stmt[S_LOCK_ADD];
	bind_key(add, kind, key);
	sqlite3_bind_int64(add, 3, a->now);
	sqlite3_bind_int64(add, 4, until);
	return sq_step(add) == SQLITE_DONE ? 1 : -1;
}

/* The body of store_attempt_begin, inside its transaction. */
static int
attempt_locked(struct store *st, const struct attempt *a, int count,
	       struct attempt_ticket *t)
{
	int rc;

	if (a->user_rule.deny > 0) {
		rc = key_locked(st, 'u', a->user, a->now, &t->until);
		if (rc != 0) {
			t->locked = ATTEMPT_USER_LOCKED;
			return rc;
		}
	}
	if (a->source_rule.deny > 0) {
		rc = key_locked(st, 's', a->rhost, a->now, &t->until);
		if (rc != 0) {
			t->locked = ATTEMPT_SOURCE_LOCKED;
			return rc;
		}
	}
	if (!count)
		return 0;
	t->counted_at = a->now;
	/* Every account and host is counted, so that the counts exist when
	 * a rule is tightened; only a rule with deny locks. */
	rc = count_one(st, 'u', a->user, &a->user_rule, a, &t->ids[0]);
	if (rc < 0)
		return -1;
	t->newly_locked += rc;
	t->locked_user = rc;
	if (a->rhost[0] != '\0') {
		rc = count_one(st, 's', a->rhost, &a->source_rule, a,
			       &t->ids[1]);
		if (rc < 0)
			return -1;
		t->newly_locked += rc;
		t->locked_source = rc;
	}
	sqlite3_bind_text(st->stmt[S_USER_FAILED_INC], 1, a->user, -1,
			  SQLITE_STATIC);
	return sq_step(st->stmt[S_USER_FAILED_INC]) == SQLITE_DONE ? 0 : -1;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Takes the store's lock and begins a write transaction.  While another
 * process holds the file's write lock (a backup, a second daemon), the
 * wait happens without the store's lock, so that this daemon's reads go
 * on meanwhile, and lasts at most STORE_BUSY_MS, well under the module's
 * timeout.  0 with the lock held, or -1 without it.
 */
static int
begin_write(struct store *st)
{
	const struct timespec pause = { 0, 5 * 1000 * 1000 };
	int64_t until = mono_ms() + STORE_BUSY_MS;
	sqlite3_stmt *s = st->stmt[S_BEGIN];
	int rc;

	for (;;) {
		if (sq_lock(st) != 0)
			return -1;
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || mono_ms() >= until)
			break;
		pthread_mutex_unlock(&st->lock);
		nanosleep(&pause, NULL);
	}
	sq_note_failure(st->db, rc);
	pthread_mutex_unlock(&st->lock);
	return -1;
}

int
sq_transaction(struct store *st, int (*body)(struct store *, void *),
	       void *arg, struct audit_rec *ev)
{
	uint64_t seq = 0;
	int rc;

	if (begin_write(st) != 0) {
		/* No transaction began: nothing to roll back. */
		if (ev != NULL)
			ev->committed = 0;
		return STORE_ERROR;
	}
	rc = body(st, arg);
	if (rc == SQ_COMMIT && ev != NULL && sq_audit_add(st, ev) != 0)
		rc = SQ_ROLLBACK;
	if (rc != SQ_ROLLBACK && sq_commit(st, &seq) != SQLITE_DONE)
		rc = SQ_ROLLBACK;
	if (rc == SQ_ROLLBACK) {
		sq_run(st->stmt[S_ROLLBACK]);
		sq_seal_abort(st);
		if (ev != NULL)
			ev->committed = 0;
	}
	pthread_mutex_unlock(&st->lock);
	if (rc != SQ_ROLLBACK && sq_durable(st, seq) != 0) {
		rc = SQ_ROLLBACK;
		if (ev != NULL)
			ev->committed = 0;
	}
	return rc != SQ_ROLLBACK ? STORE_OK : STORE_ERROR;
}

struct begin_args {
	const struct attempt *a;
	int count;
	struct attempt_ticket *t;
};

static int
begin_body(struct store *st, void *arg)
{
	struct begin_args *b = arg;
	int rc = attempt_locked(st, b->a, b->count, b->t);

	if (rc < 0)
		return SQ_ROLLBACK;
	return b->t->locked != ATTEMPT_OPEN || !b->count ? SQ_COMMIT_UNRECORDED
							 : SQ_COMMIT;
}

int
store_attempt_begin(struct store *st, const struct attempt *a, int count,
		    struct attempt_ticket *t, struct audit_rec *ev)
{
	struct begin_args b = { a, count, t };
	int rc;

	memset(t, 0, sizeof(*t));
	rc = sq_transaction(st, begin_body, &b, ev);
	if (rc != STORE_OK)
		memset(t, 0, sizeof(*t));
	return rc;
}

static int
uncount(struct store *st, const struct attempt_ticket *t)
{
	for (int i = 0; i < 2; i++) {
		if (t->ids[i] == 0)
			continue;
		sqlite3_bind_int64(st->stmt[S_FAIL_DEL_ID], 1, t->ids[i]);
		if (sq_step(st->stmt[S_FAIL_DEL_ID]) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/* The attempt was counted in failed_since_login too. */
static int
give_back_one(struct store *st, const char *user)
{
	sqlite3_stmt *s = st->stmt[S_USER_FAILED_DEC];

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	return sq_step(s) == SQLITE_DONE ? 0 : -1;
}

struct cancel_args {
	const struct attempt *a;
	const struct attempt_ticket *t;
};

/* Uncounts the attempt, and lifts a lock that its own count set: with
 * the attempt given back, the key is below its deny again. */
static int
cancel_body(struct store *st, void *arg)
{
	const struct cancel_args *x = arg;

	if (uncount(st, x->t) != 0 ||
	    (x->t->ids[0] != 0 && give_back_one(st, x->a->user) != 0) ||
	    (x->t->locked_user &&
	     key_op(st, S_LOCK_DEL_SINCE, 'u', x->a->user,
		    x->t->counted_at) != 0) ||
	    (x->t->locked_source &&
	     key_op(st, S_LOCK_DEL_SINCE, 's', x->a->rhost,
		    x->t->counted_at) != 0))
		return SQ_ROLLBACK;
	return SQ_COMMIT;
}

int
store_attempt_cancel(struct store *st, const struct attempt *a,
		     const struct attempt_ticket *t, struct audit_rec *ev)
{
	struct cancel_args x = { a, t };

	return sq_transaction(st, cancel_body, &x, ev);
}

static int
read_last_login(struct store *st, const char *user, struct last_login *out)
{
	sqlite3_stmt *s = st->stmt[S_USER_LOGIN_GET];
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->time = sqlite3_column_int64(s, 0);
		sq_copy_text(out->host, sizeof(out->host), s, 1);
		sq_copy_text(out->service, sizeof(out->service), s, 2);
		out->failures = (uint32_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

struct success_args {
	const struct attempt *a;
	const struct attempt_ticket *t;
	struct last_login *prev;
};

static int
success_body(struct store *st, void *arg)
{
	struct success_args *x = arg;
	sqlite3_stmt *s = st->stmt[S_USER_LOGIN_SET];

	if (read_last_login(st, x->a->user, x->prev) != 0 ||
	    uncount(st, x->t) != 0 ||
	    key_op(st, S_FAIL_CLEAR, 'u', x->a->user, 0) != 0 ||
	    key_op(st, S_LOCK_DEL, 'u', x->a->user, 0) != 0)
		return SQ_ROLLBACK;
	/* This attempt was counted in failed_since_login too. */
	if (x->t->ids[0] != 0 && x->prev->failures > 0)
		x->prev->failures--;
	sqlite3_bind_text(s, 1, x->a->user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, x->a->now);
	sqlite3_bind_text(s, 3, x->a->rhost, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, x->a->service, -1, SQLITE_STATIC);
	return sq_step(s) == SQLITE_DONE ? SQ_COMMIT : SQ_ROLLBACK;
}

int
store_attempt_succeeded(struct store *st, const struct attempt *a,
			const struct attempt_ticket *t, struct last_login *prev,
			struct audit_rec *ev)
{
	struct success_args x = { a, t, prev };

	return sq_transaction(st, success_body, &x, ev);
}

struct unlock_args {
	char kind;
	const char *key;
	int found;
};

static int
unlock_body(struct store *st, void *arg)
{
	struct unlock_args *u = arg;

	if (key_op(st, S_LOCK_DEL, u->kind, u->key, 0) != 0)
		return SQ_ROLLBACK;
	u->found = sqlite3_changes(st->db) > 0;
	if (key_op(st, S_FAIL_CLEAR, u->kind, u->key, 0) != 0)
		return SQ_ROLLBACK;
	u->found |= sqlite3_changes(st->db) > 0;
	/* Nothing to lift: nothing decided, nothing recorded as done. */
	return u->found ? SQ_COMMIT : SQ_COMMIT_UNRECORDED;
}

int
store_unlock(struct store *st, char kind, const char *key,
	     struct audit_rec *ev)
{
	struct unlock_args u = { kind, key, 0 };
	int rc = sq_transaction(st, unlock_body, &u, ev);

	if (rc != STORE_OK)
		return rc;
	return u.found ? STORE_OK : STORE_NOT_FOUND;
}

int
store_locked(struct store *st, char kind, const char *key, int64_t now,
	     int64_t *until)
{
	struct store *rs;
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	rc = lock_until(rs, kind, key, until);
	pthread_mutex_unlock(&rs->lock);
	if (rc < 0)
		return STORE_ERROR;
	return rc == 1 && lockout_holds(*until, now);
}

int
store_locks(struct store *st, int64_t now, store_lock_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct store *rs;
	char key[PROTO_MAX_TEXT + 1];
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_LOCK_LIST];
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(s, 0);

		sq_copy_text(key, sizeof(key), s, 1);
		if (cb(k != NULL ? (char)k[0] : '?', key,
		       sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
		       arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sq_release(rs, s);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

int
store_failures(struct store *st, const char *user, size_t max,
	       store_failure_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct store *rs;
	char rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_FAIL_LIST];
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sq_copy_text(rhost, sizeof(rhost), s, 1);
		sq_copy_text(service, sizeof(service), s, 2);
		if (cb(sqlite3_column_int64(s, 0), rhost, service, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sq_release(rs, s);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

int
store_last_login(struct store *st, const char *user, struct last_login *out)
{
	struct store *rs;
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	rc = read_last_login(rs, user, out);
	pthread_mutex_unlock(&rs->lock);
	return rc == 0 ? STORE_OK : STORE_ERROR;
}

static int
prune_body(struct store *st, void *arg)
{
	int64_t before = *(int64_t *)arg;

	sqlite3_bind_int64(st->stmt[S_FAIL_PRUNE_ALL], 1, before);
	if (sq_step(st->stmt[S_FAIL_PRUNE_ALL]) != SQLITE_DONE)
		return SQ_ROLLBACK;
	sqlite3_bind_int64(st->stmt[S_LOCK_PRUNE_ALL], 1, before);
	return sq_step(st->stmt[S_LOCK_PRUNE_ALL]) == SQLITE_DONE
		       ? SQ_COMMIT
		       : SQ_ROLLBACK;
}

int
store_prune(struct store *st, int64_t before)
{
	return sq_transaction(st, prune_body, &before, NULL);
}
