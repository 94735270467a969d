/* auditseal.c - see auditseal.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auditseal.h"

/* crypto_kdf's context: eight bytes, the same everywhere. */
static const char kdf_context[crypto_kdf_CONTEXTBYTES] = "plcyseal";

enum { SUBKEY_NEXT = 1, SUBKEY_SEAL = 2 };

_Static_assert(AUDIT_SEAL_KEY_LEN == crypto_kdf_KEYBYTES,
	       "a seal key is a crypto_kdf master key");

void
audit_key_new(struct audit_key *key, uint64_t pos)
{
	key->pos = pos;
	crypto_kdf_keygen(key->k);
}

int
audit_key_seek(struct audit_key *key, uint64_t pos)
{
	uint8_t next[AUDIT_SEAL_KEY_LEN];

	if (pos < key->pos)
		return -1;
	for (; key->pos < pos; key->pos++) {
		crypto_kdf_derive_from_key(next, sizeof(next), SUBKEY_NEXT,
					   kdf_context, key->k);
		memcpy(key->k, next, sizeof(next));
	}
	sodium_memzero(next, sizeof(next));
	return 0;
}

void
audit_key_seal(const struct audit_key *key,
	       const uint8_t hash[AUDIT_SEAL_LEN], uint8_t seal[AUDIT_SEAL_LEN])
{
	uint8_t mac_key[crypto_generichash_KEYBYTES];

	crypto_kdf_derive_from_key(mac_key, sizeof(mac_key), SUBKEY_SEAL,
				   kdf_context, key->k);
	crypto_generichash(seal, AUDIT_SEAL_LEN, hash, AUDIT_SEAL_LEN, mac_key,
			   sizeof(mac_key));
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
	snprintf(out, AUDIT_SEAL_TEXT_MAX, "psk1-%llu-%s",
		 (unsigned long long)key->pos, hex);
	sodium_memzero(hex, sizeof(hex));
}

int
audit_key_parse(const char *text, struct audit_key *key)
{
	const char *dash;
	char *end;
	size_t len;
	unsigned long long pos;

	if (strncmp(text, "psk1-", 5) != 0 || text[5] < '1' || text[5] > '9')
		return -1;
	errno = 0;
	pos = strtoull(text + 5, &end, 10);
	if (errno != 0 || *end != '-' || pos == 0)
		return -1;
	dash = end;
	if (strlen(dash + 1) != 2 * AUDIT_SEAL_KEY_LEN ||
	    sodium_hex2bin(key->k, sizeof(key->k), dash + 1,
			   2 * AUDIT_SEAL_KEY_LEN, NULL, &len, NULL) != 0 ||
	    len != sizeof(key->k)) {
		sodium_memzero(key->k, sizeof(key->k));
		return -1;
	}
	key->pos = pos;
	return 0;
}

void
audit_key_wipe(struct audit_key *key)
{
	sodium_memzero(key, sizeof(*key));
}
