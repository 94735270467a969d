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
