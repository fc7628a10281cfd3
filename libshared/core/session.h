/* SPDX-License-Identifier: MIT */
/*
 * session.h: what one proxied connection knows, and its one lifecycle:
 * accept → inbound handshake → dispatch (sniff, route) → outbound open →
 * relay with backpressure, half-close and V2Ray's policy timeouts → close.
 * session_close() is the only way a session ends; it logs once.
 */
#ifndef LIBSHARED_SESSION_H
#define LIBSHARED_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conf/conf.h"
#include "net/addr.h"
#include "net/srccap.h"
#include "route/route.h"
#include "stats/stats.h"
#include "transport/transport.h"

struct bufferevent;
struct event;
struct event_base;
struct evdns_base;
struct engine;
struct inbound_rt;
struct outbound_rt;
struct session;
struct udp_flow;

/*
 * Reading from one side stops when the other side holds this much: the
 * policy's bufferSize for sessions (V2Ray's default on x86-64, 512 KiB,
 * is also what internal links use), kept within [PIPE_HIWAT_MIN,
 * PIPE_HIWAT_MAX]: 0 ("no buffer") still needs room for one read, and
 * "unlimited" (< 0) is capped, since a buffer is never unbounded here.
 */
#define PIPE_HIWAT	(512 * 1024)
#define PIPE_HIWAT_MIN	(16 * 1024)
#define PIPE_HIWAT_MAX	(8 * 1024 * 1024)

enum session_state {
	SESSION_HANDSHAKE = 0,	/* inbound reading its header */
	SESSION_DISPATCH,	/* sniffing, routing, dialing */
	SESSION_RELAY,
	SESSION_DEAD
};

/*
 * A wire codec on one side of the relay (VMess body, …): the relay keeps
 * plaintext in the middle. decode moves what it can from src (wire) to dst
 * (plain) and returns 0, 1 when the peer's end-of-stream marker was seen,
 * or -1 with *errstr. encode moves plain src to wire dst (0 or -1). finish
 * appends the end-of-stream marker. ctx is owned by the handler that set it.
 */
struct evbuffer;
struct stream_codec {
	int	(*decode)(void *ctx, struct evbuffer *src, struct evbuffer *dst,
		    const char **errstr);
	int	(*encode)(void *ctx, struct evbuffer *src, struct evbuffer *dst,
		    const char **errstr);
	void	(*finish)(void *ctx, struct evbuffer *dst);
};


struct session {
	uint64_t		 id;
	struct engine		*eng;
	struct inbound_rt	*in;		/* NULL for internal sessions */
	const char		*in_tag;	/* overrides in's tag (bridge) */
	struct outbound_rt	*out;
	enum session_state	 state;

	struct net_addr		 src;		/* client address */
	struct net_addr		 dst;		/* requested destination */
	unsigned		 network;	/* CONF_NETBIT_TCP / _UDP */
	char			*user;		/* email / SOCKS user, or NULL */
	uint32_t		 level;
	char			 proto[16];	/* sniffed protocol or "" */
	char			 sniffed[256];	/* sniffed domain or "" */
	/*
	 * When the router resolved dst's name: the addresses it checked
	 * (possibly none). A direct dial uses exactly these.
	 */
	bool			 dst_resolved;
	struct route_ip		*dst_ips;
	size_t			 ndst_ips;
	struct conf_level	 policy;

	struct bufferevent	*cbev;		/* client side stream */
	struct transport_accept	*tacc;		/* its layers' handshakes
						   (owns cbev until done) */
	struct bufferevent	*rbev;		/* remote side stream */
	stream_shutdown_fn	*c_shutdown;
	stream_shutdown_fn	*r_shutdown;
	const struct stream_codec *c_codec;	/* client side wire format */
	void			*c_codec_ctx;
	const struct stream_codec *r_codec;	/* remote side wire format */
	void			*r_codec_ctx;
	struct evbuffer		*scratch;	/* when both sides have one */
	struct evbuffer		*cplain;	/* client bytes decoded early
						   (sniffing under a codec) */
	unsigned		 flags;
#define SESSION_C_EOF		0x01	/* client finished sending */
#define SESSION_R_EOF		0x02	/* remote finished sending */
#define SESSION_C_SHUT		0x04	/* we finished writing to client */
#define SESSION_R_SHUT		0x08	/* we finished writing to remote */
#define SESSION_LOGGED		0x10	/* access line written */
#define SESSION_C_FIN		0x20	/* end marker queued to client */
#define SESSION_R_FIN		0x40	/* end marker queued to remote */

	struct event		*timer;
	uint64_t		 last_ms;	/* last activity */
	uint64_t		 up_bytes, down_bytes;
	struct stats_taps	 st;		/* its traffic counters */
	/* Optional: told when the session ends (internal sessions). */
	void			(*on_close)(void *);
	void			*on_close_arg;

	/* Per-handler state, owned by the handler (freed via ops). */
	void			*in_state;
	void			*out_state;
	void			(*in_free)(struct session *);
	void			(*out_free)(struct session *);

	TAILQ_ENTRY(session)	 entry;		/* engine's list */
	TAILQ_ENTRY(session)	 hs_entry;	/* handshake list */
	struct srccap_link	 hs_src;	/* handshakes of its source */
};

/*
 * Create a session for a freshly accepted stream. Takes ownership of cbev.
 * The session starts in SESSION_HANDSHAKE with the handshake timeout armed.
 * With a source (from), it counts against policy.system.handshakePerSource:
 * past the cap, that source's oldest handshake is closed (never this one).
 */
struct session *session_new(struct engine *eng, struct inbound_rt *in,
	    struct bufferevent *cbev, const struct sockaddr *from);

/*
 * An internal session (reverse links, mux connections): its client side is
 * one end of a new bufferevent pair; the other end is returned in *peer for
 * the caller to speak plaintext on. Nothing is logged for it.
 */
struct session *session_new_internal(struct engine *eng,
	    const struct net_addr *dst, struct bufferevent **peer);

/* Ends the session, frees everything, logs why (NULL = normal end). */
void	session_close(struct session *s, const char *why);

/*
 * The outbound has a remote stream in s->rbev that is ready for payload
 * (possibly not yet connected: writes are buffered). Starts the relay.
 */
void	session_relay(struct session *s);

/* The inbound has its header: leave the handshake list (no shedding). */
void	session_handshake_done(struct session *s);
/*
 * The PROXY protocol named the real client: routing, the access log and
 * the per-source handshake cap see it instead of the balancer.
 */
void	session_set_source(struct session *s, const struct sockaddr *sa);

/* Record an access line now ("accepted"), once. */
void	session_log_accept(struct session *s);
/* "rejected" line for an inbound handshake failure, then close. */
void	session_reject(struct session *s, const char *why);

/* Arm the activity timer with a timeout in seconds (0 = fire now). */
void	session_set_timeout(struct session *s, int seconds);

/* The session's watermark: its policy bufferSize, clamped (PIPE_HIWAT). */
size_t	session_hiwat(const struct session *s);

/* Oldest session still in handshake, for shedding under fd pressure. */
struct session *session_oldest_handshake(struct engine *eng);

#endif
