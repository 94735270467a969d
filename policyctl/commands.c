/*
 * commands.c - policyctl's command table: each command's words, its
 * arguments and the options it takes, which drive getopt_long, the usage
 * text and `COMMAND --help`, so that no option is taken by a command that
 * does not use it and none is silently ignored.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ctl.h"
#include "jsonout.h"
#include "proto.h"

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
	{ "audit verify", "[--key KEY | --key-file FILE]\n"
	  "[--anchor 'seq=N head=H'] [--retention AGE]",
	  "check its hash chain; with the\nverification key, its seals, "
	  "here", 0, 0, NULL, run_verify },
	{ "report", "[--since T] [--idle AGE] [--key KEY | --key-file FILE]\n"
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
	int n, len;

	/* A synopsis of two lines: the second under the first's words. */
	len = nl ? (int)(nl - cmd->synopsis) : (int)strlen(cmd->synopsis);
	n = snprintf(head, sizeof(head), "%s%s%.*s", cmd->words,
		     cmd->synopsis[0] ? " " : "", len, cmd->synopsis);
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

int
ctl_run(struct ctl *c, int argc, char **argv)
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
