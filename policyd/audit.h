/*
 * audit.h - the tamper-evident audit trail.
 *
 * A record (struct audit_rec, store.h) describes one security-relevant
 * event (never a password, code or secret).  It is appended to the store
 * in the same transaction as the decision it records: the handler passes
 * it to the store call that decides, and audit_done() then sends it to
 * syslog (LOG_AUTHPRIV) as one key=value line, if it was committed.  An
 * event that decides nothing is written on its own with audit_now().
 * Each record carries the SHA-256 of the one before, so an edited,
 * deleted or reordered row breaks the chain (store_audit_verify).
 */
#ifndef POLICYD_AUDIT_H
#define POLICYD_AUDIT_H

#include <stdint.h>
#include <sys/types.h>

#include "store.h"

/* After the store call that took rec: syslogs it if the transaction
 * committed it.  Returns 1 if it was committed. */
int audit_done(struct audit_rec *rec);

/* Appends rec on its own (an event that decides nothing) and syslogs it.
 * 0 or -1. */
int audit_now(struct store *st, struct audit_rec *rec);

/*
 * The name a user name policyd does not know is recorded under: never the
 * name itself (often a password typed into the name field), but
 * "(unknown:" and 8 hex digits of its BLAKE2b keyed with a subkey of the
 * store's key (crypto_kdf, context "unknname"), so that the report can
 * tell one name tried a thousand times from a thousand names, and a copy
 * of the trail without the key tells neither the name nor a test of one.
 */
#define AUDIT_UNKNOWN_SIZE sizeof("(unknown:01234567)")
void audit_unknown_name(const uint8_t key[32], const char *name,
			char out[AUDIT_UNKNOWN_SIZE]);
/* Whether a record's user is such a name (or the bare "(unknown)"). */
int audit_is_unknown(const char *user);

/* Fills rec's actor from a peer uid (name looked up). */
void audit_actor(struct audit_rec *rec, uid_t uid);

#endif
