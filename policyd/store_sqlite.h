/*
 * store_sqlite.h - private to the SQLite backend (store_sqlite.c: opening,
 * migrations, users and passwords; store_sqlite_lock.c: failures, locks
 * and logins).  Nothing above store.h includes it.
 */
#ifndef POLICYD_STORE_SQLITE_H
#define POLICYD_STORE_SQLITE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "auditseal.h"

/* How long a write waits for another process's write lock (outside the
 * store's lock); SQLite's own busy handler, under the lock, waits only
 * STORE_BUSY_STEP_MS at a time. */
#define STORE_BUSY_MS 1000
#define STORE_BUSY_STEP_MS 50

/* Statements prepared once at open; their SQL is in store_sqlite.c. */
enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_DATA_VERSION,
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
	S_PASSWORDS,
	S_LOCK_GET,
	S_LOCK_DEL,
	S_LOCK_DEL_SINCE,
	S_LOCK_ADD,
	S_FAIL_PRUNE,
	S_FAIL_CLEAR,
	S_FAIL_COUNT,
	S_FAIL_ADD,
	S_FAIL_DEL_ID,
	S_FAIL_PRUNE_ALL,
	S_LOCK_PRUNE_ALL,
	S_USER_FAILED_INC,
	S_USER_FAILED_DEC,
	S_USER_LOGIN_GET,
	S_USER_LOGIN_SET,
	S_FAIL_LIST,
	S_LOCK_LIST,
	S_TOTP_GET,
	S_TOTP_PENDING,
	S_TOTP_CONFIRM,
	S_TOTP_ACCEPT,
	S_TOTP_DELETE,
	S_CODES_DELETE,
	S_CODES_ADD,
	S_CODES_USE,
	S_CODES_LEFT,
	S_AUDIT_LAST,
	S_AUDIT_CHECKPOINT,
	S_AUDIT_OLD_END,
	S_AUDIT_SET_CHECKPOINT,
	S_AUDIT_PURGE,
	S_AUDIT_ADD,
	S_AUDIT_ALL,
	S_AUDIT_FROM,
	S_AUDIT_FIRST_SEALED,
	S_AUDIT_QUERY,
	S_KEY_CHECK_GET,
	S_KEY_CHECK_ADD,
	S_COUNT
};

/* Where the WAL stood after a commit: what a failed sync cuts it back
 * to (see sq_durable). */
struct wal_mark {
	uint64_t seq;			/* the commit's number */
	uint64_t frames;		/* frames in the WAL after it */
	int64_t version;		/* PRAGMA data_version after it */
	unsigned char salt[8];		/* the WAL header's salts */
	uint64_t seal_next;		/* the audit seal's next position */
	uint64_t seal_epoch;		/* and its epoch */
};

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
	sqlite3_stmt *stmt[S_COUNT];
	int64_t page_size;
	uint64_t wal_frames;		/* from the WAL hook; under lock */
	/* Group commit (see sq_durable): */
	int wal_fd;			/* the -wal file, for fdatasync */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_done;
	uint64_t committed;		/* commits so far */
	struct wal_mark last;		/* after the last commit */
	struct wal_mark durable;	/* after the last one on disk */
	uint64_t synced;		/* commits known durable */
	int syncing;			/* a thread is in fdatasync */
	int sync_failed;		/* fdatasync failed: no more */
	int broken;			/* atomic: the same, for every call */
	struct store *reader;		/* reads' connection; see sq_reader */
	/* The audit seal (store_seal_start), under lock: the key of the
	 * next record once committed, the same inside the open
	 * transaction, and what the key file holds (the position after
	 * the last durable record). */
	int seal_on;
	int seal_fd;
	struct audit_key seal_next;
	struct audit_key seal_txn;
	int seal_txn_used;
	struct audit_key seal_disk;
};

/* Everything between opening the file and preparing the statements
 * (store_sqlite_schema.c): 0, or -1 with the reason in why. */
int sq_check_and_migrate(sqlite3 *db, char *why, size_t whysz);
/* Runs a script of SQL; 0, or -1 with SQLite's message in err. */
int sq_exec_script(sqlite3 *db, const char *sql, char *err, size_t errsz);

/* Logs why the store failed (rc, and db's message), once a minute per
 * cause; nothing for success or a constraint.  Called with the lock. */
void sq_note_failure(sqlite3 *db, int rc);
/* Runs a statement to completion and resets it; the last step's result
 * (SQLITE_DONE on success). */
int sq_run(sqlite3_stmt *s);
/* Steps a bound statement once, then resets it and clears its bindings;
 * SQLITE_DONE or the error. */
int sq_step(sqlite3_stmt *s);
/* Takes the store's lock: 0, or -1 without it once a sync failed. */
int sq_lock(struct store *st);
/*
 * Reads run on a connection of their own (st->reader, read-only, with
 * its own lock and statements), so that they never wait for a write
 * transaction; in WAL mode a reader sees the last commit.  Returns the
 * reader, locked, or NULL once a sync failed (what the file holds may
 * then not be on disk).  sq_release unlocks it.
 */
struct store *sq_reader(struct store *st);
/* SQLite's hardening of a connection (defensive, no trusted schema). */
int sq_harden(sqlite3 *db, char *err, size_t errsz);
/* Resets a statement a read ran, clears its bindings and releases the
 * store's lock. */
void sq_release(struct store *st, sqlite3_stmt *s);
/* Copies a text column into dst, "" for NULL. */
void sq_copy_text(char *dst, size_t dstsz, sqlite3_stmt *s, int col);
/* Copies a key check value column into have (store_sqlite_totp.c). */
void sq_key_check_copy(uint8_t *have, sqlite3_stmt *s, int col);
/* Appends rec inside the current transaction.  0, or -1 (then roll
 * back: a decision that cannot be recorded is not made). */
struct audit_rec;
int sq_audit_add(struct store *st, struct audit_rec *rec);

/*
 * Commits the open transaction (the lock held) and numbers it in *seq;
 * SQLITE_DONE or the error.  Refused, as an error, once a sync failed:
 * nothing commits after that.  The commit is in the WAL but not yet on
 * disk: after unlocking, the caller passes *seq to sq_durable before it
 * answers anyone.
 */
int sq_commit(struct store *st, uint64_t *seq);
/* Forgets the open transaction's seal key (a rollback). */
void sq_seal_abort(struct store *st);
/*
 * Returns once commit seq and every one before it are on disk: 0, or -1
 * when fdatasync failed.  Then the WAL is cut back to the end of the
 * last commit that was on disk, so that no change answered "unavailable"
 * is in force after a restart, and every later call fails (the daemon
 * answers "unavailable" until restarted).  Called without the lock, so
 * that other transactions commit meanwhile and one fdatasync covers all
 * of them.
 */
int sq_durable(struct store *st, uint64_t seq);

/*
 * The one way to touch the store's statements: takes the lock, runs
 * body(st, arg) inside BEGIN IMMEDIATE, where it binds and steps what it
 * needs, appends ev (if not NULL) and commits, then releases the lock and
 * waits until the commit is durable (sq_durable).  body returns
 * SQ_COMMIT, SQ_COMMIT_UNRECORDED (the decision went the other way, so
 * ev does not describe it) or SQ_ROLLBACK.  STORE_OK when committed,
 * else STORE_ERROR (nothing changed).
 */
enum { SQ_COMMIT = 0, SQ_COMMIT_UNRECORDED = 1, SQ_ROLLBACK = -1 };
int sq_transaction(struct store *st, int (*body)(struct store *, void *),
		   void *arg, struct audit_rec *ev);

#endif
