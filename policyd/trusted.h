/*
 * trusted.h - opening a file the daemon trusts (its configuration, the
 * blocklist): never through a symlink, only a regular file, owned by root
 * or by the daemon's user, and writable by no one else.
 */
#ifndef POLICYD_TRUSTED_H
#define POLICYD_TRUSTED_H

#include <stddef.h>
#include <stdio.h>

/* Returns the file open for reading, or NULL with the reason (without the
 * path) in why. */
FILE *trusted_open(const char *path, char *why, size_t whysz);

#endif
