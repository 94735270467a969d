/*
 * test_rules.c - unit tests for the password rules in policyd/rules.c.
 *
 * Every rule is tested on both sides of its boundary with inputs that break
 * nothing else, so each assertion fails if that one rule breaks: length in
 * characters (ASCII and 2-, 3- and 4-byte UTF-8), the byte cap checked
 * before decoding, character classes, the user name (any case, reversed,
 * too short to check), zxcvbn with the user and the blocklist as known
 * words, strict UTF-8, concurrent calls, and the blocklist file reader.
 * Files live in a private mkdtemp directory removed by the group teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rules.h"
#include "tmpdir.h"

#define ERR_SZ 512
#define MIB (1024 * 1024)
#define N_THREADS 8

static const char *const blocklist[] = { "bookingco", NULL };

/* The policy every test uses unless it says otherwise. */
static const struct rules base = {
	.min_length = 12,
	.max_length = 256,
	.min_classes = 3,
	.min_entropy = 40,
	.words = blocklist,
};

/* A 12-character password that passes everything for "alice"; the tests
 * change one thing about it at a time. */
#define GOOD "xk4#Qm9!Lp2@"

/* 26 lower, 26 upper, 10 digits and 11 others: 73 symbols. */
static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz"
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789!@#%^&*-_=+";

static int
group_setup(void **state)
{
	(void)state;
	return tmpdir_setup("test_rules");
}

static int
group_teardown(void **state)
{
	(void)state;
	return tmpdir_teardown();
}

/* rules_check with the base policy for alice on a C string. */
static uint32_t
check(const char *pw)
{
	return rules_check(&base, "alice", pw, strlen(pw));
}

static uint32_t
check_as(const char *user, const char *pw)
{
	return rules_check(&base, user, pw, strlen(pw));
}

/* Appends s to dst, checked to fit in dstsz. */
static void
append(char *dst, size_t dstsz, const char *s)
{
	size_t len = strlen(dst);

	assert_true(len + strlen(s) < dstsz);
	memcpy(dst + len, s, strlen(s) + 1);
}

/* dst = s repeated times, checked to fit in dstsz. */
static void
repeat(char *dst, size_t dstsz, const char *s, size_t times)
{
	size_t len = strlen(s);

	assert_true(len * times < dstsz);
	for (size_t i = 0; i < times; i++)
		memcpy(dst + i * len, s, len);
	dst[len * times] = '\0';
}

/* n uniform symbols of the alphabet from /dev/urandom (rejection sampling
 * keeps them uniform: 219 = 3 * 73), NUL-terminated. */
static void
random_text(char *dst, size_t n)
{
	unsigned char b[64];
	size_t have = 0, used = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	for (size_t i = 0; i < n;) {
		if (used == have) {
			assert_int_equal(read(fd, b, sizeof(b)), sizeof(b));
			have = sizeof(b);
			used = 0;
		}
		if (b[used] < 219)
			dst[i++] = alphabet[b[used] % 73];
		used++;
	}
	dst[n] = '\0';
	close(fd);
}

static int
has_all_classes(const char *s)
{
	unsigned seen = 0;

	for (; *s != '\0'; s++) {
		if (*s >= 'a' && *s <= 'z')
			seen |= 1;
		else if (*s >= 'A' && *s <= 'Z')
			seen |= 2;
		else if (*s >= '0' && *s <= '9')
			seen |= 4;
		else
			seen |= 8;
	}
	return seen == 15;
}

/* A random password of n characters with all four classes. */
static void
random_password(char *dst, size_t n)
{
	do
		random_text(dst, n);
	while (!has_all_classes(dst));
}

static void
test_length_ascii(void **state)
{
	(void)state;
	assert_int_equal(check(GOOD), 0);
	assert_int_equal(check("xk4#Qm9!Lp2"), RULE_TOO_SHORT);
}

/* 8 ASCII characters plus 3 or 4 copies of mb: 11 or 12 characters, every
 * one of them more than 12 bytes long. */
static void
expect_multibyte_boundary(const char *mb)
{
	char pw[64];
	uint32_t rc;

	snprintf(pw, sizeof(pw), "xk4#Qm9!%s%s%s", mb, mb, mb);
	assert_true(strlen(pw) > 12);
	assert_int_equal(rules_utf8_length(pw, strlen(pw)), 11);
	assert_true(check(pw) & RULE_TOO_SHORT);
	snprintf(pw, sizeof(pw), "xk4#Qm9!%s%s%s%s", mb, mb, mb, mb);
	assert_int_equal(rules_utf8_length(pw, strlen(pw)), 12);
	rc = check(pw);
	if (rc != 0)
		fail_msg("12 characters with \"%s\" refused: %#x", mb,
			 (unsigned)rc);
}

static void
test_length_multibyte(void **state)
{
	char pw[64];

	(void)state;
	expect_multibyte_boundary("\xc3\xa9");		/* é, 2 bytes */
	expect_multibyte_boundary("\xe2\x82\xac");	/* €, 3 bytes */
	expect_multibyte_boundary("\xf0\x9f\x98\x80");	/* 😀, 4 bytes */
	/* Twelve accented letters are twelve characters, not 24. */
	repeat(pw, sizeof(pw), "\xc3\xa9", 12);
	assert_int_equal(rules_utf8_length(pw, strlen(pw)), 12);
	assert_false(check(pw) & RULE_TOO_SHORT);
	repeat(pw, sizeof(pw), "\xc3\xa9", 11);
	assert_true(check(pw) & RULE_TOO_SHORT);
}

/* 256 characters pass, 257 are too long; the 257 "aaa...Aa1!a" would also
 * be too common, so an exact RULE_TOO_LONG shows zxcvbn was skipped. */
static void
test_length_max(void **state)
{
	char pw[1100];

	(void)state;
	random_password(pw, 256);
	assert_int_equal(check(pw), 0);
	append(pw, sizeof(pw), "x");
	assert_int_equal(check(pw), RULE_TOO_LONG);

	repeat(pw, sizeof(pw), "a", 252);
	append(pw, sizeof(pw), "Aa1!");
	assert_int_equal(check(pw), RULE_TOO_COMMON);
	append(pw, sizeof(pw), "a");
	assert_int_equal(check(pw), RULE_TOO_LONG);
}

/* 4 * max_length bytes is the cap checked before decoding: 256 emoji
 * (1024 bytes) get past it, one byte more does not, and then nothing else
 * is reported although the text has only one class. */
static void
test_length_bytes(void **state)
{
	char pw[1100];

	(void)state;
	repeat(pw, sizeof(pw), "\xf0\x9f\x98\x80", 256);
	assert_int_equal(strlen(pw), 1024);
	assert_false(check(pw) & RULE_TOO_LONG);
	assert_true(check(pw) & RULE_FEW_CLASSES);
	append(pw, sizeof(pw), "a");
	assert_int_equal(check(pw), RULE_TOO_LONG);
}

/* A mebibyte is refused on its size alone: exactly RULE_TOO_LONG, and
 * invalid UTF-8 that long is not even decoded (no RULE_BAD_TEXT). */
static void
test_huge_input(void **state)
{
	char *big = malloc(MIB);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', MIB);
	assert_int_equal(rules_check(&base, "alice", big, MIB),
			 RULE_TOO_LONG);
	memset(big, 0xff, MIB);
	assert_int_equal(rules_check(&base, "alice", big, MIB),
			 RULE_TOO_LONG);
	free(big);
}

static void
test_classes(void **state)
{
	(void)state;
	/* Two classes and three. */
	assert_true(check("htkqwLmxZpRv") & RULE_FEW_CLASSES);
	assert_false(check("htkqwLmxZpR7") & RULE_FEW_CLASSES);
	assert_false(check("htkqw#mxzp97") & RULE_FEW_CLASSES);
	/* é and É are "other": lower + upper + é makes three classes (two
	 * if é counted as lower), lower + É makes two. */
	assert_false(check("htkqwLmxzprv\xc3\xa9") & RULE_FEW_CLASSES);
	assert_false(check("htkqwLmxzpr\xc3\x89") & RULE_FEW_CLASSES);
	assert_true(check("htkqwlmxzpr\xc3\x89") & RULE_FEW_CLASSES);
	assert_true(check("\xc3\xa9\xc3\xa8\xc3\xa0\xc3\xbc\xc3\xb6"
			  "\xc3\xa7\xc3\xa9\xc3\xa8\xc3\xa0\xc3\xbc"
			  "\xc3\xb6\xc3\xa7") & RULE_FEW_CLASSES);
}

static void
test_user_name(void **state)
{
	(void)state;
	assert_false(check(GOOD "alic") & RULE_HAS_NAME);
	assert_true(check("xk4#alice9!Lp") & RULE_HAS_NAME);
	assert_true(check("xk4#ALICE9!Lp") & RULE_HAS_NAME);
	assert_true(check("xk4#aLiCe9!Lp") & RULE_HAS_NAME);
	assert_true(check("Alicexk4#Q9!Lp") & RULE_HAS_NAME);
	assert_true(check("xk4#Q9!Lp2alicE") & RULE_HAS_NAME);
	/* Reversed, in any case. */
	assert_true(check("xk4#ecila9!Lp") & RULE_HAS_NAME);
	assert_true(check("xk4#EcIlA9!Lp") & RULE_HAS_NAME);
	assert_false(check("xk4#ecil9!Lpq") & RULE_HAS_NAME);
	/* Three bytes are checked, two are not. */
	assert_true(check_as("bob", "xk4#BOB9!Lp2") & RULE_HAS_NAME);
	assert_false(check_as("bo", "xk4#BO9!Lp2@") & RULE_HAS_NAME);
	assert_false(check_as("al", "xk4#al9!Lp2@") & RULE_HAS_NAME);
	assert_false(check_as("al", "xk4#la9!Lp2@") & RULE_HAS_NAME);
}

/* The common patterns are refused as too common, and for nothing else. */
static void
test_weak_passwords(void **state)
{
	static const char *const weak[] = {
		"Password123!", "P@ssw0rd2024!", "Welcome12345!",
		"Summer2024!!", "Qwertyuiop12!", "Bookingco2024!",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		uint32_t rc = check(weak[i]);

		if (rc != RULE_TOO_COMMON)
			fail_msg("\"%s\": %#x, %.2f bits", weak[i],
				 (unsigned)rc,
				 rules_entropy(&base, "alice", weak[i]));
	}
}

/* "Bookingco#Q7" is fine for zxcvbn's own dictionary (44.5 bits) and too
 * common once the blocklist or the user name supplies the word. */
static void
test_known_words(void **state)
{
	struct rules no_words = base;
	const char *pw = "Bookingco#Q7";

	(void)state;
	no_words.words = NULL;
	assert_int_equal(check(pw), RULE_TOO_COMMON);
	assert_int_equal(rules_check(&no_words, "alice", pw, strlen(pw)), 0);
	assert_true(rules_entropy(&no_words, "alice", pw) >= 40.0);
	assert_true(rules_entropy(&no_words, "bookingco", pw) < 40.0);
	assert_true(rules_entropy(&base, "alice", pw) < 40.0);
}

/* min_entropy 0 asks for no zxcvbn check at all. */
static void
test_no_entropy_minimum(void **state)
{
	struct rules lax = base;

	(void)state;
	lax.min_entropy = 0;
	assert_int_equal(rules_check(&lax, "alice", "Password123!", 12), 0);
}

/*
 * Random 12-character passwords with all four classes are accepted.  The
 * list was drawn once from a CSPRNG over the 73-symbol alphabet and kept,
 * so the test is deterministic: zxcvbn scores about 1 in 5000 such
 * passwords below the 40-bit default, and a test must not fail by chance.
 */
static void
test_random_accepted(void **state)
{
	static const char *const drawn[] = {
		"=0EdOIwbjK@V", "-+jo2N0MY5IR", "@3y6qNtuE!jE", "XOaiGRVI&P0V",
		"=_CBtdcTv&r4", "n&=1VPN58WMv", "7qX99tG%M_Ny", "2^VcN0sAP8!B",
		"cY+mX7*khzt=", "-3ZokyZpXQki", "J7bXyX-b!fZd", "O04+&96Q3p_u",
		"HF7!#gK8Pb&w", "sfTlY!F2HK5!", "QkqCq&aI%wM1", "gJO6rAaXU4+B",
		"Ow7-MI5Els87", "4*WiwfiBx78W", "VG^dR#9J77j2", "u^FK7&o6NxTB",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(drawn) / sizeof(drawn[0]); i++) {
		uint32_t rc = check(drawn[i]);

		if (rc != 0)
			fail_msg("random \"%s\" refused: %#x, %.2f bits",
				 drawn[i], (unsigned)rc,
				 rules_entropy(&base, "alice", drawn[i]));
	}
}

/* GOOD with bad appended (n bytes) is bad text and nothing else. */
static void
expect_bad_text(const char *bad, size_t n)
{
	char pw[64];

	memcpy(pw, GOOD, 12);
	memcpy(pw + 12, bad, n);
	assert_int_equal(rules_check(&base, "alice", pw, 12 + n),
			 RULE_BAD_TEXT);
}

static void
test_bad_text(void **state)
{
	(void)state;
	expect_bad_text("\xc0\xaf", 2);			/* overlong '/' */
	expect_bad_text("\xed\xa0\x80", 3);		/* U+D800 */
	expect_bad_text("\xf4\x90\x80\x80", 4);		/* U+110000 */
	expect_bad_text("\xe2\x82", 2);			/* truncated € */
	expect_bad_text("\x80", 1);			/* stray */
	expect_bad_text("\0", 1);			/* NUL at the end */
	assert_int_equal(rules_check(&base, "alice", "xk4#Qm\0" "9!Lp2@x",
				     14), RULE_BAD_TEXT);
	/* Even when other rules are broken as well. */
	assert_int_equal(rules_check(&base, "alice", "a\xc0\xaf", 3),
			 RULE_BAD_TEXT);
}

struct utf8_case {
	const char *s;
	size_t len;
	long want;
};

#define U(lit, want) { lit, sizeof(lit) - 1, want }

static void
test_utf8_length(void **state)
{
	static const struct utf8_case cases[] = {
		U("", 0), U("abc", 3), U("\xc3\xa9", 1), U("\xe2\x82\xac", 1),
		U("\xf0\x9f\x98\x80", 1), U("a\xc3\xa9\xe2\x82\xac\xf0\x9f"
					    "\x98\x80", 4),
		/* The edges of each length and of the surrogates. */
		U("\x7f", 1), U("\xc2\x80", 1), U("\xdf\xbf", 1),
		U("\xe0\xa0\x80", 1), U("\xed\x9f\xbf", 1),
		U("\xee\x80\x80", 1), U("\xef\xbf\xbf", 1),
		U("\xf0\x90\x80\x80", 1), U("\xf4\x8f\xbf\xbf", 1),
		/* Overlong forms. */
		U("\xc0\xaf", -1), U("\xc1\xbf", -1), U("\xe0\x80\xaf", -1),
		U("\xe0\x9f\xbf", -1), U("\xf0\x80\x80\xaf", -1),
		U("\xf0\x8f\xbf\xbf", -1),
		/* Surrogates, above U+10FFFF, bytes that never occur. */
		U("\xed\xa0\x80", -1), U("\xed\xbf\xbf", -1),
		U("\xf4\x90\x80\x80", -1), U("\xf5\x80\x80\x80", -1),
		U("\xfe", -1), U("\xff", -1),
		/* Truncated, stray, bad continuation, NUL. */
		U("\xe2\x82", -1), U("\xf0\x9f\x98", -1), U("a\xc3", -1),
		U("\x80", -1), U("a\xbf", -1), U("\xe2\x28\xac", -1),
		U("\xe2\x82\x28", -1), U("a\0b", -1), U("\0", -1),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long got = rules_utf8_length(cases[i].s, cases[i].len);

		if (got != cases[i].want)
			fail_msg("case %zu: %ld, expected %ld", i, got,
				 cases[i].want);
	}
	/* Only len bytes are read. */
	assert_int_equal(rules_utf8_length("abc", 2), 2);
	assert_int_equal(rules_utf8_length("\xc3\xa9", 1), -1);
}

/* Passwords and the verdicts computed on the main thread, which threads
 * then recompute at the same time. */
static const char *const concurrent_pw[] = {
	GOOD, "Password123!", "Bookingco#Q7", "xk4#ecila9!Lp",
	"Qwertyuiop12!", "htkqwLmxzpr\xc3\x89",
};
#define N_CONCURRENT (sizeof(concurrent_pw) / sizeof(concurrent_pw[0]))

struct expected {
	uint32_t rc[N_CONCURRENT];
	double bits[N_CONCURRENT];
	int mismatches;
};

static void *
recompute(void *arg)
{
	struct expected *e = arg;

	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < N_CONCURRENT; i++) {
			const char *pw = concurrent_pw[i];

			if (check(pw) != e->rc[i] ||
			    rules_entropy(&base, "alice", pw) != e->bits[i])
				e->mismatches++;
		}
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct expected e[N_THREADS];
	pthread_t t[N_THREADS];

	(void)state;
	for (size_t i = 0; i < N_CONCURRENT; i++) {
		e[0].rc[i] = check(concurrent_pw[i]);
		e[0].bits[i] = rules_entropy(&base, "alice", concurrent_pw[i]);
	}
	e[0].mismatches = 0;
	for (int k = 1; k < N_THREADS; k++)
		e[k] = e[0];
	for (int k = 0; k < N_THREADS; k++)
		assert_int_equal(pthread_create(&t[k], NULL, recompute, &e[k]),
				 0);
	for (int k = 0; k < N_THREADS; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	for (int k = 0; k < N_THREADS; k++)
		assert_int_equal(e[k].mismatches, 0);
}

/* Checks err is "path:line: ..." ("path: ..." for line 0) and that the
 * reason after the prefix contains word. */
static void
assert_message(const char *err, const char *path, unsigned line,
	       const char *word)
{
	char want[PATH_MAX + 32];

	if (line > 0)
		snprintf(want, sizeof(want), "%s:%u: ", path, line);
	else
		snprintf(want, sizeof(want), "%s: ", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("expected \"%s...\", got \"%s\"", want, err);
	if (strstr(err + strlen(want), word) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", word, err);
}

/* Loads path, which must fail on line with word in the reason. */
static void
expect_load_error(const char *path, unsigned line, const char *word)
{
	char err[ERR_SZ] = "";
	char **words = rules_load_words(path, err, sizeof(err));

	if (words != NULL) {
		rules_free_words(words);
		fail_msg("%s loaded, but should not have", path);
	}
	assert_message(err, path, line, word);
}

/* Writes the len bytes of text and expects them to fail on line. */
static void
expect_text_error(const char *text, size_t len, unsigned line,
		  const char *word)
{
	char path[PATH_MAX];

	tmpdir_write("words", text, len, 0644, path);
	expect_load_error(path, line, word);
}

#define TEXT_ERROR(lit, line, word) \
	expect_text_error(lit, sizeof(lit) - 1, line, word)

static void
test_words_valid(void **state)
{
	static const char text[] =
		"# blocklist\n"
		"\n"
		"  alpha  \n"
		"\tbravo\t# the second\n"
		"charlie\r\n"
		"   \n"
		"#delta\n"
		"two words\n"
		"abc\n"
		"0123456789012345678901234567890123456789"
		"012345678901234567890123 \t \n"
		"echo";
	static const char *const want[] = {
		"alpha", "bravo", "charlie", "two words", "abc",
		"0123456789012345678901234567890123456789"
		"012345678901234567890123",
		"echo",
	};
	char path[PATH_MAX], err[ERR_SZ] = "";
	char **words;
	size_t i;

	(void)state;
	tmpdir_write("words", text, strlen(text), 0644, path);
	words = rules_load_words(path, err, sizeof(err));
	if (words == NULL)
		fail_msg("%s", err);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_non_null(words[i]);
		assert_string_equal(words[i], want[i]);
	}
	assert_null(words[i]);
	rules_free_words(words);
}

static void
test_words_empty(void **state)
{
	char path[PATH_MAX], err[ERR_SZ] = "";
	char **words;

	(void)state;
	tmpdir_write("words", "# nothing\n\n", 11, 0600, path);
	words = rules_load_words(path, err, sizeof(err));
	assert_non_null(words);
	assert_null(words[0]);
	rules_free_words(words);
	rules_free_words(NULL);
}

static void
test_words_bad_lines(void **state)
{
	(void)state;
	TEXT_ERROR("alpha\n# c\n"
		   "01234567890123456789012345678901234567890123456789"
		   "012345678901234\nbravo\n",
		   3, "word too long (at most 64 bytes)");
	/* A blank inside a word counts (trailing ones do not: see
	 * test_words_valid). */
	TEXT_ERROR("alpha\n"
		   "0123456789012345678901234567890123456789"
		   "01234567890123456789012 4\n",
		   2, "word too long");
	TEXT_ERROR("alpha\nbravo\n  ab  \n", 3,
		   "word too short (at least 3 bytes)");
	TEXT_ERROR("alpha\nbr\0vo\n", 2, "NUL");
}

static void
test_words_too_many(void **state)
{
	size_t n = 10001 * 6;
	char *text = malloc(n + 1), path[PATH_MAX], err[ERR_SZ];
	char **words;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 10001; i++) {
		int k = i % 10000;

		text[i * 6] = 'w';
		for (int d = 4; d >= 1; d--, k /= 10)
			text[i * 6 + d] = (char)('0' + k % 10);
		text[i * 6 + 5] = '\n';
	}
	text[n] = '\0';
	tmpdir_write("words", text, n - 6, 0600, path);
	words = rules_load_words(path, err, sizeof(err));
	assert_non_null(words);
	assert_string_equal(words[9999], "w9999");
	assert_null(words[10000]);
	rules_free_words(words);
	tmpdir_write("words", text, n, 0600, path);
	free(text);
	expect_load_error(path, 10001, "more than 10000 words");
}

static void
test_words_file_checks(void **state)
{
	char path[PATH_MAX], link[PATH_MAX];

	(void)state;
	tmpdir_write("words", "alpha\n", 6, 0600, path);
	tmpdir_path("words-link", link);
	tmpdir_track("words-link");
	assert_int_equal(symlink(path, link), 0);
	expect_load_error(link, 0, "symbolic link");

	tmpdir_write("words", "alpha\n", 6, 0620, path);
	expect_load_error(path, 0, "writable by group or others");
	tmpdir_write("words", "alpha\n", 6, 0602, path);
	expect_load_error(path, 0, "writable by group or others");

	expect_load_error(tmp_dir, 0, "not a regular file");
	tmpdir_path("missing", path);
	expect_load_error(path, 0, "No such file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length_ascii),
		cmocka_unit_test(test_length_multibyte),
		cmocka_unit_test(test_length_max),
		cmocka_unit_test(test_length_bytes),
		cmocka_unit_test(test_huge_input),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_user_name),
		cmocka_unit_test(test_weak_passwords),
		cmocka_unit_test(test_known_words),
		cmocka_unit_test(test_no_entropy_minimum),
		cmocka_unit_test(test_random_accepted),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_utf8_length),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_words_valid),
		cmocka_unit_test(test_words_empty),
		cmocka_unit_test(test_words_bad_lines),
		cmocka_unit_test(test_words_too_many),
		cmocka_unit_test(test_words_file_checks),
	};

	return cmocka_run_group_tests_name("rules", tests, group_setup,
					   group_teardown);
}
