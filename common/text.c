/*
 * text.c - see text.h.
 *
 * The UTF-8 rules are RFC 3629's: the second byte's range depends on the
 * first, which is what rules out overlong forms (after 0xe0 and 0xf0),
 * surrogates (after 0xed) and code points above U+10FFFF (after 0xf4).
 * Linked into the PAM module too, so it uses nothing but libc.
 */
#include <stdio.h>
#include <string.h>

#include "text.h"

/* Length of the sequence led by b and the range of its second byte; 0 if
 * b cannot start one (NUL, a continuation byte, 0xc0, 0xc1, 0xf5-0xff). */
static size_t
lead(unsigned char b, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (b >= 0x01 && b <= 0x7f)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef) {
		if (b == 0xe0)
			*lo = 0xa0;
		else if (b == 0xed)
			*hi = 0x9f;
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		if (b == 0xf0)
			*lo = 0x90;
		else if (b == 0xf4)
			*hi = 0x8f;
		return 4;
	}
	return 0;
}

size_t
text_utf8n(const char *s, size_t avail, uint32_t *cp)
{
	static const unsigned char mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo, hi;
	size_t n = avail > 0 ? lead(p[0], &lo, &hi) : 0;
	uint32_t v;

	if (n == 0 || n > avail)
		return 0;
	v = p[0] & mask[n];
	for (size_t i = 1; i < n; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;	/* a NUL stops here too */
		v = (v << 6) | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return n;
}

size_t
text_utf8(const char *s, uint32_t *cp)
{
	/* A NUL is never a continuation byte: no read goes past it. */
	return text_utf8n(s, 4, cp);
}

int
text_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

int
text_is_bidi(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Length of the safe character at s, or 0 if its first byte is unsafe. */
static size_t
safe_len(const char *s)
{
	uint32_t cp;
	size_t n = text_utf8(s, &cp);

	return n > 0 && !text_is_control(cp) && !text_is_bidi(cp) ? n : 0;
}

void
text_clean(char *s)
{
	size_t n;

	if (s == NULL)
		return;
	while (*s != '\0') {
		n = safe_len(s);
		if (n == 0)
			*s++ = '?';
		else
			s += n;
	}
}

/* The form of the character at s in text_vis's output, in buf (5
 * bytes), and its length; *used: the bytes of s it stands for. */
static size_t
vis_one(const char *s, char buf[5], size_t *used)
{
	size_t n = safe_len(s);

	*used = n > 0 ? n : 1;
	if (*s == '\\') {
		memcpy(buf, "\\\\", 3);
		return 2;
	}
	if (n == 0)
		return (size_t)snprintf(buf, 5, "\\x%02x", (unsigned char)*s);
	memcpy(buf, s, n);
	return n;
}

size_t
text_vis(char *out, size_t size, const char *s)
{
	size_t o = 0, used, n;
	char buf[5];

	if (size == 0)
		return 0;
	for (; *s != '\0'; s += used) {
		n = vis_one(s, buf, &used);
		if (o + n >= size)
			break;
		memcpy(out + o, buf, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}
