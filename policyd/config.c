/*
 * config.c - parsing and validating policyd.conf; see config.h.
 *
 * Keys are described by one table (section, name, kind, limits, where the
 * value goes), so adding a key is adding a row.  inih does the INI syntax;
 * this file feeds it line by line through a counting reader so every error
 * can name its line, including errors only seen after the whole file.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "trusted.h"

/* K_FILE is an optional absolute path: "" for none. */
/* K_TEXT is printable text without quotes or control characters. */
enum kind { K_PATH, K_FILE, K_NAME, K_TEXT, K_UINT, K_DURATION, K_BOOL };

struct key {
	const char *section;
	const char *name;
	enum kind kind;
	uint64_t min, max;	/* K_UINT, K_DURATION (seconds) */
	size_t offset;		/* into struct cfg */
	size_t size;		/* of the destination */
};

#define FIELD(f) offsetof(struct cfg, f), sizeof(((struct cfg *)0)->f)

static const struct key keys[] = {
	{ "daemon", "runtime_dir", K_PATH, 0, 0, FIELD(runtime_dir) },
	{ "daemon", "database", K_PATH, 0, 0, FIELD(database) },
	{ "daemon", "user", K_NAME, 0, 0, FIELD(user) },
	{ "daemon", "admin_group", K_NAME, 0, 0, FIELD(admin_group) },
	{ "daemon", "hash_workers", K_UINT, 0, 256, FIELD(hash_workers) },
	{ "daemon", "max_connections", K_UINT, 1, 4096,
	  FIELD(max_connections) },
	{ "daemon", "request_timeout", K_DURATION, 1, 3600,
	  FIELD(request_timeout) },
	{ "password", "argon2_memory", K_UINT, 8, 4194304,
	  FIELD(argon2.memory_kib) },
	{ "password", "argon2_time", K_UINT, 1, 100, FIELD(argon2.time) },
	{ "password", "argon2_parallelism", K_UINT, 1, 16,
	  FIELD(argon2.parallelism) },
	{ "password", "argon2_max_memory", K_UINT, 8, 4194304,
	  FIELD(argon2.max_memory_kib) },
	{ "password", "argon2_max_time", K_UINT, 1, 100,
	  FIELD(argon2.max_time) },
	{ "password", "argon2_max_parallelism", K_UINT, 1, 16,
	  FIELD(argon2.max_parallelism) },
	{ "password", "min_length", K_UINT, 8, 1024, FIELD(policy.min_length) },
	{ "password", "max_length", K_UINT, 8, 1024, FIELD(policy.max_length) },
	{ "password", "min_classes", K_UINT, 1, 4, FIELD(policy.min_classes) },
	{ "password", "min_entropy", K_UINT, 0, 200,
	  FIELD(policy.min_entropy) },
	{ "password", "blocklist", K_FILE, 0, 0, FIELD(blocklist) },
	{ "password", "breached_filter", K_FILE, 0, 0,
	  FIELD(breached_filter) },
	{ "password", "history", K_UINT, 0, 100, FIELD(policy.history) },
	{ "password", "min_age", K_DURATION, 0, 365 * 86400,
	  FIELD(policy.min_age) },
	{ "password", "max_age", K_DURATION, 0, 3650 * 86400,
	  FIELD(policy.max_age) },
	{ "password", "warn_age", K_DURATION, 0, 365 * 86400,
	  FIELD(policy.warn_age) },
	{ "lockout", "deny", K_UINT, 1, 1000000, FIELD(lockout.deny) },
	{ "lockout", "fail_interval", K_DURATION, 1, 7 * 86400,
	  FIELD(lockout.fail_interval) },
	{ "lockout", "unlock_time", K_DURATION, 0, 7 * 86400,
	  FIELD(lockout.unlock_time) },
	{ "lockout", "even_deny_root", K_BOOL, 0, 1,
	  FIELD(lockout.even_deny_root) },
	{ "lockout", "root_unlock_time", K_DURATION, 0, 7 * 86400,
	  FIELD(lockout.root_unlock_time) },
	{ "lockout", "source_deny", K_UINT, 0, 100000,
	  FIELD(lockout.source_deny) },
	{ "lockout", "source_interval", K_DURATION, 1, 7 * 86400,
	  FIELD(lockout.source_interval) },
	{ "lockout", "source_unlock_time", K_DURATION, 1, 7 * 86400,
	  FIELD(lockout.source_unlock_time) },
	{ "lockout", "tell_locked", K_BOOL, 0, 1, FIELD(lockout.tell_locked) },
	{ "totp", "required", K_TEXT, 0, 0, FIELD(totp.required) },
	{ "totp", "window", K_UINT, 0, 10, FIELD(totp.window) },
	{ "totp", "digits", K_UINT, 6, 8, FIELD(totp.digits) },
	{ "totp", "period", K_DURATION, 15, 300, FIELD(totp.period) },
	{ "totp", "algorithm", K_TEXT, 0, 0, FIELD(totp.algorithm) },
	{ "totp", "issuer", K_TEXT, 0, 0, FIELD(totp.issuer) },
	{ "totp", "recovery_codes", K_UINT, 0, 100,
	  FIELD(totp.recovery_codes) },
	{ "totp", "enroll_grace", K_DURATION, 0, 365 * 86400,
	  FIELD(totp.enroll_grace) },
	{ "totp", "code_timeout", K_DURATION, 1, 600,
	  FIELD(totp.code_timeout) },
	{ "totp", "key_file", K_PATH, 0, 0, FIELD(totp_key_file) },
	{ "audit", "retention", K_DURATION, 0, 3650 * 86400,
	  FIELD(audit_retention) },
	{ "audit", "alert_command", K_FILE, 0, 0, FIELD(alert_command) },
	{ "audit", "alert_interval", K_DURATION, 1, 3600,
	  FIELD(alert_interval) },
	{ "audit", "seal_key_file", K_FILE, 0, 0, FIELD(seal_key_file) },
	{ "audit", "alert_unknown_burst", K_UINT, 0, 1000000,
	  FIELD(alert_unknown_burst) },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= CFG_MAX_KEYS, "struct cfg's set_line is too small");

/* The floors below which a value is accepted with a warning (see
 * cfg_warn_fn): the file is the operator's to decide, but a weakened
 * policy should not pass unnoticed.  lockout deny = 0 needs no row: its
 * range refuses it. */
static const struct floor {
	const char *name;
	size_t offset;		/* of a uint32_t in struct cfg */
	uint32_t floor;
	const char *effect;
} floors[] = {
	{ "min_length", offsetof(struct cfg, policy.min_length), 12,
	  "shorter passwords are accepted" },
	{ "min_entropy", offsetof(struct cfg, policy.min_entropy), 40,
	  "easily guessed passwords are accepted" },
	{ "history", offsetof(struct cfg, policy.history), 1,
	  "an earlier password may come back at once" },
	{ "source_deny", offsetof(struct cfg, lockout.source_deny), 1,
	  "no remote host is ever locked" },
};
/* Debian's inih reads lines into a fixed 200-byte buffer: 198 characters
 * plus the newline and the terminator. */
#define LINE_MAX_LEN 198

struct parse {
	struct cfg cfg;
	FILE *fp;
	const char *path;
	unsigned lineno;
	unsigned seen[NKEYS];	/* line where each key was set, 0 if not */
	char *err;
	size_t errsz;
	int failed;
};

void
cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "/run/policyd");
	snprintf(c->database, sizeof(c->database),
		 "/var/lib/policyd/policyd.db");
	snprintf(c->user, sizeof(c->user), "policyd");
	c->hash_workers = 0;
	c->max_connections = 64;
	c->request_timeout = 10;
	c->argon2.memory_kib = 65536;
	c->argon2.time = 3;
	c->argon2.parallelism = 1;
	c->argon2.max_memory_kib = 262144;
	c->argon2.max_time = 10;
	c->argon2.max_parallelism = 4;
	c->policy.min_length = 12;
	c->policy.max_length = 256;
	c->policy.min_classes = 3;
	c->policy.min_entropy = 40;
	c->policy.history = 12;
	c->policy.min_age = 86400;
	c->policy.max_age = 0;
	c->policy.warn_age = 7 * 86400;
	c->lockout.deny = 5;
	c->lockout.fail_interval = 15 * 60;
	c->lockout.unlock_time = 15 * 60;
	c->lockout.even_deny_root = 0;
	c->lockout.root_unlock_time = 60;
	c->lockout.source_deny = 20;
	c->lockout.source_interval = 15 * 60;
	c->lockout.source_unlock_time = 15 * 60;
	c->lockout.tell_locked = 1;
	snprintf(c->totp.required, sizeof(c->totp.required), "enrolled");
	c->totp.required_mode = TOTP_ENROLLED;
	c->totp.window = 1;
	c->totp.digits = 6;
	c->totp.period = 30;
	snprintf(c->totp.algorithm, sizeof(c->totp.algorithm), "sha1");
	snprintf(c->totp.issuer, sizeof(c->totp.issuer), "policyd");
	c->totp.recovery_codes = 10;
	c->totp.code_timeout = 120;
	snprintf(c->totp_key_file, sizeof(c->totp_key_file),
		 "/etc/policyd/totp.key");
	c->audit_retention = 365 * 86400;
	c->alert_interval = 60;
	c->alert_unknown_burst = 20;
}

__attribute__((format(printf, 3, 4))) static void
fail_at(struct parse *p, unsigned line, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(p->err, p->errsz, "%s:%u: %s", p->path, line, reason);
	else
		snprintf(p->err, p->errsz, "%s: %s", p->path, reason);
}

int
cfg_parse_duration(const char *s, uint64_t *seconds)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	uint64_t n = 0;
	const char *q = s;

	if (strcmp(s, "0") == 0) {
		*seconds = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*q))
		return -1;
	for (; isdigit((unsigned char)*q); q++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*q - '0');
	}
	if (q[0] == '\0' || q[1] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*q != units[i].unit)
			continue;
		if (n > UINT64_MAX / units[i].mult)
			return -1;
		*seconds = n * units[i].mult;
		return 0;
	}
	return -1;
}

static int
parse_uint(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s) || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
}

static int
valid_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"')
			return 0;
	return 1;
}

static int
parse_bool(const char *s, uint64_t *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
			*v = strcmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

/* User and group names as useradd accepts them: [a-z_][a-z0-9_-]*, or "". */
static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 1;
	if (!(islower((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s != '\0'; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static void
set_string(struct parse *p, const struct key *k, const char *value)
{
	char *dst = (char *)&p->cfg + k->offset;

	if ((k->kind == K_PATH || (k->kind == K_FILE && value[0] != '\0')) &&
	    value[0] != '/') {
		fail_at(p, p->lineno, "%s: must be an absolute path", k->name);
		return;
	}
	if (k->kind == K_TEXT && !valid_text(value)) {
		fail_at(p, p->lineno, "%s: control characters or quotes are "
			"not allowed", k->name);
		return;
	}
	if (k->kind == K_NAME && !valid_name(value)) {
		fail_at(p, p->lineno, "%s: '%s' is not a valid name", k->name,
			value);
		return;
	}
	if (strlen(value) >= k->size) {
		fail_at(p, p->lineno, "%s: value too long", k->name);
		return;
	}
	memcpy(dst, value, strlen(value) + 1);
}

static void
set_number(struct parse *p, const struct key *k, const char *value)
{
	uint32_t *dst = (uint32_t *)(void *)((char *)&p->cfg + k->offset);
	uint64_t v = 0;

	if (k->kind == K_DURATION && cfg_parse_duration(value, &v) != 0) {
		fail_at(p, p->lineno,
			"%s: '%s' is not a duration (use a unit: 30s, 15m, "
			"2h, 1d)", k->name, value);
		return;
	}
	if (k->kind == K_BOOL && parse_bool(value, &v) != 0) {
		fail_at(p, p->lineno, "%s: '%s' is not yes or no", k->name,
			value);
		return;
	}
	if (k->kind == K_UINT && parse_uint(value, &v) != 0) {
		fail_at(p, p->lineno, "%s: '%s' is not a whole number",
			k->name, value);
		return;
	}
	/* A retention of seconds would purge what happened this morning:
	 * 0 (keep every record), or a day at least. */
	if (&p->cfg.audit_retention == dst && v != 0 && v < 86400) {
		fail_at(p, p->lineno, "%s: %s: 0 keeps every record, else at "
			"least 1d", k->name, value);
		return;
	}
	if (v < k->min || v > k->max) {
		fail_at(p, p->lineno, "%s: %s is out of range (%llu to %llu%s)",
			k->name, value, (unsigned long long)k->min,
			(unsigned long long)k->max,
			k->kind == K_DURATION ? " seconds" : "");
		return;
	}
	*dst = (uint32_t)v;
}

static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	int known_section = 0;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		if (strcmp(section, k->section) != 0)
			continue;
		known_section = 1;
		if (strcmp(name, k->name) != 0)
			continue;
		if (p->seen[i] != 0) {
			fail_at(p, p->lineno, "%s: set twice (first on line %u)",
				name, p->seen[i]);
			return 0;
		}
		p->seen[i] = p->lineno;
		if (k->kind == K_PATH || k->kind == K_FILE || k->kind == K_NAME ||
		    k->kind == K_TEXT)
			set_string(p, k, value);
		else
			set_number(p, k, value);
		return !p->failed;
	}
	if (!known_section)
		fail_at(p, p->lineno, "unknown section [%s]", section);
	else
		fail_at(p, p->lineno, "unknown key '%s' in [%s]", name, section);
	return 0;
}

static int
known_section(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].section) == len &&
		    strncmp(keys[i].section, name, len) == 0)
			return 1;
	return 0;
}

/* Section headers are checked here, as inih reports neither a section
 * without keys nor which section it saw in a malformed header. */
static void
check_section(struct parse *p, const char *line)
{
	const char *name = line + 1;
	const char *end = strchr(name, ']');

	if (end == NULL)
		fail_at(p, p->lineno, "syntax error: '[' without ']'");
	else if (!known_section(name, (size_t)(end - name)))
		fail_at(p, p->lineno, "unknown section [%.*s]",
			(int)(end - name), name);
}

/* fgets, except that a NUL byte is an error (inih would take it for the
 * end of the line and drop the rest unseen).  Returns the bytes read. */
static size_t
get_line(struct parse *p, char *str, int num)
{
	size_t n = 0;
	int ch;

	while (n < (size_t)num - 1 && (ch = getc(p->fp)) != EOF) {
		if (ch == '\0')
			fail_at(p, p->lineno, "NUL byte in the file");
		str[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	str[n] = '\0';
	return n;
}

/* inih reads through this, so p->lineno is the line being parsed. */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *q;
	size_t n;

	p->lineno++;
	n = get_line(p, str, num);
	if (n == 0) {
		p->lineno--;
		return NULL;
	}
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(p->fp))
		fail_at(p, p->lineno, "line too long (at most %d characters)",
			LINE_MAX_LEN);
	for (q = str; isspace((unsigned char)*q); q++)
		;
	if (*q == '[')
		check_section(p, q);
	/* After an error, hand inih an empty line: nothing more is set. */
	if (p->failed)
		str[0] = '\0';
	return str;
}

/* The line of a key for cross-key errors: where it was set, else none. */
static unsigned
line_of(const struct parse *p, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return p->seen[i];
	return 0;
}

static void
check_policy(struct parse *p)
{
	const struct cfg_policy *c = &p->cfg.policy;

	if (c->max_length < c->min_length)
		fail_at(p, line_of(p, "max_length"),
			"max_length is below min_length (%u)", c->min_length);
	else if (c->max_age != 0 && c->min_age >= c->max_age)
		fail_at(p, line_of(p, "min_age"),
			"min_age must be shorter than max_age");
}

/* required and algorithm, from words to what the daemon uses. */
static void
check_totp(struct parse *p)
{
	static const char *const algs[] = { "sha1", "sha256", "sha512" };
	static const char *const modes[] = { "off", "enrolled", "all" };
	struct cfg_totp *t = &p->cfg.totp;

	t->algorithm_id = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(t->algorithm, algs[i]) == 0)
			t->algorithm_id = i;
	if (t->algorithm_id < 0) {
		fail_at(p, line_of(p, "algorithm"),
			"algorithm: '%s' is not sha1, sha256 or sha512",
			t->algorithm);
		return;
	}
	t->required_mode = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(t->required, modes[i]) == 0)
			t->required_mode = i;	/* TOTP_OFF, ENROLLED, ALL */
	if (strncmp(t->required, "group:", 6) == 0 &&
	    valid_name(t->required + 6) && t->required[6] != '\0' &&
	    strlen(t->required + 6) < sizeof(t->required_group)) {
		t->required_mode = TOTP_GROUP;
		snprintf(t->required_group, sizeof(t->required_group), "%s",
			 t->required + 6);
	}
	if (t->required_mode < 0)
		fail_at(p, line_of(p, "required"),
			"required: '%s' is not all, enrolled, group:NAME or "
			"off", t->required);
	if (strlen(t->issuer) == 0 || strchr(t->issuer, ':') != NULL)
		fail_at(p, line_of(p, "issuer"),
			"issuer: must be non-empty and without ':'");
}

static void
check_argon2(struct parse *p)
{
	const struct cfg_argon2 *a = &p->cfg.argon2;

	if (a->memory_kib < 8 * a->parallelism)
		fail_at(p, line_of(p, "argon2_memory"),
			"argon2_memory must be at least 8 KiB per lane "
			"(argon2_parallelism)");
	else if (a->memory_kib > a->max_memory_kib)
		fail_at(p, line_of(p, "argon2_memory"),
			"argon2_memory exceeds argon2_max_memory (%u KiB)",
			a->max_memory_kib);
	else if (a->time > a->max_time)
		fail_at(p, line_of(p, "argon2_time"),
			"argon2_time exceeds argon2_max_time (%u)", a->max_time);
	else if (a->parallelism > a->max_parallelism)
		fail_at(p, line_of(p, "argon2_parallelism"),
			"argon2_parallelism exceeds argon2_max_parallelism "
			"(%u)", a->max_parallelism);
}

/*
 * The INI dialect (Debian's inih takes it at run time): no continuation
 * lines, so an indented key is a key; ';' and '#' start a comment at the
 * start of a line or after whitespace; the first error stops the parse.
 */
static void
set_syntax(void)
{
	static char inline_prefixes[] = ";#";

	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = inline_prefixes;
	ini_stop_on_first_error = true;
}

static int parse_stream(FILE *fp, const char *name, struct cfg *c,
			cfg_warn_fn *warn, void *arg, char *err, size_t errsz);

/* Calls warn for each value below its floor; p->cfg holds the file. */
static void
warn_floors(const struct parse *p, cfg_warn_fn *warn, void *arg)
{
	char msg[PATH_MAX + 160];
	uint32_t v;

	for (size_t i = 0; warn != NULL && i < sizeof(floors) /
						  sizeof(floors[0]); i++) {
		memcpy(&v, (const char *)&p->cfg + floors[i].offset,
		       sizeof(v));
		if (v >= floors[i].floor)
			continue;
		if (floors[i].floor == 1)
			snprintf(msg, sizeof(msg), "%s:%u: %s = 0 turns the "
				 "check off: %s", p->path,
				 line_of(p, floors[i].name), floors[i].name,
				 floors[i].effect);
		else
			snprintf(msg, sizeof(msg), "%s:%u: %s = %u is below "
				 "the recommended %u: %s", p->path,
				 line_of(p, floors[i].name), floors[i].name,
				 v, floors[i].floor, floors[i].effect);
		warn(arg, msg);
	}
}

int
cfg_load(const char *path, struct cfg *c, char *err, size_t errsz)
{
	return cfg_load_warn(path, c, NULL, NULL, err, errsz);
}

int
cfg_load_warn(const char *path, struct cfg *c, cfg_warn_fn *warn,
	      void *arg, char *err, size_t errsz)
{
	char why[PATH_MAX + 160];
	FILE *fp = NULL;
	int rc;

	if (trusted_dirs(path, TRUSTED_NO_UID, why, sizeof(why)) == 0)
		fp = trusted_open(path, why, sizeof(why));
	if (fp == NULL) {
		snprintf(err, errsz, "%s: %s", path, why);
		return -1;
	}
	rc = parse_stream(fp, path, c, warn, arg, err, errsz);
	fclose(fp);
	return rc;
}

int
cfg_load_stream(FILE *fp, const char *name, struct cfg *c, char *err,
		size_t errsz)
{
	return parse_stream(fp, name, c, NULL, NULL, err, errsz);
}

static int
parse_stream(FILE *fp, const char *name, struct cfg *c, cfg_warn_fn *warn,
	     void *arg, char *err, size_t errsz)
{
	struct parse *p;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errsz, "%s: out of memory", name);
		return -1;
	}
	cfg_defaults(&p->cfg);
	p->path = name;
	p->err = err;
	p->errsz = errsz;
	p->fp = fp;
	set_syntax();
	rc = ini_parse_stream(read_line, p, on_entry, p);
	if (rc != 0)
		fail_at(p, rc > 0 ? (unsigned)rc : 0, "syntax error");
	else if (ferror(p->fp))
		fail_at(p, 0, "read error");
	if (!p->failed)
		check_argon2(p);
	if (!p->failed)
		check_policy(p);
	if (!p->failed)
		check_totp(p);
	rc = p->failed ? -1 : 0;
	if (rc == 0) {
		snprintf(p->cfg.source, sizeof(p->cfg.source), "%s", name);
		for (size_t i = 0; i < NKEYS; i++)
			p->cfg.set_line[i] = p->seen[i];
		*c = p->cfg;
		warn_floors(p, warn, arg);
	}
	free(p);
	return rc;
}

/* A duration in its largest exact unit: 900 is "15m", 90 "90s". */
static void
format_duration(uint32_t v, char *buf, size_t size)
{
	static const struct {
		char unit;
		uint32_t secs;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 } };

	for (size_t i = 0; v != 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (v % units[i].secs == 0) {
			snprintf(buf, size, "%u%c", v / units[i].secs,
				 units[i].unit);
			return;
		}
	snprintf(buf, size, v == 0 ? "0" : "%us", v);
}

/* Key k's value in c, as the file would write it. */
static void
format_value(const struct cfg *c, const struct key *k, char *buf, size_t size)
{
	const char *at = (const char *)c + k->offset;
	uint32_t v;

	if (k->kind == K_PATH || k->kind == K_FILE || k->kind == K_NAME ||
	    k->kind == K_TEXT) {
		snprintf(buf, size, at[0] != '\0' ? "%s" : "\"\"", at);
		return;
	}
	memcpy(&v, at, sizeof(v));
	if (k->kind == K_BOOL)
		snprintf(buf, size, "%s", v ? "yes" : "no");
	else if (k->kind == K_DURATION)
		format_duration(v, buf, size);
	else
		snprintf(buf, size, "%u", v);
}

void
cfg_describe(const struct cfg *c, cfg_describe_fn *fn, void *arg)
{
	char name[96], value[PATH_MAX], text[2 * PATH_MAX + 128];

	for (size_t i = 0; i < NKEYS; i++) {
		snprintf(name, sizeof(name), "config.%s.%s", keys[i].section,
			 keys[i].name);
		format_value(c, &keys[i], value, sizeof(value));
		if (c->pending[i])
			snprintf(text, sizeof(text), "%s (in force since the "
				 "start; %s now says otherwise, from the next "
				 "start)", value, c->source);
		else if (c->set_line[i] == 0)
			snprintf(text, sizeof(text), "%s (default)", value);
		else
			snprintf(text, sizeof(text), "%s (%s:%u)", value,
				 c->source, c->set_line[i]);
		fn(arg, name, text);
	}
}

void
cfg_take_sources(struct cfg *c, const struct cfg *next)
{
	for (size_t i = 0; i < NKEYS; i++) {
		c->pending[i] = memcmp((const char *)c + keys[i].offset,
				       (const char *)next + keys[i].offset,
				       keys[i].size) != 0;
		c->set_line[i] = next->set_line[i];
	}
	memcpy(c->source, next->source, sizeof(c->source));
}
