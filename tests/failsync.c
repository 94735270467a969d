/*
 * failsync.c - preloaded into a test daemon: while the file named by
 * $POLICYD_FAIL_SYNC exists, fsync and fdatasync fail with EIO, as they
 * do when the kernel could not write a file's pages back (the data then
 * stays in the page cache, and a later read returns it).  Nothing else
 * changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int fsync(int fd);
int fdatasync(int fd);

static int
failing(void)
{
	const char *trigger = getenv("POLICYD_FAIL_SYNC");

	return trigger != NULL && access(trigger, F_OK) == 0;
}

/* The next definition of name after this library's. */
static int (*next_sync(const char *name))(int)
{
	return (int (*)(int))dlsym(RTLD_NEXT, name);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = next_sync("fsync");
	return real != NULL ? real(fd) : -1;
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = next_sync("fdatasync");
	return real != NULL ? real(fd) : -1;
}
