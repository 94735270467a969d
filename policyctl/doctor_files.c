/*
 * doctor_files.c - the owners and modes of policyd's files, for policyctl
 * doctor, as policyd(8) FILES, "Owners and modes", states them: no write
 * for group or others on any file or directory, no access at all for
 * them on the key file and the store, every file owned by root or the
 * daemon user, and every directory from the root down owned by one of
 * them and writable by no one else (a root-owned sticky directory
 * allowed above the last one).  A symbolic link is not followed, as the
 * daemon does not follow one.
 *
 * Only the keys that name those files are read from policyd.conf, with
 * inih as the daemon reads it; `policyd -t` checks the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "doctor.h"

#define MAX_CONF (1024 * 1024)
#define MAX_SEEN 64

struct conf {
	char runtime_dir[PATH_MAX];
	char database[PATH_MAX];
	char key_file[PATH_MAX];
	char user[PROTO_MAX_NAME + 1];
	int too_long;
};

struct fcheck {
	struct doctor *d;
	const char *user;	/* the daemon user's name, "" for root */
	uid_t uid;		/* trusted beside root */
	char *seen[MAX_SEEN];	/* directories already checked */
	size_t nseen;
};

static void
copy_value(char *dst, size_t size, const char *value, int *too_long)
{
	if (snprintf(dst, size, "%s", value) >= (int)size)
		*too_long = 1;
}

static int
on_entry(void *arg, const char *section, const char *name, const char *value)
{
	struct conf *c = arg;

	if (strcmp(section, "daemon") == 0 && strcmp(name, "runtime_dir") == 0)
		copy_value(c->runtime_dir, sizeof(c->runtime_dir), value,
			   &c->too_long);
	else if (strcmp(section, "daemon") == 0 &&
		 strcmp(name, "database") == 0)
		copy_value(c->database, sizeof(c->database), value,
			   &c->too_long);
	else if (strcmp(section, "daemon") == 0 && strcmp(name, "user") == 0)
		copy_value(c->user, sizeof(c->user), value, &c->too_long);
	else if (strcmp(section, "totp") == 0 && strcmp(name, "key_file") == 0)
		copy_value(c->key_file, sizeof(c->key_file), value,
			   &c->too_long);
	return 1;
}

/* The text of the open file fd (at most MAX_CONF bytes), cut at a NUL;
 * NULL if it cannot be read.  *nul: it held one. */
static char *
read_text(int fd, int *nul)
{
	char *buf = malloc(MAX_CONF + 1);
	size_t n = 0;
	ssize_t got;

	if (buf == NULL)
		return NULL;
	while (n < MAX_CONF && (got = read(fd, buf + n, MAX_CONF - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	*nul = strlen(buf) != n;
	return buf;
}

/* The keys of the file open at fd into c (defaults kept otherwise). */
static void
parse_conf(struct doctor *d, int fd, const char *path, struct conf *c)
{
	static char prefixes[] = ";#";
	int nul = 0, rc;
	char *text = read_text(fd, &nul);

	if (text == NULL) {
		doctor_add(d, "files", D_ERROR, "config", "%s: cannot be "
			   "read: defaults assumed", path);
		return;
	}
	if (nul)
		doctor_add(d, "files", D_ERROR, "config", "%s: holds a NUL "
			   "byte: policyd refuses it", path);
	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = prefixes;
	ini_stop_on_first_error = true;
	rc = ini_parse_string(text, on_entry, c);
	if (rc != 0)
		doctor_add(d, "files", D_ERROR, "config", "%s:%d: syntax "
			   "error: policyd refuses the file (policyd -t says "
			   "more)", path, rc);
	if (c->too_long)
		doctor_add(d, "files", D_ERROR, "config", "%s: a path is too "
			   "long", path);
	free(text);
}

/* The uid of name in the root's /etc/passwd (or NSS for /); 0 with a
 * finding if there is none, so that only root is trusted. */
static uid_t
user_uid(struct doctor *d, const char *name)
{
	char path[PATH_MAX];
	struct passwd *pw;
	uid_t uid = 0;
	FILE *fp;
	int found = 0;

	if (name[0] == '\0')
		return 0;
	if (d->live) {
		found = client_daemon_uid(name, &uid) == 0;
	} else if (doctor_rooted(d, "/etc/passwd", path, sizeof(path)) == 0 &&
		   (fp = fopen(path, "re")) != NULL) {
		while (!found && (pw = fgetpwent(fp)) != NULL)
			if (strcmp(pw->pw_name, name) == 0) {
				uid = pw->pw_uid;
				found = 1;
			}
		fclose(fp);
	}
	if (!found)
		doctor_add(d, "files", D_WARNING, "config", "no user %s (the "
			   "daemon's user): policyd does not start; only root "
			   "is trusted as an owner below", name);
	return found ? uid : 0;
}

/* What is wrong with st as a file (dir 0) or directory (dir 1), into
 * buf; 0 if nothing.  private: no access for group or others at all;
 * last: the directory that holds the file (sticky is not enough). */
static int
problems(const struct fcheck *f, const struct stat *st, int dir, int private,
	 int last, char *buf, size_t size)
{
	unsigned mode = (unsigned)st->st_mode & 07777;
	size_t len = 0;
	int sticky_ok = dir && !last && st->st_uid == 0 && (mode & S_ISVTX);

	buf[0] = '\0';
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		len += (size_t)snprintf(buf, size, "not a %s; ",
					dir ? "directory" : "regular file");
	if (st->st_uid != 0 && st->st_uid != f->uid && len < size)
		len += (size_t)snprintf(buf + len, size - len, "owned by uid "
					"%u, not by root%s%s; ",
					(unsigned)st->st_uid,
					f->user[0] ? " or " : "", f->user);
	if ((mode & (S_IWGRP | S_IWOTH)) && !sticky_ok && len < size)
		len += (size_t)snprintf(buf + len, size - len, "writable by "
					"%s (mode %04o); ", (mode & S_IWOTH)
					? "others" : "its group", mode);
	else if (private && (mode & 077) && len < size)
		len += (size_t)snprintf(buf + len, size - len, "open to %s "
					"(mode %04o; it must be 0600 or "
					"0400); ", (mode & 007) ? "others"
					: "its group", mode);
	if (len >= 2 && len < size)
		buf[len - 2] = '\0';
	return len > 0;
}

/* Whether dir was checked already (and, if not, remembers it). */
static int
seen(struct fcheck *f, const char *dir)
{
	for (size_t i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i], dir) == 0)
			return 1;
	if (f->nseen < MAX_SEEN && (f->seen[f->nseen] = strdup(dir)) != NULL)
		f->nseen++;
	return 0;
}

/* One directory on the way; 0 to go on below it. */
static int
check_dir(struct fcheck *f, const char *dir, int last)
{
	char path[PATH_MAX], why[256];
	struct stat st;

	if (doctor_rooted(f->d, dir, path, sizeof(path)) != 0 ||
	    lstat(path, &st) != 0)
		return -1;	/* not there: nothing below it either */
	if (S_ISLNK(st.st_mode)) {
		if (!seen(f, dir))
			doctor_add(f->d, "files", D_WARNING, "directory", "%s: a "
				   "symbolic link: not followed, nothing below "
				   "it checked", dir);
		return -1;
	}
	if (!seen(f, dir) && problems(f, &st, 1, 0, last, why, sizeof(why)))
		doctor_add(f->d, "files", D_ERROR, "directory", "%s: %s",
			   dir, why);
	return S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Every directory from / down to dir (absolute, inside the root). */
static void
check_dirs(struct fcheck *f, const char *dir)
{
	char part[PATH_MAX];
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= sizeof(part) || check_dir(f, "/", n <= 1) != 0)
		return;
	for (size_t i = 1; i <= n; i++) {
		if ((i < n && dir[i] != '/') || dir[i - 1] == '/')
			continue;
		memcpy(part, dir, i);
		part[i] = '\0';
		if (check_dir(f, part, i == n) != 0)
			return;
	}
}

/* The directory that holds path (absolute), into out. */
static void
parent_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	snprintf(out, size, "%.*s", slash == NULL || slash == path ? 1
				    : (int)(slash - path), path);
}

/* One file (or, dir 1, a directory) named by key; absent: absent_sev
 * with absent_why. */
static void
check_path(struct fcheck *f, const char *key, const char *path, int dir,
	   int private, enum dsev absent_sev, const char *absent_why)
{
	char real[PATH_MAX], holder[PATH_MAX], why[256];
	struct stat st;

	if (path[0] != '/') {
		doctor_add(f->d, "files", D_ERROR, key, "%s: not an "
			   "absolute path: policyd refuses it", path);
		return;
	}
	parent_of(path, holder, sizeof(holder));
	check_dirs(f, dir ? path : holder);
	if (doctor_rooted(f->d, path, real, sizeof(real)) != 0 ||
	    lstat(real, &st) != 0) {
		if (absent_why != NULL)
			doctor_add(f->d, "files", absent_sev, key, "%s: %s",
				   path, absent_why);
		return;
	}
	if (S_ISLNK(st.st_mode))
		doctor_add(f->d, "files", D_ERROR, key, "%s: a symbolic "
			   "link: policyd does not follow it", path);
	else if (problems(f, &st, dir, private, 1, why, sizeof(why)))
		doctor_add(f->d, "files", D_ERROR, key, "%s: %s", path, why);
	else
		doctor_add(f->d, "files", D_OK, key, "%s: owner uid %u, "
			   "mode %04o", path, (unsigned)st.st_uid,
			   (unsigned)st.st_mode & 07777);
}

/* The store and the files SQLite keeps beside it. */
static void
check_store(struct fcheck *f, const char *db)
{
	static const char *const sides[] = { "-wal", "-shm" };
	char path[PATH_MAX + 8];

	check_path(f, "database", db, 0, 1, D_OK,
		   "not there yet (created at the first start)");
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", db, sides[i]);
		check_path(f, "database", path, 0, 1, D_OK, NULL);
	}
}

/* Opens and reads the configuration into c; checks it once the daemon
 * user is known (in check_config). -1 if there is none. */
static int
load_conf(struct doctor *d, struct conf *c)
{
	char path[PATH_MAX];
	int fd;

	if (doctor_rooted(d, d->config, path, sizeof(path)) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
				O_NOCTTY);
	if (fd < 0) {
		doctor_add(d, "files", D_ERROR, "config", "%s: %s: policyd "
			   "does not start without it; defaults assumed",
			   d->config, errno == ELOOP ? "a symbolic link, not "
			   "followed" : strerror(errno));
		return -1;
	}
	parse_conf(d, fd, d->config, c);
	close(fd);
	return 0;
}

void
doctor_files(struct doctor *d)
{
	struct conf c = { "/run/policyd", "/var/lib/policyd/policyd.db",
			  "/etc/policyd/totp.key", "policyd", 0 };
	struct fcheck f = { .d = d };
	int have = load_conf(d, &c) == 0;

	f.user = c.user;
	f.uid = user_uid(d, c.user);
	if (have)
		check_path(&f, "config", d->config, 0, 0, D_ERROR, NULL);
	check_path(&f, "key_file", c.key_file, 0, 1, D_OK,
		   "not there yet (created at the first start)");
	check_store(&f, c.database);
	check_path(&f, "runtime_dir", c.runtime_dir, 1, 0, D_OK,
		   "not there (created at start)");
	for (size_t i = 0; i < f.nseen; i++)
		free(f.seen[i]);
}
