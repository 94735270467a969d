/*
 * dispatch.c - the table of message types, and authorization.
 *
 * Authority comes from the socket a request arrived on and the peer's
 * kernel credentials.  On pam.sock, root may run the PAM verbs for anyone
 * and any other user only for itself (as unix_chkpwd allows screen
 * lockers); on admin.sock, root, the daemon's own user, or a member of
 * admin_group.  A known verb from anyone else is answered "forbidden" and
 * logged; an unknown type closes the connection.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "audit.h"
#include "dispatch.h"
#include "frame.h"
#include "log.h"
#include "normalize.h"
#include "stats.h"
#include "wipe.h"

enum who {
	WHO_ANYONE,
	WHO_SELF,	/* root, or the user named in the request */
	WHO_ROOT,
	WHO_ADMIN,
};

struct route {
	uint8_t type;
	const char *name;
	int sockets;	/* bit (1 << enum sock_kind) per socket served */
	enum who who;
	int needs_user;
	int (*handler)(struct request *rq);
	/* A verb that may change state: its event, under which a refusal
	 * the handler did not record is recorded. */
	const char *event;
};

#define ON_PAM (1 << SOCK_PAM)
#define ON_ADMIN (1 << SOCK_ADMIN)

static const struct route routes[] = {
	{ PROTO_PING, "ping", ON_PAM | ON_ADMIN, WHO_ANYONE, 0, auth_ping,
	  NULL },
	{ PROTO_AUTH, "auth", ON_PAM, WHO_SELF, 1, auth_authenticate, NULL },
	{ PROTO_ACCT, "acct", ON_PAM, WHO_SELF, 1, auth_account, NULL },
	{ PROTO_CHPASS, "chpass", ON_PAM, WHO_SELF, 1, auth_chpass, NULL },
	{ PROTO_CODE, "code", ON_PAM, WHO_SELF, 1, auth_code, NULL },
	{ PROTO_CODE_ONLY, "code-only", ON_PAM, WHO_SELF, 1,
	  auth_code_only, NULL },
	{ PROTO_SELF_ENROLL, "self-totp-enroll", ON_PAM, WHO_SELF, 1,
	  self_totp_enroll, NULL },
	{ PROTO_SELF_CONFIRM, "self-totp-confirm", ON_PAM, WHO_SELF, 1,
	  self_totp_confirm, NULL },
	{ PROTO_SELF_RESET, "self-totp-reset", ON_PAM, WHO_SELF, 1,
	  self_totp_reset, NULL },
	{ PROTO_LOCK_CHECK, "preauth", ON_PAM, WHO_ROOT, 1, auth_lock_check,
	  NULL },
	{ PROTO_LOCK_FAIL, "authfail", ON_PAM, WHO_ROOT, 1, auth_lock_fail,
	  NULL },
	{ PROTO_LOCK_SUCC, "authsucc", ON_PAM, WHO_ROOT, 1, auth_lock_succ,
	  NULL },
	{ PROTO_USER_ADD, "user-add", ON_ADMIN, WHO_ADMIN, 1, admin_user_add,
	  "user-add" },
	{ PROTO_USER_DEL, "user-del", ON_ADMIN, WHO_ADMIN, 1, admin_user_del,
	  "user-del" },
	{ PROTO_USER_LIST, "user-list", ON_ADMIN, WHO_ADMIN, 0,
	  admin_user_list, NULL },
	{ PROTO_USER_SHOW, "user-show", ON_ADMIN, WHO_ADMIN, 1,
	  admin_user_show, NULL },
	{ PROTO_USER_DISABLE, "user-disable", ON_ADMIN, WHO_ADMIN, 1,
	  admin_user_disable, "user-disable" },
	{ PROTO_USER_ENABLE, "user-enable", ON_ADMIN, WHO_ADMIN, 1,
	  admin_user_enable, "user-enable" },
	{ PROTO_PASSWD, "passwd", ON_ADMIN, WHO_ADMIN, 1, admin_passwd,
	  "password-change" },
	{ PROTO_PWCHECK, "password-check", ON_ADMIN, WHO_ADMIN, 1,
	  admin_pwcheck, NULL },
	{ PROTO_EXPIRE, "expire", ON_ADMIN, WHO_ADMIN, 1, admin_expire,
	  "password-expire" },
	{ PROTO_UNLOCK, "unlock", ON_ADMIN, WHO_ADMIN, 0, admin_unlock,
	  "unlock" },
	{ PROTO_LOCKS, "locks", ON_ADMIN, WHO_ADMIN, 0, admin_locks, NULL },
	{ PROTO_STATS, "stats", ON_ADMIN, WHO_ADMIN, 0, admin_stats, NULL },
	{ PROTO_STATUS, "status", ON_ADMIN, WHO_ADMIN, 0, admin_status, NULL },
	{ PROTO_RELOAD, "reload", ON_ADMIN, WHO_ADMIN, 0, admin_reload,
	  NULL },
	{ PROTO_TOTP_ENROLL, "totp-enroll", ON_ADMIN, WHO_ADMIN, 1,
	  admin_totp_enroll, "totp-enroll" },
	{ PROTO_TOTP_CONFIRM, "totp-confirm", ON_ADMIN, WHO_ADMIN, 1,
	  admin_totp_confirm, "totp-confirm" },
	{ PROTO_TOTP_RECOVERY, "totp-recovery", ON_ADMIN, WHO_ADMIN, 1,
	  admin_totp_recovery, "totp-recovery-codes" },
	{ PROTO_TOTP_RESET, "totp-reset", ON_ADMIN, WHO_ADMIN, 1,
	  admin_totp_reset, "totp-reset" },
	{ PROTO_AUDIT_QUERY, "audit", ON_ADMIN, WHO_ADMIN, 0, admin_audit_query,
	  NULL },
	{ PROTO_AUDIT_VERIFY, "audit-verify", ON_ADMIN, WHO_ADMIN, 0,
	  admin_audit_verify, NULL },
};

static const struct route *
find_route(uint8_t type)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].type == type)
			return &routes[i];
	return NULL;
}

int
valid_user_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > PROTO_MAX_NAME || name[0] == '-' || name[0] == '.')
		return 0;
	if (name[n - 1] == '$')
		n--;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return n > 0;
}

int
request_password(struct request *rq, uint8_t tag, char *out, int *status)
{
	struct wfield f;
	enum norm_result n;

	out[0] = '\0';
	*status = PROTO_OK;
	if (wire_find(rq->msg, tag, &f) != 0) {
		rq->reason = PROTO_R_MISSING_FIELD;
		*status = PROTO_BAD_REQUEST;
	} else if (f.len > PROTO_MAX_SECRET) {
		rq->reason = PROTO_R_TOO_LONG;
		*status = PROTO_POLICY;
	} else if (f.len == 0) {
		rq->reason = PROTO_R_EMPTY;
		*status = PROTO_POLICY;
	} else if (memchr(f.val, '\0', f.len) != NULL) {
		rq->reason = PROTO_R_BAD_TEXT;
		*status = PROTO_POLICY;
	} else if (wire_str(&f, out, PROTO_MAX_SECRET + 1) != 0) {
		return -1;
	} else if ((n = norm_password(out, PROTO_MAX_SECRET + 1)) ==
		   NORM_ERROR) {
		log_err("out of memory normalising a password");
		return -1;
	} else if (n == NORM_TOO_LONG) {
		/* Its NFKC form is what would be hashed: too long. */
		rq->reason = PROTO_R_TOO_LONG;
		*status = PROTO_POLICY;
	}
	return 0;
}

void
peer_resolve(struct peer *p)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	p->name[0] = '\0';
	if (getpwuid_r(p->cred.uid, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && strlen(pw.pw_name) <= PROTO_MAX_NAME)
		snprintf(p->name, sizeof(p->name), "%s", pw.pw_name);
}

void
request_audit(struct request *rq, struct audit_rec *r, const char *event,
	      int known)
{
	memset(r, 0, sizeof(*r));
	r->recorded = &rq->recorded;
	r->event = event;
	r->user = known ? rq->user : rq->unknown;
	r->actor_uid = rq->peer->cred.uid;
	snprintf(r->actor, sizeof(r->actor), "%s", rq->peer->name);
}

static int
is_self(const struct request *rq)
{
	return rq->peer->name[0] != '\0' &&
	       strcmp(rq->peer->name, rq->user) == 0;
}

static int
is_admin(const struct request *rq)
{
	const struct peer *p = rq->peer;

	if (p->cred.uid == 0 || p->cred.uid == rq->d->uid)
		return 1;
	if (!rq->set.have_admin_gid)
		return 0;
	if (p->cred.gid == rq->set.admin_gid)
		return 1;
	for (size_t i = 0; i < p->ngroups; i++)
		if (p->groups[i] == rq->set.admin_gid)
			return 1;
	return 0;
}

static int
allowed(const struct route *r, const struct request *rq)
{
	if ((r->sockets & (1 << rq->peer->sock)) == 0)
		return 0;
	switch (r->who) {
	case WHO_ANYONE:
		return 1;
	case WHO_SELF:
		return rq->peer->cred.uid == 0 || is_self(rq);
	case WHO_ROOT:
		return rq->peer->cred.uid == 0;
	case WHO_ADMIN:
		return is_admin(rq);
	}
	return 0;
}

/* Reads PROTO_T_USER.  A name too long to be valid becomes "", which no
 * check accepts and every handler treats as an unknown user, so that it
 * is answered like any other unknown name.  A NUL inside is malformed.
 * Returns 0, 1 if absent, -1 if malformed. */
static int
read_user(struct request *rq)
{
	struct wfield f;

	if (wire_find(rq->msg, PROTO_T_USER, &f) != 0)
		return 1;
	if (memchr(f.val, '\0', f.len) != NULL)
		return -1;
	if (f.len > PROTO_MAX_NAME) {
		rq->user[0] = '\0';
		return 0;
	}
	if (wire_str(&f, rq->user, sizeof(rq->user)) != 0)
		return -1;
	audit_unknown_name(rq->d->totp_key, rq->user, rq->unknown);
	return 0;
}

int
request_audit_done(const struct request *rq, struct audit_rec *ev)
{
	int committed = audit_done(ev);

	if (committed && rq->peer->sock == SOCK_ADMIN)
		alert_fire("admin", ev);
	return committed;
}

const char *
request_name(struct request *rq, const char *name,
	     char buf[AUDIT_UNKNOWN_SIZE])
{
	struct store_user u;
	int rc;

	if (name[0] == '\0')
		return name;
	rc = store_user_get(rq->d->store, name, &u);
	WIPE_OBJ(u);
	if (rc == STORE_OK)
		return name;
	if (name == rq->user)
		return rq->unknown;	/* read_user made it already */
	audit_unknown_name(rq->d->totp_key, name, buf);
	return buf;
}

/* A verb that could have changed state and was refused, with nothing
 * in the trail yet: one record says so, and why.  Its user is named only
 * if the store has it (a refused `user add` names what it was to add). */
static void
record_refusal(const struct route *r, struct request *rq, int status)
{
	char unknown[AUDIT_UNKNOWN_SIZE];
	struct audit_rec ev;

	request_audit(rq, &ev, r->event, 1);
	if (strcmp(r->event, "user-add") != 0)
		ev.user = request_name(rq, rq->user, unknown);
	ev.result = "refused";
	ev.reason = rq->reason != PROTO_R_NONE ? proto_reason_name(rq->reason)
					       : proto_status_name(status);
	audit_now(rq->d->store, &ev);
}

/* Runs the route's checks and handler; returns a status, or -1. */
static int
route_request(const struct route *r, struct request *rq)
{
	int rc;

	if (r->needs_user) {
		rc = read_user(rq);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			rq->reason = PROTO_R_MISSING_FIELD;
			return PROTO_BAD_REQUEST;
		}
	}
	if (!allowed(r, rq)) {
		struct audit_rec ev;

		request_audit(rq, &ev, "forbidden", 0);
		ev.reason = r->name;
		ev.result = "refused";
		audit_now(rq->d->store, &ev);
		log_notice("forbidden: %s from uid %u pid %d on %s", r->name,
			   (unsigned)rq->peer->cred.uid, (int)rq->peer->cred.pid,
			   rq->peer->sock == SOCK_PAM ? "pam.sock"
						      : "admin.sock");
		return PROTO_FORBIDDEN;
	}
	rc = r->handler(rq);
	if (r->event != NULL && rc > PROTO_OK && rc != PROTO_UNAVAILABLE &&
	    !rq->recorded)
		record_refusal(r, rq, rc);
	return rc;
}

/* The reasons of an error reply, and the limits that explain them. */
static void
put_reasons(const struct request *rq, struct wwriter *out)
{
	uint32_t all = rq->reasons;

	if (rq->reason != PROTO_R_NONE)
		all |= 1u << rq->reason;
	for (uint32_t r = 1; r <= PROTO_R_MAX; r++)
		if (all & (1u << r))
			wire_put_u32(out, PROTO_T_REASON, r);
	if (all & (1u << PROTO_R_TOO_SHORT))
		wire_put_u32(out, PROTO_T_MIN_LENGTH,
			     rq->set.policy.min_length);
	if (all & (1u << PROTO_R_FEW_CLASSES))
		wire_put_u32(out, PROTO_T_MIN_CLASSES,
			     rq->set.policy.min_classes);
}

/* The request's deadline: request_timeout from now, or sooner when the
 * client says it gives up sooner (PROTO_T_DEADLINE). */
static int64_t
request_deadline(const struct wmsg *msg, uint32_t request_timeout)
{
	int64_t now = frame_now_ms();
	int64_t at = now + (int64_t)request_timeout * 1000;
	struct wfield f;
	uint32_t left;

	if (wire_find(msg, PROTO_T_DEADLINE, &f) == 0 &&
	    wire_u32(&f, &left) == 0 && now + (int64_t)left < at)
		at = now + (int64_t)left;
	return at;
}

int
dispatch(struct daemon *d, const struct peer *peer, const uint8_t *buf,
	 size_t len, struct wwriter *out)
{
	struct request rq;
	struct wmsg msg;
	const struct route *r;
	int status;

	if (wire_parse(buf, len, 0, &msg) != 0) {
		log_debug("malformed request from pid %d", (int)peer->cred.pid);
		return -1;
	}
	r = find_route(msg.type);
	if (r == NULL) {
		log_debug("unknown message type %u from pid %d", msg.type,
			  (int)peer->cred.pid);
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.d = d;
	snprintf(rq.unknown, sizeof(rq.unknown), "(unknown)");
	rq.peer = peer;
	rq.msg = &msg;
	rq.out = out;
	daemon_settings(d, &rq.set);
	rq.deadline_ms = request_deadline(&msg, rq.set.request_timeout);
	wire_begin_reply(out, msg.type, msg.id, PROTO_OK);
	status = route_request(r, &rq);
	if (status < 0) {
		log_debug("malformed %s request from pid %d", r->name,
			  (int)peer->cred.pid);
		settings_release(d, &rq.set);
		return -1;
	}
	if (status != PROTO_OK || ww_failed(out)) {
		if (status == PROTO_OK)
			status = PROTO_UNAVAILABLE;
		if (status == PROTO_UNAVAILABLE)
			stats_add(STAT_STORE_ERRORS, 1);
		if (rq.keep_fields && !ww_failed(out))
			wire_set_status(out, (uint8_t)status);
		else
			wire_reset_reply(out, (uint8_t)status);
		put_reasons(&rq, out);
	}
	WIPE_OBJ(rq.user);
	settings_release(d, &rq.set);
	return 0;
}
