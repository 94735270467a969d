/*
 * text.h - making text from clients safe to store and to print.  Service,
 * tty and host names and user names arrive from any local user; written
 * raw to a terminal or a log, their escape sequences and line breaks
 * would move the cursor, clear the screen or forge lines.
 *
 * Unsafe, here: a C0 control (0x00-0x1f), DEL (0x7f), a C1 control
 * (U+0080-U+009F, which some terminals obey like ESC [), a bidirectional
 * control (marks, embeddings, overrides and isolates: they make a name
 * read as another, "Trojan Source") and every byte of text that is not
 * valid UTF-8 (overlong forms, surrogates, code points above U+10FFFF,
 * stray or missing continuation bytes).
 */
#ifndef POLICYD_TEXT_H
#define POLICYD_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Room text_vis needs for n bytes of input, its NUL included. */
#define TEXT_VIS_SIZE(n) (4 * (size_t)(n) + 1)

/*
 * The character at s (which must not point at the terminating NUL): its
 * length in bytes (1 to 4) with its code point in *cp, or 0 if s does not
 * start a valid UTF-8 sequence.  Reads no further than a NUL.
 */
size_t text_utf8(const char *s, uint32_t *cp);
/* The same within the avail bytes at s, reading no further. */
size_t text_utf8n(const char *s, size_t avail, uint32_t *cp);

/* Whether cp is a C0 control, DEL or a C1 control. */
int text_is_control(uint32_t cp);
/* Whether cp is a bidirectional control: U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069. */
int text_is_bidi(uint32_t cp);

/* Replaces, in place, every unsafe byte of the NUL-terminated s by '?':
 * the length stays, valid printable UTF-8 is kept.  NULL is fine. */
void text_clean(char *s);

/*
 * Writes s into out (size bytes, NUL-terminated if size > 0) with every
 * unsafe byte shown as \xHH and a backslash as two, so that what a client
 * sent can be read back exactly.  A byte's escape is never cut: the text
 * stops before one that would not fit.  Returns the length written.
 * TEXT_VIS_SIZE(strlen(s)) bytes are always enough.
 */
size_t text_vis(char *out, size_t size, const char *s);

#endif
