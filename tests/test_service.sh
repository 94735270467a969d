#!/bin/sh
# policyd.service and the daemon as it runs it: systemd-analyze verify
# finds nothing to say about the installed unit, systemd-analyze security
# scores it 2.0 or lower, the daemon tells systemd READY=1, RELOADING=1 /
# READY=1 and STOPPING=1 through NOTIFY_SOCKET, and it serves the same
# store with admin.sock given to the admin group whether started as root
# (and dropping to `user`) or as that user with the group as a
# supplementary one, as the unit starts it.  Needs root for the second
# user (nobody).
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
TOP=$(cd "$(dirname "$0")/.." && pwd)
MAX_EXPOSURE=2.0
pid=
fails=0

. "$TOP/tests/lib.sh"
trap stop_daemon EXIT

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
ok() { echo "ok: $*"; }

# The unit as installed, in a copy whose ExecStart= names the installed
# daemon (systemd-analyze verify checks that it is executable, and that
# man finds the pages Documentation= names).
D=$T/root
src_make install DESTDIR="$D" > "$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; echo "FAIL: make install"; exit 1; }
unit=$(find "$D" -name policyd.service)
mkdir "$T/unit"
sed "s|^ExecStart=/usr/sbin/|ExecStart=$D/usr/sbin/|" "$unit" \
	> "$T/unit/policyd.service"
if MANPATH=$D/usr/share/man systemd-analyze verify \
	"$T/unit/policyd.service" > "$T/verify.log" 2>&1 &&
	[ ! -s "$T/verify.log" ]; then
	ok "systemd-analyze verify: nothing to report"
else
	fail "systemd-analyze verify:"
	sed 's/^/    /' "$T/verify.log"
fi

systemd-analyze security --offline=yes "$unit" > "$T/security.log" 2>&1
score=$(sed -n 's/^→ Overall exposure level for policyd.service: \([0-9.]*\) .*/\1/p' \
	"$T/security.log")
if [ -n "$score" ] &&
	awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }' &&
	systemd-analyze security --offline=yes --threshold=20 "$unit" \
		> /dev/null 2>&1; then
	ok "systemd-analyze security: exposure $score (at most $MAX_EXPOSURE)"
else
	fail "systemd-analyze security: exposure '$score', above $MAX_EXPOSURE:"
	grep '✗' "$T/security.log" | sed 's/^/    /'
fi

# sd_notify: what systemd would hear, from a daemon in the foreground.
write_conf 64 1
"$B/tests/notify_sink" "$T/notify" 60 > "$T/notify.out" &
sink=$!
i=0
until [ -S "$T/notify" ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
NOTIFY_SOCKET=$T/notify "$B/policyd" -f -c "$T/policyd.conf" \
	2> "$T/policyd.log" &
pid=$!
# wait_notify N: until the sink printed N lines, or 10 s.
wait_notify() {
	i=0
	while [ "$(wc -l < "$T/notify.out")" -lt "$1" ] && [ $i -lt 500 ]; do
		i=$((i + 1))
		sleep 0.02
	done
}
wait_notify 1
if [ "$(sed -n 1p "$T/notify.out")" = "READY=1" ] &&
	"$B/policyctl" -S "$T/run" ping > /dev/null 2>&1; then
	ok "READY=1 once it serves"
else
	fail "no READY=1, or no answer after it:"
	sed 's/^/    /' "$T/notify.out" "$T/policyd.log"
fi
kill -HUP "$pid"
wait_notify 3
if sed -n 2p "$T/notify.out" | grep -qE '^RELOADING=1 MONOTONIC_USEC=[0-9]+$' &&
	[ "$(sed -n 3p "$T/notify.out")" = "READY=1" ] &&
	grep -q 'configuration reloaded' "$T/policyd.log"; then
	ok "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1"
else
	fail "SIGHUP:"
	sed 's/^/    /' "$T/notify.out"
fi
stop_daemon || fail "policyd did not stop cleanly"
wait "$sink" || fail "no STOPPING=1"
if [ "$(sed -n 4p "$T/notify.out")" = "STOPPING=1" ] &&
	[ "$(wc -l < "$T/notify.out")" -eq 4 ]; then
	ok "SIGTERM: STOPPING=1"
else
	fail "SIGTERM:"
	sed 's/^/    /' "$T/notify.out"
fi

if [ "$(id -u)" != 0 ]; then
	echo "skipped: starting as root and as the daemon's user needs root"
	[ "$fails" -eq 0 ] || exit 1
	exit 0
fi

# The unit's layout, with nobody for policyd and the group users (gid
# 100) for policyadm: configuration and key in a root-owned directory,
# the key made beforehand and the daemon user's, the store's and the
# sockets' directories that user's, as systemd makes them.
uid=65534
gid=$(id -g nobody)
admin=$(getent group 100 | cut -d: -f1)
E=$T/etc
V=$T/var
mkdir -m 0755 "$E" "$V"
mkdir -m 0700 "$V/db"
mkdir -m 0755 "$V/run"
chown "$uid:$gid" "$V/db" "$V/run"
head -c 32 /dev/urandom > "$E/totp.key"
chown "$uid:$gid" "$E/totp.key"
chmod 0400 "$E/totp.key"
cat > "$E/policyd.conf" <<CONF
[daemon]
runtime_dir = $V/run
database = $V/db/policyd.db
user = nobody
admin_group = $admin
[totp]
key_file = $E/totp.key
required = off
[password]
argon2_memory = 64
argon2_time = 1
CONF
chmod 0644 "$E/policyd.conf"
# The store, as the package's postinst makes it: the directory exists,
# so no start would make it.
"$B/policyd" --init --no-seal -c "$E/policyd.conf" > "$T/init.log" 2>&1 ||
	fail "policyd --init: $(cat "$T/init.log")"

# started WHO COMMAND...: starts the daemon through COMMAND (its log in
# $T/WHO.log), checks who it runs as, that
# admin.sock is 0660 for nobody and the admin group, that root's
# policyctl is answered, and stops it.
started() {
	who=$1
	how="as $1"
	shift
	"$@" "$B/policyd" -f -c "$E/policyd.conf" 2> "$T/$who.log" &
	pid=$!
	i=0
	until "$B/policyctl" -S "$V/run" --daemon-user nobody ping \
		> /dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 500 ] || ! kill -0 "$pid" 2>/dev/null; then
			fail "started $how: no answer"
			sed 's/^/    /' "$T/$who.log"
			stop_daemon
			return
		fi
		sleep 0.02
	done
	ids=$(awk '/^Uid:/ { u = $2 } /^Gid:/ { g = $2 }
		END { print u ":" g }' "/proc/$pid/status")
	sock=$(stat -c '%a %u %g' "$V/run/admin.sock")
	if [ "$ids" = "$uid:$gid" ] && [ "$sock" = "660 $uid 100" ]; then
		ok "started $how: runs as nobody, admin.sock 0660 nobody:$admin"
	else
		fail "started $how: ids $ids, admin.sock '$sock'"
	fi
	stop_daemon || fail "started $how: did not stop cleanly"
}
started root env
started user setpriv --reuid="$uid" --regid="$gid" --groups=100
[ "$(stat -c %u "$V/db/policyd.db")" = "$uid" ] ||
	fail "the store is not the daemon user's"

# As its user without the admin group: a clear refusal, not a socket
# another group could use.
setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	"$B/policyd" -f -c "$E/policyd.conf" > "$T/nogroup.log" 2>&1 &
pid=$!
wait "$pid"
st=$?
pid=
if [ "$st" -ne 0 ] && grep -q 'not a member of it' "$T/nogroup.log"; then
	ok "as its user outside the admin group: refused, exit $st"
else
	fail "outside the admin group: exit $st:"
	sed 's/^/    /' "$T/nogroup.log"
fi

[ "$fails" -eq 0 ] || exit 1
