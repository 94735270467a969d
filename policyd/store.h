/*
 * store.h - the interface to policyd's store, where every credential lives.
 *
 * Callers above this header never see SQL.  Each function is one decision
 * and one transaction, so a second backend (PostgreSQL, shared by a fleet)
 * can implement the same functions without changes above it.  A store is
 * safe to use from several threads at once.
 *
 * Functions return STORE_OK, a positive outcome (STORE_NOT_FOUND,
 * STORE_EXISTS), or STORE_ERROR when the store failed (full disk, read-only
 * file, corruption); on STORE_ERROR nothing was changed.
 */
#ifndef POLICYD_STORE_H
#define POLICYD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lockout.h"
#include "proto.h"

#define STORE_PHC_MAX 256	/* an argon2id PHC string, with its NUL */
#define AUDIT_HASH_LEN 32

/*
 * An audit record.  Every store call that decides something takes the
 * record of that decision as its last argument (NULL: none) and appends
 * it inside the same transaction, so that a decision that cannot be
 * recorded is not made; `committed` then says whether it was.  Fields
 * are NUL-terminated strings or NULL (stored as "").
 */
struct audit_rec {
	const char *event;	/* stable name: auth, lock, unlock, ... */
	const char *user;
	const char *host;
	const char *service;
	const char *tty;
	const char *result;	/* ok, fail, locked, refused, ... */
	const char *reason;	/* a reason code's name, or factor */
	int64_t actor_uid;	/* -1 when no one acted (the daemon) */
	char actor[33];		/* the actor's user name, if known */
	int64_t time;		/* set when appended, if 0 */
	/* Set by the store when the record is appended (or read). */
	int64_t id;
	int committed;
	uint8_t prev[AUDIT_HASH_LEN];	/* the chain: the hash before */
	uint8_t hash[AUDIT_HASH_LEN];	/* and this record's */
	uint8_t seal[AUDIT_HASH_LEN];	/* its seal, if sealed */
	int sealed;
	/* If not NULL, set to 1 by audit_done once the record is in. */
	int *recorded;
};

/*
 * The chain: hash = SHA-256(prev || each field as a 4-byte big-endian
 * length and its bytes, in the order id, time, event, actor_uid, actor,
 * user, host, service, tty, result, reason).  The id is part of it, so
 * swapping two rows breaks the chain too.  Every backend uses this one.
 */
void store_record_hash(const uint8_t prev[AUDIT_HASH_LEN],
		       const struct audit_rec *r, uint8_t out[AUDIT_HASH_LEN]);

enum store_rc {
	STORE_OK = 0,
	STORE_NOT_FOUND = 1,
	STORE_EXISTS = 2,
	STORE_CHANGED = 3,	/* the row changed since the caller read it */
	STORE_ERROR = -1,
};

struct store;

struct store_user {
	int64_t id;
	char name[PROTO_MAX_NAME + 1];
	char phc[STORE_PHC_MAX];	/* the password hash: never log it */
	int disabled;
	int must_change;		/* an admin asked for a new password */
	int64_t created;		/* seconds since the epoch */
	int64_t pw_changed;
};

/*
 * Whether a store is at path: STORE_OK, or STORE_NOT_FOUND when there is
 * none (no file, or a file of 0 bytes: made and never written), or
 * STORE_ERROR with the reason, naming the path, in err.  Only looks.
 */
int store_exists(const char *path, char *err, size_t errsz);

/* Opens the store at path, checks that it is an undamaged store of this
 * program with the schema this version expects, and migrates it.  A new
 * store is made only with STORE_CREATE in flags; without it, a missing
 * or empty store is STORE_NOT_FOUND.  On error (a refused file too)
 * returns STORE_ERROR with a reason in err and leaves the file as it
 * was. */
#define STORE_CREATE 1
/* The schema version this build creates and migrates to. */
int store_schema_version(void);
int store_open(const char *path, int flags, struct store **out, char *err,
	       size_t errsz);
void store_close(struct store *st);

int store_user_get(struct store *st, const char *name, struct store_user *u);
int store_user_add(struct store *st, const char *name, const char *phc,
		   int64_t now, struct audit_rec *ev);
int store_user_del(struct store *st, const char *name,
		   struct audit_rec *ev);
int store_user_set_disabled(struct store *st, const char *name, int disabled,
			    struct audit_rec *ev);
int store_user_expire(struct store *st, const char *name,
		      struct audit_rec *ev);

/* The user's retired hashes, newest first: at most max, into
 * phcs[0..*n).  The caller wipes them. */
int store_history(struct store *st, int64_t user_id,
		  char (*phcs)[STORE_PHC_MAX], size_t max, size_t *n);

/*
 * Replaces u's password hash with phc, if u->phc is still the stored one
 * (else STORE_CHANGED, and nothing is written).  The old hash joins the
 * history, of which the newest `keep` entries stay; pw_changed becomes
 * now and must_change is cleared.  One transaction.
 */
int store_password_change(struct store *st, const struct store_user *u,
			  const char *phc, int64_t now, uint32_t keep,
			  struct audit_rec *ev);

/* Replaces u's hash with the same password hashed at a new cost (after a
 * login), if u->phc is still the stored one; history and dates stay. */
int store_password_rehash(struct store *st, const struct store_user *u,
			  const char *phc);

/*
 * Calls cb with each user's current password hash, in no set order,
 * until cb returns nonzero: read only, for the costliest cost in use
 * (cost.h).  The string is valid during the call only and is a secret:
 * cb neither logs nor keeps it.  cb runs with the store's lock held and
 * must not call the store.
 */
typedef int (*store_phc_cb)(const char *phc, void *arg);
int store_password_hashes(struct store *st, store_phc_cb cb, void *arg);

/*
 * Calls cb for each user whose name sorts after `after` ("" for the
 * first), in name order, until cb returns nonzero or max users were given.
 * *more is set when users remain after the last one given.  The phc field
 * is left empty: listing never reads hashes.
 */
typedef int (*store_user_cb)(const struct store_user *u, void *arg);
int store_user_list(struct store *st, const char *after, size_t max,
		    store_user_cb cb, void *arg, int *more);

/* One login attempt, as the lockout decisions see it. */
struct attempt {
	const char *user;	/* the name tried, known or not */
	const char *rhost;	/* "" for a console login */
	const char *service;
	struct lock_rule user_rule, source_rule;
	int64_t now;
};

enum attempt_lock { ATTEMPT_OPEN, ATTEMPT_USER_LOCKED, ATTEMPT_SOURCE_LOCKED };

struct attempt_ticket {
	int64_t ids[2];		/* the failure rows counted, 0 for none */
	int locked;		/* enum attempt_lock */
	int64_t until;		/* end of that lock, or LOCK_FOREVER */
	int newly_locked;	/* keys this attempt locked (0 to 2) */
	int locked_user;	/* of which the account's */
	int locked_source;	/* and the host's */
	int64_t counted_at;	/* the attempt's time: such a lock's start */
};

struct last_login {
	int64_t time;		/* 0: never */
	char host[PROTO_MAX_TEXT + 1];
	char service[PROTO_MAX_TEXT + 1];
	uint32_t failures;	/* failed attempts since that login */
};

/*
 * In one transaction: if the account or the host is locked, says so and
 * counts nothing; else, when `count`, records a failure for each (the
 * attempt is counted before it is verified) and locks whichever reaches
 * its deny.  An expired lock is lifted with its failures.  With count 0
 * it only looks (pam_policyd preauth).  ev (the failure's outcome, when
 * it is known before the count, as for authfail) is appended only when
 * the attempt is counted: a refusal is not what it records.  A lock set
 * here is not recorded here: the caller records it once the attempt
 * turned out a failure (t->locked_user, t->locked_source).
 */
int store_attempt_begin(struct store *st, const struct attempt *a, int count,
			struct attempt_ticket *t, struct audit_rec *ev);

/* Uncounts the attempt: it was not verified after all (queue full), or
 * the secret was right in a check that is not a whole login (a password
 * change, self-service): the account's other failures stay.  A lock
 * that this attempt's own count set is lifted with it. */
int store_attempt_cancel(struct store *st, const struct attempt *a,
			 const struct attempt_ticket *t, struct audit_rec *ev);

/*
 * The attempt succeeded, in one transaction: uncounts it, clears the
 * account's failures and lock, and records this login; *prev gets the
 * login before it and the failures since then.
 */
int store_attempt_succeeded(struct store *st, const struct attempt *a,
			    const struct attempt_ticket *t,
			    struct last_login *prev, struct audit_rec *ev);

/* Lifts a lock and forgets the key's failures.  kind 'u' or 's'.
 * STORE_NOT_FOUND when there was neither. */
int store_unlock(struct store *st, char kind, const char *key,
		 struct audit_rec *ev);

/* Whether the key is locked at now: 1 with *until, 0 if not, or
 * STORE_ERROR.  Read only: an expired lock is left for the next attempt. */
int store_locked(struct store *st, char kind, const char *key, int64_t now,
		 int64_t *until);

/* Locks in force at now, oldest first. */
typedef int (*store_lock_cb)(char kind, const char *key, int64_t since,
			     int64_t until, void *arg);
int store_locks(struct store *st, int64_t now, store_lock_cb cb, void *arg);

/* The account's counted failures, newest first, at most max. */
typedef int (*store_failure_cb)(int64_t time, const char *rhost,
				const char *service, void *arg);
int store_failures(struct store *st, const char *user, size_t max,
		   store_failure_cb cb, void *arg);

/* The account's last login (and failures since). */
int store_last_login(struct store *st, const char *user,
		     struct last_login *out);

/* Forgets failures and locks too old to matter any more. */
int store_prune(struct store *st, int64_t before);
/* What `policyctl status` shows of the store. */
struct store_health {
	int failed;		/* a sync failed: refusing until restarted */
	int64_t error_at;	/* when the last failure was, 0 if none */
	char error[256];	/* what it was */
};
void store_health(struct store *st, struct store_health *h);
/* Keeps the store's files in shape, called every second or so (SQLite:
 * copies the WAL into the database once it is long and on disk), and
 * moves the audit seal's key to the current minute. */
void store_maintain(struct store *st);

/* The id of the first sealed record (or checkpoint), 0 if none. */
int store_audit_first_sealed(struct store *st, int64_t *id);
/* The id the next record will have. */
int store_audit_next_id(struct store *st, int64_t *id);
/* Where the chain starts: the checkpoint a purge left (id, hash, seal),
 * or id 0. */
int store_audit_checkpoint(struct store *st, struct audit_rec *cp);
/*
 * Seals every record appended from now on (auditseal.h).  key is the
 * key file's, for the position after the last durable record, and
 * key_fd the file, which the store keeps and rewrites in place as
 * records become durable.  Checks first that the trail does not end
 * before key (records removed) and that the records from key on are
 * sealed with it (a key file that lagged behind, which then catches up).
 * STORE_OK, or STORE_ERROR with why in err.
 */
struct audit_key;
int store_seal_start(struct store *st, const struct audit_key *key,
		     int key_fd, char *err, size_t errsz);

/* --- TOTP -------------------------------------------------------------- */

#define STORE_SEALED_MAX 128	/* a sealed secret */
#define STORE_CODE_HASH 32	/* a hashed recovery code */

struct store_totp {
	uint8_t sealed[STORE_SEALED_MAX];	/* active secret, sealed */
	size_t sealed_len;			/* 0: none active */
	uint8_t pending[STORE_SEALED_MAX];	/* awaiting confirmation */
	size_t pending_len;
	int64_t last_step;			/* last accepted, -1 none */
};

/* The user's TOTP row; STORE_NOT_FOUND when never enrolled. */
int store_totp_get(struct store *st, int64_t user_id, struct store_totp *t);
/* Stores a new sealed secret as pending; an active one stays in force. */
int store_totp_pending(struct store *st, int64_t user_id, const uint8_t *s,
		       size_t len, int64_t now, struct audit_rec *ev);
/* Makes the pending secret the active one; `step` (the confirming code's)
 * counts as used.  STORE_NOT_FOUND if nothing was pending. */
int store_totp_confirm(struct store *st, int64_t user_id, int64_t step,
		       struct audit_rec *ev);
/* Marks step used if it is newer than the last used one: STORE_OK, or
 * STORE_CHANGED when it was already used (a replay).  One statement, so
 * two sessions with one code get one success. */
int store_totp_accept(struct store *st, int64_t user_id, int64_t step);
/* Removes TOTP and the recovery codes. */
int store_totp_delete(struct store *st, int64_t user_id,
		      struct audit_rec *ev);
/* Replaces the recovery codes with n new hashes. */
int store_codes_set(struct store *st, int64_t user_id,
		    const uint8_t (*hashes)[STORE_CODE_HASH], size_t n,
		    struct audit_rec *ev);
/* Uses a code: STORE_OK once, STORE_NOT_FOUND after (or never issued). */
int store_codes_use(struct store *st, int64_t user_id,
		    const uint8_t hash[STORE_CODE_HASH], struct audit_rec *ev);
/* Unused codes left. */
int store_codes_left(struct store *st, int64_t user_id, uint32_t *n);

/*
 * The check value of the key that seals the store's TOTP secrets (a hash
 * made with the key, never the key): a store belongs to one key.  If the
 * store holds none yet, records `value` (*recorded = 1, and ev appended
 * in the same transaction); copies the value on record into `have`.  The
 * caller compares.  One transaction.
 */
#define STORE_KEY_CHECK_LEN 32
int store_key_check(struct store *st,
		    const uint8_t value[STORE_KEY_CHECK_LEN],
		    uint8_t have[STORE_KEY_CHECK_LEN], int *recorded,
		    struct audit_rec *ev);

/* The value on record in the store at path, read without opening the
 * store for use: nothing is migrated, created or written (not even
 * SQLite's -wal and -shm files), for policyd -t.  STORE_OK with it in
 * have, STORE_NOT_FOUND when the store holds none (one of an older
 * version), or STORE_ERROR with the reason in err. */
int store_key_check_peek(const char *path,
			 uint8_t have[STORE_KEY_CHECK_LEN], char *err,
			 size_t errsz);

/* --- Audit trail (see audit.h) ----------------------------------------- */

/* Appends n records in a transaction of their own (for events that
 * decide nothing, or whose decision was made before). */
int store_audit_append(struct store *st, struct audit_rec *const *recs,
		       size_t n);

/* Walks the whole chain: STORE_OK with *count records when it holds, or
 * with *bad_id the first record that breaks it (edited, deleted before
 * it, or out of order). */
int store_audit_verify(struct store *st, uint64_t *count, int64_t *bad_id);

/* Deletes the records older than before, keeping the last one's id and
 * hash as the checkpoint the rest of the chain starts from; *purged
 * says how many went.  One transaction, with the pending record (the
 * purge's own) appended when any went. */
int store_audit_purge(struct store *st, int64_t before, uint64_t *purged,
		      struct audit_rec *ev);

struct audit_query {
	const char *user, *event, *host;	/* "" for any */
	int64_t since, until;			/* times, inclusive */
	int64_t after_id;			/* paging */
	int64_t limit;
};

/* Records matching q, oldest first; cb's record is valid during the call
 * only.  cb returns nonzero to stop. */
typedef int (*store_audit_cb)(const struct audit_rec *r, void *arg);
int store_audit_query(struct store *st, const struct audit_query *q,
		      store_audit_cb cb, void *arg);

#endif
