/*
 * test_lockout.c - failure counting and locks.
 *
 * The arithmetic (lockout.c) with an injected clock; then a real policyd:
 * parallel guessing, a crash in the middle of a burst, windows and unlock
 * times moved by shifting the stored times, password spraying from one
 * host, and pam_faillock-style stacks through the real libpam under
 * pam_wrapper, with pam_permit/pam_deny standing in for pam_unix.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "lockout.h"
#include "pamlib.h"
#include "proto.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"

static struct tdaemon d;

/* --- The arithmetic, with an injected clock --------------------------- */

static void
test_rules(void **state)
{
	struct cfg_lockout c = {
		.deny = 5, .fail_interval = 900, .unlock_time = 600,
		.even_deny_root = 0, .root_unlock_time = 60,
		.source_deny = 20, .source_interval = 900,
		.source_unlock_time = 300,
	};
	struct lock_rule r;

	(void)state;
	lockout_user_rule(&c, "alice", &r);
	assert_int_equal(r.deny, 5);
	assert_int_equal(r.interval, 900);
	assert_int_equal(r.unlock, 600);
	lockout_user_rule(&c, "root", &r);
	assert_int_equal(r.deny, 0);		/* root is never locked */
	c.even_deny_root = 1;
	lockout_user_rule(&c, "root", &r);
	assert_int_equal(r.deny, 5);
	assert_int_equal(r.unlock, 60);		/* with its own unlock time */
	lockout_source_rule(&c, "", &r);
	assert_int_equal(r.deny, 0);		/* console: no host to lock */
	lockout_source_rule(&c, "192.0.2.1", &r);
	assert_int_equal(r.deny, 20);
	assert_int_equal(r.unlock, 300);
}

static void
test_window_and_unlock(void **state)
{
	const struct lock_rule r = { .deny = 3, .interval = 900,
				     .unlock = 600 };
	const struct lock_rule forever = { .deny = 3, .interval = 900,
					   .unlock = 0 };
	int64_t now = 1700000000, until = 0;

	(void)state;
	/* Failures at or before now - interval no longer count. */
	assert_int_equal(lockout_window_start(&r, now), now - 900);
	/* The deny-th failure locks, for `unlock` seconds from then. */
	assert_int_equal(lockout_after_failure(&r, 2, now, &until), 0);
	assert_int_equal(lockout_after_failure(&r, 3, now, &until), 1);
	assert_int_equal(until, now + 600);
	assert_true(lockout_holds(until, now + 599));
	assert_false(lockout_holds(until, now + 600));
	/* unlock = 0: until an administrator lifts it, however late. */
	assert_int_equal(lockout_after_failure(&forever, 3, now, &until), 1);
	assert_int_equal(until, LOCK_FOREVER);
	assert_true(lockout_holds(until, now + 10 * 365 * 86400LL));
	/* deny = 0 never locks. */
	assert_int_equal(lockout_after_failure(
				 &(struct lock_rule){ 0, 900, 600 }, 1000, now,
				 &until), 0);
}

/* --- A real daemon ----------------------------------------------------- */

/* AUTH with context; the reply status, and its LOCK_LEFT in *left. */
static int
auth_from(const char *user, const char *pw, const char *rhost,
	  uint64_t *left)
{
	uint8_t req[512], rep[1024];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	struct wfield f;
	char err[256];
	int status = -1;

	if (client_open(&c, d.pam_sock, 10000, err, sizeof(err)) != CLIENT_OK)
		return -1;
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, PROTO_AUTH);
	wire_put_str(&w, PROTO_T_USER, user);
	wire_put_str(&w, PROTO_T_PASSWORD, pw);
	if (rhost != NULL)
		wire_put_str(&w, PROTO_T_RHOST, rhost);
	if (client_call(&c, &w, rep, sizeof(rep), &m) == CLIENT_OK) {
		status = m.status;
		if (left != NULL && wire_find(&m, PROTO_T_LOCK_LEFT, &f) == 0)
			wire_u64(&f, left);
	}
	client_close(&c);
	return status;
}

/* A counter from `policyctl stats`. */
static uint64_t
stat_of(const char *name)
{
	char out[2048], *p;

	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"stats"), 0);
	p = strstr(out, name);
	assert_non_null(p);
	return strtoull(p + strlen(name), NULL, 10);
}

static void
add_user(const char *name)
{
	assert_int_equal(td_add_user(&d, name, PW), 0);
}

static void
ctl_ok(const char *args)
{
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0, args), 0);
}

/* How many times text stands in user's audit records (JSON lines). */
static int
records_with(const char *user, const char *text)
{
	static char out[1 << 16];
	char args[128];
	int n = 0;

	snprintf(args, sizeof(args), "audit --json --limit 1000 --user %s",
		 user);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0, args),
			 0);
	for (const char *p = out; (p = strstr(p, text)) != NULL; p++)
		n++;
	return n;
}

/* Moves a key's stored times back by secs, as if that much time passed. */
static void
age(const char *table, const char *column, int secs, const char *key)
{
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s \"UPDATE %s SET %s = %s - %d "
			      "WHERE key = '%s'\"", d.db, table, column,
			      column, secs, key), 0);
}

static void *
guess(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)auth_from("para", "Wrong-guess-1234", NULL,
					   NULL);
}

/* 100 guesses at once, deny = 5: at most 5 verifications happen. */
static void
test_parallel_guesses(void **state)
{
	pthread_t tid[100];
	uint64_t before;
	int denied = 0, locked = 0;

	(void)state;
	add_user("para");
	before = stat_of("verifications");
	for (int i = 0; i < 100; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, guess, NULL), 0);
	for (int i = 0; i < 100; i++) {
		void *rv;

		pthread_join(tid[i], &rv);
		denied += (intptr_t)rv == PROTO_DENIED;
		locked += (intptr_t)rv == PROTO_LOCKED;
	}
	assert_int_equal(denied + locked, 100);
	assert_true(denied <= 5);
	assert_true(stat_of("verifications") - before <= 5);
	/* Now even the right password is refused, unverified. */
	before = stat_of("verifications");
	assert_int_equal(auth_from("para", PW, NULL, NULL), PROTO_LOCKED);
	assert_int_equal(stat_of("verifications"), before);
	ctl_ok("unlock para");
	assert_int_equal(auth_from("para", PW, NULL, NULL), PROTO_OK);
}

/* Ten authfail counts, each for a name of its own (none locks). */
static void *
count_ten(void *arg)
{
	char name[32];
	intptr_t denied = 0;

	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "gc-%d-%d", (int)(intptr_t)arg, i);
		denied += t_request(d.pam_sock, PROTO_LOCK_FAIL, name, NULL) ==
			  PROTO_DENIED;
	}
	return (void *)denied;
}

/* Every count is a commit, made durable before its answer: one
 * fdatasync each when they come one at a time; when they come at once,
 * never more fdatasyncs than commits (they may share one).  Every 256th
 * attempt also prunes, in transactions of its own. */
static void
test_group_commit(void **state)
{
	pthread_t tid[32];
	uint64_t commits, syncs;
	intptr_t denied = 0;

	(void)state;
	if (geteuid() != 0)
		skip();	/* authfail is root's */
	commits = stat_of("store_commits");
	syncs = stat_of("store_syncs");
	assert_int_equal((intptr_t)count_ten((void *)(intptr_t)99), 10);
	commits = stat_of("store_commits") - commits;
	assert_true(commits >= 10 && commits <= 12);
	assert_int_equal(stat_of("store_syncs") - syncs, commits);
	commits = stat_of("store_commits");
	syncs = stat_of("store_syncs");
	for (int i = 0; i < 32; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, count_ten,
						(void *)(intptr_t)i), 0);
	for (int i = 0; i < 32; i++) {
		void *rv;

		pthread_join(tid[i], &rv);
		denied += (intptr_t)rv;
	}
	assert_int_equal(denied, 320);
	commits = stat_of("store_commits") - commits;
	syncs = stat_of("store_syncs") - syncs;
	assert_true(commits >= 320 && commits <= 324);
	assert_true(syncs >= 1 && syncs <= commits);
}

/* The failures stored under key (a known user's name). */
static int
failures_of(const char *key)
{
	char q[256];

	t_fmt(q, "SELECT count(*) FROM failures WHERE key = '%s'", key);
	return (int)td_sql(&d, q);
}

/* Stacking mode prunes too: a failure older than any window is gone once
 * 256 more authfail counts have come. */
static void
test_stacking_prunes(void **state)
{
	char name[32];

	(void)state;
	if (geteuid() != 0)
		skip();	/* authfail is root's */
	add_user("prunee");
	assert_int_equal(t_request(d.pam_sock, PROTO_LOCK_FAIL, "prunee",
				   NULL), PROTO_DENIED);
	age("failures", "time", 30 * 86400, "prunee");
	assert_int_equal(failures_of("prunee"), 1);
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "pr-%d", i);
		assert_int_equal(t_request(d.pam_sock, PROTO_LOCK_FAIL, name,
					   NULL), PROTO_DENIED);
	}
	/* Pruning is the housekeeping timer's, never a request's: SIGHUP
	 * makes its next tick (within a second) prune. */
	assert_int_equal(failures_of("prunee"), 1);
	kill(d.pid, SIGHUP);
	for (int i = 0; i < 50 && failures_of("prunee") != 0; i++)
		usleep(100 * 1000);
	assert_int_equal(failures_of("prunee"), 0);
}

/* Unknown names are counted and locked the same way: the lock message
 * tells nothing about existence. */
static void
test_unknown_user_locks_alike(void **state)
{
	uint64_t left_known = 0, left_unknown = 0;

	(void)state;
	add_user("known");
	for (int i = 0; i < 5; i++) {
		assert_int_equal(auth_from("known", "Wrong-guess-1", NULL,
					   NULL), PROTO_DENIED);
		assert_int_equal(auth_from("ghost", "Wrong-guess-1", NULL,
					   NULL), PROTO_DENIED);
	}
	assert_int_equal(auth_from("known", PW, NULL, &left_known),
			 PROTO_LOCKED);
	assert_int_equal(auth_from("ghost", PW, NULL, &left_unknown),
			 PROTO_LOCKED);
	assert_true(left_known > 800 && left_known <= 900);
	assert_true(left_unknown > 800 && left_unknown <= 900);
	ctl_ok("unlock known");
}

/* Failures older than fail_interval do not count; a lock ends after
 * unlock_time (times are moved back in the store). */
static void
test_window_in_store(void **state)
{
	(void)state;
	add_user("win");
	for (int i = 0; i < 4; i++)
		assert_int_equal(auth_from("win", "Wrong-guess-2", NULL, NULL),
				 PROTO_DENIED);
	/* Four failures, 16 minutes ago: out of the 15-minute window. */
	age("failures", "time", 960, "win");
	assert_int_equal(auth_from("win", "Wrong-guess-2", NULL, NULL),
			 PROTO_DENIED);
	assert_int_equal(auth_from("win", PW, NULL, NULL), PROTO_OK);
	/* Five now: locked; 15 minutes and 1 second later: open again. */
	for (int i = 0; i < 5; i++)
		auth_from("win", "Wrong-guess-2", NULL, NULL);
	assert_int_equal(auth_from("win", PW, NULL, NULL), PROTO_LOCKED);
	age("locks", "until", 901, "win");
	assert_int_equal(auth_from("win", PW, NULL, NULL), PROTO_OK);
}

/* One host guessing across 30 accounts is throttled for every account;
 * another host and the console still log in. */
static void
test_spraying(void **state)
{
	char name[32];

	(void)state;
	if (geteuid() != 0)
		skip();	/* only root's word on the remote host is taken */
	add_user("sprayed");
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "staff%02d", i);
		auth_from(name, "Spring2026!", "203.0.113.66", NULL);
	}
	assert_int_equal(auth_from("sprayed", PW, "203.0.113.66", NULL),
			 PROTO_LOCKED);
	assert_int_equal(auth_from("sprayed", PW, "198.51.100.7", NULL),
			 PROTO_OK);
	assert_int_equal(auth_from("sprayed", PW, NULL, NULL), PROTO_OK);
	ctl_ok("unlock --source 203.0.113.66");
	assert_int_equal(auth_from("sprayed", PW, "203.0.113.66", NULL),
			 PROTO_OK);
}

static void
test_locks_listing(void **state)
{
	char out[4096];

	(void)state;
	add_user("listed");
	for (int i = 0; i < 5; i++)
		auth_from("listed", "Wrong-guess-3", NULL, NULL);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"locks --json"), 0);
	assert_non_null(strstr(out, "{\"kind\":\"user\",\"name\":\"listed\""));
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"user show listed"), 0);
	assert_non_null(strstr(out, "failed since:     5"));
	assert_null(strstr(out, "locked:           no"));
	ctl_ok("unlock listed");
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"user show listed"), 0);
	assert_non_null(strstr(out, "locked:           no"));
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
				"unlock nobody-at-all"), 1);
}

/* --- Through libpam ---------------------------------------------------- */

static int
pam_auth(const char *service, const char *user, const char *pw,
	 struct conv *c)
{
	memset(c, 0, sizeof(*c));
	c->answers[0] = pw;
	return pam_run(service, user, c, PAMTEST_AUTHENTICATE, -1);
}

static int
said(const struct conv *c, const char *text)
{
	for (int i = 0; i < c->nerrors; i++)
		if (strstr(c->errors[i], text) != NULL)
			return 1;
	for (int i = 0; i < c->ninfos; i++)
		if (strstr(c->infos[i], text) != NULL)
			return 1;
	return 0;
}

static void
test_pam_messages(void **state)
{
	struct conv c;

	(void)state;
	add_user("msg");
	assert_int_equal(pam_auth("lock", "msg", PW, &c), PAM_SUCCESS);
	conv_free(&c);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pam_auth("lock", "msg", "Wrong-4", &c),
				 PAM_AUTH_ERR);
		conv_free(&c);
	}
	assert_int_equal(pam_auth("lock", "msg", PW, &c), PAM_SUCCESS);
	assert_true(said(&c, "Last login: "));
	assert_true(said(&c, "There were 2 failed login attempts since the "
			     "last successful login."));
	conv_free(&c);
	for (int i = 0; i < 5; i++) {
		pam_auth("lock", "msg", "Wrong-4", &c);
		conv_free(&c);
	}
	/* Locked: told after the password prompt, with the time left. */
	assert_int_equal(pam_auth("lock", "msg", PW, &c), PAM_AUTH_ERR);
	assert_int_equal(c.nprompts, 1);
	assert_true(said(&c, "Account locked: too many failed logins (try "
			     "again in 15 minutes)"));
	conv_free(&c);
	ctl_ok("unlock msg");
}

#define FAIL_OTHER "\"result\":\"fail\",\"reason\":\"another module\""
#define LOCKED_USER "\"result\":\"locked\",\"reason\":\"user\""

/* pam_faillock's documented stack, with pam_deny (a wrong password) or
 * pam_permit (a right one) in pam_unix's place. */

static void
test_stacking_modes(void **state)
{
	struct conv c;

	(void)state;
	add_user("stack");
	for (int i = 0; i < 5; i++) {
		assert_int_equal(pam_auth("stack_wrong", "stack", NULL, &c),
				 PAM_AUTH_ERR);
		conv_free(&c);
	}
	/* Locked: even a "right password" from the stand-in is refused by
	 * preauth, and told. */
	assert_int_equal(pam_auth("stack_right", "stack", NULL, &c),
			 PAM_AUTH_ERR);
	assert_true(said(&c, "Account locked"));
	conv_free(&c);
	/* Each counted failure is recorded once, in the transaction that
	 * counts it; authfail on a locked account is recorded as a refusal
	 * (preauth's and its own), not as one more failure. */
	assert_int_equal(records_with("stack", FAIL_OTHER), 5);
	assert_int_equal(pam_auth("stack_wrong", "stack", NULL, &c),
			 PAM_AUTH_ERR);
	conv_free(&c);
	assert_int_equal(records_with("stack", FAIL_OTHER), 5);
	assert_int_equal(records_with("stack", LOCKED_USER), 4);
	ctl_ok("unlock stack");
	assert_int_equal(pam_auth("stack_wrong", "stack", NULL, &c),
			 PAM_AUTH_ERR);
	conv_free(&c);
	/* authsucc reports every failure since the last success (an unlock
	 * does not make them unhappen) and clears the count. */
	assert_int_equal(pam_auth("stack_right", "stack", NULL, &c),
			 PAM_SUCCESS);
	assert_true(said(&c, "There were 6 failed login attempts"));
	conv_free(&c);
	assert_int_equal(pam_auth("stack_wrong", "stack", NULL, &c),
			 PAM_AUTH_ERR);
	conv_free(&c);
	assert_int_equal(pam_auth("stack_right", "stack", NULL, &c),
			 PAM_SUCCESS);
	assert_true(said(&c, "There was 1 failed login attempt since"));
	conv_free(&c);
}

static void
restart_with(const char *extra)
{
	assert_int_equal(td_restart(&d, extra), 0);
}

/* tell_locked = no: a locked account gets the ordinary failure, still
 * unverified; root is never locked unless even_deny_root. */
static void
test_silent_lock_and_root(void **state)
{
	uint64_t before;

	(void)state;
	restart_with("[daemon]\nmax_connections = 128\n"
		     "[lockout]\ntell_locked = no\n");
	add_user("quiet");
	add_user("root");
	for (int i = 0; i < 5; i++) {
		auth_from("quiet", "Wrong-guess-6", NULL, NULL);
		auth_from("root", "Wrong-guess-6", NULL, NULL);
	}
	before = stat_of("verifications");
	assert_int_equal(auth_from("quiet", PW, NULL, NULL), PROTO_DENIED);
	assert_int_equal(stat_of("verifications"), before);
	assert_int_equal(auth_from("root", PW, NULL, NULL), PROTO_OK);
	restart_with("[daemon]\nmax_connections = 128\n"
		     "[lockout]\neven_deny_root = yes\n");
	for (int i = 0; i < 5; i++)
		auth_from("root", "Wrong-guess-6", NULL, NULL);
	assert_int_equal(auth_from("root", PW, NULL, NULL), PROTO_LOCKED);
	ctl_ok("unlock root");
	ctl_ok("unlock quiet");
}

static int
group_setup(void **state)
{
	(void)state;
	return td_start_in(&d, "lockout", "[daemon]\nmax_connections = 128\n");
}

static int
group_teardown(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

/* --- A crash in the middle of a burst ------------------------------------ */

static volatile int answered;

static void *
burst(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		if (auth_from("crash", "Wrong-guess-5", NULL, NULL) !=
		    PROTO_DENIED)
			break;
		__atomic_add_fetch(&answered, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* kill -9 while failures are being counted: after the restart every
 * attempt that got an answer is still counted, and the file is sound. */
static void
test_crash_keeps_counts(void **state)
{
	struct tdaemon *t = &d;
	pthread_t tid[4];
	char out[64], cmd[sizeof(d.db) + 128];
	FILE *fp;
	long counted;

	(void)state;
	/* deny high enough that the burst is never locked. */
	restart_with("[daemon]\nmax_connections = 128\n"
		     "[lockout]\ndeny = 1000\n");
	add_user("crash");
	for (int i = 0; i < 4; i++)
		pthread_create(&tid[i], NULL, burst, NULL);
	while (__atomic_load_n(&answered, __ATOMIC_SEQ_CST) < 40)
		usleep(1000);
	td_kill(t);
	for (int i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s 'PRAGMA integrity_check' | "
			      "grep -qx ok", t->db), 0);
	t_fmt(cmd, "sqlite3 -cmd '.timeout 5000' %s \"SELECT count(*) FROM "
		 "failures WHERE kind = 'u' AND key = 'crash'\"", t->db);
	fp = t_popen(cmd);
	assert_non_null(fp);
	assert_non_null(fgets(out, sizeof(out), fp));
	pclose(fp);
	counted = atol(out);
	assert_true(counted >= answered);
	assert_int_equal(td_start(t), 0);
}

static void
write_services(char **argv)
{
	char dir[PATH_MAX], text[8 * PATH_MAX], mod[PATH_MAX + 32];
	char m[2 * PATH_MAX];

	t_fmt(dir, "%s/pam.d", t_dir());
	t_sh("mkdir -p %s", dir);
	t_fmt(mod, "%s/pam_policyd.so", t_build());
	t_fmt(m, "%s socket=%s/lockout/run/pam.sock nodelay", mod, t_dir());
	write_service(dir, "other", "auth required pam_deny.so\n");
	t_fmt(text, "auth required %s\n", m);
	write_service(dir, "lock", text);
	for (int right = 0; right < 2; right++) {
		t_fmt(text,
		      "auth required %s preauth\n"
		      "auth [success=1 default=bad] %s\n"
		      "auth [default=die] %s authfail\n"
		      "auth sufficient %s authsucc\n"
		      "auth required pam_deny.so\n",
		      m, right ? "pam_permit.so" : "pam_deny.so", m, m);
		write_service(dir, right ? "stack_right" : "stack_wrong", text);
	}
	pamlib_exec_wrapped(argv, dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_window_and_unlock),
	};
	const struct CMUnitTest daemon_tests[] = {
		cmocka_unit_test(test_parallel_guesses),
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_stacking_prunes),
		cmocka_unit_test(test_unknown_user_locks_alike),
		cmocka_unit_test(test_window_in_store),
		cmocka_unit_test(test_spraying),
		cmocka_unit_test(test_locks_listing),
		cmocka_unit_test(test_pam_messages),
		cmocka_unit_test(test_stacking_modes),
		cmocka_unit_test(test_silent_lock_and_root),
		cmocka_unit_test(test_crash_keeps_counts),
	};
	int failed;

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL)
		write_services(argv);
	failed = cmocka_run_group_tests_name("lockout-arithmetic", pure, NULL,
					     NULL);
	failed += cmocka_run_group_tests_name("lockout", daemon_tests,
					      group_setup, group_teardown);
	return failed;
}
