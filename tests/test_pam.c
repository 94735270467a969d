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
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "frame.h"
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

/*
 * Daemon identity.  A fake daemon runs in a child process: it binds
 * t_dir()/id/run/NAME as bind_uid, optionally gives the socket file to
 * sock_uid, listens as listen_uid (what SO_PEERCRED reports), and answers
 * every request with status -- as a daemon that believes any password.
 * Other uids need root; the tests that use them skip otherwise.
 */
struct fake_spec {
	uid_t bind_uid, listen_uid, sock_uid;	/* sock_uid -1: keep */
	uint8_t status;
	uint32_t reason;			/* sent when not 0 */
	const char *name;			/* NULL: pam.sock */
};

struct ffake {
	pid_t pid;
	int seen;	/* one byte per request the fake received */
};

/* The directories above the socket: t_dir()/id (P) and P/run (D). */
struct layout {
	mode_t pmode;
	uid_t puid;
	mode_t dmode;
	uid_t duid;
};

static uid_t nobody = (uid_t)-1;

/* In the child: drops to uid (and its group) unless already there. */
static int
become(uid_t uid)
{
	struct passwd *pw;

	if (uid == geteuid())
		return 0;
	pw = getpwuid(uid);
	if (pw == NULL || setgroups(0, NULL) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
		return -1;
	return setresuid(uid, uid, uid);
}

/* In the child: answers each request on each connection. */
static void
fake_serve(int lfd, int seen, const struct fake_spec *sp)
{
	static uint8_t buf[PROTO_MAX_FRAME];
	uint8_t out[64];
	struct wwriter w;
	struct wmsg m;
	size_t len;
	int fd;

	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		while (frame_read(fd, buf, sizeof(buf), &len,
				  frame_now_ms() + 5000) == FRAME_OK &&
		       wire_parse(buf, len, 0, &m) == 0) {
			(void)!write(seen, "r", 1);
			ww_init(&w, out, sizeof(out));
			wire_begin_reply(&w, m.type, m.id, sp->status);
			if (sp->reason != 0)
				wire_put_u32(&w, PROTO_T_REASON, sp->reason);
			(void)t_send_frame(fd, out, w.len);
		}
		close(fd);
	}
}

static void __attribute__((noreturn))
fake_child(const char *sock, const struct fake_spec *sp, int ready, int seen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (strlen(sock) >= sizeof(sa.sun_path))
		_exit(3);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if (lfd < 0 || become(sp->bind_uid) != 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (sp->sock_uid != (uid_t)-1 && chown(sock, sp->sock_uid, -1) != 0) ||
	    become(sp->listen_uid) != 0 || listen(lfd, 8) != 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
		_exit(3);
	(void)!write(ready, "r", 1);
	fake_serve(lfd, seen, sp);
	_exit(0);
}

static void
fake_fork(struct ffake *f, const struct fake_spec *sp)
{
	char sock[PATH_MAX], c;
	int ready[2], seen[2];

	t_fmt(sock, "%s/id/run/%s", t_dir(),
	      sp->name != NULL ? sp->name : "pam.sock");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(seen), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		/* Holding no pipe of the caller's, it cannot stall a run
		 * that a failed assertion left it in; and it dies with us. */
		close(ready[0]);
		close(seen[0]);
		dup2(open("/dev/null", O_RDWR | O_CLOEXEC), 1);
		dup2(1, 2);
		fake_child(sock, sp, ready[1], seen[1]);
	}
	close(ready[1]);
	close(seen[1]);
	f->seen = seen[0];
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
}

/* Stops the fake; returns how many requests it received. */
static int
fake_end(struct ffake *f)
{
	int n = 0;
	char c;

	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	while (read(f->seen, &c, 1) == 1)
		n++;
	close(f->seen);
	return n;
}

static void
make_dir(const char *path, mode_t mode, uid_t uid)
{
	assert_int_equal(mkdir(path, 0700), 0);
	if (uid != getuid())
		assert_int_equal(chown(path, uid, (gid_t)-1), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
make_layout(const struct layout *l)
{
	char p[PATH_MAX], run[PATH_MAX + 8];

	t_fmt(p, "%s/id", t_dir());
	t_fmt(run, "%s/run", p);
	assert_int_equal(t_sh("rm -rf %s", p), 0);
	make_dir(p, l->pmode, l->puid);
	make_dir(run, l->dmode, l->duid);
}

/* A wrong password for alice through service, against a fake set up as
 * l and sp says; the PAM result, and in *seen the requests it got. */
static int
id_login(const char *service, const struct layout *l,
	 const struct fake_spec *sp, int *seen)
{
	struct ffake f;
	struct conv c;
	int rc;

	make_layout(l);
	fake_fork(&f, sp);
	rc = auth(service, "alice", "not-the-password", &c);
	conv_free(&c);
	*seen = fake_end(&f);
	return rc;
}

/* The fake as the daemon's own uid, in directories only it may change. */
#define ME_LAYOUT { 0755, getuid(), 0755, getuid() }
#define ME_FAKE { getuid(), getuid(), (uid_t)-1, PROTO_OK, 0, NULL }

/* Refused before a byte of the password is sent. */
static void
assert_refused(const char *service, const struct layout *l,
	       const struct fake_spec *sp)
{
	int seen;

	assert_int_equal(id_login(service, l, sp, &seen),
			 PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(seen, 0);
}

static void
assert_believed(const char *service, const struct layout *l,
		const struct fake_spec *sp)
{
	int seen;

	assert_int_equal(id_login(service, l, sp, &seen), PAM_SUCCESS);
	assert_true(seen > 0);
}

/* The control: run by the trusted uid in safe directories, the fake is
 * believed (a wrong password gets in), so each refusal below comes from
 * the one thing its case changes. */
static void
test_identity_trusted_fake(void **state)
{
	const struct layout l = ME_LAYOUT;
	const struct fake_spec sp = ME_FAKE;

	(void)state;
	assert_believed("policyd_id", &l, &sp);
}

/* A parent directory that a group or everyone may write: they could
 * rename run/ and put their own daemon in its place. */
static void
test_identity_writable_parent(void **state)
{
	const struct fake_spec sp = ME_FAKE;
	struct layout l = ME_LAYOUT;

	(void)state;
	l.pmode = 0775;
	assert_refused("policyd_id", &l, &sp);
	l.pmode = 0757;
	assert_refused("policyd_id", &l, &sp);
	l.pmode = 0755;
	l.dmode = 0775;
	assert_refused("policyd_id", &l, &sp);
}

/* A root-owned sticky parent, like /tmp, is safe: others may add entries
 * but not rename run/.  Owned by another user, it is not. */
static void
test_identity_sticky_parent(void **state)
{
	const struct fake_spec sp = ME_FAKE;
	struct layout l = { 01777, 0, 0755, 0 };

	(void)state;
	if (geteuid() != 0 || nobody == (uid_t)-1)
		skip();
	assert_believed("policyd_id", &l, &sp);
	l.puid = nobody;
	assert_refused("policyd_id", &l, &sp);
}

/* The finding: a user who owns a directory on the path runs a daemon
 * that says yes to everything.  Each check alone refuses it. */
static void
test_identity_other_user(void **state)
{
	struct layout l = { 0755, 0, 0755, 0 };
	struct fake_spec sp = { 0, 0, (uid_t)-1, PROTO_OK, 0, NULL };

	(void)state;
	if (geteuid() != 0 || nobody == (uid_t)-1)
		skip();
	l.puid = nobody;	/* an ancestor directory is theirs */
	assert_refused("policyd_id", &l, &sp);
	l.puid = 0;
	l.duid = nobody;	/* their directory, socket and daemon */
	sp.bind_uid = sp.listen_uid = nobody;
	assert_refused("policyd_id", &l, &sp);
	/* ... unless they are the configured daemon user. */
	assert_believed("policyd_id_nobody", &l, &sp);
	/* A daemon_user that does not exist trusts root only. */
	assert_refused("policyd_id_nouser", &l, &sp);
	l.duid = 0;
	sp.bind_uid = sp.listen_uid = 0;
	assert_believed("policyd_id_nouser", &l, &sp);
	sp.sock_uid = nobody;	/* the socket file is theirs */
	assert_refused("policyd_id", &l, &sp);
	sp.sock_uid = (uid_t)-1;
	sp.listen_uid = nobody;	/* the peer is theirs */
	assert_refused("policyd_id", &l, &sp);
}

/* policyctl: the same rule, with --daemon-user or $POLICYD_DAEMON_USER
 * naming the daemon's user (default policyd). */
static void
test_identity_policyctl(void **state)
{
	const struct layout l = { 0755, 0, 0755, nobody };
	struct fake_spec sp = { 0, 0, (uid_t)-1, PROTO_OK, 0, NULL };
	char ctl[PATH_MAX * 2], err[PATH_MAX];
	struct ffake f;

	(void)state;
	if (geteuid() != 0 || nobody == (uid_t)-1)
		skip();
	sp.bind_uid = sp.listen_uid = nobody;
	sp.name = ADMIN_SOCKET_NAME;
	make_layout(&l);
	fake_fork(&f, &sp);
	t_fmt(ctl, "%s/policyctl -S %s/id/run", t_build(), t_dir());
	t_fmt(err, "%s/ctl.err", t_dir());
	assert_int_equal(t_sh("env -u POLICYD_DAEMON_USER %s ping 2> %s", ctl,
			      err), 2);
	assert_int_equal(t_sh("grep -q 'owned by uid %u' %s", (unsigned)nobody,
			      err), 0);
	assert_int_equal(t_sh("%s --daemon-user root ping 2> /dev/null", ctl),
			 2);
	assert_int_equal(t_sh("%s --daemon-user nobody ping > /dev/null", ctl),
			 0);
	assert_int_equal(t_sh("POLICYD_DAEMON_USER=nobody %s ping > /dev/null",
			      ctl), 0);
	assert_int_equal(fake_end(&f), 2);
}

/* One operation for user with pw as the answer, and these flags. */
static int
run_flags(const char *user, const char *pw, enum pamtest_ops op, int flags,
	  struct conv *c)
{
	memset(c, 0, sizeof(*c));
	c->answers[0] = pw;
	return pam_run_flags("policyd", user, c, op, flags);
}

/* PAM_SILENT: the same results and prompts, but no info or error text;
 * without it, the text is there. */
static void
test_silent(void **state)
{
	struct conv c;

	(void)state;
	assert_int_equal(auth("policyd", "alice", "wrong", &c), PAM_AUTH_ERR);
	conv_free(&c);
	assert_int_equal(run_flags("alice", PW, PAMTEST_AUTHENTICATE,
				   PAM_SILENT, &c), PAM_SUCCESS);
	assert_int_equal(c.nprompts, 1);
	assert_int_equal(c.ninfos + c.nerrors, 0);
	conv_free(&c);
	assert_int_equal(run_flags("alice", PW, PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SUCCESS);
	assert_true(c.ninfos >= 1 && strstr(c.infos[0], "Last login") != NULL);
	conv_free(&c);
	assert_int_equal(run_flags("dora", PW, PAMTEST_AUTHENTICATE,
				   PAM_SILENT, &c), PAM_AUTH_ERR);
	assert_int_equal(c.ninfos + c.nerrors, 0);
	conv_free(&c);
	assert_int_equal(run_flags("dora", NULL, PAMTEST_ACCOUNT, PAM_SILENT,
				   &c), PAM_ACCT_EXPIRED);
	assert_int_equal(c.ninfos + c.nerrors, 0);
	conv_free(&c);
	assert_int_equal(run_flags("dora", NULL, PAMTEST_ACCOUNT, 0, &c),
			 PAM_ACCT_EXPIRED);
	assert_int_equal(c.nerrors, 1);
	conv_free(&c);
}

/* totp_only, and policyd has nothing to check: PAM_IGNORE.  Alone in
 * the stack that is a failure; after pam_permit, a success. */
static void
test_totp_only_nothing(void **state)
{
	const struct layout l = ME_LAYOUT;
	struct fake_spec sp = ME_FAKE;
	int seen;

	(void)state;
	sp.status = PROTO_NOTHING;
	assert_int_not_equal(id_login("policyd_id_totp", &l, &sp, &seen),
			     PAM_SUCCESS);
	assert_int_equal(seen, 1);
	assert_int_equal(id_login("policyd_id_totp_permit", &l, &sp, &seen),
			 PAM_SUCCESS);
	assert_int_equal(seen, 1);
}

/* A denial is a plain failure, whatever reason comes with it: the
 * module no longer tells "no authenticator enrolled" (which only a right
 * password used to earn). */
static void
test_denied_says_nothing(void **state)
{
	const struct layout l = ME_LAYOUT;
	struct fake_spec sp = ME_FAKE;
	struct ffake f;
	struct conv c;

	(void)state;
	sp.status = PROTO_DENIED;
	sp.reason = PROTO_R_NO_TOTP;
	make_layout(&l);
	fake_fork(&f, &sp);
	assert_int_equal(auth("policyd_id", "alice", PW, &c), PAM_AUTH_ERR);
	assert_int_equal(c.nerrors + c.ninfos, 0);
	conv_free(&c);
	assert_int_equal(fake_end(&f), 1);
}

/* The real daemon: a stack of only "totp_only" must not let in a user
 * who has no TOTP (policyd has nothing to check, the module ignores,
 * libpam fails the all-ignore stack). */
static void
test_totp_only_alone(void **state)
{
	struct conv c;

	(void)state;
	assert_int_not_equal(auth("policyd_totp_alone", "alice", PW, &c),
			     PAM_SUCCESS);
	assert_int_equal(c.nprompts, 0);
	conv_free(&c);
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
	t_fmt(fake, "socket=%s/id/run/pam.sock", t_dir());
	t_fmt(text, "auth required %s %s nodelay\n", mod, fake);
	write_service(dir, "policyd_id", text);
	t_fmt(text, "auth required %s %s nodelay daemon_user=nobody\n", mod,
	      fake);
	write_service(dir, "policyd_id_nobody", text);
	t_fmt(text, "auth required %s %s nodelay daemon_user=no-such-user\n",
	      mod, fake);
	write_service(dir, "policyd_id_nouser", text);
	t_fmt(text, "auth required %s %s nodelay totp_only\n", mod, fake);
	write_service(dir, "policyd_id_totp", text);
	t_fmt(text, "auth required pam_permit.so\n"
		    "auth required %s %s nodelay totp_only\n", mod, fake);
	write_service(dir, "policyd_id_totp_permit", text);
	t_fmt(text, "auth required %s %s nodelay totp_only\n", mod, sock);
	write_service(dir, "policyd_totp_alone", text);
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
		cmocka_unit_test(test_identity_trusted_fake),
		cmocka_unit_test(test_identity_writable_parent),
		cmocka_unit_test(test_identity_sticky_parent),
		cmocka_unit_test(test_identity_other_user),
		cmocka_unit_test(test_identity_policyctl),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_totp_only_nothing),
		cmocka_unit_test(test_denied_says_nothing),
		cmocka_unit_test(test_totp_only_alone),
	};
	struct passwd *pw = getpwnam("nobody");

	(void)argc;
	if (pw != NULL && pw->pw_uid != 0)
		nobody = pw->pw_uid;
	if (getenv("PAM_WRAPPER") == NULL)
		become_wrapped(argv);
	return cmocka_run_group_tests_name("pam", tests, group_setup,
					   group_teardown);
}
