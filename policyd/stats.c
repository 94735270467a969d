/* stats.c - see stats.h. */
#include <time.h>

#include "stats.h"

static uint64_t counters[STAT_COUNT];

void
stats_add(enum stat_id id, uint64_t n)
{
	__atomic_add_fetch(&counters[id], n, __ATOMIC_RELAXED);
}

uint64_t
stats_get(enum stat_id id)
{
	return __atomic_load_n(&counters[id], __ATOMIC_RELAXED);
}

const char *
stats_name(enum stat_id id)
{
	static const char *const names[STAT_COUNT] = {
		[STAT_VERIFICATIONS] = "verifications",
		[STAT_VERIFY_DUMMY] = "verifications_dummy",
		[STAT_VERIFY_PADDED] = "verifications_padded",
		[STAT_AUTH_OK] = "auth_ok",
		[STAT_AUTH_DENIED] = "auth_denied",
		[STAT_AUTH_LOCKED] = "auth_locked",
		[STAT_LOCKOUTS] = "lockouts",
		[STAT_STORE_ERRORS] = "unavailable",
		[STAT_STORE_COMMITS] = "store_commits",
		[STAT_STORE_SYNCS] = "store_syncs",
		[STAT_HASH_LE_50MS] = "hash_le_0.05",
		[STAT_HASH_LE_100MS] = "hash_le_0.1",
		[STAT_HASH_LE_250MS] = "hash_le_0.25",
		[STAT_HASH_LE_500MS] = "hash_le_0.5",
		[STAT_HASH_LE_1S] = "hash_le_1",
		[STAT_HASH_LE_2_5S] = "hash_le_2.5",
		[STAT_HASH_LE_INF] = "hash_le_+Inf",
		[STAT_HASH_SUM_US] = "hash_sum_us",
	};

	return names[id];
}

void
stats_hash_time(int64_t us)
{
	static const int64_t bound_us[] = { 50000, 100000, 250000, 500000,
					    1000000, 2500000 };
	int i = 0;

	while (i < 6 && us > bound_us[i])
		i++;
	stats_add((enum stat_id)(STAT_HASH_LE_50MS + i), 1);
	stats_add(STAT_HASH_SUM_US, (uint64_t)(us > 0 ? us : 0));
}

static time_t started;

void
stats_start(void)
{
	started = time(NULL);
}

uint64_t
stats_uptime(void)
{
	return (uint64_t)(time(NULL) - started);
}
