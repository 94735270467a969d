/*
 * store_sqlite.c - the SQLite backend of store.h, the embedded default.
 *
 * Two connections.  Writes run on one, guarded by a mutex: SQLite
 * serialises writers anyway, each call is short (hashing happens
 * outside the store), and one writing connection keeps the WAL and its
 * checkpoints simple.  Write decisions run inside BEGIN IMMEDIATE, so
 * two daemons sharing the file cannot interleave a read and a write.
 * Reads run on the other, read-only, with its own mutex (sq_reader): in
 * WAL mode it sees the last commit and never waits for a write
 * transaction.  Statements are prepared once at open, on both.
 *
 * Group commit: SQLite commits with synchronous = NORMAL, which in WAL
 * mode appends the transaction to the WAL without waiting for the disk,
 * and the committing thread then calls sq_durable, outside the lock,
 * before it answers: one fdatasync of the WAL makes every commit before
 * it durable, so concurrent decisions share one instead of queueing for
 * one each.  No answer leaves the daemon before the commit it reports is
 * on disk, as with synchronous = FULL.
 *
 * A failed fdatasync: the kernel may still hold the pages it could not
 * write, and SQLite would replay the commits in them at the next start,
 * although each was answered "unavailable".  So the WAL is cut back to
 * the end of the last commit known on disk (each commit notes where the
 * WAL ends, through SQLite's WAL hook), and from then on nothing commits
 * and nothing is read until a restart.  The WAL hook replaces SQLite's
 * automatic checkpoint, which would copy commits into the database file
 * before their fdatasync: store_maintain checkpoints instead, once what
 * it copies is on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "sealkey.h"
#include "stats.h"
#include "store.h"
#include "store_sqlite.h"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_DATA_VERSION] = "PRAGMA data_version",
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
	[S_PASSWORDS] = "SELECT password FROM users",
	[S_LOCK_GET] = "SELECT until FROM locks WHERE kind = ?1 AND key = ?2",
	[S_LOCK_DEL] = "DELETE FROM locks WHERE kind = ?1 AND key = ?2",
	/* The lock one attempt set, not a later one of the same key. */
	[S_LOCK_DEL_SINCE] = "DELETE FROM locks WHERE kind = ?1 AND key = ?2"
			     " AND since = ?3",
	[S_LOCK_ADD] = "INSERT OR REPLACE INTO locks (kind, key, since, until)"
		       " VALUES (?1, ?2, ?3, ?4)",
	[S_FAIL_PRUNE] = "DELETE FROM failures WHERE kind = ?1 AND key = ?2"
			 " AND time <= ?3",
	[S_FAIL_CLEAR] = "DELETE FROM failures WHERE kind = ?1 AND key = ?2",
	/* At most ?3 rows are walked: whatever the window holds (a key
	 * never locked, or a high deny), a count costs O(deny). */
	[S_FAIL_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM failures"
			 " WHERE kind = ?1 AND key = ?2 LIMIT ?3)",
	[S_FAIL_ADD] = "INSERT INTO failures (kind, key, time, rhost, service)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_FAIL_DEL_ID] = "DELETE FROM failures WHERE id = ?1",
	[S_FAIL_PRUNE_ALL] = "DELETE FROM failures WHERE time <= ?1",
	[S_LOCK_PRUNE_ALL] = "DELETE FROM locks WHERE until <= ?1",
	[S_USER_FAILED_INC] = "UPDATE users SET failed_since_login ="
			      " failed_since_login + 1 WHERE name = ?1",
	[S_USER_FAILED_DEC] = "UPDATE users SET failed_since_login ="
			      " max(failed_since_login - 1, 0) WHERE name = ?1",
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
	[S_TOTP_GET] = "SELECT sealed, pending, last_step FROM totp"
		       " WHERE user_id = ?1",
	[S_TOTP_PENDING] = "INSERT INTO totp (user_id, pending, created)"
			   " VALUES (?1, ?2, ?3) ON CONFLICT (user_id)"
			   " DO UPDATE SET pending = ?2",
	[S_TOTP_CONFIRM] = "UPDATE totp SET sealed = pending, pending = NULL,"
			   " last_step = ?2 WHERE user_id = ?1"
			   " AND pending IS NOT NULL",
	/* A step is accepted once: only when newer than the last one. */
	[S_TOTP_ACCEPT] = "UPDATE totp SET last_step = ?2 WHERE user_id = ?1"
			  " AND sealed IS NOT NULL AND last_step < ?2",
	[S_TOTP_DELETE] = "DELETE FROM totp WHERE user_id = ?1",
	[S_CODES_DELETE] = "DELETE FROM recovery_codes WHERE user_id = ?1",
	[S_CODES_ADD] = "INSERT INTO recovery_codes (user_id, hash)"
			" VALUES (?1, ?2)",
	[S_CODES_USE] = "UPDATE recovery_codes SET used = 1 WHERE user_id = ?1"
			" AND hash = ?2 AND used = 0",
	[S_CODES_LEFT] = "SELECT count(*) FROM recovery_codes"
			 " WHERE user_id = ?1 AND used = 0",
	/* The chain's end: the last record, else the checkpoint. */
	[S_AUDIT_LAST] = "SELECT id, hash FROM audit UNION ALL"
			 " SELECT id, hash FROM audit_checkpoint"
			 " ORDER BY id DESC LIMIT 1",
	[S_AUDIT_CHECKPOINT] = "SELECT id, hash, seal, time"
			       " FROM audit_checkpoint",
	[S_AUDIT_OLD_END] = "SELECT id, hash, seal, time FROM audit"
			    " WHERE time < ?1 ORDER BY id DESC LIMIT 1",
	[S_AUDIT_SET_CHECKPOINT] = "INSERT OR REPLACE INTO audit_checkpoint"
				   " (k, id, hash, seal, time)"
				   " VALUES (1, ?1, ?2, ?3, ?4)",
	[S_AUDIT_PURGE] = "DELETE FROM audit WHERE id <= ?1",
	[S_AUDIT_ADD] = "INSERT INTO audit (id, time, event, actor_uid, actor,"
			" user, host, service, tty, result, reason, prev, hash,"
			" seal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
			" ?11, ?12, ?13, ?14)",
	[S_AUDIT_ALL] = "SELECT id, time, event, actor_uid, actor, user, host,"
			" service, tty, result, reason, prev, hash, seal"
			" FROM audit ORDER BY id",
	[S_KEY_CHECK_GET] = "SELECT value FROM key_check WHERE k = 1",
	[S_KEY_CHECK_ADD] = "INSERT INTO key_check (k, value) VALUES (1, ?1)",
	[S_AUDIT_FIRST_SEALED] = "SELECT min(id) FROM (SELECT id FROM audit"
				 " WHERE seal IS NOT NULL UNION ALL SELECT id"
				 " FROM audit_checkpoint WHERE seal IS NOT"
				 " NULL)",
	[S_AUDIT_FROM] = "SELECT id, hash, seal, time FROM audit WHERE id >= ?1"
			 " ORDER BY id",
	[S_AUDIT_QUERY] = "SELECT id, time, event, actor_uid, actor, user,"
			  " host, service, tty, result, reason, prev, hash,"
			  " seal"
			  " FROM audit WHERE (?1 = '' OR user = ?1)"
			  " AND (?2 = '' OR event = ?2)"
			  " AND (?3 = '' OR host = ?3)"
			  " AND time >= ?4 AND time <= ?5 AND id > ?6"
			  " ORDER BY id LIMIT ?7",
};



/* Runs a statement to completion and resets it.  Returns the last step's
 * result (SQLITE_DONE on success). */
/*
 * Says why the store failed, once a minute per cause (SQLite's primary
 * result code): a full disk, a read-only file, corruption or a busy lock
 * would otherwise only show as "unavailable" answers.  A uniqueness or
 * other constraint is an answer (user exists), not a failure.  Called
 * with the store's lock held, so that errmsg is this failure's.
 */
/* The last failure of any store in this process, for store_health. */
static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_error[256];
static int64_t last_error_at;

static void note_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
note_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&error_lock);
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	last_error_at = time(NULL);
	pthread_mutex_unlock(&error_lock);
}

void
store_health(struct store *st, struct store_health *h)
{
	memset(h, 0, sizeof(*h));
	h->failed = __atomic_load_n(&st->broken, __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&error_lock);
	h->error_at = last_error_at;
	snprintf(h->error, sizeof(h->error), "%s", last_error);
	pthread_mutex_unlock(&error_lock);
}

void
sq_note_failure(sqlite3 *db, int rc)
{
	static int64_t last[256];
	int64_t now = time(NULL), then;
	int cause = rc & 0xff;

	if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE ||
	    cause == SQLITE_CONSTRAINT)
		return;
	note_error("%s (%s, code %d)", sqlite3_errmsg(db), sqlite3_errstr(rc),
		   rc);
	then = __atomic_load_n(&last[cause], __ATOMIC_RELAXED);
	if (now - then < 60 ||
	    !__atomic_compare_exchange_n(&last[cause], &then, now, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	log_err("store failed: %s (%s, code %d); answering \"unavailable\" "
		"(said once a minute)", sqlite3_errmsg(db), sqlite3_errstr(rc),
		rc);
}

int
sq_run(sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sq_note_failure(sqlite3_db_handle(s), rc);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
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

/* Opens the WAL file for sq_durable (and wal_cut).  It exists from the
 * first read in WAL mode on (the migrations), and this connection keeps
 * it: SQLite removes it only when the last connection closes. */
static int
open_wal(struct store *st, char *err, size_t errsz)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	char path[4096];

	if (db == NULL || db[0] == '\0' ||
	    snprintf(path, sizeof(path), "%s-wal", db) >= (int)sizeof(path)) {
		snprintf(err, errsz, "no file name for the WAL");
		return -1;
	}
	st->wal_fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (st->wal_fd < 0) {
		snprintf(err, errsz, "the WAL: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* SQLite's WAL hook, called inside each commit with the lock held: the
 * number of frames in the WAL.  Returning SQLITE_OK keeps the commit. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;

	(void)db;
	(void)name;
	st->wal_frames = frames > 0 ? (uint64_t)frames : 0;
	return SQLITE_OK;
}

/* Where the WAL stands now (the lock held): 0, or -1. */
static int
wal_mark_now(struct store *st, struct wal_mark *m)
{
	sqlite3_stmt *s = st->stmt[S_DATA_VERSION];
	ssize_t n;
	int rc;

	m->frames = st->wal_frames;
	rc = sqlite3_step(s);
	m->version = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	/* The WAL header's salts change whenever SQLite starts the WAL
	 * anew (after a checkpoint copied all of it); an empty file has
	 * none. */
	memset(m->salt, 0, sizeof(m->salt));
	n = pread(st->wal_fd, m->salt, sizeof(m->salt), 16);
	return rc == SQLITE_ROW && n >= 0 ? 0 : -1;
}

/* The WAL's size at mark m, given where it stands now: 0 if SQLite has
 * started it anew since (then all m covered is in the database file),
 * else its header and m's frames. */
static off_t
wal_end(const struct store *st, const struct wal_mark *m,
	const struct wal_mark *now)
{
	if (m->frames == 0 || memcmp(m->salt, now->salt, sizeof(m->salt)))
		return 0;
	return (off_t)(32 + m->frames * (24 + (uint64_t)st->page_size));
}

/*
 * After a failed fdatasync, with the lock held: cuts the WAL back to the
 * end of the last durable commit, so that the commits after it (each
 * answered "unavailable") are gone at the next start, and keeps SQLite
 * from copying them into the database when it closes.  Not when another
 * connection (a second daemon, a sqlite3 shell) committed meanwhile: its
 * commits would go too.
 */
static void
wal_cut(struct store *st)
{
	struct wal_mark d, now;
	off_t end;

	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
			  (int *)NULL);
	pthread_mutex_lock(&st->sync_lock);
	d = st->durable;
	pthread_mutex_unlock(&st->sync_lock);
	if (wal_mark_now(st, &now) != 0 || now.version != d.version) {
		log_err("store: another connection wrote to the store since "
			"its last durable commit: the WAL is left as it is, "
			"and changes answered \"unavailable\" may be in force "
			"after a restart");
		return;
	}
	end = wal_end(st, &d, &now);
	if (ftruncate(st->wal_fd, end) != 0) {
		log_err("store: cutting the WAL back: %s; changes answered "
			"\"unavailable\" may be in force after a restart",
			strerror(errno));
		return;
	}
	log_err("store: the WAL was cut back to its last durable commit "
		"(%llu bytes); no change answered \"unavailable\" will be "
		"in force after a restart", (unsigned long long)end);
}

struct store *
sq_reader(struct store *st)
{
	struct store *r = st->reader;

	pthread_mutex_lock(&r->lock);
	if (!__atomic_load_n(&st->broken, __ATOMIC_ACQUIRE))
		return r;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int
sq_lock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	if (!__atomic_load_n(&st->broken, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_unlock(&st->lock);
	return -1;
}

void
sq_seal_abort(struct store *st)
{
	audit_key_wipe(&st->seal_txn);
	st->seal_txn_used = 0;
}

int
sq_commit(struct store *st, uint64_t *seq)
{
	struct wal_mark m;
	int rc;

	/* Check first, then commit. */
	if (__atomic_load_n(&st->broken, __ATOMIC_ACQUIRE))
		return SQLITE_IOERR;
	rc = sq_run(st->stmt[S_COMMIT]);
	if (rc != SQLITE_DONE)
		return rc;
	if (st->seal_txn_used) {
		st->seal_next = st->seal_txn;
		sq_seal_abort(st);
	}
	if (wal_mark_now(st, &m) != 0)
		m.version = -1;		/* never matches: no cut */
	m.seal_next = st->seal_next.pos;
	m.seal_epoch = st->seal_next.epoch;
	pthread_mutex_lock(&st->sync_lock);
	*seq = m.seq = ++st->committed;
	st->last = m;
	pthread_mutex_unlock(&st->sync_lock);
	stats_add(STAT_STORE_COMMITS, 1);
	return rc;
}

/* The fdatasync that failed: its caller cuts the WAL back. */
static void
sync_failed(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	wal_cut(st);
	pthread_mutex_unlock(&st->lock);
}

/* sq_durable, also for a caller that holds the lock (`locked`). */
static int
durable(struct store *st, uint64_t seq, int locked)
{
	int rc, failed = 0;

	pthread_mutex_lock(&st->sync_lock);
	while (st->synced < seq && !st->sync_failed) {
		struct wal_mark upto;
		int ok;

		if (st->syncing) {
			pthread_cond_wait(&st->sync_done, &st->sync_lock);
			continue;
		}
		/* Every commit up to `upto` has been written to the WAL,
		 * so this fdatasync covers them all. */
		st->syncing = 1;
		upto = st->last;
		pthread_mutex_unlock(&st->sync_lock);
		ok = fdatasync(st->wal_fd) == 0;
		if (!ok) {
			note_error("fdatasync of the WAL: %s",
				   strerror(errno));
			log_err("store: fdatasync of the WAL: %s; answering "
				"\"unavailable\" until restarted",
				strerror(errno));
		}
		stats_add(STAT_STORE_SYNCS, 1);
		pthread_mutex_lock(&st->sync_lock);
		st->syncing = 0;
		if (!ok) {
			st->sync_failed = failed = 1;
			__atomic_store_n(&st->broken, 1, __ATOMIC_RELEASE);
		} else if (upto.seq > st->synced) {
			st->synced = upto.seq;
			st->durable = upto;
		}
		pthread_cond_broadcast(&st->sync_done);
	}
	rc = st->synced >= seq ? 0 : -1;
	pthread_mutex_unlock(&st->sync_lock);
	if (failed && locked)
		wal_cut(st);
	else if (failed)
		sync_failed(st);
	return rc;
}

int
sq_durable(struct store *st, uint64_t seq)
{
	return durable(st, seq, 0);
}

/* Moves the key file to the position after the last durable record (a
 * record not yet on disk may still be cut from the WAL, and its position
 * sealed again), wiping the keys before it from the disk.  With the
 * lock. */
static void
seal_persist(struct store *st)
{
	static int64_t said;
	uint64_t pos, epoch;

	if (!st->seal_on)
		return;
	pthread_mutex_lock(&st->sync_lock);
	pos = st->durable.seal_next;
	epoch = st->durable.seal_epoch;
	pthread_mutex_unlock(&st->sync_lock);
	if ((pos <= st->seal_disk.pos && epoch <= st->seal_disk.epoch) ||
	    audit_key_seek(&st->seal_disk, pos) != 0 ||
	    audit_key_seek_epoch(&st->seal_disk, epoch) != 0)
		return;
	if (sealkey_save(st->seal_fd, &st->seal_disk) != 0 &&
	    time(NULL) - said >= 60) {
		said = time(NULL);
		note_error("the audit seal's key file: %s", strerror(errno));
		log_err("store: writing the audit seal's key file: %s; the "
			"keys of records since are still on the disk (said "
			"once a minute)", strerror(errno));
	}
}

/* The seal's time part moves to the minute of now, records or not, so
 * that an intruder who takes the host finds only the key of this minute
 * on it.  Every record committed before has a position below
 * last.seal_next, so the key file may move with it: the durable mark
 * takes the epoch at once when nothing waits for the disk, else with the
 * next sync.  With the lock. */
static void
seal_tick(struct store *st, time_t now)
{
	if (!st->seal_on || now <= 0 ||
	    audit_key_seek_time(&st->seal_next, (uint64_t)now) != 0)
		return;
	pthread_mutex_lock(&st->sync_lock);
	st->last.seal_epoch = st->seal_next.epoch;
	if (st->durable.seq == st->last.seq)
		st->durable.seal_epoch = st->seal_next.epoch;
	pthread_mutex_unlock(&st->sync_lock);
}

/* WAL frames after which store_maintain copies the WAL into the
 * database: SQLite's own default. */
#define CHECKPOINT_FRAMES 1000

void
store_maintain(struct store *st)
{
	uint64_t seq;
	int rc, log, copied;

	if (sq_lock(st) != 0)
		return;
	seal_tick(st, time(NULL));
	seal_persist(st);
	if (st->wal_frames < CHECKPOINT_FRAMES) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	/* With the lock held nothing commits: once everything committed is
	 * on disk, the checkpoint copies only durable commits. */
	pthread_mutex_lock(&st->sync_lock);
	seq = st->committed;
	pthread_mutex_unlock(&st->sync_lock);
	if (durable(st, seq, 1) != 0) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
				       &log, &copied);
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
		sq_note_failure(st->db, rc);
		/* Its syncs failed: no more, as after sq_durable's. */
		if ((rc & 0xff) == SQLITE_IOERR)
			__atomic_store_n(&st->broken, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&st->lock);
}

/* Sets up what sq_durable and wal_cut need once the schema is in place:
 * the page size, the WAL hook (which also ends SQLite's automatic
 * checkpoints) and where the WAL stands, all of it on disk. */
static int
watch_wal(struct store *st, char *err, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int log = 0, copied = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errsz, "page size: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return -1;
	}
	st->page_size = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_wal_hook(st->db, wal_hook, st);
	if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
				      &log, &copied) != SQLITE_OK ||
	    fdatasync(st->wal_fd) != 0) {
		snprintf(err, errsz, "the WAL: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	st->wal_frames = log > 0 ? (uint64_t)log : 0;
	if (wal_mark_now(st, &st->durable) != 0) {
		snprintf(err, errsz, "the WAL: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	st->last = st->durable;
	return 0;
}

static struct store *
store_new(void)
{
	struct store *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->wal_fd = -1;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->sync_lock, NULL);
	pthread_cond_init(&st->sync_done, NULL);
	return st;
}

/* The connection reads run on: the same file, read-only, hardened like
 * the writer's, with its own lock and statements. */
static int
open_reader(struct store *st, const char *path, char *err, size_t errsz)
{
	struct store *r = st->reader = store_new();

	if (r == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (sqlite3_open_v2(path, &r->db,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
				    SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		snprintf(err, errsz, "the reading connection: %s",
			 r->db ? sqlite3_errmsg(r->db) : "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(r->db, 1);
	sqlite3_busy_timeout(r->db, STORE_BUSY_STEP_MS);
	return sq_harden(r->db, err, errsz) != 0 ||
			       prepare_all(r, err, errsz) != 0
		       ? -1
		       : 0;
}

/* The file is looked at through a descriptor opened without following a
 * link and without blocking (a FIFO). */
int
store_exists(const char *path, char *err, size_t errsz)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	int rc;

	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return STORE_NOT_FOUND;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return STORE_ERROR;
	}
	rc = S_ISREG(sb.st_mode) && sb.st_size == 0 ? STORE_NOT_FOUND
						     : STORE_OK;
	close(fd);
	return rc;
}

int
store_open(const char *path, int flags, struct store **out, char *err,
	   size_t errsz)
{
	int create = (flags & STORE_CREATE) != 0 ? SQLITE_OPEN_CREATE : 0;
	struct store *st;
	char why[512] = "";
	int rc;

	*out = NULL;
	rc = store_exists(path, err, errsz);
	if (rc == STORE_ERROR)
		return STORE_ERROR;
	if (rc == STORE_NOT_FOUND && create == 0) {
		snprintf(err, errsz, "%s: no store (missing or empty)", path);
		return STORE_NOT_FOUND;
	}
	st = store_new();
	if (st == NULL) {
		snprintf(err, errsz, "%s: out of memory", path);
		return STORE_ERROR;
	}
	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | create |
				    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		snprintf(why, sizeof(why), "%s",
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	/* SQLite opens a file it cannot write read-only without a word;
	 * every decision would then fail after a start that said ready. */
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		snprintf(why, sizeof(why), "the file or its file system is "
			 "read-only (the store must be writable)");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_STEP_MS);
	if (sq_check_and_migrate(st->db, why, sizeof(why)) != 0 ||
	    prepare_all(st, why, sizeof(why)) != 0 ||
	    open_wal(st, why, sizeof(why)) != 0 ||
	    sq_exec_script(st->db, "PRAGMA synchronous = NORMAL;", why,
			   sizeof(why)) != 0 ||
	    watch_wal(st, why, sizeof(why)) != 0 ||
	    open_reader(st, path, why, sizeof(why)) != 0)
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
	/* The writer closes last: SQLite then checkpoints the WAL. */
	store_close(st->reader);
	if (st->seal_on) {
		/* Every commit was waited for: all are on disk, unless a
		 * sync failed (then only up to the durable mark). */
		if (!__atomic_load_n(&st->broken, __ATOMIC_ACQUIRE)) {
			pthread_mutex_lock(&st->sync_lock);
			st->durable.seal_next = st->seal_next.pos;
			st->durable.seal_epoch = st->seal_next.epoch;
			pthread_mutex_unlock(&st->sync_lock);
		}
		seal_persist(st);
		close(st->seal_fd);
		audit_key_wipe(&st->seal_next);
		audit_key_wipe(&st->seal_disk);
		sq_seal_abort(st);
	}
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	pthread_cond_destroy(&st->sync_done);
	pthread_mutex_destroy(&st->sync_lock);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void
sq_copy_text(char *dst, size_t dstsz, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, dstsz, "%s", t != NULL ? (const char *)t : "");
}

static void
read_user(sqlite3_stmt *s, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	sq_copy_text(u->name, sizeof(u->name), s, 1);
	sq_copy_text(u->phc, sizeof(u->phc), s, 2);
	u->disabled = sqlite3_column_int(s, 3) != 0;
	u->created = sqlite3_column_int64(s, 4);
	u->pw_changed = sqlite3_column_int64(s, 5);
	u->must_change = sqlite3_column_int(s, 6) != 0;
}

int
store_user_get(struct store *st, const char *name, struct store_user *u)
{
	sqlite3_stmt *s;
	struct store *rs;
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_USER_GET];
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_user(s, u);
	sq_release(rs, s);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
}

/* A write of one row by name: the statement, its text and integer
 * values, and what happened. */
struct name_write {
	int which;		/* enum stmt */
	const char *name;	/* ?1 */
	const char *text;	/* ?2 if not NULL */
	int64_t v;		/* the next parameter, if the statement has it */
	int rc;			/* the step's SQLite result */
	int changed;
};

static int
name_write_body(struct store *st, void *arg)
{
	struct name_write *w = arg;
	sqlite3_stmt *s = st->stmt[w->which];
	int next = 2;

	sqlite3_bind_text(s, 1, w->name, -1, SQLITE_STATIC);
	if (w->text != NULL)
		sqlite3_bind_text(s, next++, w->text, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(s) >= next)
		sqlite3_bind_int64(s, next, w->v);
	w->rc = sq_step(s);
	w->changed = sqlite3_changes(st->db);
	if (w->rc != SQLITE_DONE)
		return SQ_ROLLBACK;
	return w->changed > 0 ? SQ_COMMIT : SQ_COMMIT_UNRECORDED;
}

/* STORE_OK if it changed a row, STORE_NOT_FOUND if none, STORE_EXISTS on
 * a uniqueness conflict, STORE_ERROR otherwise. */
static int
write_name(struct store *st, struct name_write *w, struct audit_rec *ev)
{
	int rc = sq_transaction(st, name_write_body, w, ev);

	if (w->rc == SQLITE_CONSTRAINT_UNIQUE)
		return STORE_EXISTS;
	if (rc != STORE_OK)
		return STORE_ERROR;
	return w->changed > 0 ? STORE_OK : STORE_NOT_FOUND;
}

int
store_user_add(struct store *st, const char *name, const char *phc,
	       int64_t now, struct audit_rec *ev)
{
	struct name_write w = { S_USER_ADD, name, phc, now, 0, 0 };

	return write_name(st, &w, ev);
}

int
store_user_del(struct store *st, const char *name, struct audit_rec *ev)
{
	struct name_write w = { S_USER_DEL, name, NULL, 0, 0, 0 };

	return write_name(st, &w, ev);
}

int
store_user_set_disabled(struct store *st, const char *name, int disabled,
			struct audit_rec *ev)
{
	struct name_write w = { S_USER_DISABLE, name, NULL, disabled != 0, 0,
				0 };

	return write_name(st, &w, ev);
}

int
store_user_expire(struct store *st, const char *name, struct audit_rec *ev)
{
	struct name_write w = { S_USER_EXPIRE, name, NULL, 0, 0, 0 };

	return write_name(st, &w, ev);
}

int
store_history(struct store *st, int64_t user_id, char (*phcs)[STORE_PHC_MAX],
	      size_t max, size_t *n)
{
	sqlite3_stmt *s;
	struct store *rs;
	int rc;

	*n = 0;
	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_HISTORY];
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		sq_copy_text(phcs[(*n)++], STORE_PHC_MAX, s, 0);
	sq_release(rs, s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? STORE_OK : STORE_ERROR;
}

/* Binds and steps one statement of a larger transaction; SQLITE_DONE or
 * the error. */
void
sq_release(struct store *st, sqlite3_stmt *s)
{
	sq_note_failure(sqlite3_db_handle(s), sqlite3_reset(s));
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
}

int
sq_step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sq_note_failure(sqlite3_db_handle(s), rc);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

struct swap_args {
	const struct store_user *u;
	const char *phc;
	int retire;		/* a change: history, dates, must_change */
	int64_t now;
	uint32_t keep;
	int changed;
};

/* The swap, and with `retire` the history bookkeeping, in one
 * transaction.  Not the stored hash any more: nothing is written. */
static int
swap_body(struct store *st, void *arg)
{
	struct swap_args *x = arg;
	sqlite3_stmt *swap = st->stmt[S_PASSWORD_SWAP];
	sqlite3_stmt *add = st->stmt[S_HISTORY_ADD];
	sqlite3_stmt *prune = st->stmt[S_HISTORY_PRUNE];
	int rc;

	sqlite3_bind_int64(swap, 1, x->u->id);
	sqlite3_bind_text(swap, 2, x->u->phc, -1, SQLITE_STATIC);
	sqlite3_bind_text(swap, 3, x->phc, -1, SQLITE_STATIC);
	sqlite3_bind_int(swap, 4, x->retire);
	sqlite3_bind_int64(swap, 5, x->now);
	rc = sq_step(swap);
	x->changed = sqlite3_changes(st->db);
	if (rc != SQLITE_DONE || x->changed != 1)
		return SQ_ROLLBACK;
	if (!x->retire)
		return SQ_COMMIT;
	sqlite3_bind_int64(add, 1, x->u->id);
	sqlite3_bind_text(add, 2, x->u->phc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(add, 3, x->now);
	if (sq_step(add) != SQLITE_DONE)
		return SQ_ROLLBACK;
	sqlite3_bind_int64(prune, 1, x->u->id);
	sqlite3_bind_int64(prune, 2, x->keep);
	return sq_step(prune) == SQLITE_DONE ? SQ_COMMIT : SQ_ROLLBACK;
}

static int
swap(struct store *st, struct swap_args *x, struct audit_rec *ev)
{
	int rc = sq_transaction(st, swap_body, x, ev);

	if (rc == STORE_OK)
		return STORE_OK;
	return x->changed == 0 ? STORE_CHANGED : STORE_ERROR;
}

int
store_password_change(struct store *st, const struct store_user *u,
		      const char *phc, int64_t now, uint32_t keep,
		      struct audit_rec *ev)
{
	struct swap_args x = { u, phc, 1, now, keep, 0 };

	return swap(st, &x, ev);
}

int
store_password_rehash(struct store *st, const struct store_user *u,
		      const char *phc)
{
	struct swap_args x = { u, phc, 0, 0, 0, 0 };

	return swap(st, &x, NULL);
}

int
store_password_hashes(struct store *st, store_phc_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct store *rs;
	const unsigned char *phc;
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_PASSWORDS];
	/* Handed over in SQLite's own buffer, not copied: nothing here
	 * holds a hash after the call. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((phc = sqlite3_column_text(s, 0)) != NULL &&
		    cb((const char *)phc, arg) != 0)
			break;
	sq_release(rs, s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

int
store_user_list(struct store *st, const char *after, size_t max,
		store_user_cb cb, void *arg, int *more)
{
	sqlite3_stmt *s;
	struct store *rs;
	struct store_user u;
	size_t given = 0;
	int rc;

	*more = 0;
	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_USER_LIST];
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
	sq_release(rs, s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}
