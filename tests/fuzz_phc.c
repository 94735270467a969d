/*
 * fuzz_phc.c - fuzz target for the PHC string reader in policyd/hash.c.
 *
 * The input, NUL-terminated, is a stored password hash.  hash_phc_cost
 * must accept exactly a canonical "$argon2id$v=19$m=M,t=T,p=P$" prefix;
 * hash_phc_within must agree with the cost it read and the maxima, for
 * several configurations.  Where both accept, libsodium (which verifies)
 * must read the same memory and time cost, or the maxima would guard a
 * different hash than the one computed; and hash_verify, under maxima
 * small enough to run quickly, must answer without crashing.  Any
 * disagreement traps.
 *
 * Built with -DPOLICYD_LIBFUZZER for libFuzzer; otherwise linked with
 * fuzz_main.c, which replays files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PHC_INPUT_MAX 4096

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* The maxima tried: the defaults, the smallest allowed, and one small
 * enough for hash_verify to run on every input it accepts. */
static const struct cfg_argon2 costs[] = {
	{ 65536, 3, 1, 262144, 10, 4 },
	{ 8, 1, 1, 8, 1, 1 },
	{ 8, 1, 1, 64, 2, 4 },
};
#define QUICK (&costs[2])

static int
bounded(const struct cfg_argon2 *a, const struct hash_cost *c)
{
	return c->parallelism >= 1 && c->parallelism <= a->max_parallelism &&
	       c->time >= 1 && c->time <= a->max_time &&
	       (uint64_t)c->memory_kib >= 8 * (uint64_t)c->parallelism &&
	       c->memory_kib <= a->max_memory_kib;
}

static void
set_up(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	check(hash_init(&costs[1], 1, 1) == 0);
}

/* The cost read must be the one written, in canonical form. */
static void
check_cost(const char *phc, const struct hash_cost *c)
{
	char want[96];
	int n = snprintf(want, sizeof(want), "$argon2id$v=19$m=%u,t=%u,p=%u$",
			 c->memory_kib, c->time, c->parallelism);

	check(n > 0 && (size_t)n < sizeof(want));
	check(strncmp(phc, want, (size_t)n) == 0);
}

/* libsodium reads the cost it computes with; it must be the one checked.
 * needs_rehash answers -1 for what it cannot decode (or is too long for
 * it), 1 when the cost differs from the one given. */
static void
check_sodium(const char *phc, const struct hash_cost *c)
{
	int rc = crypto_pwhash_argon2id_str_needs_rehash(
		phc, c->time, (size_t)c->memory_kib * 1024);

	check(rc != 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char phc[PHC_INPUT_MAX + 1];
	struct hash_cost c;
	int parsed, rc;

	set_up();
	if (size > PHC_INPUT_MAX)
		return 0;
	memcpy(phc, data, size);
	phc[size] = '\0';
	memset(&c, 0, sizeof(c));
	parsed = hash_phc_cost(phc, &c) == 0;
	if (parsed)
		check_cost(phc, &c);
	for (size_t i = 0; i < sizeof(costs) / sizeof(costs[0]); i++)
		check(hash_phc_within(&costs[i], phc) ==
		      (parsed && bounded(&costs[i], &c)));
	if (!parsed)
		return 0;
	check_sodium(phc, &c);
	rc = hash_verify(QUICK, phc, "password", 8, INT64_MAX);
	check(rc == (bounded(QUICK, &c) ? rc : HASH_BAD));
	check(rc == HASH_OK || rc == HASH_MISMATCH || rc == HASH_BAD);
	return 0;
}
