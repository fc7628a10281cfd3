/* SPDX-License-Identifier: MIT */
/*
 * ws_codec.h: RFC 6455 WebSocket framing and the HTTP/1.1 upgrade, as
 * V2Ray 4.34's websocket transport (gorilla/websocket 1.4) speaks them.
 * Pure: byte spans in, results out; transport/ws.c moves the bytes.
 */
#ifndef LIBSHARED_WS_CODEC_H
#define LIBSHARED_WS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WS_OP_CONT	0x0
#define WS_OP_TEXT	0x1
#define WS_OP_BINARY	0x2
#define WS_OP_CLOSE	0x8
#define WS_OP_PING	0x9
#define WS_OP_PONG	0xa

#define WS_HDR_MAX	14	/* 2 + 8 (length) + 4 (mask key) */
#define WS_CTL_MAX	125	/* a control frame's payload */

/* Close codes we send. */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_PROTOCOL	1002

struct ws_hdr {
	bool		 fin;
	uint8_t		 op;
	bool		 masked;
	uint8_t		 key[4];
	uint64_t	 len;
};

/*
 * Frame after frame of one direction. server: the frames come from a
 * client and must be masked (a server's must not be).
 */
struct ws_rd {
	bool		 server;
	bool		 in_frame;	/* header taken, payload to come */
	bool		 in_msg;	/* a fragmented data message is open */
	struct ws_hdr	 h;
	uint64_t	 left;		/* payload bytes still to come */
	uint64_t	 off;		/* payload bytes taken (mask phase) */
	uint8_t		 ctl[WS_CTL_MAX];
	size_t		 nctl;
};

void	ws_rd_init(struct ws_rd *r, bool server);

/*
 * The next frame's header from p[0..n) (r not in a frame). Returns its
 * length, 0 when more bytes are needed, or -1 with *why for a frame the
 * peer must not send (then close with WS_CLOSE_PROTOCOL).
 */
int	ws_rd_header(struct ws_rd *r, const uint8_t *p, size_t n,
	    const char **why);

/* Is the current frame a control frame (its payload goes to r->ctl)? */
bool	ws_rd_is_control(const struct ws_rd *r);

/*
 * Take up to n payload bytes of the current frame: a data frame's are
 * unmasked in place in p, a control frame's copied (unmasked) to r->ctl.
 * Returns how many were taken; the frame is over when r->in_frame is
 * false again.
 */
size_t	ws_rd_take(struct ws_rd *r, uint8_t *p, size_t n);

/* A close frame's code (1005 when it carries none). */
uint16_t ws_close_code(const struct ws_rd *r);

/*
 * A frame header into out (WS_HDR_MAX bytes); key NULL for an unmasked
 * (server) frame. Returns its length.
 */
size_t	ws_hdr_build(uint8_t *out, uint8_t op, bool fin, uint64_t len,
	    const uint8_t *key);

/* XOR p[0..n) with key, starting off bytes into the payload. */
void	ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t off);
/* The same from src into dst (may not overlap). */
void	ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t n,
	    const uint8_t key[4], uint64_t off);

/* ---- The HTTP/1.1 upgrade ---- */

/* Sec-WebSocket-Accept for a client's key: base64(SHA-1(key + GUID)). */
void	ws_accept_for(const char *key, size_t keylen, char out[29]);

/* Does a comma-separated field value hold token (case-insensitive)? */
bool	ws_token_in(const char *v, size_t vlen, const char *token);

/*
 * A server's answer to the upgrade, head only: 101, its Upgrade and
 * Connection tokens and an Accept matching accept. Returns the head's
 * length, 0 when more is needed (less than max bytes seen), or -1 with a
 * reason in why (the status line when it is not 101).
 */
ssize_t	ws_response_check(const uint8_t *p, size_t n, size_t max,
	    const char *accept, char *why, size_t whylen);

/*
 * The path of a request target, as Go's URL.Path: the query dropped,
 * %XX decoded, an absolute http(s) URI reduced to its path. 0, or -1 when
 * it is malformed. out gets at most cap - 1 bytes and a NUL.
 */
int	ws_target_path(const char *t, size_t tlen, char *out, size_t cap);

#endif
