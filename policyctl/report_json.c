/*
 * report_json.c - the report as one JSON document (jansson), built in
 * memory so that an error leaves nothing half-written.  Its shape is
 * policyctl(8)'s REPORT section; report_html.c renders the same document,
 * each value under the data-key of its path.
 *
 * Strings from the store are made valid UTF-8 first (a stray byte becomes
 * U+FFFD): jansson refuses anything else, and a name must not make the
 * whole report fail.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "jsonout.h"
#include "report_json.h"
#include "text.h"

static json_t *
jtime(uint64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	format_time(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
jnum(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static const char *
totp_name(int state)
{
	static const char *const names[] = { "none", "pending", "enrolled",
					     "enrolled" };

	return state >= 0 && state <= TOTP_REPLACING ? names[state] : "none";
}

static json_t *
account(const struct report *r, const struct account *a)
{
	json_t *flags = json_array();

	if (a->never_used)
		jpush(flags, json_string("never-used"));
	else if (a->idle)
		jpush(flags, json_string("idle"));
	if (a->no_factor)
		jpush(flags, json_string("no-second-factor"));
	if (a->disabled)
		jpush(flags, json_string("disabled"));
	if (a->locked)
		jpush(flags, json_string("locked"));
	return json_pack("{s:o,s:o,s:b,s:o,s:o,s:o,s:I,s:s,s:I,s:b,s:b,s:b}",
			 "name", jtext(a->name), "flags", flags,
			 "enabled", !a->disabled,
			 "last_login", jtime(a->last_login), "last_host",
			 jtext(a->last_host), "password_changed",
			 jtime(a->pw_changed), "password_age_days",
			 (json_int_t)report_days(r->now, a->pw_changed),
			 "totp", totp_name(a->totp), "recovery_codes_left",
			 (json_int_t)a->codes_left, "admin", a->admin,
			 "locked", a->locked, "must_change_password",
			 a->must_change);
}

static json_t *
accounts(const struct report *r, json_t **summary)
{
	json_t *list = json_array();
	uint64_t idle = 0, never = 0, nofactor = 0, disabled = 0, admins = 0;

	for (size_t i = 0; i < r->naccounts; i++) {
		const struct account *a = &r->accounts[i];

		jpush(list, account(r, a));
		idle += a->idle;
		never += a->never_used;
		nofactor += a->no_factor;
		disabled += a->disabled;
		admins += a->admin;
	}
	*summary = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "total",
			     jnum(r->naccounts), "idle_or_never_used",
			     jnum(idle), "never_used", jnum(never),
			     "no_second_factor", jnum(nofactor), "disabled",
			     jnum(disabled), "admins", jnum(admins),
			     "idle_days", jnum(r->idle / 86400),
			     "admin_group", jtext(r->admin_group));
	return list;
}

/* The highest entries of t as [{key: name, "count": n}]. */
static json_t *
top(const struct tally *t, const char *key)
{
	const struct tally_entry *e[REPORT_TOP];
	size_t n = tally_top(t, e, REPORT_TOP);
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++)
		jpush(list, json_pack("{s:o,s:o}", key,
						      jtext(e[i]->key),
						      "count",
						      jnum(e[i]->value)));
	return list;
}

static json_t *
events(const struct events *l, const char *why)
{
	json_t *list = json_array();

	for (size_t i = 0; i < l->n; i++) {
		const struct event *e = &l->v[i];

		jpush(list, json_pack(
			"{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", jnum(e->id),
			"time", jtime(e->time), "event", jtext(e->event),
			"user", jtext(e->user), "host",
			jtext(e->host), "actor", jtext(e->actor),
			"result", jtext(e->result), why,
			jtext(e->reason)));
	}
	return list;
}

static json_t *
per_day(const struct report *r)
{
	json_t *list = json_array();
	char day[32];

	for (size_t i = 0; i < r->ndays; i++) {
		format_time((r->since / 86400 + i) * 86400, day, sizeof(day));
		day[10] = '\0';
		jpush(list, json_pack(
			"{s:s,s:o,s:o,s:o}", "day", day, "logins",
			jnum(r->days[i].logins), "failures",
			jnum(r->days[i].failures), "lockouts",
			jnum(r->days[i].lockouts)));
	}
	return list;
}

static json_t *
activity(const struct report *r)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:o,s:o,s:o}",
			 "since", jtime(r->since), "until", jtime(r->now),
			 "logins", jnum(r->logins), "failures",
			 jnum(r->failures), "unknown_user_failures",
			 jnum(r->unknown_failures), "lockouts",
			 jnum(r->lockouts), "admin_actions", jnum(r->admin.n),
			 "unusual_logins", jnum(r->unusual.n), "per_day",
			 per_day(r), "logins_by_account",
			 top(&r->logins_by_user, "name"), "logins_by_host",
			 top(&r->logins_by_host, "host"),
			 "top_failure_hosts", top(&r->fail_by_host, "host"),
			 "top_failure_accounts", top(&r->fail_by_user, "name"),
			 "top_unknown_name_hosts",
			 top(&r->unknown_by_host, "host"), "lists",
			 json_pack("{s:o,s:o,s:o}", "lockouts",
				   events(&r->locks, "reason"), "admin_actions",
				   events(&r->admin, "reason"), "unusual_logins",
				   events(&r->unusual, "why")));
}

static const char *
check_name(int check)
{
	return check == CHECK_OK ? "ok" : check == CHECK_FAILED ? "failed"
							        : "not checked";
}

static json_t *
health(const struct report *r)
{
	json_t *set = json_array();

	for (size_t i = 0; i < r->nsettings; i++)
		jpush(set, json_pack(
			"{s:o,s:o,s:o}", "key", jtext(r->settings[i].key),
			"value", jtext(r->settings[i].value), "source",
			jtext(r->settings[i].source)));
	return json_pack("{s:o,s:{s:s,s:o,s:o},s:{s:s,s:o},s:{s:n,s:s},"
			 "s:o,s:o}",
			 "store", jtext(r->store), "chain", "state",
			 check_name(r->chain), "records", jnum(r->records),
			 "text", jtext(r->chain_text), "seal", "state",
			 check_name(r->seal), "text",
			 jtext(r->seal_text), "backup", "newest",
			 "text", "no backups (policyd makes none)",
			 "config_file", jtext(r->config_file),
			 "config_set_in_file", set);
}

json_t *
report_json(const struct report *r)
{
	json_t *summary = NULL, *list = accounts(r, &summary);

	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "report",
			 "policyd access review", "generated", jtime(r->now),
			 "accounts", list, "accounts_summary", summary,
			 "activity", activity(r), "health", health(r));
}
