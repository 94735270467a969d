/*
 * hash.c - argon2id hashing behind a bounded gate; see hash.h.
 *
 * The gate runs each hash on the calling connection's thread once a slot
 * is free, which is a worker pool without a hand-off: the number of slots
 * bounds CPU and memory, and the waiting count bounds the queue.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <argon2.h>
#include <sodium.h>

#include "frame.h"
#include "hash.h"
#include "stats.h"
#include "wipe.h"

#define SALT_LEN 16	/* 128 bits */
#define HASH_LEN 32

static struct {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned workers, running, waiting, max_waiting;
	/* Guarded by lock: the dummy hash, its cost (the costliest in
	 * use) and the typical time of a verification at that cost. */
	char dummy[STORE_PHC_MAX];
	struct hash_cost costliest;
	int64_t typical_us;
} gate = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int
gate_enter(int64_t deadline_ms)
{
	int rc = HASH_OK;

	if (frame_now_ms() >= deadline_ms)
		return HASH_BUSY;	/* nobody waits for this one */
	pthread_mutex_lock(&gate.lock);
	if (gate.running >= gate.workers && gate.waiting >= gate.max_waiting) {
		pthread_mutex_unlock(&gate.lock);
		return HASH_BUSY;
	}
	gate.waiting++;
	while (gate.running >= gate.workers) {
		int64_t left = deadline_ms - frame_now_ms();
		struct timespec ts;

		if (left <= 0) {
			rc = HASH_BUSY;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (left % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&gate.freed, &gate.lock, &ts);
	}
	gate.waiting--;
	if (rc == HASH_OK)
		gate.running++;
	pthread_mutex_unlock(&gate.lock);
	return rc;
}

static void
gate_leave(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.running--;
	pthread_cond_signal(&gate.freed);
	pthread_mutex_unlock(&gate.lock);
}

/* Parses a decimal uint32 at *s, advancing it; -1 on no digits or
 * overflow, or a leading zero (PHC forbids it). */
static int
parse_u32(const char **s, uint32_t *v)
{
	const char *p = *s;
	uint64_t n = 0;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)n;
	*s = p;
	return 0;
}

static int
expect(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return -1;
	*s += n;
	return 0;
}

int
hash_phc_cost(const char *phc, struct hash_cost *c)
{
	const char *s = phc;

	if (expect(&s, "$argon2id$v=19$m=") != 0 ||
	    parse_u32(&s, &c->memory_kib) != 0 || expect(&s, ",t=") != 0 ||
	    parse_u32(&s, &c->time) != 0 || expect(&s, ",p=") != 0 ||
	    parse_u32(&s, &c->parallelism) != 0 || expect(&s, "$") != 0)
		return -1;
	return 0;
}

/* A stored hash may cost no more than the configured maxima, so that a
 * tampered row cannot make the daemon allocate gigabytes. */
int
hash_cost_within(const struct cfg_argon2 *a, const struct hash_cost *c)
{
	return c->parallelism >= 1 && c->parallelism <= a->max_parallelism &&
	       c->time >= 1 && c->time <= a->max_time &&
	       c->memory_kib >= 8 * c->parallelism &&
	       c->memory_kib <= a->max_memory_kib;
}

int
hash_phc_within(const struct cfg_argon2 *a, const char *phc)
{
	struct hash_cost c;

	return hash_phc_cost(phc, &c) == 0 && hash_cost_within(a, &c);
}

void
hash_cost_of(const struct cfg_argon2 *a, struct hash_cost *c)
{
	c->memory_kib = a->memory_kib;
	c->time = a->time;
	c->parallelism = a->parallelism;
}

static int
order(uint64_t x, uint64_t y)
{
	return (x > y) - (x < y);
}

int
hash_cost_cmp(const struct hash_cost *x, const struct hash_cost *y)
{
	int rc = order((uint64_t)x->memory_kib * x->time,
		       (uint64_t)y->memory_kib * y->time);

	if (rc == 0)
		rc = order(x->memory_kib, y->memory_kib);
	if (rc == 0)
		rc = order(x->parallelism, y->parallelism);
	return rc;
}

static int
make_unbounded(const struct cfg_argon2 *a, const char *pw, size_t len,
	       char out[STORE_PHC_MAX])
{
	uint8_t salt[SALT_LEN];
	int rc;

	if (a->parallelism == 1)
		return crypto_pwhash_str_alg(out, pw, len, a->time,
					     (size_t)a->memory_kib * 1024,
					     crypto_pwhash_ALG_ARGON2ID13) == 0
			       ? HASH_OK
			       : HASH_ERROR;
	randombytes_buf(salt, sizeof(salt));
	rc = argon2id_hash_encoded(a->time, a->memory_kib, a->parallelism, pw,
				   len, salt, sizeof(salt), HASH_LEN, out,
				   STORE_PHC_MAX);
	return rc == ARGON2_OK ? HASH_OK : HASH_ERROR;
}

int
hash_make(const struct cfg_argon2 *a, const char *pw, size_t len,
	  char out[STORE_PHC_MAX], int64_t deadline_ms)
{
	int rc = gate_enter(deadline_ms);

	if (rc != HASH_OK)
		return rc;
	rc = make_unbounded(a, pw, len, out);
	gate_leave();
	return rc;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Where a verification of cost c stands against the costliest: 0 at it
 * (then its time us joins the moving average, weight 1/8 for the
 * newest), negative when cheaper, positive when costlier (a hash stored
 * since the last start or SIGHUP, by another daemon sharing the store).
 * The typical time at the costliest in *typical_us. */
static int
learn(const struct hash_cost *c, int64_t us, int64_t *typical_us)
{
	int rank;

	pthread_mutex_lock(&gate.lock);
	rank = hash_cost_cmp(c, &gate.costliest);
	if (rank == 0)
		gate.typical_us = gate.typical_us == 0
					  ? us
					  : gate.typical_us +
						    (us - gate.typical_us) / 8;
	*typical_us = gate.typical_us;
	pthread_mutex_unlock(&gate.lock);
	return rank;
}

static void
sleep_until(int64_t end_us)
{
	struct timespec ts = { .tv_sec = end_us / 1000000,
			       .tv_nsec = (end_us % 1000000) * 1000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

int
hash_wait_typical(int64_t deadline_ms)
{
	int64_t us;
	int rc = gate_enter(deadline_ms);

	/* Through the gate like a verification: with the workers busy, it
	 * waits its turn (or finds the queue full) as one would. */
	if (rc != HASH_OK)
		return rc;
	pthread_mutex_lock(&gate.lock);
	us = gate.typical_us;
	pthread_mutex_unlock(&gate.lock);
	sleep_until(now_us() + us);
	gate_leave();
	return HASH_OK;
}

/* Verifies pw against phc (of cost c) in a worker's slot.  With pad, a
 * cost cheaper than the costliest keeps the slot until a verification
 * at the costliest would typically have ended: the wait is a worker's,
 * as the costlier verification's would be, so that a queue behaves
 * alike too. */
static int
verify_gated(const char *phc, const struct hash_cost *c, const char *pw,
	     size_t len, int64_t deadline_ms, int pad)
{
	int64_t t0, us, typical;
	int rc = gate_enter(deadline_ms);

	if (rc != HASH_OK)
		return rc;
	t0 = now_us();
	/* Parameters were checked before, so -1 means "does not match" (or
	 * out of memory, which must fail closed the same way). */
	rc = crypto_pwhash_str_verify(phc, pw, len) == 0 ? HASH_OK
							  : HASH_MISMATCH;
	us = now_us() - t0;
	stats_add(STAT_VERIFICATIONS, 1);
	stats_hash_time(us);
	if (learn(c, us, &typical) < 0 && pad) {
		stats_add(STAT_VERIFY_PADDED, 1);
		sleep_until(t0 + typical);
	}
	gate_leave();
	return rc;
}

static int
verify(const struct cfg_argon2 *a, const char *phc, const char *pw,
       size_t len, int64_t deadline_ms, int pad)
{
	struct hash_cost c;

	if (hash_phc_cost(phc, &c) != 0 || !hash_cost_within(a, &c))
		return HASH_BAD;
	return verify_gated(phc, &c, pw, len, deadline_ms, pad);
}

int
hash_verify(const struct cfg_argon2 *a, const char *phc, const char *pw,
	    size_t len, int64_t deadline_ms)
{
	return verify(a, phc, pw, len, deadline_ms, 0);
}

int
hash_verify_padded(const struct cfg_argon2 *a, const char *phc,
		   const char *pw, size_t len, int64_t deadline_ms)
{
	return verify(a, phc, pw, len, deadline_ms, 1);
}

int
hash_verify_dummy(const struct cfg_argon2 *a, const char *pw, size_t len,
		  int64_t deadline_ms)
{
	char dummy[STORE_PHC_MAX];
	int rc;

	pthread_mutex_lock(&gate.lock);
	memcpy(dummy, gate.dummy, sizeof(dummy));
	pthread_mutex_unlock(&gate.lock);
	rc = hash_verify(a, dummy, pw, len, deadline_ms);
	if (rc == HASH_OK || rc == HASH_MISMATCH)
		stats_add(STAT_VERIFY_DUMMY, 1);
	return rc == HASH_OK ? HASH_MISMATCH : rc;
}

/* A dummy hash of cost c, of a random password, and the time one
 * verification of it takes (the first typical time at c). */
static int
make_dummy(const struct hash_cost *c, char dummy[STORE_PHC_MAX],
	   int64_t *us)
{
	struct cfg_argon2 at = { c->memory_kib, c->time, c->parallelism,
				 c->memory_kib, c->time, c->parallelism };
	char pw[32];
	int64_t t0;
	int rc;

	randombytes_buf(pw, sizeof(pw));
	rc = make_unbounded(&at, pw, sizeof(pw), dummy);
	t0 = now_us();
	if (rc == HASH_OK &&
	    crypto_pwhash_str_verify(dummy, pw, sizeof(pw)) != 0)
		rc = HASH_ERROR;
	*us = now_us() - t0;
	wipe(pw, sizeof(pw));
	return rc;
}

int
hash_reconfigure(const struct hash_cost *costliest)
{
	char dummy[STORE_PHC_MAX];
	int64_t us;
	int same;

	pthread_mutex_lock(&gate.lock);
	same = gate.dummy[0] != '\0' &&
	       hash_cost_cmp(costliest, &gate.costliest) == 0;
	pthread_mutex_unlock(&gate.lock);
	if (same)
		return 0;
	if (make_dummy(costliest, dummy, &us) != HASH_OK)
		return -1;
	pthread_mutex_lock(&gate.lock);
	memcpy(gate.dummy, dummy, sizeof(dummy));
	gate.costliest = *costliest;
	gate.typical_us = us;
	pthread_mutex_unlock(&gate.lock);
	return 0;
}

void
hash_costliest(struct hash_cost *c, int64_t *typical_us)
{
	pthread_mutex_lock(&gate.lock);
	*c = gate.costliest;
	*typical_us = gate.typical_us;
	pthread_mutex_unlock(&gate.lock);
}

int
hash_init(const struct cfg_argon2 *a, unsigned workers, unsigned max_waiting)
{
	pthread_condattr_t attr;
	struct hash_cost c;
	long ncpu;

	if (sodium_init() < 0)
		return -1;
	if (workers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		workers = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	gate.workers = workers;
	gate.max_waiting = max_waiting;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&gate.freed, &attr);
	pthread_condattr_destroy(&attr);
	hash_cost_of(a, &c);
	return hash_reconfigure(&c);
}

void
hash_fini(void)
{
	pthread_cond_destroy(&gate.freed);
}

unsigned
hash_workers(void)
{
	return gate.workers;
}

void
hash_queue(unsigned *running, unsigned *waiting)
{
	pthread_mutex_lock(&gate.lock);
	*running = gate.running;
	*waiting = gate.waiting;
	pthread_mutex_unlock(&gate.lock);
}
