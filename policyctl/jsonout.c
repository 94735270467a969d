/*
 * jsonout.c - building and printing policyctl's JSON documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "jsonout.h"
#include "text.h"

static int broken;	/* a part of the document being built is missing */

json_t *
jtext(const char *s)
{
	size_t len = strlen(s), n;
	uint32_t cp;
	json_t *j;
	char *clean, *o;

	/* Each byte grows to at most 3 (U+FFFD). */
	clean = malloc(3 * len + 1);
	if (clean == NULL)
		return NULL;
	for (o = clean; *s != '\0'; s += n) {
		n = text_utf8(s, &cp);
		if (n == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		} else {
			memcpy(o, s, n);
			o += n;
		}
	}
	j = json_stringn(clean, (size_t)(o - clean));
	free(clean);
	return j;
}

void
jset(json_t *obj, const char *key, json_t *value)
{
	if (obj == NULL || value == NULL ||
	    json_object_set_new(obj, key, value) != 0)
		broken = 1;
}

void
jpush(json_t *arr, json_t *value)
{
	if (arr == NULL || value == NULL ||
	    json_array_append_new(arr, value) != 0)
		broken = 1;
}

/* The code points escaped beyond what JSON must: those a terminal could
 * obey (DEL, C1), the line separators JavaScript takes for line ends,
 * and the bidirectional controls, which make a name read as another
 * ("Trojan Source"). */
int
jsonout_hazard(uint32_t cp)
{
	return cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
	       cp == 0x2029 || text_is_bidi(cp);
}

/* Writes the dumped text with those code points escaped.  Outside
 * strings the text is ASCII, so each of them can only stand inside a
 * string, where \uXXXX means the same. */
static int
write_escaped(const char *s)
{
	uint32_t cp;
	size_t n;

	for (; *s != '\0'; s += n) {
		n = text_utf8(s, &cp);
		if (n == 0)
			return -1;	/* jansson writes only UTF-8 */
		if (jsonout_hazard(cp))
			printf("\\u%04X", (unsigned)cp);
		else
			fwrite(s, 1, n, stdout);
	}
	return 0;
}

int
jprint(json_t *doc)
{
	char *text = NULL;
	int rc = EXIT_USAGE;

	if (doc != NULL && !broken)
		text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL) {
		fprintf(stderr, "policyctl: out of memory building the JSON "
				"document\n");
		broken = 0;
		return EXIT_USAGE;
	}
	if (write_escaped(text) == 0) {
		putchar('\n');
		rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : EXIT_USAGE;
		if (rc != 0)
			fprintf(stderr, "policyctl: cannot write the JSON "
					"document\n");
	}
	free(text);
	return rc;
}
