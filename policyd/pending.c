/* pending.c - see pending.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "pending.h"
#include "wipe.h"

enum slot_state { SLOT_FREE, SLOT_RESERVED, SLOT_LIVE };

struct slot {
	int state;			/* enum slot_state */
	int64_t since_ms;		/* when reserved: eviction order */
	uint64_t owner_hash;		/* of owner, to count shares fast */
	char owner[PENDING_OWNER_MAX];
	uint8_t token[PENDING_TOKEN_LEN];
	struct pending_login login;
};

static struct {
	pthread_mutex_t lock;
	struct slot slots[PENDING_MAX];
	uint64_t scratch[PENDING_MAX];	/* victim()'s sort, under lock */
} table = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* An IPv6 host counts by its /64, which one subscriber usually holds
 * whole: "n:" and the prefix in hex.  0, or -1 if rhost is not one. */
static int
net_of(const char *rhost, char owner[PENDING_OWNER_MAX])
{
	struct in6_addr a;

	if (strchr(rhost, ':') == NULL || inet_pton(AF_INET6, rhost, &a) != 1)
		return -1;
	snprintf(owner, PENDING_OWNER_MAX,
		 "n:%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", a.s6_addr[0],
		 a.s6_addr[1], a.s6_addr[2], a.s6_addr[3], a.s6_addr[4],
		 a.s6_addr[5], a.s6_addr[6], a.s6_addr[7]);
	return 0;
}

void
pending_owner(uid_t peer_uid, const char *rhost, const char *user,
	      char owner[PENDING_OWNER_MAX])
{
	if (peer_uid != 0)
		snprintf(owner, PENDING_OWNER_MAX, "u:%u", (unsigned)peer_uid);
	else if (rhost[0] != '\0' && net_of(rhost, owner) != 0)
		snprintf(owner, PENDING_OWNER_MAX, "h:%s", rhost);
	else if (rhost[0] == '\0')
		snprintf(owner, PENDING_OWNER_MAX, "l:%s", user);
}

/* FNV-1a: only to group slots by owner; equal hashes are then compared
 * by name, so a collision costs nothing but time. */
static uint64_t
owner_hash(const char *owner)
{
	uint64_t h = 14695981039346656037ull;

	for (; *owner != '\0'; owner++)
		h = (h ^ (uint8_t)*owner) * 1099511628211ull;
	return h;
}

static int
same_owner(const struct slot *s, uint64_t h, const char *owner)
{
	return s->state != SLOT_FREE && s->owner_hash == h &&
	       strcmp(s->owner, owner) == 0;
}

/* Slots held by owner, or by anyone (NULL). */
static unsigned
held_by(const char *owner)
{
	uint64_t h = owner != NULL ? owner_hash(owner) : 0;
	unsigned n = 0;

	for (size_t i = 0; i < PENDING_MAX; i++)
		n += owner != NULL ? same_owner(&table.slots[i], h, owner)
				   : table.slots[i].state != SLOT_FREE;
	return n;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The owner hash that holds the most slots, and how many. */
static uint64_t
largest_owner(unsigned *most)
{
	uint64_t best = 0;
	size_t n = 0, run = 0;

	for (size_t i = 0; i < PENDING_MAX; i++)
		if (table.slots[i].state != SLOT_FREE)
			table.scratch[n++] = table.slots[i].owner_hash;
	qsort(table.scratch, n, sizeof(table.scratch[0]), cmp_u64);
	*most = 0;
	for (size_t i = 0; i < n; i++) {
		run = i > 0 && table.scratch[i] == table.scratch[i - 1]
			      ? run + 1
			      : 1;
		if (run > *most) {
			*most = (unsigned)run;
			best = table.scratch[i];
		}
	}
	return best;
}

/* The oldest live entry of a login that can only fail (a wrong password,
 * an unknown name, a locked account not told): dropping it changes no
 * answer, since its code step is refused either way. */
static struct slot *
oldest_doomed(void)
{
	struct slot *best = NULL;

	for (size_t i = 0; i < PENDING_MAX; i++) {
		struct slot *s = &table.slots[i];

		if (s->state == SLOT_LIVE && !s->login.password_ok &&
		    (best == NULL || s->since_ms < best->since_ms))
			best = s;
	}
	return best;
}

/* With the table full: a login that can only fail, else the oldest live
 * entry of the owner holding the most, if it holds more than `than`;
 * else NULL. */
static struct slot *
victim(unsigned than)
{
	unsigned most;
	uint64_t h;
	struct slot *best = oldest_doomed();

	if (best != NULL)
		return best;
	h = largest_owner(&most);
	if (most <= than)
		return NULL;
	for (size_t i = 0; i < PENDING_MAX; i++) {
		struct slot *s = &table.slots[i];

		if (s->state == SLOT_LIVE && s->owner_hash == h &&
		    (best == NULL || s->since_ms < best->since_ms))
			best = s;
	}
	return best;
}

static struct slot *
free_slot(void)
{
	for (size_t i = 0; i < PENDING_MAX; i++)
		if (table.slots[i].state == SLOT_FREE)
			return &table.slots[i];
	return NULL;
}

int
pending_reserve(const char *owner, struct pending_login *evicted,
		int *was_evicted)
{
	struct slot *s = NULL;
	unsigned mine;

	*was_evicted = 0;
	pthread_mutex_lock(&table.lock);
	mine = held_by(owner);
	if (mine < PENDING_SHARE) {
		s = free_slot();
		if (s == NULL && (s = victim(mine + 1)) != NULL) {
			*evicted = s->login;
			*was_evicted = 1;
		}
	}
	if (s != NULL) {
		WIPE_OBJ(*s);
		s->state = SLOT_RESERVED;
		s->since_ms = frame_now_ms();
		s->owner_hash = owner_hash(owner);
		snprintf(s->owner, sizeof(s->owner), "%s", owner);
	}
	pthread_mutex_unlock(&table.lock);
	return s != NULL ? (int)(s - table.slots) : -1;
}

void
pending_fill(int slot, struct pending_login *p,
	     uint8_t token[PENDING_TOKEN_LEN], int64_t ttl_ms)
{
	struct slot *s = &table.slots[slot];

	randombytes_buf(token, PENDING_TOKEN_LEN);
	p->expires_ms = frame_now_ms() + ttl_ms;
	pthread_mutex_lock(&table.lock);
	memcpy(s->token, token, PENDING_TOKEN_LEN);
	s->login = *p;
	s->state = SLOT_LIVE;
	pthread_mutex_unlock(&table.lock);
}

void
pending_release(int slot)
{
	pthread_mutex_lock(&table.lock);
	WIPE_OBJ(table.slots[slot]);
	pthread_mutex_unlock(&table.lock);
}

int
pending_take(const uint8_t token[PENDING_TOKEN_LEN], const char *user,
	     uid_t peer_uid, struct pending_login *out)
{
	int64_t now = frame_now_ms();
	int rc = -1;

	pthread_mutex_lock(&table.lock);
	for (size_t i = 0; i < PENDING_MAX && rc != 0; i++) {
		struct slot *s = &table.slots[i];

		if (s->state != SLOT_LIVE ||
		    sodium_memcmp(s->token, token, PENDING_TOKEN_LEN) != 0)
			continue;
		if (s->login.expires_ms <= now ||
		    strcmp(s->login.user, user) != 0 ||
		    s->login.peer_uid != peer_uid)
			break;
		*out = s->login;
		rc = 0;
		WIPE_OBJ(*s);
	}
	pthread_mutex_unlock(&table.lock);
	return rc;
}

unsigned
pending_expire(pending_expired_cb cb, void *arg)
{
	int64_t now = frame_now_ms();
	struct pending_login p;
	unsigned n = 0;

	for (size_t i = 0; i < PENDING_MAX; i++) {
		struct slot *s = &table.slots[i];
		int gone = 0;

		pthread_mutex_lock(&table.lock);
		if (s->state == SLOT_LIVE && s->login.expires_ms <= now) {
			p = s->login;
			WIPE_OBJ(*s);
			gone = 1;
		}
		pthread_mutex_unlock(&table.lock);
		if (gone) {
			n++;
			if (cb != NULL)
				cb(&p, arg);
			WIPE_OBJ(p);
		}
	}
	return n;
}

unsigned
pending_count(const char *owner)
{
	unsigned n;

	pthread_mutex_lock(&table.lock);
	n = held_by(owner);
	pthread_mutex_unlock(&table.lock);
	return n;
}
