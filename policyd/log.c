/*
 * log.c - see log.h.
 *
 * Messages name users, services, ttys and hosts that came from clients:
 * every line goes out through text_vis, so an escape sequence or a line
 * break in them shows as \x1b or \x0a and cannot act on the terminal
 * that reads the log nor forge a line of its own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "text.h"

static int to_stderr;
static int debug_on;

void
log_init(int foreground, int debug)
{
	to_stderr = foreground;
	debug_on = debug;
	if (!foreground)
		openlog("policyd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

int
log_debug_enabled(void)
{
	return debug_on;
}

void
log_msg(int prio, const char *func, const char *fmt, ...)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error",
		"warning", "notice", "info", "debug",
	};
	char line[1024], shown[TEXT_VIS_SIZE(sizeof(line))];
	va_list ap;

	if (prio == LOG_DEBUG && !debug_on)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	text_vis(shown, sizeof(shown), line);
	if (!to_stderr) {
		syslog(prio, "%s: %s", func, shown);
		return;
	}
	/* One fprintf per line: stdio locks the stream, so threads' lines do
	 * not interleave. */
	fprintf(stderr, "policyd[%s] %s: %s\n", names[prio & 7], func, shown);
}
