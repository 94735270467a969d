/*
 * test_sealing.c - the forward-secure seal of the audit trail, against a
 * real daemon and its real store, attacked as an intruder who became
 * root would: with the sqlite3 library on the stopped daemon's file,
 * recomputing the SHA-256 chain after each change, and with the key
 * file's current key in hand.  policyctl audit verify --key, with the
 * verification key that policyd --init printed, names every change; the
 * chain alone, recomputed, does not.  Also: --setup-seal on a store that
 * exists, a key file that lagged behind a crash, an anchor from the
 * syslog line, and no earlier key left anywhere on the disk (root: an
 * ext4 image on a loop device).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "auditseal.h"
#include "proto.h"
#include "store.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"

static struct tdaemon d;
static char vkey[AUDIT_SEAL_TEXT_MAX];	/* the verification key */
static char out[8192];

/* The verification key that policyd --init printed. */
static void
read_vkey(const struct tdaemon *t, char key[AUDIT_SEAL_TEXT_MAX])
{
	char path[PATH_MAX + 32], line[512];
	FILE *fp;

	key[0] = '\0';
	t_fmt(path, "%s/init.out", t->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *p = strstr(line, "psk2-");

		if (p != NULL) {
			p[strcspn(p, " \n")] = '\0';
			snprintf(key, AUDIT_SEAL_TEXT_MAX, "%s", p);
		}
	}
	fclose(fp);
	assert_true(key[0] != '\0');
}

static void
events(int n)
{
	static int next;
	char args[64];

	if (n < 0) {
		next = 0;
		return;
	}
	for (int i = 0; i < n; i++) {
		t_fmt(args, "user add u%d --password-stdin", next++);
		assert_int_equal(td_ctl(&d, PW "\n" PW "\n", NULL, 0, NULL, 0,
					args), 0);
	}
}

/* audit verify ARGS: its exit status, its output in out. */
static int
verify(const char *fmt, ...)
{
	char args[1024], cmd[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	t_fmt(cmd, "audit verify %s", args);
	out[0] = '\0';
	return td_ctl(&d, NULL, out, sizeof(out), NULL, 0, cmd);
}

static void
assert_broken(const char *why)
{
	assert_int_equal(verify("--key %s", vkey), 1);
	if (strstr(out, why) == NULL)
		fail_msg("'%s' not in '%s'", why, out);
}

/* With the key file gone the daemon refuses to start; an intruder then
 * sets sealing up afresh (its new verification key is not ours). */
static void
reseal_setup(void)
{
	assert_int_not_equal(td_start(&d), 0);
	assert_int_equal(t_sh("%s/policyd --setup-seal -c %s > /dev/null "
			      "2>&1", t_build(), d.conf), 0);
}

/* SQL on the stopped daemon's store, as an intruder with root would. */
static void
tamper(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* The key file, as root can read and write it (sealkey.h's layout). */
static void
key_file(struct audit_key *k, int write)
{
	uint8_t buf[24 + 2 * AUDIT_SEAL_KEY_LEN];
	char path[PATH_MAX + 32];
	uint64_t *num[3] = { &k->pos, &k->t0, &k->epoch };
	size_t at[3] = { 0, 8 + AUDIT_SEAL_KEY_LEN, 16 + AUDIT_SEAL_KEY_LEN };
	FILE *fp;

	t_fmt(path, "%s/db/seal.key", d.dir);
	fp = fopen(path, write ? "r+b" : "rb");
	assert_non_null(fp);
	if (!write) {
		assert_int_equal(fread(buf, 1, sizeof(buf), fp), sizeof(buf));
		for (int n = 0; n < 3; n++) {
			*num[n] = 0;
			for (int i = 0; i < 8; i++)
				*num[n] = *num[n] << 8 | buf[at[n] + i];
		}
		memcpy(k->k, buf + 8, AUDIT_SEAL_KEY_LEN);
		memcpy(k->e, buf + 24 + AUDIT_SEAL_KEY_LEN,
		       AUDIT_SEAL_KEY_LEN);
	} else {
		for (int n = 0; n < 3; n++)
			for (int i = 0; i < 8; i++)
				buf[at[n] + i] =
					(uint8_t)(*num[n] >> (56 - 8 * i));
		memcpy(buf + 8, k->k, AUDIT_SEAL_KEY_LEN);
		memcpy(buf + 24 + AUDIT_SEAL_KEY_LEN, k->e,
		       AUDIT_SEAL_KEY_LEN);
		assert_int_equal(fwrite(buf, 1, sizeof(buf), fp), sizeof(buf));
	}
	fclose(fp);
}

/* Seals record id (its hash as the store has it) with key k. */
static void
reseal(int64_t id, const struct audit_key *k)
{
	uint8_t hash[AUDIT_HASH_LEN], seal[AUDIT_SEAL_LEN];
	char sql[512], hex[2 * AUDIT_SEAL_LEN + 1];
	sqlite3_stmt *s;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
	t_fmt(sql, "SELECT hash FROM audit WHERE id = %lld", (long long)id);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	memcpy(hash, sqlite3_column_blob(s, 0), AUDIT_HASH_LEN);
	sqlite3_finalize(s);
	sqlite3_close(db);
	audit_key_seal(k, hash, seal);
	sodium_bin2hex(hex, sizeof(hex), seal, sizeof(seal));
	t_fmt(sql, "UPDATE audit SET seal = x'%s' WHERE id = %lld", hex,
	      (long long)id);
	tamper(sql);
}

static const char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

/* Recomputes every record's prev and hash, as the chain would hold them
 * had the file always been as it is: what an intruder does after a
 * change, so that the chain alone verifies again. */
static void
rechain(void)
{
	uint8_t prev[AUDIT_HASH_LEN] = { 0 }, hash[AUDIT_HASH_LEN];
	sqlite3_stmt *s, *u;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, time, event, "
					    "actor_uid, actor, user, host, "
					    "service, tty, result, reason "
					    "FROM audit ORDER BY id", -1, &s,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE audit SET prev = ?1,"
					    " hash = ?2 WHERE id = ?3", -1,
					    &u, NULL), SQLITE_OK);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct audit_rec r;

		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.time = sqlite3_column_int64(s, 1);
		r.event = col(s, 2);
		r.actor_uid = sqlite3_column_int64(s, 3);
		snprintf(r.actor, sizeof(r.actor), "%s", col(s, 4));
		r.user = col(s, 5);
		r.host = col(s, 6);
		r.service = col(s, 7);
		r.tty = col(s, 8);
		r.result = col(s, 9);
		r.reason = col(s, 10);
		store_record_hash(prev, &r, hash);
		sqlite3_bind_blob(u, 1, prev, AUDIT_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(u, 2, hash, AUDIT_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(u, 3, r.id);
		assert_int_equal(sqlite3_step(u), SQLITE_DONE);
		sqlite3_reset(u);
		memcpy(prev, hash, AUDIT_HASH_LEN);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	sqlite3_close(db);
}

/* A fresh sealed store with a few records, the daemon stopped. */
static int
fresh(void **state)
{
	static int n;
	char dir[PATH_MAX];

	(void)state;
	events(-1000);	/* names from u0 again */
	t_fmt(dir, "%s/s%d", t_dir(), n++);
	td_init(&d, dir, NULL);
	if (td_init_store(&d) != 0)
		return -1;
	read_vkey(&d, vkey);
	if (td_start(&d) != 0)
		return -1;
	events(6);
	return td_stop(&d) == 0 ? 0 : -1;
}

static int
stop(void **state)
{
	(void)state;
	td_stop(&d);
	return 0;
}

/* After the disk image test, whether it passed or not: no loop mount is
 * left behind. */
static int
stop_and_unmount(void **state)
{
	char mnt[PATH_MAX + 32];

	stop(state);
	t_fmt(mnt, "%s/disk/db", t_dir());
	t_sh("mountpoint -q %s && umount %s; true", mnt, mnt);
	return 0;
}

/* Untouched, the trail verifies, chain and seals, and the daemon's own
 * chain check agrees; the record before sealing began is said. */
static void
test_untouched(void **state)
{
	(void)state;
	assert_int_equal(td_start(&d), 0);
	assert_int_equal(verify("--key %s", vkey), 0);
	assert_non_null(strstr(out, "sealed with the key of their position"));
	assert_int_equal(verify(""), 0);
	assert_non_null(strstr(out, "the seal was not checked (no --key)"));
	/* Another key is not this trail's. */
	assert_int_equal(verify("--key psk2-2-0-%064d", 0), 1);
	assert_int_equal(verify("--key not-a-key"), 2);
}

/* A field changed and the chain recomputed: the chain verifies, the
 * seal does not. */
static void
test_changed(void **state)
{
	(void)state;
	tamper("UPDATE audit SET user = 'mallory' WHERE user = 'u2'");
	rechain();
	assert_int_equal(td_start(&d), 0);
	assert_int_equal(verify(""), 0);
	assert_broken("its seal is not the one of its position's key");
}

/* A record deleted, the ids after it moved down and the chain
 * recomputed. */
static void
test_deleted(void **state)
{
	(void)state;
	tamper("DELETE FROM audit WHERE user = 'u1';"
	       "UPDATE audit SET id = id - 1 WHERE id > (SELECT min(id) FROM "
	       "audit WHERE user = 'u2') - 1");
	rechain();
	/* The host's own key is past the trail's end now. */
	assert_int_not_equal(td_start(&d), 0);
	assert_true(td_log_has(&d, "records were removed from its end"));
	/* And with that key file gone too (refused as well) and sealing
	 * set up again, the verification key finds the first record
	 * moved. */
	t_sh("rm -f %s/db/seal.key", d.dir);
	reseal_setup();
	assert_int_equal(td_start(&d), 0);
	assert_int_equal(verify(""), 0);
	assert_broken("its seal is not the one of its position's key");
}

/* A record deleted and nothing else: a gap. */
static void
test_gap(void **state)
{
	(void)state;
	tamper("DELETE FROM audit WHERE user = 'u3'");
	assert_int_equal(td_start(&d), 0);
	assert_broken("are missing (removed)");
}

/* Two records swapped, the chain recomputed. */
static void
test_reordered(void **state)
{
	(void)state;
	tamper("UPDATE audit SET id = -1 WHERE user = 'u1';"
	       "UPDATE audit SET id = id - 1 WHERE user = 'u2';"
	       "UPDATE audit SET id = (SELECT id FROM audit WHERE user = 'u2')"
	       " + 1 WHERE id = -1");
	rechain();
	assert_int_equal(td_start(&d), 0);
	assert_broken("its seal is not the one of its position's key");
}

/* An old record changed and sealed again with the key the host holds
 * now (read from the key file, as root can): the verifier knows each
 * position's own key. */
static void
test_resealed_with_later_key(void **state)
{
	struct audit_key now;

	(void)state;
	tamper("UPDATE audit SET user = 'mallory' WHERE user = 'u2'");
	rechain();
	key_file(&now, 0);
	reseal(td_sql(&d, "SELECT id FROM audit WHERE user = 'mallory'"),
	       &now);
	assert_int_equal(td_start(&d), 0);
	assert_broken("sealed again with a later key");
}

/* A record added after the last one, dated in a minute before the theft,
 * sealed with the key the host holds then (root at T, the key file moved
 * on past it so that the daemon starts): the time part of that key is
 * T's minute, not the record's, and the verifier knows the difference.
 * The same record sealed with the key of its own minute (which only the
 * holder of the verification key can make) passes: what fails is the
 * date, nothing else. */
static void
test_backdated(void **state)
{
	struct audit_key stolen, honest;
	long last = td_sql(&d, "SELECT max(id) FROM audit");
	long when = td_sql(&d, "SELECT max(time) FROM audit");
	char sql[512];

	(void)state;
	key_file(&stolen, 0);
	/* The host idled five minutes after its last record. */
	assert_int_equal(audit_key_seek_epoch(&stolen, stolen.epoch + 5), 0);
	t_fmt(sql, "INSERT INTO audit (id, time, event, actor_uid, actor, "
	      "user, host, service, tty, result, reason, prev, hash) SELECT "
	      "%ld, %ld, event, actor_uid, actor, user, '198.51.100.66', "
	      "service, tty, 'ok', reason, prev, hash FROM audit WHERE id = %ld",
	      last + 1, when, last);
	tamper(sql);
	rechain();
	assert_int_equal(audit_key_seek(&stolen, (uint64_t)last + 1), 0);
	reseal(last + 1, &stolen);
	assert_int_equal(audit_key_seek(&stolen, (uint64_t)last + 2), 0);
	key_file(&stolen, 1);
	assert_int_equal(td_start(&d), 0);
	assert_broken("its seal is not the one of its position's key");
	assert_int_equal(td_stop(&d), 0);
	/* Sealed with its own minute's key, from the verification key. */
	assert_int_equal(audit_key_parse(vkey, &honest), 0);
	assert_int_equal(audit_key_seek(&honest, (uint64_t)last + 1), 0);
	assert_int_equal(audit_key_seek_time(&honest, (uint64_t)when), 0);
	reseal(last + 1, &honest);
	assert_int_equal(td_start(&d), 0);
	assert_int_equal(verify("--key %s", vkey), 0);
	audit_key_wipe(&honest);
	audit_key_wipe(&stolen);
}

/* The key file of a sealed trail removed: the daemon does not go on
 * unsealed; it refuses to start and says what to do. */
static void
test_key_file_removed(void **state)
{
	char path[PATH_MAX + 32];

	(void)state;
	t_fmt(path, "%s/db/seal.key", d.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_not_equal(td_start(&d), 0);
	assert_true(td_log_has(&d, "is missing, but the audit trail is sealed "
			       "from record"));
}

/* The checkpoint moved onto a genuine record and the records before it
 * deleted (no key needed): the seals hold, but verify says what was
 * purged and how old it was, and with --retention a purge younger than
 * that is found. */
static void
test_checkpoint_moved(void **state)
{
	long last = td_sql(&d, "SELECT max(id) FROM audit");
	char sql[512];

	(void)state;
	t_fmt(sql, "INSERT OR REPLACE INTO audit_checkpoint (k, id, hash, "
	      "seal, time) SELECT 1, id, hash, seal, time FROM audit WHERE "
	      "id = %ld; DELETE FROM audit WHERE id <= %ld", last - 2,
	      last - 2);
	tamper(sql);
	assert_int_equal(td_start(&d), 0);
	assert_int_equal(verify("--key %s", vkey), 0);
	assert_non_null(strstr(out, "were purged, the last of them dated"));
	assert_int_equal(verify("--key %s --retention 30d", vkey), 1);
	assert_non_null(strstr(out, "younger than the retention given"));
	assert_int_equal(verify("--retention 30d"), 1);
	assert_int_equal(verify("--key %s --retention 0d", vkey), 2);
}

/* A checkpoint forged past the end with the stolen key, dated before the
 * theft: its seal is not its minute's. */
static void
test_checkpoint_forged(void **state)
{
	struct audit_key stolen;
	uint8_t hash[AUDIT_HASH_LEN], seal[AUDIT_SEAL_LEN];
	char sql[1024], hh[2 * AUDIT_HASH_LEN + 1], hs[2 * AUDIT_SEAL_LEN + 1];
	long last = td_sql(&d, "SELECT max(id) FROM audit");
	long first = td_sql(&d, "SELECT min(time) FROM audit");

	(void)state;
	key_file(&stolen, 0);
	assert_int_equal(audit_key_seek_epoch(&stolen, stolen.epoch + 5), 0);
	randombytes_buf(hash, sizeof(hash));
	audit_key_seal(&stolen, hash, seal);
	sodium_bin2hex(hh, sizeof(hh), hash, sizeof(hash));
	sodium_bin2hex(hs, sizeof(hs), seal, sizeof(seal));
	t_fmt(sql, "DELETE FROM audit; INSERT OR REPLACE INTO "
	      "audit_checkpoint (k, id, hash, seal, time) VALUES (1, %ld, "
	      "x'%s', x'%s', %ld)", last + 1, hh, hs, first);
	tamper(sql);
	assert_int_equal(audit_key_seek(&stolen, (uint64_t)last + 2), 0);
	key_file(&stolen, 1);
	assert_int_equal(td_start(&d), 0);
	assert_broken("the checkpoint of record");
	audit_key_wipe(&stolen);
}

/* The last records removed: the daemon refuses to start (its key is
 * past the end), and an anchor from syslog proves it elsewhere. */
static void
test_truncated(void **state)
{
	char anchor[256], hex[2 * AUDIT_HASH_LEN + 1];
	long last;

	(void)state;
	last = td_sql(&d, "SELECT max(id) FROM audit");
	t_fmt(anchor, "%s", "");
	assert_int_equal(td_start(&d), 0);
	{
		char sql[128];
		sqlite3_stmt *s;
		sqlite3 *db;

		t_fmt(sql, "SELECT hash FROM audit WHERE id = %ld", last);
		assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		sodium_bin2hex(hex, sizeof(hex), sqlite3_column_blob(s, 0),
			       AUDIT_HASH_LEN);
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	t_fmt(anchor, "'seq=%ld head=%s'", last, hex);
	assert_int_equal(verify("--key %s --anchor %s", vkey, anchor), 0);
	assert_non_null(strstr(out, "the anchor's record"));
	assert_int_equal(td_stop(&d), 0);
	tamper("DELETE FROM audit WHERE id >= (SELECT max(id) - 2 FROM "
	       "audit)");
	/* The refused start also alerts: no record can say it. */
	{
		char script[PATH_MAX + 32], log[PATH_MAX + 32];
		char extra[3 * PATH_MAX];

		t_fmt(script, "%s/alert.sh", d.dir);
		t_fmt(log, "%s/alerts.log", d.dir);
		assert_int_equal(t_sh("printf '#!/bin/sh\\necho \"$1 "
				      "$POLICYD_RESULT $POLICYD_REASON\" >> "
				      "%s\\n' > %s && chmod 755 %s", log,
				      script, script), 0);
		t_fmt(extra, "[audit]\nalert_command = %s\n", script);
		td_write_conf(&d, extra);
		assert_int_not_equal(td_start(&d), 0);
		for (int i = 0; i < 100 && t_sh("grep -q '^audit-tampered "
						 "failed .*removed from its "
						 "end' %s 2>/dev/null", log);
		     i++)
			usleep(20000);
		assert_int_equal(t_sh("grep -q '^audit-tampered failed' %s",
				      log), 0);
		td_write_conf(&d, NULL);
	}
	assert_true(td_log_has(&d, "records were removed from its end"));
	/* Without the host's key file, the chain alone still looks whole
	 * (and grows again from the cut: each verify is a record too); the
	 * anchor does not. */
	t_sh("rm -f %s/db/seal.key", d.dir);
	reseal_setup();
	assert_int_equal(td_start(&d), 0);
	assert_int_equal(verify(""), 0);
	events(3);
	assert_int_equal(verify("--anchor %s", anchor), 1);
	if (strstr(out, "not the record the anchor saw") == NULL)
		fail_msg("%s", out);
}

/* Killed before the key file caught up with the last records: the
 * next start moves it on, and everything still verifies. */
static void
test_key_lags_after_crash(void **state)
{
	(void)state;
	assert_int_equal(td_start(&d), 0);
	events(3);
	td_kill(&d);
	assert_int_equal(td_start(&d), 0);
	events(1);
	assert_int_equal(verify("--key %s", vkey), 0);
}

/* --setup-seal on a store that exists: refused while the daemon runs,
 * then sealed from the next record, the earlier ones said to be from
 * before. */
static void
test_setup_later(void **state)
{
	char dir[PATH_MAX], key[AUDIT_SEAL_TEXT_MAX];

	(void)state;
	t_fmt(dir, "%s/later", t_dir());
	td_init(&d, dir, NULL);
	assert_int_equal(td_start(&d), 0);	/* a first start: no seal */
	assert_true(td_log_has(&d, "the audit trail is not sealed"));
	events(2);
	assert_int_not_equal(t_sh("%s/policyd --setup-seal -c %s > "
				  "%s/init.out 2>&1", t_build(), d.conf,
				  d.dir), 0);
	assert_int_equal(td_stop(&d), 0);
	assert_int_equal(t_sh("%s/policyd --setup-seal -c %s > %s/init.out "
			      "2>&1", t_build(), d.conf, d.dir), 0);
	read_vkey(&d, key);
	snprintf(vkey, sizeof(vkey), "%s", key);
	/* Once is enough: a second setup changes nothing. */
	assert_int_not_equal(t_sh("%s/policyd --setup-seal -c %s > /dev/null "
				  "2>&1", t_build(), d.conf), 0);
	assert_int_equal(td_start(&d), 0);
	events(2);
	assert_int_equal(verify("--key %s", vkey), 0);
	assert_null(strstr(out, " 0 from before sealing began"));
	tamper("UPDATE audit SET reason = 'x' WHERE id = (SELECT max(id) "
	       "FROM audit)");
	assert_broken("its fields were changed");
}

/* Whether the 32 bytes of k are anywhere in the file at path. */
static int
file_has(const char *path, const uint8_t k[AUDIT_SEAL_KEY_LEN])
{
	static uint8_t buf[1 << 20];
	size_t n, keep = 0;
	int found = 0;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	while (!found && (n = fread(buf + keep, 1, sizeof(buf) - keep, fp)) >
				 0) {
		n += keep;
		for (size_t i = 0; i + AUDIT_SEAL_KEY_LEN <= n && !found; i++)
			found = memcmp(buf + i, k, AUDIT_SEAL_KEY_LEN) == 0;
		keep = n >= AUDIT_SEAL_KEY_LEN ? AUDIT_SEAL_KEY_LEN - 1 : n;
		memmove(buf, buf + n - keep, keep);
	}
	fclose(fp);
	return found;
}

/* The keys of positions that are past are nowhere on the disk: not in
 * the key file, the database, the WAL, free blocks or the journal.  The
 * store on an ext4 image of its own, searched after unmounting it. */
static void
test_old_keys_gone_from_disk(void **state)
{
	char dir[PATH_MAX], img[PATH_MAX + 32], mnt[PATH_MAX + 32];
	struct audit_key k;
	uint64_t now;
	int found = 0, minutes;

	(void)state;
	if (geteuid() != 0) {
		print_message("old keys: skipped: a loop mount needs root\n");
		skip();
	}
	t_fmt(dir, "%s/disk", t_dir());
	td_init(&d, dir, NULL);
	t_fmt(img, "%s/ext4.img", d.dir);
	t_fmt(mnt, "%s/db", d.dir);
	if (mkdir(mnt, 0700) != 0 ||
	    t_sh("dd if=/dev/zero of=%s bs=1M count=16 2>/dev/null && "
		 "mkfs.ext4 -q -F %s && mount -o loop %s %s && chmod 700 %s",
		 img, img, img, mnt, mnt) != 0) {
		print_message("old keys: skipped: no ext4 loop mount here\n");
		skip();
	}
	assert_int_equal(td_init_store(&d), 0);
	read_vkey(&d, vkey);
	assert_int_equal(audit_key_parse(vkey, &k), 0);
	assert_int_equal(td_start(&d), 0);
	events(40);
	/* The time part too: past the first minute (the plain run only, so
	 * the sanitizer runs do not wait as well), the key file has moved to
	 * the next minute's, and the first minute's is gone. */
	minutes = getenv("SANITIZE") == NULL ||
		  strcmp(getenv("SANITIZE"), "1") != 0;
	if (minutes) {
		while ((uint64_t)time(NULL) < k.t0 + AUDIT_EPOCH_SECONDS + 3)
			sleep(1);
		events(1);
	} else {
		print_message("old keys: the time part is not waited for "
			      "under the sanitizers\n");
	}
	assert_int_equal(td_stop(&d), 0);
	now = (uint64_t)td_sql(&d, "SELECT max(id) FROM audit") + 1;
	assert_int_equal(t_sh("umount %s", mnt), 0);
	for (; k.pos < now; audit_key_seek(&k, k.pos + 1))
		if (file_has(img, k.k)) {
			print_message("the key of record %llu is on the disk\n",
				      (unsigned long long)k.pos);
			found++;
		}
	/* The search finds what is there: the current key. */
	assert_true(file_has(img, k.k));
	if (minutes) {
		if (file_has(img, k.e)) {
			print_message("the first minute's key is on the "
				      "disk\n");
			found++;
		}
		assert_int_equal(audit_key_seek_epoch(&k, 1), 0);
		assert_true(file_has(img, k.e) ||
			    (audit_key_seek_epoch(&k, 2) == 0 &&
			     file_has(img, k.e)));
	}
	audit_key_wipe(&k);
	assert_int_equal(found, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_untouched, fresh, stop),
		cmocka_unit_test_setup_teardown(test_changed, fresh, stop),
		cmocka_unit_test_setup_teardown(test_deleted, fresh, stop),
		cmocka_unit_test_setup_teardown(test_gap, fresh, stop),
		cmocka_unit_test_setup_teardown(test_reordered, fresh, stop),
		cmocka_unit_test_setup_teardown(test_resealed_with_later_key,
						fresh, stop),
		cmocka_unit_test_setup_teardown(test_backdated, fresh, stop),
		cmocka_unit_test_setup_teardown(test_checkpoint_moved, fresh,
						stop),
		cmocka_unit_test_setup_teardown(test_checkpoint_forged, fresh,
						stop),
		cmocka_unit_test_setup_teardown(test_key_file_removed, fresh,
						stop),
		cmocka_unit_test_setup_teardown(test_truncated, fresh, stop),
		cmocka_unit_test_setup_teardown(test_key_lags_after_crash,
						fresh, stop),
		cmocka_unit_test_teardown(test_setup_later, stop),
		cmocka_unit_test_teardown(test_old_keys_gone_from_disk,
					  stop_and_unmount),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("sealing", tests, NULL, NULL);
}
