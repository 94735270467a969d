/*
 * alert.h - the optional alert_command, run for lockouts, throttled
 * sources and admin actions: a fixed argv (the program and the kind of
 * alert, no shell), the event in POLICYD_* environment variables, and at
 * most once a minute per kind, so that a flood cannot fork a storm.
 */
#ifndef POLICYD_ALERT_H
#define POLICYD_ALERT_H

#include "audit.h"

/* The program to run ("" for none); at start and on SIGHUP. */
void alert_configure(const char *command);

/* Runs the command for this kind of alert (lock, lock-source, admin),
 * unless one of that kind ran less than a minute ago.  Never waits for
 * it. */
void alert_fire(const char *kind, const struct audit_rec *r);

#endif
