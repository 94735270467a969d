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
#include <signal.h>
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

/* The terminal a secret is being read from, and its settings to put
 * back, also when a signal stops policyctl half-way: a shell left
 * without echo would show the next password typed into it. */
static volatile sig_atomic_t quiet_fd = -1;
static struct termios quiet_saved;

static void
restore_echo(int sig)
{
	if (quiet_fd >= 0)
		tcsetattr(quiet_fd, TCSAFLUSH, &quiet_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A line of fp, the terminal fd, read with echo off: 0, or -1. */
static int
read_quietly(int fd, FILE *fp, char *buf, size_t size)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old[4];
	struct termios quiet;
	int rc = -1;

	if (tcgetattr(fd, &quiet_saved) != 0)
		return -1;
	quiet = quiet_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_echo;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 4; i++) {
		sigaction(sigs[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN)	/* nohup, & */
			sigaction(sigs[i], &sa, NULL);
	}
	quiet_fd = fd;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
		rc = read_line(fp, buf, size);
	tcsetattr(fd, TCSAFLUSH, &quiet_saved);
	quiet_fd = -1;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}

int
read_stdin_secret(char *buf, size_t size)
{
	/* Unbuffered, so no copy stays behind in stdio's buffer. */
	setvbuf(stdin, NULL, _IONBF, 0);
	if (!isatty(STDIN_FILENO))
		return read_line(stdin, buf, size);
	/* A terminal: it must not echo what is typed. */
	return read_quietly(STDIN_FILENO, stdin, buf, size);
}

int
ask_tty(FILE *tty, const char *prompt, char *buf, size_t size)
{
	int rc;

	fputs(prompt, tty);
	fflush(tty);
	rc = read_quietly(fileno(tty), tty, buf, size);
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
	rc = ctl_run(&c, argc - optind, argv + optind);
	return rc < 0 ? EXIT_USAGE : rc;
}
