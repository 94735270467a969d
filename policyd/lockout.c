/* lockout.c - see lockout.h. */
#include <string.h>

#include "lockout.h"

void
lockout_user_rule(const struct cfg_lockout *c, const char *name,
		  struct lock_rule *r)
{
	r->deny = c->deny;
	r->interval = c->fail_interval;
	r->unlock = c->unlock_time;
	if (strcmp(name, "root") == 0) {
		r->deny = c->even_deny_root ? c->deny : 0;
		r->unlock = c->root_unlock_time;
	}
}

void
lockout_source_rule(const struct cfg_lockout *c, const char *rhost,
		    struct lock_rule *r)
{
	r->deny = rhost != NULL && rhost[0] != '\0' ? c->source_deny : 0;
	r->interval = c->source_interval;
	r->unlock = c->source_unlock_time;
}

int64_t
lockout_window_start(const struct lock_rule *r, int64_t now)
{
	return now - (int64_t)r->interval;
}

int
lockout_holds(int64_t until, int64_t now)
{
	return until == LOCK_FOREVER || now < until;
}

int
lockout_after_failure(const struct lock_rule *r, uint32_t count, int64_t now,
		      int64_t *until)
{
	if (r->deny == 0 || count < r->deny)
		return 0;
	*until = r->unlock == 0 ? LOCK_FOREVER : now + (int64_t)r->unlock;
	return 1;
}
