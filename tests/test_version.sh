#!/bin/sh
# One version from one place (debian/changelog), the same in policyd
# --version, policyctl --version and the module's debug line; and it has
# changed whenever the wire protocol or the schema did (tests/versions.txt).
set -u
B=$POLICYD_BUILD
TOP=$(cd "$(dirname "$0")/.." && pwd)
fails=0
ok() { echo "ok: $*"; }
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

V=$(awk 'NR == 1 { gsub(/[()]/, "", $2); print $2 }' "$TOP/debian/changelog")
P=$(sed -n 's/^#define PROTO_VERSION \([0-9]*\)$/\1/p' "$TOP/include/proto.h")
F=$(grep -oE 'PROTO_[A-Z0-9_]+ = [0-9]+' "$TOP/include/proto.h" | tr -d ' ' |
	sha256sum | cut -c1-16)
[ -n "$V" ] && [ -n "$P" ] && [ -n "$F" ] ||
	fail "cannot read the version ($V), the protocol ($P) or its names ($F)"

# policyd says its version, protocol and schema.
out=$("$B/policyd" --version)
S=$(echo "$out" | sed -n 's/.*schema \([0-9]*\))$/\1/p')
if [ "$out" = "policyd $V (protocol $P, schema $S)" ] && [ -n "$S" ]; then
	ok "policyd --version: $out"
else
	fail "policyd --version: '$out', expected policyd $V (protocol $P, ...)"
fi
out=$("$B/policyctl" --version 2>&1)
case $out in
"policyctl $V"*) ok "policyctl --version: $out" ;;
*) fail "policyctl --version: '$out', expected policyctl $V" ;;
esac
if grep -aq "pam_policyd $V (protocol %d)" "$B/pam_policyd.so"; then
	ok "the module's debug line names pam_policyd $V"
else
	fail "the module's debug line does not name pam_policyd $V"
fi

# The man pages' headers.
for m in "$TOP"/man/*.[0-9]; do
	grep -q "^\.TH .* \"policyd $V\" " "$m" ||
		fail "$(basename "$m"): its .TH does not say policyd $V"
done

# The release's line: protocol, schema and names as they are now.
line=$(grep -v '^#' "$TOP/tests/versions.txt" | awk -v v="$V" '$1 == v')
if [ "$line" = "$V $P $S $F" ]; then
	ok "tests/versions.txt: $line"
elif [ -z "$line" ]; then
	fail "tests/versions.txt has no line for $V: add '$V $P $S $F'"
else
	fail "the protocol or the schema changed since $V ('$line', now" \
		"'$V $P $S $F'): a new version in debian/changelog, and its" \
		"line at the end of tests/versions.txt"
fi
# The last line is this version's: no release after it exists.
last=$(grep -v '^#' "$TOP/tests/versions.txt" | tail -n 1 | cut -d' ' -f1)
[ "$last" = "$V" ] || fail "tests/versions.txt ends with $last, not $V"
[ "$fails" -eq 0 ]
