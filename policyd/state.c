/*
 * state.c - the store and its key file, made together and checked
 * together; see state.h.
 *
 * A start never makes either in place of a lost one: a store made anew
 * forgets every user, lock and counted failure and restarts the audit
 * chain at 1, and a key made anew opens none of the sealed TOTP secrets.
 * Restoring a backup or starting afresh (policyd --init) is the
 * administrator's decision.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "state.h"
#include "wipe.h"

#define KEY_CHECK_CONTEXT "policyd key check v1"

/* BLAKE2b keyed with the key, over a fixed string: tells one key from
 * another, and tells nothing of the key. */
static void
key_check_value(const uint8_t key[SEAL_KEY_LEN],
		uint8_t out[STORE_KEY_CHECK_LEN])
{
	crypto_generichash(out, STORE_KEY_CHECK_LEN,
			   (const uint8_t *)KEY_CHECK_CONTEXT,
			   sizeof(KEY_CHECK_CONTEXT) - 1, key, SEAL_KEY_LEN);
}

/* The key of a store: an existing store's must be there; a new store's
 * is made if there is none (an existing one is kept: no secret is
 * sealed under it in a new store). */
static int
key_for(const char *db, const char *key_file, int new_store, uid_t uid,
	gid_t gid, uint8_t key[SEAL_KEY_LEN], struct state_made *made,
	char *err, size_t errsz)
{
	int rc = seal_load_key(key_file, uid, key, err, errsz);

	if (rc == SEAL_KEY_MISSING && new_store) {
		rc = seal_create_key(key_file, uid, gid, key, err, errsz);
		made->key = rc == 0;
	} else if (rc == SEAL_KEY_MISSING) {
		snprintf(err, errsz, "%s: no key file, and the sealed TOTP "
			 "secrets of the store %s need it: restore it from a "
			 "backup", key_file, db);
	}
	return rc == 0 ? 0 : -1;
}

/* The key against the store's check value, recorded first if the store
 * has none (a new store, or one of an older version), with its audit
 * record. */
static int
key_matches(struct store *st, const char *db, const char *key_file,
	    const uint8_t key[SEAL_KEY_LEN], int new_store,
	    struct state_made *made, char *err, size_t errsz)
{
	uint8_t want[STORE_KEY_CHECK_LEN], have[STORE_KEY_CHECK_LEN];
	struct audit_rec ev;
	int rc = -1;

	memset(&ev, 0, sizeof(ev));
	ev.event = "key-check";
	ev.result = "recorded";
	ev.reason = new_store ? "new-store" : "older-store";
	ev.actor_uid = -1;
	key_check_value(key, want);
	if (store_key_check(st, want, have, &made->recorded, &ev) != STORE_OK)
		snprintf(err, errsz, "%s: cannot read or record the check "
			 "value of the key file %s", db, key_file);
	else if (sodium_memcmp(want, have, sizeof(want)) != 0)
		snprintf(err, errsz, "%s does not belong to the store %s "
			 "(check value differs)", key_file, db);
	else
		rc = 0;
	audit_done(&ev);
	return rc;
}

int
state_open(const char *db, const char *key_file, int create, uid_t uid,
	   gid_t gid, struct store **st, uint8_t key[SEAL_KEY_LEN],
	   struct state_made *made, char *err, size_t errsz)
{
	int rc = store_exists(db, err, errsz), new_store;

	memset(made, 0, sizeof(*made));
	*st = NULL;
	if (rc == STORE_ERROR)
		return -1;
	if (sodium_init() < 0) {
		snprintf(err, errsz, "cannot initialise libsodium");
		return -1;
	}
	new_store = rc == STORE_NOT_FOUND;
	if (new_store && !create) {
		snprintf(err, errsz, "%s: no store (missing or empty); restore "
			 "it from a backup, or create a new one with policyd "
			 "--init", db);
		return -1;
	}
	if (key_for(db, key_file, new_store, uid, gid, key, made, err,
		    errsz) != 0)
		return -1;
	rc = store_open(db, new_store ? STORE_CREATE : 0, st, err, errsz);
	made->store = new_store && rc == STORE_OK;
	if (rc == STORE_OK && key_matches(*st, db, key_file, key, new_store,
					  made, err, errsz) == 0)
		return 0;
	store_close(*st);
	*st = NULL;
	wipe(key, SEAL_KEY_LEN);
	if (made->key && !made->store)
		unlink(key_file);	/* nothing is sealed under it */
	return -1;
}

int
state_check(const char *db, const char *key_file, uid_t uid, char *note,
	    size_t notesz, char *err, size_t errsz)
{
	uint8_t key[SEAL_KEY_LEN], want[STORE_KEY_CHECK_LEN];
	uint8_t have[STORE_KEY_CHECK_LEN];
	struct state_made made;
	int rc;

	note[0] = '\0';
	memset(&made, 0, sizeof(made));
	rc = store_exists(db, err, errsz);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? 0 : -1;
	if (sodium_init() < 0) {
		snprintf(err, errsz, "cannot initialise libsodium");
		return -1;
	}
	if (key_for(db, key_file, 0, uid, 0, key, &made, err, errsz) != 0)
		return -1;
	key_check_value(key, want);
	wipe(key, sizeof(key));
	rc = store_key_check_peek(db, have, err, errsz);
	if (rc == STORE_NOT_FOUND)
		snprintf(note, notesz, "%s: no check value of its key yet (a "
			 "store of an older version): the next start records "
			 "that of %s", db, key_file);
	if (rc == STORE_OK && sodium_memcmp(want, have, sizeof(want)) != 0) {
		snprintf(err, errsz, "%s does not belong to the store %s "
			 "(check value differs)", key_file, db);
		return -1;
	}
	return rc == STORE_ERROR ? -1 : 0;
}
