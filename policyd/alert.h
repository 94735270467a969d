/*
 * alert.h - the optional alert_command, run for lockouts, locked
 * sources and admin actions: a fixed argv (the program and the kind of
 * alert, no shell), the event in POLICYD_* environment variables.  At
 * most one alert of a kind runs per alert_interval, so that a flood
 * cannot fork a storm; the events of that kind meanwhile are not lost:
 * at the end of the interval one summary alert says how many there were
 * and carries the newest of them.
 */
#ifndef POLICYD_ALERT_H
#define POLICYD_ALERT_H

#include "audit.h"

/* The program to run ("" for none), the seconds between two alerts of a
 * kind, and how many failures of unknown names within a minute make an
 * unknown-burst alert (0: none); at start and on SIGHUP. */
void alert_configure(const char *command, unsigned interval,
		     unsigned burst);

/* A failed login of a name that is not a user (r, its record): the one
 * that makes `burst` of them within a minute logs a warning and fires an
 * unknown-burst alert. */
void alert_unknown_name(const struct audit_rec *r);

/* Runs the command for r, a committed record, as an alert of this kind
 * (lock, lock-source, admin); within alert_interval of the last one of
 * the kind, counts it for the summary instead.  Never waits for it. */
void alert_fire(const char *kind, const struct audit_rec *r);

/* Runs the summaries whose interval ended; from the housekeeping tick. */
void alert_flush(void);

#endif
