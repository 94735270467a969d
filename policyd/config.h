/*
 * config.h - policyd's configuration: one INI file, parsed with inih.
 *
 * Every key has a default (cfg_defaults), every value is range-checked,
 * and an unknown section or key, a repeated key, a bad value, or a
 * duration without a unit is an error naming the file and line.
 */
#ifndef POLICYD_CONFIG_H
#define POLICYD_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_DEFAULT_PATH "/etc/policyd/policyd.conf"
#define CFG_NAME_MAX 33		/* user and group names, with the NUL */
#define CFG_MAX_KEYS 64		/* room for config.c's table of keys */

/* Argon2id cost: the parameters new hashes get, and the most a stored hash
 * may ask for before it is refused without being computed. */
struct cfg_argon2 {
	uint32_t memory_kib;
	uint32_t time;
	uint32_t parallelism;
	uint32_t max_memory_kib;
	uint32_t max_time;
	uint32_t max_parallelism;
};

/* The rules a new password must pass, and how long one lasts. */
struct cfg_policy {
	uint32_t min_length;	/* characters */
	uint32_t max_length;
	uint32_t min_classes;
	uint32_t min_entropy;	/* bits, as zxcvbn estimates them */
	uint32_t history;	/* earlier passwords that may not come back */
	uint32_t min_age;	/* seconds */
	uint32_t max_age;	/* seconds; 0 never expires */
	uint32_t warn_age;	/* seconds */
};

/* Failure counting and locks, per account and per remote host. */
struct cfg_lockout {
	uint32_t deny;			/* failures that lock an account */
	uint32_t fail_interval;		/* seconds they are counted over */
	uint32_t unlock_time;		/* seconds; 0 until an admin unlocks */
	uint32_t even_deny_root;	/* lock root too */
	uint32_t root_unlock_time;
	uint32_t source_deny;		/* failures that lock a remote host */
	uint32_t source_interval;
	uint32_t source_unlock_time;
	uint32_t tell_locked;		/* say "locked" after the factors */
};

enum totp_required { TOTP_OFF, TOTP_ENROLLED, TOTP_ALL, TOTP_GROUP };

/* The second factor. */
struct cfg_totp {
	char required[64];	/* as written: all, enrolled, group:NAME, off */
	int required_mode;	/* enum totp_required, from required */
	char required_group[CFG_NAME_MAX];
	uint32_t window;	/* steps each side of now */
	uint32_t digits;
	uint32_t period;	/* seconds */
	char algorithm[16];	/* sha1, sha256, sha512 */
	int algorithm_id;	/* enum totp_algorithm, from algorithm */
	char issuer[65];
	uint32_t recovery_codes;
	uint32_t enroll_grace;	/* seconds after the user was added */
	uint32_t code_timeout;	/* seconds a login waits for its code */
};

struct cfg {
	/* [daemon] */
	char runtime_dir[PATH_MAX];
	char database[PATH_MAX];
	char user[CFG_NAME_MAX];	/* "" keeps the starting user */
	char admin_group[CFG_NAME_MAX];	/* "" means root only */
	uint32_t hash_workers;		/* 0: one per CPU */
	uint32_t max_connections;
	uint32_t request_timeout;	/* seconds */
	/* [password] */
	struct cfg_argon2 argon2;
	struct cfg_policy policy;
	/* Read at start and on reload, never by a request, so kept out of
	 * cfg_policy and cfg_totp, which every request copies (a request
	 * finds the breached filter's name in struct words). */
	char blocklist[PATH_MAX];	/* "" for none */
	char breached_filter[PATH_MAX];	/* "" for none */
	/* [lockout] */
	struct cfg_lockout lockout;
	/* [totp] */
	struct cfg_totp totp;
	char totp_key_file[PATH_MAX];
	/* [audit] */
	uint32_t audit_retention;	/* seconds; 0 keeps every record */
	char alert_command[PATH_MAX];	/* "" for none */
	uint32_t alert_interval;	/* seconds between alerts of a kind */
	uint32_t alert_unknown_burst;	/* unknown names a minute: alert */
	char seal_key_file[PATH_MAX];	/* "": seal.key beside database */
	/* Where the values came from, for cfg_describe: the file read and
	 * the line that set each key of config.c's table (0: the default). */
	char source[PATH_MAX];
	uint32_t set_line[CFG_MAX_KEYS];
	/* After a reload: the file now says another value for the key,
	 * which takes effect only at the next start. */
	uint8_t pending[CFG_MAX_KEYS];
};

void cfg_defaults(struct cfg *c);

/*
 * Reads the file at path into *c (which starts from the defaults).  The
 * file is opened without following a symlink and must be a regular file
 * that nobody but its owner (root or the current user) can write, in
 * directories that pass trusted_dirs (trusted.h).
 * Returns 0, or -1 with "path:line: reason" (or "path: reason") in err;
 * *c is only written on success.
 */
int cfg_load(const char *path, struct cfg *c, char *err, size_t errsz);

/*
 * A setting the file may make but should not: it weakens a default
 * below its floor (min_length below 12, min_entropy below 40, history or
 * source_deny 0).  msg is "path:line: key = value ..." and lives only
 * for the call.
 */
typedef void cfg_warn_fn(void *arg, const char *msg);

/* cfg_load, then, if it succeeded, warn(arg, ...) once per weak setting;
 * warn may be NULL. */
int cfg_load_warn(const char *path, struct cfg *c, cfg_warn_fn *warn,
		  void *arg, char *err, size_t errsz);

/* cfg_load's parse, over a stream already open (cfg_load's trusted file,
 * or a buffer through fmemopen); errors name name.  The stream is read to
 * its end or its first error and left open for the caller to close. */
int cfg_load_stream(FILE *fp, const char *name, struct cfg *c, char *err,
		    size_t errsz);

/*
 * Calls fn(arg, name, text) once per key of the configuration, in the
 * table's order: name is "config.SECTION.KEY", text the effective value
 * (a duration with its largest exact unit, a switch as yes or no, an empty
 * string as "") followed by " (default)" or " (FILE:LINE)", where it was
 * set.  The configuration holds no secret (key files are named, never
 * read here), so every key is described.  Both strings live only for the
 * call.
 */
typedef void cfg_describe_fn(void *arg, const char *name, const char *text);
void cfg_describe(const struct cfg *c, cfg_describe_fn *fn, void *arg);

/* After a reload copied some of next's values into c: each key takes
 * next's line; those whose value c does not hold as next does (bound at
 * start) are marked pending: their value is the one in force, the file's
 * comes at the next start. */
void cfg_take_sources(struct cfg *c, const struct cfg *next);

/* Parses a duration such as "30s", "15m", "12h", "1d", or "0", into
 * seconds.  Returns 0, or -1 if it has no unit, a bad unit, or overflows. */
int cfg_parse_duration(const char *s, uint64_t *seconds);

#endif
