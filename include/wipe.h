/*
 * wipe.h - the one family used to erase secrets (passwords, codes, request
 * buffers that carried them).  explicit_bzero cannot be optimised away.
 */
#ifndef POLICYD_WIPE_H
#define POLICYD_WIPE_H

#include <stddef.h>

void wipe(void *p, size_t n);
/* Wipes a NUL-terminated string up to its terminator; NULL is fine. */
void wipe_str(char *s);
/* Wipes and frees a heap string; NULL is fine. */
void wipe_strfree(char *s);

#define WIPE_OBJ(x) wipe(&(x), sizeof(x))

#endif
