/*
 * login.h - one authentication as one state: the request's context and
 * the user row, loaded once, and the one counted check of a secret that
 * every verb goes through.
 *
 * The rules (DESIGN invariant 2):
 * - every check of a secret (password, TOTP code, recovery code, and an
 *   admin's password check) is counted against the account's and the
 *   host's counters before it runs, and refused unverified while either
 *   is locked, so that at most `deny` secrets are verified per window;
 * - a wrong secret stays counted, and so does a right one until the
 *   whole login is through;
 * - only a login that passed every factor the account needs lowers the
 *   account's counter (login_settle); any other verb whose secret was
 *   right gives back its own attempt and nothing more (login_refund).
 */
#ifndef POLICYD_LOGIN_H
#define POLICYD_LOGIN_H

#include "dispatch.h"
#include "pending.h"
#include "store.h"

#define ACCOUNT_KEY_MAX (PROTO_MAX_NAME + 34)

struct login {
	char key[ACCOUNT_KEY_MAX];	/* what a.user points to */
	char rhost[PROTO_MAX_TEXT + 1];	/* root's word only, else "" */
	char service[PROTO_MAX_TEXT + 1];
	char tty[PROTO_MAX_TEXT + 1];
	struct attempt a;
	struct attempt_ticket t;
	struct store_user u;		/* when found; phc wiped by the end */
	int found;			/* the store has rq->user */
	int need_code;			/* login_needs_code: 1, 0, -1 */
	int code_step;			/* a code step follows any answer: a
					 * refusal is recorded there */
	int64_t grace;			/* and the enrol grace left */
	struct last_login prev;		/* filled by login_settle */
};

/*
 * Loads the login of rq: its context fields (rhost, tty, service; a
 * byte that could drive a terminal becomes '?'), the user row (once),
 * the counter keys and the lockout rules.  0, -1 for a malformed field
 * (close the connection), or PROTO_UNAVAILABLE when the store failed.
 */
int login_load(struct request *rq, struct login *l);

/* The same from a stored code step's context, without reading rq's. */
int login_resume(struct request *rq, struct login *l,
		 const struct pending_login *p);

/* Whether the login needs a code once its password is right, worked out
 * for every name before the password is checked, known or not, so that
 * its cost (a group lookup, a store read) tells nothing about the
 * password.  Sets need_code (-1 on a store error) and grace. */
void login_needs_code(struct request *rq, struct login *l);

/* The user's name for logs and records: its pseudonym
 * (audit_unknown_name) unless the store has it (an unknown name may be a
 * password typed into the name field). */
const char *login_name(const struct request *rq, const struct login *l);

/* A secret check: 1 right, 0 wrong, -1 could not run (busy, store). */
typedef int (*login_check_fn)(struct request *rq, struct login *l,
			      void *arg);

enum login_check {
	LOGIN_RIGHT = 1,
	LOGIN_WRONG = 0,
	LOGIN_REFUSED = -1,	/* nothing verified: status set */
};

/*
 * The one counted check: counts the attempt, refuses it unverified if
 * the account or host is locked (*status is then the answer, with the
 * refusal recorded), else runs check.  A check that could not run is
 * uncounted (*status PROTO_UNAVAILABLE); a wrong secret stays counted,
 * and a lock it set is recorded.  The attempt is left counted either
 * way: the caller settles or refunds a right one.
 */
int login_counted(struct request *rq, struct login *l, login_check_fn check,
		  void *arg, int *status);

/* Counts the attempt without checking anything yet (the code of a
 * totp_only step comes later): LOGIN_RIGHT when counted, else as
 * login_counted. */
int login_count_only(struct request *rq, struct login *l, int *status);

/* The whole login passed: uncounts it, clears the account's failures
 * and lock, records the login (ev, in the same transaction).  A status. */
int login_settle(struct request *rq, struct login *l, const char *result,
		 const char *factor);

/* A right secret outside a whole login: gives back this attempt only,
 * with ev (may be NULL) in the same transaction.  A status. */
int login_refund(struct request *rq, struct login *l, struct audit_rec *ev);

/* Fills ev as the record of this login's outcome. */
void login_record(struct request *rq, const struct login *l,
		  struct audit_rec *ev, const char *result,
		  const char *factor);

/* Records a failed check of this login (and the locks its count set),
 * in one transaction; alerts on a lock. */
void login_failed(struct request *rq, struct login *l, const char *factor);
/* Only the locks (the failure was recorded with its count). */
void login_failed_locks(struct request *rq, struct login *l);

/* A locked account or host, nothing verified: recorded (at the code
 * step instead, when one follows: see login.c); unless the operator
 * lets it be told, it looks and takes as long as a wrong password.
 * Returns the answer. */
int login_refuse_locked(struct request *rq, const struct login *l);

/* The counted check of a secret outside a login (self-service): loads
 * rq's login, counts and runs check, gives back a right one's attempt,
 * records a wrong one with factor.  A status: PROTO_OK when right. */
int auth_counted_check(struct request *rq, login_check_fn check, void *arg,
		       const char *factor);

/* The pending-table owner of this login (see pending.h). */
void login_owner(const struct request *rq, const struct login *l,
		 char owner[PENDING_OWNER_MAX]);

/* Records the outcome of a waiting login that failed before its code
 * (a wrong password, a lock not told) at its code step (rq's login l),
 * with the same one write a right password's code step makes. */
void login_failed_before(struct request *rq, struct login *l,
			 const struct pending_login *p);

/* Records a login whose code never came (expired, or evicted by a
 * flood): the attempt stays counted.  For the housekeeping timer and
 * pending_reserve's eviction. */
void login_abandoned(struct daemon *d, const struct pending_login *p,
		     const char *why);

#endif
