/*
 * frame.c - framed, deadline-bounded socket I/O; see frame.h.
 *
 * Each read and write is tried first with MSG_DONTWAIT and waits in poll()
 * with the time left only when it would block, so a stalled peer costs at
 * most the deadline and a ready one costs no poll.  A frame is written
 * with one sendmsg (prefix and payload together), so the reader wakes
 * once for it rather than once for the prefix and again for the payload.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "frame.h"

int64_t
frame_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
frame_wait(int fd, short events, int64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline_ms - frame_now_ms();
		int rc;

		if (left <= 0)
			return FRAME_TIMEOUT;
		rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return FRAME_OK;
		if (rc < 0 && errno != EINTR)
			return FRAME_IO;
	}
}

/* After a send or recv that moved nothing: FRAME_OK to try again (it was
 * interrupted, or the socket became ready in time), else why not. */
static int
retry(int fd, short events, int64_t deadline_ms)
{
	if (errno == EINTR)
		return FRAME_OK;
	if (errno != EAGAIN)
		return FRAME_IO;
	return frame_wait(fd, events, deadline_ms);
}

/* Reads exactly n bytes; *got counts those that arrived, failure or not.
 * at_start says whether EOF before the first byte is a clean end. */
static int
read_full(int fd, uint8_t *p, size_t n, int at_start, int64_t deadline_ms,
	  size_t *got)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = recv(fd, p + *got, n - *got, MSG_DONTWAIT);
		int rc = FRAME_OK;

		if (r == 0)
			return at_start && *got == 0 ? FRAME_EOF : FRAME_IO;
		if (r < 0)
			rc = retry(fd, POLLIN, deadline_ms);
		else if ((*got += (size_t)r) < n &&
			 frame_now_ms() >= deadline_ms)
			rc = FRAME_TIMEOUT;
		if (rc != FRAME_OK)
			return rc;
	}
	return FRAME_OK;
}

/* Writes the iovecs in full, advancing them past what was sent. */
static int
write_full(int fd, struct iovec *iov, int niov, int64_t deadline_ms)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)niov };

	while (m.msg_iovlen > 0) {
		ssize_t w = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		size_t put = w > 0 ? (size_t)w : 0;
		int rc;

		if (w < 0) {
			rc = retry(fd, POLLOUT, deadline_ms);
			if (rc != FRAME_OK)
				return rc;
			continue;
		}
		while (m.msg_iovlen > 0 && put >= m.msg_iov->iov_len) {
			put -= m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen > 0) {
			m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + put;
			m.msg_iov->iov_len -= put;
			if (frame_now_ms() >= deadline_ms)
				return FRAME_TIMEOUT;
		}
	}
	return FRAME_OK;
}

int
frame_read(int fd, uint8_t *buf, size_t cap, size_t *len, int64_t deadline_ms)
{
	uint8_t hdr[4];
	uint32_t n;
	size_t got;
	int rc;

	*len = 0;
	rc = read_full(fd, hdr, sizeof(hdr), 1, deadline_ms, &got);
	if (rc != FRAME_OK)
		return rc;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > cap)
		return FRAME_TOOBIG;
	/* On failure too, *len tells how much of buf now holds data. */
	rc = read_full(fd, buf, n, 0, deadline_ms, len);
	return rc;
}

int
frame_write(int fd, const uint8_t *p, size_t len, int64_t deadline_ms)
{
	uint8_t hdr[4] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16),
		(uint8_t)(len >> 8), (uint8_t)len,
	};
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)(uintptr_t)p, .iov_len = len },
	};

	if (len > UINT32_MAX)
		return FRAME_TOOBIG;
	return write_full(fd, iov, len > 0 ? 2 : 1, deadline_ms);
}
