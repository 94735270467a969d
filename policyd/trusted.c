/* trusted.c - see trusted.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trusted.h"

/* The reason a file fails the checks, or NULL. */
static const char *
untrusted(const struct stat *st, char *why, size_t whysz)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, whysz, "owned by uid %u, not by root or the "
			 "daemon", (unsigned)st->st_uid);
		return why;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(why, whysz, "writable by group or others (mode %03o)",
			 (unsigned)(st->st_mode & 0777));
		return why;
	}
	return NULL;
}

FILE *
trusted_open(const char *path, char *why, size_t whysz)
{
	char buf[128];
	const char *bad;
	struct stat st;
	FILE *fp;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang the open; cleared below. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
				O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whysz, "%s%s", strerror_r(errno, buf, sizeof(buf)),
			 errno == ELOOP ? " (a symbolic link is not followed)"
					: "");
		return NULL;
	}
	bad = fstat(fd, &st) != 0 ? "cannot stat" : untrusted(&st, buf,
							      sizeof(buf));
	if (bad == NULL && fcntl(fd, F_SETFL, 0) == 0 &&
	    (fp = fdopen(fd, "r")) != NULL)
		return fp;
	snprintf(why, whysz, "%s",
		 bad != NULL ? bad : strerror_r(errno, buf, sizeof(buf)));
	close(fd);
	return NULL;
}

/* The reason a directory on the way to a trusted file fails, or NULL;
 * last: it is the one that holds the file. */
static const char *
untrusted_dir(const struct stat *st, uid_t also, int last, char *why,
	      size_t whysz)
{
	mode_t mode = st->st_mode & 07777;

	if (!S_ISDIR(st->st_mode))
		return "not a directory";
	if (st->st_uid != 0 && st->st_uid != geteuid() && st->st_uid != also) {
		snprintf(why, whysz, "owned by uid %u, not by root or the "
			 "daemon", (unsigned)st->st_uid);
		return why;
	}
	if ((mode & (S_IWGRP | S_IWOTH)) == 0 ||
	    (!last && st->st_uid == 0 && (mode & S_ISVTX) != 0))
		return NULL;
	snprintf(why, whysz, "writable by group or others (mode %03o%s)",
		 (unsigned)mode, last && (mode & S_ISVTX) != 0
			? "; sticky is not enough for the last directory" : "");
	return why;
}

/* Checks the directory open at fd (-1: errno says why it did not open). */
static const char *
check_fd(int fd, uid_t also, int last, char *buf, size_t bufsz)
{
	struct stat st;

	if (fd < 0)
		return strerror_r(errno, buf, bufsz);
	if (fstat(fd, &st) != 0)
		return "cannot stat";
	return untrusted_dir(&st, also, last, buf, bufsz);
}

/* Walks dir (absolute, without symlinks) from / down, each component
 * opened from its parent's descriptor; on failure dir is cut after the
 * component at fault, for the message. */
static int
walk(char *dir, uid_t also, char *why, size_t whysz)
{
	char buf[160], *p = dir + 1, *q;
	const char *bad;
	int at, fd;

	at = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	bad = check_fd(at, also, *p == '\0', buf, sizeof(buf));
	while (bad == NULL && *p != '\0') {
		q = strchr(p, '/');
		if (q != NULL)
			*q = '\0';
		fd = openat(at, p, O_PATH | O_DIRECTORY | O_NOFOLLOW |
				   O_CLOEXEC);
		bad = check_fd(fd, also, q == NULL, buf, sizeof(buf));
		close(at);
		at = fd;
		if (bad != NULL || q == NULL)
			break;
		*q = '/';
		p = q + 1;
	}
	if (at >= 0)
		close(at);
	if (bad == NULL)
		return 0;
	snprintf(why, whysz, "directory %s: %s", dir, bad);
	return -1;
}

int
trusted_dirs(const char *path, uid_t also_uid, char *why, size_t whysz)
{
	char dir[PATH_MAX], buf[128], *slash, *real;
	int rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(why, whysz, "path too long");
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';	/* keeps "/" for the root */
	real = realpath(dir, NULL);
	if (real == NULL) {
		snprintf(why, whysz, "directory %s: %s", dir,
			 strerror_r(errno, buf, sizeof(buf)));
		return -1;
	}
	rc = walk(real, also_uid, why, whysz);
	free(real);
	return rc;
}
