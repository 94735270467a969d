/*
 * pam_policyd.c - the PAM module: a thin client of policyd.
 *
 * It reads its arguments, talks to the user through the conversation,
 * sends one request per step to the daemon, and maps the answer to a PAM
 * code.  It holds no policy and no state.  Every path starts from a
 * failure code, so no error can fall through to PAM_SUCCESS; a daemon
 * that is down, slow or answers garbage gives PAM_AUTHINFO_UNAVAIL within
 * the timeout.  It never exits or aborts: it lives inside sshd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "client.h"
#include "proto.h"
#include "wipe.h"

#define REQUEST_MAX (PROTO_MAX_SECRET + 4 * (PROTO_MAX_TEXT + 3) + 64)
#define REPLY_MAX 1024

struct args {
	char socket[PROTO_MAX_TEXT + 1];
	int timeout_ms;
	int debug;
	int use_first_pass;
	int try_first_pass;
	int nodelay;
};

static void
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->socket, sizeof(a->socket), "%s",
		 DEFAULT_RUNTIME_DIR "/" PAM_SOCKET_NAME);
	a->timeout_ms = 5000;
	for (int i = 0; i < argc; i++) {
		const char *v = argv[i];
		char *end;
		long n;

		if (strncmp(v, "socket=", 7) == 0) {
			if (v[7] == '/')
				snprintf(a->socket, sizeof(a->socket), "%s",
					 v + 7);
			else
				pam_syslog(pamh, LOG_ERR, "socket= must be an "
					   "absolute path: %s ignored", v);
		} else if (strncmp(v, "timeout=", 8) == 0) {
			n = strtol(v + 8, &end, 10);
			if (*end == '\0' && n >= 1 && n <= 60)
				a->timeout_ms = (int)n * 1000;
			else
				pam_syslog(pamh, LOG_ERR, "bad %s: kept %d s",
					   v, a->timeout_ms / 1000);
		} else if (strcmp(v, "debug") == 0) {
			a->debug = 1;
		} else if (strcmp(v, "use_first_pass") == 0) {
			a->use_first_pass = 1;
		} else if (strcmp(v, "try_first_pass") == 0) {
			a->try_first_pass = 1;
		} else if (strcmp(v, "nodelay") == 0) {
			a->nodelay = 1;
		} else {
			pam_syslog(pamh, LOG_ERR, "unknown argument ignored: %s",
				   v);
		}
	}
}

/* Adds a PAM item as a context field, cut to the protocol's limit. */
static void
put_item(pam_handle_t *pamh, struct wwriter *w, int item, uint8_t tag)
{
	const void *v = NULL;
	size_t n;

	if (pam_get_item(pamh, item, &v) != PAM_SUCCESS || v == NULL)
		return;
	n = strnlen(v, PROTO_MAX_TEXT);
	wire_put_bytes(w, tag, v, n);
}

/*
 * Sends one request about user (with pw when not NULL, and the PAM
 * context for authentication) and returns the daemon's status, or -1 if
 * it could not be reached, timed out, or answered garbage.
 */
static int
ask_daemon(pam_handle_t *pamh, const struct args *a, uint8_t type,
	   const char *user, const char *pw)
{
	uint8_t req[REQUEST_MAX], rep[REPLY_MAX];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	char err[256];
	int rc, status = -1;

	rc = client_open(&c, a->socket, a->timeout_ms, err, sizeof(err));
	if (rc != CLIENT_OK) {
		pam_syslog(pamh, LOG_ERR, "%s", err);
		return -1;
	}
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, type);
	wire_put_str(&w, PROTO_T_USER, user);
	if (pw != NULL) {
		wire_put_str(&w, PROTO_T_PASSWORD, pw);
		put_item(pamh, &w, PAM_RHOST, PROTO_T_RHOST);
		put_item(pamh, &w, PAM_TTY, PROTO_T_TTY);
		put_item(pamh, &w, PAM_SERVICE, PROTO_T_SERVICE);
	}
	rc = client_call(&c, &w, rep, sizeof(rep), &m);
	if (rc == CLIENT_OK)
		status = m.status;
	else
		pam_syslog(pamh, LOG_ERR, "%s: %s", a->socket,
			   client_strerror(rc));
	wipe(req, sizeof(req));
	client_close(&c);
	if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "request %u: %s", type,
			   status < 0 ? "no answer" : proto_status_name(status));
	return status;
}

/*
 * The password: PAM_AUTHTOK from a module above (use_first_pass, or
 * try_first_pass when set), else asked.  *asked tells which, so that only
 * a password this module read is handed down.  The result is a copy the
 * caller wipes and frees.
 */
static int
get_password(pam_handle_t *pamh, const struct args *a, char **pw, int *asked)
{
	const void *item = NULL;
	char *resp = NULL;

	*pw = NULL;
	*asked = 0;
	if (a->use_first_pass || a->try_first_pass) {
		if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS &&
		    item != NULL) {
			*pw = strdup(item);
			return *pw != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
		}
		if (a->use_first_pass)
			return PAM_AUTH_ERR;
	}
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "Password: ") !=
		    PAM_SUCCESS ||
	    resp == NULL) {
		wipe_strfree(resp);
		return PAM_CONV_ERR;
	}
	*pw = resp;
	*asked = 1;
	return PAM_SUCCESS;
}

static int
auth_result(pam_handle_t *pamh, int status)
{
	switch (status) {
	case PROTO_OK:
		return PAM_SUCCESS;
	case PROTO_DISABLED:
		pam_error(pamh, "Your account is disabled; contact your "
				"administrator.");
		return PAM_AUTH_ERR;
	case PROTO_FORBIDDEN:
		pam_syslog(pamh, LOG_ERR, "policyd refused: this process may "
					  "only authenticate its own user");
		return PAM_AUTH_ERR;
	case PROTO_UNAVAILABLE:
	case -1:
		return PAM_AUTHINFO_UNAVAIL;
	default:
		return PAM_AUTH_ERR;
	}
}

int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *user = NULL;
	char *pw = NULL;
	struct args a;
	int rv = PAM_AUTH_ERR, asked = 0;

	(void)flags;
	parse_args(pamh, argc, argv, &a);
	if (!a.nodelay)
		pam_fail_delay(pamh, 2000000);
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    user[0] == '\0')
		return PAM_USER_UNKNOWN;
	rv = get_password(pamh, &a, &pw, &asked);
	if (rv != PAM_SUCCESS)
		goto out;
	rv = PAM_AUTH_ERR;
	/* Nothing this long can be right; no need to ask. */
	if (strlen(user) > PROTO_MAX_TEXT || strlen(pw) > PROTO_MAX_SECRET)
		goto out;
	rv = auth_result(pamh, ask_daemon(pamh, &a, PROTO_AUTH, user, pw));
	if (rv == PAM_SUCCESS && asked &&
	    pam_set_item(pamh, PAM_AUTHTOK, pw) != PAM_SUCCESS)
		rv = PAM_AUTH_ERR;
out:
	wipe_strfree(pw);
	return rv;
}

int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *user = NULL;
	struct args a;

	(void)flags;
	parse_args(pamh, argc, argv, &a);
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    user[0] == '\0' || strlen(user) > PROTO_MAX_TEXT)
		return PAM_USER_UNKNOWN;
	switch (ask_daemon(pamh, &a, PROTO_ACCT, user, NULL)) {
	case PROTO_OK:
		return PAM_SUCCESS;
	case PROTO_DISABLED:
		pam_error(pamh, "Your account is disabled; contact your "
				"administrator.");
		return PAM_ACCT_EXPIRED;
	case PROTO_NOT_FOUND:
		return PAM_USER_UNKNOWN;
	case PROTO_UNAVAILABLE:
	case -1:
		return PAM_AUTHINFO_UNAVAIL;
	default:
		return PAM_PERM_DENIED;
	}
}

/* Sessions and password changes arrive with later versions. */
int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
		    const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}

int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
		     const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}

int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}
