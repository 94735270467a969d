/*
 * bench_seal.c - what the audit trail's forward-secure seal costs.
 *
 * Two real daemons side by side, one with a sealed trail (policyd
 * --init) and one without (a first start), each counting failures for
 * root (authfail: one transaction and one audit record each, no argon2),
 * in interleaved rounds so that both see the same machine.  And the seal
 * alone, in process: the chain hash every record has, against the chain
 * hash plus the seal and the key's step to the next position.
 * Prints figures; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auditseal.h"
#include "proto.h"
#include "store.h"
#include "testlib.h"

#define ROUNDS 6
#define PER_ROUND 300
#define MICRO 200000

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds for PER_ROUND counted failures on t. */
static double
round_of(struct tdaemon *t)
{
	double t0 = now_s();

	for (int i = 0; i < PER_ROUND; i++)
		t_request(t->pam_sock, PROTO_LOCK_FAIL, "root", NULL);
	return now_s() - t0;
}

static void
micro(void)
{
	uint8_t prev[AUDIT_HASH_LEN] = { 0 }, hash[AUDIT_HASH_LEN];
	uint8_t seal[AUDIT_SEAL_LEN];
	struct audit_rec r;
	struct audit_key k;
	double t0, plain, sealed;

	memset(&r, 0, sizeof(r));
	r.event = "auth";
	r.user = "alice";
	r.host = "203.0.113.9";
	r.service = "sshd";
	r.tty = "ssh";
	r.result = "fail";
	r.reason = "password";
	r.time = 1796357270;
	t0 = now_s();
	for (int i = 0; i < MICRO; i++) {
		r.id = i + 1;
		store_record_hash(prev, &r, hash);
		memcpy(prev, hash, sizeof(prev));
	}
	plain = (now_s() - t0) / MICRO;
	audit_key_new(&k, 1, (uint64_t)r.time);
	t0 = now_s();
	for (int i = 0; i < MICRO; i++) {
		r.id = i + 1;
		store_record_hash(prev, &r, hash);
		audit_key_seal(&k, hash, seal);
		audit_key_seek(&k, k.pos + 1);
		memcpy(prev, hash, sizeof(prev));
	}
	sealed = (now_s() - t0) / MICRO;
	audit_key_wipe(&k);
	printf("per record, in process: chain hash %.2f us, with the seal "
	       "and the key's step %.2f us (+%.2f us)\n", plain * 1e6,
	       sealed * 1e6, (sealed - plain) * 1e6);
}

int
main(void)
{
	struct tdaemon plain, sealed;
	char dir[PATH_MAX];
	double tp = 0, ts = 0;

	if (sodium_init() < 0)
		return 1;
	t_fmt(dir, "%s/plain", t_dir());
	td_init(&plain, dir, NULL);
	t_fmt(dir, "%s/sealed", t_dir());
	td_init(&sealed, dir, NULL);
	if (td_init_store(&sealed) != 0 || td_start(&sealed) != 0 ||
	    td_start(&plain) != 0) {
		fprintf(stderr, "bench_seal: cannot start the daemons\n");
		return 1;
	}
	round_of(&plain);	/* warm both */
	round_of(&sealed);
	for (int i = 0; i < ROUNDS; i++) {
		tp += round_of(&plain);
		ts += round_of(&sealed);
	}
	printf("## The audit seal\n\n");
	printf("counted failures (authfail), one record each, %d rounds of "
	       "%d interleaved:\n", ROUNDS, PER_ROUND);
	printf("  trail not sealed  %8.0f/s\n", ROUNDS * PER_ROUND / tp);
	printf("  trail sealed      %8.0f/s  (ratio %.3f)\n",
	       ROUNDS * PER_ROUND / ts, tp / ts);
	micro();
	td_stop(&sealed);
	td_stop(&plain);
	return 0;
}
