/*
 * testlib.h - helpers shared by the integration tests: a real policyd on a
 * private runtime directory and store, raw protocol exchanges, and
 * policyctl runs.  Paths come from the environment set by tests/run.sh:
 * POLICYD_BUILD (the build directory) and POLICYD_TEST_DIR (a private
 * temporary directory).
 */
#ifndef POLICYD_TESTLIB_H
#define POLICYD_TESTLIB_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "wire.h"

struct tdaemon {
	pid_t pid;
	char dir[PATH_MAX];	/* everything below lives here */
	char conf[PATH_MAX + 32];
	char run[PATH_MAX + 32];
	char db[PATH_MAX + 32];
	char log[PATH_MAX + 32];
	char pam_sock[PATH_MAX + 48];
	char admin_sock[PATH_MAX + 48];
	uid_t uid;		/* as whom it runs: seen when it answers */
};

/* The test directory and build directory; abort the test if unset. */
const char *t_dir(void);
const char *t_build(void);
/* The name of the user running the tests: the test daemons run as this
 * user, so the module (daemon_user=) and policyctl (--daemon-user) must
 * trust it. */
const char *t_user(void);

/* Prepares a daemon under dir: cheap argon2 (m=8192, t=1) and the
 * starting user, plus `extra` config lines appended after the [password]
 * section (a string of "[section]\nkey = value\n" blocks; inih merges a
 * reopened section). */
void td_init(struct tdaemon *t, const char *dir, const char *extra);
void td_write_conf(struct tdaemon *t, const char *extra);
/* Starts policyd -f -d and waits until it answers a ping; 0 or -1. */
int td_start(struct tdaemon *t);
/* td_init in t_dir()/name, then td_start: a test group's daemon. */
int td_start_in(struct tdaemon *t, const char *name, const char *extra);
/* The same with another command line, which must end up as policyd in
 * the same process (exec, no fork), so that the pid is the daemon's. */
int td_start_argv(struct tdaemon *t, char *const argv[]);
/* policyd --init -c t->conf: makes t's store and key file where its
 * state directory exists already; the exit status, its output in
 * t->dir/init.out. */
int td_init_store(const struct tdaemon *t);
/* SIGTERM and wait; returns the exit status, or -1. */
int td_stop(struct tdaemon *t);
/* SIGKILL and reap: a crash, leaving its socket files behind. */
void td_kill(struct tdaemon *t);
/* td_stop, td_write_conf with extra, then td_start; td_start's result. */
int td_restart(struct tdaemon *t, const char *extra);
/* Whether the daemon's log contains s. */
int td_log_has(const struct tdaemon *t, const char *s);
/* The first column of the first row of query on t's store, as a
 * number (0 when there is none), through the sqlite3 shell, which waits
 * for the daemon's lock. */
long td_sql(const struct tdaemon *t, const char *query);
struct sqlite3;
struct sqlite3 *td_hold_write(const struct tdaemon *t);
void td_release_write(struct sqlite3 *db);
/* policyctl user add name --password-stdin; its exit status. */
int td_add_user(const struct tdaemon *t, const char *name, const char *pw);

/* Runs policyctl -S run --daemon-user USER ARGS, USER being the one the
 * daemon runs as (t->uid), with `input` on stdin (NULL: /dev/null); returns its exit status.  Its stdout goes to
 * out (outsz) if not NULL, its stderr to err (errsz) if not NULL. */
int td_ctl(const struct tdaemon *t, const char *input, char *out,
	   size_t outsz, char *err, size_t errsz, const char *args);

/* Raw sockets: connect without identity checks (tests play attacker). */
int t_connect(const char *path);
/* Sends len bytes as one frame. */
int t_send_frame(int fd, const void *p, size_t len);
/* Whether the peer closed: waits up to ms for EOF (or reset). */
int t_closed_within(int fd, int ms);
/* One request through the real client, trusting root and the uid of the
 * daemon started last (this process's before any); returns the reply
 * status or -1. */
int t_request(const char *sock, uint8_t type, const char *user,
	      const char *pw);

/* snprintf into an array, aborting the test program if it would not fit. */
#define t_fmt(buf, ...)                                                   \
	do {                                                              \
		if (snprintf(buf, sizeof(buf), __VA_ARGS__) >=            \
		    (int)sizeof(buf))                                     \
			abort();                                          \
	} while (0)

/* Runs a shell command; returns its exit status. */
int t_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* popen(cmd, "r") with the same environment as t_sh. */
FILE *t_popen(const char *cmd);
/* The text after "key" (such as "Threads:") on its line of
 * /proc/pid/status, in val (n bytes); 0, or -1 if there is none. */
int t_proc_status(pid_t pid, const char *key, char *val, size_t n);
/* CLOCK_MONOTONIC, in seconds. */
double t_now(void);

#endif
