/*
 * test_wire.c - unit tests for the protocol codec in common/wire.c.
 *
 * Covers writer/parser round trips for requests and replies (records
 * included), the exact big-endian byte layout, wire_parse's rejection of
 * every malformed shape (short header, bad version, wrong direction,
 * overrunning field, oversized payload), the typed field getters, the
 * writer's bounds and sticky failure, the reader's cursor discipline and
 * proto_status_name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"
#include "wire.h"

#define CANARY 0xa5

/* Scratch space for the tests that need more than a stack frame. */
static uint8_t big_buf[PROTO_MAX_FRAME + 8192];
static uint8_t big_src[PROTO_MAX_FRAME + 8];
static char long_str[UINT16_MAX + 2];

/* Views len bytes at p as a field with tag 1. */
static struct wfield
mkfield(const void *p, uint16_t len)
{
	struct wfield f = { .tag = 1, .len = len, .val = p };

	return f;
}

/* Asserts that the field with tag in m is the string want. */
static void
assert_str_field(const struct wmsg *m, uint8_t tag, const char *want)
{
	struct wfield f;
	char out[128];

	assert_int_equal(wire_find(m, tag, &f), 0);
	assert_int_equal(f.tag, tag);
	assert_int_equal(f.len, strlen(want));
	assert_int_equal(wire_str(&f, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

/* Asserts that n bytes starting at p all equal CANARY. */
static void
assert_canary(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i], CANARY);
}

/* The request used by the truncation tests: three fields. */
static size_t
build_three_fields(uint8_t *buf, size_t cap, int reply)
{
	struct wwriter w;

	ww_init(&w, buf, cap);
	if (reply)
		wire_begin_reply(&w, PROTO_AUTH, 42, PROTO_OK);
	else
		wire_begin_request(&w, PROTO_AUTH, 42);
	wire_put_str(&w, PROTO_T_USER, "alice");
	wire_put_u64(&w, PROTO_T_UID, 0x0102030405060708u);
	wire_put_str(&w, PROTO_T_TTY, "pts/0");
	assert_false(ww_failed(&w));
	return w.len;
}

static void
test_request_round_trip(void **state)
{
	static const uint8_t blob[] = { 0x00, 0xff, 0x10, 0x00 };
	static const uint8_t header[] = {
		0x01, 0x02, 0xa1, 0xb2, 0xc3, 0xd4
	};
	static const uint8_t order[] = {
		PROTO_T_USER, PROTO_T_DISABLED, PROTO_T_REASON, PROTO_T_UID,
		PROTO_T_PASSWORD, PROTO_T_RECORD, PROTO_T_SERVICE
	};
	uint8_t buf[256];
	struct wwriter w;
	struct wmsg m;
	struct wfield f, rec;
	struct wreader r;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	size_t mark, i;
	char out[64];

	(void)state;
	ww_init(&w, buf, sizeof(buf));
	wire_begin_request(&w, PROTO_AUTH, 0xa1b2c3d4u);
	wire_put_str(&w, PROTO_T_USER, "alice");
	wire_put_u8(&w, PROTO_T_DISABLED, 0xfe);
	wire_put_u32(&w, PROTO_T_REASON, 0xdeadbeefu);
	wire_put_u64(&w, PROTO_T_UID, 0x0102030405060708u);
	wire_put_bytes(&w, PROTO_T_PASSWORD, blob, sizeof(blob));
	mark = wire_record_begin(&w, PROTO_T_RECORD);
	wire_put_str(&w, PROTO_T_USER, "bob");
	wire_put_u64(&w, PROTO_T_CREATED, UINT64_MAX);
	wire_record_end(&w, mark);
	wire_put_str(&w, PROTO_T_SERVICE, "sshd");
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, 6 + 8 + 4 + 7 + 11 + 7 + 3 + 6 + 11 + 7);
	assert_memory_equal(buf, header, sizeof(header));

	assert_int_equal(wire_parse(buf, w.len, 0, &m), 0);
	assert_int_equal(m.version, PROTO_VERSION);
	assert_int_equal(m.type, PROTO_AUTH);
	assert_int_equal(m.id, 0xa1b2c3d4u);
	assert_int_equal(m.status, 0);

	assert_str_field(&m, PROTO_T_USER, "alice");
	assert_str_field(&m, PROTO_T_SERVICE, "sshd");
	assert_int_equal(wire_find(&m, PROTO_T_DISABLED, &f), 0);
	assert_int_equal(wire_u8(&f, &u8), 0);
	assert_int_equal(u8, 0xfe);
	assert_int_equal(wire_find(&m, PROTO_T_REASON, &f), 0);
	assert_int_equal(wire_u32(&f, &u32), 0);
	assert_int_equal(u32, 0xdeadbeefu);
	assert_int_equal(wire_find(&m, PROTO_T_UID, &f), 0);
	assert_int_equal(wire_u64(&f, &u64), 0);
	assert_true(u64 == 0x0102030405060708u);
	assert_int_equal(wire_find(&m, PROTO_T_PASSWORD, &f), 0);
	assert_int_equal(f.len, sizeof(blob));
	assert_memory_equal(f.val, blob, sizeof(blob));
	assert_int_equal(wire_str(&f, out, sizeof(out)), -1);

	assert_int_equal(wire_find(&m, PROTO_T_RECORD, &rec), 0);
	assert_int_equal(rec.len, 6 + 11);
	assert_int_equal(wire_find_in(&rec, PROTO_T_USER, &f), 0);
	assert_int_equal(wire_str(&f, out, sizeof(out)), 0);
	assert_string_equal(out, "bob");
	assert_int_equal(wire_find_in(&rec, PROTO_T_CREATED, &f), 0);
	assert_int_equal(wire_u64(&f, &u64), 0);
	assert_true(u64 == UINT64_MAX);
	/* Record and message scopes do not leak into each other. */
	assert_int_equal(wire_find_in(&rec, PROTO_T_SERVICE, &f), -1);
	assert_int_equal(wire_find(&m, PROTO_T_CREATED, &f), -1);
	assert_int_equal(wire_find(&m, PROTO_T_TTY, &f), -1);

	/* Fields come back in order, then the end. */
	r = m.fields;
	for (i = 0; i < sizeof(order); i++) {
		assert_int_equal(wire_next(&r, &f), 1);
		assert_int_equal(f.tag, order[i]);
	}
	assert_int_equal(wire_next(&r, &f), 0);
	assert_int_equal(wr_left(&r), 0);
}

static void
test_reply_round_trip(void **state)
{
	static const uint8_t header[] = {
		0x01, 0x93, 0x00, 0x00, 0x01, 0x07, 0x0a
	};
	uint8_t buf[256];
	struct wwriter w;
	struct wmsg m;
	struct wfield f, rec;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	size_t mark;
	char out[64];

	(void)state;
	ww_init(&w, buf, sizeof(buf));
	wire_begin_reply(&w, PROTO_USER_SHOW, 0x107, PROTO_DISABLED);
	mark = wire_record_begin(&w, PROTO_T_RECORD);
	wire_put_str(&w, PROTO_T_USER, "carol");
	wire_put_u8(&w, PROTO_T_DISABLED, 1);
	wire_record_end(&w, mark);
	wire_put_u8(&w, PROTO_T_MORE, 0);
	wire_put_u32(&w, PROTO_T_REASON, PROTO_R_BAD_NAME);
	wire_put_u64(&w, PROTO_T_PW_CHANGED, 1700000000u);
	wire_put_str(&w, PROTO_T_VERSION, "1.0");
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, 7 + 3 + 8 + 4 + 4 + 7 + 11 + 6);
	assert_memory_equal(buf, header, sizeof(header));

	assert_int_equal(wire_parse(buf, w.len, 1, &m), 0);
	assert_int_equal(m.version, PROTO_VERSION);
	assert_int_equal(m.type, PROTO_USER_SHOW | PROTO_REPLY);
	assert_int_equal(m.id, 0x107);
	assert_int_equal(m.status, PROTO_DISABLED);

	assert_int_equal(wire_find(&m, PROTO_T_RECORD, &rec), 0);
	assert_int_equal(rec.len, 8 + 4);
	assert_int_equal(wire_find_in(&rec, PROTO_T_USER, &f), 0);
	assert_int_equal(wire_str(&f, out, sizeof(out)), 0);
	assert_string_equal(out, "carol");
	assert_int_equal(wire_find_in(&rec, PROTO_T_DISABLED, &f), 0);
	assert_int_equal(wire_u8(&f, &u8), 0);
	assert_int_equal(u8, 1);
	assert_int_equal(wire_find_in(&rec, PROTO_T_MORE, &f), -1);

	assert_int_equal(wire_find(&m, PROTO_T_MORE, &f), 0);
	assert_int_equal(wire_u8(&f, &u8), 0);
	assert_int_equal(u8, 0);
	assert_int_equal(wire_find(&m, PROTO_T_REASON, &f), 0);
	assert_int_equal(wire_u32(&f, &u32), 0);
	assert_int_equal(u32, PROTO_R_BAD_NAME);
	assert_int_equal(wire_find(&m, PROTO_T_PW_CHANGED, &f), 0);
	assert_int_equal(wire_u64(&f, &u64), 0);
	assert_true(u64 == 1700000000u);
	assert_str_field(&m, PROTO_T_VERSION, "1.0");
	assert_int_equal(wire_find(&m, PROTO_T_USER, &f), -1);
}

static void
test_request_byte_layout(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x10, 0x01, 0x02, 0x03, 0x04,		/* header */
		0x01, 0x00, 0x02, 'a', 'b',			/* user */
		0x09, 0x00, 0x01, 0x7f,				/* more */
		0x06, 0x00, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,	/* reason */
		0x0a, 0x00, 0x08, 0x11, 0x22, 0x33, 0x44,	/* uid */
		0x55, 0x66, 0x77, 0x88,
		0x07, 0x00, 0x08,				/* record */
		0x01, 0x00, 0x01, 'z',
		0x0b, 0x00, 0x01, 0x01,
		0x02, 0x00, 0x00,				/* empty */
	};
	uint8_t buf[128];
	struct wwriter w;
	size_t mark;

	(void)state;
	ww_init(&w, buf, sizeof(buf));
	wire_begin_request(&w, PROTO_USER_ADD, 0x01020304u);
	wire_put_str(&w, PROTO_T_USER, "ab");
	wire_put_u8(&w, PROTO_T_MORE, 0x7f);
	wire_put_u32(&w, PROTO_T_REASON, 0x0a0b0c0du);
	wire_put_u64(&w, PROTO_T_UID, 0x1122334455667788u);
	mark = wire_record_begin(&w, PROTO_T_RECORD);
	wire_put_str(&w, PROTO_T_USER, "z");
	wire_put_u8(&w, PROTO_T_DISABLED, 1);
	wire_record_end(&w, mark);
	wire_put_str(&w, PROTO_T_PASSWORD, "");
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void
test_reply_byte_layout(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x83, 0xff, 0xee, 0xdd, 0xcc, 0x05,
		0x06, 0x00, 0x04, 0x80, 0x00, 0x00, 0x01,
	};
	uint8_t buf[64];
	struct wwriter w;

	(void)state;
	ww_init(&w, buf, sizeof(buf));
	wire_begin_reply(&w, PROTO_ACCT, 0xffeeddccu, PROTO_NEED_CODE);
	wire_put_u32(&w, PROTO_T_REASON, 0x80000001u);
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	/* A type that already carries PROTO_REPLY encodes the same way. */
	ww_init(&w, buf, sizeof(buf));
	wire_begin_reply(&w, PROTO_ACCT | PROTO_REPLY, 0xffeeddccu,
			 PROTO_NEED_CODE);
	assert_int_equal(w.len, 7);
	assert_memory_equal(buf, want, 7);
}

static void
test_nested_records(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x12, 0x00, 0x00, 0x00, 0x09,
		0x07, 0x00, 0x0b,
		0x07, 0x00, 0x04,
		0x01, 0x00, 0x01, 'x',
		0x09, 0x00, 0x01, 0x01,
		0x07, 0x00, 0x00,
	};
	uint8_t buf[64];
	struct wwriter w;
	struct wmsg m;
	struct wfield outer, inner, f;
	size_t m1, m2;
	char out[8];

	(void)state;
	ww_init(&w, buf, sizeof(buf));
	wire_begin_request(&w, PROTO_USER_LIST, 9);
	m1 = wire_record_begin(&w, PROTO_T_RECORD);
	m2 = wire_record_begin(&w, PROTO_T_RECORD);
	wire_put_str(&w, PROTO_T_USER, "x");
	wire_record_end(&w, m2);
	wire_put_u8(&w, PROTO_T_MORE, 1);
	wire_record_end(&w, m1);
	m1 = wire_record_begin(&w, PROTO_T_RECORD);
	wire_record_end(&w, m1);
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	assert_int_equal(wire_parse(buf, w.len, 0, &m), 0);
	assert_int_equal(wire_find(&m, PROTO_T_RECORD, &outer), 0);
	assert_int_equal(outer.len, 11);
	assert_int_equal(wire_find_in(&outer, PROTO_T_RECORD, &inner), 0);
	assert_int_equal(wire_find_in(&inner, PROTO_T_USER, &f), 0);
	assert_int_equal(wire_str(&f, out, sizeof(out)), 0);
	assert_string_equal(out, "x");
	assert_int_equal(wire_find_in(&inner, PROTO_T_MORE, &f), -1);
	assert_int_equal(wire_find_in(&outer, PROTO_T_MORE, &f), 0);
	assert_int_equal(wire_find_in(&outer, PROTO_T_USER, &f), -1);
}

static void
test_record_bounds(void **state)
{
	uint8_t buf[64];
	struct wwriter w;
	struct wmsg m;
	struct wfield rec, f;
	size_t mark;

	(void)state;
	ww_init(&w, buf, sizeof(buf));
	wire_begin_request(&w, PROTO_USER_SHOW, 2);
	mark = wire_record_begin(&w, PROTO_T_RECORD);
	wire_put_str(&w, PROTO_T_USER, "in");
	wire_record_end(&w, mark);
	wire_put_str(&w, PROTO_T_SERVICE, "");
	assert_false(ww_failed(&w));
	assert_int_equal(wire_parse(buf, w.len, 0, &m), 0);
	assert_int_equal(wire_find(&m, PROTO_T_SERVICE, &f), 0);
	assert_int_equal(f.len, 0);
	assert_int_equal(wire_find(&m, PROTO_T_RECORD, &rec), 0);
	assert_int_equal(rec.len, 5);
	assert_ptr_equal(rec.val, buf + 9);
	/* The empty field right after the record is not inside it. */
	assert_int_equal(wire_find_in(&rec, PROTO_T_SERVICE, &f), -1);
	assert_int_equal(wire_find_in(&rec, PROTO_T_USER, &f), 0);
	assert_ptr_equal(f.val, buf + 12);
}

static void
test_find_first_of_duplicates(void **state)
{
	uint8_t buf[64];
	struct wwriter w;
	struct wmsg m;

	(void)state;
	ww_init(&w, buf, sizeof(buf));
	wire_begin_request(&w, PROTO_AUTH, 1);
	wire_put_str(&w, PROTO_T_RHOST, "first");
	wire_put_str(&w, PROTO_T_USER, "u");
	wire_put_str(&w, PROTO_T_RHOST, "second");
	assert_false(ww_failed(&w));
	assert_int_equal(wire_parse(buf, w.len, 0, &m), 0);
	assert_str_field(&m, PROTO_T_RHOST, "first");
	assert_str_field(&m, PROTO_T_USER, "u");
}

static void
test_parse_empty(void **state)
{
	uint8_t buf[1] = { PROTO_VERSION };
	struct wmsg m;

	(void)state;
	assert_int_equal(wire_parse(buf, 0, 0, &m), -1);
	assert_int_equal(wire_parse(buf, 0, 1, &m), -1);
}

static void
test_parse_truncated_header(void **state)
{
	uint8_t req[PROTO_HEADER_LEN], rep[PROTO_HEADER_LEN + 1];
	struct wwriter w;
	struct wmsg m;
	size_t n;

	(void)state;
	ww_init(&w, req, sizeof(req));
	wire_begin_request(&w, PROTO_PING, 5);
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, PROTO_HEADER_LEN);
	for (n = 0; n < PROTO_HEADER_LEN; n++)
		assert_int_equal(wire_parse(req, n, 0, &m), -1);
	assert_int_equal(wire_parse(req, PROTO_HEADER_LEN, 0, &m), 0);
	assert_int_equal(m.id, 5);

	ww_init(&w, rep, sizeof(rep));
	wire_begin_reply(&w, PROTO_PING, 5, PROTO_LOCKED);
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, PROTO_HEADER_LEN + 1);
	for (n = 0; n <= PROTO_HEADER_LEN; n++)
		assert_int_equal(wire_parse(rep, n, 1, &m), -1);
	assert_int_equal(wire_parse(rep, PROTO_HEADER_LEN + 1, 1, &m), 0);
	assert_int_equal(m.status, PROTO_LOCKED);
}

static void
test_parse_wrong_version(void **state)
{
	static const uint8_t bad[] = { 0x00, 0x02, 0x81, 0xff };
	uint8_t req[64], rep[64];
	size_t nreq, nrep, i;
	struct wmsg m;

	(void)state;
	nreq = build_three_fields(req, sizeof(req), 0);
	nrep = build_three_fields(rep, sizeof(rep), 1);
	assert_int_equal(wire_parse(req, nreq, 0, &m), 0);
	assert_int_equal(wire_parse(rep, nrep, 1, &m), 0);
	for (i = 0; i < sizeof(bad); i++) {
		req[0] = bad[i];
		rep[0] = bad[i];
		assert_int_equal(wire_parse(req, nreq, 0, &m), -1);
		assert_int_equal(wire_parse(rep, nrep, 1, &m), -1);
	}
}

static void
test_parse_wrong_direction(void **state)
{
	uint8_t req[64], rep[64];
	size_t nreq, nrep;
	struct wmsg m;

	(void)state;
	nreq = build_three_fields(req, sizeof(req), 0);
	nrep = build_three_fields(rep, sizeof(rep), 1);
	assert_int_equal(req[1] & PROTO_REPLY, 0);
	assert_int_equal(rep[1] & PROTO_REPLY, PROTO_REPLY);
	assert_int_equal(wire_parse(req, nreq, 1, &m), -1);
	assert_int_equal(wire_parse(rep, nrep, 0, &m), -1);

	/* Flipping only the bit must flip which parse accepts. */
	req[1] |= PROTO_REPLY;
	rep[1] &= (uint8_t)~PROTO_REPLY;
	assert_int_equal(wire_parse(req, nreq, 0, &m), -1);
	assert_int_equal(wire_parse(rep, nrep, 1, &m), -1);
	assert_int_equal(wire_parse(rep, nrep, 0, &m), -1);
	req[1] &= (uint8_t)~PROTO_REPLY;
	rep[1] |= PROTO_REPLY;
	assert_int_equal(wire_parse(req, nreq, 0, &m), 0);
	assert_int_equal(wire_parse(rep, nrep, 1, &m), 0);
}

/* Every prefix of a 3-field message parses iff it ends on a boundary. */
static void
check_truncations(int reply)
{
	size_t hdr = PROTO_HEADER_LEN + (reply ? 1 : 0);
	size_t bounds[4] = { hdr, hdr + 8, hdr + 8 + 11, hdr + 8 + 11 + 8 };
	uint8_t buf[64];
	struct wmsg m;
	size_t len, n, i;
	int want;

	len = build_three_fields(buf, sizeof(buf), reply);
	assert_int_equal(len, bounds[3]);
	for (n = 0; n <= len; n++) {
		want = -1;
		for (i = 0; i < 4; i++)
			if (n == bounds[i])
				want = 0;
		assert_int_equal(wire_parse(buf, n, reply, &m), want);
	}
	/* The longest parse saw all three fields. */
	assert_int_equal(wire_parse(buf, len, reply, &m), 0);
	assert_str_field(&m, PROTO_T_TTY, "pts/0");
}

static void
test_parse_field_truncation(void **state)
{
	(void)state;
	check_truncations(0);
	check_truncations(1);
}

static void
test_parse_field_overrun(void **state)
{
	static const uint8_t cases[][12] = {
		{ 1, 2, 0, 0, 0, 1, 0x01 },
		{ 1, 2, 0, 0, 0, 1, 0x01, 0x00 },
		{ 1, 2, 0, 0, 0, 1, 0x01, 0x00, 0x03, 'a', 'b' },
		{ 1, 2, 0, 0, 0, 1, 0x01, 0xff, 0xff, 'a', 'b', 'c' },
		{ 1, 2, 0, 0, 0, 1, 0x01, 0x00, 0x00, 0x05, 0x80, 0x00 },
	};
	static const size_t lens[] = { 7, 8, 11, 12, 12 };
	struct wmsg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		assert_int_equal(wire_parse(cases[i], lens[i], 0, &m), -1);
}

/* Builds a request of exactly total bytes: header plus one blob field. */
static size_t
build_sized(size_t total)
{
	struct wwriter w;

	ww_init(&w, big_buf, sizeof(big_buf));
	wire_begin_request(&w, PROTO_AUTH, 3);
	wire_put_bytes(&w, PROTO_T_PASSWORD, big_src, total - 9);
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, total);
	return w.len;
}

static void
test_parse_oversized(void **state)
{
	struct wwriter w;
	struct wmsg m;
	struct wfield f;
	size_t n;

	(void)state;
	memset(big_src, 'p', sizeof(big_src));
	n = build_sized(PROTO_MAX_FRAME);
	assert_int_equal(wire_parse(big_buf, n, 0, &m), 0);
	assert_int_equal(wire_find(&m, PROTO_T_PASSWORD, &f), 0);
	assert_int_equal(f.len, PROTO_MAX_FRAME - 9);

	n = build_sized(PROTO_MAX_FRAME + 1);
	assert_int_equal(wire_parse(big_buf, n, 0, &m), -1);

	ww_init(&w, big_buf, sizeof(big_buf));
	wire_begin_request(&w, PROTO_AUTH, 3);
	wire_put_bytes(&w, PROTO_T_PASSWORD, big_src, 60000);
	wire_put_bytes(&w, PROTO_T_USER, big_src, 6000);
	assert_false(ww_failed(&w));
	assert_true(w.len > PROTO_MAX_FRAME);
	assert_int_equal(wire_parse(big_buf, w.len, 0, &m), -1);
}

static void
test_str_embedded_nul(void **state)
{
	static const char *const vals[] = { "ab\0cd", "\0abcd", "abcd\0" };
	char out[16];
	struct wfield f;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		f = mkfield(vals[i], 5);
		assert_int_equal(wire_str(&f, out, sizeof(out)), -1);
	}
	f = mkfield("abcde", 5);
	assert_int_equal(wire_str(&f, out, sizeof(out)), 0);
	assert_string_equal(out, "abcde");
}

static void
test_str_fit(void **state)
{
	char out[16];
	struct wfield f = mkfield("abcdefg", 7);

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(wire_str(&f, out, 7), -1);
	assert_int_equal(out[7], 'Z');
	assert_int_equal(wire_str(&f, out, 1), -1);
	assert_int_equal(wire_str(&f, out, 0), -1);

	memset(out, 'Z', sizeof(out));
	assert_int_equal(wire_str(&f, out, 8), 0);
	assert_string_equal(out, "abcdefg");
	for (size_t i = 8; i < sizeof(out); i++)
		assert_int_equal(out[i], 'Z');
}

static void
test_str_empty(void **state)
{
	char out[4];
	struct wfield f = mkfield("q", 0);

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(wire_str(&f, out, 1), 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'Z');
	memset(out, 'Z', sizeof(out));
	assert_int_equal(wire_str(&f, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(wire_str(&f, out, 0), -1);
}

static void
test_int_widths(void **state)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct wfield f;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	uint16_t n;

	(void)state;
	for (n = 0; n <= sizeof(b); n++) {
		f = mkfield(b, n);
		assert_int_equal(wire_u8(&f, &u8), n == 1 ? 0 : -1);
		assert_int_equal(wire_u32(&f, &u32), n == 4 ? 0 : -1);
		assert_int_equal(wire_u64(&f, &u64), n == 8 ? 0 : -1);
	}
	f = mkfield(b, 1);
	assert_int_equal(wire_u8(&f, &u8), 0);
	assert_int_equal(u8, 1);
	f = mkfield(b, 4);
	assert_int_equal(wire_u32(&f, &u32), 0);
	assert_int_equal(u32, 0x01020304u);
	f = mkfield(b + 1, 8);
	assert_int_equal(wire_u64(&f, &u64), 0);
	assert_true(u64 == 0x0203040506070809u);
}

static void
test_get_str(void **state)
{
	uint8_t buf[128];
	struct wwriter w;
	struct wmsg m;
	char out[8];

	(void)state;
	ww_init(&w, buf, sizeof(buf));
	wire_begin_request(&w, PROTO_AUTH, 1);
	wire_put_str(&w, PROTO_T_USER, "carol");
	wire_put_bytes(&w, PROTO_T_TTY, "a\0b", 3);
	wire_put_str(&w, PROTO_T_RHOST, "host.example.org");
	wire_put_str(&w, PROTO_T_SERVICE, "");
	wire_put_str(&w, PROTO_T_AFTER, "1234567");
	assert_false(ww_failed(&w));
	assert_int_equal(wire_parse(buf, w.len, 0, &m), 0);

	memcpy(out, "junk", 5);
	assert_int_equal(wire_get_str(&m, PROTO_T_PASSWORD, out, 8), 1);
	assert_string_equal(out, "");
	assert_int_equal(wire_get_str(&m, PROTO_T_TTY, out, 8), -1);
	assert_int_equal(wire_get_str(&m, PROTO_T_RHOST, out, 8), -1);
	assert_int_equal(wire_get_str(&m, PROTO_T_USER, out, 8), 0);
	assert_string_equal(out, "carol");
	assert_int_equal(wire_get_str(&m, PROTO_T_AFTER, out, 8), 0);
	assert_string_equal(out, "1234567");
	memcpy(out, "junk", 5);
	assert_int_equal(wire_get_str(&m, PROTO_T_SERVICE, out, 8), 0);
	assert_string_equal(out, "");
}

static void
test_writer_overflow(void **state)
{
	uint8_t area[32];
	struct wwriter w;
	size_t len;

	(void)state;
	memset(area, CANARY, sizeof(area));
	ww_init(&w, area, 16);
	wire_begin_request(&w, PROTO_AUTH, 1);
	assert_false(ww_failed(&w));
	wire_put_str(&w, PROTO_T_USER, "0123456789");
	assert_true(ww_failed(&w));
	assert_true(w.len <= 16);
	assert_canary(area + 16, sizeof(area) - 16);

	/* Sticky: a write that would fit now does nothing. */
	len = w.len;
	assert_true(len < 16);
	ww_put_u8(&w, 0x00);
	wire_put_u8(&w, PROTO_T_MORE, 0x00);
	assert_true(ww_failed(&w));
	assert_int_equal(w.len, len);
	assert_canary(area + len, sizeof(area) - len);
}

static void
test_writer_exact_fit(void **state)
{
	uint8_t area[32];
	struct wwriter w;

	(void)state;
	memset(area, CANARY, sizeof(area));
	ww_init(&w, area, 16);
	wire_begin_request(&w, PROTO_AUTH, 1);
	wire_put_str(&w, PROTO_T_USER, "0123456");
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, 16);
	assert_canary(area + 16, sizeof(area) - 16);
	ww_put_u8(&w, 0x00);
	assert_true(ww_failed(&w));
	assert_int_equal(w.len, 16);
	assert_canary(area + 16, sizeof(area) - 16);
}

/* Writes a fixed message of every field kind; returns the writer's len. */
static size_t
write_all_kinds(struct wwriter *w)
{
	size_t mark;

	wire_begin_reply(w, PROTO_USER_LIST, 0x01020304u, PROTO_OK);
	wire_put_str(w, PROTO_T_USER, "dave");
	mark = wire_record_begin(w, PROTO_T_RECORD);
	wire_put_u64(w, PROTO_T_UID, 77);
	wire_put_u8(w, PROTO_T_DISABLED, 0);
	wire_record_end(w, mark);
	wire_put_u32(w, PROTO_T_REASON, 5);
	wire_put_bytes(w, PROTO_T_PASSWORD, "\x01\x02", 2);
	ww_put_u16(w, 0xbeef);
	return w->len;
}

static void
test_writer_every_cap(void **state)
{
	const size_t rec_len_at = 7 + 7 + 1;
	uint8_t ref[64], area[96];
	struct wwriter w;
	size_t full, cap, i;

	(void)state;
	ww_init(&w, ref, sizeof(ref));
	full = write_all_kinds(&w);
	assert_false(ww_failed(&w));
	assert_int_equal(full, 7 + 7 + 3 + 11 + 4 + 7 + 5 + 2);

	for (cap = 0; cap <= full + 2; cap++) {
		memset(area, CANARY, sizeof(area));
		ww_init(&w, area, cap);
		write_all_kinds(&w);
		assert_int_equal(ww_failed(&w), cap < full);
		assert_true(w.len <= cap);
		/* What was written matches, but for a record length that a
		 * failure inside the record leaves unpatched. */
		for (i = 0; i < w.len; i++)
			if (i != rec_len_at && i != rec_len_at + 1)
				assert_int_equal(area[i], ref[i]);
		assert_canary(area + cap, sizeof(area) - cap);
		if (cap >= full) {
			assert_int_equal(w.len, full);
			assert_memory_equal(area, ref, full);
		}
	}
}

static void
test_writer_field_limits(void **state)
{
	struct wwriter w;

	(void)state;
	memset(big_src, 'b', sizeof(big_src));
	ww_init(&w, big_buf, sizeof(big_buf));
	wire_put_bytes(&w, PROTO_T_PASSWORD, big_src, UINT16_MAX);
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, 3 + UINT16_MAX);
	assert_int_equal(big_buf[1], 0xff);
	assert_int_equal(big_buf[2], 0xff);

	ww_init(&w, big_buf, sizeof(big_buf));
	wire_put_bytes(&w, PROTO_T_PASSWORD, big_src, UINT16_MAX + 1);
	assert_true(ww_failed(&w));

	memset(long_str, 's', sizeof(long_str) - 1);
	long_str[sizeof(long_str) - 1] = '\0';
	ww_init(&w, big_buf, sizeof(big_buf));
	wire_put_str(&w, PROTO_T_USER, long_str);
	assert_true(ww_failed(&w));

	long_str[UINT16_MAX] = '\0';
	ww_init(&w, big_buf, sizeof(big_buf));
	wire_put_str(&w, PROTO_T_USER, long_str);
	assert_false(ww_failed(&w));

	ww_init(&w, big_buf, sizeof(big_buf));
	wire_put_str(&w, PROTO_T_USER, NULL);
	assert_true(ww_failed(&w));
	wire_put_u8(&w, PROTO_T_MORE, 1);
	assert_true(ww_failed(&w));
}

static void
test_writer_record_limit(void **state)
{
	struct wwriter w;
	size_t mark;

	(void)state;
	memset(big_src, 'r', sizeof(big_src));
	/* 3 + 65532 = 65535 bytes inside: the largest record. */
	ww_init(&w, big_buf, sizeof(big_buf));
	mark = wire_record_begin(&w, PROTO_T_RECORD);
	wire_put_bytes(&w, PROTO_T_USER, big_src, UINT16_MAX - 3);
	wire_record_end(&w, mark);
	assert_false(ww_failed(&w));
	assert_int_equal(w.len, 3 + UINT16_MAX);
	assert_int_equal(big_buf[0], PROTO_T_RECORD);
	assert_int_equal(big_buf[1], 0xff);
	assert_int_equal(big_buf[2], 0xff);

	/* One byte more cannot be described by the u16 length. */
	ww_init(&w, big_buf, sizeof(big_buf));
	mark = wire_record_begin(&w, PROTO_T_RECORD);
	wire_put_bytes(&w, PROTO_T_USER, big_src, UINT16_MAX - 2);
	assert_false(ww_failed(&w));
	wire_record_end(&w, mark);
	assert_true(ww_failed(&w));
}

static void
test_reader_cursor(void **state)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03 };
	struct wreader r;
	const uint8_t *v = NULL;
	uint8_t u8 = 0;
	uint16_t u16 = 0;
	uint32_t u32 = 0;
	uint64_t u64 = 0;

	(void)state;
	wr_init(&r, b, sizeof(b));
	assert_int_equal(wr_left(&r), 3);
	assert_int_equal(wr_get_u32(&r, &u32), -1);
	assert_int_equal(r.off, 0);
	assert_int_equal(wr_get_u64(&r, &u64), -1);
	assert_int_equal(r.off, 0);
	assert_int_equal(wr_get_bytes(&r, 4, &v), -1);
	assert_int_equal(r.off, 0);
	assert_int_equal(wr_get_bytes(&r, SIZE_MAX, &v), -1);
	assert_int_equal(r.off, 0);
	assert_int_equal(wr_get_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0102);
	assert_int_equal(r.off, 2);
	assert_int_equal(wr_get_u16(&r, &u16), -1);
	assert_int_equal(r.off, 2);
	assert_int_equal(wr_get_u32(&r, &u32), -1);
	assert_int_equal(r.off, 2);
	assert_int_equal(wr_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x03);
	assert_int_equal(r.off, 3);
	assert_int_equal(wr_get_u8(&r, &u8), -1);
	assert_int_equal(r.off, 3);
	assert_int_equal(wr_left(&r), 0);
	assert_int_equal(wr_get_bytes(&r, 0, &v), 0);
	assert_ptr_equal(v, b + 3);
	assert_int_equal(r.off, 3);
}

static void
test_reader_values(void **state)
{
	static const uint8_t b[] = {
		0xfe, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	};
	struct wreader r;
	const uint8_t *v;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	wr_init(&r, b, sizeof(b));
	assert_int_equal(wr_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0xfe);
	assert_int_equal(wr_get_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x8001);
	assert_int_equal(wr_get_u32(&r, &u32), 0);
	assert_int_equal(u32, 0xdeadbeefu);
	assert_int_equal(wr_left(&r), 8);
	assert_int_equal(wr_get_bytes(&r, 2, &v), 0);
	assert_ptr_equal(v, b + 7);
	r.off = 7;
	assert_int_equal(wr_get_u64(&r, &u64), 0);
	assert_true(u64 == 0x0123456789abcdefu);
	assert_int_equal(wr_left(&r), 0);
}

static void
test_next_restores_cursor(void **state)
{
	static const uint8_t b[] = {
		0x01, 0x00, 0x01, 'a',
		0x02, 0x00, 0x05, 'b', 'c',
	};
	struct wreader r;
	struct wfield f;

	(void)state;
	wr_init(&r, b, sizeof(b));
	assert_int_equal(wire_next(&r, &f), 1);
	assert_int_equal(f.tag, 1);
	assert_int_equal(f.len, 1);
	assert_ptr_equal(f.val, b + 3);
	assert_int_equal(r.off, 4);
	assert_int_equal(wire_next(&r, &f), -1);
	assert_int_equal(r.off, 4);
	assert_int_equal(wire_next(&r, &f), -1);
	assert_int_equal(r.off, 4);
}

static void
test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(proto_reason_name(PROTO_R_NONE), "none");
	assert_string_equal(proto_reason_name(PROTO_R_REUSED), "reused");
	for (int i = 0; i <= PROTO_R_MAX; i++)
		assert_string_not_equal(proto_reason_name(i), "unknown");
	assert_string_equal(proto_reason_name(PROTO_R_MAX + 1), "unknown");
	assert_string_equal(proto_reason_name(-1), "unknown");
}

static void
test_status_names(void **state)
{
	static const char *const want[PROTO_STATUS_MAX + 1] = {
		"ok", "denied", "locked", "expired", "must-change",
		"need-code", "policy-violation", "unavailable",
		"bad-request", "forbidden", "disabled", "not-found",
		"exists", "nothing-to-check",
	};
	int i;

	(void)state;
	assert_string_equal(proto_status_name(PROTO_OK), "ok");
	assert_string_equal(proto_status_name(PROTO_DENIED), "denied");
	assert_string_equal(proto_status_name(PROTO_FORBIDDEN), "forbidden");
	assert_string_equal(proto_status_name(PROTO_EXISTS), "exists");
	for (i = 0; i <= PROTO_STATUS_MAX; i++) {
		assert_non_null(proto_status_name(i));
		assert_string_equal(proto_status_name(i), want[i]);
	}
	assert_string_equal(proto_status_name(-1), "unknown");
	assert_string_equal(proto_status_name(PROTO_STATUS_MAX + 1),
			    "unknown");
	assert_string_equal(proto_status_name(INT_MIN), "unknown");
	assert_string_equal(proto_status_name(INT_MAX), "unknown");
	assert_string_equal(proto_status_name(255), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_request_byte_layout),
		cmocka_unit_test(test_reply_byte_layout),
		cmocka_unit_test(test_nested_records),
		cmocka_unit_test(test_record_bounds),
		cmocka_unit_test(test_find_first_of_duplicates),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_truncated_header),
		cmocka_unit_test(test_parse_wrong_version),
		cmocka_unit_test(test_parse_wrong_direction),
		cmocka_unit_test(test_parse_field_truncation),
		cmocka_unit_test(test_parse_field_overrun),
		cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test(test_str_embedded_nul),
		cmocka_unit_test(test_str_fit),
		cmocka_unit_test(test_str_empty),
		cmocka_unit_test(test_int_widths),
		cmocka_unit_test(test_get_str),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_writer_exact_fit),
		cmocka_unit_test(test_writer_every_cap),
		cmocka_unit_test(test_writer_field_limits),
		cmocka_unit_test(test_writer_record_limit),
		cmocka_unit_test(test_reader_cursor),
		cmocka_unit_test(test_reader_values),
		cmocka_unit_test(test_next_restores_cursor),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
