/*
 * stats.h - counters since start, for `policyctl stats`.  Lock-free:
 * every thread bumps them with atomic adds.
 */
#ifndef POLICYD_STATS_H
#define POLICYD_STATS_H

#include <stdint.h>

enum stat_id {
	STAT_VERIFICATIONS,	/* argon2id verifications run (dummy too) */
	STAT_VERIFY_DUMMY,	/* of which dummies, at the costliest cost */
	STAT_VERIFY_PADDED,	/* logins of a cheaper hash, held as long */
	STAT_AUTH_OK,
	STAT_AUTH_DENIED,
	STAT_AUTH_LOCKED,	/* refused while locked, unverified */
	STAT_LOCKOUTS,		/* accounts or hosts that became locked */
	STAT_STORE_ERRORS,	/* requests answered unavailable */
	STAT_STORE_COMMITS,	/* write transactions committed */
	STAT_STORE_SYNCS,	/* fdatasync calls that made them durable */
	/* The hash latency histogram: verifications by upper bound. */
	STAT_HASH_LE_50MS,
	STAT_HASH_LE_100MS,
	STAT_HASH_LE_250MS,
	STAT_HASH_LE_500MS,
	STAT_HASH_LE_1S,
	STAT_HASH_LE_2_5S,
	STAT_HASH_LE_INF,
	STAT_HASH_SUM_US,	/* microseconds, all verifications */
	STAT_COUNT
};

void stats_add(enum stat_id id, uint64_t n);
uint64_t stats_get(enum stat_id id);
const char *stats_name(enum stat_id id);
/* Counts one verification of us microseconds in the histogram. */
void stats_hash_time(int64_t us);
/* Seconds since stats_start(). */
void stats_start(void);
uint64_t stats_uptime(void);

#endif
