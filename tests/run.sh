#!/bin/sh
# Runs every test against the build in $BUILD (default build/release) and
# prints one line per step, then "N passed, N failed, N skipped".  Each
# step gets a private temporary directory, removed afterwards; nothing
# outside it is touched.  A step that exits with 77 is skipped (it cannot
# run here, as for automake): "SKIP: name (reason)", the reason being what
# follows "SKIP: " in its first such line.
set -u
BUILD=$(cd "${BUILD:-build/release}" && pwd) || exit 2
TOP=$(cd "$(dirname "$0")/.." && pwd)
export POLICYD_BUILD="$BUILD"
if [ "${SANITIZE:-}" = 1 ]; then
	# pam_wrapper is preloaded ahead of the ASan runtime in test_pam.
	export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:abort_on_error=1"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi
if [ "${TSAN:-}" = 1 ]; then
	# policyd stops at its first report, with a status no test expects;
	# the report goes to its stderr, which is the log the tests keep.
	export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"
	TSAN_OPTIONS="$TSAN_OPTIONS:suppressions=$TOP/tests/tsan.supp"
	# Only test_build.sh reads this: a sanitized policyd is not fortified.
	export SANITIZE=1
fi

passed=0
failed=0
skipped=0
failures=""

step() {
	name=$1
	shift
	dir=$(mktemp -d "${TMPDIR:-/tmp}/policyd-test.XXXXXX") || exit 2
	chmod 755 "$dir"
	log="$dir.log"
	POLICYD_TEST_DIR="$dir" "$@" > "$log" 2>&1
	rc=$?
	if [ $rc -eq 77 ] && ! tsan_reported "$dir" "$log"; then
		skipped=$((skipped + 1))
		echo "SKIP: $name ($(sed -n 's/^SKIP: //p' "$log" | head -n 1))"
	elif [ $rc -eq 0 ] && ! tsan_reported "$dir" "$log"; then
		passed=$((passed + 1))
		echo "PASS: $name"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "FAIL: $name"
		sed 's/^/    /' "$log"
		for f in $(find "$dir" -name '*.log' 2>/dev/null); do
			echo "    --- $f"
			tail -n 40 "$f" | sed 's/^/    /'
		done
	fi
	reap "$dir"
	rm -rf "$dir" "$log"
}

# Whether a ThreadSanitizer report is in the step's output or in any log
# under its directory (the daemons' stderr); if so, the step's output
# names the files.
tsan_reported() {
	found=$(grep -lE '(WARNING|ERROR|FATAL): ThreadSanitizer' "$2" \
		$(find "$1" -name '*.log' 2>/dev/null) 2>/dev/null)
	[ -n "$found" ] || return 1
	echo "ThreadSanitizer reported in:" $found >> "$2"
	return 0
}

# A test that crashed may have left a daemon it started: stop every
# process whose command line names the step's directory, by its pid.
reap() {
	for p in /proc/[0-9]*; do
		if { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -qF "$1/"; then
			echo "    (stopping leftover process ${p#/proc/})"
			kill -9 "${p#/proc/}" 2>/dev/null
		fi
	done
}

step codec "$BUILD/tests/test_wire"
step text "$BUILD/tests/test_text"
step jsonout "$BUILD/tests/test_jsonout"
step config "$BUILD/tests/test_config"
step rules "$BUILD/tests/test_rules"
step seal "$BUILD/tests/test_seal"
step qr "$BUILD/tests/test_qr"
step fuzz-corpus "$BUILD/tests/fuzz_wire" "$TOP/tests/corpus/wire"
for t in reply config phc audit auditrow; do
	step "fuzz-corpus-$t" "$BUILD/tests/fuzz_$t" "$TOP/tests/corpus/$t"
done
step build-hardening sh "$TOP/tests/test_build.sh"
step server "$BUILD/tests/test_server"
step store "$BUILD/tests/test_store"
step cost "$BUILD/tests/test_cost"
step pam "$BUILD/tests/test_pam"
step password "$BUILD/tests/test_password"
step unicode "$BUILD/tests/test_unicode"
step hostile-text "$BUILD/tests/test_hostile_text"
step lockout "$BUILD/tests/test_lockout"
step totp "$BUILD/tests/test_totp"
step audit "$BUILD/tests/test_audit"
step verbs "$BUILD/tests/test_verbs"
step stress "$BUILD/tests/test_stress"
step faults "$BUILD/tests/test_faults"
step sealing "$BUILD/tests/test_sealing"
step version sh "$TOP/tests/test_version.sh"
step install sh "$TOP/tests/test_install.sh"
step service sh "$TOP/tests/test_service.sh"
step deb sh "$TOP/tests/test_deb.sh"
step pam-profile sh "$TOP/tests/test_pam_profile.sh"
step policyctl sh "$TOP/tests/test_cli.sh"
step report sh "$TOP/tests/test_report.sh"
step manpages sh "$TOP/tests/test_manpages.sh"
step pamtester sh "$TOP/tests/test_pamtester.sh"
step stacks sh "$TOP/tests/test_stacks.sh"
step doctor sh "$TOP/tests/test_doctor.sh"
step sshd sh "$TOP/tests/test_sshd.sh"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || { echo "failed:$failures"; exit 1; }
