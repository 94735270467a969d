/*
 * doctor.h - policyctl doctor: what the parts of the check share.
 *
 * doctor.c runs the command and prints the findings; doctor_pam.c reads
 * the PAM service files into stacks; doctor_rules.c walks those stacks
 * the way libpam does and says what they let through; doctor_files.c
 * checks the owners and modes of policyd's files.  Everything read from
 * a file is untrusted: it is kept raw in the findings and made safe only
 * when printed (text_vis or jtext).
 */
#ifndef POLICYCTL_DOCTOR_H
#define POLICYCTL_DOCTOR_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "proto.h"

enum dsev { D_OK, D_WARNING, D_ERROR };

struct finding {
	char group[NAME_MAX + 1];	/* a service, "pam.d" or "files" */
	enum dsev sev;
	char check[16];			/* daemon, auth, account, totp, ... */
	char msg[1024];
};

struct doctor {
	char root[PATH_MAX];	/* "" for /, else a real path, no final / */
	int live;		/* root is /: ping the daemon */
	const char *config;	/* policyd.conf, as seen inside the root */
	struct finding *v;
	size_t n, cap;
	int full;		/* findings were dropped (out of memory) */
};

/* Adds one finding (msg cut to fit); never fails, but marks d->full. */
void doctor_add(struct doctor *d, const char *group, enum dsev sev,
		const char *check, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* path (absolute, as seen inside the root) as a path on this system, in
 * out (size bytes); -1 if too long. */
int doctor_rooted(const struct doctor *d, const char *path, char *out,
		  size_t size);

/* The PAM services under root/etc/pam.d that use pam_policyd.so. */
void doctor_pam(struct doctor *d);

/* policyd.conf, its key file, store and runtime directory. */
void doctor_files(struct doctor *d);

/* --- The PAM stacks (doctor_pam.c builds them, doctor_rules.c reads) --- */

enum ptype { P_AUTH, P_ACCOUNT, P_PASSWORD, P_SESSION, P_NTYPES };

/* The return values the walk tells apart; the rest act as "default". */
enum pres { R_SUCCESS, R_AUTH_ERR, R_AUTHINFO_UNAVAIL, R_USER_UNKNOWN,
	    R_SERVICE_ERR, R_PERM_DENIED, R_NRES };

/* Actions, as libpam's: a jump is a positive count. */
#define A_IGNORE (-1)
#define A_OK (-2)
#define A_DONE (-3)
#define A_BAD (-4)
#define A_DIE (-5)
#define A_RESET (-6)
#define A_UNDEF (-7)

enum pkind { K_OTHER, K_POLICYD, K_PASSWORD, K_DENY, K_SUCCEED_IF };

/* pam_policyd's lockout-only modes. */
enum pmode { M_NONE, M_PREAUTH, M_AUTHFAIL, M_AUTHSUCC };

struct pline {
	char where[NAME_MAX + 16];	/* FILE:LINE */
	char control[128];		/* as written, cut */
	char module[64];		/* its base name, cut */
	int level;			/* substack depth */
	int marker;			/* the substack line itself */
	int must_fail;			/* libpam fails it whatever */
	enum pkind kind;
	int act[R_NRES];
	/* pam_policyd.so */
	int totp_only, bad_arg;
	enum pmode mode;
	char socket[PROTO_MAX_TEXT + 1];
	char daemon_user[PROTO_MAX_NAME + 1];
	/* pam_succeed_if.so */
	char cond[128];
	char group[64];
	int notingroup;
};

struct pstack {
	struct pline *v;
	size_t n, cap;
};

struct service {
	const char *name;
	struct pstack s[P_NTYPES];
};

/* The findings about one service's stacks (rules 1 to 4 of
 * policyctl(8), DOCTOR). */
void doctor_rules(struct doctor *d, const struct service *svc);

#endif
