/* SPDX-License-Identifier: MIT */
/*
 * http_out.c: the HTTP proxy outbound (an upstream HTTP proxy), as 4.34's
 * proxy/http/client.go over HTTP/1.1: a CONNECT tunnel to the target with
 * Basic Proxy-Authorization when the server has users; any answer but 200
 * fails the session. The payload waiting goes out once the tunnel is up,
 * as in 4.34. TCP only (4.34 carries no UDP either); its HTTP/2 CONNECT,
 * used when a TLS upstream negotiates h2 (4.34's own HTTP inbound then
 * fails it), is not offered: such an upstream is refused with a pointer
 * to tlsSettings.alpn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "base/log.h"
#include "base/util.h"
#include "core/engine.h"
#include "core/outdial.h"
#include "core/session.h"
#include "http/http_head.h"

#define HOUT_TRIES	5	/* 4.34: ExponentialBackoff(5, 100) */

struct hout_conn {
	struct outbound_dial		*dial;
	const struct conf_account	*acc;
	struct net_addr			 server;
};

static void
hout_free(struct session *s)
{
	struct hout_conn	*c = s->out_state;

	if (c == NULL)
		return;
	outbound_dial_cancel(c->dial);
	free(c);
	s->out_state = NULL;
	s->out_free = NULL;
}

/* CONNECT host:port, Host, Proxy-Authorization, Proxy-Connection. */
static void
write_connect(struct bufferevent *bev, const struct net_addr *dst,
    const struct conf_account *acc)
{
	struct evbuffer	*out = bufferevent_get_output(bev);
	char		 a[NET_ADDRSTRLEN], cred[512 + 2];
	unsigned char	 b64[4 * ((sizeof(cred) + 2) / 3) + 1];

	net_addr_str(dst, a, sizeof(a));
	evbuffer_add_printf(out, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", a, a);
	if (acc != NULL) {
		snprintf(cred, sizeof(cred), "%.256s:%.256s", acc->user,
		    acc->pass);
		EVP_EncodeBlock(b64, (const unsigned char *)cred,
		    (int)strlen(cred));
		evbuffer_add_printf(out, "Proxy-Authorization: Basic %s\r\n",
		    b64);
		OPENSSL_cleanse(cred, sizeof(cred));
	}
	evbuffer_add_printf(out, "Proxy-Connection: Keep-Alive\r\n\r\n");
}

static void
hout_read_cb(struct bufferevent *bev, void *arg)
{
	struct session		*s = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct http_head	*h;
	size_t			 n = evbuffer_get_length(in);
	char			 why[64];
	ssize_t			 r;
	int			 status;

	if (n > HTTP_HEAD_MAX)
		n = HTTP_HEAD_MAX;
	h = xcalloc(1, sizeof(*h));
	r = http_response_parse(evbuffer_pullup(in, (ev_ssize_t)n), n, h);
	status = h->status;
	free(h);
	if (r == HTTP_HEAD_MORE)
		return;
	if (r < 0) {
		session_close(s, r == HTTP_HEAD_TOO_BIG ?
		    "http: the proxy's answer is too large" :
		    "http: the proxy's answer is malformed");
		return;
	}
	if (status != 200) {
		snprintf(why, sizeof(why), "http: the proxy answered %d",
		    status);
		session_close(s, why);
		return;
	}
	evbuffer_drain(in, (size_t)r);
	hout_free(s);
	/* Bytes behind the answer are the target's: the relay reads them. */
	if (evbuffer_get_length(in) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	session_relay(s);
}

static void
hout_event_cb(struct bufferevent *bev, short what, void *arg)
{
	session_close(arg, (what & BEV_EVENT_EOF) ?
	    "http: the proxy closed before answering CONNECT" :
	    "http: error before the proxy answered CONNECT");
}

/* Did TLS to the proxy settle on h2 (our TLS offers it, as 4.34's)? */
static bool
hout_tls_h2(struct bufferevent *bev)
{
	const unsigned char	*p;
	unsigned int		 n = 0;
	SSL			*ssl;

	if ((ssl = bufferevent_openssl_get_ssl(bev)) == NULL)
		return false;
	SSL_get0_alpn_selected(ssl, &p, &n);
	return n == 2 && memcmp(p, "h2", 2) == 0;
}

static void
hout_dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct session		*s = arg;
	struct hout_conn	*c = s->out_state;

	c->dial = NULL;
	if (bev == NULL) {
		session_close(s, err);
		return;
	}
	s->rbev = bev;		/* freed with the session from here */
	s->r_shutdown = outbound_dial_shutdown(s->out);
	if (hout_tls_h2(bev)) {
		session_close(s, "http: the proxy chose HTTP/2, which this "
		    "outbound does not speak; set tlsSettings.alpn to "
		    "[\"http/1.1\"]");
		return;
	}
	session_set_timeout(s, s->policy.handshake);
	write_connect(bev, &s->dst, c->acc);
	bufferevent_setcb(bev, hout_read_cb, NULL, hout_event_cb, s);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
hout_open(struct session *s)
{
	struct hout_conn		*c = xcalloc(1, sizeof(*c));
	const struct conf_server	*srv;

	srv = outbound_next_server(s->out, &c->acc);
	net_addr_set(&c->server, srv->address, srv->port);
	s->out_state = c;
	s->out_free = hout_free;
	c->dial = outbound_dial(s->out, &c->server, AF_UNSPEC, HOUT_TRIES,
	    hout_dialed_cb, s);
}

const struct outbound_ops http_outbound_ops = {
	.name = "http",
	.proto = CONF_PROTO_HTTP,
	.start = outbound_servers_start,
	.stop = outbound_servers_stop,
	.open = hout_open,
};
