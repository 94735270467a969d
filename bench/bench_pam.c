/*
 * bench_pam.c - policyd's paths next to the modules they replace, driven
 * by one harness: pam_authenticate in a loop through the real libpam under
 * pam_wrapper, each service file naming its own stack.
 *
 *  - a counted failure: policyd's authfail (count, no verification) and
 *    pam_faillock's authfail, both for root, whom both count and neither
 *    locks by default, so that the loop never ends in a lock;
 *  - a refused attempt while locked: policyd's password login of a locked
 *    user (tell_locked = yes, nothing verified) and pam_faillock's preauth;
 *  - a TOTP code checked (a wrong one, so that replay protection does not
 *    end the loop): policyd's totp_only and pam_oath, window 1, for root
 *    again, so that the wrong codes counted never lock.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pamlib.h"
#include "testlib.h"

static double seconds = 2.0;	/* per row; 1 with QUICK=1 */
/* Both exist everywhere, as pam_faillock wants. */
#define COUNTED "root"		/* counted, never locked */
#define LOCKED "daemon"
#define CLIENTS 8
#define CLIENTS_S "8"

/* One pam_authenticate of user on service; 0, or -1 if it cannot start. */
static int
attempt(const char *service, const char *user, const char *pw)
{
	struct conv c = { .answers = { pw } };
	struct pam_conv pc = { conv_fn, &c };
	pam_handle_t *ph = NULL;

	if (pam_start(service, user, &pc, &ph) != PAM_SUCCESS)
		return -1;
	pam_set_item(ph, PAM_FAIL_DELAY, (const void *)pamlib_no_delay);
	pam_authenticate(ph, 0);
	pam_end(ph, PAM_SUCCESS);
	conv_free(&c);
	return 0;
}

/* Attempts on service for `seconds`; operations per second. */
static double
rate(const char *service, const char *user, const char *pw)
{
	double t0 = t_now(), t;
	long n = 0;

	do {
		if (attempt(service, user, pw) != 0)
			return -1;
		n++;
		t = t_now() - t0;
	} while (t < seconds);
	return (double)n / t;
}

/*
 * rate() in n processes at once; their rates summed.  pam_wrapper sets
 * itself up again in each child at its first pam_start, choosing a free
 * /tmp/pam.X, and two children doing that at once can choose the same:
 * each child makes one attempt first, alone, then all start together.
 */
static double
rate_n(const char *service, const char *user, const char *pw, int n)
{
	pid_t pids[64];
	int res[2], ready[2], go[2];
	double sum = 0, r;
	char c;

	if (n > 64 || pipe(res) != 0 || pipe(ready) != 0 || pipe(go) != 0)
		return -1;
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(go[1]);
			r = attempt(service, user, pw) == 0 &&
					    write(ready[1], "x", 1) == 1 &&
					    read(go[0], &c, 1) == 0
				    ? rate(service, user, pw)
				    : -1;
			/* exit, not _exit: pam_wrapper removes this
			 * process's directory at exit. */
			exit(write(res[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
		}
		if (pids[i] < 0 || read(ready[0], &c, 1) != 1) {
			sum = -1;
			n = i + (pids[i] > 0);
			break;
		}
	}
	close(go[1]);	/* all start */
	close(res[1]);
	for (int i = 0; i < n && sum >= 0; i++) {
		if (read(res[0], &r, sizeof(r)) != sizeof(r) || r < 0)
			sum = -1;
		else
			sum += r;
	}
	close(res[0]);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	/* Only these: the daemon is a child too. */
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	return sum;
}

static void
row(const char *what, double policyd, double faillock)
{
	printf("  %-34s %10.0f/s %12.0f/s %8.2f\n", what, policyd, faillock,
	       policyd / faillock);
}

/* pam_oath's users file: the same kind of secret, SHA1, 30 s, 6 digits.
 * pam_oath rewrites it after each check, so it lives in the test dir. */
static void
write_oath_users(void)
{
	t_sh("printf 'HOTP/T30/6 %s - 3132333435363738393031323334353637383930"
	     "\\n' > %s/oath.users && chmod 600 %s/oath.users", COUNTED, t_dir(),
	     t_dir());
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
	t_fmt(text, "auth required pam_faillock.so authfail %s\n", tally);
	write_service(dir, "f_count", text);
	t_fmt(text, "auth required pam_faillock.so preauth %s deny=1 "
		    "unlock_time=900 silent\n", tally);
	write_service(dir, "f_locked", text);
	t_fmt(text, "auth required %s totp_only\n", m);
	write_service(dir, "p_totp", text);
	t_fmt(text, "auth required pam_oath.so usersfile=%s/oath.users "
		    "window=1 digits=6\n", t_dir());
	write_service(dir, "o_totp", text);
	write_oath_users();
	pamlib_exec_wrapped(argv, dir);
}

/* Enrols COUNTED in TOTP with oathtool's code for the secret given. */
static int
enrol(struct tdaemon *d)
{
	char out[8192], secret[64], code[16], cmd[128], *p;
	FILE *fp;

	td_add_user(d, COUNTED, "Bench-Start-Pass-0");
	if (td_ctl(d, NULL, out, sizeof(out), NULL, 0,
		   "totp enroll " COUNTED) != 0 ||
	    (p = strstr(out, "by hand: ")) == NULL ||
	    sscanf(p + 9, "%63s", secret) != 1)
		return -1;
	snprintf(cmd, sizeof(cmd), "oathtool --totp -b %s", secret);
	fp = t_popen(cmd);
	if (fp == NULL || fgets(code, sizeof(code), fp) == NULL)
		return -1;
	pclose(fp);
	return td_ctl(d, code, NULL, 0, NULL, 0, "totp confirm " COUNTED);
}

int
main(int argc, char **argv)
{
	struct tdaemon d;
	char dir[PATH_MAX];
	double p_count, f_count, p_count8, f_count8, p_locked, f_locked, p_totp, o_totp;

	(void)argc;
	if (getenv("QUICK") != NULL && strcmp(getenv("QUICK"), "1") == 0)
		seconds = 1.0;
	if (getenv("PAM_WRAPPER") == NULL)
		write_services(argv);
	snprintf(dir, sizeof(dir), "%s/bench", t_dir());
	/* The default lockout: deny = 5, root counted and never locked. */
	td_init(&d, dir, "[totp]\nrequired = enrolled\n");
	if (td_start(&d) != 0)
		return 1;
	p_count = rate("p_count", COUNTED, NULL);
	f_count = rate("f_count", COUNTED, NULL);
	p_count8 = rate_n("p_count", COUNTED, NULL, CLIENTS);
	f_count8 = rate_n("f_count", COUNTED, NULL, CLIENTS);
	/* Lock LOCKED in both: five failures for policyd; one for
	 * pam_faillock, whose preauth line says deny=1. */
	for (int i = 0; i < 5; i++)
		attempt("p_count", LOCKED, NULL);
	attempt("f_count", LOCKED, NULL);
	p_locked = rate("p_locked", LOCKED, "any-password");
	f_locked = rate("f_locked", LOCKED, NULL);
	if (enrol(&d) != 0)
		return 1;
	p_totp = rate("p_totp", COUNTED, "000000");
	o_totp = rate("o_totp", COUNTED, "000000");
	if (getenv("BENCH_DEBUG") != NULL) {
		char st[1024];

		td_ctl(&d, NULL, st, sizeof(st), NULL, 0, "stats");
		fputs(st, stderr);
	}
	td_stop(&d);
	printf("lockout path through libpam (pam_wrapper), %.0f s each; "
	       "policyd argon2 m=8192 t=1\n", seconds);
	printf("  %-34s %12s %14s %8s\n", "", "policyd", "pam_faillock",
	       "ratio");
	row("counted failure (authfail)", p_count, f_count);
	row("  the same, " CLIENTS_S " clients at once", p_count8, f_count8);
	row("refused while locked", p_locked, f_locked);
	printf("  %-34s %12s %14s\n", "", "policyd", "pam_oath");
	row("TOTP code checked (wrong code)", p_totp, o_totp);
	return 0;
}
