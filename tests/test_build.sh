#!/bin/sh
# The built artefacts: the module exports only pam_sm_*, and every binary
# is PIE with full RELRO and a stack protector.
set -eu
B=$POLICYD_BUILD
fail() { echo "FAIL: $*"; exit 1; }

exported=$(nm -D --defined-only "$B/pam_policyd.so" | awk '{print $NF}' | sort)
expected=$(printf '%s\n' pam_sm_acct_mgmt pam_sm_authenticate \
	pam_sm_chauthtok pam_sm_close_session pam_sm_open_session \
	pam_sm_setcred)
[ "$exported" = "$expected" ] ||
	fail "pam_policyd.so exports more than pam_sm_*: $exported"
echo "ok: pam_policyd.so exports only the six pam_sm_* entry points"

for f in policyd policyctl pam_policyd.so; do
	readelf -d "$B/$f" | grep -q 'BIND_NOW' || fail "$f: no BIND_NOW"
	readelf -l "$B/$f" | grep -q 'GNU_RELRO' || fail "$f: no RELRO"
	readelf -lW "$B/$f" | grep -q 'GNU_STACK.* RW ' ||
		fail "$f: executable stack"
done
for f in policyd policyctl; do
	readelf -h "$B/$f" | grep -q 'DYN (Position-Independent' ||
		fail "$f: not PIE"
done
if [ "${SANITIZE:-}" != 1 ]; then
	nm -D "$B/policyd" | grep -q '__stack_chk_fail' ||
		fail "policyd: no stack protector"
	nm -D "$B/policyd" | grep -q '_chk@' || fail "policyd: not fortified"
fi
echo "ok: PIE, full RELRO, non-executable stack, stack protector"
