/*
 * housekeeping.c - periodic work, run from the server loop's timer and
 * never from a request: logins whose code never came are recorded and
 * dropped every second; failures, locks and audit records past their
 * time are pruned every minute.
 */
#include <time.h>

#include "alert.h"
#include "daemon.h"
#include "housekeeping.h"
#include "login.h"
#include "pending.h"

#define PRUNE_EVERY 60	/* seconds */

static void
abandoned(const struct pending_login *p, void *arg)
{
	login_abandoned(arg, p, "no code given");
}

/* Failures of unknown names and of hosts must not pile up: forget those
 * older than any window or lock could need. */
static void
prune(struct daemon *d, int64_t now)
{
	struct settings set;
	int64_t keep;

	daemon_settings(d, &set);
	keep = set.lockout.fail_interval;
	if (set.lockout.source_interval > keep)
		keep = set.lockout.source_interval;
	store_prune(d->store, now - keep);
	audit_maintain(d, set.audit_retention);
	settings_release(d, &set);
}

/* When the last prune ran; 0 runs one at the next tick.  Only the server
 * loop's thread reads and writes it. */
static int64_t last_prune;

void
housekeeping_soon(void)
{
	last_prune = 0;
}

void
housekeeping(struct daemon *d)
{
	int64_t now = time(NULL);

	pending_expire(abandoned, d);
	store_maintain(d->store);
	alert_flush();
	if (now - last_prune < PRUNE_EVERY)
		return;
	last_prune = now;
	prune(d, now);
}
