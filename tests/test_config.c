/*
 * test_config.c - unit tests for the configuration parser in
 * policyd/config.c.
 *
 * Covers cfg_defaults, an empty and a complete file, every per-line error
 * (with its exact "path:line: " prefix and a word of the reason) and every
 * cross-key argon2 check, the rule that a failed load leaves the output
 * struct alone, cfg_parse_duration on its own, and the checks made on the
 * file itself (missing, symlink, directory, FIFO, loose mode, owner).
 * Files live in a private mkdtemp directory removed by the group teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "config.h"
#include "tmpdir.h"

#define SENTINEL 0x5a
#define ERR_SZ 512

static int
group_setup(void **state)
{
	(void)state;
	return tmpdir_setup("test_config");
}

static int
group_teardown(void **state)
{
	(void)state;
	return tmpdir_teardown();
}

static void
write_conf(const char *name, const char *text, char *path)
{
	tmpdir_write(name, text, strlen(text), 0600, path);
}

/* Fails unless every byte of *c still holds the sentinel. */
static void
assert_untouched(const struct cfg *c)
{
	const unsigned char *b = (const unsigned char *)c;

	for (size_t i = 0; i < sizeof(*c); i++)
		if (b[i] != SENTINEL)
			fail_msg("struct cfg byte %zu written on failure", i);
}

/* Loads path into a sentinel-filled *c and returns cfg_load's result;
 * a failure must leave *c alone and put a message in err[ERR_SZ]. */
static int
load_sentinel(const char *path, struct cfg *c, char *err)
{
	int rc;

	memset(c, SENTINEL, sizeof(*c));
	memset(err, 0, ERR_SZ);
	rc = cfg_load(path, c, err, ERR_SZ);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_untouched(c);
		assert_true(err[0] != '\0');
	}
	return rc;
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

/* Writes text to name and asserts the load fails on line with word. */
static void
expect_error(const char *name, const char *text, unsigned line,
	     const char *word)
{
	char path[PATH_MAX], err[ERR_SZ];
	struct cfg c;

	write_conf(name, text, path);
	if (load_sentinel(path, &c, err) == 0)
		fail_msg("loaded, but should not have:\n%s", text);
	assert_message(err, path, line, word);
}

/* Writes text to name and asserts it loads into *c. */
static void
expect_load(const char *name, const char *text, struct cfg *c)
{
	char path[PATH_MAX], err[ERR_SZ];

	write_conf(name, text, path);
	if (load_sentinel(path, c, err) != 0)
		fail_msg("failed: \"%s\" for:\n%s", err, text);
}

/* Asserts *c holds exactly the documented defaults. */
static void
assert_defaults(const struct cfg *c)
{
	assert_string_equal(c->runtime_dir, "/run/policyd");
	assert_string_equal(c->database, "/var/lib/policyd/policyd.db");
	assert_string_equal(c->user, "policyd");
	assert_string_equal(c->admin_group, "");
	assert_int_equal(c->hash_workers, 0);
	assert_int_equal(c->max_connections, 64);
	assert_int_equal(c->request_timeout, 10);
	assert_int_equal(c->argon2.memory_kib, 65536);
	assert_int_equal(c->argon2.time, 3);
	assert_int_equal(c->argon2.parallelism, 1);
	assert_int_equal(c->argon2.max_memory_kib, 262144);
	assert_int_equal(c->argon2.max_time, 10);
	assert_int_equal(c->argon2.max_parallelism, 4);
}

static void
test_defaults(void **state)
{
	struct cfg c;

	(void)state;
	memset(&c, SENTINEL, sizeof(c));
	cfg_defaults(&c);
	assert_defaults(&c);
}

static void
test_empty_file(void **state)
{
	struct cfg c;

	(void)state;
	expect_load("empty.conf", "", &c);
	assert_defaults(&c);
	expect_load("blank.conf",
		    "; nothing but comments\n"
		    "\n"
		    "# and blank lines\n"
		    "[daemon]\n"
		    "[password]\n", &c);
	assert_defaults(&c);
}

static void
test_full_file(void **state)
{
	static const char text[] =
		"; policyd.conf written by test_config\n"
		"# every key, none at its default\n"
		"\n"
		"[daemon]\n"
		"runtime_dir=/run/pd-test\n"
		"database   =   /srv/pd/test.db\n"
		"user = pd_user-1\n"
		"\n"
		"admin_group = wheel ; inline comment\n"
		"hash_workers = 256\n"
		"max_connections = 4096\n"
		"request_timeout = 2m\n"
		"\n"
		"# the cost of new hashes, and the limits\n"
		"[password]\n"
		"argon2_memory = 131072\n"
		"argon2_time = 4\n"
		"argon2_parallelism = 2\n"
		"; the limits\n"
		"argon2_max_memory = 4194304\n"
		"argon2_max_time = 100\n"
		"argon2_max_parallelism = 16\n";
	struct cfg c;

	(void)state;
	expect_load("full.conf", text, &c);
	assert_string_equal(c.runtime_dir, "/run/pd-test");
	assert_string_equal(c.database, "/srv/pd/test.db");
	assert_string_equal(c.user, "pd_user-1");
	assert_string_equal(c.admin_group, "wheel");
	assert_int_equal(c.hash_workers, 256);
	assert_int_equal(c.max_connections, 4096);
	assert_int_equal(c.request_timeout, 120);
	assert_int_equal(c.argon2.memory_kib, 131072);
	assert_int_equal(c.argon2.time, 4);
	assert_int_equal(c.argon2.parallelism, 2);
	assert_int_equal(c.argon2.max_memory_kib, 4194304);
	assert_int_equal(c.argon2.max_time, 100);
	assert_int_equal(c.argon2.max_parallelism, 16);
}

/* The low end of every range loads too. */
static void
test_range_minimums(void **state)
{
	static const char text[] =
		"[daemon]\n"
		"hash_workers = 0\n"
		"max_connections = 1\n"
		"request_timeout = 1s\n"
		"[password]\n"
		"argon2_memory = 8\n"
		"argon2_time = 1\n"
		"argon2_parallelism = 1\n"
		"argon2_max_memory = 8\n"
		"argon2_max_time = 1\n"
		"argon2_max_parallelism = 1\n";
	struct cfg c;

	(void)state;
	expect_load("minimums.conf", text, &c);
	assert_int_equal(c.hash_workers, 0);
	assert_int_equal(c.max_connections, 1);
	assert_int_equal(c.request_timeout, 1);
	assert_int_equal(c.argon2.memory_kib, 8);
	assert_int_equal(c.argon2.time, 1);
	assert_int_equal(c.argon2.parallelism, 1);
	assert_int_equal(c.argon2.max_memory_kib, 8);
	assert_int_equal(c.argon2.max_time, 1);
	assert_int_equal(c.argon2.max_parallelism, 1);
	assert_string_equal(c.user, "policyd");
}

static void
test_empty_names(void **state)
{
	struct cfg c;

	(void)state;
	expect_load("empty-user.conf", "[daemon]\nuser =\n", &c);
	assert_string_equal(c.user, "");
	assert_string_equal(c.admin_group, "");
	assert_string_equal(c.database, "/var/lib/policyd/policyd.db");
	assert_int_equal(c.max_connections, 64);

	expect_load("empty-group.conf",
		    "[daemon]\nadmin_group = adm\nuser=\n", &c);
	assert_string_equal(c.user, "");
	assert_string_equal(c.admin_group, "adm");
}

static void
test_names(void **state)
{
	static const char *const bad[] = {
		"Root", "a b", "9abc", "-x", "a.b", "ab$", "r\xc3\xa9mi",
		"a;b",
	};
	char text[128];
	struct cfg c;

	(void)state;
	expect_load("name-ok.conf",
		    "[daemon]\nuser = _svc\nadmin_group = a-b_9\n", &c);
	assert_string_equal(c.user, "_svc");
	assert_string_equal(c.admin_group, "a-b_9");

	/* 32 characters fit in CFG_NAME_MAX, 33 do not. */
	expect_load("name-32.conf",
		    "[daemon]\nuser = abcdefghijklmnopqrstuvwxyz012345\n",
		    &c);
	assert_string_equal(c.user, "abcdefghijklmnopqrstuvwxyz012345");
	expect_error("name-33.conf",
		     "[daemon]\n\nuser = abcdefghijklmnopqrstuvwxyz0123456\n",
		     3, "too long");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "[daemon]\n# bad name\nuser = %s\n", bad[i]);
		expect_error("name-bad.conf", text, 3, "not a valid name");
		snprintf(text, sizeof(text),
			 "[daemon]\nuser = a\nadmin_group = %s\n", bad[i]);
		expect_error("name-bad.conf", text, 3, "admin_group");
	}
}

/* A retention of less than a day would purge the morning's records:
 * 0 (keep all) or 1d at least. */
static void
test_retention_floor(void **state)
{
	struct cfg c;

	(void)state;
	expect_error("retention.conf", "[audit]\nretention = 1s\n", 2,
		     "at least 1d");
	expect_error("retention.conf", "[audit]\nretention = 23h\n", 2,
		     "at least 1d");
	expect_load("retention.conf", "[audit]\nretention = 0\n", &c);
	assert_int_equal(c.audit_retention, 0);
	expect_load("retention.conf", "[audit]\nretention = 1d\n", &c);
	assert_int_equal(c.audit_retention, 86400);
}

static void
test_unknown_key(void **state)
{
	(void)state;
	expect_error("unknown-key.conf",
		     "[daemon]\nuser = a\n\nbogus = 1\nhash_workers = 2\n",
		     4, "unknown key 'bogus'");
	/* A real key in the wrong section is unknown there. */
	expect_error("unknown-key.conf",
		     "[daemon]\nuser = a\n[password]\nuser = b\n",
		     4, "unknown key 'user' in [password]");
	/* Names are case-sensitive. */
	expect_error("unknown-key.conf", "[daemon]\nUser = a\n",
		     2, "unknown key");
}

static void
test_unknown_section(void **state)
{
	(void)state;
	expect_error("unknown-section.conf",
		     "[daemon]\nuser = a\n[extra]\nkey = 1\n",
		     3, "unknown section [extra]");
	/* A section is checked even when it holds no key. */
	expect_error("unknown-section.conf", "[daemon]\n[bogus]\n", 2,
		     "unknown section [bogus]");
	expect_error("unknown-section.conf",
		     "# no section yet\nuser = a\n",
		     2, "unknown section");
	expect_error("unknown-section.conf",
		     "[Daemon]\nuser = a\n", 1, "unknown section");
}

static void
test_key_twice(void **state)
{
	(void)state;
	expect_error("twice.conf",
		     "[daemon]\nmax_connections = 5\n# again\n"
		     "max_connections = 6\n",
		     4, "set twice (first on line 2)");
	/* Reopening a section does not reset what it has seen. */
	expect_error("twice.conf",
		     "[daemon]\nuser = a\n[password]\nargon2_time = 2\n"
		     "[daemon]\nuser = a\n",
		     6, "first on line 2");
	/* Twice with the same value is still twice. */
	expect_error("twice.conf",
		     "[password]\nargon2_time = 2\nargon2_time = 2\n",
		     3, "set twice");
}

static void
test_out_of_range(void **state)
{
	static const struct {
		const char *text;
		const char *word;
	} cases[] = {
		{ "[daemon]\n\nmax_connections = 0\n", "max_connections" },
		{ "[daemon]\n\nmax_connections = 4097\n", "max_connections" },
		/* 2^32 + 1 must not wrap to 1 */
		{ "[daemon]\n\nmax_connections = 4294967297\n",
		  "max_connections" },
		{ "[daemon]\n\nhash_workers = 257\n", "hash_workers" },
		{ "[password]\n\nargon2_time = 0\n", "argon2_time" },
		{ "[password]\n\nargon2_time = 101\n", "argon2_time" },
		{ "[password]\n\nargon2_memory = 7\n", "argon2_memory" },
		{ "[password]\n\nargon2_memory = 4194305\n",
		  "argon2_memory" },
		{ "[password]\n\nargon2_parallelism = 0\n",
		  "argon2_parallelism" },
		{ "[password]\n\nargon2_max_parallelism = 17\n",
		  "argon2_max_parallelism" },
		{ "[password]\n\nargon2_max_time = 0\n", "argon2_max_time" },
		{ "[password]\n\nargon2_max_memory = 7\n",
		  "argon2_max_memory" },
	};
	char path[PATH_MAX], err[ERR_SZ];
	struct cfg c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf("range.conf", cases[i].text, path);
		if (load_sentinel(path, &c, err) == 0)
			fail_msg("loaded:\n%s", cases[i].text);
		assert_message(err, path, 3, "out of range");
		assert_message(err, path, 3, cases[i].word);
	}
}

static void
test_not_a_number(void **state)
{
	static const char *const bad[] = {
		"12abc", "-1", "", "+5", "0x10", "1e3", "1.0", "4 0",
		"99999999999999999999999",
	};
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "[daemon]\nuser = a\nmax_connections = %s\n",
			 bad[i]);
		expect_error("nan.conf", text, 3, "not a whole number");
		snprintf(text, sizeof(text),
			 "[password]\nargon2_time = 2\n\n"
			 "argon2_memory = %s\n", bad[i]);
		expect_error("nan.conf", text, 4, "argon2_memory");
	}
}

static void
test_request_timeout(void **state)
{
	struct cfg c;

	(void)state;
	expect_error("timeout.conf",
		     "[daemon]\nuser = a\nrequest_timeout = 10\n",
		     3, "not a duration");
	expect_error("timeout.conf",
		     "[daemon]\nuser = a\nrequest_timeout = 10x\n",
		     3, "not a duration");
	expect_error("timeout.conf",
		     "[daemon]\nuser = a\nrequest_timeout =\n",
		     3, "not a duration");
	expect_error("timeout.conf",
		     "[daemon]\nuser = a\nrequest_timeout = 2h\n",
		     3, "out of range");
	expect_error("timeout.conf",
		     "[daemon]\nuser = a\nrequest_timeout = 0\n",
		     3, "out of range");
	expect_error("timeout.conf",
		     "[daemon]\nuser = a\nrequest_timeout = 3601s\n",
		     3, "out of range");

	expect_load("timeout.conf", "[daemon]\nrequest_timeout = 1h\n", &c);
	assert_int_equal(c.request_timeout, 3600);
	expect_load("timeout.conf", "[daemon]\nrequest_timeout = 45s\n",
		    &c);
	assert_int_equal(c.request_timeout, 45);
	expect_load("timeout.conf", "[daemon]\nrequest_timeout = 60m\n",
		    &c);
	assert_int_equal(c.request_timeout, 3600);
}

static void
test_relative_path(void **state)
{
	(void)state;
	expect_error("relative.conf",
		     "[daemon]\nuser = a\ndatabase = var/lib/p.db\n",
		     3, "absolute path");
	expect_error("relative.conf",
		     "[daemon]\nuser = a\nruntime_dir = ./run\n",
		     3, "runtime_dir");
	expect_error("relative.conf",
		     "[daemon]\nuser = a\ndatabase =\n",
		     3, "absolute path");
}

static void
test_syntax_error(void **state)
{
	(void)state;
	expect_error("syntax.conf", "# header\n\n[daemon\n",
		     3, "syntax error");
	expect_error("syntax.conf",
		     "[daemon]\nuser = a\njust some words\n"
		     "max_connections = 5\n",
		     3, "syntax error");
}

static void
test_long_line(void **state)
{
	static const char head[] = "[daemon]\nuser = a\ndatabase = /";
	char text[2048];
	size_t n = strlen(head);

	(void)state;
	memcpy(text, head, n);
	memset(text + n, 'a', 1100);
	n += 1100;
	snprintf(text + n, sizeof(text) - n, "\nmax_connections = 5\n");
	expect_error("long.conf", text, 3, "line too long");

	/* Up to 198 characters is fine. */
	memset(text + strlen(head), 'b', 186);
	snprintf(text + strlen(head) + 186, sizeof(text) - strlen(head) - 186,
		 "\n");
	{
		struct cfg c;

		expect_load("long-ok.conf", text, &c);
		assert_int_equal(strlen(c.database), 187);
	}

	/* A long comment is just as long. */
	snprintf(text, sizeof(text), "[daemon]\n;");
	n = strlen(text);
	memset(text + n, '-', 1100);
	snprintf(text + n + 1100, sizeof(text) - n - 1100, "\n");
	expect_error("long.conf", text, 2, "too long");
}

/* The first error is the one reported. */
/* A NUL byte anywhere, even in a comment or on a last line without a
 * newline, is an error naming its line: it would otherwise end the line
 * early and silently drop what follows it. */
static void
test_nul_byte(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		unsigned line;
	} cases[] = {
#define NUL_CASE(s, line) { s, sizeof(s) - 1, line }
		NUL_CASE("[daemon]\nmax_connections = 7\0 9\n", 2),
		NUL_CASE("[daemon]\n\0max_connections = 7\n", 2),
		NUL_CASE("[daemon]\n; a comment\0\nhash_workers = 1\n", 2),
		NUL_CASE("[daemon]\nhash_workers = 1\n\n\0", 4),
		NUL_CASE("[dae\0mon]\n", 1),
#undef NUL_CASE
	};
	char path[PATH_MAX], err[ERR_SZ];
	struct cfg c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tmpdir_write("nul.conf", cases[i].text, cases[i].len, 0600,
			     path);
		if (load_sentinel(path, &c, err) == 0)
			fail_msg("case %zu: a NUL byte was accepted", i);
		assert_message(err, path, cases[i].line, "NUL byte");
	}
}

static void
test_first_error_wins(void **state)
{
	(void)state;
	expect_error("first.conf",
		     "[daemon]\nbogus = 1\nmax_connections = 0\n",
		     2, "bogus");
	expect_error("first.conf",
		     "[password]\nargon2_time = 0\n"
		     "argon2_memory = 1\n",
		     2, "argon2_time");
}

static void
test_argon2_memory_over_max(void **state)
{
	(void)state;
	/* Named on argon2_memory's line, not the last line read. */
	expect_error("a2-mem.conf",
		     "[password]\nargon2_memory = 2048\n"
		     "argon2_time = 2\nargon2_max_memory = 1024\n",
		     2, "argon2_memory exceeds argon2_max_memory");
	expect_error("a2-mem.conf",
		     "[password]\n\nargon2_memory = 262145\n",
		     3, "exceeds");
	/* With argon2_memory left at its default there is no line. */
	expect_error("a2-mem.conf",
		     "[password]\nargon2_max_memory = 1024\n",
		     0, "argon2_memory exceeds");
}

static void
test_argon2_parallelism_over_max(void **state)
{
	struct cfg c;

	(void)state;
	expect_error("a2-par.conf",
		     "[password]\nargon2_time = 2\nargon2_parallelism = 5\n",
		     3, "argon2_parallelism exceeds");
	expect_error("a2-par.conf",
		     "[password]\nargon2_parallelism = 8\n"
		     "argon2_max_parallelism = 6\n",
		     2, "argon2_max_parallelism");
	expect_load("a2-par.conf", "[password]\nargon2_parallelism = 4\n",
		    &c);
	assert_int_equal(c.argon2.parallelism, 4);
}

static void
test_argon2_time_over_max(void **state)
{
	(void)state;
	expect_error("a2-time.conf",
		     "[password]\nargon2_max_time = 5\n\nargon2_time = 6\n",
		     4, "argon2_time exceeds");
}

static void
test_argon2_memory_per_lane(void **state)
{
	struct cfg c;

	(void)state;
	expect_error("a2-lane.conf",
		     "[password]\nargon2_memory = 127\n"
		     "argon2_parallelism = 16\n"
		     "argon2_max_parallelism = 16\n",
		     2, "at least 8 KiB per lane");
	expect_load("a2-lane.conf",
		    "[password]\nargon2_memory = 128\n"
		    "argon2_parallelism = 16\n"
		    "argon2_max_parallelism = 16\n", &c);
	assert_int_equal(c.argon2.memory_kib, 128);
	assert_int_equal(c.argon2.parallelism, 16);
}

static void
test_duration_accepts(void **state)
{
	static const struct {
		const char *s;
		uint64_t want;
	} cases[] = {
		{ "0", 0 },
		{ "0s", 0 },
		{ "30s", 30 },
		{ "15m", 900 },
		{ "2h", 7200 },
		{ "1d", 86400 },
		/* the largest day count that still fits in 64 bits */
		{ "213503982334601d", UINT64_C(18446744073709526400) },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = UINT64_C(0xdeadbeef);
		if (cfg_parse_duration(cases[i].s, &v) != 0)
			fail_msg("rejected \"%s\"", cases[i].s);
		if (v != cases[i].want)
			fail_msg("\"%s\" gave %llu", cases[i].s,
				 (unsigned long long)v);
	}
}

static void
test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"", "s", "10", "1.5h", "10 s", " 10s", "10s ", "-1s", "+1s",
		"1w", "1S", "1H", "99999999999999999999s", "213503982334602d",
		"10ss", "1h30m", "0x10s",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 0;
		if (cfg_parse_duration(bad[i], &v) != -1)
			fail_msg("accepted \"%s\" as %llu", bad[i],
				 (unsigned long long)v);
	}
}

static void
test_missing_file(void **state)
{
	char path[PATH_MAX], err[ERR_SZ];
	struct cfg c;

	(void)state;
	tmpdir_path("does-not-exist.conf", path);
	assert_int_equal(load_sentinel(path, &c, err), -1);
	assert_message(err, path, 0, "No such file");
}

static void
test_symlink_refused(void **state)
{
	char target[PATH_MAX], lnk[PATH_MAX], err[ERR_SZ];
	struct cfg c;

	(void)state;
	write_conf("target.conf", "[daemon]\nmax_connections = 7\n",
		   target);
	assert_int_equal(load_sentinel(target, &c, err), 0);
	assert_int_equal(c.max_connections, 7);

	tmpdir_path("link.conf", lnk);
	tmpdir_track("link.conf");
	assert_int_equal(symlink(target, lnk), 0);
	assert_int_equal(load_sentinel(lnk, &c, err), -1);
	assert_message(err, lnk, 0, "symbolic link");
}

static void
test_directory_refused(void **state)
{
	char path[PATH_MAX], err[ERR_SZ];
	struct cfg c;

	(void)state;
	tmpdir_path("dir.conf", path);
	tmpdir_track("dir.conf");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(load_sentinel(path, &c, err), -1);
	assert_message(err, path, 0, "not a regular file");
}

/* A FIFO with a writer already attached, so the open cannot block; the
 * alarm ends the run should a regression read from it and wait. */
static void
test_fifo_refused(void **state)
{
	char path[PATH_MAX], err[ERR_SZ];
	struct cfg c;
	int fd;

	(void)state;
	tmpdir_path("fifo.conf", path);
	tmpdir_track("fifo.conf");
	assert_int_equal(mkfifo(path, 0600), 0);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	alarm(10);
	assert_int_equal(load_sentinel(path, &c, err), -1);
	alarm(0);
	assert_int_equal(close(fd), 0);
	assert_message(err, path, 0, "not a regular file");
}

static void
test_writable_refused(void **state)
{
	static const mode_t bad[] = { 0666, 0620, 0602, 0660, 0622 };
	static const mode_t good[] = { 0600, 0644, 0400, 0755 };
	static const char text[] = "[daemon]\nmax_connections = 9\n";
	char path[PATH_MAX], err[ERR_SZ];
	struct cfg c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tmpdir_write("mode.conf", text, strlen(text), bad[i], path);
		if (load_sentinel(path, &c, err) == 0)
			fail_msg("mode %03o accepted", (unsigned)bad[i]);
		assert_message(err, path, 0, "writable");
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		tmpdir_write("mode.conf", text, strlen(text), good[i], path);
		if (load_sentinel(path, &c, err) != 0)
			fail_msg("mode %03o: %s", (unsigned)good[i], err);
		assert_int_equal(c.max_connections, 9);
	}
}

/* Makes the directory name (mode, owner) in the test directory. */
static void
make_dir(const char *name, mode_t mode, uid_t owner)
{
	char path[PATH_MAX];

	tmpdir_path(name, path);
	tmpdir_track(name);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, mode), 0);
	if (owner != geteuid())
		assert_int_equal(chown(path, owner, (gid_t)-1), 0);
}

/* A good file in the directory dir is refused, naming bad_dir. */
static void
expect_dir_refused(const char *dir, const char *bad_dir, const char *word)
{
	static const char text[] = "[daemon]\nhash_workers = 2\n";
	char name[64], path[PATH_MAX], dirpath[PATH_MAX];
	char want[PATH_MAX + 16], err[ERR_SZ];
	struct cfg c;

	snprintf(name, sizeof(name), "%s/p.conf", dir);
	tmpdir_write(name, text, strlen(text), 0600, path);
	if (load_sentinel(path, &c, err) == 0)
		fail_msg("%s accepted", path);
	assert_message(err, path, 0, word);
	tmpdir_path(bad_dir, dirpath);
	snprintf(want, sizeof(want), "directory %s:", dirpath);
	if (strstr(err, want) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", want, err);
}

/* The directories above the file, from / down, as sshd's safe_path: none
 * writable by group or others (a root-owned sticky one only above the
 * last), none owned by another user.  The test directory itself sits in
 * /tmp, a root-owned sticky directory, as every other test's files. */
static void
test_directories(void **state)
{
	static const char text[] = "[daemon]\nhash_workers = 2\n";
	char path[PATH_MAX], err[ERR_SZ];
	struct cfg c;

	(void)state;
	make_dir("gw", 0770, geteuid());
	expect_dir_refused("gw", "gw", "writable by group or others");
	make_dir("ow", 0757, geteuid());
	expect_dir_refused("ow", "ow", "writable by group or others");
	make_dir("up", 0775, geteuid());
	make_dir("up/down", 0755, geteuid());
	expect_dir_refused("up/down", "up", "writable by group or others");
	if (geteuid() == 0) {
		make_dir("sticky", 01777, 0);
		expect_dir_refused("sticky", "sticky", "sticky");
		make_dir("sticky/ok", 0755, 0);
		tmpdir_write("sticky/ok/p.conf", text, strlen(text), 0600,
			     path);
		if (load_sentinel(path, &c, err) != 0)
			fail_msg("%s", err);
		assert_int_equal(c.hash_workers, 2);
		make_dir("theirs", 0755, 65534);
		expect_dir_refused("theirs", "theirs", "owned by uid 65534");
	}
}

/* Only meaningful for a user other than root: a file the current user
 * owns (and nobody else may write) is accepted. */
static void
test_owner(void **state)
{
	char path[PATH_MAX], err[ERR_SZ];
	struct stat st;
	struct cfg c;

	(void)state;
	if (geteuid() == 0)
		skip();
	write_conf("owned.conf", "[daemon]\nhash_workers = 3\n", path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(load_sentinel(path, &c, err), 0);
	assert_int_equal(c.hash_workers, 3);
}

/* cfg_describe: the collected config.SECTION.KEY lines. */
struct described {
	char text[4096];
	size_t lines;
};

static void
collect(void *arg, const char *name, const char *text)
{
	struct described *d = arg;
	size_t n = strlen(d->text);

	snprintf(d->text + n, sizeof(d->text) - n, "%s=%s\n", name, text);
	d->lines++;
}

/* Every key is described once, with its effective value and where it was
 * set: the file and line, or the default. */
static void
test_describe(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 64];
	static struct described d;
	struct cfg c;

	(void)state;
	expect_load("describe.conf", "[lockout]\n# a comment\ndeny = 7\n"
		    "unlock_time = 2h\n[daemon]\nadmin_group = wheel\n", &c);
	tmpdir_path("describe.conf", path);
	memset(&d, 0, sizeof(d));
	cfg_describe(&c, collect, &d);
	assert_true(d.lines > 40);
	snprintf(want, sizeof(want), "config.lockout.deny=7 (%s:3)\n", path);
	assert_non_null(strstr(d.text, want));
	snprintf(want, sizeof(want), "config.lockout.unlock_time=2h (%s:4)\n",
		 path);
	assert_non_null(strstr(d.text, want));
	snprintf(want, sizeof(want), "config.daemon.admin_group=wheel (%s:6)\n",
		 path);
	assert_non_null(strstr(d.text, want));
	assert_non_null(strstr(d.text, "config.lockout.fail_interval=15m "
				       "(default)\n"));
	assert_non_null(strstr(d.text, "config.lockout.tell_locked=yes "
				       "(default)\n"));
	assert_non_null(strstr(d.text, "config.password.min_age=1d "
				       "(default)\n"));
	assert_non_null(strstr(d.text, "config.totp.required=enrolled "
				       "(default)\n"));
	assert_non_null(strstr(d.text, "config.audit.alert_command=\"\" "
				       "(default)\n"));
	assert_non_null(strstr(d.text, "config.daemon.request_timeout=10s "
				       "(default)\n"));
	/* The defaults alone: nothing names a file. */
	cfg_defaults(&c);
	memset(&d, 0, sizeof(d));
	cfg_describe(&c, collect, &d);
	assert_null(strstr(d.text, ".conf:"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_range_minimums),
		cmocka_unit_test(test_empty_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_retention_floor),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_key_twice),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_not_a_number),
		cmocka_unit_test(test_request_timeout),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_argon2_memory_over_max),
		cmocka_unit_test(test_argon2_parallelism_over_max),
		cmocka_unit_test(test_argon2_time_over_max),
		cmocka_unit_test(test_argon2_memory_per_lane),
		cmocka_unit_test(test_duration_accepts),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_directory_refused),
		cmocka_unit_test(test_fifo_refused),
		cmocka_unit_test(test_writable_refused),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_directories),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests_name("config", tests, group_setup,
					   group_teardown);
}
