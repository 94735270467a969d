/*
 * frame.h - length-prefixed frames over a stream socket, with deadlines.
 *
 * Deadlines are absolute CLOCK_MONOTONIC milliseconds (frame_now_ms() +
 * timeout), so one deadline can cover a whole exchange.  The calls never
 * block past it, whether or not the descriptor is non-blocking, and never
 * raise SIGPIPE (the PAM module lives inside sshd).
 */
#ifndef POLICYD_FRAME_H
#define POLICYD_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum frame_rc {
	FRAME_OK = 0,
	FRAME_EOF = -1,		/* peer closed before a new frame began */
	FRAME_TIMEOUT = -2,
	FRAME_TOOBIG = -3,	/* length prefix above the caller's cap */
	FRAME_IO = -4,		/* error, or peer closed inside a frame */
};

int64_t frame_now_ms(void);

/* Reads one frame's payload into buf (cap bytes); *len gets its length,
 * or on failure how many payload bytes arrived (to wipe).  The length is
 * checked against cap before any payload byte is read. */
int frame_read(int fd, uint8_t *buf, size_t cap, size_t *len,
	       int64_t deadline_ms);

/* Writes one frame, the length prefix and the payload in one sendmsg
 * where the socket takes it whole. */
int frame_write(int fd, const uint8_t *p, size_t len, int64_t deadline_ms);

/* Waits until fd is ready for events (POLLIN/POLLOUT); FRAME_OK or
 * FRAME_TIMEOUT/FRAME_IO.  Retries on EINTR. */
int frame_wait(int fd, short events, int64_t deadline_ms);

#endif
