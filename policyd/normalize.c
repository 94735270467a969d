/*
 * normalize.c - NFKC through libunistring's u8_normalize; see normalize.h.
 *
 * u8_normalize grows its result with malloc and realloc when the buffer it
 * is given is too small, and realloc frees the old block without wiping
 * it.  So it is given a buffer big enough for any input: UAX #15 bounds
 * the growth of NFKC in UTF-8 at 11 times the input (U+FDFA, 3 bytes,
 * becomes 18 characters, 33 bytes).  Should a later Unicode version go
 * past that, the block u8_normalize returns is wiped and freed like ours.
 *
 * Beyond our reach: u8_normalize's locals (a character's decomposition on
 * its stack) and, for a run of more than 64 combining marks, the sort
 * buffer it mallocs and frees itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uninorm.h>
#include <unistr.h>

#include "normalize.h"
#include "wipe.h"

#define NFKC_GROWTH 11

/* Copies the form (n bytes) over pw, or says it does not fit. */
static enum norm_result
take_form(char *pw, size_t size, const uint8_t *form, size_t n)
{
	if (n >= size) {
		wipe(pw, size);
		return NORM_TOO_LONG;
	}
	memcpy(pw, form, n);
	pw[n] = '\0';
	return NORM_OK;
}

enum norm_result
norm_password(char *pw, size_t size)
{
	size_t len = strlen(pw), cap, n;
	uint8_t *buf, *form;
	enum norm_result rc;

	if (u8_check((const uint8_t *)pw, len) != NULL)
		return NORM_KEPT;
	cap = len * NFKC_GROWTH + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		wipe(pw, size);
		return NORM_ERROR;
	}
	n = cap;
	form = u8_normalize(UNINORM_NFKC, (const uint8_t *)pw, len, buf, &n);
	if (form == NULL) {
		wipe(pw, size);
		rc = NORM_ERROR;
	} else {
		rc = take_form(pw, size, form, n);
	}
	if (form != NULL && form != buf) {
		wipe(form, n);
		free(form);
	}
	wipe(buf, cap);
	free(buf);
	return rc;
}
