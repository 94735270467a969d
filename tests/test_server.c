/*
 * test_server.c - policyd's socket server, dispatch, store and hashing,
 * driven over its real sockets: authorization by socket and peer
 * credentials, malformed frames, limits, reload, shutdown, schema
 * versions, and argon2id hashes checked against libargon2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>
#include <argon2.h>
#include <sqlite3.h>

#include "frame.h"
#include "proto.h"
#include "testlib.h"
#include "wire.h"

#define PW "Correct-horse-42"

static struct tdaemon shared;	/* one daemon for the stateless tests */

static void
subdir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", t_dir(), name);
}

static void
add_user(const struct tdaemon *t, const char *name, const char *pw)
{
	assert_int_equal(td_add_user(t, name, pw), 0);
}

static int
setup_shared(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	subdir(dir, sizeof(dir), "server");
	td_init(&shared, dir, "[daemon]\nrequest_timeout = 1s\n");
	if (td_start(&shared) != 0)
		return -1;
	add_user(&shared, "alice", PW);
	return 0;
}

static int
teardown_shared(void **state)
{
	(void)state;
	return td_stop(&shared) == 0 ? 0 : -1;
}

/* A raw request frame: header, then a user field with n bytes. */
static size_t
raw_request(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
	    const char *user, size_t n)
{
	struct wwriter w;

	ww_init(&w, buf, cap);
	ww_put_u8(&w, version);
	ww_put_u8(&w, type);
	ww_put_u32(&w, 7);
	if (user != NULL)
		wire_put_bytes(&w, PROTO_T_USER, user, n);
	assert_false(ww_failed(&w));
	return w.len;
}

static void
assert_serving(void)
{
	assert_int_equal(t_request(shared.pam_sock, PROTO_PING, NULL, NULL),
			 PROTO_OK);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "alice", PW),
			 PROTO_OK);
}

static void
test_auth_outcomes(void **state)
{
	(void)state;
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "alice", PW),
			 PROTO_OK);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "alice",
				   "wrong-password"), PROTO_DENIED);
	/* Unknown, invalid and over-long names: the same answer. */
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "mallory", PW),
			 PROTO_DENIED);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "-rf", PW),
			 PROTO_DENIED);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH,
				   "a-name-that-is-much-too-long-to-be-valid",
				   PW), PROTO_DENIED);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "alice", ""),
			 PROTO_DENIED);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "alice", NULL),
			 PROTO_BAD_REQUEST);
	assert_int_equal(t_request(shared.pam_sock, PROTO_ACCT, "alice", NULL),
			 PROTO_OK);
	assert_int_equal(t_request(shared.pam_sock, PROTO_ACCT, "mallory",
				   NULL), PROTO_NOT_FOUND);
}

/* A NUL inside a new password is a refused password, with its reason. */
static void
test_nul_in_new_password(void **state)
{
	const char bad[] = "Kq7#vX2m\0Pz9!x";
	uint8_t req[256], rep[256];
	struct wwriter w;
	struct wmsg m;
	struct wfield f;
	uint32_t reason = 0;
	size_t len;
	int fd;

	(void)state;
	fd = t_connect(shared.pam_sock);
	assert_true(fd >= 0);
	ww_init(&w, req, sizeof(req));
	wire_begin_request(&w, PROTO_CHPASS, 9);
	wire_put_str(&w, PROTO_T_USER, "alice");
	wire_put_bytes(&w, PROTO_T_NEW_PASSWORD, bad, sizeof(bad) - 1);
	assert_int_equal(t_send_frame(fd, req, w.len), 0);
	assert_int_equal(frame_read(fd, rep, sizeof(rep), &len,
				    frame_now_ms() + 5000), FRAME_OK);
	assert_int_equal(wire_parse(rep, len, 1, &m), 0);
	assert_int_equal(m.status, PROTO_POLICY);
	assert_int_equal(wire_find(&m, PROTO_T_REASON, &f), 0);
	assert_int_equal(wire_u32(&f, &reason), 0);
	assert_int_equal(reason, PROTO_R_BAD_TEXT);
	close(fd);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "alice", PW),
			 PROTO_OK);
}

static void
test_admin_verbs_only_on_admin_sock(void **state)
{
	(void)state;
	assert_int_equal(t_request(shared.pam_sock, PROTO_USER_SHOW, "alice",
				   NULL), PROTO_FORBIDDEN);
	assert_int_equal(t_request(shared.admin_sock, PROTO_AUTH, "alice",
				   PW), PROTO_FORBIDDEN);
	assert_int_equal(t_request(shared.admin_sock, PROTO_USER_SHOW,
				   "alice", NULL), PROTO_OK);
	assert_int_equal(t_request(shared.admin_sock, PROTO_PING, NULL, NULL),
			 PROTO_OK);
}

/* Sends a frame and checks that the daemon closes that connection
 * without answering, and goes on serving others. */
static void
assert_dropped(const void *frame, size_t len)
{
	int fd = t_connect(shared.pam_sock);

	assert_true(fd >= 0);
	assert_int_equal(t_send_frame(fd, frame, len), 0);
	assert_true(t_closed_within(fd, 3000));
	close(fd);
	assert_serving();
}

static void
test_malformed_frames(void **state)
{
	uint8_t buf[256];
	size_t n;

	(void)state;
	/* Unknown message type. */
	n = raw_request(buf, sizeof(buf), PROTO_VERSION, 99, "alice", 5);
	assert_dropped(buf, n);
	/* Wrong protocol version. */
	n = raw_request(buf, sizeof(buf), 9, PROTO_AUTH, "alice", 5);
	assert_dropped(buf, n);
	/* A NUL inside the user name. */
	n = raw_request(buf, sizeof(buf), PROTO_VERSION, PROTO_AUTH,
			"ali\0ce", 6);
	assert_dropped(buf, n);
	/* A field whose length runs past the payload. */
	n = raw_request(buf, sizeof(buf), PROTO_VERSION, PROTO_AUTH, "alice",
			5);
	assert_dropped(buf, n - 2);
	/* A header cut short. */
	assert_dropped(buf, 3);
}

static void
test_oversized_length_prefix(void **state)
{
	const uint8_t huge[4] = { 0x7f, 0xff, 0xff, 0xff };
	const uint8_t just_over[4] = { 0x00, 0x01, 0x00, 0x01 };
	int fd;

	(void)state;
	fd = t_connect(shared.pam_sock);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, huge, 4, MSG_NOSIGNAL), 4);
	assert_true(t_closed_within(fd, 3000));
	close(fd);
	fd = t_connect(shared.pam_sock);
	assert_int_equal(send(fd, just_over, 4, MSG_NOSIGNAL), 4);
	assert_true(t_closed_within(fd, 3000));
	close(fd);
	assert_serving();
}

static void
test_truncated_frame_then_close(void **state)
{
	const uint8_t partial[] = { 0, 0, 0, 100, 1, 2, 0, 0, 0, 1 };
	int fd;

	(void)state;
	fd = t_connect(shared.pam_sock);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, partial, sizeof(partial), MSG_NOSIGNAL),
			 (ssize_t)sizeof(partial));
	shutdown(fd, SHUT_WR);
	assert_true(t_closed_within(fd, 3000));
	close(fd);
	assert_serving();
}

/* Half a frame, then silence: others are served meanwhile, and the
 * staller is cut off once request_timeout (1 s here) passes. */
static void
test_stalled_client(void **state)
{
	const uint8_t half[] = { 0, 0 };
	int fd;

	(void)state;
	fd = t_connect(shared.pam_sock);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, half, sizeof(half), MSG_NOSIGNAL), 2);
	assert_serving();
	assert_false(t_closed_within(fd, 200));
	assert_true(t_closed_within(fd, 5000));
	close(fd);
	assert_serving();
}

static void
test_several_requests_per_connection(void **state)
{
	uint8_t req[64], rep[256];
	struct wwriter w;
	struct wmsg m;
	size_t len;
	int fd;

	(void)state;
	fd = t_connect(shared.admin_sock);
	assert_true(fd >= 0);
	for (uint32_t id = 1; id <= 3; id++) {
		ww_init(&w, req, sizeof(req));
		wire_begin_request(&w, PROTO_PING, id * 1000);
		assert_int_equal(t_send_frame(fd, req, w.len), 0);
		assert_int_equal(frame_read(fd, rep, sizeof(rep), &len,
					    frame_now_ms() + 3000), 0);
		assert_int_equal(wire_parse(rep, len, 1, &m), 0);
		assert_int_equal(m.id, id * 1000);
		assert_int_equal(m.type, PROTO_PING | PROTO_REPLY);
		assert_int_equal(m.status, PROTO_OK);
	}
	close(fd);
}

/* Runs fn in a child that has become `nobody`; returns its exit code. */
static int
as_nobody(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
		    setuid(65534) != 0)
			_exit(99);
		_exit(fn());
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

static int
nobody_requests(void)
{
	/* Someone else's login: forbidden, known user or not. */
	if (t_request(shared.pam_sock, PROTO_AUTH, "alice", PW) !=
	    PROTO_FORBIDDEN)
		return 1;
	if (t_request(shared.pam_sock, PROTO_AUTH, "mallory", PW) !=
	    PROTO_FORBIDDEN)
		return 2;
	if (t_request(shared.pam_sock, PROTO_ACCT, "alice", NULL) !=
	    PROTO_FORBIDDEN)
		return 3;
	/* Its own name: allowed (and unknown to policyd, so denied). */
	if (t_request(shared.pam_sock, PROTO_AUTH, "nobody", PW) !=
	    PROTO_DENIED)
		return 4;
	/* Admin verbs: forbidden even when the socket mode lets it in. */
	if (t_request(shared.admin_sock, PROTO_USER_SHOW, "alice", NULL) !=
	    PROTO_FORBIDDEN)
		return 5;
	if (t_request(shared.admin_sock, PROTO_USER_DEL, "alice", NULL) !=
	    PROTO_FORBIDDEN)
		return 6;
	return 0;
}

static int
nobody_cannot_open_admin(void)
{
	return t_connect(shared.admin_sock) < 0 ? 0 : 1;
}

static void
test_unprivileged_peer(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	/* admin.sock is 0600: nobody cannot even connect. */
	assert_int_equal(as_nobody(nobody_cannot_open_admin), 0);
	assert_int_equal(chmod(shared.admin_sock, 0666), 0);
	assert_int_equal(as_nobody(nobody_requests), 0);
	assert_int_equal(chmod(shared.admin_sock, 0600), 0);
	assert_true(td_log_has(&shared, "forbidden: user-del from uid 65534"));
	/* alice is still there. */
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "alice", PW),
			 PROTO_OK);
}

/* The PHC string stored for a user, read straight from the SQLite file. */
static void
stored_hash(const struct tdaemon *t, const char *user, char *out, size_t sz)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open_v2(t->db, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT password FROM users "
					    "WHERE name = ?", -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, sz, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
set_stored_hash(const struct tdaemon *t, const char *user, const char *phc)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE users SET password = ?"
					    " WHERE name = ?", -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, phc, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, user, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
assert_phc_shape(const char *phc, const char *params)
{
	const char *salt, *hash;

	assert_true(strncmp(phc, "$argon2id$v=19$", 15) == 0);
	assert_true(strncmp(phc + 15, params, strlen(params)) == 0);
	salt = strchr(phc + 15, '$');
	assert_non_null(salt);
	hash = strchr(salt + 1, '$');
	assert_non_null(hash);
	/* 128-bit salt and 256-bit hash, unpadded base64. */
	assert_int_equal(hash - salt - 1, 22);
	assert_int_equal(strlen(hash + 1), 43);
}

static void
test_hash_verifies_with_libargon2(void **state)
{
	char phc[256], other[256];

	(void)state;
	stored_hash(&shared, "alice", phc, sizeof(phc));
	assert_phc_shape(phc, "m=8192,t=1,p=1$");
	assert_int_equal(argon2id_verify(phc, PW, strlen(PW)), ARGON2_OK);
	assert_int_not_equal(argon2id_verify(phc, "wrong", 5), ARGON2_OK);
	/* Two users with one password get different salts. */
	add_user(&shared, "bob", PW);
	stored_hash(&shared, "bob", other, sizeof(other));
	assert_string_not_equal(phc, other);
}

static void
test_libargon2_hash_verifies_in_policyd(void **state)
{
	const uint8_t salt[16] = "policyd-testsalt";
	char phc[256];

	(void)state;
	add_user(&shared, "carol", "Placeholder-Rain-77");
	/* Made by the reference library, with two lanes. */
	assert_int_equal(argon2id_hash_encoded(1, 4096, 2, PW, strlen(PW),
					       salt, sizeof(salt), 32, phc,
					       sizeof(phc)), ARGON2_OK);
	set_stored_hash(&shared, "carol", phc);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "carol", PW),
			 PROTO_OK);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "carol",
				   "Placeholder-Rain-77"), PROTO_DENIED);
}

static void
test_tampered_cost_refused(void **state)
{
	const uint8_t salt[16] = "policyd-testsalt";
	char phc[256], forged[300];
	char *rest;

	(void)state;
	add_user(&shared, "dave", PW);
	assert_int_equal(argon2id_hash_encoded(1, 8192, 1, PW, strlen(PW),
					       salt, sizeof(salt), 32, phc,
					       sizeof(phc)), ARGON2_OK);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "dave", PW),
			 PROTO_OK);
	/* Claim 4 GiB: refused without hashing (the row is not computed). */
	rest = strstr(phc, ",t=");
	snprintf(forged, sizeof(forged), "$argon2id$v=19$m=4194304%s", rest);
	set_stored_hash(&shared, "dave", forged);
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "dave", PW),
			 PROTO_DENIED);
	assert_true(td_log_has(&shared, "stored hash of user dave is "
					"malformed or exceeds"));
	/* And a row that is not a PHC string at all. */
	set_stored_hash(&shared, "dave", "not-a-hash");
	assert_int_equal(t_request(shared.pam_sock, PROTO_AUTH, "dave", PW),
			 PROTO_DENIED);
}

static void
test_reload(void **state)
{
	struct tdaemon t;
	char dir[PATH_MAX], phc[256];

	(void)state;
	subdir(dir, sizeof(dir), "reload");
	td_init(&t, dir, NULL);
	assert_int_equal(td_start(&t), 0);
	add_user(&t, "erin", PW);
	/* A broken file is refused; the old configuration stays. */
	td_write_conf(&t, "[password]\nargon2_max_time = forever\n");
	kill(t.pid, SIGHUP);
	for (int i = 0; i < 200 && !td_log_has(&t, "reload refused"); i++)
		usleep(10000);
	assert_true(td_log_has(&t, "policyd.conf:12: argon2_max_time"));
	assert_int_equal(t_request(t.pam_sock, PROTO_AUTH, "erin", PW),
			 PROTO_OK);
	/* A valid one applies: new hashes get the new cost, two lanes. */
	td_write_conf(&t, "argon2_parallelism = 2\n");
	kill(t.pid, SIGHUP);
	for (int i = 0; i < 200 && !td_log_has(&t, "reloaded"); i++)
		usleep(10000);
	assert_int_equal(td_ctl(&t, PW "-2\n", NULL, 0, NULL, 0,
				"passwd erin --password-stdin"), 0);
	stored_hash(&t, "erin", phc, sizeof(phc));
	assert_phc_shape(phc, "m=8192,t=1,p=2$");
	assert_int_equal(argon2id_verify(phc, PW "-2", strlen(PW) + 2),
			 ARGON2_OK);
	assert_int_equal(t_request(t.pam_sock, PROTO_AUTH, "erin", PW "-2"),
			 PROTO_OK);
	assert_int_equal(td_stop(&t), 0);
}

static void
test_stop_and_restart(void **state)
{
	struct tdaemon t, second;
	char dir[PATH_MAX];
	struct stat st;

	(void)state;
	subdir(dir, sizeof(dir), "restart");
	td_init(&t, dir, NULL);
	assert_int_equal(td_start(&t), 0);
	add_user(&t, "frank", PW);
	/* A second daemon on the same directory refuses to start. */
	second = t;
	snprintf(second.log, sizeof(second.log), "%s/second.log", dir);
	assert_int_not_equal(td_start(&second), 0);
	assert_true(td_log_has(&second, "another policyd is running"));
	/* SIGTERM: clean exit, sockets removed, data kept. */
	assert_int_equal(td_stop(&t), 0);
	assert_int_not_equal(stat(t.pam_sock, &st), 0);
	assert_int_not_equal(stat(t.admin_sock, &st), 0);
	assert_int_equal(t_request(t.pam_sock, PROTO_PING, NULL, NULL), -1);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(t_request(t.pam_sock, PROTO_AUTH, "frank", PW),
			 PROTO_OK);
	assert_int_equal(td_stop(&t), 0);
	assert_int_equal(t_sh("test \"$(sqlite3 -cmd '.timeout 5000' %s 'PRAGMA integrity_check; "
			      "PRAGMA user_version; PRAGMA journal_mode')\" = "
			      "\"$(printf 'ok\\n10\\nwal')\"", t.db), 0);
}

static void
test_newer_schema_refused(void **state)
{
	struct tdaemon t;
	char dir[PATH_MAX];

	(void)state;
	subdir(dir, sizeof(dir), "newer");
	td_init(&t, dir, NULL);
	assert_int_equal(td_init_store(&t), 0);
	assert_int_equal(t_sh("sqlite3 %s 'PRAGMA user_version = 99'", t.db),
			 0);
	assert_int_not_equal(td_start(&t), 0);
	assert_true(td_log_has(&t, "schema version 99 is newer"));
}

/* A connection the daemon has admitted: it answered a ping on it.  The
 * daemon may still be finishing the connections td_start used, so a
 * refused one is retried for a while. */
static int
open_admitted(const char *path)
{
	uint8_t req[16], rep[64];
	struct wwriter w;
	size_t len;

	for (int i = 0; i < 100; i++) {
		int fd = t_connect(path);

		ww_init(&w, req, sizeof(req));
		wire_begin_request(&w, PROTO_PING, 1);
		if (fd >= 0 && t_send_frame(fd, req, w.len) == 0 &&
		    frame_read(fd, rep, sizeof(rep), &len,
			       frame_now_ms() + 2000) == FRAME_OK)
			return fd;
		if (fd >= 0)
			close(fd);
		usleep(20000);
	}
	return -1;
}

static void
test_connection_limit(void **state)
{
	struct tdaemon t;
	char dir[PATH_MAX];
	int a, b, c;

	(void)state;
	subdir(dir, sizeof(dir), "limit");
	td_init(&t, dir, "[daemon]\nmax_connections = 2\n");
	assert_int_equal(td_start(&t), 0);
	a = open_admitted(t.pam_sock);
	b = open_admitted(t.admin_sock);
	assert_true(a >= 0 && b >= 0);
	c = t_connect(t.pam_sock);
	assert_true(c >= 0);
	assert_true(t_closed_within(c, 3000));
	close(c);
	close(a);
	usleep(100000);
	assert_int_equal(t_request(t.pam_sock, PROTO_PING, NULL, NULL),
			 PROTO_OK);
	close(b);
	assert_int_equal(td_stop(&t), 0);
}

/* The daemon's thread count, from /proc. */
static long
threads_of(pid_t pid)
{
	char val[64];

	return t_proc_status(pid, "Threads:", val, sizeof(val)) == 0
		       ? strtol(val, NULL, 10)
		       : -1;
}

/* Workers are reused: three rounds of 20 connections at once leave about
 * as many threads as the first (a worker still on its way back to wait
 * when the next round comes is replaced: a few, not 20 a round), and
 * each round is served in full. */
static void
test_workers_reused(void **state)
{
	struct tdaemon t;
	char dir[PATH_MAX];
	long after[3];
	int fds[20];

	(void)state;
	subdir(dir, sizeof(dir), "workers");
	td_init(&t, dir, "[daemon]\nmax_connections = 32\n");
	assert_int_equal(td_start(&t), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 20; i++) {
			fds[i] = open_admitted(t.pam_sock);
			assert_true(fds[i] >= 0);
		}
		for (int i = 0; i < 20; i++)
			close(fds[i]);
		usleep(300000);	/* the workers see EOF and wait again */
		after[round] = threads_of(t.pid);
		assert_true(after[round] > 20);
	}
	assert_true(after[1] - after[0] < 5);
	assert_true(after[2] - after[0] < 5);
	assert_int_equal(t_request(t.pam_sock, PROTO_PING, NULL, NULL),
			 PROTO_OK);
	assert_int_equal(td_stop(&t), 0);
}

static struct tdaemon *share_daemon;

/* As nobody: two connections fit (16 / 8), a third is closed at once. */
static int
nobody_fills_share(void)
{
	int a = open_admitted(share_daemon->pam_sock);
	int b = open_admitted(share_daemon->pam_sock);
	int c;

	if (a < 0 || b < 0)
		return 1;
	c = t_connect(share_daemon->pam_sock);
	if (c < 0 || !t_closed_within(c, 3000))
		return 2;
	return 0;
}

static void
test_per_user_share(void **state)
{
	struct tdaemon t;
	char dir[PATH_MAX];

	(void)state;
	if (geteuid() != 0)
		skip();
	subdir(dir, sizeof(dir), "share");
	td_init(&t, dir, "[daemon]\nmax_connections = 16\n");
	assert_int_equal(td_start(&t), 0);
	share_daemon = &t;
	assert_int_equal(as_nobody(nobody_fills_share), 0);
	/* Root is not held to the share. */
	assert_int_equal(t_request(t.pam_sock, PROTO_PING, NULL, NULL),
			 PROTO_OK);
	assert_int_equal(td_stop(&t), 0);
}

/* The uid policyd runs as, from /proc. */
static long
running_uid(pid_t pid)
{
	char val[128];
	long r, e, sv, fs;

	if (t_proc_status(pid, "Uid:", val, sizeof(val)) != 0 ||
	    sscanf(val, "%ld %ld %ld %ld", &r, &e, &sv, &fs) != 4 ||
	    r != e || e != sv || sv != fs)
		return -1;
	return r;
}

/* Started as root with user = nobody: it serves as nobody, from the store
 * and sockets it opened as root, and restarts cleanly. */
static void
test_privilege_drop(void **state)
{
	struct tdaemon t;
	char dir[PATH_MAX];
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	subdir(dir, sizeof(dir), "drop");
	td_init(&t, dir, "[daemon]\nuser = nobody\n");
	/* td_init wrote "user =": start from a file without it. */
	assert_int_equal(t_sh("sed -i '/^user =$/d' %s", t.conf), 0);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(running_uid(t.pid), 65534);
	assert_int_equal(stat(t.pam_sock, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_mode & 0777, 0666);
	assert_int_equal(stat(t.admin_sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	add_user(&t, "grace", PW);
	assert_int_equal(t_request(t.pam_sock, PROTO_AUTH, "grace", PW),
			 PROTO_OK);
	assert_int_equal(td_stop(&t), 0);
	assert_int_not_equal(stat(t.pam_sock, &st), 0);
	assert_int_equal(td_start(&t), 0);
	assert_int_equal(t_request(t.pam_sock, PROTO_AUTH, "grace", PW),
			 PROTO_OK);
	assert_int_equal(td_stop(&t), 0);
}

/* As the daemon's user, who owns the state and runtime directories: on
 * every new name root may chown (the store's -wal, -shm, the sockets),
 * swap it at once for a symlink to target.  Runs until killed. */
static void
race_names(const char *dbdir, const char *rundir, const char *target)
{
	/* Not the -wal: the daemon opens that one again by name (without
	 * following links) before it hands anything over, so a swap there
	 * only stops the start. */
	static const char *const names[] = { "policyd.db-shm", "pam.sock",
					     "admin.sock" };
	char buf[4096], from[PATH_MAX + 64], to[PATH_MAX + 80];
	const char *dirs[2] = { dbdir, rundir };
	int in = inotify_init1(IN_CLOEXEC), wd[2];

	if (in < 0 || setgid(65534) != 0 || setuid(65534) != 0)
		_exit(2);
	for (int i = 0; i < 2; i++)
		wd[i] = inotify_add_watch(in, dirs[i], IN_CREATE);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		for (char *p = buf; n > 0 && p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			const char *dir = e->wd == wd[0] ? dbdir : rundir;

			for (size_t i = 0; e->len > 0 && i < 3; i++) {
				if (strcmp(e->name, names[i]) != 0)
					continue;
				snprintf(from, sizeof(from), "%s/%s", dir,
					 e->name);
				snprintf(to, sizeof(to), "%s.moved", from);
				if (rename(from, to) == 0 &&
				    symlink(target, from) != 0)
					_exit(3);
			}
			p += sizeof(*e) + e->len;
		}
	}
}

/* Root never follows a name the daemon's user controls: with a racer
 * swapping every new name in the user's directories for a symlink to a
 * root file during start, that file keeps its owner and mode, round
 * after round. */
static void
test_no_chown_through_links(void **state)
{
	char dir[PATH_MAX], dbdir[PATH_MAX + 8], target[PATH_MAX + 16];
	struct tdaemon t;
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	subdir(dir, sizeof(dir), "race");
	td_init(&t, dir, "[daemon]\nuser = nobody\n");
	assert_int_equal(t_sh("sed -i '/^user =$/d' %s", t.conf), 0);
	assert_int_equal(td_start(&t), 0);	/* makes the directories */
	assert_int_equal(td_stop(&t), 0);
	t_fmt(dbdir, "%s/db", dir);
	t_fmt(target, "%s/rootfile", dir);
	assert_int_equal(t_sh("echo secret > %s && chmod 600 %s", target,
			      target), 0);
	for (int round = 0; round < 12; round++) {
		pid_t racer = fork();

		assert_true(racer >= 0);
		if (racer == 0)
			race_names(dbdir, t.run, target);
		usleep(50 * 1000);
		if (td_start(&t) == 0)
			td_stop(&t);
		kill(racer, SIGKILL);
		waitpid(racer, NULL, 0);
		assert_int_equal(stat(target, &st), 0);
		assert_int_equal(st.st_uid, 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		/* The names back, for the next round. */
		t_sh("cd %s && rm -f policyd.db-shm && { [ ! -e "
		     "policyd.db-shm.moved ] || mv policyd.db-shm.moved "
		     "policyd.db-shm; }; rm -f %s/*", dbdir, t.run);
	}
}

/* SIGTERM while a verification is running: the reply still arrives, then
 * the daemon exits 0. */
static void
test_sigterm_drains(void **state)
{
	const uint8_t salt[16] = "policyd-testsalt";
	uint8_t req[256], rep[256];
	struct tdaemon t;
	char dir[PATH_MAX], phc[256];
	struct wwriter w;
	struct wmsg m;
	size_t len;
	int fd;

	(void)state;
	subdir(dir, sizeof(dir), "drain");
	td_init(&t, dir, NULL);
	assert_int_equal(td_start(&t), 0);
	add_user(&t, "heidi", PW);
	/* A costly hash (128 MiB, t=3), still inside the maxima. */
	assert_int_equal(argon2id_hash_encoded(3, 131072, 1, PW, strlen(PW),
					       salt, sizeof(salt), 32, phc,
					       sizeof(phc)), ARGON2_OK);
	set_stored_hash(&t, "heidi", phc);
	fd = t_connect(t.pam_sock);
	assert_true(fd >= 0);
	ww_init(&w, req, sizeof(req));
	wire_begin_request(&w, PROTO_AUTH, 42);
	wire_put_str(&w, PROTO_T_USER, "heidi");
	wire_put_str(&w, PROTO_T_PASSWORD, PW);
	assert_int_equal(t_send_frame(fd, req, w.len), 0);
	usleep(30000);
	kill(t.pid, SIGTERM);
	assert_int_equal(frame_read(fd, rep, sizeof(rep), &len,
				    frame_now_ms() + 10000), FRAME_OK);
	assert_int_equal(wire_parse(rep, len, 1, &m), 0);
	assert_int_equal(m.id, 42);
	assert_int_equal(m.status, PROTO_OK);
	assert_true(t_closed_within(fd, 5000));
	close(fd);
	assert_int_equal(td_stop(&t), 0);
}

static void
test_runtime_dir_checked(void **state)
{
	struct tdaemon t;
	char dir[PATH_MAX];

	(void)state;
	subdir(dir, sizeof(dir), "unsafe");
	td_init(&t, dir, NULL);
	assert_int_equal(mkdir(t.run, 0777), 0);
	assert_int_equal(chmod(t.run, 0777), 0);
	assert_int_not_equal(td_start(&t), 0);
	assert_true(td_log_has(&t, "writable by no one else"));
}

int
main(void)
{
	const struct CMUnitTest shared_tests[] = {
		cmocka_unit_test(test_auth_outcomes),
		cmocka_unit_test(test_admin_verbs_only_on_admin_sock),
		cmocka_unit_test(test_nul_in_new_password),
		cmocka_unit_test(test_malformed_frames),
		cmocka_unit_test(test_oversized_length_prefix),
		cmocka_unit_test(test_truncated_frame_then_close),
		cmocka_unit_test(test_stalled_client),
		cmocka_unit_test(test_several_requests_per_connection),
		cmocka_unit_test(test_unprivileged_peer),
		cmocka_unit_test(test_workers_reused),
		cmocka_unit_test(test_hash_verifies_with_libargon2),
		cmocka_unit_test(test_libargon2_hash_verifies_in_policyd),
		cmocka_unit_test(test_tampered_cost_refused),
	};
	const struct CMUnitTest own_daemon_tests[] = {
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_stop_and_restart),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test(test_per_user_share),
		cmocka_unit_test(test_privilege_drop),
		cmocka_unit_test(test_no_chown_through_links),
		cmocka_unit_test(test_sigterm_drains),
		cmocka_unit_test(test_runtime_dir_checked),
	};
	int failed;

	failed = cmocka_run_group_tests_name("server", shared_tests,
					     setup_shared, teardown_shared);
	failed += cmocka_run_group_tests_name("server-lifecycle",
					      own_daemon_tests, NULL, NULL);
	return failed;
}
