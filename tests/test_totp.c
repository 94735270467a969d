/*
 * test_totp.c - the second factor.
 *
 * RFC 6238's Appendix B vectors through policyd's verifier; then a real
 * policyd with codes from oathtool (an independent implementation),
 * through the real libpam under pam_wrapper: prompts that tell nothing,
 * replays, parallel sessions with one code, the window, recovery codes,
 * lockout, the sealed secret at rest and the key file's checks.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "pamlib.h"
#include "proto.h"
#include "testlib.h"
#include "totp.h"

#define PW "Kq7#vX2mPz9!"

static struct tdaemon d;

/* --- RFC 6238 Appendix B ------------------------------------------------ */

static void
test_rfc6238_vectors(void **state)
{
	static const struct {
		time_t t;
		const char *code[3];	/* SHA1, SHA256, SHA512 */
	} v[] = {
		{ 59, { "94287082", "46119246", "90693936" } },
		{ 1111111109, { "07081804", "68084774", "25091201" } },
		{ 1111111111, { "14050471", "67062674", "99943326" } },
		{ 1234567890, { "89005924", "91819424", "93441116" } },
		{ 2000000000, { "69279037", "90698825", "38618901" } },
		{ 20000000000, { "65353130", "77737706", "47863826" } },
	};
	static const char *const keys[3] = {
		"12345678901234567890",
		"12345678901234567890123456789012",
		"1234567890123456789012345678901234567890123456789012345678901234",
	};
	struct totp_params p = { .digits = 8, .period = 30, .window = 0 };
	uint64_t step;

	(void)state;
	assert_int_equal(totp_init(), 0);
	for (int a = 0; a < 3; a++) {
		p.algorithm = a;
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			assert_int_equal(totp_verify(&p,
						     (const uint8_t *)keys[a],
						     strlen(keys[a]),
						     v[i].code[a], v[i].t,
						     &step), 1);
			assert_int_equal(step, (uint64_t)(v[i].t / 30));
		}
		/* One off in the last digit is refused. */
		assert_int_equal(totp_verify(&p, (const uint8_t *)keys[a],
					     strlen(keys[a]), "94287083", 59,
					     &step), 0);
	}
	/* Wrong length or not digits: refused without computing. */
	p.algorithm = TOTP_SHA1;
	assert_int_equal(totp_verify(&p, (const uint8_t *)keys[0], 20,
				     "9428708", 59, &step), 0);
	assert_int_equal(totp_verify(&p, (const uint8_t *)keys[0], 20,
				     "9428708x", 59, &step), 0);
}

/* --- A real daemon ------------------------------------------------------ */

/* Waits until the current step has at least 5 seconds left, so that a
 * code computed now is still current when the daemon checks it. */
static void
steady(void)
{
	while (time(NULL) % 30 > 24)
		usleep(200000);
}

/* A code from oathtool for the secret, `offset` seconds from now. */
static void
oath(const char *secret, int offset, char out[16])
{
	char cmd[256];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "oathtool --totp -b -N 'now %+d seconds' "
		 "%s", offset, secret);
	fp = t_popen(cmd);
	assert_non_null(fp);
	assert_non_null(fgets(out, 16, fp));
	out[strcspn(out, "\n")] = '\0';
	pclose(fp);
}

/* Adds name and enrols it; its base32 secret in secret (64 bytes), its
 * recovery codes in the buffer `codes` if not NULL. */
static void
enrol(const char *name, char secret[64], char *codes, size_t codes_sz)
{
	char args[128], out[8192], *p, code[16], input[32];

	assert_int_equal(td_add_user(&d, name, PW), 0);
	snprintf(args, sizeof(args), "totp enroll %s", name);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0, args),
			 0);
	p = strstr(out, "by hand: ");
	assert_non_null(p);
	sscanf(p + 9, "%63s", secret);
	steady();
	oath(secret, 0, code);
	snprintf(input, sizeof(input), "%s\n", code);
	snprintf(args, sizeof(args), "totp confirm %s", name);
	assert_int_equal(td_ctl(&d, input, out, sizeof(out), NULL, 0, args),
			 0);
	if (codes != NULL)
		snprintf(codes, codes_sz, "%s", out);
}

static int
login(const char *user, const char *pw, const char *code, struct conv *c)
{
	memset(c, 0, sizeof(*c));
	c->answers[0] = pw;
	c->answers[1] = code;
	return pam_run("totp", user, c, PAMTEST_AUTHENTICATE, -1);
}

static void
assert_prompts(const struct conv *c, int n)
{
	assert_int_equal(c->nprompts, n);
	assert_string_equal(c->prompts[0], "Password: ");
	if (n > 1)
		assert_string_equal(c->prompts[1], "Verification code: ");
}

static void
test_both_factors(void **state)
{
	char secret[64], code[16];
	struct conv c;

	(void)state;
	enrol("alice", secret, NULL, 0);
	steady();
	oath(secret, 30, code);	/* the next step: the current one is used */
	assert_int_equal(login("alice", PW, code, &c), PAM_SUCCESS);
	assert_prompts(&c, 2);
	conv_free(&c);
	/* The same code again: a replay. */
	assert_int_equal(login("alice", PW, code, &c), PAM_AUTH_ERR);
	assert_prompts(&c, 2);
	conv_free(&c);
}

/* Right password and wrong code, wrong password and right code, unknown
 * user: the same failure, the same prompts, no message. */
static void
test_no_oracle(void **state)
{
	char secret[64], code[16];
	struct conv c;

	(void)state;
	enrol("bob", secret, NULL, 0);
	steady();
	oath(secret, 30, code);
	assert_int_equal(login("bob", PW, "000000", &c), PAM_AUTH_ERR);
	assert_prompts(&c, 2);
	assert_int_equal(c.nerrors + c.ninfos, 0);
	conv_free(&c);
	assert_int_equal(login("bob", "Wrong-Pass-123", code, &c),
			 PAM_AUTH_ERR);
	assert_prompts(&c, 2);
	assert_int_equal(c.nerrors + c.ninfos, 0);
	conv_free(&c);
	assert_int_equal(login("nosuchuser", PW, code, &c), PAM_AUTH_ERR);
	assert_prompts(&c, 2);
	conv_free(&c);
	/* The code was not used up by the failures: it still works. */
	assert_int_equal(login("bob", PW, code, &c), PAM_SUCCESS);
	conv_free(&c);
	/* Not enrolled, required = enrolled, right password: no code. */
	assert_int_equal(td_ctl(&d, PW "\n", NULL, 0, NULL, 0,
				"user add plain --password-stdin"), 0);
	assert_int_equal(login("plain", PW, NULL, &c), PAM_SUCCESS);
	assert_prompts(&c, 1);
	conv_free(&c);
	assert_int_equal(login("plain", "Wrong-Pass-123", "123456", &c),
			 PAM_AUTH_ERR);
	assert_prompts(&c, 2);
	conv_free(&c);
}

static void
test_window(void **state)
{
	char early[64], late[64], far[64], code[16];
	struct conv c;

	(void)state;
	enrol("early", early, NULL, 0);
	enrol("late", late, NULL, 0);
	enrol("far", far, NULL, 0);
	steady();
	oath(far, 60, code);
	assert_int_equal(login("far", PW, code, &c), PAM_AUTH_ERR);
	conv_free(&c);
	oath(far, -60, code);
	assert_int_equal(login("far", PW, code, &c), PAM_AUTH_ERR);
	conv_free(&c);
	oath(late, 30, code);
	assert_int_equal(login("late", PW, code, &c), PAM_SUCCESS);
	conv_free(&c);
	/* One step early (a slow clock on the phone).  Confirming used the
	 * current step, which makes every older one a replay; forget it. */
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s \"UPDATE totp SET last_step = -1 "
			      "WHERE user_id = (SELECT id FROM users WHERE "
			      "name = 'early')\"", d.db), 0);
	oath(early, -30, code);
	assert_int_equal(login("early", PW, code, &c), PAM_SUCCESS);
	conv_free(&c);
}

struct race {
	char code[16];
	uint8_t token[16];
	int status;
};

static int
wire_auth(const char *user, uint8_t token[16])
{
	uint8_t req[256], rep[256];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	struct wfield f;
	char err[256];
	int status = -1;

	if (client_open(&c, d.pam_sock, 10000, err, sizeof(err)) != 0)
		return -1;
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, PROTO_AUTH);
	wire_put_str(&w, PROTO_T_USER, user);
	wire_put_str(&w, PROTO_T_PASSWORD, PW);
	if (client_call(&c, &w, rep, sizeof(rep), &m) == CLIENT_OK) {
		status = m.status;
		if (wire_find(&m, PROTO_T_TOKEN, &f) == 0 && f.len == 16)
			memcpy(token, f.val, 16);
	}
	client_close(&c);
	return status;
}

static void *
send_code(void *arg)
{
	struct race *r = arg;
	uint8_t req[256], rep[256];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	char err[256];

	r->status = -1;
	if (client_open(&c, d.pam_sock, 10000, err, sizeof(err)) != 0)
		return NULL;
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, PROTO_CODE);
	wire_put_str(&w, PROTO_T_USER, "racer");
	wire_put_bytes(&w, PROTO_T_TOKEN, r->token, 16);
	wire_put_str(&w, PROTO_T_CODE, r->code);
	if (client_call(&c, &w, rep, sizeof(rep), &m) == CLIENT_OK)
		r->status = m.status;
	client_close(&c);
	return NULL;
}

/* Two sessions, one code, at the same moment: exactly one gets in. */
static void
test_parallel_sessions_one_code(void **state)
{
	char secret[64], code[16];
	struct race r[2];
	pthread_t tid[2];

	(void)state;
	enrol("racer", secret, NULL, 0);
	steady();
	oath(secret, 30, code);
	for (int i = 0; i < 2; i++) {
		snprintf(r[i].code, sizeof(r[i].code), "%s", code);
		assert_int_equal(wire_auth("racer", r[i].token),
				 PROTO_NEED_CODE);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&tid[i], NULL, send_code, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	assert_int_equal((r[0].status == PROTO_OK) + (r[1].status == PROTO_OK),
			 1);
	assert_int_equal((r[0].status == PROTO_DENIED) +
				 (r[1].status == PROTO_DENIED), 1);
}

static int
count_in(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_recovery_code(void **state)
{
	char secret[64], codes[8192], rc[32], out[4096];
	struct conv c;
	char *p;

	(void)state;
	enrol("lost", secret, codes, sizeof(codes));
	p = strstr(codes, "shown only now):\n");
	assert_non_null(p);
	sscanf(p + 17, " %31s", rc);
	assert_int_equal(strlen(rc), 19);
	assert_int_equal(login("lost", PW, rc, &c), PAM_SUCCESS);
	assert_int_equal(c.ninfos >= 1, 1);
	assert_non_null(strstr(c.infos[c.ninfos - 1], "9 left"));
	conv_free(&c);
	/* Lower case and without dashes is the same code: used already. */
	assert_int_equal(login("lost", PW, rc, &c), PAM_AUTH_ERR);
	conv_free(&c);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"user show lost"), 0);
	assert_non_null(strstr(out, "totp:             enrolled (9 recovery"));
	/* A new set revokes the old one. */
	p = strstr(codes, rc) + strlen(rc);
	sscanf(p, " %31s", rc);
	assert_int_equal(td_ctl(&d, NULL, codes, sizeof(codes), NULL, 0,
				"totp recovery lost"), 0);
	assert_non_null(strstr(codes, "shown only now"));
	assert_int_equal(login("lost", PW, rc, &c), PAM_AUTH_ERR);
	conv_free(&c);
	p = strstr(codes, "shown only now):\n");
	sscanf(p + 17, " %31s", rc);
	assert_int_equal(login("lost", PW, rc, &c), PAM_SUCCESS);
	assert_non_null(strstr(c.infos[c.ninfos - 1], "9 left"));
	conv_free(&c);
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
				"totp recovery plain"), 1);
	/* The trail: one record per step, never a code. */
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"audit --json --user lost --limit 1000"), 0);
	assert_int_equal(count_in(out, "\"event\":\"totp-enroll\""), 1);
	assert_int_equal(count_in(out, "\"event\":\"totp-confirm\""), 1);
	assert_int_equal(count_in(out, "\"event\":\"totp-recovery-used\""),
			 2);
	assert_int_equal(count_in(out, "\"event\":\"totp-recovery-codes\""),
			 2);
	assert_int_equal(count_in(out, "\"reason\":\"recovery code\""), 2);
	assert_null(strstr(out, rc));
}

/* A disabled account is told so only after both factors. */
static void
test_disabled_after_both(void **state)
{
	char secret[64], code[16];
	struct conv c;

	(void)state;
	enrol("gone", secret, NULL, 0);
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
				"user disable gone"), 0);
	assert_int_equal(login("gone", PW, "000000", &c), PAM_AUTH_ERR);
	assert_prompts(&c, 2);
	assert_int_equal(c.nerrors, 0);
	conv_free(&c);
	steady();
	oath(secret, 30, code);
	assert_int_equal(login("gone", PW, code, &c), PAM_AUTH_ERR);
	assert_int_equal(c.nerrors, 1);
	assert_non_null(strstr(c.errors[0], "disabled"));
	conv_free(&c);
}

static void
test_wrong_codes_lock(void **state)
{
	char secret[64], code[16];
	struct conv c;

	(void)state;
	enrol("guessed", secret, NULL, 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(login("guessed", PW, "123456", &c),
				 PAM_AUTH_ERR);
		conv_free(&c);
	}
	steady();
	oath(secret, 30, code);
	assert_int_equal(login("guessed", PW, code, &c), PAM_AUTH_ERR);
	assert_int_equal(c.nerrors, 1);
	assert_non_null(strstr(c.errors[0], "Account locked"));
	conv_free(&c);
}

/* The secret is not in the file, in any form; a sealed secret copied to
 * another user's row does not open. */
static void
test_sealed_at_rest(void **state)
{
	char secret[64], other[64], code[16];
	struct conv c;

	(void)state;
	enrol("carol", secret, NULL, 0);
	enrol("dave", other, NULL, 0);
	assert_int_not_equal(t_sh("grep -c %s %s* > /dev/null", secret, d.db),
			     0);
	/* The raw bytes, as hex (grep -f would take each line of binary
	 * as a pattern of its own). */
	assert_int_equal(t_sh("raw=$(printf %s | base32 -d 2>/dev/null | "
			      "od -An -tx1 -v | tr -d ' \\n'); "
			      "test -n \"$raw\" && ! od -An -tx1 -v %s | "
			      "tr -d ' \\n' | grep -q \"$raw\"", secret,
			      d.db), 0);
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s \"UPDATE totp SET sealed = "
			      "(SELECT sealed FROM totp t JOIN users u ON "
			      "u.id = t.user_id WHERE u.name = 'carol'), "
			      "last_step = -1 WHERE user_id = (SELECT id FROM "
			      "users WHERE name = 'dave')\"", d.db), 0);
	steady();
	oath(secret, 30, code);
	assert_int_equal(login("dave", PW, code, &c), PAM_AUTH_ERR);
	conv_free(&c);
	assert_true(td_log_has(&d, "does not open"));
}

static void
test_key_file_checked(void **state)
{
	char key[PATH_MAX + 16];

	(void)state;
	snprintf(key, sizeof(key), "%s/totp.key", d.dir);
	assert_int_equal(td_stop(&d), 0);
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_not_equal(td_start(&d), 0);
	assert_true(td_log_has(&d, "0644"));
	assert_int_equal(chmod(key, 0400), 0);
	assert_int_equal(t_sh("mv %s %s.real && ln -s %s.real %s", key, key,
			      key, key), 0);
	assert_int_not_equal(td_start(&d), 0);
	assert_true(td_log_has(&d, "symbolic link"));
	assert_int_equal(t_sh("rm %s && mv %s.real %s", key, key, key), 0);
	assert_int_equal(td_start(&d), 0);
}

static void
restart_with(const char *extra)
{
	assert_int_equal(td_restart(&d, extra), 0);
}

/* required = all: a user without TOTP is asked and refused, and told
 * nothing more than after a wrong password (that would say the password
 * was right); with enroll_grace they get in and are told. */
static void
test_required_all_and_grace(void **state)
{
	struct conv c;

	(void)state;
	restart_with("[totp]\nrequired = all\n");
	assert_int_equal(td_ctl(&d, PW "\n", NULL, 0, NULL, 0,
				"user add nophone --password-stdin"), 0);
	assert_int_equal(login("nophone", PW, "123456", &c), PAM_AUTH_ERR);
	assert_prompts(&c, 2);
	assert_int_equal(c.nerrors, 0);
	conv_free(&c);
	assert_int_equal(login("nophone", "Wrong-Pass-123", "123456", &c),
			 PAM_AUTH_ERR);
	assert_prompts(&c, 2);
	assert_int_equal(c.nerrors, 0);
	conv_free(&c);
	restart_with("[totp]\nrequired = all\nenroll_grace = 3d\n");
	assert_int_equal(login("nophone", PW, NULL, &c), PAM_SUCCESS);
	assert_prompts(&c, 1);
	assert_true(c.ninfos >= 1 &&
		    strstr(c.infos[c.ninfos - 1], "within 3 days") != NULL);
	conv_free(&c);
	restart_with("[totp]\nrequired = off\n");
	assert_int_equal(login("nophone", "Wrong-Pass-123", NULL, &c),
			 PAM_AUTH_ERR);
	assert_prompts(&c, 1);
	conv_free(&c);
}

/* totp_only, after a stand-in for pam_unix: only the code is asked. */
static void
test_totp_only(void **state)
{
	char secret[64], code[16];
	struct conv c;

	(void)state;
	enrol("coded", secret, NULL, 0);
	memset(&c, 0, sizeof(c));
	c.answers[0] = "000000";
	assert_int_equal(pam_run("totp_only", "coded", &c,
				 PAMTEST_AUTHENTICATE, -1), PAM_AUTH_ERR);
	assert_int_equal(c.nprompts, 1);
	assert_string_equal(c.prompts[0], "Verification code: ");
	conv_free(&c);
	steady();
	oath(secret, 30, code);
	memset(&c, 0, sizeof(c));
	c.answers[0] = code;
	assert_int_equal(pam_run("totp_only", "coded", &c,
				 PAMTEST_AUTHENTICATE, -1), PAM_SUCCESS);
	conv_free(&c);
	/* No TOTP and none required: nothing for policyd to check, so no
	 * prompt and PAM_IGNORE: the password module above decides (here
	 * pam_permit; test_pam has the stack with this line alone). */
	memset(&c, 0, sizeof(c));
	assert_int_equal(pam_run("totp_only", "plain", &c,
				 PAMTEST_AUTHENTICATE, -1), PAM_SUCCESS);
	assert_int_equal(c.nprompts, 0);
	conv_free(&c);
}

static long
store_count(const char *query)
{
	return td_sql(&d, query);
}

/* totp_only cannot know whether the password module above passed: a
 * right code gives back its own attempt, never the account's earlier
 * failures (else wrong passwords, then one right code, forever). */
static void
test_totp_only_keeps_failures(void **state)
{
	char secret[64], code[16];
	struct conv c;

	(void)state;
	enrol("stacked", secret, NULL, 0);
	for (int i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		c.answers[0] = "000000";
		assert_int_equal(pam_run("totp_only", "stacked", &c,
					 PAMTEST_AUTHENTICATE, -1),
				 PAM_AUTH_ERR);
		conv_free(&c);
	}
	assert_int_equal(store_count("SELECT count(*) FROM failures WHERE "
				     "kind = 'u' AND key = 'stacked'"), 3);
	steady();
	oath(secret, 30, code);
	memset(&c, 0, sizeof(c));
	c.answers[0] = code;
	assert_int_equal(pam_run("totp_only", "stacked", &c,
				 PAMTEST_AUTHENTICATE, -1), PAM_SUCCESS);
	conv_free(&c);
	assert_int_equal(store_count("SELECT count(*) FROM failures WHERE "
				     "kind = 'u' AND key = 'stacked'"), 3);
	assert_int_equal(store_count("SELECT count(*) FROM audit WHERE "
				     "user = 'stacked' AND event = 'auth' AND "
				     "result = 'ok' AND reason = 'totp'"), 1);
}

/* policyctl as nobody: input on stdin, stdout into out.  Its status. */
static int
ctl_as_nobody(const char *input, char *out, size_t outsz, const char *args)
{
	char in[PATH_MAX + 16], outp[PATH_MAX + 16];
	FILE *fp;
	size_t n;
	int rc;

	snprintf(in, sizeof(in), "%s/self.in", d.dir);
	snprintf(outp, sizeof(outp), "%s/self.out", d.dir);
	fp = fopen(in, "w");
	assert_non_null(fp);
	fputs(input, fp);
	fclose(fp);
	chmod(in, 0644);
	rc = t_sh("setpriv --reuid=65534 --regid=65534 --clear-groups "
		  "%s/policyctl -S %s %s < %s > %s 2>&1", t_build(), d.run,
		  args, in, outp);
	fp = fopen(outp, "r");
	assert_non_null(fp);
	n = fread(out, 1, outsz - 1, fp);
	out[n] = '\0';
	fclose(fp);
	unlink(in);
	unlink(outp);
	return rc;
}

/* A user enrols, confirms and resets their own TOTP with their password
 * (and, to remove it, a code), over pam.sock. */
static void
test_self_service(void **state)
{
	char out[8192], secret[64], code[16], input[128], *p;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(td_ctl(&d, PW "\n", NULL, 0, NULL, 0,
				"user add nobody --password-stdin"), 0);
	assert_int_equal(ctl_as_nobody("Wrong-Pass-123\n", out, sizeof(out),
				       "self totp enroll --password-stdin"), 1);
	assert_int_equal(ctl_as_nobody(PW "\n", out, sizeof(out),
				       "self totp enroll --password-stdin"), 0);
	p = strstr(out, "by hand: ");
	assert_non_null(p);
	sscanf(p + 9, "%63s", secret);
	steady();
	oath(secret, 0, code);
	snprintf(input, sizeof(input), "%s\n%s\n", PW, code);
	assert_int_equal(ctl_as_nobody(input, out, sizeof(out),
				       "self totp confirm --password-stdin"),
			 0);
	assert_non_null(strstr(out, "Recovery codes"));
	/* A new phone: the password alone cannot replace the factor. */
	assert_int_equal(ctl_as_nobody(PW "\n", out, sizeof(out),
				       "self totp enroll --password-stdin"), 1);
	snprintf(input, sizeof(input), "%s\n000000\n", PW);
	assert_int_equal(ctl_as_nobody(input, out, sizeof(out),
				       "self totp enroll --replace "
				       "--password-stdin"), 1);
	/* Removing it takes a right code too. */
	snprintf(input, sizeof(input), "%s\n000000\n", PW);
	assert_int_equal(ctl_as_nobody(input, out, sizeof(out),
				       "self totp reset --password-stdin"), 1);
	/* Each wrong current code is counted and recorded, and the right
	 * passwords with them cleared nothing. */
	assert_true(store_count("SELECT count(*) FROM audit WHERE user = "
				"'nobody' AND event = 'auth' AND result = "
				"'fail' AND reason = 'current code'") >= 2);
	assert_true(store_count("SELECT count(*) FROM failures WHERE kind = "
				"'u' AND key = 'nobody'") >= 3);
	oath(secret, 30, code);
	snprintf(input, sizeof(input), "%s\n%s\n", PW, code);
	assert_int_equal(ctl_as_nobody(input, out, sizeof(out),
				       "self totp reset --password-stdin"), 0);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"user show nobody"), 0);
	assert_non_null(strstr(out, "totp:             none"));
}

static int
group_setup(void **state)
{
	(void)state;
	return td_start_in(&d, "totp", "[totp]\nrequired = enrolled\n");
}

static int
group_teardown(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

static void
write_services(char **argv)
{
	char dir[PATH_MAX], text[8 * PATH_MAX];

	t_fmt(dir, "%s/pam.d", t_dir());
	t_sh("mkdir -p %s", dir);
	write_service(dir, "other", "auth required pam_deny.so\n");
	t_fmt(text, "auth required %s/pam_policyd.so socket=%s/totp/run/"
		    "pam.sock nodelay\n", t_build(), t_dir());
	write_service(dir, "totp", text);
	t_fmt(text, "auth required pam_permit.so\n"
		    "auth required %s/pam_policyd.so socket=%s/totp/run/"
		    "pam.sock nodelay totp_only\n", t_build(), t_dir());
	write_service(dir, "totp_only", text);
	pamlib_exec_wrapped(argv, dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_rfc6238_vectors),
	};
	const struct CMUnitTest daemon_tests[] = {
		cmocka_unit_test(test_both_factors),
		cmocka_unit_test(test_no_oracle),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_parallel_sessions_one_code),
		cmocka_unit_test(test_totp_only),
		cmocka_unit_test(test_totp_only_keeps_failures),
		cmocka_unit_test(test_self_service),
		cmocka_unit_test(test_recovery_code),
		cmocka_unit_test(test_disabled_after_both),
		cmocka_unit_test(test_wrong_codes_lock),
		cmocka_unit_test(test_sealed_at_rest),
		cmocka_unit_test(test_key_file_checked),
		cmocka_unit_test(test_required_all_and_grace),
	};
	int failed;

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL)
		write_services(argv);
	failed = cmocka_run_group_tests_name("totp-rfc6238", pure, NULL, NULL);
	failed += cmocka_run_group_tests_name("totp", daemon_tests,
					      group_setup, group_teardown);
	return failed;
}
