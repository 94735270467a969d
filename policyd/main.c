/*
 * main.c - policyd: parse the config, open the store, open the sockets,
 * drop privileges, serve; tear down in reverse.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <malloc.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include <sodium.h>
#include <systemd/sd-daemon.h>

#include "alert.h"
#include "audit.h"
#include "housekeeping.h"
#include "cost.h"
#include "hash.h"
#include "log.h"
#include "proto.h"
#include "seal.h"
#include "sealing.h"
#include "server.h"
#include "state.h"
#include "stats.h"
#include "totp.h"
#include "trusted.h"
#include "wipe.h"

#ifndef POLICYD_VERSION
#define POLICYD_VERSION "unknown"
#endif

struct identity {
	uid_t uid;		/* to run as */
	gid_t gid;
	int switch_user;	/* setuid needed */
	gid_t admin_gid;
	int have_admin_gid;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: policyd [-f] [-d] [-c FILE] [-t | --init "
		    "[--no-seal] | --setup-seal] [--version]\n"
		    "  -f         stay in the foreground, log to stderr\n"
		    "  -d         log debug messages\n"
		    "  -c FILE    configuration file (default " CFG_DEFAULT_PATH
		    ")\n"
		    "  -t         check the configuration (and the key against "
		    "the store) and exit\n"
		    "  --init     create the store, its key file and the "
		    "audit seal, then exit\n"
		    "  --no-seal  with --init: leave the seal for "
		    "--setup-seal\n"
		    "  --setup-seal  seal an existing store's audit trail "
		    "from now on\n"
		    "             (the daemon stopped), then exit\n");
}

static int
lookup_group(const char *name, gid_t *gid, char *err, size_t errsz)
{
	struct group *gr;

	errno = 0;
	gr = getgrnam(name);
	if (gr == NULL) {
		snprintf(err, errsz, "admin_group: no group named '%s'", name);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* alert_command: a program only root or the daemon's user may change,
 * in directories no one else may change either. */
static int
alert_checked(const struct cfg *c, char *err, size_t errsz)
{
	char why[PATH_MAX + 160];
	struct stat st;

	if (c->alert_command[0] == '\0')
		return 0;
	if (trusted_dirs(c->alert_command, TRUSTED_NO_UID, why,
			 sizeof(why)) != 0) {
		snprintf(err, errsz, "alert_command: %s", why);
		return -1;
	}
	if (stat(c->alert_command, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 0111) == 0) {
		snprintf(err, errsz, "alert_command: %s: not an executable "
			 "file", c->alert_command);
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errsz, "alert_command: %s: must be owned by root "
			 "and writable by no one else", c->alert_command);
		return -1;
	}
	return 0;
}

/* The directories of the key file (which may be the daemon user's, as
 * the file may be) and of alert_command; the config's were checked by
 * cfg_load. */
static int
paths_checked(const struct cfg *c, uid_t daemon_uid, char *err,
	      size_t errsz)
{
	char why[PATH_MAX + 160];

	if (trusted_dirs(c->totp_key_file, daemon_uid, why, sizeof(why))) {
		snprintf(err, errsz, "key_file: %s", why);
		return -1;
	}
	return alert_checked(c, err, errsz);
}

/* required = group:NAME names a group that must exist: a typo would
 * otherwise require a code from nobody. */
static int
totp_group_missing(const struct cfg *c, char *err, size_t errsz)
{
	if (c->totp.required_mode != TOTP_GROUP ||
	    getgrnam(c->totp.required_group) != NULL)
		return 0;
	snprintf(err, errsz, "totp required: no group named '%s'",
		 c->totp.required_group);
	return 1;
}

static int
resolve_identity(const struct cfg *c, struct identity *id, char *err,
		 size_t errsz)
{
	struct passwd *pw;

	memset(id, 0, sizeof(*id));
	id->uid = geteuid();
	id->gid = getegid();
	if (c->admin_group[0] != '\0') {
		if (lookup_group(c->admin_group, &id->admin_gid, err, errsz))
			return -1;
		id->have_admin_gid = 1;
	}
	if (totp_group_missing(c, err, errsz))
		return -1;
	if (c->user[0] == '\0')
		return 0;
	pw = getpwnam(c->user);
	if (pw == NULL) {
		snprintf(err, errsz,
			 "user: no user named '%s' (create it with "
			 "'useradd --system %s', or set user = to keep the "
			 "starting user)", c->user, c->user);
		return -1;
	}
	if (pw->pw_uid != id->uid && id->uid != 0) {
		snprintf(err, errsz, "user: cannot become '%s' without root",
			 c->user);
		return -1;
	}
	id->switch_user = pw->pw_uid != id->uid;
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	return 0;
}

/* The store and its key, checked, made (when `create`) and opened; on
 * failure a directory made for them is removed again. */
static int
open_state(const struct cfg *c, int create, int created,
	   const struct identity *id, struct store **st,
	   uint8_t key[SEAL_KEY_LEN], struct state_made *made, char *err,
	   size_t errsz)
{
	if (state_files_checked(c->database, id->uid, err, errsz) == 0 &&
	    state_open(c->database, c->totp_key_file, create, id->uid,
		       id->gid, st, key, made, err, errsz) == 0)
		return 0;
	state_unmake_dir(c->database, created);
	return -1;
}

/* What open_state made, in words. */
static void
describe_made(const struct cfg *c, const struct state_made *m, char *out,
	      size_t outsz)
{
	if (m->key)
		snprintf(out, outsz, "created the store %s and the key file %s",
			 c->database, c->totp_key_file);
	else
		snprintf(out, outsz, "created the store %s, for the existing "
			 "key file %s", c->database, c->totp_key_file);
}

/* The log says what a start made or recorded: never silently. */
static void
log_made(const struct cfg *c, const struct state_made *m)
{
	char what[2 * PATH_MAX + 64];

	if (m->store) {
		describe_made(c, m, what, sizeof(what));
		log_notice("first start: %s", what);
	} else if (m->recorded) {
		log_notice("%s: recorded the check value of the key file %s "
			   "(the store, of an older version, had none)",
			   c->database, c->totp_key_file);
	}
}

/*
 * Before anything secret is read: no core dump, no ptrace and no
 * /proc/PID/mem for another process of the same uid (an unprivileged
 * start would otherwise be dumpable), and nothing the daemon runs
 * (alert_command) gains privilege from a setuid bit or a file
 * capability.  no_new_privs leaves setuid() and setgid() alone, so the
 * drop below still works.
 */
static int
harden_process(char *err, size_t errsz)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errsz, "prctl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* A change of uid resets dumpable to fs.suid_dumpable, which may be 1:
 * it is cleared again after the switch. */
static int
drop_privileges(const struct identity *id, char *err, size_t errsz)
{
	if (!id->switch_user)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(id->gid) != 0 ||
	    setuid(id->uid) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(err, errsz, "dropping privileges: %s",
			 strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errsz, "dropping privileges: root regained");
		return -1;
	}
	return 0;
}

/* An event of the daemon itself: start, stop, reload. */
static void
daemon_event(struct daemon *d, const char *event, const char *result,
	     const char *reason)
{
	struct audit_rec ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.result = result;
	ev.actor_uid = -1;
	ev.reason = reason;
	audit_now(d->store, &ev);
}

/* A reload is over: tells whoever waits in daemon_reload. */
static void
reload_over(struct daemon *d, int ok, const char *why)
{
	pthread_mutex_lock(&d->reload_lock);
	d->reloads++;
	d->reload_ok = ok;
	snprintf(d->reload_why, sizeof(d->reload_why), "%s", why);
	pthread_cond_broadcast(&d->reload_done);
	pthread_mutex_unlock(&d->reload_lock);
}

/* A reload refused: the log and the trail say why. */
static void
reload_refused(struct daemon *d, const char *why)
{
	log_err("reload refused, old configuration kept: %s", why);
	daemon_event(d, "config-reload", "refused", why);
	reload_over(d, 0, why);
}

int
daemon_reload(struct daemon *d, int timeout_ms, char *why, size_t whysz)
{
	struct timespec by;
	uint64_t before;
	int rc = -1;

	clock_gettime(CLOCK_REALTIME, &by);
	by.tv_sec += timeout_ms / 1000;
	by.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (by.tv_nsec >= 1000000000L) {
		by.tv_sec++;
		by.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->reload_lock);
	before = d->reloads;
	/* The server loop reads SIGHUP from its signalfd, as from kill. */
	kill(getpid(), SIGHUP);
	while (d->reloads == before &&
	       pthread_cond_timedwait(&d->reload_done, &d->reload_lock,
				      &by) == 0)
		;
	if (d->reloads != before) {
		rc = d->reload_ok;
		snprintf(why, whysz, "%s", d->reload_why);
	}
	pthread_mutex_unlock(&d->reload_lock);
	return rc;
}

/* The warnings of the file read at start (cfg_warn_fn), kept until
 * logging is set up, or printed by -t. */
static struct {
	char line[6][PATH_MAX + 160];
	int n;
} start_warnings;

static void
keep_warning(void *arg, const char *msg)
{
	(void)arg;
	if (start_warnings.n < 6)
		snprintf(start_warnings.line[start_warnings.n++],
			 sizeof(start_warnings.line[0]), "%s", msg);
}

static void
log_warning(void *arg, const char *msg)
{
	(void)arg;
	log_warn("%s", msg);
}

/* SIGHUP: the new file replaces the old only if all of it is valid.  The
 * settings bound at start (paths, user, group, workers) wait for a
 * restart. */
static void
reload_config(struct daemon *d)
{
	struct cfg next;
	struct words *words;
	char err[PATH_MAX + 256];

	if (cfg_load_warn(d->cfg_path, &next, log_warning, NULL, err,
			  sizeof(err)) != 0) {
		reload_refused(d, err);
		return;
	}
	if (totp_group_missing(&next, err, sizeof(err)) ||
	    alert_checked(&next, err, sizeof(err)) != 0) {
		reload_refused(d, err);
		return;
	}
	words = words_load(&next, err, sizeof(err));
	if (words == NULL) {
		reload_refused(d, err);
		return;
	}
	if (cost_apply(d->store, &next.argon2) != 0) {
		reload_refused(d, "cannot hash with the new argon2 cost");
		pthread_mutex_lock(&d->cfg_lock);
		words_unref(words);
		pthread_mutex_unlock(&d->cfg_lock);
		return;
	}
	pthread_mutex_lock(&d->cfg_lock);
	words_unref(d->words);
	d->words = words;
	d->cfg.policy = next.policy;
	memcpy(d->cfg.blocklist, next.blocklist, sizeof(d->cfg.blocklist));
	memcpy(d->cfg.breached_filter, next.breached_filter,
	       sizeof(d->cfg.breached_filter));
	d->cfg.lockout = next.lockout;
	if (strcmp(next.totp_key_file, d->cfg.totp_key_file) != 0)
		log_warn("totp key_file takes effect at the next start");
	d->cfg.totp = next.totp;
	d->cfg.audit_retention = next.audit_retention;
	alert_configure(next.alert_command, next.alert_interval,
			next.alert_unknown_burst);
	if (strcmp(next.runtime_dir, d->cfg.runtime_dir) != 0 ||
	    strcmp(next.database, d->cfg.database) != 0 ||
	    strcmp(next.user, d->cfg.user) != 0 ||
	    strcmp(next.admin_group, d->cfg.admin_group) != 0 ||
	    next.hash_workers != d->cfg.hash_workers)
		log_warn("runtime_dir, database, user, admin_group and "
			 "hash_workers take effect at the next start");
	d->cfg.request_timeout = next.request_timeout;
	d->cfg.max_connections = next.max_connections;
	d->cfg.argon2 = next.argon2;
	memcpy(d->cfg.alert_command, next.alert_command,
	       sizeof(d->cfg.alert_command));
	d->cfg.alert_interval = next.alert_interval;
	d->cfg.alert_unknown_burst = next.alert_unknown_burst;
	cfg_take_sources(&d->cfg, &next);
	pthread_mutex_unlock(&d->cfg_lock);
	log_notice("configuration reloaded from %s", d->cfg_path);
	daemon_event(d, "config-reload", "ok", d->cfg_path);
	housekeeping_soon();	/* the new retention and windows */
	reload_over(d, 1, "");
}

/*
 * Under systemd (Type=notify) the daemon says when it serves, reloads and
 * stops; without NOTIFY_SOCKET in the environment, as in any start
 * outside systemd, sd_notify does nothing.  systemd 253 and later match a
 * reload to its READY=1 by MONOTONIC_USEC (Type=notify-reload); 252
 * ignores the field.
 */
static void
reload(struct daemon *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now.tv_sec * 1000000ULL +
			   (unsigned long long)now.tv_nsec / 1000);
	reload_config(d);
	sd_notify(0, "READY=1");
}

static int
block_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* alert_command children reap themselves */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct options {
	const char *cfg_path;
	int foreground, debug, test, init, setup_seal, no_seal;
};

static int
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "init", no_argument, NULL, 'I' },
		{ "setup-seal", no_argument, NULL, 'S' },
		{ "no-seal", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->cfg_path = CFG_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "fdc:th", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->foreground = 1;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 'c':
			o->cfg_path = optarg;
			break;
		case 't':
			o->test = 1;
			break;
		case 'I':
			o->init = 1;
			break;
		case 'S':
			o->setup_seal = 1;
			break;
		case 'N':
			o->no_seal = 1;
			break;
		case 'V':
			printf("policyd %s (protocol %d, schema %d)\n",
			       POLICYD_VERSION, PROTO_VERSION,
			       store_schema_version());
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || o->test + o->init + o->setup_seal > 1 ||
	    (o->no_seal && !o->init)) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The starting process's status from the daemon's report: "ok", or the
 * status, a space and the reason (see report_start). */
static int
reported_status(const char *msg, const char **why)
{
	char *end;
	long st;

	*why = msg;
	if (strcmp(msg, "ok") == 0)
		return 0;
	st = strtol(msg, &end, 10);
	if (end == msg || *end != ' ' || st <= 0 || st > 255)
		return 1;
	*why = end + 1;
	return (int)st;
}

/*
 * Without -f the daemon detaches at once, but the starting process waits
 * on a pipe until the daemon is ready or has failed, so that `policyd`
 * exits 0 only once it serves, and prints why it could not start with
 * the daemon's status (EX_CONFIG for the configuration).  Only the daemon
 * returns from here; *report is the pipe's write end.
 */
static int
detach(int *report, char *err, size_t errsz)
{
	char buf[PATH_MAX + 256];
	const char *why;
	int fds[2], st;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errsz, "pipe: %s", strerror(errno));
		return -1;
	}
	switch (fork()) {
	case -1:
		snprintf(err, errsz, "fork: %s", strerror(errno));
		return -1;
	case 0:
		close(fds[0]);
		*report = fds[1];
		return setsid() < 0 ? -1 : 0;
	default:
		close(fds[1]);
		n = read(fds[0], buf, sizeof(buf) - 1);
		if (n <= 0)
			_exit(1);	/* died without a word */
		buf[n] = '\0';
		st = reported_status(buf, &why);
		if (st != 0)
			fprintf(stderr, "policyd: %s\n", why);
		_exit(st);
	}
}

/* Tells the waiting parent (if any) how the start went: status 0 is
 * "ok", any other is written before the reason in msg. */
static void
report_start(int *report, int status, const char *msg)
{
	char line[PATH_MAX + 300];
	int devnull;

	if (*report < 0)
		return;
	if (status == 0)
		snprintf(line, sizeof(line), "ok");
	else
		snprintf(line, sizeof(line), "%d %s", status, msg);
	(void)!write(*report, line, strlen(line));
	close(*report);
	*report = -1;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		close(devnull);
	}
}

/* Everything between reading the config and serving; on failure err says
 * why.  Returns 0 with *srv ready, EX_CONFIG if what the file names is
 * wrong (user, group, blocklist, alert_command), or 1.  The store and its
 * key are made only at the first start: when the store's directory did
 * not exist. */
static int
start(struct daemon *d, struct server **srv, char *err, size_t errsz)
{
	struct state_made made;
	struct identity id;
	int created;

	if (resolve_identity(&d->cfg, &id, err, errsz) != 0)
		return EX_CONFIG;
	d->words = words_load(&d->cfg, err, errsz);
	if (d->words == NULL || paths_checked(&d->cfg, id.uid, err, errsz))
		return EX_CONFIG;
	alert_configure(d->cfg.alert_command, d->cfg.alert_interval,
			d->cfg.alert_unknown_burst);
	d->admin_gid = id.admin_gid;
	d->have_admin_gid = id.have_admin_gid;
	if (hash_init(&d->cfg.argon2, d->cfg.hash_workers,
		      d->cfg.max_connections) != 0) {
		snprintf(err, errsz, "cannot initialise argon2id hashing");
		return 1;
	}
	if (state_make_dir(d->cfg.database, &created, err, errsz) != 0 ||
	    open_state(&d->cfg, created, created, &id, &d->store, d->totp_key,
		       &made, err, errsz) != 0)
		return 1;
	log_made(&d->cfg, &made);
	if (totp_init() != 0) {
		snprintf(err, errsz, "cannot initialise TOTP");
		return 1;
	}
	/* A second key from the same file, for the names that are not
	 * users (see account_key in auth.c). */
	crypto_generichash(d->name_key, sizeof(d->name_key),
			   (const uint8_t *)"policyd unknown names v1", 24,
			   d->totp_key, sizeof(d->totp_key));
	if (id.switch_user)
		state_give(d->cfg.database, created, id.uid, id.gid);
	if (cost_apply(d->store, &d->cfg.argon2) != 0) {
		snprintf(err, errsz, "cannot make the dummy argon2id hash");
		return 1;
	}
	if (sealing_start(&d->cfg, d->store, id.uid, err, errsz) != 0)
		return 1;
	if (server_open(d, id.uid, id.admin_gid, id.have_admin_gid, srv, err,
			errsz) != 0)
		return 1;
	if (drop_privileges(&id, err, errsz) != 0)
		return 1;
	d->uid = geteuid();
	return 0;
}

/* -t: an existing store's files, and whether the key file is its key,
 * read only. */
static int
store_and_key_checked(const struct cfg *c, uid_t uid, char *note, size_t notesz,
	      char *err, size_t errsz)
{
	note[0] = '\0';
	if (store_exists(c->database, err, errsz) == STORE_OK &&
	    state_files_checked(c->database, uid, err, errsz) != 0)
		return -1;
	return state_check(c->database, c->totp_key_file, uid, note, notesz,
			   err, errsz);
}

/* -t: the file, and the names in it, as the real start would see them;
 * then the store and its key, as the start would refuse them (status 1),
 * without making or changing anything. */
static int
check_only(const struct options *o, const struct cfg *c)
{
	char err[PATH_MAX + 256], note[2 * PATH_MAX + 128];
	struct identity id;
	struct words *words;

	if (resolve_identity(c, &id, err, sizeof(err)) != 0 ||
	    paths_checked(c, id.uid, err, sizeof(err)) != 0 ||
	    (words = words_load(c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "policyd: %s: %s\n", o->cfg_path, err);
		return EX_CONFIG;
	}
	words_unref(words);
	for (int i = 0; i < start_warnings.n; i++)
		fprintf(stderr, "policyd: warning: %s\n",
			start_warnings.line[i]);
	if (store_and_key_checked(c, id.uid, note, sizeof(note), err,
			  sizeof(err)) != 0) {
		fprintf(stderr, "policyd: %s\n", err);
		return 1;
	}
	if (note[0] != '\0')
		printf("policyd: %s\n", note);
	printf("%s: ok\n", o->cfg_path);
	return 0;
}

/* Refuses a store that holds anything: --init never replaces one. */
static int
no_store_yet(const char *db, char *err, size_t errsz)
{
	int rc = store_exists(db, err, errsz);

	if (rc == STORE_OK)
		snprintf(err, errsz, "%s: a store exists already; nothing "
			 "changed (--init makes one only where there is none)",
			 db);
	return rc == STORE_NOT_FOUND ? 0 : -1;
}

/* --init: the store's directory (as a start makes it), a new store and,
 * if there is none, a new key file, for the daemon's user; then exits. */
static int
init_only(const struct options *o, const struct cfg *c)
{
	char err[PATH_MAX + 256], what[2 * PATH_MAX + 64];
	uint8_t key[SEAL_KEY_LEN];
	struct state_made made;
	struct store *st = NULL;
	struct identity id;
	int created = 0, rc;

	log_init(1, o->debug);
	if (resolve_identity(c, &id, err, sizeof(err)) != 0 ||
	    paths_checked(c, id.uid, err, sizeof(err)) != 0) {
		fprintf(stderr, "policyd: %s: %s\n", o->cfg_path, err);
		return EX_CONFIG;
	}
	rc = state_make_dir(c->database, &created, err, sizeof(err));
	if (rc == 0 && no_store_yet(c->database, err, sizeof(err)) != 0) {
		state_unmake_dir(c->database, created);
		rc = -1;
	}
	if (rc == 0)
		rc = open_state(c, 1, created, &id, &st, key, &made, err,
				sizeof(err));
	WIPE_OBJ(key);
	if (rc == 0 && made.store && !o->no_seal)
		rc = sealing_setup(c, st, id.uid, id.gid, stdout, err,
				   sizeof(err));
	else if (rc == 0 && made.store)
		printf("policyd: the audit trail is not sealed: run policyd "
		       "--setup-seal, the daemon stopped, on a terminal that "
		       "is not logged\n");
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "policyd: %s\n", err);
		return 1;
	}
	if (id.switch_user)
		state_give(c->database, created, id.uid, id.gid);
	describe_made(c, &made, what, sizeof(what));
	printf("policyd: %s\n", what);
	return 0;
}

/* Whether a daemon answers on the configured pam.sock. */
static int
daemon_running(const struct cfg *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, up;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" PAM_SOCKET_NAME,
		     c->runtime_dir) >= (int)sizeof(sa.sun_path))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

/* --setup-seal: seals an existing store's trail from its next record,
 * printing the verification key; the daemon must be stopped, or it
 * would go on appending records it does not seal. */
static int
setup_seal_only(const struct options *o, const struct cfg *c)
{
	char err[PATH_MAX + 256];
	uint8_t key[SEAL_KEY_LEN];
	struct state_made made;
	struct store *st = NULL;
	struct identity id;
	int rc;

	log_init(1, o->debug);
	if (resolve_identity(c, &id, err, sizeof(err)) != 0 ||
	    paths_checked(c, id.uid, err, sizeof(err)) != 0) {
		fprintf(stderr, "policyd: %s: %s\n", o->cfg_path, err);
		return EX_CONFIG;
	}
	if (daemon_running(c)) {
		fprintf(stderr, "policyd: a daemon answers on %s/"
			PAM_SOCKET_NAME ": stop it first (nothing changed)\n",
			c->runtime_dir);
		return 1;
	}
	rc = open_state(c, 0, 0, &id, &st, key, &made, err, sizeof(err));
	WIPE_OBJ(key);
	if (rc == 0)
		rc = sealing_setup(c, st, id.uid, id.gid, stdout, err,
				   sizeof(err));
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "policyd: %s\n", err);
		return 1;
	}
	if (id.switch_user)
		state_give(c->database, 0, id.uid, id.gid);
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon d = { .cfg_lock = PTHREAD_MUTEX_INITIALIZER,
			    .reload_lock = PTHREAD_MUTEX_INITIALIZER,
			    .reload_done = PTHREAD_COND_INITIALIZER };
	struct server *srv = NULL;
	struct options o = { 0 };
	char err[PATH_MAX + 256], *abs_path;
	int sigfd, report = -1, rc = 1;

	/* One malloc arena, not eight per CPU: with hundreds of connection
	 * threads each arena would keep its own free memory resident, and
	 * requests allocate little outside the store's lock anyway. */
	mallopt(M_ARENA_MAX, 1);
	if (harden_process(err, sizeof(err)) != 0) {
		fprintf(stderr, "policyd: %s\n", err);
		return 1;
	}
	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (cfg_load_warn(o.cfg_path, &d.cfg, keep_warning, NULL, err,
			  sizeof(err)) != 0) {
		fprintf(stderr, "policyd: %s\n", err);
		return EX_CONFIG;
	}
	if (o.test)
		return check_only(&o, &d.cfg);
	if (o.init) {
		umask(077);
		return init_only(&o, &d.cfg);
	}
	if (o.setup_seal) {
		umask(077);
		return setup_seal_only(&o, &d.cfg);
	}
	/* SIGHUP re-reads the file after a detached start's chdir("/"). */
	abs_path = realpath(o.cfg_path, NULL);
	if (abs_path == NULL) {
		fprintf(stderr, "policyd: %s: %s\n", o.cfg_path,
			strerror(errno));
		return 1;
	}
	d.cfg_path = abs_path;
	umask(077);
	if (!o.foreground && (detach(&report, err, sizeof(err)) != 0 ||
			      chdir("/") != 0)) {
		fprintf(stderr, "policyd: %s\n", err);
		return 1;
	}
	log_init(o.foreground, o.debug);
	for (int i = 0; i < start_warnings.n; i++)
		log_warn("%s", start_warnings.line[i]);
	sigfd = block_signals();
	if (sigfd < 0) {
		snprintf(err, sizeof(err), "signals: %s", strerror(errno));
		log_err("%s", err);
		report_start(&report, 1, err);
		return 1;
	}
	rc = start(&d, &srv, err, sizeof(err));
	if (rc != 0) {
		log_err("%s", err);
		report_start(&report, rc, err);
		goto out;
	}
	log_notice("policyd %s ready on %s (%u hash workers)", POLICYD_VERSION,
		   d.cfg.runtime_dir, hash_workers());
	report_start(&report, 0, "");
	sd_notify(0, "READY=1");
	stats_start();
	daemon_event(&d, "daemon-start", "ok", "policyd " POLICYD_VERSION);
	rc = server_run(srv, sigfd, reload, housekeeping) == 0 ? 0 : 1;
	sd_notify(0, "STOPPING=1");
	server_close(srv);	/* every request finished first */
	srv = NULL;
	daemon_event(&d, "daemon-stop", "ok", "");
out:
	server_close(srv);
	store_close(d.store);
	words_unref(d.words);
	WIPE_OBJ(d.totp_key);
	WIPE_OBJ(d.name_key);
	hash_fini();
	close(sigfd);
	if (rc == 0)
		log_notice("stopped");
	free(abs_path);
	return rc;
}
