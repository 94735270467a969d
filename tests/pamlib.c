/* pamlib.c - see pamlib.h. */
#include <setjmp.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "pamlib.h"
#include "testlib.h"

static int
record(char **list, int *n, const char *msg)
{
	if (*n >= MAX_SEEN)
		return -1;
	list[(*n)++] = strdup(msg);
	return 0;
}

void
conv_free(struct conv *c)
{
	for (int i = 0; i < c->nprompts; i++)
		free(c->prompts[i]);
	for (int i = 0; i < c->nerrors; i++)
		free(c->errors[i]);
	for (int i = 0; i < c->ninfos; i++)
		free(c->infos[i]);
	memset(c, 0, sizeof(*c));
}

int
conv_fn(int num, const struct pam_message **msg, struct pam_response **resp,
	void *appdata)
{
	struct conv *c = appdata;
	struct pam_response *r = calloc((size_t)num, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < num; i++) {
		int st = msg[i]->msg_style;

		if (st == PAM_ERROR_MSG) {
			record(c->errors, &c->nerrors, msg[i]->msg);
		} else if (st == PAM_TEXT_INFO) {
			record(c->infos, &c->ninfos, msg[i]->msg);
		} else {
			record(c->prompts, &c->nprompts, msg[i]->msg);
			if (c->next >= MAX_SEEN || c->answers[c->next] == NULL) {
				free(r);
				return PAM_CONV_ERR;
			}
			r[i].resp = strdup(c->answers[c->next++]);
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* Runs one PAM operation (and optionally a second) and returns the
 * first's result; the conversation is left in *c for inspection. */
int
pam_run(const char *service, const char *user, struct conv *c,
	enum pamtest_ops op, enum pamtest_ops op2)
{
	struct pam_testcase tc[2] = {
		pam_test(op, PAM_SUCCESS),
		pam_test(op2, PAM_SUCCESS),
	};
	size_t n = (int)op2 >= 0 ? 2 : 1;

	_pamtest_conv(service, user, conv_fn, c, tc, n, NULL);
	return tc[0].op_rv;
}

int
pam_run_flags(const char *service, const char *user, struct conv *c,
	      enum pamtest_ops op, int flags)
{
	struct pam_testcase tc[1] = {
		pam_test_flags(op, PAM_SUCCESS, flags),
	};

	_pamtest_conv(service, user, conv_fn, c, tc, 1, NULL);
	return tc[0].op_rv;
}

/* One line of a service file; a pam_policyd.so line without its own
 * daemon_user= gets daemon_user=t_user(). */
static void
put_line(FILE *fp, const char *line, size_t n)
{
	int ours = memmem(line, n, "pam_policyd.so", 14) != NULL &&
		   memmem(line, n, "daemon_user=", 12) == NULL;

	if (n > 0 && line[n - 1] == '\n')
		n--;
	fwrite(line, 1, n, fp);
	if (ours)
		fprintf(fp, " daemon_user=%s", t_user());
	fputc('\n', fp);
}

void
write_service(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	const char *nl;
	FILE *fp;

	t_fmt(path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	for (; *text != '\0'; text = nl + 1) {
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text) - 1;
		put_line(fp, text, (size_t)(nl - text + 1));
	}
	fclose(fp);
}

void
pamlib_service_dir(char dir[PATH_MAX])
{
	snprintf(dir, PATH_MAX, "%s/pam.d", t_dir());
	if (t_sh("mkdir -p %s", dir) != 0)
		exit(2);
	write_service(dir, "other", "auth required pam_deny.so\n"
				    "account required pam_deny.so\n"
				    "password required pam_deny.so\n");
}

void
pamlib_module(char *out, size_t outsz, const char *group)
{
	if (snprintf(out, outsz, "%s/pam_policyd.so socket=%s/%s/run/pam.sock",
		     t_build(), t_dir(), group) >= (int)outsz)
		abort();
}

void
pamlib_full_stack(const char *dir, const char *name, const char *group)
{
	char m[2 * PATH_MAX], text[8 * PATH_MAX];

	pamlib_module(m, sizeof(m), group);
	t_fmt(text, "auth required %s nodelay\n"
		    "account required %s\n"
		    "password required %s nodelay retry=1\n",
	      m, m, m);
	write_service(dir, name, text);
}

int
pamlib_chauthtok(const char *service, const char *user, int flags,
		 struct conv *c, va_list ap)
{
	struct pam_testcase tc[] = {
		pam_test_flags(PAMTEST_CHAUTHTOK, PAM_SUCCESS, flags),
	};
	int n = 0;

	memset(c, 0, sizeof(*c));
	while (n < MAX_SEEN && (c->answers[n] = va_arg(ap, const char *)))
		n++;
	_pamtest_conv(service, user, conv_fn, c, tc, 1, NULL);
	return tc[0].op_rv;
}

int
pamlib_login(const char *service, const char *user, const char *pw)
{
	struct conv c = { .answers = { pw } };
	int rv = pam_run(service, user, &c, PAMTEST_AUTHENTICATE, -1);

	conv_free(&c);
	return rv;
}

void
pamlib_no_delay(int retval, unsigned usec_delay, void *appdata)
{
	(void)retval;
	(void)usec_delay;
	(void)appdata;
}

void
pamlib_exec_wrapped(char **argv, const char *service_dir)
{
	setenv("PAM_WRAPPER", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", service_dir, 1);
	/* No RTLD_DEEPBIND, which the sanitizers refuse.  Debian 12's
	 * pam_wrapper 1.1.4 reads the uid_wrapper name for this switch;
	 * later versions read the pam_wrapper one. */
	setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	setenv("LD_PRELOAD", "libpam_wrapper.so", 1);
	execv("/proc/self/exe", argv);
	perror("execv");
	exit(2);
}
