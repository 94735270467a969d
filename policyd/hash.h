/*
 * hash.h - argon2id password hashing, bounded.
 *
 * At most `workers` hashes run at once and at most `max_waiting` more wait
 * for a turn; a request that cannot start before its deadline, or finds
 * the queue full, gets HASH_BUSY and its caller answers "unavailable".
 * Memory used for hashing is thus bounded by workers x argon2_memory for
 * hashes made with the current cost, and by workers x argon2_max_memory
 * at worst (a stored hash may be costlier, up to the maxima).
 *
 * New hashes use libsodium (libargon2 when parallelism > 1, which libsodium
 * cannot produce); verification uses libsodium, which reads any argon2id
 * PHC string.  A stored hash whose parameters exceed the configured maxima
 * is refused without being computed.
 */
#ifndef POLICYD_HASH_H
#define POLICYD_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

enum hash_rc {
	HASH_OK = 0,		/* made, or verified: the password matches */
	HASH_MISMATCH = 1,
	HASH_ERROR = -1,	/* out of memory, or the library failed */
	HASH_BUSY = -2,
	HASH_BAD = -3,		/* stored hash malformed or out of bounds */
};

struct hash_cost {
	uint32_t memory_kib;
	uint32_t time;
	uint32_t parallelism;
};

/* Sets up the gate and the dummy hash for unknown users.  workers 0 means
 * one per CPU.  Returns 0 or -1. */
int hash_init(const struct cfg_argon2 *a, unsigned workers,
	      unsigned max_waiting);
/* Replaces the dummy hash when the configured cost changes (SIGHUP). */
int hash_reconfigure(const struct cfg_argon2 *a);
void hash_fini(void);
unsigned hash_workers(void);
/* Hashes running and waiting now. */
void hash_queue(unsigned *running, unsigned *waiting);

/* Hashes pw (len bytes) with the configured cost into out. */
int hash_make(const struct cfg_argon2 *a, const char *pw, size_t len,
	      char out[STORE_PHC_MAX], int64_t deadline_ms);

/* Verifies pw against phc.  HASH_OK on a match. */
int hash_verify(const struct cfg_argon2 *a, const char *phc, const char *pw,
		size_t len, int64_t deadline_ms);

/* Costs as much as hash_verify at the configured cost and never matches:
 * what an unknown user gets, so that timing does not tell. */
int hash_verify_dummy(const struct cfg_argon2 *a, const char *pw, size_t len,
		      int64_t deadline_ms);

/* Sleeps as long as a verification typically takes (a moving average),
 * without computing one, in a worker's place (waiting its turn, or
 * HASH_BUSY when the queue is full or the deadline passes, as a real one
 * would): what a locked account costs when the operator does not tell
 * that it is locked, so that timing does not tell either.  HASH_OK. */
int hash_wait_typical(int64_t deadline_ms);

/* Reads the cost from an argon2id PHC string; 0 or -1 if malformed. */
int hash_phc_cost(const char *phc, struct hash_cost *cost);

/* 1 if phc (NUL-terminated) is an argon2id PHC string whose cost is
 * valid (p >= 1, t >= 1, m >= 8 KiB per lane) and within a's maxima,
 * else 0.  Checked before any verification; does not read past the
 * "$" after p=. */
int hash_phc_within(const struct cfg_argon2 *a, const char *phc);

#endif
