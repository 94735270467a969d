/*
 * rules.c - the password rules; see rules.h.
 *
 * The checks run cheapest first and the order is part of the contract: the
 * byte length is compared before anything reads the text, so a huge input
 * costs nothing; invalid UTF-8 stops everything else, since "characters"
 * mean nothing for it; zxcvbn, the only costly check, runs last and never
 * on text that is too long.
 *
 * Threads: nothing here keeps state between calls; the work is done on the
 * caller's arguments, the stack, and heap memory freed before returning.
 * zxcvbn is safe to call concurrently too.  Debian's libzxcvbn has its
 * dictionary compiled in as const tables (ZxcvbnInit is a no-op macro), and
 * ZxcvbnMatch keeps everything in locals and in nodes it mallocs and frees
 * itself; its only outside calls are malloc/free, <ctype.h> (which reads
 * the thread's locale), strlen/strncmp/strchr and libm.  The shared object
 * has no writable data of its own (its .data and .bss are the 8 bytes each
 * of the C runtime's start-up files), so no lock is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zxcvbn.h>

#include "rules.h"
#include "text.h"
#include "trusted.h"
#include "wipe.h"

/*
 * zxcvbn works on a NUL-terminated copy on the stack, which is wiped after.
 * 4096 bytes is PROTO_MAX_SECRET, the longest password a client can send,
 * and 4 x the largest max_length the configuration allows (1024), so the
 * copy is never cut short.
 */
#define COPY_MAX 4096

/* The user name is only looked for when it has at least this many bytes:
 * a two-letter name turns up by chance in too many good passwords. */
#define NAME_MIN 3

#define WORD_MIN 3
#define WORD_MAX 64
#define WORDS_MAX 10000

long
rules_utf8_length(const char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;
	long count = 0;

	/* One decoder for the whole project (common/text.c): overlong
	 * forms, surrogates, code points above U+10FFFF and a NUL are not
	 * characters. */
	while (i < len) {
		n = text_utf8n(s + i, len - i, &cp);
		if (n == 0)
			return -1;
		i += n;
		count++;
	}
	return count;
}

/*
 * The classes are ASCII ranges, not <ctype.h>, so the verdict cannot depend
 * on the locale; every byte of a multi-byte character is "other", which is
 * what makes a non-ASCII letter count as other.
 */
static uint32_t
count_classes(const char *pw, size_t len)
{
	unsigned seen = 0;
	uint32_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];

		if (c >= 'a' && c <= 'z')
			seen |= 1;
		else if (c >= 'A' && c <= 'Z')
			seen |= 2;
		else if (c >= '0' && c <= '9')
			seen |= 4;
		else
			seen |= 8;
	}
	for (; seen != 0; seen >>= 1)
		n += seen & 1;
	return n;
}

static unsigned char
fold(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 'A' && u <= 'Z' ? (unsigned char)(u - 'A' + 'a') : u;
}

/* Whether name (n bytes, n <= len), read backwards when rev, occurs in pw
 * ignoring ASCII case.  User names are ASCII (useradd's rules), so byte
 * reversal is character reversal and ASCII folding is enough. */
static int
find_name(const char *pw, size_t len, const char *name, size_t n, int rev)
{
	size_t i, j;

	for (i = 0; i + n <= len; i++) {
		for (j = 0; j < n; j++)
			if (fold(pw[i + j]) != fold(name[rev ? n - 1 - j : j]))
				break;
		if (j == n)
			return 1;
	}
	return 0;
}

static int
has_name(const char *pw, size_t len, const char *user)
{
	size_t n = user != NULL ? strlen(user) : 0;

	if (n < NAME_MIN || n > len)
		return 0;
	return find_name(pw, len, user, n, 0) ||
	       find_name(pw, len, user, n, 1);
}

double
rules_entropy(const struct rules *r, const char *user, const char *pw)
{
	const char **dict;
	size_t n = 0, k = 0;
	double bits;

	while (r->words != NULL && r->words[n] != NULL)
		n++;
	/* ZxcvbnMatch wants a mutable array of pointers; the user comes first
	 * because zxcvbn ranks a word by its place in the list. */
	dict = calloc(n + 2, sizeof(*dict));
	if (dict == NULL)
		return 0.0;	/* fails closed: "too common" */
	if (user != NULL && user[0] != '\0')
		dict[k++] = user;
	for (size_t i = 0; i < n; i++)
		dict[k++] = r->words[i];
	bits = ZxcvbnMatch(pw, dict, NULL);
	free(dict);
	return bits;
}

/* pw is valid UTF-8, so it holds no NUL and the copy is the whole text. */
static int
too_common(const struct rules *r, const char *user, const char *pw,
	   size_t len)
{
	char copy[COPY_MAX + 1];
	size_t n = len < COPY_MAX ? len : COPY_MAX;
	double bits;

	memcpy(copy, pw, n);
	copy[n] = '\0';
	bits = rules_entropy(r, user, copy);
	wipe(copy, n);
	return bits < (double)r->min_entropy;
}

uint32_t
rules_check(const struct rules *r, const char *user, const char *pw,
	    size_t len)
{
	uint32_t broken = 0;
	long chars;

	/* 64-bit arithmetic: 4 * max_length must not wrap on any size_t. */
	if ((uint64_t)len > 4 * (uint64_t)r->max_length)
		return RULE_TOO_LONG;
	chars = rules_utf8_length(pw, len);
	if (chars < 0)
		return RULE_BAD_TEXT;
	if ((uint64_t)chars < r->min_length)
		broken |= RULE_TOO_SHORT;
	if ((uint64_t)chars > r->max_length)
		broken |= RULE_TOO_LONG;
	if (count_classes(pw, len) < r->min_classes)
		broken |= RULE_FEW_CLASSES;
	if (has_name(pw, len, user))
		broken |= RULE_HAS_NAME;
	/* The cheap checks above still report on a too-long password; only
	 * zxcvbn is skipped (and when no minimum is asked for at all). */
	if ((broken & RULE_TOO_LONG) == 0 && r->min_entropy > 0 &&
	    too_common(r, user, pw, len))
		broken |= RULE_TOO_COMMON;
	return broken;
}

/*
 * The blocklist reader.  The file is read a byte at a time (through stdio's
 * buffer) by a small state machine rather than into a line buffer, so a
 * line of any length is handled in constant memory and a word is known to
 * be too long as soon as its 65th byte arrives.
 */
struct loader {
	const char *path;
	char *err;
	size_t errsz;
	int failed;
	unsigned lineno;
	char **words;		/* NULL-terminated once loading ends */
	size_t n, cap;
	char word[WORD_MAX];	/* the line from its first non-blank */
	size_t len;		/* bytes since the first non-blank */
	size_t end;		/* bytes up to the last non-blank: the word */
	int comment;		/* after a '#', to the end of the line */
};

__attribute__((format(printf, 3, 4))) static void
fail_at(struct loader *l, unsigned line, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (l->failed)
		return;
	l->failed = 1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(l->err, l->errsz, "%s:%u: %s", l->path, line, reason);
	else
		snprintf(l->err, l->errsz, "%s: %s", l->path, reason);
}

static void
add_word(struct loader *l)
{
	char **grown, *w;

	if (l->n >= WORDS_MAX) {
		fail_at(l, l->lineno, "more than %d words", WORDS_MAX);
		return;
	}
	if (l->n + 1 >= l->cap) {
		grown = reallocarray(l->words, l->cap ? l->cap * 2 : 64,
				     sizeof(*grown));
		if (grown == NULL) {
			fail_at(l, 0, "out of memory");
			return;
		}
		l->words = grown;
		l->cap = l->cap ? l->cap * 2 : 64;
	}
	w = strndup(l->word, l->end);
	if (w == NULL) {
		fail_at(l, 0, "out of memory");
		return;
	}
	l->words[l->n++] = w;
	l->words[l->n] = NULL;
}

static void
end_line(struct loader *l)
{
	if (l->end > 0 && l->end < WORD_MIN)
		fail_at(l, l->lineno, "word too short (at least %d bytes)",
			WORD_MIN);
	else if (l->end > 0)
		add_word(l);
	l->len = 0;
	l->end = 0;
	l->comment = 0;
	l->lineno++;
}

/* One byte of the file.  Blanks are kept inside a word ("two words" is one
 * entry) but not around it; CR counts as a blank so CRLF files work. */
static void
feed(struct loader *l, int c)
{
	int blank = c == ' ' || c == '\t' || c == '\r';

	if (c == '\n') {
		end_line(l);
	} else if (l->comment || c == '#') {
		l->comment = 1;
	} else if (c == '\0') {
		fail_at(l, l->lineno, "NUL byte");
	} else if (!(blank && l->len == 0)) {
		/* Trailing blanks may run past the buffer; only a non-blank
		 * after them makes the word itself longer than WORD_MAX. */
		if (l->len < WORD_MAX)
			l->word[l->len] = (char)c;
		l->len++;
		if (!blank)
			l->end = l->len;
		if (l->end > WORD_MAX)
			fail_at(l, l->lineno,
				"word too long (at most %d bytes)", WORD_MAX);
	}
}

char **
rules_load_words(const char *path, char *err, size_t errsz)
{
	struct loader l = { .path = path, .err = err, .errsz = errsz,
			    .lineno = 1 };
	char why[256];
	FILE *fp;
	int c;

	fp = trusted_open(path, why, sizeof(why));
	if (fp == NULL) {
		fail_at(&l, 0, "%s", why);
		return NULL;
	}
	while (!l.failed && (c = getc(fp)) != EOF)
		feed(&l, c);
	if (!l.failed && ferror(fp))
		fail_at(&l, 0, "read error");
	if (!l.failed)
		end_line(&l);	/* a last line without its newline */
	fclose(fp);
	if (!l.failed && l.words == NULL)
		l.words = calloc(1, sizeof(*l.words));
	if (!l.failed && l.words == NULL)
		fail_at(&l, 0, "out of memory");
	if (l.failed) {
		rules_free_words(l.words);
		return NULL;
	}
	return l.words;
}

void
rules_free_words(char **words)
{
	if (words == NULL)
		return;
	for (size_t i = 0; words[i] != NULL; i++)
		free(words[i]);
	free(words);
}
