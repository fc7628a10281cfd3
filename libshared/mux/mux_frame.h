/* SPDX-License-Identifier: MIT */
/*
 * mux_frame.h: Mux.Cool frame codec and constants, as V2Ray 4.34 speaks it
 * (docs: mux-reverse-socks-routing-config.md §1.2, §1.3, §8.1, §9).
 * Pure functions over byte spans; no I/O, no logging.
 */
#ifndef LIBSHARED_MUX_FRAME_H
#define LIBSHARED_MUX_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Magic destination a mux client dials (server side: any port, §1.1). */
#define MUX_MAGIC_DOMAIN	"v1.mux.cool"
#define MUX_MAGIC_PORT		9527
#define MUX_PROXY_CMD		3	/* VMess/VLESS command for mux */

#define MUX_STATUS_NEW		0x01
#define MUX_STATUS_KEEP		0x02
#define MUX_STATUS_END		0x03
#define MUX_STATUS_KEEPALIVE	0x04

#define MUX_OPT_DATA		0x01	/* D: BE16 N + data follow */
#define MUX_OPT_ERROR		0x02	/* E: only meaningful on End */

#define MUX_NET_TCP		0x01
#define MUX_NET_UDP		0x02

/* Not the SOCKS codes. */
#define MUX_ADDR_IPV4		0x01
#define MUX_ADDR_DOMAIN		0x02
#define MUX_ADDR_IPV6		0x03

#define MUX_MAX_META		512	/* L above this is fatal */
#define MUX_MIN_META		4	/* id + status + option */
#define MUX_MIN_META_NEW	8	/* 4.34's own check; see decoder */
/*
 * A Keep frame of ours carries up to this much (4.34 writes 8 KiB), so a
 * 64 KiB read block moves into the link as one frame without a copy. 4.34
 * readers take any N up to 65535 on a stream session (§1.3); UDP keeps
 * MUX_UDP_MAX.
 */
#define MUX_FRAME_DATA_MAX	65535
#define MUX_UDP_MAX		2048	/* more aborts the session */
#define MUX_DOMAIN_MAX		255	/* one length byte */
/* 2 + L for the largest New (255-byte domain) + 2 for N. */
#define MUX_FRAME_HDR_MAX	(2 + 4 + 1 + 2 + 1 + 1 + MUX_DOMAIN_MAX + 2)
#define MUX_FRAME_KEEP_HDR_LEN	8	/* 0004 id 02 01 N */
#define MUX_FRAME_END_LEN	6

/* Client side limits and timers (§1.4, §1.7). */
#define MUX_FIRST_PAYLOAD_MS	100
#define MUX_CONCURRENCY_DEFAULT	8
#define MUX_CONCURRENCY_MIN	1
#define MUX_CONCURRENCY_MAX	1024
#define MUX_MAX_CONNECTION	128	/* sessions ever, per connection */
#define MUX_IDLE_CHECK_MS	16000
#define MUX_PICKER_CLEANUP_MS	30000
#define MUX_DISPATCH_ATTEMPTS	16
#define MUX_PIPE_SIZE		65536

/* A New frame's target address (port is kept in struct mux_frame). */
struct mux_addr {
	uint8_t		type;		/* MUX_ADDR_* */
	uint8_t		ip[16];		/* 4 or 16 bytes used */
	char		domain[MUX_DOMAIN_MAX + 1]; /* NUL-terminated */
};

/*
 * One decoded frame. data and extra point into the decoder's input and are
 * valid only as long as it is.
 */
struct mux_frame {
	uint16_t	 id;
	uint8_t		 status;	/* MUX_STATUS_* */
	uint8_t		 option;	/* unknown bits kept, as 4.34 */
	/* New only; network is 0 for other statuses. */
	uint8_t		 network;	/* MUX_NET_* */
	uint16_t	 port;		/* host order */
	struct mux_addr	 addr;
	/*
	 * Metadata bytes after what 4.34 parses (e.g. an XUDP-style address
	 * on a UDP Keep). 4.34 ignores them and so must the caller.
	 */
	const uint8_t	*extra;
	size_t		 extra_len;
	/* Set when option has D; data_len may be 0 (tolerated by 4.34). */
	const uint8_t	*data;
	size_t		 data_len;
};

/*
 * Decodes one whole frame: BE16 L, L bytes of metadata, then BE16 N and N
 * bytes of data if D is set. Returns the bytes consumed (> 0), 0 when more
 * input is needed, or -1 with *errstr set when the frame is malformed; -1
 * is fatal for the whole mux connection (§9). L > 512 and L < 4 are
 * reported as soon as the two length bytes are in; everything else once
 * the full metadata is. The UDP 2048-byte limit is the session's business
 * (it is per session, §1.3) and is not checked here.
 *
 * A New domain that parses as an IP (first char '[' or a digit) comes out
 * as MUX_ADDR_IPV4/IPV6, and an IPv4-mapped IPv6 as MUX_ADDR_IPV4, as 4.34.
 */
ssize_t	mux_frame_decode(const uint8_t *p, size_t len,
	    struct mux_frame *out, const char **errstr);

/*
 * Encoders write into out (capacity cap) and return the length written, or
 * -1 when cap is too small or an argument cannot be encoded (data over
 * 65535 bytes, empty or over-long domain, unknown network or address type).
 * A NULL data means "no D"; non-NULL data with len 0 writes D with N = 0.
 */
ssize_t	mux_frame_encode_new(uint16_t id, uint8_t network, uint16_t port,
	    const struct mux_addr *addr, const uint8_t *data, size_t len,
	    uint8_t *out, size_t cap);
ssize_t	mux_frame_encode_keep(uint16_t id, const uint8_t *data,
	    size_t len, uint8_t *out, size_t cap);
/*
 * Keep header with D and N = len (8 bytes) for callers that append the data
 * themselves (e.g. straight from an evbuffer).
 */
ssize_t	mux_frame_encode_keep_hdr(uint16_t id, size_t len, uint8_t *out,
	    size_t cap);
/*
 * The reverse for the hot path: true when the 8 bytes are exactly such a
 * header (0004 id 02 01 N), with its id and N; anything else (other
 * status, options, metadata) is for mux_frame_decode.
 */
bool	mux_frame_decode_keep_hdr(const uint8_t h[MUX_FRAME_KEEP_HDR_LEN],
	    uint16_t *id, size_t *len);
/* 0004 id 03 00, or 03 02 when error is non-zero (abort, not EOF). */
ssize_t	mux_frame_encode_end(uint16_t id, int error, uint8_t *out,
	    size_t cap);
/* 0004 0000 04 00. 4.34 never sends one but accepts it. */
ssize_t	mux_frame_encode_keepalive(uint8_t *out, size_t cap);

#endif
