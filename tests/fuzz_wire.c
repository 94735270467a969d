/*
 * fuzz_wire.c - fuzz target for the protocol codec in common/wire.c.
 *
 * Feeds the input to wire_parse as a request and as a reply.  A parsed
 * message is walked every way a handler can read it (wire_next, wire_find,
 * wire_str, the integer getters, records through wire_find_in and a
 * wreader), each answer is checked against the raw bytes, and the message
 * is re-encoded with a wwriter and must come out byte for byte the same.
 * A second writer with one byte too few must fail without overrunning.
 * Any mismatch traps.
 *
 * Built with -DPOLICYD_LIBFUZZER for libFuzzer; otherwise fuzz_main.c's
 * main() replays the files (or directories of files) named on the
 * command line.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "wire.h"

#define SMALL_STR 8
#define MAX_TAG 20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t big_str[PROTO_MAX_FRAME + 1];
static char str_copy[PROTO_MAX_FRAME + 1];
static uint8_t reenc[PROTO_MAX_FRAME];

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* Decodes n big-endian bytes by hand, to compare with the getters. */
static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t x = 0;

	for (size_t i = 0; i < n; i++)
		x = (x << 8) | p[i];
	return x;
}

/* Checks the reader's own view of [p, p + n) as a field sequence. */
static int
is_fields(const uint8_t *p, size_t n)
{
	struct wreader r;
	struct wfield f;
	int rc;

	wr_init(&r, p, n);
	while ((rc = wire_next(&r, &f)) == 1)
		;
	return rc == 0;
}

/* Checks wire_str on f into a buffer of outsz bytes. */
static void
check_str(const struct wfield *f, char *out, size_t outsz)
{
	int fits = f->len < outsz;
	int nul = f->len > 0 && memchr(f->val, '\0', f->len) != NULL;
	int rc = wire_str(f, out, outsz);

	check(rc == 0 || rc == -1);
	check((rc == 0) == (fits && !nul));
	if (rc == 0) {
		check(strlen(out) == f->len);
		check(memcmp(out, f->val, f->len) == 0);
	}
}

/* Checks every typed view of one field. */
static void
check_field(const struct wfield *f)
{
	char small[SMALL_STR];
	uint8_t u8 = 0;
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	int rc;

	check_str(f, small, sizeof(small));
	check_str(f, (char *)big_str, sizeof(big_str));

	rc = wire_u8(f, &u8);
	check((rc == 0) == (f->len == 1));
	check(rc != 0 || u8 == be(f->val, 1));
	rc = wire_u32(f, &u32);
	check((rc == 0) == (f->len == 4));
	check(rc != 0 || u32 == be(f->val, 4));
	rc = wire_u64(f, &u64);
	check((rc == 0) == (f->len == 8));
	check(rc != 0 || u64 == be(f->val, 8));
}

/* First field with tag in [p, p + n), by hand; 0 if found. */
static int
find_by_hand(const uint8_t *p, size_t n, uint8_t tag, size_t *at)
{
	size_t off = 0;

	while (n - off >= 3) {
		size_t len = (size_t)p[off + 1] << 8 | p[off + 2];

		if (len > n - off - 3)
			return -1;
		if (p[off] == tag) {
			*at = off;
			return 0;
		}
		off += 3 + len;
	}
	return -1;
}

/* Checks wire_find_in, and walks a record's value with a wreader. */
static void
check_record(const struct wfield *rec, int depth)
{
	struct wreader r;
	struct wfield f;
	size_t at;
	int rc, tag;

	for (tag = 0; tag <= MAX_TAG; tag++) {
		rc = wire_find_in(rec, (uint8_t)tag, &f);
		check(rc == 0 || rc == -1);
		if (find_by_hand(rec->val, rec->len, (uint8_t)tag, &at) == 0) {
			check(rc == 0);
			check(f.tag == tag);
			check(f.val == rec->val + at + 3);
		} else {
			check(rc == -1);
		}
	}
	wr_init(&r, rec->val, rec->len);
	while ((rc = wire_next(&r, &f)) == 1) {
		check(f.val >= rec->val);
		check(f.val + f.len <= rec->val + rec->len);
		check_field(&f);
		if (f.tag == PROTO_T_RECORD && depth < 8)
			check_record(&f, depth + 1);
	}
	check(rc == 0 || rc == -1);
	check(r.off <= r.len);
	check((rc == 0) == (r.off == rec->len));
}

/* Re-encodes the fields in r; records are rebuilt when well-formed. */
static void
put_fields(struct wwriter *w, struct wreader r, int depth)
{
	struct wfield f;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	size_t mark;

	while (wire_next(&r, &f) == 1) {
		if (f.tag == PROTO_T_RECORD && depth < 8 &&
		    is_fields(f.val, f.len)) {
			struct wreader in;

			mark = wire_record_begin(w, f.tag);
			wr_init(&in, f.val, f.len);
			put_fields(w, in, depth + 1);
			wire_record_end(w, mark);
		} else if (wire_u8(&f, &u8) == 0) {
			wire_put_u8(w, f.tag, u8);
		} else if (wire_u32(&f, &u32) == 0) {
			wire_put_u32(w, f.tag, u32);
		} else if (wire_u64(&f, &u64) == 0) {
			wire_put_u64(w, f.tag, u64);
		} else if (f.len > 0 &&
			   wire_str(&f, str_copy, sizeof(str_copy)) == 0) {
			wire_put_str(w, f.tag, str_copy);
		} else {
			wire_put_bytes(w, f.tag, f.val, f.len);
		}
	}
}

/* Writes m into w the way a sender would. */
static void
encode(struct wwriter *w, const struct wmsg *m, int reply)
{
	if (reply)
		wire_begin_reply(w, m->type, m->id, m->status);
	else
		wire_begin_request(w, m->type, m->id);
	put_fields(w, m->fields, 0);
}

static void
check_reencode(const uint8_t *data, size_t size, const struct wmsg *m,
	       int reply)
{
	struct wwriter w;
	uint8_t *tight;
	size_t cap;

	ww_init(&w, reenc, sizeof(reenc));
	encode(&w, m, reply);
	check(!ww_failed(&w));
	check(w.len == size);
	check(memcmp(reenc, data, size) == 0);

	/* One byte short: the writer fails and stays inside its buffer,
	 * which ASan checks since it is exactly cap bytes of heap. */
	cap = size - 1;
	tight = malloc(cap > 0 ? cap : 1);
	if (tight == NULL)
		return;
	ww_init(&w, tight, cap);
	encode(&w, m, reply);
	check(ww_failed(&w));
	check(w.len <= cap);
	free(tight);
}

static void
check_message(const uint8_t *data, size_t size, int reply)
{
	struct wmsg m;
	struct wreader r;
	struct wfield f;
	size_t hdr = PROTO_HEADER_LEN + (reply ? 1 : 0);
	size_t at, n = 0;
	char out[SMALL_STR];
	int rc, tag;

	if (wire_parse(data, size, reply, &m) != 0)
		return;
	check(size >= hdr && size <= PROTO_MAX_FRAME);
	check(m.version == PROTO_VERSION && data[0] == PROTO_VERSION);
	check(m.type == data[1]);
	check(((m.type & PROTO_REPLY) != 0) == (reply != 0));
	check(m.id == be(data + 2, 4));
	check(!reply || m.status == data[6]);
	check(m.fields.p == data + hdr);
	check(m.fields.len == size - hdr && m.fields.off == 0);
	check(is_fields(data + hdr, size - hdr));

	r = m.fields;
	while ((rc = wire_next(&r, &f)) == 1) {
		n++;
		check(f.val >= data + hdr && f.val + f.len <= data + size);
		check_field(&f);
		if (f.tag == PROTO_T_RECORD)
			check_record(&f, 0);
	}
	check(rc == 0);
	check(wr_left(&r) == 0);
	check(n <= (size - hdr) / 3);

	for (tag = 0; tag <= MAX_TAG; tag++) {
		rc = wire_find(&m, (uint8_t)tag, &f);
		if (find_by_hand(data + hdr, size - hdr, (uint8_t)tag,
				 &at) == 0) {
			check(rc == 0 && f.tag == tag);
			check(f.val == data + hdr + at + 3);
		} else {
			check(rc == -1);
		}
		rc = wire_get_str(&m, (uint8_t)tag, out, sizeof(out));
		check(rc == -1 || rc == 0 || rc == 1);
		check(rc != 1 || out[0] == '\0');
		check((rc == 1) == (find_by_hand(data + hdr, size - hdr,
						 (uint8_t)tag, &at) != 0));
	}

	check_reencode(data, size, &m, reply);
}

/* Drives the raw reader over the input, checking the cursor rules. */
static void
check_reader(const uint8_t *data, size_t size)
{
	struct wreader r;
	const uint8_t *v = NULL;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	size_t i = 0, before, want;
	int rc;

	wr_init(&r, data, size);
	while (i < size && i < 64) {
		uint8_t op = data[i++];

		before = r.off;
		switch (op % 5) {
		case 0:
			rc = wr_get_u8(&r, &u8);
			want = 1;
			break;
		case 1:
			rc = wr_get_u16(&r, &u16);
			want = 2;
			break;
		case 2:
			rc = wr_get_u32(&r, &u32);
			want = 4;
			break;
		case 3:
			rc = wr_get_u64(&r, &u64);
			want = 8;
			break;
		default:
			want = op / 5;
			rc = wr_get_bytes(&r, want, &v);
			check(rc != 0 || v == data + before);
			break;
		}
		check((rc == 0) == (want <= size - before));
		check(r.off == (rc == 0 ? before + want : before));
		check(wr_left(&r) == size - r.off);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_message(data, size, 0);
	check_message(data, size, 1);
	check_reader(data, size);
	return 0;
}

