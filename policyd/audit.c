/* audit.c - see audit.h. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sodium.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "proto.h"
#include "text.h"
#include "store.h"

/* key=value, with the value quoted when it holds a blank, '"' or '='
 * (and such characters escaped), so a name cannot forge another key. */
static void
put_kv(char *buf, size_t size, size_t *off, const char *key, const char *v)
{
	size_t o = *off;
	int quote = strpbrk(v, " \t\"=\\") != NULL || v[0] == '\0';

	o += (size_t)snprintf(buf + o, o < size ? size - o : 0, " %s=%s", key,
			      quote ? "\"" : "");
	for (; *v != '\0' && o + 3 < size; v++) {
		if (*v == '"' || *v == '\\')
			buf[o++] = '\\';
		buf[o++] = (unsigned char)*v < 0x20 ? '?' : *v;
	}
	if (quote && o + 1 < size)
		buf[o++] = '"';
	if (o < size)
		buf[o] = '\0';
	*off = o < size ? o : size - 1;
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* Under systemd, whose journal reads the daemon's stderr (JOURNAL_STREAM
 * is set then): records go to the journal with their fields apart. */
static int
under_journal(void)
{
	static int known, yes;

	if (!__atomic_load_n(&known, __ATOMIC_ACQUIRE)) {
		const char *s = getenv("JOURNAL_STREAM");

		__atomic_store_n(&yes, s != NULL && s[0] != '\0',
				 __ATOMIC_RELAXED);
		__atomic_store_n(&known, 1, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&yes, __ATOMIC_RELAXED);
}

/* One field's value, cleaned as the line is: a control or invalid UTF-8
 * would forge lines for whoever reads them as text. */
static const char *
clean(char *buf, size_t size, const char *v)
{
	snprintf(buf, size, "%s", or_empty(v));
	text_clean(buf);
	return buf;
}

/* The same record in the journal: MESSAGE is the syslog line, and each
 * field is a POLICYD_* field of its own. */
static void
to_journal(const struct audit_rec *r, const char *line, const char *head)
{
	char f[7][PROTO_MAX_TEXT + 1], actor[sizeof(r->actor)];

	sd_journal_send("MESSAGE=audit%s", line,
			"PRIORITY=%d", LOG_NOTICE,
			"SYSLOG_FACILITY=%d", LOG_AUTHPRIV >> 3,
			"SYSLOG_IDENTIFIER=policyd",
			"POLICYD_SEQ=%lld", (long long)r->id,
			"POLICYD_HEAD=%s", head,
			"POLICYD_EVENT=%s", clean(f[0], sizeof(f[0]), r->event),
			"POLICYD_USER=%s", clean(f[1], sizeof(f[1]), r->user),
			"POLICYD_HOST=%s", clean(f[2], sizeof(f[2]), r->host),
			"POLICYD_SERVICE=%s",
			clean(f[3], sizeof(f[3]), r->service),
			"POLICYD_TTY=%s", clean(f[4], sizeof(f[4]), r->tty),
			"POLICYD_RESULT=%s",
			clean(f[5], sizeof(f[5]), r->result),
			"POLICYD_REASON=%s",
			clean(f[6], sizeof(f[6]), r->reason),
			"POLICYD_ACTOR_UID=%lld", (long long)r->actor_uid,
			"POLICYD_ACTOR=%s", clean(actor, sizeof(actor), r->actor),
			NULL);
}

static void
to_syslog(const struct audit_rec *r)
{
	char line[1024], uid[24], head[2 * AUDIT_HASH_LEN + 1];
	size_t off;

	snprintf(uid, sizeof(uid), "%lld", (long long)r->actor_uid);
	/* The record's number and the chain's head after it: a copy of
	 * this line elsewhere proves how long the trail was (policyctl
	 * audit verify --anchor). */
	sodium_bin2hex(head, sizeof(head), r->hash, AUDIT_HASH_LEN);
	off = (size_t)snprintf(line, sizeof(line), " seq=%lld head=%s",
			       (long long)r->id, head);
	put_kv(line, sizeof(line), &off, "event", or_empty(r->event));
	put_kv(line, sizeof(line), &off, "user", or_empty(r->user));
	put_kv(line, sizeof(line), &off, "host", or_empty(r->host));
	put_kv(line, sizeof(line), &off, "service", or_empty(r->service));
	put_kv(line, sizeof(line), &off, "tty", or_empty(r->tty));
	put_kv(line, sizeof(line), &off, "result", or_empty(r->result));
	put_kv(line, sizeof(line), &off, "reason", or_empty(r->reason));
	put_kv(line, sizeof(line), &off, "actor_uid", uid);
	put_kv(line, sizeof(line), &off, "actor", r->actor);
	text_clean(line);	/* a control or invalid UTF-8 would forge lines */
	if (under_journal())
		to_journal(r, line, head);
	else
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit%s", line);
}

int
audit_done(struct audit_rec *r)
{
	if (r == NULL || !r->committed)
		return 0;
	to_syslog(r);
	if (r->recorded != NULL)
		*r->recorded = 1;
	return 1;
}

void
audit_unknown_name(const uint8_t key[32], const char *name,
		   char out[AUDIT_UNKNOWN_SIZE])
{
	uint8_t sub[crypto_kdf_KEYBYTES], h[crypto_generichash_BYTES_MIN];

	crypto_kdf_derive_from_key(sub, sizeof(sub), 1, "unknname", key);
	crypto_generichash(h, sizeof(h), (const uint8_t *)name, strlen(name),
			   sub, sizeof(sub));
	snprintf(out, AUDIT_UNKNOWN_SIZE, "(unknown:%02x%02x%02x%02x)", h[0],
		 h[1], h[2], h[3]);
	sodium_memzero(sub, sizeof(sub));
	sodium_memzero(h, sizeof(h));
}

int
audit_is_unknown(const char *user)
{
	return strncmp(user, "(unknown", 8) == 0;
}

int
audit_now(struct store *st, struct audit_rec *rec)
{
	struct audit_rec *one[1] = { rec };

	if (store_audit_append(st, one, 1) != STORE_OK)
		return -1;
	return audit_done(rec) ? 0 : -1;
}

void
audit_actor(struct audit_rec *rec, uid_t uid)
{
	struct passwd pw, *p = NULL;
	char buf[4096];

	rec->actor_uid = uid;
	rec->actor[0] = '\0';
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &p) == 0 && p != NULL)
		snprintf(rec->actor, sizeof(rec->actor), "%s", p->pw_name);
}

