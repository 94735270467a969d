#!/bin/sh
# The Debian package's pam-auth-update profile (debian/pam-configs/policyd)
# through real libpam (pamtester under pam_wrapper): its Auth-Initial and
# Account-Initial lines stacked as pam-auth-update stacks a first Primary
# profile ("end" made a jump over the rest of the Primary block and
# pam_deny), in front of pam_permit standing in for pam_unix, so that any
# fall-through would let the login in.  A member of the routing group
# (nobody, through its primary group nogroup, for policyd-staff) is
# decided by policyd alone: a wrong password, a locked account and a
# daemon that is down are refused, and a password change goes to policyd.
# Anyone else (daemon) never reaches pam_policyd.so.  (pam-auth-update
# itself, on a Debian root, writes the same stacks.)
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
TOP=$(cd "$(dirname "$0")/.." && pwd)
PROFILE=$TOP/debian/pam-configs/policyd
PW='Profile-pass-9x'
ROUTED=nobody
GROUP=$(id -gn nobody)
OTHER=daemon
pid=
fails=0
. "$TOP/tests/lib.sh"
trap stop_daemon EXIT

# block FIELD: the profile's lines under "FIELD:", as a PAM service's
# TYPE lines, followed by the stand-in for pam_unix; "end" becomes the
# jump over the lines after it and pam_deny, as pam-auth-update writes it.
block() {
	type=$(echo "$1" | sed 's/-.*//' | tr 'A-Z' 'a-z')
	{
		awk -v f="$1:" '$0 == f { on = 1; next }
			on && /^\t/ { sub(/^\t/, ""); print; next }
			{ on = 0 }' "$PROFILE"
		printf '[success=end %sdefault=ignore]\tpam_permit.so\n' \
			"$([ "$type" = account ] && echo 'new_authtok_reqd=done ')"
	} > "$T/block"
	n=$(wc -l < "$T/block")
	awk -v n="$n" -v t="$type" -v m="$B/pam_policyd.so" \
		-v s="socket=$T/run/pam.sock nodelay" -v g="$GROUP" '{
		j = n - NR + 1
		gsub(/=end/, "=" j)
		sub(/pam_policyd\.so/, m " " s)
		sub(/pam_unix\.so.*/, "pam_permit.so")
		sub(/ingroup policyd-staff/, "ingroup " g)
		print t "\t" $0
	}' "$T/block"
	printf '%s\trequisite\tpam_deny.so\n%s\trequired\tpam_permit.so\n' \
		"$type" "$type"
}

write_conf 8192 1
mkdir "$T/pam.d"
{ block Auth-Initial; block Account-Initial; block Password-Initial; } \
	> "$T/pam.d/policyd-profile"
printf '%s required pam_deny.so\n' auth account password > "$T/pam.d/other"
grep -q 'ingroup' "$T/pam.d/policyd-profile" &&
	grep -q "$B/pam_policyd.so" "$T/pam.d/policyd-profile" ||
	{ echo "FAIL: no stack from $PROFILE:"; cat "$T/pam.d/policyd-profile"; exit 1; }

# pt EXPECTED_STATUS DESCRIPTION PASSWORD USER OPS...
pt() {
	want=$1 what=$2 pw=$3
	shift 3
	printf '%s\n' "$pw" | LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
		pamtester -v -I rhost=192.0.2.9 policyd-profile "$@" \
		> "$T/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: pamtester $*: exit $got, expected $want"
		sed 's/^/    /' "$T/out"
		sed 's/^/    /' "$T/pam.d/policyd-profile"
		fails=$((fails + 1))
	else
		echo "ok: $what"
	fi
}

start_daemon || exit 1
printf '%s\n' "$PW" |
	"$B/policyctl" -S "$T/run" user add "$ROUTED" --password-stdin 2>/dev/null

pt 0 "a member with the right password" "$PW" "$ROUTED" authenticate acct_mgmt
pt 1 "a member with a wrong password: no fall-through" wrong "$ROUTED" \
	authenticate
pt 0 "anyone else goes on to the modules after it" wrong "$OTHER" \
	authenticate acct_mgmt
for i in 1 2 3 4 5; do
	pt 1 "failure $i" "wrong-$i" "$ROUTED" authenticate
done
pt 1 "a locked member, right password: refused" "$PW" "$ROUTED" authenticate
"$B/policyctl" -S "$T/run" unlock "$ROUTED" > /dev/null 2>&1
pt 0 "unlocked, the right password again" "$PW" "$ROUTED" authenticate
# Password changes (pamtester runs as root: new password, twice).  A
# non-member is changed by the profile's own pam_unix line (here
# pam_permit): when the profile is first, the unix profile's line after
# it has use_authtok and would find no new password.
NEW='Profile-new-pass-8y'
printf '%s\n%s\n' "$NEW" "$NEW" > "$T/newpw"
STDIN=$T/newpw
pt_stdin() {
	want=$1 what=$2
	shift 2
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
		pamtester -v policyd-profile "$@" < "$STDIN" > "$T/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: pamtester $*: exit $got, expected $want"
		sed 's/^/    /' "$T/out"
		fails=$((fails + 1))
	else
		echo "ok: $what"
	fi
}
pt_stdin 0 "a member's password changed by policyd" "$ROUTED" chauthtok
pt 0 "the member logs in with the new password" "$NEW" "$ROUTED" authenticate
pt 1 "and not with the old one" "$PW" "$ROUTED" authenticate
pt_stdin 0 "anyone else's by the profile's pam_unix line" "$OTHER" chauthtok
grep -q 'Password-Initial:' "$PROFILE" &&
	awk '/^Password-Initial:/ { on = 1; next } on && /^\t/ { print; next }
		{ on = 0 }' "$PROFILE" | grep 'pam_unix' | grep -qv use_authtok ||
	{ echo "FAIL: Password-Initial has no pam_unix line of its own"; fails=$((fails + 1)); }

stop_daemon
pt 1 "daemon down: a member is refused" "$NEW" "$ROUTED" authenticate
pt 0 "daemon down: anyone else is not affected" x "$OTHER" authenticate

[ "$fails" -eq 0 ] || exit 1
