/*
 * args.h - pam_policyd's module arguments: connection options and
 * behaviour switches only (policy is never set per PAM stack).
 */
#ifndef PAM_POLICYD_ARGS_H
#define PAM_POLICYD_ARGS_H

#include <stdint.h>

#include <security/pam_modules.h>

#include "proto.h"

struct args {
	char socket[PROTO_MAX_TEXT + 1];
	char daemon_user[PROTO_MAX_NAME + 1];
	int timeout_ms;
	int debug;
	int use_first_pass;
	int try_first_pass;
	int use_authtok;
	int totp_only;
	int nodelay;
	int retry;
	int silent;		/* PAM_SILENT: tell the user nothing */
	uint8_t mode;		/* 0, or PROTO_LOCK_CHECK/FAIL/SUCC */
};

/*
 * The module arguments into *a, and PAM_SILENT from flags.  Like
 * Linux-PAM's own modules it refuses to guess: any bad argument (unknown,
 * malformed, out of range, conflicting) is logged, naming it, and every
 * entry point returns PAM_SERVICE_ERR.  Returns PAM_SUCCESS or that.
 */
int args_parse(pam_handle_t *pamh, int flags, int argc, const char **argv,
	       struct args *a);

#endif
