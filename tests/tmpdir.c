/*
 * tmpdir.c - the private test directory; see tmpdir.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"

#define MAX_CREATED 64
#define NAME_LEN 64

char tmp_dir[PATH_MAX];
static char created[MAX_CREATED][NAME_LEN];
static size_t n_created;

int
tmpdir_setup(const char *prefix)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	n = snprintf(tmp_dir, sizeof(tmp_dir), "%s/%s.XXXXXX", base, prefix);
	if (n < 0 || (size_t)n >= sizeof(tmp_dir))
		return -1;
	if (mkdtemp(tmp_dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

int
tmpdir_teardown(void)
{
	char path[PATH_MAX];
	int n, rc = 0;

	while (n_created > 0) {
		n_created--;
		n = snprintf(path, sizeof(path), "%s/%s", tmp_dir,
			     created[n_created]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			rc = -1;
		} else if (remove(path) != 0 && errno != ENOENT) {
			perror(path);
			rc = -1;
		}
	}
	if (rmdir(tmp_dir) != 0) {
		perror(tmp_dir);
		rc = -1;
	}
	return rc;
}

void
tmpdir_track(const char *name)
{
	for (size_t i = 0; i < n_created; i++)
		if (strcmp(created[i], name) == 0)
			return;
	assert_true(n_created < MAX_CREATED);
	assert_true(strlen(name) < NAME_LEN);
	strcpy(created[n_created++], name);
}

void
tmpdir_path(const char *name, char *path)
{
	int n = snprintf(path, PATH_MAX, "%s/%s", tmp_dir, name);

	assert_true(n > 0 && n < PATH_MAX);
}

void
tmpdir_write(const char *name, const void *data, size_t len, mode_t mode,
	     char *path)
{
	const char *p = data;
	size_t off = 0;
	int fd;

	tmpdir_path(name, path);
	tmpdir_track(name);
	assert_true(unlink(path) == 0 || errno == ENOENT);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	assert_true(fd >= 0);
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}
