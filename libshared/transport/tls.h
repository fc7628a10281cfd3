/* SPDX-License-Identifier: MIT */
/*
 * tls.h: streamSettings.security "tls" (V2Ray 4.34's tlsSettings) as a
 * wrapper over a connected stream: an OpenSSL filter bufferevent stacked
 * on the accepted or dialed one, so later transports (WebSocket, HTTP/2)
 * stack the same way. One SSL_CTX per inbound or outbound stream, built
 * when the engine starts (tls_engine_prepare), never per connection.
 */
#ifndef LIBSHARED_TRANSPORT_TLS_H
#define LIBSHARED_TRANSPORT_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "net/addr.h"

struct bufferevent;
struct conf_stream;
struct conf_tls;
struct engine;
struct session;
struct tls_ctx;

/*
 * What -test checks: every certificate file readable and parseable, each
 * key matching its certificate, a server with a certificate to serve.
 * Returns -1 with a message naming the file.
 */
int	tls_check(const struct conf_tls *t, bool server, char *err,
	    size_t errlen);

/* Build the engine's context for stream (once; -1 with err). */
int	tls_engine_prepare(struct engine *eng, const struct conf_stream *st,
	    bool server, char *err, size_t errlen);
/* The context tls_engine_prepare built for st, or NULL. */
struct tls_ctx *tls_engine_ctx(struct engine *eng,
	    const struct conf_stream *st);
void	tls_engine_free(struct engine *eng);

/*
 * Server: stack TLS on an accepted stream (owned by the result, which is
 * freed with it). The handshake runs as the session reads; NULL on error
 * (bev freed).
 */
struct bufferevent *tls_wrap_accept(struct tls_ctx *ctx,
	    struct bufferevent *bev);

/*
 * Server: why the handshake on a tls_wrap_accept stream failed (after its
 * event callback saw an error or an end before BEV_EVENT_CONNECTED).
 */
void	tls_accept_error(struct bufferevent *bev, char *why, size_t len);

/*
 * Client: stack TLS on a connected stream to `to` and handshake. cb gets
 * the TLS stream once the server is verified, or NULL and a reason (also
 * logged once as a warning). tls_connect_cancel abandons it (no cb).
 */
struct tls_connect;
typedef void tls_connect_cb(struct bufferevent *bev, const char *err,
	    void *arg);
struct tls_connect *tls_connect(struct tls_ctx *ctx, struct bufferevent *bev,
	    const struct net_addr *to, tls_connect_cb *cb, void *arg);
void	tls_connect_cancel(struct tls_connect *c);

/*
 * Half-close of a TLS side. 4.34 never half-closes a TLS connection (the
 * VMess end marker ends each direction) and the relay must not shut the
 * socket under the record layer: nothing is sent; the session closes the
 * connection once both directions are done.
 */
void	tls_shutdown(struct session *s, struct bufferevent *bev);

#endif
