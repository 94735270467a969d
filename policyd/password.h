/*
 * password.h - what a new password must pass (the rules, then reuse of the
 * current or a recent one) and setting it, for every path that sets one:
 * a user's change through PAM, and the administrator's add and passwd.
 */
#ifndef POLICYD_PASSWORD_H
#define POLICYD_PASSWORD_H

#include "dispatch.h"
#include "store.h"

/*
 * Checks pw as a new password for u (or for a new user named `name` when
 * u is NULL).  Sets the bits (1 << enum proto_reason) of every broken rule
 * in rq->reasons and returns PROTO_POLICY, or PROTO_OK, or
 * PROTO_UNAVAILABLE when the reuse check could not run.  Reuse is checked
 * only when the rules pass, as it costs one hash per remembered password.
 */
int password_check(struct request *rq, const char *name,
		   const struct store_user *u, const char *pw);

/* Hashes pw and makes it u's password (the old one joins the history),
 * recorded as a password-change by `who` (user, root, admin).  Returns a
 * status. */
int password_set(struct request *rq, const struct store_user *u,
		 const char *pw, const char *who);

/* Records a refused new password with the names of the broken rules. */
void password_refused_audit(struct request *rq);

/* After a successful login: if u's hash was made with another cost than
 * the configured one, stores pw hashed at the configured cost.  Failure
 * only costs the upgrade, never the login. */
void password_upgrade(struct request *rq, const struct store_user *u,
		      const char *pw);

#endif
