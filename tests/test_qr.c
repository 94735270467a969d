/*
 * test_qr.c - unit tests for policyctl/qr.c.
 *
 * The terminal rendering of an otpauth:// URI: a rectangle of half blocks
 * whose height follows the symbol's width and whose blocks are exactly the
 * light modules; text too long to encode.  The PNG: mode 0600, signature,
 * size, quiet zone and finder pattern read back through libpng; refusal to
 * overwrite a file or follow a symlink; a missing directory; no file left
 * behind on failure.  Files live in a mkdtemp directory removed at the end.
 */
#include <dirent.h>
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
#include <png.h>
#include <qrencode.h>

#include "qr.h"

#define URI "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=Acme"
#define LONG_LEN 5000

struct fixture {
	char dir[64];
};

/* What the reader saw in a PNG. */
struct image {
	png_uint_32 width, height;
	int bit_depth, color_type;
	png_bytep *rows;
};

/* --- Helpers ---------------------------------------------------------- */

static int
qr_width(const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int width;

	assert_non_null(qr);
	width = qr->width;
	QRcode_free(qr);
	return width;
}

/* The terminal rendering of text, as a heap string. */
static char *
render(const char *text, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	*rc = qr_print_terminal(fp, text);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(buf);
	return buf;
}

/* UTF-8 characters in s[0..n). */
static size_t
utf8_len(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

/* Splits the rendering into lines, each checked to end in '\n'; returns
 * the count and stores at most max starts and lengths. */
static int
split_lines(const char *s, const char **start, size_t *len, int max)
{
	int n = 0;
	const char *nl;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		assert_non_null(nl);
		assert_true(n < max);
		start[n] = s;
		len[n++] = (size_t)(nl - s);
		s = nl + 1;
	}
	return n;
}

static void
join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < size);
}

/* The whole file, for comparisons; *len gets its size. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long size;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size > 0);
	rewind(fp);
	buf = malloc((size_t)size);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	*len = (size_t)size;
	return buf;
}

/* Reads a PNG with libpng; returns 0, or -1 if libpng rejects it. */
static int
read_png(FILE *fp, png_structp png, png_infop info, struct image *im)
{
	png_uint_32 y;

	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_init_io(png, fp);
	png_read_info(png, info);
	im->width = png_get_image_width(png, info);
	im->height = png_get_image_height(png, info);
	im->bit_depth = png_get_bit_depth(png, info);
	im->color_type = png_get_color_type(png, info);
	im->rows = calloc(im->height, sizeof(*im->rows));
	if (im->rows == NULL)
		return -1;
	for (y = 0; y < im->height; y++)
		im->rows[y] = malloc(png_get_rowbytes(png, info));
	for (y = 0; y < im->height; y++)
		if (im->rows[y] == NULL)
			return -1;
	png_read_image(png, im->rows);
	png_read_end(png, NULL);
	return 0;
}

static void
load_png(const char *path, struct image *im)
{
	FILE *fp = fopen(path, "rb");
	png_structp png;
	png_infop info;
	int rc;

	assert_non_null(fp);
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	assert_non_null(png);
	info = png_create_info_struct(png);
	assert_non_null(info);
	memset(im, 0, sizeof(*im));
	rc = read_png(fp, png, info, im);
	png_destroy_read_struct(&png, &info, NULL);
	fclose(fp);
	assert_int_equal(rc, 0);
}

static void
free_image(struct image *im)
{
	png_uint_32 y;

	for (y = 0; im->rows != NULL && y < im->height; y++)
		free(im->rows[y]);
	free(im->rows);
}

/* 1 for white, 0 for black (1-bit grayscale). */
static int
pixel(const struct image *im, png_uint_32 x, png_uint_32 y)
{
	return (im->rows[y][x / 8] >> (7 - x % 8)) & 1;
}

/* --- Terminal --------------------------------------------------------- */

static void
test_terminal_shape(void **state)
{
	const char *start[128] = { NULL };
	size_t len[128] = { 0 }, width;
	int rc, n, i, modules = qr_width(URI);
	char *out;

	(void)state;
	out = render(URI, &rc);
	assert_int_equal(rc, 0);
	assert_true(strlen(out) > 0);
	n = split_lines(out, start, len, 128);
	assert_int_equal(n, (modules + 4 + 1) / 2);
	width = utf8_len(start[0], len[0]);
	assert_int_equal(width, (size_t)modules + 4);
	for (i = 1; i < n; i++)
		assert_int_equal(utf8_len(start[i], len[i]), width);
	free(out);
}

/* Which of the top and bottom halves of one character are drawn. */
static void
halves(const char *ch, size_t *used, int *top, int *bottom)
{
	if (ch[0] == ' ') {
		*used = 1;
		*top = *bottom = 0;
		return;
	}
	assert_int_equal((unsigned char)ch[0], 0xe2);
	assert_int_equal((unsigned char)ch[1], 0x96);
	*used = 3;
	switch ((unsigned char)ch[2]) {
	case 0x80: *top = 1; *bottom = 0; break;
	case 0x84: *top = 0; *bottom = 1; break;
	case 0x88: *top = 1; *bottom = 1; break;
	default: fail_msg("unexpected character");
	}
}

/* Whether module (x, y) of the padded grid (quiet zone 2) is light. */
static int
light(const QRcode *qr, int x, int y)
{
	x -= 2;
	y -= 2;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 1;
	return !(qr->data[y * qr->width + x] & 1);
}

/* Blocks are exactly the light modules, the quiet zone included; the half
 * row below the last one is blank. */
static void
test_terminal_modules(void **state)
{
	QRcode *qr = QRcode_encodeString(URI, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int rc, x, y, top, bottom, side;
	char *out, *p;
	size_t used;

	(void)state;
	assert_non_null(qr);
	side = qr->width + 4;
	out = render(URI, &rc);
	assert_int_equal(rc, 0);
	p = out;
	for (y = 0; y < side; y += 2) {
		for (x = 0; x < side; x++) {
			halves(p, &used, &top, &bottom);
			p += used;
			assert_int_equal(top, light(qr, x, y));
			assert_int_equal(bottom,
					 y + 1 < side && light(qr, x, y + 1));
		}
		assert_int_equal(*p++, '\n');
	}
	assert_int_equal(*p, '\0');
	free(out);
	QRcode_free(qr);
}

/* With colour, every row is the plain row between bright white on black
 * and a reset, so it reads on a light terminal too; without a terminal
 * (the memstream above), no escape is written at all. */
static void
test_terminal_colour(void **state)
{
	const char *on = "\033[97;40m", *off = "\033[0m";
	char *plain, *buf = NULL, *p, *q, *nl;
	size_t len = 0;
	FILE *fp;
	int rc, rows = 0;

	(void)state;
	plain = render(URI, &rc);
	assert_int_equal(rc, 0);
	assert_null(strchr(plain, '\033'));
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(qr_print_terminal_mode(fp, URI, 1), 0);
	assert_int_equal(fclose(fp), 0);
	for (p = buf, q = plain; *p != '\0'; p = nl + 1) {
		size_t row;

		nl = strchr(p, '\n');
		assert_non_null(nl);
		row = (size_t)(nl - p) - strlen(on) - strlen(off);
		assert_memory_equal(p, on, strlen(on));
		assert_memory_equal(nl - strlen(off), off, strlen(off));
		assert_memory_equal(p + strlen(on), q, row);
		assert_int_equal(q[row], '\n');
		q += row + 1;
		rows++;
	}
	assert_int_equal(*q, '\0');
	assert_int_equal(rows, (qr_width(URI) + 4 + 1) / 2);
	free(buf);
	free(plain);
}

static void
test_terminal_too_long(void **state)
{
	char *text = malloc(LONG_LEN + 1);
	char *out;
	int rc;

	(void)state;
	assert_non_null(text);
	memset(text, 'A', LONG_LEN);
	text[LONG_LEN] = '\0';
	out = render(text, &rc);
	assert_int_equal(rc, -1);
	assert_string_equal(out, "");
	free(out);
	free(text);
}

/* --- PNG -------------------------------------------------------------- */

static void
test_png_written(void **state)
{
	const struct fixture *fx = *state;
	static const unsigned char sig[8] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
	};
	char path[PATH_MAX], err[256];
	png_uint_32 side = (png_uint_32)(qr_width(URI) + 8) * 8;
	unsigned char *data;
	struct image im;
	struct stat st;
	size_t len;

	join(path, sizeof(path), fx->dir, "alice.png");
	assert_int_equal(qr_write_png(path, URI, err, sizeof(err)), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	data = slurp(path, &len);
	assert_true(len > sizeof(sig));
	assert_memory_equal(data, sig, sizeof(sig));
	free(data);
	load_png(path, &im);
	assert_int_equal(im.width, side);
	assert_int_equal(im.height, side);
	assert_int_equal(im.bit_depth, 1);
	assert_int_equal(im.color_type, PNG_COLOR_TYPE_GRAY);
	assert_int_equal(pixel(&im, 0, 0), 1);
	assert_int_equal(pixel(&im, 4 * 8 + 4, 4 * 8 + 4), 0);
	assert_int_equal(pixel(&im, side - 1, side - 1), 1);
	free_image(&im);
}

/* Every pixel is its module's colour, the quiet zone white. */
static void
test_png_modules(void **state)
{
	const struct fixture *fx = *state;
	QRcode *qr = QRcode_encodeString(URI, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	char path[PATH_MAX], err[256];
	png_uint_32 x, y;
	struct image im;
	int mx, my, want;

	assert_non_null(qr);
	join(path, sizeof(path), fx->dir, "modules.png");
	assert_int_equal(qr_write_png(path, URI, err, sizeof(err)), 0);
	load_png(path, &im);
	for (y = 0; y < im.height; y++)
		for (x = 0; x < im.width; x++) {
			mx = (int)(x / 8) - 4;
			my = (int)(y / 8) - 4;
			want = mx < 0 || my < 0 || mx >= qr->width ||
			       my >= qr->width ||
			       !(qr->data[my * qr->width + mx] & 1);
			assert_int_equal(pixel(&im, x, y), want);
		}
	free_image(&im);
	QRcode_free(qr);
}

static void
test_png_no_overwrite(void **state)
{
	const struct fixture *fx = *state;
	char path[PATH_MAX], err[PATH_MAX + 128];
	unsigned char *before, *after;
	size_t len_before, len_after;

	join(path, sizeof(path), fx->dir, "alice.png");
	before = slurp(path, &len_before);
	err[0] = '\0';
	assert_int_equal(qr_write_png(path, "otpauth://totp/other", err,
				      sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	after = slurp(path, &len_after);
	assert_int_equal(len_after, len_before);
	assert_memory_equal(after, before, len_before);
	free(before);
	free(after);
}

/* A symlink at the path is refused and its target left alone. */
static void
test_png_symlink(void **state)
{
	const struct fixture *fx = *state;
	char path[PATH_MAX], target[PATH_MAX], err[PATH_MAX + 128];
	struct stat st;

	join(path, sizeof(path), fx->dir, "link.png");
	join(target, sizeof(target), fx->dir, "target.png");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(qr_write_png(path, URI, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(lstat(target, &st), -1);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void
test_png_missing_dir(void **state)
{
	const struct fixture *fx = *state;
	char path[PATH_MAX], err[PATH_MAX + 128];

	join(path, sizeof(path), fx->dir, "missing/alice.png");
	err[0] = '\0';
	assert_int_equal(qr_write_png(path, URI, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
}

/* Text too long for a QR code: an error naming the path, and no file. */
static void
test_png_too_long(void **state)
{
	const struct fixture *fx = *state;
	char path[PATH_MAX], err[PATH_MAX + 128];
	char *text = malloc(LONG_LEN + 1);
	struct stat st;

	assert_non_null(text);
	memset(text, 'A', LONG_LEN);
	text[LONG_LEN] = '\0';
	join(path, sizeof(path), fx->dir, "long.png");
	err[0] = '\0';
	assert_int_equal(qr_write_png(path, text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(lstat(path, &st), -1);
	free(text);
}

/* --- Fixture ---------------------------------------------------------- */

static int
group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	if (fx == NULL)
		return -1;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(fx->dir, sizeof(fx->dir), "%s/test_qr.XXXXXX", tmp);
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

/* The directory holds only files and symlinks made by the tests. */
static int
group_teardown(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(fx->dir);
	int rc = 0;

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fx->dir, de->d_name);
		if (unlink(path) != 0)
			rc = -1;
	}
	if (d != NULL)
		closedir(d);
	if (rmdir(fx->dir) != 0)
		rc = -1;
	free(fx);
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminal_shape),
		cmocka_unit_test(test_terminal_modules),
		cmocka_unit_test(test_terminal_colour),
		cmocka_unit_test(test_terminal_too_long),
		cmocka_unit_test(test_png_written),
		cmocka_unit_test(test_png_modules),
		cmocka_unit_test(test_png_no_overwrite),
		cmocka_unit_test(test_png_symlink),
		cmocka_unit_test(test_png_missing_dir),
		cmocka_unit_test(test_png_too_long),
	};

	return cmocka_run_group_tests_name("qr", tests, group_setup,
					   group_teardown);
}
