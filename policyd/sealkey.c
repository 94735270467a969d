/* sealkey.c - see sealkey.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sealkey.h"

const char *
seal_file_fault(const struct stat *st, uid_t owner, off_t size, char *why,
		size_t whysz)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(why, whysz, "mode %04o: must not be readable or "
			 "writable by group or others",
			 (unsigned)(st->st_mode & 0777));
		return why;
	}
	if (st->st_uid != owner && st->st_uid != 0) {
		snprintf(why, whysz, "owned by uid %u: must be owned by uid "
			 "%u or root", (unsigned)st->st_uid, (unsigned)owner);
		return why;
	}
	if (st->st_size != size) {
		snprintf(why, whysz, "size %jd bytes: must be exactly %jd",
			 (intmax_t)st->st_size, (intmax_t)size);
		return why;
	}
	return NULL;
}

int
seal_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';	/* keeps "/" for the root */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static void
put64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
get64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void
encode(const struct audit_key *key, uint8_t buf[SEALKEY_FILE_LEN])
{
	put64(buf, key->pos);
	memcpy(buf + 8, key->k, AUDIT_SEAL_KEY_LEN);
	put64(buf + 8 + AUDIT_SEAL_KEY_LEN, key->t0);
	put64(buf + 16 + AUDIT_SEAL_KEY_LEN, key->epoch);
	memcpy(buf + 24 + AUDIT_SEAL_KEY_LEN, key->e, AUDIT_SEAL_KEY_LEN);
}

static void
decode(const uint8_t buf[SEALKEY_FILE_LEN], struct audit_key *key)
{
	key->pos = get64(buf);
	memcpy(key->k, buf + 8, AUDIT_SEAL_KEY_LEN);
	key->t0 = get64(buf + 8 + AUDIT_SEAL_KEY_LEN);
	key->epoch = get64(buf + 16 + AUDIT_SEAL_KEY_LEN);
	memcpy(key->e, buf + 24 + AUDIT_SEAL_KEY_LEN, AUDIT_SEAL_KEY_LEN);
}

int
sealkey_save(int fd, const struct audit_key *key)
{
	uint8_t buf[SEALKEY_FILE_LEN];
	ssize_t n;

	encode(key, buf);
	n = pwrite(fd, buf, sizeof(buf), 0);
	sodium_memzero(buf, sizeof(buf));
	if (n != (ssize_t)sizeof(buf)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return fdatasync(fd);
}

/* Reads the key from an open file that passes the checks. */
static int
read_key(int fd, const char *path, uid_t owner, struct audit_key *key,
	 char *err, size_t errsz)
{
	uint8_t buf[SEALKEY_FILE_LEN];
	const char *bad;
	char why[160];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	bad = seal_file_fault(&st, owner, SEALKEY_FILE_LEN, why, sizeof(why));
	if (bad != NULL) {
		snprintf(err, errsz, "%s: %s", path, bad);
		return -1;
	}
	n = pread(fd, buf, sizeof(buf), 0);
	if (n == (ssize_t)sizeof(buf))
		decode(buf, key);
	sodium_memzero(buf, sizeof(buf));
	if (n != (ssize_t)sizeof(buf)) {
		snprintf(err, errsz, "%s: cannot read it", path);
		return -1;
	}
	if (key->pos == 0) {
		audit_key_wipe(key);
		snprintf(err, errsz, "%s: not a seal key (position 0)", path);
		return -1;
	}
	return 0;
}

int
sealkey_open(const char *path, uid_t owner, struct audit_key *key, int *fd,
	     char *err, size_t errsz)
{
	*fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
				 O_NOCTTY);
	if (*fd < 0 && errno == ENOENT)
		return -2;
	if (*fd < 0) {
		snprintf(err, errsz, "%s: %s%s", path, strerror(errno),
			 errno == ELOOP ? " (a symbolic link is not followed)"
					: "");
		return -1;
	}
	if (read_key(*fd, path, owner, key, err, errsz) == 0)
		return 0;
	close(*fd);
	*fd = -1;
	return -1;
}

int
sealkey_create(const char *path, uid_t owner, gid_t group,
	       const struct audit_key *key, int *fd, char *err, size_t errsz)
{
	int saved;

	*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
				 O_NOCTTY, 0600);
	if (*fd < 0) {
		snprintf(err, errsz, "%s: cannot create: %s", path,
			 strerror(errno));
		return -1;
	}
	if (fchmod(*fd, 0600) == 0 &&
	    (geteuid() != 0 || fchown(*fd, owner, group) == 0) &&
	    sealkey_save(*fd, key) == 0 && seal_sync_dir(path) == 0)
		return 0;
	saved = errno;
	close(*fd);
	*fd = -1;
	unlink(path);
	snprintf(err, errsz, "%s: cannot create: %s", path, strerror(saved));
	return -1;
}
