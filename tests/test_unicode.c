/*
 * test_unicode.c - passwords are compared in their NFKC form: through the
 * real libpam (pam_authenticate, pam_chauthtok under pam_wrapper), through
 * policyctl, and in raw requests, against a real policyd.  One password
 * typed precomposed ("é", U+00E9) or decomposed ("e" + U+0301), or in
 * fullwidth letters, is one password for logins, the history and the
 * rules.
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

#include "client.h"
#include "pamlib.h"
#include "proto.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"

/* One password, precomposed (NFC) and decomposed (NFD). */
#define A_NFC "Rt5%bM\xc3\xa9" "9xKp3&"
#define A_NFD "Rt5%bMe\xcc\x81" "9xKp3&"
#define B_NFC "Jw2@c\xc3\xb1v7Yq4$"	/* "ñ" */
#define B_NFD "Jw2@cn\xcc\x83v7Yq4$"
#define C_NFC "Lp8^d\xc3\x9f\xc3\xb6s3Wz6*"	/* "ö" */
#define C_NFD "Lp8^d\xc3\x9fo\xcc\x88s3Wz6*"

static struct tdaemon d;

static int
chpw(const char *user, int flags, struct conv *c, ...)
{
	va_list ap;
	int rv;

	va_start(ap, c);
	rv = pamlib_chauthtok("uni", user, flags, c, ap);
	va_end(ap);
	return rv;
}

/* Root sets user's password through pam_chauthtok (PROTO_CHPASS with
 * the new password only); the first error shown goes to why. */
static int
root_sets(const char *user, const char *pw, char *why, size_t n)
{
	struct conv c;
	int rv = chpw(user, 0, &c, pw, pw, NULL);

	snprintf(why, n, "%s", c.nerrors > 0 ? c.errors[0] : "");
	conv_free(&c);
	return rv;
}

static void
assert_sets(const char *user, const char *pw)
{
	char why[256];

	if (root_sets(user, pw, why, sizeof(why)) != PAM_SUCCESS)
		fail_msg("'%s' refused: %s", pw, why);
}

static void
assert_refused(const char *user, const char *pw, const char *text)
{
	char why[256];

	assert_int_equal(root_sets(user, pw, why, sizeof(why)),
			 PAM_AUTHTOK_ERR);
	if (strstr(why, text) == NULL)
		fail_msg("'%s' refused with '%s', not '%s'", pw, why, text);
}

static int
login(const char *user, const char *pw)
{
	return pamlib_login("uni", user, pw);
}

static void
add_user(const char *name)
{
	assert_int_equal(td_add_user(&d, name, PW), 0);
}

/* ASCII printable text in fullwidth forms (U+FF01..U+FF5E), into out. */
static void
fullwidth(const char *ascii, char *out, size_t n)
{
	size_t o = 0;

	for (; *ascii != '\0'; ascii++) {
		unsigned cp = 0xff01u + (unsigned)(*ascii - '!');

		assert_true(*ascii > ' ' && *ascii < 0x7f && o + 4 <= n);
		out[o++] = (char)(0xe0 | (cp >> 12));
		out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[o++] = (char)(0x80 | (cp & 0x3f));
	}
	out[o] = '\0';
}

/* A raw PROTO_PWCHECK on admin.sock: the status, and whether one of the
 * reasons is want. */
static int
pwcheck(const char *user, const char *pw, uint32_t want, int *has)
{
	static uint8_t req[PROTO_MAX_SECRET + 512], rep[PROTO_MAX_FRAME];
	struct pclient c;
	struct wwriter w;
	struct wreader r;
	struct wfield f;
	struct wmsg m;
	char err[512];
	uint32_t v;

	*has = 0;
	if (client_open(&c, d.admin_sock, 10000, err, sizeof(err)) != 0)
		return -1;
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, PROTO_PWCHECK);
	wire_put_str(&w, PROTO_T_USER, user);
	wire_put_str(&w, PROTO_T_PASSWORD, pw);
	if (client_call(&c, &w, rep, sizeof(rep), &m) != CLIENT_OK) {
		client_close(&c);
		return -1;
	}
	client_close(&c);
	for (r = m.fields; wire_next(&r, &f) == 1;)
		if (f.tag == PROTO_T_REASON && wire_u32(&f, &v) == 0 &&
		    v == want)
			*has = 1;
	return m.status;
}

static int
group_setup(void **state)
{
	(void)state;
	return td_start_in(&d, "unicode", "history = 3\n");
}

static int
group_teardown(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

static void
test_set_nfc_login_nfd(void **state)
{
	(void)state;
	add_user("nfc");
	assert_sets("nfc", A_NFC);
	assert_int_equal(login("nfc", A_NFD), PAM_SUCCESS);
	assert_int_equal(login("nfc", A_NFC), PAM_SUCCESS);
}

static void
test_set_nfd_login_nfc(void **state)
{
	(void)state;
	add_user("nfd");
	assert_sets("nfd", A_NFD);
	assert_int_equal(login("nfd", A_NFC), PAM_SUCCESS);
	/* policyctl's verbs take the same path. */
	assert_int_equal(td_ctl(&d, B_NFD "\n", NULL, 0, NULL, 0,
				"passwd nfd --password-stdin"), 0);
	assert_int_equal(login("nfd", B_NFC), PAM_SUCCESS);
	assert_int_equal(login("nfd", A_NFC), PAM_AUTH_ERR);
}

/* The decomposed form of a password in the history is that password. */
static void
test_history_nfd_reused(void **state)
{
	char err[1024];

	(void)state;
	add_user("hist");
	assert_sets("hist", A_NFC);
	assert_sets("hist", B_NFC);
	assert_sets("hist", C_NFD);
	assert_refused("hist", A_NFD, "used before");
	assert_refused("hist", B_NFD, "used before");
	assert_refused("hist", C_NFC, "used before");	/* the current one */
	assert_int_equal(td_ctl(&d, A_NFD "\n", NULL, 0, err, sizeof(err),
				"password check hist"), 1);
	assert_non_null(strstr(err, "used before"));
}

/* A user's own change: the current password typed decomposed. */
static void
test_change_with_current_nfd(void **state)
{
	struct conv c;

	(void)state;
	add_user("self");
	assert_sets("self", A_NFC);
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
				"passwd self --expire"), 0);
	assert_int_equal(chpw("self", PAM_CHANGE_EXPIRED_AUTHTOK, &c, A_NFD,
			      B_NFD, B_NFD, NULL), PAM_SUCCESS);
	conv_free(&c);
	assert_int_equal(login("self", B_NFC), PAM_SUCCESS);
}

/* NFKC folds compatibility forms: fullwidth "Ｋｑ７" is "Kq7". */
static void
test_fullwidth_is_ascii(void **state)
{
	char wide[3 * sizeof(PW) + 1], other[64];

	(void)state;
	add_user("wide");
	fullwidth("Mx9&gH2kVr5!", wide, sizeof(wide));
	assert_sets("wide", wide);
	assert_int_equal(login("wide", "Mx9&gH2kVr5!"), PAM_SUCCESS);
	assert_int_equal(login("wide", wide), PAM_SUCCESS);
	assert_refused("wide", "Mx9&gH2kVr5!", "used before");
	fullwidth(PW, other, sizeof(other));
	assert_refused("wide", other, "used before");	/* the first one */
}

/* Length is counted on the NFKC form: the ligature "ﬃ" is 3 letters, so
 * these 10 characters are 12. */
static void
test_length_after_nfkc(void **state)
{
	(void)state;
	add_user("lig");
	assert_sets("lig", "Kq7#\xef\xac\x83vXmP2");
	assert_int_equal(login("lig", "Kq7#ffivXmP2"), PAM_SUCCESS);
}

/* U+FDFA (3 bytes) becomes 18 characters (33 bytes): 130 of them are 390
 * bytes that grow past PROTO_MAX_SECRET, and are refused as too long. */
static void
test_too_long_after_nfkc(void **state)
{
	char pw[3 * 130 + 1];
	int has;

	(void)state;
	for (int i = 0; i < 130; i++)
		memcpy(pw + 3 * i, "\xef\xb7\xba", 3);
	pw[sizeof(pw) - 1] = '\0';
	add_user("long");
	assert_int_equal(pwcheck("long", pw, PROTO_R_TOO_LONG, &has),
			 PROTO_POLICY);
	assert_true(has);
	assert_refused("long", pw, "too long");
	assert_int_equal(login("long", pw), PAM_AUTH_ERR);
	assert_int_equal(login("long", PW), PAM_SUCCESS);
}

/* Text that is not UTF-8 is not normalised: a login with it is one wrong
 * password, and the connection and the account carry on. */
static void
test_invalid_utf8_login(void **state)
{
	(void)state;
	add_user("bad");
	assert_int_equal(login("bad", "Kq7#vX2m\xff\xfePz9!"), PAM_AUTH_ERR);
	assert_int_equal(login("bad", "Kq7#vX2m\xc3Pz9!"), PAM_AUTH_ERR);
	assert_int_equal(login("bad", PW), PAM_SUCCESS);
}

static void
write_services(char **argv)
{
	char dir[PATH_MAX];

	pamlib_service_dir(dir);
	pamlib_full_stack(dir, "uni", "unicode");
	pamlib_exec_wrapped(argv, dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_nfc_login_nfd),
		cmocka_unit_test(test_set_nfd_login_nfc),
		cmocka_unit_test(test_history_nfd_reused),
		cmocka_unit_test(test_change_with_current_nfd),
		cmocka_unit_test(test_fullwidth_is_ascii),
		cmocka_unit_test(test_length_after_nfkc),
		cmocka_unit_test(test_too_long_after_nfkc),
		cmocka_unit_test(test_invalid_utf8_login),
	};

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL)
		write_services(argv);
	return cmocka_run_group_tests_name("unicode", tests, group_setup,
					   group_teardown);
}
