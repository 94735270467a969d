/*
 * totp.c - RFC 6238 through liboath; see totp.h.
 *
 * liboath compares codes with the callback given here, which compares in
 * constant time, so that how long a wrong code takes tells nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <liboath/oath.h>
#include <sodium.h>

#include "totp.h"
#include "wipe.h"

int
totp_init(void)
{
	return oath_init() == OATH_OK ? 0 : -1;
}

static int
oath_flags(const struct totp_params *p)
{
	return p->algorithm == TOTP_SHA256   ? OATH_TOTP_HMAC_SHA256
	       : p->algorithm == TOTP_SHA512 ? OATH_TOTP_HMAC_SHA512
					     : 0;
}

/* liboath's compare callback: 0 when equal. */
static int
same_code(void *handle, const char *test)
{
	const char *code = handle;
	size_t n = strlen(code);

	if (strlen(test) != n)
		return 1;
	return sodium_memcmp(code, test, n) == 0 ? 0 : 1;
}

static int
well_formed(const struct totp_params *p, const char *code)
{
	size_t n = strlen(code);

	if (n != p->digits)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return 1;
}

int
totp_verify(const struct totp_params *p, const uint8_t *secret, size_t len,
	    const char *code, time_t now, uint64_t *step)
{
	int pos, rc;

	if (!well_formed(p, code))
		return 0;
	rc = oath_totp_validate4_callback(
		(const char *)secret, len, now, p->period, 0, p->digits,
		p->window, &pos, step, oath_flags(p), same_code,
		(void *)code);
	if (rc >= 0)
		return 1;
	return rc == OATH_INVALID_OTP ? 0 : -1;
}

int
totp_generate(const struct totp_params *p, const uint8_t *secret, size_t len,
	      time_t now, char *out)
{
	return oath_totp_generate2((const char *)secret, len, now, p->period,
				   0, p->digits, oath_flags(p),
				   out) == OATH_OK
		       ? 0
		       : -1;
}

int
totp_new_secret(uint8_t secret[TOTP_SECRET_LEN])
{
	return getrandom(secret, TOTP_SECRET_LEN, 0) == TOTP_SECRET_LEN ? 0
									: -1;
}

int
totp_base32(const uint8_t *secret, size_t len, char *out, size_t outsz)
{
	char *b32 = NULL;
	size_t n = 0;
	int rc = -1;

	if (oath_base32_encode((const char *)secret, len, &b32, &n) !=
	    OATH_OK)
		return -1;
	while (n > 0 && b32[n - 1] == '=')	/* apps take it unpadded */
		n--;
	if (n < outsz) {
		memcpy(out, b32, n);
		out[n] = '\0';
		rc = 0;
	}
	wipe(b32, strlen(b32));
	free(b32);
	return rc;
}

/* Percent-encodes s into out (RFC 3986 unreserved characters kept). */
static int
encode(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || strchr("-._~", c) != NULL;

		if (o + (keep ? 1 : 3) >= outsz)
			return -1;
		if (keep) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

int
totp_uri(const struct totp_params *p, const char *issuer, const char *user,
	 const char *b32, char *out, size_t outsz)
{
	static const char *const alg[] = { "SHA1", "SHA256", "SHA512" };
	char is[256], us[256];
	int n;

	if (encode(issuer, is, sizeof(is)) != 0 ||
	    encode(user, us, sizeof(us)) != 0)
		return -1;
	n = snprintf(out, outsz,
		     "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=%s"
		     "&digits=%u&period=%u", is, us, b32, is,
		     alg[p->algorithm], p->digits, p->period);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}
