/*
 * store_sqlite_totp.c - the SQLite backend of store.h for TOTP secrets
 * (sealed by the caller: this file never sees one in the clear),
 * recovery codes (hashed by the caller) and the check value of the key
 * that seals the secrets (made by the caller; never the key).
 */
#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"

static size_t
copy_blob(uint8_t *dst, size_t cap, sqlite3_stmt *s, int col)
{
	const void *b = sqlite3_column_blob(s, col);
	int n = sqlite3_column_bytes(s, col);

	if (b == NULL || n <= 0 || (size_t)n > cap)
		return 0;
	memcpy(dst, b, (size_t)n);
	return (size_t)n;
}

int
store_totp_get(struct store *st, int64_t user_id, struct store_totp *t)
{
	sqlite3_stmt *s;
	struct store *rs;
	int rc;

	memset(t, 0, sizeof(*t));
	t->last_step = -1;
	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_TOTP_GET];
	sqlite3_bind_int64(s, 1, user_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		t->sealed_len = copy_blob(t->sealed, sizeof(t->sealed), s, 0);
		t->pending_len = copy_blob(t->pending, sizeof(t->pending), s,
					   1);
		t->last_step = sqlite3_column_int64(s, 2);
	}
	sq_release(rs, s);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERROR;
}

/* One statement keyed by the user, bound and run inside its own
 * transaction under the store's lock (sq_transaction), never before:
 * the statements are shared by every thread.  A pending audit record
 * joins the transaction only when a row changed. */
struct one_write {
	int which;		/* enum stmt */
	int64_t user_id;
	int64_t v;		/* ?2 for the integer statements */
	const uint8_t *blob;	/* ?2 for the blob statements, else NULL */
	size_t blob_len;
	int64_t v3;		/* ?3, when the statement has one */
	int changed;
	int done;		/* the statement ran to completion */
};

static int
one_write_body(struct store *st, void *arg)
{
	struct one_write *w = arg;
	sqlite3_stmt *s = st->stmt[w->which];
	int n = sqlite3_bind_parameter_count(s), rc;

	sqlite3_bind_int64(s, 1, w->user_id);
	if (n >= 2 && w->blob != NULL)
		sqlite3_bind_blob(s, 2, w->blob, (int)w->blob_len,
				  SQLITE_STATIC);
	else if (n >= 2)
		sqlite3_bind_int64(s, 2, w->v);
	if (n >= 3)
		sqlite3_bind_int64(s, 3, w->v3);
	rc = sq_step(s);
	w->done = rc == SQLITE_DONE;
	w->changed = sqlite3_changes(st->db);
	/* Nothing changed: nothing decided, so nothing to record. */
	return w->done && w->changed > 0 ? SQ_COMMIT : SQ_ROLLBACK;
}

/* Runs w; STORE_OK if it changed a row, else none (or STORE_ERROR). */
static int
write_user_row(struct store *st, struct one_write *w, int none,
	       struct audit_rec *ev)
{
	int rc = sq_transaction(st, one_write_body, w, ev);

	if (rc == STORE_OK)
		return STORE_OK;
	return w->done && w->changed == 0 ? none : STORE_ERROR;
}

int
store_totp_pending(struct store *st, int64_t user_id, const uint8_t *b,
		   size_t len, int64_t now, struct audit_rec *ev)
{
	struct one_write w = { .which = S_TOTP_PENDING, .user_id = user_id,
			       .blob = b, .blob_len = len, .v3 = now };

	return write_user_row(st, &w, STORE_ERROR, ev);
}

int
store_totp_confirm(struct store *st, int64_t user_id, int64_t step,
		   struct audit_rec *ev)
{
	struct one_write w = { .which = S_TOTP_CONFIRM, .user_id = user_id,
			       .v = step };

	return write_user_row(st, &w, STORE_NOT_FOUND, ev);
}

int
store_totp_accept(struct store *st, int64_t user_id, int64_t step)
{
	struct one_write w = { .which = S_TOTP_ACCEPT, .user_id = user_id,
			       .v = step };

	return write_user_row(st, &w, STORE_CHANGED, NULL);
}

struct codes_args {
	int64_t user_id;
	const uint8_t (*hashes)[STORE_CODE_HASH];
	size_t n;
};

static int
delete_body(struct store *st, void *arg)
{
	const int64_t *id = arg;

	sqlite3_bind_int64(st->stmt[S_TOTP_DELETE], 1, *id);
	sqlite3_bind_int64(st->stmt[S_CODES_DELETE], 1, *id);
	return sq_step(st->stmt[S_TOTP_DELETE]) == SQLITE_DONE &&
			       sq_step(st->stmt[S_CODES_DELETE]) == SQLITE_DONE
		       ? SQ_COMMIT
		       : SQ_ROLLBACK;
}

int
store_totp_delete(struct store *st, int64_t user_id, struct audit_rec *ev)
{
	return sq_transaction(st, delete_body, &user_id, ev);
}

static int
codes_body(struct store *st, void *arg)
{
	const struct codes_args *c = arg;
	sqlite3_stmt *add = st->stmt[S_CODES_ADD];

	sqlite3_bind_int64(st->stmt[S_CODES_DELETE], 1, c->user_id);
	if (sq_step(st->stmt[S_CODES_DELETE]) != SQLITE_DONE)
		return SQ_ROLLBACK;
	for (size_t i = 0; i < c->n; i++) {
		sqlite3_bind_int64(add, 1, c->user_id);
		sqlite3_bind_blob(add, 2, c->hashes[i], STORE_CODE_HASH,
				  SQLITE_STATIC);
		if (sq_step(add) != SQLITE_DONE)
			return SQ_ROLLBACK;
	}
	return SQ_COMMIT;
}

int
store_codes_set(struct store *st, int64_t user_id,
		const uint8_t (*hashes)[STORE_CODE_HASH], size_t n,
		struct audit_rec *ev)
{
	struct codes_args c = { user_id, hashes, n };

	return sq_transaction(st, codes_body, &c, ev);
}

int
store_codes_use(struct store *st, int64_t user_id,
		const uint8_t hash[STORE_CODE_HASH], struct audit_rec *ev)
{
	struct one_write w = { .which = S_CODES_USE, .user_id = user_id,
			       .blob = hash, .blob_len = STORE_CODE_HASH };

	return write_user_row(st, &w, STORE_NOT_FOUND, ev);
}

int
store_codes_left(struct store *st, int64_t user_id, uint32_t *n)
{
	sqlite3_stmt *s;
	struct store *rs;
	int rc;

	*n = 0;
	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_CODES_LEFT];
	sqlite3_bind_int64(s, 1, user_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = (uint32_t)sqlite3_column_int64(s, 0);
	sq_release(rs, s);
	return rc == SQLITE_ROW ? STORE_OK : STORE_ERROR;
}

/* A value of another length than ours (a row written by hand) reads as
 * all zeros, which no key's check value is but by a 2^-256 chance: it
 * does not match. */
void
sq_key_check_copy(uint8_t *have, sqlite3_stmt *s, int col)
{
	memset(have, 0, STORE_KEY_CHECK_LEN);
	if (sqlite3_column_bytes(s, col) == STORE_KEY_CHECK_LEN)
		memcpy(have, sqlite3_column_blob(s, col), STORE_KEY_CHECK_LEN);
}

struct key_check {
	const uint8_t *value;
	uint8_t *have;
	int recorded;
};

/* Reads the value on record; records ours if there is none. */
static int
key_check_body(struct store *st, void *arg)
{
	struct key_check *k = arg;
	sqlite3_stmt *get = st->stmt[S_KEY_CHECK_GET];
	sqlite3_stmt *add = st->stmt[S_KEY_CHECK_ADD];
	int rc = sqlite3_step(get);

	if (rc == SQLITE_ROW)
		sq_key_check_copy(k->have, get, 0);
	sq_note_failure(st->db, rc);
	sqlite3_reset(get);
	if (rc == SQLITE_ROW)
		return SQ_COMMIT_UNRECORDED;
	if (rc != SQLITE_DONE)
		return SQ_ROLLBACK;
	sqlite3_bind_blob(add, 1, k->value, STORE_KEY_CHECK_LEN,
			  SQLITE_STATIC);
	if (sq_step(add) != SQLITE_DONE)
		return SQ_ROLLBACK;
	memcpy(k->have, k->value, STORE_KEY_CHECK_LEN);
	k->recorded = 1;
	return SQ_COMMIT;
}

int
store_key_check(struct store *st, const uint8_t value[STORE_KEY_CHECK_LEN],
		uint8_t have[STORE_KEY_CHECK_LEN], int *recorded,
		struct audit_rec *ev)
{
	struct key_check k = { value, have, 0 };
	int rc = sq_transaction(st, key_check_body, &k, ev);

	*recorded = rc == STORE_OK && k.recorded;
	return rc;
}
