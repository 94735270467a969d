/*
 * daemon.h - what every part of the running daemon shares: the store and
 * the configuration in force, which SIGHUP may replace at any moment.
 */
#ifndef POLICYD_DAEMON_H
#define POLICYD_DAEMON_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "store.h"

struct daemon {
	struct store *store;
	const char *cfg_path;
	uid_t uid;		/* ours, after dropping privileges */
	pthread_mutex_t cfg_lock;
	struct cfg cfg;		/* guarded by cfg_lock */
	gid_t admin_gid;	/* guarded by cfg_lock */
	int have_admin_gid;	/* guarded by cfg_lock */
};

/* The settings a request needs, copied under the lock. */
struct settings {
	struct cfg_argon2 argon2;
	uint32_t request_timeout;
	uint32_t max_connections;
	gid_t admin_gid;
	int have_admin_gid;
};

void daemon_settings(struct daemon *d, struct settings *s);

#endif
