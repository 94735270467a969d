/*
 * policyctl - the administrator's tool, speaking to policyd's admin.sock.
 *
 * Exit status: 0 done, 1 refused by policyd (no such user, exists, ...),
 * 2 usage error or no connection.  Messages go to stderr and name the
 * cause.  Passwords are read from the terminal without echo (twice), or
 * once from standard input with --password-stdin, and wiped after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "proto.h"
#include "qr.h"
#include "wipe.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define TIMEOUT_MS 30000	/* a password hash may queue behind logins */

struct ctl {
	char socket[PATH_MAX];
	int json;
	int password_stdin;
	int expire;
	int source;
	const char *qr_png;	/* --qr-png FILE */
	const char *code;	/* sent as PROTO_T_CODE when set */
	const char *verb;	/* for messages: "user add" */
	uint8_t reply[PROTO_MAX_FRAME];
	struct wmsg msg;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: policyctl [-S RUNTIME_DIR] COMMAND\n"
		"  user add NAME [--password-stdin]   create, asking a password\n"
		"  user del NAME                      delete\n"
		"  user list [--json]                 list users\n"
		"  user show NAME [--json]            show one user\n"
		"  user disable NAME                  refuse logins\n"
		"  user enable NAME                   allow logins again\n"
		"  passwd NAME [--password-stdin]     set a new password\n"
		"  passwd NAME --expire               force a change at next "
		"login\n"
		"  password check NAME                check a password from "
		"stdin\n"
		"  totp enroll NAME [--qr-png FILE]   start TOTP enrolment\n"
		"  totp confirm NAME                  activate it with a code\n"
		"  totp recovery NAME                 issue new recovery codes\n"
		"  totp reset NAME                    remove TOTP\n"
		"  unlock NAME | unlock --source HOST lift a lock\n"
		"  locks [--json]                     accounts and hosts locked\n"
		"  stats                              counters since start\n"
		"  ping                               check that policyd answers\n"
		"RUNTIME_DIR defaults to " DEFAULT_RUNTIME_DIR ".\n");
}

static const char *
reason_text(uint32_t reason)
{
	static const char *const why[] = {
		[PROTO_R_MISSING_FIELD] = "incomplete request",
		[PROTO_R_BAD_NAME] = "not a valid user name",
		[PROTO_R_EMPTY] = "empty password",
		[PROTO_R_TOO_LONG] = "password too long",
		[PROTO_R_BAD_TEXT] = "not valid UTF-8 text, or holds a NUL",
		[PROTO_R_TOO_SHORT] = "too short",
		[PROTO_R_FEW_CLASSES] = "too few character classes (lower, "
					"upper, digits, symbols)",
		[PROTO_R_HAS_NAME] = "contains the user name",
		[PROTO_R_TOO_COMMON] = "too common or easy to guess",
		[PROTO_R_REUSED] = "used before (current or in the history)",
		[PROTO_R_TOO_RECENT] = "changed too recently",
		[PROTO_R_BREACHED] = "in the list of breached passwords",
	};

	if (reason < sizeof(why) / sizeof(why[0]) && why[reason] != NULL)
		return why[reason];
	return "refused";
}

static const char *
status_text(int status)
{
	switch (status) {
	case PROTO_NOT_FOUND:
		return "no such user";
	case PROTO_EXISTS:
		return "user exists";
	case PROTO_FORBIDDEN:
		return "forbidden (run as root or a member of admin_group)";
	default:
		return proto_status_name(status);
	}
}

/* Prints why policyd refused: each reason it gave, or its status. */
static int
refused(const struct ctl *c, const char *what)
{
	struct wreader r = c->msg.fields;
	struct wfield f;
	uint32_t reason;
	int told = 0;

	while (wire_next(&r, &f) == 1) {
		if (f.tag != PROTO_T_REASON || wire_u32(&f, &reason) != 0)
			continue;
		fprintf(stderr, "policyctl: %s %s: %s\n", c->verb, what,
			reason_text(reason));
		told = 1;
	}
	if (!told)
		fprintf(stderr, "policyctl: %s %s: %s\n", c->verb, what,
			status_text(c->msg.status));
	return c->msg.status == PROTO_UNAVAILABLE ? EXIT_USAGE : EXIT_REFUSED;
}

/* Sends the request built by fill() and stores the reply in c->msg.
 * Returns 0 with any status, or EXIT_USAGE when there was no exchange. */
static int
call(struct ctl *c, uint8_t type, const char *user, const char *pw,
     const char *after, const char *rhost)
{
	uint8_t req[PROTO_MAX_SECRET + 256];
	struct pclient pc;
	struct wwriter w;
	char err[PATH_MAX + 64];
	int rc;

	rc = client_open(&pc, c->socket, TIMEOUT_MS, err, sizeof(err));
	if (rc != CLIENT_OK) {
		fprintf(stderr, "policyctl: %s\n", err);
		return EXIT_USAGE;
	}
	ww_init(&w, req, sizeof(req));
	client_begin(&pc, &w, type);
	if (user != NULL)
		wire_put_str(&w, PROTO_T_USER, user);
	if (pw != NULL)
		wire_put_str(&w, PROTO_T_PASSWORD, pw);
	if (after != NULL)
		wire_put_str(&w, PROTO_T_AFTER, after);
	if (rhost != NULL)
		wire_put_str(&w, PROTO_T_RHOST, rhost);
	if (c->code != NULL)
		wire_put_str(&w, PROTO_T_CODE, c->code);
	rc = client_call(&pc, &w, c->reply, sizeof(c->reply), &c->msg);
	wipe(req, sizeof(req));
	client_close(&pc);
	if (rc != CLIENT_OK) {
		fprintf(stderr, "policyctl: %s: %s\n", c->socket,
			client_strerror(rc));
		return EXIT_USAGE;
	}
	return 0;
}

/* Reads one line without its newline into buf; -1 at EOF or if too long. */
static int
read_line(FILE *fp, char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, fp) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(fp))
		return -1;	/* longer than the buffer */
	return 0;
}

static int
ask_tty(FILE *tty, const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int rc;

	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fileno(tty), TCSAFLUSH, &quiet) != 0)
		return -1;
	rc = read_line(tty, buf, size);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	return rc;
}

/* Fills pw (PROTO_MAX_SECRET + 2 bytes) with the new password. */
static int
read_password(const struct ctl *c, char *pw, size_t size)
{
	char again[PROTO_MAX_SECRET + 2];
	FILE *tty;
	int rc = -1;

	if (c->password_stdin) {
		/* Unbuffered, so no copy stays behind in stdio's buffer. */
		setvbuf(stdin, NULL, _IONBF, 0);
		if (read_line(stdin, pw, size) != 0) {
			fprintf(stderr, "policyctl: no password on standard "
					"input (or longer than %d bytes)\n",
				PROTO_MAX_SECRET);
			return -1;
		}
		return 0;
	}
	tty = fopen("/dev/tty", "r+e");
	if (tty == NULL) {
		fprintf(stderr, "policyctl: no terminal to ask a password "
				"on; use --password-stdin\n");
		return -1;
	}
	setvbuf(tty, NULL, _IONBF, 0);
	if (ask_tty(tty, "New password: ", pw, size) == 0 &&
	    ask_tty(tty, "Retype new password: ", again, sizeof(again)) == 0) {
		rc = strcmp(pw, again) == 0 ? 0 : -1;
		if (rc != 0)
			fprintf(stderr, "policyctl: passwords do not match\n");
	}
	wipe(again, sizeof(again));
	fclose(tty);
	return rc;
}

static void
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

/* Names are limited to [A-Za-z0-9._-$] by policyd, but the tool does not
 * rely on that: anything else is escaped. */
static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
print_user(const struct user_view *v, int json, int detail)
{
	char created[32], changed[32];

	format_time(v->created, created, sizeof(created));
	format_time(v->pw_changed, changed, sizeof(changed));
	if (json) {
		printf("{\"name\":");
		json_string(v->name);
		printf(",\"id\":%llu,\"disabled\":%s,\"created\":\"%s\","
		       "\"password_changed\":\"%s\",\"must_change\":%s",
		       (unsigned long long)v->id,
		       v->disabled ? "true" : "false", created, changed,
		       v->must_change ? "true" : "false");
		if (detail) {
			printf(",\"password_hash\":");
			json_string(v->cost);
		} else {
			printf("}");	/* show adds its login state first */
		}
	} else if (detail) {
		printf("name:             %s\nid:               %llu\n"
		       "state:            %s\ncreated:          %s\n"
		       "password changed: %s\nmust change:      %s\n"
		       "password hash:    %s\n",
		       v->name, (unsigned long long)v->id,
		       v->disabled ? "disabled" : "enabled", created, changed,
		       v->must_change ? "yes" : "no", v->cost);
	} else {
		printf("%-32s %-8s %-20s %s\n", v->name,
		       v->disabled ? "disabled" : "enabled", created, changed);
	}
}

/* Prints one page of a list; returns 1 if more follow, -1 on garbage. */
static int
print_page(struct ctl *c, char *after, int *first)
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
		if (c->json)
			printf("%s", *first ? "" : ",\n");
		print_user(&v, c->json, 0);
		*first = 0;
		memcpy(after, v.name, sizeof(v.name));
	}
	return rc < 0 ? -1 : more;
}

static int
cmd_list(struct ctl *c)
{
	char after[PROTO_MAX_NAME + 1] = "";
	int first = 1, more, rc;

	do {
		rc = call(c, PROTO_USER_LIST, NULL, NULL, after, NULL);
		if (rc != 0)
			return rc;
		if (c->msg.status != PROTO_OK)
			return refused(c, "");
		if (first && c->json)
			printf("[");
		else if (first)
			printf("%-32s %-8s %-20s %s\n", "NAME", "STATE",
			       "CREATED", "PASSWORD CHANGED");
		more = print_page(c, after, &first);
		if (more < 0) {
			fprintf(stderr, "policyctl: malformed list\n");
			return EXIT_USAGE;
		}
	} while (more);
	if (c->json)
		printf("]\n");
	return 0;
}

static uint64_t
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

/* The counted failures of `user show`, as text lines or a JSON array. */
static void
print_failures(const struct ctl *c)
{
	char when[32], rhost[PROTO_MAX_TEXT + 1], service[PROTO_MAX_TEXT + 1];
	struct wreader r = c->msg.fields;
	struct wfield f, x;
	int n = 0;

	printf(c->json ? ",\"failures\":[" : "failures:\n");
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
		if (!c->json) {
			printf("  %s  %-20s %s\n", when,
			       rhost[0] ? rhost : "(local)", service);
			continue;
		}
		printf("%s{\"time\":\"%s\",\"host\":", n++ ? "," : "", when);
		json_string(rhost);
		printf(",\"service\":");
		json_string(service);
		printf("}");
	}
	printf(c->json ? "]" : "");
}

static void
print_login_state(const struct ctl *c)
{
	char last[32], until[32], host[PROTO_MAX_TEXT + 1] = "";
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
	if (c->json) {
		printf(",\"totp\":\"%s\",\"recovery_codes_left\":%llu",
		       states[state], (unsigned long long)codes);
		printf(",\"last_login\":\"%s\",\"last_host\":", last);
		json_string(host);
		printf(",\"failed_since_login\":%llu,\"locked\":\"%s\"",
		       (unsigned long long)failed, until);
	} else {
		printf("totp:             %s (%llu recovery codes left)\n",
		       states[state], (unsigned long long)codes);
		printf("last login:       %s%s%s\nfailed since:     %llu\n"
		       "locked:           %s\n", last, host[0] ? " from " : "",
		       host, (unsigned long long)failed, until);
	}
	print_failures(c);
	printf(c->json ? "}\n" : "");
}

static int
cmd_show(struct ctl *c, const char *name)
{
	struct user_view v;
	struct wfield rec;
	int rc = call(c, PROTO_USER_SHOW, name, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, name);
	if (wire_find(&c->msg, PROTO_T_RECORD, &rec) != 0 ||
	    read_user_view(&rec, &v) != 0) {
		fprintf(stderr, "policyctl: malformed answer\n");
		return EXIT_USAGE;
	}
	print_user(&v, c->json, 1);
	print_login_state(c);
	return 0;
}

/* A verb on one user, with a new password when with_password. */
static int
cmd_simple(struct ctl *c, uint8_t type, const char *name, int with_password,
	   const char *done)
{
	char pw[PROTO_MAX_SECRET + 2];
	int rc = 0;

	if (with_password && read_password(c, pw, sizeof(pw)) != 0) {
		rc = EXIT_REFUSED;
		goto out;
	}
	rc = call(c, type, name, with_password ? pw : NULL, NULL, NULL);
	if (rc == 0 && c->msg.status != PROTO_OK)
		rc = refused(c, name);
	else if (rc == 0)
		fprintf(stderr, "policyctl: %s %s\n", name, done);
out:
	wipe(pw, sizeof(pw));
	return rc;
}

/* unlock NAME, or unlock --source HOST. */
static int
cmd_unlock(struct ctl *c, const char *key, int source)
{
	int rc = call(c, PROTO_UNLOCK, source ? NULL : key, NULL, NULL,
		      source ? key : NULL);

	if (rc == 0 && c->msg.status == PROTO_NOT_FOUND) {
		fprintf(stderr, "policyctl: unlock %s: not locked, and no "
				"failures counted\n", key);
		return EXIT_REFUSED;
	}
	if (rc == 0 && c->msg.status != PROTO_OK)
		return refused(c, key);
	if (rc == 0)
		fprintf(stderr, "policyctl: %s %s unlocked\n",
			source ? "host" : "user", key);
	return rc;
}

static int
cmd_locks(struct ctl *c)
{
	char key[PROTO_MAX_TEXT + 1], since[32], until[32];
	struct wreader r;
	struct wfield f, x;
	int rc = call(c, PROTO_LOCKS, NULL, NULL, NULL, NULL), n = 0;

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "");
	printf(c->json ? "[" : "%-7s %-32s %-20s %s\n", "KIND", "NAME",
	       "SINCE", "UNTIL");
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
			       kind == 's' ? "host" : "user", key, since, until);
			continue;
		}
		printf("%s{\"kind\":\"%s\",\"name\":", n++ ? "," : "",
		       kind == 's' ? "host" : "user");
		json_string(key);
		printf(",\"since\":\"%s\",\"until\":\"%s\"}", since, until);
	}
	printf(c->json ? "]\n" : "");
	return 0;
}

static int
cmd_stats(struct ctl *c)
{
	char name[PROTO_MAX_TEXT + 1];
	struct wreader r;
	struct wfield f, x;
	int rc = call(c, PROTO_STATS, NULL, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "");
	for (r = c->msg.fields; wire_next(&r, &f) == 1;) {
		if (f.tag != PROTO_T_RECORD ||
		    wire_find_in(&f, PROTO_T_NAME, &x) != 0 ||
		    wire_str(&x, name, sizeof(name)) != 0)
			continue;
		printf("%-20s %llu\n", name,
		       (unsigned long long)field_u64(NULL, &f, PROTO_T_VALUE));
	}
	return 0;
}

/* Prints each PROTO_T_CODE of the reply: recovery codes, shown once. */
static void
print_codes(const struct ctl *c)
{
	char code[64];
	struct wreader r = c->msg.fields;
	struct wfield f;
	int n = 0;

	while (wire_next(&r, &f) == 1)
		if (f.tag == PROTO_T_CODE && wire_str(&f, code, sizeof(code)) == 0)
			printf("%s  %s\n", n++ == 0 ? "Recovery codes (each works "
				"once; shown only now):\n" : "", code);
	if (n == 0)
		printf("No recovery codes (recovery_codes = 0).\n");
}

static int
totp_enroll(struct ctl *c, const char *name)
{
	char secret[256], uri[1024], err[PATH_MAX + 128];
	int rc = call(c, PROTO_TOTP_ENROLL, name, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, name);
	if (wire_get_str(&c->msg, PROTO_T_SECRET, secret, sizeof(secret)) ||
	    wire_get_str(&c->msg, PROTO_T_URI, uri, sizeof(uri))) {
		fprintf(stderr, "policyctl: malformed answer\n");
		return EXIT_USAGE;
	}
	printf("Scan this with the authenticator app of %s:\n\n", name);
	qr_print_terminal(stdout, uri);
	printf("\nor enter the key by hand: %s\n%s\n\nThen confirm with a "
	       "code from the app: policyctl totp confirm %s\n", secret, uri,
	       name);
	rc = 0;
	if (c->qr_png != NULL && qr_write_png(c->qr_png, uri, err,
					      sizeof(err)) != 0) {
		fprintf(stderr, "policyctl: %s\n", err);
		rc = EXIT_USAGE;
	}
	wipe(secret, sizeof(secret));
	wipe(uri, sizeof(uri));
	return rc;
}

/* Reads a code: from the terminal (without echo), else a line of stdin. */
static int
read_code(char *code, size_t size)
{
	FILE *tty = isatty(STDIN_FILENO) ? fopen("/dev/tty", "r+e") : NULL;
	int rc;

	if (tty == NULL)
		return read_line(stdin, code, size);
	setvbuf(tty, NULL, _IONBF, 0);
	rc = ask_tty(tty, "Code from the app: ", code, size);
	fclose(tty);
	return rc;
}

static int
totp_confirm(struct ctl *c, const char *name)
{
	char code[64];
	int rc;

	if (read_code(code, sizeof(code)) != 0) {
		fprintf(stderr, "policyctl: no code given\n");
		return EXIT_REFUSED;
	}
	c->code = code;
	rc = call(c, PROTO_TOTP_CONFIRM, name, NULL, NULL, NULL);
	c->code = NULL;
	wipe(code, sizeof(code));
	if (rc == 0 && c->msg.status == PROTO_DENIED) {
		fprintf(stderr, "policyctl: totp confirm %s: wrong code; the "
				"enrolment stays pending\n", name);
		return EXIT_REFUSED;
	}
	if (rc == 0 && c->msg.status == PROTO_NOT_FOUND) {
		fprintf(stderr, "policyctl: totp confirm %s: no such user, or "
				"no enrolment pending\n", name);
		return EXIT_REFUSED;
	}
	if (rc == 0 && c->msg.status != PROTO_OK)
		return refused(c, name);
	if (rc == 0) {
		printf("TOTP active for %s.\n", name);
		print_codes(c);
	}
	return rc;
}

static int
run_totp(struct ctl *c, const char *verb, const char *name)
{
	int rc;

	if (strcmp(verb, "enroll") == 0)
		return totp_enroll(c, name);
	if (strcmp(verb, "confirm") == 0)
		return totp_confirm(c, name);
	if (strcmp(verb, "reset") == 0)
		return cmd_simple(c, PROTO_TOTP_RESET, name, 0,
				  "has no TOTP any more");
	if (strcmp(verb, "recovery") != 0)
		return -1;
	rc = call(c, PROTO_TOTP_RECOVERY, name, NULL, NULL, NULL);
	if (rc == 0 && c->msg.status == PROTO_NOT_FOUND) {
		fprintf(stderr, "policyctl: totp recovery %s: no such user, "
				"or no TOTP active\n", name);
		return EXIT_REFUSED;
	}
	if (rc == 0 && c->msg.status != PROTO_OK)
		return refused(c, name);
	if (rc == 0)
		print_codes(c);
	return rc;
}

static int
cmd_ping(struct ctl *c)
{
	char version[PROTO_MAX_TEXT + 1];
	int rc = call(c, PROTO_PING, NULL, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (wire_get_str(&c->msg, PROTO_T_VERSION, version,
			 sizeof(version)) != 0)
		snprintf(version, sizeof(version), "unknown");
	printf("policyd %s answers on %s\n", version, c->socket);
	return 0;
}

/* Takes the flags a command allows out of argv; returns the count of
 * positional arguments left, or -1 on an unknown flag. */
static int
take_flags(struct ctl *c, int argc, char **argv, char **pos)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if (strcmp(argv[i], "--password-stdin") == 0)
			c->password_stdin = 1;
		else if (strcmp(argv[i], "--expire") == 0)
			c->expire = 1;
		else if (strcmp(argv[i], "--source") == 0)
			c->source = 1;
		else if (strcmp(argv[i], "--qr-png") == 0 && i + 1 < argc)
			c->qr_png = argv[++i];
		else if (argv[i][0] == '-')
			return -1;
		else
			pos[n++] = argv[i];
	}
	return n;
}

static int
run_user(struct ctl *c, const char *verb, int n, char **pos)
{
	const char *name = n == 1 ? pos[0] : NULL;

	if (strcmp(verb, "list") == 0 && n == 0)
		return cmd_list(c);
	if (name == NULL)
		return -1;
	if (strcmp(verb, "show") == 0)
		return cmd_show(c, name);
	if (strcmp(verb, "add") == 0)
		return cmd_simple(c, PROTO_USER_ADD, name, 1, "added");
	if (strcmp(verb, "del") == 0)
		return cmd_simple(c, PROTO_USER_DEL, name, 0, "deleted");
	if (strcmp(verb, "disable") == 0)
		return cmd_simple(c, PROTO_USER_DISABLE, name, 0, "disabled");
	if (strcmp(verb, "enable") == 0)
		return cmd_simple(c, PROTO_USER_ENABLE, name, 0, "enabled");
	return -1;
}

static int
run(struct ctl *c, int argc, char **argv)
{
	char *pos[8];
	int n;

	if (argc < 1 || argc > 8)
		return -1;
	n = take_flags(c, argc - 1, argv + 1, pos);
	if (n < 0)
		return -1;
	c->verb = argv[0];
	if (strcmp(argv[0], "ping") == 0 && n == 0)
		return cmd_ping(c);
	if (strcmp(argv[0], "totp") == 0 && n == 2) {
		static char verb[64];

		snprintf(verb, sizeof(verb), "totp %s", pos[0]);
		c->verb = verb;
		return run_totp(c, pos[0], pos[1]);
	}
	if (strcmp(argv[0], "unlock") == 0 && n == 1)
		return cmd_unlock(c, pos[0], c->source);
	if (strcmp(argv[0], "locks") == 0 && n == 0)
		return cmd_locks(c);
	if (strcmp(argv[0], "stats") == 0 && n == 0)
		return cmd_stats(c);
	if (strcmp(argv[0], "passwd") == 0 && n == 1 && c->expire)
		return cmd_simple(c, PROTO_EXPIRE, pos[0], 0,
				  "must change password at next login");
	if (strcmp(argv[0], "passwd") == 0 && n == 1)
		return cmd_simple(c, PROTO_PASSWD, pos[0], 1,
				  "password changed");
	if (strcmp(argv[0], "password") == 0 && n == 2 &&
	    strcmp(pos[0], "check") == 0) {
		c->verb = "password check";
		/* On a terminal it is asked without echo (twice). */
		c->password_stdin = !isatty(STDIN_FILENO);
		return cmd_simple(c, PROTO_PWCHECK, pos[1], 1,
				  "password passes every rule");
	}
	if (strcmp(argv[0], "user") == 0 && n >= 1) {
		static char verb[64];

		snprintf(verb, sizeof(verb), "user %s", pos[0]);
		c->verb = verb;
		return run_user(c, pos[0], n - 1, pos + 1);
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static struct ctl c;
	const char *dir = DEFAULT_RUNTIME_DIR;
	int ch, rc;

	while ((ch = getopt(argc, argv, "+S:h")) != -1) {
		if (ch == 'S') {
			dir = optarg;
		} else {
			usage(ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (snprintf(c.socket, sizeof(c.socket), "%s/" ADMIN_SOCKET_NAME,
		     dir) >= (int)sizeof(c.socket)) {
		fprintf(stderr, "policyctl: %s: path too long\n", dir);
		return EXIT_USAGE;
	}
	rc = run(&c, argc - optind, argv + optind);
	if (rc < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return rc;
}
