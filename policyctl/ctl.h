/*
 * ctl.h - what the parts of policyctl share: the command state, the one
 * exchange with the daemon, password and code entry, and the printers.
 */
#ifndef POLICYCTL_CTL_H
#define POLICYCTL_CTL_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "proto.h"
#include "wire.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define TIMEOUT_MS 30000	/* a password hash may queue behind logins */

struct ctl {
	char socket[PATH_MAX];
	int json;
	int password_stdin;
	int expire;
	int source;
	int replace;		/* self totp enroll --replace */
	int prometheus;		/* stats --prometheus */
	int purge;		/* user del --purge */
	const char *textfile_dir; /* stats --textfile-dir DIR */
	const char *qr_png;	/* --qr-png FILE */
	const char *code;	/* sent as PROTO_T_CODE when set */
	const char *current_code; /* sent as PROTO_T_CURRENT_CODE when set */
	const char *self_password; /* self-service on pam.sock when set */
	const char *dir;	/* the runtime directory (-S) */
	const struct filters *audit_filters; /* audit query being sent */
	uint64_t audit_after;	/* its paging */
	const char *verb;	/* for messages: "user add" */
	uint8_t reply[PROTO_MAX_FRAME];
	struct wmsg msg;
};

/* Prints why policyd refused; returns the exit status. */
int refused(const struct ctl *c, const char *what);
/* One request (the non-NULL fields, and c->code) and its reply in
 * c->msg.  0 with any status, or EXIT_USAGE when there was no exchange. */
int call(struct ctl *c, uint8_t type, const char *user, const char *pw,
	 const char *after, const char *rhost);
/* A line without its newline; -1 at EOF or if too long. */
int read_line(FILE *fp, char *buf, size_t size);
/* A secret from standard input: a line, read with echo off when it is
 * a terminal; -1 at EOF, if too long, or if echo cannot be turned off. */
int read_stdin_secret(char *buf, size_t size);
/* commands.c: runs the command argv names (argv[0] its first word); its
 * exit status, or -1 on a usage error (told on stderr). */
int ctl_run(struct ctl *c, int argc, char **argv);
/* The usage text: all commands, or the one named by words (-1: none). */
void usage(FILE *fp);
int usage_of(const char *words, FILE *fp);
/* "policyctl WORDS: <message>" and the hint to --help; returns -1. */
int usage_error(const char *words, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Asks on the terminal without echo. */
int ask_tty(FILE *tty, const char *prompt, char *buf, size_t size);
/* A verb on one user, with a new password when with_password. */
int cmd_simple(struct ctl *c, uint8_t type, const char *name,
	       int with_password, const char *done);

/* show.c: listing and showing. */
void format_time(uint64_t t, char *buf, size_t size);
/* The text field tag of a record into out ("" when absent). */
void field_text(const struct wfield *rec, uint8_t tag, char *out,
		size_t size);
uint64_t field_u64(const struct wmsg *m, const struct wfield *rec,
		   uint8_t tag);
int cmd_list(struct ctl *c);
int cmd_show(struct ctl *c, const char *name);
/* user show NAME as a JSON object, or NULL with the exit status in *rc
 * (the refusal told on stderr). */
json_t *show_json(struct ctl *c, const char *name, int *rc);
int cmd_locks(struct ctl *c);
int cmd_stats(struct ctl *c, int prometheus, const char *textfile_dir);
int cmd_status(struct ctl *c);
int cmd_reload(struct ctl *c);
/* Each record of the whole audit trail, in id order, to cb (0 goes on):
 * 0, -1 when cb stopped, or the exchange's status. */
int audit_each(struct ctl *c, int (*cb)(const struct wfield *rec, void *arg),
	       void *arg);
/* The verification key given as --key ARG (the key, or "-": a line of
 * standard input, echo off on a terminal) or --key-file FILE (its first
 * line; file not NULL), into buf.  A key in ARG is wiped from argv at
 * once, with a warning.  0, or -1 (told on stderr). */
int audit_key_arg(char *arg, const char *file, char *buf, size_t size);
/* audit verify --key/--anchor, here (verify.c). */
int audit_verify_local(struct ctl *c, const char *key_text,
		       const char *anchor, uint64_t retention);
/* The same walk, printing nothing: 0 the chain (and with key_text the
 * seal) holds; EXIT_REFUSED broken, why (whysz bytes) says where;
 * EXIT_USAGE a malformed key (said on stderr) or no exchange.  *records
 * are the records read, *sealed those whose seal held. */
int audit_verify_quiet(struct ctl *c, const char *key_text, char *why,
		       size_t whysz, uint64_t *records, uint64_t *sealed);

/* audit.c: the audit trail. */
struct filters;
/* audit [filters] and audit verify [--key K] [--anchor A]; argv[0] is
 * the command's name, then its options.  -1 on a usage error (told). */
/* A length of time, "30d" or "12h", into seconds: 0, or -1. */
int audit_parse_age(const char *s, uint64_t *seconds);
/* A time: "2026-11-30", "2026-11-30T08:15:00" (UTC), seconds since the
 * epoch, or a time ago ("30d", "12h", before now): 0, or -1. */
int audit_parse_time(const char *s, uint64_t now, uint64_t *t);
int run_audit(struct ctl *c, int argc, char **argv);
int run_verify(struct ctl *c, int argc, char **argv);
/* The user's audit records, appended to the JSON array arr. */
int export_audit(struct ctl *c, const char *user, json_t *arr);
/* Adds the audit filters of c to a request being built. */
void audit_put_filters(const struct ctl *c, struct wwriter *w);

/* doctor.c: policyctl doctor [--root DIR] [-c FILE] [--json] (argv[0]
 * its name); 0 no error, 1 an error found, 2 (EXIT_USAGE) bad --root;
 * -1 usage (told). */
int run_doctor(struct ctl *c, int argc, char **argv);

/* report.c: policyctl report [--since T] [--idle AGE] [--key KEY]
 * [--json | --html FILE]; 0 done, 1 written but the chain or the seal
 * failed, 2 (EXIT_USAGE) usage or connection error. */
int run_report(struct ctl *c, int argc, char **argv);

/* totp.c: enrolment, by an administrator or (self) by the user. */
int run_totp(struct ctl *c, const char *verb, const char *name);
int run_self_totp(struct ctl *c, const char *dir, const char *verb);

#endif
