/*
 * fuzz_reply.c - fuzz target for everything pam_policyd.so does with an
 * answer from the daemon.
 *
 * The module is compiled in (its statics included), a real PAM handle is
 * made with pam_start_confdir over a private service directory, and a
 * thread plays the daemon on a private socket: each connection gets the
 * next reply from the input.  The module then runs one of its entry
 * points for real (client_open, client_call's checks of type, id and
 * status, the code step with the token it read, the messages built from
 * reasons), and every reply is also handed to the field readers directly.
 * The conversation answers prompts and discards messages.  (libpam lets
 * only a module it called set PAM_AUTHTOK and PAM_OLDAUTHTOK, so here
 * those pam_set_item calls fail and the module takes its error branch
 * after them; every reply reader runs before that point.)
 *
 * Input: one control byte, then replies, each a 2-byte big-endian length
 * and that many bytes.  The control byte's low 3 bits pick the entry
 * point; FIX_HEADER writes the request's type and id into each reply (so
 * it gets past client_call more often); RAW sends a reply's bytes as they
 * are, its frame length prefix included; LONG_CODE answers the code
 * prompt with too long a code, NO_ANSWER refuses every prompt, EXPIRED
 * adds PAM_CHANGE_EXPIRED_AUTHTOK to a password change.
 *
 * The module must fail closed: it may return PAM_SUCCESS only if some
 * reply was a well-formed "ok".  Any other outcome is fine; a crash, a
 * sanitizer report or a trap is not.
 *
 * Built with -DPOLICYD_LIBFUZZER for libFuzzer; otherwise linked with
 * fuzz_main.c, which replays files.
 */
#include "../pam_module/args.c"
#include "../pam_module/pam_policyd.c"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <security/pam_appl.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SERVICE "policyd-fuzz"
#define MAX_REPLIES 8
#define FIX_HEADER 0x08
#define RAW 0x10
#define LONG_CODE 0x20
#define NO_ANSWER 0x40
#define EXPIRED 0x80

struct chunk {
	const uint8_t *p;
	size_t len;
};

static struct {
	char dir[64];
	char sock[96];
	pam_handle_t *pamh;
	int listen_fd;
	pthread_mutex_t lock;
	/* The replies of the input being run, guarded by lock. */
	struct chunk replies[MAX_REPLIES];
	size_t nreplies, next;
	uint8_t control;
} fz = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1 };

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* Answers every prompt (unless NO_ANSWER) and discards every message. */
static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
     void *arg)
{
	static const char long_code[] = "1234567890123456789012345678901234567"
					"890123456789012345678901234567890";
	struct pam_response *r;
	uint8_t control = *(const uint8_t *)arg;

	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		int prompt = msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
			     msg[i]->msg_style == PAM_PROMPT_ECHO_ON;

		check(strlen(msg[i]->msg) < 512);
		if (!prompt)
			continue;
		if (control & NO_ANSWER) {
			free(r);
			return PAM_CONV_ERR;
		}
		r[i].resp = strdup(strncmp(msg[i]->msg, "Verification", 12) ==
						   0 && (control & LONG_CODE)
					   ? long_code
					   : "correct horse battery");
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* The next reply for a connection, with the request's type and id
 * written in when FIX_HEADER is set.  0 if the input has no more. */
static size_t
next_reply(const uint8_t *req, size_t reqlen, uint8_t *out, size_t cap)
{
	struct chunk c = { NULL, 0 };
	int fix;

	pthread_mutex_lock(&fz.lock);
	if (fz.next < fz.nreplies)
		c = fz.replies[fz.next++];
	fix = (fz.control & FIX_HEADER) && !(fz.control & RAW);
	pthread_mutex_unlock(&fz.lock);
	if (c.p == NULL || c.len > cap)
		return 0;
	memcpy(out, c.p, c.len);
	if (fix && c.len >= PROTO_HEADER_LEN && reqlen >= PROTO_HEADER_LEN) {
		out[1] = req[1] | PROTO_REPLY;
		memcpy(out + 2, req + 2, 4);
	}
	return c.len;
}

/* One connection: read the request, answer with the next reply (or
 * nothing, when the input has no more), close. */
static void
serve_one(int fd)
{
	static uint8_t req[PROTO_MAX_FRAME], out[PROTO_MAX_FRAME + 4];
	int64_t deadline = frame_now_ms() + 2000;
	size_t reqlen, n;
	int raw;

	if (frame_read(fd, req, sizeof(req), &reqlen, deadline) != FRAME_OK)
		return;
	n = next_reply(req, reqlen, out, sizeof(out));
	pthread_mutex_lock(&fz.lock);
	raw = (fz.control & RAW) != 0;
	pthread_mutex_unlock(&fz.lock);
	if (n == 0)
		return;
	if (raw)
		(void)send(fd, out, n, MSG_NOSIGNAL);
	else
		frame_write(fd, out, n, deadline);
}

static void *
daemon_thread(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept4(fz.listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		serve_one(fd);
		close(fd);
	}
	return NULL;
}

static void
make_service(void)
{
	char path[192];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/pam.d", fz.dir);
	check(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/pam.d/" SERVICE, fz.dir);
	fp = fopen(path, "w");
	check(fp != NULL);
	fprintf(fp, "auth required pam_permit.so\n"
		    "account required pam_permit.so\n"
		    "password required pam_permit.so\n");
	check(fclose(fp) == 0);
}

static void
make_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_t t;

	snprintf(fz.sock, sizeof(fz.sock), "%s/pam.sock", fz.dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fz.sock);
	fz.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	check(fz.listen_fd >= 0);
	check(bind(fz.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	check(listen(fz.listen_fd, 16) == 0);
	check(pthread_create(&t, NULL, daemon_thread, NULL) == 0);
	pthread_detach(t);
}

static void
clean_up(void)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/pam.d/" SERVICE, fz.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pam.d", fz.dir);
	rmdir(path);
	unlink(fz.sock);
	rmdir(fz.dir);
}

/* Once per process: the directory (the module wants one only its owner
 * can write), in the test's directory under make check, else /dev/shm;
 * the service file, the socket and its thread, the handle. */
static void
set_up(void)
{
	static struct pam_conv pc = { conv, &fz.control };
	const char *base = getenv("POLICYD_TEST_DIR");
	char confdir[128];

	if (fz.pamh != NULL)
		return;
	if (base == NULL || strlen(base) > 32)
		base = "/dev/shm";
	snprintf(fz.dir, sizeof(fz.dir), "%s/policyd-fuzz.XXXXXX", base);
	check(mkdtemp(fz.dir) != NULL);
	check(chmod(fz.dir, 0755) == 0);
	atexit(clean_up);
	make_service();
	make_socket();
	snprintf(confdir, sizeof(confdir), "%s/pam.d", fz.dir);
	check(pam_start_confdir(SERVICE, "alice", &pc, confdir, &fz.pamh) ==
	      PAM_SUCCESS);
}

/* Splits the input into replies; returns how many. */
static size_t
split(const uint8_t *p, size_t n, struct chunk *out)
{
	size_t k = 0, off = 0;

	while (k < MAX_REPLIES && n - off >= 2) {
		size_t len = (size_t)p[off] << 8 | p[off + 1];

		off += 2;
		if (len > n - off)
			len = n - off;
		out[k].p = p + off;
		out[k].len = len;
		off += len;
		k++;
	}
	return k;
}

/* Whether the reply (as it would reach client_call, after FIX_HEADER)
 * is well-formed and, unless any_status, "ok": what PAM_SUCCESS needs.
 * (A password change's preliminary check asks only whether the daemon
 * answers at all.) */
static int
may_pass(const struct chunk *c, uint8_t control, int any_status)
{
	static uint8_t buf[PROTO_MAX_FRAME + 4];
	const uint8_t *p = buf;
	struct wmsg m;
	size_t n = c->len;

	memcpy(buf, c->p, n);
	if (control & RAW) {
		if (n < 4)
			return 0;
		p += 4;
		n -= 4;
	} else if ((control & FIX_HEADER) && n >= PROTO_HEADER_LEN) {
		buf[1] |= PROTO_REPLY;
	}
	if (wire_parse(p, n, 1, &m) != 0 || m.status > PROTO_STATUS_MAX)
		return 0;
	return any_status || m.status == PROTO_OK;
}

/* Every reader of the module over one reply, whatever its status. */
static void
read_reply(pam_handle_t *pamh, const struct chunk *c)
{
	struct reply r;
	struct args a;
	struct wfield f;
	uint32_t v32;
	uint64_t v64;

	if (c->len > sizeof(r.buf))
		return;
	memcpy(r.buf, c->p, c->len);
	if (wire_parse(r.buf, c->len, 1, &r.m) != 0)
		return;
	if (args_parse(pamh, 0, 0, NULL, &a) != 0)
		abort();
	tell_refusal(pamh, &a, &r);
	tell_locked(pamh, &a, &r);
	tell_last_login(pamh, &a, &r);
	tell_second_factor(pamh, &a, &r);
	for (int s = -1; s <= PROTO_STATUS_MAX + 1; s++)
		check((auth_result(pamh, &a, s, &r) == PAM_SUCCESS) ==
		      (s == PROTO_OK));
	for (int tag = 0; tag < 64; tag++) {
		int has = wire_find(&r.m, (uint8_t)tag, &f) == 0;

		check(reply_u32(&r, (uint8_t)tag, 7) ==
		      (has && wire_u32(&f, &v32) == 0 ? v32 : 7));
		check(reply_u64(&r, (uint8_t)tag, 7) ==
		      (has && wire_u64(&f, &v64) == 0 ? v64 : 7));
	}
}

/* Runs the entry point the control byte names, as libpam would. */
static int
run_module(pam_handle_t *pamh, uint8_t control)
{
	static const char *const modes[] = { "", "totp_only", "preauth",
					     "authfail", "authsucc" };
	char sock[160];
	const char *argv[5];
	int argc = 0, which = control & 7;

	snprintf(sock, sizeof(sock), "socket=%s", fz.sock);
	argv[argc++] = sock;
	argv[argc++] = "timeout=2";
	argv[argc++] = "nodelay";
	argv[argc++] = "retry=2";
	if (which >= 1 && which <= 4)
		argv[argc++] = modes[which];
	if (which <= 4)
		return pam_sm_authenticate(pamh, 0, argc, argv);
	if (which == 5)
		return pam_sm_acct_mgmt(pamh, 0, argc, argv);
	if (which == 6)
		return pam_sm_chauthtok(pamh, PAM_PRELIM_CHECK, argc, argv);
	return pam_sm_chauthtok(pamh, PAM_UPDATE_AUTHTOK |
				(control & EXPIRED ? PAM_CHANGE_EXPIRED_AUTHTOK
						   : 0), argc, argv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunk c[MAX_REPLIES];
	size_t n;
	int rv, any_ok = 0;

	if (size < 1)
		return 0;
	set_up();
	n = split(data + 1, size - 1, c);
	pthread_mutex_lock(&fz.lock);
	memcpy(fz.replies, c, sizeof(c));
	fz.nreplies = n;
	fz.next = 0;
	fz.control = data[0];
	pthread_mutex_unlock(&fz.lock);

	pam_set_item(fz.pamh, PAM_USER, "alice");
	pam_set_item(fz.pamh, PAM_AUTHTOK, NULL);
	pam_set_item(fz.pamh, PAM_OLDAUTHTOK, NULL);
	pam_set_item(fz.pamh, PAM_RHOST, "192.0.2.7");
	pam_set_item(fz.pamh, PAM_TTY, "ssh");
	for (size_t i = 0; i < n; i++)
		any_ok |= may_pass(&c[i], data[0], (data[0] & 7) == 6);
	rv = run_module(fz.pamh, data[0]);
	check(rv != PAM_SUCCESS || any_ok);
	/* authfail runs after another module refused: never a success,
	 * whatever the daemon answers. */
	check(rv != PAM_SUCCESS || (data[0] & 7) != 3);

	for (size_t i = 0; i < n; i++)
		read_reply(fz.pamh, &c[i]);
	pthread_mutex_lock(&fz.lock);
	fz.nreplies = 0;
	pthread_mutex_unlock(&fz.lock);
	return 0;
}
