/*
 * login.c - one authentication's state and the one counted check; see
 * login.h for the rules every verb keeps.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "alert.h"
#include "audit.h"
#include "frame.h"
#include "hash.h"
#include "lockout.h"
#include "log.h"
#include "second.h"
#include "login.h"
#include "stats.h"
#include "text.h"
#include "wipe.h"

/* An optional context string: absent is "", malformed is -1.  It comes
 * from any local user, so what could drive the terminal of whoever reads
 * the record later (controls, invalid UTF-8) becomes '?' (text.h). */
static int
context(const struct request *rq, uint8_t tag, char out[PROTO_MAX_TEXT + 1])
{
	if (wire_get_str(rq->msg, tag, out, PROTO_MAX_TEXT + 1) < 0)
		return -1;
	text_clean(out);
	return 0;
}

/*
 * The key failures of this name are counted under: the name itself for a
 * user policyd has; for any other name, "?" and a keyed BLAKE2b of it, so
 * that a password typed into the user name field is never stored, while
 * repeated tries of one name still add up.
 */
static void
account_key(const struct request *rq, struct login *l)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t h[16];

	if (l->found) {
		snprintf(l->key, sizeof(l->key), "%s", rq->user);
		return;
	}
	crypto_generichash(h, sizeof(h), (const uint8_t *)rq->user,
			   strlen(rq->user), rq->d->name_key,
			   sizeof(rq->d->name_key));
	l->key[0] = '?';
	for (size_t i = 0; i < sizeof(h); i++) {
		l->key[1 + 2 * i] = hex[h[i] >> 4];
		l->key[2 + 2 * i] = hex[h[i] & 15];
	}
	l->key[1 + 2 * sizeof(h)] = '\0';
}

/* The user row, the keys and the rules; the context is already in l. */
static int
login_prepare(struct request *rq, struct login *l)
{
	int rc = STORE_NOT_FOUND;

	/* Only root's word on the remote host is taken: a local user could
	 * otherwise name a host to get it throttled for everyone. */
	if (rq->peer->cred.uid != 0)
		l->rhost[0] = '\0';
	if (valid_user_name(rq->user))
		rc = store_user_get(rq->d->store, rq->user, &l->u);
	if (rc == STORE_ERROR)
		return PROTO_UNAVAILABLE;
	l->found = rc == STORE_OK;
	account_key(rq, l);
	l->a.user = l->key;
	l->a.rhost = l->rhost;
	l->a.service = l->service;
	l->a.now = time(NULL);
	lockout_user_rule(&rq->set.lockout, rq->user, &l->a.user_rule);
	lockout_source_rule(&rq->set.lockout, l->rhost, &l->a.source_rule);
	return 0;
}

int
login_load(struct request *rq, struct login *l)
{
	memset(l, 0, sizeof(*l));
	if (context(rq, PROTO_T_RHOST, l->rhost) != 0 ||
	    context(rq, PROTO_T_TTY, l->tty) != 0 ||
	    context(rq, PROTO_T_SERVICE, l->service) != 0)
		return -1;
	return login_prepare(rq, l);
}

int
login_resume(struct request *rq, struct login *l,
	     const struct pending_login *p)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->rhost, sizeof(l->rhost), "%s", p->rhost);
	snprintf(l->tty, sizeof(l->tty), "%s", p->tty);
	snprintf(l->service, sizeof(l->service), "%s", p->service);
	if (login_prepare(rq, l) != 0)
		return PROTO_UNAVAILABLE;
	/* The row read now, not the one the password step read: the code
	 * step goes on with the attempt that step counted. */
	l->t = p->ticket;
	return 0;
}

void
login_needs_code(struct request *rq, struct login *l)
{
	struct store_user nobody;

	if (l->found) {
		l->need_code = second_needed(rq, &l->u, &l->grace);
		return;
	}
	/* The same lookups for a name the store does not have. */
	memset(&nobody, 0, sizeof(nobody));
	snprintf(nobody.name, sizeof(nobody.name), "%s", rq->user);
	nobody.created = time(NULL);
	l->need_code = second_needed(rq, &nobody, &l->grace) < 0 ? -1 : 1;
}

const char *
login_name(const struct request *rq, const struct login *l)
{
	return l->found ? rq->user : rq->unknown;
}

void
login_record(struct request *rq, const struct login *l, struct audit_rec *ev,
	     const char *result, const char *factor)
{
	request_audit(rq, ev, "auth", l->found);
	ev->host = l->rhost;
	ev->service = l->service;
	ev->tty = l->tty;
	ev->result = result;
	ev->reason = factor;
}

void
login_owner(const struct request *rq, const struct login *l,
	    char owner[PENDING_OWNER_MAX])
{
	pending_owner(rq->peer->cred.uid, l->rhost, l->key, owner);
}

int
login_refuse_locked(struct request *rq, const struct login *l)
{
	int host = l->t.locked == ATTEMPT_SOURCE_LOCKED;
	struct audit_rec ev;

	stats_add(STAT_AUTH_LOCKED, 1);
	/* Before a code step that a right password reaches with no write,
	 * a write here would tell the lock by its time: the code step (or
	 * the drop of the unanswered login) records it instead. */
	if (!l->code_step || rq->set.lockout.tell_locked) {
		login_record(rq, l, &ev, "locked", host ? "host" : "user");
		audit_now(rq->d->store, &ev);
	}
	log_notice("auth refused unverified: %s %s is locked",
		   host ? "host" : "user",
		   host ? l->a.rhost : login_name(rq, l));
	if (!rq->set.lockout.tell_locked)
		return hash_wait_typical(rq->deadline_ms) == HASH_OK
			       ? PROTO_DENIED
			       : PROTO_UNAVAILABLE;
	if (host)
		rq->reason = PROTO_R_SOURCE_LOCKED;
	rq->keep_fields = 1;
	wire_put_u64(rq->out, PROTO_T_LOCK_LEFT,
		     l->t.until == LOCK_FOREVER
			     ? 0
			     : (uint64_t)(l->t.until - l->a.now));
	return PROTO_LOCKED;
}

/* Where a failure happened: the names its records carry. */
struct where {
	const char *user;	/* login_name's, never an unknown name */
	const char *rhost, *service;
};

/* The record of a lock an attempt's count set (kind 'u' or 's'). */
static void
lock_record(const struct where *w, char kind, struct audit_rec *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->event = "lock";
	ev->actor_uid = -1;
	ev->user = kind == 'u' ? w->user : "";
	ev->host = w->rhost;
	ev->service = w->service;
	ev->result = "locked";
	ev->reason = kind == 's' ? "host failures" : "account failures";
}

/* A failure now known as one: `first` (its record, if not NULL) and the
 * locks its count set (t), in one transaction; then the alert. */
static void
record_failure(struct store *st, const struct where *w,
	       struct audit_rec *first, const struct attempt_ticket *t)
{
	struct audit_rec user_lock, host_lock, *recs[3];
	size_t n = 0;

	if (first != NULL)
		recs[n++] = first;
	if (t->locked_user) {
		lock_record(w, 'u', &user_lock);
		recs[n++] = &user_lock;
	}
	if (t->locked_source) {
		lock_record(w, 's', &host_lock);
		recs[n++] = &host_lock;
	}
	if (n == 0 || store_audit_append(st, recs, n) != STORE_OK)
		return;
	for (size_t i = 0; i < n; i++)
		audit_done(recs[i]);
	if (first != NULL && audit_is_unknown(w->user))
		alert_unknown_name(first);
	if (t->newly_locked == 0)
		return;
	stats_add(STAT_LOCKOUTS, (uint64_t)t->newly_locked);
	log_warn("too many failures: locked user %s%s%s", w->user,
		 t->locked_source ? " and host " : "",
		 t->locked_source ? w->rhost : "");
	/* One alert for each lock, each with its own record. */
	if (t->locked_user)
		alert_fire("lock", &user_lock);
	if (t->locked_source)
		alert_fire("lock-source", &host_lock);
}

void
login_failed_locks(struct request *rq, struct login *l)
{
	struct where w = { login_name(rq, l), l->rhost, l->service };

	record_failure(rq->d->store, &w, NULL, &l->t);
}

void
login_failed(struct request *rq, struct login *l, const char *factor)
{
	struct where w = { login_name(rq, l), l->rhost, l->service };
	struct audit_rec ev;

	login_record(rq, l, &ev, "fail", factor);
	record_failure(rq->d->store, &w, &ev, &l->t);
}

static int
count(struct request *rq, struct login *l, int *status)
{
	if (store_attempt_begin(rq->d->store, &l->a, 1, &l->t, NULL) !=
	    STORE_OK) {
		*status = PROTO_UNAVAILABLE;
		return LOGIN_REFUSED;
	}
	if (l->t.locked != ATTEMPT_OPEN) {
		*status = login_refuse_locked(rq, l);
		return LOGIN_REFUSED;
	}
	return LOGIN_RIGHT;
}

int
login_count_only(struct request *rq, struct login *l, int *status)
{
	*status = -1;
	return count(rq, l, status);
}

int
login_counted(struct request *rq, struct login *l, login_check_fn check,
	      void *arg, int *status)
{
	int rc;

	*status = -1;
	if (count(rq, l, status) != LOGIN_RIGHT)
		return LOGIN_REFUSED;
	rc = check(rq, l, arg);
	if (rc < 0) {
		struct audit_rec ev, *gone = NULL;

		/* Not checked: not counted.  Recorded when the reason is that
		 * the client had given up. */
		if (frame_now_ms() >= rq->deadline_ms) {
			login_record(rq, l, &ev, "abandoned", "unchecked");
			gone = &ev;
		}
		if (store_attempt_cancel(rq->d->store, &l->a, &l->t, gone) ==
			    STORE_OK &&
		    gone != NULL)
			audit_done(gone);
		*status = PROTO_UNAVAILABLE;
		return LOGIN_REFUSED;
	}
	return rc == 1 ? LOGIN_RIGHT : LOGIN_WRONG;
}

/* The client gave up before the login was through: nobody learns the
 * outcome, so it is neither a login (no last login, failures stay) nor
 * a failure (the attempt is given back); it is recorded as abandoned. */
static int
abandoned(struct request *rq, struct login *l, const char *factor)
{
	struct audit_rec ev;

	login_record(rq, l, &ev, "abandoned", factor);
	log_info("login of %s abandoned: the client gave up first",
		 login_name(rq, l));
	login_refund(rq, l, &ev);
	return PROTO_UNAVAILABLE;
}

int
login_settle(struct request *rq, struct login *l, const char *result,
	     const char *factor)
{
	struct audit_rec ev;

	if (frame_now_ms() > rq->deadline_ms)
		return abandoned(rq, l, factor);
	login_record(rq, l, &ev, result, factor);
	if (store_attempt_succeeded(rq->d->store, &l->a, &l->t, &l->prev,
				    &ev) != STORE_OK)
		return PROTO_UNAVAILABLE;
	audit_done(&ev);
	return PROTO_OK;
}

int
login_refund(struct request *rq, struct login *l, struct audit_rec *ev)
{
	if (store_attempt_cancel(rq->d->store, &l->a, &l->t, ev) != STORE_OK)
		return PROTO_UNAVAILABLE;
	audit_done(ev);
	return PROTO_OK;
}

void
login_failed_before(struct request *rq, struct login *l,
		    const struct pending_login *p)
{
	struct audit_rec ev;

	if (!p->locked) {
		login_failed(rq, l, "password");
		return;
	}
	login_record(rq, l, &ev, "locked",
		     p->locked == ATTEMPT_SOURCE_LOCKED ? "host" : "user");
	audit_now(rq->d->store, &ev);
}

void
login_abandoned(struct daemon *d, const struct pending_login *p,
		const char *why)
{
	char unknown[AUDIT_UNKNOWN_SIZE];
	struct where w = { p->user, p->rhost, p->service };
	struct audit_rec ev;

	if (p->user_id == 0) {
		audit_unknown_name(d->totp_key, p->user, unknown);
		w.user = unknown;
	}

	/* A wrong password is recorded here or at its code step, never
	 * when it is answered: that write would make it answer later than
	 * a right one. */
	memset(&ev, 0, sizeof(ev));
	ev.event = "auth";
	ev.user = w.user;
	ev.host = p->rhost;
	ev.service = p->service;
	ev.tty = p->tty;
	ev.result = p->locked ? "locked" : "fail";
	ev.reason = p->locked == ATTEMPT_SOURCE_LOCKED ? "host"
		    : p->locked				 ? "user"
		    : p->password_ok			 ? why
							 : "password";
	ev.actor_uid = p->peer_uid;
	snprintf(ev.actor, sizeof(ev.actor), "%s", p->peer_name);
	record_failure(d->store, &w, &ev, &p->ticket);
}
