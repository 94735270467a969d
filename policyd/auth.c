/*
 * auth.c - the PAM verbs: authenticate and account.
 *
 * No answer may tell an unauthenticated caller whether a user exists: an
 * unknown or malformed name is verified against a dummy hash of the same
 * cost and answered exactly like a wrong password.  Whether the account
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
		log_info("password ok: user %s (service %s, rhost %s)", u->name,
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

/* One verification under the lockout rules. */
#define ACCOUNT_KEY_MAX (PROTO_MAX_NAME + 2)

struct login {
	char key[ACCOUNT_KEY_MAX];	/* what a.user points to */
	char tty[PROTO_MAX_TEXT + 1];	/* for the audit trail */
	char rhost[PROTO_MAX_TEXT + 1];	/* what a.rhost and a.service */
	char service[PROTO_MAX_TEXT + 1]; /* point to */
	struct attempt a;
	struct attempt_ticket t;
	struct store_user u;
	int found;
	struct last_login prev;
};

/*
 * The key failures of this name are counted under: the name itself for a
 * user policyd has; for any other name, "?" and a keyed BLAKE2b of it, so
 * that a password typed into the user name field is never stored, while
 * repeated tries of one name still add up.
 */
static void
account_key(const struct request *rq, char key[ACCOUNT_KEY_MAX])
{
	static const char hex[] = "0123456789abcdef";
	struct store_user u;
	uint8_t h[16];
	int known = store_user_get(rq->d->store, rq->user, &u) == STORE_OK;

	WIPE_OBJ(u);
	if (known) {
		snprintf(key, ACCOUNT_KEY_MAX, "%s", rq->user);
		return;
	}
	crypto_generichash(h, sizeof(h), (const uint8_t *)rq->user,
			   strlen(rq->user), rq->d->name_key,
			   sizeof(rq->d->name_key));
	key[0] = '?';
	for (size_t i = 0; i < sizeof(h); i++) {
		key[1 + 2 * i] = hex[h[i] >> 4];
		key[2 + 2 * i] = hex[h[i] & 15];
	}
	key[1 + 2 * sizeof(h)] = '\0';
}

static void
login_init(struct request *rq, struct login *l, const char *rhost,
	   const char *service)
{
	memset(l, 0, sizeof(*l));
	/* Only root's word on the remote host is taken: a local user could
	 * otherwise name a host to get it throttled for everyone.  "-" is
	 * what read_context makes of none. */
	if (rq->peer->cred.uid == 0 && strcmp(rhost, "-") != 0)
		snprintf(l->rhost, sizeof(l->rhost), "%s", rhost);
	snprintf(l->service, sizeof(l->service), "%s", service);
	if (wire_get_str(rq->msg, PROTO_T_TTY, l->tty, sizeof(l->tty)) < 0)
		l->tty[0] = '\0';
	account_key(rq, l->key);
	l->a.user = l->key;
	l->a.rhost = l->rhost;
	l->a.service = l->service;
	l->a.now = time(NULL);
	lockout_user_rule(&rq->set.lockout, rq->user, &l->a.user_rule);
	lockout_source_rule(&rq->set.lockout, l->rhost, &l->a.source_rule);
}

/* Failures of unknown names and of hosts must not pile up: every so
 * often, forget those older than any window or lock could need. */
static void
maybe_prune(struct request *rq, int64_t now)
{
	static unsigned long attempts;
	const struct cfg_lockout *c = &rq->set.lockout;
	int64_t keep = c->fail_interval;

	if (__atomic_add_fetch(&attempts, 1, __ATOMIC_RELAXED) % 256 != 0)
		return;
	if (c->source_interval > keep)
		keep = c->source_interval;
	store_prune(rq->d->store, now - keep);
	audit_maintain(rq->d, rq->set.audit_retention);
}

/* The record of a login's outcome; factor says which was checked. */
static void
login_audit(struct request *rq, const struct login *l, struct audit_rec *ev,
	    const char *result, const char *factor)
{
	request_audit(rq, ev, "auth", l->found ||
				     store_user_get(rq->d->store, rq->user,
						    &(struct store_user){ 0 }) ==
					     STORE_OK);
	ev->host = l->rhost;
	ev->service = l->service;
	ev->tty = l->tty;
	ev->result = result;
	ev->reason = factor;
}

/* An outcome that decides nothing more: written on its own. */
static void
audit_outcome(struct request *rq, const struct login *l, const char *result,
	      const char *factor)
{
	struct audit_rec ev;

	login_audit(rq, l, &ev, result, factor);
	audit_now(rq->d->store, &ev);
}

/* A locked account or host: nothing is verified.  Unless the operator
 * lets it be told, it looks and takes as long as a wrong password. */
static int
refuse_locked(struct request *rq, const struct login *l)
{
	stats_add(STAT_AUTH_LOCKED, 1);
	audit_outcome(rq, l, "locked",
		      l->t.locked == ATTEMPT_SOURCE_LOCKED ? "host" : "user");
	log_notice("auth refused unverified: %s %s is locked",
		   l->t.locked == ATTEMPT_SOURCE_LOCKED ? "host" : "user",
		   l->t.locked == ATTEMPT_SOURCE_LOCKED ? l->a.rhost : rq->user);
	if (!rq->set.lockout.tell_locked) {
		hash_wait_typical();
		return PROTO_DENIED;
	}
	if (l->t.locked == ATTEMPT_SOURCE_LOCKED)
		rq->reason = PROTO_R_SOURCE_LOCKED;
	rq->keep_fields = 1;
	wire_put_u64(rq->out, PROTO_T_LOCK_LEFT,
		     l->t.until == LOCK_FOREVER
			     ? 0
			     : (uint64_t)(l->t.until - l->a.now));
	return PROTO_LOCKED;
}

/* Whether the attempt's host is locked now (after a lockout). */
static int
locked_source(struct request *rq, const struct login *l)
{
	int64_t until;

	return store_locked(rq->d->store, 's', l->a.rhost, l->a.now,
			    &until) == 1;
}

/* A failure that locked its account or host (a right password lifts the
 * account's lock at once, so it is not one). */
static void
note_lockout(struct request *rq, const struct login *l)
{
	if (l->t.newly_locked == 0)
		return;
	stats_add(STAT_LOCKOUTS, (uint64_t)l->t.newly_locked);
	log_notice("too many failures: locked user %s%s%s", rq->user,
		   l->a.rhost[0] ? " and/or host " : "", l->a.rhost);
	{
		struct audit_rec ev;

		login_audit(rq, l, &ev, "locked", "too many failures");
		ev.event = "lock";
		alert_fire(l->a.rhost[0] && locked_source(rq, l)
				   ? "lock-source"
				   : "lock",
			   &ev);
	}
}

/*
 * Counts the attempt, then verifies pw ("" for one that cannot be right):
 * at most `deny` verifications per account and window however many run
 * at once, and a crash between the two never loses the count.  The
 * attempt stays counted until settle() says the whole login succeeded.
 * Returns the enum hash_rc of the verification, with *status -1; or, when
 * nothing was verified (locked, store failure), the answer in *status.
 */
static int
guarded_verify(struct request *rq, const char *pw, struct login *l,
	       int *status)
{
	int rc;

	*status = PROTO_UNAVAILABLE;
	maybe_prune(rq, l->a.now);
	if (store_attempt_begin(rq->d->store, &l->a, 1, &l->t) != STORE_OK)
		return HASH_ERROR;
	if (l->t.locked != ATTEMPT_OPEN) {
		*status = refuse_locked(rq, l);
		return HASH_MISMATCH;
	}
	rc = pw[0] == '\0' ? HASH_MISMATCH
			     : verify_user(rq, pw, strlen(pw), &l->u,
					   &l->found);
	if (rc == HASH_BUSY || rc == HASH_ERROR)
		store_attempt_cancel(rq->d->store, &l->t);
	else if (rc != HASH_OK)
		note_lockout(rq, l);
	*status = -1;
	return rc;
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

/* The login succeeded, every factor: refund its attempt, clear the
 * account's failures, record it.  A status. */
static int
settle(struct request *rq, struct login *l)
{
	if (store_attempt_succeeded(rq->d->store, &l->a, &l->t, &l->prev) !=
	    STORE_OK)
		return PROTO_UNAVAILABLE;
	return PROTO_OK;
}

/* settle(), recorded as the login's outcome in the same transaction. */
static int
settle_audited(struct request *rq, struct login *l, const char *result,
	       const char *factor)
{
	struct audit_rec ev;
	int status;

	login_audit(rq, l, &ev, result, factor);
	audit_begin(&ev);
	status = settle(rq, l);
	audit_end();
	return status;
}

/* Whether this configuration ever asks for a code: then every login that
 * is not plainly through (right password, no code needed) is asked one,
 * so that the prompts tell nothing. */
static int
codes_asked(const struct request *rq)
{
	return rq->set.totp.required_mode != TOTP_OFF;
}

/* Keeps the login for its code step and answers "need-code" with the
 * token.  The attempt stays counted until the code is right.
 * password_ok: 0 wrong, 1 right, 2 right but the account is disabled. */
static int
defer(struct request *rq, const struct login *l, int password_ok)
{
	struct pending_login p;
	uint8_t token[PENDING_TOKEN_LEN];

	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "%s", rq->user);
	snprintf(p.rhost, sizeof(p.rhost), "%s", l->rhost);
	snprintf(p.service, sizeof(p.service), "%s", l->service);
	snprintf(p.tty, sizeof(p.tty), "%s", l->tty);
	p.peer_uid = rq->peer->cred.uid;
	p.password_ok = password_ok != 0;
	p.disabled = password_ok == 2;
	p.user_id = l->found ? l->u.id : 0;
	p.ticket = l->t;
	if (pending_put(&p, token) != 0) {
		log_warn("too many logins waiting for their code");
		return PROTO_UNAVAILABLE;
	}
	rq->keep_fields = 1;
	wire_put_bytes(rq->out, PROTO_T_TOKEN, token, sizeof(token));
	return PROTO_NEED_CODE;
}

/* The password was right: in, or on to the code. */
static int
password_right(struct request *rq, struct login *l, const char *pw)
{
	int64_t grace;
	int need = second_needed(rq, &l->u, &grace), status;

	if (need < 0)
		return PROTO_UNAVAILABLE;
	password_upgrade(rq, &l->u, pw);
	if (need)
		return defer(rq, l, 1);
	status = settle_audited(rq, l, "ok", "password");
	if (status != PROTO_OK)
		return status;
	stats_add(STAT_AUTH_OK, 1);
	put_last_login(rq, &l->prev);
	if (grace > 0)
		wire_put_u64(rq->out, PROTO_T_GRACE_LEFT, (uint64_t)grace);
	return PROTO_OK;
}

/* A disabled account with the right password: told so, but only after
 * its second factor too, if it has one (else a password alone would be
 * confirmed right). */
static int
disabled_right(struct request *rq, struct login *l)
{
	int64_t grace;
	int need = second_needed(rq, &l->u, &grace);

	if (need < 0)
		return PROTO_UNAVAILABLE;
	if (need)
		return defer(rq, l, 2);
	return settle_audited(rq, l, "disabled", "password") == PROTO_OK
		       ? PROTO_DISABLED
		       : PROTO_UNAVAILABLE;
}

int
auth_authenticate(struct request *rq)
{
	char pw[PROTO_MAX_SECRET + 1];
	char rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	struct login l;
	int rc, status = -1;

	memset(&l, 0, sizeof(l));
	if (read_context(rq, rhost, service) != 0 ||
	    request_password(rq, PROTO_T_PASSWORD, pw, &status) != 0) {
		status = -1;
		goto out;
	}
	if (status == PROTO_BAD_REQUEST)
		goto out;
	/* No password policy applies to a login attempt: an empty, over-
	 * long or NUL-holding one is simply wrong (counted, not hashed). */
	rq->reason = PROTO_R_NONE;
	login_init(rq, &l, rhost, service);
	rc = guarded_verify(rq, status == PROTO_OK ? pw : "", &l, &status);
	if (status >= 0) {
		/* Locked, and not told: it asks for a code like the rest. */
		if (status == PROTO_DENIED && codes_asked(rq))
			status = defer(rq, &l, 0);
		goto out;
	}
	status = auth_status(rq, rc, &l.u, l.found, rhost, service);
	if (status == PROTO_OK)
		status = password_right(rq, &l, pw);
	else if (status == PROTO_DISABLED)
		status = disabled_right(rq, &l);
	else if (status == PROTO_DENIED && codes_asked(rq))
		status = defer(rq, &l, 0);
	if (status == PROTO_DENIED) {
		stats_add(STAT_AUTH_DENIED, 1);
		audit_outcome(rq, &l, "fail", "password");
	}
out:
	wipe(pw, sizeof(pw));
	WIPE_OBJ(l.u);
	return status;
}

/*
 * totp_only: another module (pam_unix, SSSD) checks the password, policyd
 * only the code.  The attempt is counted now and refunded when the code
 * is right; an account that needs no code is through at once.
 */
int
auth_code_only(struct request *rq)
{
	char rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	struct login l;
	int64_t grace;
	int status, need;

	if (read_context(rq, rhost, service) != 0)
		return -1;
	login_init(rq, &l, rhost, service);
	maybe_prune(rq, l.a.now);
	if (store_attempt_begin(rq->d->store, &l.a, 1, &l.t) != STORE_OK)
		return PROTO_UNAVAILABLE;
	if (l.t.locked != ATTEMPT_OPEN) {
		status = refuse_locked(rq, &l);
		return status == PROTO_DENIED ? defer(rq, &l, 0) : status;
	}
	status = store_user_get(rq->d->store, rq->user, &l.u);
	WIPE_OBJ(l.u.phc);
	if (status == STORE_ERROR)
		return PROTO_UNAVAILABLE;
	l.found = status == STORE_OK;
	need = l.found ? second_needed(rq, &l.u, &grace) : 1;
	if (need < 0)
		return PROTO_UNAVAILABLE;
	if (need)
		return codes_asked(rq) ? defer(rq, &l, l.found)
				       : PROTO_DENIED;
	status = settle_audited(rq, &l, "ok", "none needed");
	if (status == PROTO_OK && grace > 0)
		wire_put_u64(rq->out, PROTO_T_GRACE_LEFT, (uint64_t)grace);
	return status;
}

/* The code step of a login: the token from "need-code" and the code (or
 * a recovery code).  Wrong in any way: the attempt stays counted. */
int
auth_code(struct request *rq)
{
	char code[65];
	struct pending_login p;
	struct second_result res;
	struct login l;
	struct wfield f;
	int rc, status = PROTO_DENIED;

	memset(&p, 0, sizeof(p));
	memset(&res, 0, sizeof(res));
	if (wire_find(rq->msg, PROTO_T_TOKEN, &f) != 0 ||
	    f.len != PENDING_TOKEN_LEN ||
	    wire_get_str(rq->msg, PROTO_T_CODE, code, sizeof(code)) < 0)
		return -1;
	if (pending_take(f.val, &p) != 0 || strcmp(p.user, rq->user) != 0 ||
	    p.peer_uid != rq->peer->cred.uid || !p.password_ok)
		goto out;
	rc = second_check(rq, p.user_id, code, &res);
	if (rc < 0) {
		status = PROTO_UNAVAILABLE;
	} else if (rc == 0 && res.no_totp) {
		rq->reason = PROTO_R_NO_TOTP;	/* told after both factors */
	} else if (rc == 1) {
		login_init(rq, &l, p.rhost, p.service);
		snprintf(l.tty, sizeof(l.tty), "%s", p.tty);
		l.t = p.ticket;
		l.found = 1;
		status = settle_audited(rq, &l, p.disabled ? "disabled" : "ok",
					res.recovery ? "recovery code" : "totp");
		if (status == PROTO_OK && p.disabled) {
			status = PROTO_DISABLED;
		} else if (status == PROTO_OK) {
			stats_add(STAT_AUTH_OK, 1);
			put_last_login(rq, &l.prev);
			if (res.recovery)
				wire_put_u32(rq->out, PROTO_T_CODES_LEFT,
					     res.codes_left);
			log_info("auth ok: user %s with %s", rq->user,
				 res.recovery ? "a recovery code" : "TOTP");
		}
	}
out:
	if (status == PROTO_DENIED) {
		stats_add(STAT_AUTH_DENIED, 1);
		login_init(rq, &l, p.rhost, p.service);
		snprintf(l.tty, sizeof(l.tty), "%s", p.tty);
		l.found = p.user_id != 0;
		audit_outcome(rq, &l, "fail",
			      !p.password_ok ? "password"
			      : res.no_totp ? "no totp enrolled"
					    : "code");
	}
	wipe(code, sizeof(code));
	WIPE_OBJ(p);
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

/* Who asks: the user with the current password (have_old), counted and
 * verified like a login, or root with none.  Loads u; returns a status. */
static int
chpass_caller(struct request *rq, const char *old, int have_old,
	      struct login *l)
{
	int rc, status;

	if (!have_old) {
		if (rq->peer->cred.uid != 0) {
			rq->reason = PROTO_R_MISSING_FIELD;
			return PROTO_BAD_REQUEST;
		}
		rc = store_user_get(rq->d->store, rq->user, &l->u);
		return rc == STORE_OK	       ? PROTO_OK
		       : rc == STORE_NOT_FOUND ? PROTO_NOT_FOUND
					       : PROTO_UNAVAILABLE;
	}
	rc = guarded_verify(rq, old, l, &status);
	if (status >= 0)
		return status;
	if (rc == HASH_BUSY || rc == HASH_ERROR)
		return PROTO_UNAVAILABLE;
	if (rc != HASH_OK)
		return PROTO_DENIED;
	if (settle(rq, l) != PROTO_OK)
		return PROTO_UNAVAILABLE;
	return l->u.disabled ? PROTO_DISABLED : PROTO_OK;
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
	char rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	struct login l;
	struct wfield f;
	uint32_t new_reason;
	int status = -1, old_status, new_status, have_old;

	memset(&l, 0, sizeof(l));
	old[0] = '\0';
	have_old = wire_find(rq->msg, PROTO_T_PASSWORD, &f) == 0;
	if (read_context(rq, rhost, service) != 0 ||
	    (have_old && request_password(rq, PROTO_T_PASSWORD, old,
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
	login_init(rq, &l, rhost, service);
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
	char rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	struct audit_rec ev;
	int rc;

	if (read_context(rq, rhost, service) != 0)
		return -1;
	login_init(rq, l, rhost, service);
	/* A counted failure (authfail) is recorded in the transaction that
	 * counts it: one sync, not two.  A refusal is recorded below. */
	if (count) {
		login_audit(rq, l, &ev, "fail", "another module");
		audit_begin(&ev);
	}
	rc = store_attempt_begin(rq->d->store, &l->a, count, &l->t);
	if (count)
		audit_end();
	if (rc != STORE_OK)
		return PROTO_UNAVAILABLE;
	if (count)
		maybe_prune(rq, l->a.now);
	note_lockout(rq, l);
	if (l->t.locked != ATTEMPT_OPEN)
		return refuse_locked(rq, l);
	return PROTO_OK;
}

int
auth_lock_check(struct request *rq)
{
	struct login l;

	return stacked(rq, 0, &l);
}

int
auth_lock_fail(struct request *rq)
{
	struct login l;
	int status = stacked(rq, 1, &l);

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

	if (status != PROTO_OK)
		return status;
	if (settle_audited(rq, &l, "ok", "another module") != PROTO_OK)
		return PROTO_UNAVAILABLE;
	stats_add(STAT_AUTH_OK, 1);
	put_last_login(rq, &l.prev);
	return PROTO_OK;
}

int
auth_verify_password(struct request *rq, struct store_user *u)
{
	char pw[PROTO_MAX_SECRET + 1];
	char rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	struct login l;
	int status = -1;

	memset(u, 0, sizeof(*u));
	if (read_context(rq, rhost, service) != 0 ||
	    request_password(rq, PROTO_T_PASSWORD, pw, &status) != 0) {
		status = -1;
		goto out;
	}
	rq->reason = PROTO_R_NONE;
	login_init(rq, &l, rhost, service);
	status = chpass_caller(rq, status == PROTO_OK ? pw : "", 1, &l);
	if (status == PROTO_OK)
		*u = l.u;
	WIPE_OBJ(l.u);
out:
	wipe(pw, sizeof(pw));
	return status;
}
