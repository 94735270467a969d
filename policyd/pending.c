/* pending.c - see pending.h. */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "pending.h"
#include "wipe.h"

static struct {
	pthread_mutex_t lock;
	struct slot {
		int used;
		uint8_t token[PENDING_TOKEN_LEN];
		struct pending_login login;
	} slots[PENDING_MAX];
} table = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A free slot, or one whose entry expired; NULL if all are live. */
static struct slot *
free_slot(int64_t now)
{
	for (size_t i = 0; i < PENDING_MAX; i++) {
		struct slot *s = &table.slots[i];

		if (!s->used || s->login.expires_ms <= now)
			return s;
	}
	return NULL;
}

int
pending_put(struct pending_login *p, uint8_t token[PENDING_TOKEN_LEN])
{
	int64_t now = frame_now_ms();
	struct slot *s;

	randombytes_buf(token, PENDING_TOKEN_LEN);
	p->expires_ms = now + PENDING_TTL_MS;
	pthread_mutex_lock(&table.lock);
	s = free_slot(now);
	if (s != NULL) {
		s->used = 1;
		memcpy(s->token, token, PENDING_TOKEN_LEN);
		s->login = *p;
	}
	pthread_mutex_unlock(&table.lock);
	return s != NULL ? 0 : -1;
}

int
pending_take(const uint8_t token[PENDING_TOKEN_LEN], struct pending_login *out)
{
	int64_t now = frame_now_ms();
	int rc = -1;

	pthread_mutex_lock(&table.lock);
	for (size_t i = 0; i < PENDING_MAX && rc != 0; i++) {
		struct slot *s = &table.slots[i];

		if (!s->used || sodium_memcmp(s->token, token,
					      PENDING_TOKEN_LEN) != 0)
			continue;
		if (s->login.expires_ms > now) {
			*out = s->login;
			rc = 0;
		}
		WIPE_OBJ(*s);
	}
	pthread_mutex_unlock(&table.lock);
	return rc;
}
