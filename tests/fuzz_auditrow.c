/*
 * fuzz_auditrow.c - fuzz target for reading audit rows back from the
 * SQLite store: store_audit_verify's walk of the chain and
 * store_audit_query's rows, as admin_audit_verify and admin_audit_query
 * (compiled in) turn them into replies.
 *
 * A real store is opened once (store_open: schema, statements).  Each
 * input replaces the audit table's rows with values it chooses, of any
 * SQLite type (an integer, text with NULs, a blob, a real, NULL, which
 * the schema may refuse) in any column, and the checkpoint with one.
 * SQLite is dynamically typed, so this is what a damaged or edited file
 * can hold.  The readers must answer without crashing; verify must count
 * no more rows than there are; a query's reply must be well-formed,
 * holding at most the rows there are.
 *
 * Input: rows of 13 columns (id, time, event, actor_uid, actor, user,
 * host, service, tty, result, reason, prev, hash), each a type byte and
 * a value (8 bytes for an integer or a real; a 1-byte length and bytes
 * for text or a blob).  A first row whose id column is NULL is the
 * checkpoint (its time column is its id, its prev its hash).  The seal
 * column gets the hash column's value (the checkpoint's, its hash's).
 *
 * Built with -DPOLICYD_LIBFUZZER for libFuzzer; otherwise linked with
 * fuzz_main.c, which replays files.
 */
#include "../policyd/admin_audit.c"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_sqlite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NCOLS 13
#define MAX_ROWS 32

enum col_type { C_INT, C_TEXT, C_BLOB, C_REAL, C_NULL, C_NTYPES };

static struct {
	char dir[64];
	char db[96];
	struct store *st;
	sqlite3_stmt *ins, *cp;
	uint8_t out[PROTO_MAX_FRAME];
} fz;

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void
clean_up(void)
{
	char path[128];

	if (fz.st != NULL)
		store_close(fz.st);
	unlink(fz.db);
	snprintf(path, sizeof(path), "%s-wal", fz.db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", fz.db);
	unlink(path);
	rmdir(fz.dir);
}

static void
set_up(void)
{
	const char *base = getenv("POLICYD_TEST_DIR");
	char err[256];

	if (fz.st != NULL)
		return;
	if (base == NULL || strlen(base) > 32)
		base = "/dev/shm";
	snprintf(fz.dir, sizeof(fz.dir), "%s/policyd-fuzz.XXXXXX", base);
	check(mkdtemp(fz.dir) != NULL);
	snprintf(fz.db, sizeof(fz.db), "%s/audit.db", fz.dir);
	check(store_open(fz.db, STORE_CREATE, &fz.st, err, sizeof(err)) ==
	      STORE_OK);
	atexit(clean_up);
	check(sqlite3_prepare_v2(fz.st->db,
				 "INSERT INTO audit (id, time, event, actor_uid,"
				 " actor, user, host, service, tty, result,"
				 " reason, prev, hash, seal) VALUES (?1, ?2, ?3,"
				 " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
				 " ?13)",
				 -1, &fz.ins, NULL) == SQLITE_OK);
	check(sqlite3_prepare_v2(fz.st->db,
				 "INSERT INTO audit_checkpoint (k, id, hash, seal)"
				 " VALUES (1, ?2, ?12, ?12)", -1, &fz.cp,
				 NULL) == SQLITE_OK);
}

static uint64_t
be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Binds one column from the input; -1 when the input ran out. */
static int
bind_col(sqlite3_stmt *s, int col, const uint8_t **p, const uint8_t *end,
	 int *is_null)
{
	enum col_type t;
	size_t n;
	double d;

	if (*p >= end)
		return -1;
	t = (enum col_type)(**p % C_NTYPES);
	(*p)++;
	*is_null = t == C_NULL;
	if (t == C_INT || t == C_REAL) {
		if (end - *p < 8)
			return -1;
		if (t == C_INT) {
			sqlite3_bind_int64(s, col, (sqlite3_int64)be64(*p));
		} else {
			uint64_t bits = be64(*p);

			memcpy(&d, &bits, sizeof(d));
			sqlite3_bind_double(s, col, d);
		}
		*p += 8;
		return 0;
	}
	if (t == C_NULL) {
		sqlite3_bind_null(s, col);
		return 0;
	}
	if (*p >= end)
		return -1;
	n = **p;
	(*p)++;
	if (n > (size_t)(end - *p))
		n = (size_t)(end - *p);
	if (t == C_TEXT)
		sqlite3_bind_text(s, col, (const char *)*p, (int)n,
				  SQLITE_TRANSIENT);
	else
		sqlite3_bind_blob(s, col, *p, (int)n, SQLITE_TRANSIENT);
	*p += n;
	return 0;
}

/* The row at p as the checkpoint: the statement takes only ?2 (its id)
 * and ?12 (its hash); binding the other columns does nothing. */
static void
add_checkpoint(const uint8_t *p, const uint8_t *end)
{
	int is_null;

	for (int c = 1; c <= NCOLS; c++)
		(void)bind_col(fz.cp, c, &p, end, &is_null);
	(void)sqlite3_step(fz.cp);
	sqlite3_reset(fz.cp);
	sqlite3_clear_bindings(fz.cp);
}

/* Replaces the trail with the input's rows; returns how many went in. */
static size_t
load_rows(const uint8_t *p, const uint8_t *end)
{
	size_t rows = 0;

	check(sqlite3_exec(fz.st->db, "BEGIN; DELETE FROM audit;"
			   " DELETE FROM audit_checkpoint;", NULL, NULL,
			   NULL) == SQLITE_OK);
	for (int r = 0; r < MAX_ROWS && p < end; r++) {
		const uint8_t *start = p;
		int null_id = 0, is_null, ok = 1;

		for (int c = 1; c <= NCOLS && ok; c++) {
			ok = bind_col(fz.ins, c, &p, end, &is_null) == 0;
			if (c == 1)
				null_id = is_null;
		}
		if (!ok)
			break;
		if (r == 0 && null_id)
			add_checkpoint(start, end);
		if (sqlite3_step(fz.ins) == SQLITE_DONE)
			rows++;
		sqlite3_reset(fz.ins);
		sqlite3_clear_bindings(fz.ins);
	}
	check(sqlite3_exec(fz.st->db, "COMMIT", NULL, NULL, NULL) ==
	      SQLITE_OK);
	return rows;
}

/* Counts the records in a reply, checking its shape. */
static size_t
records(const struct wwriter *w)
{
	struct wmsg m;
	struct wreader r;
	struct wfield f, x;
	size_t n = 0;

	check(!ww_failed(w));
	check(wire_parse(w->buf, w->len, 1, &m) == 0);
	for (r = m.fields; wire_next(&r, &f) == 1;) {
		if (f.tag != PROTO_T_RECORD)
			continue;
		check(wire_find_in(&f, PROTO_T_ID, &x) == 0 && x.len == 8);
		n++;
	}
	return n;
}

static void
run_readers(size_t rows)
{
	static const uint8_t req[] = { PROTO_VERSION, PROTO_AUDIT_QUERY,
				       0, 0, 0, 1 };
	struct request rq;
	struct daemon d;
	struct wwriter w;
	struct wmsg in;
	uint64_t count;
	int64_t bad;

	check(store_audit_verify(fz.st, &count, &bad) == STORE_OK);
	check(count <= rows);
	check(wire_parse(req, sizeof(req), 0, &in) == 0);
	memset(&rq, 0, sizeof(rq));
	memset(&d, 0, sizeof(d));
	d.store = fz.st;
	rq.d = &d;
	rq.msg = &in;
	rq.out = &w;
	ww_init(&w, fz.out, sizeof(fz.out));
	wire_begin_reply(&w, PROTO_AUDIT_QUERY | PROTO_REPLY, 1, PROTO_OK);
	check(admin_audit_query(&rq) == PROTO_OK);
	/* Texts of at most 255 bytes each: every row fits one reply. */
	check(records(&w) <= rows);
	ww_init(&w, fz.out, sizeof(fz.out));
	wire_begin_reply(&w, PROTO_AUDIT_VERIFY | PROTO_REPLY, 1, PROTO_OK);
	check(admin_audit_verify(&rq) == PROTO_OK);
	check(!ww_failed(&w));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	set_up();
	run_readers(load_rows(data, data + size));
	return 0;
}
