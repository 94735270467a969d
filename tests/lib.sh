# lib.sh - shared by the shell tests and the demo: a private policyd.
# Source it with T (a private directory) and B (the build directory) set.

# write_conf MEMORY_KIB TIME: $T/policyd.conf for a daemon under $T.
write_conf() {
	cat > "$T/policyd.conf" <<CONF
[daemon]
runtime_dir = $T/run
database = $T/db/policyd.db
user =
[totp]
key_file = $T/totp.key
required = off
[password]
argon2_memory = $1
argon2_time = $2
CONF
	chmod 600 "$T/policyd.conf"
}

# start_daemon: policyd -f in the background, its pid in $pid, its log in
# $T/policyd.log; returns once it answers, or fails.
start_daemon() {
	"$B/policyd" -f -c "$T/policyd.conf" 2> "$T/policyd.log" &
	pid=$!
	i=0
	until "$B/policyctl" -S "$T/run" ping > /dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 500 ] || ! kill -0 "$pid" 2>/dev/null; then
			echo "policyd did not start:" >&2
			cat "$T/policyd.log" >&2
			return 1
		fi
		sleep 0.02
	done
}

# stop_daemon: SIGTERM to $pid and wait; returns its exit status.
stop_daemon() {
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid"
	st=$?
	pid=
	return $st
}

# src_make ARGS...: make in the source tree ($TOP) on the build under test,
# which it never remakes (make -o), without what the suite's own make
# passed down (jobserver, TSAN=1, SANITIZE=1).
src_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u TSAN -u SANITIZE \
		make -s -C "$TOP" BUILD="$B" -o "$B/policyd" -o "$B/policyctl" \
		-o "$B/pam_policyd.so" "$@"
}
