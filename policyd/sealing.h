/*
 * sealing.h - the audit trail's forward-secure seal in the daemon: the
 * key file at start, and its setup (policyd --setup-seal, --init), which
 * prints the verification key once for the administrator to keep off
 * the host.  See auditseal.h for the scheme, store_seal_start for what
 * the store does with the key.
 */
#ifndef POLICYD_SEALING_H
#define POLICYD_SEALING_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "store.h"

/* The key file's path: seal_key_file, or seal.key beside the database. */
int sealing_path(const struct cfg *c, char *out, size_t outsz);
/* At start: seals from now on with the key file's key, or, without a
 * key file, warns that the trail is not sealed.  0, or -1 with why. */
int sealing_start(const struct cfg *c, struct store *st, uid_t uid,
		  char *err, size_t errsz);
/* Sets sealing up for the store (there must be no key file yet): a new
 * key for the next record's position, its file owned by uid:gid, a
 * seal-setup record sealed with it, and the verification key printed to
 * out as text and as a QR code.  0, or -1 with why. */
int sealing_setup(const struct cfg *c, struct store *st, uid_t uid,
		  gid_t gid, FILE *out, char *err, size_t errsz);

#endif
