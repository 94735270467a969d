/*
 * test_store.c - what policyd checks in its SQLite store before it
 * serves: the connection's hardening, the application_id, PRAGMA
 * quick_check, a schema equal to the one this version creates, and the
 * store's key; and when it makes a store (policyd --init, or the first
 * start) and when it refuses to (a store or key file gone missing).
 * Each tampered store is a real store a real daemon made, changed with
 * the sqlite3 shell while the daemon is stopped, as an intruder or a
 * careless administrator would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "proto.h"
#include "store.h"
#include "store_sqlite.h"
#include "testlib.h"

#define PW "Correct-horse-42"
/* PRAGMA application_id of a policyd store: "PLCY" in ASCII. */
#define APP_ID 0x504c4359L
#define VERSION 10

/* A store a daemon made and left: started in t_dir()/name, one user,
 * stopped. */
static void
made_store(struct tdaemon *t, const char *name)
{
	char dir[PATH_MAX];

	t_fmt(dir, "%s/%s", t_dir(), name);
	td_init(t, dir, NULL);
	assert_int_equal(td_start(t), 0);
	assert_int_equal(td_add_user(t, "alice", PW), 0);
	assert_int_equal(td_stop(t), 0);
}

/* Runs script on t's store through the sqlite3 shell. */
static void
shell_sql(const struct tdaemon *t, const char *script)
{
	char path[PATH_MAX + 16];
	FILE *fp;

	t_fmt(path, "%s/script.sql", t->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(script, fp);
	fclose(fp);
	assert_int_equal(t_sh("sqlite3 -bail %s < %s", t->db, path), 0);
}

/* The daemon refuses to start, and its log says why. */
static void
refused(struct tdaemon *t, const char *why)
{
	assert_int_not_equal(td_start(t), 0);
	if (!td_log_has(t, why)) {
		t_sh("cat %s >&2", t->log);
		fail_msg("the log does not say \"%s\"", why);
	}
}

static void
test_fresh_start_and_restart(void **state)
{
	struct tdaemon t;

	(void)state;
	made_store(&t, "fresh");
	assert_int_equal(td_sql(&t, "PRAGMA application_id"), APP_ID);
	assert_int_equal(td_sql(&t, "PRAGMA user_version"), VERSION);
	/* The planner's statistics are SQLite's, not schema: no refusal. */
	shell_sql(&t, "ANALYZE;");
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(t_request(t.pam_sock, PROTO_AUTH, "alice", PW),
			 PROTO_OK);
	assert_int_equal(td_stop(&t), 0);
}

/* A store of the version before the application_id: given it at its
 * migration. */
static void
test_older_store_migrated(void **state)
{
	struct tdaemon t;

	(void)state;
	made_store(&t, "older");
	shell_sql(&t, "DROP TABLE key_check; ALTER TABLE audit DROP COLUMN seal;"
		      " ALTER TABLE audit_checkpoint DROP COLUMN seal;"
		      " ALTER TABLE audit_checkpoint DROP COLUMN time;"
		      " PRAGMA application_id = 0;"
		      " PRAGMA user_version = 6;");
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_stop(&t), 0);
	assert_int_equal(td_sql(&t, "PRAGMA application_id"), APP_ID);
	assert_int_equal(td_sql(&t, "PRAGMA user_version"), VERSION);
}

static void
test_connection_hardened(void **state)
{
	struct store *st = NULL;
	char path[PATH_MAX], err[512];
	int defensive = -1, trusted = -1;

	(void)state;
	t_fmt(path, "%s/direct.db", t_dir());
	assert_int_equal(store_open(path, STORE_CREATE, &st, err,
				    sizeof(err)), STORE_OK);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, -1,
			  &trusted);
	assert_int_equal(defensive, 1);
	assert_int_equal(trusted, 0);
	/* Defensive: the schema cannot be written around SQLite's parser. */
	assert_int_not_equal(sqlite3_exec(st->db,
					  "PRAGMA writable_schema = ON;"
					  "UPDATE sqlite_schema SET sql = ''"
					  " WHERE name = 'users'",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	store_close(st);
}

/* Each change an intruder could make to a stopped daemon's schema, and
 * what the refusal names. */
static const struct {
	const char *name;
	const char *sql;
	const char *why;
} tampered[] = {
	/* Undoes every counted failure: no lockout, ever. */
	{ "trigger-failures",
	  "CREATE TRIGGER t AFTER INSERT ON failures"
	  " BEGIN DELETE FROM failures; END;",
	  "unexpected trigger t on failures" },
	/* Undoes `policyctl user disable`. */
	{ "trigger-users",
	  "CREATE TRIGGER keep AFTER UPDATE OF disabled ON users"
	  " BEGIN UPDATE users SET disabled = 0 WHERE id = new.id; END;",
	  "unexpected trigger keep on users" },
	{ "view", "CREATE VIEW v AS SELECT name, password FROM users;",
	  "unexpected view v" },
	{ "index", "CREATE INDEX users_pw ON users(password);",
	  "unexpected index users_pw" },
	{ "table", "CREATE TABLE extra (x);", "unexpected table extra" },
	{ "dropped-index", "DROP INDEX failures_time;",
	  "missing index failures_time" },
	/* Written around SQLite's parser, which reserves the sqlite_
	 * prefix for its own objects: SQLite still runs it. */
	{ "reserved-name",
	  "PRAGMA writable_schema = ON;"
	  "INSERT INTO sqlite_schema VALUES ('trigger', 'sqlite_t',"
	  " 'failures', 0, 'CREATE TRIGGER sqlite_t AFTER INSERT ON failures"
	  " BEGIN DELETE FROM failures; END');",
	  "unexpected trigger sqlite_t on failures" },
	{ "changed-index",
	  "DROP INDEX failures_key; CREATE INDEX failures_key ON failures(key);",
	  "changed index failures_key" },
};

static void
test_tampered_schema_refused(void **state)
{
	struct tdaemon t;
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(tampered) / sizeof(tampered[0]); i++) {
		t_fmt(name, "tampered-%s", tampered[i].name);
		made_store(&t, name);
		shell_sql(&t, tampered[i].sql);
		refused(&t, tampered[i].why);
	}
}

/* An older store is checked against that version's schema before it is
 * migrated: nothing runs on it, nothing is written. */
static void
test_tampered_older_store_untouched(void **state)
{
	struct tdaemon t;

	(void)state;
	made_store(&t, "older-tampered");
	shell_sql(&t, "DROP TABLE key_check; ALTER TABLE audit DROP COLUMN seal;"
		      " ALTER TABLE audit_checkpoint DROP COLUMN seal;"
		      " ALTER TABLE audit_checkpoint DROP COLUMN time;"
		      " PRAGMA application_id = 0;"
		      " PRAGMA user_version = 6;"
		      "CREATE TRIGGER t AFTER INSERT ON failures"
		      " BEGIN DELETE FROM failures; END;");
	refused(&t, "unexpected trigger t on failures");
	assert_int_equal(td_sql(&t, "PRAGMA user_version"), 6);
	assert_int_equal(td_sql(&t, "PRAGMA application_id"), 0);
}

static void
test_other_application_refused(void **state)
{
	struct tdaemon t;

	(void)state;
	made_store(&t, "other-app");
	/* GeoPackage's. */
	shell_sql(&t, "PRAGMA application_id = 1196444487;");
	refused(&t, "not a policyd store");
}

/* Another program's database, named by mistake: refused, and not a
 * byte of it changed (no migration, no WAL). */
static void
test_foreign_file_untouched(void **state)
{
	struct tdaemon t;
	char dir[PATH_MAX];
	struct stat sb;

	(void)state;
	t_fmt(dir, "%s/foreign", t_dir());
	td_init(&t, dir, NULL);
	/* A key, so that the start gets as far as the store. */
	assert_int_equal(t_sh("mkdir -p %s/db && head -c 32 /dev/urandom > "
			      "%s/totp.key && chmod 400 %s/totp.key", dir, dir,
			      dir), 0);
	shell_sql(&t, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
		      "INSERT INTO notes (body) VALUES ('keep me');");
	assert_int_equal(t_sh("chmod 600 %s && cp %s %s.orig", t.db, t.db,
			      t.db), 0);
	refused(&t, "not a policyd store");
	assert_int_equal(t_sh("cmp %s %s.orig", t.db, t.db), 0);
	t_fmt(dir, "%s-wal", t.db);
	assert_int_not_equal(stat(dir, &sb), 0);
}

/* A store of a few MiB with a few KiB in its middle overwritten. */
static void
test_corrupted_store_refused(void **state)
{
	struct tdaemon t;

	(void)state;
	made_store(&t, "corrupt");
	shell_sql(&t, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
		      " SELECT i + 1 FROM n WHERE i < 20000)"
		      " INSERT INTO users (name, password, created, pw_changed)"
		      " SELECT 'user' || i, printf('%.100c', 'x'), 0, 0"
		      " FROM n;");
	assert_int_equal(t_sh("size=$(stat -c %%s %s) && "
			      "head -c 8192 /dev/zero | tr '\\0' '\\252' | "
			      "dd of=%s bs=4096 seek=$((size / 8192)) "
			      "conv=notrunc 2>/dev/null", t.db, t.db), 0);
	refused(&t, "the store is damaged (PRAGMA quick_check: ");
}

/* What the administrator sees: `policyd` exits with its start failure
 * status and one line on stderr; `policyd -t` checks the configuration
 * only and still passes. */
static void
test_refusal_seen_by_administrator(void **state)
{
	struct tdaemon t;
	char err[PATH_MAX + 16];

	(void)state;
	made_store(&t, "admin-view");
	shell_sql(&t, "CREATE TRIGGER t AFTER INSERT ON failures"
		      " BEGIN DELETE FROM failures; END;");
	t_fmt(err, "%s/start.err", t.dir);
	assert_int_equal(t_sh("%s/policyd -c %s 2> %s", t_build(), t.conf,
			      err), 1);
	assert_int_equal(t_sh("test $(wc -l < %s) = 1 && grep -q "
			      "'^policyd: .*unexpected trigger t on failures' %s",
			      err, err), 0);
	assert_int_equal(t_sh("%s/policyd -f -c %s 2> %s", t_build(), t.conf,
			      err), 1);
	assert_int_equal(t_sh("%s/policyd -t -c %s > %s", t_build(), t.conf,
			      err), 0);
}

/* The store's directory and files, before anything opens them: whoever
 * could write the directory could put their own database (with their
 * own hash for any user) in its place, and a restored backup readable by
 * others shows every hash.  Each unsafe layout refuses the start with
 * the path; put right, the store starts again. */
static void
test_layout_refused(void **state)
{
	struct tdaemon t;

	(void)state;
	made_store(&t, "layout");
	assert_int_equal(t_sh("chmod 777 %s/db", t.dir), 0);
	refused(&t, "db: writable by group or others");
	assert_int_equal(t_sh("chmod 700 %s/db && chown nobody %s/db", t.dir,
			      t.dir), 0);
	refused(&t, "db: owned by");
	assert_int_equal(t_sh("chown root %s/db && chmod 644 %s", t.dir,
			      t.db), 0);
	refused(&t, "policyd.db: readable or writable by group or others");
	assert_int_equal(t_sh("chmod 600 %s && chown nobody %s", t.db, t.db),
			 0);
	refused(&t, "policyd.db: owned by another user");
	assert_int_equal(t_sh("chown root %s && ln -s %s %s-shm", t.db, t.db,
			      t.db), 0);
	refused(&t, "policyd.db-shm: Too many levels of symbolic links");
	assert_int_equal(t_sh("rm %s-shm", t.db), 0);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_stop(&t), 0);
}

static char ro_mount[PATH_MAX];

static int
unmount_ro(void **state)
{
	(void)state;
	if (ro_mount[0] != '\0')
		t_sh("umount %s", ro_mount);
	ro_mount[0] = '\0';
	return 0;
}

/* A store on a file system that became read-only refuses the start
 * instead of saying "ready" and refusing every decision after.  A tmpfs
 * of the test's own, unmounted by the teardown whatever happens. */
static void
test_read_only_refused(void **state)
{
	struct tdaemon t;

	char dir[PATH_MAX];

	(void)state;
	if (geteuid() != 0)
		skip();
	/* Only the store's directory on the file system that goes
	 * read-only: the configuration and the log stay writable. */
	t_fmt(dir, "%s/ro", t_dir());
	td_init(&t, dir, NULL);
	t_fmt(ro_mount, "%s/db", dir);
	assert_int_equal(t_sh("mkdir -p %s && mount -t tmpfs -o "
			      "size=16m,mode=700 policyd-test %s", ro_mount,
			      ro_mount), 0);
	assert_int_equal(td_init_store(&t), 0);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_add_user(&t, "alice", PW), 0);
	assert_int_equal(td_stop(&t), 0);
	assert_int_equal(t_sh("mount -o remount,ro %s", ro_mount), 0);
	refused(&t, "read-only");
}

/* --- The store and its key: made only when asked ---------------------- */

/* A detached start refused with status 1 and one line on stderr that
 * says why. */
static void
refused_detached(const struct tdaemon *t, const char *why)
{
	char err[PATH_MAX + 16];

	t_fmt(err, "%s/start.err", t->dir);
	assert_int_equal(t_sh("%s/policyd -c %s 2> %s", t_build(), t->conf,
			      err), 1);
	if (t_sh("test $(wc -l < %s) = 1 && grep -qF -- '%s' %s", err, why,
		 err) != 0) {
		t_sh("cat %s >&2", err);
		fail_msg("the refusal does not say \"%s\" in one line", why);
	}
}

/* The key file of t. */
static void
key_path(const struct tdaemon *t, char *path, size_t size)
{
	snprintf(path, size, "%s/totp.key", t->dir);
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* The first start, with no state directory at all, makes the store and
 * the key file, and says so. */
static void
test_first_start_creates(void **state)
{
	char dir[PATH_MAX], key[PATH_MAX + 16], line[3 * PATH_MAX];
	struct tdaemon t;

	(void)state;
	t_fmt(dir, "%s/first", t_dir());
	td_init(&t, dir, NULL);
	key_path(&t, key, sizeof(key));
	assert_false(exists(key));
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_stop(&t), 0);
	t_fmt(line, "first start: created the store %s and the key file %s",
	      t.db, key);
	assert_true(td_log_has(&t, line));
	assert_int_equal(td_sql(&t, "SELECT count(*) FROM key_check"), 1);
	/* The next start makes nothing and says nothing of it. */
	assert_int_equal(t_sh(": > %s", t.log), 0);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_stop(&t), 0);
	assert_false(td_log_has(&t, "created"));
}

/* A store gone from a directory that exists: refused, nothing made. */
static void
test_missing_store_refused(void **state)
{
	char why[PATH_MAX + 128];
	struct tdaemon t;

	(void)state;
	made_store(&t, "missing");
	assert_int_equal(t_sh("rm %s", t.db), 0);
	t_fmt(why, "%s: no store (missing or empty); restore it from a "
	      "backup, or create a new one with policyd --init", t.db);
	refused(&t, why);
	refused_detached(&t, why);
	assert_false(exists(t.db));
}

/* A store of 0 bytes (made and never written, or truncated): the
 * same. */
static void
test_empty_store_refused(void **state)
{
	char why[PATH_MAX + 128];
	struct tdaemon t;
	struct stat sb;

	(void)state;
	made_store(&t, "empty");
	assert_int_equal(t_sh(": > %s", t.db), 0);
	t_fmt(why, "%s: no store (missing or empty)", t.db);
	refused(&t, why);
	refused_detached(&t, why);
	assert_int_equal(stat(t.db, &sb), 0);
	assert_int_equal(sb.st_size, 0);
}

/* policyd --init makes the store and the key where the state directory
 * exists, and refuses, changing nothing, where a store is. */
static void
test_init(void **state)
{
	char dir[PATH_MAX], key[PATH_MAX + 16], want[3 * PATH_MAX];
	struct tdaemon t;
	struct stat sb;

	(void)state;
	t_fmt(dir, "%s/init", t_dir());
	td_init(&t, dir, NULL);
	key_path(&t, key, sizeof(key));
	assert_int_equal(t_sh("mkdir -m 700 %s/db", dir), 0);
	refused(&t, "no store (missing or empty)");
	assert_int_equal(td_init_store(&t), 0);
	t_fmt(want, "policyd: created the store %s and the key file %s", t.db,
	      key);
	assert_int_equal(t_sh("grep -qxF '%s' %s/init.out", want, dir), 0);
	assert_int_equal(stat(key, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0400);
	assert_int_equal(sb.st_size, 32);
	assert_int_equal(stat(t.db, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_add_user(&t, "alice", PW), 0);
	assert_int_equal(td_stop(&t), 0);
	/* Again: refused, and not a byte of either file changed. */
	assert_int_equal(t_sh("cp %s %s.orig && cp %s %s.orig", t.db, t.db,
			      key, key), 0);
	assert_int_equal(td_init_store(&t), 1);
	assert_int_equal(t_sh("grep -qF 'a store exists already; nothing "
			      "changed' %s/init.out", dir), 0);
	assert_int_equal(t_sh("cmp %s %s.orig && cmp %s %s.orig", t.db, t.db,
			      key, key), 0);
	/* Nor with the key gone: a new key never joins an old store. */
	assert_int_equal(t_sh("rm %s", key), 0);
	assert_int_equal(td_init_store(&t), 1);
	assert_false(exists(key));
	assert_int_equal(t_sh("cmp %s %s.orig", t.db, t.db), 0);
}

/* A store whose key file is gone: refused, and no key is made. */
static void
test_missing_key_refused(void **state)
{
	char key[PATH_MAX + 16], why[3 * PATH_MAX];
	struct tdaemon t;

	(void)state;
	made_store(&t, "no-key");
	key_path(&t, key, sizeof(key));
	assert_int_equal(t_sh("mv %s %s.saved", key, key), 0);
	t_fmt(why, "%s: no key file, and the sealed TOTP secrets of the store "
	      "%s need it: restore it", key, t.db);
	refused(&t, why);
	refused_detached(&t, why);
	assert_false(exists(key));
	assert_int_equal(t_sh("%s/policyd -t -c %s 2>&1 | grep -qF -- '%s'",
			      t_build(), t.conf, why), 0);
	assert_int_equal(t_sh("mv %s.saved %s", key, key), 0);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_stop(&t), 0);
}

/* A valid key file that is not the store's: refused, by the start and by
 * policyd -t, which reads and writes nothing else. */
static void
test_other_key_refused(void **state)
{
	char key[PATH_MAX + 16], why[3 * PATH_MAX];
	struct tdaemon t;

	(void)state;
	made_store(&t, "other-key");
	key_path(&t, key, sizeof(key));
	assert_int_equal(t_sh("%s/policyd -t -c %s", t_build(), t.conf), 0);
	assert_int_equal(t_sh("mv %s %s.saved && head -c 32 /dev/urandom > %s "
			      "&& chmod 400 %s", key, key, key, key), 0);
	t_fmt(why, "%s does not belong to the store %s (check value differs)",
	      key, t.db);
	refused(&t, why);
	refused_detached(&t, why);
	assert_int_equal(t_sh("cp %s %s.orig && %s/policyd -t -c %s 2> "
			      "%s/t.err; test $? = 1 && grep -qF -- '%s' "
			      "%s/t.err && cmp %s %s.orig && ! test -e %s-wal "
			      "&& ! test -e %s-shm", t.db, t.db, t_build(),
			      t.conf, t.dir, why, t.dir, t.db, t.db, t.db,
			      t.db), 0);
	assert_int_equal(t_sh("mv %s.saved %s", key, key), 0);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_stop(&t), 0);
}

/* A store of the version before the check value gets one at its next
 * start, from the key it has; another key is refused after that. */
static void
test_older_store_gets_key_check(void **state)
{
	char key[PATH_MAX + 16], line[3 * PATH_MAX];
	struct tdaemon t;

	(void)state;
	made_store(&t, "older-key");
	key_path(&t, key, sizeof(key));
	shell_sql(&t, "DROP TABLE key_check; ALTER TABLE audit DROP COLUMN seal;"
		      " ALTER TABLE audit_checkpoint DROP COLUMN seal;"
		      " ALTER TABLE audit_checkpoint DROP COLUMN time;"
		      " PRAGMA user_version = 7;");
	assert_int_equal(t_sh("%s/policyd -t -c %s | grep -qF 'no check "
			      "value of its key yet'", t_build(), t.conf), 0);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(td_stop(&t), 0);
	t_fmt(line, "%s: recorded the check value of the key file %s", t.db,
	      key);
	assert_true(td_log_has(&t, line));
	assert_int_equal(td_sql(&t, "PRAGMA user_version"), VERSION);
	assert_int_equal(td_sql(&t, "SELECT length(value) FROM key_check"),
			 32);
	assert_int_equal(t_sh("head -c 32 /dev/urandom > %s.new && chmod 400 "
			      "%s.new && mv %s.new %s", key, key, key, key), 0);
	refused(&t, "does not belong to the store");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_start_and_restart),
		cmocka_unit_test(test_older_store_migrated),
		cmocka_unit_test(test_connection_hardened),
		cmocka_unit_test(test_tampered_schema_refused),
		cmocka_unit_test(test_tampered_older_store_untouched),
		cmocka_unit_test(test_other_application_refused),
		cmocka_unit_test(test_foreign_file_untouched),
		cmocka_unit_test(test_corrupted_store_refused),
		cmocka_unit_test(test_refusal_seen_by_administrator),
		cmocka_unit_test(test_layout_refused),
		cmocka_unit_test_teardown(test_read_only_refused, unmount_ro),
		cmocka_unit_test(test_first_start_creates),
		cmocka_unit_test(test_missing_store_refused),
		cmocka_unit_test(test_empty_store_refused),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_missing_key_refused),
		cmocka_unit_test(test_other_key_refused),
		cmocka_unit_test(test_older_store_gets_key_check),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
