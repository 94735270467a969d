/*
 * rules.h - the password rules: length in characters, character classes,
 * the user name, and guessability (zxcvbn).  Pure functions of their
 * inputs, so the daemon, `policyctl password check` and the unit tests
 * see the same verdicts.
 */
#ifndef POLICYD_RULES_H
#define POLICYD_RULES_H

#include <stddef.h>
#include <stdint.h>

struct rules {
	uint32_t min_length;	/* Unicode characters of valid UTF-8 */
	uint32_t max_length;
	uint32_t min_classes;	/* of lower, upper, digit, other */
	uint32_t min_entropy;	/* bits, as zxcvbn estimates them */
	/* Extra words zxcvbn treats as known (host name, blocklist), NULL-
	 * terminated; may be NULL.  The user name is always added. */
	const char *const *words;
};

/* One bit per broken rule. */
enum rule_bit {
	RULE_BAD_TEXT = 1u << 0,	/* invalid UTF-8, or a NUL byte */
	RULE_TOO_SHORT = 1u << 1,
	RULE_TOO_LONG = 1u << 2,
	RULE_FEW_CLASSES = 1u << 3,
	RULE_HAS_NAME = 1u << 4,	/* the user name, or it reversed */
	RULE_TOO_COMMON = 1u << 5,	/* below min_entropy */
};

/*
 * Checks pw (len bytes, not necessarily NUL-terminated, may hold NUL) for
 * user.  Returns the set of broken rules, 0 if it passes.  A password
 * longer than max_length characters, or than 4 * max_length bytes, is
 * refused as RULE_TOO_LONG before any costly check runs.  Text that is not
 * valid UTF-8 gets RULE_BAD_TEXT and no other check.
 */
uint32_t rules_check(const struct rules *r, const char *user, const char *pw,
		     size_t len);

/* The number of characters in s (len bytes) if it is valid UTF-8 (no
 * overlong forms, no surrogates, nothing above U+10FFFF, no NUL), else -1. */
long rules_utf8_length(const char *s, size_t len);

/* zxcvbn's estimate for pw, with user and r->words as known words. */
double rules_entropy(const struct rules *r, const char *user, const char *pw);

/*
 * Reads a blocklist: one word per line, '#' starts a comment, blank lines
 * and surrounding blanks ignored, words of 3 to 64 bytes, at most 10000.
 * The file is opened with trusted_open (trusted.h): no symlink, a regular
 * file owned by root or the daemon's user, writable by no one else.  Returns a NULL-terminated array
 * to free with rules_free_words, or NULL with a reason in err (naming the
 * file and line where there is one).
 */
char **rules_load_words(const char *path, char *err, size_t errsz);
void rules_free_words(char **words);

#endif
