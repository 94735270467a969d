/*
 * seal.c - TOTP secrets sealed with AES-256-GCM, and the key file; see
 * seal.h.
 *
 * Nonces are random: with at most a few thousand secrets sealed under one
 * key, the chance of two 96-bit nonces colliding (which would break GCM)
 * is far below the 2^-32 bound NIST sets for random nonces.
 *
 * Plaintext goes straight from the caller's buffer into OpenSSL and out
 * into the caller's buffer, so the only copies of secrets made here are
 * the cipher context (EVP_CIPHER_CTX_free cleanses it) and the key file's
 * bytes on their way in or out (wiped below).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "seal.h"
#include "sealkey.h"
#include "wipe.h"

#define SEAL_VERSION 1
#define SEAL_MAX_PT 1024	/* the most seal_encrypt takes */
#define AAD_CONTEXT "policyd totp v1"
#define AAD_ID_LEN 8

static_assert(AAD_ID_LEN + sizeof(AAD_CONTEXT) - 1 <= SEAL_AAD_MAX,
	      "SEAL_AAD_MAX too small for the user aad");

/* Fills buf with n bytes from getrandom(2).  Blocks only before the
 * kernel's pool is first seeded, where a signal may interrupt it. */
static int
fill_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t off = 0;

	while (off < n) {
		ssize_t r = getrandom(p + off, n - off, 0);

		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0)
			off += (size_t)r;
	}
	return 0;
}

/* OpenSSL takes lengths as int. */
static int
aad_ok(const void *aad, size_t aadlen)
{
	return (aad != NULL || aadlen == 0) && aadlen <= INT_MAX;
}

/* A context for AES-256-GCM, sealing (enc 1) or opening (enc 0), with
 * the key, the nonce and the associated data fed in; NULL on failure.
 * EVP_CipherUpdate with a NULL output is EVP_EncryptUpdate (or Decrypt)
 * feeding AAD. */
static EVP_CIPHER_CTX *
gcm_new(int enc, const uint8_t *key, const uint8_t *nonce, const void *aad,
	size_t aadlen)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n;

	if (ctx == NULL)
		return NULL;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL,
			      enc) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
				NULL) == 1 &&
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1 &&
	    (aadlen == 0 ||
	     EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1))
		return ctx;
	EVP_CIPHER_CTX_free(ctx);
	return NULL;
}

int
seal_encrypt(const uint8_t key[SEAL_KEY_LEN], const void *aad,
	     size_t aadlen, const uint8_t *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *ct;
	int n, ok;

	if (key == NULL || pt == NULL || out == NULL || len == 0 ||
	    len > SEAL_MAX_PT || !aad_ok(aad, aadlen))
		return -1;
	ct = out + 1 + SEAL_NONCE_LEN;
	out[0] = SEAL_VERSION;
	if (fill_random(out + 1, SEAL_NONCE_LEN) != 0)
		return -1;
	ctx = gcm_new(1, key, out + 1, aad, aadlen);
	ok = ctx != NULL &&
	     EVP_EncryptUpdate(ctx, ct, &n, pt, (int)len) == 1 &&
	     n == (int)len &&
	     EVP_EncryptFinal_ex(ctx, ct + len, &n) == 1 && n == 0 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
				 ct + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		wipe(out, len + SEAL_OVERHEAD);
	return ok ? 0 : -1;
}

/* OpenSSL writes the plaintext before it checks the tag, which is why pt
 * is wiped on every failure.  An input longer than seal_encrypt can make
 * is refused as not ours before it reaches OpenSSL. */
int
seal_decrypt(const uint8_t key[SEAL_KEY_LEN], const void *aad,
	     size_t aadlen, const uint8_t *in, size_t len, uint8_t *pt)
{
	uint8_t tag[SEAL_TAG_LEN];
	EVP_CIPHER_CTX *ctx = NULL;
	size_t ptlen;
	int n, ok;

	if (key == NULL || in == NULL || pt == NULL || len <= SEAL_OVERHEAD)
		return -1;
	ptlen = len - SEAL_OVERHEAD;
	ok = ptlen <= SEAL_MAX_PT && in[0] == SEAL_VERSION &&
	     aad_ok(aad, aadlen);
	if (ok) {
		/* SET_TAG takes a non-const pointer. */
		memcpy(tag, in + len - SEAL_TAG_LEN, SEAL_TAG_LEN);
		ctx = gcm_new(0, key, in + 1, aad, aadlen);
	}
	ok = ok && ctx != NULL &&
	     EVP_DecryptUpdate(ctx, pt, &n, in + 1 + SEAL_NONCE_LEN,
			       (int)ptlen) == 1 && n == (int)ptlen &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
				 tag) == 1 &&
	     EVP_DecryptFinal_ex(ctx, pt + ptlen, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		wipe(pt, ptlen);
	return ok ? 0 : -1;
}

/* The id goes first at a fixed width, so no id/context pair can read as
 * another. */
size_t
seal_user_aad(int64_t user_id, uint8_t out[SEAL_AAD_MAX])
{
	uint64_t id = (uint64_t)user_id;

	for (int i = 0; i < AAD_ID_LEN; i++)
		out[i] = (uint8_t)(id >> (8 * (AAD_ID_LEN - 1 - i)));
	memcpy(out + AAD_ID_LEN, AAD_CONTEXT, sizeof(AAD_CONTEXT) - 1);
	return AAD_ID_LEN + sizeof(AAD_CONTEXT) - 1;
}

/* Puts "path: reason" in err; returns -1 for the caller to return. */
__attribute__((format(printf, 4, 5))) static int
say(char *err, size_t errsz, const char *path, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	if (err == NULL || errsz == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(err, errsz, "%s: %s", path, reason);
	return -1;
}

/* say() with what errno says after what. */
static int
say_errno(char *err, size_t errsz, const char *path, const char *what)
{
	char buf[128];

	return say(err, errsz, path, "%s: %s", what,
		   strerror_r(errno, buf, sizeof(buf)));
}

/* Reads the key from fd once it passes the checks.  One byte more is
 * asked for so that a file grown since fstat is caught. */
static int
read_key(int fd, const char *path, uid_t owner, uint8_t key[SEAL_KEY_LEN],
	 char *err, size_t errsz)
{
	uint8_t buf[SEAL_KEY_LEN + 1];
	const char *bad;
	char why[160];
	struct stat st;
	size_t off = 0;
	ssize_t r = 1;

	if (fstat(fd, &st) != 0)
		return say_errno(err, errsz, path, "cannot stat");
	if ((bad = seal_file_fault(&st, owner, SEAL_KEY_LEN, why,
				   sizeof(why))) != NULL)
		return say(err, errsz, path, "%s", bad);
	while (off < sizeof(buf) && r != 0) {
		r = read(fd, buf + off, sizeof(buf) - off);
		if (r < 0 && errno != EINTR) {
			WIPE_OBJ(buf);
			return say_errno(err, errsz, path, "cannot read");
		}
		if (r > 0)
			off += (size_t)r;
	}
	if (off == SEAL_KEY_LEN)
		memcpy(key, buf, SEAL_KEY_LEN);
	WIPE_OBJ(buf);
	if (off != SEAL_KEY_LEN)
		return say(err, errsz, path, "changed size while being read");
	return 0;
}

/* Fills a freshly created key file.  Mode set again in case the umask
 * took the owner's read bit. */
static int
write_new_key(int fd, uid_t owner, gid_t group)
{
	uint8_t buf[SEAL_KEY_LEN];
	int rc = -1;

	if (fill_random(buf, sizeof(buf)) == 0 && fchmod(fd, 0400) == 0 &&
	    write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) &&
	    fsync(fd) == 0 && (geteuid() != 0 || fchown(fd, owner, group) == 0))
		rc = 0;
	else if (errno == 0)
		errno = EIO;	/* a short write sets none */
	WIPE_OBJ(buf);
	return rc;
}

/* Creates the key file, which must not exist yet.  A file left half made
 * is removed. */
static int
create_key(const char *path, uid_t owner, gid_t group, char *err,
	   size_t errsz)
{
	int fd, rc, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
			O_NOCTTY, 0400);
	if (fd < 0 && errno == EEXIST)
		return say(err, errsz, path, "exists already");
	if (fd < 0)
		return say_errno(err, errsz, path, "cannot create");
	errno = 0;
	rc = write_new_key(fd, owner, group);
	saved = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && seal_sync_dir(path) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0)
		return 0;
	unlink(path);
	errno = saved;
	return say_errno(err, errsz, path, "cannot create");
}

/* Opens the key file; -1 with the reason in err, or -2 (err untouched)
 * when it does not exist.  O_NONBLOCK: a FIFO must not hang the open. */
static int
open_key(const char *path, char *err, size_t errsz)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
			O_NOCTTY);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return -2;
	if (errno == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return say(err, errsz, path, "is a symbolic link");
	return say_errno(err, errsz, path, "cannot open");
}

int
seal_load_key(const char *path, uid_t owner, uint8_t key[SEAL_KEY_LEN],
	      char *err, size_t errsz)
{
	int fd, rc = -1;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (path == NULL || key == NULL)
		return -1;
	fd = open_key(path, err, errsz);
	if (fd == -2) {
		say(err, errsz, path, "no such file");
		rc = SEAL_KEY_MISSING;
	}
	if (fd >= 0) {
		rc = read_key(fd, path, owner, key, err, errsz);
		close(fd);
	}
	if (rc != 0)
		wipe(key, SEAL_KEY_LEN);
	return rc;
}

/* Loaded back like any other key file, so that the new one passes the
 * same checks. */
int
seal_create_key(const char *path, uid_t owner, gid_t group,
		uint8_t key[SEAL_KEY_LEN], char *err, size_t errsz)
{
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (path == NULL || key == NULL)
		return -1;
	if (create_key(path, owner, group, err, errsz) != 0) {
		wipe(key, SEAL_KEY_LEN);
		return -1;
	}
	return seal_load_key(path, owner, key, err, errsz) == 0 ? 0 : -1;
}
