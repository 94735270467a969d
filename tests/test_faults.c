/*
 * test_faults.c - a failing disk under a real daemon: every kind of
 * decision, made while the store cannot be written, is answered
 * "unavailable", is not recorded as made, and is not in force after a
 * restart; the log says why.
 *
 * Two faults.  A failed fsync/fdatasync (EIO), injected by preloading
 * failsync.so: the kernel's pages stay readable, as after a real
 * writeback error, so SQLite would replay a commit it wrote before the
 * failed sync unless the daemon undoes it.  A full file system
 * (ENOSPC), with the store on a small tmpfs mounted for the test (root
 * only; skipped, saying so, otherwise): there the write itself fails.
 * A file system remounted read-only under a running daemon cannot
 * happen (the kernel refuses while the store is open for writing); a
 * read-only store at start is test_store's.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "proto.h"
#include "store.h"
#include "store_sqlite.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"
#define NEW_PW "Tz4&mW8qLr2#"
#define WRONG "Wrong-guess-12"
#define PHC "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

static struct tdaemon d;
static char trigger[PATH_MAX + 32];	/* exists: syncs fail */
static char mnt[PATH_MAX + 32];		/* the tmpfs, when mounted */
static int mounted;

/* Starts the daemon with failsync.so preloaded. */
static int
start_shimmed(void)
{
	char prog[PATH_MAX + 16], pre[PATH_MAX + 48], trig[PATH_MAX + 64];
	char *argv[] = { "/usr/bin/env", pre, trig, prog, "-f", "-d", "-c",
			 d.conf, NULL };

	t_fmt(prog, "%s/policyd", t_build());
	t_fmt(pre, "LD_PRELOAD=%s/tests/failsync.so", t_build());
	t_fmt(trig, "POLICYD_FAIL_SYNC=%s", trigger);
	return td_start_argv(&d, argv);
}

static int
restart(void)
{
	td_stop(&d);
	return start_shimmed();
}

/* Everything the store holds about user, as text. */
static void
state_of(const char *user, char *out, size_t outsz)
{
	char cmd[PATH_MAX + 1024];
	size_t n;
	FILE *fp;

	t_fmt(cmd, "sqlite3 -cmd '.timeout 5000' %s \"SELECT * FROM users "
	      "WHERE name = '%s'; SELECT kind, key, time FROM failures WHERE "
	      "key = '%s'; SELECT * FROM locks WHERE key = '%s'; SELECT "
	      "count(*) FROM audit WHERE user = '%s';\" 2>&1",
	      d.db, user, user, user, user);
	fp = t_popen(cmd);
	assert_non_null(fp);
	n = fread(out, 1, outsz - 1, fp);
	out[n] = '\0';
	pclose(fp);
}

static int
ctl(const char *input, const char *args, char *err, size_t errsz)
{
	return td_ctl(&d, input, NULL, 0, err, errsz, args);
}

static int
auth(const char *user, const char *pw)
{
	return t_request(d.pam_sock, PROTO_AUTH, user, pw);
}

/* One decision, made while the store fails: answered "unavailable"
 * (policyctl's exit status and message, or the reply's status). */
struct decision {
	const char *user;
	const char *args;	/* a policyctl command, or NULL: a login */
	const char *input;	/* its stdin, or the login's password */
};

static void
assert_unavailable(const struct decision *x)
{
	char err[1024] = "";

	if (x->args == NULL) {
		assert_int_equal(auth(x->user, x->input), PROTO_UNAVAILABLE);
		return;
	}
	assert_int_not_equal(ctl(x->input, x->args, err, sizeof(err)), 0);
	if (strstr(err, "unavailable") == NULL)
		fail_msg("%s: %s", x->args, err);
}

/* The accounts and what each decision does to one of them. */
static void
prepare(void)
{
	static const char *const users[] = { "alice", "bob", "dave", "erin",
					     "gus", "hal" };
	char err[512];

	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		assert_int_equal(td_add_user(&d, users[i], PW), 0);
	assert_int_equal(ctl(NULL, "user disable dave", err, sizeof(err)), 0);
	for (int i = 0; i < 5; i++)
		assert_int_not_equal(auth("erin", WRONG), PROTO_OK);
	for (int i = 0; i < 2; i++)
		assert_int_equal(auth("hal", WRONG), PROTO_DENIED);
}

static const struct decision decisions[] = {
	{ "carol", "user add carol --password-stdin", PW "\n" PW "\n" },
	{ "bob", "user del bob", NULL },
	{ "alice", "passwd alice --password-stdin", NEW_PW "\n" NEW_PW "\n" },
	{ "alice", "user disable alice", NULL },
	{ "dave", "user enable dave", NULL },
	{ "alice", "passwd alice --expire", NULL },
	{ "erin", "unlock erin", NULL },
	{ "gus", "totp enroll gus", NULL },
	{ "gus", NULL, WRONG },		/* a counted failure */
	{ "hal", NULL, PW },		/* a login, clearing failures */
};

/* Each decision under the fault, then a restart: the store holds what
 * it held before, and no record says the decision was made. */
static void
each_decision(void (*fault_on)(void), void (*fault_off)(void))
{
	char before[8192], after[8192];

	for (size_t i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++) {
		const struct decision *x = &decisions[i];

		state_of(x->user, before, sizeof(before));
		fault_on();
		assert_unavailable(x);
		fault_off();
		assert_int_equal(restart(), 0);
		state_of(x->user, after, sizeof(after));
		if (strcmp(before, after) != 0)
			fail_msg("%s %s: in force after a restart:\n%s\n---\n%s",
				 x->user, x->args ? x->args : "(login)",
				 before, after);
	}
}

static void
sync_on(void)
{
	FILE *fp = fopen(trigger, "w");

	assert_non_null(fp);
	fclose(fp);
}

static void
sync_off(void)
{
	unlink(trigger);
}

/* A failed fdatasync: every decision is undone, and the log names the
 * cause and the cut. */
static void
test_failed_sync(void **state)
{
	(void)state;
	each_decision(sync_on, sync_off);
	assert_true(td_log_has(&d, "fdatasync of the WAL: Input/output "
				   "error"));
	assert_true(td_log_has(&d, "the WAL was cut back to its last "
				   "durable commit"));
}

/* After a failed sync nothing commits, though the disk is back, until
 * the daemon is restarted; then everything works again. */
static void
test_nothing_after_failed_sync(void **state)
{
	char err[512], out[16384];

	(void)state;
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"status --json"), 0);
	assert_non_null(strstr(out, "\"store\":\"ok\""));
	sync_on();
	assert_int_equal(auth("alice", WRONG), PROTO_UNAVAILABLE);
	sync_off();
	assert_int_equal(auth("alice", WRONG), PROTO_UNAVAILABLE);
	assert_int_not_equal(ctl(NULL, "user show alice", err, sizeof(err)),
			     0);
	/* What failed is shown, and the counters can still be read. */
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"status --json"), 0);
	assert_non_null(strstr(out, "\"store\":\"failed: "));
	assert_non_null(strstr(out, "\"store_last_error\":\"fdatasync "
				    "of the WAL: Input/output error\""));
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"stats"), 0);
	assert_non_null(strstr(out, "store_failed         1\n"));
	assert_int_equal(restart(), 0);
	assert_int_equal(auth("alice", WRONG), PROTO_DENIED);
	assert_int_equal(ctl(NULL, "user show alice", err, sizeof(err)), 0);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"status --json"), 0);
	assert_non_null(strstr(out, "\"store\":\"ok\""));
	assert_non_null(strstr(out, "\"version\":\"" POLICYD_VERSION "\""));
}

static char filler[PATH_MAX + 48];

static void
disk_full(void)
{
	/* dd stops at ENOSPC; the store can then not grow by a page. */
	t_sh("dd if=/dev/zero of=%s bs=4k >/dev/null 2>&1", filler);
}

static void
disk_freed(void)
{
	unlink(filler);
}

/* A full file system: every decision is refused and undone; once there
 * is room again, the same decision is made, without a restart. */
static void
test_disk_full(void **state)
{
	char err[512];

	(void)state;
	if (!mounted)
		skip();
	each_decision(disk_full, disk_freed);
	assert_true(td_log_has(&d, "database or disk is full"));
	disk_full();
	assert_int_equal(auth("alice", WRONG), PROTO_UNAVAILABLE);
	disk_freed();
	assert_int_equal(auth("alice", WRONG), PROTO_DENIED);
	assert_int_equal(ctl(NULL, "user del bob", err, sizeof(err)), 0);
	assert_int_equal(restart(), 0);
	assert_int_equal(td_sql(&d, "SELECT count(*) FROM users WHERE name"
				    " = 'bob'"), 0);
}

/* SQLite's own checkpoints are off (they would copy commits into the
 * database before their fdatasync); store_maintain checkpoints once the
 * WAL is long, and SQLite then starts the WAL anew. */
static void
test_checkpoint_after_sync(void **state)
{
	struct store *st = NULL;
	char path[PATH_MAX], err[512], name[32];
	uint64_t frames;

	(void)state;
	t_fmt(path, "%s/direct.db", t_dir());
	assert_int_equal(store_open(path, STORE_CREATE, &st, err,
				    sizeof(err)), STORE_OK);
	for (int i = 0; st->wal_frames < 1200; i++) {
		assert_true(i < 100000);
		t_fmt(name, "user%d", i);
		assert_int_equal(store_user_add(st, name, PHC, 1, NULL),
				 STORE_OK);
	}
	frames = st->wal_frames;
	store_maintain(st);
	assert_int_equal(store_user_add(st, "last", PHC, 1, NULL), STORE_OK);
	assert_true(st->wal_frames < frames / 10);
	store_close(st);
}

static void *
read_one(void *arg)
{
	struct store_user u;

	return (void *)(intptr_t)store_user_get(arg, "user1", &u);
}

/* A read does not wait for a write in progress: the writer's lock held
 * (as during a transaction's body), a read still answers. */
static void
test_read_beside_write(void **state)
{
	struct store *st = NULL;
	struct timespec by;
	char path[PATH_MAX], err[512];
	pthread_t tid;
	void *rc;

	(void)state;
	t_fmt(path, "%s/read.db", t_dir());
	assert_int_equal(store_open(path, STORE_CREATE, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_user_add(st, "user1", PHC, 1, NULL), STORE_OK);
	pthread_mutex_lock(&st->lock);
	assert_int_equal(pthread_create(&tid, NULL, read_one, st), 0);
	clock_gettime(CLOCK_REALTIME, &by);
	by.tv_sec += 10;
	assert_int_equal(pthread_timedjoin_np(tid, &rc, &by), 0);
	pthread_mutex_unlock(&st->lock);
	assert_int_equal((intptr_t)rc, STORE_OK);
	store_close(st);
}

static int
start_sync(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	t_fmt(dir, "%s/sync", t_dir());
	td_init(&d, dir, NULL);
	t_fmt(trigger, "%s/failsync.on", d.dir);
	if (start_shimmed() != 0)
		return -1;
	prepare();
	return 0;
}

/* The store's directory on a 4 MiB tmpfs of its own, for root. */
static int
start_full(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	t_fmt(dir, "%s/full", t_dir());
	td_init(&d, dir, NULL);
	t_fmt(trigger, "%s/failsync.on", d.dir);
	t_fmt(mnt, "%s/db", d.dir);
	t_fmt(filler, "%s/filler", mnt);
	if (geteuid() != 0) {
		print_message("disk full: skipped: mounting a tmpfs needs "
			      "root\n");
	} else {
		if (mkdir(mnt, 0700) != 0 ||
		    t_sh("mount -t tmpfs -o size=4m,mode=0700 tmpfs %s", mnt))
			return -1;
		mounted = 1;
		/* The state directory exists before the first start. */
		if (td_init_store(&d) != 0)
			return -1;
	}
	if (start_shimmed() != 0)
		return -1;
	prepare();
	return 0;
}

static int
stop(void **state)
{
	(void)state;
	sync_off();
	td_stop(&d);
	if (mounted && t_sh("umount %s", mnt) == 0)
		mounted = 0;
	return mounted ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest sync[] = {
		cmocka_unit_test(test_failed_sync),
		cmocka_unit_test(test_nothing_after_failed_sync),
	};
	const struct CMUnitTest full[] = {
		cmocka_unit_test(test_disk_full),
	};
	const struct CMUnitTest direct[] = {
		cmocka_unit_test(test_checkpoint_after_sync),
		cmocka_unit_test(test_read_beside_write),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("failed sync", sync, start_sync,
					      stop);
	failed += cmocka_run_group_tests_name("disk full", full, start_full,
					      stop);
	failed += cmocka_run_group_tests_name("checkpoints", direct, NULL,
					      NULL);
	return failed != 0;
}
