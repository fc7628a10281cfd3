/* SPDX-License-Identifier: MIT */
/*
 * http_plain.c: plain (absolute-URI) HTTP requests of the HTTP proxy
 * inbound, one after another on a client connection, as 4.34's
 * proxy/http/server.go does: each request is dispatched on its own (a
 * session of the inbound whose client side is a bufferevent pair, so it
 * is sniffed, routed and logged like any other) and goes upstream with
 * "Connection: close"; its response comes back with hop-by-hop fields
 * removed. When the client sent "Proxy-Connection: keep-alive" and the
 * response's end is known from its Content-Length (or it has no body),
 * the response says keep-alive (with 4.34's "Keep-Alive: timeout=4") and
 * the next request is read within policy.handshake; otherwise the
 * connection ends with the response.
 *
 * The request body is passed on as its Content-Length says; a request
 * with Transfer-Encoding (a chunked upload) is the connection's last:
 * everything the client sends after its head goes upstream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "core/dispatch.h"
#include "core/engine.h"
#include "core/session.h"
#include "http/http_head.h"
#include "http/http_plain.h"

#define BODY_TO_EOF	UINT64_MAX

static const char http_503[] =
    "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
    "Proxy-Connection: close\r\nContent-Length: 0\r\n\r\n";

enum resp_state {
	RESP_HEAD = 0,		/* reading the response head */
	RESP_BODY,		/* resp_left bytes of body to pass on */
	RESP_DONE
};

struct http_plain {
	struct session		*s;		/* the client connection */
	struct session		*req;		/* the request's session */
	struct bufferevent	*peer;		/* our end of req's pair */
	struct event		*gone;		/* req ended: handle it */
	struct event		*idle;		/* waiting for the next head */
	struct event		*later;		/* close, or read the next */
	bool			 closing;	/* later closes the connection */
	uint64_t		 seq;		/* requests started */
	http_plain_next_fn	*next;
	bool			 keep;		/* client asked keep-alive */
	bool			 no_body;	/* HEAD: a response without */
	bool			 c_eof;		/* the client finished */
	uint64_t		 req_left;	/* request body to pass on */
	enum resp_state		 rs;
	bool			 resp_keep;	/* this response keeps it */
	uint64_t		 resp_left;
};

static void	plain_pump(struct http_plain *);

static void
end_request(struct http_plain *p)
{
	struct session	*req = p->req;

	p->req = NULL;
	event_del(p->gone);
	if (p->peer != NULL) {
		bufferevent_free(p->peer);
		p->peer = NULL;
	}
	if (req != NULL) {
		req->on_close = NULL;
		session_close(req, NULL);
	}
}

void
http_plain_free(struct http_plain *p)
{
	if (p == NULL)
		return;
	end_request(p);
	event_free(p->gone);
	event_free(p->idle);
	event_free(p->later);
	free(p);
}

static void
later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_plain	*p = arg;

	if (p->closing)
		session_close(p->s, NULL);
	else
		p->next(p->s);
}

static void
flushed_close_cb(struct bufferevent *bev, void *arg)
{
	struct http_plain	*p = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		event_active(p->later, EV_TIMEOUT, 1);
}

/*
 * A write error: the client went away before it took everything. (No EOF
 * comes: reading is off, and a half-closed client still gets the rest.)
 */
static void
flush_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_plain	*p = arg;

	if (what & BEV_EVENT_ERROR)
		event_active(p->later, EV_TIMEOUT, 1);
}

/*
 * The client connection ends once what is queued for it has left. Never
 * closes at once: callers up the stack still hold p.
 */
static void
close_after_flush(struct http_plain *p, const char *reply)
{
	struct bufferevent	*c = p->s->cbev;

	end_request(p);
	p->closing = true;
	p->seq++;
	bufferevent_disable(c, EV_READ);
	if (reply != NULL)
		evbuffer_add(bufferevent_get_output(c), reply, strlen(reply));
	bufferevent_setcb(c, NULL, flushed_close_cb, flush_event_cb, p);
	bufferevent_enable(c, EV_WRITE);
	flushed_close_cb(c, p);
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_plain	*p = arg;

	/* A kept-alive connection nobody uses again: no error. */
	session_close(p->s, NULL);
}

/* The response is complete: next request, or the end. */
static void
response_done(struct http_plain *p)
{
	struct timeval	 tv;

	if (!p->resp_keep || p->c_eof) {
		close_after_flush(p, NULL);
		return;
	}
	end_request(p);
	p->rs = RESP_HEAD;
	p->seq++;
	/* 4.34 reads each next request under the handshake deadline. */
	tv.tv_sec = p->s->policy.handshake;
	tv.tv_usec = 0;
	evtimer_add(p->idle, &tv);
	bufferevent_setcb(p->s->cbev, NULL, NULL, NULL, NULL);
	event_active(p->later, EV_TIMEOUT, 1);
}

/* A response head in peer's input: pass it on rewritten. 0, 1 more, -1. */
static int
response_head(struct http_plain *p, struct evbuffer *in)
{
	struct http_head	*h;
	size_t			 n = evbuffer_get_length(in);
	char			*out;
	ssize_t			 r, w;
	uint64_t		 len = 0;
	int			 cl;

	if (n > HTTP_HEAD_MAX)
		n = HTTP_HEAD_MAX;
	h = xcalloc(1, sizeof(*h));
	r = http_response_parse(evbuffer_pullup(in, (ev_ssize_t)n), n, h);
	if (r == HTTP_HEAD_MORE) {
		free(h);
		return 1;
	}
	if (r < 0 || (cl = http_content_length(h, &len)) == -1) {
		free(h);
		return -1;
	}
	p->resp_left = len;
	if (p->no_body || h->status == 204 || h->status == 304 ||
	    (h->status >= 100 && h->status < 200))
		p->resp_left = 0;
	else if (cl == 0 || http_head_get(h, "Transfer-Encoding") != NULL)
		p->resp_left = BODY_TO_EOF;
	/* 4.34 keeps the connection when the length is known. */
	p->resp_keep = p->keep && p->resp_left != BODY_TO_EOF;
	out = xmalloc(HTTP_HEAD_MAX + 256);
	w = http_response_rewrite(h, p->resp_keep, out, HTTP_HEAD_MAX + 256);
	if (w > 0) {
		evbuffer_drain(in, (size_t)r);
		bufferevent_write(p->s->cbev, out, (size_t)w);
	}
	free(out);
	/* 1xx: an interim answer; the real one follows. */
	if (w > 0 && h->status >= 100 && h->status < 200 &&
	    h->status != 101) {
		free(h);
		return 0;
	}
	free(h);
	if (w < 0)
		return -1;
	p->rs = RESP_BODY;
	return 0;
}

/* Move what can move: response to the client, request body upstream. */
static void
plain_pump(struct http_plain *p)
{
	struct evbuffer	*cin = bufferevent_get_input(p->s->cbev);
	struct evbuffer	*cout = bufferevent_get_output(p->s->cbev);
	struct evbuffer	*rin, *rout;
	size_t		 n, hiwat = session_hiwat(p->s);
	int		 r;

	if (p->peer == NULL)
		return;
	rin = bufferevent_get_input(p->peer);
	rout = bufferevent_get_output(p->peer);
	/* Request body: stop at its end, so a next request stays put. */
	if (p->req_left > 0 && (n = evbuffer_get_length(cin)) > 0) {
		if ((uint64_t)n > p->req_left)
			n = (size_t)p->req_left;
		evbuffer_remove_buffer(cin, rout, n);
		if (p->req_left != BODY_TO_EOF)
			p->req_left -= n;
	}
	if (p->req_left == 0 || evbuffer_get_length(rout) >= hiwat)
		bufferevent_disable(p->s->cbev, EV_READ);
	else
		bufferevent_enable(p->s->cbev, EV_READ);
	while (p->rs == RESP_HEAD && evbuffer_get_length(rin) > 0) {
		if ((r = response_head(p, rin)) == 1)
			break;
		if (r == -1) {
			log_info("http: %s: malformed response",
			    p->s->in->c->tag != NULL ? p->s->in->c->tag : "");
			close_after_flush(p, http_503);
			return;
		}
	}
	if (p->rs == RESP_BODY && (n = evbuffer_get_length(rin)) > 0) {
		if ((uint64_t)n > p->resp_left)
			n = (size_t)p->resp_left;
		evbuffer_remove_buffer(rin, cout, n);
		if (p->resp_left != BODY_TO_EOF)
			p->resp_left -= n;
	}
	if (p->rs == RESP_BODY && p->resp_left == 0) {
		p->rs = RESP_DONE;
		response_done(p);
		return;
	}
	/* Backpressure: read the response only as the client takes it. */
	if (evbuffer_get_length(cout) >= hiwat)
		bufferevent_disable(p->peer, EV_READ);
	else
		bufferevent_enable(p->peer, EV_READ);
}

/* The upstream side ended (its EOF, or the request's session closed). */
static void
upstream_end(struct http_plain *p)
{
	uint64_t	 seq = p->seq;

	plain_pump(p);
	if (p->seq != seq)
		return;		/* done, or closing, already */
	if (p->rs == RESP_HEAD) {
		/* No response at all: 4.34 answers 503 and closes. */
		close_after_flush(p, http_503);
		return;
	}
	if (p->rs == RESP_BODY) {
		/* To EOF, or cut short: either way the connection ends. */
		p->resp_keep = false;
		close_after_flush(p, NULL);
	}
}

static void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_plain	*p = arg;

	session_set_timeout(p->s, p->s->policy.conn_idle);
	plain_pump(p);
}

/* The request body waiting upstream has gone: read more of it. */
static void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	plain_pump(arg);
}

static void
peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	upstream_end(arg);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_plain	*p = arg;

	session_set_timeout(p->s, p->s->policy.conn_idle);
	plain_pump(p);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	plain_pump(arg);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_plain	*p = arg;

	if (what & BEV_EVENT_ERROR) {
		session_close(p->s, "http: client connection error");
		return;
	}
	/* Half-closed after its request: the response still goes back. */
	p->c_eof = true;
	bufferevent_disable(bev, EV_READ);
	if (p->req_left == BODY_TO_EOF && p->peer != NULL) {
		p->req_left = 0;
		bufferevent_flush(p->peer, EV_WRITE, BEV_FINISHED);
	}
}

static void
gone_cb(evutil_socket_t fd, short what, void *arg)
{
	upstream_end(arg);
}

/* The request's session ended before we ended it. */
static void
req_gone(void *arg)
{
	struct http_plain	*p = arg;

	p->req = NULL;
	/* Not from inside that session's teardown. */
	event_active(p->gone, EV_TIMEOUT, 1);
}

struct http_plain *
http_plain_new(struct session *s, http_plain_next_fn *next)
{
	struct http_plain	*p = xcalloc(1, sizeof(*p));

	p->s = s;
	p->next = next;
	p->gone = evtimer_new(s->eng->base, gone_cb, p);
	p->idle = evtimer_new(s->eng->base, idle_cb, p);
	p->later = evtimer_new(s->eng->base, later_cb, p);
	return p;
}

bool
http_plain_served(const struct http_plain *p)
{
	return p != NULL && p->seq > 0;
}

void
http_plain_head_arrived(struct http_plain *p)
{
	if (p != NULL)
		evtimer_del(p->idle);
}

int
http_plain_start(struct http_plain *p, const struct http_head *h,
    const char *head, size_t hlen, const struct net_addr *dst,
    size_t consumed)
{
	struct session		*s = p->s, *req;
	struct bufferevent	*pair[2];
	const struct http_field	*f;
	uint64_t		 len = 0;
	int			 cl;

	if ((cl = http_content_length(h, &len)) == -1)
		return -1;
	evtimer_del(p->idle);
	f = http_head_get(h, "Proxy-Connection");
	p->keep = f != NULL && f->vlen == 10 &&
	    strncasecmp(f->value, "keep-alive", 10) == 0;
	p->no_body = http_head_is(h, "HEAD");
	p->req_left = cl == 1 ? len : 0;
	if (http_head_get(h, "Transfer-Encoding") != NULL) {
		p->req_left = BODY_TO_EOF;
		p->keep = false;
	}
	p->rs = RESP_HEAD;
	if (bufferevent_pair_new(s->eng->base, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, pair) == -1)
		return -1;
	evbuffer_drain(bufferevent_get_input(s->cbev), consumed);
	req = session_new(s->eng, s->in, pair[0], NULL);
	req->src = s->src;
	req->dst = *dst;
	req->level = s->level;
	req->policy = s->policy;
	req->user = s->user != NULL ? xstrdup(s->user) : NULL;
	req->c_shutdown = stream_shutdown_pair;
	req->on_close = req_gone;
	req->on_close_arg = p;
	p->req = req;
	p->peer = pair[1];
	evbuffer_add(bufferevent_get_output(p->peer), head, hlen);
	bufferevent_setcb(p->peer, peer_read_cb, peer_write_cb, peer_event_cb,
	    p);
	bufferevent_enable(p->peer, EV_READ | EV_WRITE);
	bufferevent_setcb(s->cbev, client_read_cb, client_write_cb,
	    client_event_cb, p);
	session_set_timeout(s, s->policy.conn_idle);
	plain_pump(p);
	dispatch_start(req);
	return 0;
}
