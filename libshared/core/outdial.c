/* SPDX-License-Identifier: MIT */
/*
 * outdial.c: an outbound's connection, direct or through the outbound its
 * proxySettings.tag names. A chained connection is an internal session
 * (client side a bufferevent pair) routed to nothing but that outbound;
 * the dialing outbound gets a pass-through filter over the pair's other
 * end, whose free hook is how the carrying session learns it is no
 * longer wanted (freeing a pair end tells its partner nothing).
 */
#include "core/outdial.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "core/engine.h"

/* Shared by the carrying session and the stream handed out. */
struct chain {
	struct session		*link;		/* NULL once it ended */
	struct bufferevent	*top;		/* NULL once freed */
	struct event		*ev;		/* ends the link from the loop */
	int			 refs;
};

struct outbound_dial {
	struct transport_connect *nd;
	struct event		*ready;		/* reports a failed chain */
	char			 why[160];
	transport_connect_cb	*cb;
	void			*arg;
};

static void
chain_unref(struct chain *ch)
{
	if (--ch->refs > 0)
		return;
	event_free(ch->ev);
	free(ch);
}

static void
chain_end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chain	*ch = arg;

	ch->refs++;
	if (ch->link != NULL)
		session_close(ch->link, NULL);
	chain_unref(ch);
}

/* The carrying session ended: what the dialer holds reads EOF. */
static void
link_gone(void *arg)
{
	struct chain	*ch = arg;

	ch->link = NULL;
	if (ch->top != NULL)
		bufferevent_trigger_event(ch->top, BEV_EVENT_EOF,
		    BEV_TRIG_DEFER_CALLBACKS);
	chain_unref(ch);
}

/* The dialer freed its stream: the carrying session goes too. */
static void
top_gone(void *arg)
{
	struct chain	*ch = arg;

	ch->top = NULL;
	/* Not from inside a free that a session teardown may be running. */
	if (ch->link != NULL)
		event_active(ch->ev, EV_TIMEOUT, 1);
	chain_unref(ch);
}

static void
direct_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct outbound_dial	*d = arg;
	transport_connect_cb	*cb = d->cb;
	void			*cbarg = d->arg;

	d->nd = NULL;
	outbound_dial_cancel(d);
	cb(bev, err, cbarg);
}

static void
ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbound_dial	*d = arg;
	transport_connect_cb	*cb = d->cb;
	void			*cbarg = d->arg;
	char			 why[sizeof(d->why)];

	snprintf(why, sizeof(why), "%s", d->why);
	outbound_dial_cancel(d);
	cb(NULL, why, cbarg);
}

/* The stream through `via`: an internal session opened by its handler. */
static struct bufferevent *
chain_open(struct outbound_rt *via, const struct net_addr *to)
{
	struct session		*link;
	struct bufferevent	*peer, *top;
	struct chain		*ch;

	if ((link = session_new_internal(via->eng, to, &peer)) == NULL)
		return NULL;
	ch = xcalloc(1, sizeof(*ch));
	top = bufferevent_filter_new(peer, NULL, NULL, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, top_gone, ch);
	if (top == NULL) {
		free(ch);
		bufferevent_free(peer);
		session_close(link, "proxySettings: no stream");
		return NULL;
	}
	ch->link = link;
	ch->top = top;
	ch->refs = 2;
	ch->ev = evtimer_new(via->eng->base, chain_end_cb, ch);
	link->on_close = link_gone;
	link->on_close_arg = ch;
	link->out = via;
	via->ops->open(link);	/* may end link now: top then reads EOF */
	return top;
}

struct outbound_dial *
outbound_dial(struct outbound_rt *ob, const struct net_addr *to, int family,
    int tries, transport_connect_cb *cb, void *arg)
{
	struct outbound_dial	*d = xcalloc(1, sizeof(*d));
	struct outbound_rt	*via;
	struct bufferevent	*top = NULL;
	char			 a[NET_ADDRSTRLEN];

	d->cb = cb;
	d->arg = arg;
	if (ob->c->proxy_tag == NULL) {
		d->nd = transport_dial(ob->tp, ob->eng->base, ob->eng->dns, to,
		    family, tries, direct_cb, d);
		return d;
	}
	log_debug("proxying to %s through %s", net_addr_str(to, a,
	    sizeof(a)), ob->c->proxy_tag);
	if ((via = engine_outbound(ob->eng, ob->c->proxy_tag)) == NULL)
		snprintf(d->why, sizeof(d->why), "proxySettings: no outbound "
		    "tagged %.64s", ob->c->proxy_tag);
	else if ((top = chain_open(via, to)) == NULL)
		snprintf(d->why, sizeof(d->why), "proxySettings: cannot open "
		    "a stream through %.64s", ob->c->proxy_tag);
	/* TLS, WebSocket, the TCP header: stacked on the chain as on TCP. */
	else if ((d->nd = transport_dial_over(ob->tp, ob->eng->base,
	    ob->eng->dns, to, top, direct_cb, d)) != NULL)
		return d;
	else
		snprintf(d->why, sizeof(d->why), "proxySettings: HTTP/2 "
		    "cannot go through %.64s", ob->c->proxy_tag);
	d->ready = evtimer_new(ob->eng->base, ready_cb, d);
	event_active(d->ready, EV_TIMEOUT, 1);
	return d;
}

void
outbound_dial_cancel(struct outbound_dial *d)
{
	if (d == NULL)
		return;
	transport_dial_cancel(d->nd);
	if (d->ready != NULL)
		event_free(d->ready);
	free(d);
}

stream_shutdown_fn *
outbound_dial_shutdown(const struct outbound_rt *ob)
{
	if (ob->c->proxy_tag != NULL)
		return transport_shutdown_over(ob->tp, stream_shutdown_pair);
	return transport_shutdown(ob->tp);
}

int
outbound_servers_start(struct outbound_rt *ob, char *err, size_t len)
{
	if (ob->c->nvnext == 0) {
		snprintf(err, len, "%s outbound has no server",
		    ob->ops->name);
		return -1;
	}
	ob->state = xcalloc(1, sizeof(uint64_t));
	return 0;
}

void
outbound_servers_stop(struct outbound_rt *ob)
{
	free(ob->state);
	ob->state = NULL;
}

const struct conf_server *
outbound_next_server(struct outbound_rt *ob, const struct conf_account **acc)
{
	uint64_t			 n = (*(uint64_t *)ob->state)++;
	const struct conf_server	*srv;

	srv = &ob->c->vnext[n % ob->c->nvnext];
	*acc = srv->naccounts > 0 ?
	    &srv->accounts[(n / ob->c->nvnext) % srv->naccounts] : NULL;
	return srv;
}
