/* args.c - pam_policyd's module arguments; see args.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "args.h"
#include "client.h"

/* n from a decimal string of digits only, in [lo, hi]; 0 or -1. */
static int
number(const char *s, long lo, long hi, int *n)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9' || strlen(s) > 6)
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*n = (int)v;
	return 0;
}

/* A user name as useradd makes them: letters, digits, ".", "_", "-",
 * not starting with "-", at most PROTO_MAX_NAME bytes. */
static int
user_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PROTO_MAX_NAME || s[0] == '-' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._-") != n)
		return -1;
	return 0;
}

/* A word without a value: its flag, or NULL if it is none. */
static int *
switch_of(struct args *a, const char *v)
{
	static const char *const names[] = {
		"debug", "use_first_pass", "try_first_pass", "use_authtok",
		"totp_only", "nodelay",
	};
	int *const flags[] = {
		&a->debug, &a->use_first_pass, &a->try_first_pass,
		&a->use_authtok, &a->totp_only, &a->nodelay,
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0)
			return flags[i];
	return NULL;
}

/* preauth, authfail, authsucc: the lockout-only modes; 0 if v is none. */
static uint8_t
mode_of(const char *v)
{
	if (strcmp(v, "preauth") == 0)
		return PROTO_LOCK_CHECK;
	if (strcmp(v, "authfail") == 0)
		return PROTO_LOCK_FAIL;
	if (strcmp(v, "authsucc") == 0)
		return PROTO_LOCK_SUCC;
	return 0;
}

/* name=value into *a; NULL, or why it is bad. */
static const char *
parse_value(struct args *a, const char *v)
{
	if (strncmp(v, "socket=", 7) == 0) {
		if (v[7] != '/')
			return "must be an absolute path";
		if (snprintf(a->socket, sizeof(a->socket), "%s", v + 7) >=
		    (int)sizeof(a->socket))
			return "path too long";
	} else if (strncmp(v, "daemon_user=", 12) == 0) {
		if (user_name(v + 12) != 0)
			return "not a user name";
		snprintf(a->daemon_user, sizeof(a->daemon_user), "%s", v + 12);
	} else if (strncmp(v, "timeout=", 8) == 0) {
		if (number(v + 8, 1, 60, &a->timeout_ms) != 0)
			return "must be 1 to 60 (seconds)";
		a->timeout_ms *= 1000;
	} else if (strncmp(v, "retry=", 6) == 0) {
		if (number(v + 6, 1, 10, &a->retry) != 0)
			return "must be 1 to 10";
	} else {
		return "unknown argument";
	}
	return NULL;
}

/* One argument into *a; NULL, or why it is bad. */
static const char *
parse_arg(struct args *a, const char *v)
{
	int *flag = switch_of(a, v);
	uint8_t mode = mode_of(v);

	if (flag != NULL)
		*flag = 1;
	else if (mode != 0 && a->mode != 0)
		return "a second mode (preauth, authfail, authsucc)";
	else if (mode != 0)
		a->mode = mode;
	else
		return parse_value(a, v);
	if (a->mode != 0 && a->totp_only)
		return "totp_only conflicts with preauth, authfail, authsucc";
	return NULL;
}

int
args_parse(pam_handle_t *pamh, int flags, int argc, const char **argv,
	   struct args *a)
{
	const char *why;

	memset(a, 0, sizeof(*a));
	snprintf(a->socket, sizeof(a->socket), "%s",
		 DEFAULT_RUNTIME_DIR "/" PAM_SOCKET_NAME);
	snprintf(a->daemon_user, sizeof(a->daemon_user), "%s",
		 CLIENT_DAEMON_USER);
	a->timeout_ms = 5000;
	a->retry = 3;
	a->silent = (flags & PAM_SILENT) != 0;
	for (int i = 0; i < argc; i++) {
		why = parse_arg(a, argv[i]);
		if (why != NULL) {
			pam_syslog(pamh, LOG_ERR, "bad module argument "
				   "\"%s\": %s", argv[i], why);
			return PAM_SERVICE_ERR;
		}
	}
	return PAM_SUCCESS;
}

