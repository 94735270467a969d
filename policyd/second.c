/*
 * second.c - the second factor at login; see second.h.
 *
 * A code is accepted once: the matching time step is marked used by one
 * conditional UPDATE (store_totp_accept), so two sessions racing with the
 * same code get one success between them.  Recovery codes are 80 random
 * bits, so a fast keyed hash is enough to store them; each is used by one
 * conditional UPDATE too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "hash.h"
#include "log.h"
#include "pending.h"
#include "seal.h"
#include "second.h"
#include "stats.h"
#include "wipe.h"

void
second_params(const struct request *rq, struct totp_params *p)
{
	p->digits = rq->set.totp.digits;
	p->period = rq->set.totp.period;
	p->window = rq->set.totp.window;
	p->algorithm = rq->set.totp.algorithm_id;
}

/* Whether user is a member of group (primary or supplementary). */
static int
member(const struct group *g, const char *user)
{
	struct passwd pw, *p = NULL;
	char buf[4096];

	for (char **m = g->gr_mem; *m != NULL; m++)
		if (strcmp(*m, user) == 0)
			return 1;
	return getpwnam_r(user, &pw, buf, sizeof(buf), &p) == 0 && p != NULL &&
	       p->pw_gid == g->gr_gid;
}

/* Whether user is a member of group (primary or supplementary).  A group
 * too large for the buffer is retried with a larger one; a lookup that
 * fails counts as a member, so that it fails closed (a code is asked). */
static int
in_group(const char *user, const char *group)
{
	struct group gr, *g = NULL;
	size_t size = 16384;
	char *buf = NULL;
	int rc = ERANGE, in = 1;

	while (rc == ERANGE && size <= (1u << 24)) {
		char *bigger = realloc(buf, size);

		if (bigger == NULL)
			break;
		buf = bigger;
		rc = getgrnam_r(group, &gr, buf, size, &g);
		size *= 4;
	}
	if (rc == 0 && g != NULL)
		in = member(g, user);
	free(buf);
	return in;
}

int
second_needed(struct request *rq, const struct store_user *u,
	      int64_t *grace_left)
{
	const struct cfg_totp *c = &rq->set.totp;
	struct store_totp t;
	int rc, must;
	int64_t left;

	*grace_left = -1;
	if (c->required_mode == TOTP_OFF)
		return 0;
	rc = store_totp_get(rq->d->store, u->id, &t);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_OK && t.sealed_len > 0)
		return 1;		/* enrolled: always asked */
	must = c->required_mode == TOTP_ALL ||
	       (c->required_mode == TOTP_GROUP &&
		in_group(u->name, c->required_group));
	if (!must)
		return 0;
	left = u->created + (int64_t)c->enroll_grace - (int64_t)time(NULL);
	if (left > 0) {
		*grace_left = left;
		return 0;
	}
	return 1;		/* asked, and no code can be right */
}

int
second_open(const struct request *rq, int64_t user_id, const uint8_t *s,
	    size_t slen, uint8_t *secret, size_t *len)
{
	uint8_t aad[SEAL_AAD_MAX];
	size_t alen = seal_user_aad(user_id, aad);

	if (slen <= SEAL_OVERHEAD || slen - SEAL_OVERHEAD > TOTP_SECRET_MAX)
		return -1;
	if (seal_decrypt(rq->d->totp_key, aad, alen, s, slen, secret) != 0)
		return -1;
	*len = slen - SEAL_OVERHEAD;
	return 0;
}

/* Upper case, without dashes and blanks: how codes are compared. */
static int
normalise(const char *code, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *code != '\0'; code++) {
		if (*code == '-' || *code == ' ')
			continue;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = (char)toupper((unsigned char)*code);
	}
	out[n] = '\0';
	return 0;
}

int
second_code_hash(int64_t user_id, const char *code,
		 uint8_t out[STORE_CODE_HASH])
{
	static const char ctx[] = "policyd recovery code v1";
	crypto_generichash_state st;
	uint8_t id[8];
	char norm[64];

	if (normalise(code, norm, sizeof(norm)) != 0)
		return -1;
	for (int i = 0; i < 8; i++)
		id[i] = (uint8_t)((uint64_t)user_id >> (56 - 8 * i));
	crypto_generichash_init(&st, (const uint8_t *)ctx, sizeof(ctx) - 1,
				STORE_CODE_HASH);
	crypto_generichash_update(&st, id, sizeof(id));
	crypto_generichash_update(&st, (const uint8_t *)norm, strlen(norm));
	crypto_generichash_final(&st, out, STORE_CODE_HASH);
	wipe(norm, sizeof(norm));
	return 0;
}

/* XXXX-XXXX-XXXX-XXXX from 80 random bits, in the RFC 4648 alphabet. */
static void
new_code(char out[RECOVERY_CODE_LEN + 1])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t r[16];
	size_t o = 0;

	randombytes_buf(r, sizeof(r));
	for (int i = 0; i < 16; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = b32[r[i] & 31];
	}
	out[o] = '\0';
	wipe(r, sizeof(r));
}

int
second_new_codes(struct request *rq, int64_t user_id, uint32_t n,
		 char (*codes)[RECOVERY_CODE_LEN + 1])
{
	uint8_t(*hashes)[STORE_CODE_HASH] = NULL;
	int status = PROTO_UNAVAILABLE;

	if (n > 0 && (hashes = calloc(n, sizeof(*hashes))) == NULL)
		return PROTO_UNAVAILABLE;
	for (uint32_t i = 0; i < n; i++) {
		new_code(codes[i]);
		if (second_code_hash(user_id, codes[i], hashes[i]) != 0)
			goto out;
	}
	{
		struct audit_rec ev;

		request_audit(rq, &ev, "totp-recovery-codes", 1);
		ev.result = "issued";
		if (store_codes_set(rq->d->store, user_id,
				    (const uint8_t(*)[STORE_CODE_HASH])hashes,
				    n, &ev) == STORE_OK)
			status = PROTO_OK;
		request_audit_done(rq, &ev);
	}
out:
	if (hashes != NULL)
		wipe(hashes, n * sizeof(*hashes));
	free(hashes);
	return status;
}

/* A TOTP code: 1 right and its step newly used, 0 wrong or replayed. */
static int
check_totp(struct request *rq, int64_t user_id, const struct store_totp *t,
	   const char *code)
{
	uint8_t secret[TOTP_SECRET_MAX];
	struct totp_params p;
	uint64_t step = 0;
	size_t len = 0;
	int rc;

	second_params(rq, &p);
	if (second_open(rq, user_id, t->sealed, t->sealed_len, secret,
			&len) != 0) {
		/* Refused like a wrong code, not "unavailable": a stack
		 * must not fall through to another module on it. */
		log_err("the TOTP secret of user id %lld does not open (key "
			"file changed, or the row was tampered with)",
			(long long)user_id);
		return 0;
	}
	rc = totp_verify(&p, secret, len, code, time(NULL), &step);
	wipe(secret, sizeof(secret));
	if (rc != 1)
		return rc;
	rc = store_totp_accept(rq->d->store, user_id, (int64_t)step);
	if (rc == STORE_CHANGED)
		log_notice("replayed TOTP code refused for user id %lld",
			   (long long)user_id);
	return rc == STORE_OK ? 1 : rc == STORE_CHANGED ? 0 : -1;
}

int
second_check(struct request *rq, int64_t user_id, const char *code,
	     struct second_result *res)
{
	uint8_t hash[STORE_CODE_HASH];
	struct store_totp t;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = store_totp_get(rq->d->store, user_id, &t);
	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOT_FOUND || t.sealed_len == 0) {
		res->no_totp = 1;
		return 0;
	}
	rc = check_totp(rq, user_id, &t, code);
	WIPE_OBJ(t);
	if (rc != 0)
		return rc;
	/* Not a current code: perhaps a recovery code, used once. */
	if (second_code_hash(user_id, code, hash) != 0)
		return 0;
	{
		struct audit_rec ev;

		request_audit(rq, &ev, "totp-recovery-used", 1);
		ev.result = "ok";
		rc = store_codes_use(rq->d->store, user_id, hash, &ev);
		audit_done(&ev);
	}
	if (rc == STORE_ERROR)
		return -1;
	if (rc != STORE_OK)
		return 0;
	res->recovery = 1;
	if (store_codes_left(rq->d->store, user_id, &res->codes_left) !=
	    STORE_OK)
		res->codes_left = 0;
	log_notice("recovery code used by user id %lld (%u left)",
		   (long long)user_id, res->codes_left);
	return 1;
}

void
second_dry(struct request *rq, int64_t user_id, const char *code)
{
	uint8_t secret[TOTP_SECRET_MAX], hash[STORE_CODE_HASH];
	struct totp_params p;
	struct store_totp t;
	uint64_t step = 0;
	uint32_t left;
	size_t len = 0;

	if (store_totp_get(rq->d->store, user_id, &t) == STORE_OK &&
	    t.sealed_len > 0 &&
	    second_open(rq, user_id, t.sealed, t.sealed_len, secret,
			&len) == 0) {
		second_params(rq, &p);
		(void)totp_verify(&p, secret, len, code, time(NULL), &step);
	}
	if (second_code_hash(user_id, code, hash) == 0)
		(void)store_codes_left(rq->d->store, user_id, &left);
	wipe(secret, sizeof(secret));
	wipe(hash, sizeof(hash));
	WIPE_OBJ(t);
}
