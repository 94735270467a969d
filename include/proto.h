/*
 * proto.h - the policyd wire protocol, shared by pam_policyd.so, policyd
 * and policyctl.
 *
 * A frame is a 4-byte big-endian payload length followed by the payload.
 * A request payload is:
 *
 *   u8 version | u8 type | u32 request id | fields...
 *
 * and a reply payload is:
 *
 *   u8 version | u8 type | u32 request id | u8 status | fields...
 *
 * where the reply's type is the request's type with PROTO_REPLY set and its
 * request id is the request's.  A field is u8 tag | u16 length | value.
 * Integers are big-endian; strings are length-counted bytes that never carry
 * a NUL; a record (PROTO_T_RECORD) is a field whose value is itself a
 * sequence of fields.
 */
#ifndef POLICYD_PROTO_H
#define POLICYD_PROTO_H

#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_MAX_FRAME 65536u	/* largest payload either side accepts */
#define PROTO_HEADER_LEN 6	/* version, type, request id */
#define PROTO_MAX_NAME 32	/* user names, as useradd allows */
#define PROTO_MAX_SECRET 4096	/* passwords, in bytes, before any policy */
#define PROTO_MAX_TEXT 255	/* host, tty and service names */
#define PROTO_MAX_CODE 64	/* a TOTP or recovery code, in bytes */
#define PROTO_FIELD(n) (3 + (n))	/* tag, length, value */
/* The largest request a client builds: CHPASS, with the user, both
 * passwords and the three context strings (a code step is smaller). */
#define PROTO_MAX_REQUEST                                               \
	(PROTO_HEADER_LEN + PROTO_FIELD(PROTO_MAX_NAME) +               \
	 2 * PROTO_FIELD(PROTO_MAX_SECRET) + 3 * PROTO_FIELD(PROTO_MAX_TEXT))
_Static_assert(PROTO_MAX_REQUEST <= PROTO_MAX_FRAME,
	       "every request fits a frame");

#define PAM_SOCKET_NAME "pam.sock"
#define ADMIN_SOCKET_NAME "admin.sock"
#define DEFAULT_RUNTIME_DIR "/run/policyd"

/* Message types.  The reply to type T has type T | PROTO_REPLY. */
enum proto_type {
	PROTO_PING = 1,		/* both sockets, anyone */
	PROTO_AUTH = 2,		/* pam.sock: user, password, rhost, tty, service */
	PROTO_ACCT = 3,		/* pam.sock: user, service */
	PROTO_CHPASS = 4,	/* pam.sock: user, [password], new password */
	PROTO_LOCK_CHECK = 5,	/* pam.sock, root: user, rhost (preauth) */
	PROTO_LOCK_FAIL = 6,	/* pam.sock, root: user, rhost (authfail) */
	PROTO_LOCK_SUCC = 7,	/* pam.sock, root: user, rhost (authsucc) */
	PROTO_CODE = 8,		/* pam.sock: user, token, code */
	PROTO_CODE_ONLY = 9,	/* pam.sock: user (totp_only: no password) */
	PROTO_SELF_ENROLL = 10,	/* pam.sock: user, password, [current code] */
	PROTO_SELF_CONFIRM = 11, /* pam.sock: user, password, code */
	PROTO_SELF_RESET = 12,	/* pam.sock: user, password, current code */
	PROTO_USER_ADD = 16,	/* admin.sock: user, password */
	PROTO_USER_DEL = 17,	/* admin.sock: user */
	PROTO_USER_LIST = 18,	/* admin.sock: [after]; reply: records, [more] */
	PROTO_USER_SHOW = 19,	/* admin.sock: user; reply: one record */
	PROTO_USER_DISABLE = 20, /* admin.sock: user */
	PROTO_USER_ENABLE = 21,	/* admin.sock: user */
	PROTO_PASSWD = 22,	/* admin.sock: user, new password */
	PROTO_PWCHECK = 23,	/* admin.sock: user, new password; no change */
	PROTO_EXPIRE = 24,	/* admin.sock: user; must change at next login */
	PROTO_UNLOCK = 25,	/* admin.sock: user, or rhost for a host */
	PROTO_LOCKS = 26,	/* admin.sock; reply: records */
	PROTO_STATS = 27,	/* admin.sock; reply: records of name, value */
	PROTO_TOTP_ENROLL = 28,	/* admin.sock: user; reply: secret, uri */
	PROTO_TOTP_CONFIRM = 29, /* admin.sock: user, code; reply: codes */
	PROTO_TOTP_RECOVERY = 30, /* admin.sock: user; reply: codes */
	PROTO_TOTP_RESET = 31,	/* admin.sock: user */
	PROTO_AUDIT_QUERY = 32,	/* admin.sock: filters; reply: records, more */
	PROTO_AUDIT_VERIFY = 33, /* admin.sock; reply: value (count), uid */
	PROTO_STATUS = 34,	/* admin.sock; reply: records of name, text */
	PROTO_RELOAD = 35,	/* admin.sock; reply: [text: why refused] */
};
#define PROTO_REPLY 0x80

/* Reply statuses. */
enum proto_status {
	PROTO_OK = 0,
	PROTO_DENIED = 1,	/* wrong credentials, or no such user */
	PROTO_LOCKED = 2,
	PROTO_EXPIRED = 3,
	PROTO_MUST_CHANGE = 4,
	PROTO_NEED_CODE = 5,
	PROTO_POLICY = 6,	/* refused by rules: one PROTO_T_REASON each */
	PROTO_UNAVAILABLE = 7,	/* overloaded or the store failed */
	PROTO_BAD_REQUEST = 8,	/* well-formed but unusable; see reason */
	PROTO_FORBIDDEN = 9,
	PROTO_DISABLED = 10,	/* right credentials, account disabled */
	PROTO_NOT_FOUND = 11,	/* admin verbs, and ACCT (root or self) */
	PROTO_EXISTS = 12,	/* admin verbs */
	PROTO_NOTHING = 13,	/* nothing to check here (totp_only, no code
				 * needed): the module says PAM_IGNORE */
	PROTO_STATUS_MAX = PROTO_NOTHING
};

/* Reason codes carried in PROTO_T_REASON. */
enum proto_reason {
	PROTO_R_NONE = 0,
	PROTO_R_MISSING_FIELD = 1,
	PROTO_R_BAD_NAME = 2,
	PROTO_R_EMPTY = 3,
	PROTO_R_TOO_LONG = 4,
	PROTO_R_BAD_TEXT = 5,	/* invalid UTF-8, or a NUL */
	PROTO_R_TOO_SHORT = 6,	/* see PROTO_T_MIN_LENGTH */
	PROTO_R_FEW_CLASSES = 7, /* see PROTO_T_MIN_CLASSES */
	PROTO_R_HAS_NAME = 8,
	PROTO_R_TOO_COMMON = 9,
	PROTO_R_REUSED = 10,
	PROTO_R_TOO_RECENT = 11,
	PROTO_R_BREACHED = 12,	/* in the breached-password filter */
	PROTO_R_SOURCE_LOCKED = 13, /* with PROTO_LOCKED: the host, not user */
	PROTO_R_NO_TOTP = 14,	/* no longer sent at login: it told a right password
				 * from a wrong one at the code step */
	PROTO_R_MAX = PROTO_R_NO_TOTP
};

/* Field tags. */
enum proto_tag {
	PROTO_T_USER = 1,	/* string */
	PROTO_T_PASSWORD = 2,	/* string, secret */
	PROTO_T_RHOST = 3,	/* string */
	PROTO_T_TTY = 4,	/* string */
	PROTO_T_SERVICE = 5,	/* string */
	PROTO_T_REASON = 6,	/* u32, enum proto_reason */
	PROTO_T_RECORD = 7,	/* nested fields: one user */
	PROTO_T_AFTER = 8,	/* string: list names after this one */
	PROTO_T_MORE = 9,	/* u8: 1 when a list continues */
	PROTO_T_UID = 10,	/* u64: store's user id */
	PROTO_T_DISABLED = 11,	/* u8 */
	PROTO_T_CREATED = 12,	/* u64: seconds since the epoch */
	PROTO_T_PW_CHANGED = 13, /* u64: seconds since the epoch */
	PROTO_T_VERSION = 14,	/* string: daemon version */
	PROTO_T_HASH_PARAMS = 15, /* string: "m=..,t=..,p=.." of the hash */
	PROTO_T_NEW_PASSWORD = 16, /* string, secret */
	PROTO_T_MIN_LENGTH = 17, /* u32, with PROTO_R_TOO_SHORT */
	PROTO_T_MIN_CLASSES = 18, /* u32, with PROTO_R_FEW_CLASSES */
	PROTO_T_DAYS_LEFT = 19,	/* u32: password expires in so many days */
	PROTO_T_MUST_CHANGE = 20, /* u8 */
	PROTO_T_LOCK_LEFT = 21,	/* u64: seconds a lock lasts; 0 until unlock */
	PROTO_T_LAST_LOGIN = 22, /* u64: time of the login before this one */
	PROTO_T_LAST_HOST = 23,	/* string */
	PROTO_T_FAILURES = 24,	/* u32: failed attempts since that login */
	PROTO_T_KIND = 25,	/* u8: 'u' account, 's' remote host */
	PROTO_T_TIME = 26,	/* u64 */
	PROTO_T_UNTIL = 27,	/* u64: end of a lock; 0 until unlocked */
	PROTO_T_NAME = 28,	/* string: a counter's name */
	PROTO_T_VALUE = 29,	/* u64: a counter's value */
	PROTO_T_FAILURE = 30,	/* record: time, rhost, service */
	PROTO_T_TOKEN = 31,	/* 16 bytes: a login waiting for its code */
	PROTO_T_CODE = 32,	/* string, secret: a TOTP or recovery code */
	PROTO_T_SECRET = 33,	/* string, secret: base32, at enrolment only */
	PROTO_T_URI = 34,	/* string, secret: otpauth:// URI */
	PROTO_T_TOTP_STATE = 35, /* u8: 0 none, 1 pending, 2 active, 3 both */
	PROTO_T_CODES_LEFT = 36, /* u32: unused recovery codes */
	PROTO_T_GRACE_LEFT = 37, /* u64: seconds left to enrol */
	PROTO_T_CURRENT_CODE = 38, /* string, secret: proves the old factor */
	PROTO_T_EVENT = 39,	/* string: an audit event name */
	PROTO_T_RESULT = 40,	/* string */
	PROTO_T_ACTOR = 41,	/* string: who acted (user name) */
	PROTO_T_ACTOR_UID = 42,	/* u64 (two's complement; -1: the daemon) */
	PROTO_T_SINCE = 43,	/* u64: time */
	PROTO_T_LIMIT = 44,	/* u32 */
	PROTO_T_ID = 45,	/* u64: an audit record's id */
	PROTO_T_HISTORY = 46,	/* u32: retired password hashes kept */
	PROTO_T_PURGE = 47,	/* u8: user del also forgets failures */
	PROTO_T_DEADLINE = 48,	/* u32: ms the client still waits (requests) */
	PROTO_T_TEXT = 49,	/* string: a status line's value */
	PROTO_T_PREV = 50,	/* 32 bytes: an audit record's chain hash before */
	PROTO_T_HASH = 51,	/* 32 bytes: and its own */
	PROTO_T_SEAL = 52,	/* 32 bytes: its seal, when sealed */
	PROTO_T_CHECKPOINT = 53, /* record: id, hash, [seal] where the chain
				   starts after a purge */
};

/* Reasons travel as bits of a u32 inside the daemon (rq->reasons). */
_Static_assert(PROTO_R_MAX < 32, "every reason fits a u32 bit set");

/* Human-readable name of a status, for policyctl and logs. */
const char *proto_status_name(int status);
/* Stable name of a reason code, for records; "unknown" past the list. */
const char *proto_reason_name(int reason);

#endif
