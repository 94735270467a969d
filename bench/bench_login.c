/*
 * bench_login.c - how much slower a login is with policyd, and what a
 * flood does, at the default argon2id cost (m=64 MiB, t=3, p=1):
 *
 *  1. the limit: raw argon2id verifications per second, libsodium and
 *     libargon2 (its memory allocated once per thread and reused), on one
 *     thread and on hash_workers threads;
 *  2. a full login through the real libpam (pam_wrapper) -> pam_policyd.so
 *     -> policyd -> store: p50/p99 with one client, throughput with 1, 2,
 *     8 and 64 clients, each as a ratio to the limit;
 *  3. the no-oracle check: unknown user and locked account against a known
 *     user with a wrong password, the three interleaved in one daemon;
 *  6. scale: login latency with 10 users, and with 1,000,000 users and
 *     10,000,000 audit records (100,000 and 1,000,000 with QUICK=1);
 *  7. memory: policyd's peak RSS while 500 clients connect at once;
 *  9. (run after 3) after the cost was lowered (argon2_time 3 -> 1,
 *     accounts hashed before it not logged in since): an unknown name and
 *     an account rehashed since against a dormant one, interleaved in a
 *     daemon of their own, and the raw verifications at both costs that
 *     they would take unpadded.
 * (4, 5 and 8 are bench_pam and bench_password.)  Prints; asserts nothing.
 */
#include <argon2.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "client.h"
#include "pamlib.h"
#include "proto.h"
#include "testlib.h"

#define M_KIB 65536
#define T_COST 3
#define PW "Bench-Login-Pass-9"

static int quick;
static struct tdaemon d;
static char phc[crypto_pwhash_STRBYTES];

static double
span(double full)
{
	return quick ? full / 3 : full;
}

/* --- 1. The limit --------------------------------------------------------- */

struct raw {
	int use_argon2;
	double until;
	long ops;
};

static __thread uint8_t *arena;	/* libargon2's memory, kept per thread */

static int
keep_alloc(uint8_t **memory, size_t bytes)
{
	if (arena == NULL)
		arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*memory = arena;
	return arena == MAP_FAILED ? ARGON2_MEMORY_ALLOCATION_ERROR
				   : ARGON2_OK;
}

static void
keep_free(uint8_t *memory, size_t bytes)
{
	(void)memory;
	(void)bytes;	/* kept for the next hash */
}

static int
argon2_once(void)
{
	uint8_t out[32], salt[16] = "bench-salt-16byt";
	argon2_context c = {
		.out = out, .outlen = sizeof(out),
		.pwd = (uint8_t *)"candidate", .pwdlen = 9,
		.salt = salt, .saltlen = sizeof(salt),
		.t_cost = T_COST, .m_cost = M_KIB, .lanes = 1, .threads = 1,
		.version = ARGON2_VERSION_13,
		.allocate_cbk = keep_alloc, .free_cbk = keep_free,
	};

	return argon2id_ctx(&c);
}

static void *
raw_loop(void *arg)
{
	struct raw *r = arg;

	while (t_now() < r->until) {
		if (r->use_argon2)
			argon2_once();
		else if (crypto_pwhash_str_verify(phc, "candidate", 9) == 0)
			abort();
		r->ops++;
	}
	return NULL;
}

/* Verifications per second on `threads` threads. */
static double
raw_rate(int use_argon2, int threads, double seconds)
{
	struct raw r[64];
	pthread_t tid[64];
	double t0 = t_now();

	for (int i = 0; i < threads; i++) {
		r[i] = (struct raw){ use_argon2, t0 + seconds, 0 };
		pthread_create(&tid[i], NULL, raw_loop, &r[i]);
	}
	long ops = 0;

	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		ops += r[i].ops;
	}
	return (double)ops / (t_now() - t0);
}

/* --- 2, 3, 6. Logins through libpam ------------------------------------ */

/* One login; its duration, and its result in *rv. */
static double
login_once(const char *user, const char *pw, int *rv)
{
	struct conv c = { .answers = { pw } };
	struct pam_conv pc = { conv_fn, &c };
	pam_handle_t *ph = NULL;
	double t0 = t_now();

	*rv = PAM_SYSTEM_ERR;
	if (pam_start("bench", user, &pc, &ph) == PAM_SUCCESS) {
		pam_set_item(ph, PAM_FAIL_DELAY, (const void *)pamlib_no_delay);
		*rv = pam_authenticate(ph, 0);
		pam_end(ph, *rv);
	}
	conv_free(&c);
	return t_now() - t0;
}

struct load {
	const char *user, *pw;
	double until;
	double lat[4096];
	size_t n;
	long ok;
};

static void *
load_loop(void *arg)
{
	struct load *l = arg;
	int rv;

	while (t_now() < l->until) {
		double t = login_once(l->user, l->pw, &rv);

		if (l->n < sizeof(l->lat) / sizeof(l->lat[0]))
			l->lat[l->n++] = t;
		l->ok += rv == PAM_SUCCESS;
	}
	return NULL;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), by_value);
	return n == 0 ? 0 : v[(size_t)(p * (double)(n - 1))];
}

/* Successful logins per second with `clients` at once; the first
 * client's latencies in *first. */
static double
login_rate(int clients, double seconds, struct load **first)
{
	static struct load l[64];
	pthread_t tid[64];
	double t0 = t_now();
	long ok = 0;

	for (int i = 0; i < clients; i++) {
		l[i] = (struct load){ .user = "staff0", .pw = PW,
				      .until = t0 + seconds };
		pthread_create(&tid[i], NULL, load_loop, &l[i]);
	}
	for (int i = 0; i < clients; i++) {
		pthread_join(tid[i], NULL);
		ok += l[i].ok;
	}
	if (first != NULL)
		*first = &l[0];
	return (double)ok / (t_now() - t0);
}

/* Median latency of n logins of user with pw. */
static double
median_of(const char *user, const char *pw, int n)
{
	double v[64];
	int rv;

	for (int i = 0; i < n && i < 64; i++)
		v[i] = login_once(user, pw, &rv);
	return pct(v, (size_t)(n < 64 ? n : 64), 0.5);
}

static int
start_with(const char *extra)
{
	td_write_conf(&d, extra);
	t_sh("sed -i 's/^argon2_memory = .*/argon2_memory = %d/; "
	     "s/^argon2_time = .*/argon2_time = %d/' %s", M_KIB, T_COST,
	     d.conf);
	return td_start(&d);
}

/* --- 6. Scale ------------------------------------------------------------ */

/* Fills the store straight through SQLite: users with one hash (the
 * bench's own password's) and audit rows (not a valid chain: only their
 * number matters here). */
static int
fill_store(long users, long records)
{
	static const uint8_t zero[32];
	sqlite3_stmt *u, *a;
	sqlite3 *db;
	char name[32];
	int rc = 0;

	if (sqlite3_open(d.db, &db) != SQLITE_OK)
		return -1;
	sqlite3_exec(db, "PRAGMA synchronous = OFF; BEGIN", 0, 0, 0);
	sqlite3_prepare_v2(db, "INSERT INTO users (name, password, created,"
			   " pw_changed) VALUES (?1, ?2, 0, 0)", -1, &u, 0);
	sqlite3_prepare_v2(db, "INSERT INTO audit (id, time, event, "
			   "actor_uid, actor, user, host, service, tty, result,"
			   " reason, prev, hash) VALUES (?1, ?1, 'auth', 0, "
			   "'root', ?2, '192.0.2.1', 'sshd', 'ssh', 'ok', "
			   "'password', ?3, ?3)", -1, &a, 0);
	for (long i = 0; i < users && rc == 0; i++) {
		snprintf(name, sizeof(name), "s%07ld", i);
		sqlite3_bind_text(u, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(u, 2, phc, -1, SQLITE_STATIC);
		rc = sqlite3_step(u) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(u);
	}
	for (long i = 0; i < records && rc == 0; i++) {
		snprintf(name, sizeof(name), "s%07ld", i % (users + 1));
		sqlite3_bind_int64(a, 1, 1000000 + i);
		sqlite3_bind_text(a, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(a, 3, zero, 32, SQLITE_STATIC);
		rc = sqlite3_step(a) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(a);
	}
	sqlite3_finalize(u);
	sqlite3_finalize(a);
	sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", 0, 0, 0);
	sqlite3_close(db);
	return rc;
}

/* --- 7. Memory ------------------------------------------------------------ */

static void *
connect_and_auth(void *arg)
{
	(void)arg;
	t_request(d.pam_sock, PROTO_AUTH, "staff0", PW);
	return NULL;
}

static long
peak_rss_kib(pid_t pid)
{
	char val[64];

	return t_proc_status(pid, "VmHWM:", val, sizeof(val)) == 0 ? atol(val)
								    : -1;
}

/* --- The run -------------------------------------------------------------- */

static void
write_services(char **argv)
{
	char dir[PATH_MAX], text[4 * PATH_MAX];

	t_fmt(dir, "%s/pam.d", t_dir());
	t_sh("mkdir -p %s", dir);
	write_service(dir, "other", "auth required pam_deny.so\n");
	t_fmt(text, "auth required %s/pam_policyd.so socket=%s/login/run/"
		    "pam.sock nodelay timeout=60\n", t_build(), t_dir());
	write_service(dir, "bench", text);
	pamlib_exec_wrapped(argv, dir);
}

static void
part_limit(int workers, double *limit, double *one)
{
	double s1 = raw_rate(0, 1, span(3)), sn = raw_rate(0, workers, span(3));
	double a1 = raw_rate(1, 1, span(3)), an = raw_rate(1, workers, span(3));

	*limit = sn > an ? sn : an;
	*one = s1 > a1 ? s1 : a1;
	printf("1. the limit: argon2id verifications/s, m=%d KiB t=%d p=1\n",
	       M_KIB, T_COST);
	printf("   %-40s %8.1f /s\n   %-40s %8.1f /s (%d threads)\n",
	       "libsodium, 1 thread", s1, "libsodium, hash_workers threads",
	       sn, workers);
	printf("   %-40s %8.1f /s\n   %-40s %8.1f /s (%d threads)\n",
	       "libargon2 (memory reused), 1 thread", a1,
	       "libargon2 (memory reused), hash_workers", an, workers);
	printf("   limit: %.1f /s\n", *limit);
}

static void
part_logins(double limit, double one)
{
	static const int clients[] = { 1, 2, 8, 64 };
	struct load *first;
	double r;

	printf("2. a login through libpam -> pam_policyd.so -> policyd\n");
	r = login_rate(1, span(6), &first);
	printf("   1 client: p50 %.1f ms, p99 %.1f ms; one raw verification "
	       "%.1f ms (overhead %+.1f %%)\n",
	       pct(first->lat, first->n, 0.5) * 1e3,
	       pct(first->lat, first->n, 0.99) * 1e3, 1e3 / one,
	       (pct(first->lat, first->n, 0.5) * one - 1) * 100);
	for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		r = login_rate(clients[i], span(4), NULL);
		printf("   %2d clients: %6.1f logins/s = %5.1f %% of the limit\n",
		       clients[i], r, r / limit * 100);
	}
}

/* The three kinds of login interleaved, in one daemon, so that the
 * machine's drift touches all three alike; each known user takes at most
 * 3 wrong passwords, below deny. */
static void
part_oracle(void)
{
	int n = quick ? 9 : 25, rv;
	double known[64], unknown[64], locked[64], k, u, l;
	char name[32];

	td_stop(&d);
	start_with("[daemon]\nmax_connections = 600\n[lockout]\n"
		   "tell_locked = no\ndeny = 5\n");
	td_add_user(&d, "locked0", PW);
	for (int i = 0; i < 5; i++)
		login_once("locked0", "Wrong-Pass-1", &rv);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "staff%d", i % 10);
		known[i] = login_once(name, "Wrong-Pass-1", &rv);
		snprintf(name, sizeof(name), "nosuchuser%d", i);
		unknown[i] = login_once(name, "Wrong-Pass-1", &rv);
		locked[i] = login_once("locked0", PW, &rv);
	}
	k = pct(known, (size_t)n, 0.5);
	u = pct(unknown, (size_t)n, 0.5);
	l = pct(locked, (size_t)n, 0.5);
	printf("3. no oracle (medians of %d interleaved logins): known user, "
	       "wrong password %.1f ms; unknown user %.1f ms (%.3f); locked, "
	       "tell_locked = no %.1f ms (%.3f)\n", n, k * 1000, u * 1000,
	       u / k, l * 1000, l / k);
}

/* Median time of n raw verifications of h (never the password). */
static double
raw_median(const char *h, int n)
{
	double v[64], t0;

	for (int i = 0; i < n && i < 64; i++) {
		t0 = t_now();
		if (crypto_pwhash_str_verify(h, "candidate", 9) == 0)
			abort();
		v[i] = t_now() - t0;
	}
	return pct(v, (size_t)(n < 64 ? n : 64), 0.5);
}

/* One answer of daemon t to a wrong password for user: its duration. */
static double
answer_once(const struct tdaemon *t, const char *user)
{
	double t0 = t_now();

	t_request(t->pam_sock, PROTO_AUTH, user, "Wrong-Pass-1");
	return t_now() - t0;
}

#define LOWERED(t) \
	"argon2_memory = 65536\nargon2_time = " #t "\n[lockout]\n" \
	"deny = 1000000\n"

/* Accounts made at t=3, the daemon restarted at t=1, half of them
 * logged in since (rehashed at t=1); then wrong passwords for a dormant
 * account, a rehashed one and an unknown name, interleaved. */
static void
part_lowered(void)
{
	static struct tdaemon c;
	char dir[PATH_MAX], name[32], cheap[crypto_pwhash_STRBYTES];
	double dormant[64], rehashed[64], unknown[64], o, r, u;
	int n = quick ? 9 : 25;

	snprintf(dir, sizeof(dir), "%s/cost", t_dir());
	td_init(&c, dir, LOWERED(3));
	if (td_start(&c) != 0)
		return;
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "%s%d", i < 5 ? "dormant" : "since",
			 i % 5);
		td_add_user(&c, name, PW);
	}
	td_restart(&c, LOWERED(1));
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "since%d", i);
		t_request(c.pam_sock, PROTO_AUTH, name, PW);	/* rehash */
	}
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "dormant%d", i % 5);
		dormant[i] = answer_once(&c, name);
		snprintf(name, sizeof(name), "since%d", i % 5);
		rehashed[i] = answer_once(&c, name);
		snprintf(name, sizeof(name), "nosuchuser%d", i);
		unknown[i] = answer_once(&c, name);
	}
	td_stop(&c);
	o = pct(dormant, (size_t)n, 0.5);
	r = pct(rehashed, (size_t)n, 0.5);
	u = pct(unknown, (size_t)n, 0.5);
	printf("9. after lowering argon2_time 3 -> 1 (medians of %d "
	       "interleaved answers to a wrong password): dormant account "
	       "(t=3) %.1f ms; rehashed account (t=1) %.1f ms (%.3f); unknown "
	       "name %.1f ms (%.3f)\n", n, o * 1e3, r * 1e3, r / o, u * 1e3,
	       u / o);
	if (crypto_pwhash_str_alg(cheap, PW, strlen(PW), 1,
				  (size_t)M_KIB * 1024,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return;
	r = raw_median(cheap, n);
	o = raw_median(phc, n);
	printf("   unpadded, a raw verification: t=1 %.1f ms, t=3 %.1f ms "
	       "(%.3f)\n", r * 1e3, o * 1e3, r / o);
}

static void
part_scale(void)
{
	long users = quick ? 100000 : 1000000;
	long records = quick ? 1000000 : 10000000;
	int n = quick ? 9 : 21;
	double small = median_of("staff0", PW, n), big, t0;

	td_stop(&d);
	t0 = t_now();
	if (fill_store(users, records) != 0) {
		printf("6. scale: could not fill the store\n");
		return;
	}
	printf("6. scale: %ld users and %ld audit records made in %.0f s\n",
	       users, records, t_now() - t0);
	start_with("[daemon]\nmax_connections = 600\n");
	big = median_of("staff0", PW, n);
	printf("   login p50: %.1f ms with 10 users, %.1f ms at scale "
	       "(ratio %.3f)\n", small * 1e3, big * 1e3, big / small);
}

static void
part_memory(int workers)
{
	static pthread_t tid[500];
	long before = peak_rss_kib(d.pid);

	for (int i = 0; i < 500; i++)
		pthread_create(&tid[i], NULL, connect_and_auth, NULL);
	for (int i = 0; i < 500; i++)
		pthread_join(tid[i], NULL);
	printf("7. peak RSS with 500 clients at once (max_connections = 600): "
	       "%ld KiB; budget hash_workers x argon2_memory + 32 MiB = "
	       "%d KiB\n", peak_rss_kib(d.pid), workers * M_KIB + 32768);
	printf("   peak RSS before the 500 clients: %ld KiB\n", before);
}

int
main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = ncpu > 0 && ncpu < 64 ? (int)ncpu : 1;
	double limit, one;
	char dir[PATH_MAX];

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL)
		write_services(argv);
	quick = getenv("QUICK") != NULL && strcmp(getenv("QUICK"), "1") == 0;
	if (sodium_init() < 0 ||
	    crypto_pwhash_str_alg(phc, PW, strlen(PW), T_COST,
				  (size_t)M_KIB * 1024,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return 1;
	part_limit(workers, &limit, &one);
	snprintf(dir, sizeof(dir), "%s/login", t_dir());
	td_init(&d, dir, NULL);
	if (start_with("[daemon]\nmax_connections = 600\n[lockout]\n"
		       "deny = 1000000\n") != 0)
		return 1;
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "staff%d", i);
		td_add_user(&d, name, PW);
	}
	part_logins(limit, one);
	part_oracle();
	part_lowered();
	part_scale();
	part_memory(workers);	/* last: it leaves a queue behind */
	td_stop(&d);
	return 0;
}
