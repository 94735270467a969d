/*
 * test_cost.c - after the argon2 cost is lowered, no answer tells an
 * unknown name from a known one, or an account hashed before the change
 * (dormant) from one hashed since, by its time.
 *
 * Seen without a clock: the costliest cost the daemon learnt (its start
 * and reload log line, and the costliest_* gauges of `policyctl stats`),
 * and the counters of the verifications it ran at that cost:
 * verifications_dummy (unknown names) and verifications_padded (a login
 * of a cheaper hash, held in its worker's slot as long as one at the
 * costliest).  How long answers take is measured by `make bench`.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "testlib.h"

#define PW "Quiet-Harbor-Lamp-41"
#define WRONG "Wrong-Guess-Pass-17"
#define COST(t) "argon2_memory = 8192\nargon2_time = " #t "\n"

static struct tdaemon d;

/* A line of `policyctl stats`: "name   value". */
static uint64_t
stat_of(const char *name)
{
	char out[4096] = "\n", want[64], *p;

	assert_int_equal(td_ctl(&d, NULL, out + 1, sizeof(out) - 1, NULL, 0,
				"stats"), 0);
	t_fmt(want, "\n%s ", name);
	p = strstr(out, want);
	assert_non_null(p);
	return strtoull(p + strlen(want), NULL, 10);
}

static void
add_user(const char *name)
{
	assert_int_equal(td_add_user(&d, name, PW), 0);
}

static int
auth(const char *user, const char *pw)
{
	return t_request(d.pam_sock, PROTO_AUTH, user, pw);
}

/* Whether user's stored hash has cost params ("m=8192,t=1,p=1"). */
static long
hashed_at(const char *user, const char *params)
{
	char q[256];

	t_fmt(q, "SELECT count(*) FROM users WHERE name = '%s' AND "
		 "password LIKE '%%$%s$%%'", user, params);
	return td_sql(&d, q);
}

/* How many times s is in the daemon's log. */
static int
log_count(const char *s)
{
	static char buf[1 << 20];
	FILE *fp = fopen(d.log, "r");
	size_t n = 0;
	int count = 0;

	if (fp != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	for (char *p = buf; (p = strstr(p, s)) != NULL; p += strlen(s))
		count++;
	return count;
}

/* SIGHUP with extra as the new file; returns once it was applied, and
 * checks that the log then has `expect`. */
static void
reload(const char *extra, const char *expect)
{
	int before = log_count("configuration reloaded");

	td_write_conf(&d, extra);
	kill(d.pid, SIGHUP);
	for (int i = 0; i < 500 && log_count("configuration reloaded") ==
					   before; i++)
		usleep(10000);
	assert_int_equal(log_count("configuration reloaded"), before + 1);
	assert_true(log_count(expect) > 0);
}

/* Two accounts hashed at t=3, then the daemon restarted at t=1. */
static int
group_setup(void **state)
{
	(void)state;
	if (td_start_in(&d, "cost", COST(3)) != 0)
		return -1;
	add_user("dormant");
	add_user("sleeper");
	return td_restart(&d, COST(1)) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

/* The start learns the stored t=3 as the costliest; an unknown name is
 * verified against a dummy at t=3, and a fresh account (t=1) is padded
 * to it, while a dormant one (t=3) is not. */
static void
test_lowered_cost(void **state)
{
	(void)state;
	assert_true(td_log_has(&d, "costliest stored password hash: m=8192, "
				   "t=3, p=1 (configured: m=8192, t=1, p=1)"));
	assert_int_equal(stat_of("costliest_memory_kib"), 8192);
	assert_int_equal(stat_of("costliest_time"), 3);
	assert_int_equal(stat_of("costliest_parallelism"), 1);
	assert_true(stat_of("costliest_typical_us") > 0);

	assert_int_equal(auth("nosuchname", WRONG), PROTO_DENIED);
	assert_int_equal(stat_of("verifications_dummy"), 1);
	assert_int_equal(stat_of("verifications_padded"), 0);

	add_user("fresh");
	assert_int_equal(hashed_at("fresh", "m=8192,t=1,p=1"), 1);
	assert_int_equal(auth("fresh", WRONG), PROTO_DENIED);
	assert_int_equal(stat_of("verifications_padded"), 1);
	assert_int_equal(auth("sleeper", WRONG), PROTO_DENIED);
	assert_int_equal(stat_of("verifications_padded"), 1);
	assert_int_equal(stat_of("verifications_dummy"), 1);
}

/* A login rehashes at t=1, and is padded from then on; once no t=3
 * hash is left, a reload (or a restart) lowers the costliest, and
 * nothing more is padded. */
static void
test_rehash_then_reload(void **state)
{
	uint64_t padded;

	(void)state;
	assert_int_equal(auth("dormant", PW), PROTO_OK);
	assert_int_equal(hashed_at("dormant", "m=8192,t=1,p=1"), 1);
	padded = stat_of("verifications_padded");
	assert_int_equal(auth("dormant", WRONG), PROTO_DENIED);
	assert_int_equal(stat_of("verifications_padded"), padded + 1);

	/* One t=3 hash is left: a reload keeps t=3. */
	reload(COST(1), "costliest stored");
	assert_int_equal(stat_of("costliest_time"), 3);
	assert_int_equal(auth("sleeper", PW), PROTO_OK);
	reload(COST(1), "costliest stored password hash: m=8192, t=1, p=1 "
			"(configured: m=8192, t=1, p=1)");
	assert_int_equal(stat_of("costliest_time"), 1);
	padded = stat_of("verifications_padded");
	assert_int_equal(auth("fresh", WRONG), PROTO_DENIED);
	assert_int_equal(auth("nosuchname", WRONG), PROTO_DENIED);
	assert_int_equal(stat_of("verifications_padded"), padded);
	assert_int_equal(td_restart(&d, COST(1)), 0);
	assert_int_equal(stat_of("costliest_time"), 1);
}

/* Raising the configured cost raises the costliest with it: every
 * stored hash is then cheaper and padded. */
static void
test_raised_cost(void **state)
{
	(void)state;
	reload(COST(2), "(configured: m=8192, t=2, p=1)");
	assert_int_equal(stat_of("costliest_time"), 2);
	assert_int_equal(auth("fresh", WRONG), PROTO_DENIED);
	assert_int_equal(stat_of("verifications_padded"), 1);
	reload(COST(1), "costliest stored");
}

/* A stored hash that is malformed, or beyond the maxima (refused
 * unverified: it costs nothing), is left out and counted in the log;
 * a costlier one within them raises the costliest at the next reload. */
static void
test_stored_outliers(void **state)
{
	(void)state;
	td_sql(&d, "UPDATE users SET password = 'not-a-hash' "
		   "WHERE name = 'fresh'");
	td_sql(&d, "UPDATE users SET password = replace(password, ',t=1,', "
		   "',t=50,') WHERE name = 'dormant'");
	td_sql(&d, "UPDATE users SET password = replace(password, ',t=1,', "
		   "',t=4,') WHERE name = 'sleeper'");
	reload(COST(1), "2 stored password hashes are malformed or beyond "
			"the argon2 maxima");
	assert_true(td_log_has(&d, "costliest stored password hash: m=8192, "
				   "t=4, p=1 (configured: m=8192, t=1, p=1)"));
	assert_int_equal(stat_of("costliest_time"), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowered_cost),
		cmocka_unit_test(test_rehash_then_reload),
		cmocka_unit_test(test_raised_cost),
		cmocka_unit_test(test_stored_outliers),
	};

	return cmocka_run_group_tests_name("cost", tests, group_setup,
					   group_teardown);
}
