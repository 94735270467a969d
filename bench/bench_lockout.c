/*
 * bench_lockout.c - the cost of the lockout path, next to pam_faillock,
 * driven by one harness: pam_authenticate in a loop through the real
 * libpam under pam_wrapper, each service file naming its own stack.
 *
 *  - a counted failure: policyd's authfail (count, no verification) and
 *    pam_faillock's authfail;
 *  - a refused attempt while locked: policyd's password login of a locked
 *    user (tell_locked = yes, nothing verified) and pam_faillock's preauth.
 *
 * policyd commits every count to SQLite in WAL mode (fsync per commit with
 * synchronous = FULL); pam_faillock appends to a tally file without fsync.
 * Prints operations per second; asserts nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pamlib.h"
#include "testlib.h"

#define SECONDS 2.0
#define USER "daemon"	/* exists everywhere, as pam_faillock wants */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* libpam calls this instead of sleeping after a failure: the delay that
 * pam_faillock asks for would otherwise be all this measures. */
static void
no_delay(int retval, unsigned usec_delay, void *appdata)
{
	(void)retval;
	(void)usec_delay;
	(void)appdata;
}

/* pam_authenticate on service for SECONDS; operations per second. */
static double
rate(const char *service, const char *pw)
{
	double t0 = now_s(), t;
	long n = 0;

	do {
		struct conv c = { .answers = { pw } };
		struct pam_conv pc = { conv_fn, &c };
		pam_handle_t *ph = NULL;

		if (pam_start(service, USER, &pc, &ph) != PAM_SUCCESS)
			return -1;
		pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_delay);
		pam_authenticate(ph, 0);
		pam_end(ph, PAM_SUCCESS);
		conv_free(&c);
		n++;
		t = now_s() - t0;
	} while (t < SECONDS);
	return (double)n / t;
}

static void
row(const char *what, double policyd, double faillock)
{
	printf("  %-34s %10.0f/s %12.0f/s %8.2f\n", what, policyd, faillock,
	       policyd / faillock);
}

static void
write_services(char **argv)
{
	char dir[PATH_MAX], text[8 * PATH_MAX], m[2 * PATH_MAX];
	char tally[PATH_MAX + 32];

	t_fmt(dir, "%s/pam.d", t_dir());
	t_sh("mkdir -p %s %s/faillock", dir, t_dir());
	t_fmt(m, "%s/pam_policyd.so socket=%s/bench/run/pam.sock nodelay",
	      t_build(), t_dir());
	t_fmt(tally, "dir=%s/faillock", t_dir());
	write_service(dir, "other", "auth required pam_deny.so\n");
	t_fmt(text, "auth required %s authfail\n", m);
	write_service(dir, "p_count", text);
	t_fmt(text, "auth required %s\n", m);
	write_service(dir, "p_locked", text);
	t_fmt(text, "auth required pam_faillock.so authfail %s deny=100000000"
		    " fail_interval=900\n", tally);
	write_service(dir, "f_count", text);
	t_fmt(text, "auth required pam_faillock.so preauth %s deny=1 "
		    "unlock_time=900 silent\n", tally);
	write_service(dir, "f_locked", text);
	pamlib_exec_wrapped(argv, dir);
}

int
main(int argc, char **argv)
{
	struct tdaemon d;
	char dir[PATH_MAX];
	double p_count, f_count, p_locked, f_locked;

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL)
		write_services(argv);
	snprintf(dir, sizeof(dir), "%s/bench", t_dir());
	td_init(&d, dir, "[lockout]\ndeny = 1000000\n");
	if (td_start(&d) != 0)
		return 1;
	p_count = rate("p_count", NULL);
	f_count = rate("f_count", NULL);
	/* Lock both: policyd by a lower deny after a reload, pam_faillock
	 * through its tally (deny=1 in the preauth line). */
	td_write_conf(&d, "[lockout]\ndeny = 1\n");
	td_stop(&d);
	if (td_start(&d) != 0)
		return 1;
	rate("p_count", NULL);
	p_locked = rate("p_locked", "any-password");
	f_locked = rate("f_locked", NULL);
	td_stop(&d);
	printf("lockout path through libpam (pam_wrapper), %.0f s each; "
	       "policyd argon2 m=8192 t=1\n", SECONDS);
	printf("  %-34s %12s %14s %8s\n", "", "policyd", "pam_faillock",
	       "ratio");
	row("counted failure (authfail)", p_count, f_count);
	row("refused while locked", p_locked, f_locked);
	return 0;
}
