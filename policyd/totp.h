/*
 * totp.h - RFC 6238 time-based one-time codes, computed by liboath.
 */
#ifndef POLICYD_TOTP_H
#define POLICYD_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_SECRET_LEN 20	/* 160 bits, as RFC 4226 recommends */
#define TOTP_SECRET_MAX 64
#define TOTP_B32_MAX 128

enum totp_algorithm { TOTP_SHA1, TOTP_SHA256, TOTP_SHA512 };

struct totp_params {
	uint32_t digits;	/* 6 to 8 */
	uint32_t period;	/* seconds per step */
	uint32_t window;	/* steps accepted each side of now */
	int algorithm;		/* enum totp_algorithm */
};

int totp_init(void);

/*
 * Checks code against secret at now, within the window.  Returns 1 with
 * the matching time step in *step, 0 for no match (or a code of the wrong
 * length or not all digits), -1 on error.  Comparisons are constant-time.
 */
int totp_verify(const struct totp_params *p, const uint8_t *secret,
		size_t len, const char *code, time_t now, uint64_t *step);

/* The code for now (out: digits + 1 bytes).  0 or -1. */
int totp_generate(const struct totp_params *p, const uint8_t *secret,
		  size_t len, time_t now, char *out);

/* A new secret from getrandom(2).  0 or -1. */
int totp_new_secret(uint8_t secret[TOTP_SECRET_LEN]);

/* The secret in unpadded base32, as authenticator apps take it. */
int totp_base32(const uint8_t *secret, size_t len, char *out, size_t outsz);

/* otpauth://totp/ISSUER:USER?secret=...&issuer=...&algorithm=...&digits=...
 * &period=..., with issuer and user percent-encoded.  0 or -1. */
int totp_uri(const struct totp_params *p, const char *issuer,
	     const char *user, const char *b32, char *out, size_t outsz);

#endif
