/*
 * auditseal.h - the forward-secure seal of the audit trail, shared by the
 * daemon (which seals) and policyctl (which verifies).
 *
 * A key has two parts that only move forward, each by a one-way
 * crypto_kdf step (subkey 1) that destroys the one before:
 *  - the position part, bound to the id of the record it seals: the part
 *    of position p + 1 is derived from that of p;
 *  - the time part, bound to an epoch, a minute of the clock counted from
 *    t0, the time sealing began: the part of epoch e + 1 is derived from
 *    that of e, and the daemon moves it every minute, records or not.
 * A record's seal is BLAKE2b-256 over its chain hash (which covers its
 * id, time and fields and the hash before it), keyed with a BLAKE2b of
 * subkey 2 of both parts: the position part of its id and the time part
 * of its time's epoch.  Whoever holds the key of (p, e) can seal p and
 * later positions, at e and later minutes: an intruder who takes the host
 * at time T cannot seal a record dated before T's minute, nor in the
 * place of one written before.  Epochs never go back along the trail.
 * The first key, the verification key (position p0, epoch 0, the time
 * part derived from the position part), is kept off the host; the host
 * keeps only the current one.
 */
#ifndef POLICYD_AUDITSEAL_H
#define POLICYD_AUDITSEAL_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_SEAL_KEY_LEN 32
#define AUDIT_SEAL_LEN 32
#define AUDIT_EPOCH_SECONDS 60
/* "psk2-" POSITION "-" T0 "-" 64 hex digits, and the NUL. */
#define AUDIT_SEAL_TEXT_MAX (5 + 20 + 1 + 20 + 1 + 2 * AUDIT_SEAL_KEY_LEN + 1)

struct audit_key {
	uint64_t pos;			/* the record id this key seals */
	uint8_t k[AUDIT_SEAL_KEY_LEN];	/* the position part */
	uint64_t t0;			/* when epoch 0 began */
	uint64_t epoch;			/* the time part's epoch */
	uint8_t e[AUDIT_SEAL_KEY_LEN];	/* the time part */
};

/* A new random key for position pos, epoch 0 beginning at t0. */
void audit_key_new(struct audit_key *key, uint64_t pos, uint64_t t0);
/* Moves key's position part forward to pos, destroying every part before
 * it: 0, or -1 (key unchanged) when pos is behind it. */
int audit_key_seek(struct audit_key *key, uint64_t pos);
/* The epoch of time t (0 before t0). */
uint64_t audit_key_epoch_of(const struct audit_key *key, uint64_t t);
/* The time key's epoch began. */
uint64_t audit_key_epoch_start(const struct audit_key *key);
/* Moves key's time part forward to epoch, or to the epoch of t: 0, or -1
 * (unchanged) when that epoch is behind it. */
int audit_key_seek_epoch(struct audit_key *key, uint64_t epoch);
int audit_key_seek_time(struct audit_key *key, uint64_t t);
/* The seal of the record at key's position and epoch, with chain hash
 * `hash`. */
void audit_key_seal(const struct audit_key *key,
		    const uint8_t hash[AUDIT_SEAL_LEN],
		    uint8_t seal[AUDIT_SEAL_LEN]);
/* Whether seal is that record's (constant time): 1 or 0. */
int audit_key_check(const struct audit_key *key,
		    const uint8_t hash[AUDIT_SEAL_LEN],
		    const uint8_t seal[AUDIT_SEAL_LEN]);
/* The verification key (at epoch 0) as text ("psk2-POS-T0-HEX") for the
 * administrator to keep, and back; parse: 0, or -1 for anything else. */
void audit_key_format(const struct audit_key *key,
		      char out[AUDIT_SEAL_TEXT_MAX]);
int audit_key_parse(const char *text, struct audit_key *key);
/* Wipes a key. */
void audit_key_wipe(struct audit_key *key);

#endif
