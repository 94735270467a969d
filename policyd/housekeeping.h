/*
 * housekeeping.h - the daemon's periodic work (see housekeeping.c).
 */
#ifndef POLICYD_HOUSEKEEPING_H
#define POLICYD_HOUSEKEEPING_H

#include "daemon.h"

/* Called by the server loop about once a second, on its own thread. */
void housekeeping(struct daemon *d);
/* Makes the next tick prune (after SIGHUP: new windows, new retention). */
void housekeeping_soon(void);

#endif
