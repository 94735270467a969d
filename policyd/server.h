/*
 * server.h - the two listening sockets and the connections on them.
 *
 * Each accepted connection is served by a worker thread (a reused idle
 * one, else a new one) that reads frames under a deadline, dispatches
 * them, and writes the replies.  At most
 * max_connections run at once, and a user other than root holds at most
 * an eighth of them; a connection over a limit is closed at once.
 */
#ifndef POLICYD_SERVER_H
#define POLICYD_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "daemon.h"

struct server;

/*
 * Creates runtime_dir if needed (0755) and the sockets in it: pam.sock
 * (0666) and admin.sock (0660 with group admin_gid, else 0600), both
 * owned by owner.  Refuses a runtime_dir that is a symlink, or that anyone
 * but root or owner can write, and refuses to start when another daemon
 * answers on pam.sock.  Returns 0 or -1 with a reason in err.
 */
int server_open(struct daemon *d, uid_t owner, gid_t admin_gid,
		int have_admin_gid, struct server **out, char *err,
		size_t errsz);

#define SERVER_TICK_MS 1000

/* Serves until SIGTERM or SIGINT arrives on sigfd (a signalfd); calls
 * reload for SIGHUP, and tick every SERVER_TICK_MS (housekeeping) on the
 * loop's own thread.  Returns 0. */
int server_run(struct server *s, int sigfd, void (*reload)(struct daemon *),
	       void (*tick)(struct daemon *));

/* Stops accepting, lets requests in flight finish, waits for every
 * worker thread to end, removes the sockets and frees s. */
void server_close(struct server *s);

#endif
