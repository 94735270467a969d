/*
 * doctor_pam.c - reading root/etc/pam.d into the stacks libpam would
 * build, for policyctl doctor (see doctor.h).
 *
 * Every byte of a service file is untrusted, so the file is read the way
 * libpam 1.5 reads it rather than the way it ought to look: through a
 * 1024-byte buffer filled by fgets (a longer line goes on as another
 * line; continued lines past it make libpam give up on the file), up to
 * a NUL (the rest of that line is not seen), "#" to the end of the line
 * a comment, a final "\" joining the next line, "[...]" one token.
 * Controls get the actions libpam gives them; "include" and "@include"
 * put the lines of a file in place, "substack" one level down.  Files
 * are opened inside pam.d only, without following a symbolic link.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"

#define PAM_BUF 1024		/* libpam's BUF_SIZE for one line */
#define MAX_FILE (1024 * 1024)	/* a service file larger is not read */
#define MAX_DEPTH 8		/* nested includes followed */
#define MAX_LINES 4096		/* lines of one service, all files */
#define MAX_TOKENS 64

struct load {
	struct doctor *d;
	struct service *svc;
	int dirfd;			/* pam.d */
	const char *chain[MAX_DEPTH + 2];	/* files being read */
	int depth;
	size_t lines;
};

/* One file, read whole; the text (NUL-terminated, may hold NULs) in *buf
 * and its length in *len, or -1 with errno set. */
static int
slurp(int dirfd, const char *name, char **buf, size_t *len)
{
	struct stat st;
	ssize_t got = 0;
	size_t n = 0;
	int fd, err = 0;

	*buf = NULL;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				 O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = EINVAL;
	else if (st.st_size > MAX_FILE)
		err = EFBIG;
	else if ((*buf = malloc((size_t)st.st_size + 1)) == NULL)
		err = ENOMEM;
	while (err == 0 && n < (size_t)st.st_size &&
	       (got = read(fd, *buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)got;
	if (err == 0 && got < 0)
		err = errno;
	close(fd);
	if (err != 0) {
		free(*buf);
		*buf = NULL;
		errno = err;
		return -1;
	}
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

/* The text being read, as fgets would hand it out. */
struct cursor {
	const char *p, *end;
	unsigned lineno;	/* of the last physical line begun */
	int at_start;		/* the next chunk begins a physical line */
	int nul, split;		/* a line held a NUL; one was too long */
};

/* fgets(out, room): at most room - 1 bytes, through a newline; what a
 * NUL hides is dropped.  0, or -1 at the end of the text. */
static int
chunk(struct cursor *c, char *out, size_t room)
{
	size_t avail = (size_t)(c->end - c->p), n;
	const char *nl, *z;

	if (avail == 0 || room < 2)
		return -1;
	n = avail < room - 1 ? avail : room - 1;
	nl = memchr(c->p, '\n', n);
	if (nl != NULL)
		n = (size_t)(nl - c->p) + 1;
	else if (n < avail)
		c->split = 1;
	if (c->at_start)
		c->lineno++;
	c->at_start = nl != NULL;
	z = memchr(c->p, '\0', n);
	if (z != NULL)
		c->nul = 1;
	memcpy(out, c->p, z != NULL ? (size_t)(z - c->p) : n);
	out[z != NULL ? (size_t)(z - c->p) : n] = '\0';
	c->p += n;
	return 0;
}

/*
 * One logical line into buf (PAM_BUF bytes), as libpam's
 * _pam_assemble_line builds it; *first is its first physical line.
 * 1 a line, 0 the end, -1 continued past the buffer or cut at the end
 * (libpam then stops reading the file).
 */
static int
logical_line(struct cursor *c, char *buf, unsigned *first)
{
	char *p = buf, *s, *os;
	int used = 0;

	for (;;) {
		if (p >= buf + PAM_BUF - 1)
			return -1;
		if (chunk(c, p, (size_t)(buf + PAM_BUF - p)) != 0)
			return used ? -1 : 0;
		s = p + strspn(p, " \n\t");
		if (*s == '\0' || *s == '#')
			continue;
		if (!used)
			*first = c->lineno;
		os = s;
		s += strcspn(s, "#");
		if (*s == '#') {
			*s = '\0';
			break;
		}
		while (s > os && (s[-1] == ' ' || s[-1] == '\t' ||
				  s[-1] == '\n'))
			s--;
		used = 1;
		if (s > os && s[-1] == '\\') {
			s[-1] = ' ';
			*s = '\0';
			p = s;
			continue;
		}
		*s = '\0';
		break;
	}
	memmove(buf, buf + strspn(buf, " \n\t"), strlen(buf) + 1);
	return 1;
}

/* libpam's tokenizer: blanks separate; "[...]" is one token without its
 * brackets, "\]" inside it a "]".  Returns the count (at most max). */
static int
tokens(char *s, char **tok, int max)
{
	int n = 0;
	char *to, *end;

	while (n < max) {
		s += strspn(s, " \n\t");
		if (*s == '\0')
			break;
		if (*s == '[') {
			for (to = end = ++s; *end != '\0' && *end != ']';
			     ++to, ++end) {
				if (*end == '\\' && end[1] == ']')
					++end;
				*to = *end;
			}
			if (to != end)
				*to = '\0';
		} else {
			end = s + strcspn(s, " \n\t");
		}
		tok[n++] = s;
		if (*end == '\0')
			break;
		*end = '\0';
		s = end + 1;
	}
	return n;
}

/* libpam's return value names, in its order; ours are mapped below. */
static const char *const ret_names[] = {
	"success", "open_err", "symbol_err", "service_err", "system_err",
	"buf_err", "perm_denied", "auth_err", "cred_insufficient",
	"authinfo_unavail", "user_unknown", "maxtries", "new_authtok_reqd",
	"acct_expired", "session_err", "cred_unavail", "cred_expired",
	"cred_err", "no_module_data", "conv_err", "authtok_err",
	"authtok_recover_err", "authtok_lock_busy", "authtok_disable_aging",
	"try_again", "ignore", "abort", "authtok_expired", "module_unknown",
	"bad_item", "conv_again", "incomplete", "default",
};

/* Our result for libpam's value i: R_*, R_NRES for one we do not walk,
 * -1 for "default". */
static int
ret_of(size_t i)
{
	static const struct {
		const char *name;
		int r;
	} ours[] = {
		{ "success", R_SUCCESS }, { "auth_err", R_AUTH_ERR },
		{ "authinfo_unavail", R_AUTHINFO_UNAVAIL },
		{ "user_unknown", R_USER_UNKNOWN },
		{ "service_err", R_SERVICE_ERR },
		{ "perm_denied", R_PERM_DENIED }, { "default", -1 },
	};

	for (size_t k = 0; k < sizeof(ours) / sizeof(ours[0]); k++)
		if (strcmp(ret_names[i], ours[k].name) == 0)
			return ours[k].r;
	return R_NRES;
}

static void
set_default(int *act, int a)
{
	for (int r = 0; r < R_NRES; r++)
		if (act[r] == A_UNDEF)
			act[r] = a;
}

/* An action word or jump at *s; advances *s.  0 or -1. */
static int
action_of(const char **s, int *a)
{
	static const char *const names[] = { "ignore", "ok", "done", "bad",
					     "die", "reset" };
	static const int acts[] = { A_IGNORE, A_OK, A_DONE, A_BAD, A_DIE,
				    A_RESET };
	long n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = strlen(names[i]);

		if (strncmp(*s, names[i], len) == 0) {
			*s += len;
			*a = acts[i];
			return 0;
		}
	}
	if (!isdigit((unsigned char)**s))
		return -1;
	while (isdigit((unsigned char)**s) && n < 100000)
		n = n * 10 + (*(*s)++ - '0');
	if (n == 0 || isdigit((unsigned char)**s))
		return -1;
	*a = (int)n;
	return 0;
}

/* One "value=action" at *s into act; advances *s.  0 or -1. */
static int
pair(const char **s, int *act)
{
	size_t i, len = strcspn(*s, "= \t");
	int a, r;

	for (i = 0; i < sizeof(ret_names) / sizeof(ret_names[0]); i++)
		if (strlen(ret_names[i]) == len &&
		    strncmp(ret_names[i], *s, len) == 0)
			break;
	if (i == sizeof(ret_names) / sizeof(ret_names[0]))
		return -1;
	*s += len;
	*s += strspn(*s, " \t");
	if (**s != '=')
		return -1;
	++*s;
	*s += strspn(*s, " \t");
	if (action_of(s, &a) != 0)
		return -1;
	r = ret_of(i);
	if (r < 0)
		set_default(act, a);
	else if (r < R_NRES)
		act[r] = a;
	return 0;
}

/* A control that is no keyword, as libpam's _pam_parse_control reads it:
 * any error makes every value "bad".  0, or -1 after such an error. */
static int
parse_brackets(const char *s, int *act)
{
	for (s += strspn(s, " \t"); *s != '\0'; s += strspn(s, " \t")) {
		if (pair(&s, act) != 0 ||
		    (*s != '\0' && *s != ' ' && *s != '\t')) {
			for (int r = 0; r < R_NRES; r++)
				act[r] = A_BAD;
			return -1;
		}
	}
	set_default(act, A_BAD);
	return 0;
}

/* The keyword controls; 1 if tok is one (act filled), else 0. */
static int
keyword(const char *tok, int *act)
{
	static const struct {
		const char *name;
		int success, rest;
	} kw[] = {
		{ "required", A_OK, A_BAD }, { "requisite", A_OK, A_DIE },
		{ "optional", A_OK, A_IGNORE },
		{ "sufficient", A_DONE, A_IGNORE },
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
		if (strcasecmp(tok, kw[i].name) != 0)
			continue;
		act[R_SUCCESS] = kw[i].success;
		set_default(act, kw[i].rest);
		return 1;
	}
	return 0;
}

/* The type word; P_NTYPES if it is none.  A leading "-" is dropped. */
static int
type_of(const char *t)
{
	static const char *const names[] = { "auth", "account", "password",
					     "session" };

	if (*t == '-')
		t++;
	for (int i = 0; i < P_NTYPES; i++)
		if (strcasecmp(t, names[i]) == 0)
			return i;
	return P_NTYPES;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static enum pkind
kind_of(const char *module)
{
	static const char *const passwords[] = {
		"pam_unix.so", "pam_sss.so", "pam_ldap.so", "pam_krb5.so",
		"pam_winbind.so", "pam_userdb.so", "pam_permit.so",
	};
	const char *b = base_name(module);

	if (strcmp(b, "pam_policyd.so") == 0)
		return K_POLICYD;
	if (strcmp(b, "pam_deny.so") == 0)
		return K_DENY;
	if (strcmp(b, "pam_succeed_if.so") == 0)
		return K_SUCCEED_IF;
	for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++)
		if (strcmp(b, passwords[i]) == 0)
			return K_PASSWORD;
	return K_OTHER;
}

/* pam_policyd's arguments, with the names and forms args.c accepts. */
static void
policyd_args(struct pline *l, char **arg, int n)
{
	static const char *const words[] = {
		"debug", "use_first_pass", "try_first_pass", "use_authtok",
		"nodelay",
	};
	static const char *const valued[] = { "timeout=", "retry=" };
	int known;

	snprintf(l->socket, sizeof(l->socket), "%s",
		 DEFAULT_RUNTIME_DIR "/" PAM_SOCKET_NAME);
	snprintf(l->daemon_user, sizeof(l->daemon_user), "policyd");
	for (int i = 0; i < n; i++) {
		known = 0;
		for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			known |= strcmp(arg[i], words[k]) == 0;
		for (size_t k = 0; k < 2; k++)
			known |= strncmp(arg[i], valued[k],
					 strlen(valued[k])) == 0;
		if (strcmp(arg[i], "totp_only") == 0)
			known = l->totp_only = 1;
		else if (strcmp(arg[i], "preauth") == 0 ||
			 strcmp(arg[i], "authfail") == 0 ||
			 strcmp(arg[i], "authsucc") == 0) {
			known = l->mode == M_NONE;
			l->mode = arg[i][4] == 'f' ? M_AUTHFAIL
				: arg[i][4] == 's' ? M_AUTHSUCC : M_PREAUTH;
		} else if (strncmp(arg[i], "socket=", 7) == 0) {
			known = arg[i][7] == '/' &&
				strlen(arg[i] + 7) < sizeof(l->socket);
			if (known)
				snprintf(l->socket, sizeof(l->socket), "%s",
					 arg[i] + 7);
		} else if (strncmp(arg[i], "daemon_user=", 12) == 0) {
			known = arg[i][12] != '\0' && arg[i][12] != '-' &&
				strlen(arg[i] + 12) < sizeof(l->daemon_user) &&
				strspn(arg[i] + 12, "abcdefghijklmnopqrstuvwxyz"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
					== strlen(arg[i] + 12);
			if (known)
				snprintf(l->daemon_user,
					 sizeof(l->daemon_user), "%s",
					 arg[i] + 12);
		}
		if (!known)
			l->bad_arg = l->bad_arg ? l->bad_arg : i + 1;
	}
	if (l->totp_only && l->mode != M_NONE)
		l->bad_arg = l->bad_arg ? l->bad_arg : n;
}

/* pam_succeed_if's condition (its options left out), and the group of a
 * "user ingroup G" or "user notingroup G" test. */
static void
succeed_if_args(struct pline *l, char **arg, int n)
{
	static const char *const opts[] = { "debug", "use_uid", "quiet",
					    "quiet_fail", "quiet_success",
					    "audit" };
	size_t len = 0;
	int opt;

	for (int i = 0; i < n; i++) {
		opt = 0;
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			opt |= strcmp(arg[i], opts[k]) == 0;
		if (opt)
			continue;
		if (i + 2 < n && strcmp(arg[i], "user") == 0 &&
		    (strcmp(arg[i + 1], "ingroup") == 0 ||
		     strcmp(arg[i + 1], "notingroup") == 0) &&
		    l->group[0] == '\0') {
			snprintf(l->group, sizeof(l->group), "%s", arg[i + 2]);
			l->notingroup = arg[i + 1][0] == 'n';
		}
		if (len < sizeof(l->cond))
			len += (size_t)snprintf(l->cond + len,
						sizeof(l->cond) - len, "%s%s",
						len ? " " : "", arg[i]);
	}
}

/* A line of a stack, added at the end of stack t. */
static struct pline *
add_line(struct load *ld, int t, const char *file, unsigned lineno)
{
	struct pstack *s = &ld->svc->s[t];
	struct pline *l, *v;

	if (ld->lines >= MAX_LINES)
		return NULL;
	if (s->n == s->cap) {
		v = realloc(s->v, (s->cap ? 2 * s->cap : 16) * sizeof(*v));
		if (v == NULL)
			return NULL;
		s->v = v;
		s->cap = s->cap ? 2 * s->cap : 16;
	}
	ld->lines++;
	l = &s->v[s->n++];
	memset(l, 0, sizeof(*l));
	snprintf(l->where, sizeof(l->where), "%s:%u", file, lineno);
	for (int r = 0; r < R_NRES; r++)
		l->act[r] = A_UNDEF;
	return l;
}

/* A line libpam fails whatever happens, in stack t (P_NTYPES: all). */
static void
add_failing(struct load *ld, int t, int level, const char *file,
	    unsigned lineno, const char *what)
{
	struct pline *l;

	for (int i = 0; i < P_NTYPES; i++) {
		if (t != P_NTYPES && i != t)
			continue;
		l = add_line(ld, i, file, lineno);
		if (l == NULL)
			return;
		l->must_fail = 1;
		l->level = level;
		snprintf(l->module, sizeof(l->module), "%s", what);
		set_default(l->act, A_BAD);
	}
}

static int load_file(struct load *ld, const char *name, int filter,
		     int level);

/* The name an include refers to inside pam.d, or NULL (with a finding)
 * for one outside it. */
static const char *
include_name(struct load *ld, const char *where, const char *name)
{
	if (strncmp(name, "/etc/pam.d/", 11) == 0)
		name += 11;
	if (name[0] != '\0' && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	    strlen(name) <= NAME_MAX)
		return name;
	doctor_add(ld->d, ld->svc->name, D_WARNING, "pam",
		   "%s: include of %s: outside pam.d, not followed: what it "
		   "adds is not checked", where, name);
	return NULL;
}

/* include, substack or @include of name at where. */
static void
include(struct load *ld, const char *where, const char *file,
	unsigned lineno, const char *name, int t, int level, int substack)
{
	struct pline *l;
	const char *in = include_name(ld, where, name);
	int rc;

	if (in == NULL)
		return;
	if (substack) {
		l = add_line(ld, t, file, lineno);
		if (l == NULL)
			return;
		l->marker = 1;
		l->level = level;
		snprintf(l->control, sizeof(l->control), "substack");
		snprintf(l->module, sizeof(l->module), "%s", in);
	}
	rc = load_file(ld, in, t, level + substack);
	if (rc != 0)
		add_failing(ld, t, level, file, lineno, in);
}

/* The control and module of a line into l (the type is known). */
static void
module_line(struct load *ld, struct pline *l, char **tok, int n, int level)
{
	l->level = level;
	if (n < 3) {
		l->must_fail = 1;
		set_default(l->act, A_BAD);
		doctor_add(ld->d, ld->svc->name, D_WARNING, "pam",
			   "%s: no %s: libpam fails this line", l->where,
			   n < 2 ? "control" : "module");
		return;
	}
	snprintf(l->control, sizeof(l->control), "%s", tok[1]);
	snprintf(l->module, sizeof(l->module), "%s", base_name(tok[2]));
	if (!keyword(tok[1], l->act) && parse_brackets(tok[1], l->act) != 0)
		doctor_add(ld->d, ld->svc->name, D_WARNING, "pam",
			   "%s: control \"%.64s\" does not parse: libpam treats "
			   "every result as bad", l->where, tok[1]);
	l->kind = kind_of(tok[2]);
	if (l->kind == K_POLICYD)
		policyd_args(l, tok + 3, n - 3);
	else if (l->kind == K_SUCCEED_IF)
		succeed_if_args(l, tok + 3, n - 3);
	if (l->bad_arg)
		doctor_add(ld->d, ld->svc->name, D_ERROR, "pam",
			   "%s: pam_policyd.so: bad argument \"%.64s\": the "
			   "module fails every call (PAM_SERVICE_ERR)",
			   l->where, l->bad_arg <= n - 3 ? tok[2 + l->bad_arg]
							 : "(two modes)");
}

/* One logical line of file (read with type filter, at level). */
static void
one_line(struct load *ld, const char *file, unsigned lineno, char *buf,
	 int filter, int level)
{
	char *tok[MAX_TOKENS], where[NAME_MAX + 16];
	struct pline *l;
	int n = tokens(buf, tok, MAX_TOKENS), t;

	snprintf(where, sizeof(where), "%s:%u", file, lineno);
	if (n == 0)
		return;
	if (strcasecmp(tok[0] + (tok[0][0] == '-'), "@include") == 0) {
		if (n < 2)
			add_failing(ld, filter, level, file, lineno,
				    "@include");
		else
			include(ld, where, file, lineno, tok[1], filter,
				level, 0);
		return;
	}
	t = type_of(tok[0]);
	if (t == P_NTYPES) {
		doctor_add(ld->d, ld->svc->name, D_WARNING, "pam",
			   "%s: unknown type \"%.64s\": libpam makes it a failing "
			   "line", where, tok[0]);
		t = filter != P_NTYPES ? filter : P_AUTH;
		add_failing(ld, t, level, file, lineno, tok[0]);
		return;
	}
	if (filter != P_NTYPES && t != filter)
		return;
	if (n >= 3 && (strcasecmp(tok[1], "include") == 0 ||
		       strcasecmp(tok[1], "substack") == 0)) {
		include(ld, where, file, lineno, tok[2], t, level,
			tolower((unsigned char)tok[1][0]) == 's');
		return;
	}
	l = add_line(ld, t, file, lineno);
	if (l != NULL)
		module_line(ld, l, tok, n, level);
}

/* Says what libpam would not read as written. */
static void
file_notes(struct load *ld, const char *name, const struct cursor *c)
{
	if (c->nul)
		doctor_add(ld->d, ld->svc->name, D_WARNING, "pam",
			   "%s: holds a NUL byte: libpam ignores the rest of "
			   "that line", name);
	if (c->split)
		doctor_add(ld->d, ld->svc->name, D_WARNING, "pam",
			   "%s: a line is longer than %d bytes: libpam reads "
			   "the rest of it as another line", name,
			   PAM_BUF - 1);
}

/* Reads the lines of text into the stacks. */
static void
parse_text(struct load *ld, const char *name, const char *text, size_t len,
	   int filter, int level)
{
	struct cursor c = { text, text + len, 0, 1, 0, 0 };
	char buf[PAM_BUF];
	unsigned first = 0;
	int rc;

	while ((rc = logical_line(&c, buf, &first)) == 1)
		one_line(ld, name, first, buf, filter, level);
	if (rc < 0) {
		doctor_add(ld->d, ld->svc->name, D_ERROR, "pam",
			   "%s:%u: continued line longer than %d bytes: "
			   "libpam stops reading the file there", name,
			   c.lineno, PAM_BUF - 1);
		add_failing(ld, filter, level, name, c.lineno, name);
	}
	file_notes(ld, name, &c);
}

/* Whether name is being read already (an include loop). */
static int
in_chain(const struct load *ld, const char *name)
{
	for (int i = 0; i < ld->depth; i++)
		if (strcmp(ld->chain[i], name) == 0)
			return 1;
	return 0;
}

/* Says why name cannot be followed; 0 if it can. */
static int
refuse_include(struct load *ld, const char *name)
{
	char path[4 * (MAX_DEPTH + 2) * 64];
	size_t len = 0;

	if (!in_chain(ld, name) && ld->depth <= MAX_DEPTH)
		return 0;
	for (int i = 0; i < ld->depth && len < sizeof(path); i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len,
					"%.60s -> ", ld->chain[i]);
	doctor_add(ld->d, ld->svc->name, D_ERROR, "pam",
		   in_chain(ld, name)
			? "include loop: %s%s: not followed again (libpam "
			  "cannot load this service)"
			: "includes nested deeper than 8: %s%s: not followed",
		   path, name);
	return -1;
}

/* Reads file name of pam.d into the stacks (filter: one type or all).
 * 0, or -1 when it cannot be read (libpam then fails the line). */
static int
load_file(struct load *ld, const char *name, int filter, int level)
{
	char *text;
	size_t len;

	if (refuse_include(ld, name) != 0)
		return -1;
	if (slurp(ld->dirfd, name, &text, &len) != 0) {
		if (ld->depth > 0)
			doctor_add(ld->d, ld->svc->name, D_WARNING, "pam",
				   "include of %s: %s (libpam fails that "
				   "line)", name,
				   errno == ELOOP ? "a symbolic link, not "
						    "followed"
						  : strerror(errno));
		return -1;
	}
	ld->chain[ld->depth++] = name;
	parse_text(ld, name, text, len, filter, level);
	ld->depth--;
	free(text);
	return 0;
}

static void
free_service(struct service *svc)
{
	for (int t = 0; t < P_NTYPES; t++)
		free(svc->s[t].v);
	memset(svc, 0, sizeof(*svc));
}

static int
uses_policyd(const struct service *svc)
{
	for (int t = 0; t < P_NTYPES; t++)
		for (size_t i = 0; i < svc->s[t].n; i++)
			if (svc->s[t].v[i].kind == K_POLICYD)
				return 1;
	return 0;
}

/* One service file: its findings, or none if it has no pam_policyd.so.
 * Returns whether it has. */
static int
check_service(struct doctor *d, int dirfd, const char *name)
{
	struct service svc = { .name = name };
	struct load ld = { .d = d, .svc = &svc, .dirfd = dirfd };
	size_t before = d->n;
	int used = 0;

	if (load_file(&ld, name, P_NTYPES, 0) != 0) {
		/* Not a file (a directory): no service.  A link or an
		 * unreadable file may be one: said. */
		if (errno != EINVAL)
			doctor_add(d, name, D_WARNING, "pam", "%s: %s: not "
				   "checked", name, errno == ELOOP
					? "a symbolic link, not followed"
					: strerror(errno));
	} else if (uses_policyd(&svc)) {
		used = 1;
		if (ld.lines >= MAX_LINES)
			doctor_add(d, name, D_WARNING, "pam", "more than %d "
				   "lines with its includes: the rest is not "
				   "checked", MAX_LINES);
		doctor_rules(d, &svc);
	} else {
		d->n = before;	/* what its lines said does not matter */
	}
	free_service(&svc);
	return used;
}

static int
skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

void
doctor_pam(struct doctor *d)
{
	char dir[PATH_MAX];
	struct dirent **names = NULL;
	int dirfd, n, used = 0;

	if (doctor_rooted(d, "/etc/pam.d", dir, sizeof(dir)) != 0 ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		doctor_add(d, "pam.d", D_ERROR, "pam", "%s: %s: no PAM "
			   "configuration to check", dir, strerror(errno));
		return;
	}
	n = scandir(dir, &names, skip_entry, alphasort);
	if (n < 0)
		doctor_add(d, "pam.d", D_ERROR, "pam", "%s: %s", dir,
			   strerror(errno));
	for (int i = 0; i < n; i++) {
		used += check_service(d, dirfd, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	close(dirfd);
	if (n >= 0 && used == 0)
		doctor_add(d, "pam.d", D_WARNING, "pam", "no service in %s "
			   "uses pam_policyd.so: policyd checks no login",
			   dir);
}
