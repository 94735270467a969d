/*
 * store_sqlite_audit.c - the SQLite backend of the audit trail: appending
 * a record inside the transaction being committed, walking the chain, and
 * queries.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "sealkey.h"
#include "store.h"
#include "store_sqlite.h"

static const uint8_t zero_hash[AUDIT_HASH_LEN];

/* The last record's id and hash (0 and zeros for an empty trail). */
static int
chain_end(struct store *st, int64_t *id, uint8_t hash[AUDIT_HASH_LEN])
{
	sqlite3_stmt *s = st->stmt[S_AUDIT_LAST];
	int rc = sqlite3_step(s);

	*id = 0;
	memcpy(hash, zero_hash, AUDIT_HASH_LEN);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) == AUDIT_HASH_LEN)
			memcpy(hash, sqlite3_column_blob(s, 1),
			       AUDIT_HASH_LEN);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* Seals r (its id and hash set) with the key of its position, inside
 * the open transaction: the transaction's copy of the key moves past it,
 * and becomes the store's at commit (sq_commit); 0, or -1. */
static struct audit_key *
txn_key(struct store *st)
{
	if (!st->seal_txn_used) {
		st->seal_txn = st->seal_next;
		st->seal_txn_used = 1;
	}
	return &st->seal_txn;
}

/* Epochs never go back along a sealed trail: a record dated before the
 * key's minute (a clock stepped back) is dated at its start. */
static void
seal_date(struct store *st, struct audit_rec *r)
{
	uint64_t start;

	if (!st->seal_on)
		return;
	start = audit_key_epoch_start(txn_key(st));
	if (r->time < 0 || (uint64_t)r->time < start)
		r->time = (int64_t)start;
}

static int
seal(struct store *st, struct audit_rec *r)
{
	r->sealed = 0;
	if (!st->seal_on)
		return 0;
	if (r->id < 1 || audit_key_seek(txn_key(st), (uint64_t)r->id) != 0 ||
	    audit_key_seek_time(&st->seal_txn, (uint64_t)r->time) != 0)
		return -1;	/* a position behind the key: never reused */
	audit_key_seal(&st->seal_txn, r->hash, r->seal);
	r->sealed = 1;
	return audit_key_seek(&st->seal_txn, (uint64_t)r->id + 1);
}

int
sq_audit_add(struct store *st, struct audit_rec *r)
{
	sqlite3_stmt *s = st->stmt[S_AUDIT_ADD];
	uint8_t prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
	const char *text[] = { r->event, r->actor, r->user, r->host,
			       r->service, r->tty, r->result, r->reason };
	int64_t last;

	if (chain_end(st, &last, prev) != 0)
		return -1;
	r->id = last + 1;
	if (r->time == 0)
		r->time = time(NULL);
	seal_date(st, r);
	store_record_hash(prev, r, hash);
	memcpy(r->prev, prev, AUDIT_HASH_LEN);
	memcpy(r->hash, hash, AUDIT_HASH_LEN);
	if (seal(st, r) != 0)
		return -1;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_int64(s, 2, r->time);
	sqlite3_bind_int64(s, 4, r->actor_uid);
	for (int i = 0, col = 3; i < 8; i++, col++) {
		if (col == 4)
			col++;	/* actor_uid, bound above */
		sqlite3_bind_text(s, col, or_empty(text[i]), -1,
				  SQLITE_STATIC);
	}
	sqlite3_bind_blob(s, 12, prev, AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 13, hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	if (r->sealed)
		sqlite3_bind_blob(s, 14, r->seal, AUDIT_HASH_LEN,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 14);
	if (sq_step(s) != SQLITE_DONE)
		return -1;
	r->committed = 1;	/* if the transaction commits */
	return 0;
}

struct append_args {
	struct audit_rec *const *recs;
	size_t n;
};

static int
append_body(struct store *st, void *arg)
{
	const struct append_args *x = arg;

	for (size_t i = 0; i < x->n; i++)
		if (sq_audit_add(st, x->recs[i]) != 0)
			return SQ_ROLLBACK;
	return SQ_COMMIT;
}

int
store_audit_append(struct store *st, struct audit_rec *const *recs, size_t n)
{
	struct append_args x = { recs, n };
	int rc = sq_transaction(st, append_body, &x, NULL);

	if (rc != STORE_OK)
		for (size_t i = 0; i < n; i++)
			recs[i]->committed = 0;
	return rc;
}

/* A row as a record (pointers into the statement, valid until the next
 * step), with its prev, hash and seal. */
static void
read_row(sqlite3_stmt *s, struct audit_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->time = sqlite3_column_int64(s, 1);
	r->event = (const char *)sqlite3_column_text(s, 2);
	r->actor_uid = sqlite3_column_int64(s, 3);
	sq_copy_text(r->actor, sizeof(r->actor), s, 4);
	r->user = (const char *)sqlite3_column_text(s, 5);
	r->host = (const char *)sqlite3_column_text(s, 6);
	r->service = (const char *)sqlite3_column_text(s, 7);
	r->tty = (const char *)sqlite3_column_text(s, 8);
	r->result = (const char *)sqlite3_column_text(s, 9);
	r->reason = (const char *)sqlite3_column_text(s, 10);
	memset(r->prev, 0xff, AUDIT_HASH_LEN);
	memset(r->hash, 0xff, AUDIT_HASH_LEN);
	if (sqlite3_column_bytes(s, 11) == AUDIT_HASH_LEN)
		memcpy(r->prev, sqlite3_column_blob(s, 11), AUDIT_HASH_LEN);
	if (sqlite3_column_bytes(s, 12) == AUDIT_HASH_LEN)
		memcpy(r->hash, sqlite3_column_blob(s, 12), AUDIT_HASH_LEN);
	r->sealed = sqlite3_column_bytes(s, 13) == AUDIT_HASH_LEN;
	if (r->sealed)
		memcpy(r->seal, sqlite3_column_blob(s, 13), AUDIT_HASH_LEN);
}

/* Where the chain starts: after the checkpoint a purge left (its id,
 * hash and seal in cp), else at the beginning (id 0, zeros). */
static void
chain_start(struct store *st, struct audit_rec *cp)
{
	sqlite3_stmt *s = st->stmt[S_AUDIT_CHECKPOINT];

	memset(cp, 0, sizeof(*cp));
	if (sqlite3_step(s) == SQLITE_ROW) {
		cp->id = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) == AUDIT_HASH_LEN)
			memcpy(cp->hash, sqlite3_column_blob(s, 1),
			       AUDIT_HASH_LEN);
		cp->sealed = sqlite3_column_bytes(s, 2) == AUDIT_HASH_LEN;
		if (cp->sealed)
			memcpy(cp->seal, sqlite3_column_blob(s, 2),
			       AUDIT_HASH_LEN);
		cp->time = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
}

int
store_audit_first_sealed(struct store *st, int64_t *id)
{
	struct store *rs;
	sqlite3_stmt *s;
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_AUDIT_FIRST_SEALED];
	rc = sqlite3_step(s);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sq_release(rs, s);
	return rc == SQLITE_ROW ? STORE_OK : STORE_ERROR;
}

int
store_audit_next_id(struct store *st, int64_t *id)
{
	uint8_t head[AUDIT_HASH_LEN];
	struct store *rs;
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	rc = chain_end(rs, id, head);
	pthread_mutex_unlock(&rs->lock);
	(*id)++;
	return rc == 0 ? STORE_OK : STORE_ERROR;
}

int
store_audit_checkpoint(struct store *st, struct audit_rec *cp)
{
	struct store *rs;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	chain_start(rs, cp);
	pthread_mutex_unlock(&rs->lock);
	return STORE_OK;
}

int
store_audit_verify(struct store *st, uint64_t *count, int64_t *bad_id)
{
	sqlite3_stmt *s;
	struct store *rs;
	uint8_t again[AUDIT_HASH_LEN];
	struct audit_rec r, cp;
	int64_t last_id;
	int rc;

	*count = 0;
	*bad_id = 0;
	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_AUDIT_ALL];
	chain_start(rs, &cp);
	last_id = cp.id;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_row(s, &r);
		store_record_hash(r.prev, &r, again);
		/* Ids follow one by one; an edited file may put INT64_MAX in
		 * the checkpoint or a row, after which none can follow. */
		if (last_id == INT64_MAX || r.id != last_id + 1 ||
		    memcmp(r.prev, cp.hash, AUDIT_HASH_LEN) ||
		    memcmp(r.hash, again, AUDIT_HASH_LEN)) {
			*bad_id = r.id;
			rc = SQLITE_DONE;
			break;
		}
		memcpy(cp.hash, r.hash, AUDIT_HASH_LEN);
		last_id = r.id;
		(*count)++;
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&rs->lock);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

int
store_audit_query(struct store *st, const struct audit_query *q,
		  store_audit_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct store *rs;
	struct audit_rec r;
	int rc;

	if ((rs = sq_reader(st)) == NULL)
		return STORE_ERROR;
	s = rs->stmt[S_AUDIT_QUERY];
	sqlite3_bind_text(s, 1, q->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, q->event, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, q->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, q->since);
	sqlite3_bind_int64(s, 5, q->until);
	sqlite3_bind_int64(s, 6, q->after_id);
	sqlite3_bind_int64(s, 7, q->limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_row(s, &r);
		if (cb(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sq_release(rs, s);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

struct purge_args {
	int64_t before;
	uint64_t purged;
};

static int
purge_body(struct store *st, void *arg)
{
	struct purge_args *p = arg;
	sqlite3_stmt *end = st->stmt[S_AUDIT_OLD_END];
	sqlite3_stmt *cp = st->stmt[S_AUDIT_SET_CHECKPOINT];
	sqlite3_stmt *del = st->stmt[S_AUDIT_PURGE];
	uint8_t hash[AUDIT_HASH_LEN], sealed[AUDIT_HASH_LEN];
	int64_t last, when = 0;
	int rc, has_seal = 0;

	sqlite3_bind_int64(end, 1, p->before);
	rc = sqlite3_step(end);
	if (rc == SQLITE_ROW) {
		last = sqlite3_column_int64(end, 0);
		memset(hash, 0, sizeof(hash));
		if (sqlite3_column_bytes(end, 1) == AUDIT_HASH_LEN)
			memcpy(hash, sqlite3_column_blob(end, 1),
			       AUDIT_HASH_LEN);
		/* The checkpoint keeps the seal of the record it stands
		 * for, so that it is proven like the records after it. */
		has_seal = sqlite3_column_bytes(end, 2) == AUDIT_HASH_LEN;
		if (has_seal)
			memcpy(sealed, sqlite3_column_blob(end, 2),
			       AUDIT_HASH_LEN);
		when = sqlite3_column_int64(end, 3);
	}
	sqlite3_reset(end);
	sqlite3_clear_bindings(end);
	if (rc == SQLITE_DONE)
		return SQ_COMMIT_UNRECORDED;	/* nothing that old */
	if (rc != SQLITE_ROW)
		return SQ_ROLLBACK;
	sqlite3_bind_int64(cp, 1, last);
	sqlite3_bind_blob(cp, 2, hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	if (has_seal)
		sqlite3_bind_blob(cp, 3, sealed, AUDIT_HASH_LEN,
				  SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(cp, 3);
	sqlite3_bind_int64(cp, 4, when);
	sqlite3_bind_int64(del, 1, last);
	if (sq_step(cp) != SQLITE_DONE || sq_step(del) != SQLITE_DONE)
		return SQ_ROLLBACK;
	p->purged = (uint64_t)sqlite3_changes(st->db);
	return SQ_COMMIT;
}

int
store_audit_purge(struct store *st, int64_t before, uint64_t *purged,
		  struct audit_rec *ev)
{
	struct purge_args p = { before, 0 };
	int rc = sq_transaction(st, purge_body, &p, ev);

	*purged = p.purged;
	return rc;
}

/* The records from key's position on, each sealed with its position's
 * key; key ends after the last.  0, or -1 with why in err. */
static int
seals_hold(struct store *st, struct audit_key *key, char *err, size_t errsz)
{
	sqlite3_stmt *s = st->stmt[S_AUDIT_FROM];
	int rc;

	sqlite3_bind_int64(s, 1, (int64_t)key->pos);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		int64_t t = sqlite3_column_int64(s, 3);

		if (id < 1 || (uint64_t)id != key->pos || t < 0 ||
		    audit_key_seek_time(key, (uint64_t)t) != 0 ||
		    sqlite3_column_bytes(s, 1) != AUDIT_HASH_LEN ||
		    sqlite3_column_bytes(s, 2) != AUDIT_HASH_LEN ||
		    !audit_key_check(key, sqlite3_column_blob(s, 1),
				     sqlite3_column_blob(s, 2))) {
			snprintf(err, errsz, "audit record %lld: not sealed "
				 "with the key of its position: the trail was "
				 "changed (policyctl audit verify --key)",
				 (long long)id);
			break;
		}
		audit_key_seek(key, key->pos + 1);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		snprintf(err, errsz, "the audit trail: %s",
			 sqlite3_errmsg(st->db));
	return -1;
}

int
store_seal_start(struct store *st, const struct audit_key *key, int key_fd,
		 char *err, size_t errsz)
{
	struct audit_key k = *key;
	uint8_t head[AUDIT_HASH_LEN];
	int64_t last;
	int rc = STORE_ERROR;

	if (sq_lock(st) != 0) {
		snprintf(err, errsz, "the store failed");
		return STORE_ERROR;
	}
	if (chain_end(st, &last, head) != 0) {
		snprintf(err, errsz, "the audit trail: %s",
			 sqlite3_errmsg(st->db));
	} else if (k.pos > (uint64_t)last + 1) {
		snprintf(err, errsz, "the audit seal's key is at record %llu, "
			 "but the trail ends at record %lld: records were "
			 "removed from its end", (unsigned long long)k.pos,
			 (long long)last);
	} else if (seals_hold(st, &k, err, errsz) == 0) {
		/* A key file that lagged behind durable records (a crash)
		 * catches up now. */
		if (k.pos != key->pos && sealkey_save(key_fd, &k) != 0) {
			snprintf(err, errsz, "the audit seal's key file: %s",
				 strerror(errno));
		} else {
			st->seal_on = 1;
			st->seal_fd = key_fd;
			st->seal_next = st->seal_disk = k;
			pthread_mutex_lock(&st->sync_lock);
			st->last.seal_next = st->durable.seal_next = k.pos;
			st->last.seal_epoch = st->durable.seal_epoch = k.epoch;
			pthread_mutex_unlock(&st->sync_lock);
			rc = STORE_OK;
		}
	}
	audit_key_wipe(&k);
	pthread_mutex_unlock(&st->lock);
	return rc;
}
