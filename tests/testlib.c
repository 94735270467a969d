/* testlib.c - see testlib.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "client.h"
#include "frame.h"
#include "proto.h"
#include "testlib.h"

static const char *
need_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] != '/') {
		fprintf(stderr, "%s must be an absolute path (run through "
				"tests/run.sh)\n", name);
		exit(2);
	}
	return v;
}

const char *
t_dir(void)
{
	return need_env("POLICYD_TEST_DIR");
}

const char *
t_build(void)
{
	return need_env("POLICYD_BUILD");
}

const char *
t_user(void)
{
	static char name[64];
	struct passwd *pw;

	if (name[0] != '\0')
		return name;
	pw = getpwuid(getuid());
	if (pw == NULL || snprintf(name, sizeof(name), "%s", pw->pw_name) >=
				  (int)sizeof(name)) {
		fprintf(stderr, "uid %u has no user name\n",
			(unsigned)getuid());
		exit(2);
	}
	return name;
}

/* pam_wrapper, once preloaded, sets itself up in every process that
 * starts, and a shell that then execs a command never ends to remove its
 * /tmp/pam.X: the shells of t_sh and t_popen run without it. */
static char *
unwrap(void)
{
	const char *p = getenv("LD_PRELOAD");
	char *saved = p != NULL ? strdup(p) : NULL;

	unsetenv("LD_PRELOAD");
	return saved;
}

static void
rewrap(char *saved)
{
	if (saved != NULL)
		setenv("LD_PRELOAD", saved, 1);
	free(saved);
}

int
t_sh(const char *fmt, ...)
{
	char cmd[8192], *saved;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	saved = unwrap();
	rc = system(cmd);
	rewrap(saved);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

FILE *
t_popen(const char *cmd)
{
	char *saved = unwrap();
	FILE *fp = popen(cmd, "r");

	rewrap(saved);
	return fp;
}

int
t_proc_status(pid_t pid, const char *key, char *val, size_t n)
{
	char path[64], line[512];
	int found = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	while (found != 0 && fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(val, n, "%s", line + strlen(key));
			found = 0;
		}
	fclose(fp);
	return found;
}

double
t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
td_write_conf(struct tdaemon *t, const char *extra)
{
	FILE *fp = fopen(t->conf, "w");

	if (fp == NULL) {
		perror(t->conf);
		exit(2);
	}
	/* inih merges repeated sections, so extra blocks may reopen them. */
	/* TOTP off unless a test turns it on: the other tests expect a
	 * wrong password to be answered at once, without a code step. */
	/* Cheap hashes, unless the test sets its own (argon2_memory and
	 * argon2_time both). */
	fprintf(fp,
		"[daemon]\nruntime_dir = %s\ndatabase = %s\nuser =\n"
		"[totp]\nkey_file = %s/totp.key\n%s"
		"[password]\n%s%s",
		t->run, t->db, t->dir,
		extra != NULL && strstr(extra, "required =") != NULL
			? ""
			: "required = off\n",
		extra != NULL && strstr(extra, "argon2_memory") != NULL
			? ""
			: "argon2_memory = 8192\nargon2_time = 1\n",
		extra != NULL ? extra : "");
	fclose(fp);
	chmod(t->conf, 0600);
}

void
td_init(struct tdaemon *t, const char *dir, const char *extra)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "%s", dir);
	mkdir(dir, 0755);
	snprintf(t->conf, sizeof(t->conf), "%s/policyd.conf", dir);
	snprintf(t->run, sizeof(t->run), "%s/run", dir);
	snprintf(t->db, sizeof(t->db), "%s/db/policyd.db", dir);
	snprintf(t->log, sizeof(t->log), "%s/policyd.log", dir);
	snprintf(t->pam_sock, sizeof(t->pam_sock), "%s/" PAM_SOCKET_NAME,
		 t->run);
	snprintf(t->admin_sock, sizeof(t->admin_sock),
		 "%s/" ADMIN_SOCKET_NAME, t->run);
	t->uid = getuid();
	td_write_conf(t, extra);
}

int
td_start_in(struct tdaemon *t, const char *name, const char *extra)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s", t_dir(), name);
	td_init(t, dir, extra);
	return td_start(t);
}

/* The uid of the daemon started last, trusted by t_request beside root:
 * the tests know their daemon by its pid, as a host knows it by its
 * configured user. */
static uid_t last_uid = (uid_t)-1;

/* Ready: our own child (not some other daemon) answers a ping.  The user
 * it now runs as (it may have dropped root after listening, so not its
 * SO_PEERCRED uid) is then the one to trust. */
static int
ping_ok(struct tdaemon *t)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = t_connect(t->pam_sock), mine;
	char val[128];
	unsigned uid;

	if (fd < 0)
		return 0;
	mine = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       cred.pid == t->pid;
	close(fd);
	if (!mine || t_proc_status(t->pid, "Uid:", val, sizeof(val)) != 0 ||
	    sscanf(val, "%u", &uid) != 1)
		return 0;
	t->uid = last_uid = (uid_t)uid;
	return t_request(t->pam_sock, PROTO_PING, NULL, NULL) == PROTO_OK;
}

/* Every daemon started and not yet stopped, so that a test that fails
 * half-way (cmocka jumps out of it) still leaves no process behind. */
static pid_t started[64];
static pid_t starter;	/* the process that started them */

/* At exit of the process that started them, not of a child it forked. */
static void
kill_started(void)
{
	if (getpid() != starter)
		return;
	for (size_t i = 0; i < sizeof(started) / sizeof(started[0]); i++) {
		if (started[i] <= 0)
			continue;
		kill(started[i], SIGKILL);
		waitpid(started[i], NULL, 0);
		started[i] = 0;
	}
}

static void
track(pid_t old, pid_t new)
{
	static int registered;

	if (!registered && atexit(kill_started) == 0) {
		registered = 1;
		starter = getpid();
	}
	for (size_t i = 0; i < sizeof(started) / sizeof(started[0]); i++) {
		if (started[i] == old) {
			started[i] = new;
			return;
		}
	}
}

int
td_start(struct tdaemon *t)
{
	char prog[PATH_MAX + 16];
	char *argv[] = { prog, "-f", "-d", "-c", t->conf, NULL };

	snprintf(prog, sizeof(prog), "%s/policyd", t_build());
	return td_start_argv(t, argv);
}

int
td_start_argv(struct tdaemon *t, char *const argv[])
{
	int fd, status;

	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		fd = open(t->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		/* The daemon does no PAM; preloaded, pam_wrapper would leave
		 * its /tmp/pam.X behind when a test kills it. */
		unsetenv("LD_PRELOAD");
		execv(argv[0], argv);
		_exit(127);
	}
	track(0, t->pid);
	for (int i = 0; i < 1000; i++) {
		if (ping_ok(t))
			return 0;
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			track(t->pid, 0);
			t->pid = 0;
			return -1;
		}
		usleep(10000);
	}
	td_stop(t);
	return -1;
}

int
td_init_store(const struct tdaemon *t)
{
	return t_sh("%s/policyd --init -c %s > %s/init.out 2>&1", t_build(),
		    t->conf, t->dir);
}

int
td_stop(struct tdaemon *t)
{
	int status;

	if (t->pid <= 0)
		return -1;
	kill(t->pid, SIGTERM);
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -1;
	track(t->pid, 0);
	t->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
td_kill(struct tdaemon *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	track(t->pid, 0);
	t->pid = 0;
}

int
td_restart(struct tdaemon *t, const char *extra)
{
	td_stop(t);
	td_write_conf(t, extra);
	return td_start(t);
}

int
td_log_has(const struct tdaemon *t, const char *s)
{
	char buf[1 << 16];
	size_t n;
	FILE *fp = fopen(t->log, "r");

	if (fp == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

static void
slurp(const char *path, char *buf, size_t size)
{
	FILE *fp;
	size_t n = 0;

	if (buf == NULL)
		return;
	buf[0] = '\0';
	fp = fopen(path, "r");
	if (fp == NULL)
		return;
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

int
td_ctl(const struct tdaemon *t, const char *input, char *out, size_t outsz,
       char *err, size_t errsz, const char *args)
{
	char in_path[PATH_MAX + 16], out_path[PATH_MAX + 16];
	char err_path[PATH_MAX + 16];
	struct passwd *pw;
	FILE *fp;
	int rc;

	snprintf(in_path, sizeof(in_path), "%s/ctl.in", t->dir);
	snprintf(out_path, sizeof(out_path), "%s/ctl.out", t->dir);
	snprintf(err_path, sizeof(err_path), "%s/ctl.err", t->dir);
	fp = fopen(in_path, "w");
	if (fp == NULL)
		return -1;
	fputs(input != NULL ? input : "", fp);
	fclose(fp);
	pw = getpwuid(t->uid);
	rc = t_sh("%s/policyctl -S %s --daemon-user %s %s < %s > %s 2> %s",
		  t_build(), t->run, pw != NULL ? pw->pw_name : t_user(), args,
		  in_path, out_path, err_path);
	slurp(out_path, out, outsz);
	slurp(err_path, err, errsz);
	unlink(in_path);
	unlink(out_path);
	unlink(err_path);
	return rc;
}

int
td_add_user(const struct tdaemon *t, const char *name, const char *pw)
{
	char args[128], input[256];

	snprintf(args, sizeof(args), "user add %s --password-stdin", name);
	snprintf(input, sizeof(input), "%s\n", pw);
	return td_ctl(t, input, NULL, 0, NULL, 0, args);
}

int
t_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int
t_send_frame(int fd, const void *p, size_t len)
{
	return frame_write(fd, p, len, frame_now_ms() + 2000) == FRAME_OK
		       ? 0
		       : -1;
}

int
t_closed_within(int fd, int ms)
{
	int64_t deadline = frame_now_ms() + ms;
	char buf[256];

	for (;;) {
		ssize_t r;

		if (frame_wait(fd, POLLIN, deadline) != FRAME_OK)
			return 0;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return 1;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return 1;
	}
}

/* Another process's write lock on the store, as a backup or a second
 * daemon would hold it: a connection of this process that has begun an
 * IMMEDIATE transaction (waiting up to 5 s for one of the daemon's
 * own).  NULL if the lock could not be taken. */
struct sqlite3 *
td_hold_write(const struct tdaemon *t)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(t->db, &db, SQLITE_OPEN_READWRITE, NULL) !=
		    SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* Lets go of td_hold_write's lock. */
void
td_release_write(struct sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

long
td_sql(const struct tdaemon *t, const char *query)
{
	char cmd[PATH_MAX + 1024], line[64] = "";
	FILE *fp;

	t_fmt(cmd, "sqlite3 -cmd '.timeout 5000' %s \"%s\"", t->db, query);
	fp = t_popen(cmd);
	if (fp == NULL)
		abort();
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	pclose(fp);
	return atol(line);
}

int
t_request(const char *sock, uint8_t type, const char *user, const char *pw)
{
	uint8_t req[PROTO_MAX_SECRET + 512], rep[PROTO_MAX_FRAME];
	struct pclient c;
	struct wwriter w;
	struct wmsg m;
	char err[512];

	if (client_open_as(&c, sock,
			   last_uid != (uid_t)-1 ? last_uid : getuid(), 10000,
			   err, sizeof(err)) != CLIENT_OK)
		return -1;
	ww_init(&w, req, sizeof(req));
	client_begin(&c, &w, type);
	if (user != NULL)
		wire_put_str(&w, PROTO_T_USER, user);
	if (pw != NULL)
		wire_put_str(&w, PROTO_T_PASSWORD, pw);
	if (client_call(&c, &w, rep, sizeof(rep), &m) != CLIENT_OK) {
		client_close(&c);
		return -1;
	}
	client_close(&c);
	return m.status;
}
