/*
 * test_stress.c - many users' second factors at once, through the real
 * protocol against a real policyd.
 *
 * NUSERS users, each with TOTP and recovery codes; NTHREADS threads log
 * in round after round: PROTO_AUTH with the password, then, all released
 * together, PROTO_CODE with the token.  A round is one of three kinds:
 * two threads send one user's code for a new TOTP step (a replay); two
 * send one recovery code as its owner (a replay); or the owner sends a
 * recovery code while another user sends the same code as theirs (a
 * theft).  Every answer is checked against what was issued to whom: a
 * step or a recovery code accepted twice, a recovery code accepted for
 * another user, or a valid code refused is a violation; so are books in
 * the store that disagree with the logins that got in.  Bounded by ROUNDS
 * and by a wall-clock cap; it asserts what was accepted, never timing.
 */
#include <pthread.h>
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
#include <liboath/oath.h>

#include "client.h"
#include "proto.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"
#define NUSERS 16
#define NTHREADS (2 * NUSERS)
#define ROUNDS 32
#define NCODES 20	/* recovery codes each: one per recovery round */
#define CAP_SECONDS 40.0
#define PERIOD 30
#define WINDOW 10
#define CALL_MS 60000

enum kind { K_TOTP, K_RC_THEFT, K_RC_REPLAY };

struct user {
	char name[16];
	char key[64];		/* the raw TOTP secret */
	size_t keylen;
	char rc[NCODES][24];	/* recovery codes as issued */
	int rc_accepted;	/* recovery logins that got in */
	int64_t last_step;	/* last TOTP step that got in, or -1 */
};

/* What one thread does in a round, and what it was told. */
struct job {
	int login;		/* index of the user who logs in */
	char code[24];
	int auth;		/* status of PROTO_AUTH */
	int status;		/* status of PROTO_CODE */
};

struct counts {
	int rounds, logins, accepted;
	int totp_replay, rc_replay, rc_cross, refused, odd;
};

static struct tdaemon d;
static struct user users[NUSERS];
static struct job jobs[NTHREADS];
static pthread_barrier_t gate;
static int stop;

/* --- The protocol ------------------------------------------------------- */

static int
call(uint8_t type, struct job *j, const uint8_t *token, uint8_t out[16])
{
	uint8_t req[512], rep[512];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	struct wfield f;
	char err[256];
	int status = -1;

	if (client_open(&c, d.pam_sock, CALL_MS, err, sizeof(err)) != 0)
		return -1;
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, type);
	wire_put_str(&w, PROTO_T_USER, users[j->login].name);
	if (type == PROTO_AUTH)
		wire_put_str(&w, PROTO_T_PASSWORD, PW);
	else
		wire_put_bytes(&w, PROTO_T_TOKEN, token, 16);
	if (type == PROTO_CODE)
		wire_put_str(&w, PROTO_T_CODE, j->code);
	if (client_call(&c, &w, rep, sizeof(rep), &m) == CLIENT_OK) {
		status = m.status;
		if (out != NULL && wire_find(&m, PROTO_T_TOKEN, &f) == 0 &&
		    f.len == 16)
			memcpy(out, f.val, 16);
	}
	client_close(&c);
	return status;
}

/* One thread: every round, the password step, then (all at once) the
 * code step.  Three waits a round, with the main thread. */
static void *
worker(void *arg)
{
	struct job *j = arg;
	uint8_t token[16];

	for (;;) {
		pthread_barrier_wait(&gate);
		if (stop)
			return NULL;
		memset(token, 0, sizeof(token));
		j->auth = call(PROTO_AUTH, j, NULL, token);
		pthread_barrier_wait(&gate);
		j->status = j->auth == PROTO_NEED_CODE
				    ? call(PROTO_CODE, j, token, NULL)
				    : -1;
		pthread_barrier_wait(&gate);
	}
}

/* --- Users, codes ------------------------------------------------------- */

static void
totp_code(const struct user *u, int64_t step, char out[16])
{
	assert_int_equal(oath_totp_generate(u->key, u->keylen,
					    (time_t)(step * PERIOD), PERIOD,
					    0, 6, out), OATH_OK);
}

/* The recovery codes after "shown only now):" in out. */
static void
read_codes(struct user *u, const char *out)
{
	const char *p = strstr(out, "shown only now):\n");
	int n;

	assert_non_null(p);
	p += 17;
	for (int i = 0; i < NCODES; i++) {
		assert_int_equal(sscanf(p, " %23s%n", u->rc[i], &n), 1);
		assert_int_equal(strlen(u->rc[i]), 19);
		p += n;
	}
}

static void
enrol(struct user *u, int i)
{
	char args[64], out[16384], input[32], code[16], b32[64], *raw;
	const char *p;

	t_fmt(u->name, "stress%02d", i);
	assert_int_equal(td_add_user(&d, u->name, PW), 0);
	t_fmt(args, "totp enroll %s", u->name);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0, args),
			 0);
	p = strstr(out, "by hand: ");
	assert_non_null(p);
	assert_int_equal(sscanf(p + 9, "%63s", b32), 1);
	assert_int_equal(oath_base32_decode(b32, strlen(b32), &raw,
					    &u->keylen), OATH_OK);
	assert_true(u->keylen <= sizeof(u->key));
	memcpy(u->key, raw, u->keylen);
	free(raw);
	totp_code(u, time(NULL) / PERIOD, code);
	t_fmt(input, "%s\n", code);
	t_fmt(args, "totp confirm %s", u->name);
	assert_int_equal(td_ctl(&d, input, out, sizeof(out), NULL, 0, args),
			 0);
	read_codes(u, out);
	u->last_step = -1;
}

/* --- Rounds ------------------------------------------------------------- */

static enum kind
kind_of(int round)
{
	static const enum kind seq[4] = { K_TOTP, K_RC_THEFT, K_TOTP,
					  K_RC_REPLAY };

	return seq[round % 4];
}

/* The jobs of a round.  Thread t plays user t % NUSERS; the second half
 * replays the first, or, in a theft round, logs in as another user with
 * the first half's recovery code.  rc: the recovery code's index. */
static void
plan(int round, int64_t step, int rc)
{
	enum kind k = kind_of(round);

	for (int t = 0; t < NTHREADS; t++) {
		struct job *j = &jobs[t];
		int u = t % NUSERS;

		memset(j, 0, sizeof(*j));
		j->login = u;
		if (k == K_TOTP)
			totp_code(&users[u], step, j->code);
		else
			t_fmt(j->code, "%s", users[u].rc[rc]);
		if (k == K_RC_THEFT && t >= NUSERS)
			j->login = (u + 1 + round % (NUSERS - 1)) % NUSERS;
	}
}

static void
check_pair(struct counts *c, enum kind k, int u, int64_t step)
{
	const struct job *a = &jobs[u], *b = &jobs[u + NUSERS];
	int ok = (a->status == PROTO_OK) + (b->status == PROTO_OK);
	int thief_ok = k == K_RC_THEFT && b->status == PROTO_OK;

	for (int i = 0; i < 2; i++) {
		const struct job *j = i == 0 ? a : b;

		if (j->auth != PROTO_NEED_CODE ||
		    (j->status != PROTO_OK && j->status != PROTO_DENIED)) {
			c->odd++;
			fprintf(stderr, "user %d: auth %d, code %d\n", u,
				j->auth, j->status);
		}
	}
	c->accepted += ok;
	if (k == K_TOTP && ok == 2)
		c->totp_replay++;
	if (k == K_RC_REPLAY && ok == 2)
		c->rc_replay++;
	if (thief_ok)
		c->rc_cross++;
	if (ok == 0 || (k == K_RC_THEFT && a->status != PROTO_OK))
		c->refused++;
	if (k == K_TOTP && ok > 0)
		users[u].last_step = step;
	if (k != K_TOTP && a->status == PROTO_OK)
		users[u].rc_accepted++;
	if (thief_ok || (k == K_RC_REPLAY && b->status == PROTO_OK))
		users[b->login].rc_accepted++;
}

/* The next TOTP step: after the last one, inside the daemon's window. */
static int
next_step(int64_t *step)
{
	int64_t now = time(NULL) / PERIOD;

	if (*step < now - (WINDOW - 1))
		*step = now - (WINDOW - 1);
	return *step <= now + WINDOW - 1 ? 0 : -1;
}

static void
run_round(struct counts *c, int round, int64_t *step, int *rc)
{
	enum kind k = kind_of(round);

	if (k == K_TOTP && next_step(step) != 0) {
		stop = 1;
		return;
	}
	plan(round, *step, *rc);
	pthread_barrier_wait(&gate);	/* go: the password steps */
	pthread_barrier_wait(&gate);	/* the code steps, all at once */
	pthread_barrier_wait(&gate);	/* done */
	for (int u = 0; u < NUSERS; u++)
		check_pair(c, k, u, *step);
	c->rounds++;
	c->logins += NTHREADS;
	if (k == K_TOTP)
		++*step;
	else
		++*rc;
}

/* The store's books: per user, recovery codes used and the last step,
 * as the logins that got in say they must be. */
static int
books_wrong(void)
{
	char cmd[PATH_MAX + 512], line[256], name[32];
	long long used, last;
	int wrong = 0, n = 0;
	FILE *fp;

	t_fmt(cmd, "sqlite3 -cmd '.timeout 5000' %s \"SELECT u.name, (SELECT count(*) FROM "
		   "recovery_codes r WHERE r.user_id = u.id AND r.used = 1), "
		   "t.last_step FROM users u JOIN totp t ON t.user_id = u.id "
		   "ORDER BY u.name\"", d.db);
	fp = t_popen(cmd);
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL &&
	       sscanf(line, "%31[^|]|%lld|%lld", name, &used, &last) == 3) {
		const struct user *u = &users[n++];

		if (strcmp(name, u->name) == 0 && used == u->rc_accepted &&
		    last == u->last_step)
			continue;
		wrong++;
		fprintf(stderr, "store: %s used %lld codes, step %lld; "
			"logins: %s %d codes, step %lld\n", name, used, last,
			u->name, u->rc_accepted, (long long)u->last_step);
	}
	pclose(fp);
	return wrong + (n != NUSERS);
}

static void
report(const struct counts *c, int books, double secs)
{
	printf("stress: %d rounds, %d logins, %d accepted in %.1f s\n",
	       c->rounds, c->logins, c->accepted, secs);
	printf("stress: violations: TOTP step accepted twice %d, recovery "
	       "code accepted twice %d, for another user %d, valid code "
	       "refused %d, odd answers %d, store books wrong %d\n",
	       c->totp_replay, c->rc_replay, c->rc_cross, c->refused, c->odd,
	       books);
}

static void
test_many_users_at_once(void **state)
{
	pthread_t tid[NTHREADS];
	struct counts c;
	int64_t step = 0;
	int rc = 0, books;
	double t0;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < NUSERS; i++)
		enrol(&users[i], i);
	/* Confirming used the current step; forget it, for a full window. */
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s 'UPDATE totp SET last_step = -1'",
			      d.db), 0);
	assert_int_equal(pthread_barrier_init(&gate, NULL, NTHREADS + 1), 0);
	for (int t = 0; t < NTHREADS; t++)
		assert_int_equal(pthread_create(&tid[t], NULL, worker,
						&jobs[t]), 0);
	t0 = t_now();
	for (int r = 0; r < ROUNDS && !stop; r++) {
		if (t_now() - t0 > CAP_SECONDS)
			break;
		run_round(&c, r, &step, &rc);
	}
	stop = 1;
	pthread_barrier_wait(&gate);
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(tid[t], NULL);
	pthread_barrier_destroy(&gate);
	books = books_wrong();
	report(&c, books, t_now() - t0);
	assert_true(c.rounds >= 8);
	assert_int_equal(c.totp_replay + c.rc_replay + c.rc_cross, 0);
	assert_int_equal(c.refused + c.odd + books, 0);
}

static int
group_setup(void **state)
{
	(void)state;
	if (oath_init() != OATH_OK)
		return -1;
	return td_start_in(&d, "stress",
			   "[daemon]\nmax_connections = 256\n"
			   "request_timeout = 60s\n"
			   "[lockout]\ndeny = 1000000\nsource_deny = 0\n"
			   "[totp]\nrequired = enrolled\nwindow = 10\n"
			   "recovery_codes = 20\n");
}

static int
group_teardown(void **state)
{
	(void)state;
	oath_done();
	return td_stop(&d) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_users_at_once),
	};

	return cmocka_run_group_tests_name("stress", tests, group_setup,
					   group_teardown);
}
