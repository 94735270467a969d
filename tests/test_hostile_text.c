/*
 * test_hostile_text.c - text from clients never reaches a terminal raw.
 * Logins through the real libpam (pam_wrapper's pam_set_items sets
 * PAM_RHOST, PAM_TTY and PAM_SERVICE first) carry escape sequences and
 * line breaks; `policyctl user show`, `policyctl audit`, `policyctl locks`
 * (tables and JSON) and the daemon's log then hold no control character
 * and no line that the client wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pamlib.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"
/* Clear the screen (ESC [ and the C1 CSI), then a forged line; and text
 * that is fine as it is. */
#define EVIL "\x1b[2J\xc2\x9b" "31m\nfake line\r\x7f Z\xc3\xbcrich"

static struct tdaemon d;
static char out[1 << 16];

static int
login(const char *user, const char *pw)
{
	return pamlib_login("hostile", user, pw);
}

/* No control character (C0 but the newlines, DEL, C1) in text. */
static void
assert_no_controls(const char *what, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f ||
		    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			fail_msg("%s: byte 0x%02x at %td in:\n%s", what, *p,
				 (const char *)p - text, text);
}

/* Every line of text starts with one of the prefixes (NULL-ended). */
static void
assert_lines(const char *what, const char *text, const char *const *ok)
{
	const char *line = text;

	for (; *line != '\0'; line = strchr(line, '\n') + 1) {
		size_t i = 0;

		assert_non_null(strchr(line, '\n'));
		while (ok[i] != NULL && strncmp(line, ok[i], strlen(ok[i])))
			i++;
		if (ok[i] == NULL)
			fail_msg("%s: unexpected line in:\n%s", what, text);
	}
}

/* The client's text is shown (made harmless, not dropped), and its valid
 * UTF-8 as it is.  Whether the daemon cleaned it on input ("?") or the
 * output escaped it ("\x1b") is not this test's business. */
static void
assert_shown(const char *what, const char *text)
{
	if (strstr(text, "fake line") == NULL ||
	    strstr(text, "Z\xc3\xbcrich") == NULL)
		fail_msg("%s: the client's text is missing from:\n%s", what,
			 text);
}

static void
ctl_out(const char *args)
{
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0, args), 0);
}

static int
group_setup(void **state)
{
	(void)state;
	setenv("PAM_RHOST", EVIL, 1);
	setenv("PAM_TTY", EVIL, 1);
	setenv("PAM_SERVICE", EVIL, 1);
	if (td_start_in(&d, "hostile",
			"[lockout]\ndeny = 3\nsource_deny = 4\n") != 0 ||
	    td_add_user(&d, "eve", PW) != 0)
		return -1;
	/* A login (the host is kept as the last one), then a failure (host
	 * and service are kept with it until the next login). */
	if (login("eve", PW) != PAM_SUCCESS ||
	    login("eve", "not-the-password") != PAM_AUTH_ERR)
		return -1;
	/* An unknown user name with the same text: the account and then
	 * the host get locked. */
	for (int i = 0; i < 3; i++)
		login("x" EVIL, "not-the-password");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

static void
test_user_show(void **state)
{
	static const char *const ok[] = {
		"name:", "id:", "state:", "created:", "password changed:",
		"must change:", "password hash:", "totp:", "password history:",
		"last login:", "failed since:", "locked:", "failures:", "  2",
		NULL,
	};

	(void)state;
	ctl_out("user show eve");
	assert_no_controls("user show", out);
	assert_lines("user show", out, ok);
	assert_shown("user show", out);
	ctl_out("user show eve --json");
	assert_no_controls("user show --json", out);
	assert_non_null(strchr(out, '\n'));
	assert_string_equal(strchr(out, '\n'), "\n");	/* one line */
	assert_shown("user show --json", out);
}

static void
test_audit_table(void **state)
{
	static const char *const ok[] = { "ID ", "1", "2", "3", "4", "5",
					  "6", "7", "8", "9", NULL };

	(void)state;
	ctl_out("audit --limit 1000");
	assert_no_controls("audit", out);
	assert_lines("audit", out, ok);
	assert_shown("audit", out);
}

static void
test_audit_json(void **state)
{
	static const char *const ok[] = { "[{\"id\":", NULL };

	(void)state;
	ctl_out("audit --json --limit 1000");
	assert_no_controls("audit --json", out);
	/* One document, on one line. */
	assert_lines("audit --json", out, ok);
	assert_int_equal(out[strlen(out) - 2], ']');
	assert_shown("audit --json", out);
}

static void
test_locks(void **state)
{
	static const char *const ok[] = { "KIND ", "user ", "host ", NULL };

	(void)state;
	ctl_out("locks");
	assert_no_controls("locks", out);
	assert_lines("locks", out, ok);
	assert_non_null(strstr(out, "\nhost    "));
	assert_shown("locks", out);
	ctl_out("locks --json");
	assert_no_controls("locks --json", out);
}

static void
test_daemon_log(void **state)
{
	static const char *const ok[] = { "policyd[", NULL };
	char path[PATH_MAX + 64];
	FILE *fp;
	size_t n;

	(void)state;
	t_fmt(path, "%s", d.log);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	fclose(fp);
	out[n] = '\0';
	assert_true(n < sizeof(out) - 1);
	assert_no_controls("log", out);
	assert_lines("log", out, ok);
	assert_shown("log", out);
}

static void
write_services(char **argv)
{
	char dir[PATH_MAX], text[8 * PATH_MAX], m[2 * PATH_MAX];

	pamlib_service_dir(dir);
	pamlib_module(m, sizeof(m), "hostile");
	t_fmt(text, "auth required %s/pam_set_items.so\n"
		    "auth required %s nodelay\n",
	      PAM_WRAPPER_MODULES, m);
	write_service(dir, "hostile", text);
	pamlib_exec_wrapped(argv, dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_show),
		cmocka_unit_test(test_audit_table),
		cmocka_unit_test(test_audit_json),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_daemon_log),
	};

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL)
		write_services(argv);
	return cmocka_run_group_tests_name("hostile-text", tests, group_setup,
					   group_teardown);
}
