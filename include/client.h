/*
 * client.h - a connection to policyd, used by pam_policyd.so and policyctl.
 *
 * client_open_as checks, before anything is sent, that the socket belongs
 * to the daemon.  It trusts exactly two uids: root and the daemon's user
 * (its uid given by the caller).  The socket must be owned by one of them;
 * its directory, resolved with realpath(), and every directory above it
 * up to / must be owned by one of them and writable by no group and no
 * other user, except a root-owned sticky directory such as /tmp (whose
 * entries only their owner may rename); and the process at the other end
 * (SO_PEERCRED) must run as one of them.  No uid is trusted because it
 * owns the path.  One deadline (timeout_ms) bounds the whole conversation,
 * so a hung daemon never hangs a login.
 */
#ifndef POLICYD_CLIENT_H
#define POLICYD_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

enum client_rc {
	CLIENT_OK = 0,
	CLIENT_ECONNECT = -1,	/* no daemon at that path */
	CLIENT_EIDENTITY = -2,	/* something other than the daemon */
	CLIENT_ETIMEOUT = -3,
	CLIENT_EPROTO = -4,	/* garbage, or a reply to another request */
	CLIENT_EIO = -5,
	CLIENT_ETOOBIG = -6,	/* request did not fit its buffer */
	CLIENT_EACCES = -7,	/* the socket or a directory above is not
				   open to this user */
};

struct pclient {
	int fd;
	int64_t deadline_ms;
	uint32_t next_id;
	uint8_t type;		/* of the request being built */
	uint32_t id;
};

/* The daemon's user when none is configured. */
#define CLIENT_DAEMON_USER "policyd"

/* Looks up the uid of the daemon's user name into *uid.  Returns 0 when
 * found; 1 when there is no such user and -1 when the lookup failed, both
 * with *uid = 0, so that only root is trusted. */
int client_daemon_uid(const char *name, uid_t *uid);

/* Connects to the socket at path, trusting root and daemon_uid (see
 * above).  On failure, writes a reason naming the path into err (errsz
 * bytes) and returns a negative enum client_rc; c is then closed. */
int client_open_as(struct pclient *c, const char *path, uid_t daemon_uid,
		   int timeout_ms, char *err, size_t errsz);

/* client_open_as, trusting root and the uid of CLIENT_DAEMON_USER. */
int client_open(struct pclient *c, const char *path, int timeout_ms,
		char *err, size_t errsz);

/* Starts a request of this type in w, with a fresh request id and the
 * time left before the client gives up (PROTO_T_DEADLINE). */
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
