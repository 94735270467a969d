/*
 * test_audit.c - the audit trail against a real policyd: one record per
 * event with its fields, the hash chain catching an edited, deleted or
 * swapped row, and no password anywhere in the file.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "testlib.h"

#define PW "Kq7#vX2mPz9!"
#define PW2 "Rt5%bM9xKp3&"

static struct tdaemon d;
static char out[1 << 16];

/* The JSON lines of `policyctl audit --json ARGS`. */
static const char *
audit(const char *args)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "audit --json --limit 1000 %s", args);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0, cmd), 0);
	return out;
}

static int
count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
assert_one(const char *event, const char *fields)
{
	char args[64], want[512];
	const char *o;

	snprintf(args, sizeof(args), "--event %s", event);
	o = audit(args);
	snprintf(want, sizeof(want), "\"event\":\"%s\"%s", event, fields);
	if (count_of(o, want) != 1)
		fail_msg("expected one %s in:\n%s", want, o);
}

static void
ctl(const char *input, const char *args, int status)
{
	assert_int_equal(td_ctl(&d, input, NULL, 0, NULL, 0, args), status);
}

static void
test_events(void **state)
{
	(void)state;
	assert_one("daemon-start", ",\"user\":\"\"");
	ctl(PW "\n", "user add ann --password-stdin", 0);
	assert_one("user-add", ",\"user\":\"ann\"");
	assert_true(strstr(out, "\"actor\":\"root\"") != NULL ||
		    geteuid() != 0);
	ctl(NULL, "user disable ann", 0);
	assert_one("user-disable", ",\"user\":\"ann\"");
	ctl(NULL, "user enable ann", 0);
	assert_one("user-enable", ",\"user\":\"ann\"");
	ctl(PW2 "\n", "passwd ann --password-stdin", 0);
	assert_one("password-change", ",\"user\":\"ann\"");
	ctl("Password123!\n", "passwd ann --password-stdin", 1);
	assert_one("password-refused", ",\"user\":\"ann\",\"host\":\"\","
		   "\"service\":\"\",\"tty\":\"\",\"result\":\"refused\","
		   "\"reason\":\"too-common\"");
	ctl(NULL, "passwd ann --expire", 0);
	assert_one("password-expire", ",\"user\":\"ann\"");
	/* Logins: ok, wrong, unknown (the name is not written), locked. */
	assert_int_equal(t_request(d.pam_sock, PROTO_AUTH, "ann", PW2),
			 PROTO_OK);
	audit("--event auth --user ann");
	assert_int_equal(count_of(out, "\"result\":\"ok\",\"reason\":"
				       "\"password\""), 1);
	for (int i = 0; i < 5; i++)
		t_request(d.pam_sock, PROTO_AUTH, "ann", "Wrong-Guess-77");
	t_request(d.pam_sock, PROTO_AUTH, "Wrong-Guess-77", PW2);
	audit("--event auth --user ann");
	assert_int_equal(count_of(out, "\"result\":\"fail\""), 5);
	assert_one("lock", ",\"user\":\"ann\"");
	assert_int_equal(t_request(d.pam_sock, PROTO_AUTH, "ann", PW2),
			 PROTO_LOCKED);
	audit("--event auth --user ann");
	assert_int_equal(count_of(out, "\"result\":\"locked\""), 1);
	audit("--event auth --user '(unknown)'");
	assert_int_equal(count_of(out, "\"result\":\"fail\""), 1);
	ctl(NULL, "unlock ann", 0);
	assert_one("unlock", ",\"user\":\"ann\"");
	/* A forbidden request: an admin verb on pam.sock. */
	assert_int_equal(t_request(d.pam_sock, PROTO_USER_SHOW, "ann", NULL),
			 PROTO_FORBIDDEN);
	assert_one("forbidden", ",\"user\":\"(unknown)\"");
	/* TOTP enrolment and reset. */
	ctl(NULL, "totp enroll ann", 0);
	assert_one("totp-enroll", ",\"user\":\"ann\"");
	ctl(NULL, "totp reset ann", 0);
	assert_one("totp-reset", ",\"user\":\"ann\"");
	ctl(NULL, "user del ann", 0);
	assert_one("user-del", ",\"user\":\"ann\"");
	/* A reload. */
	kill(d.pid, SIGHUP);
	for (int i = 0; i < 200 && !td_log_has(&d, "reloaded"); i++)
		usleep(10000);
	assert_one("config-reload", ",\"user\":\"\"");
}

static void
test_no_secret_in_file(void **state)
{
	(void)state;
	assert_int_not_equal(t_sh("grep -qaF -e '%s' -e '%s' -e "
				  "'Wrong-Guess-77' %s*", PW, PW2, d.db), 0);
}

static void
verify(int status, const char *expect)
{
	char o[256];

	int rc = td_ctl(&d, NULL, o, sizeof(o), NULL, 0, "audit verify");

	if (strstr(o, expect) == NULL)
		fail_msg("'%s' not in '%s'", expect, o);
	assert_int_equal(rc, status);
}

/* Records older than retention go, and the rest of the chain still
 * verifies from the checkpoint they leave. */
static void
test_retention(void **state)
{
	(void)state;
	verify(0, "ok: ");
	/* The first three records, 400 days old (their hashes are kept:
	 * they are purged, not checked, and the checkpoint holds the last
	 * one's). */
	assert_int_equal(t_sh("sqlite3 %s 'UPDATE audit SET time = time - "
			      "34560000 WHERE id <= 3'", d.db), 0);
	kill(d.pid, SIGHUP);
	for (int i = 0; i < 300 && !td_log_has(&d, "purged"); i++)
		usleep(10000);
	assert_true(td_log_has(&d, "3 records past retention purged"));
	assert_int_equal(t_sh("test $(sqlite3 %s 'SELECT min(id) FROM audit') "
			      "-eq 4", d.db), 0);
	verify(0, "ok: ");
	assert_one("audit-purge", ",\"user\":\"\"");
}

/* Puts back the copy of the store taken by the first call (the daemon
 * stopped, so that the file holds everything). */
static void
restore(int take)
{
	assert_int_equal(td_stop(&d), 0);
	assert_int_equal(t_sh(take ? "cp %s %s.good" : "cp %s.good %s",
			      take ? d.db : d.db, d.db), 0);
	assert_int_equal(td_start(&d), 0);
}

/* Each kind of tampering breaks the chain at the right record. */
static void
test_tampering(void **state)
{
	(void)state;
	verify(0, "ok: ");
	restore(1);
	/* Edited. */
	assert_int_equal(t_sh("sqlite3 %s \"UPDATE audit SET user = 'eve' "
			      "WHERE id = 5\"", d.db), 0);
	verify(1, "broken at record 5");
	/* Deleted: the next one no longer follows. */
	restore(0);
	verify(0, "ok: ");
	assert_int_equal(t_sh("sqlite3 %s 'DELETE FROM audit WHERE id = 4'",
			      d.db), 0);
	verify(1, "broken at record 5");
	/* Swapped: rows 3 and 4 trade places. */
	restore(0);
	assert_int_equal(t_sh("sqlite3 %s 'UPDATE audit SET id = -3 WHERE id "
			      "= 3; UPDATE audit SET id = 3 WHERE id = 4; "
			      "UPDATE audit SET id = 4 WHERE id = -3'", d.db),
			 0);
	verify(1, "broken at record 3");
}

static int
group_setup(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/audit", t_dir());
	td_init(&d, dir, NULL);
	return td_start(&d);
}

static int
group_teardown(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_no_secret_in_file),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_tampering),
	};

	return cmocka_run_group_tests_name("audit", tests, group_setup,
					   group_teardown);
}
