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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "args.h"
#include "client.h"
#include "proto.h"

#ifndef POLICYD_VERSION
#define POLICYD_VERSION "unknown"
#endif
#include "text.h"
#include "wipe.h"

#define REQUEST_MAX PROTO_MAX_REQUEST
#define REPLY_MAX 1024

/* A reply, kept so that its fields (reasons, days left) can be read. */
struct reply {
	uint8_t buf[REPLY_MAX];
	struct wmsg m;
};

/* Shows a message (PAM_TEXT_INFO or PAM_ERROR_MSG) unless the
 * application asked for silence with PAM_SILENT; what is logged is
 * logged either way. */
static void __attribute__((format(printf, 4, 0)))
say(pam_handle_t *pamh, const struct args *a, int style, const char *fmt,
    va_list ap)
{
	if (!a->silent)
		(void)pam_vprompt(pamh, style, NULL, fmt, ap);
}

/* pam_info and pam_error, quiet under PAM_SILENT. */
static void __attribute__((format(printf, 3, 4)))
msg_info(pam_handle_t *pamh, const struct args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(pamh, a, PAM_TEXT_INFO, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
msg_error(pam_handle_t *pamh, const struct args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(pamh, a, PAM_ERROR_MSG, fmt, ap);
	va_end(ap);
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

/* The uid of daemon_user, trusted beside root (see client.h); 0, so only
 * root, when there is no such user or it cannot be looked up. */
static uid_t
daemon_uid(pam_handle_t *pamh, const struct args *a)
{
	uid_t uid;
	int rc = client_daemon_uid(a->daemon_user, &uid);

	if (rc < 0)
		pam_syslog(pamh, LOG_ERR, "cannot look up daemon_user %s: "
			   "trusting only root", a->daemon_user);
	else if (rc > 0 && a->debug)
		pam_syslog(pamh, LOG_DEBUG, "no user %s: trusting only root",
			   a->daemon_user);
	return uid;
}

struct code_step {
	uint8_t token[32];
	size_t token_len;
	const char *code;
};

static int ask_daemon_code(pam_handle_t *pamh, const struct args *a,
			   uint8_t type, const char *user, const char *pw,
			   const char *newpw, const struct code_step *cs,
			   struct reply *r);

/*
 * Sends one request about user: with pw (the password, or the current one
 * for a change) and newpw when not NULL, and the PAM context for
 * authentication.  Returns the daemon's status, with the reply in *r, or
 * -1 if it could not be reached, timed out, or answered garbage.
 */
static int
ask_daemon(pam_handle_t *pamh, const struct args *a, uint8_t type,
	   const char *user, const char *pw, const char *newpw,
	   struct reply *r)
{
	return ask_daemon_code(pamh, a, type, user, pw, newpw, NULL, r);
}

/* The code step of a login: the token from "need-code", and the code. */
static int
ask_daemon_code(pam_handle_t *pamh, const struct args *a, uint8_t type,
		const char *user, const char *pw, const char *newpw,
		const struct code_step *cs, struct reply *r)
{
	uint8_t req[REQUEST_MAX];
	struct pclient c;
	struct wwriter w;
	char err[256];
	int rc, status = -1;

	rc = client_open_as(&c, a->socket, daemon_uid(pamh, a), a->timeout_ms,
			    err, sizeof(err));
	if (rc != CLIENT_OK) {
		pam_syslog(pamh, LOG_ERR, "%s", err);
		return -1;
	}
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, type);
	wire_put_str(&w, PROTO_T_USER, user);
	if (pw != NULL)
		wire_put_str(&w, PROTO_T_PASSWORD, pw);
	if (newpw != NULL)
		wire_put_str(&w, PROTO_T_NEW_PASSWORD, newpw);
	if (cs != NULL) {
		wire_put_bytes(&w, PROTO_T_TOKEN, cs->token, cs->token_len);
		wire_put_str(&w, PROTO_T_CODE, cs->code);
	}
	if (type == PROTO_AUTH || type == PROTO_CHPASS ||
	    type == PROTO_CODE_ONLY ||
	    type == PROTO_LOCK_FAIL || type == PROTO_LOCK_CHECK ||
	    type == PROTO_LOCK_SUCC) {
		put_item(pamh, &w, PAM_RHOST, PROTO_T_RHOST);
		put_item(pamh, &w, PAM_TTY, PROTO_T_TTY);
		put_item(pamh, &w, PAM_SERVICE, PROTO_T_SERVICE);
	}
	rc = client_call(&c, &w, r->buf, sizeof(r->buf), &r->m);
	if (rc == CLIENT_OK)
		status = r->m.status;
	else
		pam_syslog(pamh, LOG_ERR, "%s: %s", a->socket,
			   client_strerror(rc));
	wipe(req, sizeof(req));
	client_close(&c);
	if (a->debug)
		pam_syslog(pamh, LOG_DEBUG, "pam_policyd " POLICYD_VERSION
			   " (protocol %d): request %u: %s", PROTO_VERSION,
			   type,
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

/* A u32 field of the reply, or def. */
static uint32_t
reply_u32(const struct reply *r, uint8_t tag, uint32_t def)
{
	struct wfield f;
	uint32_t v;

	if (wire_find(&r->m, tag, &f) != 0 || wire_u32(&f, &v) != 0)
		return def;
	return v;
}

static uint64_t
reply_u64(const struct reply *r, uint8_t tag, uint64_t def)
{
	struct wfield f;
	uint64_t v;

	if (wire_find(&r->m, tag, &f) != 0 || wire_u64(&f, &v) != 0)
		return def;
	return v;
}

/* After the factors were checked: the account (or host) is locked, and
 * the operator lets it be told (tell_locked). */
static void
tell_locked(pam_handle_t *pamh, const struct args *a,
            const struct reply *r)
{
	uint64_t left = reply_u64(r, PROTO_T_LOCK_LEFT, 0);
	int host = reply_u32(r, PROTO_T_REASON, 0) == PROTO_R_SOURCE_LOCKED;
	const char *what = host ? "Logins from this host are blocked"
				: "Account locked";

	if (left == 0)
		msg_error(pamh, a, "%s: too many failed logins (until an "
				"administrator unlocks it)", what);
	else
		msg_error(pamh, a, "%s: too many failed logins (try again in "
				"%llu minute%s)", what,
			  (unsigned long long)((left + 59) / 60),
			  (left + 59) / 60 == 1 ? "" : "s");
}

/* After a success: when and where the last login came from, and the
 * failures since, as login(1) and sshd tell them. */
static void
tell_last_login(pam_handle_t *pamh, const struct args *a,
                const struct reply *r)
{
	char host[PROTO_MAX_TEXT + 1], when[64];
	time_t t = (time_t)reply_u64(r, PROTO_T_LAST_LOGIN, 0);
	uint32_t failures = reply_u32(r, PROTO_T_FAILURES, 0);
	struct tm tm;

	if (t != 0 && localtime_r(&t, &tm) != NULL) {
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
		if (wire_get_str(&r->m, PROTO_T_LAST_HOST, host,
				 sizeof(host)) != 0)
			host[0] = '\0';
		text_clean(host);	/* it came from a client once */
		if (host[0] != '\0')
			msg_info(pamh, a, "Last login: %s from %s", when, host);
		else
			msg_info(pamh, a, "Last login: %s", when);
	}
	if (failures > 0)
		msg_info(pamh, a, "There %s %u failed login attempt%s since "
				  "the last successful login.",
			 failures == 1 ? "was" : "were", failures,
			 failures == 1 ? "" : "s");
}

/* After a success: a recovery code was used, or TOTP must be enrolled
 * soon. */
static void
tell_second_factor(pam_handle_t *pamh, const struct args *a,
                   const struct reply *r)
{
	struct wfield f;
	uint32_t left;
	uint64_t grace;

	if (wire_find(&r->m, PROTO_T_CODES_LEFT, &f) == 0 &&
	    wire_u32(&f, &left) == 0)
		msg_info(pamh, a, "Recovery code accepted; %u left. Ask your "
			       "administrator for new ones when few remain.",
			 left);
	grace = reply_u64(r, PROTO_T_GRACE_LEFT, 0);
	if (grace > 0)
		msg_info(pamh, a, "You must enrol a TOTP authenticator "
				  "within %llu day%s: contact your "
				  "administrator.",
			 (unsigned long long)((grace + 86399) / 86400),
			 (grace + 86399) / 86400 == 1 ? "" : "s");
}

static int
auth_result(pam_handle_t *pamh, const struct args *a, int status,
	    const struct reply *r)
{
	switch (status) {
	case PROTO_OK:
		tell_last_login(pamh, a, r);
		tell_second_factor(pamh, a, r);
		return PAM_SUCCESS;
	case PROTO_DENIED:
		return PAM_AUTH_ERR;
	case PROTO_LOCKED:
		tell_locked(pamh, a, r);
		return PAM_AUTH_ERR;
	case PROTO_DISABLED:
		msg_error(pamh, a, "Your account is disabled; contact your "
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

/*
 * The daemon asks for a code (after a right password, or to look the same
 * after a wrong one): "Verification code: ", then the code step with the
 * token it gave.  A TOTP code or a recovery code.
 */
static int
code_step(pam_handle_t *pamh, const struct args *a, const char *user,
	  struct reply *r)
{
	struct code_step cs;
	struct wfield f;
	char *code = NULL;
	int status = -1;

	if (wire_find(&r->m, PROTO_T_TOKEN, &f) != 0 ||
	    f.len > sizeof(cs.token))
		return -1;
	memcpy(cs.token, f.val, f.len);
	cs.token_len = f.len;
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &code,
		       "Verification code: ") != PAM_SUCCESS || code == NULL) {
		wipe_strfree(code);
		return PROTO_DENIED;
	}
	cs.code = code;
	if (strlen(code) <= 64)
		status = ask_daemon_code(pamh, a, PROTO_CODE, user, NULL, NULL,
					 &cs, r);
	else
		status = PROTO_DENIED;
	wipe_strfree(code);
	WIPE_OBJ(cs);
	return status;
}

/* totp_only: the password is another module's; only the code here.  For
 * an account that needs no code policyd has nothing to check
 * (PROTO_NOTHING): PAM_IGNORE, never PAM_SUCCESS, so that a stack in
 * which nothing else decided still fails. */
static int
code_only(pam_handle_t *pamh, const struct args *a, const char *user)
{
	struct reply r;
	int status = ask_daemon(pamh, a, PROTO_CODE_ONLY, user, NULL, NULL,
				&r);

	if (status == PROTO_NOTHING)
		return PAM_IGNORE;
	/* Nothing but a right code passes here: an "ok" before any code
	 * step is no answer this daemon gives, so it fails. */
	if (status == PROTO_OK)
		return PAM_AUTH_ERR;
	if (status == PROTO_NEED_CODE)
		status = code_step(pamh, a, user, &r);
	return auth_result(pamh, a, status, &r);
}

/* preauth, authfail, authsucc: no prompt, the lockout only.  authfail
 * always fails (it runs after another module refused). */
static int
lockout_only(pam_handle_t *pamh, const struct args *a, const char *user)
{
	struct reply r;
	int status = ask_daemon(pamh, a, a->mode, user, NULL, NULL, &r);
	int rv;

	/* authfail runs after another module refused: whatever the
	 * daemon says, it never succeeds. */
	if (a->mode == PROTO_LOCK_FAIL &&
	    (status == PROTO_OK || status == PROTO_DENIED))
		return PAM_AUTH_ERR;
	if (a->mode == PROTO_LOCK_CHECK && status == PROTO_OK)
		return PAM_SUCCESS;	/* preauth: not locked */
	rv = auth_result(pamh, a, status, &r);
	return a->mode == PROTO_LOCK_FAIL && rv == PAM_SUCCESS ? PAM_AUTH_ERR
							       : rv;
}

int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *user = NULL;
	char *pw = NULL;
	struct reply r;
	struct args a;
	int rv = PAM_AUTH_ERR, asked = 0, status;

	if (args_parse(pamh, flags, argc, argv, &a) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;
	if (!a.nodelay)
		pam_fail_delay(pamh, 2000000);
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    user[0] == '\0')
		return PAM_USER_UNKNOWN;
	if (a.mode != 0)
		return strlen(user) > PROTO_MAX_TEXT
			       ? PAM_AUTH_ERR
			       : lockout_only(pamh, &a, user);
	if (a.totp_only)
		return strlen(user) > PROTO_MAX_TEXT
			       ? PAM_AUTH_ERR
			       : code_only(pamh, &a, user);
	rv = get_password(pamh, &a, &pw, &asked);
	if (rv != PAM_SUCCESS)
		goto out;
	rv = PAM_AUTH_ERR;
	/* Nothing this long can be right; no need to ask. */
	if (strlen(user) > PROTO_MAX_TEXT || strlen(pw) > PROTO_MAX_SECRET)
		goto out;
	status = ask_daemon(pamh, &a, PROTO_AUTH, user, pw, NULL, &r);
	if (status == PROTO_NEED_CODE)
		status = code_step(pamh, &a, user, &r);
	rv = auth_result(pamh, &a, status, &r);
	if (rv == PAM_SUCCESS && asked &&
	    pam_set_item(pamh, PAM_AUTHTOK, pw) != PAM_SUCCESS)
		rv = PAM_AUTH_ERR;
out:
	wipe_strfree(pw);
	return rv;
}

/* No credentials to set; but a bad argument is refused here too, so that
 * a typo in any line of a stack shows at once. */
int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct args a;

	if (args_parse(pamh, flags, argc, argv, &a) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;
	return PAM_SUCCESS;
}

int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *user = NULL;
	struct reply r;
	struct args a;
	uint32_t days;

	if (args_parse(pamh, flags, argc, argv, &a) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    user[0] == '\0' || strlen(user) > PROTO_MAX_TEXT)
		return PAM_USER_UNKNOWN;
	switch (ask_daemon(pamh, &a, PROTO_ACCT, user, NULL, NULL, &r)) {
	case PROTO_OK:
		days = reply_u32(&r, PROTO_T_DAYS_LEFT, UINT32_MAX);
		if (days != UINT32_MAX)
			msg_info(pamh, &a, "Your password will expire in %u "
				       "day%s.", days, days == 1 ? "" : "s");
		return PAM_SUCCESS;
	case PROTO_MUST_CHANGE:
		msg_error(pamh, &a, "You are required to change your password "
				"now.");
		return PAM_NEW_AUTHTOK_REQD;
	case PROTO_DISABLED:
		msg_error(pamh, &a, "Your account is disabled; contact your "
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

/* Sessions arrive with later versions: PAM_IGNORE, or PAM_SERVICE_ERR
 * for a bad argument. */
int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
		    const char **argv)
{
	struct args a;

	if (args_parse(pamh, flags, argc, argv, &a) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;
	return PAM_IGNORE;
}

int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
		     const char **argv)
{
	struct args a;

	if (args_parse(pamh, flags, argc, argv, &a) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;
	return PAM_IGNORE;
}

/* Tells the user every rule the new password broke, from reason codes:
 * the text is made here, never sent by the daemon. */
static void
tell_refusal(pam_handle_t *pamh, const struct args *a,
             const struct reply *r)
{
	struct wreader rd = r->m.fields;
	struct wfield f;
	uint32_t reason;

	while (wire_next(&rd, &f) == 1) {
		if (f.tag != PROTO_T_REASON || wire_u32(&f, &reason) != 0)
			continue;
		switch (reason) {
		case PROTO_R_TOO_SHORT:
			msg_error(pamh, a, "The password is too short: use at "
					"least %u characters.",
				  reply_u32(r, PROTO_T_MIN_LENGTH, 12));
			break;
		case PROTO_R_FEW_CLASSES:
			msg_error(pamh, a, "Use at least %u of: lower case, "
					   "upper case, digits, symbols.",
				  reply_u32(r, PROTO_T_MIN_CLASSES, 3));
			break;
		case PROTO_R_HAS_NAME:
			msg_error(pamh, a, "The password must not contain the "
					"user name.");
			break;
		case PROTO_R_TOO_COMMON:
			msg_error(pamh, a, "The password is too easy to guess: "
					"avoid words, names, dates and "
					"patterns.");
			break;
		case PROTO_R_REUSED:
			msg_error(pamh, a, "The password was used before: "
					"choose a new one.");
			break;
		case PROTO_R_TOO_RECENT:
			msg_error(pamh, a, "The password was changed too "
					"recently: try again later.");
			break;
		case PROTO_R_TOO_LONG:
			msg_error(pamh, a, "The password is too long.");
			break;
		case PROTO_R_BREACHED:
			msg_error(pamh, a, "The password appears in a list of "
					"breached passwords: choose another.");
			break;
		case PROTO_R_EMPTY:
			msg_error(pamh, a, "No password given.");
			break;
		default:
			msg_error(pamh, a, "The password contains characters "
					"that are not allowed.");
			break;
		}
	}
}

/* The current password: PAM_OLDAUTHTOK if a module above has it, else
 * asked (and kept there for the modules below).  A copy to wipe. */
static int
get_old(pam_handle_t *pamh, char **old)
{
	const void *item = NULL;
	char *resp = NULL;

	*old = NULL;
	if (pam_get_item(pamh, PAM_OLDAUTHTOK, &item) == PAM_SUCCESS &&
	    item != NULL) {
		*old = strdup(item);
		return *old != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
	}
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp,
		       "Current password: ") != PAM_SUCCESS || resp == NULL) {
		wipe_strfree(resp);
		return PAM_CONV_ERR;
	}
	if (pam_set_item(pamh, PAM_OLDAUTHTOK, resp) != PAM_SUCCESS) {
		wipe_strfree(resp);
		return PAM_BUF_ERR;
	}
	*old = resp;
	return PAM_SUCCESS;
}

/* The new password, asked twice (or PAM_AUTHTOK with use_authtok).
 * PAM_TRY_AGAIN when the two did not match. */
static int
get_new(pam_handle_t *pamh, const struct args *a, char **pw)
{
	const void *item = NULL;
	char *again = NULL;
	int rv;

	*pw = NULL;
	if (a->use_authtok) {
		if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS ||
		    item == NULL)
			return PAM_AUTHTOK_ERR;
		*pw = strdup(item);
		return *pw != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
	}
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, pw, "New password: ") !=
		    PAM_SUCCESS || *pw == NULL ||
	    pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &again,
		       "Retype new password: ") != PAM_SUCCESS ||
	    again == NULL) {
		rv = PAM_CONV_ERR;
	} else if (strcmp(*pw, again) != 0) {
		msg_error(pamh, a, "The passwords do not match.");
		rv = PAM_TRY_AGAIN;
	} else {
		rv = PAM_SUCCESS;
	}
	wipe_strfree(again);
	if (rv != PAM_SUCCESS) {
		wipe_strfree(*pw);
		*pw = NULL;
	}
	return rv;
}

/* One attempt at the change.  PAM_TRY_AGAIN: refused, may ask again. */
static int
change_once(pam_handle_t *pamh, const struct args *a, const char *user,
	    const char *old)
{
	struct reply r;
	char *pw = NULL;
	int rv = get_new(pamh, a, &pw);

	if (rv != PAM_SUCCESS)
		return rv;
	/* Refused here, unsent and unhashed: nothing this long can pass. */
	if (strlen(pw) > PROTO_MAX_SECRET) {
		msg_error(pamh, a, "The password is too long.");
		wipe_strfree(pw);
		return a->use_authtok ? PAM_AUTHTOK_ERR : PAM_TRY_AGAIN;
	}
	rv = PAM_AUTHTOK_ERR;
	switch (ask_daemon(pamh, a, PROTO_CHPASS, user, old, pw, &r)) {
	case PROTO_OK:
		rv = pam_set_item(pamh, PAM_AUTHTOK, pw) == PAM_SUCCESS
			     ? PAM_SUCCESS
			     : PAM_AUTHTOK_ERR;
		break;
	case PROTO_POLICY:
		tell_refusal(pamh, a, &r);
		rv = a->use_authtok ||
				     reply_u32(&r, PROTO_T_REASON, 0) ==
					     PROTO_R_TOO_RECENT
			     ? PAM_AUTHTOK_ERR
			     : PAM_TRY_AGAIN;
		break;
	case PROTO_DENIED:
		msg_error(pamh, a, "The current password is not correct.");
		rv = PAM_AUTH_ERR;
		break;
	case PROTO_DISABLED:
		msg_error(pamh, a, "Your account is disabled; contact your "
				"administrator.");
		rv = PAM_PERM_DENIED;
		break;
	case PROTO_NOT_FOUND:
		rv = PAM_USER_UNKNOWN;
		break;
	}
	wipe_strfree(pw);
	return rv;
}

/*
 * PAM_PRELIM_CHECK: is the daemon there, and does it know the user?
 * PAM_UPDATE_AUTHTOK: the current password (unless root changes another
 * user's, as with pam_unix), then the new one, asked again up to retry=N
 * times while refused.
 */
int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *user = NULL;
	char *old = NULL;
	struct reply r;
	struct args a;
	int rv = PAM_AUTHTOK_ERR, status;

	if (args_parse(pamh, flags, argc, argv, &a) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    user[0] == '\0' || strlen(user) > PROTO_MAX_TEXT)
		return PAM_USER_UNKNOWN;
	if (flags & PAM_PRELIM_CHECK) {
		status = ask_daemon(pamh, &a, PROTO_ACCT, user, NULL, NULL, &r);
		return status == PROTO_NOT_FOUND ? PAM_USER_UNKNOWN
		       : status < 0 || status == PROTO_UNAVAILABLE
			       ? PAM_TRY_AGAIN
			       : PAM_SUCCESS;
	}
	if (!(flags & PAM_UPDATE_AUTHTOK))
		return PAM_SERVICE_ERR;
	if (getuid() != 0 || (flags & PAM_CHANGE_EXPIRED_AUTHTOK)) {
		rv = get_old(pamh, &old);
		if (rv != PAM_SUCCESS)
			goto out;
		if (strlen(old) > PROTO_MAX_SECRET) {
			rv = PAM_AUTH_ERR;	/* cannot be right */
			goto out;
		}
	}
	for (int i = 0; i < a.retry; i++) {
		rv = change_once(pamh, &a, user, old);
		if (rv != PAM_TRY_AGAIN)
			break;
		rv = PAM_AUTHTOK_ERR;
	}
out:
	wipe_strfree(old);
	return rv;
}
