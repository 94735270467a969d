/*
 * log.h - policyd's logging: syslog (LOG_AUTHPRIV, as its lines name users
 * and hosts) by default, stderr in the
 * foreground.  Every line records the function it came from.  Never pass
 * a password, code, secret or hash; log a user name that may not exist
 * only at debug level (it may be a password typed into the wrong field).
 */
#ifndef POLICYD_LOG_H
#define POLICYD_LOG_H

#include <syslog.h>

void log_init(int foreground, int debug);
int log_debug_enabled(void);
__attribute__((format(printf, 3, 4))) void
log_msg(int prio, const char *func, const char *fmt, ...);

#define log_err(...) log_msg(LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __func__, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
