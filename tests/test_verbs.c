/*
 * test_verbs.c - the verb table of policyd(8), from outside: a real
 * daemon over its real sockets.  No verb but a whole login lowers an
 * account's counter; every check of a secret is counted; the table of
 * logins waiting for a code gives each caller a bounded share; records
 * and context strings are as policyd(8) says.  Also the pending table's
 * fairness rules, as a unit.
 */
#include <pthread.h>
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
#include "frame.h"
#include "pending.h"
#include "proto.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"

static struct tdaemon d;

/* One request with any fields: tag/value string pairs, ending in 0.
 * The reply status, or -1; the token of a need-code in token (16). */
static int
ask(const char *sock, uint8_t type, uint8_t *token, ...)
{
	uint8_t req[8192], rep[PROTO_MAX_FRAME];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	struct wfield f;
	char err[512];
	va_list ap;
	int tag, status = -1;

	if (client_open(&c, sock, 10000, err, sizeof(err)) != CLIENT_OK)
		return -1;
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, type);
	va_start(ap, token);
	while ((tag = va_arg(ap, int)) != 0) {
		const char *v = va_arg(ap, const char *);

		if (tag == PROTO_T_TOKEN)
			wire_put_bytes(&w, PROTO_T_TOKEN, v, 16);
		else
			wire_put_str(&w, (uint8_t)tag, v);
	}
	va_end(ap);
	if (client_call(&c, &w, rep, sizeof(rep), &m) == CLIENT_OK) {
		status = m.status;
		if (token != NULL && wire_find(&m, PROTO_T_TOKEN, &f) == 0 &&
		    f.len == 16)
			memcpy(token, f.val, 16);
	}
	client_close(&c);
	return status;
}

static long
sql(const char *query)
{
	return td_sql(&d, query);
}

static long
failures_of(const char *user)
{
	char q[256];

	t_fmt(q, "SELECT count(*) FROM failures WHERE kind = 'u' AND "
	      "key = '%s'", user);
	return sql(q);
}

static int
wrong(const char *user)
{
	return ask(d.pam_sock, PROTO_AUTH, NULL, PROTO_T_USER, user,
		   PROTO_T_PASSWORD, "Wrong-guess-12", 0);
}

static void
ctl(const char *args)
{
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0, args), 0);
}

/* Three counted failures, then a verb with the right password (where it
 * takes one): whether the counter still holds at least the three. */
static int
holds_after_three(const char *user, int (*verb)(const char *user))
{
	char args[64];

	t_fmt(args, "unlock %s", user);
	td_ctl(&d, NULL, NULL, 0, NULL, 0, args);
	for (int i = 0; i < 3; i++)
		assert_int_not_equal(wrong(user), PROTO_OK);
	assert_int_equal(failures_of(user), 3);
	verb(user);
	return failures_of(user) >= 3;
}

static int
v_code_only(const char *u)
{
	return ask(d.pam_sock, PROTO_CODE_ONLY, NULL, PROTO_T_USER, u, 0);
}

static int
v_chpass_weak(const char *u)
{
	return ask(d.pam_sock, PROTO_CHPASS, NULL, PROTO_T_USER, u,
		   PROTO_T_PASSWORD, PW, PROTO_T_NEW_PASSWORD, "short", 0);
}

static int
v_chpass_recent(const char *u)
{
	return ask(d.pam_sock, PROTO_CHPASS, NULL, PROTO_T_USER, u,
		   PROTO_T_PASSWORD, PW, PROTO_T_NEW_PASSWORD,
		   "Zr8$wQ4nLc6&Tb", 0);
}

static int
v_self_enroll(const char *u)
{
	return ask(d.pam_sock, PROTO_SELF_ENROLL, NULL, PROTO_T_USER, u,
		   PROTO_T_PASSWORD, PW, 0);
}

static int
v_self_confirm(const char *u)
{
	return ask(d.pam_sock, PROTO_SELF_CONFIRM, NULL, PROTO_T_USER, u,
		   PROTO_T_PASSWORD, PW, PROTO_T_CODE, "000000", 0);
}

static int
v_self_reset(const char *u)
{
	return ask(d.pam_sock, PROTO_SELF_RESET, NULL, PROTO_T_USER, u,
		   PROTO_T_PASSWORD, PW, PROTO_T_CURRENT_CODE, "000000", 0);
}

static int
v_acct(const char *u)
{
	return ask(d.pam_sock, PROTO_ACCT, NULL, PROTO_T_USER, u, 0);
}

static int
v_preauth(const char *u)
{
	return ask(d.pam_sock, PROTO_LOCK_CHECK, NULL, PROTO_T_USER, u, 0);
}

static int
v_stray_code(const char *u)
{
	return ask(d.pam_sock, PROTO_CODE, NULL, PROTO_T_USER, u,
		   PROTO_T_TOKEN, "0123456789abcdef", PROTO_T_CODE, "123456",
		   0);
}

static int
v_pwcheck(const char *u)
{
	return ask(d.admin_sock, PROTO_PWCHECK, NULL, PROTO_T_USER, u,
		   PROTO_T_PASSWORD, PW, 0);
}

static int
v_login(const char *u)
{
	return ask(d.pam_sock, PROTO_AUTH, NULL, PROTO_T_USER, u,
		   PROTO_T_PASSWORD, PW, 0);
}

/* Every verb a caller may send about an account, with the right
 * password where it takes one: none lowers the counter.  The whole
 * login, last, does: the check can see a reset. */
static void
test_no_side_door(void **state)
{
	static const struct {
		const char *name;
		int (*send)(const char *);
	} verbs[] = {
		{ "code-only", v_code_only },
		{ "chpass, refused as weak", v_chpass_weak },
		{ "chpass, refused as too recent", v_chpass_recent },
		{ "self-totp-enroll", v_self_enroll },
		{ "self-totp-confirm", v_self_confirm },
		{ "self-totp-reset", v_self_reset },
		{ "acct", v_acct },
		{ "preauth", v_preauth },
		{ "code, no such login", v_stray_code },
		{ "password-check", v_pwcheck },
	};
	int doors = 0;

	(void)state;
	assert_int_equal(td_add_user(&d, "door", PW), 0);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (holds_after_three("door", verbs[i].send))
			continue;
		print_message("%s lowered the counter\n", verbs[i].name);
		doors++;
	}
	assert_int_equal(doors, 0);
	ctl("unlock door");
	for (int i = 0; i < 3; i++)
		wrong("door");
	assert_int_equal(v_login("door"), PROTO_OK);
	assert_int_equal(failures_of("door"), 0);
}

/* totp_only for an account that needs no code: nothing to check, so
 * PROTO_NOTHING (the module's PAM_IGNORE), never ok. */
static void
test_code_only_nothing(void **state)
{
	(void)state;
	assert_int_equal(td_add_user(&d, "nocode", PW), 0);
	assert_int_equal(v_code_only("nocode"), PROTO_NOTHING);
	assert_int_equal(failures_of("nocode"), 0);
}

/* The admin's password check tells whether a guess is the current
 * password: it is counted against the user, locks like a login, and is
 * recorded. */
static void
test_pwcheck_counted(void **state)
{
	(void)state;
	assert_int_equal(td_add_user(&d, "probed", PW), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(v_pwcheck("probed"), PROTO_POLICY);
	assert_int_equal(failures_of("probed"), 4);
	assert_int_equal(sql("SELECT count(*) FROM audit WHERE event = "
			     "'password-check' AND user = 'probed'"), 4);
	/* The fifth reaches deny: now the account is locked. */
	assert_int_equal(v_pwcheck("probed"), PROTO_POLICY);
	assert_int_not_equal(v_login("probed"), PROTO_OK);
	assert_int_not_equal(v_pwcheck("probed"), PROTO_POLICY);
	ctl("unlock probed");
	/* A candidate that matches nothing stored was compared with every
	 * stored hash all the same: it stays counted too, or misses would
	 * be free guesses. */
	assert_int_equal(ask(d.admin_sock, PROTO_PWCHECK, NULL, PROTO_T_USER,
			     "probed", PROTO_T_PASSWORD, "Zr8$wQ4nLc6&Tb", 0),
			 PROTO_OK);
	assert_int_equal(failures_of("probed"), 1);
	/* One the rules refuse compared nothing: not counted. */
	assert_int_equal(ask(d.admin_sock, PROTO_PWCHECK, NULL, PROTO_T_USER,
			     "probed", PROTO_T_PASSWORD, "short", 0),
			 PROTO_POLICY);
	assert_int_equal(failures_of("probed"), 1);
}

/* Confirming a pending secret with its code is a check of a secret: a
 * right guess would make that secret active and hand out recovery
 * codes, so the guesses are counted and lock. */
static void
test_self_confirm_counted(void **state)
{
	(void)state;
	assert_int_equal(td_add_user(&d, "confirmer", PW), 0);
	assert_int_equal(v_self_enroll("confirmer"), PROTO_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ask(d.pam_sock, PROTO_SELF_CONFIRM, NULL,
				     PROTO_T_USER, "confirmer",
				     PROTO_T_PASSWORD, PW, PROTO_T_CODE,
				     "000000", 0),
				 PROTO_DENIED);
	assert_int_equal(failures_of("confirmer"), 4);
	assert_int_equal(sql("SELECT count(*) FROM audit WHERE user = "
			     "'confirmer' AND result = 'fail' AND reason = "
			     "'new code'"), 4);
}

/* A right login that is the deny-th attempt locks nothing in the end,
 * and records no lock. */
static void
test_right_last_attempt_no_lock(void **state)
{
	(void)state;
	assert_int_equal(td_add_user(&d, "lastone", PW), 0);
	for (int i = 0; i < 4; i++)
		wrong("lastone");
	assert_int_equal(v_login("lastone"), PROTO_OK);
	assert_int_equal(sql("SELECT count(*) FROM audit WHERE event = 'lock'"
			     " AND user = 'lastone'"), 0);
	assert_int_equal(sql("SELECT count(*) FROM locks WHERE key = "
			     "'lastone'"), 0);
}

/* Context strings from a caller never carry a terminal control into
 * the trail. */
static void
test_context_scrubbed(void **state)
{
	(void)state;
	assert_int_equal(td_add_user(&d, "ctx", PW), 0);
	assert_int_equal(ask(d.pam_sock, PROTO_AUTH, NULL, PROTO_T_USER, "ctx",
			     PROTO_T_PASSWORD, "Wrong-guess-12",
			     PROTO_T_RHOST, "203.0.113.9\x1b[2J",
			     PROTO_T_TTY, "pts/1\nfake line",
			     PROTO_T_SERVICE, "sshd\r", 0),
			 PROTO_DENIED);
	assert_int_equal(sql("SELECT count(*) FROM audit WHERE user = 'ctx'"
			     " AND event = 'auth'"), 1);
	assert_int_equal(sql("SELECT count(*) FROM audit WHERE"
			     " instr(host || tty || service, char(27)) > 0"
			     " OR instr(host || tty || service, char(10)) > 0"
			     " OR instr(host || tty || service, char(13)) > 0"),
			 0);
	assert_int_equal(sql("SELECT count(*) FROM failures WHERE"
			     " instr(rhost || service, char(27)) > 0"), 0);
}

/* A name policyd does not have may be a password typed into the name
 * field: it reaches the log at debug level only, and the trail never. */
static void
test_unknown_name_kept_out(void **state)
{
	const char *typed = "Quiet-Otter-Spark-51";

	(void)state;
	/* Enough to lock the name, and one refused while locked. */
	for (int i = 0; i < 6; i++)
		assert_int_not_equal(wrong(typed), PROTO_OK);
	assert_int_equal(ask(d.pam_sock, PROTO_CHPASS, NULL, PROTO_T_USER,
			     typed, PROTO_T_PASSWORD, "Wrong-guess-12",
			     PROTO_T_NEW_PASSWORD, "Zr8$wQ4nLc6&Tb", 0),
			 PROTO_LOCKED);
	assert_int_equal(t_sh("grep -F -e '%s' '%s' | grep -v -e '[[]debug]' "
			      ">/dev/null", typed, d.log), 1);
	assert_int_equal(sql("SELECT count(*) FROM audit WHERE instr(user ||"
			     " host || reason, 'Quiet-Otter') > 0"), 0);
	assert_int_equal(sql("SELECT count(*) FROM failures WHERE instr(key,"
			     " 'Quiet-Otter') > 0"), 0);
}

/* A store that cannot be written answers "unavailable", and the log
 * says why (here: another process holds the write lock past the busy
 * timeout). */
static void
test_unavailable_says_why(void **state)
{
	struct sqlite3 *holder;

	(void)state;
	assert_int_equal(td_add_user(&d, "blocked", PW), 0);
	holder = td_hold_write(&d);
	assert_non_null(holder);
	assert_int_equal(wrong("blocked"), PROTO_UNAVAILABLE);
	assert_true(td_log_has(&d, "store failed: database is locked"));
	/* Once the lock is gone, the store answers again. */
	td_release_write(holder);
	assert_int_equal(wrong("blocked"), PROTO_DENIED);
}

static int logins_done;

static void *
blocked_login(void *arg)
{
	intptr_t st = wrong(arg);

	__atomic_add_fetch(&logins_done, 1, __ATOMIC_SEQ_CST);
	return (void *)st;
}

/* While another process holds the write lock, logins wait for it (then
 * give up, "unavailable") without holding up the daemon's reads: a
 * user show is answered while the lock is still held. */
static void
test_reads_go_on_while_writes_wait(void **state)
{
	struct sqlite3 *holder;
	char out[4096];
	pthread_t tid[3];
	intptr_t st;

	(void)state;
	assert_int_equal(td_add_user(&d, "reader", PW), 0);
	holder = td_hold_write(&d);
	assert_non_null(holder);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, blocked_login,
						"reader"), 0);
	usleep(200 * 1000);
	/* Answered while the lock is held and the logins still wait for
	 * it (each waits STORE_BUSY_MS, 1 s, before it gives up). */
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"user show reader"), 0);
	assert_int_equal(__atomic_load_n(&logins_done, __ATOMIC_SEQ_CST), 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(tid[i], (void **)&st);
		assert_int_equal(st, PROTO_UNAVAILABLE);
	}
	td_release_write(holder);
	assert_int_equal(wrong("reader"), PROTO_DENIED);
}

/* A right password whose client gave up before the answer is neither a
 * login (no last login, the failures stay) nor a failure: it is
 * recorded as abandoned. */
static void
test_abandoned_login(void **state)
{
	uint8_t req[512], rep[512];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	char err[256], q[256];
	long n = 0;

	(void)state;
	assert_int_equal(td_add_user(&d, "late", PW), 0);
	/* A hash that takes longer to verify than the client waits. */
	assert_int_equal(t_sh("h=$(printf '%%s' '%s' | argon2 saltsalt12 -id "
			      "-t 4 -m 17 -p 1 -e) && sqlite3 -cmd '.timeout "
			      "5000' %s \"UPDATE users SET password = '$h' "
			      "WHERE name = 'late'\"", PW, d.db), 0);
	for (int i = 0; i < 2; i++)
		wrong("late");
	assert_int_equal(client_open(&c, d.pam_sock, 10000, err, sizeof(err)),
			 CLIENT_OK);
	c.deadline_ms = frame_now_ms() + 100;	/* gives up before it is */
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, PROTO_AUTH);
	wire_put_str(&w, PROTO_T_USER, "late");
	wire_put_str(&w, PROTO_T_PASSWORD, PW);
	assert_int_not_equal(client_call(&c, &w, rep, sizeof(rep), &m),
			     CLIENT_OK);
	client_close(&c);
	t_fmt(q, "SELECT count(*) FROM audit WHERE user = 'late' AND "
	      "result = 'abandoned'");
	for (int i = 0; i < 50 && (n = sql(q)) == 0; i++)
		usleep(100 * 1000);
	assert_int_equal(n, 1);
	assert_int_equal(sql("SELECT last_login FROM users WHERE name = "
			     "'late'"), 0);
	assert_int_equal(failures_of("late"), 2);
}

/* --- with required = all: the code step ------------------------------ */

/* How many auth records user has with this result and reason, once
 * the daemon had up to `seconds` to write one. */
static long
auth_records(const char *user, const char *result, const char *reason,
	     int seconds)
{
	char q[512];
	long n = 0;

	t_fmt(q, "SELECT count(*) FROM audit WHERE user = '%s' AND event = "
	      "'auth' AND result = '%s' AND reason = '%s'", user, result,
	      reason);
	for (int i = 0; i <= seconds * 10 && (n = sql(q)) == 0; i++)
		if (seconds > 0)
			usleep(100 * 1000);
	return n;
}

/* Before the code prompt nothing is written for a wrong password or a
 * lock not told, as for a right password (a write would tell them apart
 * by the time the prompt takes); the outcome is recorded at the code
 * step, or when the unanswered login is dropped (code_timeout, 2 s
 * here), so a sprayer that hangs up at the prompt is in the trail too. */
static void
test_hangup_recorded(void **state)
{
	uint8_t token[16];
	long before;

	(void)state;
	assert_int_equal(td_add_user(&d, "hangup", PW), 0);
	before = sql("SELECT count(*) FROM audit");
	assert_int_equal(ask(d.pam_sock, PROTO_AUTH, token, PROTO_T_USER,
			     "hangup", PROTO_T_PASSWORD, "Wrong-guess-12", 0),
			 PROTO_NEED_CODE);
	assert_int_equal(sql("SELECT count(*) FROM audit"), before);
	assert_int_equal(auth_records("hangup", "fail", "password", 10), 1);
	/* The code step records it too, once. */
	assert_int_equal(ask(d.pam_sock, PROTO_AUTH, token, PROTO_T_USER,
			     "hangup", PROTO_T_PASSWORD, "Wrong-guess-12", 0),
			 PROTO_NEED_CODE);
	assert_int_equal(ask(d.pam_sock, PROTO_CODE, NULL, PROTO_T_USER,
			     "hangup", PROTO_T_TOKEN, (const char *)token,
			     PROTO_T_CODE, "123456", 0),
			 PROTO_DENIED);
	assert_int_equal(auth_records("hangup", "fail", "password", 0), 2);
	assert_int_equal(ask(d.pam_sock, PROTO_AUTH, token, PROTO_T_USER,
			     "hangup", PROTO_T_PASSWORD, "Wrong-guess-12", 0),
			 PROTO_NEED_CODE);
	/* Someone else's token: refused, and that login is left alone. */
	assert_int_equal(td_add_user(&d, "other", PW), 0);
	assert_int_equal(ask(d.pam_sock, PROTO_CODE, NULL, PROTO_T_USER,
			     "other", PROTO_T_TOKEN, (const char *)token,
			     PROTO_T_CODE, "123456", 0),
			 PROTO_DENIED);
	assert_int_equal(sql("SELECT count(*) FROM audit WHERE user = "
			     "'other' AND event = 'auth'"), 0);
	assert_int_equal(ask(d.pam_sock, PROTO_CODE, NULL, PROTO_T_USER,
			     "hangup", PROTO_T_TOKEN, (const char *)token,
			     PROTO_T_CODE, "123456", 0),
			 PROTO_DENIED);
}

/* One host floods the code step: it gets its share and then
 * "unavailable" with nothing more counted, while a quiet host's login
 * still gets its code prompt. */
static void
test_pending_share(void **state)
{
	const char *flood = "198.51.100.7";
	char name[32];
	int need = 0, unavailable = 0;
	long counted;

	(void)state;
	for (int i = 0; i < PENDING_SHARE + 8; i++) {
		int st;

		t_fmt(name, "spray%d", i);
		st = ask(d.pam_sock, PROTO_AUTH, NULL, PROTO_T_USER, name,
			 PROTO_T_PASSWORD, "Wrong-guess-12", PROTO_T_RHOST,
			 flood, 0);
		need += st == PROTO_NEED_CODE;
		unavailable += st == PROTO_UNAVAILABLE;
	}
	assert_int_equal(need, PENDING_SHARE);
	assert_int_equal(unavailable, 8);
	/* The refused ones were not counted. */
	counted = sql("SELECT count(*) FROM failures WHERE kind = 's' AND "
		      "key = '198.51.100.7'");
	assert_true(counted <= PENDING_SHARE);
	assert_int_equal(td_add_user(&d, "quiet", PW), 0);
	assert_int_equal(ask(d.pam_sock, PROTO_AUTH, NULL, PROTO_T_USER,
			     "quiet", PROTO_T_PASSWORD, PW, PROTO_T_RHOST,
			     "192.0.2.44", 0),
			 PROTO_NEED_CODE);
}

/* --- a busy hash queue ------------------------------------------------- */

static void *
slow_wrong(void *arg)
{
	(void)arg;
	wrong("busy");
	return NULL;
}

/* A locked account not told waits in the hash queue like a real check:
 * while the one worker is busy past the request's deadline, the locked
 * account and a wrong password are both "unavailable", not one of them
 * "denied" after a sleep that skipped the queue. */
static void
test_locked_waits_its_turn(void **state)
{
	pthread_t tid;
	char q[256];

	(void)state;
	assert_int_equal(td_add_user(&d, "busy", PW), 0);
	assert_int_equal(td_add_user(&d, "shut", PW), 0);
	assert_int_equal(td_add_user(&d, "other", PW), 0);
	/* busy's hash, made by the argon2 tool at a cost several times the
	 * deadline to verify (128 MiB, 40 passes). */
	assert_int_equal(t_sh("h=$(printf x | argon2 saltsalt12 -id -t 40 -m 17 "
			      "-p 1 -e) && sqlite3 -cmd '.timeout 5000' %s "
			      "\"UPDATE users SET password = '$h' WHERE name = "
			      "'busy'\"", d.db), 0);
	t_fmt(q, "INSERT INTO locks (kind, key, since, until) VALUES ('u', "
	      "'shut', strftime('%%s'), strftime('%%s') + 900)");
	td_sql(&d, q);
	assert_int_equal(pthread_create(&tid, NULL, slow_wrong, NULL), 0);
	usleep(300 * 1000);	/* its hash has the one worker now */
	assert_int_equal(wrong("shut"), PROTO_UNAVAILABLE);
	pthread_join(tid, NULL);
	assert_int_equal(pthread_create(&tid, NULL, slow_wrong, NULL), 0);
	usleep(300 * 1000);
	assert_int_equal(wrong("other"), PROTO_UNAVAILABLE);
	pthread_join(tid, NULL);
}

/* --- the pending table as a unit ------------------------------------- */

static void
test_pending_fairness(void **state)
{
	struct pending_login p, gone;
	uint8_t token[PENDING_TOKEN_LEN];
	char owner[PENDING_OWNER_MAX];
	int ev, slot;

	(void)state;
	/* Fill the whole table, PENDING_SHARE per owner. */
	for (int o = 0; o < PENDING_MAX / PENDING_SHARE; o++) {
		t_fmt(owner, "h:203.0.113.%d", o);
		for (int i = 0; i < PENDING_SHARE; i++) {
			slot = pending_reserve(owner, &gone, &ev);
			assert_true(slot >= 0);
			assert_int_equal(ev, 0);
			memset(&p, 0, sizeof(p));
			t_fmt(p.user, "u%d", o);
			pending_fill(slot, &p, token, 60000);
		}
		/* Its share is full. */
		assert_int_equal(pending_reserve(owner, &gone, &ev), -1);
	}
	/* A newcomer still gets in, at the cost of a large owner. */
	slot = pending_reserve("u:1000", &gone, &ev);
	assert_true(slot >= 0);
	assert_int_equal(ev, 1);
	memset(&p, 0, sizeof(p));
	snprintf(p.user, sizeof(p.user), "alice");
	p.peer_uid = 1000;
	pending_fill(slot, &p, token, 60000);
	assert_int_equal(pending_count("u:1000"), 1);
	/* Only its own caller, for its user, may take it; anyone else
	 * leaves it in place. */
	assert_int_equal(pending_take(token, "alice", 1001, &p), -1);
	assert_int_equal(pending_take(token, "bob", 1000, &p), -1);
	assert_int_equal(pending_take(token, "alice", 1000, &p), 0);
	assert_int_equal(pending_take(token, "alice", 1000, &p), -1);
}

/* Thousands of hosts with one wrong password each: a newcomer still
 * gets a place, at the cost of a login that could only fail. */
static void
test_pending_many_hosts(void **state)
{
	struct pending_login p, gone;
	uint8_t token[PENDING_TOKEN_LEN];
	char owner[PENDING_OWNER_MAX];
	int ev, slot;

	(void)state;
	for (int i = 0; i < PENDING_MAX; i++) {
		t_fmt(owner, "h:198.51.%d.%d", i / 256, i % 256);
		slot = pending_reserve(owner, &gone, &ev);
		assert_true(slot >= 0);
		memset(&p, 0, sizeof(p));
		t_fmt(p.user, "spray%d", i);
		pending_fill(slot, &p, token, 60000);
	}
	slot = pending_reserve("h:192.0.2.10", &gone, &ev);
	assert_true(slot >= 0);
	assert_int_equal(ev, 1);
	assert_int_equal(gone.password_ok, 0);
	pending_release(slot);
	/* IPv6 hosts count by their /64. */
	pending_owner(0, "2001:db8:1:2:aaaa::1", "x", owner);
	assert_string_equal(owner, "n:2001:0db8:0001:0002::/64");
	pending_owner(0, "192.0.2.1", "x", owner);
	assert_string_equal(owner, "h:192.0.2.1");
}

static int
start_plain(void **state)
{
	(void)state;
	return td_start_in(&d, "verbs", NULL);
}

static int
start_codes(void **state)
{
	(void)state;
	/* Locked hosts not told: their logins take code-step places too,
	 * the worst case for the table. */
	return td_start_in(&d, "codes", "[totp]\nrequired = all\n"
			   "code_timeout = 2s\n"
			   "[lockout]\ntell_locked = no\n");
}

static int
start_slow(void **state)
{
	(void)state;
	/* One worker and a one-second deadline; stored hashes may cost up
	 * to 40 passes. */
	return td_start_in(&d, "slow", "[daemon]\nhash_workers = 1\n"
			   "request_timeout = 1s\n"
			   "[password]\nargon2_memory = 8192\n"
			   "argon2_time = 1\nargon2_max_time = 40\n"
			   "[lockout]\ntell_locked = no\n");
}

static int
stop(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_no_side_door),
		cmocka_unit_test(test_code_only_nothing),
		cmocka_unit_test(test_pwcheck_counted),
		cmocka_unit_test(test_self_confirm_counted),
		cmocka_unit_test(test_right_last_attempt_no_lock),
		cmocka_unit_test(test_context_scrubbed),
		cmocka_unit_test(test_unknown_name_kept_out),
		cmocka_unit_test(test_unavailable_says_why),
		cmocka_unit_test(test_reads_go_on_while_writes_wait),
		cmocka_unit_test(test_abandoned_login),
	};
	const struct CMUnitTest codes[] = {
		cmocka_unit_test(test_hangup_recorded),
		cmocka_unit_test(test_pending_share),
	};
	const struct CMUnitTest slow[] = {
		cmocka_unit_test(test_locked_waits_its_turn),
	};
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_pending_fairness),
		cmocka_unit_test(test_pending_many_hosts),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("verbs", plain, start_plain,
					      stop);
	failed += cmocka_run_group_tests_name("code step", codes, start_codes,
					      stop);
	failed += cmocka_run_group_tests_name("busy queue", slow, start_slow,
					      stop);
	failed += cmocka_run_group_tests_name("pending", unit, NULL, NULL);
	return failed != 0;
}
