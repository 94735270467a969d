/*
 * report_json.h - the report's JSON document, shared by report_json.c,
 * which builds it, and report_html.c, which renders it.
 */
#ifndef POLICYCTL_REPORT_JSON_H
#define POLICYCTL_REPORT_JSON_H

#include <jansson.h>

#include "report.h"

/* The document of r; NULL out of memory.  The caller json_decref()s it. */
json_t *report_json(const struct report *r);
/* Strings go in through jtext (jsonout.h). */

#endif
