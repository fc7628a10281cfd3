/* SPDX-License-Identifier: MIT */
/*
 * tls.c: TLS for streamSettings.security "tls", as V2Ray 4.34 speaks it
 * over tcp: TLS 1.2 and 1.3, no session tickets (4.34's default), ALPN as
 * its tcp transport (a client offers h2,http/1.1; a server accepts h2, and
 * a client offering http/1.1 only gets no ALPN, as Go decides), the client
 * verifying the server against the system store and the configured
 * certificates. OpenSSL through libevent's bufferevent_openssl, as a
 * filter over the connected stream.
 */
#include "transport/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "transport/transport.h"

struct tls_ctx {
	const struct conf_stream *st;
	bool			 server;
	SSL_CTX			*ctx;
	unsigned char		*alpn;		/* wire format */
	size_t			 alpnlen;
};

struct tls_connect {
	struct transport_connect *tc;
	char			 name[256];	/* verified name, for logs */
};

static void
ssl_errstr(char *buf, size_t len)
{
	unsigned long	e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

static BIO *
pem_bio(const char *file, const char *pem, const char *what, char *err,
    size_t errlen)
{
	BIO	*b;

	if (file != NULL) {
		if ((b = BIO_new_file(file, "r")) == NULL) {
			int e = errno;

			ERR_clear_error();
			snprintf(err, errlen, "cannot read %s file %s: %s",
			    what, file, strerror(e != 0 ? e : ENOENT));
		}
		return b;
	}
	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		snprintf(err, errlen, "out of memory");
	return b;
}

/* The certificate and the rest of its chain; NULL with err. */
static X509 *
load_cert(const struct conf_cert *c, STACK_OF(X509) **chain, char *err,
    size_t errlen)
{
	const char	*where = c->cert_file != NULL ? c->cert_file :
			    "(inline certificate)";
	X509		*x, *more;
	BIO		*b;

	*chain = NULL;
	if ((b = pem_bio(c->cert_file, c->cert_pem, "certificate", err,
	    errlen)) == NULL)
		return NULL;
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: no PEM certificate in it", where);
		BIO_free(b);
		return NULL;
	}
	*chain = sk_X509_new_null();
	while ((more = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (*chain == NULL || !sk_X509_push(*chain, more))
			X509_free(more);
	ERR_clear_error();
	BIO_free(b);
	return x;
}

static EVP_PKEY *
load_key(const struct conf_cert *c, char *err, size_t errlen)
{
	const char	*where = c->key_file != NULL ? c->key_file :
			    "(inline key)";
	EVP_PKEY	*k;
	BIO		*b;

	if ((b = pem_bio(c->key_file, c->key_pem, "key", err, errlen)) ==
	    NULL)
		return NULL;
	if ((k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: no PEM private key in it", where);
	}
	BIO_free(b);
	return k;
}

static bool
has_key(const struct conf_cert *c)
{
	return c->key_file != NULL || c->key_pem != NULL;
}

/*
 * Load every certificate; with ctx, a server's encipherment pairs go into
 * it, a client's certificates (whatever their usage, as 4.34) into its
 * trust store.
 */
static int
load_all(const struct conf_tls *t, bool server, SSL_CTX *ctx, char *err,
    size_t errlen)
{
	const struct conf_cert	*c;
	STACK_OF(X509)		*chain;
	X509			*x;
	EVP_PKEY		*k;
	size_t			 i, served = 0;
	int			 j;

	for (i = 0; i < t->ncerts; i++) {
		c = &t->certs[i];
		if ((x = load_cert(c, &chain, err, errlen)) == NULL)
			return -1;
		k = NULL;
		if (server && c->usage == CONF_CERT_ENCIPHERMENT) {
			if (!has_key(c)) {
				snprintf(err, errlen, "certificate %s has no "
				    "key (keyFile or key)", c->cert_file ?
				    c->cert_file : "(inline)");
				goto fail;
			}
			if ((k = load_key(c, err, errlen)) == NULL)
				goto fail;
			if (X509_check_private_key(x, k) != 1) {
				ERR_clear_error();
				snprintf(err, errlen, "key %s does not match "
				    "certificate %s", c->key_file ?
				    c->key_file : "(inline)", c->cert_file ?
				    c->cert_file : "(inline)");
				goto fail;
			}
			served++;
			if (ctx != NULL && (SSL_CTX_use_certificate(ctx, x) !=
			    1 || SSL_CTX_use_PrivateKey(ctx, k) != 1)) {
				char e[160];

				ssl_errstr(e, sizeof(e));
				snprintf(err, errlen, "certificate %s: %s",
				    c->cert_file ? c->cert_file : "(inline)",
				    e);
				goto fail;
			}
			for (j = 0; ctx != NULL && chain != NULL &&
			    j < sk_X509_num(chain); j++)
				SSL_CTX_add1_chain_cert(ctx,
				    sk_X509_value(chain, j));
		} else if (!server && ctx != NULL) {
			X509_STORE *st = SSL_CTX_get_cert_store(ctx);

			X509_STORE_add_cert(st, x);
			for (j = 0; chain != NULL && j < sk_X509_num(chain);
			    j++)
				X509_STORE_add_cert(st,
				    sk_X509_value(chain, j));
			ERR_clear_error();	/* duplicates are no error */
		}
		EVP_PKEY_free(k);
		X509_free(x);
		sk_X509_pop_free(chain, X509_free);
		continue;
 fail:
		EVP_PKEY_free(k);
		X509_free(x);
		sk_X509_pop_free(chain, X509_free);
		return -1;
	}
	if (server && served == 0) {
		snprintf(err, errlen, "a TLS server needs a certificate and "
		    "its key (tlsSettings.certificates, usage "
		    "\"encipherment\")");
		return -1;
	}
	return 0;
}

int
tls_check(const struct conf_tls *t, bool server, char *err, size_t errlen)
{
	return load_all(t, server, NULL, err, errlen);
}

/* One protocol onto the wire list (first or last) unless it is there. */
static void
alpn_add(struct tls_ctx *c, const char *p, bool first)
{
	size_t	 i, l = strlen(p);

	for (i = 0; i < c->alpnlen; i += 1 + c->alpn[i])
		if (c->alpn[i] == l && memcmp(c->alpn + i + 1, p, l) == 0)
			return;
	c->alpn = xrealloc(c->alpn, c->alpnlen + l + 1);
	i = first ? 0 : c->alpnlen;
	memmove(c->alpn + i + l + 1, c->alpn + i, c->alpnlen - i);
	c->alpn[i] = (unsigned char)l;
	memcpy(c->alpn + i + 1, p, l);
	c->alpnlen += l + 1;
}

static void
alpn_wire(struct tls_ctx *c, const struct conf_tls *t)
{
	static const char *const srv_def[] = { "h2", "http/1.1" };
	static const char *const cli_def[] = { "h2", "http/1.1" };
	const char *const	*v;
	size_t			 n, i, l;
	/* 4.34's websocket: the server takes http/1.1 too, the client
	 * offers only it (an h2 answer could not be upgraded). */
	bool			 ws = c->st->network == CONF_NET_WS;

	if (t->has_alpn) {
		v = (const char *const *)t->alpn.v;
		n = t->alpn.n;
	} else if (c->server) {
		v = srv_def;
		n = ws ? 2 : 1;
	} else {
		v = ws ? cli_def + 1 : cli_def;
		n = ws ? 1 : 2;
	}
	c->alpn = xmalloc(1);
	c->alpnlen = 0;
	for (i = 0; i < n; i++) {
		l = strlen(v[i]);
		if (l == 0 || l > 255)
			continue;
		c->alpn = xrealloc(c->alpn, c->alpnlen + l + 1);
		c->alpn[c->alpnlen++] = (unsigned char)l;
		memcpy(c->alpn + c->alpnlen, v[i], l);
		c->alpnlen += l;
	}
	/*
	 * HTTP/2 (network http): Go's server adds h2 and then http/1.1 to
	 * what is configured; 4.34's client puts h2 first if missing.
	 */
	if (c->st->network == CONF_NET_H2) {
		if (c->server) {
			alpn_add(c, "h2", false);
			alpn_add(c, "http/1.1", false);
		} else
			alpn_add(c, "h2", true);
	}
}

/* Go's choice: the server's first protocol the client offers; none, but
 * the server has h2 and the client offers http/1.1: no ALPN; else fail. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tls_ctx	*c = arg;
	size_t		 i, j;
	bool		 fallback = false;

	if (c->alpnlen == 0 || inlen == 0)
		return SSL_TLSEXT_ERR_NOACK;
	for (i = 0; i < c->alpnlen; i += 1 + c->alpn[i])
		for (j = 0; j < inlen; j += 1 + in[j]) {
			if (j + 1 + in[j] > inlen)
				break;
			if (c->alpn[i] == in[j] && memcmp(c->alpn + i + 1,
			    in + j + 1, in[j]) == 0) {
				*out = c->alpn + i + 1;
				*outlen = c->alpn[i];
				return SSL_TLSEXT_ERR_OK;
			}
			if (c->alpn[i] == 2 && memcmp(c->alpn + i + 1, "h2",
			    2) == 0 && in[j] == 8 && memcmp(in + j + 1,
			    "http/1.1", 8) == 0)
				fallback = true;
		}
	return fallback ? SSL_TLSEXT_ERR_NOACK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static struct tls_ctx *
ctx_new(const struct conf_stream *st, bool server, char *err, size_t errlen)
{
	const struct conf_tls	*t = &st->tlss;
	struct tls_ctx		*c;
	SSL_CTX			*ctx;
	char			 e[160];

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL) {
		ssl_errstr(e, sizeof(e));
		snprintf(err, errlen, "TLS: %s", e);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	    | SSL_OP_IGNORE_UNEXPECTED_EOF
#endif
	    );
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	c = xcalloc(1, sizeof(*c));
	c->st = st;
	c->server = server;
	c->ctx = ctx;
	alpn_wire(c, t);
	if (!server) {
		if (!t->disable_system_root &&
		    SSL_CTX_set_default_verify_paths(ctx) != 1)
			ERR_clear_error();
		SSL_CTX_set_verify(ctx, t->allow_insecure ? SSL_VERIFY_NONE :
		    SSL_VERIFY_PEER, NULL);
		if (c->alpnlen > 0)
			SSL_CTX_set_alpn_protos(ctx, c->alpn,
			    (unsigned)c->alpnlen);
	} else
		SSL_CTX_set_alpn_select_cb(ctx, alpn_select, c);
	if (load_all(t, server, ctx, err, errlen) == -1) {
		SSL_CTX_free(ctx);
		free(c->alpn);
		free(c);
		return NULL;
	}
	return c;
}

static void
ctx_free(void *arg)
{
	struct tls_ctx	*c = arg;

	SSL_CTX_free(c->ctx);
	free(c->alpn);
	free(c);
}

static void *
layer_new(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	return ctx_new(st, server, err, errlen);
}

static bool
layer_applies(const struct conf_stream *st, bool server)
{
	return st->tls;
}

static int
layer_check(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	char	e[480];

	if (tls_check(&st->tlss, server, e, sizeof(e)) == 0)
		return 0;
	snprintf(err, errlen, "tlsSettings: %s", e);
	return -1;
}

/* Large passes, as net_tune_socket gives a plain socket: libevent's
 * default of 16 KiB a read would cost a relay pass per TLS record. */
static void
tune(struct bufferevent *tb)
{
	bufferevent_set_max_single_read(tb, 128 * 1024);
	bufferevent_set_max_single_write(tb, 1024 * 1024);
	/*
	 * The record layer stops at the socket's write mark: without one it
	 * drains the relay's queue into the socket's output as fast as it
	 * comes (a 512 MiB download piled up 370 MB there), so the relay's
	 * backpressure, which watches this stream, never held.
	 */
	bufferevent_setwatermark(bufferevent_get_underlying(tb), EV_WRITE, 0,
	    512 * 1024);
}

/* Why the server-side handshake failed, after an error or an early end. */
static void
accept_error(struct bufferevent *bev, char *why, size_t len)
{
	struct bufferevent	*u = bufferevent_get_underlying(bev);
	char			 e[200];
	unsigned long		 oe;

	/* The alert OpenSSL queued (a few bytes) goes out before the close,
	 * as Go sends it (e.g. 120, no application protocol). The socket
	 * bufferevent keeps its output's start frozen outside its writes. */
	if (u != NULL && bufferevent_getfd(u) >= 0 &&
	    evbuffer_get_length(bufferevent_get_output(u)) > 0) {
		struct evbuffer	*o = bufferevent_get_output(u);

		evbuffer_unfreeze(o, 1);
		(void)evbuffer_write(o, bufferevent_getfd(u));
		evbuffer_freeze(o, 1);
	}
	if ((oe = bufferevent_get_openssl_error(bev)) != 0) {
		ERR_error_string_n(oe, e, sizeof(e));
		snprintf(why, len, "TLS handshake failed: %s", e);
	} else
		snprintf(why, len, "TLS handshake failed: the connection "
		    "ended");
	while (bufferevent_get_openssl_error(bev) != 0)
		;
	ERR_clear_error();
}

static void
pending_read_cb(struct bufferevent *bev, void *arg)
{
	/* Only a placeholder until the proxy sets its own. */
}

static void
accept_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct transport_accept	*a = arg;
	char			 why[256];

	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if (what & BEV_EVENT_CONNECTED) {
		/*
		 * Bytes that came with the client's last handshake flight are
		 * decrypted already and wake no read: a read is queued for
		 * them first (run from the loop with the callbacks the next
		 * layer or the proxy sets; none if it closed the stream).
		 */
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
			bufferevent_setcb(bev, pending_read_cb, NULL, NULL,
			    NULL);
			bufferevent_trigger(bev, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS |
			    BEV_TRIG_DEFER_CALLBACKS);
		}
		transport_accept_done(a, bev);
		return;
	}
	accept_error(bev, why, sizeof(why));
	transport_accept_fail(a, why);
}

static void
layer_accept(struct transport_accept *a, void *arg)
{
	struct tls_ctx		*ctx = arg;
	struct bufferevent	*bev = transport_accept_top(a), *tb;
	SSL			*ssl;

	if ((ssl = SSL_new(ctx->ctx)) == NULL) {
		ERR_clear_error();
		transport_accept_fail(a, "TLS: out of memory");
		return;
	}
	tb = bufferevent_openssl_filter_new(bufferevent_get_base(bev), bev,
	    ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (tb == NULL) {
		SSL_free(ssl);
		transport_accept_fail(a, "TLS: out of memory");
		return;
	}
	/* A peer that closes without close_notify ends its stream. */
	bufferevent_openssl_set_allow_dirty_shutdown(tb, 1);
	tune(tb);
	transport_accept_stacked(a, tb);
	bufferevent_setcb(tb, NULL, NULL, accept_event_cb, a);
	bufferevent_enable(tb, EV_READ | EV_WRITE);
}

static bool
is_ip(const char *s)
{
	unsigned char	a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static void
connect_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tls_connect	*c = arg;
	struct transport_connect *tc = c->tc;
	SSL			*ssl = bufferevent_openssl_get_ssl(bev);
	char			 why[512], e[200];
	unsigned long		 oe;
	long			 vr;

	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if (what & BEV_EVENT_CONNECTED) {
		transport_connect_done(tc, bev);
		return;
	}
	vr = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	oe = bufferevent_get_openssl_error(bev);
	if (vr != X509_V_OK)
		snprintf(why, sizeof(why), "TLS: cannot verify the server "
		    "certificate for %s: %s", c->name,
		    X509_verify_cert_error_string(vr));
	else if (oe != 0) {
		ERR_error_string_n(oe, e, sizeof(e));
		snprintf(why, sizeof(why), "TLS handshake with %s failed: %s",
		    c->name, e);
	} else
		snprintf(why, sizeof(why), "TLS handshake with %s failed: "
		    "the server closed the connection", c->name);
	while (bufferevent_get_openssl_error(bev) != 0)
		;
	ERR_clear_error();
	log_warn("%s", why);
	transport_connect_fail(tc, why);
}

static void
layer_connect(struct transport_connect *tc, void *arg)
{
	struct tls_ctx		*ctx = arg;
	const struct conf_tls	*t = &ctx->st->tlss;
	struct bufferevent	*bev = transport_connect_top(tc), *tb;
	struct tls_connect	*c;
	const char		*name;
	char			 host[256];
	SSL			*ssl;

	c = xcalloc(1, sizeof(*c));
	c->tc = tc;
	transport_connect_set_state(tc, c, free);
	/* SNI: serverName, else the destination when it is a name. */
	name = t->server_name;
	if (name == NULL)
		name = net_addr_host(transport_connect_to(tc), host,
		    sizeof(host));
	snprintf(c->name, sizeof(c->name), "%s", name);
	if ((ssl = SSL_new(ctx->ctx)) == NULL) {
		ERR_clear_error();
		transport_connect_fail(tc, "TLS: out of memory");
		return;
	}
	if (!is_ip(c->name))
		SSL_set_tlsext_host_name(ssl, c->name);
	if (!t->allow_insecure) {
		if (is_ip(c->name))
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
			    c->name);
		else
			SSL_set1_host(ssl, c->name);
	}
	tb = bufferevent_openssl_filter_new(bufferevent_get_base(bev), bev,
	    ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (tb == NULL) {
		SSL_free(ssl);
		transport_connect_fail(tc, "TLS: out of memory");
		return;
	}
	transport_connect_stacked(tc, tb);
	bufferevent_openssl_set_allow_dirty_shutdown(tb, 1);
	tune(tb);
	bufferevent_setcb(tb, NULL, NULL, connect_event_cb, c);
	bufferevent_enable(tb, EV_READ | EV_WRITE);
}

/*
 * 4.34 never half-closes a TLS connection (the VMess end marker ends each
 * direction) and the relay must not shut the socket under the record
 * layer: nothing is sent; the session closes the connection once both
 * directions are done.
 */
const struct transport_layer tls_layer = {
	.name = "tls",
	.applies = layer_applies,
	.check = layer_check,
	.new = layer_new,
	.free = ctx_free,
	.accept = layer_accept,
	.connect = layer_connect,
	.shutdown = stream_shutdown_none,
};
