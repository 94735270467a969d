/*
 * store_sqlite.c - the SQLite backend of store.h, the embedded default.
 *
 * One connection, guarded by a mutex: SQLite serialises writers anyway,
 * each call is short (hashing happens outside the store), and a single
 * connection keeps the WAL and its checkpoints simple.  Statements are
 * prepared once at open.  Write decisions run inside BEGIN IMMEDIATE, so
 * two daemons sharing the file cannot interleave a read and a write.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

/* Forward migrations: entry i takes the schema from version i to i + 1.
 * Never edit a shipped entry; append a new one. */
static const char *const migrations[] = {
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" password TEXT NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" pw_changed INTEGER NOT NULL"
	");",
	/* 2: must-change flag and password history. */
	"ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE password_history ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" password TEXT NOT NULL,"
	" retired INTEGER NOT NULL"
	");"
	"CREATE INDEX password_history_user ON password_history(user_id, id);",
	/* 3: failures, locks and the last login. */
	"ALTER TABLE users ADD COLUMN last_login INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN last_host TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN last_service TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN failed_since_login INTEGER NOT NULL"
	" DEFAULT 0;"
	"CREATE TABLE failures ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"		/* 'u' account, 's' remote host */
	" key TEXT NOT NULL,"
	" time INTEGER NOT NULL,"
	" rhost TEXT NOT NULL,"
	" service TEXT NOT NULL"
	");"
	"CREATE INDEX failures_key ON failures(kind, key, time);"
	"CREATE INDEX failures_time ON failures(time);"
	"CREATE TABLE locks ("
	" kind TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" since INTEGER NOT NULL,"
	" until INTEGER NOT NULL,"
	" PRIMARY KEY (kind, key)"
	");",
};
#define SCHEMA_VERSION (int)(sizeof(migrations) / sizeof(migrations[0]))

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_USER_GET,
	S_USER_ADD,
	S_USER_DEL,
	S_USER_DISABLE,
	S_USER_LIST,
	S_USER_EXPIRE,
	S_HISTORY,
	S_HISTORY_ADD,
	S_HISTORY_PRUNE,
	S_PASSWORD_SWAP,
	S_LOCK_GET,
	S_LOCK_DEL,
	S_LOCK_ADD,
	S_FAIL_PRUNE,
	S_FAIL_CLEAR,
	S_FAIL_COUNT,
	S_FAIL_ADD,
	S_FAIL_DEL_ID,
	S_FAIL_PRUNE_ALL,
	S_LOCK_PRUNE_ALL,
	S_USER_FAILED_INC,
	S_USER_LOGIN_GET,
	S_USER_LOGIN_SET,
	S_FAIL_LIST,
	S_LOCK_LIST,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_USER_GET] = "SELECT id, name, password, disabled, created,"
		       " pw_changed, must_change FROM users WHERE name = ?1",
	[S_USER_ADD] = "INSERT INTO users (name, password, created, pw_changed)"
		       " VALUES (?1, ?2, ?3, ?3)",
	[S_USER_DEL] = "DELETE FROM users WHERE name = ?1",
	[S_USER_DISABLE] = "UPDATE users SET disabled = ?2 WHERE name = ?1",
	[S_USER_LIST] = "SELECT id, name, '', disabled, created, pw_changed,"
			" must_change FROM users WHERE name > ?1"
			" ORDER BY name LIMIT ?2",
	[S_USER_EXPIRE] = "UPDATE users SET must_change = 1 WHERE name = ?1",
	[S_HISTORY] = "SELECT password FROM password_history"
		      " WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2",
	[S_HISTORY_ADD] = "INSERT INTO password_history"
			  " (user_id, password, retired) VALUES (?1, ?2, ?3)",
	/* Keeps the newest ?2 entries of the user. */
	[S_HISTORY_PRUNE] = "DELETE FROM password_history WHERE user_id = ?1"
			    " AND id NOT IN (SELECT id FROM password_history"
			    " WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)",
	/* Replaces the hash only if it is still the one the caller read. */
	[S_PASSWORD_SWAP] = "UPDATE users SET password = ?3,"
			    " pw_changed = CASE WHEN ?4 THEN ?5"
			    " ELSE pw_changed END,"
			    " must_change = CASE WHEN ?4 THEN 0"
			    " ELSE must_change END"
			    " WHERE id = ?1 AND password = ?2",
	[S_LOCK_GET] = "SELECT until FROM locks WHERE kind = ?1 AND key = ?2",
	[S_LOCK_DEL] = "DELETE FROM locks WHERE kind = ?1 AND key = ?2",
	[S_LOCK_ADD] = "INSERT OR REPLACE INTO locks (kind, key, since, until)"
		       " VALUES (?1, ?2, ?3, ?4)",
	[S_FAIL_PRUNE] = "DELETE FROM failures WHERE kind = ?1 AND key = ?2"
			 " AND time <= ?3",
	[S_FAIL_CLEAR] = "DELETE FROM failures WHERE kind = ?1 AND key = ?2",
	[S_FAIL_COUNT] = "SELECT count(*) FROM failures WHERE kind = ?1"
			 " AND key = ?2",
	[S_FAIL_ADD] = "INSERT INTO failures (kind, key, time, rhost, service)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_FAIL_DEL_ID] = "DELETE FROM failures WHERE id = ?1",
	[S_FAIL_PRUNE_ALL] = "DELETE FROM failures WHERE time <= ?1",
	[S_LOCK_PRUNE_ALL] = "DELETE FROM locks WHERE until <= ?1",
	[S_USER_FAILED_INC] = "UPDATE users SET failed_since_login ="
			      " failed_since_login + 1 WHERE name = ?1",
	[S_USER_LOGIN_GET] = "SELECT last_login, last_host, last_service,"
			     " failed_since_login FROM users WHERE name = ?1",
	[S_USER_LOGIN_SET] = "UPDATE users SET last_login = ?2, last_host = ?3,"
			     " last_service = ?4, failed_since_login = 0"
			     " WHERE name = ?1",
	[S_FAIL_LIST] = "SELECT time, rhost, service FROM failures"
			" WHERE kind = 'u' AND key = ?1 ORDER BY id DESC"
			" LIMIT ?2",
	[S_LOCK_LIST] = "SELECT kind, key, since, until FROM locks"
			" WHERE until > ?1 ORDER BY since",
};

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
	sqlite3_stmt *stmt[S_COUNT];
};

/* Runs a statement to completion and resets it.  Returns the last step's
 * result (SQLITE_DONE on success). */
static int
run(sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

static int
exec_script(sqlite3 *db, const char *sql, char *err, size_t errsz)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errsz, "%s", msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

static int
user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Applies each missing migration in its own transaction, recording the
 * new version in the same transaction. */
static int
migrate(sqlite3 *db, char *err, size_t errsz)
{
	char sql[64];
	int v;

	if (user_version(db, &v) != 0) {
		snprintf(err, errsz, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (v > SCHEMA_VERSION) {
		snprintf(err, errsz,
			 "schema version %d is newer than this policyd (%d)",
			 v, SCHEMA_VERSION);
		return -1;
	}
	for (; v < SCHEMA_VERSION; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec_script(db, "BEGIN IMMEDIATE", err, errsz) != 0)
			return -1;
		if (exec_script(db, migrations[v], err, errsz) != 0 ||
		    exec_script(db, sql, err, errsz) != 0 ||
		    exec_script(db, "COMMIT", err, errsz) != 0) {
			exec_script(db, "ROLLBACK", sql, sizeof(sql));
			return -1;
		}
	}
	return 0;
}

static int
prepare_all(struct store *st, char *err, size_t errsz)
{
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
				       NULL) != SQLITE_OK) {
			snprintf(err, errsz, "%s", sqlite3_errmsg(st->db));
			return -1;
		}
	}
	return 0;
}

int
store_open(const char *path, struct store **out, char *err, size_t errsz)
{
	static const char pragmas[] =
		"PRAGMA journal_mode = WAL;"
		"PRAGMA synchronous = FULL;"
		"PRAGMA foreign_keys = ON;"
		"PRAGMA secure_delete = ON;";
	struct store *st;
	char why[256] = "";

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errsz, "%s: out of memory", path);
		return STORE_ERROR;
	}
	pthread_mutex_init(&st->lock, NULL);
	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		snprintf(why, sizeof(why), "%s",
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	if (exec_script(st->db, pragmas, why, sizeof(why)) != 0 ||
	    migrate(st->db, why, sizeof(why)) != 0 ||
	    prepare_all(st, why, sizeof(why)) != 0)
		goto fail;
	*out = st;
	return STORE_OK;
fail:
	snprintf(err, errsz, "%s: %s", path, why);
	store_close(st);
	return STORE_ERROR;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static void
copy_text(char *dst, size_t dstsz, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, dstsz, "%s", t != NULL ? (const char *)t : "");
}

static void
read_user(sqlite3_stmt *s, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	copy_text(u->name, sizeof(u->name), s, 1);
	copy_text(u->phc, sizeof(u->phc), s, 2);
	u->disabled = sqlite3_column_int(s, 3) != 0;
	u->created = sqlite3_column_int64(s, 4);
	u->pw_changed = sqlite3_column_int64(s, 5);
	u->must_change = sqlite3_column_int(s, 6) != 0;
}

int
store_user_get(struct store *st, const char *name, struct store_user *u)
{
	sqlite3_stmt *s = st->stmt[S_USER_GET];
	int rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_user(s, u);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
}

/*
 * Runs one bound write statement as its own IMMEDIATE transaction, then
 * releases the lock the caller took before binding.  Returns STORE_OK if
 * it changed a row, STORE_NOT_FOUND if it changed none, STORE_EXISTS on a
 * uniqueness conflict, STORE_ERROR otherwise.
 */
static int
write_one(struct store *st, sqlite3_stmt *s)
{
	int rc, changed = 0;

	rc = run(st->stmt[S_BEGIN]);
	if (rc == SQLITE_DONE) {
		rc = sqlite3_step(s);
		changed = sqlite3_changes(st->db);
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			rc = run(st->stmt[S_COMMIT]);
		if (rc != SQLITE_DONE)
			run(st->stmt[S_ROLLBACK]);
	}
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return STORE_EXISTS;
	if (rc != SQLITE_DONE)
		return STORE_ERROR;
	return changed > 0 ? STORE_OK : STORE_NOT_FOUND;
}

int
store_user_add(struct store *st, const char *name, const char *phc,
	       int64_t now)
{
	sqlite3_stmt *s = st->stmt[S_USER_ADD];

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, phc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return write_one(st, s);
}

int
store_user_del(struct store *st, const char *name)
{
	sqlite3_stmt *s = st->stmt[S_USER_DEL];

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return write_one(st, s);
}

int
store_user_set_disabled(struct store *st, const char *name, int disabled)
{
	sqlite3_stmt *s = st->stmt[S_USER_DISABLE];

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, disabled != 0);
	return write_one(st, s);
}

int
store_user_expire(struct store *st, const char *name)
{
	sqlite3_stmt *s = st->stmt[S_USER_EXPIRE];

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return write_one(st, s);
}

int
store_history(struct store *st, int64_t user_id, char (*phcs)[STORE_PHC_MAX],
	      size_t max, size_t *n)
{
	sqlite3_stmt *s = st->stmt[S_HISTORY];
	int rc;

	*n = 0;
	pthread_mutex_lock(&st->lock);
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		copy_text(phcs[(*n)++], STORE_PHC_MAX, s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? STORE_OK : STORE_ERROR;
}

/* Binds and steps one statement of a larger transaction; SQLITE_DONE or
 * the error. */
static int
step_bound(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* The swap, and with `retire` the history bookkeeping, in one
 * transaction; called with the lock held. */
static int
swap_locked(struct store *st, const struct store_user *u, const char *phc,
	    int retire, int64_t now, uint32_t keep)
{
	sqlite3_stmt *swap = st->stmt[S_PASSWORD_SWAP];
	sqlite3_stmt *add = st->stmt[S_HISTORY_ADD];
	sqlite3_stmt *prune = st->stmt[S_HISTORY_PRUNE];
	int rc, changed;

	if (run(st->stmt[S_BEGIN]) != SQLITE_DONE)
		return STORE_ERROR;
	sqlite3_bind_int64(swap, 1, u->id);
	sqlite3_bind_text(swap, 2, u->phc, -1, SQLITE_STATIC);
	sqlite3_bind_text(swap, 3, phc, -1, SQLITE_STATIC);
	sqlite3_bind_int(swap, 4, retire);
	sqlite3_bind_int64(swap, 5, now);
	rc = step_bound(swap);
	changed = sqlite3_changes(st->db);
	if (rc == SQLITE_DONE && changed == 1 && retire) {
		sqlite3_bind_int64(add, 1, u->id);
		sqlite3_bind_text(add, 2, u->phc, -1, SQLITE_STATIC);
		sqlite3_bind_int64(add, 3, now);
		rc = step_bound(add);
		sqlite3_bind_int64(prune, 1, u->id);
		sqlite3_bind_int64(prune, 2, keep);
		if (rc == SQLITE_DONE)
			rc = step_bound(prune);
	}
	if (rc == SQLITE_DONE && changed == 1)
		rc = run(st->stmt[S_COMMIT]);
	if (rc != SQLITE_DONE || changed != 1) {
		run(st->stmt[S_ROLLBACK]);
		return rc != SQLITE_DONE ? STORE_ERROR : STORE_CHANGED;
	}
	return STORE_OK;
}

int
store_password_change(struct store *st, const struct store_user *u,
		      const char *phc, int64_t now, uint32_t keep)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = swap_locked(st, u, phc, 1, now, keep);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int
store_password_rehash(struct store *st, const struct store_user *u,
		      const char *phc)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = swap_locked(st, u, phc, 0, 0, 0);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int
store_user_list(struct store *st, const char *after, size_t max,
		store_user_cb cb, void *arg, int *more)
{
	sqlite3_stmt *s = st->stmt[S_USER_LIST];
	struct store_user u;
	size_t given = 0;
	int rc;

	*more = 0;
	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, after, -1, SQLITE_STATIC);
	/* One row beyond max tells whether the list continues; a negative
	 * LIMIT is no limit. */
	sqlite3_bind_int64(s, 2, max < INT64_MAX ? (sqlite3_int64)max + 1
						 : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (given == max) {
			*more = 1;
			break;
		}
		read_user(s, &u);
		given++;
		if (cb(&u, arg) != 0) {
			*more = 1;
			break;
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* --- Failures and locks ------------------------------------------------ */

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
	return step_bound(s) == SQLITE_DONE ? 0 : -1;
}

static int
count_failures(struct store *st, char kind, const char *key, uint32_t *n)
{
	sqlite3_stmt *s = st->stmt[S_FAIL_COUNT];
	int rc;

	bind_key(s, kind, key);
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
	if (step_bound(add) != SQLITE_DONE)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	if (count_failures(st, kind, key, &n) != 0)
		return -1;
	if (!lockout_after_failure(r, n, a->now, &until))
		return 0;
	add = st->stmt[S_LOCK_ADD];
	bind_key(add, kind, key);
	sqlite3_bind_int64(add, 3, a->now);
	sqlite3_bind_int64(add, 4, until);
	return step_bound(add) == SQLITE_DONE ? 1 : -1;
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
	/* Every account and host is counted, so that the counts exist when
	 * a rule is tightened; only a rule with deny locks. */
	rc = count_one(st, 'u', a->user, &a->user_rule, a, &t->ids[0]);
	if (rc < 0)
		return -1;
	t->newly_locked += rc;
	if (a->rhost[0] != '\0') {
		rc = count_one(st, 's', a->rhost, &a->source_rule, a,
			       &t->ids[1]);
		if (rc < 0)
			return -1;
		t->newly_locked += rc;
	}
	sqlite3_bind_text(st->stmt[S_USER_FAILED_INC], 1, a->user, -1,
			  SQLITE_STATIC);
	return step_bound(st->stmt[S_USER_FAILED_INC]) == SQLITE_DONE ? 0 : -1;
}

/* Runs body inside BEGIN IMMEDIATE ... COMMIT under the lock; ROLLBACK
 * when it fails.  STORE_OK or STORE_ERROR. */
static int
in_transaction(struct store *st, int (*body)(struct store *, void *),
	       void *arg)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = run(st->stmt[S_BEGIN]) == SQLITE_DONE ? body(st, arg) : -1;
	if (rc == 0 && run(st->stmt[S_COMMIT]) != SQLITE_DONE)
		rc = -1;
	if (rc != 0)
		run(st->stmt[S_ROLLBACK]);
	pthread_mutex_unlock(&st->lock);
	return rc == 0 ? STORE_OK : STORE_ERROR;
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

	return rc < 0 ? -1 : 0;
}

int
store_attempt_begin(struct store *st, const struct attempt *a, int count,
		    struct attempt_ticket *t)
{
	struct begin_args b = { a, count, t };
	int rc;

	memset(t, 0, sizeof(*t));
	rc = in_transaction(st, begin_body, &b);
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
		if (step_bound(st->stmt[S_FAIL_DEL_ID]) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static int
cancel_body(struct store *st, void *arg)
{
	return uncount(st, arg);
}

int
store_attempt_cancel(struct store *st, const struct attempt_ticket *t)
{
	return in_transaction(st, cancel_body, (void *)t);
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
		copy_text(out->host, sizeof(out->host), s, 1);
		copy_text(out->service, sizeof(out->service), s, 2);
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
		return -1;
	/* This attempt was counted in failed_since_login too. */
	if (x->t->ids[0] != 0 && x->prev->failures > 0)
		x->prev->failures--;
	sqlite3_bind_text(s, 1, x->a->user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, x->a->now);
	sqlite3_bind_text(s, 3, x->a->rhost, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, x->a->service, -1, SQLITE_STATIC);
	return step_bound(s) == SQLITE_DONE ? 0 : -1;
}

int
store_attempt_succeeded(struct store *st, const struct attempt *a,
			const struct attempt_ticket *t, struct last_login *prev)
{
	struct success_args x = { a, t, prev };

	return in_transaction(st, success_body, &x);
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
		return -1;
	u->found = sqlite3_changes(st->db) > 0;
	if (key_op(st, S_FAIL_CLEAR, u->kind, u->key, 0) != 0)
		return -1;
	u->found |= sqlite3_changes(st->db) > 0;
	return 0;
}

int
store_unlock(struct store *st, char kind, const char *key)
{
	struct unlock_args u = { kind, key, 0 };
	int rc = in_transaction(st, unlock_body, &u);

	if (rc != STORE_OK)
		return rc;
	return u.found ? STORE_OK : STORE_NOT_FOUND;
}

int
store_locked(struct store *st, char kind, const char *key, int64_t now,
	     int64_t *until)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = lock_until(st, kind, key, until);
	pthread_mutex_unlock(&st->lock);
	if (rc < 0)
		return STORE_ERROR;
	return rc == 1 && lockout_holds(*until, now);
}

int
store_locks(struct store *st, int64_t now, store_lock_cb cb, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_LOCK_LIST];
	char key[PROTO_MAX_TEXT + 1];
	int rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(s, 0);

		copy_text(key, sizeof(key), s, 1);
		if (cb(k != NULL ? (char)k[0] : '?', key,
		       sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
		       arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

int
store_failures(struct store *st, const char *user, size_t max,
	       store_failure_cb cb, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_FAIL_LIST];
	char rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	int rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		copy_text(rhost, sizeof(rhost), s, 1);
		copy_text(service, sizeof(service), s, 2);
		if (cb(sqlite3_column_int64(s, 0), rhost, service, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

int
store_last_login(struct store *st, const char *user, struct last_login *out)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = read_last_login(st, user, out);
	pthread_mutex_unlock(&st->lock);
	return rc == 0 ? STORE_OK : STORE_ERROR;
}

static int
prune_body(struct store *st, void *arg)
{
	int64_t before = *(int64_t *)arg;

	sqlite3_bind_int64(st->stmt[S_FAIL_PRUNE_ALL], 1, before);
	if (step_bound(st->stmt[S_FAIL_PRUNE_ALL]) != SQLITE_DONE)
		return -1;
	sqlite3_bind_int64(st->stmt[S_LOCK_PRUNE_ALL], 1, before);
	return step_bound(st->stmt[S_LOCK_PRUNE_ALL]) == SQLITE_DONE ? 0 : -1;
}

int
store_prune(struct store *st, int64_t before)
{
	return in_transaction(st, prune_body, &before);
}
