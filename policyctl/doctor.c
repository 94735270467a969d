/*
 * doctor.c - policyctl doctor: checks how PAM and the files on this
 * host use policyd, and prints one finding per line (see policyctl(8),
 * DOCTOR).  It reads files and pings the daemon; it changes nothing.
 *
 * Findings keep the raw text of the files they quote; every string is
 * made safe where it is printed (text_vis, jtext), since a PAM
 * file or a file name may hold escape sequences or forged lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "jsonout.h"
#include "doctor.h"
#include "text.h"

#define MAX_FINDINGS 100000
#define DEFAULT_CONFIG "/etc/policyd/policyd.conf"

void
doctor_add(struct doctor *d, const char *group, enum dsev sev,
	   const char *check, const char *fmt, ...)
{
	struct finding *f, *v;
	va_list ap;

	if (d->n == d->cap) {
		v = d->cap < MAX_FINDINGS
			? realloc(d->v, (d->cap ? 2 * d->cap : 64) * sizeof(*v))
			: NULL;
		if (v == NULL) {
			d->full = 1;
			return;
		}
		d->v = v;
		d->cap = d->cap ? 2 * d->cap : 64;
	}
	f = &d->v[d->n++];
	snprintf(f->group, sizeof(f->group), "%s", group);
	snprintf(f->check, sizeof(f->check), "%s", check);
	f->sev = sev;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

int
doctor_rooted(const struct doctor *d, const char *path, char *out,
	      size_t size)
{
	if (snprintf(out, size, "%s%s", d->root, path) >= (int)size) {
		snprintf(out, size, "(path too long)");
		return -1;
	}
	return 0;
}

static const char *
sev_name(enum dsev s)
{
	return s == D_ERROR ? "error" : s == D_WARNING ? "warning" : "ok";
}

static void
count(const struct doctor *d, size_t *errors, size_t *warnings)
{
	*errors = *warnings = 0;
	for (size_t i = 0; i < d->n; i++) {
		*errors += d->v[i].sev == D_ERROR;
		*warnings += d->v[i].sev == D_WARNING;
	}
}

/* "GROUP: SEVERITY: CHECK: MESSAGE", one line each, then the count. */
static void
print_text(const struct doctor *d, const char *root)
{
	static char msg[TEXT_VIS_SIZE(sizeof(((struct finding *)0)->msg))];
	char group[TEXT_VIS_SIZE(NAME_MAX + 1)], vroot[TEXT_VIS_SIZE(PATH_MAX)];
	size_t errors, warnings;

	for (size_t i = 0; i < d->n; i++) {
		text_vis(group, sizeof(group), d->v[i].group);
		text_vis(msg, sizeof(msg), d->v[i].msg);
		printf("%s: %s: %s: %s\n", group, sev_name(d->v[i].sev),
		       d->v[i].check, msg);
	}
	count(d, &errors, &warnings);
	text_vis(vroot, sizeof(vroot), root);
	printf("doctor: %zu error%s, %zu warning%s (root %s)\n", errors,
	       errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
	       vroot);
}

/* {"root":..., "groups":[{"name":..., "findings":[...]}, ...],
 *  "errors":N, "warnings":N} */
static int
print_json(const struct doctor *d, const char *root)
{
	json_t *doc = json_object(), *groups = json_array();
	json_t *group = NULL, *findings = NULL, *o;
	size_t errors, warnings;

	jset(doc, "root", jtext(root));
	for (size_t i = 0; i < d->n; i++) {
		if (i == 0 || strcmp(d->v[i].group, d->v[i - 1].group) != 0) {
			group = json_object();
			findings = json_array();
			jset(group, "name", jtext(d->v[i].group));
			jset(group, "findings", json_incref(findings));
			jpush(groups, group);
			json_decref(findings);
		}
		o = json_object();
		jset(o, "severity", jtext(sev_name(d->v[i].sev)));
		jset(o, "check", jtext(d->v[i].check));
		jset(o, "message", jtext(d->v[i].msg));
		jpush(findings, o);
	}
	count(d, &errors, &warnings);
	jset(doc, "groups", groups);
	jset(doc, "errors", json_integer((json_int_t)errors));
	jset(doc, "warnings", json_integer((json_int_t)warnings));
	return jprint(doc);
}

struct doctor_args {
	const char *root, *config;
	int json;
};

/* --root DIR, -c FILE (--config), --json; 1 when --help was shown, -1
 * (told) on anything else. */
static int
doctor_flags(int argc, char **argv, struct doctor_args *a)
{
	static const struct option longs[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		switch (ch) {
		case 'r':
			a->root = optarg;
			break;
		case 'c':
			if (optarg[0] != '/')
				return usage_error("doctor", "-c %s: the "
						   "configuration's path must "
						   "be absolute", optarg);
			a->config = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			usage_of("doctor", stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'policyctl doctor --help'.\n");
			return -1;
		}
	}
	if (optind < argc)
		return usage_error("doctor", "unexpected argument '%s'",
				   argv[optind]);
	return 0;
}

/* The root's real path into d; only / is live.  0, or EXIT_USAGE. */
static int
set_root(struct doctor *d, const char *dir, char *shown, size_t size)
{
	char *real = realpath(dir, NULL);

	if (real == NULL) {
		fprintf(stderr, "policyctl: doctor: --root %s: %s\n", dir,
			strerror(errno));
		return EXIT_USAGE;
	}
	d->live = strcmp(real, "/") == 0;
	snprintf(shown, size, "%s", real);
	if (snprintf(d->root, sizeof(d->root), "%s", d->live ? "" : real) >=
	    (int)sizeof(d->root) - 64) {
		fprintf(stderr, "policyctl: doctor: --root %s: path too "
				"long\n", dir);
		free(real);
		return EXIT_USAGE;
	}
	free(real);
	return 0;
}

int
run_doctor(struct ctl *c, int argc, char **argv)
{
	struct doctor_args a = { "/", DEFAULT_CONFIG, 0 };
	static struct doctor d;
	char shown[PATH_MAX];
	size_t errors, warnings;
	int rc;

	(void)c;
	rc = doctor_flags(argc, argv, &a);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	rc = set_root(&d, a.root, shown, sizeof(shown));
	if (rc != 0)
		return rc;
	d.config = a.config;
	doctor_pam(&d);
	doctor_files(&d);
	if (d.full)
		fprintf(stderr, "policyctl: doctor: out of memory: findings "
				"are missing\n");
	count(&d, &errors, &warnings);
	rc = errors > 0 || d.full ? EXIT_REFUSED : 0;
	if (a.json && d.full) {
		rc = EXIT_USAGE;	/* no document rather than half of one */
	} else if (a.json) {
		if (print_json(&d, shown) != 0)
			rc = EXIT_USAGE;
	} else {
		print_text(&d, shown);
	}
	free(d.v);
	return rc;
}
