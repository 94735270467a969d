/*
 * auth.c - the PAM verbs: authenticate and account.
 *
 * No answer may tell an unauthenticated caller whether a user exists: an
 * unknown or malformed name is verified against a dummy hash of the same
 * cost and answered exactly like a wrong password.  Whether the account
 * is disabled is told only after the right password.
 */
#include <string.h>

#include "dispatch.h"
#include "hash.h"
#include "log.h"
#include "wipe.h"

#ifndef POLICYD_VERSION
#define POLICYD_VERSION "unknown"
#endif

int
auth_ping(struct request *rq)
{
	wire_put_str(rq->out, PROTO_T_VERSION, POLICYD_VERSION);
	return PROTO_OK;
}

/* Optional context strings: absent is fine, malformed is not. */
static int
read_context(const struct request *rq, char rhost[PROTO_MAX_TEXT + 1],
	     char service[PROTO_MAX_TEXT + 1])
{
	char tty[PROTO_MAX_TEXT + 1];

	if (wire_get_str(rq->msg, PROTO_T_RHOST, rhost, PROTO_MAX_TEXT + 1) <
		    0 ||
	    wire_get_str(rq->msg, PROTO_T_TTY, tty, sizeof(tty)) < 0 ||
	    wire_get_str(rq->msg, PROTO_T_SERVICE, service,
			 PROTO_MAX_TEXT + 1) < 0)
		return -1;
	if (rhost[0] == '\0')
		strcpy(rhost, "-");
	if (service[0] == '\0')
		strcpy(service, "-");
	return 0;
}

/* Verifies pw for the user in rq: HASH_OK only for a known user with the
 * right password; the same cost whatever the outcome.  *u is filled when
 * the user exists. */
static int
verify_user(struct request *rq, const char *pw, size_t len,
	    struct store_user *u, int *found)
{
	const struct cfg_argon2 *a = &rq->set.argon2;
	int rc = STORE_NOT_FOUND;

	*found = 0;
	if (valid_user_name(rq->user))
		rc = store_user_get(rq->d->store, rq->user, u);
	if (rc == STORE_ERROR)
		return HASH_ERROR;
	if (rc == STORE_NOT_FOUND)
		return hash_verify_dummy(a, pw, len, rq->deadline_ms);
	*found = 1;
	rc = hash_verify(a, u->phc, pw, len, rq->deadline_ms);
	if (rc == HASH_BAD)
		log_err("stored hash of user %s is malformed or exceeds the "
			"argon2 maxima; refusing it", u->name);
	return rc;
}

static int
auth_status(const struct request *rq, int hrc, const struct store_user *u,
	    int found, const char *rhost, const char *service)
{
	switch (hrc) {
	case HASH_OK:
		if (u->disabled) {
			log_notice("auth refused: user %s is disabled "
				   "(service %s, rhost %s)", u->name, service,
				   rhost);
			return PROTO_DISABLED;
		}
		log_info("auth ok: user %s (service %s, rhost %s)", u->name,
			 service, rhost);
		return PROTO_OK;
	case HASH_BUSY:
		log_warn("auth unavailable: hash queue full or deadline "
			 "passed");
		return PROTO_UNAVAILABLE;
	case HASH_ERROR:
		log_err("auth unavailable: store or hash failure");
		return PROTO_UNAVAILABLE;
	default:
		if (found)
			log_notice("auth failed: user %s (service %s, "
				   "rhost %s)", u->name, service, rhost);
		else
			log_debug("auth failed: unknown user %s", rq->user);
		return PROTO_DENIED;
	}
}

int
auth_authenticate(struct request *rq)
{
	char pw[PROTO_MAX_SECRET + 1];
	char rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	struct store_user u;
	int rc, found, status = -1;

	memset(&u, 0, sizeof(u));
	if (read_context(rq, rhost, service) != 0 ||
	    request_password(rq, pw, &status) != 0) {
		status = -1;
		goto out;
	}
	if (status == PROTO_POLICY) {
		/* No password policy applies to a login attempt: an empty or
		 * over-long one is simply wrong, and is not hashed. */
		rq->reason = PROTO_R_NONE;
		status = PROTO_DENIED;
	}
	if (status != PROTO_OK)
		goto out;
	rc = verify_user(rq, pw, strlen(pw), &u, &found);
	status = auth_status(rq, rc, &u, found, rhost, service);
out:
	wipe(pw, sizeof(pw));
	WIPE_OBJ(u);
	return status;
}

int
auth_account(struct request *rq)
{
	struct store_user u;
	int rc;

	rc = store_user_get(rq->d->store, rq->user, &u);
	WIPE_OBJ(u.phc);
	if (rc == STORE_ERROR)
		return PROTO_UNAVAILABLE;
	if (rc == STORE_NOT_FOUND)
		return PROTO_NOT_FOUND;
	return u.disabled ? PROTO_DISABLED : PROTO_OK;
}
