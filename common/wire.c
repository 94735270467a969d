/*
 * wire.c - the bounds-checked codec for the policyd protocol; see wire.h.
 *
 * Every read checks the remaining length before it touches a byte, and
 * wire_parse walks all fields once, so a handler that receives a message
 * knows its field lengths are consistent with the buffer.
 */
#include <string.h>

#include "proto.h"
#include "wire.h"

void
wr_init(struct wreader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

size_t
wr_left(const struct wreader *r)
{
	return r->len - r->off;
}

int
wr_get_bytes(struct wreader *r, size_t n, const uint8_t **v)
{
	if (n > wr_left(r))
		return -1;
	*v = r->p + r->off;
	r->off += n;
	return 0;
}

/* Reads an n-byte big-endian unsigned integer. */
static int
get_be(struct wreader *r, size_t n, uint64_t *v)
{
	const uint8_t *b;
	uint64_t x = 0;

	if (wr_get_bytes(r, n, &b) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		x = (x << 8) | b[i];
	*v = x;
	return 0;
}

int
wr_get_u8(struct wreader *r, uint8_t *v)
{
	uint64_t x;

	if (get_be(r, 1, &x) != 0)
		return -1;
	*v = (uint8_t)x;
	return 0;
}

int
wr_get_u16(struct wreader *r, uint16_t *v)
{
	uint64_t x;

	if (get_be(r, 2, &x) != 0)
		return -1;
	*v = (uint16_t)x;
	return 0;
}

int
wr_get_u32(struct wreader *r, uint32_t *v)
{
	uint64_t x;

	if (get_be(r, 4, &x) != 0)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int
wr_get_u64(struct wreader *r, uint64_t *v)
{
	return get_be(r, 8, v);
}

void
ww_init(struct wwriter *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->failed = 0;
}

void
ww_put_bytes(struct wwriter *w, const void *p, size_t n)
{
	if (w->failed || n > w->cap - w->len) {
		w->failed = 1;
		return;
	}
	if (n > 0)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
put_be(struct wwriter *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	ww_put_bytes(w, b, n);
}

void
ww_put_u8(struct wwriter *w, uint8_t v)
{
	put_be(w, v, 1);
}

void
ww_put_u16(struct wwriter *w, uint16_t v)
{
	put_be(w, v, 2);
}

void
ww_put_u32(struct wwriter *w, uint32_t v)
{
	put_be(w, v, 4);
}

void
ww_put_u64(struct wwriter *w, uint64_t v)
{
	put_be(w, v, 8);
}

int
ww_failed(const struct wwriter *w)
{
	return w->failed;
}

void
wire_begin_request(struct wwriter *w, uint8_t type, uint32_t id)
{
	ww_put_u8(w, PROTO_VERSION);
	ww_put_u8(w, type);
	ww_put_u32(w, id);
}

void
wire_begin_reply(struct wwriter *w, uint8_t type, uint32_t id, uint8_t status)
{
	ww_put_u8(w, PROTO_VERSION);
	ww_put_u8(w, type | PROTO_REPLY);
	ww_put_u32(w, id);
	ww_put_u8(w, status);
}

void
wire_set_status(struct wwriter *w, uint8_t status)
{
	if (w->len > PROTO_HEADER_LEN)
		w->buf[PROTO_HEADER_LEN] = status;
}

void
wire_reset_reply(struct wwriter *w, uint8_t status)
{
	if (w->cap < PROTO_HEADER_LEN + 1)
		return;
	w->buf[PROTO_HEADER_LEN] = status;
	w->len = PROTO_HEADER_LEN + 1;
	w->failed = 0;
}

void
wire_put_bytes(struct wwriter *w, uint8_t tag, const void *p, size_t n)
{
	if (n > UINT16_MAX) {
		w->failed = 1;
		return;
	}
	ww_put_u8(w, tag);
	ww_put_u16(w, (uint16_t)n);
	ww_put_bytes(w, p, n);
}

void
wire_put_str(struct wwriter *w, uint8_t tag, const char *s)
{
	if (s == NULL) {
		w->failed = 1;
		return;
	}
	wire_put_bytes(w, tag, s, strlen(s));
}

void
wire_put_u8(struct wwriter *w, uint8_t tag, uint8_t v)
{
	ww_put_u8(w, tag);
	ww_put_u16(w, 1);
	ww_put_u8(w, v);
}

void
wire_put_u32(struct wwriter *w, uint8_t tag, uint32_t v)
{
	ww_put_u8(w, tag);
	ww_put_u16(w, 4);
	ww_put_u32(w, v);
}

void
wire_put_u64(struct wwriter *w, uint8_t tag, uint64_t v)
{
	ww_put_u8(w, tag);
	ww_put_u16(w, 8);
	ww_put_u64(w, v);
}

size_t
wire_record_begin(struct wwriter *w, uint8_t tag)
{
	ww_put_u8(w, tag);
	ww_put_u16(w, 0);	/* patched by wire_record_end */
	return w->len;
}

void
wire_record_end(struct wwriter *w, size_t mark)
{
	size_t n;

	if (mark < 3 || mark > w->len)
		w->failed = 1;
	if (w->failed)
		return;
	n = w->len - mark;
	if (n > UINT16_MAX) {
		w->failed = 1;
		return;
	}
	w->buf[mark - 2] = (uint8_t)(n >> 8);
	w->buf[mark - 1] = (uint8_t)n;
}

int
wire_next(struct wreader *r, struct wfield *f)
{
	struct wreader save = *r;

	if (wr_left(r) == 0)
		return 0;
	if (wr_get_u8(r, &f->tag) != 0 || wr_get_u16(r, &f->len) != 0 ||
	    wr_get_bytes(r, f->len, &f->val) != 0) {
		*r = save;
		return -1;
	}
	return 1;
}

int
wire_parse(const void *p, size_t len, int reply, struct wmsg *m)
{
	struct wreader r, walk;
	struct wfield f;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > PROTO_MAX_FRAME)
		return -1;
	wr_init(&r, p, len);
	if (wr_get_u8(&r, &m->version) != 0 || wr_get_u8(&r, &m->type) != 0 ||
	    wr_get_u32(&r, &m->id) != 0)
		return -1;
	if (m->version != PROTO_VERSION)
		return -1;
	if ((reply != 0) != ((m->type & PROTO_REPLY) != 0))
		return -1;
	if (reply && wr_get_u8(&r, &m->status) != 0)
		return -1;
	wr_init(&m->fields, r.p + r.off, wr_left(&r));
	walk = m->fields;
	while ((rc = wire_next(&walk, &f)) == 1)
		;
	return rc;
}

static int
find_in(struct wreader r, uint8_t tag, struct wfield *f)
{
	int rc;

	while ((rc = wire_next(&r, f)) == 1)
		if (f->tag == tag)
			return 0;
	return -1;
}

int
wire_find(const struct wmsg *m, uint8_t tag, struct wfield *f)
{
	return find_in(m->fields, tag, f);
}

int
wire_find_in(const struct wfield *rec, uint8_t tag, struct wfield *f)
{
	struct wreader r;

	wr_init(&r, rec->val, rec->len);
	return find_in(r, tag, f);
}

int
wire_str(const struct wfield *f, char *out, size_t outsz)
{
	if (outsz == 0 || f->len >= outsz)
		return -1;
	if (f->len > 0 && memchr(f->val, '\0', f->len) != NULL)
		return -1;
	if (f->len > 0)
		memcpy(out, f->val, f->len);
	out[f->len] = '\0';
	return 0;
}

static int
field_int(const struct wfield *f, size_t width, uint64_t *v)
{
	struct wreader r;

	if (f->len != width)
		return -1;
	wr_init(&r, f->val, f->len);
	return get_be(&r, width, v);
}

int
wire_u8(const struct wfield *f, uint8_t *v)
{
	uint64_t x;

	if (field_int(f, 1, &x) != 0)
		return -1;
	*v = (uint8_t)x;
	return 0;
}

int
wire_u32(const struct wfield *f, uint32_t *v)
{
	uint64_t x;

	if (field_int(f, 4, &x) != 0)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int
wire_u64(const struct wfield *f, uint64_t *v)
{
	return field_int(f, 8, v);
}

int
wire_get_str(const struct wmsg *m, uint8_t tag, char *out, size_t outsz)
{
	struct wfield f;

	if (outsz > 0)
		out[0] = '\0';
	if (wire_find(m, tag, &f) != 0)
		return 1;
	return wire_str(&f, out, outsz) == 0 ? 0 : -1;
}

const char *
proto_status_name(int status)
{
	static const char *const names[] = {
		[PROTO_OK] = "ok",
		[PROTO_DENIED] = "denied",
		[PROTO_LOCKED] = "locked",
		[PROTO_EXPIRED] = "expired",
		[PROTO_MUST_CHANGE] = "must-change",
		[PROTO_NEED_CODE] = "need-code",
		[PROTO_POLICY] = "policy-violation",
		[PROTO_UNAVAILABLE] = "unavailable",
		[PROTO_BAD_REQUEST] = "bad-request",
		[PROTO_FORBIDDEN] = "forbidden",
		[PROTO_DISABLED] = "disabled",
		[PROTO_NOT_FOUND] = "not-found",
		[PROTO_EXISTS] = "exists",
		[PROTO_NOTHING] = "nothing-to-check",
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) ==
			       PROTO_STATUS_MAX + 1,
		       "a name for every status");

	if (status < 0 || status > PROTO_STATUS_MAX)
		return "unknown";
	return names[status];
}

const char *
proto_reason_name(int reason)
{
	static const char *const names[] = {
		[PROTO_R_NONE] = "none",
		[PROTO_R_MISSING_FIELD] = "missing-field",
		[PROTO_R_BAD_NAME] = "bad-name",
		[PROTO_R_EMPTY] = "empty",
		[PROTO_R_TOO_LONG] = "too-long",
		[PROTO_R_BAD_TEXT] = "bad-text",
		[PROTO_R_TOO_SHORT] = "too-short",
		[PROTO_R_FEW_CLASSES] = "few-classes",
		[PROTO_R_HAS_NAME] = "has-name",
		[PROTO_R_TOO_COMMON] = "too-common",
		[PROTO_R_REUSED] = "reused",
		[PROTO_R_TOO_RECENT] = "too-recent",
		[PROTO_R_BREACHED] = "breached",
		[PROTO_R_SOURCE_LOCKED] = "source-locked",
		[PROTO_R_NO_TOTP] = "no-totp",
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) == PROTO_R_MAX + 1,
		       "a name for every reason");
	if (reason < 0 || reason > PROTO_R_MAX)
		return "unknown";
	return names[reason];
}
