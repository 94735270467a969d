/*
 * state.c - the daemon's state on disk: the store's directory and files
 * (checked before anything opens them, made and given to the daemon
 * user on descriptors), and the store and its key file, made together
 * and checked together; see state.h.
 *
 * A start never makes either in place of a lost one: a store made anew
 * forgets every user, lock and counted failure and restarts the audit
 * chain at 1, and a key made anew opens none of the sealed TOTP secrets.
 * Restoring a backup or starting afresh (policyd --init) is the
 * administrator's decision.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "log.h"
#include "state.h"
#include "trusted.h"
#include "wipe.h"

#define KEY_CHECK_CONTEXT "policyd key check v1"

/* Gives one file of the store's directory (dirfd) to the daemon user
 * through a descriptor, never by name: the directory belongs to that
 * user, who could otherwise swap the name for a symlink or a hard link
 * to a file of root's between our look and our chown. */
static void
give_file(int dirfd, const char *dir, const char *name, uid_t uid,
	  gid_t gid)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("%s/%s: not given to the daemon user: %s", dir,
				 name, strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		log_warn("%s/%s: not a plain file of its own; not given to "
			 "the daemon user", dir, name);
	else if (fchown(fd, uid, gid) != 0)
		log_warn("%s/%s: chown: %s", dir, name, strerror(errno));
	close(fd);
}

/*
 * The store's files belong to the daemon user, so that it can still write
 * them (and SQLite its -wal and -shm files) after the switch; so does
 * their directory, but only if policyd created it: an existing directory
 * is never taken over, only checked.  Everything is done on
 * descriptors.
 */
void
state_give(const char *db, int dir_created, uid_t uid, gid_t gid)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char dir[PATH_MAX], name[NAME_MAX + 1];
	const char *base;
	struct stat st;
	int dirfd;

	snprintf(dir, sizeof(dir), "%s", db);
	*strrchr(dir, '/') = '\0';
	base = strrchr(db, '/') + 1;
	dirfd = open(dir[0] != '\0' ? dir : "/",
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		log_warn("%s: %s", dir, strerror(errno));
		return;
	}
	if (dir_created && fchown(dirfd, uid, gid) != 0)
		log_warn("%s: chown: %s", dir, strerror(errno));
	else if (!dir_created && fstat(dirfd, &st) == 0 && st.st_uid != uid)
		log_warn("%s: not owned by the daemon user; SQLite may be "
			 "unable to create its -wal file after a restart",
			 dir);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", base, suffix[i]);
		give_file(dirfd, dir, name, uid, gid);
	}
	close(dirfd);
}

/* One of the store's files, if it exists: a plain file of root's or the
 * daemon user's that no one else may read (every password hash is in
 * it; a backup restored 0644 would show them all). */
static int
store_file_checked(const char *path, uid_t daemon_uid, char *err,
		   size_t errsz)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	const char *why = NULL;
	struct stat st;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != 0 && st.st_uid != daemon_uid &&
		 st.st_uid != geteuid())
		why = "owned by another user";
	else if ((st.st_mode & 077) != 0)
		why = "readable or writable by group or others (chmod 600 it)";
	close(fd);
	if (why == NULL)
		return 0;
	snprintf(err, errsz, "%s: %s", path, why);
	return -1;
}

/* The store's directory from / down (as sshd's safe_path: owned by root
 * or the daemon user, writable by no one else) and its files, before
 * anything opens them: whoever can write the directory could put their
 * own database, with their own hash for any user, in its place. */
int
state_files_checked(const char *db, uid_t daemon_uid, char *err,
		    size_t errsz)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char why[PATH_MAX + 160], path[PATH_MAX + 8];

	if (trusted_dirs(db, daemon_uid, why, sizeof(why)) != 0) {
		snprintf(err, errsz, "database: %s", why);
		return -1;
	}
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffix[i]);
		if (store_file_checked(path, daemon_uid, err, errsz) != 0)
			return -1;
	}
	return 0;
}

int
state_make_dir(const char *db, int *created, char *err, size_t errsz)
{
	char dir[PATH_MAX];

	*created = 0;
	snprintf(dir, sizeof(dir), "%s", db);
	*strrchr(dir, '/') = '\0';
	if (dir[0] == '\0')
		return 0;
	if (mkdir(dir, 0700) == 0) {
		*created = 1;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, errsz, "%s: %s", dir, strerror(errno));
	return -1;
}

void
state_unmake_dir(const char *db, int created)
{
	char dir[PATH_MAX];

	if (!created)
		return;
	snprintf(dir, sizeof(dir), "%s", db);
	*strrchr(dir, '/') = '\0';
	if (rmdir(dir) != 0)
		log_warn("%s: %s", dir, strerror(errno));
}

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
