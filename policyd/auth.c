/*
 * auth.c - the PAM verbs: authenticate and account.
 *
 * No answer may tell an unauthenticated caller whether a user exists: an
 * unknown or malformed name is verified against a dummy hash of the same
 * cost and answered exactly like a wrong password.  Whether the account
 * is disabled is told only after the right password.
 */
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "hash.h"
#include "log.h"
#include "password.h"
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
	    request_password(rq, PROTO_T_PASSWORD, pw, &status) != 0) {
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
	if (status == PROTO_OK)
		password_upgrade(rq, &u, pw);
out:
	wipe(pw, sizeof(pw));
	WIPE_OBJ(u);
	return status;
}

/* Whether u must choose a new password now (an administrator asked, or
 * max_age passed); else, through *days_left, whether it expires within
 * warn_age (UINT32_MAX when not). */
static int
must_change(const struct request *rq, const struct store_user *u,
	    uint32_t *days_left)
{
	const struct cfg_policy *p = &rq->set.policy;
	int64_t age = (int64_t)time(NULL) - u->pw_changed, left;

	*days_left = UINT32_MAX;
	if (u->must_change)
		return 1;
	if (p->max_age == 0)
		return 0;
	left = (int64_t)p->max_age - age;
	if (left <= 0)
		return 1;
	if (left <= (int64_t)p->warn_age)
		*days_left = (uint32_t)((left + 86399) / 86400);
	return 0;
}

int
auth_account(struct request *rq)
{
	struct store_user u;
	uint32_t days;
	int rc;

	rc = store_user_get(rq->d->store, rq->user, &u);
	WIPE_OBJ(u.phc);
	if (rc == STORE_ERROR)
		return PROTO_UNAVAILABLE;
	if (rc == STORE_NOT_FOUND)
		return PROTO_NOT_FOUND;
	if (u.disabled)
		return PROTO_DISABLED;
	if (must_change(rq, &u, &days))
		return PROTO_MUST_CHANGE;
	if (days != UINT32_MAX)
		wire_put_u32(rq->out, PROTO_T_DAYS_LEFT, days);
	return PROTO_OK;
}

/* Changing too soon lets a user cycle through `history` passwords back to
 * an old one; an administrator's reset or an expiry lifts the wait. */
static int
too_recent(const struct request *rq, const struct store_user *u)
{
	uint32_t days;

	if (must_change(rq, u, &days))
		return 0;
	return (int64_t)time(NULL) - u->pw_changed <
	       (int64_t)rq->set.policy.min_age;
}

/* Who asks: the user with the current password (have_old), or root with
 * none.  Verifies and loads u; returns a status. */
static int
chpass_caller(struct request *rq, const char *old, int have_old,
	      struct store_user *u)
{
	int rc, found;

	if (!have_old) {
		if (rq->peer->cred.uid != 0) {
			rq->reason = PROTO_R_MISSING_FIELD;
			return PROTO_BAD_REQUEST;
		}
		rc = store_user_get(rq->d->store, rq->user, u);
		return rc == STORE_OK	       ? PROTO_OK
		       : rc == STORE_NOT_FOUND ? PROTO_NOT_FOUND
					       : PROTO_UNAVAILABLE;
	}
	if (old[0] == '\0')	/* empty, too long or not text: wrong */
		return PROTO_DENIED;
	rc = verify_user(rq, old, strlen(old), u, &found);
	if (rc == HASH_BUSY || rc == HASH_ERROR)
		return PROTO_UNAVAILABLE;
	if (rc != HASH_OK)
		return PROTO_DENIED;
	return u->disabled ? PROTO_DISABLED : PROTO_OK;
}

/*
 * A user changes their password, giving the current one; or root, giving
 * none, sets another user's (then min_age does not apply).  Until the
 * current password is verified nothing is told about the user, as for a
 * login.
 */
int
auth_chpass(struct request *rq)
{
	char old[PROTO_MAX_SECRET + 1], pw[PROTO_MAX_SECRET + 1];
	struct store_user u;
	struct wfield f;
	uint32_t new_reason;
	int status = -1, old_status, new_status, have_old;

	memset(&u, 0, sizeof(u));
	old[0] = '\0';
	have_old = wire_find(rq->msg, PROTO_T_PASSWORD, &f) == 0;
	if ((have_old && request_password(rq, PROTO_T_PASSWORD, old,
					  &old_status) != 0) ||
	    request_password(rq, PROTO_T_NEW_PASSWORD, pw, &new_status) != 0)
		goto out;
	new_reason = rq->reason;
	rq->reason = PROTO_R_NONE;
	if (new_status == PROTO_BAD_REQUEST) {
		rq->reason = new_reason;
		status = PROTO_BAD_REQUEST;
		goto out;
	}
	status = chpass_caller(rq, old, have_old, &u);
	if (status != PROTO_OK)
		goto out;
	if (have_old && too_recent(rq, &u)) {
		rq->reason = PROTO_R_TOO_RECENT;
		status = PROTO_POLICY;
	} else if (new_status != PROTO_OK) {
		rq->reason = new_reason;
		status = new_status;
	} else {
		status = password_check(rq, u.name, &u, pw);
		if (status == PROTO_OK)
			status = password_set(rq, &u, pw);
	}
	if (status == PROTO_OK)
		log_notice("password of user %s changed%s", u.name,
			   have_old ? "" : " by root");
out:
	wipe(old, sizeof(old));
	wipe(pw, sizeof(pw));
	WIPE_OBJ(u);
	return status;
}
