/*
 * store_sqlite_schema.c - the SQLite store's schema: the forward
 * migrations, and the checks every start makes before trusting a file
 * (a hardened connection, quick_check, the application id, and the
 * schema compared with what this version's migrations create).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_sqlite.h"

/* Forward migrations: entry i takes the schema from version i to i + 1.
 * Never edit a shipped entry; append a new one. */
static const char *const migrations[] = {
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" password TEXT NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" pw_changed INTEGER NOT NULL"
	");",
	/* 2: must-change flag and password history. */
	"ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE password_history ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" password TEXT NOT NULL,"
	" retired INTEGER NOT NULL"
	");"
	"CREATE INDEX password_history_user ON password_history(user_id, id);",
	/* 3: failures, locks and the last login. */
	"ALTER TABLE users ADD COLUMN last_login INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN last_host TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN last_service TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN failed_since_login INTEGER NOT NULL"
	" DEFAULT 0;"
	"CREATE TABLE failures ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"		/* 'u' account, 's' remote host */
	" key TEXT NOT NULL,"
	" time INTEGER NOT NULL,"
	" rhost TEXT NOT NULL,"
	" service TEXT NOT NULL"
	");"
	"CREATE INDEX failures_key ON failures(kind, key, time);"
	"CREATE INDEX failures_time ON failures(time);"
	"CREATE TABLE locks ("
	" kind TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" since INTEGER NOT NULL,"
	" until INTEGER NOT NULL,"
	" PRIMARY KEY (kind, key)"
	");",
	/* 4: TOTP secrets (sealed) and recovery codes (hashed). */
	"CREATE TABLE totp ("
	" user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	" sealed BLOB,"			/* the active secret */
	" pending BLOB,"		/* enrolled, not yet confirmed */
	" last_step INTEGER NOT NULL DEFAULT -1,"
	" created INTEGER NOT NULL"
	");"
	"CREATE TABLE recovery_codes ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" hash BLOB NOT NULL,"
	" used INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX recovery_codes_user ON recovery_codes(user_id);",
	/* 5: the audit trail, a hash chain. */
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" event TEXT NOT NULL,"
	" actor_uid INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" user TEXT NOT NULL,"
	" host TEXT NOT NULL,"
	" service TEXT NOT NULL,"
	" tty TEXT NOT NULL,"
	" result TEXT NOT NULL,"
	" reason TEXT NOT NULL,"
	" prev BLOB NOT NULL,"
	" hash BLOB NOT NULL"
	");"
	"CREATE INDEX audit_time ON audit(time);",
	/* 6: where the chain starts after a purge. */
	"CREATE TABLE audit_checkpoint ("
	" k INTEGER PRIMARY KEY CHECK (k = 1),"
	" id INTEGER NOT NULL,"
	" hash BLOB NOT NULL"
	");",
	/* 7: the file says it is a policyd store (STORE_APP_ID). */
	"PRAGMA application_id = 1347175257;",
	/* 8: the check value of the key that seals the TOTP secrets. */
	"CREATE TABLE key_check ("
	" k INTEGER PRIMARY KEY CHECK (k = 1),"
	" value BLOB NOT NULL"
	");",
	/* 9: each record's forward-secure seal (auditseal.h), NULL before
	 * sealing began; the checkpoint keeps the last purged one's. */
	"ALTER TABLE audit ADD COLUMN seal BLOB;"
	"ALTER TABLE audit_checkpoint ADD COLUMN seal BLOB;",
	/* 10: the time of the last purged record, which its seal's epoch
	 * is of (auditseal.h), and which says how old what was purged. */
	"ALTER TABLE audit_checkpoint ADD COLUMN time INTEGER NOT NULL"
	" DEFAULT 0;",
};
/* The first version with table key_check. */
#define KEY_CHECK_VERSION 8
#define SCHEMA_VERSION (int)(sizeof(migrations) / sizeof(migrations[0]))

int
store_schema_version(void)
{
	return SCHEMA_VERSION;
}

/* PRAGMA application_id of a policyd store, from version 7 on: "PLCY" in
 * ASCII (1347175257), at offset 68 of the file's header, where tools
 * that tell SQLite files apart look. */
#define STORE_APP_ID 0x504c4359

/* The schema as the checks compare it: every object but the tables
 * SQLite itself makes on request (ANALYZE, AUTOINCREMENT), whose rows
 * hold no code.  The automatic indexes are compared too: a name starting
 * with sqlite_ is no proof that SQLite made the object. */
static const char schema_sql[] =
	"SELECT type, name, tbl_name, sql FROM sqlite_schema"
	" WHERE NOT (type = 'table' AND name IN ('sqlite_sequence',"
	" 'sqlite_stat1', 'sqlite_stat4'))"
	" ORDER BY type, name";



int
sq_exec_script(sqlite3 *db, const char *sql, char *err, size_t errsz)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errsz, "%s", msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* The first column of the first row of sql, as a number. */
static int
query_int(sqlite3 *db, const char *sql, sqlite3_int64 *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Applies migrations from..to-1, each in its own transaction, recording
 * the new version in the same transaction. */
static int
migrate(sqlite3 *db, int from, int to, char *err, size_t errsz)
{
	char sql[64];

	for (int v = from; v < to; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sq_exec_script(db, "BEGIN IMMEDIATE", err, errsz) != 0)
			return -1;
		if (sq_exec_script(db, migrations[v], err, errsz) != 0 ||
		    sq_exec_script(db, sql, err, errsz) != 0 ||
		    sq_exec_script(db, "COMMIT", err, errsz) != 0) {
			sq_exec_script(db, "ROLLBACK", sql, sizeof(sql));
			return -1;
		}
	}
	return 0;
}

/* Before the schema is read: no function a schema object names runs
 * unless SQLite deems it harmless (trusted_schema off), and no SQL can
 * write the schema or the file around SQLite's own checks (defensive). */
int
sq_harden(sqlite3 *db, char *err, size_t errsz)
{
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1,
			      (int *)NULL) == SQLITE_OK &&
	    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
			      (int *)NULL) == SQLITE_OK)
		return 0;
	snprintf(err, errsz, "cannot harden the connection: %s",
		 sqlite3_errmsg(db));
	return -1;
}

/* PRAGMA quick_check: "ok", or the store is refused with the first
 * problem (its first row, without the "*** in database main ***" line,
 * up to the end of its first line), or with why it could not run (a
 * file that is not a database, a lock held past the busy timeout). */
static int
quick_check(sqlite3 *db, char *err, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	const char *t = NULL, *nl;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		t = (const char *)sqlite3_column_text(s, 0);
	if (t == NULL) {
		snprintf(err, errsz, "PRAGMA quick_check: %s",
			 sqlite3_errmsg(db));
		goto out;
	}
	rc = strcmp(t, "ok") == 0 ? 0 : -1;
	if (strncmp(t, "***", 3) == 0 && (nl = strchr(t, '\n')) != NULL)
		t = nl + 1;
	nl = strchr(t, '\n');
	if (rc != 0)
		snprintf(err, errsz, "the store is damaged (PRAGMA quick_check:"
			 " %.*s); restore it from a backup",
			 nl != NULL ? (int)(nl - t) : (int)strlen(t), t);
out:
	sqlite3_finalize(s);
	return rc;
}

/* Whether the file is a policyd store, or a new one: no application_id
 * but policyd's, and no tables in a file without one and without a
 * schema version (another program's database).  Nothing is written
 * before this.  *version is the store's schema version. */
static int
check_identity(sqlite3 *db, int *version, char *err, size_t errsz)
{
	sqlite3_int64 app, v, objects;

	if (query_int(db, "PRAGMA application_id", &app) != 0 ||
	    query_int(db, "PRAGMA user_version", &v) != 0 ||
	    query_int(db, "SELECT count(*) FROM sqlite_schema", &objects) !=
		    0) {
		snprintf(err, errsz, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (app != 0 && app != STORE_APP_ID) {
		snprintf(err, errsz, "not a policyd store (application_id "
			 "%#llx, policyd's is %#x)", (long long)app,
			 STORE_APP_ID);
		return -1;
	}
	if (v < 0 || (app == 0 && v == 0 && objects > 0)) {
		snprintf(err, errsz, "not a policyd store (it holds tables but "
			 "neither policyd's application_id nor a schema "
			 "version)");
		return -1;
	}
	if (v > SCHEMA_VERSION) {
		snprintf(err, errsz,
			 "schema version %lld is newer than this policyd (%d)",
			 (long long)v, SCHEMA_VERSION);
		return -1;
	}
	*version = (int)v;
	return 0;
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

/* Order of two schema rows by (type, name), as ORDER BY sorts them. */
static int
row_order(sqlite3_stmt *have, sqlite3_stmt *want)
{
	int c = strcmp(col_text(have, 0), col_text(want, 0));

	return c != 0 ? c : strcmp(col_text(have, 1), col_text(want, 1));
}

/* Whether two rows of the same type and name are the same object. */
static int
row_same(sqlite3_stmt *have, sqlite3_stmt *want)
{
	for (int i = 2; i < 4; i++) {
		int null = sqlite3_column_type(have, i) == SQLITE_NULL;

		if (null != (sqlite3_column_type(want, i) == SQLITE_NULL) ||
		    strcmp(col_text(have, i), col_text(want, i)) != 0)
			return 0;
	}
	return 1;
}

/* Names the first difference: an object the store has and this version
 * does not make (c < 0), one it makes and the store lacks (c > 0), or
 * one defined otherwise (c == 0). */
static void
describe(int c, sqlite3_stmt *have, sqlite3_stmt *want, int version,
	 char *err, size_t errsz)
{
	sqlite3_stmt *s = c > 0 ? want : have;
	const char *name = col_text(s, 1), *table = col_text(s, 2);
	int on = strcmp(name, table) != 0;

	snprintf(err, errsz, "the schema is not the one this policyd creates "
		 "at version %d: %s %s %s%s%s", version,
		 c < 0 ? "unexpected" : c > 0 ? "missing" : "changed",
		 col_text(s, 0), name, on ? " on " : "", on ? table : "");
}

/* Compares the schema of db with want's, row by row in order: 0 if they
 * are the same set, else -1 with the first difference in err. */
static int
schema_diff(sqlite3 *db, sqlite3 *want_db, int version, char *err,
	    size_t errsz)
{
	sqlite3_stmt *have = NULL, *want = NULL;
	int h, w, c, rc = -1;

	if (sqlite3_prepare_v2(db, schema_sql, -1, &have, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(want_db, schema_sql, -1, &want, NULL) !=
		    SQLITE_OK)
		goto fail;
	h = sqlite3_step(have);
	w = sqlite3_step(want);
	while ((h == SQLITE_ROW || w == SQLITE_ROW) &&
	       (h == SQLITE_ROW || h == SQLITE_DONE) &&
	       (w == SQLITE_ROW || w == SQLITE_DONE)) {
		c = h != SQLITE_ROW ? 1 : w != SQLITE_ROW ? -1
							  : row_order(have, want);
		if (c != 0 || !row_same(have, want)) {
			describe(c, have, want, version, err, errsz);
			goto out;
		}
		h = sqlite3_step(have);
		w = sqlite3_step(want);
	}
	if (h == SQLITE_DONE && w == SQLITE_DONE) {
		rc = 0;
		goto out;
	}
fail:
	snprintf(err, errsz, "reading the schema: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(have);
	sqlite3_finalize(want);
	return rc;
}

/*
 * Migrates the store from version v, checking its schema against the one
 * the migrations make on an empty in-memory database: at version v
 * before anything runs on it, and at this version after.  An object this
 * version does not make (a trigger that deletes counted failures or
 * re-enables a disabled user, a view, an index), one it lacks or one
 * defined otherwise refuses the store.
 */
static int
migrate_checked(sqlite3 *db, int v, char *err, size_t errsz)
{
	sqlite3 *want = NULL;
	int rc = -1;

	if (sqlite3_open_v2(":memory:", &want, SQLITE_OPEN_READWRITE,
			    NULL) != SQLITE_OK) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (sq_harden(want, err, errsz) != 0 ||
	    migrate(want, 0, v, err, errsz) != 0 ||
	    schema_diff(db, want, v, err, errsz) != 0)
		goto out;
	if (v < SCHEMA_VERSION &&
	    (migrate(db, v, SCHEMA_VERSION, err, errsz) != 0 ||
	     migrate(want, v, SCHEMA_VERSION, err, errsz) != 0 ||
	     schema_diff(db, want, SCHEMA_VERSION, err, errsz) != 0))
		goto out;
	rc = 0;
out:
	sqlite3_close(want);
	return rc;
}

/*
 * Everything between opening the file and preparing the statements, in
 * this order: harden the connection before the schema is read; refuse a
 * damaged file (quick_check) and one that is not a policyd store before
 * anything is written to it (WAL mode rewrites the header); then migrate
 * with the schema checked before and after (migrate_checked).
 */
int
sq_check_and_migrate(sqlite3 *db, char *why, size_t whysz)
{
	static const char pragmas[] =
		"PRAGMA journal_mode = WAL;"
		"PRAGMA synchronous = FULL;"
		"PRAGMA foreign_keys = ON;"
		"PRAGMA secure_delete = ON;";
	int version;

	/* Migrations commit with FULL; decisions with NORMAL and
	 * sq_durable. */
	if (sq_harden(db, why, whysz) != 0 || quick_check(db, why, whysz) != 0 ||
	    check_identity(db, &version, why, whysz) != 0 ||
	    sq_exec_script(db, pragmas, why, whysz) != 0 ||
	    migrate_checked(db, version, why, whysz) != 0)
		return -1;
	return 0;
}


/* The store's file name as an SQLite URI (RFC 3986: every byte but the
 * unreserved ones and '/' percent-encoded), with the query q. */
static int
file_uri(const char *path, const char *q, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(out, outsz, "file:");

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (o + 4 >= outsz)
			return -1;
		if (strchr("-._~/", *p) != NULL || (*p >= '0' && *p <= '9') ||
		    ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')) {
			out[o++] = (char)*p;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 15];
	}
	return snprintf(out + o, outsz - o, "?%s", q) < (int)(outsz - o) ? 0
									 : -1;
}

/*
 * A read-only connection still makes the -wal and -shm files (as the
 * caller's user, root for policyd -t) unless told the file cannot
 * change: without them (no daemon has the store open, and the last one
 * checkpointed it whole) the store is opened immutable; with both (a
 * daemon running) read-only, reading what the WAL holds; with one alone
 * (a crash) it is not read at all.
 */
static int
open_peek(const char *path, sqlite3 **db, char *err, size_t errsz)
{
	char side[4096 + 8], uri[3 * 4096 + 32];
	int wal, shm;

	snprintf(side, sizeof(side), "%s-wal", path);
	wal = access(side, F_OK) == 0;
	snprintf(side, sizeof(side), "%s-shm", path);
	shm = access(side, F_OK) == 0;
	if (wal != shm) {
		snprintf(err, errsz, "its -wal or -shm file is missing (a "
			 "crash?): not read; a start recovers it");
		return -1;
	}
	if (file_uri(path, wal ? "mode=ro" : "immutable=1", uri,
		     sizeof(uri)) != 0) {
		snprintf(err, errsz, "name too long");
		return -1;
	}
	if (sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				     SQLITE_OPEN_NOMUTEX |
				     SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s",
			 *db != NULL ? sqlite3_errmsg(*db) : "out of memory");
		return -1;
	}
	return sq_harden(*db, err, errsz);
}

/* Copies the check value on record; 1 if there is none. */
static int
read_key_check(sqlite3 *db, uint8_t have[STORE_KEY_CHECK_LEN], char *err,
	       size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT value FROM key_check WHERE k = 1",
			       -1, &s, NULL) == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			sq_key_check_copy(have, s, 0);
		rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
	}
	if (rc < 0)
		snprintf(err, errsz, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc;
}

int
store_key_check_peek(const char *path, uint8_t have[STORE_KEY_CHECK_LEN],
		     char *err, size_t errsz)
{
	char why[512] = "";
	sqlite3 *db = NULL;
	int version, rc = -1;

	if (open_peek(path, &db, why, sizeof(why)) == 0 &&
	    check_identity(db, &version, why, sizeof(why)) == 0)
		rc = version < KEY_CHECK_VERSION
			     ? 1
			     : read_key_check(db, have, why, sizeof(why));
	sqlite3_close(db);
	if (rc < 0)
		snprintf(err, errsz, "%s: %s", path, why);
	return rc == 0 ? STORE_OK : rc == 1 ? STORE_NOT_FOUND : STORE_ERROR;
}
