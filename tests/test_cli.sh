#!/bin/sh
# policyctl and policyd -t against a real daemon: commands, output, exit
# codes (0 done, 1 refused, 2 usage or connection error; policyd: 78,
# EX_CONFIG, for every configuration error), and passwords never echoed
# back.
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
CTL="$B/policyctl -S $T/run"
PW='Cli-test-password-1'
pid=
fails=0

. "$(dirname "$0")/lib.sh"
trap stop_daemon EXIT

# expect STATUS DESCRIPTION COMMAND...: runs it, output in $T/out, $T/err.
expect() {
	want=$1
	what=$2
	shift 2
	"$@" > "$T/out" 2> "$T/err" < "${STDIN:-/dev/null}"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want"
		sed 's/^/    /' "$T/out" "$T/err"
		fails=$((fails + 1))
	else
		echo "ok: $what"
	fi
}

# has FILE TEXT DESCRIPTION
has() {
	if grep -qF -- "$2" "$1"; then
		echo "ok: $3"
	else
		echo "FAIL: $3: '$2' not in:"
		sed 's/^/    /' "$1"
		fails=$((fails + 1))
	fi
}

# nnp PID DESCRIPTION: the process has no_new_privs set.
nnp() {
	grep '^NoNewPrivs:' "/proc/$1/status" > "$T/nnp"
	has "$T/nnp" "$(printf 'NoNewPrivs:\t1')" "$2"
}

# unprivileged_start: policyd started as nobody (no setuid of its own)
# must still not be dumpable: the kernel then gives its /proc files to
# root, so another process of that uid cannot read its memory.
unprivileged_start() {
	nb=$T/nobody
	chmod 755 "$T"
	mkdir "$nb" && chown 65534:65534 "$nb" && chmod 700 "$nb"
	sed "s|$T/|$nb/|" "$T/policyd.conf" > "$nb/policyd.conf"
	chown 65534:65534 "$nb/policyd.conf"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$B/policyd" -f -c "$nb/policyd.conf" 2> "$nb/policyd.log" &
	npid=$!
	i=0
	while [ ! -S "$nb/run/pam.sock" ] && [ $i -lt 500 ] &&
		kill -0 $npid 2>/dev/null; do
		i=$((i + 1))
		sleep 0.02
	done
	owner=$(stat -c %u /proc/$npid/mem 2>/dev/null)
	if [ "$owner" = 0 ] &&
		[ -S "$nb/run/pam.sock" ]; then
		echo "ok: an unprivileged policyd is not dumpable"
	else
		echo "FAIL: unprivileged policyd: /proc owner '$owner'"
		sed 's/^/    /' "$nb/policyd.log"
		fails=$((fails + 1))
	fi
	nnp $npid "an unprivileged policyd runs with no_new_privs"
	kill $npid
	wait $npid
}

write_conf 8192 1

# policyd -t: a good file, then bad ones naming file and line.
expect 0 "policyd -t accepts a valid file" "$B/policyd" -t -c "$T/policyd.conf"
printf '[daemon]\nmax_connections = 10\nrequest_timeout = 10\n' > "$T/bad.conf"
chmod 600 "$T/bad.conf"
expect 78 "policyd -t refuses a duration without unit" "$B/policyd" -t -c "$T/bad.conf"
has "$T/err" "$T/bad.conf:3: request_timeout" "the error names file and line"
printf '[daemon]\nfrobnicate = 1\n' > "$T/bad.conf"
expect 78 "policyd -t refuses an unknown key" "$B/policyd" -t -c "$T/bad.conf"
has "$T/err" "$T/bad.conf:2: unknown key 'frobnicate'" "the unknown key is named"
expect 78 "policyd refuses a missing file" "$B/policyd" -t -c "$T/none.conf"
expect 78 "a foreground start refuses a bad file" "$B/policyd" -f -c "$T/bad.conf"
expect 78 "a detached start refuses a bad file" "$B/policyd" -c "$T/bad.conf"
has "$T/err" "unknown key 'frobnicate'" "the detached start says why"
# Errors only seen once the start is under way, after the detach.
sed 's/^user =$/user =\nadmin_group = no-such-group/' "$T/policyd.conf" \
	> "$T/nogroup.conf"
chmod 600 "$T/nogroup.conf"
expect 78 "policyd -t refuses an unknown admin_group" "$B/policyd" -t -c "$T/nogroup.conf"
expect 78 "a foreground start refuses an unknown admin_group" "$B/policyd" -f -c "$T/nogroup.conf"
expect 78 "a detached start refuses an unknown admin_group" "$B/policyd" -c "$T/nogroup.conf"
has "$T/err" "no group named 'no-such-group'" "the detached start says why"
# The directories above the file, the key file and alert_command: none
# writable by group or others.
mkdir -m 770 "$T/gw" && cp -p "$T/policyd.conf" "$T/gw/"
expect 78 "policyd -t refuses a config in a group-writable directory" "$B/policyd" -t -c "$T/gw/policyd.conf"
has "$T/err" "directory $T/gw: writable by group or others" "the directory is named"
sed "s|^key_file = .*|key_file = $T/gw/totp.key|" "$T/policyd.conf" > "$T/gwkey.conf"
chmod 600 "$T/gwkey.conf"
expect 78 "policyd -t refuses a key file in a group-writable directory" "$B/policyd" -t -c "$T/gwkey.conf"
has "$T/err" "key_file: directory $T/gw: writable" "the key's directory is named"
expect 78 "a start refuses a key file in a group-writable directory" timeout 20 "$B/policyd" -f -c "$T/gwkey.conf"
[ ! -e "$T/gw/totp.key" ] && echo "ok: no key was created there" ||
	{ echo "FAIL: a key was created in $T/gw"; fails=$((fails + 1)); }
mkdir -m 755 "$T/bin" && printf '#!/bin/sh\n' > "$T/bin/alert" &&
	chmod 755 "$T/bin/alert" && cp -p "$T/bin/alert" "$T/gw/alert"
{ cat "$T/policyd.conf"; printf '[audit]\nalert_command = %s\n' "$T/bin/alert"; } > "$T/alert.conf"
{ cat "$T/policyd.conf"; printf '[audit]\nalert_command = %s\n' "$T/gw/alert"; } > "$T/gwalert.conf"
chmod 600 "$T/alert.conf" "$T/gwalert.conf"
expect 0 "policyd -t accepts an alert_command in a safe directory" "$B/policyd" -t -c "$T/alert.conf"
expect 78 "policyd -t refuses an alert_command in a group-writable directory" "$B/policyd" -t -c "$T/gwalert.conf"
has "$T/err" "alert_command: directory $T/gw: writable" "the program's directory is named"
expect 78 "a start refuses an alert_command in a group-writable directory" timeout 20 "$B/policyd" -f -c "$T/gwalert.conf"
# Other failures to start keep status 1.
: > "$T/not-a-dir"
sed "s|^database = .*|database = $T/not-a-dir/policyd.db|" "$T/policyd.conf" \
	> "$T/nodb.conf"
chmod 600 "$T/nodb.conf"
expect 0 "policyd -t accepts a store it cannot create" "$B/policyd" -t -c "$T/nodb.conf"
expect 1 "a foreground start without a store exits 1" "$B/policyd" -f -c "$T/nodb.conf"
expect 1 "a detached start without a store exits 1" "$B/policyd" -c "$T/nodb.conf"
has "$T/err" "not-a-dir" "the detached start says why"
# A file that weakens the defaults starts, with a warning per key.
{ cat "$T/policyd.conf"
  printf 'min_length = 8\nmin_entropy = 0\nhistory = 0\n'
  printf '[lockout]\nsource_deny = 0\n'; } > "$T/weak.conf"
chmod 600 "$T/weak.conf"
expect 0 "policyd -t accepts a weak policy" "$B/policyd" -t -c "$T/weak.conf"
has "$T/err" "warning: $T/weak.conf:11: min_length = 8 is below the recommended 12" "min_length is named with its line"
has "$T/err" "$T/weak.conf:12: min_entropy = 0 is below the recommended 40" "min_entropy is named with its line"
has "$T/err" "$T/weak.conf:13: history = 0 turns the check off" "history is named with its line"
has "$T/err" "$T/weak.conf:15: source_deny = 0 turns the check off" "source_deny is named with its line"
expect 0 "policyd -t gives a good file no warning" "$B/policyd" -t -c "$T/policyd.conf"
[ ! -s "$T/err" ] && echo "ok: no warning" ||
	{ echo "FAIL: warnings for a good file"; sed 's/^/    /' "$T/err"; fails=$((fails + 1)); }
expect 2 "policyd refuses an unknown option" "$B/policyd" -x
expect 0 "policyd --version" "$B/policyd" --version
has "$T/out" "policyd 0." "the version is printed"

expect 2 "no daemon: connection error" $CTL user list
has "$T/err" "admin.sock" "the error names the socket"

start_daemon || exit 1
nnp $pid "policyd runs with no_new_privs"
unprivileged_start

# status: the effective configuration, each key with where it was set.
expect 0 "status" $CTL status
# (the names' column is as wide as the longest name: squeeze the gap)
tr -s ' ' < "$T/out" > "$T/status"
has "$T/status" "config.totp.required off ($T/policyd.conf:7)" "status names a key's file and line"
has "$T/status" "config.lockout.deny 5 (default)" "status marks a default"
awk '{ print index($0, $2) }' "$T/out" | sort -u | wc -l > "$T/n"
[ "$(cat "$T/n")" -eq 1 ] && echo "ok: status's values stand in one column" ||
	{ echo "FAIL: status's values are not aligned"; fails=$((fails + 1)); }
grep -c '^config\.' "$T/out" > "$T/n"
[ "$(cat "$T/n")" -ge 40 ] && echo "ok: status lists every key" ||
	{ echo "FAIL: status lists $(cat "$T/n") keys"; fails=$((fails + 1)); }

expect 2 "usage error: no command" $CTL
expect 2 "usage error: unknown command" $CTL frobnicate
expect 2 "usage error: missing name" $CTL user add
expect 2 "usage error: unknown flag" $CTL user list --yaml
has "$T/err" "policyctl user list: unrecognized option '--yaml'" "the error names the command and the option"
expect 2 "an option of another command is refused" $CTL ping --purge
has "$T/err" "'--purge'" "the error names it"
expect 2 "an extra argument is refused" $CTL user show alice bob
has "$T/err" "unexpected argument 'bob'" "the error names it"
expect 2 "a missing value is refused" $CTL totp enroll alice --qr-png
has "$T/err" "'--qr-png' requires an argument" "the error names the option"
expect 2 "a bad --limit is refused" $CTL audit --limit ten
has "$T/err" "--limit ten: not a positive number" "the error names the value"
expect 2 "a bad --since is refused" $CTL audit --since yesterday
has "$T/err" "--since yesterday: not a time" "the error names the value"
expect 2 "an unknown sub-command is named" $CTL user frob
has "$T/err" "unknown command 'user frob'" "the error names it"

# Every command of the usage text has its own --help: exit 0, its usage
# on stdout, nothing contacted (the check runs with the daemon up, but a
# --help never calls it: -S names a directory that does not exist).
"$B/policyctl" --help | sed -n 's/^  \([a-z]\)/\1/p' | sed 's/   *.*//' |
	awk '{ c = ""; for (i = 1; i <= NF && $i ~ /^[a-z]+$/; i++)
		c = c (c == "" ? "" : " ") $i; print c }' > "$T/commands"
n=0
while read -r cmd; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	"$B/policyctl" -S "$T/nowhere" $cmd --help > "$T/out" 2> "$T/err"
	st=$?
	if [ "$st" -ne 0 ] || ! grep -q "^usage: policyctl .*$cmd" "$T/out" ||
	    [ -s "$T/err" ]; then
		echo "FAIL: policyctl $cmd --help: exit $st"
		sed 's/^/    /' "$T/out" "$T/err"
		fails=$((fails + 1))
	fi
done < "$T/commands"
[ "$n" -ge 20 ] && echo "ok: each of the $n commands has its --help" ||
	{ echo "FAIL: only $n commands in policyctl --help"; fails=$((fails + 1)); }

# The admin socket is not open to everyone: the message says why.
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		$CTL user list > "$T/out" 2> "$T/err"
	st=$?
	[ "$st" -eq 2 ] && echo "ok: an outsider is refused (exit 2)" ||
		{ echo "FAIL: an outsider: exit $st"; fails=$((fails + 1)); }
	has "$T/err" "admin.sock: permission denied (are you in policyadm?)" \
		"EACCES says permission denied and what to check"
else
	echo "SKIP: EACCES on admin.sock (needs root to run as another user)"
fi
printf '%s\n' "$PW" > "$T/pw"
STDIN=$T/pw expect 0 "user add" $CTL user add alice --password-stdin
STDIN=$T/pw expect 1 "user add of an existing user is refused" $CTL user add alice --password-stdin
has "$T/err" "user exists" "the refusal says why"
STDIN=$T/pw expect 1 "an invalid name is refused" $CTL user add 'bad/name' --password-stdin
has "$T/err" "not a valid user name" "the refusal says why"
printf '\n' > "$T/empty"
STDIN=$T/empty expect 1 "an empty password is refused" $CTL user add bob --password-stdin
has "$T/err" "empty password" "the refusal says why"
expect 1 "no password at all is refused" $CTL user add bob --password-stdin
STDIN=$T/pw expect 1 "no terminal and no --password-stdin" setsid $CTL user add bob
has "$T/err" "use --password-stdin" "the error says what to do"
STDIN=$T/pw expect 0 "a second user" $CTL user add bob --password-stdin

expect 0 "user list" $CTL user list
has "$T/out" "alice" "alice is listed"
has "$T/out" "bob" "bob is listed"
expect 0 "user list --json" $CTL user list --json
has "$T/out" '{"name":"alice","id":1,"disabled":false,' "JSON list of users"
expect 0 "user show --json" $CTL user show alice --json
has "$T/out" '"password_hash":"argon2id m=8192,t=1,p=1"' "show gives the hash cost"
json_ok() {
	if python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$T/out" 2> "$T/json.err" &&
	    [ "$(wc -l < "$T/out")" -eq 1 ]; then
		echo "ok: $1: one JSON document"
	else
		echo "FAIL: $1: not one JSON document"
		sed 's/^/    /' "$T/out" "$T/json.err"
		fails=$((fails + 1))
	fi
}
json_ok "user show --json"
for c in "user list --json" "locks --json" "status --json" \
	 "audit --json --limit 5" "user export alice --json"; do
	# shellcheck disable=SC2086
	expect 0 "$c" $CTL $c
	json_ok "$c"
done
expect 1 "user export of an unknown user" $CTL user export carol --json
[ ! -s "$T/out" ] && echo "ok: ... prints no partial document" ||
	{ echo "FAIL: user export carol printed:"; sed 's/^/    /' "$T/out"; fails=$((fails + 1)); }

# --password-stdin from a terminal: the password typed is not echoed.
if python3 - "$B/policyctl" "$T/run" > "$T/pty.out" 2>&1 <<'PYEOF'
import os, pty, sys, termios, time
ctl, run = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(ctl, [ctl, "-S", run, "user", "add", "ptyuser",
                   "--password-stdin"])
# Type once policyctl has turned echo off (the master sees the
# terminal's flags), or after 20 s, when the echo fails the test.
for _ in range(2000):
    if not termios.tcgetattr(fd)[3] & termios.ECHO:
        break
    time.sleep(0.01)
os.write(fd, b"Pty-Secret-Word-93\n")
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(0 if os.waitstatus_to_exitcode(st) == 0 and b"Pty-Secret" not in out else 1)
PYEOF
then
	echo "ok: --password-stdin on a terminal does not echo the password"
	$CTL user del ptyuser > /dev/null 2>&1
else
	echo "FAIL: --password-stdin on a terminal:"; sed 's/^/    /' "$T/pty.out"
	fails=$((fails + 1))
fi
expect 1 "user show of an unknown user" $CTL user show carol
has "$T/err" "no such user" "the refusal says why"
expect 0 "user disable" $CTL user disable bob
expect 0 "user show" $CTL user show bob
has "$T/out" "disabled" "bob shows as disabled"
expect 0 "user enable" $CTL user enable bob
printf 'Another-Quiet-Lake-52\n' > "$T/pw2"
STDIN=$T/pw2 expect 0 "passwd" $CTL passwd bob --password-stdin
STDIN=$T/pw2 expect 1 "passwd of an unknown user" $CTL passwd carol --password-stdin
expect 0 "user del" $CTL user del bob
expect 1 "user del again" $CTL user del bob

# Many users: the list pages through the 64 KiB frame limit.
i=0
{
	echo "BEGIN;"
	while [ $i -lt 1500 ]; do
		printf "INSERT INTO users (name, password, created, pw_changed) VALUES ('u%05d', 'x', 0, 0);\n" $i
		i=$((i + 1))
	done
	echo "COMMIT;"
} | sqlite3 -cmd '.timeout 5000' "$T/db/policyd.db"
expect 0 "a long user list" $CTL user list --json
n=$(grep -o '"name":' "$T/out" | wc -l)
[ "$n" -eq 1501 ] && echo "ok: all 1501 users listed" ||
	{ echo "FAIL: listed $n users, expected 1501"; fails=$((fails + 1)); }

# Ctrl-C while a password is read with echo off: the terminal gets its
# echo back before policyctl dies of the signal.
if python3 - "$B/policyctl" "$T/run" > "$T/pty.out" 2>&1 <<'PYEOF'
import os, pty, sys, termios, time
ctl, run = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(ctl, [ctl, "-S", run, "user", "add", "ptyuser2",
                   "--password-stdin"])
for _ in range(2000):
    if not termios.tcgetattr(fd)[3] & termios.ECHO:
        break
    time.sleep(0.01)
os.write(fd, b"\x03")
_, st = os.waitpid(pid, 0)
echo = termios.tcgetattr(fd)[3] & termios.ECHO
print("signalled" if os.WIFSIGNALED(st) else "exited",
      "echo" if echo else "-echo")
sys.exit(0 if os.WIFSIGNALED(st) and echo else 1)
PYEOF
then
	echo "ok: Ctrl-C at the password prompt leaves the terminal's echo on"
else
	echo "FAIL: Ctrl-C at the password prompt:"; sed 's/^/    /' "$T/pty.out"
	fails=$((fails + 1))
fi

# --limit over more than one frame of records: as many as asked, no more.
i=0
while [ $i -lt 350 ]; do
	$CTL user disable u00001 2> /dev/null && $CTL user enable u00001 2> /dev/null
	i=$((i + 1))
done
for n in 600 5; do
	expect 0 "audit --limit $n" $CTL audit --limit $n --json
	got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/out")
	[ "$got" = "$n" ] && echo "ok: --limit $n gives $n records" ||
		{ echo "FAIL: --limit $n gave $got records"; fails=$((fails + 1)); }
done
expect 0 "user export pages through it all" $CTL user export u00001
got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["audit"]))' "$T/out")
[ "$got" = 700 ] && echo "ok: ... all 700 of the user's records" ||
	{ echo "FAIL: user export has $got records, expected 700"; fails=$((fails + 1)); }
expect 2 "a --limit past 64 bits is refused" $CTL audit --limit 99999999999999999999999
expect 2 "a --since past 64 bits is refused" $CTL audit --since 99999999999999999999
expect 2 "an --until past the trail's range is refused" $CTL audit --until 9223372036854775808

# A reload that weakens the policy is taken, with a warning in the log.
printf 'min_length = 8\n' >> "$T/policyd.conf"
kill -HUP $pid
i=0
until grep -q "configuration reloaded" "$T/policyd.log" || [ $i -gt 250 ]; do
	i=$((i + 1))
	sleep 0.02
done
has "$T/policyd.log" "policyd.conf:11: min_length = 8 is below the recommended 12" "a reload warns of a weak min_length"
# status after a reload: a key it took names its new line; one bound at
# start (the database) keeps its value and says the file's comes later.
cp "$T/policyd.conf" "$T/policyd.conf.before"
sed -i "1i # a comment that moves every line down" "$T/policyd.conf"
sed -i "s|^database = .*|database = $T/db/elsewhere.db|" "$T/policyd.conf"
expect 0 "policyctl reload with a database change" $CTL reload
expect 0 "status after it" $CTL status
tr -s ' ' < "$T/out" > "$T/status"
has "$T/status" "config.password.min_length 8 ($T/policyd.conf:12)" "a reloaded key names its line in the new file"
has "$T/status" "config.daemon.database $T/db/policyd.db (in force since the start; $T/policyd.conf now says otherwise, from the next start)" "a key bound at start says the file's value waits for the next start"
cp "$T/policyd.conf.before" "$T/policyd.conf"
expect 0 "policyctl reload back" $CTL reload

# Nothing ever printed or logged a password.
for f in "$T/out" "$T/err" "$T/policyd.log"; do
	if grep -qF -e "$PW" -e "Another-Quiet-Lake-52" "$f"; then
		echo "FAIL: a password appears in $f"
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ] && echo "ok: no password in any output or log"

stop_daemon
st=$?
[ $st -eq 0 ] && echo "ok: SIGTERM exits 0" || { echo "FAIL: exit $st on SIGTERM"; fails=$((fails + 1)); }
exit $fails
