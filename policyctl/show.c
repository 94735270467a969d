/*
 * show.c - policyctl's listings: users, one user, locks, counters.
 *
 * Every string from the daemon is printed through text_vis (in tables and
 * human text) or jtext (in JSON, see jsonout.h): host, service and user
 * names come from clients, and raw they could clear the administrator's
 * screen or forge lines of the listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "jsonout.h"
#include "proto.h"
#include "text.h"
#include "wipe.h"

#define VIS_TEXT TEXT_VIS_SIZE(PROTO_MAX_TEXT)

/* s as text_vis shows it, in buf (size bytes); returns buf. */
static const char *
vis(char *buf, size_t size, const char *s)
{
	text_vis(buf, size, s);
	return buf;
}

void
format_time(uint64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct user_view {
	char name[PROTO_MAX_NAME + 1];
	uint64_t id, created, pw_changed;
	uint8_t disabled;
	uint8_t must_change;
	char cost[PROTO_MAX_TEXT + 1];
};

static int
read_user_view(const struct wfield *rec, struct user_view *v)
{
	struct wfield f;

	memset(v, 0, sizeof(*v));
	if (wire_find_in(rec, PROTO_T_USER, &f) != 0 ||
	    wire_str(&f, v->name, sizeof(v->name)) != 0)
		return -1;
	if (wire_find_in(rec, PROTO_T_UID, &f) == 0)
		wire_u64(&f, &v->id);
	if (wire_find_in(rec, PROTO_T_DISABLED, &f) == 0)
		wire_u8(&f, &v->disabled);
	if (wire_find_in(rec, PROTO_T_CREATED, &f) == 0)
		wire_u64(&f, &v->created);
	if (wire_find_in(rec, PROTO_T_PW_CHANGED, &f) == 0)
		wire_u64(&f, &v->pw_changed);
	if (wire_find_in(rec, PROTO_T_MUST_CHANGE, &f) == 0)
		wire_u8(&f, &v->must_change);
	if (wire_find_in(rec, PROTO_T_HASH_PARAMS, &f) == 0)
		wire_str(&f, v->cost, sizeof(v->cost));
	return 0;
}

/* One user as a JSON object: what the list shows, and with detail the
 * hash's cost (show adds the login state). */
static json_t *
user_json(const struct user_view *v, int detail)
{
	char created[32], changed[32];
	json_t *o = json_object();

	format_time(v->created, created, sizeof(created));
	format_time(v->pw_changed, changed, sizeof(changed));
	jset(o, "name", jtext(v->name));
	jset(o, "id", json_integer((json_int_t)v->id));
	jset(o, "disabled", json_boolean(v->disabled));
	jset(o, "created", jtext(created));
	jset(o, "password_changed", jtext(changed));
	jset(o, "must_change", json_boolean(v->must_change));
	if (detail)
		jset(o, "password_hash", jtext(v->cost));
	return o;
}

static void
print_user(const struct user_view *v, int detail)
{
	char created[32], changed[32], name[TEXT_VIS_SIZE(PROTO_MAX_NAME)];
	char cost[VIS_TEXT];

	format_time(v->created, created, sizeof(created));
	format_time(v->pw_changed, changed, sizeof(changed));
	if (detail) {
		printf("name:             %s\nid:               %llu\n"
		       "state:            %s\ncreated:          %s\n"
		       "password changed: %s\nmust change:      %s\n"
		       "password hash:    %s\n",
		       vis(name, sizeof(name), v->name),
		       (unsigned long long)v->id,
		       v->disabled ? "disabled" : "enabled", created, changed,
		       v->must_change ? "yes" : "no",
		       vis(cost, sizeof(cost), v->cost));
	} else {
		printf("%-32s %-8s %-20s %s\n", vis(name, sizeof(name), v->name),
		       v->disabled ? "disabled" : "enabled", created, changed);
	}
}

/* Prints one page of a list, or adds it to the array list; returns 1
 * if more follow, -1 on garbage. */
static int
print_page(struct ctl *c, char *after, json_t *list)
{
	struct wreader r = c->msg.fields;
	struct user_view v;
	struct wfield f;
	int more = 0, rc;

	while ((rc = wire_next(&r, &f)) == 1) {
		if (f.tag == PROTO_T_MORE) {
			more = 1;
			continue;
		}
		if (f.tag != PROTO_T_RECORD || read_user_view(&f, &v) != 0)
			return -1;
		if (list != NULL)
			jpush(list, user_json(&v, 0));
		else
			print_user(&v, 0);
		memcpy(after, v.name, sizeof(v.name));
	}
	return rc < 0 ? -1 : more;
}

int
cmd_list(struct ctl *c)
{
	char after[PROTO_MAX_NAME + 1] = "";
	json_t *list = c->json ? json_array() : NULL;
	int first = 1, more, rc;

	do {
		rc = call(c, PROTO_USER_LIST, NULL, NULL, after, NULL);
		if (rc == 0 && c->msg.status != PROTO_OK)
			rc = refused(c, "");
		if (rc != 0) {
			json_decref(list);
			return rc;
		}
		if (first && !c->json)
			printf("%-32s %-8s %-20s %s\n", "NAME", "STATE",
			       "CREATED", "PASSWORD CHANGED");
		first = 0;
		more = print_page(c, after, list);
		if (more < 0) {
			fprintf(stderr, "policyctl: malformed list\n");
			json_decref(list);
			return EXIT_USAGE;
		}
	} while (more);
	return c->json ? jprint(list) : 0;
}

void
field_text(const struct wfield *rec, uint8_t tag, char *out, size_t size)
{
	struct wfield f;

	out[0] = '\0';
	if (wire_find_in(rec, tag, &f) == 0)
		wire_str(&f, out, size);
}

uint64_t
field_u64(const struct wmsg *m, const struct wfield *rec, uint8_t tag)
{
	struct wfield f;
	uint64_t v = 0;
	uint32_t v32;
	uint8_t v8;

	if ((rec != NULL ? wire_find_in(rec, tag, &f) : wire_find(m, tag, &f))
	    != 0)
		return 0;
	if (wire_u64(&f, &v) == 0)
		return v;
	if (wire_u8(&f, &v8) == 0)
		return v8;
	return wire_u32(&f, &v32) == 0 ? v32 : 0;
}

/* "until unlocked", or the time a lock ends. */
static void
format_until(int locked, uint64_t until, char *buf, size_t size)
{
	if (!locked)
		snprintf(buf, size, "no");
	else if (until == 0)
		snprintf(buf, size, "until unlocked");
	else
		format_time(until, buf, size);
}

/* The counted failures of `user show`, as text lines or into the JSON
 * array arr. */
static void
print_failures(const struct ctl *c, json_t *arr)
{
	char when[32], rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	char vr[VIS_TEXT], vs[VIS_TEXT];
	struct wreader r = c->msg.fields;
	struct wfield f, x;
	json_t *o;

	if (arr == NULL)
		printf("failures:\n");
	while (wire_next(&r, &f) == 1) {
		if (f.tag != PROTO_T_FAILURE)
			continue;
		format_time(field_u64(NULL, &f, PROTO_T_TIME), when,
			    sizeof(when));
		rhost[0] = service[0] = '\0';
		if (wire_find_in(&f, PROTO_T_RHOST, &x) == 0)
			wire_str(&x, rhost, sizeof(rhost));
		if (wire_find_in(&f, PROTO_T_SERVICE, &x) == 0)
			wire_str(&x, service, sizeof(service));
		if (arr == NULL) {
			printf("  %s  %-20s %s\n", when,
			       rhost[0] ? vis(vr, sizeof(vr), rhost)
					: "(local)",
			       vis(vs, sizeof(vs), service));
			continue;
		}
		o = json_object();
		jset(o, "time", jtext(when));
		jset(o, "host", jtext(rhost));
		jset(o, "service", jtext(service));
		jpush(arr, o);
	}
}

/* The login state of `user show`: as text, or into the JSON object o. */
static void
print_login_state(const struct ctl *c, json_t *o)
{
	char last[32], until[32], host[PROTO_MAX_TEXT + 1] = "";
	char vh[VIS_TEXT];
	struct wfield f;
	int locked = wire_find(&c->msg, PROTO_T_UNTIL, &f) == 0;
	uint64_t failed = field_u64(&c->msg, NULL, PROTO_T_FAILURES);

	format_time(field_u64(&c->msg, NULL, PROTO_T_LAST_LOGIN), last,
		    sizeof(last));
	wire_get_str(&c->msg, PROTO_T_LAST_HOST, host, sizeof(host));
	format_until(locked, field_u64(&c->msg, NULL, PROTO_T_UNTIL), until,
		     sizeof(until));
	static const char *const states[] = { "none", "pending", "enrolled",
					      "enrolled, new one pending" };
	uint64_t state = field_u64(&c->msg, NULL, PROTO_T_TOTP_STATE);
	uint64_t codes = field_u64(&c->msg, NULL, PROTO_T_CODES_LEFT);

	if (state > 3)
		state = 0;
	uint64_t history = field_u64(&c->msg, NULL, PROTO_T_HISTORY);

	if (o != NULL) {
		json_t *failures = json_array();

		jset(o, "totp", jtext(states[state]));
		jset(o, "recovery_codes_left", json_integer((json_int_t)codes));
		jset(o, "password_history",
		     json_integer((json_int_t)history));
		jset(o, "last_login", jtext(last));
		jset(o, "last_host", jtext(host));
		jset(o, "failed_since_login",
		     json_integer((json_int_t)failed));
		jset(o, "locked", jtext(until));
		print_failures(c, failures);
		jset(o, "failures", failures);
	} else {
		printf("totp:             %s (%llu recovery codes left)\n"
		       "password history: %llu earlier passwords kept (as "
		       "hashes)\n", states[state], (unsigned long long)codes,
		       (unsigned long long)history);
		printf("last login:       %s%s%s\nfailed since:     %llu\n"
		       "locked:           %s\n", last, host[0] ? " from " : "",
		       vis(vh, sizeof(vh), host), (unsigned long long)failed,
		       until);
		print_failures(c, NULL);
	}
}

json_t *
show_json(struct ctl *c, const char *name, int *rc)
{
	struct user_view v;
	struct wfield rec;
	json_t *o;

	*rc = call(c, PROTO_USER_SHOW, name, NULL, NULL, NULL);
	if (*rc == 0 && c->msg.status != PROTO_OK)
		*rc = refused(c, name);
	if (*rc != 0)
		return NULL;
	if (wire_find(&c->msg, PROTO_T_RECORD, &rec) != 0 ||
	    read_user_view(&rec, &v) != 0) {
		fprintf(stderr, "policyctl: malformed answer\n");
		*rc = EXIT_USAGE;
		return NULL;
	}
	o = user_json(&v, 1);
	print_login_state(c, o);
	return o;
}

int
cmd_show(struct ctl *c, const char *name)
{
	struct user_view v;
	struct wfield rec;
	json_t *o;
	int rc;

	if (c->json) {
		o = show_json(c, name, &rc);
		return rc != 0 ? rc : jprint(o);
	}
	rc = call(c, PROTO_USER_SHOW, name, NULL, NULL, NULL);
	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, name);
	if (wire_find(&c->msg, PROTO_T_RECORD, &rec) != 0 ||
	    read_user_view(&rec, &v) != 0) {
		fprintf(stderr, "policyctl: malformed answer\n");
		return EXIT_USAGE;
	}
	print_user(&v, 1);
	print_login_state(c, NULL);
	return 0;
}

int
cmd_locks(struct ctl *c)
{
	char key[PROTO_MAX_TEXT + 1], since[32], until[32], vk[VIS_TEXT];
	struct wreader r;
	struct wfield f, x;
	int rc = call(c, PROTO_LOCKS, NULL, NULL, NULL, NULL);
	json_t *list, *o;

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "");
	list = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-7s %-32s %-20s %s\n", "KIND", "NAME", "SINCE",
		       "UNTIL");
	for (r = c->msg.fields; wire_next(&r, &f) == 1;) {
		uint8_t kind = 0;

		if (f.tag != PROTO_T_RECORD ||
		    wire_find_in(&f, PROTO_T_USER, &x) != 0 ||
		    wire_str(&x, key, sizeof(key)) != 0)
			continue;
		if (wire_find_in(&f, PROTO_T_KIND, &x) == 0)
			wire_u8(&x, &kind);
		format_time(field_u64(NULL, &f, PROTO_T_TIME), since,
			    sizeof(since));
		format_until(1, field_u64(NULL, &f, PROTO_T_UNTIL), until,
			     sizeof(until));
		if (!c->json) {
			printf("%-7s %-32s %-20s %s\n",
			       kind == 's' ? "host" : "user",
			       vis(vk, sizeof(vk), key), since, until);
			continue;
		}
		o = json_object();
		jset(o, "kind", jtext(kind == 's' ? "host" : "user"));
		jset(o, "name", jtext(key));
		jset(o, "since", jtext(since));
		jset(o, "until", jtext(until));
		jpush(list, o);
	}
	return c->json ? jprint(list) : 0;
}

/* A counter's value in the reply, 0 if absent. */
static uint64_t
stat_value(const struct ctl *c, const char *want)
{
	char name[PROTO_MAX_TEXT + 1];
	struct wreader r;
	struct wfield f, x;

	for (r = c->msg.fields; wire_next(&r, &f) == 1;)
		if (f.tag == PROTO_T_RECORD &&
		    wire_find_in(&f, PROTO_T_NAME, &x) == 0 &&
		    wire_str(&x, name, sizeof(name)) == 0 &&
		    strcmp(name, want) == 0)
			return field_u64(NULL, &f, PROTO_T_VALUE);
	return 0;
}

/* The Prometheus text exposition format (version 0.0.4). */
static void
print_prometheus(const struct ctl *c, FILE *fp)
{
	static const struct {
		const char *stat, *family, *type, *help, *label;
	} m[] = {
		{ "auth_ok", "policyd_auth_total", "counter",
		  "Login attempts by result.", "result=\"ok\"" },
		{ "auth_denied", "policyd_auth_total", NULL, NULL,
		  "result=\"denied\"" },
		{ "auth_locked", "policyd_auth_total", NULL, NULL,
		  "result=\"locked\"" },
		{ "verifications", "policyd_verifications_total", "counter",
		  "Argon2id verifications run.", NULL },
		{ "verifications_dummy", "policyd_verifications_hidden_total",
		  "counter", "Verifications that hide an account: dummies for "
		  "unknown names, and logins of a hash cheaper than the "
		  "costliest held as long.", "kind=\"dummy\"" },
		{ "verifications_padded", "policyd_verifications_hidden_total",
		  NULL, NULL, "kind=\"padded\"" },
		{ "lockouts", "policyd_lockouts_total", "counter",
		  "Accounts and hosts that became locked.", NULL },
		{ "unavailable", "policyd_unavailable_total", "counter",
		  "Requests answered unavailable (store failure or overload).",
		  NULL },
		{ "store_commits", "policyd_store_commits_total", "counter",
		  "Write transactions committed to the store.", NULL },
		{ "store_syncs", "policyd_store_syncs_total", "counter",
		  "fdatasync calls that made commits durable; fewer than "
		  "commits when concurrent ones share one.", NULL },
		{ "store_failed", "policyd_store_failed", "gauge",
		  "1 once a sync failed: every decision is answered "
		  "unavailable until a restart.", NULL },
		{ "locked_accounts", "policyd_locked", "gauge",
		  "Locks in force.", "kind=\"account\"" },
		{ "locked_sources", "policyd_locked", NULL, NULL,
		  "kind=\"source\"" },
		{ "hash_running", "policyd_hash_jobs", "gauge",
		  "Argon2id jobs running and waiting.", "state=\"running\"" },
		{ "hash_waiting", "policyd_hash_jobs", NULL, NULL,
		  "state=\"waiting\"" },
		{ "hash_workers", "policyd_hash_workers", "gauge",
		  "Argon2id jobs that may run at once.", NULL },
		{ "costliest_memory_kib", "policyd_hash_costliest", "gauge",
		  "The costliest argon2id cost in use (configured or stored), "
		  "which every login answer takes.", "param=\"memory_kib\"" },
		{ "costliest_time", "policyd_hash_costliest", NULL, NULL,
		  "param=\"time\"" },
		{ "costliest_parallelism", "policyd_hash_costliest", NULL, NULL,
		  "param=\"parallelism\"" },
		{ "uptime_seconds", "policyd_uptime_seconds", "gauge",
		  "Seconds since the daemon started.", NULL },
	};
	static const char *const le[] = { "0.05", "0.1", "0.25", "0.5", "1",
					  "2.5", "+Inf" };
	char name[32];
	uint64_t cum = 0;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (m[i].type != NULL)
			fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", m[i].family,
				m[i].help, m[i].family, m[i].type);
		fprintf(fp, "%s%s%s%s %llu\n", m[i].family,
			m[i].label ? "{" : "", m[i].label ? m[i].label : "",
			m[i].label ? "}" : "",
			(unsigned long long)stat_value(c, m[i].stat));
	}
	fprintf(fp, "# HELP policyd_hash_seconds Time of an argon2id "
		    "verification.\n# TYPE policyd_hash_seconds histogram\n");
	for (size_t i = 0; i < sizeof(le) / sizeof(le[0]); i++) {
		snprintf(name, sizeof(name), "hash_le_%s", le[i]);
		cum += stat_value(c, name);
		fprintf(fp, "policyd_hash_seconds_bucket{le=\"%s\"} %llu\n",
			le[i], (unsigned long long)cum);
	}
	fprintf(fp, "policyd_hash_seconds_sum %.6f\n"
		    "policyd_hash_seconds_count %llu\n",
		(double)stat_value(c, "hash_sum_us") / 1e6,
		(unsigned long long)cum);
}

/* Writes the exposition into dir/policyd.prom atomically (a temporary
 * file renamed over it), as node_exporter's textfile collector wants. */
static int
write_textfile(const struct ctl *c, const char *dir)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	FILE *fp;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s/.policyd.prom.XXXXXX", dir) >=
		    (int)sizeof(tmp) ||
	    snprintf(final, sizeof(final), "%s/policyd.prom", dir) >=
		    (int)sizeof(final) ||
	    (fd = mkstemp(tmp)) < 0) {
		fprintf(stderr, "policyctl: %s: cannot write there\n", dir);
		return EXIT_USAGE;
	}
	fchmod(fd, 0644);
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		close(fd);
		unlink(tmp);
		return EXIT_USAGE;
	}
	print_prometheus(c, fp);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0 || fclose(fp) != 0 ||
	    rename(tmp, final) != 0) {
		fprintf(stderr, "policyctl: %s: write failed\n", final);
		unlink(tmp);
		return EXIT_USAGE;
	}
	return 0;
}

int
cmd_stats(struct ctl *c, int prometheus, const char *textfile_dir)
{
	char name[PROTO_MAX_TEXT + 1], vn[VIS_TEXT];
	struct wreader r;
	struct wfield f, x;
	int rc = call(c, PROTO_STATS, NULL, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "");
	if (textfile_dir != NULL)
		return write_textfile(c, textfile_dir);
	if (prometheus) {
		print_prometheus(c, stdout);
		return 0;
	}
	for (r = c->msg.fields; wire_next(&r, &f) == 1;) {
		if (f.tag != PROTO_T_RECORD ||
		    wire_find_in(&f, PROTO_T_NAME, &x) != 0 ||
		    wire_str(&x, name, sizeof(name)) != 0)
			continue;
		printf("%-20s %llu\n", vis(vn, sizeof(vn), name),
		       (unsigned long long)field_u64(NULL, &f, PROTO_T_VALUE));
	}
	return 0;
}

/* policyctl status: one "name  value" line each, or one JSON object. */
int
cmd_status(struct ctl *c)
{
	char name[PROTO_MAX_TEXT + 1], text[PROTO_MAX_TEXT + 1];
	char vn[VIS_TEXT], vt[VIS_TEXT];
	struct wreader r;
	struct wfield f, x, y;
	int rc = call(c, PROTO_STATUS, NULL, NULL, NULL, NULL), width = 24;
	json_t *o;

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "");
	o = c->json ? json_object() : NULL;
	/* The names' column as wide as the longest name, within reason. */
	for (r = c->msg.fields; wire_next(&r, &f) == 1;)
		if (f.tag == PROTO_T_RECORD &&
		    wire_find_in(&f, PROTO_T_NAME, &x) == 0 &&
		    wire_str(&x, name, sizeof(name)) == 0 &&
		    strlen(vis(vn, sizeof(vn), name)) > (size_t)width &&
		    strlen(vn) <= 48)
			width = (int)strlen(vn);
	for (r = c->msg.fields; wire_next(&r, &f) == 1;) {
		if (f.tag != PROTO_T_RECORD ||
		    wire_find_in(&f, PROTO_T_NAME, &x) != 0 ||
		    wire_str(&x, name, sizeof(name)) != 0 ||
		    wire_find_in(&f, PROTO_T_TEXT, &y) != 0 ||
		    wire_str(&y, text, sizeof(text)) != 0)
			continue;
		if (!c->json) {
			printf("%-*s %s\n", width, vis(vn, sizeof(vn), name),
			       vis(vt, sizeof(vt), text));
			continue;
		}
		jset(o, name, jtext(text));
	}
	return c->json ? jprint(o) : 0;
}

/* policyctl reload: this daemon re-reads its file; a refusal says why
 * and the old configuration stays. */
int
cmd_reload(struct ctl *c)
{
	char why[PROTO_MAX_TEXT + 1] = "", vw[VIS_TEXT];
	int rc = call(c, PROTO_RELOAD, NULL, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status == PROTO_OK) {
		printf("policyctl: reloaded\n");
		return 0;
	}
	if (c->msg.status != PROTO_BAD_REQUEST ||
	    wire_get_str(&c->msg, PROTO_T_TEXT, why, sizeof(why)) != 0)
		return refused(c, "");
	fprintf(stderr, "policyctl: reload refused, the old configuration "
		"stays: %s\n", vis(vw, sizeof(vw), why));
	return EXIT_REFUSED;
}
