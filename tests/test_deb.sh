#!/bin/sh
# The Debian package: make deb-build (dpkg-buildpackage -b and lintian,
# errors and warnings failing) into the test's directory, then its files
# and modes (dpkg-deb -c), the configuration as a conffile, the version
# against the Makefile's, the pam-auth-update profile off by default, and
# postinst making the user, the directories and the store before it starts
# the unit.  The package is built from the source, not from the build under
# test, so only the plain suite runs it.
set -u
B=$POLICYD_BUILD
T=$POLICYD_TEST_DIR
TOP=$(cd "$(dirname "$0")/.." && pwd)
fails=0

. "$TOP/tests/lib.sh"

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
ok() { echo "ok: $*"; }

if [ "${SANITIZE:-}" = 1 ]; then
	echo "skipped: the package does not depend on the build under test"
	exit 0
fi

src_make deb-build DEB_DIR="$T/deb" > "$T/deb.log" 2>&1 ||
	{ tail -n 40 "$T/deb.log"; echo "FAIL: make deb-build"; exit 1; }
ok "dpkg-buildpackage -b builds it, lintian reports no error or warning"

version=$(awk 'NR == 1 { gsub(/[()]/, "", $2); print $2 }' \
	"$TOP/debian/changelog")
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb=$T/deb/policyd_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
[ -f "$deb" ] || { ls "$T/deb"; echo "FAIL: no $deb"; exit 1; }
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] ||
	fail "package version $(dpkg-deb -f "$deb" Version), Makefile $version"

got=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $1, $2, $6 }' | sort -k3)
expected=$(sort -k3 <<EOF
-rw-r--r-- root/root ./etc/policyd/policyd.conf
-rw-r--r-- root/root ./lib/$multiarch/security/pam_policyd.so
-rw-r--r-- root/root ./lib/systemd/system/policyd.service
-rwxr-xr-x root/root ./usr/bin/policyctl
-rw-r--r-- root/root ./usr/lib/sysusers.d/policyd.conf
-rw-r--r-- root/root ./usr/lib/tmpfiles.d/policyd.conf
-rwxr-xr-x root/root ./usr/sbin/policyd
-rw-r--r-- root/root ./usr/share/doc/policyd/README.Debian
-rw-r--r-- root/root ./usr/share/doc/policyd/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/policyd/copyright
-rw-r--r-- root/root ./usr/share/doc/policyd/examples/pam.d/login
-rw-r--r-- root/root ./usr/share/doc/policyd/examples/pam.d/screenlock
-rw-r--r-- root/root ./usr/share/doc/policyd/examples/pam.d/sshd
-rw-r--r-- root/root ./usr/share/doc/policyd/examples/pam.d/sshd-group-gated
-rw-r--r-- root/root ./usr/share/doc/policyd/examples/pam.d/stacked-after-pam_unix
-rw-r--r-- root/root ./usr/share/doc/policyd/examples/pam.d/su
-rw-r--r-- root/root ./usr/share/doc/policyd/examples/pam.d/sudo
-rw-r--r-- root/root ./usr/share/man/man5/policyd.conf.5.gz
-rw-r--r-- root/root ./usr/share/man/man8/pam_policyd.8.gz
-rw-r--r-- root/root ./usr/share/man/man8/policyctl.8.gz
-rw-r--r-- root/root ./usr/share/man/man8/policyd.8.gz
-rw-r--r-- root/root ./usr/share/pam-configs/policyd
EOF
)
if [ "$got" = "$expected" ]; then
	ok "dpkg-deb -c: the files and their modes"
else
	fail "dpkg-deb -c:"
	echo "$got" | sed 's/^/    /'
	echo "    expected:"
	echo "$expected" | sed 's/^/    /'
fi

C=$T/control
dpkg-deb -e "$deb" "$C"
[ "$(cat "$C/conffiles")" = /etc/policyd/policyd.conf ] ||
	fail "conffiles: $(cat "$C/conffiles")"
for s in postinst prerm postrm; do
	[ ! -e "$C/$s" ] || sh -n "$C/$s" || fail "$s: not valid sh"
done

# postinst: sysusers, tmpfiles and the store (policyd --init, without
# the seal, whose key would go into apt's log) before the unit is enabled
# and started; the profile last.
line() {
	grep -n -e "$1" "$C/postinst" | grep -v '^[0-9]*:[[:space:]]*#' |
		head -n 1 | cut -d: -f1
}
l_users=$(line 'systemd-sysusers policyd.conf')
l_init=$(line 'policyd --init')
l_start=$(line "deb-systemd-invoke .* 'policyd.service'")
l_pam=$(line 'pam-auth-update --package')
if [ -n "$l_users" ] && [ -n "$l_init" ] && [ -n "$l_start" ] &&
	[ -n "$l_pam" ] && [ "$l_users" -lt "$l_init" ] &&
	[ "$l_init" -lt "$l_start" ] && [ "$l_start" -lt "$l_pam" ] &&
	grep -q -- '^[[:space:]]*policyd --init --no-seal$' "$C/postinst"; then
	ok "postinst: user, store (--init --no-seal), start, PAM profile"
else
	fail "postinst order: users $l_users, init $l_init, start $l_start," \
		"pam $l_pam"
fi
grep -q 'pam-auth-update --package --remove policyd' "$C/prerm" ||
	fail "prerm does not take the profile out"

P=$T/pkg
dpkg-deb -x "$deb" "$P"
profile=$P/usr/share/pam-configs/policyd
if grep -qx 'Default: no' "$profile" &&
	! grep -v 'pam_succeed_if\|pam_policyd\|pam_unix' "$profile" | grep -q '^	'; then
	ok "the pam-auth-update profile is off until enabled"
else
	fail "the pam-auth-update profile:"
	sed 's/^/    /' "$profile"
fi
cmp -s "$P/etc/policyd/policyd.conf" "$TOP/conf/policyd.conf" ||
	fail "the package's policyd.conf is not conf/policyd.conf"

[ ! -e "$TOP/debian/policyd" ] && [ ! -e "$TOP/debian/files" ] ||
	fail "the package build left files in the source tree's debian/"

[ "$fails" -eq 0 ] || exit 1
