/*
 * test_jsonout.c - unit tests of policyctl/jsonout.c: what jtext keeps and
 * replaces, what jprint escapes beyond JSON's own rules, and that a
 * document with a missing part is never printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"
#include "jsonout.h"

static char printed[4096];

/* jprint(doc) with standard output caught: its status; the text in
 * printed. */
static int
print_caught(json_t *doc)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO), rc;
	size_t n;

	assert_non_null(tmp);
	fflush(stdout);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	rc = jprint(doc);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(printed, 1, sizeof(printed) - 1, tmp);
	printed[n] = '\0';
	fclose(tmp);
	return rc;
}

static int
print_string(const char *s)
{
	json_t *o = json_object();

	jset(o, "s", jtext(s));
	return print_caught(o);
}

static void
test_text_kept(void **state)
{
	(void)state;
	assert_int_equal(print_string("Z\xc3\xbcrich \xe2\x82\xac"), 0);
	assert_string_equal(printed, "{\"s\":\"Z\xc3\xbcrich \xe2\x82\xac\"}\n");
	/* JSON's own escapes: quote, backslash, C0. */
	assert_int_equal(print_string("a\"b\\c\x1b[2J\n"), 0);
	assert_string_equal(printed, "{\"s\":\"a\\\"b\\\\c\\u001B[2J\\n\"}\n");
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	/* A stray continuation byte, an overlong '/', a surrogate. */
	assert_int_equal(print_string("a\x80" "b\xc0\xaf" "c\xed\xa0\x80"), 0);
	assert_null(strstr(printed, "\x80"));
	assert_non_null(strstr(printed, "a\xef\xbf\xbd" "b"));
}

static void
test_hazards_escaped(void **state)
{
	(void)state;
	/* DEL, CSI (U+009B), U+2028, a right-to-left override, an isolate. */
	assert_int_equal(print_string("x\x7f" "y\xc2\x9b" "z\xe2\x80\xa8"
				      "w\xe2\x80\xae" "v\xe2\x81\xa6"), 0);
	assert_string_equal(printed, "{\"s\":\"x\\u007Fy\\u009Bz\\u2028"
				     "w\\u202Ev\\u2066\"}\n");
	/* Hebrew and Arabic letters are text, not controls. */
	assert_int_equal(print_string("\xd7\x90\xd8\xa8"), 0);
	assert_string_equal(printed, "{\"s\":\"\xd7\x90\xd8\xa8\"}\n");
}

static void
test_missing_part(void **state)
{
	json_t *o = json_object();

	(void)state;
	jset(o, "a", json_integer(1));
	jset(o, "b", NULL);		/* as a failed allocation leaves it */
	assert_int_equal(print_caught(o), EXIT_USAGE);
	assert_string_equal(printed, "");
	assert_int_equal(print_caught(NULL), EXIT_USAGE);
	assert_string_equal(printed, "");
	/* The next document is whole again. */
	assert_int_equal(print_string("ok"), 0);
	assert_string_equal(printed, "{\"s\":\"ok\"}\n");
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_kept),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_hazards_escaped),
		cmocka_unit_test(test_missing_part),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
