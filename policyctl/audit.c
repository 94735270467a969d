/*
 * audit.c - policyctl audit: the trail as a table or one JSON array,
 * with filters; policyctl audit verify: the chain, walked by the daemon.
 * The records' strings came from clients: the table shows them through
 * text_vis, JSON through jtext (jsonout.h), never raw.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auditseal.h"
#include "ctl.h"
#include "jsonout.h"
#include "text.h"
#include "wipe.h"

struct filters {
	const char *user, *event, *host;
	uint64_t since, until, limit;
};

int
audit_parse_age(const char *s, uint64_t *seconds)
{
	uint64_t n = 0, unit;
	const char *q = s;

	for (; *q >= '0' && *q <= '9'; q++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*q - '0');
	}
	if (q == s || q[0] == '\0' || q[1] != '\0')
		return -1;
	if (*q == 'd')
		unit = 86400;
	else if (*q == 'h')
		unit = 3600;
	else
		return -1;
	if (n > (UINT64_MAX >> 2) / unit)
		return -1;
	*seconds = n * unit;
	return 0;
}

int
audit_parse_time(const char *s, uint64_t now, uint64_t *t)
{
	struct tm tm;
	const char *end;
	uint64_t ago;
	char *e;

	if (audit_parse_age(s, &ago) == 0) {
		*t = ago < now ? now - ago : 0;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end != NULL && *end == '\0') {
		time_t at = timegm(&tm);

		if (at < 0)
			return -1;	/* before the epoch: no record is */
		*t = (uint64_t)at;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*t = strtoull(s, &e, 10);
	/* The trail's times are signed 64-bit seconds. */
	return *e == '\0' && errno == 0 && *t <= (uint64_t)INT64_MAX ? 0 : -1;
}

static int
parse_time(const char *s, uint64_t *t)
{
	return audit_parse_time(s, (uint64_t)time(NULL), t);
}

/* The filters and --json of argv (argv[0] the command's name) into f;
 * 1 when --help was shown, -1 (told) on a usage error. */
static int
parse_filters(int argc, char **argv, struct filters *f, int *json)
{
	static const struct option longs[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "event", required_argument, NULL, 'e' },
		{ "source", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int ch;

	memset(f, 0, sizeof(*f));
	f->until = UINT64_MAX >> 1;
	f->limit = 100;
	optind = 0;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (ch) {
		case 'u':
			f->user = optarg;
			break;
		case 'e':
			f->event = optarg;
			break;
		case 's':
			f->host = optarg;
			break;
		case 'S':
		case 'U':
			if (parse_time(optarg, ch == 'S' ? &f->since
							 : &f->until) != 0)
				return usage_error("audit", "--%s %s: not a "
						   "time (YYYY-MM-DD, "
						   "YYYY-MM-DDTHH:MM:SS or "
						   "seconds)", ch == 'S' ?
						   "since" : "until", optarg);
			break;
		case 'n':
			errno = 0;
			f->limit = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' ||
			    errno != 0 || f->limit == 0 ||
			    f->limit > (uint64_t)INT64_MAX)
				return usage_error("audit", "--limit %s: not a "
						   "positive number", optarg);
			break;
		case 'j':
			*json = 1;
			break;
		case 'h':
			usage_of("audit", stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'policyctl audit --help'.\n");
			return -1;
		}
	}
	if (optind < argc)
		return usage_error("audit", "unexpected argument '%s'",
				   argv[optind]);
	return 0;
}

/* One record as a line of the table. */
static void
print_row(const struct wfield *rec, char v[8][PROTO_MAX_TEXT + 1],
	  const char *when)
{
	char s[8][TEXT_VIS_SIZE(PROTO_MAX_TEXT)];

	for (int i = 0; i < 8; i++)
		text_vis(s[i], sizeof(s[i]), v[i]);
	printf("%-6llu %-20s %-18s %-12s %-15s %-8s %-8s %s%s%s\n",
	       (unsigned long long)field_u64(NULL, rec, PROTO_T_ID), when,
	       s[0], v[1][0] ? s[1] : "-", v[2][0] ? s[2] : "-",
	       v[3][0] ? s[3] : "-", s[5], s[6], v[7][0] ? " by " : "", s[7]);
}

/* One record: a line of the table, or (arr not NULL) an object of the
 * JSON array arr. */
static void
print_record(const struct wfield *rec, json_t *arr)
{
	static const uint8_t tags[] = { PROTO_T_EVENT, PROTO_T_USER,
					PROTO_T_RHOST, PROTO_T_SERVICE,
					PROTO_T_TTY, PROTO_T_RESULT,
					PROTO_T_REASON, PROTO_T_ACTOR };
	static const char *const keys[] = { "event", "user", "host",
					    "service", "tty", "result",
					    "reason", "actor" };
	char v[8][PROTO_MAX_TEXT + 1], when[32];

	for (int i = 0; i < 8; i++)
		field_text(rec, tags[i], v[i], sizeof(v[i]));
	format_time(field_u64(NULL, rec, PROTO_T_TIME), when, sizeof(when));
	json_t *o;

	if (arr == NULL) {
		print_row(rec, v, when);
		return;
	}
	o = json_object();
	jset(o, "id", json_integer((json_int_t)field_u64(NULL, rec,
							 PROTO_T_ID)));
	jset(o, "time", jtext(when));
	for (int i = 0; i < 8; i++)
		jset(o, keys[i], jtext(v[i]));
	/* The daemon sends the uid as unsigned 64 bits; -1 stays -1. */
	jset(o, "actor_uid",
	     json_integer((json_int_t)field_u64(NULL, rec,
						 PROTO_T_ACTOR_UID)));
	jpush(arr, o);
}

void
audit_put_filters(const struct ctl *c, struct wwriter *w)
{
	const struct filters *f = c->audit_filters;

	if (f == NULL)
		return;
	if (f->event != NULL)
		wire_put_str(w, PROTO_T_EVENT, f->event);
	wire_put_u64(w, PROTO_T_SINCE, f->since);
	wire_put_u64(w, PROTO_T_UNTIL, f->until);
	wire_put_u64(w, PROTO_T_LIMIT, f->limit);
	wire_put_u64(w, PROTO_T_ID, c->audit_after);
}

/* One page of the query, printed or added to arr; *more when the daemon
 * has more.  f->limit is what is still wanted: each record lowers it. */
static int
query_page(struct ctl *c, struct filters *f, json_t *arr, uint64_t *after,
	   int *more)
{
	struct wreader r;
	struct wfield rec;
	int rc;

	c->audit_filters = f;
	c->audit_after = *after;
	rc = call(c, PROTO_AUDIT_QUERY, f->user, NULL, NULL, f->host);
	c->audit_filters = NULL;
	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "");
	*more = 0;
	for (r = c->msg.fields; wire_next(&r, &rec) == 1;) {
		if (rec.tag == PROTO_T_MORE)
			*more = 1;
		if (rec.tag != PROTO_T_RECORD || f->limit == 0)
			continue;
		print_record(&rec, arr);
		f->limit--;
		*after = field_u64(NULL, &rec, PROTO_T_ID);
	}
	return 0;
}

static int
audit_verify(struct ctl *c)
{
	struct wfield f;
	uint64_t bad;
	int rc = call(c, PROTO_AUDIT_VERIFY, NULL, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "");
	if (wire_find(&c->msg, PROTO_T_ID, &f) == 0 && wire_u64(&f, &bad) == 0) {
		printf("broken at record %llu (edited, or a record before it "
		       "deleted or moved)\n", (unsigned long long)bad);
		return EXIT_REFUSED;
	}
	printf("ok: %llu records, each following the one before; the seal "
	       "was not checked (no --key)\n",
	       (unsigned long long)field_u64(&c->msg, NULL, PROTO_T_VALUE));
	return 0;
}

int
audit_each(struct ctl *c, int (*cb)(const struct wfield *rec, void *arg),
	   void *arg)
{
	struct filters f;
	struct wreader r;
	struct wfield rec;
	int more = 1, rc;

	memset(&f, 0, sizeof(f));
	f.until = UINT64_MAX >> 1;
	f.limit = 1000;
	c->audit_after = 0;
	while (more) {
		c->audit_filters = &f;
		rc = call(c, PROTO_AUDIT_QUERY, NULL, NULL, NULL, NULL);
		c->audit_filters = NULL;
		if (rc != 0)
			return rc;
		if (c->msg.status != PROTO_OK)
			return refused(c, "");
		more = 0;
		for (r = c->msg.fields; wire_next(&r, &rec) == 1;) {
			if (rec.tag == PROTO_T_MORE)
				more = 1;
			if (rec.tag != PROTO_T_RECORD)
				continue;
			if (cb(&rec, arg) != 0)
				return -1;
			c->audit_after = field_u64(NULL, &rec, PROTO_T_ID);
		}
	}
	return 0;
}

/* verify [--key K | --key-file F] [--anchor 'seq=N head=H']: with either,
 * here. */
int
run_verify(struct ctl *c, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'f' },
		{ "anchor", required_argument, NULL, 'a' },
		{ "retention", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char keybuf[AUDIT_SEAL_TEXT_MAX + 2];
	const char *key = NULL, *anchor = NULL;
	uint64_t retention = 0;
	int ch, rc = -1;

	optind = 0;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if ((ch == 'k' || ch == 'f') && key != NULL) {
			usage_error("audit verify", "--key or --key-file, once");
			goto out;
		} else if (ch == 'k' || ch == 'f') {
			if (audit_key_arg(optarg, ch == 'f' ? optarg : NULL,
					  keybuf, sizeof(keybuf)) != 0)
				goto out;
			key = keybuf;
		} else if (ch == 'a') {
			anchor = optarg;
		} else if (ch == 'r') {
			if (audit_parse_age(optarg, &retention) != 0 ||
			    retention == 0) {
				usage_error("audit verify", "--retention %s: "
					    "expected days or hours (365d, "
					    "12h)", optarg);
				goto out;
			}
		} else if (ch == 'h') {
			usage_of("audit verify", stdout);
			rc = 0;
			goto out;
		} else {
			fprintf(stderr, "Try 'policyctl audit verify "
					"--help'.\n");
			goto out;
		}
	}
	if (optind < argc)
		usage_error("audit verify", "unexpected argument '%s'",
			    argv[optind]);
	else if (key == NULL && anchor == NULL && retention == 0)
		rc = audit_verify(c);
	else
		rc = audit_verify_local(c, key, anchor, retention);
out:
	wipe(keybuf, sizeof(keybuf));
	return rc;
}

int
run_audit(struct ctl *c, int argc, char **argv)
{
	struct filters f;
	uint64_t after = 0;
	int json = 0, more = 1, rc = 0;
	json_t *arr;

	rc = parse_filters(argc, argv, &f, &json);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	arr = json ? json_array() : NULL;
	if (!json)
		printf("%-6s %-20s %-18s %-12s %-15s %-8s %-8s %s\n", "ID",
		       "TIME", "EVENT", "USER", "HOST", "SERVICE", "RESULT",
		       "REASON");
	while (more && rc == 0 && f.limit > 0)
		rc = query_page(c, &f, arr, &after, &more);
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	return json ? jprint(arr) : 0;
}

int
export_audit(struct ctl *c, const char *user, json_t *arr)
{
	struct filters f;
	uint64_t after = 0;
	int more = 1, rc = 0;

	memset(&f, 0, sizeof(f));
	f.user = user;
	f.until = UINT64_MAX >> 1;
	while (more && rc == 0) {
		f.limit = 1000;		/* each page: all of them are wanted */
		rc = query_page(c, &f, arr, &after, &more);
	}
	return rc;
}
