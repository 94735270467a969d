/*
 * report.c - policyctl report: its options, what it asks the daemon
 * (status, the users, the trail through report_trail.c, the chain and the
 * seal through verify.c), and where the document goes.  Nothing here
 * reads a secret: `user show` carries no hash and no TOTP secret, and the
 * seal's verification key is parsed by verify.c and wiped after the walk.
 *
 * Every form is built in memory and written at the end, so an error never
 * leaves half a document; --html creates its file with O_EXCL (never
 * over an existing one, never through a symlink), mode 0600: the page
 * names accounts and hosts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditseal.h"
#include "ctl.h"
#include "jsonout.h"
#include "report.h"
#include "report_json.h"
#include "wipe.h"

struct options {
	const char *since, *idle, *html;
	const char *key;	/* keybuf, when a key was given */
	char keybuf[AUDIT_SEAL_TEXT_MAX + 2];
	int json;
};

static void
report_usage(FILE *fp)
{
	fprintf(fp, "usage: policyctl report [--since T] [--idle AGE] "
		"[--key KEY | --key-file FILE] [--json | --html FILE]\n"
		"  --since T     the window: 30d, 12h, 2026-11-01 or "
		"2026-11-01T08:00:00 (default 30d)\n"
		"  --idle AGE    flag accounts without a login for AGE "
		"(default 60d)\n"
		"  --key KEY     check the audit seal with the verification "
		"key;\n"
		"                - reads it from standard input\n"
		"  --key-file FILE  the same, from the first line of FILE\n"
		"  --json        one JSON document on standard output\n"
		"  --html FILE   one self-contained HTML page, a new file "
		"(mode 0600)\n");
}

/* 0, 1 for --help, or EXIT_USAGE (said on stderr). */
static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 's' },
		{ "idle", required_argument, NULL, 'i' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->since = "30d";
	o->idle = "60d";
	optind = 0;	/* a fresh scan: main's getopt_long ran before */
	opterr = 1;	/* its messages name the bad option */
	/* argv[0] is "policyctl report", for those messages. */
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->since = optarg;
			break;
		case 'i':
			o->idle = optarg;
			break;
		case 'k':
		case 'f':
			if (o->key != NULL) {
				usage_error("report", "--key or --key-file, "
					    "once");
				return EXIT_USAGE;
			}
			if (audit_key_arg(optarg, ch == 'f' ? optarg : NULL,
					  o->keybuf, sizeof(o->keybuf)) != 0)
				return EXIT_USAGE;
			o->key = o->keybuf;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'H':
			o->html = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'policyctl report --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage_error("report", "unexpected argument '%s'",
			    argv[optind]);
		return EXIT_USAGE;
	}
	if (o->json && o->html != NULL) {
		fprintf(stderr, "policyctl: report: --json and --html exclude "
			"each other\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* The window and the idle length into r: 0, or EXIT_USAGE. */
static int
set_times(struct report *r, const struct options *o)
{
	r->now = (uint64_t)time(NULL);
	if (audit_parse_time(o->since, r->now, &r->since) != 0 ||
	    r->since > r->now) {
		fprintf(stderr, "policyctl: report: --since %s: expected 30d, "
			"12h, a date (2026-11-01) or a UTC time "
			"(2026-11-01T08:00:00), after 1970 and not in the future\n",
			o->since);
		return EXIT_USAGE;
	}
	if (audit_parse_age(o->idle, &r->idle) != 0) {
		fprintf(stderr, "policyctl: report: --idle %s: expected days "
			"or hours (60d, 12h)\n", o->idle);
		return EXIT_USAGE;
	}
	r->ndays = (size_t)(r->now / 86400 - r->since / 86400 + 1);
	if (r->ndays > REPORT_MAX_DAYS) {
		fprintf(stderr, "policyctl: report: --since %s: the window may "
			"be at most %d days\n", o->since, REPORT_MAX_DAYS);
		return EXIT_USAGE;
	}
	r->days = calloc(r->ndays, sizeof(*r->days));
	return r->days != NULL ? 0 : EXIT_USAGE;
}

/* text without its " (default)" or " (FILE:LINE)" into value; source
 * gets "default" or FILE:LINE.  0, or -1 if it has neither. */
static int
split_source(const char *text, const char *file, char *value, char *source,
	     size_t size)
{
	size_t n = strlen(text), flen = strlen(file);

	if (n > 10 && strcmp(text + n - 10, " (default)") == 0) {
		snprintf(value, size, "%.*s", (int)(n - 10), text);
		snprintf(source, size, "default");
		return 0;
	}
	/* " (FILE:LINE)": FILE is the one status named, which may hold a
	 * '(' itself, so it is found from the front, not the last '('. */
	for (const char *p = text; (p = strstr(p, " (")) != NULL; p++)
		if (strncmp(p + 2, file, flen) == 0 && p[2 + flen] == ':' &&
		    text[n - 1] == ')') {
			snprintf(value, size, "%.*s", (int)(p - text), text);
			snprintf(source, size, "%.*s",
				 (int)(text + n - 1 - (p + 2)), p + 2);
			return 0;
		}
	return -1;
}

/* One name/text pair of `status` into r. */
static int
take_status(struct report *r, const char *name, const char *text)
{
	struct setting s, *grown;

	if (strcmp(name, "config") == 0)
		snprintf(r->config_file, sizeof(r->config_file), "%s", text);
	if (strcmp(name, "store") == 0)
		snprintf(r->store, sizeof(r->store), "%s", text);
	if (strncmp(name, "config.", 7) != 0)
		return 0;
	snprintf(s.key, sizeof(s.key), "%s", name + 7);
	if (split_source(text, r->config_file, s.value, s.source,
			 sizeof(s.value)) != 0)
		return 0;
	if (strcmp(s.key, "daemon.admin_group") == 0 &&
	    strcmp(s.value, "\"\"") != 0)
		snprintf(r->admin_group, sizeof(r->admin_group), "%s",
			 s.value);
	if (strcmp(s.source, "default") == 0)
		return 0;
	grown = realloc(r->settings, (r->nsettings + 1) * sizeof(s));
	if (grown == NULL)
		return -1;
	r->settings = grown;
	r->settings[r->nsettings++] = s;
	return 0;
}

static int
read_status(struct ctl *c, struct report *r)
{
	char name[PROTO_MAX_TEXT + 1], text[PROTO_MAX_TEXT + 1];
	struct wreader rd;
	struct wfield f, x, y;
	int rc = call(c, PROTO_STATUS, NULL, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "status");
	for (rd = c->msg.fields; wire_next(&rd, &f) == 1;) {
		if (f.tag != PROTO_T_RECORD ||
		    wire_find_in(&f, PROTO_T_NAME, &x) != 0 ||
		    wire_str(&x, name, sizeof(name)) != 0 ||
		    wire_find_in(&f, PROTO_T_TEXT, &y) != 0 ||
		    wire_str(&y, text, sizeof(text)) != 0)
			continue;
		if (take_status(r, name, text) != 0)
			return EXIT_USAGE;
	}
	return 0;
}

/* Whether name is in admin_group here: a member, or its primary group. */
static int
is_admin(const struct report *r, const char *name)
{
	struct group *g;
	struct passwd *pw;

	if (r->admin_group[0] == '\0' || (g = getgrnam(r->admin_group)) ==
	    NULL)
		return 0;
	for (char **m = g->gr_mem; m != NULL && *m != NULL; m++)
		if (strcmp(*m, name) == 0)
			return 1;
	pw = getpwnam(name);
	return pw != NULL && pw->pw_gid == g->gr_gid;
}

/* One page of `user list` into r; *more when another follows. */
static int
list_page(struct ctl *c, struct report *r, char *after, int *more)
{
	struct wreader rd;
	struct wfield f, x;
	struct account *a;
	int rc = call(c, PROTO_USER_LIST, NULL, NULL, after, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "user list");
	*more = 0;
	for (rd = c->msg.fields; wire_next(&rd, &f) == 1;) {
		if (f.tag == PROTO_T_MORE)
			*more = 1;
		if (f.tag != PROTO_T_RECORD)
			continue;
		a = realloc(r->accounts, (r->naccounts + 1) * sizeof(*a));
		if (a == NULL)
			return EXIT_USAGE;
		r->accounts = a;
		a += r->naccounts;
		memset(a, 0, sizeof(*a));
		if (wire_find_in(&f, PROTO_T_USER, &x) != 0 ||
		    wire_str(&x, a->name, sizeof(a->name)) != 0)
			return EXIT_USAGE;
		a->disabled = field_u64(NULL, &f, PROTO_T_DISABLED) != 0;
		a->created = field_u64(NULL, &f, PROTO_T_CREATED);
		a->pw_changed = field_u64(NULL, &f, PROTO_T_PW_CHANGED);
		a->must_change = field_u64(NULL, &f, PROTO_T_MUST_CHANGE) != 0;
		r->naccounts++;
		memcpy(after, a->name, sizeof(a->name));
	}
	return 0;
}

/* `user show` of a: its last login, factors and lock. */
static int
show_account(struct ctl *c, const struct report *r, struct account *a)
{
	struct wfield f;
	int rc = call(c, PROTO_USER_SHOW, a->name, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status == PROTO_NOT_FOUND)
		return 0;	/* deleted since the list */
	if (c->msg.status != PROTO_OK)
		return refused(c, a->name);
	a->last_login = field_u64(&c->msg, NULL, PROTO_T_LAST_LOGIN);
	wire_get_str(&c->msg, PROTO_T_LAST_HOST, a->last_host,
		     sizeof(a->last_host));
	a->locked = wire_find(&c->msg, PROTO_T_UNTIL, &f) == 0;
	a->totp = (int)field_u64(&c->msg, NULL, PROTO_T_TOTP_STATE);
	if (a->totp > TOTP_REPLACING)
		a->totp = TOTP_NONE;
	a->codes_left = field_u64(&c->msg, NULL, PROTO_T_CODES_LEFT);
	a->admin = is_admin(r, a->name);
	a->never_used = a->last_login == 0;
	a->idle = a->never_used || r->now - a->last_login > r->idle;
	a->no_factor = a->totp != TOTP_ENROLLED && a->totp != TOTP_REPLACING;
	return 0;
}

static int
read_accounts(struct ctl *c, struct report *r)
{
	char after[PROTO_MAX_NAME + 1] = "";
	int more = 1, rc = 0;

	while (more && rc == 0)
		rc = list_page(c, r, after, &more);
	for (size_t i = 0; rc == 0 && i < r->naccounts; i++)
		rc = show_account(c, r, &r->accounts[i]);
	return rc;
}

/* The chain always; the seal with a key.  0, or EXIT_USAGE. */
static int
check_trail(struct ctl *c, struct report *r, const char *key)
{
	char why[256];
	uint64_t sealed;
	int rc = audit_verify_quiet(c, NULL, why, sizeof(why), &r->records,
				    &sealed);

	if (rc == EXIT_USAGE)
		return rc;
	r->chain = rc == 0 ? CHECK_OK : CHECK_FAILED;
	if (rc == 0)
		snprintf(r->chain_text, sizeof(r->chain_text), "ok: %llu "
			 "records, each following the one before",
			 (unsigned long long)r->records);
	else
		snprintf(r->chain_text, sizeof(r->chain_text), "broken: %s",
			 why);
	if (key == NULL) {
		snprintf(r->seal_text, sizeof(r->seal_text), "not checked: "
			 "no --key");
		return 0;
	}
	rc = audit_verify_quiet(c, key, why, sizeof(why), &r->records, &sealed);
	if (rc == EXIT_USAGE)
		return rc;
	r->seal = rc == 0 ? CHECK_OK : CHECK_FAILED;
	if (rc == 0)
		snprintf(r->seal_text, sizeof(r->seal_text), "verified: %llu "
			 "records sealed with the key of their position",
			 (unsigned long long)sealed);
	else
		snprintf(r->seal_text, sizeof(r->seal_text), "FAILED: %s", why);
	return 0;
}

static void
report_free(struct report *r)
{
	tally_free(&r->logins_by_user);
	tally_free(&r->logins_by_host);
	tally_free(&r->fail_by_host);
	tally_free(&r->fail_by_user);
	tally_free(&r->unknown_by_host);
	tally_free(&r->seen_host);
	tally_free(&r->seen_hours);
	tally_free(&r->seen_logins);
	free(r->admin.v);
	free(r->locks.v);
	free(r->unusual.v);
	free(r->accounts);
	free(r->settings);
	free(r->days);
}

/* The whole page into a new file path, 0600; 0, or EXIT_USAGE. */
static int
write_new_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
	size_t off = 0;
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "policyctl: report: %s: %s%s\n", path,
			strerror(errno), errno == EEXIST ? " (the report "
			"never overwrites a file: name a new one)" : "");
		return EXIT_USAGE;
	}
	errno = 0;
	while (off < len && (n = write(fd, data + off, len - off)) > 0)
		off += (size_t)n;
	if (off < len || fsync(fd) != 0) {
		fprintf(stderr, "policyctl: report: %s: write failed: %s\n",
			path, off < len && errno == 0 ? "short write"
						       : strerror(errno));
		close(fd);
		unlink(path);
		return EXIT_USAGE;
	}
	if (close(fd) != 0) {
		fprintf(stderr, "policyctl: report: %s: write failed: %s\n",
			path, strerror(errno));
		unlink(path);
		return EXIT_USAGE;
	}
	return 0;
}

/* The document in its form, built whole in memory, then written: 0, or
 * EXIT_USAGE. */
static int
emit(const struct report *r, const struct options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	int rc = EXIT_USAGE, built;

	/* JSON as every --json of policyctl: whole, or nothing. */
	if (o->json)
		return jprint(report_json(r));
	mem = open_memstream(&buf, &len);
	built = mem != NULL && (o->html != NULL ? report_html(r, mem)
						 : report_text(r, mem)) == 0;
	if (mem != NULL && fclose(mem) != 0)
		built = 0;
	if (!built || buf == NULL)
		fprintf(stderr, "policyctl: report: out of memory\n");
	else if (o->html != NULL)
		rc = write_new_file(o->html, buf, len);
	else if (fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0)
		rc = 0;
	free(buf);
	return rc;
}

int
run_report(struct ctl *c, int argc, char **argv)
{
	struct options o;
	struct report r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = parse_options(argc, argv, &o);
	if (rc != 0) {
		rc = rc == 1 ? 0 : rc;
		goto out;
	}
	if (o.html != NULL && access(o.html, F_OK) == 0) {
		fprintf(stderr, "policyctl: report: %s exists (the report "
			"never overwrites a file: name a new one)\n", o.html);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = set_times(&r, &o);
	if (rc == 0)
		rc = read_status(c, &r);
	if (rc == 0)
		rc = read_accounts(c, &r);
	if (rc == 0)
		rc = report_trail(c, &r);
	if (rc == 0)
		rc = check_trail(c, &r, o.key);
	if (rc == 0)
		rc = emit(&r, &o);
	if (rc == 0 && (r.chain == CHECK_FAILED || r.seal == CHECK_FAILED))
		rc = EXIT_REFUSED;
out:
	WIPE_OBJ(o.keybuf);
	report_free(&r);
	return rc;
}
