/*
 * audit.h - the tamper-evident audit trail.
 *
 * A record describes one security-relevant event (never a password, code
 * or secret).  It is appended to the store in the same transaction as the
 * decision it records: the handler names the record with audit_begin(),
 * the next store decision this thread commits appends it (store_sqlite's
 * transactions call the backend's append before COMMIT), and audit_end()
 * then sends it to syslog (LOG_AUTHPRIV) as one key=value line, if it was
 * committed.  An event that decides nothing is written on its own with
 * audit_now().  Each record carries the SHA-256 of the one before, so an
 * edited, deleted or reordered row breaks the chain (store_audit_verify).
 */
#ifndef POLICYD_AUDIT_H
#define POLICYD_AUDIT_H

#include <stdint.h>
#include <sys/types.h>

struct store;

#define AUDIT_HASH_LEN 32

/* Fields are NUL-terminated strings or NULL (stored as ""). */
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
	int64_t time;		/* set when appended */
	/* Set by the store when the record is appended. */
	int64_t id;
	int committed;
};

/* Names rec as the record of the next decision this thread commits. */
void audit_begin(struct audit_rec *rec);
/* Ends it: syslogs the record if a decision committed it.  Returns 1 if
 * it was committed. */
int audit_end(void);
/* The record pending for this thread, or NULL (for the store). */
struct audit_rec *audit_pending(void);
/* For the store, inside a transaction: the decision went the other way,
 * so the pending record does not describe it and is not appended. */
void audit_drop(void);

/* Appends rec on its own (an event that decides nothing) and syslogs it.
 * 0 or -1. */
int audit_now(struct store *st, struct audit_rec *rec);

/* Fills rec's actor from a peer uid (name looked up). */
void audit_actor(struct audit_rec *rec, uid_t uid);

/*
 * The chain: hash = SHA-256(prev || each field as a 4-byte big-endian
 * length and its bytes, in the order id, time, event, actor_uid, actor,
 * user, host, service, tty, result, reason).  The id is part of it, so
 * swapping two rows breaks the chain too.
 */
void audit_hash(const uint8_t prev[AUDIT_HASH_LEN], const struct audit_rec *r,
		uint8_t out[AUDIT_HASH_LEN]);

#endif
