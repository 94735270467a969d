/*
 * doctor_rules.c - what one service's PAM stacks let through, for
 * policyctl doctor; the rules are listed in policyctl(8), DOCTOR.
 *
 * A stack is walked as libpam 1.5's _pam_dispatch_aux walks it (the
 * impression and status, ok/done/bad/die/reset/jumps, substacks as one
 * line for a jump over them, done and die ending only their substack,
 * a jump never setting the impression), with each module's result given
 * by an outcome: pam_policyd's lines succeed or fail together, pam_deny
 * fails, and every other module is taken to succeed -- the path of a
 * user every other module accepts.  Nothing more of PAM is emulated: a
 * module's own behaviour (pam_succeed_if's test, pam_unix's nullok) is
 * not read.
 */
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "doctor.h"

#define IMP_UNDEF 0
#define IMP_POS 1
#define IMP_NEG (-1)
#define MAX_LEVEL (8 + 2)
#define LINE_TEXT 512	/* FILE:LINE (CONTROL MODULE) */

/* What a walk did at each line. */
#define RAN 1		/* the module was called */
#define GAVE 2		/* and its success counted (not ignored) */

/* How every pam_policyd.so line answers in one walk, and optionally one
 * other line (a pam_succeed_if gate) whose result is forced. */
struct outcome {
	int policyd;		/* R_* */
	long gate;		/* index, or -1 */
	int gate_res;
};

static int
result_of(const struct pline *l, long i, const struct outcome *o)
{
	if (l->must_fail)
		return R_PERM_DENIED;
	if (i == o->gate)
		return o->gate_res;
	if (l->kind == K_DENY)
		return R_AUTH_ERR;
	if (l->kind != K_POLICYD)
		return R_SUCCESS;
	if (l->bad_arg)
		return R_SERVICE_ERR;
	if (l->mode == M_AUTHFAIL)
		return R_AUTH_ERR;	/* it never succeeds */
	return o->policyd;
}

struct walk {
	int imp, status;
	int sub_imp[MAX_LEVEL], sub_status[MAX_LEVEL];
};

/* ok and done: the success (or failure kept) of one line. */
static void
take(struct walk *w, int r)
{
	if (w->imp == IMP_UNDEF || (w->imp == IMP_POS &&
				    w->status == R_SUCCESS)) {
		w->imp = IMP_POS;
		w->status = r;
	}
}

/* Past the lines a jump of n from line i skips; -1 if it runs off the
 * end (libpam: "bad jump in stack", a failure). */
static long
jump(const struct pstack *s, long i, int n)
{
	int lvl = s->v[i].level;

	while ((size_t)i + 1 < s->n && s->v[i + 1].level >= lvl && n > 0) {
		do
			i++;
		while ((size_t)i + 1 < s->n && s->v[i + 1].level > lvl);
		n--;
	}
	return n > 0 ? -1 : i;
}

/* Past the rest of line i's (sub)stack: done or die. */
static long
decided(const struct pstack *s, long i)
{
	int lvl = s->v[i].level;

	while ((size_t)i + 1 < s->n && s->v[i + 1].level >= lvl)
		i++;
	return i;
}

/* Walks s with outcome o; marks ran[i] (RAN, GAVE) if ran is not NULL.
 * Returns whether the stack succeeds. */
static int
walk_stack(const struct pstack *s, const struct outcome *o,
	   unsigned char *ran)
{
	struct walk w = { .imp = IMP_UNDEF, .status = R_PERM_DENIED };
	int prev = 0, lvl, r, a;
	long next;

	for (long i = 0; (size_t)i < s->n; prev = lvl, i++) {
		lvl = s->v[i].level < MAX_LEVEL ? s->v[i].level : MAX_LEVEL - 1;
		if (prev < lvl) {
			w.sub_imp[lvl] = w.imp;
			w.sub_status[lvl] = w.status;
		}
		if (s->v[i].marker)
			continue;
		r = result_of(&s->v[i], i, o);
		a = s->v[i].act[r];
		if (ran != NULL)
			ran[i] = RAN | (r == R_SUCCESS && a != A_IGNORE &&
					a != A_BAD && a != A_DIE ? GAVE : 0);
		if (a == A_RESET) {
			w.imp = w.sub_imp[lvl];
			w.status = w.sub_status[lvl];
		} else if (a == A_OK || a == A_DONE) {
			take(&w, r);
			if (w.imp == IMP_POS && a == A_DONE)
				i = decided(s, i);
		} else if (a == A_BAD || a == A_DIE || a == A_UNDEF) {
			if (w.imp != IMP_NEG) {
				w.imp = IMP_NEG;
				w.status = r;
			}
			if (a == A_DIE)
				i = decided(s, i);
		} else if (a > 0) {
			next = jump(s, i, a);
			if (next < 0) {
				w.imp = IMP_NEG;
				w.status = R_PERM_DENIED;
			} else {
				i = next;
			}
		}
	}
	return w.imp == IMP_POS && w.status == R_SUCCESS;
}

/* A line as findings name it: "FILE:LINE (MODULE CONTROL)". */
static const char *
line_text(const struct pline *l, char *buf, size_t size)
{
	snprintf(buf, size, "%s (%s %s)", l->where, l->control, l->module);
	return buf;
}

static long
first_policyd(const struct pstack *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind == K_POLICYD && !s->v[i].marker)
			return (long)i;
	return -1;
}

/* --- Rule 1: the daemon answers ---------------------------------------- */

/* Pings socket as the module would, trusting root and user. */
static void
ping_one(struct doctor *d, const char *svc, const char *socket,
	 const char *user)
{
	char err[PATH_MAX + 128], version[PROTO_MAX_TEXT + 1];
	static uint8_t reply[PROTO_MAX_FRAME];
	uint8_t req[256];
	struct pclient pc;
	struct wwriter w;
	struct wmsg msg;
	uid_t uid;
	int rc, known = client_daemon_uid(user, &uid);

	rc = client_open_as(&pc, socket, uid, 5000, err, sizeof(err));
	if (rc == CLIENT_OK) {
		ww_init(&w, req, sizeof(req));
		client_begin(&pc, &w, PROTO_PING);
		rc = client_call(&pc, &w, reply, sizeof(reply), &msg);
		client_close(&pc);
		snprintf(err, sizeof(err), "%s: %s", socket,
			 client_strerror(rc));
	}
	if (rc != CLIENT_OK) {
		doctor_add(d, svc, D_ERROR, "daemon", "%s%s; logins through "
			   "this service fail", err, known == 0 ? ""
			   : " (no daemon user named by daemon_user: only "
			     "root is trusted)");
		return;
	}
	if (wire_get_str(&msg, PROTO_T_VERSION, version, sizeof(version)))
		snprintf(version, sizeof(version), "(version unknown)");
	doctor_add(d, svc, D_OK, "daemon", "policyd %s answers on %s "
		   "(daemon user %s)", version, socket, user);
}

/* Each distinct socket= and daemon_user= of the service's lines. */
static void
rule_daemon(struct doctor *d, const struct service *svc)
{
	const struct pline *seen[16], *l;
	size_t nseen = 0, k;

	for (int t = 0; t < P_NTYPES; t++) {
		for (size_t i = 0; i < svc->s[t].n && nseen < 16; i++) {
			l = &svc->s[t].v[i];
			if (l->kind != K_POLICYD || l->marker)
				continue;
			for (k = 0; k < nseen; k++)
				if (strcmp(seen[k]->socket, l->socket) == 0 &&
				    strcmp(seen[k]->daemon_user,
					   l->daemon_user) == 0)
					break;
			if (k < nseen)
				continue;
			seen[nseen++] = l;
			if (!d->live)
				doctor_add(d, svc->name, D_OK, "daemon",
					   "%s: not checked (--root)",
					   l->socket);
			else
				ping_one(d, svc->name, l->socket,
					 l->daemon_user);
		}
	}
}

/* --- Rule 2: a password module past policyd ----------------------------- */

/* The line that let the walk succeed without policyd: the first listed
 * password module whose success counted, else the first other module. */
static long
culprit(const struct pstack *s, const unsigned char *ran, int *password)
{
	long other = -1;

	for (size_t i = 0; i < s->n; i++) {
		if (!(ran[i] & GAVE) || s->v[i].kind == K_POLICYD)
			continue;
		if (s->v[i].kind == K_PASSWORD) {
			*password = 1;
			return (long)i;
		}
		if (other < 0)
			other = (long)i;
	}
	*password = 0;
	return other;
}

/* The walk in which policyd answers with res: a finding if the stack
 * still succeeds.  Returns 1 if it does. */
static int
bypass(struct doctor *d, const struct service *svc, int res,
       const char *when)
{
	const struct pstack *s = &svc->s[P_AUTH];
	struct outcome o = { res, -1, 0 };
	char a[LINE_TEXT], b[LINE_TEXT];
	unsigned char *ran = calloc(s->n ? s->n : 1, 1);
	long bad, pol = first_policyd(s);
	int password = 0, ok;

	if (ran == NULL)
		return 0;
	ok = walk_stack(s, &o, ran);
	bad = ok ? culprit(s, ran, &password) : -1;
	if (ok && bad >= 0)
		doctor_add(d, svc->name, password ? D_ERROR : D_WARNING,
			   "auth", "a login passes without policyd %s: %s "
			   "%s%s; pam_policyd.so at %s", when,
			   line_text(&s->v[bad], a, sizeof(a)),
			   password ? "lets it through"
				    : "lets it through if it succeeds",
			   bad < pol ? " before policyd is asked" : "",
			   line_text(&s->v[pol], b, sizeof(b)));
	else if (ok)
		doctor_add(d, svc->name, D_ERROR, "auth", "a login passes "
			   "without policyd %s (no module decides)", when);
	free(ran);
	return ok;
}

static void
rule_auth(struct doctor *d, const struct service *svc)
{
	const struct pstack *s = &svc->s[P_AUTH];
	struct outcome yes = { R_SUCCESS, -1, 0 };
	int open;

	if (first_policyd(s) < 0) {
		doctor_add(d, svc->name, D_OK, "auth", "pam_policyd.so is "
			   "not in the auth stack: other modules check "
			   "passwords here");
		return;
	}
	open = bypass(d, svc, R_AUTH_ERR, "when policyd refuses it");
	if (!open)
		open = bypass(d, svc, R_AUTHINFO_UNAVAIL,
			      "when policyd is unreachable");
	if (!walk_stack(s, &yes, NULL))
		doctor_add(d, svc->name, D_WARNING, "auth", "the stack fails "
			   "even when policyd accepts the login");
	else if (!open)
		doctor_add(d, svc->name, D_OK, "auth", "no module lets a "
			   "login through when policyd refuses it or is "
			   "unreachable");
}

/* --- Rule 3: accounts policyd does not know ----------------------------- */

/* Whether a walk of the account stack with o calls pam_policyd.so. */
static int
asks_policyd(const struct pstack *s, const struct outcome *o)
{
	unsigned char *ran = calloc(s->n ? s->n : 1, 1);
	int asked = 0;

	if (ran == NULL)
		return 1;
	walk_stack(s, o, ran);
	for (size_t i = 0; i < s->n; i++)
		asked |= (ran[i] & RAN) && s->v[i].kind == K_POLICYD;
	free(ran);
	return asked;
}

/* Whether the group is in the root's /etc/group: 1, 0, or -1 (no such
 * file). */
static int
in_group_file(const struct doctor *d, const char *name)
{
	char path[PATH_MAX];
	struct group *g;
	FILE *fp;
	int found = 0;

	if (doctor_rooted(d, "/etc/group", path, sizeof(path)) != 0 ||
	    (fp = fopen(path, "re")) == NULL)
		return -1;
	while (!found && (g = fgetgrent(fp)) != NULL)
		found = strcmp(g->gr_name, name) == 0;
	fclose(fp);
	return found;
}

/* A gate's group must resolve: pam_succeed_if counts no one in a group
 * it cannot look up.  With "ingroup" (members go through policyd) that
 * sends them to the rest of the stack, an error when the group does not
 * exist and a warning when it comes from a directory service that may be
 * down; with "notingroup" it sends everyone to policyd (a warning). */
static void
check_gate_group(struct doctor *d, const struct service *svc,
		 const char *group, int members_to_policyd)
{
	if (in_group_file(d, group) == 1)
		return;
	if (d->live && getgrnam(group) != NULL) {
		doctor_add(d, svc->name, D_WARNING, "account", "group %s is "
			   "not in /etc/group: while its directory service "
			   "cannot be reached, pam_succeed_if counts no one in "
			   "it, and %s", group, members_to_policyd
			   ? "its members skip policyd for the rest of the "
			     "stack" : "everyone goes through policyd");
		return;
	}
	doctor_add(d, svc->name, members_to_policyd ? D_ERROR : D_WARNING,
		   "account", "group %s does not exist: pam_succeed_if counts "
		   "no one in it, so %s (groupadd --system %s)", group,
		   members_to_policyd ? "the accounts meant for policyd skip "
		   "it and log in through the rest of the stack"
		   : "everyone goes through policyd", group);
}

/* The gate of line g: members of its group (or the users its test
 * passes, pass_skips 0) go through policyd. */
static void
say_gate(struct doctor *d, const struct service *svc, const struct pline *g,
	 int pass_skips)
{
	char a[LINE_TEXT];

	if (g->group[0] != '\0')
		check_gate_group(d, svc, g->group,
				 g->notingroup == pass_skips);
	if (g->group[0] != '\0' && g->notingroup == pass_skips)
		doctor_add(d, svc->name, D_OK, "account", "members of group "
			   "%s go through policyd, everyone else through the "
			   "rest of the stack (gate at %s)", g->group,
			   line_text(g, a, sizeof(a)));
	else if (g->group[0] != '\0')
		doctor_add(d, svc->name, D_OK, "account", "users outside "
			   "group %s go through policyd, its members through "
			   "the rest of the stack (gate at %s)", g->group,
			   line_text(g, a, sizeof(a)));
	else
		doctor_add(d, svc->name, D_OK, "account", "users for whom "
			   "\"%s\" is %s go through policyd, the others "
			   "through the rest of the stack (gate at %s)",
			   g->cond, pass_skips ? "false" : "true",
			   line_text(g, a, sizeof(a)));
}

/* A pam_succeed_if line above pam_policyd.so one of whose results
 * skips it; 1 if found (and said). */
static int
gate(struct doctor *d, const struct service *svc)
{
	const struct pstack *s = &svc->s[P_ACCOUNT];
	long pol = first_policyd(s);
	struct outcome o = { R_USER_UNKNOWN, -1, 0 };

	for (long i = 0; i < pol; i++) {
		if (s->v[i].kind != K_SUCCEED_IF || s->v[i].marker)
			continue;
		o.gate = i;
		o.gate_res = R_AUTH_ERR;
		if (!asks_policyd(s, &o)) {
			say_gate(d, svc, &s->v[i], 0);
			return 1;
		}
		o.gate_res = R_SUCCESS;
		if (!asks_policyd(s, &o)) {
			say_gate(d, svc, &s->v[i], 1);
			return 1;
		}
	}
	return 0;
}

static void
rule_account(struct doctor *d, const struct service *svc)
{
	const struct pstack *s = &svc->s[P_ACCOUNT];
	struct outcome unknown = { R_USER_UNKNOWN, -1, 0 };
	struct outcome down = { R_AUTHINFO_UNAVAIL, -1, 0 };
	long pol = first_policyd(s);
	char a[LINE_TEXT];

	if (pol < 0) {
		doctor_add(d, svc->name, first_policyd(&svc->s[P_AUTH]) >= 0
			   ? D_WARNING : D_OK, "account", "pam_policyd.so is "
			   "not in the account stack: a disabled user can "
			   "still log in without a password (a public key)");
		return;
	}
	if (walk_stack(s, &down, NULL))
		doctor_add(d, svc->name, D_WARNING, "account", "when policyd "
			   "is unreachable the account stack still succeeds: "
			   "disabled users are not refused (%s)",
			   line_text(&s->v[pol], a, sizeof(a)));
	if (gate(d, svc))
		return;
	if (!walk_stack(s, &unknown, NULL))
		doctor_add(d, svc->name, D_WARNING, "account", "root and "
			   "service accounts cannot log in through this "
			   "service while policyd does not know them: %s "
			   "refuses users not in its store", line_text(
			   &s->v[pol], a, sizeof(a)));
	else
		doctor_add(d, svc->name, D_OK, "account", "users policyd "
			   "does not know pass the account stack; policyd "
			   "refuses the disabled ones (%s)",
			   line_text(&s->v[pol], a, sizeof(a)));
}

/* --- Rule 4: totp_only ---------------------------------------------------- */

static void
rule_totp(struct doctor *d, const struct service *svc)
{
	const struct pstack *s = &svc->s[P_AUTH];
	int password = 0, succ;
	char a[LINE_TEXT];

	for (size_t i = 0; i < s->n; i++) {
		password |= s->v[i].kind == K_PASSWORD;
		if (s->v[i].kind != K_POLICYD || !s->v[i].totp_only)
			continue;
		succ = 0;
		for (size_t k = i + 1; k < s->n; k++)
			succ |= s->v[k].kind == K_POLICYD &&
				s->v[k].mode == M_AUTHSUCC;
		if (!password)
			doctor_add(d, svc->name, D_WARNING, "totp", "%s: "
				   "totp_only with no password module above "
				   "it: nothing here checks the password",
				   line_text(&s->v[i], a, sizeof(a)));
		if (!succ)
			doctor_add(d, svc->name, D_WARNING, "totp", "%s: "
				   "totp_only not followed by an authsucc "
				   "line: a right code does not clear the "
				   "account's earlier failures (end the stack "
				   "with \"auth sufficient pam_policyd.so "
				   "authsucc\")",
				   line_text(&s->v[i], a, sizeof(a)));
	}
}

void
doctor_rules(struct doctor *d, const struct service *svc)
{
	rule_daemon(d, svc);
	rule_auth(d, svc);
	rule_account(d, svc);
	rule_totp(d, svc);
}
