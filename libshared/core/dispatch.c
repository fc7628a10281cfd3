/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c: sniff → route → outbound, as V2Ray 4.34's dispatcher
 * (mux-reverse-socks-routing-config.md §4.2, §6): at most two sniffing
 * attempts of up to 100 ms each over the first 2048 bytes; destOverride
 * replaces the address and keeps the port; the router may ask for DNS.
 */
#include "core/dispatch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "core/session.h"
#include "core/udp.h"
#include "dns/dns.h"
#include "route/route.h"
#include "sniff/sniff.h"
#include "stats/stats.h"

#define SNIFF_ATTEMPTS	2
#define SNIFF_WAIT_MS	100
#define DNS_MAX_IPS	8

struct dispatch {
	struct session		*s;
	struct event		*sniff_timer;
	unsigned		 alive;		/* sniffers still racing */
	int			 attempts;
	struct vdns_req		*dns_req;	/* dns/dns.c */
	bool			 resolved_done;
	struct route_ip		 ips[DNS_MAX_IPS];
	size_t			 nips;
};

static void	route_session(struct dispatch *);

static void
dispatch_free(struct session *s)
{
	struct dispatch	*d = s->out_state;

	if (d == NULL)
		return;
	if (d->sniff_timer != NULL)
		event_free(d->sniff_timer);
	vdns_cancel(d->dns_req);
	free(d);
	s->out_state = NULL;
	s->out_free = NULL;
}

/* While dispatching, the client may still talk or go away. */
static void
client_read_cb(struct bufferevent *bev, void *arg);

/* The dispatch state, while the session is still being routed. */
static struct dispatch *
dispatching(struct session *s)
{
	return s->state == SESSION_DISPATCH && s->out == NULL ?
	    s->out_state : NULL;
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session	*s = arg;
	struct dispatch	*d;

	if (what & BEV_EVENT_EOF) {
		/* Payload so far stays buffered for the outbound. */
		s->flags |= SESSION_C_EOF;
		bufferevent_disable(bev, EV_READ);
		if ((d = dispatching(s)) != NULL && d->sniff_timer != NULL)
			client_read_cb(bev, arg);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		session_close(s, "client closed while dispatching");
}

static void
apply_override(struct session *s, const struct sniff_out *so)
{
	const struct conf_inbound *ci = s->in->c;
	bool	 over = false;

	snprintf(s->proto, sizeof(s->proto), "%s", so->protocol);
	if (so->domain[0] == '\0')
		return;
	snprintf(s->sniffed, sizeof(s->sniffed), "%s", so->domain);
	/* destOverride entries match by prefix: "http" covers "http1". */
	if (ci->sniff_http && strncmp(so->protocol, "http", 4) == 0)
		over = true;
	if (ci->sniff_tls && strcmp(so->protocol, "tls") == 0)
		over = true;
	if (over)
		net_addr_set(&s->dst, so->domain, s->dst.port);
}

static void
sniff_finish(struct dispatch *d)
{
	struct session	*s = d->s;

	event_free(d->sniff_timer);
	d->sniff_timer = NULL;
	bufferevent_setcb(s->cbev, NULL, NULL, client_event_cb, s);
	route_session(d);
}

/*
 * One attempt: 1 when sniffing is over (found, refused or out of tries),
 * 0 to wait for more, -1 when the session was closed.
 */
static int
sniff_attempt(struct dispatch *d)
{
	struct session		*s = d->s;
	struct evbuffer		*in = bufferevent_get_input(s->cbev);
	size_t			 n;
	struct sniff_out	 so;
	enum sniff_result	 r;
	const uint8_t		*p;
	const char		*err = NULL;
	int			 rc;

	if (s->c_codec != NULL) {
		/* Sniff the plaintext: decode what came so far, keep it. */
		if (s->cplain == NULL)
			s->cplain = evbuffer_new();
		rc = s->c_codec->decode(s->c_codec_ctx, in, s->cplain, &err);
		if (rc == -1) {
			session_close(s, err);
			return -1;
		}
		if (rc == 1)
			s->flags |= SESSION_C_EOF;
		in = s->cplain;
	}
	n = evbuffer_get_length(in);

	if (n > SNIFF_WINDOW)
		n = SNIFF_WINDOW;
	if (n > 0) {
		p = evbuffer_pullup(in, (ev_ssize_t)n);
		memset(&so, 0, sizeof(so));
		r = sniff_run(p, n, &d->alive, &so);
		if (r == SNIFF_FOUND) {
			apply_override(s, &so);
			return 1;
		}
		if (r == SNIFF_NOT)
			return 1;
	}
	return ++d->attempts >= SNIFF_ATTEMPTS || (s->flags & SESSION_C_EOF);
}

static void
sniff_arm(struct dispatch *d)
{
	struct timeval	 tv = { 0, SNIFF_WAIT_MS * 1000 };

	evtimer_add(d->sniff_timer, &tv);
}

static void
sniff_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch	*d = arg;
	int		 r = sniff_attempt(d);

	if (r == 1)
		sniff_finish(d);
	else if (r == 0)
		sniff_arm(d);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	struct dispatch	*d = dispatching(s);

	int		 r;

	if (d == NULL || d->sniff_timer == NULL)
		return;
	if ((r = sniff_attempt(d)) == 1)
		sniff_finish(d);
	else if (r == 0)
		sniff_arm(d);
}

static void
fill_query(struct session *s, struct dispatch *d, struct route_query *q)
{
	memset(q, 0, sizeof(*q));
	q->network = s->network;
	if (net_addr_is_ip(&s->dst)) {
		q->ip.family = s->dst.family;
		memcpy(q->ip.addr, s->dst.ip, 16);
	} else
		q->domain = s->dst.domain;
	q->port = s->dst.port;
	if (net_addr_is_ip(&s->src)) {
		q->has_source = true;
		q->source.family = s->src.family;
		memcpy(q->source.addr, s->src.ip, 16);
		q->source_port = s->src.port;
	}
	q->user = s->user;
	q->inbound_tag = s->in_tag != NULL ? s->in_tag :
	    s->in != NULL ? s->in->c->tag : NULL;
	q->protocol = s->proto[0] != '\0' ? s->proto : NULL;
	if (d != NULL) {
		q->resolved_done = d->resolved_done;
		q->resolved = d->ips;
		q->nresolved = d->nips;
	}
}

static struct outbound_rt *
pick_outbound(struct engine *eng, enum route_verdict v, const char *tag)
{
	struct outbound_rt	*ob;

	if (v == ROUTE_MATCHED) {
		if ((ob = engine_outbound(eng, tag)) != NULL)
			return ob;
		log_warn("route: non existing tag: %s, using the default", tag);
	}
	return eng->noutbounds > 0 ? &eng->outbounds[0] : NULL;
}

size_t
dispatch_addrinfo_ips(const struct evutil_addrinfo *res, struct route_ip *ips,
    size_t max)
{
	const struct evutil_addrinfo	*ai;
	size_t				 n = 0;

	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			ips[n].family = AF_INET;
			memcpy(ips[n].addr, &((const struct sockaddr_in *)
			    (const void *)ai->ai_addr)->sin_addr, 4);
			n++;
		} else if (ai->ai_family == AF_INET6) {
			ips[n].family = AF_INET6;
			memcpy(ips[n].addr, &((const struct sockaddr_in6 *)
			    (const void *)ai->ai_addr)->sin6_addr, 16);
			n++;
		}
	}
	return n;
}

static void
dns_cb(int rcode, const struct route_ip *ips, size_t nips, void *arg)
{
	struct dispatch		*d = arg;

	d->dns_req = NULL;
	d->resolved_done = true;
	d->nips = nips < DNS_MAX_IPS ? nips : DNS_MAX_IPS;
	memcpy(d->ips, ips, d->nips * sizeof(*ips));
	route_session(d);
}

/* Through the dns object (hosts, servers, cache), as 4.34's router. */
static void
resolve(struct dispatch *d)
{
	d->dns_req = vdns_lookup(d->s->eng->vdns, d->s->dst.domain, AF_UNSPEC,
	    dns_cb, d);
}

/* A name about to be dialed directly that the table guards. */
static bool
must_check_name(const struct engine *eng, const struct route_query *q,
    const struct outbound_rt *ob)
{
	return q->domain != NULL && !q->resolved_done && ob != NULL &&
	    ob->ops->proto == CONF_PROTO_FREEDOM && route_guarded(eng->rt);
}

/* What the router checked is what a direct dial may use. */
static void
keep_addresses(struct session *s, const struct dispatch *d)
{
	if (!d->resolved_done || net_addr_is_ip(&s->dst))
		return;
	s->dst_resolved = true;
	if (d->nips > 0) {
		s->dst_ips = xcalloc(d->nips, sizeof(*s->dst_ips));
		memcpy(s->dst_ips, d->ips, d->nips * sizeof(*d->ips));
		s->ndst_ips = d->nips;
	}
}

static void
route_session(struct dispatch *d)
{
	struct session		*s = d->s;
	struct engine		*eng = s->eng;
	struct route_query	 q;
	enum route_verdict	 v;
	const char		*tag = NULL;
	int			 idx;

	fill_query(s, d, &q);
	v = route_match(eng->rt, &q, &tag, &idx);
	if (v == ROUTE_NEED_IPS) {
		resolve(d);
		return;
	}
	s->out = pick_outbound(eng, v, tag);
	if (must_check_name(eng, &q, s->out)) {
		s->out = NULL;
		resolve(d);
		return;
	}
	stats_route(v == ROUTE_MATCHED ? idx : -1, s->out);
	keep_addresses(s, d);
	dispatch_free(s);
	if (s->out == NULL) {
		session_close(s, "no outbound");
		return;
	}
	session_log_accept(s);
	bufferevent_setcb(s->cbev, NULL, NULL, client_event_cb, s);
	s->out->ops->open(s);
}

void
dispatch_start(struct session *s)
{
	struct dispatch	*d = xcalloc(1, sizeof(*d));

	session_handshake_done(s);
	net_addr_normalize(&s->dst);
	d->s = s;
	d->alive = SNIFF_ALL;
	s->out_state = d;
	s->out_free = dispatch_free;
	bufferevent_setcb(s->cbev, NULL, NULL, client_event_cb, s);
	if (s->network == CONF_NETBIT_TCP && s->in != NULL &&
	    s->in->c->sniff_enabled) {
		d->sniff_timer = evtimer_new(s->eng->base, sniff_timer_cb, d);
		bufferevent_setcb(s->cbev, client_read_cb, NULL,
		    client_event_cb, s);
		bufferevent_enable(s->cbev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_input(s->cbev)) > 0)
			client_read_cb(s->cbev, s);
		else
			sniff_arm(d);
		return;
	}
	route_session(d);
}

static struct outbound_rt *
route_flow(struct udp_flow *f, const struct route_ip *ips, size_t nips,
    bool count)
{
	struct outbound_rt	*ob;
	struct session		 fake;
	struct route_query	 q;
	const char		*tag = NULL;
	enum route_verdict	 v;
	int			 idx;

	memset(&fake, 0, sizeof(fake));
	fake.network = CONF_NETBIT_UDP;
	fake.src = f->src;
	fake.dst = f->dst;
	net_addr_normalize(&fake.dst);
	fake.user = f->user;
	fake.in = f->in;
	fake.in_tag = f->in_tag;
	fill_query(&fake, NULL, &q);
	q.resolved_done = true;
	q.resolved = ips;
	q.nresolved = nips;
	v = route_match(f->eng->rt, &q, &tag, &idx);
	ob = pick_outbound(f->eng, v, tag);
	if (count)
		stats_route(v == ROUTE_MATCHED ? idx : -1, ob);
	return ob;
}

struct outbound_rt *
dispatch_route_flow(struct udp_flow *f)
{
	/* UDP does not wait for DNS: IP rules do not match a name here. */
	return route_flow(f, NULL, 0, true);
}

bool
dispatch_flow_allowed(struct udp_flow *f, const struct route_ip *ips,
    size_t nips)
{
	return !route_guarded(f->eng->rt) ||
	    route_flow(f, ips, nips, false) == f->out;
}
