/*
 * seal.h - TOTP secrets sealed at rest with AES-256-GCM under a 256-bit
 * key kept in a key file outside the database.
 *
 * A sealed secret is a version byte (1), a random 96-bit nonce, the
 * ciphertext and the 128-bit tag.  The caller's associated data (for a
 * TOTP secret, seal_user_aad) is bound into the tag, so a sealed secret
 * copied to another row, or sealed under another key, does not open.
 * No function keeps state between calls: all are thread-safe.
 */
#ifndef POLICYD_SEAL_H
#define POLICYD_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SEAL_KEY_LEN 32
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
/* version byte, nonce, tag */
#define SEAL_OVERHEAD (1 + SEAL_NONCE_LEN + SEAL_TAG_LEN)

/* Seals pt (len bytes, 1..1024) under key, binding aad (aadlen bytes; aad
 * may be NULL when aadlen is 0); writes len + SEAL_OVERHEAD bytes to out:
 * a version byte (1), a random 96-bit nonce from getrandom(2), the
 * ciphertext, the 128-bit tag.  pt and out must not overlap.  Returns 0
 * or -1. */
int seal_encrypt(const uint8_t key[SEAL_KEY_LEN], const void *aad,
		 size_t aadlen, const uint8_t *pt, size_t len, uint8_t *out);

/* Opens what seal_encrypt wrote (len bytes); writes len - SEAL_OVERHEAD
 * bytes to pt.  Returns 0, or -1 when the input is short, of an unknown
 * version, tampered with, or sealed under another key or aad (pt is then
 * wiped).  in and pt must not overlap. */
int seal_decrypt(const uint8_t key[SEAL_KEY_LEN], const void *aad,
		 size_t aadlen, const uint8_t *in, size_t len, uint8_t *pt);

/* The associated data for a user: the user id as 8 big-endian bytes plus
 * a fixed context string "policyd totp v1", so a sealed secret only opens
 * for its own row and purpose.  Writes into out (at most SEAL_AAD_MAX
 * bytes), returns the length. */
#define SEAL_AAD_MAX 64
size_t seal_user_aad(int64_t user_id, uint8_t out[SEAL_AAD_MAX]);

/* Loads the 32-byte key from path, which is opened with
 * O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK and checked with fstat; a
 * missing file is never created here.  Refuses (returns -1 with a reason
 * in err naming the path): a symlink ("is a symbolic link"), a
 * non-regular file, a file whose mode has any group or other bit (e.g.
 * "mode 0644: must not be readable or writable by group or others"), a
 * file not owned by `owner` or root, a file whose size is not exactly 32
 * bytes.  Returns SEAL_KEY_MISSING ("PATH: no such file" in err) when
 * path does not exist.  Wipes any buffer that held the key on error
 * (key[] included).  Returns 0 with the key in key[]. */
#define SEAL_KEY_MISSING 1
int seal_load_key(const char *path, uid_t owner, uint8_t key[SEAL_KEY_LEN],
		  char *err, size_t errsz);

/* Creates a new key file at path: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0400,
 * 32 bytes from getrandom(2), fsync of the file and its directory, then
 * chown to owner:group when running as root; the directory must exist.
 * Then loads it as seal_load_key does.  Returns 0 with the new key in
 * key[], or -1 with the reason in err (also when path exists: "exists
 * already"); a file left half made is removed. */
int seal_create_key(const char *path, uid_t owner, gid_t group,
		    uint8_t key[SEAL_KEY_LEN], char *err, size_t errsz);

#endif
