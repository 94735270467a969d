#!/bin/sh
# End to end with OpenSSH: Debian's real sshd on 127.0.0.1, on a free port,
# with its own host key, sshd_config and PAM service in $T, runs the stack
# of conf/pam.d/sshd-group-gated against a real policyd; the real ssh client
# (answers from SSH_ASKPASS) and paramiko (tests/sshd_client.py, which sees
# every prompt and message) log in with keyboard-interactive.
#
# Needs root (useradd, sshd); skipped, exit 77, without it or without sshd.
# Touches nothing of the system's sshd, which may run beside it: this sshd
# takes its config, keys and PAM service from $T, and nothing in /etc/ssh
# or /etc/pam.d is written.  sshd's PAM service name is its program name
# (Debian 12's OpenSSH 9.2 has no PAMServiceName, see sshd_config(5)), so
# it runs as $T/sshd-pdt-*, a symbolic link, and pam_wrapper (LD_PRELOAD,
# as for pamtester) makes its libpam read the services from $T/pam.d.
# That works through sshd's re-execution and privilege separation, as every
# PAM call is made by a root process that keeps the environment; but each
# sshd process that ends without running its destructors leaves its copy
# of the services in /tmp/pam.X, so the cleanup removes those that hold our
# service.  Made and removed by the test: the users and the group (unique
# names), their homes (in $T), their records in /var/log/btmp (sshd writes
# one per failed login), /run/sshd if it was missing (sshd's privilege
# separation directory), and every process, each stopped by its pid.
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
TOP=$(cd "$(dirname "$0")/.." && pwd)
# Debian's python3, which has python3-paramiko, whatever else PATH holds.
PY=/usr/bin/python3
CLIENT="$PY $TOP/tests/sshd_client.py"
pid=
sshd_pid=
made_run_sshd=
users=
group=
fails=0
started=$(date +%s)
. "$TOP/tests/lib.sh"

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (useradd, sshd); CI runs it as root"
[ -x /usr/sbin/sshd ] ||
	skip "no /usr/sbin/sshd (make deps installs openssh-server)"
command -v ssh > /dev/null || skip "no ssh client (openssh-client)"
"$PY" -c 'import paramiko' 2> /dev/null ||
	skip "no python3-paramiko (make deps installs it)"
getent passwd sshd > /dev/null ||
	skip "no user sshd for privilege separation (openssh-server makes it)"

# Unique names: a killed run's leftovers never clash with the next run.
tag=$(printf '%s' "${T##*.}" | tr A-Z a-z | tr -cd a-z0-9 | cut -c1-6)
[ -n "$tag" ] || tag=$$
group=pdt_staff_$tag
ALICE=pdt_alice_$tag BOB=pdt_bob_$tag CAROL=pdt_carol_$tag
SVC=sshd-pdt-$tag
PW_A='Alice-ssh-Basalt-71' PW_B='Bob-ssh-Quartz-42' PW_C='Carol-ssh-Gneiss-35'
PW_C2='Carol-new-Feldspar-86'
DENY=4

ok() { echo "ok: $1"; }
bad() {
	echo "FAIL: $1"
	fails=$((fails + 1))
	for f in "$@"; do [ -f "$f" ] && sed 's/^/    /' "$f"; done
}

# children PID: the pids whose parent is PID.
children() {
	for s in /proc/[0-9]*/status; do
		awk -v p="$1" '$1 == "PPid:" && $2 == p { exit 0 } \
			$1 == "PPid:" { exit 1 }' "$s" 2> /dev/null &&
			{ d=${s%/status}; echo "${d#/proc/}"; }
	done
}

# The btmp records of our users, removed under the lock glibc's writers
# take; the others are kept as they are.
clean_btmp() {
	[ -f /var/log/btmp ] || return 0
	"$PY" - "pdt_" "_$tag" <<'PY'
import fcntl, sys
pre, suf = sys.argv[1].encode(), sys.argv[2].encode()
SIZE, USER = 384, slice(44, 76)
with open("/var/log/btmp", "r+b") as f:
    fcntl.lockf(f, fcntl.LOCK_EX)
    data = f.read()
    recs = [data[i:i + SIZE] for i in range(0, len(data), SIZE)]
    keep = [r for r in recs if len(r) < SIZE or not (
        r[USER].rstrip(b"\0").startswith(pre) and
        r[USER].rstrip(b"\0").endswith(suf))]
    if len(keep) != len(recs):
        f.seek(0)
        f.write(b"".join(keep))
        f.truncate()
PY
}

cleanup() {
	if [ -n "$sshd_pid" ]; then
		# A connection's sshd may still be closing after its client
		# quit: give it 2 s to end and be reaped by the listener, then
		# stop what is left; a connection's sshd outlives the listener.
		i=0
		while [ -n "$(children "$sshd_pid")" ] && [ $i -lt 100 ]; do
			sleep 0.02
			i=$((i + 1))
		done
		left=$(children "$sshd_pid")
		for c in $left; do kill "$c" 2> /dev/null; done
		i=0
		for c in $left; do
			while kill -0 "$c" 2> /dev/null && [ $i -lt 100 ]; do
				sleep 0.02
				i=$((i + 1))
			done
		done
		kill "$sshd_pid" 2> /dev/null
		wait "$sshd_pid" 2> /dev/null
		sshd_pid=
	fi
	stop_daemon
	for u in $users; do userdel -r "$u" 2> /dev/null; done
	[ -n "$group" ] && getent group "$group" > /dev/null &&
		groupdel "$group"
	clean_btmp
	for d in /tmp/pam.?; do
		[ -f "$d/$SVC" ] || continue
		p=$(cat "$d/pid" 2> /dev/null)
		[ -n "$p" ] && kill -0 "$p" 2> /dev/null && continue
		rm -rf "$d"
	done
	[ -n "$made_run_sshd" ] && rmdir /run/sshd 2> /dev/null
	echo "test_sshd: $(($(date +%s) - started)) s"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# policyd: codes for the enrolled, lockout after $DENY failures; every
# failure comes from 127.0.0.1, so the host is never blocked.
write_conf 8192 1
sed -i 's/^required = off$/required = enrolled/' "$T/policyd.conf"
cat >> "$T/policyd.conf" <<CONF
[lockout]
deny = $DENY
source_deny = 0
CONF
start_daemon || exit 1
ctl() { "$B/policyctl" -S "$T/run" "$@"; }

groupadd "$group" || exit 1
mkdir "$T/home"
for u in "$ALICE" "$BOB" "$CAROL"; do
	useradd -m -d "$T/home/$u" -s /bin/sh -G "$group" "$u" || exit 1
	users="$users $u"
done
printf '%s\n' "$PW_A" | ctl user add "$ALICE" --password-stdin 2> /dev/null ||
	exit 1
printf '%s\n' "$PW_B" | ctl user add "$BOB" --password-stdin 2> /dev/null ||
	exit 1
printf '%s\n' "$PW_C" | ctl user add "$CAROL" --password-stdin 2> /dev/null ||
	exit 1

# The PAM services: conf/pam.d/sshd-group-gated with our module, socket,
# group and no failure delay; Debian's session lines left out (they are not
# policyd's, and pam_loginuid needs the audit capability, which a container
# may not have); private common-* files for its @include lines.
mkdir "$T/pam.d"
M="$B/pam_policyd.so socket=$T/run/pam.sock nodelay"
sed -e '/^session/d' -e "s|pam_policyd\\.so|$M|" \
	-e "s/ingroup policyd-staff/ingroup $group/" \
	"$TOP/conf/pam.d/sshd-group-gated" > "$T/pam.d/$SVC"
echo 'auth required pam_unix.so' > "$T/pam.d/common-auth"
echo 'account required pam_unix.so' > "$T/pam.d/common-account"
echo 'password required pam_unix.so obscure yescrypt' \
	> "$T/pam.d/common-password"
echo 'session required pam_unix.so' > "$T/pam.d/common-session"
for t in auth account password session; do
	echo "$t required pam_deny.so"
done > "$T/pam.d/other"

# sshd: host key, root's key, config.  StrictModes no: the key file lies
# under $T, below a world-writable /tmp.
ssh-keygen -q -t ed25519 -N '' -C pdt-host -f "$T/host_key" || exit 1
ssh-keygen -q -t ed25519 -N '' -C pdt-root -f "$T/root_key" || exit 1
mkdir "$T/keys"
cp "$T/root_key.pub" "$T/keys/root"
if [ ! -d /run/sshd ]; then
	mkdir -m 755 /run/sshd && made_run_sshd=1
fi
ln -s /usr/sbin/sshd "$T/$SVC"

# A module built with AddressSanitizer (make check SANITIZE=1) needs the
# runtime first in sshd, which is not built with it: preloaded, it reads
# its options before sshd reuses the memory of its environment for the
# process title.  Leaks are not looked for in sshd, whose own allocations
# it would report; the module's are by the tests under libpamtest.
SSHD_PRELOAD=libpam_wrapper.so
SSHD_ASAN=${ASAN_OPTIONS:-}
asan=$(ldd "$B/pam_policyd.so" | awk '$1 ~ /^libasan/ { print $3 }')
if [ -n "$asan" ]; then
	SSHD_PRELOAD="$asan libpam_wrapper.so"
	SSHD_ASAN="verify_asan_link_order=0:detect_leaks=0:abort_on_error=1"
fi

# start_sshd: sshd -D -e on a free port, its pid in $sshd_pid, once it
# listens; a port taken meanwhile is tried again with another.
start_sshd() {
	for try in 1 2 3; do
		PORT=$($CLIENT port) || return 1
		cat > "$T/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $PORT
HostKey $T/host_key
PidFile $T/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $T/keys/%u
StrictModes no
AuthenticationMethods keyboard-interactive
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 30
LogLevel VERBOSE
Match User root
	AuthenticationMethods publickey
CONF
		: > "$T/sshd.log"
		ASAN_OPTIONS=$SSHD_ASAN LD_PRELOAD="$SSHD_PRELOAD" PAM_WRAPPER=1 \
			PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
			PAM_WRAPPER_DISABLE_DEEPBIND=1 \
			UID_WRAPPER_DISABLE_DEEPBIND=1 \
			"$T/$SVC" -D -e -f "$T/sshd_config" 2> "$T/sshd.log" &
		sshd_pid=$!
		i=0
		while [ $i -lt 250 ] && kill -0 "$sshd_pid" 2> /dev/null; do
			grep -q "Server listening on 127.0.0.1 port $PORT" \
				"$T/sshd.log" && return 0
			sleep 0.02
			i=$((i + 1))
		done
		kill "$sshd_pid" 2> /dev/null
		wait "$sshd_pid" 2> /dev/null
		sshd_pid=
	done
	echo "sshd did not start:"
	cat "$T/sshd.log"
	return 1
}
start_sshd || exit 1

# Answers ssh's prompts by their text, from the environment.
cat > "$T/askpass" <<'SH'
#!/bin/sh
printf '%s\n' "$1" >> "$PDT_ASKED"
case $1 in
*"Current password: ") printf '%s\n' "$PDT_PW" ;;
*"New password: " | *"Retype new password: ") printf '%s\n' "$PDT_NEW" ;;
*"Password: ") printf '%s\n' "$PDT_PW" ;;
*"Verification code: ") printf '%s\n' "$PDT_CODE" ;;
*) exit 1 ;;
esac
SH
chmod 755 "$T/askpass"

SSH_OPTS="-F none -p $PORT -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=$T/known_hosts -o ConnectTimeout=10
	-o NumberOfPasswordPrompts=1"

# kbd OUT USER PASSWORD [CODE [NEW]]: `ssh USER@127.0.0.1 echo ok` with
# keyboard-interactive, no terminal, answers from $T/askpass; its status in
# $rc, stdout in OUT, stderr in OUT.err, prompts in OUT.asked.
kbd() {
	: > "$1.asked"
	PDT_PW=$3 PDT_CODE=${4:-000000} PDT_NEW=${5:-} PDT_ASKED=$1.asked \
		SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force \
		setsid -w timeout 30 ssh $SSH_OPTS -o BatchMode=no \
		-o PreferredAuthentications=keyboard-interactive \
		"$2@127.0.0.1" echo ok < /dev/null > "$1" 2> "$1.err"
	rc=$?
}

# logged_in WHAT OUT / refused WHAT OUT: the outcome of kbd.
logged_in() {
	if [ "$rc" -eq 0 ] && [ "$(cat "$2")" = ok ]; then ok "$1"; else
		bad "$1: status $rc" "$2" "$2.err" "$2.asked"; fi
}
refused() {
	if [ "$rc" -eq 255 ] && [ ! -s "$2" ] &&
		grep -q 'Permission denied (keyboard-interactive)' "$2.err"
	then ok "$1"; else bad "$1: status $rc" "$2" "$2.err" "$2.asked"; fi
}
asked() {
	if [ "$(sed 's/^([^)]*) //' "$2.asked" | tr '\n' '|')" = "$3" ]; then
		ok "$1"; else bad "$1: prompts were not $3" "$2.asked"; fi
}
logged() {
	if [ "$(grep -cF -- "$2" "$T/policyd.log")" -eq "$3" ]; then
		ok "$1"; else bad "$1: not $3 x '$2' in the log" "$T/policyd.log"
	fi
}

# (1) Password and code.  enroll/confirm as the other tests do; confirm
# takes the current step's code, so the login takes the next step's, which
# is in policyd's window (window = 1) until the step after it ends.
ctl totp enroll "$ALICE" > "$T/enroll" 2>&1 || bad "totp enroll" "$T/enroll"
SECRET=$(sed -n 's/.*by hand: //p' "$T/enroll")
oathtool --totp -b "$SECRET" | ctl totp confirm "$ALICE" > "$T/confirm" 2>&1 ||
	bad "totp confirm" "$T/confirm"
CODE=$(oathtool --totp -b -N 'now + 30 seconds' "$SECRET")
kbd "$T/a1" "$ALICE" "$PW_A" "$CODE"
logged_in "(1) password and TOTP code over keyboard-interactive: echo ok" \
	"$T/a1"
asked "(1) asked Password:, then Verification code:" "$T/a1" \
	"Password: |Verification code: |"
logged "(1) policyd accepted both factors" "auth ok: user $ALICE with" 1

# (4) The same code again, within its step: refused as a replay.
kbd "$T/a4" "$ALICE" "$PW_A" "$CODE"
refused "(4) the same code a second time is refused" "$T/a4"
logged "(4) policyd refused it as a replay" "replayed TOTP code refused" 1

# (2) A wrong password: refused, and the code is asked all the same.
kbd "$T/a2" "$ALICE" "Not-Alice-pw-1x" "$CODE"
refused "(2) a wrong password is refused" "$T/a2"
asked "(2) the code prompt follows a wrong password too" "$T/a2" \
	"Password: |Verification code: |"

# (3) The right password with a wrong code.
WRONG=$(oathtool --totp -b -N 'now + 60 seconds' "$SECRET" |
	tr 0-9 1-90)
kbd "$T/a3" "$ALICE" "$PW_A" "$WRONG"
refused "(3) a wrong code is refused" "$T/a3"
logged "(3) the password alone never let her in" "auth ok: user $ALICE with" 1

# (5) Lockout: $((DENY + 2)) wrong passwords at once over parallel
# connections; policyd verifies only $DENY of them, then refuses even the
# right password.
n=0
bg=
while [ $n -lt $((DENY + 2)) ]; do
	n=$((n + 1))
	kbd "$T/b$n" "$BOB" "Not-Bob-pw-$n-x" &
	bg="$bg $!"
done
for p in $bg; do wait "$p"; done
n=0
all=yes
while [ $n -lt $((DENY + 2)) ]; do
	n=$((n + 1))
	grep -q 'Permission denied (keyboard-interactive)' "$T/b$n.err" &&
		[ ! -s "$T/b$n" ] || { all=no; bad "(5) attempt $n" "$T/b$n.err"; }
done
[ $all = yes ] && ok "(5) $((DENY + 2)) parallel wrong passwords refused"
logged "(5) only deny=$DENY of them were verified" \
	"auth failed: user $BOB" "$DENY"
kbd "$T/b0" "$BOB" "$PW_B"
refused "(5) then the right password is refused" "$T/b0"
grep -q "Account locked: too many failed logins" "$T/b0.err" &&
	ok "(5) ssh shows the lock" || bad "(5) no lock message" "$T/b0.err"
ctl locks > "$T/locks" 2>&1
grep -q "$BOB" "$T/locks" && ! grep -q "$ALICE" "$T/locks" &&
	ok "(5) policyctl locks shows $BOB (and not $ALICE, 3 failures)" ||
	bad "(5) policyctl locks" "$T/locks"

# (6) An expired password, changed inside the login (paramiko sees each
# prompt and message in order); then the new one logs in over ssh and the
# old one no longer does.
ctl passwd "$CAROL" --expire > /dev/null 2>&1 || bad "passwd --expire"
$CLIENT login "$PORT" "$CAROL" 'echo ok' "Password: =$PW_C" \
	"Current password: =$PW_C" "New password: =$PW_C2" \
	"Retype new password: =$PW_C2" > "$T/c6" 2>&1
rc=$?
cat > "$T/c6.want" <<OUT
prompt: Password: 
text: You are required to change your password now.
prompt: Current password: 
prompt: New password: 
prompt: Retype new password: 
auth: ok
ok
OUT
if [ $rc -eq 0 ] && cmp -s "$T/c6" "$T/c6.want"; then
	ok "(6) the expired password is changed inside the ssh login"
else
	bad "(6) password change: status $rc, expected the prompts of" \
		"$T/c6.want" "$T/c6"
fi
logged "(6) policyd stored the new password" "password of user $CAROL changed" 1
kbd "$T/c7" "$CAROL" "$PW_C2"
logged_in "(6) the new password logs in" "$T/c7"
kbd "$T/c8" "$CAROL" "$PW_C"
refused "(6) the old one is refused" "$T/c8"

# (7) policyd stopped: a member's login is refused as PAM_AUTHINFO_UNAVAIL,
# without waiting for the module's timeout (5 s: a login that hung would
# reach it; the socket is gone, so nothing is waited for); root, outside the
# group, still logs in with its key: the gate skips policyd's account check.
stop_daemon
t0=$(date +%s%N)
kbd "$T/d1" "$ALICE" "$PW_A" "$CODE"
ms=$((($(date +%s%N) - t0) / 1000000))
refused "(7) daemon down: the login is refused" "$T/d1"
if [ "$ms" -lt 5000 ]; then ok "(7) at once, not after the timeout"; else
	bad "(7) refused after $ms ms, not at once"; fi
unavail="Authentication service cannot retrieve authentication info"
grep -q "PAM: $unavail for $ALICE" "$T/sshd.log" &&
	ok "(7) sshd logs PAM_AUTHINFO_UNAVAIL" ||
	bad "(7) no PAM_AUTHINFO_UNAVAIL in sshd's log" "$T/sshd.log"
setsid -w timeout 30 ssh $SSH_OPTS -o BatchMode=yes -i "$T/root_key" \
	-o IdentitiesOnly=yes -o PreferredAuthentications=publickey \
	root@127.0.0.1 echo ok < /dev/null > "$T/r1" 2> "$T/r1.err"
rc=$?
: > "$T/r1.asked"
logged_in "(7) root's key login works while policyd is down" "$T/r1"

for pw in "$PW_A" "$PW_B" "$PW_C" "$PW_C2"; do
	grep -qF -- "$pw" "$T/policyd.log" "$T/sshd.log" &&
		bad "a password reached a log"
done
exit $fails
