/*
 * wire.h - the one bounds-checked door through which protocol bytes pass.
 *
 * Readers never touch memory outside [p, p + len): every get returns -1
 * instead of reading past the end, and the cursor does not move on error.
 * Writers fill a caller-owned fixed buffer; the first overflow makes the
 * writer sticky-failed, so a caller checks once, at the end (ww_failed).
 */
#ifndef POLICYD_WIRE_H
#define POLICYD_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct wreader {
	const uint8_t *p;
	size_t len;
	size_t off;
};

struct wwriter {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int failed;
};

/* One field: tag, and a view of the value inside the message buffer. */
struct wfield {
	uint8_t tag;
	uint16_t len;
	const uint8_t *val;
};

/* A parsed message.  Field views point into the buffer given to wire_parse,
 * which must outlive the message. */
struct wmsg {
	uint8_t version;
	uint8_t type;
	uint32_t id;
	uint8_t status;		/* replies only */
	struct wreader fields;	/* all fields, already validated */
};

void wr_init(struct wreader *r, const void *p, size_t len);
size_t wr_left(const struct wreader *r);
int wr_get_u8(struct wreader *r, uint8_t *v);
int wr_get_u16(struct wreader *r, uint16_t *v);
int wr_get_u32(struct wreader *r, uint32_t *v);
int wr_get_u64(struct wreader *r, uint64_t *v);
/* Sets *v to a view of the next n bytes. */
int wr_get_bytes(struct wreader *r, size_t n, const uint8_t **v);

void ww_init(struct wwriter *w, void *buf, size_t cap);
void ww_put_u8(struct wwriter *w, uint8_t v);
void ww_put_u16(struct wwriter *w, uint16_t v);
void ww_put_u32(struct wwriter *w, uint32_t v);
void ww_put_u64(struct wwriter *w, uint64_t v);
void ww_put_bytes(struct wwriter *w, const void *p, size_t n);
int ww_failed(const struct wwriter *w);

/* Message headers.  See proto.h for the layout. */
void wire_begin_request(struct wwriter *w, uint8_t type, uint32_t id);
void wire_begin_reply(struct wwriter *w, uint8_t type, uint32_t id,
		      uint8_t status);
/* Replaces the status of a reply begun with wire_begin_reply and drops any
 * fields written after the header (an error reply carries only its own). */
void wire_reset_reply(struct wwriter *w, uint8_t status);
/* Replaces the status of a reply begun with wire_begin_reply, keeping
 * its fields. */
void wire_set_status(struct wwriter *w, uint8_t status);

/* Fields.  A string must not contain NUL and must fit in a field; a bad
 * string fails the writer like an overflow does. */
void wire_put_bytes(struct wwriter *w, uint8_t tag, const void *p, size_t n);
void wire_put_str(struct wwriter *w, uint8_t tag, const char *s);
void wire_put_u8(struct wwriter *w, uint8_t tag, uint8_t v);
void wire_put_u32(struct wwriter *w, uint8_t tag, uint32_t v);
void wire_put_u64(struct wwriter *w, uint8_t tag, uint64_t v);
/* A record: wire_record_begin returns a mark to hand to wire_record_end,
 * which writes the record's length once its fields are in. */
size_t wire_record_begin(struct wwriter *w, uint8_t tag);
void wire_record_end(struct wwriter *w, size_t mark);

/*
 * Parses and validates a whole payload: header, version, and that every
 * field's length stays inside the payload.  reply selects the reply layout
 * (which adds the status byte and requires PROTO_REPLY in the type).
 * Returns 0, or -1 if the payload is malformed.
 */
int wire_parse(const void *p, size_t len, int reply, struct wmsg *m);

/* Iterates fields: returns 1 and fills *f, 0 at the end, -1 if malformed. */
int wire_next(struct wreader *r, struct wfield *f);
/* First field with this tag in the message, or in a record's value. */
int wire_find(const struct wmsg *m, uint8_t tag, struct wfield *f);
int wire_find_in(const struct wfield *rec, uint8_t tag, struct wfield *f);

/*
 * Typed views of a field.  wire_str copies a string into out (size outsz,
 * NUL-terminated) and fails if it has a NUL or does not fit.  The integer
 * getters fail unless the field has exactly that width.  All return 0 or -1.
 */
int wire_str(const struct wfield *f, char *out, size_t outsz);
int wire_u8(const struct wfield *f, uint8_t *v);
int wire_u32(const struct wfield *f, uint32_t *v);
int wire_u64(const struct wfield *f, uint64_t *v);

/*
 * Looks up tag in m and copies it as a string.  Returns 0, 1 if the field
 * is absent (out is then ""), or -1 if it is malformed.
 */
int wire_get_str(const struct wmsg *m, uint8_t tag, char *out, size_t outsz);

#endif
