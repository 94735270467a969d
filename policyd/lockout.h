/*
 * lockout.h - the arithmetic of failure counting and locks, as pure
 * functions of the configuration, the stored state and the time, so that
 * every store backend decides the same way inside its own transaction,
 * and the unit tests can move the clock.
 *
 * A key is an account (the name tried, known or not) or a remote host.
 * Failures are counted over the last `interval` seconds; the failure that
 * brings the count to `deny` locks the key for `unlock` seconds from then
 * (0: until an administrator unlocks it).
 */
#ifndef POLICYD_LOCKOUT_H
#define POLICYD_LOCKOUT_H

#include <stdint.h>

#include "config.h"

#define LOCK_FOREVER INT64_MAX	/* lock until an administrator unlocks */

struct lock_rule {
	uint32_t deny;		/* 0: this key is never locked */
	uint32_t interval;	/* seconds */
	uint32_t unlock;	/* seconds; 0 forever */
};

/* The rule for an account; root has its own (or none). */
void lockout_user_rule(const struct cfg_lockout *c, const char *name,
		       struct lock_rule *r);
/* The rule for a remote host; none without one (console logins). */
void lockout_source_rule(const struct cfg_lockout *c, const char *rhost,
			 struct lock_rule *r);

/* Failures at or before this time no longer count. */
int64_t lockout_window_start(const struct lock_rule *r, int64_t now);

/* Whether a lock that ends at `until` (LOCK_FOREVER, or a time) still
 * holds at now. */
int lockout_holds(int64_t until, int64_t now);

/* After a failure that makes `count` failures inside the window: 0 if
 * the key stays open, else 1 and *until is when its lock ends. */
int lockout_after_failure(const struct lock_rule *r, uint32_t count,
			  int64_t now, int64_t *until);

#endif
