#!/bin/sh
# make demo: a real policyd on a throwaway directory, a staff account made
# with policyctl, and real logins through libpam (pamtester, with
# pam_wrapper reading a private service directory).  Cleans up after
# itself; touches nothing outside its temporary directory.
set -eu
BUILD=$(cd "${BUILD:-build/release}" && pwd)
B=$BUILD
T=$(mktemp -d "${TMPDIR:-/tmp}/policyd-demo.XXXXXX")
chmod 755 "$T"
pid=
. "$(dirname "$0")/lib.sh"
cleanup() {
	stop_daemon 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

PASSWORD='Demo-staff-password-7'
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() {
	printf '  $ %s\n' "$*" | sed "s|$BUILD/||; s| -S $T/run||"
	"$@" 2>&1 | sed 's/^/    /'
}

write_conf 65536 3
# Ask for a code from whoever has TOTP (and, to tell nothing, after any
# wrong password).
sed -i 's/^required = off/required = enrolled/' "$T/policyd.conf"
mkdir "$T/pam.d"
cat > "$T/pam.d/demo" <<PAM
auth     required $BUILD/pam_policyd.so socket=$T/run/pam.sock
account  required $BUILD/pam_policyd.so socket=$T/run/pam.sock
PAM
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' \
	> "$T/pam.d/other"

login() {
	# pamtester answers the prompts (password, then any code) from
	# standard input.
	printf '  $ pamtester -I rhost=192.0.2.10 demo %s authenticate ' "$1"
	printf 'acct_mgmt   # %s\n' "$2"
	printf '%s\n%s\n' "$3" "${4:-000000}" | LD_PRELOAD=libpam_wrapper.so \
		PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
		pamtester -I rhost=192.0.2.10 demo "$1" authenticate \
		acct_mgmt 2>&1 | sed 's/^/    /; s/Password: //;
		s/Verification code: //' || true
}

say "1. Start policyd (argon2id m=64 MiB, t=3) on $T/run"
start_daemon
run "$BUILD/policyctl" -S "$T/run" ping

say "2. Create a staff account with policyctl"
printf '%s\n' "$PASSWORD" > "$T/pw"
printf '  $ policyctl user add alice --password-stdin\n'
"$BUILD/policyctl" -S "$T/run" user add alice --password-stdin < "$T/pw" 2>&1 |
	sed 's/^/    /'
run "$BUILD/policyctl" -S "$T/run" user show alice

say "3. Log in through PAM with the right password"
login alice "password: right" "$PASSWORD"

say "4. A wrong password, then a user that does not exist: the same answer"
login alice "password: wrong, then a code" "not-the-password"
login mallory "password: any, then a code" "$PASSWORD"

say "5. A second factor: enrol alice in TOTP, confirm with an app's code"
printf '  $ policyctl totp enroll alice\n'
"$BUILD/policyctl" -S "$T/run" totp enroll alice > "$T/enroll" 2>&1
sed 's/^/    /' "$T/enroll"
SECRET=$(sed -n 's/.*by hand: //p' "$T/enroll")
printf '  $ oathtool --totp -b SECRET | policyctl totp confirm alice\n'
oathtool --totp -b "$SECRET" | "$BUILD/policyctl" -S "$T/run" totp confirm \
	alice > "$T/codes" 2>&1
sed 's/^/    /' "$T/codes"
RECOVERY=$(grep -m1 -E '^  [A-Z2-7]{4}-' "$T/codes" | tr -d ' ')
CODE=$(oathtool --totp -b -N 'now + 30 seconds' "$SECRET")
login alice "password: right, code: right" "$PASSWORD" "$CODE"
login alice "password: right, the same code again" "$PASSWORD" "$CODE"

say "6. Disable the account: the right password no longer opens it"
run "$BUILD/policyctl" -S "$T/run" user disable alice
login alice "password: right, a recovery code" "$PASSWORD" "$RECOVERY"
run "$BUILD/policyctl" -S "$T/run" user enable alice

say "7. Stop policyd: logins fail closed"
stop_daemon || true
login alice "password: right" "$PASSWORD"

say "What policyd logged"
sed 's/^/    /' "$T/policyd.log"
if grep -qF "$PASSWORD" "$T/policyd.log"; then
	echo "demo: the password reached the log" >&2
	exit 1
fi
printf '\nDone; %s removed.\n' "$T"
