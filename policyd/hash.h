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
 * The costliest cost in use: every answer that must not tell a known
 * account from an unknown one, or an account hashed before the cost was
 * lowered from one hashed since, takes as long as a verification at the
 * costliest cost among the configured one and the stored hashes (cost.c
 * finds it at start and on SIGHUP).  The dummy hash for unknown names is
 * made at that cost; a login's verification of a cheaper stored hash
 * keeps its worker's slot until a verification at that cost would have
 * ended (hash_verify_padded); a locked account waits as long.
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

/* Sets up the gate, and the dummy hash for unknown users at a's cost
 * (hash_reconfigure).  workers 0 means one per CPU.  Returns 0 or -1. */
int hash_init(const struct cfg_argon2 *a, unsigned workers,
	      unsigned max_waiting);
/* Makes costliest the cost every hidden answer takes (at start, once the
 * store is open, and on SIGHUP): a new dummy hash at that cost, and the
 * typical time of a verification at it, measured once by verifying the
 * dummy (both outside the gate).  Nothing is done when costliest is
 * already the one in force: the learnt typical time stays.  0 or -1
 * (then the previous dummy stays). */
int hash_reconfigure(const struct hash_cost *costliest);
/* The cost in force and the typical time (microseconds) of one
 * verification at it. */
void hash_costliest(struct hash_cost *c, int64_t *typical_us);
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

/* Verifies as hash_verify, taking as long as a verification at the
 * costliest cost at least: a cheaper hash keeps its slot until the
 * typical time of one at the costliest has passed since it began (it is
 * counted as padded).  For a login's password, so that an account hashed
 * since the cost was lowered answers like one hashed before, and like
 * an unknown name. */
int hash_verify_padded(const struct cfg_argon2 *a, const char *phc,
		       const char *pw, size_t len, int64_t deadline_ms);

/* Costs as much as hash_verify at the costliest cost and never matches:
 * what an unknown user gets, so that timing does not tell. */
int hash_verify_dummy(const struct cfg_argon2 *a, const char *pw, size_t len,
		      int64_t deadline_ms);

/* Sleeps as long as a verification at the costliest cost typically
 * takes (a moving average, first measured by hash_reconfigure),
 * without computing one, in a worker's place (waiting its turn, or
 * HASH_BUSY when the queue is full or the deadline passes, as a real one
 * would): what a locked account costs when the operator does not tell
 * that it is locked, so that timing does not tell either.  HASH_OK. */
int hash_wait_typical(int64_t deadline_ms);

/* Reads the cost from an argon2id PHC string; 0 or -1 if malformed. */
int hash_phc_cost(const char *phc, struct hash_cost *cost);

/* The configured cost of a. */
void hash_cost_of(const struct cfg_argon2 *a, struct hash_cost *c);

/* Orders costs by the time a verification takes, which grows with
 * memory x passes: by memory_kib x time, then memory, then lanes.
 * Negative, 0 (the same cost) or positive, as strcmp. */
int hash_cost_cmp(const struct hash_cost *x, const struct hash_cost *y);

/* 1 if c is valid (p >= 1, t >= 1, m >= 8 KiB per lane) and within a's
 * maxima, else 0. */
int hash_cost_within(const struct cfg_argon2 *a, const struct hash_cost *c);

/* 1 if phc (NUL-terminated) is an argon2id PHC string whose cost is
 * valid (p >= 1, t >= 1, m >= 8 KiB per lane) and within a's maxima,
 * else 0.  Checked before any verification; does not read past the
 * "$" after p=. */
int hash_phc_within(const struct cfg_argon2 *a, const char *phc);

#endif
