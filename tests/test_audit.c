/*
 * test_audit.c - the audit trail against a real policyd: one record per
 * event with its fields, the hash chain catching an edited, deleted or
 * swapped row, and no password anywhere in the file.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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
	/* The name that is not a user (here a password typed into the
	 * name field) is recorded only under its keyed pseudonym. */
	audit("--event auth");
	assert_int_equal(count_of(out, "\"user\":\"(unknown:"), 1);
	assert_null(strstr(out, "Wrong-Guess-77\""));
	ctl(NULL, "unlock ann", 0);
	assert_one("unlock", ",\"user\":\"ann\"");
	/* A forbidden request: an admin verb on pam.sock. */
	assert_int_equal(t_request(d.pam_sock, PROTO_USER_SHOW, "ann", NULL),
			 PROTO_FORBIDDEN);
	assert_one("forbidden", ",\"user\":\"(unknown:");
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

/* The pseudonym of a name that is not a user: the same for the same
 * name, across a restart, another for another name; never the name. */
static void
test_unknown_pseudonyms(void **state)
{
	char first[32] = "", again[32] = "", other[32] = "";
	const char *p;

	(void)state;
	t_request(d.pam_sock, PROTO_AUTH, "Typed-Pass-Word-1", "x");
	p = strstr(audit("--event auth"), "(unknown:");
	assert_non_null(p);
	while (strstr(p + 1, "(unknown:") != NULL)
		p = strstr(p + 1, "(unknown:");
	snprintf(first, sizeof(first), "%.18s", p);
	assert_int_equal(td_restart(&d, NULL), 0);
	t_request(d.pam_sock, PROTO_AUTH, "Typed-Pass-Word-1", "x");
	t_request(d.pam_sock, PROTO_AUTH, "other-name-x", "x");
	audit("--event auth");
	assert_null(strstr(out, "Typed-Pass-Word-1"));
	assert_null(strstr(out, "other-name-x"));
	/* The last two records: the same name again, then the other. */
	for (p = out; (p = strstr(p, "(unknown:")) != NULL; p++) {
		snprintf(again, sizeof(again), "%s", other);
		snprintf(other, sizeof(other), "%.18s", p);
	}
	assert_string_equal(again, first);
	assert_string_not_equal(other, first);
	assert_int_equal((int)strlen(first), 18);
}

/* Every refused decision has one record that says so and why: a verb
 * that found nothing to do, or whose target is missing or taken, and a
 * reload whose new file does not parse. */
static void
test_refusals_recorded(void **state)
{
	char bad[sizeof(d.conf) + 8];

	(void)state;
	/* A name that is not a user is recorded by its pseudonym, whatever
	 * the verb: it may be a password typed in the wrong place. */
	ctl(NULL, "user del ghost", 1);
	assert_one("user-del", ",\"user\":\"(unknown:");
	assert_null(strstr(out, "ghost"));
	{
		static const char *const verbs[] = {
			"user disable", "user enable", "passwd --expire",
			"totp reset", "totp recovery", "unlock", "user show",
			"totp enroll",
		};
		char cmd[128];

		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]);
		     i++) {
			snprintf(cmd, sizeof(cmd), "%s S3cret-typed-as-name",
				 verbs[i]);
			assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
						cmd), 1);
		}
		assert_null(strstr(audit(""), "S3cret-typed"));
		assert_false(td_log_has(&d, "S3cret-typed"));
		assert_true(strstr(out, "\"event\":\"unlock\",\"user\":"
				   "\"(unknown:") != NULL);
	}
	ctl(PW "\n", "user add twice --password-stdin", 0);
	ctl(PW "\n", "user add twice --password-stdin", 1);
	assert_one("user-add", ",\"user\":\"twice\",\"host\":\"\","
		   "\"service\":\"\",\"tty\":\"\",\"result\":\"refused\","
		   "\"reason\":\"exists\"");
	assert_one("user-add", ",\"user\":\"twice\",\"host\":\"\","
		   "\"service\":\"\",\"tty\":\"\",\"result\":\"ok\"");
	ctl(NULL, "unlock twice", 1);
	assert_one("unlock", ",\"user\":\"twice\",\"host\":\"\","
		   "\"service\":\"\",\"tty\":\"\",\"result\":\"refused\","
		   "\"reason\":\"not-locked\"");
	ctl(NULL, "unlock --source 203.0.113.77", 1);
	assert_one("unlock", ",\"user\":\"\",\"host\":\"203.0.113.77\","
		   "\"service\":\"\",\"tty\":\"\",\"result\":\"refused\","
		   "\"reason\":\"not-locked\"");
	ctl(NULL, "user del twice", 0);
	/* A reload of a file that does not parse: refused, and why. */
	snprintf(bad, sizeof(bad), "%s.good", d.conf);
	assert_int_equal(t_sh("cp %s %s && printf '[lockout]\\ndeny = "
			      "many\\n' >> %s", d.conf, bad, d.conf), 0);
	kill(d.pid, SIGHUP);
	for (int i = 0; i < 200 && !td_log_has(&d, "reload refused"); i++)
		usleep(10000);
	assert_int_equal(t_sh("mv %s %s", bad, d.conf), 0);
	assert_true(strstr(audit("--event config-reload"),
			   "\"result\":\"refused\",\"reason\":\"") != NULL);
	assert_null(strstr(audit("--event config-reload"),
			   "\"reason\":\"" POLICYD_VERSION "\""));
	assert_non_null(strstr(audit("--event config-reload"), "deny"));
	/* policyctl reload says the same, and waits for the outcome. */
	assert_int_equal(t_sh("cp %s %s && printf '[lockout]\\ndeny = "
			      "many\\n' >> %s", d.conf, bad, d.conf), 0);
	{
		char err[1024] = "";

		assert_int_equal(td_ctl(&d, NULL, NULL, 0, err, sizeof(err),
					"reload"), 1);
		assert_non_null(strstr(err, "reload refused"));
		assert_non_null(strstr(err, "deny"));
		assert_int_equal(t_sh("mv %s %s", bad, d.conf), 0);
		assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
					"reload"), 0);
		assert_non_null(strstr(out, "reloaded"));
	}
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

/* A strict reading of the Prometheus text format: every line a HELP, a
 * TYPE (before its family's samples) or a sample; bucket counts never
 * decrease.  Returns the number of samples, or fails the test. */
static int
check_exposition(const char *text)
{
	regex_t sample, help, type;
	char line[512], typed[64][64] = { { 0 } };
	const char *p = text;
	double last_bucket = -1;
	int ntyped = 0, samples = 0;

	assert_int_equal(regcomp(&sample, "^([a-zA-Z_:][a-zA-Z0-9_:]*)"
				 "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\""
				 "(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})? "
				 "[-+]?[0-9.]+(e[-+]?[0-9]+)?$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&help, "^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$",
				 REG_EXTENDED), 0);
	assert_int_equal(regcomp(&type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
				 "(counter|gauge|histogram|summary|untyped)$",
				 REG_EXTENDED), 0);
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		regmatch_t m[2];

		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] == '\n');
		if (regexec(&type, line, 2, m, 0) == 0) {
			snprintf(typed[ntyped++], 64, "%.*s",
				 (int)(m[1].rm_eo - m[1].rm_so),
				 line + m[1].rm_so);
			continue;
		}
		if (regexec(&help, line, 0, NULL, 0) == 0)
			continue;
		if (regexec(&sample, line, 2, m, 0) != 0)
			fail_msg("not a valid line: '%s'", line);
		{
			int known = 0;

			for (int i = 0; i < ntyped; i++)
				known |= strncmp(line, typed[i],
						 strlen(typed[i])) == 0;
			if (!known)
				fail_msg("sample before its TYPE: '%s'", line);
		}
		if (strstr(line, "_bucket{") != NULL) {
			double v = atof(strrchr(line, ' ') + 1);

			assert_true(v >= last_bucket);
			last_bucket = v;
		}
		samples++;
	}
	regfree(&sample);
	regfree(&help);
	regfree(&type);
	return samples;
}

static void
test_prometheus(void **state)
{
	char tf[PATH_MAX + 32];

	(void)state;
	ctl(PW "\n", "user add metric --password-stdin", 0);
	assert_int_equal(t_request(d.pam_sock, PROTO_AUTH, "metric", PW),
			 PROTO_OK);
	assert_int_equal(t_request(d.pam_sock, PROTO_AUTH, "metric",
				   "Wrong-Guess-78"), PROTO_DENIED);
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"stats --prometheus"), 0);
	assert_true(check_exposition(out) >= 20);
	assert_non_null(strstr(out, "policyd_auth_total{result=\"ok\"} "));
	assert_non_null(strstr(out, "policyd_hash_seconds_count "));
	/* For node_exporter: written whole, under its final name. */
	snprintf(tf, sizeof(tf), "%s/textfile", d.dir);
	t_sh("mkdir -p %s", tf);
	assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0,
				"stats --textfile-dir textfile-placeholder"),
			 2);
	{
		char args[PATH_MAX + 64];

		snprintf(args, sizeof(args), "stats --textfile-dir %s", tf);
		assert_int_equal(td_ctl(&d, NULL, NULL, 0, NULL, 0, args), 0);
	}
	assert_int_equal(t_sh("test -s %s/policyd.prom && "
			      "! ls %s/.policyd.prom.* 2>/dev/null", tf, tf),
			 0);
}

/* A data subject's access request, and forgetting a person. */
static void
test_export_and_purge(void **state)
{
	(void)state;
	ctl(PW "\n", "user add erika --password-stdin", 0);
	ctl(PW2 "\n", "passwd erika --password-stdin", 0);
	ctl(NULL, "totp enroll erika", 0);
	t_request(d.pam_sock, PROTO_AUTH, "erika", "Wrong-Guess-79");
	assert_int_equal(td_ctl(&d, NULL, out, sizeof(out), NULL, 0,
				"user export erika --json"), 0);
	assert_non_null(strstr(out, "{\"user\":{\"name\":\"erika\""));
	assert_non_null(strstr(out, "\"password_history\":1"));
	assert_non_null(strstr(out, "\"totp\":\"pending\""));
	assert_non_null(strstr(out, "\"failures\":[{"));
	assert_non_null(strstr(out, "\"audit\":[{\"id\":"));
	assert_non_null(strstr(out, "\"event\":\"user-add\""));
	assert_null(strstr(out, "$argon2id"));
	assert_null(strstr(out, "otpauth"));
	ctl(NULL, "user del erika --purge", 0);
	assert_int_equal(t_sh("test $(sqlite3 -cmd '.timeout 5000' %s \"SELECT count(*) FROM "
			      "failures WHERE key = 'erika'\") -eq 0", d.db),
			 0);
	assert_int_equal(t_sh("test $(sqlite3 -cmd '.timeout 5000' %s \"SELECT count(*) FROM "
			      "password_history\") -eq 0", d.db), 0);
	/* The audit records stay until retention. */
	assert_one("user-del", ",\"user\":\"erika\"");
}

/* Waits until file has n lines containing text (the alert runs apart). */
static int
lines_with(const char *file, const char *text, int n)
{
	for (int i = 0; i < 300; i++) {
		if (t_sh("n=$(grep -c '%s' %s 2>/dev/null); test \"${n:-0}\" "
			 "-ge %d", text, file, n) == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* alert_command: run with the event in its environment, its record's
 * time and sequence number; at most one per kind in alert_interval, and
 * the events of the kind meanwhile come after it as one summary that
 * says how many they were. */
static void
test_alert_command(void **state)
{
	char script[PATH_MAX + 32], log[PATH_MAX + 32], extra[3 * PATH_MAX];
	char want[128];

	(void)state;
	snprintf(script, sizeof(script), "%s/alert.sh", d.dir);
	snprintf(log, sizeof(log), "%s/alerts.log", d.dir);
	assert_int_equal(t_sh("printf '#!/bin/sh\\necho \"$1 $POLICYD_KIND "
			      "$POLICYD_EVENT $POLICYD_USER $POLICYD_ACTOR "
			      "time=$POLICYD_TIME seq=$POLICYD_SEQ "
			      "n=$POLICYD_SUPPRESSED "
			      "summary=$POLICYD_SUMMARY "
			      "first=$POLICYD_FIRST_SEQ\" >> %s\\n' > %s && "
			      "chmod 755 %s", log, script, script), 0);
	snprintf(extra, sizeof(extra), "[audit]\nalert_command = %s\n"
		 "alert_interval = 2s\nalert_unknown_burst = 3\n", script);
	assert_int_equal(td_restart(&d, extra), 0);
	ctl(PW "\n", "user add alerted --password-stdin", 0);
	ctl(PW "\n", "user add alerted2 --password-stdin", 0);
	ctl(PW "\n", "user add alerted3 --password-stdin", 0);
	assert_true(lines_with(log, "admin admin user-add alerted ", 1));
	/* The alert's time and sequence number are its record's. */
	snprintf(want, sizeof(want), "time=%ld seq=%ld n=0 summary=0",
		 td_sql(&d, "SELECT time FROM audit WHERE event = 'user-add' "
			    "AND user = 'alerted'"),
		 td_sql(&d, "SELECT id FROM audit WHERE event = 'user-add' "
			    "AND user = 'alerted'"));
	assert_true(lines_with(log, want, 1));
	for (int i = 0; i < 5; i++) {
		t_request(d.pam_sock, PROTO_AUTH, "alerted", "Wrong-Guess-80");
		t_request(d.pam_sock, PROTO_AUTH, "alerted2",
			  "Wrong-Guess-80");
	}
	assert_true(lines_with(log, "lock lock lock alerted ", 1));
	/* The two adds and the one lockout that had no alert of their own:
	 * one summary each, for the newest, saying how many. */
	assert_true(lines_with(log, "admin admin user-add alerted3 .* n=2 "
			       "summary=1", 1));
	assert_true(lines_with(log, "lock lock lock alerted2 .* n=1 "
			       "summary=1", 1));
	assert_int_equal(t_sh("test $(grep -c '^lock ' %s) -eq 2 && "
			      "test $(grep -c '^admin ' %s) -eq 2 && "
			      "! grep 'time=0 ' %s", log, log, log), 0);
	/* A third failure of names that are not users within a minute: a
	 * spray, alerted and logged as a warning. */
	for (int i = 0; i < 3; i++)
		t_request(d.pam_sock, PROTO_AUTH, "no-such-name", "Wrong-1");
	assert_true(lines_with(log, "unknown-burst unknown-burst auth "
			       "(unknown:[0-9a-f]\\{8\\}) ", 1));
	assert_true(td_log_has(&d, "[warning] alert_unknown_name: 3 failed "
			       "logins of names that are not users"));
	/* What takes an account over is alerted like any admin change: a
	 * password set, a second factor enrolled and removed; the summary
	 * of the two held back names the first of them as well. */
	sleep(3);
	ctl(PW2 "\n", "passwd alerted --password-stdin", 0);
	assert_true(lines_with(log, "admin admin password-change alerted ",
			       1));
	ctl(NULL, "totp enroll alerted", 0);
	ctl(NULL, "totp reset alerted", 0);
	snprintf(want, sizeof(want), "admin admin totp-reset alerted .* n=2 "
		 "summary=1 first=%ld", td_sql(&d, "SELECT id FROM audit "
		 "WHERE event = 'totp-enroll' AND user = 'alerted'"));
	assert_true(lines_with(log, want, 1));
	assert_int_equal(td_restart(&d, NULL), 0);
}

static char syslog_buf[1 << 16];
static size_t syslog_len;
static int syslog_fd = -1;

static void *
syslog_reader(void *arg)
{
	char msg[2048];
	ssize_t n;

	(void)arg;
	while ((n = recv(syslog_fd, msg, sizeof(msg) - 1, 0)) > 0) {
		msg[n] = '\0';
		if (syslog_len + (size_t)n + 1 < sizeof(syslog_buf)) {
			memcpy(syslog_buf + syslog_len, msg, (size_t)n);
			syslog_len += (size_t)n;
			syslog_buf[syslog_len++] = '\n';
		}
	}
	return NULL;
}

/* Each record also reaches syslog (authpriv) as one key=value line, and
 * no password does.  The daemon runs in a mount namespace of its own
 * where /dev/log is this test's socket (root only). */
static void
test_syslog(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char prog[PATH_MAX + 16], script[4 * PATH_MAX];
	char *argv[] = { "/usr/bin/unshare", "-m", "--propagation", "private",
			 "/bin/sh", "-c", script, NULL };
	pthread_t tid;

	(void)state;
	if (geteuid() != 0)
		skip();
	t_fmt(sa.sun_path, "%s/log.sock", d.dir);
	syslog_fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(syslog_fd, (struct sockaddr *)&sa, sizeof(sa)),
			 0);
	pthread_create(&tid, NULL, syslog_reader, NULL);
	td_stop(&d);
	t_fmt(prog, "%s/policyd", t_build());
	t_fmt(script,
		 "mount -t tmpfs tmpfs /dev && touch /dev/log /dev/null && "
		 "mount --bind %s /dev/log && exec %s -f -c %s", sa.sun_path,
		 prog, d.conf);
	assert_int_equal(td_start_argv(&d, argv), 0);
	ctl(PW "\n", "user add logged --password-stdin", 0);
	assert_int_equal(t_request(d.pam_sock, PROTO_AUTH, "logged", PW),
			 PROTO_OK);
	t_request(d.pam_sock, PROTO_AUTH, "logged", "Wrong-Guess-81");
	td_stop(&d);
	shutdown(syslog_fd, SHUT_RDWR);
	usleep(100000);
	close(syslog_fd);
	pthread_cancel(tid);
	pthread_join(tid, NULL);
	syslog_buf[syslog_len] = '\0';
	assert_non_null(strstr(syslog_buf, "<85>"));	/* authpriv.notice */
	assert_non_null(strstr(syslog_buf, "event=user-add user=logged"));
	assert_non_null(strstr(syslog_buf, "event=auth user=logged"));
	assert_non_null(strstr(syslog_buf, "result=ok reason=password"));
	assert_non_null(strstr(syslog_buf, "result=fail reason=password"));
	assert_non_null(strstr(syslog_buf, "event=daemon-stop"));
	assert_null(strstr(syslog_buf, PW));
	assert_null(strstr(syslog_buf, "Wrong-Guess-81"));
	assert_int_equal(td_start(&d), 0);
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
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s 'UPDATE audit SET time = time - "
			      "34560000 WHERE id <= 3'", d.db), 0);
	kill(d.pid, SIGHUP);
	for (int i = 0; i < 300 && !td_log_has(&d, "purged"); i++)
		usleep(10000);
	assert_true(td_log_has(&d, "3 records past retention purged"));
	assert_int_equal(t_sh("test $(sqlite3 -cmd '.timeout 5000' %s 'SELECT min(id) FROM audit') "
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
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s \"UPDATE audit SET user = 'eve' "
			      "WHERE id = 5\"", d.db), 0);
	verify(1, "broken at record 5");
	/* Deleted: the next one no longer follows. */
	restore(0);
	verify(0, "ok: ");
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s 'DELETE FROM audit WHERE id = 4'",
			      d.db), 0);
	verify(1, "broken at record 5");
	/* Swapped: rows 3 and 4 trade places. */
	restore(0);
	assert_int_equal(t_sh("sqlite3 -cmd '.timeout 5000' %s 'UPDATE audit SET id = -3 WHERE id "
			      "= 3; UPDATE audit SET id = 3 WHERE id = 4; "
			      "UPDATE audit SET id = 4 WHERE id = -3'", d.db),
			 0);
	verify(1, "broken at record 3");
}

static int
group_setup(void **state)
{
	(void)state;
	return td_start_in(&d, "audit", NULL);
}

static int
group_teardown(void **state)
{
	(void)state;
	return td_stop(&d) == 0 ? 0 : -1;
}

/* Under systemd (JOURNAL_STREAM set), each record goes to the journal
 * with its fields apart, the same as the syslog line: the daemon runs in
 * a mount namespace of its own where the journal's socket is this
 * test's (root only). */
static void
test_journal(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char prog[PATH_MAX + 16], script[4 * PATH_MAX];
	char *argv[] = { "/usr/bin/unshare", "-m", "--propagation", "private",
			 "/bin/sh", "-c", script, NULL };
	pthread_t tid;

	(void)state;
	if (geteuid() != 0)
		skip();
	syslog_len = 0;
	t_fmt(sa.sun_path, "%s/journal.sock", d.dir);
	syslog_fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(syslog_fd, (struct sockaddr *)&sa, sizeof(sa)),
			 0);
	pthread_create(&tid, NULL, syslog_reader, NULL);
	td_stop(&d);
	t_fmt(prog, "%s/policyd", t_build());
	t_fmt(script,
	      "mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal && "
	      "touch /run/systemd/journal/socket && mount --bind %s "
	      "/run/systemd/journal/socket && JOURNAL_STREAM=8:1 exec %s -f "
	      "-c %s", sa.sun_path, prog, d.conf);
	assert_int_equal(td_start_argv(&d, argv), 0);
	ctl(PW "\n", "user add journaled --password-stdin", 0);
	t_request(d.pam_sock, PROTO_AUTH, "journaled", "Wrong-Guess-82");
	td_stop(&d);
	shutdown(syslog_fd, SHUT_RDWR);
	usleep(100000);
	close(syslog_fd);
	pthread_cancel(tid);
	pthread_join(tid, NULL);
	syslog_buf[syslog_len] = '\0';
	assert_non_null(strstr(syslog_buf, "POLICYD_EVENT=user-add\n"));
	assert_non_null(strstr(syslog_buf, "POLICYD_USER=journaled\n"));
	assert_non_null(strstr(syslog_buf, "POLICYD_RESULT=fail\n"));
	assert_non_null(strstr(syslog_buf, "POLICYD_SEQ="));
	assert_non_null(strstr(syslog_buf, "POLICYD_HEAD="));
	assert_non_null(strstr(syslog_buf, "SYSLOG_FACILITY=10\n"));
	assert_non_null(strstr(syslog_buf, "PRIORITY=5\n"));
	assert_non_null(strstr(syslog_buf, "MESSAGE=audit seq="));
	assert_null(strstr(syslog_buf, "Wrong-Guess-82"));
	assert_int_equal(td_start(&d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_no_secret_in_file),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_unknown_pseudonyms),
		cmocka_unit_test(test_export_and_purge),
		cmocka_unit_test(test_refusals_recorded),
		cmocka_unit_test(test_alert_command),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_tampering),
	};

	return cmocka_run_group_tests_name("audit", tests, group_setup,
					   group_teardown);
}
