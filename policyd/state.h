/*
 * state.h - the daemon's state on disk: the store and the TOTP key file
 * that seals the store's secrets.  The two are made together, only when
 * asked (policyd --init, or the first start, when the store's directory
 * did not exist), and belong together: the store keeps a check value of
 * its key, and a start with another key, or without one, is refused.
 */
#ifndef POLICYD_STATE_H
#define POLICYD_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "seal.h"
#include "store.h"

/* What state_open made or wrote. */
struct state_made {
	int store;		/* a new store */
	int key;		/* a new key file */
	int recorded;		/* the key's check value, in a store without */
};

/*
 * Opens the store at db with the key of key_file (into key), the store's
 * files and directory checked by the caller.  With `create`, a missing
 * or empty store is made, and with it the key file if there is none
 * (owned by uid:gid); a key file is never made for an existing store.
 * The key must match the store's check value, which is recorded if the
 * store has none.  Returns 0 with *st open, or -1 with one line naming
 * the path and what to do in err (then nothing is open, key is wiped,
 * and a key file made here for a store that could not be made is
 * removed).
 */
int state_open(const char *db, const char *key_file, int create, uid_t uid,
	       gid_t gid, struct store **st, uint8_t key[SEAL_KEY_LEN],
	       struct state_made *made, char *err, size_t errsz);

/*
 * policyd -t: if a store is at db, whether key_file is its key, read
 * without changing anything.  0 when it is, or when there is nothing to
 * compare (no store; a store without a check value yet: a note in
 * `note`, else note is ""); -1 with what is wrong in err.
 */
int state_check(const char *db, const char *key_file, uid_t uid, char *note,
		size_t notesz, char *err, size_t errsz);

#endif
