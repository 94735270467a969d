#!/bin/sh
# policyctl doctor against fake roots under $POLICYD_TEST_DIR: the PAM
# stacks it reads (includes, jumps, loops, gates, totp_only), the modes of
# policyd's files, and its exit status (0 no error, 1 an error, 2 usage).
# The real /etc is never read with --root; one run against a real daemon
# checks that a reachable socket is said to be.
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
TOP=$(cd "$(dirname "$0")/.." && pwd)
CTL="$B/policyctl"
pid=
fails=0

. "$(dirname "$0")/lib.sh"
trap stop_daemon EXIT

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# doctor WANT_STATUS DESCRIPTION ROOT [ARGS...]: output in $T/out.
doctor() {
	want=$1
	what=$2
	root=$3
	shift 3
	"$CTL" doctor --root "$root" "$@" > "$T/out" 2> "$T/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$what: exit $got, expected $want"
		sed 's/^/    /' "$T/out" "$T/err"
	else
		echo "ok: $what"
	fi
}

# has LINE DESCRIPTION: an exact line of the output.
has() {
	if grep -qxF -- "$1" "$T/out"; then
		echo "ok: $2"
	else
		fail "$2: line not found: $1"
		sed 's/^/    /' "$T/out"
	fi
}

# lacks TEXT DESCRIPTION
lacks() {
	if grep -qF -- "$1" "$T/out"; then
		fail "$2: '$1' in:"
		sed 's/^/    /' "$T/out"
	else
		echo "ok: $2"
	fi
}

# new_root NAME: a root with pam.d, Debian's common files, a passwd with
# the daemon user and a policyd.conf with sound modes; its path in $R.
new_root() {
	R=$T/$1
	mkdir -p "$R/etc/pam.d" "$R/etc/policyd" "$R/var/lib/policyd"
	chmod 755 "$R" "$R/etc" "$R/etc/pam.d" "$R/etc/policyd"
	chmod 700 "$R/var/lib/policyd"
	printf 'root:x:0:0::/root:/bin/sh\npolicyd:x:990:990::/:/usr/sbin/nologin\n' \
		> "$R/etc/passwd"
	printf 'root:x:0:\nstaff:x:1000:\nops:x:1001:\npolicyd-staff:x:1002:\n' \
		> "$R/etc/group"
	printf 'account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so\naccount requisite pam_deny.so\naccount required pam_permit.so\n' \
		> "$R/etc/pam.d/common-account"
	printf 'session required pam_unix.so\n' > "$R/etc/pam.d/common-session"
	printf 'auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\nauth required pam_permit.so\n' \
		> "$R/etc/pam.d/common-auth"
	printf '[daemon]\nuser = policyd\n' > "$R/etc/policyd/policyd.conf"
	chmod 644 "$R/etc/policyd/policyd.conf"
}

# 1. The shipped sshd file: no bypass, the warning about root.
new_root shipped
cp "$TOP/conf/pam.d/sshd" "$R/etc/pam.d/sshd"
doctor 0 "the shipped sshd file has no error" "$R"
has "sshd: ok: auth: no module lets a login through when policyd refuses it or is unreachable" \
	"sshd: no bypass"
acct=$(grep -n '^account[[:space:]]*required[[:space:]]*pam_policyd.so' \
	"$TOP/conf/pam.d/sshd" | cut -d: -f1)
has "sshd: warning: account: root and service accounts cannot log in through this service while policyd does not know them: sshd:$acct (required pam_policyd.so) refuses users not in its store" \
	"sshd: root cannot log in, said with the line"
has "sshd: ok: daemon: /run/policyd/pam.sock: not checked (--root)" \
	"reachability is not checked under --root"
lacks "common-auth:" "a file no service uses with policyd is not reported"
has "files: ok: key_file: /etc/policyd/totp.key: not there yet (created at the first start)" \
	"a missing key file is fine"
has "doctor: 0 errors, 1 warning (root $R)" "the summary counts"
"$CTL" doctor --root "$R" --json > "$T/json" 2>&1
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["errors"] == 0 and d["groups"][0]["name"] == "sshd"' "$T/json"; then
	echo "ok: --json is one valid JSON document"
else
	fail "--json: not the JSON expected"; sed 's/^/    /' "$T/json"
fi

# The other shipped file: pam_unix and policyd both required.
cp "$TOP/conf/pam.d/stacked-after-pam_unix" "$R/etc/pam.d/login"
doctor 0 "stacked after pam_unix: no error" "$R"
has "login: ok: auth: no module lets a login through when policyd refuses it or is unreachable" \
	"stacked after pam_unix: no bypass"

# 2. pam_unix sufficient after an optional or [default=ignore] policyd.
new_root sufficient
printf 'auth optional pam_policyd.so\nauth sufficient pam_unix.so\nauth required pam_deny.so\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/sshd"
printf 'auth [default=ignore] pam_policyd.so\nauth sufficient pam_sss.so\nauth required pam_deny.so\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/login"
doctor 1 "pam_unix sufficient after an optional policyd is an error" "$R"
has "sshd: error: auth: a login passes without policyd when policyd refuses it: sshd:2 (sufficient pam_unix.so) lets it through; pam_policyd.so at sshd:1 (optional pam_policyd.so)" \
	"the bypass names the line of pam_unix"
has "login: error: auth: a login passes without policyd when policyd refuses it: login:2 (sufficient pam_sss.so) lets it through; pam_policyd.so at login:1 (default=ignore pam_policyd.so)" \
	"[default=ignore] too, with pam_sss"

# ... or a password module above policyd, and a policyd that fails open.
printf 'auth sufficient pam_unix.so\nauth required pam_policyd.so\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/su"
printf 'auth [success=done authinfo_unavail=ignore default=die] pam_policyd.so\nauth required pam_unix.so\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/sudo"
doctor 1 "a password module above policyd is an error" "$R"
has "su: error: auth: a login passes without policyd when policyd refuses it: su:1 (sufficient pam_unix.so) lets it through before policyd is asked; pam_policyd.so at su:2 (required pam_policyd.so)" \
	"pam_unix above policyd"
has "sudo: error: auth: a login passes without policyd when policyd is unreachable: sudo:2 (required pam_unix.so) lets it through; pam_policyd.so at sudo:1 (success=done authinfo_unavail=ignore default=die pam_policyd.so)" \
	"authinfo_unavail=ignore fails open"

# 3. @include common-auth, whose pam_unix can pass alone.
new_root include
printf 'auth optional pam_policyd.so\n@include common-auth\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/sshd"
printf 'auth required pam_policyd.so\nauth include common-auth\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/login"
doctor 1 "@include common-auth with pam_unix is an error" "$R"
has "sshd: error: auth: a login passes without policyd when policyd refuses it: common-auth:1 (success=1 default=ignore pam_unix.so) lets it through; pam_policyd.so at sshd:1 (optional pam_policyd.so)" \
	"the bypass names the included line"
has "login: ok: auth: no module lets a login through when policyd refuses it or is unreachable" \
	"a required policyd before the include holds"

# 4. A group gate in the account stack.
new_root gate
printf 'auth required pam_policyd.so\naccount [success=ok default=1] pam_succeed_if.so user ingroup staff quiet\naccount [success=done default=die] pam_policyd.so\naccount required pam_unix.so\n' \
	> "$R/etc/pam.d/sshd"
printf 'auth required pam_policyd.so\naccount [success=1 default=ignore] pam_succeed_if.so quiet user notingroup ops\naccount required pam_policyd.so\naccount required pam_unix.so\n' \
	> "$R/etc/pam.d/login"
doctor 0 "a group-gated stack has no error" "$R"
has "sshd: ok: account: members of group staff go through policyd, everyone else through the rest of the stack (gate at sshd:2 (success=ok default=1 pam_succeed_if.so))" \
	"the gate and its group are reported"
has "login: ok: account: members of group ops go through policyd, everyone else through the rest of the stack (gate at login:2 (success=1 default=ignore pam_succeed_if.so))" \
	"notingroup with a jump too"
lacks "root and service accounts" "no warning about root behind a gate"
lacks "does not exist" "the gates' groups exist"

# A gate whose group does not exist lets the members meant for policyd
# skip it (pam_succeed_if counts no one in a group it cannot find): an
# error, with "ingroup" as with "notingroup" and a jump over policyd.
sed -i '/^staff:/d; /^ops:/d' "$R/etc/group"
doctor 1 "a gate's missing group is an error" "$R"
has "sshd: error: account: group staff does not exist: pam_succeed_if counts no one in it, so the accounts meant for policyd skip it and log in through the rest of the stack (groupadd --system staff)" \
	"the missing ingroup group is named, with what it means"
has "login: error: account: group ops does not exist: pam_succeed_if counts no one in it, so the accounts meant for policyd skip it and log in through the rest of the stack (groupadd --system ops)" \
	"... and the notingroup one that jumps over policyd"
new_root shipped-login
cp "$TOP/conf/pam.d/login" "$R/etc/pam.d/login"
doctor 0 "the shipped login file, its group there, has no error" "$R"
sed -i '/^policyd-staff:/d' "$R/etc/group"
doctor 1 "... and without policyd-staff, an error" "$R"
has "login: error: account: group policyd-staff does not exist: pam_succeed_if counts no one in it, so the accounts meant for policyd skip it and log in through the rest of the stack (groupadd --system policyd-staff)" \
	"the example's group is named"

# 5. Jumps: [success=1 default=ignore] over pam_deny holds; over a
# pam_unix that jumps on to pam_permit it does not.
new_root jump
printf 'auth [success=1 default=ignore] pam_policyd.so\nauth requisite pam_deny.so\nauth required pam_permit.so\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/sshd"
printf 'auth [success=2 default=ignore] pam_policyd.so\nauth [success=1 default=ignore] pam_unix.so\nauth requisite pam_deny.so\nauth required pam_permit.so\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/login"
doctor 1 "a jump past pam_deny through pam_unix is an error" "$R"
has "sshd: ok: auth: no module lets a login through when policyd refuses it or is unreachable" \
	"[success=1 default=ignore] over pam_deny holds"
has "login: error: auth: a login passes without policyd when policyd refuses it: login:2 (success=1 default=ignore pam_unix.so) lets it through; pam_policyd.so at login:1 (success=2 default=ignore pam_policyd.so)" \
	"the jump through pam_unix is found"

# 6. An include loop and a missing include.
new_root loop
printf 'auth required pam_policyd.so\n@include a\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/sshd"
printf '@include b\n' > "$R/etc/pam.d/a"
printf 'auth include a\n' > "$R/etc/pam.d/b"
printf 'auth required pam_policyd.so\n@include nosuch\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/login"
doctor 1 "an include loop is an error, and does not hang" "$R"
has "sshd: error: pam: include loop: sshd -> a -> b -> a: not followed again (libpam cannot load this service)" \
	"the loop is said with its path"
has "login: warning: pam: include of nosuch: No such file or directory (libpam fails that line)" \
	"a missing include is said"

# 7. totp_only without authsucc, and without a password module.
new_root totp
printf 'auth requisite pam_unix.so\nauth required pam_policyd.so totp_only\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/sshd"
printf 'auth required pam_policyd.so totp_only\nauth sufficient pam_policyd.so authsucc\nauth required pam_deny.so\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/login"
printf 'auth requisite pam_unix.so\nauth required pam_policyd.so totp_only\nauth sufficient pam_policyd.so authsucc\nauth required pam_deny.so\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/su"
doctor 0 "totp_only stacks warn only" "$R"
has "sshd: warning: totp: sshd:2 (required pam_policyd.so): totp_only not followed by an authsucc line: a right code does not clear the account's earlier failures (end the stack with \"auth sufficient pam_policyd.so authsucc\")" \
	"totp_only without authsucc"
has "login: warning: totp: login:1 (required pam_policyd.so): totp_only with no password module above it: nothing here checks the password" \
	"totp_only without a password module"
lacks "su: warning: totp" "pam_unix, totp_only and authsucc: no warning"

# 8. File modes: a world-readable key, a 0644 store, a group-writable
# directory, a config owned by someone else.
new_root modes
cp "$TOP/conf/pam.d/sshd" "$R/etc/pam.d/sshd"
printf '[daemon]\nuser = policyd\ndatabase = /var/lib/policyd/policyd.db ; the store\nruntime_dir = /run/policyd\n[totp]\nkey_file = /etc/policyd/totp.key\n' \
	> "$R/etc/policyd/policyd.conf"
head -c 32 /dev/urandom > "$R/etc/policyd/totp.key"
chmod 644 "$R/etc/policyd/totp.key"
: > "$R/var/lib/policyd/policyd.db"
chmod 644 "$R/var/lib/policyd/policyd.db"
: > "$R/var/lib/policyd/policyd.db-wal"
chmod 600 "$R/var/lib/policyd/policyd.db-wal"
chown 990 "$R/var/lib/policyd/policyd.db-wal"
mkdir -p "$R/run/policyd" && chmod 775 "$R/run/policyd"
doctor 1 "bad modes are errors" "$R"
has "files: error: key_file: /etc/policyd/totp.key: open to others (mode 0644; it must be 0600 or 0400)" \
	"a world-readable key file"
has "files: error: database: /var/lib/policyd/policyd.db: open to others (mode 0644; it must be 0600 or 0400)" \
	"a 0644 store"
has "files: ok: database: /var/lib/policyd/policyd.db-wal: owner uid 990, mode 0600" \
	"the -wal file of the daemon user is fine"
has "files: error: runtime_dir: /run/policyd: writable by its group (mode 0775)" \
	"a group-writable runtime directory"
has "files: ok: config: /etc/policyd/policyd.conf: owner uid 0, mode 0644" \
	"the config is fine"
chown 1234 "$R/etc/policyd/policyd.conf"
chmod 777 "$R/etc"
chmod 600 "$R/etc/policyd/totp.key" "$R/var/lib/policyd/policyd.db"
doctor 1 "a foreign owner and a world-writable directory are errors" "$R"
has "files: error: config: /etc/policyd/policyd.conf: owned by uid 1234, not by root or policyd" \
	"the config's owner"
has "files: error: directory: /etc: writable by others (mode 0777)" \
	"a world-writable directory above"
has "files: ok: key_file: /etc/policyd/totp.key: owner uid 0, mode 0600" \
	"a 0600 key is fine"
ln -s /etc/shadow "$R/etc/policyd/link.key"
chmod 755 "$R/etc"
"$CTL" doctor --root "$R" -c /etc/policyd/nosuch.conf > "$T/out" 2>&1
has "files: error: config: /etc/policyd/nosuch.conf: No such file or directory: policyd does not start without it; defaults assumed" \
	"-c names another config"

# 9. No pam.d at all; usage errors.
mkdir -p "$T/empty"
doctor 1 "a root without pam.d is an error" "$T/empty"
has "pam.d: error: pam: $T/empty/etc/pam.d: No such file or directory: no PAM configuration to check" \
	"a missing pam.d is said clearly"
doctor 2 "an unknown flag is a usage error" "$T/empty" --yaml
doctor 2 "a root that does not exist is a usage error" "$T/nosuch"
"$CTL" doctor -c relative.conf > /dev/null 2>&1
[ $? -eq 2 ] && echo "ok: a relative -c is a usage error" ||
	fail "a relative -c is not a usage error"

# 10. Hostile bytes: an escape sequence in a file name and in a line, a
# NUL, a line longer than libpam's buffer, a bracket never closed; the
# output holds none of them raw.
new_root hostile
esc=$(printf '\033')
printf 'auth required pam_policyd.so daemon_user=x\033[2J\naccount required pam_policyd.so\n' \
	> "$R/etc/pam.d/sshd"
printf 'auth required pam_policyd.so\naccount required pam_policyd.so\n@include evil\033]0;x\n' \
	> "$R/etc/pam.d/login"
{ printf 'auth required pam_policyd.so '; head -c 2000 /dev/zero | tr '\0' 'a'
  printf '\nauth sufficient pam_unix.so\0 tail\naccount [success=ok default=bad pam_policyd.so\n'; } \
	> "$R/etc/pam.d/su"
doctor 1 "hostile files are read" "$R"
if grep -q "$esc" "$T/out"; then
	fail "an escape character reached the output"
else
	echo "ok: no escape character in the output"
fi
has 'sshd: error: pam: sshd:1: pam_policyd.so: bad argument "daemon_user=x\x1b[2J": the module fails every call (PAM_SERVICE_ERR)' \
	"a bad argument is named, escaped"
has "su: warning: pam: su: holds a NUL byte: libpam ignores the rest of that line" \
	"a NUL byte is said"
has "su: warning: pam: su: a line is longer than 1023 bytes: libpam reads the rest of it as another line" \
	"a long line is said"
"$CTL" doctor --root "$R" --json > "$T/json" 2>&1
if python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$T/json"; then
	echo "ok: --json of hostile files is valid"
else
	fail "--json of hostile files is not valid JSON"
fi

# 11. A real daemon: with root /, the socket of socket= answers.  The
# fake root gives it pam.d through the same files, so only the daemon
# step is looked at.
write_conf 8192 1
start_daemon || exit 1
new_root live
printf 'auth required pam_policyd.so socket=%s/run/pam.sock daemon_user=root\naccount required pam_policyd.so socket=%s/run/nosuch.sock daemon_user=root\n' "$T" "$T" \
	> "$R/etc/pam.d/sshd"
# Rule 1 is checked only for root /: run it on the live system's view
# of this file through a bind of nothing -- point --root at / is not
# possible without touching /etc, so the ping code is reached through
# an unshared mount namespace when available.
if command -v unshare > /dev/null 2>&1 &&
	unshare -m --propagation private sh -c "mount --bind '$R/etc/pam.d' /etc/pam.d &&
		'$CTL' doctor > '$T/out' 2> '$T/err'; exit 0" 2> /dev/null; then
	has "sshd: ok: daemon: policyd $(awk 'NR == 1 { gsub(/[()]/, "", $2); print $2 }' "$TOP/debian/changelog") answers on $T/run/pam.sock (daemon user root)" \
		"a reachable daemon is said to answer"
	has "sshd: error: daemon: $T/run/nosuch.sock: No such file or directory; logins through this service fail" \
		"an unreachable socket is an error"
else
	echo "ok: (skipped: no mount namespace to show the live check)"
fi
stop_daemon
exit $fails
