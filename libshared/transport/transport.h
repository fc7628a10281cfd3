/* SPDX-License-Identifier: MIT */
/*
 * transport.h: how a stream's bytes travel (V2Ray's streamSettings), one
 * table of operations per layer, stacked as V2Ray stacks them:
 *
 *   server: tcp | mkcp accept → [PROXY protocol] → [tls] → [ws | http/2 |
 *           tcp http header] → the inbound proxy
 *   client: tcp | mkcp connect → [tls] → [ws | http/2 | tcp http header]
 *           → the outbound proxy
 *
 * A layer takes a bufferevent and gives one back (a filter or a pair that
 * owns the one below), so proxies never know which transport carries
 * them. The layer knows nothing of sessions or the engine: the caller
 * passes hooks. A struct transport is built once per inbound or outbound
 * when the engine starts (certificates read, SSL_CTX made), never per
 * connection.
 */
#ifndef LIBSHARED_TRANSPORT_H
#define LIBSHARED_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "net/addr.h"

struct bufferevent;
struct conf_stream;
struct event_base;
struct evdns_base;
struct transport;
struct transport_accept;
struct transport_connect;

/*
 * Half-close of a stream a transport gave: finish its write side the way
 * the transport can (a socket: SHUT_WR; a pair: flush BEV_FINISHED; TLS
 * and WebSocket as V2Ray 4.34: nothing, the VMess end marker ends each
 * direction).
 */
typedef void stream_shutdown_fn(struct bufferevent *bev);
void	stream_shutdown_socket(struct bufferevent *bev);
void	stream_shutdown_pair(struct bufferevent *bev);
void	stream_shutdown_none(struct bufferevent *bev);

/* One layer (tls.c, ws.c, h2.c, ...); transport.c keeps the table. */
struct transport_layer {
	const char	*name;
	/* Does st use this layer on this side? */
	bool		(*applies)(const struct conf_stream *st, bool server);
	/* -test: what new would refuse, naming the file or value. */
	int		(*check)(const struct conf_stream *st, bool server,
			    char *err, size_t errlen);
	/* The layer's context for st (NULL with err). */
	void		*(*new)(const struct conf_stream *st, bool server,
			    char *err, size_t errlen);
	void		(*free)(void *ctx);
	/*
	 * Server: run this layer's handshake on transport_accept_top(a).
	 * Then exactly one of: transport_accept_done(a, top) (top the new
	 * stream, owning the old one, or the old one itself), or
	 * transport_accept_fail(a, why), as the last thing the layer does
	 * (both free the state set with transport_accept_set_state, which
	 * an abort frees too). A layer that wraps the stream says so at
	 * once with transport_accept_stacked, so an abort frees the wrap.
	 */
	void		(*accept)(struct transport_accept *a, void *ctx);
	/* Client: the same with transport_connect_done/_fail/_set_state. */
	void		(*connect)(struct transport_connect *c, void *ctx);
	/*
	 * Optional (HTTP/2: streams share one connection): take over the
	 * whole dial, below layers included; called instead of the TCP
	 * connect and every layer's connect.
	 */
	void		(*dial)(struct transport_connect *c, void *ctx);
	/* Half-close of the streams it gives; NULL: the one below's. */
	stream_shutdown_fn *shutdown;
	/*
	 * Optional (HTTP/2): owner stops listening (reload, stop, a retired
	 * dynamic port); connections adopted for it take no new stream.
	 */
	void		(*quiesce)(void *ctx, void *owner);
};

/* -test: each layer's check. */
int	transport_check(const struct conf_stream *st, bool server, char *err,
	    size_t errlen);
/* st may be NULL (plain TCP). NULL with err. */
struct transport *transport_new(const struct conf_stream *st, bool server,
	    char *err, size_t errlen);
void	transport_free(struct transport *t);
/* The settings t was built from (NULL: plain TCP). */
const struct conf_stream *transport_stream(const struct transport *t);
/* "tcp", "tls", "ws+tls", ...: for logs. */
const char *transport_name(const struct transport *t);
/* The half-close of streams t gives. */
stream_shutdown_fn *transport_shutdown(const struct transport *t);
/* The inbound owner stops listening: see transport_layer.quiesce. */
void	transport_quiesce(struct transport *t, void *owner);

/* ---- Server side ---- */

/*
 * The bottom of a server's stack: a TCP listener (evconnlistener) or an
 * mKCP one (a UDP socket whose sessions are bufferevent pairs). cb gets
 * every new stream (the callee's) and its source. Under descriptor
 * pressure (EMFILE and the like) shed is asked to free one (the oldest
 * handshake); if it cannot, the TCP listener pauses 100 ms.
 */
struct transport_listener;
typedef void transport_conn_cb(struct bufferevent *bev,
	    const struct sockaddr *from, void *arg);
struct transport_listener *transport_listen(const struct transport *t,
	    struct event_base *base, const struct sockaddr *sa, socklen_t len,
	    transport_conn_cb *cb, bool (*shed)(void *arg), void *arg,
	    char *err, size_t errlen);
/*
 * mKCP sessions share their listener's socket: such a listener must
 * outlive its sessions (a retiring dynamic-port worker keeps it).
 */
bool	transport_listener_shared(const struct transport_listener *l);
void	transport_listener_free(struct transport_listener *l);

struct transport_accept_hooks {
	/* A layer stacked: top owns the previous stream (still handshaking). */
	void	(*stacked)(void *arg, struct bufferevent *top);
	/* The PROXY protocol told the real client address. */
	void	(*source)(void *arg, const struct sockaddr *sa, socklen_t len);
	/* Ready for the proxy: the caller owns top now, a is freed. */
	void	(*ready)(void *arg, struct bufferevent *top);
	/*
	 * A handshake failed (logged by the caller): the caller ends the
	 * connection with transport_accept_abort(a) (now or later).
	 */
	void	(*failed)(void *arg, const char *why);
	/*
	 * Optional (HTTP/2): the transport keeps the connection (a is
	 * freed, the caller forgets top and ends its own state quietly);
	 * every stream on it arrives through stream(owner, ...).
	 */
	void	(*adopted)(void *arg);
	void	(*stream)(void *owner, struct bufferevent *bev,
		    const struct sockaddr *src, socklen_t srclen);
	/*
	 * Optional: on while an adopted connection may still call stream()
	 * (a dynamic-port worker must outlive it; off frees it if retired).
	 */
	void	(*hold)(void *owner, bool on);
};

/*
 * Start the layers on an accepted stream bev (owned by a until ready).
 * arg goes to the per-connection hooks, owner to stream(). No hook runs
 * before this returns. With no layer to run, NULL: the caller goes on
 * with bev as it is.
 */
struct transport_accept *transport_accept(struct transport *t,
	    struct bufferevent *bev, const struct sockaddr *src,
	    socklen_t srclen, const struct transport_accept_hooks *h,
	    void *arg, void *owner);
/* Stop: the running layer's state and the stream are freed. */
void	transport_accept_abort(struct transport_accept *a);

/* For layers. */
struct bufferevent *transport_accept_top(struct transport_accept *a);
struct event_base *transport_accept_base(struct transport_accept *a);
void	transport_accept_set_state(struct transport_accept *a, void *state,
	    void (*free_state)(void *));
void	transport_accept_stacked(struct transport_accept *a,
	    struct bufferevent *top);
void	transport_accept_source(struct transport_accept *a,
	    const struct sockaddr *sa, socklen_t len);
void	transport_accept_done(struct transport_accept *a,
	    struct bufferevent *top);
void	transport_accept_fail(struct transport_accept *a, const char *why);
/* HTTP/2: the layer keeps the connection; streams via the owner. */
void	transport_accept_adopt(struct transport_accept *a);
void	transport_accept_stream(struct transport_accept *a,
	    struct bufferevent *bev);
/* What adopt must keep to call transport_stream later. */
const struct transport_accept_hooks *transport_accept_hooks(
	    struct transport_accept *a);
void	*transport_accept_owner(struct transport_accept *a);
/* The client's address (as the PROXY protocol told it), NULL if none. */
const struct sockaddr *transport_accept_src(struct transport_accept *a,
	    socklen_t *len);

/* ---- Client side ---- */

/*
 * Called once: bev is the ready top stream (the callee's), or NULL with a
 * reason (already logged at debug level by the layer that failed).
 */
typedef void transport_connect_cb(struct bufferevent *bev, const char *err,
	    void *arg);

/*
 * Connect to `to` over t (NULL: plain TCP): TCP or mKCP with `tries`
 * attempts (names through dns, family AF_UNSPEC/AF_INET/AF_INET6), then
 * every layer. Never calls back before returning.
 */
struct transport_connect *transport_dial(struct transport *t,
	    struct event_base *base, struct evdns_base *dns,
	    const struct net_addr *to, int family, int tries,
	    transport_connect_cb *cb, void *arg);
/* Abandon; cb is not called. */
void	transport_dial_cancel(struct transport_connect *c);

/*
 * t's layers over bev, a stream already open to `to` that something else
 * gave (an outbound's proxySettings chain), instead of a TCP/mKCP dial:
 * cb as transport_dial's, never before this returns. Takes bev. NULL (bev
 * freed) when a layer must make its own connection (HTTP/2).
 */
struct transport_connect *transport_dial_over(struct transport *t,
	    struct event_base *base, struct evdns_base *dns,
	    const struct net_addr *to, struct bufferevent *bev,
	    transport_connect_cb *cb, void *arg);
/* The half-close of streams t gives over such a stream, whose own is base. */
stream_shutdown_fn *transport_shutdown_over(const struct transport *t,
	    stream_shutdown_fn *base);

/* For layers. */
struct bufferevent *transport_connect_top(struct transport_connect *c);
struct event_base *transport_connect_base(struct transport_connect *c);
struct evdns_base *transport_connect_dns(struct transport_connect *c);
const struct net_addr *transport_connect_to(struct transport_connect *c);
void	transport_connect_set_state(struct transport_connect *c, void *state,
	    void (*free_state)(void *));
/* A layer wrapped the stream: top owns the previous one. */
void	transport_connect_stacked(struct transport_connect *c,
	    struct bufferevent *top);
void	transport_connect_done(struct transport_connect *c,
	    struct bufferevent *top);
void	transport_connect_fail(struct transport_connect *c, const char *why);
/*
 * HTTP/2's dial: the layers below it (tcp, tls) as a plain dial would run
 * them, to open a new shared connection; cb as transport_dial's.
 */
struct transport_connect *transport_dial_below(struct transport_connect *c,
	    transport_connect_cb *cb, void *arg);

#endif
