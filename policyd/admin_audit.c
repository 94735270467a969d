/*
 * admin_audit.c - reading the audit trail on admin.sock: a query with
 * filters (paged through the frame limit), and a walk of the whole chain.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "dispatch.h"
#include "log.h"

/* Room one record may take in a reply, with the trailing MORE. */
#define AUDIT_ROOM (3 + 3 * (3 + 8) + 8 * (3 + PROTO_MAX_TEXT) + \
		    3 * (3 + AUDIT_HASH_LEN) + 16)

static int
put_record(const struct audit_rec *r, void *arg)
{
	struct wwriter *w = arg;
	size_t mark;

	if (w->cap - w->len < AUDIT_ROOM)
		return 1;
	mark = wire_record_begin(w, PROTO_T_RECORD);
	wire_put_u64(w, PROTO_T_ID, (uint64_t)r->id);
	wire_put_u64(w, PROTO_T_TIME, (uint64_t)r->time);
	wire_put_str(w, PROTO_T_EVENT, r->event ? r->event : "");
	wire_put_u64(w, PROTO_T_ACTOR_UID, (uint64_t)r->actor_uid);
	wire_put_str(w, PROTO_T_ACTOR, r->actor);
	wire_put_str(w, PROTO_T_USER, r->user ? r->user : "");
	wire_put_str(w, PROTO_T_RHOST, r->host ? r->host : "");
	wire_put_str(w, PROTO_T_SERVICE, r->service ? r->service : "");
	wire_put_str(w, PROTO_T_TTY, r->tty ? r->tty : "");
	wire_put_str(w, PROTO_T_RESULT, r->result ? r->result : "");
	wire_put_str(w, PROTO_T_REASON, r->reason ? r->reason : "");
	wire_put_bytes(w, PROTO_T_PREV, r->prev, AUDIT_HASH_LEN);
	wire_put_bytes(w, PROTO_T_HASH, r->hash, AUDIT_HASH_LEN);
	if (r->sealed)
		wire_put_bytes(w, PROTO_T_SEAL, r->seal, AUDIT_HASH_LEN);
	wire_record_end(w, mark);
	return 0;
}

/* An optional u64 filter field, or def. */
static uint64_t
opt_u64(const struct request *rq, uint8_t tag, uint64_t def)
{
	struct wfield f;
	uint64_t v;

	if (wire_find(rq->msg, tag, &f) != 0 || wire_u64(&f, &v) != 0)
		return def;
	/* The store's numbers are signed: a larger one would turn round. */
	return v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v;
}

int
admin_audit_query(struct request *rq)
{
	char user[PROTO_MAX_TEXT + 1], event[PROTO_MAX_TEXT + 1];
	char host[PROTO_MAX_TEXT + 1];
	struct audit_query q;
	size_t before;

	if (wire_get_str(rq->msg, PROTO_T_USER, user, sizeof(user)) < 0 ||
	    wire_get_str(rq->msg, PROTO_T_EVENT, event, sizeof(event)) < 0 ||
	    wire_get_str(rq->msg, PROTO_T_RHOST, host, sizeof(host)) < 0)
		return -1;
	q.user = user;
	q.event = event;
	q.host = host;
	q.since = (int64_t)opt_u64(rq, PROTO_T_SINCE, 0);
	q.until = (int64_t)opt_u64(rq, PROTO_T_UNTIL, INT64_MAX);
	q.after_id = (int64_t)opt_u64(rq, PROTO_T_ID, 0);
	q.limit = (int64_t)opt_u64(rq, PROTO_T_LIMIT, 1000);
	before = rq->out->len;
	if (store_audit_query(rq->d->store, &q, put_record, rq->out) !=
	    STORE_OK)
		return PROTO_UNAVAILABLE;
	/* Stopped by a full frame: the client asks again after the last. */
	if (rq->out->cap - rq->out->len < AUDIT_ROOM &&
	    rq->out->len > before)
		wire_put_u8(rq->out, PROTO_T_MORE, 1);
	return PROTO_OK;
}

int
admin_audit_verify(struct request *rq)
{
	struct audit_rec cp;
	uint64_t count;
	int64_t bad;
	size_t mark;

	if (store_audit_verify(rq->d->store, &count, &bad) != STORE_OK ||
	    store_audit_checkpoint(rq->d->store, &cp) != STORE_OK)
		return PROTO_UNAVAILABLE;
	wire_put_u64(rq->out, PROTO_T_VALUE, count);
	/* Where a verifier of its own (policyctl audit verify --key)
	 * starts the chain. */
	mark = wire_record_begin(rq->out, PROTO_T_CHECKPOINT);
	wire_put_u64(rq->out, PROTO_T_ID, (uint64_t)cp.id);
	wire_put_bytes(rq->out, PROTO_T_HASH, cp.hash, AUDIT_HASH_LEN);
	wire_put_u64(rq->out, PROTO_T_TIME, (uint64_t)cp.time);
	if (cp.sealed)
		wire_put_bytes(rq->out, PROTO_T_SEAL, cp.seal, AUDIT_HASH_LEN);
	wire_record_end(rq->out, mark);
	if (bad != 0) {
		log_err("audit chain broken at record %lld", (long long)bad);
		wire_put_u64(rq->out, PROTO_T_ID, (uint64_t)bad);
	}
	return PROTO_OK;
}

void
audit_maintain(struct daemon *d, uint32_t retention)
{
	struct audit_rec ev;
	char why[64];
	uint64_t purged = 0;

	if (retention == 0 ||
	    store_audit_purge(d->store, (int64_t)time(NULL) - retention,
			      &purged, NULL) != STORE_OK ||
	    purged == 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.event = "audit-purge";
	ev.actor_uid = -1;
	ev.result = "ok";
	snprintf(why, sizeof(why), "%llu records past retention",
		 (unsigned long long)purged);
	ev.reason = why;
	audit_now(d->store, &ev);
	log_notice("audit: %s purged", why);
}
