/*
 * state.h - the daemon's state on disk: the store's directory and files,
 * and the store with the TOTP key file that seals the store's secrets.
 * The two are made together, only when asked (policyd --init, or the
 * first start, when the store's directory did not exist), and belong
 * together: the store keeps a check value of its key, and a start with
 * another key, or without one, is refused.
 */
#ifndef POLICYD_STATE_H
#define POLICYD_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "seal.h"
#include "store.h"

/* Creates the store's directory (the last component of db's, mode 0700)
 * if it is missing; *created says so.  0, or -1 with the reason in err. */
int state_make_dir(const char *db, int *created, char *err, size_t errsz);
/* Removes that directory again when `created` (and it is empty): a start
 * that made no store in it leaves the next one a first start. */
void state_unmake_dir(const char *db, int created);
/* The store's directories from / down and its files (db, -wal, -shm),
 * before anything opens them: owned by root or daemon_uid, writable by no
 * one else, the files plain and closed to group and others.  0, or -1
 * with the path and the reason in err. */
int state_files_checked(const char *db, uid_t daemon_uid, char *err,
			size_t errsz);
/* Gives the store's files, and its directory if `dir_created`, to
 * uid:gid through descriptors (for a start as root that switches user);
 * what cannot be given is logged as a warning. */
void state_give(const char *db, int dir_created, uid_t uid, gid_t gid);

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
