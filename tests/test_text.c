/*
 * test_text.c - unit tests of common/text.c: what text_clean replaces and
 * keeps, and what text_vis shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static void
assert_clean(const char *in, const char *want)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", in);
	text_clean(buf);
	assert_string_equal(buf, want);
	assert_int_equal(strlen(buf), strlen(in));
}

static void
test_clean_controls(void **state)
{
	(void)state;
	assert_clean("ssh", "ssh");
	assert_clean("\x1b[2J", "?[2J");
	assert_clean("host\nfake line", "host?fake line");
	assert_clean("a\rb\tc\bd\x7f", "a?b?c?d?");
	assert_clean("\x01\x1f ~", "?? ~");
	/* C1 controls: U+009B is CSI, as ESC [ is. */
	assert_clean("\xc2\x9b" "2J", "??2J");
	assert_clean("\xc2\x80\xc2\x9f", "????");
	/* Bidirectional controls: an override, an isolate, a mark. */
	assert_clean("moc.\xe2\x80\xaelive", "moc.???live");
	assert_clean("\xe2\x81\xa7x\xe2\x80\x8f", "???x???");
	text_clean(NULL);
}

static void
test_clean_keeps_text(void **state)
{
	(void)state;
	assert_clean("Zürich-Ωmega.example", "Zürich-Ωmega.example");
	assert_clean("\xc2\xa0\xc2\xa9", "\xc2\xa0\xc2\xa9");	/* U+00A0 on */
	assert_clean("\xe2\x82\xac", "\xe2\x82\xac");		/* U+20AC */
	assert_clean("\xf0\x9f\x94\x91", "\xf0\x9f\x94\x91");	/* U+1F511 */
	assert_clean("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	assert_clean("\xed\x9f\xbf", "\xed\x9f\xbf");		/* U+D7FF */
}

static void
test_clean_invalid_utf8(void **state)
{
	(void)state;
	assert_clean("a\xff" "b", "a?b");
	assert_clean("\x80\xbf", "??");			/* stray continuation */
	assert_clean("\xc3", "?");				/* cut short */
	assert_clean("\xc3(", "?(");
	assert_clean("\xe2\x82", "??");
	assert_clean("\xc0\xaf\xc1\x9b", "????");		/* overlong */
	assert_clean("\xe0\x80\xaf", "???");			/* overlong */
	assert_clean("\xf0\x80\x80\xaf", "????");		/* overlong */
	assert_clean("\xed\xa0\x80", "???");			/* surrogate */
	assert_clean("\xf4\x90\x80\x80", "????");		/* > U+10FFFF */
	assert_clean("\xf5\x80\x80\x80", "????");
	/* An invalid byte does not swallow the valid text after it. */
	assert_clean("\xe2\x82" "\xc3\xa9", "??\xc3\xa9");
}

static void
test_utf8_decode(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(text_utf8("A", &cp), 1);
	assert_int_equal(cp, 0x41);
	assert_int_equal(text_utf8("\xc3\xa9", &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(text_utf8("\xe2\x82\xac", &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(text_utf8("\xf0\x9f\x94\x91", &cp), 4);
	assert_int_equal(cp, 0x1f511);
	assert_int_equal(text_utf8("\xe2", &cp), 0);	/* stops at NUL */
	assert_true(text_is_control(0x1b));
	assert_true(text_is_control(0x7f));
	assert_true(text_is_control(0x85));
	assert_false(text_is_control(0xa0));
	assert_false(text_is_control(' '));
	assert_true(text_is_bidi(0x202e));
	assert_true(text_is_bidi(0x2066));
	assert_true(text_is_bidi(0x200f));
	assert_false(text_is_bidi(0x2028));
	assert_false(text_is_bidi(0x05d0));	/* a Hebrew letter is text */
}

static void
assert_vis(const char *in, const char *want)
{
	char buf[TEXT_VIS_SIZE(64)];

	assert_true(strlen(in) <= 64);
	assert_int_equal(text_vis(buf, sizeof(buf), in), strlen(want));
	assert_string_equal(buf, want);
}

static void
test_vis(void **state)
{
	(void)state;
	assert_vis("sshd", "sshd");
	/* A right-to-left override would show "evil" as "live". */
	assert_vis("\xe2\x80\xae" "evil", "\\xe2\\x80\\xae" "evil");
	assert_vis("\xe2\x81\xa6x", "\\xe2\\x81\\xa6x");
	assert_vis("\x1b[2J", "\\x1b[2J");
	assert_vis("\nfake line", "\\x0afake line");
	assert_vis("a\\x1b", "a\\\\x1b");	/* a literal escape is told apart */
	assert_vis("\xc2\x9b", "\\xc2\\x9b");
	assert_vis("Zürich\xff", "Zürich\\xff");
	assert_vis("\xed\xa0\x80", "\\xed\\xa0\\x80");
	assert_vis("", "");
}

/* The worst case fits TEXT_VIS_SIZE, and a short buffer cuts between
 * escapes, never inside one nor inside a character. */
static void
test_vis_bounds(void **state)
{
	char in[65], out[TEXT_VIS_SIZE(64)], small[8];

	(void)state;
	memset(in, 0x1b, 64);
	in[64] = '\0';
	assert_int_equal(text_vis(out, sizeof(out), in), 4 * 64);
	assert_int_equal(text_vis(small, sizeof(small), in), 4);
	assert_string_equal(small, "\\x1b");
	assert_int_equal(text_vis(small, 6, "ab\xe2\x82\xac"), 5);
	assert_string_equal(small, "ab\xe2\x82\xac");
	assert_int_equal(text_vis(small, 5, "ab\xe2\x82\xac"), 2);
	assert_string_equal(small, "ab");
	assert_int_equal(text_vis(small, 1, "abc"), 0);
	assert_string_equal(small, "");
	assert_int_equal(text_vis(small, 0, "abc"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_controls),
		cmocka_unit_test(test_clean_keeps_text),
		cmocka_unit_test(test_clean_invalid_utf8),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_vis),
		cmocka_unit_test(test_vis_bounds),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
