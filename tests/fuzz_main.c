/*
 * fuzz_main.c - the replay driver linked into every fuzz target's plain
 * build.
 *
 * Without libFuzzer, a target is LLVMFuzzerTestOneInput plus this main():
 * it replays the files, or directories of files, named on the command
 * line, so `make check` runs each target over its seed corpus and its
 * regressions.  A target that needs set-up does it on its first input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a whole file into *buf (malloc'd, exactly *len bytes, so ASan
 * sees a read past the input); returns 0 or -1. */
static int
slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	if (fp == NULL)
		return -1;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0)
		goto fail;
	p = malloc(n > 0 ? (size_t)n : 1);
	if (p == NULL || fread(p, 1, (size_t)n, fp) != (size_t)n)
		goto fail;
	fclose(fp);
	*buf = p;
	*len = (size_t)n;
	return 0;
fail:
	free(p);
	fclose(fp);
	return -1;
}

static int
run_file(const char *prog, const char *path, unsigned long *count)
{
	uint8_t *buf;
	size_t len;

	if (slurp(path, &buf, &len) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

static int
run_dir(const char *prog, const char *dir, unsigned long *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char path[4096];
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(prog, path, count) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
						 : argv[0];
	unsigned long count = 0;
	struct stat st;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file-or-dir...\n", prog);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (run_dir(prog, argv[i], &count) != 0)
				rc = 1;
		} else if (run_file(prog, argv[i], &count) != 0) {
			rc = 1;
		}
	}
	/* A target may have pointed stdout elsewhere: report on stderr. */
	fprintf(stderr, "%s: %lu inputs ok\n", prog, count);
	return rc;
}
