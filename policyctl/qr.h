/*
 * qr.h - an otpauth:// URI as a QR code, for TOTP enrolment in policyctl:
 * printed on the terminal in Unicode half blocks, or written as a PNG.
 * Both encode at error correction level M in 8-bit mode (libqrencode).
 */
#ifndef POLICYD_QR_H
#define POLICYD_QR_H

#include <stddef.h>
#include <stdio.h>

/* Prints text as a QR code (error correction level M, 8-bit mode) to fp
 * using Unicode half blocks (U+2580 upper half, U+2584 lower half, U+2588
 * full block, space), two modules per character row, with a quiet zone of
 * 2 modules on each side: light modules are drawn as blocks, dark ones
 * left blank.  With colour, each row is set to bright white on black
 * (SGR 97;40) and reset at its end, so the code reads the same on a light
 * terminal as on a dark one; without, it reads on a dark terminal only.
 * Returns 0, or -1 if the text cannot be encoded (e.g. too long) or fp
 * cannot be written. */
int qr_print_terminal_mode(FILE *fp, const char *text, int colour);

/* qr_print_terminal_mode with colour when fp is a terminal and TERM is set
 * and not "dumb". */
int qr_print_terminal(FILE *fp, const char *text);

/* Writes text as a QR code PNG to path: 8 pixels per module, a 4-module
 * quiet zone, 1-bit grayscale, dark modules black.  Creates the file with
 * O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (it contains a secret), refusing
 * to overwrite an existing file.  Returns 0, or -1 with a reason naming
 * the path in err.  On failure, removes the partial file. */
int qr_write_png(const char *path, const char *text, char *err,
		 size_t errsz);

#endif
