#!/bin/sh
# The example stacks of conf/pam.d/ through libpam (pamtester under
# pam_wrapper, the service files in $T/pam.d) against a real policyd, with
# real Unix users and a real group, and each checked against Debian's own
# file for the same service:
#  - every line of Debian's /etc/pam.d/SERVICE is in ours, but for those
#    ours names in a "# not kept: LINE" comment;
#  - login, su, sudo, screenlock, sshd-group-gated: a member of the group
#    logs in with policyd's password (and a recovery code where a code is
#    enrolled), is refused with a wrong one and with their Unix password
#    (pam_unix is never asked for a member), and fails closed while policyd
#    is down; anyone else logs in with their Unix password, policyd never
#    asked, also while it is down;
#  - su: root's su to a member passes (pam_rootok) with policyd down, with
#    the real su binary; pamtester runs as root, which pam_rootok lets
#    through, so the other cases run su's file without that one line;
#  - screenlock: pamtester as the member, who may check only themself;
#  - stacked-after-pam_unix: both passwords must agree.
# Session lines are not run (they are Debian's, and pam_loginuid needs the
# audit capability a container may lack); pam_faildelay's delay is 0.
# Needs root (useradd); skipped, exit 77, without it.  Made and removed by
# the test: the users and the group (unique names) and their homes in $T.
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
TOP=$(cd "$(dirname "$0")/.." && pwd)
pid=
users=
group=
fails=0
. "$TOP/tests/lib.sh"

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (useradd); CI runs it as root"
command -v pamtester > /dev/null || skip "no pamtester (make deps)"
command -v oathtool > /dev/null || skip "no oathtool (make deps)"

tag=$(printf '%s' "${T##*.}" | tr A-Z a-z | tr -cd a-z0-9 | cut -c1-6)
[ -n "$tag" ] || tag=$$
group=pds_staff_$tag
MEM=pds_mem_$tag CODED=pds_coded_$tag OTHER=pds_other_$tag
PW_M='Member-Stack-Obsidian-58' PW_C='Coded-Stack-Jasper-27'
UNIX_M='Unix-only-Member-64' UNIX_O='Unix-Other-Marble-39'

ok() { echo "ok: $1"; }
bad() {
	echo "FAIL: $1"
	fails=$((fails + 1))
	for f in "$@"; do [ -f "$f" ] && sed 's/^/    /' "$f"; done
}

cleanup() {
	stop_daemon
	for u in $users; do userdel -r "$u" 2> /dev/null; done
	[ -n "$group" ] && getent group "$group" > /dev/null &&
		groupdel "$group"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- Debian's lines ----------------------------------------------------

# lines FILE: its rules, one per line, comments and spaces normalised.
lines() {
	sed -e 's/#.*//' -e 's/[[:space:]]\{1,\}/ /g' -e 's/^ //' -e 's/ $//' \
		"$1" | grep -v '^$'
}

# kept OURS DEBIAN: every rule of DEBIAN is in OURS, or named in OURS by a
# "# not kept: RULE" comment.
kept() {
	if [ ! -f "$2" ]; then
		bad "$1: no $2 to compare with (make deps installs it)"
		return
	fi
	lines "$1" > "$T/ours"
	sed -n 's/^# not kept: //p' "$1" |
		sed -e 's/[[:space:]]\{1,\}/ /g' -e 's/ $//' >> "$T/ours"
	lines "$2" | while IFS= read -r rule; do
		grep -qxF -- "$rule" "$T/ours" || echo "$rule"
	done > "$T/missing"
	if [ -s "$T/missing" ]; then
		bad "${1##*/} leaves out lines of Debian's $2:" "$T/missing"
	else
		ok "${1##*/} keeps every line of Debian's $2"
	fi
}

C=$TOP/conf/pam.d
kept "$C/login" /etc/pam.d/login
kept "$C/su" /etc/pam.d/su
kept "$C/sudo" /etc/pam.d/sudo
kept "$C/sshd" /etc/pam.d/sshd
kept "$C/sshd-group-gated" /etc/pam.d/sshd

# --- policyd, users, services ------------------------------------------

write_conf 8192 1
sed -i 's/^required = off$/required = enrolled/' "$T/policyd.conf"
cat >> "$T/policyd.conf" <<CONF
[lockout]
deny = 50
source_deny = 0
CONF
start_daemon || exit 1
ctl() { "$B/policyctl" -S "$T/run" "$@"; }

groupadd "$group" || exit 1
mkdir "$T/home"
for u in "$MEM" "$CODED" "$OTHER"; do
	g=
	[ "$u" = "$OTHER" ] || g="-G $group"
	# shellcheck disable=SC2086
	useradd -m -d "$T/home/$u" -s /bin/sh $g "$u" || exit 1
	users="$users $u"
done
printf '%s:%s\n%s:%s\n%s:%s\n' "$MEM" "$UNIX_M" "$CODED" "$UNIX_M" \
	"$OTHER" "$UNIX_O" | chpasswd || exit 1
printf '%s\n' "$PW_M" | ctl user add "$MEM" --password-stdin 2> /dev/null ||
	exit 1
printf '%s\n' "$PW_C" | ctl user add "$CODED" --password-stdin 2> /dev/null ||
	exit 1
ctl totp enroll "$CODED" > "$T/enroll" 2>&1 || bad "totp enroll" "$T/enroll"
SECRET=$(sed -n 's/.*by hand: //p' "$T/enroll")
oathtool --totp -b "$SECRET" | ctl totp confirm "$CODED" > "$T/confirm" 2>&1 ||
	bad "totp confirm" "$T/confirm"
# The recovery codes, one per line, to spend one per stack.
grep -oE '^ *[A-Z0-9]{4}(-[A-Z0-9]{4})+ *$' "$T/confirm" | tr -d ' ' \
	> "$T/codes"
[ "$(wc -l < "$T/codes")" -ge 5 ] || bad "no recovery codes" "$T/confirm"

mkdir "$T/pam.d"
M="$B/pam_policyd.so socket=$T/run/pam.sock nodelay"
echo 'auth required pam_unix.so' > "$T/pam.d/common-auth"
echo 'account required pam_unix.so' > "$T/pam.d/common-account"
echo 'password required pam_unix.so obscure yescrypt' \
	> "$T/pam.d/common-password"
echo 'session required pam_permit.so' > "$T/pam.d/common-session"
echo 'session required pam_permit.so' \
	> "$T/pam.d/common-session-noninteractive"
for t in auth account password session; do
	echo "$t required pam_deny.so"
done > "$T/pam.d/other"

# service NAME FILE [SED]: $T/pam.d/NAME from conf/pam.d/FILE with our
# module and group, without session lines, no failure delay.
service() {
	sed -e '/^session/d' -e "s|pam_policyd\\.so|$M|" \
		-e "s/ingroup policyd-staff/ingroup $group/" \
		-e 's/delay=3000000/delay=0/' ${3:+-e "$3"} "$C/$2" \
		> "$T/pam.d/$1"
}

# pt SERVICE USER OPS... with the answers of $ANSWERS (lines) on stdin, as
# $AS (a user; root if empty); status in $rc, output in $T/out.
pt() {
	svc=$1
	shift
	# shellcheck disable=SC2086
	set -- env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
		${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
		PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
		pamtester -v -I rhost=192.0.2.9 "$svc" "$@"
	if [ -n "${AS:-}" ]; then
		set -- setpriv --reuid="$AS" --regid="$AS" --init-groups \
			--reset-env "$@"
	fi
	printf '%s\n' "$ANSWERS" | timeout 30 "$@" > "$T/out" 2>&1
	rc=$?
}

# asked USER: how many times policyd has been asked about USER so far.
asked() {
	grep -cE "(password|auth) [a-z ]*: user $1 " "$T/policyd.log"
}

# expect WHAT STATUS [TEXT]: pt's status (0, or non-zero for any failure)
# and, if given, a text in its output.
expect() {
	if { [ "$2" = 0 ] && [ "$rc" -ne 0 ]; } ||
		{ [ "$2" != 0 ] && [ "$rc" -eq 0 ]; }; then
		bad "$1: pamtester status $rc" "$T/out"
	elif [ -n "${3:-}" ] && ! grep -qF -- "$3" "$T/out"; then
		bad "$1: '$3' not in the output" "$T/out"
	else
		ok "$1"
	fi
}

# never_asked WHAT USER BEFORE: policyd was not asked about USER since.
never_asked() {
	if [ "$(asked "$2")" -eq "$3" ]; then ok "$1"; else
		bad "$1: policyd was asked" "$T/policyd.log"; fi
}

# gated SERVICE: the cases every group-gated stack shares, as root.
gated() {
	s=$1
	ANSWERS=$PW_M pt "$s" "$MEM" authenticate acct_mgmt
	expect "$s: a member logs in with policyd's password" 0 \
		"successfully authenticated"
	ANSWERS=$(printf '%s\n%s' "$PW_C" "$(sed -n 1p "$T/codes")")
	sed -i 1d "$T/codes"
	pt "$s" "$CODED" authenticate acct_mgmt
	expect "$s: an enrolled member logs in with password and code" 0 \
		"successfully authenticated"
	ANSWERS=$(printf 'Wrong-Guess-Pumice-11\n000000') \
		pt "$s" "$MEM" authenticate
	expect "$s: a wrong password is refused" 1 "Authentication failure"
	before=$(asked "$MEM")
	ANSWERS=$(printf '%s\n000000' "$UNIX_M") pt "$s" "$MEM" authenticate
	expect "$s: a member's Unix password is refused" 1
	[ "$(asked "$MEM")" -gt "$before" ] &&
		ok "$s: ... by policyd, pam_unix never asked" ||
		bad "$s: policyd was not asked" "$T/policyd.log"
	before=$(asked "$OTHER")
	ANSWERS=$UNIX_O pt "$s" "$OTHER" authenticate acct_mgmt
	expect "$s: anyone else logs in with their Unix password" 0 \
		"successfully authenticated"
	ANSWERS=Wrong-Unix-Guess-71 pt "$s" "$OTHER" authenticate
	expect "$s: ... and not with a wrong one" 1
	never_asked "$s: policyd is never asked about them" "$OTHER" "$before"
}

# gated_down SERVICE: with policyd stopped.
gated_down() {
	ANSWERS=$PW_M pt "$1" "$MEM" authenticate
	expect "$1, policyd down: a member is refused" 1 \
		"cannot retrieve authentication info"
	ANSWERS=$UNIX_O pt "$1" "$OTHER" authenticate acct_mgmt
	expect "$1, policyd down: anyone else still logs in" 0 \
		"successfully authenticated"
}

service login login
service su-norootok su '/pam_rootok/d'
service su su
service sudo sudo
service sshd-gated sshd-group-gated
service screenlock screenlock
service stacked stacked-after-pam_unix

for s in login su-norootok sudo sshd-gated; do
	gated "$s"
done

# login: a member's expired password is changed inside the login, as login
# does it (PAM_CHANGE_EXPIRED_AUTHTOK, so the current password is asked even
# though the caller is root), and the new one is what policyd keeps.
ctl passwd "$MEM" --expire > /dev/null 2>&1
NEW_M='Member-Renewed-Granite-93'
ANSWERS=$PW_M pt login "$MEM" authenticate acct_mgmt
expect "login: an expired password is asked to be changed" 1 \
	"You are required to change your password now."
ANSWERS=$(printf '%s\n%s\n%s' "$PW_M" "$NEW_M" "$NEW_M") \
	pt login "$MEM" 'chauthtok(PAM_CHANGE_EXPIRED_AUTHTOK)'
expect "login: ... and is changed through the login's password lines" 0 \
	"altered successfully"
ANSWERS=$NEW_M pt login "$MEM" authenticate
expect "login: the new password logs in" 0 "successfully authenticated"
PW_M=$NEW_M

# screenlock, as the user.
AS=$MEM ANSWERS=$PW_M pt screenlock "$MEM" authenticate
expect "screenlock: a member unlocks their own screen" 0 \
	"successfully authenticated"
AS=$MEM ANSWERS=$(printf 'Wrong-Guess-Pumice-11\n000000') \
	pt screenlock "$MEM" authenticate
expect "screenlock: a wrong password is refused" 1
AS=$MEM ANSWERS=$(printf '%s\n%s' "$PW_C" "$(sed -n 1p "$T/codes")") \
	pt screenlock "$CODED" authenticate
expect "screenlock: a member cannot check another member's password" 1
AS=$OTHER ANSWERS=$UNIX_O pt screenlock "$OTHER" authenticate
expect "screenlock: anyone else unlocks with their Unix password" 0 \
	"successfully authenticated"

# stacked-after-pam_unix: the Unix password and policyd's must both pass.
ANSWERS=$PW_M pt stacked "$MEM" authenticate
expect "stacked: policyd's password alone is refused (pam_unix says no)" 1
ANSWERS=$UNIX_M pt stacked "$MEM" authenticate
expect "stacked: the Unix password alone is refused (policyd says no)" 1
printf '%s:%s\n' "$MEM" "$PW_M" | chpasswd
ANSWERS=$PW_M pt stacked "$MEM" authenticate acct_mgmt
expect "stacked: the same password in both logs in" 0 \
	"successfully authenticated"

stop_daemon
for s in login su-norootok sudo sshd-gated screenlock; do
	[ "$s" = screenlock ] && continue
	gated_down "$s"
done
AS=$OTHER ANSWERS=$UNIX_O pt screenlock "$OTHER" authenticate
expect "screenlock, policyd down: anyone else still unlocks" 0 \
	"successfully authenticated"
AS=$MEM ANSWERS=$PW_M pt screenlock "$MEM" authenticate
expect "screenlock, policyd down: a member's screen stays locked" 1

# su as root, the real binary: pam_rootok lets root through with policyd
# down, to a member too; the account check of a member then fails closed,
# so root's su goes to anyone else.
ANSWERS= pt su "$MEM" authenticate
expect "su (root): authentication passes without a password, policyd down" \
	0 "successfully authenticated"
out=$(LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
	PAM_WRAPPER_SERVICE_DIR="$T/pam.d" PAM_WRAPPER_DISABLE_DEEPBIND=1 \
	UID_WRAPPER_DISABLE_DEEPBIND=1 \
	timeout 30 su -s /bin/sh -c 'id -un' "$OTHER" < /dev/null \
	2> "$T/su.err")
[ "$out" = "$OTHER" ] && ok "su (the real binary, as root) to anyone else, policyd down" ||
	bad "real su printed '$out'" "$T/su.err"

exit $fails
