/*
 * client.c - connecting to policyd and exchanging one request at a time;
 * see client.h for the identity rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "frame.h"
#include "proto.h"

/* The directory holding the socket: only its owner (root or the socket's
 * owner) may write it, so nobody else can have put a socket there. */
static int
check_dir(const char *path, uid_t owner, char *err, size_t errsz)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		goto bad;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		goto bad;
	if (st.st_uid != 0 && st.st_uid != owner)
		goto bad;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errsz, "%s: directory is not the daemon's", path);
	return CLIENT_EIDENTITY;
}

static int
check_peer(int fd, uid_t owner, const char *path, char *err, size_t errsz)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof(cred) || (cred.uid != owner && cred.uid != 0)) {
		snprintf(err, errsz, "%s: peer is not the daemon", path);
		return CLIENT_EIDENTITY;
	}
	return 0;
}

/* connect() on a Unix socket fails with EAGAIN while the listen backlog is
 * full; retry briefly until the deadline rather than block. */
static int
connect_by(int fd, const struct sockaddr_un *sa, int64_t deadline_ms)
{
	const struct timespec pause = { 0, 10 * 1000 * 1000 };

	for (;;) {
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return CLIENT_OK;
		if (errno != EAGAIN && errno != EINTR)
			return CLIENT_ECONNECT;
		if (frame_now_ms() >= deadline_ms)
			return CLIENT_ETIMEOUT;
		nanosleep(&pause, NULL);
	}
}

int
client_open(struct pclient *c, const char *path, int timeout_ms, char *err,
	    size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->deadline_ms = frame_now_ms() + timeout_ms;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errsz, "%s: socket path too long", path);
		return CLIENT_ECONNECT;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return CLIENT_ECONNECT;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsz, "%s: not a socket", path);
		return CLIENT_EIDENTITY;
	}
	rc = check_dir(path, st.st_uid, err, errsz);
	if (rc != 0)
		return rc;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		return CLIENT_EIO;
	}
	rc = connect_by(c->fd, &sa, c->deadline_ms);
	if (rc == CLIENT_OK)
		rc = check_peer(c->fd, st.st_uid, path, err, errsz);
	else
		snprintf(err, errsz, "%s: %s", path, client_strerror(rc));
	if (rc != CLIENT_OK)
		client_close(c);
	return rc;
}

void
client_begin(struct pclient *c, struct wwriter *w, uint8_t type)
{
	c->type = type;
	c->id = ++c->next_id;
	wire_begin_request(w, type, c->id);
}

static int
frame_to_client(int rc)
{
	switch (rc) {
	case FRAME_OK:
		return CLIENT_OK;
	case FRAME_TIMEOUT:
		return CLIENT_ETIMEOUT;
	case FRAME_TOOBIG:
		return CLIENT_EPROTO;
	default:
		return CLIENT_EIO;
	}
}

int
client_call(struct pclient *c, const struct wwriter *w, uint8_t *rbuf,
	    size_t cap, struct wmsg *reply)
{
	size_t len;
	int rc;

	if (c->fd < 0)
		return CLIENT_EIO;
	if (ww_failed(w))
		return CLIENT_ETOOBIG;
	rc = frame_write(c->fd, w->buf, w->len, c->deadline_ms);
	if (rc == FRAME_OK)
		rc = frame_read(c->fd, rbuf, cap, &len, c->deadline_ms);
	if (rc != FRAME_OK)
		return frame_to_client(rc);
	if (wire_parse(rbuf, len, 1, reply) != 0 ||
	    reply->type != (c->type | PROTO_REPLY) || reply->id != c->id ||
	    reply->status > PROTO_STATUS_MAX)
		return CLIENT_EPROTO;
	return CLIENT_OK;
}

void
client_close(struct pclient *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

const char *
client_strerror(int rc)
{
	switch (rc) {
	case CLIENT_OK:
		return "ok";
	case CLIENT_ECONNECT:
		return "cannot connect to policyd";
	case CLIENT_EIDENTITY:
		return "socket is not policyd's";
	case CLIENT_ETIMEOUT:
		return "policyd did not answer in time";
	case CLIENT_EPROTO:
		return "policyd sent a malformed answer";
	case CLIENT_ETOOBIG:
		return "request too large";
	default:
		return "connection to policyd failed";
	}
}
