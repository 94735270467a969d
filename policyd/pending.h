/*
 * pending.h - logins waiting for their verification code.
 *
 * After the password step the daemon keeps what it learnt (whether the
 * password was right, the counted attempt) under a random token, never
 * the password itself; the module sends the code with that token.  The
 * table is bounded and entries expire, so a client that never sends its
 * code costs nothing lasting.
 *
 * Fairness: every entry has an owner (the peer uid of an unprivileged
 * caller, the remote host of root's logins (an IPv6 one by its /64),
 * else the user name tried), and no owner holds more than PENDING_SHARE
 * entries.  When the table is full, a login that can only fail (its
 * password was wrong) makes room first, since dropping it changes no
 * answer; then the owner with the most entries loses its oldest one to
 * an owner with fewer, so a quiet caller gets a place however many
 * others flood it.  A slot is reserved before the attempt is counted and
 * verified, so a login is never counted without its answer.
 */
#ifndef POLICYD_PENDING_H
#define POLICYD_PENDING_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"
#include "store.h"

#define PENDING_TOKEN_LEN 16
#define PENDING_MAX 4096
#define PENDING_SHARE 32	/* entries one owner may hold */
#define PENDING_OWNER_MAX (PROTO_MAX_TEXT + 3)

struct pending_login {
	char user[PROTO_MAX_NAME + 1];
	uid_t peer_uid;			/* only the same caller may finish */
	char peer_name[PROTO_MAX_NAME + 1]; /* its name, for the record */
	int password_ok;
	int disabled;			/* told only after a right code */
	int code_only;			/* totp_only: a right code refunds */
	int locked;			/* enum attempt_lock: refused as locked,
					 * not told, recorded at the code step */
	int64_t user_id;		/* 0 for an unknown user */
	char rhost[PROTO_MAX_TEXT + 1];
	char service[PROTO_MAX_TEXT + 1];
	char tty[PROTO_MAX_TEXT + 1];
	struct attempt_ticket ticket;	/* the counted attempt */
	int64_t expires_ms;		/* set by pending_fill */
};

/* Who an entry counts against: "u:UID" for an unprivileged peer,
 * "n:PREFIX::/64" for root with an IPv6 remote host, "h:HOST" for
 * another remote host, "l:USER" otherwise. */
void pending_owner(uid_t peer_uid, const char *rhost, const char *user,
		   char owner[PENDING_OWNER_MAX]);

/* Reserves a slot for owner: its index (>= 0), or -1 when the owner has
 * its share, or the table is full and no owner holds more than it.
 * When an entry of a larger owner made room, *was_evicted is 1 and
 * *evicted is that login (to be recorded; the caller wipes it). */
int pending_reserve(const char *owner, struct pending_login *evicted,
		    int *was_evicted);

/* Stores p in the reserved slot under a new random token, for ttl_ms.
 * Never fails. */
void pending_fill(int slot, struct pending_login *p,
		  uint8_t token[PENDING_TOKEN_LEN], int64_t ttl_ms);

/* Gives a reserved slot back unused. */
void pending_release(int slot);

/* Takes (removes) the live entry for token if it belongs to user and
 * peer_uid: 0 and *out, or -1 (no such live entry; an entry of someone
 * else stays where it is). */
int pending_take(const uint8_t token[PENDING_TOKEN_LEN], const char *user,
		 uid_t peer_uid, struct pending_login *out);

/* Removes every expired entry, calling cb for each (housekeeping: a
 * right password whose code never came is recorded).  Returns how many
 * went. */
typedef void (*pending_expired_cb)(const struct pending_login *p, void *arg);
unsigned pending_expire(pending_expired_cb cb, void *arg);

/* Slots held by owner (NULL: by anyone), live or reserved, expired or
 * not. */
unsigned pending_count(const char *owner);

#endif
