/* SPDX-License-Identifier: MIT */
/*
 * transport.c: the layer table and the two drivers that run a stream's
 * layers in order, on an accepted stream (server) and after a connect
 * (client). See transport.h for the contract a layer keeps.
 */
#include "transport/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "kcp/kcp_udp.h"
#include "transport/dial.h"

#define TRANSPORT_MAXLAYERS	4

/* In stacking order: the first applies to the bytes nearest the wire. */
extern const struct transport_layer proxyproto_layer;
extern const struct transport_layer tls_layer;
extern const struct transport_layer ws_layer;
extern const struct transport_layer h2_layer;
extern const struct transport_layer httphdr_layer;
static const struct transport_layer *const layers[] = {
	&proxyproto_layer,
	&tls_layer,
	&ws_layer,
	&h2_layer,
	&httphdr_layer,
	NULL
};

struct transport {
	const struct conf_stream	*st;
	bool				 server;
	size_t				 n;
	const struct transport_layer	*l[TRANSPORT_MAXLAYERS];
	void				*ctx[TRANSPORT_MAXLAYERS];
	char				 name[64];
};

struct transport_accept {
	struct transport		*t;
	size_t				 next;		/* layer to run */
	struct bufferevent		*top;
	const struct transport_accept_hooks *h;
	void				*arg, *owner;
	struct sockaddr_storage		 src;		/* for adopted streams */
	socklen_t			 srclen;
	void				*state;		/* running layer's */
	void				(*free_state)(void *);
	bool				 starting;
	struct event			*later;		/* deferred result */
	const char			*why;		/* deferred failure */
	char				 whybuf[256];
};

struct transport_connect {
	struct transport		*t;
	size_t				 next, limit;
	struct bufferevent		*top;
	struct event_base		*base;
	struct evdns_base		*dns;
	struct net_addr			 to;
	int				 family, tries;
	struct net_dial			*dial;
	transport_connect_cb		*cb;
	void				*arg;
	void				*state;
	void				(*free_state)(void *);
	struct event			*later;
	char				 why[256];
	bool				 failed;
};

void
stream_shutdown_socket(struct bufferevent *bev)
{
	evutil_socket_t	 fd = bufferevent_getfd(bev);

	if (fd >= 0)
		shutdown(fd, SHUT_WR);
}

void
stream_shutdown_pair(struct bufferevent *bev)
{
	bufferevent_flush(bev, EV_WRITE, BEV_FINISHED);
}

void
stream_shutdown_none(struct bufferevent *bev)
{
}

static void
kcp_shutdown(struct bufferevent *bev)
{
	kcp_udp_finish(bev);
}

int
transport_check(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	size_t	 i;

	for (i = 0; st != NULL && layers[i] != NULL; i++)
		if (layers[i]->applies(st, server) && layers[i]->check != NULL &&
		    layers[i]->check(st, server, err, errlen) == -1)
			return -1;
	return 0;
}

struct transport *
transport_new(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	struct transport	*t = xcalloc(1, sizeof(*t));
	size_t			 i;

	t->st = st;
	t->server = server;
	snprintf(t->name, sizeof(t->name), "%s",
	    st != NULL && st->network == CONF_NET_KCP ? "mkcp" : "tcp");
	for (i = 0; st != NULL && layers[i] != NULL; i++) {
		if (!layers[i]->applies(st, server))
			continue;
		if (t->n == TRANSPORT_MAXLAYERS) {
			snprintf(err, errlen, "too many transport layers");
			transport_free(t);
			return NULL;
		}
		t->l[t->n] = layers[i];
		if (layers[i]->new != NULL &&
		    (t->ctx[t->n] = layers[i]->new(st, server, err,
		    errlen)) == NULL) {
			transport_free(t);
			return NULL;
		}
		t->n++;
		/* Names read top down, as V2Ray users say them: ws+tls. */
		{
			char	 tmp[sizeof(t->name) + 16];

			snprintf(tmp, sizeof(tmp), "%s+%s", layers[i]->name,
			    t->name);
			snprintf(t->name, sizeof(t->name), "%.*s",
			    (int)sizeof(t->name) - 1, tmp);
		}
	}
	return t;
}

void
transport_free(struct transport *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		if (t->l[i]->free != NULL && t->ctx[i] != NULL)
			t->l[i]->free(t->ctx[i]);
	free(t);
}

const struct conf_stream *
transport_stream(const struct transport *t)
{
	return t != NULL ? t->st : NULL;
}

const char *
transport_name(const struct transport *t)
{
	return t != NULL ? t->name : "tcp";
}

void
transport_quiesce(struct transport *t, void *owner)
{
	size_t	 i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (t->l[i]->quiesce != NULL)
			t->l[i]->quiesce(t->ctx[i], owner);
}

stream_shutdown_fn *
transport_shutdown(const struct transport *t)
{
	size_t	 i;

	for (i = t != NULL ? t->n : 0; i > 0; i--)
		if (t->l[i - 1]->shutdown != NULL)
			return t->l[i - 1]->shutdown;
	if (t != NULL && t->st != NULL && t->st->network == CONF_NET_KCP)
		return kcp_shutdown;
	return stream_shutdown_socket;
}

/* ---- Server side ---- */

static void	accept_next(struct transport_accept *);

static void
accept_clear_state(struct transport_accept *a)
{
	if (a->free_state != NULL && a->state != NULL)
		a->free_state(a->state);
	a->state = NULL;
	a->free_state = NULL;
}

static void
accept_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport_accept	*a = arg;

	if (a->why != NULL)
		a->h->failed(a->arg, a->why);
	else
		accept_next(a);
}

/* A layer finished before transport_accept returned: go on from the loop. */
static void
accept_defer(struct transport_accept *a)
{
	if (a->later == NULL)
		a->later = evtimer_new(bufferevent_get_base(a->top),
		    accept_later_cb, a);
	event_active(a->later, EV_TIMEOUT, 1);
}

static void
accept_next(struct transport_accept *a)
{
	const struct transport_accept_hooks *h = a->h;
	struct bufferevent	*top = a->top;
	void			*arg = a->arg;
	size_t			 i = a->next;

	if (i < a->t->n) {
		a->next++;
		a->t->l[i]->accept(a, a->t->ctx[i]);
		return;
	}
	a->top = NULL;
	transport_accept_abort(a);
	h->ready(arg, top);
}

struct transport_accept *
transport_accept(struct transport *t, struct bufferevent *bev,
    const struct sockaddr *src, socklen_t srclen,
    const struct transport_accept_hooks *h, void *arg, void *owner)
{
	struct transport_accept	*a;

	if (t == NULL || t->n == 0)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->t = t;
	a->top = bev;
	a->h = h;
	a->arg = arg;
	a->owner = owner;
	if (src != NULL && srclen <= sizeof(a->src)) {
		memcpy(&a->src, src, srclen);
		a->srclen = srclen;
	}
	a->starting = true;
	accept_next(a);
	a->starting = false;
	return a;
}

void
transport_accept_abort(struct transport_accept *a)
{
	if (a == NULL)
		return;
	accept_clear_state(a);
	if (a->later != NULL)
		event_free(a->later);
	if (a->top != NULL)
		bufferevent_free(a->top);
	free(a);
}

struct bufferevent *
transport_accept_top(struct transport_accept *a)
{
	return a->top;
}

struct event_base *
transport_accept_base(struct transport_accept *a)
{
	return bufferevent_get_base(a->top);
}

void
transport_accept_set_state(struct transport_accept *a, void *state,
    void (*free_state)(void *))
{
	a->state = state;
	a->free_state = free_state;
}

void
transport_accept_stacked(struct transport_accept *a, struct bufferevent *top)
{
	a->top = top;
	a->h->stacked(a->arg, top);
}

void
transport_accept_source(struct transport_accept *a, const struct sockaddr *sa,
    socklen_t len)
{
	if (sa != NULL && len <= sizeof(a->src)) {
		memcpy(&a->src, sa, len);
		a->srclen = len;
	}
	if (a->h->source != NULL)
		a->h->source(a->arg, sa, len);
}

void
transport_accept_done(struct transport_accept *a, struct bufferevent *top)
{
	/* The layer's state ends with its handshake; its stream lives on. */
	accept_clear_state(a);
	if (top != a->top)
		transport_accept_stacked(a, top);
	if (a->starting)
		accept_defer(a);
	else
		accept_next(a);
}

void
transport_accept_fail(struct transport_accept *a, const char *why)
{
	snprintf(a->whybuf, sizeof(a->whybuf), "%s", why);
	a->why = a->whybuf;
	if (a->starting)
		accept_defer(a);
	else
		a->h->failed(a->arg, a->why);
}

void
transport_accept_adopt(struct transport_accept *a)
{
	const struct transport_accept_hooks *h = a->h;
	void	*arg = a->arg;

	/* The layer owns the stream and its state from now on. */
	a->top = NULL;
	a->state = NULL;
	a->free_state = NULL;
	transport_accept_abort(a);
	h->adopted(arg);
}

const struct transport_accept_hooks *
transport_accept_hooks(struct transport_accept *a)
{
	return a->h;
}

void *
transport_accept_owner(struct transport_accept *a)
{
	return a->owner;
}

const struct sockaddr *
transport_accept_src(struct transport_accept *a, socklen_t *len)
{
	*len = a->srclen;
	return a->srclen > 0 ? (const struct sockaddr *)&a->src : NULL;
}

/* ---- Client side ---- */

static void	connect_next(struct transport_connect *);

static void
connect_clear_state(struct transport_connect *c)
{
	if (c->free_state != NULL && c->state != NULL)
		c->free_state(c->state);
	c->state = NULL;
	c->free_state = NULL;
}

static void
connect_finish(struct transport_connect *c, struct bufferevent *top,
    const char *why)
{
	transport_connect_cb	*cb = c->cb;
	void			*arg = c->arg;

	c->top = NULL;
	transport_dial_cancel(c);
	cb(top, why, arg);
}

static void
connect_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport_connect *c = arg;

	if (c->failed)
		connect_finish(c, NULL, c->why);
	else
		connect_next(c);
}

static void
connect_next(struct transport_connect *c)
{
	size_t	 i = c->next;

	if (i < c->limit) {
		c->next++;
		c->t->l[i]->connect(c, c->t->ctx[i]);
		return;
	}
	connect_finish(c, c->top, NULL);
}

static void
dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct transport_connect *c = arg;

	c->dial = NULL;
	if (bev == NULL) {
		connect_finish(c, NULL, err);
		return;
	}
	c->top = bev;
	connect_next(c);
}

static struct transport_connect *
connect_new(struct transport *t, struct event_base *base,
    struct evdns_base *dns, const struct net_addr *to, int family, int tries,
    transport_connect_cb *cb, void *arg)
{
	struct transport_connect *c = xcalloc(1, sizeof(*c));

	c->t = t;
	c->base = base;
	c->dns = dns;
	c->to = *to;
	c->family = family;
	c->tries = tries;
	c->cb = cb;
	c->arg = arg;
	c->limit = t != NULL ? t->n : 0;
	c->later = evtimer_new(base, connect_later_cb, c);
	return c;
}

static void
connect_bottom(struct transport_connect *c)
{
	c->dial = net_dial(c->base, c->dns, &c->to, c->family, c->tries,
	    c->t != NULL ? c->t->st : NULL, dialed_cb, c);
}

struct transport_connect *
transport_dial(struct transport *t, struct event_base *base,
    struct evdns_base *dns, const struct net_addr *to, int family, int tries,
    transport_connect_cb *cb, void *arg)
{
	struct transport_connect *c;
	size_t			  i;

	c = connect_new(t, base, dns, to, family, tries, cb, arg);
	for (i = 0; t != NULL && i < t->n; i++)
		if (t->l[i]->dial != NULL) {
			/* Runs from the loop: never call back from here. */
			c->next = c->limit;
			t->l[i]->dial(c, t->ctx[i]);
			return c;
		}
	connect_bottom(c);
	return c;
}

struct transport_connect *
transport_dial_below(struct transport_connect *above,
    transport_connect_cb *cb, void *arg)
{
	struct transport_connect *c;
	size_t			  i;

	c = connect_new(above->t, above->base, above->dns, &above->to,
	    above->family, above->tries, cb, arg);
	for (i = 0; i < c->t->n && c->t->l[i]->dial == NULL; i++)
		;
	c->limit = i;
	connect_bottom(c);
	return c;
}

struct transport_connect *
transport_dial_over(struct transport *t, struct event_base *base,
    struct evdns_base *dns, const struct net_addr *to, struct bufferevent *bev,
    transport_connect_cb *cb, void *arg)
{
	struct transport_connect *c;
	size_t			  i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (t->l[i]->dial != NULL) {
			bufferevent_free(bev);
			return NULL;
		}
	c = connect_new(t, base, dns, to, 0, 0, cb, arg);
	c->top = bev;
	/* The layers start from the loop, as after a dial. */
	event_active(c->later, EV_TIMEOUT, 1);
	return c;
}

stream_shutdown_fn *
transport_shutdown_over(const struct transport *t, stream_shutdown_fn *base)
{
	size_t	 i;

	for (i = t != NULL ? t->n : 0; i > 0; i--)
		if (t->l[i - 1]->shutdown != NULL)
			return t->l[i - 1]->shutdown;
	return base;
}

void
transport_dial_cancel(struct transport_connect *c)
{
	if (c == NULL)
		return;
	net_dial_cancel(c->dial);
	connect_clear_state(c);
	if (c->top != NULL)
		bufferevent_free(c->top);
	event_free(c->later);
	free(c);
}

struct bufferevent *
transport_connect_top(struct transport_connect *c)
{
	return c->top;
}

struct event_base *
transport_connect_base(struct transport_connect *c)
{
	return c->base;
}

struct evdns_base *
transport_connect_dns(struct transport_connect *c)
{
	return c->dns;
}

const struct net_addr *
transport_connect_to(struct transport_connect *c)
{
	return &c->to;
}

void
transport_connect_set_state(struct transport_connect *c, void *state,
    void (*free_state)(void *))
{
	c->state = state;
	c->free_state = free_state;
}

void
transport_connect_stacked(struct transport_connect *c, struct bufferevent *top)
{
	c->top = top;
}

void
transport_connect_done(struct transport_connect *c, struct bufferevent *top)
{
	connect_clear_state(c);
	c->top = top;
	/* Layers finish from their own callbacks; the loop keeps it flat. */
	connect_next(c);
}

void
transport_connect_fail(struct transport_connect *c, const char *why)
{
	c->failed = true;
	snprintf(c->why, sizeof(c->why), "%s", why);
	/* From the loop: the failing layer may still be on the stack. */
	event_active(c->later, EV_TIMEOUT, 1);
}
