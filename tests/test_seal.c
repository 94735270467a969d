/*
 * test_seal.c - unit tests for sealing TOTP secrets in policyd/seal.c.
 *
 * Covers the round trip, a published GCM test vector, every way a sealed
 * secret must fail to open (another user's aad, another key, any bit of
 * the nonce, ciphertext or tag flipped, truncation, an unknown version),
 * the random nonce, the associated data, and the key file: created only
 * when asked (never by loading it), never over an existing file, and
 * refused when loose, a symlink, a directory, a FIFO, of the wrong size or
 * owned by someone else.  Files live in a private mkdtemp
 * directory removed by the group teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "seal.h"
#include "tmpdir.h"

#define SENTINEL 0x5a
#define ERR_SZ 512
#define SECRET_LEN 20
#define SEALED_LEN (SECRET_LEN + SEAL_OVERHEAD)
/* Users no test account is likely to be, for the ownership checks. */
#define OTHER_UID 12345
#define THIRD_UID 54321

/* The RFC 6238 test secret, 20 bytes. */
static const uint8_t secret[SECRET_LEN] = "12345678901234567890";
static const uint8_t key_a[SEAL_KEY_LEN] = {
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae,
	0xf0, 0x85, 0x7d, 0x77, 0x81, 0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61,
	0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
};

static int
group_setup(void **state)
{
	(void)state;
	return tmpdir_setup("test_seal");
}

static int
group_teardown(void **state)
{
	(void)state;
	return tmpdir_teardown();
}

/* Puts the full path of name (inside tmp_dir) in path[PATH_MAX] and
 * tracks it. */
static void
path_of(const char *name, char *path)
{
	tmpdir_path(name, path);
	tmpdir_track(name);
}

static int
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Seals the secret for user_id under key_a into out[SEALED_LEN]. */
static void
seal_for(int64_t user_id, uint8_t *out)
{
	uint8_t aad[SEAL_AAD_MAX];
	size_t aadlen = seal_user_aad(user_id, aad);

	assert_int_equal(seal_encrypt(key_a, aad, aadlen, secret, SECRET_LEN,
				      out), 0);
}

/* Opens in (len bytes) for user_id under key into a sentinel-filled
 * buffer; a failure must leave that buffer wiped. */
static int
open_for(const uint8_t *key, int64_t user_id, const uint8_t *in, size_t len)
{
	uint8_t aad[SEAL_AAD_MAX], pt[SEALED_LEN + 8];
	size_t aadlen = seal_user_aad(user_id, aad);
	size_t ptlen = len > SEAL_OVERHEAD ? len - SEAL_OVERHEAD : 0;
	int rc;

	assert_true(ptlen <= sizeof(pt));
	memset(pt, SENTINEL, sizeof(pt));
	rc = seal_decrypt(key, aad, aadlen, in, len, pt);
	if (rc == 0) {
		assert_int_equal(ptlen, SECRET_LEN);
		assert_memory_equal(pt, secret, SECRET_LEN);
	} else {
		assert_int_equal(rc, -1);
		if (!all_zero(pt, ptlen))
			fail_msg("plaintext not wiped on failure");
	}
	return rc;
}

static void
test_round_trip(void **state)
{
	uint8_t big[1024], sealed[1024 + SEAL_OVERHEAD], out[1024];

	(void)state;
	seal_for(7, sealed);
	assert_int_equal(sealed[0], 1);
	assert_int_equal(open_for(key_a, 7, sealed, SEALED_LEN), 0);
	/* The largest secret, and no aad at all. */
	memset(big, 0xa5, sizeof(big));
	assert_int_equal(seal_encrypt(key_a, NULL, 0, big, sizeof(big),
				      sealed), 0);
	assert_int_equal(seal_decrypt(key_a, NULL, 0, sealed, sizeof(sealed),
				      out), 0);
	assert_memory_equal(out, big, sizeof(big));
}

/* Decodes the hex string into out; returns the byte count. */
static size_t
unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;
	unsigned byte;

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
		out[i] = (uint8_t)byte;
	}
	return n;
}

/* Test case 16 of McGrew and Viega's GCM specification (AES-256, 96-bit
 * IV, with AAD), put in the sealed layout: the format is plain GCM. */
static void
test_known_answer(void **state)
{
	uint8_t key[SEAL_KEY_LEN], aad[20], want[60], in[60 + SEAL_OVERHEAD];
	uint8_t pt[60];
	size_t n;

	(void)state;
	unhex("feffe9928665731c6d6a8f9467308308"
	      "feffe9928665731c6d6a8f9467308308", key);
	unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d"
	      "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657"
	      "ba637b39", want);
	in[0] = 1;
	n = 1 + unhex("cafebabefacedbaddecaf888", in + 1);
	n += unhex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd"
		   "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0a"
		   "bcc9f662", in + n);
	n += unhex("76fc6ece0f4e1768cddf8853bb2d551b", in + n);
	assert_int_equal(n, sizeof(in));
	assert_int_equal(seal_decrypt(key, aad, sizeof(aad), in, n, pt), 0);
	assert_memory_equal(pt, want, sizeof(want));
}

static void
test_length_limits(void **state)
{
	uint8_t big[1025], sealed[1025 + SEAL_OVERHEAD];

	(void)state;
	memset(big, 0, sizeof(big));
	assert_int_equal(seal_encrypt(key_a, NULL, 0, big, 0, sealed), -1);
	assert_int_equal(seal_encrypt(key_a, NULL, 0, big, sizeof(big),
				      sealed), -1);
	assert_int_equal(seal_encrypt(key_a, NULL, 1, big, 1, sealed), -1);
}

static void
test_wrong_aad(void **state)
{
	uint8_t sealed[SEALED_LEN], pt[SECRET_LEN];

	(void)state;
	seal_for(1, sealed);
	assert_int_equal(open_for(key_a, 2, sealed, SEALED_LEN), -1);
	assert_int_equal(open_for(key_a, -1, sealed, SEALED_LEN), -1);
	assert_int_equal(seal_decrypt(key_a, NULL, 0, sealed, SEALED_LEN,
				      pt), -1);
	assert_int_equal(open_for(key_a, 1, sealed, SEALED_LEN), 0);
}

static void
test_wrong_key(void **state)
{
	uint8_t sealed[SEALED_LEN], key_b[SEAL_KEY_LEN];

	(void)state;
	seal_for(1, sealed);
	memcpy(key_b, key_a, sizeof(key_b));
	key_b[SEAL_KEY_LEN - 1] ^= 0x01;
	assert_int_equal(open_for(key_b, 1, sealed, SEALED_LEN), -1);
}

/* Every bit of the nonce, the ciphertext and the tag. */
static void
test_flipped_bits(void **state)
{
	uint8_t sealed[SEALED_LEN];

	(void)state;
	seal_for(1, sealed);
	for (size_t i = 1; i < SEALED_LEN; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			sealed[i] ^= (uint8_t)(1u << bit);
			if (open_for(key_a, 1, sealed, SEALED_LEN) != -1)
				fail_msg("opened with byte %zu bit %u "
					 "flipped", i, bit);
			sealed[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(open_for(key_a, 1, sealed, SEALED_LEN), 0);
}

static void
test_truncated(void **state)
{
	uint8_t sealed[SEALED_LEN + 1];

	(void)state;
	seal_for(1, sealed);
	for (size_t len = 0; len < SEALED_LEN; len++)
		if (open_for(key_a, 1, sealed, len) != -1)
			fail_msg("opened truncated to %zu bytes", len);
	sealed[SEALED_LEN] = 0;
	assert_int_equal(open_for(key_a, 1, sealed, SEALED_LEN + 1), -1);
}

static void
test_version(void **state)
{
	uint8_t sealed[SEALED_LEN];

	(void)state;
	seal_for(1, sealed);
	sealed[0] = 2;
	assert_int_equal(open_for(key_a, 1, sealed, SEALED_LEN), -1);
	sealed[0] = 0;
	assert_int_equal(open_for(key_a, 1, sealed, SEALED_LEN), -1);
}

static void
test_nonce_random(void **state)
{
	uint8_t a[SEALED_LEN], b[SEALED_LEN];

	(void)state;
	seal_for(1, a);
	seal_for(1, b);
	if (memcmp(a + 1, b + 1, SEAL_NONCE_LEN) == 0)
		fail_msg("two seals used the same nonce");
	if (memcmp(a, b, SEALED_LEN) == 0)
		fail_msg("two seals of the same secret are equal");
}

/* Not the whole secret, nor any 4 bytes of it in a row. */
static void
test_ciphertext_hides_plaintext(void **state)
{
	uint8_t sealed[SEALED_LEN];

	(void)state;
	seal_for(1, sealed);
	for (size_t i = 0; i + 4 <= SECRET_LEN; i++)
		if (memmem(sealed, SEALED_LEN, secret + i, 4) != NULL)
			fail_msg("secret bytes %zu..%zu in the sealed form", i,
				 i + 3);
}

static void
test_user_aad(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		'p', 'o', 'l', 'i', 'c', 'y', 'd', ' ',
		't', 'o', 't', 'p', ' ', 'v', '1',
	};
	uint8_t a[SEAL_AAD_MAX], b[SEAL_AAD_MAX];
	size_t la, lb;

	(void)state;
	la = seal_user_aad(1, a);
	lb = seal_user_aad(2, b);
	assert_int_equal(la, sizeof(want));
	assert_int_equal(lb, la);
	if (memcmp(a, b, la) == 0)
		fail_msg("users 1 and 2 have the same aad");
	assert_int_equal(a[7], 1);
	assert_int_equal(b[7], 2);
	assert_int_equal(seal_user_aad(0x0102030405060708, a), sizeof(want));
	assert_memory_equal(a, want, sizeof(want));
}

/* Loads path into a sentinel-filled key; a failure must leave the key
 * wiped and say why, naming the path. */
static int
load(const char *path, uid_t owner, uint8_t *key, char *err)
{
	int rc;

	memset(key, SENTINEL, SEAL_KEY_LEN);
	memset(err, 0, ERR_SZ);
	rc = seal_load_key(path, owner, key, err, ERR_SZ);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		if (!all_zero(key, SEAL_KEY_LEN))
			fail_msg("key not wiped on failure");
		assert_int_equal(strncmp(err, path, strlen(path)), 0);
		assert_int_equal(err[strlen(path)], ':');
	}
	return rc;
}

/* Asserts path is refused with word in the reason. */
static void
expect_refused(const char *path, uid_t owner, const char *word)
{
	uint8_t key[SEAL_KEY_LEN];
	char err[ERR_SZ];

	if (load(path, owner, key, err) == 0)
		fail_msg("%s loaded, but should not have", path);
	if (strstr(err + strlen(path), word) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", word, err);
}

/* A missing key file is said to be missing, and not made: a key made
 * anew would open none of the secrets sealed under the lost one. */
static void
test_key_missing_not_created(void **state)
{
	uint8_t key[SEAL_KEY_LEN];
	char path[PATH_MAX], err[ERR_SZ];
	struct stat st;

	(void)state;
	path_of("missing.key", path);
	memset(key, SENTINEL, sizeof(key));
	assert_int_equal(seal_load_key(path, geteuid(), key, err, ERR_SZ),
			 SEAL_KEY_MISSING);
	assert_true(all_zero(key, SEAL_KEY_LEN));
	assert_non_null(strstr(err, "no such file"));
	assert_int_not_equal(lstat(path, &st), 0);
}

static void
test_key_created(void **state)
{
	uint8_t key[SEAL_KEY_LEN], again[SEAL_KEY_LEN];
	char path[PATH_MAX], err[ERR_SZ];
	struct stat st;

	(void)state;
	path_of("new.key", path);
	assert_int_equal(seal_create_key(path, geteuid(), getegid(), key, err,
					 ERR_SZ), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(st.st_size, SEAL_KEY_LEN);
	assert_int_equal(st.st_uid, geteuid());
	if (all_zero(key, SEAL_KEY_LEN))
		fail_msg("created key is all zero");
	assert_int_equal(load(path, geteuid(), again, err), 0);
	assert_memory_equal(key, again, SEAL_KEY_LEN);
	/* Never over an existing one. */
	assert_int_equal(seal_create_key(path, geteuid(), getegid(), again,
					 err, ERR_SZ), -1);
	assert_non_null(strstr(err, "exists already"));
	assert_int_equal(load(path, geteuid(), again, err), 0);
	assert_memory_equal(key, again, SEAL_KEY_LEN);
}

static void
test_key_no_directory(void **state)
{
	uint8_t key[SEAL_KEY_LEN];
	char path[PATH_MAX], err[ERR_SZ];

	(void)state;
	path_of("absent", path);
	strcat(path, "/new.key");
	assert_int_equal(seal_create_key(path, geteuid(), getegid(), key, err,
					 ERR_SZ), -1);
	assert_non_null(strstr(err, "cannot create"));
}

static void
test_key_loose_mode(void **state)
{
	char path[PATH_MAX];

	(void)state;
	tmpdir_write("0644.key", key_a, SEAL_KEY_LEN, 0644, path);
	expect_refused(path, geteuid(), "mode 0644");
	tmpdir_write("0440.key", key_a, SEAL_KEY_LEN, 0440, path);
	expect_refused(path, geteuid(), "0440");
	tmpdir_write("0401.key", key_a, SEAL_KEY_LEN, 0401, path);
	expect_refused(path, geteuid(), "0401");
}

static void
test_key_symlink(void **state)
{
	uint8_t key[SEAL_KEY_LEN];
	char target[PATH_MAX], path[PATH_MAX], err[ERR_SZ];

	(void)state;
	tmpdir_write("target.key", key_a, SEAL_KEY_LEN, 0400, target);
	assert_int_equal(load(target, geteuid(), key, err), 0);
	assert_memory_equal(key, key_a, SEAL_KEY_LEN);
	path_of("link.key", path);
	assert_int_equal(symlink(target, path), 0);
	expect_refused(path, geteuid(), "is a symbolic link");
	/* A dangling one is not replaced by a new key either. */
	path_of("dangling.key", path);
	assert_int_equal(symlink("nowhere.key", path), 0);
	expect_refused(path, geteuid(), "is a symbolic link");
}

static void
test_key_directory(void **state)
{
	char path[PATH_MAX];

	(void)state;
	path_of("dir.key", path);
	assert_int_equal(mkdir(path, 0700), 0);
	expect_refused(path, geteuid(), "not a regular file");
}

/* Would hang a blocking open. */
static void
test_key_fifo(void **state)
{
	char path[PATH_MAX];

	(void)state;
	path_of("fifo.key", path);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_refused(path, geteuid(), "not a regular file");
}

static void
test_key_size(void **state)
{
	uint8_t long_key[SEAL_KEY_LEN + 1] = { 0 };
	char path[PATH_MAX];

	(void)state;
	tmpdir_write("31.key", key_a, SEAL_KEY_LEN - 1, 0400, path);
	expect_refused(path, geteuid(), "size 31");
	tmpdir_write("33.key", long_key, sizeof(long_key), 0400, path);
	expect_refused(path, geteuid(), "size 33");
	tmpdir_write("0.key", key_a, 0, 0400, path);
	expect_refused(path, geteuid(), "size 0");
}

/* Only root can give files away; as root, the current uid is root, so
 * root's file is also checked against another expected owner, and a new
 * key is checked to be chowned. */
static void
test_key_owner(void **state)
{
	uint8_t key[SEAL_KEY_LEN];
	char path[PATH_MAX], err[ERR_SZ];
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	tmpdir_write("root.key", key_a, SEAL_KEY_LEN, 0400, path);
	assert_int_equal(load(path, geteuid(), key, err), 0);
	assert_memory_equal(key, key_a, SEAL_KEY_LEN);
	assert_int_equal(load(path, OTHER_UID, key, err), 0);
	tmpdir_write("other.key", key_a, SEAL_KEY_LEN, 0400, path);
	assert_int_equal(chown(path, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(load(path, OTHER_UID, key, err), 0);
	expect_refused(path, THIRD_UID, "owned by uid 12345");
	path_of("chowned.key", path);
	assert_int_equal(seal_create_key(path, OTHER_UID, THIRD_UID, key, err,
					 ERR_SZ), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, OTHER_UID);
	assert_int_equal(st.st_gid, THIRD_UID);
	assert_int_equal(st.st_mode & 07777, 0400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_wrong_aad),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_nonce_random),
		cmocka_unit_test(test_ciphertext_hides_plaintext),
		cmocka_unit_test(test_user_aad),
		cmocka_unit_test(test_key_missing_not_created),
		cmocka_unit_test(test_key_created),
		cmocka_unit_test(test_key_no_directory),
		cmocka_unit_test(test_key_loose_mode),
		cmocka_unit_test(test_key_symlink),
		cmocka_unit_test(test_key_directory),
		cmocka_unit_test(test_key_fifo),
		cmocka_unit_test(test_key_size),
		cmocka_unit_test(test_key_owner),
	};

	return cmocka_run_group_tests_name("seal", tests, group_setup,
					   group_teardown);
}
