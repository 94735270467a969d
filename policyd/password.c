/*
 * password.c - new passwords: rules, reuse, setting, cost upgrades; see
 * password.h.
 *
 * Reuse is found by verifying the candidate against the current hash and
 * each remembered one, one after the other: `history` extra argon2id
 * verifications per change, each through the bounded hash gate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "breached.h"
#include "hash.h"
#include "log.h"
#include "password.h"
#include "rules.h"
#include "wipe.h"

static uint32_t
rule_reasons(const struct request *rq, const char *name, const char *pw)
{
	static const struct {
		uint32_t rule, reason;
	} map[] = {
		{ RULE_BAD_TEXT, PROTO_R_BAD_TEXT },
		{ RULE_TOO_SHORT, PROTO_R_TOO_SHORT },
		{ RULE_TOO_LONG, PROTO_R_TOO_LONG },
		{ RULE_FEW_CLASSES, PROTO_R_FEW_CLASSES },
		{ RULE_HAS_NAME, PROTO_R_HAS_NAME },
		{ RULE_TOO_COMMON, PROTO_R_TOO_COMMON },
	};
	const struct cfg_policy *p = &rq->set.policy;
	const char *filter = rq->set.words != NULL
				     ? rq->set.words->breached_filter
				     : NULL;
	struct rules r = {
		.min_length = p->min_length,
		.max_length = p->max_length,
		.min_classes = p->min_classes,
		.min_entropy = p->min_entropy,
		.words = rq->set.words != NULL
				 ? (const char *const *)rq->set.words->list
				 : NULL,
	};
	uint32_t broken = rules_check(&r, name, pw, strlen(pw)), out = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (broken & map[i].rule)
			out |= 1u << map[i].reason;
	/* A lookup that fails refuses too: the list is there to be used. */
	if (broken == 0 && filter != NULL && breached_lookup(filter, pw) != 0)
		out |= 1u << PROTO_R_BREACHED;
	return out;
}

/* Whether pw is the current password of u or one of the last `history`
 * ones: 1 yes, 0 no, -1 the check could not run. */
static int
reused(struct request *rq, const struct store_user *u, const char *pw)
{
	uint32_t depth = rq->set.policy.history;
	char(*old)[STORE_PHC_MAX] = NULL;
	size_t n = 0;
	int rc, found = -1;

	rc = hash_verify(&rq->set.argon2, u->phc, pw, strlen(pw),
			 rq->deadline_ms);
	if (rc == HASH_OK || depth == 0)
		return rc == HASH_OK ? 1 : rc == HASH_MISMATCH ? 0 : -1;
	old = calloc(depth, sizeof(*old));
	if (old == NULL ||
	    store_history(rq->d->store, u->id, old, depth, &n) != STORE_OK)
		goto out;
	found = 0;
	for (size_t i = 0; i < n && found == 0; i++) {
		rc = hash_verify(&rq->set.argon2, old[i], pw, strlen(pw),
				 rq->deadline_ms);
		if (rc == HASH_OK)
			found = 1;
		else if (rc == HASH_BUSY || rc == HASH_ERROR)
			found = -1;
	}
out:
	if (old != NULL)
		wipe(old, depth * sizeof(*old));
	free(old);
	return found;
}

int
password_check(struct request *rq, const char *name,
	       const struct store_user *u, const char *pw)
{
	int rc;

	rq->reasons |= rule_reasons(rq, name, pw);
	if (rq->reasons != 0)
		return PROTO_POLICY;
	if (u == NULL)
		return PROTO_OK;
	rc = reused(rq, u, pw);
	if (rc < 0)
		return PROTO_UNAVAILABLE;
	if (rc > 0) {
		rq->reasons |= 1u << PROTO_R_REUSED;
		return PROTO_POLICY;
	}
	return PROTO_OK;
}

void
password_refused_audit(struct request *rq)
{
	uint32_t all = rq->reasons;
	struct audit_rec ev;
	char why[256] = "";

	if (rq->reason != PROTO_R_NONE)
		all |= 1u << rq->reason;
	for (uint32_t r = 1; r <= PROTO_R_MAX; r++)
		if (all & (1u << r))
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 "%s%s", why[0] ? "," : "",
				 proto_reason_name((int)r));
	request_audit(rq, &ev, "password-refused", 1);
	ev.result = "refused";
	ev.reason = why;
	audit_now(rq->d->store, &ev);
}

int
password_set(struct request *rq, const struct store_user *u, const char *pw,
	     const char *who)
{
	char phc[STORE_PHC_MAX];
	struct audit_rec ev;
	int rc;

	rc = hash_make(&rq->set.argon2, pw, strlen(pw), phc, rq->deadline_ms);
	if (rc != HASH_OK)
		return PROTO_UNAVAILABLE;
	request_audit(rq, &ev, "password-change", 1);
	ev.result = "ok";
	ev.reason = who;
	rc = store_password_change(rq->d->store, u, phc, time(NULL),
				   rq->set.policy.history, &ev);
	request_audit_done(rq, &ev);
	wipe(phc, sizeof(phc));
	if (rc == STORE_CHANGED)
		log_warn("password of user %s changed meanwhile; not "
			 "overwritten", u->name);
	return rc == STORE_OK ? PROTO_OK : PROTO_UNAVAILABLE;
}

void
password_upgrade(struct request *rq, const struct store_user *u,
		 const char *pw)
{
	const struct cfg_argon2 *a = &rq->set.argon2;
	char phc[STORE_PHC_MAX];
	struct hash_cost c;

	if (hash_phc_cost(u->phc, &c) == 0 && c.memory_kib == a->memory_kib &&
	    c.time == a->time && c.parallelism == a->parallelism)
		return;
	if (hash_make(a, pw, strlen(pw), phc, rq->deadline_ms) == HASH_OK &&
	    store_password_rehash(rq->d->store, u, phc) == STORE_OK)
		log_info("password hash of user %s upgraded to m=%u,t=%u,p=%u",
			 u->name, a->memory_kib, a->time, a->parallelism);
	wipe(phc, sizeof(phc));
}
