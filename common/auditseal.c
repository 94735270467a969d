/* auditseal.c - see auditseal.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auditseal.h"

/* crypto_kdf's context: eight bytes, the same everywhere. */
static const char kdf_context[crypto_kdf_CONTEXTBYTES] = "plcyseal";

enum { SUBKEY_NEXT = 1, SUBKEY_SEAL = 2, SUBKEY_EPOCH0 = 3 };

_Static_assert(AUDIT_SEAL_KEY_LEN == crypto_kdf_KEYBYTES,
	       "a seal key is a crypto_kdf master key");

/* One forward step of a part: the next is subkey 1 of this one. */
static void
step(uint8_t part[AUDIT_SEAL_KEY_LEN])
{
	uint8_t next[AUDIT_SEAL_KEY_LEN];

	crypto_kdf_derive_from_key(next, sizeof(next), SUBKEY_NEXT,
				   kdf_context, part);
	memcpy(part, next, sizeof(next));
	sodium_memzero(next, sizeof(next));
}

/* The time part of epoch 0, from the position part of the first key:
 * the verification key is one secret. */
static void
epoch_zero(struct audit_key *key)
{
	crypto_kdf_derive_from_key(key->e, sizeof(key->e), SUBKEY_EPOCH0,
				   kdf_context, key->k);
	key->epoch = 0;
}

void
audit_key_new(struct audit_key *key, uint64_t pos, uint64_t t0)
{
	key->pos = pos;
	key->t0 = t0;
	crypto_kdf_keygen(key->k);
	epoch_zero(key);
}

int
audit_key_seek(struct audit_key *key, uint64_t pos)
{
	if (pos < key->pos)
		return -1;
	for (; key->pos < pos; key->pos++)
		step(key->k);
	return 0;
}

uint64_t
audit_key_epoch_of(const struct audit_key *key, uint64_t t)
{
	return t < key->t0 ? 0 : (t - key->t0) / AUDIT_EPOCH_SECONDS;
}

uint64_t
audit_key_epoch_start(const struct audit_key *key)
{
	return key->t0 + key->epoch * AUDIT_EPOCH_SECONDS;
}

int
audit_key_seek_epoch(struct audit_key *key, uint64_t epoch)
{
	if (epoch < key->epoch)
		return -1;
	for (; key->epoch < epoch; key->epoch++)
		step(key->e);
	return 0;
}

int
audit_key_seek_time(struct audit_key *key, uint64_t t)
{
	return audit_key_seek_epoch(key, audit_key_epoch_of(key, t));
}

void
audit_key_seal(const struct audit_key *key,
	       const uint8_t hash[AUDIT_SEAL_LEN], uint8_t seal[AUDIT_SEAL_LEN])
{
	uint8_t parts[2 * crypto_generichash_KEYBYTES];
	uint8_t mac_key[crypto_generichash_KEYBYTES];

	crypto_kdf_derive_from_key(parts, crypto_generichash_KEYBYTES,
				   SUBKEY_SEAL, kdf_context, key->k);
	crypto_kdf_derive_from_key(parts + crypto_generichash_KEYBYTES,
				   crypto_generichash_KEYBYTES, SUBKEY_SEAL,
				   kdf_context, key->e);
	crypto_generichash(mac_key, sizeof(mac_key), parts, sizeof(parts),
			   NULL, 0);
	crypto_generichash(seal, AUDIT_SEAL_LEN, hash, AUDIT_SEAL_LEN, mac_key,
			   sizeof(mac_key));
	sodium_memzero(parts, sizeof(parts));
	sodium_memzero(mac_key, sizeof(mac_key));
}

int
audit_key_check(const struct audit_key *key,
		const uint8_t hash[AUDIT_SEAL_LEN],
		const uint8_t seal[AUDIT_SEAL_LEN])
{
	uint8_t want[AUDIT_SEAL_LEN];
	int ok;

	audit_key_seal(key, hash, want);
	ok = sodium_memcmp(want, seal, AUDIT_SEAL_LEN) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

void
audit_key_format(const struct audit_key *key, char out[AUDIT_SEAL_TEXT_MAX])
{
	char hex[2 * AUDIT_SEAL_KEY_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), key->k, sizeof(key->k));
	snprintf(out, AUDIT_SEAL_TEXT_MAX, "psk2-%llu-%llu-%s",
		 (unsigned long long)key->pos, (unsigned long long)key->t0,
		 hex);
	sodium_memzero(hex, sizeof(hex));
}

/* A decimal number of text up to the dash after it: 0, or -1. */
static int
number(const char **text, uint64_t *v)
{
	char *end;

	if (**text < '0' || **text > '9')
		return -1;
	errno = 0;
	*v = strtoull(*text, &end, 10);
	if (errno != 0 || *end != '-')
		return -1;
	*text = end + 1;
	return 0;
}

int
audit_key_parse(const char *text, struct audit_key *key)
{
	const char *p = text + 5;
	size_t len;

	memset(key, 0, sizeof(*key));
	if (strncmp(text, "psk2-", 5) != 0 || number(&p, &key->pos) != 0 ||
	    key->pos == 0 || number(&p, &key->t0) != 0 ||
	    strlen(p) != 2 * AUDIT_SEAL_KEY_LEN ||
	    sodium_hex2bin(key->k, sizeof(key->k), p, 2 * AUDIT_SEAL_KEY_LEN,
			   NULL, &len, NULL) != 0 ||
	    len != sizeof(key->k)) {
		sodium_memzero(key, sizeof(*key));
		return -1;
	}
	epoch_zero(key);
	return 0;
}

void
audit_key_wipe(struct audit_key *key)
{
	sodium_memzero(key, sizeof(*key));
}
