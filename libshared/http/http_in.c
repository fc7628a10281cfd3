/* SPDX-License-Identifier: MIT */
/*
 * http_in.c: the HTTP proxy inbound (V2Ray 4.34 "http"): CONNECT tunnels
 * and absolute-URI plain HTTP forwarding, Basic proxy authentication,
 * allowTransparent, timeout and userLevel. The request head is parsed by
 * http_head.c; the rewritten origin-form request is put back in front of
 * what the client sent after it, so sniffing, routing and the relay see
 * it as the first bytes of the connection.
 *
 * A plain request is dispatched on its own by http_plain.c, which reads
 * the next one on a kept-alive connection as 4.34 does; a CONNECT turns
 * the connection itself into the tunnel. A malformed head gets 400 and a
 * head over HTTP_HEAD_MAX 431 before the close, where 4.34 closes
 * silently (and takes heads of any size).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "core/dispatch.h"
#include "http/http_head.h"
#include "http/http_plain.h"
#include "core/session.h"

/* A client connection: its plain requests, or the refusal on its way. */
struct http_conn {
	struct http_plain	*plain;
	const char		*why;
};

static const char http_407[] =
    "HTTP/1.1 407 Proxy Authentication Required\r\n"
    "Proxy-Authenticate: Basic realm=\"proxy\"\r\n\r\n";
static const char http_400[] =
    "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
    "Proxy-Connection: close\r\nContent-Length: 0\r\n\r\n";
static const char http_431[] =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n"
    "Proxy-Connection: close\r\nContent-Length: 0\r\n\r\n";
static const char http_200[] = "HTTP/1.1 200 Connection established\r\n\r\n";

static void
http_conn_free(struct session *s)
{
	struct http_conn	*c = s->in_state;

	http_plain_free(c->plain);
	free(c);
	s->in_state = NULL;
}

static void
http_flushed_cb(struct bufferevent *bev, void *arg)
{
	struct session		*s = arg;
	struct http_conn	*c = s->in_state;

	session_reject(s, c->why);
}

/* Write a refusal, then close once it has left. */
static void
http_refuse(struct session *s, const char *reply, const char *why)
{
	struct evbuffer		*in = bufferevent_get_input(s->cbev);
	struct http_conn	*c = s->in_state;

	c->why = why;
	bufferevent_disable(s->cbev, EV_READ);
	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_add(bufferevent_get_output(s->cbev), reply, strlen(reply));
	bufferevent_setcb(s->cbev, NULL, http_flushed_cb, NULL, s);
	bufferevent_enable(s->cbev, EV_WRITE);
}

static void
http_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session		*s = arg;
	struct http_conn	*c = s->in_state;

	/* A kept-alive client leaving between requests is no error. */
	if ((what & BEV_EVENT_EOF) && http_plain_served(c->plain)) {
		session_close(s, NULL);
		return;
	}
	session_reject(arg, (what & BEV_EVENT_EOF) ?
	    "http: client closed during handshake" :
	    "http: read error during handshake");
}

/* Basic credentials against the accounts; sets s->user. */
static bool
http_authorized(struct session *s, const struct http_head *h)
{
	const struct conf_inbound	*ci = s->in->c;
	const struct http_field		*f;
	char				 user[256], pass[256];
	size_t				 i;

	if (ci->naccounts == 0)
		return true;
	if ((f = http_head_get(h, "Proxy-Authorization")) == NULL ||
	    http_basic_parse(f->value, f->vlen, user, sizeof(user), pass,
	    sizeof(pass)) == -1)
		return false;
	/* accounts is a map in 4.34: the last entry for a user wins. */
	for (i = ci->naccounts; i-- > 0;)
		if (strcmp(ci->accounts[i].user, user) == 0) {
			if (strcmp(ci->accounts[i].pass, pass) != 0)
				return false;
			free(s->user);
			s->user = xstrdup(user);
			return true;
		}
	return false;
}

static void	http_next(struct session *);

static void
http_read_cb(struct bufferevent *bev, void *arg)
{
	struct session		*s = arg;
	struct http_conn	*c = s->in_state;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct http_head	*h;
	struct http_target	 t;
	struct net_addr		 dst;
	size_t			 n = evbuffer_get_length(in);
	const uint8_t		*p;
	char			*out;
	ssize_t			 r, w;

	if (n > HTTP_HEAD_MAX)
		n = HTTP_HEAD_MAX;
	if (n == 0)
		return;
	p = evbuffer_pullup(in, (ev_ssize_t)n);
	h = xcalloc(1, sizeof(*h));
	r = http_head_parse(p, n, h);
	if (r == HTTP_HEAD_MORE) {
		free(h);
		return;
	}
	http_plain_head_arrived(c->plain);
	if (r == HTTP_HEAD_BAD) {
		free(h);
		http_refuse(s, http_400, "http: malformed request");
		return;
	}
	if (r == HTTP_HEAD_TOO_BIG) {
		free(h);
		http_refuse(s, http_431, "http: request head too large");
		return;
	}
	if (!http_authorized(s, h)) {
		free(h);
		http_refuse(s, http_407,
		    "http: proxy authentication failed");
		return;
	}
	if (http_target_parse(h, s->in->c->http_transparent, &t) == -1) {
		free(h);
		http_refuse(s, http_400, "http: no usable destination");
		return;
	}
	if (http_head_is(h, "CONNECT")) {
		net_addr_set(&s->dst, t.host, t.port);
		/* 4.34 answers before dialing; pipelined bytes follow. */
		evbuffer_drain(in, (size_t)r);
		bufferevent_write(bev, http_200, sizeof(http_200) - 1);
		free(h);
		dispatch_start(s);
		return;
	}
	/* Room for Host, Connection and CRs a bare-LF head lacks. */
	out = xmalloc(HTTP_HEAD_MAX + 1024);
	w = http_head_rewrite(h, &t, out, HTTP_HEAD_MAX + 1024);
	if (w < 0) {
		free(out);
		free(h);
		http_refuse(s, http_431, "http: request head too large");
		return;
	}
	net_addr_set(&dst, t.host, t.port);
	if (c->plain == NULL)
		c->plain = http_plain_new(s, http_next);
	session_handshake_done(s);
	/* The head's fields point into in: drain it only when done. */
	if (http_plain_start(c->plain, h, out, (size_t)w, &dst, (size_t)r) ==
	    -1)
		http_refuse(s, http_400, "http: malformed Content-Length");
	free(out);
	free(h);
}

/* http_plain.c is done with a response: the next request. */
static void
http_next(struct session *s)
{
	bufferevent_setcb(s->cbev, http_read_cb, NULL, http_event_cb, s);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_input(s->cbev)) > 0)
		http_read_cb(s->cbev, s);
}

static void
http_accept(struct session *s)
{
	s->in_state = xcalloc(1, sizeof(struct http_conn));
	s->in_free = http_conn_free;
	bufferevent_setcb(s->cbev, http_read_cb, NULL, http_event_cb, s);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
}

const struct inbound_ops http_inbound_ops = {
	.name = "http",
	.proto = CONF_PROTO_HTTP,
	.tcp = true,
	.accept = http_accept,
};
