/*
 * pamlib.h - driving the real libpam from the tests: a conversation that
 * records every prompt and message and answers from a list, PAM service
 * files, and re-executing a test under pam_wrapper (which reads its
 * service directory once, when the process starts).
 */
#ifndef POLICYD_PAMLIB_H
#define POLICYD_PAMLIB_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>

#include <libpamtest.h>
#include <security/pam_appl.h>

#ifndef PAM_WRAPPER_MODULES
#define PAM_WRAPPER_MODULES "/usr/lib/x86_64-linux-gnu/pam_wrapper"
#endif

#define MAX_SEEN 8

/* What the user saw and typed. */
struct conv {
	const char *answers[MAX_SEEN];	/* to the prompts, in order */
	int next;
	char *prompts[MAX_SEEN];
	int nprompts;
	char *errors[MAX_SEEN];
	int nerrors;
	char *infos[MAX_SEEN];
	int ninfos;
};

void conv_free(struct conv *c);
/* A pam_conv function; appdata is a struct conv. */
int conv_fn(int num, const struct pam_message **msg,
	    struct pam_response **resp, void *appdata);
/* Runs op (then op2 unless it is -1) with flags for op; returns op's
 * result.  The conversation is left in *c. */
int pam_run(const char *service, const char *user, struct conv *c,
	    enum pamtest_ops op, enum pamtest_ops op2);
/* Runs op alone with these flags (PAM_SILENT, ...); returns its result,
 * the conversation left in *c. */
int pam_run_flags(const char *service, const char *user, struct conv *c,
		  enum pamtest_ops op, int flags);
/* Writes dir/name.  The test daemons run as the user running the tests,
 * so each line naming pam_policyd.so gets daemon_user=t_user() unless it
 * names a daemon_user= itself. */
void write_service(const char *dir, const char *name, const char *text);
/* Makes t_dir()/pam.d (into dir) with an `other` service that denies
 * auth, account and password: a service a test forgot is never let in. */
void pamlib_service_dir(char dir[PATH_MAX]);
/* The module and its socket for a test daemon started in t_dir()/group:
 * "BUILD/pam_policyd.so socket=T/group/run/pam.sock", into out. */
void pamlib_module(char *out, size_t outsz, const char *group);
/* Writes service `name` with auth, account and password lines of the
 * module for group (auth and password with nodelay, password retry=1). */
void pamlib_full_stack(const char *dir, const char *name, const char *group);
/* Runs pam_chauthtok (libpam runs the prelim and update passes) with
 * flags and the answers in ap, NULL-terminated; returns its result, the
 * conversation in *c. */
int pamlib_chauthtok(const char *service, const char *user, int flags,
		     struct conv *c, va_list ap);
/* Authenticates user on service, pw the only answer; PAM's result. */
int pamlib_login(const char *service, const char *user, const char *pw);

/* For PAM_FAIL_DELAY: libpam calls this instead of sleeping after a
 * failure, so that a benchmark measures the work, not the delay. */
void pamlib_no_delay(int retval, unsigned usec_delay, void *appdata);
/* Re-executes this program under pam_wrapper with service_dir. */
void pamlib_exec_wrapped(char **argv, const char *service_dir)
	__attribute__((noreturn));

#endif
