/*
 * auditseal.h - the forward-secure seal of the audit trail, shared by the
 * daemon (which seals) and policyctl (which verifies).
 *
 * A key is bound to a position, the id of the record it seals.  The key
 * of position p + 1 is derived from that of p with crypto_kdf (subkey 1),
 * a one-way step: whoever holds the key of p can seal p and every later
 * position, none before.  A record's seal is BLAKE2b-256 keyed with
 * crypto_kdf subkey 2 of its position's key, over its chain hash (which
 * covers its id, its fields and the hash before it).  The first key, the
 * verification key, is kept off the host; the host keeps only the key of
 * the next position.
 */
#ifndef POLICYD_AUDITSEAL_H
#define POLICYD_AUDITSEAL_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_SEAL_KEY_LEN 32
#define AUDIT_SEAL_LEN 32
/* "psk1-" POSITION "-" 64 hex digits, and the NUL. */
#define AUDIT_SEAL_TEXT_MAX (5 + 20 + 1 + 2 * AUDIT_SEAL_KEY_LEN + 1)

struct audit_key {
	uint64_t pos;			/* the record id this key seals */
	uint8_t k[AUDIT_SEAL_KEY_LEN];
};

/* A new random key for position pos. */
void audit_key_new(struct audit_key *key, uint64_t pos);
/* Moves key forward to position pos, destroying every key before it:
 * 0, or -1 (key unchanged) when pos is behind it. */
int audit_key_seek(struct audit_key *key, uint64_t pos);
/* The seal of the record at key's position with chain hash `hash`. */
void audit_key_seal(const struct audit_key *key,
		    const uint8_t hash[AUDIT_SEAL_LEN],
		    uint8_t seal[AUDIT_SEAL_LEN]);
/* Whether seal is that record's (constant time): 1 or 0. */
int audit_key_check(const struct audit_key *key,
		    const uint8_t hash[AUDIT_SEAL_LEN],
		    const uint8_t seal[AUDIT_SEAL_LEN]);
/* The key as text ("psk1-POS-HEX") for the administrator to keep, and
 * back; parse: 0, or -1 for anything else. */
void audit_key_format(const struct audit_key *key,
		      char out[AUDIT_SEAL_TEXT_MAX]);
int audit_key_parse(const char *text, struct audit_key *key);
/* Wipes a key. */
void audit_key_wipe(struct audit_key *key);

#endif
