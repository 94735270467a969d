/*
 * admin_totp.c - TOTP enrolment on admin.sock: enroll (a pending secret,
 * shown once), confirm (a valid code makes it active and issues recovery
 * codes), recovery (a new set of codes), reset (no TOTP).  A pending
 * secret never replaces the active one until confirmed, so a mistyped
 * scan locks nobody out.  Secrets and codes never reach a log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "login.h"
#include "log.h"
#include "seal.h"
#include "second.h"
#include "wipe.h"

static int
find_user(struct request *rq, struct store_user *u)
{
	int rc = store_user_get(rq->d->store, rq->user, u);

	WIPE_OBJ(u->phc);
	return rc == STORE_OK	       ? PROTO_OK
	       : rc == STORE_NOT_FOUND ? PROTO_NOT_FOUND
				       : PROTO_UNAVAILABLE;
}

/* Seals secret for u and stores it as pending; the URI and base32 form
 * go into the reply. */
static int
enroll_secret(struct request *rq, const struct store_user *u,
	      const uint8_t *secret)
{
	uint8_t sealed[TOTP_SECRET_LEN + SEAL_OVERHEAD], aad[SEAL_AAD_MAX];
	char b32[TOTP_B32_MAX], uri[512];
	struct totp_params p;
	int status = PROTO_UNAVAILABLE, rc;

	second_params(rq, &p);
	if (seal_encrypt(rq->d->totp_key, aad, seal_user_aad(u->id, aad),
			 secret, TOTP_SECRET_LEN, sealed) != 0 ||
	    totp_base32(secret, TOTP_SECRET_LEN, b32, sizeof(b32)) != 0 ||
	    totp_uri(&p, rq->set.totp.issuer, u->name, b32, uri,
		     sizeof(uri)) != 0)
		goto out;
	{
		struct audit_rec ev;

		request_audit(rq, &ev, "totp-enroll", 1);
		ev.result = "pending";
		rc = store_totp_pending(rq->d->store, u->id, sealed,
					sizeof(sealed), time(NULL), &ev);
		request_audit_done(rq, &ev);
		if (rc != STORE_OK)
			goto out;
	}
	wire_put_str(rq->out, PROTO_T_SECRET, b32);
	wire_put_str(rq->out, PROTO_T_URI, uri);
	status = PROTO_OK;
out:
	wipe(b32, sizeof(b32));
	wipe(uri, sizeof(uri));
	return status;
}

static int
do_enroll(struct request *rq, const struct store_user *u0)
{
	uint8_t secret[TOTP_SECRET_LEN];
	const struct store_user u = *u0;
	int status;

	if (totp_new_secret(secret) != 0)
		return PROTO_UNAVAILABLE;
	status = enroll_secret(rq, &u, secret);
	wipe(secret, sizeof(secret));
	if (status == PROTO_OK)
		log_notice("TOTP enrolment of user %s started by uid %u",
			   u.name, (unsigned)rq->peer->cred.uid);
	return status;
}

int
admin_totp_enroll(struct request *rq)
{
	struct store_user u;
	int status = find_user(rq, &u);

	return status == PROTO_OK ? do_enroll(rq, &u) : status;
}

/* Issues n codes for u into the reply. */
static int
put_codes(struct request *rq, int64_t user_id)
{
	uint32_t n = rq->set.totp.recovery_codes;
	char(*codes)[RECOVERY_CODE_LEN + 1] = NULL;
	int status;

	if (n > 0 && (codes = calloc(n, sizeof(*codes))) == NULL)
		return PROTO_UNAVAILABLE;
	status = second_new_codes(rq, user_id, n, codes);
	for (uint32_t i = 0; status == PROTO_OK && i < n; i++)
		wire_put_str(rq->out, PROTO_T_CODE, codes[i]);
	if (codes != NULL)
		wipe(codes, n * sizeof(*codes));
	free(codes);
	return status;
}

/* Checks code against the pending secret: 1 right (*step), 0 not. */
static int
pending_code_ok(struct request *rq, const struct store_user *u,
		const struct store_totp *t, const char *code, uint64_t *step)
{
	uint8_t secret[TOTP_SECRET_MAX];
	struct totp_params p;
	size_t len = 0;
	int rc;

	second_params(rq, &p);
	if (second_open(rq, u->id, t->pending, t->pending_len, secret,
			&len) != 0)
		return -1;
	rc = totp_verify(&p, secret, len, code, time(NULL), step);
	wipe(secret, sizeof(secret));
	return rc;
}

static int
confirm_audited(struct request *rq, int64_t user_id, uint64_t step)
{
	struct audit_rec ev;
	int rc;

	request_audit(rq, &ev, "totp-confirm", 1);
	ev.result = "ok";
	rc = store_totp_confirm(rq->d->store, user_id, (int64_t)step, &ev);
	request_audit_done(rq, &ev);
	return rc;
}

struct pending_check {
	const struct store_user *u;
	const struct store_totp *t;
	const char *code;
	uint64_t step;
};

static int
check_pending(struct request *rq, struct login *l, void *arg)
{
	struct pending_check *c = arg;

	(void)l;
	return pending_code_ok(rq, c->u, c->t, c->code, &c->step);
}

/* A code of the pending secret.  From the user it is counted like any
 * secret: a right guess would make the pending secret active and hand
 * out new recovery codes.  From an admin, who may enrol anew anyway, it
 * is not. */
static int
confirm_code(struct request *rq, struct pending_check *c, int counted)
{
	int rc;

	if (counted)
		return auth_counted_check(rq, check_pending, c, "new code");
	rc = check_pending(rq, NULL, c);
	return rc == 1 ? PROTO_OK : rc < 0 ? PROTO_UNAVAILABLE : PROTO_DENIED;
}

static int
do_confirm(struct request *rq, const struct store_user *u0, int counted)
{
	char code[PROTO_MAX_CODE + 1];
	const struct store_user u = *u0;
	struct store_totp t;
	struct pending_check c = { &u, &t, code, 0 };
	int status, rc;

	if (wire_get_str(rq->msg, PROTO_T_CODE, code, sizeof(code)) != 0)
		return -1;
	rc = store_totp_get(rq->d->store, u.id, &t);
	if (rc == STORE_ERROR)
		return PROTO_UNAVAILABLE;
	if (rc == STORE_NOT_FOUND || t.pending_len == 0)
		status = PROTO_NOT_FOUND;
	else
		status = confirm_code(rq, &c, counted);
	if (status == PROTO_OK &&
	    confirm_audited(rq, u.id, c.step) != STORE_OK) {
		status = PROTO_UNAVAILABLE;
	} else if (status == PROTO_OK) {
		status = put_codes(rq, u.id);
		log_notice("TOTP of user %s confirmed by uid %u", u.name,
			   (unsigned)rq->peer->cred.uid);
	}
	wipe(code, sizeof(code));
	WIPE_OBJ(t);
	return status;
}

int
admin_totp_confirm(struct request *rq)
{
	struct store_user u;
	int status = find_user(rq, &u);

	return status == PROTO_OK ? do_confirm(rq, &u, 0) : status;
}

int
admin_totp_recovery(struct request *rq)
{
	struct store_user u;
	struct store_totp t;
	int status = find_user(rq, &u), rc, active;

	if (status != PROTO_OK)
		return status;
	rc = store_totp_get(rq->d->store, u.id, &t);
	active = rc == STORE_OK && t.sealed_len > 0;
	WIPE_OBJ(t);
	if (rc == STORE_ERROR)
		return PROTO_UNAVAILABLE;
	if (!active)
		return PROTO_NOT_FOUND;
	status = put_codes(rq, u.id);
	if (status == PROTO_OK)
		log_notice("new recovery codes for user %s issued by uid %u",
			   u.name, (unsigned)rq->peer->cred.uid);
	return status;
}

static int
reset_audited(struct request *rq, int64_t user_id)
{
	struct audit_rec ev;
	int rc;

	request_audit(rq, &ev, "totp-reset", 1);
	ev.result = "ok";
	rc = store_totp_delete(rq->d->store, user_id, &ev);
	request_audit_done(rq, &ev);
	return rc;
}

int
admin_totp_reset(struct request *rq)
{
	struct store_user u;
	int status = find_user(rq, &u);

	if (status != PROTO_OK)
		return status;
	if (reset_audited(rq, u.id) != STORE_OK)
		return PROTO_UNAVAILABLE;
	log_notice("TOTP of user %s reset by uid %u", u.name,
		   (unsigned)rq->peer->cred.uid);
	return PROTO_OK;
}

/*
 * Self-service on pam.sock: the user (peer uid = that user, or root) with
 * the current password, counted like a login.  Removing an active TOTP
 * also takes a current code or a recovery code: the password alone must
 * not undo the second factor.
 */
/* With an active TOTP, the user also proves it with a current code (or a
 * recovery code) in PROTO_T_CURRENT_CODE, so that the password alone can
 * neither replace nor remove the second factor.  A status. */
static int
self_second_factor(struct request *rq, const struct store_user *u)
{
	char code[PROTO_MAX_CODE + 1] = "";
	struct store_totp t;
	int rc, status, active;

	if (wire_get_str(rq->msg, PROTO_T_CURRENT_CODE, code, sizeof(code)) <
	    0)
		return -1;
	rc = store_totp_get(rq->d->store, u->id, &t);
	active = rc == STORE_OK && t.sealed_len > 0;
	WIPE_OBJ(t);
	if (rc == STORE_ERROR)
		status = PROTO_UNAVAILABLE;
	else if (!active)
		status = PROTO_OK;	/* no active factor to prove */
	else
		status = auth_verify_code(rq, u, code);
	wipe(code, sizeof(code));
	return status;
}

int
self_totp_enroll(struct request *rq)
{
	struct store_user u;
	int status = auth_verify_password(rq, &u);

	if (status == PROTO_OK)
		status = self_second_factor(rq, &u);
	if (status == PROTO_OK)
		status = do_enroll(rq, &u);
	WIPE_OBJ(u);
	return status;
}

/* Confirming a pending secret needs no more than the password: it only
 * replaces the active one with a code of the new one, and enroll (which
 * asked for the old factor) made it pending. */
int
self_totp_confirm(struct request *rq)
{
	struct store_user u;
	int status = auth_verify_password(rq, &u);

	if (status == PROTO_OK)
		status = do_confirm(rq, &u, 1);
	WIPE_OBJ(u);
	return status;
}

int
self_totp_reset(struct request *rq)
{
	struct store_user u;
	int status = auth_verify_password(rq, &u);

	if (status != PROTO_OK)
		goto out;
	status = self_second_factor(rq, &u);
	if (status != PROTO_OK)
		goto out;
	if (reset_audited(rq, u.id) != STORE_OK)
		status = PROTO_UNAVAILABLE;
	else
		log_notice("TOTP of user %s reset by the user", u.name);
out:
	WIPE_OBJ(u);
	return status;
}
