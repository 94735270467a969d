/*
 * fuzz_audit.c - fuzz target for the audit record readers: how policyd
 * turns audit rows into a reply, and how policyctl reads that reply (and
 * its other listings) back.
 *
 * Two modes, by bit ROWS of the first byte.
 *
 * ROWS: the input is audit rows as a store could hand them back (any
 * text, NULL columns, any numbers).  admin_audit_query (compiled in,
 * over a stub store that yields those rows) writes its reply as the
 * daemon would; the reply must be well-formed, must hold the rows in
 * order with their values when they fit the protocol's limits, and is
 * then read by policyctl's audit printer.
 *
 * Otherwise: the input is replies (2-byte big-endian length, bytes), and
 * the low 3 bits pick the policyctl reader they go to: audit (table or
 * one JSON array), the JSON export, audit verify, user list, user show,
 * locks, stats (bit ALT: JSON, or Prometheus for stats).  A stub call()
 * hands one reply per exchange, as client_call leaves it.
 *
 * Standard output goes to /dev/null.  Any disagreement traps.
 *
 * Built with -DPOLICYD_LIBFUZZER for libFuzzer; otherwise linked with
 * fuzz_main.c, which replays files.
 */
#include "../policyd/admin_audit.c"

#include <stdarg.h>
#include <stdlib.h>

#include "ctl.h"
#include "jsonout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 64
#define MAX_REPLIES 8
#define ALT 0x08
#define ROWS 0x10
#define NO_TEXT 0xffff	/* a NULL column */

struct row {
	struct audit_rec r;
	size_t len[8];	/* of each text, as stored (NULL: 0) */
};

static struct {
	struct row rows[MAX_ROWS];
	size_t nrows;
	const uint8_t *reply[MAX_REPLIES];
	size_t reply_len[MAX_REPLIES];
	size_t nreplies, next;
	uint8_t arena[1 << 20];	/* the rows' texts */
	size_t used;
	struct ctl ctl;
	uint8_t out[PROTO_MAX_FRAME];
} fz;

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* The daemon's side: what admin_audit.c needs from below. */
void
log_msg(int prio, const char *func, const char *fmt, ...)
{
	(void)prio;
	(void)func;
	(void)fmt;
}

int
audit_now(struct store *st, struct audit_rec *rec)
{
	(void)st;
	(void)rec;
	return 0;
}

int
store_audit_purge(struct store *st, int64_t before, uint64_t *purged,
		  struct audit_rec *ev)
{
	(void)st;
	(void)before;
	(void)ev;
	*purged = 0;
	return STORE_OK;
}

int
store_audit_verify(struct store *st, uint64_t *count, int64_t *bad_id)
{
	(void)st;
	*count = fz.nrows;
	*bad_id = fz.nrows > 0 ? fz.rows[0].r.id : 0;
	return STORE_OK;
}

int
store_audit_checkpoint(struct store *st, struct audit_rec *cp)
{
	(void)st;
	memset(cp, 0, sizeof(*cp));
	if (fz.nrows > 0 && fz.rows[0].r.id > 1)
		cp->id = fz.rows[0].r.id - 1;
	return STORE_OK;
}

int
store_audit_query(struct store *st, const struct audit_query *q,
		  store_audit_cb cb, void *arg)
{
	(void)st;
	(void)q;
	for (size_t i = 0; i < fz.nrows; i++)
		if (cb(&fz.rows[i].r, arg) != 0)
			break;
	return STORE_OK;
}

/* policyctl's side: what audit.c and show.c need from policyctl.c. */
int
refused(const struct ctl *c, const char *what)
{
	struct wreader r = c->msg.fields;
	struct wfield f;
	uint32_t reason;

	(void)what;
	while (wire_next(&r, &f) == 1)
		if (f.tag == PROTO_T_REASON)
			(void)wire_u32(&f, &reason);
	return EXIT_REFUSED;
}

/* The usage texts live in policyctl.c with its command table; the
 * readers here only ever get well-formed arguments. */
int
usage_of(const char *words, FILE *fp)
{
	(void)words;
	(void)fp;
	return 0;
}

int
usage_error(const char *words, const char *fmt, ...)
{
	(void)words;
	(void)fmt;
	return -1;
}

/* No key is read here: the readers under test get none. */
int
read_line(FILE *fp, char *buf, size_t size)
{
	(void)fp;
	(void)buf;
	(void)size;
	return -1;
}

int
read_stdin_secret(char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return -1;
}

/* One exchange: the next reply, parsed as client_call leaves it. */
int
call(struct ctl *c, uint8_t type, const char *user, const char *pw,
     const char *after, const char *rhost)
{
	size_t n;

	(void)type;
	(void)user;
	(void)pw;
	(void)after;
	(void)rhost;
	if (fz.next >= fz.nreplies)
		return EXIT_USAGE;
	n = fz.reply_len[fz.next];
	memcpy(c->reply, fz.reply[fz.next++], n);
	if (wire_parse(c->reply, n, 1, &c->msg) != 0 ||
	    c->msg.status > PROTO_STATUS_MAX)
		return EXIT_USAGE;
	return 0;
}

/* Reads n bytes at *p, advancing; NULL if the input ran out. */
static const uint8_t *
take(const uint8_t **p, const uint8_t *end, size_t n)
{
	const uint8_t *at = *p;

	if ((size_t)(end - at) < n)
		return NULL;
	*p += n;
	return at;
}

static uint64_t
be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* One text column: 2-byte length (NO_TEXT for NULL), then the bytes;
 * stored NUL-terminated, as sqlite3_column_text gives it. */
static int
take_text(const uint8_t **p, const uint8_t *end, const char **s,
	  size_t *len)
{
	const uint8_t *b = take(p, end, 2), *v;
	size_t n;

	if (b == NULL)
		return -1;
	n = (size_t)b[0] << 8 | b[1];
	*s = NULL;
	*len = 0;
	if (n == NO_TEXT)
		return 0;
	if (n > (size_t)(end - *p))
		n = (size_t)(end - *p);
	v = take(p, end, n);
	if (v == NULL || fz.used + n + 1 > sizeof(fz.arena))
		return -1;
	memcpy(fz.arena + fz.used, v, n);
	fz.arena[fz.used + n] = '\0';
	*s = (const char *)fz.arena + fz.used;
	*len = strlen(*s);
	fz.used += n + 1;
	return 0;
}

/* A row: id, time, actor_uid (8 bytes each), then eight texts in the
 * order event, actor, user, host, service, tty, result, reason. */
static int
take_row(const uint8_t **p, const uint8_t *end, struct row *w)
{
	const uint8_t *nums = take(p, end, 24);
	const char **text[8] = { &w->r.event, NULL, &w->r.user, &w->r.host,
				 &w->r.service, &w->r.tty, &w->r.result,
				 &w->r.reason };
	const char *actor;

	if (nums == NULL)
		return -1;
	memset(w, 0, sizeof(*w));
	w->r.id = (int64_t)be64(nums);
	w->r.time = (int64_t)be64(nums + 8);
	w->r.actor_uid = (int64_t)be64(nums + 16);
	for (int i = 0; i < 8; i++) {
		if (take_text(p, end, i == 1 ? &actor : text[i],
			      &w->len[i]) != 0)
			return -1;
	}
	/* The actor is copied into the record, as sq_copy_text does. */
	snprintf(w->r.actor, sizeof(w->r.actor), "%s", actor ? actor : "");
	w->len[1] = strlen(w->r.actor);
	return 0;
}

static int
row_fits(const struct row *w)
{
	for (int i = 0; i < 8; i++)
		if (w->len[i] > PROTO_MAX_TEXT)
			return 0;
	return 1;
}

static void
check_text(const struct wfield *rec, uint8_t tag, const char *want)
{
	char got[PROTO_MAX_TEXT + 1];
	struct wfield f;

	check(wire_find_in(rec, tag, &f) == 0);
	check(wire_str(&f, got, sizeof(got)) == 0);
	check(strcmp(got, want != NULL ? want : "") == 0);
}

/* The reply holds the rows it took, in order, each as written. */
static size_t
check_records(const struct wmsg *m)
{
	struct wreader r = m->fields;
	struct wfield rec, f;
	uint64_t v;
	size_t i = 0;

	while (wire_next(&r, &rec) == 1) {
		const struct audit_rec *a;

		if (rec.tag == PROTO_T_MORE)
			continue;
		check(rec.tag == PROTO_T_RECORD && i < fz.nrows);
		a = &fz.rows[i].r;
		check(wire_find_in(&rec, PROTO_T_ID, &f) == 0 &&
		      wire_u64(&f, &v) == 0 && v == (uint64_t)a->id);
		check(wire_find_in(&rec, PROTO_T_TIME, &f) == 0 &&
		      wire_u64(&f, &v) == 0 && v == (uint64_t)a->time);
		check(wire_find_in(&rec, PROTO_T_ACTOR_UID, &f) == 0 &&
		      wire_u64(&f, &v) == 0 && v == (uint64_t)a->actor_uid);
		check_text(&rec, PROTO_T_EVENT, a->event);
		check_text(&rec, PROTO_T_ACTOR, a->actor);
		check_text(&rec, PROTO_T_USER, a->user);
		check_text(&rec, PROTO_T_RHOST, a->host);
		check_text(&rec, PROTO_T_SERVICE, a->service);
		check_text(&rec, PROTO_T_TTY, a->tty);
		check_text(&rec, PROTO_T_RESULT, a->result);
		check_text(&rec, PROTO_T_REASON, a->reason);
		i++;
	}
	return i;
}

/* The daemon's query over the rows; its reply becomes the one reply
 * policyctl reads. */
static void
run_rows(const uint8_t *p, const uint8_t *end, int json)
{
	static const uint8_t req[] = { PROTO_VERSION, PROTO_AUDIT_QUERY,
				       0, 0, 0, 1 };
	struct request rq;
	struct daemon d;
	struct wwriter w;
	struct wmsg in, m;
	int all_fit = 1, status;
	char *argv[] = { "policyctl audit", "--json", NULL };

	while (fz.nrows < MAX_ROWS && take_row(&p, end, &fz.rows[fz.nrows])
	       == 0)
		all_fit &= row_fits(&fz.rows[fz.nrows++]);
	check(wire_parse(req, sizeof(req), 0, &in) == 0);
	memset(&rq, 0, sizeof(rq));
	memset(&d, 0, sizeof(d));
	rq.d = &d;
	rq.msg = &in;
	rq.out = &w;
	ww_init(&w, fz.out, sizeof(fz.out));
	wire_begin_reply(&w, PROTO_AUDIT_QUERY | PROTO_REPLY, 1, PROTO_OK);
	status = admin_audit_query(&rq);
	check(status == PROTO_OK);
	/* Rows within the protocol's limits always make a good reply. */
	check(!all_fit || !ww_failed(&w));
	if (ww_failed(&w))
		return;
	check(wire_parse(fz.out, w.len, 1, &m) == 0);
	if (all_fit)
		check(check_records(&m) > 0 || fz.nrows == 0);
	fz.reply[0] = fz.out;
	fz.reply_len[0] = w.len;
	fz.nreplies = 1;
	run_audit(&fz.ctl, 1 + json, argv);
}

static void
split(const uint8_t *p, const uint8_t *end)
{
	while (fz.nreplies < MAX_REPLIES && end - p >= 2) {
		size_t n = (size_t)p[0] << 8 | p[1];

		p += 2;
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		fz.reply[fz.nreplies] = p;
		fz.reply_len[fz.nreplies++] = n;
		p += n;
	}
}

/* The policyctl reader the control byte picks. */
static void
run_replies(uint8_t control)
{
	struct ctl *c = &fz.ctl;
	char *json[] = { "policyctl audit", "--json", NULL };
	char *verify[] = { "policyctl audit verify", NULL };
	int alt = (control & ALT) != 0;

	c->json = alt;
	switch (control & 7) {
	case 0:
		run_audit(c, 1 + alt, json);
		break;
	case 1:
	{
		json_t *arr = json_array();

		if (export_audit(c, "alice", arr) == 0)
			jprint(arr);
		else
			json_decref(arr);
		break;
	}
	case 2:
		run_verify(c, 1, verify);
		break;
	case 3:
		cmd_list(c);
		break;
	case 4:
		cmd_show(c, "alice");
		break;
	case 5:
		cmd_locks(c);
		break;
	default:
		cmd_stats(c, alt, NULL);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;

	if (!quiet) {
		quiet = 1;
		check(freopen("/dev/null", "w", stdout) != NULL);
	}
	if (size < 1)
		return 0;
	memset(&fz.ctl, 0, offsetof(struct ctl, reply));
	fz.ctl.verb = "audit";
	fz.nrows = fz.nreplies = fz.next = fz.used = 0;
	if (data[0] & ROWS)
		run_rows(data + 1, data + size, (data[0] & ALT) != 0);
	else {
		split(data + 1, data + size);
		run_replies(data[0]);
	}
	return 0;
}
