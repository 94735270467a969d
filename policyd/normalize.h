/*
 * normalize.h - Unicode normalisation of passwords (NFKC), as NIST SP
 * 800-63B asks, so that one password typed on two keyboards (precomposed
 * "é" or "e" + U+0301, fullwidth or plain letters) is one password for
 * every hash, every history comparison and every rule.
 */
#ifndef POLICYD_NORMALIZE_H
#define POLICYD_NORMALIZE_H

#include <stddef.h>

enum norm_result {
	NORM_OK = 0,		/* pw now holds its NFKC form */
	NORM_KEPT = 1,		/* not valid UTF-8: pw is unchanged */
	NORM_TOO_LONG = 2,	/* the NFKC form does not fit: pw is wiped */
	NORM_ERROR = -1,	/* out of memory: pw is wiped */
};

/*
 * Replaces the NUL-terminated password pw, in a buffer of size bytes, by
 * its NFKC form, NUL-terminated.  Text that is not valid UTF-8 cannot be
 * normalised and is left as it is (the rules refuse it as a new password;
 * as a login it is verified as it came).  A form longer than size - 1
 * bytes is NORM_TOO_LONG.  Every buffer that held the text or a part of
 * it is wiped before it is freed; pw stays the caller's to wipe.
 */
enum norm_result norm_password(char *pw, size_t size);

#endif
