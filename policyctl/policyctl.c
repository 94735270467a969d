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
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"
#include "jsonout.h"

#ifndef POLICYD_VERSION
#define POLICYD_VERSION "unknown"
#endif
#include "proto.h"
#include "wipe.h"

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
int
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

/* The uid of the user policyd runs as, trusted beside root when
 * connecting (see client.h); set once in main(). */
static uid_t daemon_uid;

/* Sends the request built by fill() and stores the reply in c->msg.
 * Returns 0 with any status, or EXIT_USAGE when there was no exchange. */
int
call(struct ctl *c, uint8_t type, const char *user, const char *pw,
     const char *after, const char *rhost)
{
	uint8_t req[PROTO_MAX_SECRET + 256];
	struct pclient pc;
	struct wwriter w;
	char err[PATH_MAX + 64];
	int rc;

	rc = client_open_as(&pc, c->socket, daemon_uid, TIMEOUT_MS, err,
			    sizeof(err));
	if (rc == CLIENT_EACCES) {
		fprintf(stderr, "policyctl: %s: permission denied (are you in "
				"policyadm?)\n", c->socket);
		return EXIT_USAGE;
	}
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
	if (c->current_code != NULL)
		wire_put_str(&w, PROTO_T_CURRENT_CODE, c->current_code);
	audit_put_filters(c, &w);
	if (c->purge)
		wire_put_u8(&w, PROTO_T_PURGE, 1);
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
int
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

int
read_stdin_secret(char *buf, size_t size)
{
	struct termios old, quiet;
	int rc;

	/* Unbuffered, so no copy stays behind in stdio's buffer. */
	setvbuf(stdin, NULL, _IONBF, 0);
	if (!isatty(STDIN_FILENO))
		return read_line(stdin, buf, size);
	/* A terminal: it must not echo what is typed. */
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return -1;
	rc = read_line(stdin, buf, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return rc;
}

int
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
		if (read_stdin_secret(pw, size) != 0) {
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

/* A verb on one user, with a new password when with_password. */
int
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

/* Everything policyd keeps about one person, secrets excluded, as one
 * JSON object: the user (as `user show --json`) and their audit records
 * (a data subject's access request). */
static int
cmd_export(struct ctl *c, const char *name)
{
	json_t *doc, *user, *audit;
	int rc;

	user = show_json(c, name, &rc);
	if (user == NULL)
		return rc;
	audit = json_array();
	rc = export_audit(c, name, audit);
	if (rc != 0) {
		json_decref(user);
		json_decref(audit);
		return rc;
	}
	doc = json_object();
	jset(doc, "user", user);
	jset(doc, "audit", audit);
	return jprint(doc);
}

/* The options of the table's commands; each command names the ones it
 * takes, and getopt_long is given only those, so any other is refused
 * with its name. */
enum {
	O_JSON, O_PASSWORD_STDIN, O_EXPIRE, O_SOURCE, O_REPLACE,
	O_PROMETHEUS, O_PURGE, O_TEXTFILE_DIR, O_QR_PNG, O_COUNT
};
#define F(o) (1u << (o))

static const struct option options[O_COUNT] = {
	[O_JSON] = { "json", no_argument, NULL, O_JSON },
	[O_PASSWORD_STDIN] = { "password-stdin", no_argument, NULL,
			       O_PASSWORD_STDIN },
	[O_EXPIRE] = { "expire", no_argument, NULL, O_EXPIRE },
	[O_SOURCE] = { "source", no_argument, NULL, O_SOURCE },
	[O_REPLACE] = { "replace", no_argument, NULL, O_REPLACE },
	[O_PROMETHEUS] = { "prometheus", no_argument, NULL, O_PROMETHEUS },
	[O_PURGE] = { "purge", no_argument, NULL, O_PURGE },
	[O_TEXTFILE_DIR] = { "textfile-dir", required_argument, NULL,
			     O_TEXTFILE_DIR },
	[O_QR_PNG] = { "qr-png", required_argument, NULL, O_QR_PNG },
};

static int
do_ping(struct ctl *c, char **a)
{
	(void)a;
	return cmd_ping(c);
}

static int
do_status(struct ctl *c, char **a)
{
	(void)a;
	return cmd_status(c);
}

static int
do_reload(struct ctl *c, char **a)
{
	(void)a;
	return cmd_reload(c);
}

static int
do_stats(struct ctl *c, char **a)
{
	(void)a;
	if (c->prometheus && c->textfile_dir != NULL) {
		fprintf(stderr, "policyctl stats: --prometheus and "
				"--textfile-dir exclude each other\n");
		return EXIT_USAGE;
	}
	return cmd_stats(c, c->prometheus, c->textfile_dir);
}

static int
do_locks(struct ctl *c, char **a)
{
	(void)a;
	return cmd_locks(c);
}

static int
do_unlock(struct ctl *c, char **a)
{
	return cmd_unlock(c, a[0], c->source);
}

static int
do_user_add(struct ctl *c, char **a)
{
	return cmd_simple(c, PROTO_USER_ADD, a[0], 1, "added");
}

static int
do_user_del(struct ctl *c, char **a)
{
	return cmd_simple(c, PROTO_USER_DEL, a[0], 0, "deleted");
}

static int
do_user_list(struct ctl *c, char **a)
{
	(void)a;
	return cmd_list(c);
}

static int
do_user_show(struct ctl *c, char **a)
{
	return cmd_show(c, a[0]);
}

static int
do_user_export(struct ctl *c, char **a)
{
	return cmd_export(c, a[0]);
}

static int
do_user_disable(struct ctl *c, char **a)
{
	return cmd_simple(c, PROTO_USER_DISABLE, a[0], 0, "disabled");
}

static int
do_user_enable(struct ctl *c, char **a)
{
	return cmd_simple(c, PROTO_USER_ENABLE, a[0], 0, "enabled");
}

static int
do_passwd(struct ctl *c, char **a)
{
	if (c->expire && c->password_stdin) {
		fprintf(stderr, "policyctl passwd: --expire sets no password; "
				"leave out --password-stdin\n");
		return EXIT_USAGE;
	}
	if (c->expire)
		return cmd_simple(c, PROTO_EXPIRE, a[0], 0,
				  "must change password at next login");
	return cmd_simple(c, PROTO_PASSWD, a[0], 1, "password changed");
}

static int
do_password_check(struct ctl *c, char **a)
{
	/* On a terminal it is asked without echo (twice). */
	if (!isatty(STDIN_FILENO))
		c->password_stdin = 1;
	return cmd_simple(c, PROTO_PWCHECK, a[0], 1,
			  "password passes every rule");
}

static int
do_totp_enroll(struct ctl *c, char **a)
{
	return run_totp(c, "enroll", a[0]);
}

static int
do_totp_confirm(struct ctl *c, char **a)
{
	return run_totp(c, "confirm", a[0]);
}

static int
do_totp_recovery(struct ctl *c, char **a)
{
	return run_totp(c, "recovery", a[0]);
}

static int
do_totp_reset(struct ctl *c, char **a)
{
	return run_totp(c, "reset", a[0]);
}

static int
do_self_enroll(struct ctl *c, char **a)
{
	(void)a;
	return run_self_totp(c, c->dir, "enroll");
}

static int
do_self_confirm(struct ctl *c, char **a)
{
	(void)a;
	return run_self_totp(c, c->dir, "confirm");
}

static int
do_self_reset(struct ctl *c, char **a)
{
	(void)a;
	return run_self_totp(c, c->dir, "reset");
}

struct command {
	const char *words;	/* as typed: "user add" */
	const char *synopsis;	/* its arguments and options */
	const char *what;	/* what it does; "\n" starts a line */
	int nargs;		/* positional arguments */
	unsigned opts;		/* F() of the options it takes */
	int (*run)(struct ctl *c, char **args);
	/* Instead, for a command that parses its own options: argv[0] is
	 * "policyctl WORDS", for getopt_long's messages. */
	int (*run_argv)(struct ctl *c, int argc, char **argv);
};

static const struct command commands[] = {
	{ "user add", "NAME [--password-stdin]", "create, asking a password",
	  1, F(O_PASSWORD_STDIN), do_user_add, NULL },
	{ "user del", "NAME [--purge]", "delete; --purge also forgets its "
	  "failures", 1, F(O_PURGE), do_user_del, NULL },
	{ "user list", "[--json]", "list users", 0, F(O_JSON), do_user_list,
	  NULL },
	{ "user show", "NAME [--json]", "show one user", 1, F(O_JSON),
	  do_user_show, NULL },
	{ "user export", "NAME [--json]", "all kept about one user, as JSON",
	  1, F(O_JSON), do_user_export, NULL },
	{ "user disable", "NAME", "refuse logins", 1, 0, do_user_disable,
	  NULL },
	{ "user enable", "NAME", "allow logins again", 1, 0, do_user_enable,
	  NULL },
	{ "passwd", "NAME [--password-stdin | --expire]", "set a new "
	  "password, or force a change at\nthe next login", 1,
	  F(O_PASSWORD_STDIN) | F(O_EXPIRE), do_passwd, NULL },
	{ "password check", "NAME [--password-stdin]", "check a password "
	  "against the rules", 1, F(O_PASSWORD_STDIN), do_password_check,
	  NULL },
	{ "totp enroll", "NAME [--qr-png FILE]", "start TOTP enrolment", 1,
	  F(O_QR_PNG), do_totp_enroll, NULL },
	{ "totp confirm", "NAME", "activate it with a code", 1, 0,
	  do_totp_confirm, NULL },
	{ "totp recovery", "NAME", "issue new recovery codes", 1, 0,
	  do_totp_recovery, NULL },
	{ "totp reset", "NAME", "remove TOTP", 1, 0, do_totp_reset, NULL },
	{ "self totp enroll", "[--password-stdin] [--replace] [--qr-png FILE]",
	  "the same for yourself, with your\npassword (on pam.sock); "
	  "--replace: a new\nphone, taking a code from the old one", 0,
	  F(O_PASSWORD_STDIN) | F(O_REPLACE) | F(O_QR_PNG), do_self_enroll,
	  NULL },
	{ "self totp confirm", "[--password-stdin]", "activate it with a code",
	  0, F(O_PASSWORD_STDIN), do_self_confirm, NULL },
	{ "self totp reset", "[--password-stdin]", "remove it, with your "
	  "password and a code", 0, F(O_PASSWORD_STDIN), do_self_reset,
	  NULL },
	{ "unlock", "NAME | unlock --source HOST", "lift a lock", 1,
	  F(O_SOURCE), do_unlock, NULL },
	{ "locks", "[--json]", "accounts and hosts locked", 0, F(O_JSON),
	  do_locks, NULL },
	{ "stats", "[--prometheus | --textfile-dir DIR]", "counters and "
	  "gauges", 0, F(O_PROMETHEUS) | F(O_TEXTFILE_DIR), do_stats, NULL },
	{ "status", "[--json]", "what runs, its files, the store's health",
	  0, F(O_JSON), do_status, NULL },
	{ "reload", "", "re-read policyd.conf (this daemon only)", 0, 0,
	  do_reload, NULL },
	{ "audit", "[--user U] [--event E] [--source HOST] [--since T]\n"
	  "[--until T] [--limit N] [--json]", "the audit trail", 0, 0, NULL,
	  run_audit },
	{ "audit verify", "[--key KEY] [--anchor 'seq=N head=H']",
	  "check its hash chain; with the\nverification key, its seals, "
	  "here", 0, 0, NULL, run_verify },
	{ "report", "[--since T] [--idle AGE] [--key KEY]\n"
	  "[--json | --html FILE]", "the monthly access review: who can log "
	  "in,\nwhat happened, the trail's health", 0, 0, NULL, run_report },
	{ "ping", "", "check that policyd answers", 0, 0, do_ping, NULL },
	{ "doctor", "[--root DIR] [-c FILE] [--json]", "check the PAM stacks "
	  "under DIR/etc/pam.d\nand the modes of policyd's files: exit 0\n"
	  "no error, 1 errors found", 0, 0, NULL, run_doctor },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Prints text with each "\n" followed by indent spaces. */
static void
print_indented(FILE *fp, const char *text, int indent)
{
	for (; *text != '\0'; text++) {
		fputc(*text, fp);
		if (*text == '\n')
			fprintf(fp, "%*s", indent, "");
	}
}

/* One command's lines of the usage text. */
static void
usage_line(FILE *fp, const struct command *cmd)
{
	char head[128];
	const char *nl = strchr(cmd->synopsis, '\n');
	int n;

	/* A synopsis of two lines: the second under the first's words. */
	n = snprintf(head, sizeof(head), "%s%s%.*s", cmd->words,
		     cmd->synopsis[0] ? " " : "",
		     nl ? (int)(nl - cmd->synopsis) : (int)strlen(cmd->synopsis),
		     cmd->synopsis);
	fprintf(fp, "  %s", head);
	if (nl != NULL) {
		fprintf(fp, "\n%*s%s", 8, "", nl + 1);
		n = 6 + (int)strlen(nl + 1);
	}
	if (n > 33)
		fprintf(fp, "\n%*s", 37, "");
	else
		fprintf(fp, "%*s", 35 - n, "");
	print_indented(fp, cmd->what, 37);
	fputc('\n', fp);
}

void
usage(FILE *fp)
{
	fprintf(fp, "usage: policyctl [-S RUNTIME_DIR] [--daemon-user NAME] "
		    "COMMAND [--help]\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		usage_line(fp, &commands[i]);
	fprintf(fp, "RUNTIME_DIR defaults to " DEFAULT_RUNTIME_DIR "; NAME, "
		    "the user policyd runs as\n(trusted beside root), to "
		    "$POLICYD_DAEMON_USER or " CLIENT_DAEMON_USER ".\n"
		    "policyctl COMMAND --help shows one command.\n");
}

static const struct command *
find_words(const char *words)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].words, words) == 0)
			return &commands[i];
	return NULL;
}

int
usage_of(const char *words, FILE *fp)
{
	const struct command *cmd = find_words(words);

	if (cmd == NULL)
		return -1;
	fprintf(fp, "usage: policyctl [-S RUNTIME_DIR] %s%s", cmd->words,
		cmd->synopsis[0] ? " " : "");
	for (const char *p = cmd->synopsis; *p != '\0'; p++)
		fputc(*p == '\n' ? ' ' : *p, fp);
	fputc('\n', fp);
	for (const char *p = cmd->what; *p != '\0'; p++)
		fputc(*p == '\n' ? ' ' : *p, fp);
	fprintf(fp, ".\nSee policyctl(8).\n");
	return 0;
}

int
usage_error(const char *words, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "policyctl %s: ", words);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'policyctl %s --help'.\n", words);
	return -1;
}

/* How many of argv's first words are cmd's words: all of them, or 0. */
static int
matches(const struct command *cmd, int argc, char **argv)
{
	const char *w = cmd->words;
	int n = 0;

	while (*w != '\0') {
		size_t len = strcspn(w, " ");

		if (n >= argc || strlen(argv[n]) != len ||
		    strncmp(argv[n], w, len) != 0)
			return 0;
		n++;
		w += len + (w[len] == ' ');
	}
	return n;
}

/* The table's option parsing for cmd; argv[0] is its name.  0 with the
 * positional arguments at *args, 1 when --help was shown, -1 (told on
 * stderr) on a usage error. */
static int
parse(struct ctl *c, const struct command *cmd, int argc, char **argv,
      char ***args)
{
	struct option longs[O_COUNT + 2];
	int n = 0, ch;

	for (int i = 0; i < O_COUNT; i++)
		if (cmd->opts & F(i))
			longs[n++] = options[i];
	longs[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;		/* glibc: start afresh, permuting */
	opterr = 1;		/* its messages name the bad option */
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage_of(cmd->words, stdout);
			return 1;
		case O_JSON:
			c->json = 1;
			break;
		case O_PASSWORD_STDIN:
			c->password_stdin = 1;
			break;
		case O_EXPIRE:
			c->expire = 1;
			break;
		case O_SOURCE:
			c->source = 1;
			break;
		case O_REPLACE:
			c->replace = 1;
			break;
		case O_PROMETHEUS:
			c->prometheus = 1;
			break;
		case O_PURGE:
			c->purge = 1;
			break;
		case O_TEXTFILE_DIR:
			c->textfile_dir = optarg;
			break;
		case O_QR_PNG:
			c->qr_png = optarg;
			break;
		default:
			fprintf(stderr, "Try 'policyctl %s --help'.\n",
				cmd->words);
			return -1;
		}
	}
	if (argc - optind > cmd->nargs)
		return usage_error(cmd->words, "unexpected argument '%s'",
				   argv[optind + cmd->nargs]);
	if (argc - optind < cmd->nargs)
		return usage_error(cmd->words, "%s missing",
				   cmd->nargs == 1 && c->source ? "HOST"
								: "NAME");
	*args = argv + optind;
	return 0;
}

static int
run(struct ctl *c, int argc, char **argv)
{
	static char name[64];
	const struct command *cmd = NULL;
	char **args;
	int best = 0, n, rc;

	if (argc < 1) {
		fprintf(stderr, "policyctl: no command given\n");
		usage(stderr);
		return -1;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		n = matches(&commands[i], argc, argv);
		if (n > best) {
			best = n;
			cmd = &commands[i];
		}
	}
	if (cmd == NULL) {
		fprintf(stderr, "policyctl: unknown command '%s%s%s'; "
				"policyctl --help lists them\n", argv[0],
			argc > 1 && argv[1][0] != '-' ? " " : "",
			argc > 1 && argv[1][0] != '-' ? argv[1] : "");
		return -1;
	}
	snprintf(name, sizeof(name), "policyctl %s", cmd->words);
	c->verb = cmd->words;
	argv += best - 1;
	argc -= best - 1;
	argv[0] = name;
	if (cmd->run_argv != NULL)
		return cmd->run_argv(c, argc, argv);
	rc = parse(c, cmd, argc, argv, &args);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	return cmd->run(c, args);
}

/* --daemon-user, else $POLICYD_DAEMON_USER, else the default: its uid
 * into daemon_uid; a user that does not exist leaves only root trusted.
 * 0, or -1 if the lookup itself failed. */
static int
set_daemon_user(const char *name)
{
	if (name == NULL || name[0] == '\0')
		name = getenv("POLICYD_DAEMON_USER");
	if (name == NULL || name[0] == '\0')
		name = CLIENT_DAEMON_USER;
	if (client_daemon_uid(name, &daemon_uid) >= 0)
		return 0;
	fprintf(stderr, "policyctl: cannot look up daemon user %s\n", name);
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "daemon-user", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct ctl c;
	const char *dir = DEFAULT_RUNTIME_DIR, *user = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+S:h", longs, NULL)) != -1) {
		if (ch == 'S') {
			dir = optarg;
		} else if (ch == 'V') {
			printf("policyctl %s (protocol %d)\n", POLICYD_VERSION,
			       PROTO_VERSION);
			return 0;
		} else if (ch == 'U') {
			user = optarg;
		} else {
			usage(ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (set_daemon_user(user) != 0)
		return EXIT_USAGE;
	c.dir = dir;
	if (snprintf(c.socket, sizeof(c.socket), "%s/" ADMIN_SOCKET_NAME,
		     dir) >= (int)sizeof(c.socket)) {
		fprintf(stderr, "policyctl: %s: path too long\n", dir);
		return EXIT_USAGE;
	}
	rc = run(&c, argc - optind, argv + optind);
	return rc < 0 ? EXIT_USAGE : rc;
}
