/*
 * store_record.c - the audit chain's hash, shared by every backend of
 * store.h (see store_record_hash there).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "store.h"

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static void
absorb(crypto_hash_sha256_state *h, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	uint8_t len[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			   (uint8_t)(n >> 8), (uint8_t)n };

	crypto_hash_sha256_update(h, len, sizeof(len));
	crypto_hash_sha256_update(h, (const uint8_t *)s, n);
}

void
store_record_hash(const uint8_t prev[AUDIT_HASH_LEN],
		  const struct audit_rec *r, uint8_t out[AUDIT_HASH_LEN])
{
	crypto_hash_sha256_state h;
	char num[3][24];

	snprintf(num[0], sizeof(num[0]), "%lld", (long long)r->id);
	snprintf(num[1], sizeof(num[1]), "%lld", (long long)r->time);
	snprintf(num[2], sizeof(num[2]), "%lld", (long long)r->actor_uid);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, prev, AUDIT_HASH_LEN);
	absorb(&h, num[0]);
	absorb(&h, num[1]);
	absorb(&h, or_empty(r->event));
	absorb(&h, num[2]);
	absorb(&h, r->actor);
	absorb(&h, or_empty(r->user));
	absorb(&h, or_empty(r->host));
	absorb(&h, or_empty(r->service));
	absorb(&h, or_empty(r->tty));
	absorb(&h, or_empty(r->result));
	absorb(&h, or_empty(r->reason));
	crypto_hash_sha256_final(&h, out);
}
