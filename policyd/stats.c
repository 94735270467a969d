/* stats.c - see stats.h. */
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
		[STAT_AUTH_OK] = "auth_ok",
		[STAT_AUTH_DENIED] = "auth_denied",
		[STAT_AUTH_LOCKED] = "auth_locked",
		[STAT_LOCKOUTS] = "lockouts",
	};

	return names[id];
}
