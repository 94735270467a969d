/*
 * tmpdir.h - a private mkdtemp directory for unit tests that make files,
 * and the names made in it, removed newest first by the group teardown.
 */
#ifndef POLICYD_TESTS_TMPDIR_H
#define POLICYD_TESTS_TMPDIR_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

extern char tmp_dir[PATH_MAX];

/* Makes $TMPDIR/prefix.XXXXXX (or under /tmp): 0, or -1 with a message. */
int tmpdir_setup(const char *prefix);
/* Removes every tracked name, newest first, then the directory. */
int tmpdir_teardown(void);
/* Remembers name (once) for the teardown; names inside a subdirectory
 * must be tracked after the subdirectory. */
void tmpdir_track(const char *name);
/* Puts the full path of name (inside tmp_dir) in path[PATH_MAX]. */
void tmpdir_path(const char *name, char *path);
/* Writes len bytes to name (tracked; replaced if it was there, even
 * read-only), then gives it mode; its full path in path[PATH_MAX]. */
void tmpdir_write(const char *name, const void *data, size_t len,
		  mode_t mode, char *path);

#endif
