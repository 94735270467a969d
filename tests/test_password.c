/*
 * test_password.c - password rules, reuse, ageing and the change flow,
 * through the real libpam (pam_chauthtok and pam_acct_mgmt under
 * pam_wrapper) against a real policyd, and the stored hashes in SQLite.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "pamlib.h"
#include "proto.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"
#define BREACHED "Zw8!Kp3#Qm6$"	/* strong, but in the breached filter */

static struct tdaemon d;

static int
chpw(const char *service, const char *user, int flags, struct conv *c, ...)
{
	va_list ap;
	int rv;

	va_start(ap, c);
	rv = pamlib_chauthtok(service, user, flags, c, ap);
	va_end(ap);
	return rv;
}

/* Root sets user's password (no current password asked). */
static int
root_sets(const char *user, const char *pw, struct conv *c)
{
	return chpw("chpw", user, 0, c, pw, pw, NULL);
}

/* Whether any error message shown contains text. */
static int
told(const struct conv *c, const char *text)
{
	for (int i = 0; i < c->nerrors; i++)
		if (strstr(c->errors[i], text) != NULL)
			return 1;
	return 0;
}

static int
login(const char *user, const char *pw)
{
	return pamlib_login("chpw", user, pw);
}

static int
account(const char *user, struct conv *c)
{
	memset(c, 0, sizeof(*c));
	return pam_run("chpw", user, c, PAMTEST_ACCOUNT, -1);
}

static void
add_user(const char *name)
{
	assert_int_equal(td_add_user(&d, name, PW), 0);
}

static void
assert_refused(const char *user, const char *pw, const char *why)
{
	struct conv c;

	assert_int_equal(root_sets(user, pw, &c), PAM_AUTHTOK_ERR);
	if (!told(&c, why))
		fail_msg("'%s' refused without '%s' (%d messages)", pw, why,
			 c.nerrors);
	conv_free(&c);
}

static void
assert_accepted(const char *user, const char *pw)
{
	struct conv c;

	if (root_sets(user, pw, &c) != PAM_SUCCESS)
		fail_msg("'%s' refused: %s", pw,
			 c.nerrors > 0 ? c.errors[0] : "(no message)");
	conv_free(&c);
	assert_int_equal(login(user, pw), PAM_SUCCESS);
}

static int
group_setup(void **state)
{
	char dir[PATH_MAX], extra[3 * PATH_MAX];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/password", t_dir());
	td_init(&d, dir, NULL);
	t_sh("printf '# company words\\nzorbatrex\\n\\n' > %s/blocklist", dir);
	t_sh("chmod 644 %s/blocklist", dir);
	/* A breached-password filter, made by passwdqc's own tool. */
	if (t_sh("printf '%%s\\n' '" BREACHED "' 'Other-Leaked-Pass-1' | "
		 "pwqfilter --create=100 --output=%s/breached.pwq && "
		 "chmod 644 %s/breached.pwq", dir, dir) != 0)
		return -1;
	snprintf(extra, sizeof(extra),
		 "history = 3\nblocklist = %s/blocklist\n"
		 "breached_filter = %s/breached.pwq\n", dir, dir);
	td_write_conf(&d, extra);
	if (td_start(&d) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

static void
test_length(void **state)
{
	(void)state;
	add_user("len");
	assert_refused("len", "Kq7#vX2mPz9", "at least 12 characters");
	assert_accepted("len", "Hv4!nQ8zLw2#");
	/* Characters, not bytes: 11 then 12, with 2-byte letters. */
	assert_refused("len", "Zürich#Bärn", "at least 12 characters");
	assert_accepted("len", "Zürich#Bärn5");
}

static void
test_classes(void **state)
{
	(void)state;
	add_user("cls");
	assert_refused("cls", "kqvxmzptrwly42", "at least 3 of");
	assert_accepted("cls", "kqvxmzptrwlY42");
}

static void
test_user_name(void **state)
{
	(void)state;
	add_user("pwname");
	assert_refused("pwname", "Xpwname#29Q1k", "user name");
	assert_refused("pwname", "XPWNAME#29Q1k", "user name");
	assert_refused("pwname", "Xemanwp#29Q1k", "user name");
}

static void
test_guessable(void **state)
{
	static const char *const weak[] = {
		"Password123!", "P@ssw0rd2024!", "Welcome12345!",
		"Summer2024!!", "Qwertyuiop12!", "Iloveyou2024!",
	};

	(void)state;
	add_user("weak");
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
		assert_refused("weak", weak[i], "too easy to guess");
	/* A word from the blocklist file; the same shape without it passes. */
	assert_refused("weak", "Zorbatrex#4827", "too easy to guess");
	assert_accepted("weak", "Quorvantle#4827");
}

/* Random 12-character passwords (drawn once from a CSPRNG and kept, as in
 * test_rules.c) are accepted. */
static void
test_random_passwords_pass(void **state)
{
	static const char *const drawn[] = {
		"=0EdOIwbjK@V", "-+jo2N0MY5IR", "@3y6qNtuE!jE",
		"XOaiGRVI&P0V", "=_CBtdcTv&r4", "n&=1VPN58WMv",
	};

	(void)state;
	add_user("rnd");
	for (size_t i = 0; i < sizeof(drawn) / sizeof(drawn[0]); i++)
		assert_accepted("rnd", drawn[i]);
}

static void
test_breached(void **state)
{
	(void)state;
	add_user("leak");
	assert_refused("leak", BREACHED, "breached passwords");
	/* One character off is not in the list. */
	assert_accepted("leak", "Zw8!Kp3#Qm6%");
}

/* A 1 MiB answer is refused by the module, never sent nor hashed. */
static void
test_huge_answer(void **state)
{
	size_t n = 1 << 20;
	char *huge = malloc(n + 1);
	struct conv c;

	(void)state;
	assert_non_null(huge);
	for (size_t i = 0; i < n; i++)
		huge[i] = "Aa1!"[i % 4];
	huge[n] = '\0';
	add_user("huge");
	assert_int_equal(root_sets("huge", huge, &c), PAM_AUTHTOK_ERR);
	assert_true(told(&c, "too long"));
	conv_free(&c);
	assert_int_equal(login("huge", huge), PAM_AUTH_ERR);
	assert_int_equal(login("huge", PW), PAM_SUCCESS);
	free(huge);
	assert_false(td_log_has(&d, "password of user huge changed"));
}

static void
test_invalid_text(void **state)
{
	(void)state;
	add_user("txt");
	assert_refused("txt", "Kq7#vX2m\xff\xfePz9!x", "not allowed");
	assert_refused("txt", "Kq7#vX2m\xc0\xafPz9!x", "not allowed");
}

/* history = 3: the current one and the three before are refused, the
 * fourth before is accepted again. */
static void
test_reuse(void **state)
{
	static const char *const seq[] = {
		"Rt5%bM9xKp3&", "Jw2@cN7vYq4$", "Lp8^dF3sWz6*", "Mx9&gH2kVr5!",
	};

	(void)state;
	add_user("hist");	/* PW is the first password */
	for (size_t i = 0; i < 4; i++)
		assert_accepted("hist", seq[i]);
	/* Current: seq[3]; history: seq[2], seq[1], seq[0]; PW dropped. */
	assert_refused("hist", seq[3], "used before");
	assert_refused("hist", seq[0], "used before");
	assert_refused("hist", seq[2], "used before");
	assert_accepted("hist", PW);
	assert_int_equal(t_sh("test $(sqlite3 -cmd '.timeout 5000' %s 'SELECT count(*) FROM "
			      "password_history h JOIN users u ON "
			      "u.id = h.user_id WHERE u.name = \"hist\"') "
			      "-eq 3", d.db), 0);
}

/* The user changes their own password, giving the current one. */
static int
user_changes(const char *user, const char *old, const char *pw,
	     struct conv *c)
{
	return chpw("chpw", user, PAM_CHANGE_EXPIRED_AUTHTOK, c, old, pw, pw,
		    NULL);
}

static void
test_min_age_and_expiry(void **state)
{
	struct conv c;

	(void)state;
	add_user("aged");
	/* Set a moment ago: a user's own change must wait min_age. */
	assert_int_equal(user_changes("aged", PW, "Gz3!kP8wQm5%", &c),
			 PAM_AUTHTOK_ERR);
	assert_true(told(&c, "changed too recently"));
	assert_string_equal(c.prompts[0], "Current password: ");
	conv_free(&c);
	assert_int_equal(account("aged", &c), PAM_SUCCESS);
	conv_free(&c);
	/* An administrator expires it: login still checks the password,
	 * the account phase asks for a change, and the change may happen. */
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
				"passwd aged --expire"), 0);
	assert_int_equal(login("aged", PW), PAM_SUCCESS);
	assert_int_equal(account("aged", &c), PAM_NEW_AUTHTOK_REQD);
	assert_true(told(&c, "change your password"));
	conv_free(&c);
	/* A wrong current password changes nothing. */
	assert_int_equal(user_changes("aged", "Not-The-Current-1", "Gz3!kP8wQm5%",
				      &c), PAM_AUTH_ERR);
	conv_free(&c);
	assert_int_equal(user_changes("aged", PW, "Gz3!kP8wQm5%", &c),
			 PAM_SUCCESS);
	assert_int_equal(c.nprompts, 3);
	assert_string_equal(c.prompts[1], "New password: ");
	assert_string_equal(c.prompts[2], "Retype new password: ");
	conv_free(&c);
	assert_int_equal(login("aged", "Gz3!kP8wQm5%"), PAM_SUCCESS);
	assert_int_equal(login("aged", PW), PAM_AUTH_ERR);
	assert_int_equal(account("aged", &c), PAM_SUCCESS);
	conv_free(&c);
}

static void
test_root_sets_without_current(void **state)
{
	struct conv c;

	(void)state;
	if (getuid() != 0)
		skip();
	add_user("reset");
	assert_int_equal(root_sets("reset", "Root-Set-Lake-19", &c),
			 PAM_SUCCESS);
	assert_int_equal(c.nprompts, 2);
	assert_string_equal(c.prompts[0], "New password: ");
	conv_free(&c);
	assert_int_equal(login("reset", "Root-Set-Lake-19"), PAM_SUCCESS);
}

static void
test_mismatch_then_retry(void **state)
{
	struct conv c;

	(void)state;
	add_user("retry");
	/* retry=3: a mismatch, a refused one, then a good one. */
	assert_int_equal(chpw("chpw3", "retry", 0, &c, "Hv4!nQ8zLw2#",
			      "Hv4!nQ8zLw2%", "Password123!", "Password123!",
			      "Hv4!nQ8zLw2#", "Hv4!nQ8zLw2#", NULL),
			 PAM_SUCCESS);
	assert_true(told(&c, "do not match"));
	assert_true(told(&c, "too easy to guess"));
	conv_free(&c);
	/* retry=1: one refusal ends it. */
	assert_int_equal(chpw("chpw", "retry", 0, &c, "a", "b", NULL),
			 PAM_AUTHTOK_ERR);
	conv_free(&c);
}

static void
test_use_authtok(void **state)
{
	struct conv c;

	(void)state;
	add_user("stacked");
	setenv("PAM_AUTHTOK", "Lp8^dF3sWz6*", 1);
	assert_int_equal(chpw("chpw_authtok", "stacked", 0, &c, NULL),
			 PAM_SUCCESS);
	assert_int_equal(c.nprompts, 0);
	conv_free(&c);
	setenv("PAM_AUTHTOK", "Password123!", 1);
	assert_int_equal(chpw("chpw_authtok", "stacked", 0, &c, NULL),
			 PAM_AUTHTOK_ERR);
	assert_true(told(&c, "too easy to guess"));
	conv_free(&c);
	unsetenv("PAM_AUTHTOK");
	assert_int_equal(login("stacked", "Lp8^dF3sWz6*"), PAM_SUCCESS);
}

static void
test_password_check_command(void **state)
{
	char out[1024], err[1024];

	(void)state;
	add_user("chk");
	assert_int_equal(td_ctl(&d, "chk\n", out, sizeof(out), err,
				sizeof(err), "password check chk"), 1);
	assert_non_null(strstr(err, "too short"));
	assert_non_null(strstr(err, "too few character classes"));
	assert_non_null(strstr(err, "contains the user name"));
	assert_int_equal(td_ctl(&d, PW "\n", out, sizeof(out), err,
				sizeof(err), "password check chk"), 1);
	assert_non_null(strstr(err, "used before"));
	assert_int_equal(td_ctl(&d, "Mx9&gH2kVr5!\n", out, sizeof(out), err,
				sizeof(err), "password check chk"), 0);
	/* Nothing changed. */
	assert_int_equal(login("chk", PW), PAM_SUCCESS);
	/* Admins are held to the rules too. */
	assert_int_equal(td_ctl(&d, "Password123!\n", NULL, 0, err,
				sizeof(err), "passwd chk --password-stdin"), 1);
	assert_non_null(strstr(err, "too common"));
	assert_int_equal(td_ctl(&d, "Password123!\n", NULL, 0, err,
				sizeof(err), "user add weakling "
				"--password-stdin"), 1);
}

static void
set_changed(const char *user, long days_ago)
{
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s \"UPDATE users SET pw_changed = "
			      "%ld WHERE name = '%s'\"", d.db,
			      (long)time(NULL) - days_ago * 86400, user), 0);
}

static void
stored_hash(const char *user, char *out, size_t sz)
{
	char cmd[PATH_MAX + 128];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "sqlite3 -cmd '.timeout 5000' %s \"SELECT password FROM users "
		 "WHERE name = '%s'\"", d.db, user);
	fp = t_popen(cmd);
	assert_non_null(fp);
	assert_non_null(fgets(out, (int)sz, fp));
	pclose(fp);
}

/* After a reload: max_age expires passwords, warn_age warns, and a login
 * upgrades a hash made at the old cost. */
static void
test_reload_ageing_and_upgrade(void **state)
{
	char extra[3 * PATH_MAX], phc[256];
	struct conv c;

	(void)state;
	add_user("old");
	stored_hash("old", phc, sizeof(phc));
	assert_non_null(strstr(phc, "$m=8192,"));
	snprintf(extra, sizeof(extra),
		 "history = 3\nblocklist = %s/blocklist\nmax_age = 30d\n"
		 "breached_filter = %s/breached.pwq\n"
		 "warn_age = 7d\nargon2_parallelism = 2\n", d.dir, d.dir);
	td_write_conf(&d, extra);
	kill(d.pid, SIGHUP);
	for (int i = 0; i < 300 && !td_log_has(&d, "reloaded"); i++)
		usleep(10000);
	assert_true(td_log_has(&d, "reloaded"));
	set_changed("old", 25);
	assert_int_equal(account("old", &c), PAM_SUCCESS);
	assert_int_equal(c.ninfos, 1);
	assert_non_null(strstr(c.infos[0], "expire in 5 days"));
	conv_free(&c);
	set_changed("old", 31);
	assert_int_equal(account("old", &c), PAM_NEW_AUTHTOK_REQD);
	conv_free(&c);
	/* The login upgrades the hash to the new cost. */
	assert_int_equal(login("old", PW), PAM_SUCCESS);
	stored_hash("old", phc, sizeof(phc));
	assert_non_null(strstr(phc, "$m=8192,t=1,p=2$"));
	assert_int_equal(login("old", PW), PAM_SUCCESS);
}

static void
write_services(char **argv)
{
	char dir[PATH_MAX], text[8 * PATH_MAX], m[2 * PATH_MAX];

	pamlib_service_dir(dir);
	pamlib_full_stack(dir, "chpw", "password");
	pamlib_module(m, sizeof(m), "password");
	t_fmt(text, "password required %s nodelay retry=3\n", m);
	write_service(dir, "chpw3", text);
	t_fmt(text, "password required %s/pam_set_items.so\n"
		    "password required %s nodelay use_authtok\n",
	      PAM_WRAPPER_MODULES, m);
	write_service(dir, "chpw_authtok", text);
	pamlib_exec_wrapped(argv, dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_user_name),
		cmocka_unit_test(test_guessable),
		cmocka_unit_test(test_random_passwords_pass),
		cmocka_unit_test(test_breached),
		cmocka_unit_test(test_huge_answer),
		cmocka_unit_test(test_invalid_text),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_min_age_and_expiry),
		cmocka_unit_test(test_root_sets_without_current),
		cmocka_unit_test(test_mismatch_then_retry),
		cmocka_unit_test(test_use_authtok),
		cmocka_unit_test(test_password_check_command),
		cmocka_unit_test(test_reload_ageing_and_upgrade),
	};

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL)
		write_services(argv);
	return cmocka_run_group_tests_name("password", tests, group_setup,
					   group_teardown);
}
