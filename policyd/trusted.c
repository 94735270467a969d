/* trusted.c - see trusted.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
