/*
 * report.h - policyctl report: the monthly access review.  report.c
 * gathers everything from the admin socket into one struct report and
 * prints the text form; report_json.c turns it into one JSON document;
 * report_html.c renders that document as one self-contained HTML page.
 */
#ifndef POLICYCTL_REPORT_H
#define POLICYCTL_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

#define REPORT_TOP 10		/* entries of each "most" list */
#define REPORT_MAX_DAYS 3660	/* the longest window, in days */

/* A string-keyed counter: keys are byte strings (with their length, so a
 * key may join two strings with a NUL), values 64-bit counts or bits. */
struct tally_entry {
	char *key;
	size_t len;
	uint64_t value;
};

struct tally {
	struct tally_entry *slot;
	size_t cap, used;
};

/* The value of key, created at 0 on first use; NULL out of memory. */
uint64_t *tally_at(struct tally *t, const char *key, size_t len);
/* At most n entries, highest value first (then by key), into out;
 * returns how many.  They point into t. */
size_t tally_top(const struct tally *t, const struct tally_entry **out,
		 size_t n);
void tally_free(struct tally *t);

enum totp_view { TOTP_NONE, TOTP_PENDING, TOTP_ENROLLED, TOTP_REPLACING };

struct account {
	char name[PROTO_MAX_NAME + 1];
	uint64_t created, pw_changed, last_login;
	char last_host[PROTO_MAX_TEXT + 1];
	int disabled, must_change, locked, admin;
	int totp;		/* enum totp_view */
	uint64_t codes_left;
	/* Flags: unused for --idle (or never), without a second factor. */
	int idle, never_used, no_factor;
};

/* One audit record, as the report lists it. */
struct event {
	uint64_t id, time;
	char event[PROTO_MAX_TEXT + 1];
	char user[PROTO_MAX_TEXT + 1];
	char host[PROTO_MAX_TEXT + 1];
	char actor[PROTO_MAX_TEXT + 1];
	char result[PROTO_MAX_TEXT + 1];
	char reason[PROTO_MAX_TEXT + 1];	/* for an unusual login: why */
};

struct events {
	struct event *v;
	size_t n, cap;
};

/* A configuration key set in the file, as `status` described it. */
struct setting {
	char key[PROTO_MAX_TEXT + 1];
	char value[PROTO_MAX_TEXT + 1];
	char source[PROTO_MAX_TEXT + 1];
};

struct day {
	uint64_t logins, failures, lockouts;
};

enum check { CHECK_NOT_RUN, CHECK_OK, CHECK_FAILED };

struct report {
	uint64_t now, since, idle;	/* seconds; idle is a length */
	char admin_group[PROTO_MAX_TEXT + 1];
	char config_file[PROTO_MAX_TEXT + 1];
	char store[PROTO_MAX_TEXT + 1];
	struct account *accounts;
	size_t naccounts;
	/* The window. */
	uint64_t logins, failures, lockouts, unknown_failures;
	struct day *days;	/* UTC days from since's to now's */
	size_t ndays;
	struct tally logins_by_user, logins_by_host;
	struct tally fail_by_host, fail_by_user, unknown_by_host;
	struct events admin, locks, unusual;
	/* Across the whole trail, for the unusual logins. */
	struct tally seen_host, seen_hours, seen_logins;
	/* Health. */
	int chain;		/* enum check */
	uint64_t records;
	char chain_text[320];
	int seal;		/* enum check; CHECK_NOT_RUN: no --key */
	char seal_text[320];
	struct setting *settings;
	size_t nsettings;
};

struct ctl;
/* The trail's records into r's window counts and lists, and the unusual
 * logins (report_trail.c): 0, or the exchange's exit status. */
int report_trail(struct ctl *c, struct report *r);
/* The text form into fp (report_text.c): 0, or -1. */
int report_text(const struct report *r, FILE *fp);

/* The HTML page of the same document into fp (report_html.c): 0, or -1
 * out of memory or if writing failed. */
int report_html(const struct report *r, FILE *fp);

/* Whole days from t to now (0 if t is later). */
uint64_t report_days(uint64_t now, uint64_t t);

#endif
