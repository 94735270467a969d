/*
 * test_pam.c - pam_policyd.so's auth and account phases through the real
 * libpam, under pam_wrapper and libpamtest, against a real policyd on a
 * private socket and store; and against fake daemons that hang, answer
 * garbage, or are not the daemon at all.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "proto.h"
#include "pamlib.h"
#include "testlib.h"

#define PW "Staff-login-2026"

static struct tdaemon d;

static int
auth(const char *service, const char *user, const char *pw, struct conv *c)
{
	memset(c, 0, sizeof(*c));
	c->answers[0] = pw;
	return pam_run(service, user, c, PAMTEST_AUTHENTICATE, -1);
}

static int
account(const char *user, struct conv *c)
{
	memset(c, 0, sizeof(*c));
	return pam_run("policyd", user, c, PAMTEST_ACCOUNT, -1);
}

static void
add_user(const char *name, const char *pw)
{
	assert_int_equal(td_add_user(&d, name, pw), 0);
}

static int
start_daemon(void **state)
{
	(void)state;
	if (d.pid == 0 && td_start(&d) != 0)
		return -1;
	return 0;
}

static int
group_setup(void **state)
{
	char dir[PATH_MAX];

	t_fmt(dir, "%s/pam", t_dir());
	td_init(&d, dir, NULL);
	if (start_daemon(state) != 0)
		return -1;
	add_user("alice", PW);
	add_user("dora", PW);
	return td_ctl(&d, NULL, NULL, 0, NULL, 0, "user disable dora");
}

static int
group_teardown(void **state)
{
	(void)state;
	return d.pid == 0 || td_stop(&d) == 0 ? 0 : -1;
}

static void
test_right_password(void **state)
{
	struct conv c;

	(void)state;
	assert_int_equal(auth("policyd", "alice", PW, &c), PAM_SUCCESS);
	assert_int_equal(c.nprompts, 1);
	assert_string_equal(c.prompts[0], "Password: ");
	assert_int_equal(c.nerrors, 0);
	conv_free(&c);
	assert_int_equal(account("alice", &c), PAM_SUCCESS);
	conv_free(&c);
}

/* Wrong password and unknown user: the same code, prompts and silence. */
static void
test_wrong_password_and_unknown_user(void **state)
{
	const char *users[] = { "alice", "mallory", "x-very-long-name-"
		"that-no-account-could-ever-have-because-it-is-over-32" };
	struct conv c;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(auth("policyd", users[i],
				      i == 0 ? "not-the-password" : PW, &c),
				 PAM_AUTH_ERR);
		assert_int_equal(c.nprompts, 1);
		assert_string_equal(c.prompts[0], "Password: ");
		assert_int_equal(c.nerrors + c.ninfos, 0);
		conv_free(&c);
	}
	assert_int_equal(account("mallory", &c), PAM_USER_UNKNOWN);
	conv_free(&c);
}

static void
test_disabled_user(void **state)
{
	struct conv c;

	(void)state;
	/* Right password: told, after the factor was checked. */
	assert_int_equal(auth("policyd", "dora", PW, &c), PAM_AUTH_ERR);
	assert_int_equal(c.nerrors, 1);
	assert_non_null(strstr(c.errors[0], "disabled"));
	conv_free(&c);
	/* Wrong password: nothing told. */
	assert_int_equal(auth("policyd", "dora", "guess", &c), PAM_AUTH_ERR);
	assert_int_equal(c.nerrors, 0);
	conv_free(&c);
	assert_int_equal(account("dora", &c), PAM_ACCT_EXPIRED);
	assert_int_equal(c.nerrors, 1);
	assert_non_null(strstr(c.errors[0], "disabled"));
	conv_free(&c);
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
				"user enable dora"), 0);
	assert_int_equal(account("dora", &c), PAM_SUCCESS);
	conv_free(&c);
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
				"user disable dora"), 0);
}

/* pam_set_items (above) hands PAM_AUTHTOK down: no prompt. */
static void
test_use_first_pass(void **state)
{
	struct conv c;

	(void)state;
	setenv("PAM_AUTHTOK", PW, 1);
	assert_int_equal(auth("policyd_first", "alice", NULL, &c),
			 PAM_SUCCESS);
	assert_int_equal(c.nprompts, 0);
	conv_free(&c);
	setenv("PAM_AUTHTOK", "wrong-one", 1);
	assert_int_equal(auth("policyd_first", "alice", NULL, &c),
			 PAM_AUTH_ERR);
	assert_int_equal(c.nprompts, 0);
	conv_free(&c);
	/* No token from above: use_first_pass fails without asking. */
	unsetenv("PAM_AUTHTOK");
	assert_int_equal(auth("policyd_first", "alice", PW, &c),
			 PAM_AUTH_ERR);
	assert_int_equal(c.nprompts, 0);
	conv_free(&c);
	/* try_first_pass asks when there is none. */
	assert_int_equal(auth("policyd_try", "alice", PW, &c), PAM_SUCCESS);
	assert_int_equal(c.nprompts, 1);
	conv_free(&c);
}

/* PAM_AUTHTOK as pam_get_items, stacked below, exports it; or NULL. */
static char *
authtok_below(const char *pw)
{
	struct pam_testcase tc[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_GETENVLIST, PAM_SUCCESS),
	};
	struct conv c = { .answers = { pw } };
	char *found = NULL;

	_pamtest_conv("policyd_items", "alice", conv_fn, &c, tc, 2, NULL);
	for (char **e = tc[1].case_out.envlist; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "PAM_AUTHTOK=", 12) == 0)
			found = strdup(*e + 12);
	pamtest_free_env(tc[1].case_out.envlist);
	conv_free(&c);
	return found;
}

static void
test_authtok_set_only_on_success(void **state)
{
	char *tok;

	(void)state;
	tok = authtok_below(PW);
	assert_non_null(tok);
	assert_string_equal(tok, PW);
	free(tok);
	assert_null(authtok_below("wrong-password"));
}

static void
test_daemon_stopped(void **state)
{
	struct conv c;

	(void)state;
	assert_int_equal(td_stop(&d), 0);
	assert_int_equal(auth("policyd", "alice", PW, &c),
			 PAM_AUTHINFO_UNAVAIL);
	conv_free(&c);
	assert_int_equal(account("alice", &c), PAM_AUTHINFO_UNAVAIL);
	conv_free(&c);
	/* Killed hard: the stale socket refuses connections. */
	assert_int_equal(td_start(&d), 0);
	td_kill(&d);
	assert_int_equal(auth("policyd", "alice", PW, &c),
			 PAM_AUTHINFO_UNAVAIL);
	conv_free(&c);
	/* And back: the stale socket is cleared, the user is still there. */
	assert_int_equal(td_start(&d), 0);
	assert_int_equal(auth("policyd", "alice", PW, &c), PAM_SUCCESS);
	conv_free(&c);
}

/* A fake daemon: listens at dir/pam.sock; `mode` says what it does with
 * a connection.  Counts the bytes it received. */
enum fake_mode { FAKE_SILENT, FAKE_GARBAGE, FAKE_WRONG_ID };

struct fake {
	int lfd;
	enum fake_mode mode;
	size_t received;
	pthread_t tid;
};

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	uint8_t buf[8192], out[64];
	struct wwriter w;
	ssize_t n;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	if (n > 0)
		f->received += (size_t)n;
	if (f->mode == FAKE_GARBAGE) {
		(void)!write(fd, "\0\0\0\5hello", 9);
	} else if (f->mode == FAKE_WRONG_ID) {
		ww_init(&w, out, sizeof(out));
		wire_begin_reply(&w, PROTO_AUTH, 0xdead, PROTO_OK);
		(void)t_send_frame(fd, out, w.len);
	}
	/* Then say nothing more until the client gives up and closes. */
	(void)t_closed_within(fd, 5000);
	close(fd);
	return NULL;
}

static void
fake_start(struct fake *f, const char *dir, mode_t dir_mode,
	   enum fake_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	mkdir(dir, 0700);
	assert_int_equal(chmod(dir, dir_mode), 0);
	t_fmt(sa.sun_path, "%s/pam.sock", dir);
	unlink(sa.sun_path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(pthread_create(&f->tid, NULL, fake_main, f), 0);
}

static void
fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	close(f->lfd);
	pthread_join(f->tid, NULL);
}

static void
test_fake_daemon(enum fake_mode mode, mode_t dir_mode, int expect_received)
{
	char dir[PATH_MAX];
	struct fake f;
	struct conv c;

	t_fmt(dir, "%s/fake", t_dir());
	fake_start(&f, dir, dir_mode, mode);
	assert_int_equal(auth("policyd_fake", "alice", PW, &c),
			 PAM_AUTHINFO_UNAVAIL);
	conv_free(&c);
	fake_stop(&f);
	if (expect_received)
		assert_true(f.received > 0);
	else
		assert_int_equal(f.received, 0);
}

static void
test_hung_daemon(void **state)
{
	(void)state;
	test_fake_daemon(FAKE_SILENT, 0755, 1);
}

static void
test_garbage_answers(void **state)
{
	(void)state;
	test_fake_daemon(FAKE_GARBAGE, 0755, 1);
	test_fake_daemon(FAKE_WRONG_ID, 0755, 1);
}

/* A socket in a directory others can write is not the daemon's: the
 * module refuses it before sending the password. */
static void
test_impostor_socket(void **state)
{
	(void)state;
	test_fake_daemon(FAKE_SILENT, 0777, 0);
}

/* Arguments a module must refuse rather than guess at; each in a
 * service of its own (policyd_bad0, ...), on every line of the stack. */
static const char *const bad_args[] = {
	"timeout=-1",	    "timeout=0",	  "timeout=5x",
	"timeout=61",	    "socket=relative/pam.sock", "socket=",
	"retry=abc",	    "retry=0",		  "retry=",
	"frobnicate",	    "nodelay=1",	  "preauth authfail",
	"totp_only preauth",
};
#define NBAD (sizeof(bad_args) / sizeof(bad_args[0]))

/* A bad argument: every entry point says PAM_SERVICE_ERR and asks
 * nothing, though the rest of the line would let alice in. */
static void
test_bad_arguments(void **state)
{
	const enum pamtest_ops ops[] = {
		PAMTEST_AUTHENTICATE, PAMTEST_SETCRED, PAMTEST_ACCOUNT,
		PAMTEST_OPEN_SESSION, PAMTEST_CLOSE_SESSION, PAMTEST_CHAUTHTOK,
	};
	char service[32];
	struct conv c;

	(void)state;
	for (size_t i = 0; i < NBAD; i++) {
		t_fmt(service, "policyd_bad%zu", i);
		for (size_t j = 0; j < sizeof(ops) / sizeof(ops[0]); j++) {
			memset(&c, 0, sizeof(c));
			c.answers[0] = PW;
			if (pam_run(service, "alice", &c, ops[j], -1) !=
			    PAM_SERVICE_ERR)
				fail_msg("\"%s\", operation %d: not refused",
					 bad_args[i], (int)ops[j]);
			assert_int_equal(c.nprompts, 0);
			conv_free(&c);
		}
	}
	/* The same lines with good values work. */
	assert_int_equal(auth("policyd_goodargs", "alice", PW, &c),
			 PAM_SUCCESS);
	conv_free(&c);
}

/* Each bad argument on every line of a service of its own. */
static void
write_bad_services(const char *dir, const char *mod, const char *sock)
{
	char text[4 * PATH_MAX], name[32];

	for (size_t i = 0; i < NBAD; i++) {
		t_fmt(name, "policyd_bad%zu", i);
		t_fmt(text,
		      "auth required %s %s nodelay %s\n"
		      "account required %s %s %s\n"
		      "password required %s %s %s\n"
		      "session required %s %s %s\n",
		      mod, sock, bad_args[i], mod, sock, bad_args[i], mod, sock,
		      bad_args[i], mod, sock, bad_args[i]);
		write_service(dir, name, text);
	}
	t_fmt(text, "auth required %s %s nodelay timeout=60 retry=10 debug\n",
	      mod, sock);
	write_service(dir, "policyd_goodargs", text);
}

/* Writes the private service directory, then re-executes this program
 * under pam_wrapper. */
static void
become_wrapped(char **argv)
{
	char dir[PATH_MAX], text[4 * PATH_MAX], mod[PATH_MAX + 32];
	char sock[PATH_MAX + 32], fake[PATH_MAX + 32];

	t_fmt(dir, "%s/pam.d", t_dir());
	mkdir(dir, 0755);
	t_fmt(mod, "%s/pam_policyd.so", t_build());
	t_fmt(sock, "socket=%s/pam/run/pam.sock", t_dir());
	t_fmt(fake, "socket=%s/fake/pam.sock", t_dir());
	write_service(dir, "other", "auth required pam_deny.so\n"
			 "account required pam_deny.so\n");
	t_fmt(text,
		 "auth required %s %s nodelay\naccount required %s %s\n", mod,
		 sock, mod, sock);
	write_service(dir, "policyd", text);
	t_fmt(text,
		 "auth required %s/pam_set_items.so\n"
		 "auth required %s %s nodelay use_first_pass\n",
		 PAM_WRAPPER_MODULES, mod, sock);
	write_service(dir, "policyd_first", text);
	t_fmt(text,
		 "auth required %s %s nodelay try_first_pass\n", mod, sock);
	write_service(dir, "policyd_try", text);
	t_fmt(text,
		 "auth required %s %s nodelay\n"
		 "auth required %s/pam_get_items.so\n", mod, sock,
		 PAM_WRAPPER_MODULES);
	write_service(dir, "policyd_items", text);
	t_fmt(text, "auth required %s %s nodelay timeout=1\n",
		 mod, fake);
	write_service(dir, "policyd_fake", text);
	write_bad_services(dir, mod, sock);
	pamlib_exec_wrapped(argv, dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_right_password),
		cmocka_unit_test(test_wrong_password_and_unknown_user),
		cmocka_unit_test(test_disabled_user),
		cmocka_unit_test(test_use_first_pass),
		cmocka_unit_test(test_authtok_set_only_on_success),
		cmocka_unit_test_setup(test_daemon_stopped, start_daemon),
		cmocka_unit_test(test_hung_daemon),
		cmocka_unit_test(test_garbage_answers),
		cmocka_unit_test(test_impostor_socket),
		cmocka_unit_test(test_bad_arguments),
	};

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL)
		become_wrapped(argv);
	return cmocka_run_group_tests_name("pam", tests, group_setup,
					   group_teardown);
}
