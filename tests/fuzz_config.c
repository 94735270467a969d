/*
 * fuzz_config.c - fuzz target for the configuration parser in
 * policyd/config.c.
 *
 * The input is a policyd.conf, read through cfg_load_stream from a
 * memory stream: the parse cfg_load does after opening the file.  On
 * success every value must satisfy the rules the daemon relies on (the
 * cross-key checks, the words turned into modes, strings terminated);
 * on failure the error must name the file and the output must be left
 * alone.  A second parse of the same bytes must agree with the first.
 * Each line's value also goes to cfg_parse_duration, checked against a
 * reading by hand.  Any disagreement traps.
 *
 * Built with -DPOLICYD_LIBFUZZER for libFuzzer; otherwise linked with
 * fuzz_main.c, which replays files.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.conf"
#define POISON 0xa5

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void
check_terminated(const char *s, size_t size)
{
	check(strnlen(s, size) < size);
}

/* What cfg_load promises of a configuration it accepts. */
static void
check_valid(const struct cfg *c)
{
	const struct cfg_argon2 *a = &c->argon2;
	const struct cfg_totp *t = &c->totp;

	check_terminated(c->runtime_dir, sizeof(c->runtime_dir));
	check_terminated(c->database, sizeof(c->database));
	check_terminated(c->user, sizeof(c->user));
	check_terminated(c->admin_group, sizeof(c->admin_group));
	check_terminated(c->blocklist, sizeof(c->blocklist));
	check_terminated(c->breached_filter, sizeof(c->breached_filter));
	check_terminated(c->totp_key_file, sizeof(c->totp_key_file));
	check_terminated(c->alert_command, sizeof(c->alert_command));
	check_terminated(t->required, sizeof(t->required));
	check_terminated(t->algorithm, sizeof(t->algorithm));
	check_terminated(t->issuer, sizeof(t->issuer));
	check(c->runtime_dir[0] == '/' && c->database[0] == '/');
	check(c->totp_key_file[0] == '/');
	check(c->blocklist[0] == '\0' || c->blocklist[0] == '/');
	check(c->alert_command[0] == '\0' || c->alert_command[0] == '/');
	check(c->alert_interval >= 1 && c->alert_interval <= 3600);
	check(c->alert_unknown_burst <= 1000000);
	check(c->max_connections >= 1 && c->request_timeout >= 1);
	check(a->parallelism >= 1 && a->time >= 1);
	check(a->memory_kib >= 8 * a->parallelism);
	check(a->memory_kib <= a->max_memory_kib && a->time <= a->max_time);
	check(a->parallelism <= a->max_parallelism);
	check(c->policy.min_length <= c->policy.max_length);
	check(c->policy.max_age == 0 ||
	      c->policy.min_age < c->policy.max_age);
	check(c->lockout.deny >= 1 && c->lockout.fail_interval >= 1);
	check(t->algorithm_id >= 0 && t->algorithm_id <= 2);
	check(t->required_mode >= TOTP_OFF && t->required_mode <= TOTP_GROUP);
	check((t->required_mode == TOTP_GROUP) ==
	      (strncmp(t->required, "group:", 6) == 0));
	check(t->required_mode != TOTP_GROUP ||
	      (t->required_group[0] != '\0' &&
	       strcmp(t->required_group, t->required + 6) == 0));
	check(t->issuer[0] != '\0' && strchr(t->issuer, ':') == NULL);
	check(t->digits >= 6 && t->digits <= 8);
	check(t->period >= 15 && t->period <= 300);
}

/* One parse; rc, with *c and err as it left them. */
static int
parse(const uint8_t *data, size_t size, struct cfg *c, char *err,
      size_t errsz)
{
	static const char empty[1];
	FILE *fp;
	int rc;

	memset(c, POISON, sizeof(*c));
	memset(err, 0, errsz);
	/* An empty input is an empty file; fmemopen wants a byte. */
	fp = fmemopen(size > 0 ? (void *)(uintptr_t)data : (void *)empty,
		      size > 0 ? size : 0, "r");
	if (fp == NULL)
		fp = fmemopen((void *)(uintptr_t)empty, 1, "r");
	check(fp != NULL);
	rc = cfg_load_stream(fp, NAME, c, err, errsz);
	fclose(fp);
	return rc;
}

static int
all_poison(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != POISON)
			return 0;
	return 1;
}

static void
check_config(const uint8_t *data, size_t size)
{
	static struct cfg c1, c2;
	char e1[512], e2[512];
	int rc1 = parse(data, size, &c1, e1, sizeof(e1));
	int rc2 = parse(data, size, &c2, e2, sizeof(e2));

	check(rc1 == 0 || rc1 == -1);
	check(rc1 == rc2 && strcmp(e1, e2) == 0);
	if (rc1 == 0) {
		check(memcmp(&c1, &c2, sizeof(c1)) == 0);
		check_valid(&c1);
		return;
	}
	check(all_poison(&c1, sizeof(c1)));
	check(strncmp(e1, NAME ":", sizeof(NAME)) == 0);
	check(strlen(e1) > sizeof(NAME));
}

/* cfg_parse_duration against a reading by hand: "0", or digits and one
 * unit, without overflow. */
static void
check_duration(const char *s)
{
	uint64_t got = 0, n = 0, mult = 0, want;
	const char *q = s;
	int ok, rc = cfg_parse_duration(s, &got);

	if (strcmp(s, "0") == 0) {
		check(rc == 0 && got == 0);
		return;
	}
	ok = isdigit((unsigned char)*q);
	for (; ok && isdigit((unsigned char)*q); q++)
		ok = !__builtin_mul_overflow(n, 10, &n) &&
		     !__builtin_add_overflow(n, (uint64_t)(*q - '0'), &n);
	if (ok && q[0] != '\0' && q[1] == '\0')
		mult = q[0] == 's' ? 1 : q[0] == 'm' ? 60 : q[0] == 'h' ? 3600
		     : q[0] == 'd' ? 86400 : 0;
	ok = ok && mult != 0 && !__builtin_mul_overflow(n, mult, &want);
	/* The parser refuses the last few values below UINT64_MAX too. */
	if (rc == 0)
		check(ok && got == want);
	else
		check(!ok || n >= ((UINT64_MAX - 9) / 10 + 1) * 10);
}

/* Each line's text after '=' (trimmed), as a duration. */
static void
check_durations(const uint8_t *data, size_t size)
{
	char line[256];
	size_t i = 0;

	while (i < size) {
		size_t n = 0, start;
		char *v, *end;

		while (i < size && data[i] != '\n' && data[i] != '\0') {
			if (n < sizeof(line) - 1)
				line[n++] = (char)data[i];
			i++;
		}
		i++;
		line[n] = '\0';
		v = strchr(line, '=');
		v = v != NULL ? v + 1 : line;
		for (start = 0; isspace((unsigned char)v[start]); start++)
			;
		v += start;
		end = v + strlen(v);
		while (end > v && isspace((unsigned char)end[-1]))
			*--end = '\0';
		check_duration(v);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_config(data, size);
	check_durations(data, size);
	return 0;
}
