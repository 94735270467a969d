/*
 * server.c - accepting, framing, and connection lifetimes; see server.h.
 *
 * The main thread polls the two listening sockets and a signalfd and
 * hands each accepted connection to a worker thread: an idle one when
 * there is one, else a new one.  A worker serves one connection at a time
 * with its own two frame buffers, then waits for the next; it ends after
 * IDLE_SECONDS without work, except the last SPARE_WORKERS.  Reusing
 * workers saves a thread's creation, stack and buffer mappings on every
 * connection.  The list of live connections lets shutdown half-close
 * them (SHUT_RD), so a worker finishes the request in hand, writes its
 * reply, then reads EOF.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dispatch.h"
#include "frame.h"
#include "log.h"
#include "server.h"
#include "wipe.h"

#define THREAD_STACK (512 * 1024)
#define IDLE_SECONDS 30
#define SPARE_WORKERS 4
#define PAGE_RESIDENT 4096	/* frame bytes an idle worker may keep */

struct conn {
	struct server *srv;
	int fd;
	struct peer peer;
	struct conn *prev, *next;	/* the live list */
	struct conn *queued;		/* the hand-off queue */
};

struct server {
	struct daemon *d;
	int fds[2];			/* indexed by enum sock_kind */
	char paths[2][sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_mutex_t lock;
	pthread_cond_t idle;		/* nconns or nworkers reached 0 */
	pthread_cond_t work;		/* a connection was queued */
	/* Guarded by lock: */
	struct conn *conns;		/* live: queued or being served */
	unsigned nconns;
	struct conn *queue, **queue_tail;	/* waiting for a worker */
	unsigned nworkers;
	unsigned nidle;			/* idle workers no queued conn is
					 * promised to */
	int stopping;
};

static int
check_runtime_dir(const char *dir, uid_t owner, char *err, size_t errsz)
{
	struct stat st;

	if (mkdir(dir, 0755) == 0) {
		/* Every local user must reach pam.sock, whatever the umask;
		 * on a descriptor, never by name. */
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);

		if (fd < 0 || fchmod(fd, 0755) != 0 ||
		    (geteuid() == 0 && fchown(fd, owner, (gid_t)-1) != 0)) {
			snprintf(err, errsz, "%s: chown: %s", dir,
				 strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	} else if (errno != EEXIST) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errsz, "%s: not a directory", dir);
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != owner) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errsz,
			 "%s: must be owned by root or the daemon user and "
			 "writable by no one else", dir);
		return -1;
	}
	return 0;
}

/* A socket file left by a daemon that died is removed; a live one is an
 * error, so two daemons never fight over one directory. */
static int
clear_stale(const char *path, char *err, size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, live;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsz, "%s: exists and is not a socket", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	if (live) {
		snprintf(err, errsz, "%s: another policyd is running", path);
		return -1;
	}
	return unlink(path);
}

/* Binds with the socket file's mode set at its creation (through the
 * umask; nothing else creates files while the sockets are made), so no
 * chmod by name follows. */
static int
bind_with_mode(int fd, const struct sockaddr_un *sa, mode_t mode)
{
	mode_t old = umask((mode_t)~mode & 0777);
	int rc = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));

	umask(old);
	return rc;
}

/* The socket file's owner, set with AT_SYMLINK_NOFOLLOW: if the daemon
 * user (who owns the directory) swapped the name for a symlink, only
 * the link changes hands, never what it points to. */
static int
give_socket(const char *path, uid_t owner, gid_t group)
{
	char dir[PATH_MAX];
	const char *name = strrchr(path, '/');
	int dirfd, rc;

	if (name == NULL || (size_t)(name - path) >= sizeof(dir))
		return -1;
	memcpy(dir, path, (size_t)(name - path));
	dir[name - path] = '\0';
	dirfd = open(dir[0] != '\0' ? dir : "/",
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	rc = fchownat(dirfd, name + 1, owner, group, AT_SYMLINK_NOFOLLOW);
	close(dirfd);
	return rc;
}

/* Root gives the socket to the daemon user (and admin.sock to the admin
 * group).  A daemon started as its user (policyd.service) owns it
 * already and can give it only a group it is a member of
 * (SupplementaryGroups=). */
static int
own_socket(const char *path, uid_t owner, gid_t group, char *err,
	   size_t errsz)
{
	if (geteuid() == 0 ? give_socket(path, owner, group) == 0
			   : group == (gid_t)-1 ||
				     give_socket(path, (uid_t)-1, group) == 0)
		return 0;
	if (geteuid() != 0 && errno == EPERM)
		snprintf(err, errsz, "%s: cannot give it admin_group: the "
			 "daemon's user is not a member of it", path);
	else
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
	return -1;
}

static int
listen_at(const char *path, mode_t mode, uid_t owner, gid_t group, char *err,
	  size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errsz, "%s: socket path too long", path);
		return -1;
	}
	if (clear_stale(path, err, errsz) != 0) {
		if (err[0] == '\0')
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind_with_mode(fd, &sa, mode) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (own_socket(path, owner, group, err, errsz) != 0 ||
	    listen(fd, 128) != 0) {
		if (err[0] == '\0')
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
server_open(struct daemon *d, uid_t owner, gid_t admin_gid, int have_admin_gid,
	    struct server **out, char *err, size_t errsz)
{
	const char *dir = d->cfg.runtime_dir;
	struct server *s;

	err[0] = '\0';
	*out = NULL;
	if (check_runtime_dir(dir, owner, err, errsz) != 0)
		return -1;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	s->d = d;
	s->fds[SOCK_PAM] = s->fds[SOCK_ADMIN] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	pthread_cond_init(&s->work, NULL);
	s->queue_tail = &s->queue;
	if (strlen(dir) + sizeof("/" ADMIN_SOCKET_NAME) > sizeof(s->paths[0])) {
		snprintf(err, errsz, "%s: too long for a socket path", dir);
		server_close(s);
		return -1;
	}
	strcat(strcat(strcpy(s->paths[SOCK_PAM], dir), "/"), PAM_SOCKET_NAME);
	strcat(strcat(strcpy(s->paths[SOCK_ADMIN], dir), "/"),
	       ADMIN_SOCKET_NAME);
	s->fds[SOCK_PAM] = listen_at(s->paths[SOCK_PAM], 0666, owner,
				     (gid_t)-1, err, errsz);
	if (s->fds[SOCK_PAM] >= 0)
		s->fds[SOCK_ADMIN] = listen_at(
			s->paths[SOCK_ADMIN], have_admin_gid ? 0660 : 0600,
			owner, have_admin_gid ? admin_gid : (gid_t)-1, err,
			errsz);
	if (s->fds[SOCK_ADMIN] < 0) {
		server_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

static void
forget(struct conn *c)
{
	struct server *s = c->srv;

	pthread_mutex_lock(&s->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (--s->nconns == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	close(c->fd);
	free(c);
}

/* Serves requests until the peer is done.  *in_used gets how much of
 * `in` ever held data, to wipe that much and no more (wiping the whole
 * buffer would make every worker's 64 KiB resident); *out_used the same
 * for `out`, which is wiped after each reply. */
static void
serve(struct conn *c, uint8_t *in, uint8_t *out, size_t *in_used,
      size_t *out_used)
{
	uint32_t timeout, max_conns;
	struct wwriter w;
	size_t len;
	int rc;

	peer_resolve(&c->peer);
	for (;;) {
		daemon_limits(c->srv->d, &timeout, &max_conns);
		rc = frame_read(c->fd, in, PROTO_MAX_FRAME, &len,
				frame_now_ms() + (int64_t)timeout * 1000);
		if (len > *in_used)
			*in_used = len;
		if (rc != FRAME_OK) {
			if (rc != FRAME_EOF)
				log_debug("closing connection of pid %d: %s",
					  (int)c->peer.cred.pid,
					  rc == FRAME_TIMEOUT ? "timed out"
					  : rc == FRAME_TOOBIG ? "frame too big"
							       : "read error");
			return;
		}
		ww_init(&w, out, PROTO_MAX_FRAME);
		rc = dispatch(c->srv->d, &c->peer, in, len, &w);
		wipe(in, len);
		if (rc == 0)
			rc = frame_write(c->fd, w.buf, w.len,
					 frame_now_ms() +
						 (int64_t)timeout * 1000);
		wipe(out, w.len);
		if (w.len > *out_used)
			*out_used = w.len;
		if (rc != 0)
			return;
	}
}

/* The next queued connection, or NULL when the worker should end: told
 * to quit, idle for IDLE_SECONDS with more than SPARE_WORKERS idle, or
 * stopping. */
static struct conn *
next_conn(struct server *s, int quit)
{
	struct conn *c = NULL;
	struct timespec until;
	int timed_out = 0;

	pthread_mutex_lock(&s->lock);
	s->nidle++;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += IDLE_SECONDS;
	while (!quit && s->queue == NULL && !s->stopping &&
	       !(timed_out && s->nidle > SPARE_WORKERS)) {
		if (pthread_cond_timedwait(&s->work, &s->lock, &until) ==
		    ETIMEDOUT) {
			timed_out = 1;
			until.tv_sec += IDLE_SECONDS;
		}
	}
	if (!quit && s->queue != NULL) {
		/* admit() took this worker out of nidle when it queued c. */
		c = s->queue;
		s->queue = c->queued;
		if (s->queue == NULL)
			s->queue_tail = &s->queue;
	} else {
		s->nidle--;
		if (--s->nworkers == 0)
			pthread_cond_broadcast(&s->idle);
	}
	pthread_mutex_unlock(&s->lock);
	return c;
}

/*
 * A worker's two frame buffers are mapped rather than taken from malloc:
 * only the pages a frame touches become resident, and a worker that
 * served a large frame gives those pages back before it waits.  From the
 * heap, the buffers of a few hundred waiting connections kept about
 * 1 MiB resident in each malloc arena.
 */
static void *
worker_main(void *arg)
{
	struct conn *c = arg;
	struct server *s = c->srv;
	uint8_t *buf = mmap(NULL, 2 * PROTO_MAX_FRAME, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	while (c != NULL) {
		size_t in_used = 0, out_used = 0;

		if (buf != MAP_FAILED) {
			serve(c, buf, buf + PROTO_MAX_FRAME, &in_used,
			      &out_used);
			/* A frame cut off half-way was never dispatched or
			 * wiped. */
			wipe(buf, in_used);
			if (in_used > PAGE_RESIDENT || out_used > PAGE_RESIDENT)
				madvise(buf, 2 * PROTO_MAX_FRAME,
					MADV_DONTNEED);
		}
		forget(c);
		c = next_conn(s, buf == MAP_FAILED);
	}
	if (buf != MAP_FAILED)
		munmap(buf, 2 * PROTO_MAX_FRAME);
	return NULL;
}

static int
read_peer(int fd, enum sock_kind kind, struct peer *p)
{
	socklen_t len = sizeof(p->cred);

	memset(p, 0, sizeof(*p));
	p->sock = kind;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &p->cred, &len) != 0 ||
	    len != sizeof(p->cred))
		return -1;
	len = sizeof(p->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) == 0)
		p->ngroups = len / sizeof(gid_t);
	return 0;
}

/* Whether one more connection from this peer fits.  Root (sshd, login,
 * su) may use every slot; any other user at most an eighth of them (and
 * at least two), so that one local user holding connections open cannot
 * lock everyone out.  Called with s->lock held. */
static int
room_for(const struct server *s, const struct peer *p, unsigned max_conns)
{
	unsigned mine = 0, share = max_conns / 8 > 2 ? max_conns / 8 : 2;

	if (s->nconns >= max_conns)
		return 0;
	if (p->cred.uid == 0)
		return 1;
	for (const struct conn *c = s->conns; c != NULL; c = c->next)
		if (c->peer.cred.uid == p->cred.uid)
			mine++;
	return mine < share;
}

/* Hands the connection to an idle worker or a new one, or closes it when
 * at a limit. */
static void
admit(struct server *s, int fd, enum sock_kind kind, unsigned max_conns)
{
	pthread_attr_t attr;
	pthread_t tid;
	struct conn *c = calloc(1, sizeof(*c));
	int ok = 0;

	if (c == NULL || read_peer(fd, kind, &c->peer) != 0)
		goto out;
	c->srv = s;
	c->fd = fd;
	pthread_mutex_lock(&s->lock);
	if (!room_for(s, &c->peer, max_conns)) {
		/* refused below */
	} else if (s->nidle > 0) {
		s->nidle--;
		*s->queue_tail = c;
		s->queue_tail = &c->queued;
		pthread_cond_signal(&s->work);
		ok = 1;
	} else {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, THREAD_STACK);
		ok = pthread_create(&tid, &attr, worker_main, c) == 0;
		pthread_attr_destroy(&attr);
		if (ok)
			s->nworkers++;
	}
	if (ok) {
		c->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
	pthread_mutex_unlock(&s->lock);
out:
	if (!ok) {
		log_debug("refusing a connection: limit reached");
		close(fd);
		free(c);
	}
}

static void
accept_on(struct server *s, enum sock_kind kind)
{
	uint32_t timeout, max_conns;
	int fd;

	fd = accept4(s->fds[kind], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept: %s", strerror(errno));
		return;
	}
	daemon_limits(s->d, &timeout, &max_conns);
	admit(s, fd, kind, max_conns);
}

/* Returns 1 to go on serving, 0 to stop. */
static int
on_signal(struct server *s, int sigfd, void (*reload)(struct daemon *))
{
	struct signalfd_siginfo si;

	if (read(sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 1;
	if (si.ssi_signo == SIGHUP) {
		reload(s->d);
		return 1;
	}
	log_notice("signal %u: stopping", si.ssi_signo);
	return 0;
}

int
server_run(struct server *s, int sigfd, void (*reload)(struct daemon *),
	   void (*tick)(struct daemon *))
{
	int64_t next_tick = frame_now_ms() + SERVER_TICK_MS;
	struct pollfd pfd[3] = {
		{ .fd = s->fds[SOCK_PAM], .events = POLLIN },
		{ .fd = s->fds[SOCK_ADMIN], .events = POLLIN },
		{ .fd = sigfd, .events = POLLIN },
	};

	for (;;) {
		int64_t wait = next_tick - frame_now_ms();

		if (wait <= 0) {
			tick(s->d);
			next_tick = frame_now_ms() + SERVER_TICK_MS;
			continue;
		}
		if (poll(pfd, 3, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return -1;
		}
		if (pfd[2].revents & POLLIN && !on_signal(s, sigfd, reload))
			return 0;
		if (pfd[0].revents & POLLIN)
			accept_on(s, SOCK_PAM);
		if (pfd[1].revents & POLLIN)
			accept_on(s, SOCK_ADMIN);
	}
}

void
server_close(struct server *s)
{
	if (s == NULL)
		return;
	for (int k = SOCK_PAM; k <= SOCK_ADMIN; k++) {
		if (s->fds[k] < 0)
			continue;
		close(s->fds[k]);
		unlink(s->paths[k]);
	}
	pthread_mutex_lock(&s->lock);
	for (struct conn *c = s->conns; c != NULL; c = c->next)
		shutdown(c->fd, SHUT_RD);
	while (s->nconns > 0)
		pthread_cond_wait(&s->idle, &s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->work);
	while (s->nworkers > 0)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
