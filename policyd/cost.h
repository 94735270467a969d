/*
 * cost.h - the costliest argon2id cost in use, learnt from the store.
 *
 * A stored hash keeps its cost until its owner's next login, so after
 * the configured cost is lowered the store holds hashes of both.  Every
 * answer that must not tell which kind of account it is, or whether the
 * name is one, takes as long as a verification at the costliest of them
 * (hash.h).  It is learnt at start and on SIGHUP; hashes the daemon
 * writes between are of the configured cost, which it already counts.
 */
#ifndef POLICYD_COST_H
#define POLICYD_COST_H

#include "config.h"
#include "hash.h"
#include "store.h"

/* The costliest (hash_cost_cmp) of a's cost and of the users' current
 * hashes within a's maxima (one out of them is refused unverified, and
 * costs nothing), into *out.  Logs it (notice), and how many stored
 * hashes it left out as malformed or beyond the maxima (warning, once
 * per call).  0, or -1 when the store could not be read (*out is then
 * a's cost). */
int cost_costliest(struct store *st, const struct cfg_argon2 *a,
		   struct hash_cost *out);

/* cost_costliest, then hash_reconfigure with it: at start once the
 * store is open, and on SIGHUP with the new configuration.  When the
 * store cannot be read, the cost in force stays if it is costlier than
 * a's: a failed read never lowers it.  0, or -1 if the dummy hash could
 * not be made. */
int cost_apply(struct store *st, const struct cfg_argon2 *a);

#endif
