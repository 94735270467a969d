/*
 * report_text.c - the report as text for a terminal or a mail: three
 * parts (who can log in, what happened, health), each list short enough
 * to read.  Every string from the store goes through text_vis: user and
 * host names come from clients and could carry terminal controls.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "report.h"
#include "text.h"

#define VIS TEXT_VIS_SIZE(PROTO_MAX_TEXT)

static const char *
vis(char *buf, const char *s)
{
	text_vis(buf, VIS, s);
	return buf;
}

uint64_t
report_days(uint64_t now, uint64_t t)
{
	return t < now ? (now - t) / 86400 : 0;
}

static const char *
totp_name(int state)
{
	static const char *const names[] = { "none", "pending", "enrolled",
					     "enrolled, new pending" };

	return state >= 0 && state <= TOTP_REPLACING ? names[state] : "none";
}

static void
account_line(const struct report *r, const struct account *a, FILE *fp)
{
	char last[32], name[VIS], flags[96];

	format_time(a->last_login, last, sizeof(last));
	snprintf(flags, sizeof(flags), "%s%s%s%s",
		 a->never_used ? " never-used" : a->idle ? " idle" : "",
		 a->no_factor ? " no-second-factor" : "",
		 a->disabled ? " disabled" : "", a->locked ? " locked" : "");
	fprintf(fp, "  %-20s %-8s %-20s %5llu  %-9s %5llu  %-5s%s\n",
		vis(name, a->name), a->disabled ? "disabled" : "enabled",
		last, (unsigned long long)report_days(r->now, a->pw_changed),
		totp_name(a->totp), (unsigned long long)a->codes_left,
		a->admin ? "yes" : "no", flags);
}

static void
accounts(const struct report *r, FILE *fp)
{
	size_t idle = 0, nofactor = 0, disabled = 0;

	fprintf(fp, "WHO CAN LOG IN (%zu accounts; admin rights: members of "
		"%s)\n", r->naccounts,
		r->admin_group[0] ? r->admin_group : "no admin_group, root "
		"only");
	fprintf(fp, "  %-20s %-8s %-20s %5s  %-9s %5s  %-5s %s\n", "ACCOUNT",
		"STATE", "LAST LOGIN", "PW AGE", "TOTP", "CODES", "ADMIN",
		"FLAGS");
	for (size_t i = 0; i < r->naccounts; i++) {
		account_line(r, &r->accounts[i], fp);
		idle += r->accounts[i].idle;
		nofactor += r->accounts[i].no_factor;
		disabled += r->accounts[i].disabled;
	}
	fprintf(fp, "  (password age in days; CODES: recovery codes left)\n"
		"  unused for %llu days or never: %zu; without a second factor: "
		"%zu; disabled but still present: %zu\n\n",
		(unsigned long long)(r->idle / 86400), idle, nofactor,
		disabled);
}

/* The n highest of t, as "name count" lines. */
static void
top(const struct tally *t, const char *title, FILE *fp)
{
	const struct tally_entry *e[REPORT_TOP];
	size_t n = tally_top(t, e, REPORT_TOP);
	char v[VIS];

	fprintf(fp, "  %s:%s\n", title, n ? "" : " none");
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "    %-40s %llu\n", vis(v, e[i]->key),
			(unsigned long long)e[i]->value);
}

static void
events(const struct events *l, const char *title, FILE *fp)
{
	char when[32], ev[VIS], user[VIS], host[VIS], actor[VIS], why[VIS];

	fprintf(fp, "  %s: %zu\n", title, l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct event *e = &l->v[i];

		format_time(e->time, when, sizeof(when));
		fprintf(fp, "    %s  %-16s %-16s %s%s%s%s%s%s%s\n", when,
			vis(ev, e->event), vis(user, e->user),
			e->host[0] ? "from " : "", vis(host, e->host),
			e->host[0] ? " " : "", e->actor[0] ? "by " : "",
			vis(actor, e->actor), e->reason[0] ? ": " : "",
			vis(why, e->reason));
	}
}

static void
per_day(const struct report *r, FILE *fp)
{
	char day[32];

	fprintf(fp, "  by day (UTC): logins, failures, lockouts\n");
	for (size_t i = 0; i < r->ndays; i++) {
		const struct day *d = &r->days[i];

		if (d->logins + d->failures + d->lockouts == 0)
			continue;
		format_time((r->since / 86400 + i) * 86400, day, sizeof(day));
		fprintf(fp, "    %.10s  %6llu %6llu %6llu\n", day,
			(unsigned long long)d->logins,
			(unsigned long long)d->failures,
			(unsigned long long)d->lockouts);
	}
}

static void
activity(const struct report *r, FILE *fp)
{
	char since[32], now[32];

	format_time(r->since, since, sizeof(since));
	format_time(r->now, now, sizeof(now));
	fprintf(fp, "WHAT HAPPENED (%s to %s)\n  logins: %llu; failures: "
		"%llu (%llu for names policyd does not know); lockouts: "
		"%llu; admin actions: %zu; unusual logins: %zu\n", since, now,
		(unsigned long long)r->logins, (unsigned long long)r->failures,
		(unsigned long long)r->unknown_failures,
		(unsigned long long)r->lockouts, r->admin.n, r->unusual.n);
	per_day(r, fp);
	top(&r->logins_by_user, "logins by account", fp);
	top(&r->logins_by_host, "logins by host", fp);
	top(&r->fail_by_host, "hosts with the most failures", fp);
	top(&r->fail_by_user, "accounts and unknown names with the most "
	    "failures ((unknown:HEX): a name policyd does not know, by its "
	    "pseudonym)", fp);
	top(&r->unknown_by_host, "hosts trying unknown names", fp);
	events(&r->locks, "lockouts", fp);
	events(&r->admin, "admin actions", fp);
	events(&r->unusual, "unusual logins", fp);
	fputc('\n', fp);
}

static void
health(const struct report *r, FILE *fp)
{
	char v[VIS], k[VIS], s[VIS];

	fprintf(fp, "HEALTH\n  store:   %s\n  chain:   %s\n  seal:    %s\n"
		"  backups: no backups (policyd makes none; see policyctl(8))\n"
		"  config:  %s, %zu %s set in the file:\n",
		vis(v, r->store), r->chain_text, r->seal_text,
		vis(k, r->config_file), r->nsettings,
		r->nsettings == 1 ? "key" : "keys");
	for (size_t i = 0; i < r->nsettings; i++)
		fprintf(fp, "    %-32s %s (%s)\n",
			vis(k, r->settings[i].key),
			vis(v, r->settings[i].value),
			vis(s, r->settings[i].source));
}

int
report_text(const struct report *r, FILE *fp)
{
	char now[32];

	format_time(r->now, now, sizeof(now));
	fprintf(fp, "policyd access review, %s\n\n", now);
	accounts(r, fp);
	activity(r, fp);
	health(r, fp);
	return ferror(fp) ? -1 : 0;
}
