#!/bin/sh
# End to end with a real PAM application: pamtester, through libpam under
# pam_wrapper, against a real policyd; checks codes and what the user sees.
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
PW='Pamtester-pass-9'
pid=
fails=0
. "$(dirname "$0")/lib.sh"
trap stop_daemon EXIT

write_conf 8192 1
mkdir "$T/pam.d"
M="$B/pam_policyd.so socket=$T/run/pam.sock"
printf 'auth required %s nodelay\naccount required %s\n' "$M" "$M" \
	> "$T/pam.d/policyd-e2e"
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' \
	> "$T/pam.d/other"

# pt EXPECTED_STATUS PASSWORD USER OPS...: output in $T/out
pt() {
	want=$1 pw=$2
	shift 2
	printf '%s\n' "$pw" | LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
		pamtester -v -I rhost=192.0.2.7 -I tty=pts/3 policyd-e2e "$@" \
		> "$T/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: pamtester $*: exit $got, expected $want"
		sed 's/^/    /' "$T/out"
		fails=$((fails + 1))
	else
		echo "ok: pamtester $* -> $got"
	fi
}

has() {
	if grep -qF -- "$1" "$T/out"; then echo "ok: $2"; else
		echo "FAIL: $2: '$1' not in:"; sed 's/^/    /' "$T/out"
		fails=$((fails + 1)); fi
}

start_daemon || exit 1
printf '%s\n' "$PW" | "$B/policyctl" -S "$T/run" user add alice --password-stdin 2>/dev/null

pt 0 "$PW" alice authenticate acct_mgmt
has "successfully authenticated" "the right password logs in"
has "account management done" "the account phase passes"
pt 1 wrong alice authenticate
has "Authentication failure" "a wrong password is refused"
pt 1 "$PW" mallory authenticate
has "Authentication failure" "an unknown user gets the same answer"
grep -q "password ok: user alice (service policyd-e2e, rhost 192.0.2.7)" \
	"$T/policyd.log" && echo "ok: service and rhost reach the daemon" ||
	{ echo "FAIL: no context in the log"; fails=$((fails + 1)); }

"$B/policyctl" -S "$T/run" user disable alice 2>/dev/null
pt 1 "$PW" alice authenticate
has "Your account is disabled" "a disabled user is told, after the password"
pt 1 "$PW" alice acct_mgmt
has "Your account is disabled" "the account phase refuses too"

stop_daemon
pt 1 "$PW" alice authenticate
has "cannot retrieve authentication info" "daemon stopped: PAM_AUTHINFO_UNAVAIL"

grep -qF "$PW" "$T/policyd.log" && { echo "FAIL: password logged"; fails=$((fails + 1)); }
exit $fails
