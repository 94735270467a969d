#!/bin/sh
# policyctl report against a real policyd with a sealed trail: logins that
# pass and fail through pamtester under pam_wrapper, an unknown name, a
# lockout, admin actions, a TOTP enrolment, a login from a new host and a
# hostile host name.  Checks the text form, the JSON's counts, the HTML
# page against the JSON (every value under its data-key, in the DOM that
# headless Chromium builds) and its screenshot, --html onto an existing
# file, the seal with the right and a wrong key, and the options.
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
CTL="$B/policyctl -S $T/run"
PW='Report-test-pass-7'
EVIL='<script>alert("x")</script>'\''&amp;'
ESC=$(printf 'esc\033[2Jhost')
pid=
fails=0
# Debian's python3 (with python3-pil from make deps), not another first
# on PATH.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
group=
admin=
. "$(dirname "$0")/lib.sh"

cleanup() {
	stop_daemon
	[ -n "$admin" ] && userdel "$admin" 2>/dev/null
	[ -n "$group" ] && groupdel "$group" 2>/dev/null
}
trap cleanup EXIT

ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

# expect STATUS DESCRIPTION COMMAND...: output in $T/out and $T/err.
expect() {
	want=$1 what=$2
	shift 2
	"$@" > "$T/out" 2> "$T/err" < /dev/null
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$what"; else
		bad "$what: exit $got, expected $want"
		sed 's/^/    /' "$T/out" "$T/err"
	fi
}

# has FILE TEXT DESCRIPTION
has() {
	if grep -qF -- "$2" "$1"; then ok "$3"; else
		bad "$3: '$2' not in $1:"; sed 's/^/    /' "$1"; fi
}

# pt STATUS PASSWORD USER HOST: one login through pamtester.
pt() {
	printf '%s\n' "$2" | LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
		pamtester -I "rhost=$4" -I tty=pts/1 policyd-report "$3" \
		authenticate > "$T/pt.out" 2>&1
	got=$?
	[ "$got" -eq "$1" ] || { bad "pamtester $3 from $4: exit $got, expected $1"; cat "$T/pt.out"; }
}

write_conf 8192 1
printf '[lockout]\ndeny = 3\n' >> "$T/policyd.conf"
# Admin rights come from admin_group on this host: a real group (root).
if [ "$(id -u)" = 0 ]; then
	group=prpt$$
	admin=prptadm$$
	groupadd "$group" && useradd -M -N -s /usr/sbin/nologin -G "$group" \
		"$admin" || { bad "cannot create $group and $admin"; admin=; }
	sed -i "s/^user =\$/user =\nadmin_group = $group/" "$T/policyd.conf"
else
	echo "not root: the admin group part is left out"
fi
mkdir "$T/pam.d"
M="$B/pam_policyd.so socket=$T/run/pam.sock"
printf 'auth required %s nodelay\naccount required %s\n' "$M" "$M" \
	> "$T/pam.d/policyd-report"
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' \
	> "$T/pam.d/other"

# A sealed store: its verification key is printed once, here.
"$B/policyd" --init -c "$T/policyd.conf" > "$T/init.out" 2>&1 ||
	{ cat "$T/init.out"; exit 1; }
KEY=$(grep -o 'psk2-[0-9a-fA-F-]*' "$T/init.out" | head -n 1)
[ -n "$KEY" ] || { echo "no verification key in:"; cat "$T/init.out"; exit 1; }
# The same key with its last digit changed: well-formed, but wrong.
last=$(printf '%s' "$KEY" | tail -c 1)
[ "$last" = 0 ] && to=1 || to=0
WRONG="$(printf '%s' "$KEY" | sed 's/.$//')$to"
start_daemon || exit 1

for u in alice bob carol $admin; do
	printf '%s\n' "$PW" | $CTL user add "$u" --password-stdin 2>/dev/null ||
		bad "user add $u"
done
pt 0 "$PW" alice 192.0.2.7
pt 0 "$PW" alice 192.0.2.7
pt 0 "$PW" alice 198.51.100.4          # a host alice never used
pt 1 wrong alice 192.0.2.7
for i in 1 2 3; do pt 1 wrong bob 203.0.113.9; done   # bob locked
pt 1 "$PW" bob 203.0.113.9              # refused: locked
pt 1 whatever mallory 203.0.113.9       # a name policyd does not know
pt 1 whatever trudy 203.0.113.10
pt 1 wrong alice "$EVIL"
pt 1 wrong carol "$ESC"
[ -n "$admin" ] && pt 0 "$PW" "$admin" 192.0.2.7
$CTL user disable carol 2>/dev/null || bad "user disable carol"
# A TOTP enrolment, confirmed with a code from oathtool.
$CTL totp enroll alice > "$T/enroll" 2>&1 || bad "totp enroll"
secret=$(sed -n 's/.*enter the key by hand: *\([A-Z2-7]*\).*/\1/p' "$T/enroll")
oathtool --totp -b "$secret" | $CTL totp confirm alice > "$T/confirm" 2>&1 ||
	{ bad "totp confirm"; cat "$T/confirm"; }

# The text form.
expect 0 "report (text)" $CTL report
for w in alice bob carol "never-used" "no-second-factor" "disabled" \
	"203.0.113.9" "user-disable" "totp-confirm" "first login from this host" \
	"seal:    not checked: no --key" "chain:   ok" "no backups" \
	"lockout.deny" "(unknown:"; do
	has "$T/out" "$w" "the text names $w"
done
if grep -q "$(printf '\033')" "$T/out"; then bad "a raw escape in the text"
else ok "no terminal escape in the text"; fi
has "$T/out" 'esc?[2Jhost' "the host with an escape is shown, cleaned"

# --key: the right one verifies the seal, a wrong one says it failed.
expect 0 "report --key with the right key" $CTL report --key "$KEY"
has "$T/out" "seal:    verified" "the seal is verified"
expect 1 "report --key with a wrong key exits 1" $CTL report --key "$WRONG"
has "$T/out" "seal:    FAILED" "a wrong key: the seal failed"
expect 2 "report --key with a malformed key" $CTL report --key nonsense
has "$T/err" "not a verification key" "the malformed key is named"
grep -qF "$KEY" "$T/out" "$T/err" && bad "the key is in the output"

# The key off the command line: --key - reads standard input, --key-file
# a file; one given on the command line is wiped from the process's argv
# (what /proc/PID/cmdline shows every local user) at once, with a warning.
printf '%s\n' "$KEY" > "$T/key"
chmod 600 "$T/key"
$CTL report --key - < "$T/key" > "$T/out" 2> "$T/err" &&
	grep -q "seal:    verified" "$T/out" && [ ! -s "$T/err" ] &&
	ok "report --key - reads the key from standard input" ||
	{ bad "report --key -"; sed 's/^/    /' "$T/out" "$T/err"; }
expect 0 "audit verify --key-file" $CTL audit verify --key-file "$T/key"
has "$T/out" "sealed with the key of their position" "the seal is checked with the key from the file"
expect 2 "--key-file of a missing file" $CTL audit verify --key-file "$T/nokey"
has "$T/err" "--key-file $T/nokey: No such file or directory" "the error names the file"
expect 0 "audit verify --key on the command line" $CTL audit verify --key "$KEY"
has "$T/err" "warning: a key on the command line can be read by any local user" "it warns"
kill -STOP "$pid"		# policyctl then waits for the daemon's answer
$CTL audit verify --key "$KEY" > /dev/null 2>&1 &
ctl=$!
i=0
until grep -q "audit" "/proc/$ctl/cmdline" 2> /dev/null && [ -S "$T/run/admin.sock" ] &&
	ls -l "/proc/$ctl/fd" 2> /dev/null | grep -q socket || [ $i -gt 250 ]; do
	i=$((i + 1))
	sleep 0.02
done
if tr '\0' ' ' < "/proc/$ctl/cmdline" | grep -qF -- "$KEY"; then
	bad "the key stays in /proc/$ctl/cmdline"
else
	ok "the key is gone from /proc/PID/cmdline while policyctl runs"
fi
kill -CONT "$pid"
wait "$ctl" || bad "audit verify --key, after the pause: exit $?"

# The JSON document: valid, and its counts.
expect 0 "report --json" $CTL report --json --since 1d --idle 12h
cp "$T/out" "$T/report.json"
if $PY - "$T/report.json" "$admin" "$EVIL" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
admin, evil = sys.argv[2], sys.argv[3]
a, act, h = d["activity"], d["activity"], d["health"]
acc = {x["name"]: x for x in d["accounts"]}
want = {
    "logins": 3 + (1 if admin else 0),
    "failures": 2 + 4 + 2 + 1,
    "unknown_user_failures": 2,
    "lockouts": 1,
    "unusual_logins": 1,
}
errs = []
for k, v in want.items():
    if act[k] != v:
        errs.append("%s: %r, expected %r" % (k, act[k], v))
names = [x["event"] for x in a["lists"]["admin_actions"]]
for e in ("user-add", "user-disable", "totp-enroll", "totp-confirm"):
    if e not in names:
        errs.append("admin action %s missing: %r" % (e, names))
if act["admin_actions"] != len(names):
    errs.append("admin_actions count")
top = a["top_failure_hosts"][0]
if top != {"host": "203.0.113.9", "count": 5}:
    errs.append("top failure host %r" % top)
if [x["host"] for x in a["lists"]["unusual_logins"]] != ["198.51.100.4"]:
    errs.append("unusual %r" % a["lists"]["unusual_logins"])
unk = [x["name"] for x in a["top_failure_accounts"]
       if x["name"].startswith("(unknown:")]
if len(unk) != 2 or len(set(unk)) != 2 or "mallory" in json.dumps(d) \
        or "trudy" in json.dumps(d):
    errs.append("unknown names, by pseudonym: %r" % unk)
if evil not in [x["host"] for x in a["top_failure_hosts"]]:
    errs.append("the hostile host is not in the JSON as it was")
if acc["alice"]["totp"] != "enrolled" or acc["alice"]["recovery_codes_left"] < 1:
    errs.append("alice's factor %r" % acc["alice"])
if "never-used" not in acc["carol"]["flags"] or acc["carol"]["enabled"]:
    errs.append("carol %r" % acc["carol"])
if "no-second-factor" not in acc["bob"]["flags"] or not acc["bob"]["locked"]:
    errs.append("bob %r" % acc["bob"])
if admin and not acc[admin]["admin"]:
    errs.append("%s is not an admin" % admin)
if acc["alice"]["admin"]:
    errs.append("alice is an admin")
if sum(x["failures"] for x in a["per_day"]) != act["failures"]:
    errs.append("per_day failures do not add up")
if h["seal"]["state"] != "not checked" or h["chain"]["state"] != "ok":
    errs.append("health %r" % h)
if "lockout.deny" not in [x["key"] for x in h["config_set_in_file"]]:
    errs.append("lockout.deny not among the keys set")
text = json.dumps(d)
for secret in ("$argon2", "psk2-", "otpauth"):
    if secret in text:
        errs.append("%s in the report" % secret)
print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
then ok "the JSON's counts"; else bad "the JSON's counts"; fi
grep -q 'otpauth\|\$argon2id\$' "$T/report.json" && bad "a secret in the JSON"
grep -qF "$secret" "$T/report.json" && bad "the TOTP secret in the JSON"

# A host name with a right-to-left override (it would read
# "example.com" and hide what follows): the daemon keeps it cleaned, so
# neither form of the report, nor the trail, holds the control.
BIDI=$(printf 'evil\342\200\256moc.elpmaxe')
pt 1 wrong alice "$BIDI"
$CTL report --html "$T/bidi.html" 2> /dev/null
for c in "report --json" "audit --json --limit 1000" "report"; do
	# shellcheck disable=SC2086
	$CTL $c > "$T/bidi.out" 2> /dev/null
	if grep -q "$(printf '\342\200\256')" "$T/bidi.out" "$T/bidi.html"; then
		bad "$c: a raw U+202E"
	elif grep -qF 'evil???moc.elpmaxe' "$T/bidi.out"; then
		ok "$c: the host's U+202E is cleaned"
	else
		bad "$c: the host is missing"; sed 's/^/    /' "$T/bidi.out"
	fi
done

# Options.
expect 0 "report --help" $CTL report --help
has "$T/out" "--since" "--help prints the usage"
expect 2 "an unknown option" $CTL report --frobnicate
has "$T/err" "--frobnicate" "the unknown option is named"
expect 2 "a bad --since" $CTL report --since yesterday
has "$T/err" "--since yesterday" "the bad value is named"
expect 2 "a bad --idle" $CTL report --idle 5x
expect 0 "--since a date" $CTL report --since 2026-01-01 --json
expect 2 "--json and --html together" $CTL report --json --html "$T/x.html"
expect 0 "audit --since 1d" $CTL audit --since 1d --event user-disable
has "$T/out" "carol" "audit takes --since 1d"

# --html: a new file, 0600; never onto an existing one.
expect 0 "report --html" $CTL report --since 1d --idle 12h --html "$T/report.html"
[ "$(stat -c %a "$T/report.html")" = 600 ] && ok "the page is mode 0600" ||
	bad "the page is mode $(stat -c %a "$T/report.html")"
grep -q '<script' "$T/report.html" && bad "a raw <script in the page"
has "$T/report.html" '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;amp;' "the hostile host is escaped"
grep -q 'src=\|href=\|url(' "$T/report.html" && bad "the page loads something"
echo keep > "$T/old.html"
expect 2 "--html onto an existing file" $CTL report --html "$T/old.html"
has "$T/err" "exists" "the refusal says why"
[ "$(cat "$T/old.html")" = keep ] && ok "the existing file is untouched" ||
	bad "the existing file was changed"
ln -s "$T/elsewhere.html" "$T/link.html"
expect 2 "--html onto a symlink" $CTL report --html "$T/link.html"
[ ! -e "$T/elsewhere.html" ] && ok "nothing written through the link" ||
	bad "written through the link"

# An hour the account never used: the daemon five hours ahead
# (libfaketime), alice logs in from her usual host, and the report (as
# far ahead) names that login, as the seal check still passes over the
# jump.  Not under the sanitizers, whose runtime must be loaded first.
FT=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2> /dev/null | head -n 1)
if [ -z "$FT" ]; then
	echo "SKIP: no libfaketime (make deps): the new-hour rule is not checked"
elif [ "${SANITIZE:-}" = 1 ]; then
	echo "skipped: the new-hour rule (libfaketime before the sanitizer runtime)"
else
	$CTL totp reset alice > /dev/null 2>&1 || bad "totp reset alice"
	stop_daemon
	LD_PRELOAD=$FT FAKETIME=+5h FAKETIME_DONT_FAKE_MONOTONIC=1 \
		"$B/policyd" -f -c "$T/policyd.conf" 2>> "$T/policyd.log" &
	pid=$!
	i=0
	until $CTL ping > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 500 ] && { bad "policyd five hours ahead did not start"; break; }
		sleep 0.02
	done
	pt 0 "$PW" alice 192.0.2.7
	ahead() {
		LD_PRELOAD=$FT FAKETIME=+5h "$@"
	}
	expect 0 "report five hours ahead" ahead $CTL report --json --since 1d \
		--key "$KEY"
	if $PY - "$T/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
late = [x for x in d["activity"]["lists"]["unusual_logins"]
        if x["user"] == "alice" and x["host"] == "192.0.2.7"]
if len(late) != 1 or "first login at this hour" not in late[0]["why"]:
    print(d["activity"]["lists"]["unusual_logins"]); sys.exit(1)
if d["health"]["seal"]["state"] != "ok":
    print(d["health"]); sys.exit(1)
PY
	then ok "a login at an hour alice never used is unusual; the seal holds"
	else bad "the new-hour login:"; sed 's/^/    /' "$T/out"; fi
fi

# The page in a real browser: it renders, and every value of the JSON is
# in the DOM under its path.
if ! command -v chromium > /dev/null 2>&1; then
	echo "SKIP: chromium is not installed (make deps): the HTML is not rendered"
	[ $fails -eq 0 ] && exit 77
	exit $fails
fi
$CTL report --since 1d --idle 12h --json > "$T/page.json"
rm -f "$T/page.html"
$CTL report --since 1d --idle 12h --html "$T/page.html" ||
	bad "report --html for the browser"
chrome() {
	HOME="$T" timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$T/chromium" "$@" "file://$T/page.html" \
		2> "$T/chromium.log"
}
chrome --screenshot="$T/page.png" --window-size=1200,2000 > /dev/null
chrome --dump-dom > "$T/dom.html"
if $PY - "$T/page.png" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 20000:
    print("not a PNG, or too small: %d bytes" % len(data)); sys.exit(1)
try:
    from PIL import Image
except ImportError:
    sys.exit(0)
img = Image.open(sys.argv[1]).convert("RGB")
colours = img.getcolors(1 << 24)
if img.size != (1200, 2000) or len(colours) < 16:
    print("size %r, %d colours" % (img.size, len(colours))); sys.exit(1)
PY
then ok "the page renders (a screenshot of many colours)"; else
	bad "the screenshot"; tail -n 5 "$T/chromium.log"; fi
if $PY - "$T/page.json" "$T/dom.html" <<'PY'
import json, sys
from html.parser import HTMLParser
doc = json.load(open(sys.argv[1], encoding="utf-8"))

class Keys(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found, self.stack = {}, []
    def handle_starttag(self, tag, attrs):
        key = dict(attrs).get("data-key")
        self.stack.append((tag, key, []))
    def handle_endtag(self, tag):
        while self.stack:
            t, key, text = self.stack.pop()
            if key is not None:
                self.found[key] = "".join(text)
            if self.stack:
                self.stack[-1][2].extend(text)
            if t == tag:
                break
    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)

p = Keys()
p.feed(open(sys.argv[2], encoding="utf-8").read())

def leaves(v, path):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from leaves(x, path + [k])
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from leaves(x, path + [str(i)])
    else:
        yield ".".join(path), v

# The page shows C1 and the bidirectional controls as \uXXXX text.
def hazard(c):
    o = ord(c)
    return o == 0x7f or 0x80 <= o <= 0x9f or o in (0x200e, 0x200f) or \
        0x2028 <= o <= 0x202e or 0x2066 <= o <= 0x2069

def shown(v):
    if v is True: return "yes"
    if v is False: return "no"
    if v is None: return "-"
    return "".join("\\u%04X" % ord(c) if hazard(c) else c for c in str(v))

errs, n = [], 0
for path, v in leaves(doc, []):
    n += 1
    if path not in p.found:
        errs.append("%s (%r) is not in the page" % (path, v))
    elif p.found[path] != shown(v):
        errs.append("%s: page %r, JSON %r" % (path, p.found[path], v))
if n < 100:
    errs.append("only %d values" % n)
print("\n".join(errs[:20]))
sys.exit(1 if errs else 0)
PY
then ok "every value of the JSON is in the rendered page"; else
	bad "the page and the JSON differ"; fi
grep -q '<script' "$T/dom.html" && bad "a <script> element in the DOM"

exit $fails
