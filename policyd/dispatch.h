/*
 * dispatch.h - routing a request to its handler, after checking who may
 * call it.  The table in dispatch.c lists every message type with the
 * socket it belongs to and who may call it; handlers live in auth.c (the
 * PAM verbs) and admin.c (the administrative verbs).
 */
#ifndef POLICYD_DISPATCH_H
#define POLICYD_DISPATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "daemon.h"
#include "proto.h"
#include "audit.h"
#include "store.h"
#include "wire.h"

enum sock_kind { SOCK_PAM, SOCK_ADMIN };

#define PEER_MAX_GROUPS 64

/* Who is at the other end, as the kernel says (SO_PEERCRED and
 * SO_PEERGROUPS), never as the message says. */
struct peer {
	enum sock_kind sock;
	struct ucred cred;
	gid_t groups[PEER_MAX_GROUPS];
	size_t ngroups;
	char name[PROTO_MAX_NAME + 1];	/* of cred.uid, once per connection;
					 * "" when NSS has none */
};

/* Looks up p's user name (NSS), once per connection: on the worker,
 * not on the accepting thread, since a directory service may be slow. */
void peer_resolve(struct peer *p);

struct request {
	struct daemon *d;
	const struct peer *peer;
	const struct wmsg *msg;
	struct settings set;	/* snapshot for this request */
	char user[PROTO_MAX_NAME + 1];	/* PROTO_T_USER, when the verb has one */
	char unknown[AUDIT_UNKNOWN_SIZE]; /* how user is recorded while the
					     store does not know it */
	int64_t deadline_ms;	/* the server's, or the client's if sooner */
	uint32_t reason;	/* enum proto_reason for an error status */
	uint32_t reasons;	/* or several: bit (1 << reason) each */
	int keep_fields;	/* an error reply keeps the handler's fields */
	int recorded;		/* a record of this request is in the trail */
	struct wwriter *out;	/* reply; handlers add fields for PROTO_OK */
};

/*
 * Handles one request payload and writes the whole reply payload into out.
 * Returns 0 when a reply is ready, or -1 when the request is malformed
 * or of an unknown type, and the connection must be closed.
 */
int dispatch(struct daemon *d, const struct peer *peer, const uint8_t *buf,
	     size_t len, struct wwriter *out);

/* A handler returns an enum proto_status, or -1 for a malformed request. */
int auth_ping(struct request *rq);
int auth_authenticate(struct request *rq);
int auth_account(struct request *rq);
int auth_chpass(struct request *rq);
int auth_code(struct request *rq);
int auth_code_only(struct request *rq);
int self_totp_enroll(struct request *rq);
int self_totp_confirm(struct request *rq);
int self_totp_reset(struct request *rq);

/* For the self-service verbs: PROTO_T_PASSWORD checked like a login
 * (counted, refused while locked) for rq->user, whose record goes to *u
 * (wiped by the caller).  Returns a status. */
int auth_verify_password(struct request *rq, struct store_user *u);
/* The same for a TOTP or recovery code of u (self-service: proving the
 * factor that is about to be replaced or removed).  A status. */
int auth_verify_code(struct request *rq, const struct store_user *u,
		     const char *code);
int auth_lock_check(struct request *rq);
int auth_lock_fail(struct request *rq);
int auth_lock_succ(struct request *rq);
int admin_user_add(struct request *rq);
int admin_user_del(struct request *rq);
int admin_user_list(struct request *rq);
int admin_user_show(struct request *rq);
int admin_user_disable(struct request *rq);
int admin_user_enable(struct request *rq);
int admin_passwd(struct request *rq);
int admin_pwcheck(struct request *rq);
int admin_expire(struct request *rq);
int admin_unlock(struct request *rq);
int admin_locks(struct request *rq);
int admin_stats(struct request *rq);
int admin_status(struct request *rq);
int admin_reload(struct request *rq);
int admin_totp_enroll(struct request *rq);
int admin_totp_confirm(struct request *rq);
int admin_totp_recovery(struct request *rq);
int admin_totp_reset(struct request *rq);
int admin_audit_query(struct request *rq);
int admin_audit_verify(struct request *rq);

struct audit_rec;
/* Starts an audit record of event for this request: its actor is the
 * peer, its user the request's user when known to policyd (known: a user
 * the store has), else its pseudonym (audit_unknown_name, or "(unknown)"
 * without a name), as a name that is not a user may be a password typed
 * into the wrong field. */
void request_audit(struct request *rq, struct audit_rec *r,
		   const char *event, int known);
/* audit_done, and, for a request on admin.sock whose record was
 * committed, the "admin" alert: every change an administrator makes is
 * alerted, the ones that take over an account (a password set, a second
 * factor enrolled or removed) first of all.  Returns audit_done's. */
int request_audit_done(const struct request *rq, struct audit_rec *ev);
/* name if the store has a user of that name (or it is empty), else its
 * pseudonym, in buf (audit_unknown_name): how a record names it. */
const char *request_name(struct request *rq, const char *name,
			 char buf[AUDIT_UNKNOWN_SIZE]);

/* Whether name is acceptable as a staff user name: 1 to 32 of
 * [A-Za-z0-9._-], not starting with '-' or '.', optionally ending in '$'. */
int valid_user_name(const char *name);

/* Reads a password field (tag) into out (PROTO_MAX_SECRET + 1 bytes),
 * which the caller wipes, in its NFKC form (normalize.h; text that is not
 * valid UTF-8 as it came).  Returns 0, or -1 if malformed or out of
 * memory (close the connection); otherwise sets a status and rq->reason:
 * PROTO_BAD_REQUEST if absent, PROTO_POLICY with PROTO_R_EMPTY or
 * PROTO_R_TOO_LONG (the input, or its NFKC form, is longer than
 * PROTO_MAX_SECRET bytes).  A NUL inside is PROTO_R_BAD_TEXT, not
 * malformed: it is a refused password. */
int request_password(struct request *rq, uint8_t tag, char *out,
		     int *status);

#endif
