/*
 * auth.c - the PAM verbs: authenticate, the code step, account, password
 * change, the stacking verbs, and the self-service checks; each goes
 * through login.c's one counted check.
 *
 * No answer may tell an unauthenticated caller whether a user exists: an
 * unknown or malformed name is verified against a dummy hash of the
 * costliest cost in use and answered exactly like a wrong password.  Whether the account
 * is disabled is told only after the right password.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "alert.h"
#include "audit.h"
#include "dispatch.h"
#include "hash.h"
#include "lockout.h"
#include "log.h"
#include "password.h"
#include "login.h"
#include "pending.h"
#include "second.h"
#include "stats.h"
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

/* The password check of a login: HASH_OK only for a known user with the
 * right password; the same cost whatever the outcome and whatever the
 * stored hash's cost: an unknown name is verified against a dummy hash
 * of the costliest cost in use, and a hash cheaper than that is padded
 * to its time (hash.h).  1 right, 0 wrong, -1 could not run. */
static int
check_password(struct request *rq, struct login *l, void *arg)
{
	const char *pw = arg;
	const struct cfg_argon2 *a = &rq->set.argon2;
	int rc;

	if (pw[0] == '\0')
		return 0;	/* cannot be right: counted, not hashed */
	if (!l->found)
		rc = hash_verify_dummy(a, pw, strlen(pw), rq->deadline_ms);
	else
		rc = hash_verify_padded(a, l->u.phc, pw, strlen(pw),
					rq->deadline_ms);
	if (rc == HASH_BAD)
		log_err("stored hash of user %s is malformed or exceeds the "
			"argon2 maxima; refusing it", l->u.name);
	if (rc == HASH_BUSY)
		log_warn("unavailable: hash queue full or deadline passed");
	if (rc == HASH_ERROR)
		log_err("unavailable: hash failure");
	if (rc == HASH_BUSY || rc == HASH_ERROR)
		return -1;
	return l->found && rc == HASH_OK;
}

static void
put_last_login(struct request *rq, const struct last_login *prev)
{
	if (prev->time != 0)
		wire_put_u64(rq->out, PROTO_T_LAST_LOGIN, (uint64_t)prev->time);
	if (prev->host[0] != '\0')
		wire_put_str(rq->out, PROTO_T_LAST_HOST, prev->host);
	wire_put_u32(rq->out, PROTO_T_FAILURES, prev->failures);
}

/* Whether this configuration ever asks for a code: then every login that
 * is not plainly through (right password, no code needed) is asked one,
 * so that the prompts tell nothing. */
static int
codes_asked(const struct request *rq)
{
	return rq->set.totp.required_mode != TOTP_OFF;
}

/* A place in the table of logins waiting for their code, taken before
 * anything is counted, so that a login is never counted without its
 * answer.  A login a flood pushed out is recorded.  The slot, or -1. */
static int
reserve(struct request *rq, const struct login *l)
{
	char owner[PENDING_OWNER_MAX];
	struct pending_login gone;
	int evicted, slot;

	login_owner(rq, l, owner);
	slot = pending_reserve(owner, &gone, &evicted);
	if (evicted)
		login_abandoned(rq->d, &gone, "pushed out by a flood");
	WIPE_OBJ(gone);
	if (slot < 0)
		log_warn("logins waiting for a code: this caller's share is "
			 "full (%s)", owner[0] == 'u' ? "local user" : "host");
	return slot;
}

enum step_kind {
	STEP_WRONG,	/* the code step can only fail */
	STEP_REFUSED,	/* the same, already recorded (a lock not told) */
	STEP_LOGIN,	/* a right password: the code completes the login */
	STEP_DISABLED,	/* the same, then "disabled" */
	STEP_CODE_ONLY,	/* totp_only: the code is the only check here */
};

/* Keeps the login for its code step in the reserved slot and answers
 * "need-code" with the token.  The attempt stays counted until the code
 * is right. */
static int
defer(struct request *rq, const struct login *l, int *slot,
      enum step_kind kind)
{
	struct pending_login p;
	uint8_t token[PENDING_TOKEN_LEN];

	if (*slot < 0)
		return PROTO_UNAVAILABLE;	/* no place was reserved */
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", rq->user);
	snprintf(p.rhost, sizeof(p.rhost), "%s", l->rhost);
	snprintf(p.service, sizeof(p.service), "%s", l->service);
	snprintf(p.tty, sizeof(p.tty), "%s", l->tty);
	p.peer_uid = rq->peer->cred.uid;
	snprintf(p.peer_name, sizeof(p.peer_name), "%s", rq->peer->name);
	p.password_ok = kind != STEP_WRONG && kind != STEP_REFUSED;
	p.locked = kind == STEP_REFUSED ? l->t.locked : ATTEMPT_OPEN;
	p.disabled = kind == STEP_DISABLED;
	p.code_only = kind == STEP_CODE_ONLY;
	p.user_id = l->found ? l->u.id : 0;
	p.ticket = l->t;
	pending_fill(*slot, &p, token,
		     (int64_t)rq->set.totp.code_timeout * 1000);
	*slot = -1;
	WIPE_OBJ(p);
	rq->keep_fields = 1;
	wire_put_bytes(rq->out, PROTO_T_TOKEN, token, sizeof(token));
	return PROTO_NEED_CODE;
}

/* The password was right: in, or on to the code.  A hash of an older
 * cost is upgraded only when no code step follows: before one, the extra
 * hash would make a right password slower than a wrong one. */
static int
password_right(struct request *rq, struct login *l, const char *pw,
	       int *slot)
{
	int status;

	if (l->need_code)
		return defer(rq, l, slot,
			     l->u.disabled ? STEP_DISABLED : STEP_LOGIN);
	password_upgrade(rq, &l->u, pw);
	if (l->u.disabled) {
		log_notice("auth refused: user %s is disabled", l->u.name);
		return login_settle(rq, l, "disabled", "password") == PROTO_OK
			       ? PROTO_DISABLED
			       : PROTO_UNAVAILABLE;
	}
	status = login_settle(rq, l, "ok", "password");
	if (status != PROTO_OK)
		return status;
	log_info("password ok: user %s (service %s, rhost %s)", l->u.name,
		 l->service, l->rhost);
	stats_add(STAT_AUTH_OK, 1);
	put_last_login(rq, &l->prev);
	if (l->grace > 0)
		wire_put_u64(rq->out, PROTO_T_GRACE_LEFT, (uint64_t)l->grace);
	return PROTO_OK;
}

/* A wrong password (or an unknown name).  With a code step to follow it
 * is recorded at that step, or when the login is dropped unanswered (so
 * a caller that hangs up at the prompt is in the trail too), never now:
 * the write would make a wrong password answer later than a right one,
 * which writes nothing before its code. */
static int
password_wrong(struct request *rq, struct login *l, int *slot)
{
	if (l->found)
		log_notice("auth failed: user %s (service %s, rhost %s)",
			   l->u.name, l->service, l->rhost);
	else
		log_debug("auth failed: unknown user %s", rq->user);
	if (codes_asked(rq))
		return defer(rq, l, slot, STEP_WRONG);
	stats_add(STAT_AUTH_DENIED, 1);
	login_failed(rq, l, "password");
	return PROTO_DENIED;
}

int
auth_authenticate(struct request *rq)
{
	char pw[PROTO_MAX_SECRET + 1];
	struct login l;
	int rc, slot = -1, status = -1;

	memset(&l, 0, sizeof(l));
	if (request_password(rq, PROTO_T_PASSWORD, pw, &status) != 0 ||
	    (rc = login_load(rq, &l)) < 0) {
		status = -1;
		goto out;
	}
	if (status == PROTO_BAD_REQUEST || rc > 0) {
		status = rc > 0 ? rc : status;
		goto out;
	}
	/* No password policy applies to a login attempt: an empty, over-
	 * long or NUL-holding one is simply wrong (counted, not hashed). */
	if (status != PROTO_OK)
		pw[0] = '\0';
	rq->reason = PROTO_R_NONE;
	login_needs_code(rq, &l);
	l.code_step = codes_asked(rq);
	if (l.need_code < 0 ||
	    (codes_asked(rq) && (slot = reserve(rq, &l)) < 0)) {
		status = PROTO_UNAVAILABLE;
		goto out;
	}
	rc = login_counted(rq, &l, check_password, pw, &status);
	if (rc == LOGIN_RIGHT)
		status = password_right(rq, &l, pw, &slot);
	else if (rc == LOGIN_WRONG)
		status = password_wrong(rq, &l, &slot);
	else if (status == PROTO_DENIED && slot >= 0)
		/* Locked, and not told: it asks for a code like the rest. */
		status = defer(rq, &l, &slot, STEP_REFUSED);
out:
	if (slot >= 0)
		pending_release(slot);
	wipe(pw, sizeof(pw));
	WIPE_OBJ(l.u);
	return status;
}

/*
 * totp_only: another module (pam_unix, SSSD) checks the password, policyd
 * only the code.  An account that needs no code has nothing to check
 * here: PROTO_NOTHING, nothing counted, nothing cleared (the module says
 * PAM_IGNORE).  Otherwise the attempt is counted now and the code step
 * refunds it when the code is right; it never clears the account's other
 * failures, since this module cannot know whether the password module
 * above it passed (authsucc, after the whole stack, does that).
 */
int
auth_code_only(struct request *rq)
{
	struct login l;
	int status, slot = -1;

	status = login_load(rq, &l);
	if (status != 0)
		goto out;
	login_needs_code(rq, &l);
	if (l.need_code < 0) {
		status = PROTO_UNAVAILABLE;
		goto out;
	}
	if (!l.need_code) {
		status = store_attempt_begin(rq->d->store, &l.a, 0, &l.t,
					     NULL) != STORE_OK
				 ? PROTO_UNAVAILABLE
			 : l.t.locked != ATTEMPT_OPEN
				 ? login_refuse_locked(rq, &l)
				 : PROTO_NOTHING;
		goto out;
	}
	if ((slot = reserve(rq, &l)) < 0) {
		status = PROTO_UNAVAILABLE;
		goto out;
	}
	l.code_step = 1;
	if (login_count_only(rq, &l, &status) == LOGIN_RIGHT)
		status = defer(rq, &l, &slot, STEP_CODE_ONLY);
	else if (status == PROTO_DENIED)
		status = defer(rq, &l, &slot, STEP_REFUSED);
out:
	if (slot >= 0)
		pending_release(slot);
	WIPE_OBJ(l.u);
	return status;
}

/* The code of a login whose password was right (or of a totp_only
 * step): the whole login passed, or, for totp_only, the code alone. */
static int
code_right(struct request *rq, struct login *l, const struct pending_login *p,
	   const struct second_result *res)
{
	const char *factor = res->recovery ? "recovery code" : "totp";
	struct audit_rec ev;
	int status;

	/* Disabled meanwhile, too: the row login_resume read now. */
	int disabled = p->disabled || (l->found && l->u.disabled);

	if (p->code_only) {
		login_record(rq, l, &ev, disabled ? "disabled" : "ok", factor);
		status = login_refund(rq, l, &ev);
	} else {
		status = login_settle(rq, l, disabled ? "disabled" : "ok",
				      factor);
	}
	if (status != PROTO_OK)
		return status;
	if (disabled)
		return PROTO_DISABLED;
	stats_add(STAT_AUTH_OK, 1);
	if (!p->code_only)
		put_last_login(rq, &l->prev);
	if (res->recovery)
		wire_put_u32(rq->out, PROTO_T_CODES_LEFT, res->codes_left);
	log_info("auth ok: user %s with %s", rq->user,
		 res->recovery ? "a recovery code" : "TOTP");
	return PROTO_OK;
}

/* The code step of a login: the token from "need-code" and the code (or
 * a recovery code).  Wrong in any way: the attempt stays counted.  The
 * answer never says why (no code enrolled, wrong password before). */
int
auth_code(struct request *rq)
{
	char code[PROTO_MAX_CODE + 1];
	struct pending_login p;
	struct second_result res;
	struct login l;
	struct wfield f;
	int rc, status = PROTO_DENIED;

	memset(&p, 0, sizeof(p));
	memset(&res, 0, sizeof(res));
	memset(&l, 0, sizeof(l));
	if (wire_find(rq->msg, PROTO_T_TOKEN, &f) != 0 ||
	    f.len != PENDING_TOKEN_LEN ||
	    wire_get_str(rq->msg, PROTO_T_CODE, code, sizeof(code)) < 0)
		return -1;
	/* Only the caller that started the login, for its user, may finish
	 * it; anyone else's token is left where it is. */
	if (pending_take(f.val, rq->user, rq->peer->cred.uid, &p) != 0) {
		log_debug("code step without a waiting login from uid %u",
			  (unsigned)rq->peer->cred.uid);
		goto out;
	}
	if (login_resume(rq, &l, &p) != 0) {
		status = PROTO_UNAVAILABLE;
		goto out;
	}
	if (!p.password_ok) {
		/* As much work as a right password's code step, and the
		 * same one write: this login's record. */
		second_dry(rq, p.user_id, code);
		login_failed_before(rq, &l, &p);
		goto denied;
	}
	rc = p.user_id != 0 ? second_check(rq, p.user_id, code, &res) : 0;
	if (rc < 0) {
		status = PROTO_UNAVAILABLE;
	} else if (rc == 1) {
		status = code_right(rq, &l, &p, &res);
	} else {
		login_failed(rq, &l, p.user_id != 0 && res.no_totp
					     ? "no totp enrolled"
					     : "code");
		goto denied;
	}
	goto out;
denied:
	stats_add(STAT_AUTH_DENIED, 1);
out:
	wipe(code, sizeof(code));
	WIPE_OBJ(p);
	WIPE_OBJ(l.u);
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

/* The current password of a change or a self-service verb, through the
 * counted check.  Right: this attempt is given back, and nothing more
 * (only a whole login clears the account's failures).  A status. */
static int
current_password(struct request *rq, struct login *l, char *pw)
{
	int status;

	switch (login_counted(rq, l, check_password, pw, &status)) {
	case LOGIN_RIGHT:
		if (login_refund(rq, l, NULL) != PROTO_OK)
			return PROTO_UNAVAILABLE;
		return l->u.disabled ? PROTO_DISABLED : PROTO_OK;
	case LOGIN_WRONG:
		login_failed(rq, l, "current password");
		return PROTO_DENIED;
	default:
		return status;
	}
}

/* Who asks: the user with the current password (have_old), or root with
 * none.  Returns a status; l holds the user. */
static int
chpass_caller(struct request *rq, char *old, int have_old, struct login *l)
{
	if (have_old)
		return current_password(rq, l, old);
	if (rq->peer->cred.uid != 0) {
		rq->reason = PROTO_R_MISSING_FIELD;
		return PROTO_BAD_REQUEST;
	}
	return l->found ? PROTO_OK : PROTO_NOT_FOUND;
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
	struct login l;
	struct wfield f;
	uint32_t new_reason;
	int status = -1, old_status = PROTO_OK, new_status, have_old;

	memset(&l, 0, sizeof(l));
	old[0] = '\0';
	have_old = wire_find(rq->msg, PROTO_T_PASSWORD, &f) == 0;
	if ((have_old && request_password(rq, PROTO_T_PASSWORD, old,
					  &old_status) != 0) ||
	    request_password(rq, PROTO_T_NEW_PASSWORD, pw, &new_status) != 0 ||
	    (status = login_load(rq, &l)) < 0)
		goto out;
	if (status > 0)
		goto out;
	new_reason = rq->reason;
	rq->reason = PROTO_R_NONE;
	if (new_status == PROTO_BAD_REQUEST) {
		rq->reason = new_reason;
		status = PROTO_BAD_REQUEST;
		goto out;
	}
	if (old_status != PROTO_OK)
		old[0] = '\0';	/* cannot be right: counted, not hashed */
	status = chpass_caller(rq, old, have_old, &l);
	if (status != PROTO_OK)
		goto out;
	if (have_old && too_recent(rq, &l.u)) {
		rq->reason = PROTO_R_TOO_RECENT;
		status = PROTO_POLICY;
	} else if (new_status != PROTO_OK) {
		rq->reason = new_reason;
		status = new_status;
	} else {
		status = password_check(rq, l.u.name, &l.u, pw);
		if (status == PROTO_OK)
			status = password_set(rq, &l.u, pw,
					      have_old ? "user" : "root");
	}
	if (status == PROTO_POLICY)
		password_refused_audit(rq);
	if (status == PROTO_OK)
		log_notice("password of user %s changed%s", l.u.name,
			   have_old ? "" : " by root");
out:
	wipe(old, sizeof(old));
	wipe(pw, sizeof(pw));
	WIPE_OBJ(l.u);
	return status;
}

/*
 * The stacking verbs, for sites where another module (pam_unix, SSSD)
 * checks the password and policyd keeps the lockout and the record, as
 * pam_faillock's preauth / authfail / authsucc.  Root only: they count
 * and clear failures on someone else's word.
 */
static int
stacked(struct request *rq, int count, struct login *l)
{
	struct audit_rec ev, *failure = NULL;
	int rc = login_load(rq, l);

	if (rc != 0)
		return rc;
	/* A counted failure (authfail) is recorded in the transaction that
	 * counts it: one sync, not two.  A refusal is recorded below. */
	if (count) {
		login_record(rq, l, &ev, "fail", "another module");
		failure = &ev;
	}
	if (store_attempt_begin(rq->d->store, &l->a, count, &l->t,
				failure) != STORE_OK)
		return PROTO_UNAVAILABLE;
	if (failure != NULL)
		audit_done(failure);
	if (l->t.locked != ATTEMPT_OPEN)
		return login_refuse_locked(rq, l);
	if (count)
		login_failed_locks(rq, l);
	return PROTO_OK;
}

int
auth_lock_check(struct request *rq)
{
	struct login l;
	int status = stacked(rq, 0, &l);

	WIPE_OBJ(l.u);
	return status;
}

int
auth_lock_fail(struct request *rq)
{
	struct login l;
	int status = stacked(rq, 1, &l);

	WIPE_OBJ(l.u);
	if (status == PROTO_OK) {
		stats_add(STAT_AUTH_DENIED, 1);
		status = PROTO_DENIED;
	}
	return status;
}

int
auth_lock_succ(struct request *rq)
{
	struct login l;
	int status = stacked(rq, 0, &l);

	if (status == PROTO_OK)
		status = login_settle(rq, &l, "ok", "another module");
	if (status == PROTO_OK) {
		stats_add(STAT_AUTH_OK, 1);
		put_last_login(rq, &l.prev);
	}
	WIPE_OBJ(l.u);
	return status;
}

int
auth_verify_password(struct request *rq, struct store_user *u)
{
	char pw[PROTO_MAX_SECRET + 1];
	struct login l;
	int status = -1, rc;

	memset(u, 0, sizeof(*u));
	memset(&l, 0, sizeof(l));
	if (request_password(rq, PROTO_T_PASSWORD, pw, &status) != 0 ||
	    (rc = login_load(rq, &l)) < 0) {
		status = -1;
		goto out;
	}
	if (rc > 0) {
		status = rc;
		goto out;
	}
	if (status != PROTO_OK)
		pw[0] = '\0';
	rq->reason = PROTO_R_NONE;
	status = current_password(rq, &l, pw);
	if (status == PROTO_OK)
		*u = l.u;
out:
	WIPE_OBJ(l.u);
	wipe(pw, sizeof(pw));
	return status;
}

struct code_arg {
	int64_t user_id;
	const char *code;
	struct second_result res;
};

static int
check_code(struct request *rq, struct login *l, void *arg)
{
	struct code_arg *c = arg;

	(void)l;
	return second_check(rq, c->user_id, c->code, &c->res);
}

int
auth_counted_check(struct request *rq, login_check_fn check, void *arg,
		   const char *factor)
{
	struct login l;
	int status;

	if ((status = login_load(rq, &l)) != 0)
		goto out;
	switch (login_counted(rq, &l, check, arg, &status)) {
	case LOGIN_RIGHT:
		status = login_refund(rq, &l, NULL);
		break;
	case LOGIN_WRONG:
		login_failed(rq, &l, factor);
		status = PROTO_DENIED;
		break;
	}
out:
	WIPE_OBJ(l.u);
	return status;
}

int
auth_verify_code(struct request *rq, const struct store_user *u,
		 const char *code)
{
	struct code_arg c = { u->id, code, { 0 } };

	return auth_counted_check(rq, check_code, &c, "current code");
}
