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

/* Statements prepared once at open; their SQL is in store_sqlite.c. */
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
	S_AUDIT_QUERY,
	S_COUNT
};

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
	sqlite3_stmt *stmt[S_COUNT];
	/* Group commit (see sq_durable): */
	int wal_fd;			/* the -wal file, for fdatasync */
	uint64_t committed;		/* commits so far; atomic */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_done;
	uint64_t synced;		/* commits known durable */
	int syncing;			/* a thread is in fdatasync */
	int sync_failed;		/* fdatasync failed: no more */
};

/* Runs a statement to completion and resets it; the last step's result
 * (SQLITE_DONE on success). */
int sq_run(sqlite3_stmt *s);
/* Steps a bound statement once, then resets it and clears its bindings;
 * SQLITE_DONE or the error. */
int sq_step(sqlite3_stmt *s);
/* Resets a statement a read ran, clears its bindings and releases the
 * store's lock. */
void sq_release(struct store *st, sqlite3_stmt *s);
/* Copies a text column into dst, "" for NULL. */
void sq_copy_text(char *dst, size_t dstsz, sqlite3_stmt *s, int col);
/* Appends this thread's pending audit record (audit.h), if any, inside
 * the transaction being committed.  0, or -1 (then roll back: a decision
 * that cannot be recorded is not made). */
int sq_audit_append(struct store *st);
/* Appends rec (not the pending one) inside the current transaction. */
struct audit_rec;
int sq_audit_add(struct store *st, struct audit_rec *rec);

/*
 * Commits the open transaction (the lock held) and numbers it in *seq;
 * SQLITE_DONE or the error.  The commit is in the WAL but not yet on
 * disk: after unlocking, the caller passes *seq to sq_durable before it
 * answers anyone.
 */
int sq_commit(struct store *st, uint64_t *seq);
/*
 * Returns once commit seq and every one before it are on disk: 0, or -1
 * when fdatasync failed (then every later call fails too, and the daemon
 * answers "unavailable" until restarted).  Called without the lock, so
 * that other transactions commit meanwhile and one fdatasync covers all
 * of them.
 */
int sq_durable(struct store *st, uint64_t seq);

/* Runs body(st, arg) inside BEGIN IMMEDIATE ... COMMIT under the lock,
 * with ROLLBACK when body returns nonzero, then waits until the commit is
 * durable (sq_durable).  STORE_OK or STORE_ERROR. */
int sq_transaction(struct store *st, int (*body)(struct store *, void *),
		   void *arg);

#endif
