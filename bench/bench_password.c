/*
 * bench_password.c - what a password change costs at history = 12 and the
 * default argon2id parameters (m=64 MiB, t=3, p=1).
 *
 * A change verifies the candidate against the current hash and the 12
 * remembered ones (13 verifications), then hashes it once.  policyd runs
 * the verifications one after the other, each through the hash gate like
 * a login; the second row shows what spreading them over the hash workers
 * would give.  The last row is a real change through a real policyd.
 * Prints figures; asserts nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client.h"
#include "proto.h"
#include "testlib.h"

#define HISTORY 12
#define M_KIB 65536
#define T_COST 3

static char hashes[HISTORY + 1][crypto_pwhash_STRBYTES];

struct slice {
	int from, step;
};

static void *
verify_slice(void *arg)
{
	const struct slice *s = arg;

	for (int i = s->from; i <= HISTORY; i += s->step)
		if (crypto_pwhash_str_verify(hashes[i], "candidate", 9) == 0)
			abort();	/* never matches */
	return NULL;
}

/* Seconds for the 13 verifications over `workers` threads. */
static double
verify_all(int workers)
{
	pthread_t tid[64];
	struct slice s[64];
	double t0 = t_now();

	for (int w = 0; w < workers; w++) {
		s[w] = (struct slice){ w, workers };
		pthread_create(&tid[w], NULL, verify_slice, &s[w]);
	}
	for (int w = 0; w < workers; w++)
		pthread_join(tid[w], NULL);
	return t_now() - t0;
}

static int
change(const struct tdaemon *t, const char *pw)
{
	uint8_t req[512], rep[1024];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	char err[256];
	int status = -1;

	if (client_open(&c, t->pam_sock, 60000, err, sizeof(err)) != 0)
		return -1;
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, PROTO_CHPASS);
	wire_put_str(&w, PROTO_T_USER, "staff01");
	wire_put_str(&w, PROTO_T_NEW_PASSWORD, pw);
	if (client_call(&c, &w, rep, sizeof(rep), &m) == CLIENT_OK)
		status = m.status;
	client_close(&c);
	return status;
}

/* A real change through policyd, as root (no current password), once
 * the history is full.  Returns seconds per change. */
static double
daemon_change(void)
{
	struct tdaemon t;
	char dir[PATH_MAX], pw[64];
	double t0;
	/* QUICK=1: one timed change instead of three. */
	int rounds = getenv("QUICK") != NULL && strcmp(getenv("QUICK"), "1") == 0
			     ? 1
			     : 3;

	snprintf(dir, sizeof(dir), "%s/bench", t_dir());
	td_init(&t, dir, "history = 12\n");
	/* td_init's cheap cost is replaced with the defaults. */
	t_sh("sed -i 's/^argon2_memory = .*/argon2_memory = %d/; "
	     "s/^argon2_time = .*/argon2_time = %d/' %s", M_KIB, T_COST,
	     t.conf);
	if (td_start(&t) != 0 ||
	    td_add_user(&t, "staff01", "Bench-Start-Pass-0") != 0)
		return -1;
	for (int i = 1; i <= HISTORY; i++) {
		snprintf(pw, sizeof(pw), "Bench-Fill-Pass-%d", i);
		if (change(&t, pw) != PROTO_OK)
			return -1;
	}
	t0 = t_now();
	for (int i = 0; i < rounds; i++) {
		snprintf(pw, sizeof(pw), "Bench-Timed-Pass-%d", i);
		if (change(&t, pw) != PROTO_OK)
			return -1;
	}
	t0 = (t_now() - t0) / rounds;
	td_stop(&t);
	return t0;
}

int
main(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = ncpu > 0 && ncpu < 64 ? (int)ncpu : 1;
	double one, seq, par, real;
	char label[64];

	if (sodium_init() < 0)
		return 1;
	for (int i = 0; i <= HISTORY; i++)
		if (crypto_pwhash_str_alg(hashes[i], "old-password", 12,
					  T_COST, (size_t)M_KIB * 1024,
					  crypto_pwhash_ALG_ARGON2ID13) != 0)
			return 1;
	one = verify_all(1) / (HISTORY + 1);
	seq = verify_all(1);
	par = verify_all(workers);
	real = daemon_change();
	printf("password change, history = %d, argon2id m=%d KiB t=%d p=1\n",
	       HISTORY, M_KIB, T_COST);
	printf("  %-52s %8.1f ms\n", "one verification (libsodium)", one * 1e3);
	printf("  %-52s %8.1f ms\n",
	       "13 verifications, one after the other (policyd)", seq * 1e3);
	snprintf(label, sizeof(label),
		 "13 verifications spread over %d hash workers", workers);
	printf("  %-52s %8.1f ms\n", label, par * 1e3);
	printf("  %-52s %8.1f ms\n",
	       "a whole change through policyd (13 verify + 1 hash)",
	       real * 1e3);
	return real < 0 ? 1 : 0;
}
