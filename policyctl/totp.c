/* totp.c - policyctl's TOTP enrolment commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <unistd.h>

#include "ctl.h"
#include "proto.h"
#include "wipe.h"
#include "qr.h"

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
	int rc = call(c, c->self_password ? PROTO_SELF_ENROLL
					  : PROTO_TOTP_ENROLL,
		      name, c->self_password, NULL, NULL);

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
	       "code from the app: policyctl %stotp confirm %s\n", secret, uri,
	       c->self_password ? "self " : "", c->self_password ? "" : name);
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

/* Reads one entry: a line of standard input when use_stdin or when it is
 * not a terminal, else asked on the terminal without echo. */
static int
read_entry(const char *prompt, int use_stdin, char *buf, size_t size)
{
	FILE *tty;
	int rc;

	if (use_stdin || !isatty(STDIN_FILENO) ||
	    (tty = fopen("/dev/tty", "r+e")) == NULL)
		return read_stdin_secret(buf, size);
	setvbuf(tty, NULL, _IONBF, 0);
	rc = ask_tty(tty, prompt, buf, size);
	fclose(tty);
	return rc;
}

/* Reads a code; says so when none came. */
static int
read_code(char *code, size_t size)
{
	if (read_entry("Code from the app: ", 0, code, size) == 0)
		return 0;
	fprintf(stderr, "policyctl: no code given\n");
	return -1;
}

static int
totp_confirm(struct ctl *c, const char *name)
{
	char code[64];
	int rc;

	if (read_code(code, sizeof(code)) != 0)
		return EXIT_REFUSED;
	c->code = code;
	rc = call(c, c->self_password ? PROTO_SELF_CONFIRM
				      : PROTO_TOTP_CONFIRM,
		  name, c->self_password, NULL, NULL);
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

int
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


/* The user's own password: a line of stdin (--password-stdin), else the
 * terminal without echo. */
static int
self_password(const struct ctl *c, char *pw, size_t size)
{
	return read_entry("Password: ", c->password_stdin, pw, size);
}

/* Removing one's own TOTP takes the password and a code. */
static int
self_reset(struct ctl *c, const char *name)
{
	char code[64];
	int rc;

	if (read_code(code, sizeof(code)) != 0)
		return EXIT_REFUSED;
	c->current_code = code;
	rc = call(c, PROTO_SELF_RESET, name, c->self_password, NULL, NULL);
	c->current_code = NULL;
	wipe(code, sizeof(code));
	if (rc == 0 && c->msg.status != PROTO_OK)
		return refused(c, name);
	if (rc == 0)
		printf("TOTP removed for %s.\n", name);
	return rc;
}

/* enroll --replace: a new authenticator in place of a working one, which
 * a code from the old one must prove. */
static int
self_replace(struct ctl *c, const char *name)
{
	char code[64];
	int rc;

	if (read_code(code, sizeof(code)) != 0)
		return EXIT_REFUSED;
	c->current_code = code;
	rc = run_totp(c, "enroll", name);
	c->current_code = NULL;
	wipe(code, sizeof(code));
	return rc;
}

int
run_self_totp(struct ctl *c, const char *dir, const char *verb)
{
	char pw[PROTO_MAX_SECRET + 2];
	struct passwd *me = getpwuid(getuid());
	int rc;

	if (me == NULL || snprintf(c->socket, sizeof(c->socket),
				   "%s/" PAM_SOCKET_NAME, dir) >=
				  (int)sizeof(c->socket))
		return EXIT_USAGE;
	if (self_password(c, pw, sizeof(pw)) != 0) {
		fprintf(stderr, "policyctl: no password given\n");
		return EXIT_REFUSED;
	}
	c->self_password = pw;
	if (strcmp(verb, "reset") == 0)
		rc = self_reset(c, me->pw_name);
	else if (strcmp(verb, "enroll") == 0 && c->replace)
		rc = self_replace(c, me->pw_name);
	else if (strcmp(verb, "enroll") == 0 || strcmp(verb, "confirm") == 0)
		rc = run_totp(c, verb, me->pw_name);
	else
		rc = -1;
	c->self_password = NULL;
	wipe(pw, sizeof(pw));
	return rc;
}
