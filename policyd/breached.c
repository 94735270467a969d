/*
 * breached.c - see breached.h.
 *
 * passwdqc_check runs all of passwdqc's rules; every one but the filter
 * is turned off here (policyd has its own), so its only possible refusal
 * is "appears to be in a database".  The filter is a cuckoo filter:
 * false positives fewer than one in a billion, no false negatives.
 */
#include <stdio.h>
#include <stdlib.h>

#include <passwdqc.h>

#include "breached.h"
#include "trusted.h"

int
breached_usable(const char *filter, char *err, size_t errsz)
{
	char why[256];
	FILE *fp = trusted_open(filter, why, sizeof(why));

	if (fp == NULL) {
		snprintf(err, errsz, "breached_filter: %s: %s", filter, why);
		return -1;
	}
	fclose(fp);
	return 0;
}

int
breached_lookup(const char *filter, const char *pw)
{
	char arg[4200];
	const char *argv[] = {
		"min=1,1,1,1,1", "max=10000", "passphrase=0", "match=0",
		"similar=permit", "random=0", arg,
	};
	passwdqc_params_t params;
	char *reason = NULL;
	int rc;

	if (snprintf(arg, sizeof(arg), "filter=%s", filter) >=
	    (int)sizeof(arg))
		return -1;
	passwdqc_params_reset(&params);
	if (passwdqc_params_parse(&params, &reason, 7, argv) != 0) {
		free(reason);
		passwdqc_params_free(&params);
		return -1;
	}
	rc = passwdqc_check(&params.qc, pw, NULL, NULL) != NULL;
	passwdqc_params_free(&params);
	return rc;
}
