/*
 * qr.c - QR codes for TOTP enrolment; see qr.h.
 *
 * libqrencode builds the module matrix: width * width bytes, row by row,
 * bit 0 set for a dark module.  Everything outside it is quiet zone
 * (light).  The URI carries the TOTP secret, so the matrix and the PNG row
 * buffer are wiped before they are freed; copies inside libqrencode,
 * libpng and stdio are beyond reach.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>

#include "qr.h"

#define TERM_QUIET 2		/* modules of quiet zone on the terminal */
#define PNG_QUIET 4		/* modules of quiet zone in the PNG */
#define PNG_SCALE 8		/* pixels per module, each way */

/* UTF-8 for the half blocks. */
#define UPPER_HALF "\xe2\x96\x80"	/* U+2580 */
#define LOWER_HALF "\xe2\x96\x84"	/* U+2584 */
#define FULL_BLOCK "\xe2\x96\x88"	/* U+2588 */

/* Bright white on black for a row, and back to the terminal's own. */
#define ROW_COLOUR "\033[97;40m"
#define ROW_RESET "\033[0m"

/* What libpng reports through its error callback. */
struct png_failure {
	char msg[160];
};

/* NULL with errno set (EINVAL, ERANGE for too long, ENOMEM) on failure. */
static QRcode *
encode(const char *text)
{
	if (text == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
}

static void
release(QRcode *qr)
{
	explicit_bzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
}

/* Whether the module at column x, row y is dark; the quiet zone (any x or
 * y outside the symbol) is light. */
static int
is_dark(const QRcode *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[(size_t)y * (size_t)qr->width + (size_t)x] & 1;
}

/* --- Terminal --------------------------------------------------------- */

/* The character for column x of module rows y (top) and y + 1 (bottom):
 * light modules are drawn, dark ones left blank.  The symbol plus quiet
 * zone is an odd number of rows, so the last character row has no bottom
 * module; it stays blank like a dark one. */
static const char *
half_block(const QRcode *qr, int x, int y)
{
	int top = !is_dark(qr, x, y);
	int bottom = y + 1 < qr->width + TERM_QUIET && !is_dark(qr, x, y + 1);

	if (top && bottom)
		return FULL_BLOCK;
	if (top)
		return UPPER_HALF;
	if (bottom)
		return LOWER_HALF;
	return " ";
}

static int
print_row(FILE *fp, const QRcode *qr, int y, int colour)
{
	int x;

	if (colour && fputs(ROW_COLOUR, fp) == EOF)
		return -1;
	for (x = -TERM_QUIET; x < qr->width + TERM_QUIET; x++)
		if (fputs(half_block(qr, x, y), fp) == EOF)
			return -1;
	if (colour && fputs(ROW_RESET, fp) == EOF)
		return -1;
	return putc('\n', fp) == EOF ? -1 : 0;
}

int
qr_print_terminal_mode(FILE *fp, const char *text, int colour)
{
	QRcode *qr;
	int y, rc = 0;

	qr = encode(text);
	if (qr == NULL)
		return -1;
	for (y = -TERM_QUIET; rc == 0 && y < qr->width + TERM_QUIET; y += 2)
		rc = print_row(fp, qr, y, colour);
	release(qr);
	return rc;
}

int
qr_print_terminal(FILE *fp, const char *text)
{
	const char *term = getenv("TERM");
	int colour = isatty(fileno(fp)) && term != NULL && term[0] != '\0' &&
		     strcmp(term, "dumb") != 0;

	return qr_print_terminal_mode(fp, text, colour);
}

/* --- PNG -------------------------------------------------------------- */

/* Keeps libpng's message for err and never returns to libpng. */
static _Noreturn void
on_png_error(png_structp png, png_const_charp msg)
{
	struct png_failure *f = png_get_error_ptr(png);

	snprintf(f->msg, sizeof(f->msg), "libpng: %s", msg);
	png_longjmp(png, 1);
}

static void
on_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Side of the image in pixels. */
static png_uint_32
png_side(const QRcode *qr)
{
	return (png_uint_32)(qr->width + 2 * PNG_QUIET) * PNG_SCALE;
}

/* One pixel row for module row y (quiet zone included): 1 bits are white,
 * most significant bit first. */
static void
fill_row(const QRcode *qr, int y, png_bytep row, size_t rowbytes)
{
	png_uint_32 px, side = png_side(qr);

	memset(row, 0, rowbytes);
	for (px = 0; px < side; px++)
		if (!is_dark(qr, (int)(px / PNG_SCALE) - PNG_QUIET, y))
			row[px / 8] |= (png_byte)(0x80u >> (px % 8));
}

static void
write_rows(png_structp png, const QRcode *qr, png_bytep row,
	   size_t rowbytes)
{
	int y, i;

	for (y = -PNG_QUIET; y < qr->width + PNG_QUIET; y++) {
		fill_row(qr, y, row, rowbytes);
		for (i = 0; i < PNG_SCALE; i++)
			png_write_row(png, row);
	}
}

static void
free_row(png_bytep row, size_t rowbytes)
{
	if (row != NULL)
		explicit_bzero(row, rowbytes);
	free(row);
}

/* Encodes qr as a PNG onto fp.  No local is modified between setjmp and
 * a possible longjmp, so none needs to be volatile. */
static int
write_png_stream(FILE *fp, const QRcode *qr, struct png_failure *f)
{
	png_uint_32 side = png_side(qr);
	size_t rowbytes = (side + 7) / 8;
	png_structp png;
	png_infop info = NULL;
	png_bytep row = NULL;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, f, on_png_error,
				      on_png_warning);
	if (png != NULL)
		info = png_create_info_struct(png);
	if (info != NULL)
		row = malloc(rowbytes);
	if (row == NULL) {
		png_destroy_write_struct(&png, &info);
		snprintf(f->msg, sizeof(f->msg), "out of memory");
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free_row(row, rowbytes);
		return -1;
	}
	png_init_io(png, fp);
	png_set_IHDR(png, info, side, side, 1, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	write_rows(png, qr, row, rowbytes);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free_row(row, rowbytes);
	return 0;
}

/* A new file at path (never an existing one, nor through a symlink). */
static FILE *
create_file(const char *path, char *err, size_t errsz)
{
	FILE *fp;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, errsz, "%s: already exists, not "
				 "overwritten", path);
		else
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	fp = fdopen(fd, "wb");
	if (fp == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
	}
	return fp;
}

int
qr_write_png(const char *path, const char *text, char *err, size_t errsz)
{
	struct png_failure f = { "" };
	QRcode *qr;
	FILE *fp;
	int rc;

	qr = encode(text);
	if (qr == NULL) {
		snprintf(err, errsz, "%s: text cannot be encoded as a QR code: "
			 "%s", path, strerror(errno));
		return -1;
	}
	fp = create_file(path, err, errsz);
	if (fp == NULL) {
		release(qr);
		return -1;
	}
	rc = write_png_stream(fp, qr, &f);
	release(qr);
	if (rc != 0)
		snprintf(err, errsz, "%s: %s", path, f.msg);
	if (fclose(fp) != 0 && rc == 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(path);
	return rc;
}
