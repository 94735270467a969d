/*
 * client.c - connecting to policyd and exchanging one request at a time;
 * see client.h for the identity rule.  It is the rule of OpenSSH's
 * StrictModes: a path is only as safe as the least safe directory above
 * it, so every one is checked, and only root and the daemon's own user are
 * trusted -- never whoever happens to own the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "frame.h"
#include "proto.h"

/* Whether the client trusts uid: root, or the daemon's user. */
static int
trusted(uid_t uid, uid_t daemon_uid)
{
	return uid == 0 || uid == daemon_uid;
}

/* Who may own the path, for error texts: "root" or "root or uid N". */
static const char *
who(uid_t daemon_uid, char *buf, size_t n)
{
	if (daemon_uid == 0)
		return "root";
	snprintf(buf, n, "root or uid %u", (unsigned)daemon_uid);
	return buf;
}

/*
 * One directory on the way to the socket: still a directory (realpath()
 * resolved every link, so a link now means someone swapped it), owned by a
 * trusted uid, writable by no group and no other user -- unless root owns
 * it and it is sticky (/tmp): others may add entries there but not rename
 * or remove ours.
 */
static int
check_dir(const char *path, const char *dir, uid_t daemon_uid, char *err,
	  size_t errsz)
{
	struct stat st;
	char w[48];

	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errsz, "%s: %s is not a directory", path, dir);
		return CLIENT_EIDENTITY;
	}
	if (!trusted(st.st_uid, daemon_uid)) {
		snprintf(err, errsz, "%s: directory %s is owned by uid %u, "
			 "not by %s", path, dir, (unsigned)st.st_uid,
			 who(daemon_uid, w, sizeof(w)));
		return CLIENT_EIDENTITY;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(st.st_uid == 0 && (st.st_mode & S_ISVTX) != 0)) {
		snprintf(err, errsz, "%s: directory %s is writable by %s", path,
			 dir, (st.st_mode & S_IWOTH) ? "others" : "its group");
		return CLIENT_EIDENTITY;
	}
	return 0;
}

/* Every directory from / down to real (an absolute path without links),
 * as OpenSSH's safe_path() walks them: one that another user may change
 * lets that user replace everything below it. */
static int
check_tree(const char *path, const char *real, uid_t daemon_uid, char *err,
	   size_t errsz)
{
	char dir[PATH_MAX];
	size_t n = strlen(real);
	int rc = check_dir(path, "/", daemon_uid, err, errsz);

	for (size_t i = 1; rc == 0 && i <= n && n < sizeof(dir); i++) {
		if (real[i] != '/' && real[i] != '\0')
			continue;
		memcpy(dir, real, i);
		dir[i] = '\0';
		rc = check_dir(path, dir, daemon_uid, err, errsz);
	}
	return rc;
}

/* The socket itself: a socket, owned by a trusted uid. */
static int
check_socket(const char *path, const char *sock, uid_t daemon_uid,
	     char *err, size_t errsz)
{
	struct stat st;
	char w[48];

	if (lstat(sock, &st) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return errno == EACCES ? CLIENT_EACCES : CLIENT_ECONNECT;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsz, "%s: not a socket", path);
		return CLIENT_EIDENTITY;
	}
	if (!trusted(st.st_uid, daemon_uid)) {
		snprintf(err, errsz, "%s: socket is owned by uid %u, not by %s",
			 path, (unsigned)st.st_uid,
			 who(daemon_uid, w, sizeof(w)));
		return CLIENT_EIDENTITY;
	}
	return 0;
}

/*
 * Resolves the socket's directory with realpath(), checks it and every
 * directory above, then the socket, and leaves in sock (cap bytes) the
 * resolved path to connect to: made only of checked directories, so no
 * link can be swapped between the check and connect().
 */
static int
find_socket(const char *path, uid_t daemon_uid, char *sock, size_t cap,
	    char *err, size_t errsz)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base;
	int rc;

	if (slash == NULL || slash == path)
		snprintf(dir, sizeof(dir), "%s", slash == NULL ? "." : "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
			  path) >= (int)sizeof(dir))
		goto too_long;
	base = slash == NULL ? path : slash + 1;
	if (realpath(dir, real) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return errno == EACCES ? CLIENT_EACCES : CLIENT_ECONNECT;
	}
	rc = check_tree(path, real, daemon_uid, err, errsz);
	if (rc != 0)
		return rc;
	if (snprintf(sock, cap, "%s/%s", strcmp(real, "/") == 0 ? "" : real,
		     base) >= (int)cap)
		goto too_long;
	return check_socket(path, sock, daemon_uid, err, errsz);
too_long:
	snprintf(err, errsz, "%s: socket path too long", path);
	return CLIENT_ECONNECT;
}

/* The process at the other end runs as a trusted uid. */
static int
check_peer(int fd, uid_t daemon_uid, const char *path, char *err,
	   size_t errsz)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char w[48];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof(cred)) {
		snprintf(err, errsz, "%s: no peer credentials", path);
		return CLIENT_EIDENTITY;
	}
	if (!trusted(cred.uid, daemon_uid)) {
		snprintf(err, errsz, "%s: peer runs as uid %u, not as %s", path,
			 (unsigned)cred.uid, who(daemon_uid, w, sizeof(w)));
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
		if (errno == EACCES || errno == EPERM)
			return CLIENT_EACCES;
		if (errno != EAGAIN && errno != EINTR)
			return CLIENT_ECONNECT;
		if (frame_now_ms() >= deadline_ms)
			return CLIENT_ETIMEOUT;
		nanosleep(&pause, NULL);
	}
}

int
client_daemon_uid(const char *name, uid_t *uid)
{
	struct passwd pw, *found = NULL;
	char buf[8192];
	int rc;

	*uid = 0;
	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
	if (rc == 0 && found != NULL)
		*uid = pw.pw_uid;
	return rc != 0 ? -1 : found == NULL ? 1 : 0;
}

int
client_open_as(struct pclient *c, const char *path, uid_t daemon_uid,
	       int timeout_ms, char *err, size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->deadline_ms = frame_now_ms() + timeout_ms;
	rc = find_socket(path, daemon_uid, sa.sun_path, sizeof(sa.sun_path),
			 err, errsz);
	if (rc != 0)
		return rc;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		return CLIENT_EIO;
	}
	rc = connect_by(c->fd, &sa, c->deadline_ms);
	if (rc == CLIENT_OK)
		rc = check_peer(c->fd, daemon_uid, path, err, errsz);
	else
		snprintf(err, errsz, "%s: %s", path, client_strerror(rc));
	if (rc != CLIENT_OK)
		client_close(c);
	return rc;
}

int
client_open(struct pclient *c, const char *path, int timeout_ms, char *err,
	    size_t errsz)
{
	uid_t uid;

	(void)client_daemon_uid(CLIENT_DAEMON_USER, &uid);
	return client_open_as(c, path, uid, timeout_ms, err, errsz);
}

void
client_begin(struct pclient *c, struct wwriter *w, uint8_t type)
{
	int64_t left = c->deadline_ms - frame_now_ms();

	c->type = type;
	c->id = ++c->next_id;
	wire_begin_request(w, type, c->id);
	/* So that the daemon drops what nobody will wait for any more. */
	wire_put_u32(w, PROTO_T_DEADLINE,
		     left <= 0 ? 1 : left > UINT32_MAX ? UINT32_MAX
						       : (uint32_t)left);
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
	case CLIENT_EACCES:
		return "permission denied";
	default:
		return "connection to policyd failed";
	}
}
