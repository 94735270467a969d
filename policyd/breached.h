/*
 * breached.h - the optional offline list of breached passwords: a binary
 * filter made with passwdqc's pwqfilter (for instance from the HIBP SHA-1
 * list), looked up through libpasswdqc, as NIST SP 800-63B asks.
 */
#ifndef POLICYD_BREACHED_H
#define POLICYD_BREACHED_H

#include <stddef.h>

/* Checks that the filter file is one the daemon may trust (trusted.h).
 * Returns 0, or -1 with the reason in err. */
int breached_usable(const char *filter, char *err, size_t errsz);

/* Whether pw is in the filter: 1 yes, 0 no, -1 the lookup failed. */
int breached_lookup(const char *filter, const char *pw);

#endif
