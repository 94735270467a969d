/*
 * daemon.h - what every part of the running daemon shares: the store and
 * the configuration in force, which SIGHUP may replace at any moment.
 */
#ifndef POLICYD_DAEMON_H
#define POLICYD_DAEMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "store.h"

/* The words zxcvbn treats as known besides the user name (the host name
 * and the blocklist), and the breached filter's file name.  Shared by
 * requests; replaced on SIGHUP, freed when the last request using it is
 * done. */
struct words {
	unsigned refs;		/* guarded by the daemon's cfg_lock */
	char **list;		/* NULL-terminated */
	char *breached_filter;	/* NULL for none */
};

struct daemon {
	struct store *store;
	uint8_t totp_key[32];	/* seals TOTP secrets; read at start */
	uint8_t name_key[32];	/* keys the hashes of unknown names */
	const char *cfg_path;
	uid_t uid;		/* ours, after dropping privileges */
	pthread_mutex_t cfg_lock;
	struct cfg cfg;		/* guarded by cfg_lock */
	struct words *words;	/* guarded by cfg_lock */
	gid_t admin_gid;	/* guarded by cfg_lock */
	int have_admin_gid;	/* guarded by cfg_lock */
	/* The last reload's outcome, for policyctl reload. */
	pthread_mutex_t reload_lock;
	pthread_cond_t reload_done;
	uint64_t reloads;	/* reloads so far, refused or not */
	int reload_ok;
	char reload_why[512];	/* why it was refused */
};

/* Asks for a reload of this instance (SIGHUP to itself) and waits up to
 * timeout_ms for its outcome: 1 reloaded, 0 refused (why in why), -1
 * no outcome in time. */
int daemon_reload(struct daemon *d, int timeout_ms, char *why, size_t whysz);

/* The settings a request needs, copied under the lock; words is held
 * until settings_release. */
struct settings {
	struct cfg_argon2 argon2;
	struct cfg_policy policy;
	struct cfg_lockout lockout;
	struct cfg_totp totp;
	uint32_t audit_retention;
	struct words *words;
	uint32_t request_timeout;
	uint32_t max_connections;
	gid_t admin_gid;
	int have_admin_gid;
};

void daemon_settings(struct daemon *d, struct settings *s);
/* Just the connection limits, for the server loop: a struct settings is
 * about 12 KiB, and every connection thread's stack would hold one. */
void daemon_limits(struct daemon *d, uint32_t *request_timeout,
		   uint32_t *max_connections);

/* Purges audit records older than the retention (admin_audit.c). */
void audit_maintain(struct daemon *d, uint32_t retention);
void settings_release(struct daemon *d, struct settings *s);

/* Loads the known words for cfg (blocklist file and host name): a new
 * struct words with one reference, or NULL with a reason in err. */
struct words *words_load(const struct cfg *cfg, char *err, size_t errsz);
/* Drops a reference; call with cfg_lock held, or before threads run. */
void words_unref(struct words *w);

#endif
