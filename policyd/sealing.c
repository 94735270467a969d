/* sealing.c - see sealing.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "audit.h"
#include "auditseal.h"
#include "log.h"
#include "qr.h"
#include "sealing.h"
#include "sealkey.h"

int
sealing_path(const struct cfg *c, char *out, size_t outsz)
{
	const char *slash = strrchr(c->database, '/');
	int n;

	if (c->seal_key_file[0] != '\0')
		n = snprintf(out, outsz, "%s", c->seal_key_file);
	else if (slash == NULL)
		n = snprintf(out, outsz, "seal.key");
	else
		n = snprintf(out, outsz, "%.*s/seal.key",
			     (int)(slash - c->database), c->database);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

/* The trail failed its check at start: an attack alert, since the
 * start is refused and no record can say it. */
static void
tampered(const char *why)
{
	struct audit_rec ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = "seal-check";
	ev.actor_uid = -1;
	ev.result = "failed";
	ev.reason = why;
	ev.time = time(NULL);
	alert_fire("audit-tampered", &ev);
}

int
sealing_start(const struct cfg *c, struct store *st, uid_t uid, char *err,
	      size_t errsz)
{
	char path[PATH_MAX], why[PATH_MAX + 200];
	struct audit_key key;
	int fd, rc;

	if (sealing_path(c, path, sizeof(path)) != 0) {
		snprintf(err, errsz, "seal_key_file: path too long");
		return -1;
	}
	rc = sealkey_open(path, uid, &key, &fd, err, errsz);
	if (rc == -2) {
		int64_t first = 0;

		if (store_audit_first_sealed(st, &first) != STORE_OK ||
		    first == 0) {
			log_warn("the audit trail is not sealed (no %s): run "
				 "policyd --setup-seal with the daemon "
				 "stopped", path);
			return 0;
		}
		/* A sealed trail whose key went: what follows would not be
		 * sealed.  Said, alerted, and not started. */
		snprintf(err, errsz, "%s is missing, but the audit trail is "
			 "sealed from record %lld: restore the file from a "
			 "backup, or seal from now on with policyd "
			 "--setup-seal (the daemon stopped; keep both "
			 "verification keys)", path, (long long)first);
		tampered(err);
		return -1;
	}
	if (rc != 0)
		return -1;
	rc = store_seal_start(st, &key, fd, why, sizeof(why));
	audit_key_wipe(&key);
	if (rc != STORE_OK) {
		close(fd);
		snprintf(err, errsz, "%s: %s", path, why);
		tampered(why);
		return -1;
	}
	return 0;
}

/* The record that says where sealing began, sealed itself. */
static int
record_setup(struct store *st, const struct audit_key *first)
{
	struct audit_rec ev;
	char why[64];

	memset(&ev, 0, sizeof(ev));
	ev.event = "seal-setup";
	ev.actor_uid = (int64_t)getuid();
	ev.result = "ok";
	snprintf(why, sizeof(why), "sealed from record %llu",
		 (unsigned long long)first->pos);
	ev.reason = why;
	return audit_now(st, &ev);
}

static void
print_key(FILE *out, const struct audit_key *first)
{
	char text[AUDIT_SEAL_TEXT_MAX];

	audit_key_format(first, text);
	fprintf(out, "The audit trail's verification key; keep it off this "
		"host (it is not\nstored here, and it cannot be shown "
		"again):\n\n  %s\n\n", text);
	qr_print_terminal(out, text);
	fprintf(out, "\nCheck the trail with: policyctl audit verify --key "
		"KEY\n");
	explicit_bzero(text, sizeof(text));
}

int
sealing_setup(const struct cfg *c, struct store *st, uid_t uid, gid_t gid,
	      FILE *out, char *err, size_t errsz)
{
	char path[PATH_MAX], why[PATH_MAX + 200];
	struct audit_key first;
	int64_t next;
	int fd;

	if (sealing_path(c, path, sizeof(path)) != 0) {
		snprintf(err, errsz, "seal_key_file: path too long");
		return -1;
	}
	if (access(path, F_OK) == 0 || errno != ENOENT) {
		snprintf(err, errsz, "%s: exists already: sealing is set up "
			 "(nothing changed)", path);
		return -1;
	}
	if (store_audit_next_id(st, &next) != STORE_OK || next < 1) {
		snprintf(err, errsz, "cannot read the audit trail");
		return -1;
	}
	audit_key_new(&first, (uint64_t)next, (uint64_t)time(NULL));
	if (sealkey_create(path, uid, gid, &first, &fd, err, errsz) != 0) {
		audit_key_wipe(&first);
		return -1;
	}
	why[0] = '\0';
	if (store_seal_start(st, &first, fd, why, sizeof(why)) != STORE_OK) {
		close(fd);
		fd = -1;
	}
	if (fd < 0 || record_setup(st, &first) != 0) {
		/* No one will see this key: no file may keep it. */
		unlink(path);
		snprintf(err, errsz, "%s: %s", path,
			 why[0] ? why : "cannot write the audit trail");
		audit_key_wipe(&first);
		return -1;
	}
	print_key(out, &first);
	audit_key_wipe(&first);
	return 0;
}
