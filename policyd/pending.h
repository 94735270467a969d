/*
 * pending.h - logins waiting for their verification code.
 *
 * After the password step the daemon keeps what it learnt (whether the
 * password was right, the counted attempt) under a random token, never
 * the password itself; the module sends the code with that token.  The
 * table is bounded and entries expire, so a client that never sends its
 * code costs nothing lasting.
 */
#ifndef POLICYD_PENDING_H
#define POLICYD_PENDING_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"
#include "store.h"

#define PENDING_TOKEN_LEN 16
#define PENDING_MAX 1024
#define PENDING_TTL_MS (120 * 1000)

struct pending_login {
	char user[PROTO_MAX_NAME + 1];
	uid_t peer_uid;			/* only the same caller may finish */
	int password_ok;
	int disabled;			/* told only after a right code */
	int64_t user_id;		/* 0 for an unknown user */
	char rhost[PROTO_MAX_TEXT + 1];
	char service[PROTO_MAX_TEXT + 1];
	char tty[PROTO_MAX_TEXT + 1];
	struct attempt_ticket ticket;	/* the counted attempt */
	int64_t expires_ms;		/* set by pending_put */
};

/* Stores p under a new random token.  0, or -1 when the table is full of
 * live entries. */
int pending_put(struct pending_login *p, uint8_t token[PENDING_TOKEN_LEN]);

/* Takes (removes) the entry for token, if it has not expired.  0 or -1. */
int pending_take(const uint8_t token[PENDING_TOKEN_LEN],
		 struct pending_login *out);

#endif
