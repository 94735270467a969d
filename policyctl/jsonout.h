/*
 * jsonout.h - policyctl's JSON: each command builds its whole document
 * with jansson and prints it once at the end, so a failure half-way
 * prints nothing rather than half a document.
 */
#ifndef POLICYCTL_JSONOUT_H
#define POLICYCTL_JSONOUT_H

#include <stdint.h>

#include <jansson.h>

/* A JSON string of s: valid UTF-8 as it is, each byte that is not
 * UTF-8 as U+FFFD (JSON carries only UTF-8).  NULL on no memory. */
json_t *jtext(const char *s);
/* obj[key] = value, taking value's reference; a failure (value NULL,
 * no memory) is remembered and makes jprint refuse. */
void jset(json_t *obj, const char *key, json_t *value);
/* Appends value to the array arr, the same way. */
void jpush(json_t *arr, json_t *value);
/* Whether cp is escaped beyond what JSON needs: DEL, C1 controls, the
 * line separators U+2028 and U+2029, and the bidirectional controls
 * (text_is_bidi). */
int jsonout_hazard(uint32_t cp);
/* Prints doc as one line and drops it.  Those code points are written as
 * \uXXXX, like the C0 controls, so that no string can move a terminal's
 * cursor or reorder what is shown.  0, or EXIT_USAGE (and nothing printed
 * but a message on stderr) if doc or a part of it is missing. */
int jprint(json_t *doc);

#endif
