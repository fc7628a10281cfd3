/* SPDX-License-Identifier: MIT */
/*
 * mux_control.h: the reverse-proxy control message the portal sends on mux
 * session #1 (protobuf v2ray.core.app.reverse.Control) and the reverse
 * constants (docs: mux-reverse-socks-routing-config.md §2.4, §2.5, §8.2).
 */
#ifndef LIBSHARED_MUX_CONTROL_H
#define LIBSHARED_MUX_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Control session: UDP reverse.internal.v2ray.com:0, always sid 1. */
#define MUX_REVERSE_DOMAIN	"reverse.internal.v2ray.com"
#define MUX_REVERSE_PORT	0
#define MUX_REVERSE_CONTROL_ID	1

/* ACTIVE is the proto3 default, so it is never on the wire. */
#define MUX_CONTROL_ACTIVE	0
#define MUX_CONTROL_DRAIN	1
#define MUX_CONTROL_RANDOM_MAX	63	/* rand.Intn(64) bytes */
/* 08 + 10-byte varint + 9A 06 + length + padding; fits any state. */
#define MUX_CONTROL_MAX_LEN	(1 + 10 + 2 + 1 + MUX_CONTROL_RANDOM_MAX)

/*
 * Portal: heartbeat period; DRAIN once a connection's total sessions ever
 * exceed DRAIN_SESSIONS; picker cleanup. Bridge: monitor tick; a new
 * connection when active sessions / connections > SCALE_SESSIONS.
 */
#define MUX_REVERSE_HEARTBEAT_MS	2000
#define MUX_REVERSE_DRAIN_SESSIONS	256
#define MUX_REVERSE_CLEANUP_MS		30000
#define MUX_REVERSE_MONITOR_MS		2000
#define MUX_REVERSE_SCALE_SESSIONS	16
#define MUX_REVERSE_PIPE_SIZE		16384

/*
 * A decoded Control. random points into the decoder's input. state is the
 * raw proto3 enum (int32): values other than ACTIVE/DRAIN are kept, and a
 * bridge treats anything but ACTIVE as not active, as 4.34 does.
 */
struct mux_control {
	int32_t		 state;		/* MUX_CONTROL_* */
	const uint8_t	*random;
	size_t		 random_len;
};

/*
 * Decodes one whole control datagram (the data of one frame on session
 * #1), the way protobuf-go does: the last occurrence of a field wins,
 * unknown fields (including groups, and known numbers with another wire
 * type) are skipped, and a bad varint, tag, wire type or length is
 * malformed. A message is never split, so there is no "need more": it
 * returns len (0 for the empty message, i.e. ACTIVE without padding) or
 * -1 with *errstr set.
 */
ssize_t	mux_control_decode(const uint8_t *p, size_t len,
	    struct mux_control *out, const char **errstr);

/*
 * Encodes as proto.Marshal does: field 1 (omitted when ACTIVE), then field
 * 99 (omitted when random_len is 0). Returns the length written or -1 when
 * cap is too small. random_len is not limited to 63 here; callers pick
 * 0..MUX_CONTROL_RANDOM_MAX to look like 4.34.
 */
ssize_t	mux_control_encode(int32_t state, const uint8_t *random,
	    size_t random_len, uint8_t *out, size_t cap);

#endif
