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

/* Fails while the trigger exists, else calls the next definition of
 * name after this library's (looked up once, into *real). */
static int
sync_or_fail(const char *name, int (**real)(int), int fd)
{
	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (*real == NULL)
		*real = (int (*)(int))dlsym(RTLD_NEXT, name);
	return *real != NULL ? (*real)(fd) : -1;
}

int
fsync(int fd)
{
	static int (*real)(int);

	return sync_or_fail("fsync", &real, fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	return sync_or_fail("fdatasync", &real, fd);
}
