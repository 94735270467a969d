#!/bin/sh
# test_deb_root.sh DEB [CACHE]: the package installed as on a real host,
# in a throwaway Debian 12 root (debootstrap --variant=minbase bookworm,
# its packages kept in CACHE, a tarball, for the next run), as root:
# apt-get install ./DEB makes the users, groups, directories, key and
# enables the unit without touching a PAM stack; the daemon started as the
# unit starts it serves and makes the store; pam-auth-update --enable
# policyd routes a member of policyd-staff to policyd alone and leaves a
# non-member's login and password change to pam_unix; a changed
# configuration survives a reinstall; remove takes the profile out of the
# stacks; purge keeps the store and the key.  Run by `make check-deb-root`
# (it downloads from the Debian archive: not part of `make check`; CI runs
# it after `make check`).
set -u
DEB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
CACHE=${2:-}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/policyd-debroot.XXXXXX") || exit 2
R=$W/root
fails=0

cleanup() {
	umount "$R/proc" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ -n "$CACHE" ] && [ ! -s "$CACHE" ]; then
	mkdir -p "$(dirname "$CACHE")"
	debootstrap --variant=minbase --include=pamtester,openssl \
		--make-tarball="$CACHE" bookworm "$W/tarball" \
		> "$W/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$W/debootstrap.log"; rm -f "$CACHE"; exit 1; }
fi
if [ -n "$CACHE" ]; then
	set -- --unpack-tarball="$(cd "$(dirname "$CACHE")" && pwd)/$(basename "$CACHE")"
else
	set --
fi
debootstrap --variant=minbase --include=pamtester,openssl "$@" bookworm "$R" \
	> "$W/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$W/debootstrap.log"; echo "FAIL: debootstrap"; exit 1; }
mount -t proc proc "$R/proc"
cp "$DEB" "$R/tmp/policyd.deb"

# The checks run inside the root; each prints ok: or FAIL:.
cat > "$R/tmp/checks.sh" <<'EOF'
set -u
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; }
check() {
	what=$1
	shift
	if "$@" > /tmp/out 2>&1; then
		ok "$what"
	else
		fail "$what"
		sed 's/^/    /' /tmp/out
	fi
}
apt() { DEBIAN_FRONTEND=noninteractive apt-get "$@" > /tmp/apt.log 2>&1 ||
	{ tail -n 20 /tmp/apt.log; return 1; }; }

check "apt-get install ./policyd.deb" apt install -y -q /tmp/policyd.deb
check "the system user policyd" getent passwd policyd
check "the groups policyadm and policyd-staff" \
	sh -c 'getent group policyadm && getent group policyd-staff'
check "/var/lib/policyd 0700 policyd" \
	test "$(stat -c '%a %U' /var/lib/policyd)" = "700 policyd"
check "the TOTP key, 0400 policyd" \
	test "$(stat -c '%a %U %s' /etc/policyd/totp.key)" = "400 policyd 32"
check "policyd.service enabled" \
	test -L /etc/systemd/system/multi-user.target.wants/policyd.service
check "no PAM stack changed" sh -c '! grep -q policyd /etc/pam.d/common-*'
check "the configuration is valid" policyd -t

# As policyd.service starts it: its user, policyadm as a supplementary group.
start() {
	setpriv --reuid=policyd --regid=policyd \
		--groups="$(getent group policyadm | cut -d: -f3)" \
		policyd -f 2> /tmp/policyd.log &
	dpid=$!
	i=0
	until policyctl ping > /dev/null 2>&1 || [ $i -gt 200 ]; do
		i=$((i + 1)); sleep 0.05
	done
}
stop() { kill "$dpid"; wait "$dpid"; }
start
check "started as the unit does, it serves" policyctl ping
check "the store is the daemon user's" \
	test "$(stat -c '%a %U' /var/lib/policyd/policyd.db)" = "600 policyd"

check "pam-auth-update --enable policyd" pam-auth-update --enable policyd
check "common-auth routes policyd-staff to pam_policyd.so" \
	grep -q 'pam_succeed_if.so quiet user ingroup policyd-staff' \
		/etc/pam.d/common-auth
useradd -m bob
useradd -m alice
usermod -aG policyd-staff alice
usermod -p "$(openssl passwd -6 Shadow-pass-777)" alice
pw() { printf '%s\n' "$2" | pamtester login "$1" authenticate; }
check "root's passwd for a non-member (pam_unix)" \
	sh -c 'printf "Bob-pass-4567\nBob-pass-4567\n" | passwd bob'
check "the non-member logs in with it" pw bob Bob-pass-4567
check "policyctl user add alice" \
	sh -c 'echo Quartz-Lamp-7391-Fjord | policyctl user add alice --password-stdin'
check "a member logs in through policyd" pw alice Quartz-Lamp-7391-Fjord
check "a member's wrong password is refused" sh -c '! pw alice wrong'
check "a member's shadow password is refused" sh -c '! pw alice Shadow-pass-777'
check "a member's password changed through policyd" sh -c \
	'printf "Obelisk-Tundra-5528-Vireo\nObelisk-Tundra-5528-Vireo\n" |
	pamtester passwd alice chauthtok'
check "and she logs in with the new one" pw alice Obelisk-Tundra-5528-Vireo
stop
check "daemon down: the member is refused" \
	sh -c '! pw alice Obelisk-Tundra-5528-Vireo'
check "daemon down: the non-member is not" pw bob Bob-pass-4567

echo '# changed by the administrator' >> /etc/policyd/policyd.conf
check "reinstall" apt install -y -q --reinstall /tmp/policyd.deb
check "a changed configuration is kept" \
	grep -qx '# changed by the administrator' /etc/policyd/policyd.conf
# A store gone missing beside its key (a file system not mounted): an
# upgrade makes no empty one in its place.
mv /var/lib/policyd/policyd.db /var/lib/policyd/policyd.db.away
check "reinstall with the store away" \
	apt install -y -q --reinstall /tmp/policyd.deb
check "no new store was made in its place" \
	test ! -e /var/lib/policyd/policyd.db
check "... and it said so" grep -q 'is missing: nothing made afresh' /tmp/apt.log
mv /var/lib/policyd/policyd.db.away /var/lib/policyd/policyd.db
check "apt-get remove" apt remove -y -q policyd
check "remove takes the profile out of the stacks" \
	sh -c '! grep -q policyd /etc/pam.d/common-*'
check "apt-get purge" apt purge -y -q policyd
check "purge keeps the store and the key" \
	test -f /var/lib/policyd/policyd.db -a -f /etc/policyd/totp.key
EOF
chroot "$R" sh /tmp/checks.sh > "$W/checks.out" 2>&1
cat "$W/checks.out"
grep -q '^ok: ' "$W/checks.out" || fails=1
! grep -q '^FAIL: ' "$W/checks.out" || fails=1
[ "$fails" -eq 0 ] || { echo "--- policyd.log:"; cat "$R/tmp/policyd.log" 2>/dev/null; exit 1; }
echo "ok: the package on a Debian 12 root"
