/*
 * settings.c - the configuration a request works with: a consistent copy
 * taken under the lock (SIGHUP may replace the original at any moment),
 * and the shared list of known words, reference-counted so that a reload
 * never frees it under a request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "breached.h"
#include "daemon.h"
#include "rules.h"

void
daemon_settings(struct daemon *d, struct settings *s)
{
	pthread_mutex_lock(&d->cfg_lock);
	s->argon2 = d->cfg.argon2;
	s->policy = d->cfg.policy;
	s->lockout = d->cfg.lockout;
	s->totp = d->cfg.totp;
	s->audit_retention = d->cfg.audit_retention;
	s->request_timeout = d->cfg.request_timeout;
	s->max_connections = d->cfg.max_connections;
	s->admin_gid = d->admin_gid;
	s->have_admin_gid = d->have_admin_gid;
	s->words = d->words;
	if (s->words != NULL)
		s->words->refs++;
	pthread_mutex_unlock(&d->cfg_lock);
}

void
daemon_limits(struct daemon *d, uint32_t *request_timeout,
	      uint32_t *max_connections)
{
	pthread_mutex_lock(&d->cfg_lock);
	*request_timeout = d->cfg.request_timeout;
	*max_connections = d->cfg.max_connections;
	pthread_mutex_unlock(&d->cfg_lock);
}

void
settings_release(struct daemon *d, struct settings *s)
{
	pthread_mutex_lock(&d->cfg_lock);
	words_unref(s->words);
	s->words = NULL;
	pthread_mutex_unlock(&d->cfg_lock);
}

void
words_unref(struct words *w)
{
	if (w == NULL || --w->refs > 0)
		return;
	rules_free_words(w->list);
	free(w->breached_filter);
	free(w);
}

/* Appends the host name (and its first label) to a word list. */
static char **
add_host(char **list)
{
	char host[256] = "";
	size_t n = 0;
	char **grown;

	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		return list;
	while (list[n] != NULL)
		n++;
	grown = realloc(list, (n + 3) * sizeof(*list));
	if (grown == NULL)
		return list;
	grown[n] = strdup(host);
	host[strcspn(host, ".")] = '\0';
	grown[n + 1] = grown[n] != NULL ? strdup(host) : NULL;
	grown[n + 2] = NULL;
	return grown;
}

/* The files the rules read: the blocklist, loaded here, and the breached
 * filter, only checked here (it is read at each lookup). */
struct words *
words_load(const struct cfg *cfg, char *err, size_t errsz)
{
	struct words *w;

	if (cfg->breached_filter[0] != '\0' &&
	    breached_usable(cfg->breached_filter, err, errsz) != 0)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w != NULL && cfg->breached_filter[0] != '\0' &&
	    (w->breached_filter = strdup(cfg->breached_filter)) == NULL) {
		free(w);
		w = NULL;
	}
	if (w == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (cfg->blocklist[0] != '\0')
		w->list = rules_load_words(cfg->blocklist, err, errsz);
	else
		w->list = calloc(1, sizeof(char *));
	if (w->list == NULL) {
		if (cfg->blocklist[0] == '\0')
			snprintf(err, errsz, "out of memory");
		free(w->breached_filter);
		free(w);
		return NULL;
	}
	w->list = add_host(w->list);
	w->refs = 1;
	return w;
}
