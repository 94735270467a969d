/*
 * verify.c - policyctl audit verify --key K [--anchor 'seq=N head=H']:
 * the whole trail, fetched page by page, verified here and not by the
 * daemon, whose host may be the one that was broken into.  Each record
 * must follow the one before it (ids one by one, its prev the hash
 * before), its hash must be that of its fields, and from the position
 * of the verification key on, its seal must be the one made with the key
 * of its own position and of its time's minute (auditseal.h): a record
 * changed, inserted, moved or removed, sealed again with a later key, or
 * dated before the one before it, is named with the first reason it
 * fails.  A purge's checkpoint is proven the same way, with the time of
 * the record it stands for, which says how old what was purged; with
 * --retention, a checkpoint younger than that is a failure.  An anchor, a record count and chain head copied from
 * syslog to another host, proves that the trail was not cut short.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auditseal.h"
#include "ctl.h"
#include "store.h"
#include "wipe.h"

struct walk {
	struct audit_key key;	/* the next sealed record's key */
	int have_key;
	uint64_t first_sealed;	/* the verification key's position */
	uint64_t anchor_seq;	/* 0: no anchor */
	uint8_t anchor_head[AUDIT_HASH_LEN];
	int anchor_seen;
	int64_t last;		/* the id of the record before */
	uint8_t expect[AUDIT_HASH_LEN];
	uint64_t records, sealed, unsealed;
	int64_t purged_to;	/* the checkpoint's time, or 0 */
	uint64_t retention;	/* --retention, in seconds, or 0 */
	char why[256];		/* the first failure */
};

/* A 32-byte field of rec into out: 0, or -1 if missing or malformed. */
static int
field_hash(const struct wfield *rec, uint8_t tag, uint8_t out[AUDIT_HASH_LEN])
{
	struct wfield f;

	if (wire_find_in(rec, tag, &f) != 0 || f.len != AUDIT_HASH_LEN)
		return -1;
	memcpy(out, f.val, AUDIT_HASH_LEN);
	return 0;
}

/* The record's fields, as the daemon hashed them. */
struct fields {
	char text[8][PROTO_MAX_TEXT + 1];
};

static int
read_record(const struct wfield *rec, struct audit_rec *r, struct fields *t)
{
	static const uint8_t tags[8] = { PROTO_T_EVENT, PROTO_T_ACTOR,
					 PROTO_T_USER, PROTO_T_RHOST,
					 PROTO_T_SERVICE, PROTO_T_TTY,
					 PROTO_T_RESULT, PROTO_T_REASON };
	struct wfield f;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 8; i++) {
		t->text[i][0] = '\0';
		if (wire_find_in(rec, tags[i], &f) == 0 &&
		    wire_str(&f, t->text[i], sizeof(t->text[i])) != 0)
			return -1;
	}
	r->event = t->text[0];
	if (strlen(t->text[1]) >= sizeof(r->actor))
		return -1;
	memcpy(r->actor, t->text[1], strlen(t->text[1]) + 1);
	r->user = t->text[2];
	r->host = t->text[3];
	r->service = t->text[4];
	r->tty = t->text[5];
	r->result = t->text[6];
	r->reason = t->text[7];
	r->id = (int64_t)field_u64(NULL, rec, PROTO_T_ID);
	r->time = (int64_t)field_u64(NULL, rec, PROTO_T_TIME);
	r->actor_uid = (int64_t)field_u64(NULL, rec, PROTO_T_ACTOR_UID);
	r->sealed = field_hash(rec, PROTO_T_SEAL, r->seal) == 0;
	return field_hash(rec, PROTO_T_PREV, r->prev) != 0 ||
			       field_hash(rec, PROTO_T_HASH, r->hash) != 0
		       ? -1
		       : 0;
}

/* The seal of the record at id, dated t, with hash; 0, or -1 with why. */
static int
seal_holds(struct walk *w, int64_t id, int64_t t,
	   const uint8_t hash[AUDIT_HASH_LEN], int sealed,
	   const uint8_t seal[AUDIT_HASH_LEN], const char *what)
{
	if (!w->have_key || id < 1 || (uint64_t)id < w->key.pos) {
		w->unsealed += w->have_key && id > 0;
		return 0;
	}
	if (!sealed) {
		snprintf(w->why, sizeof(w->why), "%s %lld: not sealed, though "
			 "sealing began at record %llu", what, (long long)id,
			 (unsigned long long)w->first_sealed);
		return -1;
	}
	if (audit_key_seek(&w->key, (uint64_t)id) != 0)
		return -1;	/* ids only go up: checked before */
	if (t < 0 || audit_key_seek_time(&w->key, (uint64_t)t) != 0) {
		snprintf(w->why, sizeof(w->why), "%s %lld: dated before the "
			 "record before it (a record written later with an "
			 "earlier date, or sealed with a stolen key)", what,
			 (long long)id);
		return -1;
	}
	if (!audit_key_check(&w->key, hash, seal)) {
		snprintf(w->why, sizeof(w->why), "%s %lld: its seal is not "
			 "the one of its position's key (changed, inserted, "
			 "or sealed again with a later key)", what,
			 (long long)id);
		return -1;
	}
	w->sealed++;
	return 0;
}

static int
one_record(const struct wfield *rec, void *arg)
{
	struct walk *w = arg;
	uint8_t again[AUDIT_HASH_LEN];
	struct audit_rec r;
	struct fields t;

	if (read_record(rec, &r, &t) != 0) {
		snprintf(w->why, sizeof(w->why), "a record after %lld is "
			 "malformed", (long long)w->last);
		return -1;
	}
	if (r.id != w->last + 1) {
		if (r.id > w->last + 1)
			snprintf(w->why, sizeof(w->why), "records %lld to "
				 "%lld are missing (removed)",
				 (long long)w->last + 1, (long long)r.id - 1);
		else
			snprintf(w->why, sizeof(w->why), "record %lld comes "
				 "after record %lld (inserted or moved)",
				 (long long)r.id, (long long)w->last);
		return -1;
	}
	store_record_hash(r.prev, &r, again);
	if (memcmp(r.prev, w->expect, AUDIT_HASH_LEN) != 0) {
		snprintf(w->why, sizeof(w->why), "record %lld: does not follow "
			 "record %lld (changed, inserted or moved)",
			 (long long)r.id, (long long)w->last);
		return -1;
	}
	if (memcmp(r.hash, again, AUDIT_HASH_LEN) != 0) {
		snprintf(w->why, sizeof(w->why), "record %lld: its fields "
			 "were changed", (long long)r.id);
		return -1;
	}
	if (seal_holds(w, r.id, r.time, r.hash, r.sealed, r.seal,
		       "record") != 0)
		return -1;
	if (w->anchor_seq == (uint64_t)r.id) {
		w->anchor_seen = 1;
		if (memcmp(r.hash, w->anchor_head, AUDIT_HASH_LEN) != 0) {
			snprintf(w->why, sizeof(w->why), "record %lld: not "
				 "the record the anchor saw (the trail was "
				 "changed, or cut and grown again)",
				 (long long)r.id);
			return -1;
		}
	}
	memcpy(w->expect, r.hash, AUDIT_HASH_LEN);
	w->last = r.id;
	w->records++;
	return 0;
}

/* "seq=N head=HEX" */
static int
parse_anchor(const char *s, struct walk *w)
{
	char hex[2 * AUDIT_HASH_LEN + 2];
	unsigned long long seq;
	size_t len;
	int n = -1;

	if (sscanf(s, "seq=%llu head=%65s%n", &seq, hex, &n) != 2 ||
	    n < 0 || s[n] != '\0' || seq == 0 ||
	    strlen(hex) != 2 * AUDIT_HASH_LEN ||
	    sodium_hex2bin(w->anchor_head, AUDIT_HASH_LEN, hex, strlen(hex),
			   NULL, &len, NULL) != 0 ||
	    len != AUDIT_HASH_LEN)
		return -1;
	w->anchor_seq = seq;
	return 0;
}

/* The checkpoint a purge left, where the chain starts. */
static int
start_at_checkpoint(struct ctl *c, struct walk *w)
{
	struct wfield cp;
	uint8_t seal[AUDIT_HASH_LEN];
	int rc = call(c, PROTO_AUDIT_VERIFY, NULL, NULL, NULL, NULL);

	if (rc != 0)
		return rc;
	if (c->msg.status != PROTO_OK)
		return refused(c, "");
	memset(w->expect, 0, sizeof(w->expect));
	w->last = 0;
	if (wire_find(&c->msg, PROTO_T_CHECKPOINT, &cp) != 0)
		return 0;
	w->last = (int64_t)field_u64(NULL, &cp, PROTO_T_ID);
	if (w->last == 0)
		return 0;
	if (field_hash(&cp, PROTO_T_HASH, w->expect) != 0) {
		snprintf(w->why, sizeof(w->why), "the checkpoint is "
			 "malformed");
		return EXIT_REFUSED;
	}
	w->purged_to = (int64_t)field_u64(NULL, &cp, PROTO_T_TIME);
	if (seal_holds(w, w->last, w->purged_to, w->expect,
		       field_hash(&cp, PROTO_T_SEAL, seal) == 0, seal,
		       "the checkpoint of record") != 0)
		return EXIT_REFUSED;
	if (w->retention != 0 &&
	    (w->purged_to <= 0 ||
	     (uint64_t)w->purged_to + w->retention > (uint64_t)time(NULL))) {
		snprintf(w->why, sizeof(w->why), "records up to %lld were "
			 "purged, the last of them younger than the "
			 "retention given (--retention): removed before "
			 "their time", (long long)w->last);
		return EXIT_REFUSED;
	}
	if (w->anchor_seq == (uint64_t)w->last) {
		w->anchor_seen = 1;
		if (memcmp(w->expect, w->anchor_head, AUDIT_HASH_LEN) != 0) {
			snprintf(w->why, sizeof(w->why), "the checkpoint of "
				 "record %lld: not the one of the anchor",
				 (long long)w->last);
			return EXIT_REFUSED;
		}
	}
	return 0;
}

/* Whether the anchor holds, once the whole trail was read. */
static int
anchor_holds(struct walk *w, int64_t first)
{
	if (w->anchor_seq == 0 || w->anchor_seen)
		return 1;
	if (w->anchor_seq > (uint64_t)w->last)
		snprintf(w->why, sizeof(w->why), "the trail ends at record "
			 "%lld, but the anchor says record %llu existed: "
			 "records were removed from its end", (long long)w->last,
			 (unsigned long long)w->anchor_seq);
	else
		snprintf(w->why, sizeof(w->why), "the anchor's record %llu "
			 "was purged (retention) before record %lld: it cannot "
			 "be checked", (unsigned long long)w->anchor_seq,
			 (long long)first);
	return 0;
}

/* The walk itself, into *w: 0, EXIT_REFUSED with w->why, or EXIT_USAGE
 * (a bad key or anchor, said on stderr, or no exchange). */
static int
verify_walk(struct ctl *c, const char *key_text, const char *anchor,
	    uint64_t retention, struct walk *w, int64_t *first)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->retention = retention;
	if (key_text != NULL && audit_key_parse(key_text, &w->key) != 0) {
		fprintf(stderr, "policyctl: --key: not a verification key "
			"(psk2-POSITION-T0-HEX, as policyd --setup-seal printed "
			"it)\n");
		return EXIT_USAGE;
	}
	w->have_key = key_text != NULL;
	w->first_sealed = w->key.pos;
	if (anchor != NULL && parse_anchor(anchor, w) != 0) {
		fprintf(stderr, "policyctl: --anchor: expected 'seq=N "
			"head=HEX' as in the audit log lines\n");
		audit_key_wipe(&w->key);
		return EXIT_USAGE;
	}
	rc = start_at_checkpoint(c, w);
	*first = w->last + 1;
	if (rc == 0)
		rc = audit_each(c, one_record, w);
	if (rc == 0 && !anchor_holds(w, *first))
		rc = EXIT_REFUSED;
	audit_key_wipe(&w->key);
	if (w->why[0] != '\0')
		return EXIT_REFUSED;
	return rc < 0 ? EXIT_REFUSED : rc;
}

int
audit_key_arg(char *arg, const char *file, char *buf, size_t size)
{
	FILE *fp;
	int rc;

	if (file != NULL) {
		fp = fopen(file, "re");
		if (fp == NULL) {
			fprintf(stderr, "policyctl: --key-file %s: %s\n", file,
				strerror(errno));
			return -1;
		}
		setvbuf(fp, NULL, _IONBF, 0);
		rc = read_line(fp, buf, size);
		fclose(fp);
		if (rc != 0)
			fprintf(stderr, "policyctl: --key-file %s: no key on "
				"its first line\n", file);
		return rc;
	}
	if (strcmp(arg, "-") == 0) {
		if (read_stdin_secret(buf, size) == 0)
			return 0;
		fprintf(stderr, "policyctl: --key -: no key on standard "
			"input\n");
		return -1;
	}
	/* On the command line the key is in /proc/PID/cmdline, which every
	 * local user may read: taken out of it at once, and said. */
	snprintf(buf, size, "%s", arg);
	wipe_str(arg);
	fprintf(stderr, "policyctl: warning: a key on the command line can be "
		"read by any local user while policyctl starts, and stays in "
		"the shell's history; use --key - or --key-file FILE\n");
	return 0;
}

int
audit_verify_quiet(struct ctl *c, const char *key_text, char *why,
		   size_t whysz, uint64_t *records, uint64_t *sealed)
{
	struct walk w;
	int64_t first;
	int rc = verify_walk(c, key_text, NULL, 0, &w, &first);

	snprintf(why, whysz, "%s", w.why);
	*records = w.records;
	*sealed = w.sealed;
	WIPE_OBJ(w);
	return rc;
}

int
audit_verify_local(struct ctl *c, const char *key_text, const char *anchor,
		   uint64_t retention)
{
	struct walk w;
	char when[32];
	int64_t first;
	int rc = verify_walk(c, key_text, anchor, retention, &w, &first);

	if (w.why[0] != '\0') {
		printf("broken: %s\n", w.why);
		return EXIT_REFUSED;
	}
	if (rc != 0)
		return rc;
	printf("ok: %llu records (%lld to %lld), each following the one "
	       "before", (unsigned long long)w.records, (long long)first,
	       (long long)w.last);
	if (w.have_key)
		printf("; %llu sealed with the key of their position, %llu "
		       "from before sealing began", (unsigned long long)w.sealed,
		       (unsigned long long)w.unsealed);
	else
		printf("; the seal was not checked (no --key)");
	if (w.anchor_seq != 0)
		printf("; the anchor's record %llu is in the trail",
		       (unsigned long long)w.anchor_seq);
	if (first > 1) {
		format_time((uint64_t)w.purged_to, when, sizeof(when));
		printf("; records 1 to %lld were purged, the last of them "
		       "dated %s%s", (long long)first - 1, when,
		       retention != 0 ? ", older than the retention given"
				      : " (--retention checks that it was "
					"their time)");
	}
	printf("\n");
	return 0;
}
