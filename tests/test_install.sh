#!/bin/sh
# make install and make uninstall into a DESTDIR under the test's
# directory: the files and their modes, the PAM module where libpam-modules
# keeps pam_unix.so, PREFIX followed by the unit's ExecStart=, an existing
# or changed configuration kept, and uninstall removing exactly what
# install added.  The build under test is never remade (make -o).
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

mk() { src_make "$@"; }

# listing DIR: every entry but directories, with its mode, sorted.
listing() {
	(cd "$1" && find . ! -type d -printf '%m %p\n' | sort)
}

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
	cc -print-multiarch)
pamdir=/lib/$multiarch/security
unix_dir=$(dpkg -L libpam-modules | sed -n 's|/pam_unix\.so$||p')
[ "$pamdir" = "$unix_dir" ] ||
	fail "PAM module directory $pamdir, libpam-modules uses $unix_dir"
[ "$pamdir" = "$(pkg-config --variable=libdir pam)/security" ] ||
	fail "PAM module directory $pamdir is not pam.pc's libdir/security"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
unitdir=${unitdir:-/lib/systemd/system}

D=$T/root
mkdir -p "$D/usr/bin"
echo other > "$D/usr/bin/other"	# not ours: must survive uninstall
before=$(listing "$D")
mk install DESTDIR="$D" > "$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install"; exit 1; }

expected=$(sort <<EOF
644 ./etc/policyd/policyd.conf
644 .$pamdir/pam_policyd.so
755 ./usr/sbin/policyd
755 ./usr/bin/policyctl
644 ./usr/bin/other
644 ./usr/share/man/man8/policyd.8
644 ./usr/share/man/man8/policyctl.8
644 ./usr/share/man/man8/pam_policyd.8
644 ./usr/share/man/man5/policyd.conf.5
644 .$unitdir/policyd.service
644 ./usr/lib/sysusers.d/policyd.conf
644 ./usr/lib/tmpfiles.d/policyd.conf
EOF
)
got=$(listing "$D")
if [ "$got" = "$expected" ]; then
	ok "make install: the files and their modes"
else
	fail "make install installed:"
	echo "$got" | sed 's/^/    /'
	echo "    expected:"
	echo "$expected" | sed 's/^/    /'
fi
[ "$(stat -c %a "$D/etc/policyd")" = 755 ] ||
	fail "/etc/policyd is not 0755"
cmp -s "$B/policyd" "$D/usr/sbin/policyd" &&
	cmp -s "$TOP/conf/policyd.conf" "$D/etc/policyd/policyd.conf" ||
	fail "installed files differ from the build and conf/"
grep -qx 'ExecStart=/usr/sbin/policyd -f' "$D$unitdir/policyd.service" ||
	fail "the unit does not start /usr/sbin/policyd"

# Installing again over a changed configuration keeps it.
echo '# changed' >> "$D/etc/policyd/policyd.conf"
mk install DESTDIR="$D" > "$T/install2.log" 2>&1 || fail "make install again"
if tail -n 1 "$D/etc/policyd/policyd.conf" | grep -qx '# changed'; then
	ok "a changed configuration is not overwritten"
else
	fail "make install overwrote a changed configuration"
fi

# Uninstall removes the rest and keeps the changed configuration...
mk uninstall DESTDIR="$D" > "$T/uninstall.log" 2>&1 || fail "make uninstall"
got=$(listing "$D")
want=$(printf '%s\n%s\n' "$before" "644 ./etc/policyd/policyd.conf" | sort)
[ "$got" = "$want" ] ||
	{ fail "after uninstall with a changed configuration:"; echo "$got"; }
# ...and, with the configuration as installed, leaves what was there.
rm -f "$D/etc/policyd/policyd.conf"
mk install DESTDIR="$D" > /dev/null 2>&1 &&
	mk uninstall DESTDIR="$D" > /dev/null 2>&1 || fail "install/uninstall"
got=$(listing "$D")
if [ "$got" = "$before" ] && [ ! -e "$D/etc/policyd" ]; then
	ok "make uninstall removes exactly what make install added"
else
	fail "after install and uninstall:"
	echo "$got" | sed 's/^/    /'
fi

# PREFIX moves the programs, and the unit follows; the module does not.
P=$T/prefix
mk install DESTDIR="$P" PREFIX=/usr/local > /dev/null 2>&1 ||
	fail "make install PREFIX=/usr/local"
if [ -x "$P/usr/local/sbin/policyd" ] && [ -x "$P/usr/local/bin/policyctl" ] &&
	[ -f "$P$pamdir/pam_policyd.so" ] &&
	grep -qx 'ExecStart=/usr/local/sbin/policyd -f' \
		"$P$unitdir/policyd.service"; then
	ok "PREFIX=/usr/local: programs, ExecStart=, module in $pamdir"
else
	fail "PREFIX=/usr/local:"
	listing "$P" | sed 's/^/    /'
fi

[ "$fails" -eq 0 ] || exit 1
