/*
 * sealkey.h - the file that holds the audit seal's key on the host: the
 * key of the next record's position and of the current epoch
 * (auditseal.h), as 8 bytes of position (big-endian), 32 of its part, 8
 * of t0, 8 of epoch and 32 of the time part, rewritten in place as
 * records become durable and as minutes pass, so that the keys before it
 * are gone from the disk.
 */
#ifndef POLICYD_SEALKEY_H
#define POLICYD_SEALKEY_H

#include <stddef.h>
#include <sys/types.h>

#include "auditseal.h"

#define SEALKEY_FILE_LEN (24 + 2 * AUDIT_SEAL_KEY_LEN)

/* The reason a key file fails the checks, or NULL: a regular file of
 * `size` bytes, owned by owner or root (an operator may have made it by
 * hand), with no access for group or others. */
struct stat;
const char *seal_file_fault(const struct stat *st, uid_t owner, off_t size,
			    char *why, size_t whysz);
/* Makes a new file's name durable (fsync of its directory): without it
 * a crash could lose a key after data was sealed under it.  0 or -1. */
int seal_sync_dir(const char *path);


/* Opens and reads the key file, checked as seal_file_fault says; the
 * descriptor stays open for sealkey_save.  0, -1 with the reason in
 * err, or -2 (err untouched) when there is no such file. */
int sealkey_open(const char *path, uid_t owner, struct audit_key *key,
		 int *fd, char *err, size_t errsz);
/* Creates the file (which must not exist) holding key, owned by
 * owner:group, mode 0600, its name durable; then as sealkey_open. */
int sealkey_create(const char *path, uid_t owner, gid_t group,
		   const struct audit_key *key, int *fd, char *err,
		   size_t errsz);
/* Overwrites the file with key, in place, and waits for the disk.
 * 0 or -1 (errno). */
int sealkey_save(int fd, const struct audit_key *key);

#endif
