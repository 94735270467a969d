/*
 * stats.h - counters since start, for `policyctl stats`.  Lock-free:
 * every thread bumps them with atomic adds.
 */
#ifndef POLICYD_STATS_H
#define POLICYD_STATS_H

#include <stdint.h>

enum stat_id {
	STAT_VERIFICATIONS,	/* argon2id verifications run (dummy too) */
	STAT_AUTH_OK,
	STAT_AUTH_DENIED,
	STAT_AUTH_LOCKED,	/* refused while locked, unverified */
	STAT_LOCKOUTS,		/* accounts or hosts that became locked */
	STAT_COUNT
};

void stats_add(enum stat_id id, uint64_t n);
uint64_t stats_get(enum stat_id id);
const char *stats_name(enum stat_id id);

#endif
