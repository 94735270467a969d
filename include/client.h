/*
 * client.h - a connection to policyd, used by pam_policyd.so and policyctl.
 *
 * client_open checks, before anything is sent, that the socket belongs to
 * the daemon: the path is a socket in a directory that only its owner (or
 * root) can write, and the process at the other end runs as the socket's
 * owner or as root.  One deadline (timeout_ms from client_open) bounds the
 * whole conversation, so a hung daemon never hangs a login.
 */
#ifndef POLICYD_CLIENT_H
#define POLICYD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

enum client_rc {
	CLIENT_OK = 0,
	CLIENT_ECONNECT = -1,	/* no daemon at that path */
	CLIENT_EIDENTITY = -2,	/* something other than the daemon */
	CLIENT_ETIMEOUT = -3,
	CLIENT_EPROTO = -4,	/* garbage, or a reply to another request */
	CLIENT_EIO = -5,
	CLIENT_ETOOBIG = -6,	/* request did not fit its buffer */
};

struct pclient {
	int fd;
	int64_t deadline_ms;
	uint32_t next_id;
	uint8_t type;		/* of the request being built */
	uint32_t id;
};

/* Connects to the socket at path.  On failure, writes a reason into err
 * (errsz bytes) and returns a negative enum client_rc. */
int client_open(struct pclient *c, const char *path, int timeout_ms,
		char *err, size_t errsz);

/* Starts a request of this type in w, with a fresh request id. */
void client_begin(struct pclient *c, struct wwriter *w, uint8_t type);

/* Sends the request in w and reads the reply into rbuf (cap bytes), then
 * parses it into *reply, checking that its type and id answer the request.
 * The reply's field views point into rbuf. */
int client_call(struct pclient *c, const struct wwriter *w, uint8_t *rbuf,
		size_t cap, struct wmsg *reply);

/* Closes the connection; safe to call twice. */
void client_close(struct pclient *c);

const char *client_strerror(int rc);

#endif
