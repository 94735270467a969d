/*
 * cost.c - the costliest argon2id cost in use; see cost.h.
 *
 * One pass over the users' current hashes, parsed with hash.c's PHC
 * reader.  Retired hashes (the history) are left out: they are verified
 * only in a password change, after the current password was.
 */
#include "cost.h"
#include "log.h"

struct scan {
	const struct cfg_argon2 *a;
	struct hash_cost best;	/* the costliest stored so far */
	unsigned found, skipped;
};

static int
consider(const char *phc, void *arg)
{
	struct scan *s = arg;
	struct hash_cost c;

	if (hash_phc_cost(phc, &c) != 0 || !hash_cost_within(s->a, &c)) {
		s->skipped++;
		return 0;
	}
	if (s->found++ == 0 || hash_cost_cmp(&c, &s->best) > 0)
		s->best = c;
	return 0;
}

static void
report(const struct scan *s, const struct hash_cost *conf)
{
	const struct hash_cost *b = &s->best;

	if (s->skipped > 0)
		log_warn("%u stored password hash%s malformed or beyond the "
			 "argon2 maxima: left out of the costliest cost (such "
			 "a login is refused)", s->skipped,
			 s->skipped == 1 ? " is" : "es are");
	if (s->found == 0) {
		log_notice("costliest stored password hash: none (configured: "
			   "m=%u, t=%u, p=%u)", conf->memory_kib, conf->time,
			   conf->parallelism);
		return;
	}
	log_notice("costliest stored password hash: m=%u, t=%u, p=%u "
		   "(configured: m=%u, t=%u, p=%u)%s", b->memory_kib, b->time,
		   b->parallelism, conf->memory_kib, conf->time,
		   conf->parallelism,
		   hash_cost_cmp(b, conf) > 0
			   ? "; every login answers as slowly as one at the "
			     "stored cost until those accounts log in again "
			     "or get a new password"
			   : "");
}

int
cost_costliest(struct store *st, const struct cfg_argon2 *a,
	       struct hash_cost *out)
{
	struct scan s = { .a = a };
	struct hash_cost conf;

	hash_cost_of(a, &conf);
	*out = conf;
	if (store_password_hashes(st, consider, &s) != STORE_OK) {
		log_err("cannot read the stored password hashes' costs");
		return -1;
	}
	report(&s, &conf);
	if (s.found > 0 && hash_cost_cmp(&s.best, &conf) > 0)
		*out = s.best;
	return 0;
}

int
cost_apply(struct store *st, const struct cfg_argon2 *a)
{
	struct hash_cost c, now;
	int64_t typical;

	if (cost_costliest(st, a, &c) != 0) {
		hash_costliest(&now, &typical);
		if (hash_cost_within(a, &now) && hash_cost_cmp(&now, &c) > 0)
			c = now;
	}
	return hash_reconfigure(&c);
}
