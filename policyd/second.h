/*
 * second.h - the second factor at login: whether a code is needed, the
 * code step of a login (TOTP or recovery code), and the recovery codes'
 * hashing.  Enrolment is in admin_totp.c.
 */
#ifndef POLICYD_SECOND_H
#define POLICYD_SECOND_H

#include <stdint.h>

#include "dispatch.h"
#include "store.h"
#include "totp.h"

#define RECOVERY_CODE_LEN 19	/* XXXX-XXXX-XXXX-XXXX, 80 bits of base32 */

/*
 * Whether u, whose password was right, must give a code now.  Returns 1
 * (needed), 0 (not needed), or -1 (store error).  *grace_left is set to
 * the seconds left to enrol when the policy asks for a code, the user has
 * none, and enroll_grace still lets them in (then 0 is returned).
 */
int second_needed(struct request *rq, const struct store_user *u,
		  int64_t *grace_left);

/* The TOTP parameters of the configuration in force. */
void second_params(const struct request *rq, struct totp_params *p);

/* The hash under which a recovery code is stored: BLAKE2b-256 of the
 * normalised code, keyed by the user id and a fixed context. */
int second_code_hash(int64_t user_id, const char *code,
		     uint8_t out[STORE_CODE_HASH]);

/* Makes n new recovery codes for the user: codes[i] (RECOVERY_CODE_LEN +
 * 1 bytes each) for showing once, and their hashes stored in place of the
 * old ones.  Returns a status. */
int second_new_codes(struct request *rq, int64_t user_id, uint32_t n,
		     char (*codes)[RECOVERY_CODE_LEN + 1]);

struct second_result {
	int no_totp;		/* the user has no active TOTP */
	int recovery;		/* a recovery code was used */
	uint32_t codes_left;	/* then: how many remain */
};

/* Checks a code for the user: 1 right (a TOTP step newly used, or a
 * recovery code used once), 0 wrong, -1 error.  *res says more. */
int second_check(struct request *rq, int64_t user_id, const char *code,
		 struct second_result *res);

/* The reads and computations of second_check for a code that cannot
 * pass (its login failed before), without using anything up: so that
 * such a code step costs what a real one costs. */
void second_dry(struct request *rq, int64_t user_id, const char *code);

/* Opens a sealed secret of user_id into secret (TOTP_SECRET_MAX), *len
 * its length; the caller wipes it.  0, or -1 if it does not open. */
int second_open(const struct request *rq, int64_t user_id, const uint8_t *s,
		size_t slen, uint8_t *secret, size_t *len);

#endif
