/*
 * trusted.h - opening a file the daemon trusts (its configuration, the
 * blocklist): never through a symlink, only a regular file, owned by root
 * or by the daemon's user, and writable by no one else; and checking the
 * directories above such a file, as sshd's safe_path does.
 */
#ifndef POLICYD_TRUSTED_H
#define POLICYD_TRUSTED_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Returns the file open for reading, or NULL with the reason (without the
 * path) in why. */
FILE *trusted_open(const char *path, char *why, size_t whysz);

/* No other owner than root and the current user. */
#define TRUSTED_NO_UID ((uid_t)-1)

/*
 * Checks every directory from / down to the one holding path (the real
 * one: symlinks resolved first, then each component opened without
 * following one): each must be owned by root, the current user or
 * also_uid (TRUSTED_NO_UID for none) and writable by no one else.  A
 * root-owned sticky directory (/tmp) is accepted above the last one,
 * since no one but root may rename or remove the root-owned (or
 * also_uid-owned) directory below it; the directory holding path never.
 * The file itself is not checked (it may not exist yet).  Returns 0, or
 * -1 with "directory DIR: reason" in why.
 */
int trusted_dirs(const char *path, uid_t also_uid, char *why, size_t whysz);

#endif
