/*
 * report_trail.c - the audit trail, read once from its first record, into
 * the report: the window's logins, failures, lockouts and admin actions,
 * and the unusual logins, which need the whole trail before the window
 * (an account's hosts and hours of day, UTC, seen so far).
 *
 * An account's first login in the trail is not unusual by itself: every
 * account has one.  A login is unusual when the account logged in before
 * and never from this host, or never at this hour of the day.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "report.h"

/* FNV-1a: the keys are short and few; any spread will do. */
static size_t
hash_key(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
	return (size_t)h;
}

static struct tally_entry *
find_slot(struct tally_entry *slot, size_t cap, const char *key, size_t len)
{
	size_t i = hash_key(key, len) & (cap - 1);

	while (slot[i].key != NULL &&
	       (slot[i].len != len || memcmp(slot[i].key, key, len) != 0))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

/* Twice the room, every entry moved; 0, or -1 out of memory. */
static int
grow(struct tally *t)
{
	size_t cap = t->cap ? 2 * t->cap : 64;
	struct tally_entry *slot = calloc(cap, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].key != NULL)
			*find_slot(slot, cap, t->slot[i].key, t->slot[i].len) =
				t->slot[i];
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

uint64_t *
tally_at(struct tally *t, const char *key, size_t len)
{
	struct tally_entry *e;

	if ((t->used + 1) * 2 > t->cap && grow(t) != 0)
		return NULL;
	e = find_slot(t->slot, t->cap, key, len);
	if (e->key == NULL) {
		e->key = malloc(len + 1);
		if (e->key == NULL)
			return NULL;
		memcpy(e->key, key, len);
		e->key[len] = '\0';
		e->len = len;
		e->value = 0;
		t->used++;
	}
	return &e->value;
}

static int
by_count(const void *a, const void *b)
{
	const struct tally_entry *x = *(const struct tally_entry *const *)a;
	const struct tally_entry *y = *(const struct tally_entry *const *)b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return strcmp(x->key, y->key);
}

size_t
tally_top(const struct tally *t, const struct tally_entry **out, size_t n)
{
	const struct tally_entry **all;
	size_t k = 0;

	all = t->used ? malloc(t->used * sizeof(*all)) : NULL;
	if (all == NULL)
		return 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].key != NULL)
			all[k++] = &t->slot[i];
	qsort(all, k, sizeof(*all), by_count);
	if (k > n)
		k = n;
	memcpy(out, all, k * sizeof(*all));
	free(all);
	return k;
}

void
tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i].key);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static int
push(struct events *l, const struct event *e)
{
	struct event *v;

	if (l->n == l->cap) {
		v = realloc(l->v, (l->cap ? 2 * l->cap : 16) * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = l->cap ? 2 * l->cap : 16;
	}
	l->v[l->n++] = *e;
	return 0;
}

/* The events an administrator causes, from admin.sock; a record with a
 * PAM service (a user's own password change) is no admin action. */
static int
is_admin_action(const struct event *e, const char *service)
{
	static const char *const names[] = {
		"user-add", "user-del", "user-disable", "user-enable",
		"password-change", "password-expire", "unlock", "totp-enroll",
		"totp-confirm", "totp-recovery-codes", "totp-reset",
		"config-reload", "audit-purge", "seal-setup", "forbidden",
	};

	if (service[0] != '\0')
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(e->event, names[i]) == 0)
			return 1;
	return 0;
}

static int
count(struct tally *t, const char *key)
{
	uint64_t *v = tally_at(t, key, strlen(key));

	if (v == NULL)
		return -1;
	++*v;
	return 0;
}

/* A successful login: counted in the window, and checked against what the
 * trail knew of the account before it. */
static int
login(struct report *r, struct event *e, int in_window)
{
	char pair[2 * (PROTO_MAX_TEXT + 1)];
	size_t ul = strlen(e->user), hl = strlen(e->host);
	uint64_t *seen, *hours, *before;
	uint64_t bit = 1ull << ((e->time / 3600) % 24);
	int new_host;

	memcpy(pair, e->user, ul + 1);
	memcpy(pair + ul + 1, e->host, hl);
	seen = tally_at(&r->seen_host, pair, ul + 1 + hl);
	hours = tally_at(&r->seen_hours, e->user, ul);
	before = tally_at(&r->seen_logins, e->user, ul);
	if (seen == NULL || hours == NULL || before == NULL)
		return -1;
	new_host = *seen == 0;
	if (in_window && *before > 0 && (new_host || !(*hours & bit))) {
		snprintf(e->reason, sizeof(e->reason), "%s%s%s",
			 new_host ? "first login from this host" : "",
			 new_host && !(*hours & bit) ? "; " : "",
			 !(*hours & bit) ? "first login at this hour (UTC)"
					 : "");
		if (push(&r->unusual, e) != 0)
			return -1;
	}
	*seen = 1;
	*hours |= bit;
	++*before;
	if (!in_window)
		return 0;
	r->logins++;
	r->days[e->time / 86400 - r->since / 86400].logins++;
	if (count(&r->logins_by_user, e->user) != 0)
		return -1;
	return count(&r->logins_by_host, e->host[0] ? e->host : "(local)");
}

static int
failure(struct report *r, const struct event *e)
{
	const char *host = e->host[0] ? e->host : "(local)";

	r->failures++;
	r->days[e->time / 86400 - r->since / 86400].failures++;
	/* "(unknown:HEX)": a name policyd does not know, by pseudonym. */
	if (strncmp(e->user, "(unknown", 8) == 0) {
		r->unknown_failures++;
		if (count(&r->unknown_by_host, host) != 0)
			return -1;
	}
	if (count(&r->fail_by_host, host) != 0)
		return -1;
	return count(&r->fail_by_user, e->user);
}

static int
one_record(const struct wfield *rec, void *arg)
{
	struct report *r = arg;
	char service[PROTO_MAX_TEXT + 1];
	struct event e;
	int in_window;

	memset(&e, 0, sizeof(e));
	e.id = field_u64(NULL, rec, PROTO_T_ID);
	e.time = field_u64(NULL, rec, PROTO_T_TIME);
	field_text(rec, PROTO_T_EVENT, e.event, sizeof(e.event));
	field_text(rec, PROTO_T_USER, e.user, sizeof(e.user));
	field_text(rec, PROTO_T_RHOST, e.host, sizeof(e.host));
	field_text(rec, PROTO_T_ACTOR, e.actor, sizeof(e.actor));
	field_text(rec, PROTO_T_RESULT, e.result, sizeof(e.result));
	field_text(rec, PROTO_T_REASON, e.reason, sizeof(e.reason));
	field_text(rec, PROTO_T_SERVICE, service, sizeof(service));
	in_window = e.time >= r->since && e.time <= r->now;
	if (strcmp(e.event, "auth") == 0 && strcmp(e.result, "ok") == 0)
		return login(r, &e, in_window);
	if (!in_window)
		return 0;
	if (strcmp(e.event, "auth") == 0)
		return failure(r, &e);
	if (strcmp(e.event, "lock") == 0) {
		r->lockouts++;
		r->days[e.time / 86400 - r->since / 86400].lockouts++;
		return push(&r->locks, &e);
	}
	if (is_admin_action(&e, service))
		return push(&r->admin, &e);
	return 0;
}

int
report_trail(struct ctl *c, struct report *r)
{
	int rc = audit_each(c, one_record, r);

	if (rc < 0) {
		fprintf(stderr, "policyctl: report: out of memory\n");
		return EXIT_USAGE;
	}
	return rc;
}
