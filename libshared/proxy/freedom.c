/* SPDX-License-Identifier: MIT */
/*
 * freedom.c: the direct outbound (mux-reverse-socks-routing-config.md
 * §5.2): dial the destination (or `redirect`), resolving domains through
 * evdns without blocking; 5 attempts with 0/100/200/300/400 ms pauses as
 * 4.34; UDP through a connected socket per flow.
 */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "core/dispatch.h"
#include "core/outdial.h"
#include "core/session.h"
#include "core/udp.h"
#include "dns/dns.h"

#define FREEDOM_TRIES	5
#define UDP_QUEUE_MAX	16
#define UDP_CHECK_IPS	8	/* answers checked against a guarded table */

/* Where a session really goes: its destination, or `redirect`. */
static void
freedom_target(const struct conf_outbound *co, const struct net_addr *dst,
    struct net_addr *t)
{
	struct net_addr	 r;

	*t = *dst;
	if (co->redirect == NULL || net_addr_parse_hostport(&r,
	    co->redirect) == -1)
		return;
	/* ":port" and "0.0.0.0" keep the original host; port 0 keeps port. */
	if ((r.family == 0 && r.domain[0] != '\0') || (r.family == AF_INET &&
	    memcmp(r.ip, "\0\0\0\0", 4) != 0) || r.family == AF_INET6) {
		t->family = r.family;
		memcpy(t->ip, r.ip, sizeof(t->ip));
		memcpy(t->domain, r.domain, sizeof(t->domain));
	}
	if (r.port != 0)
		t->port = r.port;
}

static int
dns_family(enum conf_dstrategy ds)
{
	switch (ds) {
	case CONF_DS_USEIPV4:
		return AF_INET;
	case CONF_DS_USEIPV6:
		return AF_INET6;
	default:
		return AF_UNSPEC;
	}
}

static void
dial_free(struct session *s)
{
	outbound_dial_cancel(s->out_state);
	s->out_state = NULL;
	s->out_free = NULL;
}

static void
dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct session	*s = arg;

	s->out_state = NULL;	/* the dial freed itself */
	s->out_free = NULL;
	if (bev == NULL) {
		session_close(s, err);
		return;
	}
	s->rbev = bev;
	s->r_shutdown = outbound_dial_shutdown(s->out);
	session_relay(s);
}

/*
 * The name was resolved and checked by the router: dial one of exactly
 * those addresses (of the family the strategy wants), never look it up
 * again, so a rebinding answer cannot swap in an address nobody checked.
 */
static int
checked_address(const struct session *s, int family, struct net_addr *t)
{
	size_t	i;

	for (i = 0; i < s->ndst_ips; i++) {
		if (family != AF_UNSPEC && s->dst_ips[i].family != family)
			continue;
		t->family = s->dst_ips[i].family;
		memcpy(t->ip, s->dst_ips[i].addr, sizeof(t->ip));
		memset(t->domain, 0, sizeof(t->domain));
		return 0;
	}
	return -1;
}

static void
freedom_connect(struct session *s)
{
	struct net_addr	 target;
	int		 family = dns_family(s->out->c->domain_strategy);
	char		 why[NET_ADDRSTRLEN + 40];

	freedom_target(s->out->c, &s->dst, &target);
	if (s->dst_resolved && target.family == 0 &&
	    strcmp(target.domain, s->dst.domain) == 0 &&
	    checked_address(s, family, &target) == -1) {
		snprintf(why, sizeof(why), "cannot resolve %s", s->dst.domain);
		session_close(s, why);
		return;
	}
	s->out_free = dial_free;
	s->out_state = outbound_dial(s->out, &target, family, FREEDOM_TRIES,
	    dialed_cb, s);
}

static void
useip_free(struct session *s)
{
	vdns_cancel(s->out_state);
	s->out_state = NULL;
	s->out_free = NULL;
}

static void
useip_cb(int rcode, const struct route_ip *ips, size_t nips, void *arg)
{
	struct session	*s = arg;

	s->out_state = NULL;
	s->out_free = NULL;
	/* As 4.34: a failed lookup dials the name (system resolver). */
	if (nips > 0) {
		s->dst_resolved = true;
		s->dst_ips = xcalloc(nips, sizeof(*s->dst_ips));
		memcpy(s->dst_ips, ips, nips * sizeof(*ips));
		s->ndst_ips = nips;
	}
	freedom_connect(s);
}

/*
 * UseIP, UseIPv4, UseIPv6: the dns object (hosts, servers, cache) picks
 * the address, as 4.34's resolveIP; AsIs dials the name.
 */
static void
freedom_open(struct session *s)
{
	struct net_addr	 t;

	freedom_target(s->out->c, &s->dst, &t);
	if (s->out->c->domain_strategy == CONF_DS_ASIS || s->dst_resolved ||
	    t.family != 0 || strcmp(t.domain, s->dst.domain) != 0) {
		freedom_connect(s);
		return;
	}
	s->out_free = useip_free;
	s->out_state = vdns_lookup(s->eng->vdns, t.domain,
	    dns_family(s->out->c->domain_strategy), useip_cb, s);
}

/* UDP: one connected socket per flow. */
struct freedom_udp {
	struct udp_flow	*f;
	int		 fd;
	struct event	*ev;
	struct evdns_getaddrinfo_request *req;
	struct vdns_req	*vreq;		/* UseIP* */
	uint16_t	 port;
	bool		 resolving;
	/* Datagrams that arrive while the name is being resolved. */
	struct evbuffer	*queue;
	size_t		 nqueued;
};

static void
fudp_read_cb(evutil_socket_t sock, short what, void *arg)
{
	struct freedom_udp	*u = arg;
	static uint8_t		 buf[UDP_MAX_DATAGRAM];
	ssize_t			 n;
	int			 i;

	/* Bounded per wakeup so one busy flow cannot starve the loop. */
	for (i = 0; i < 64; i++) {
		n = recv(sock, buf, sizeof(buf), 0);
		if (n < 0)
			return;
		udp_flow_reply(u->f, buf, (size_t)n);
	}
}

static int
fudp_connect(struct freedom_udp *u, const struct sockaddr *sa, socklen_t len)
{
	u->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (u->fd == -1)
		return -1;
	if (connect(u->fd, sa, len) == -1)
		return -1;
	u->ev = event_new(u->f->eng->base, u->fd, EV_READ | EV_PERSIST,
	    fudp_read_cb, u);
	event_add(u->ev, NULL);
	return 0;
}

static void
fudp_flush_queue(struct freedom_udp *u)
{
	uint32_t	 len;
	uint8_t		 buf[UDP_MAX_DATAGRAM];

	while (evbuffer_remove(u->queue, &len, sizeof(len)) == sizeof(len)) {
		evbuffer_remove(u->queue, buf, len);
		if (u->fd != -1)
			send(u->fd, buf, len, 0);
	}
	u->nqueued = 0;
}

static void
fudp_dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct freedom_udp	*u = arg;
	struct route_ip		 ips[UDP_CHECK_IPS];
	size_t			 nips;

	u->req = NULL;
	u->resolving = false;
	if (result == EVUTIL_EAI_CANCEL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	nips = res != NULL ? dispatch_addrinfo_ips(res, ips, UDP_CHECK_IPS) : 0;
	if (result == 0 && res != NULL &&
	    !dispatch_flow_allowed(u->f, ips, nips))
		log_info("freedom: udp to %s: its address is blocked by "
		    "routing", u->f->dst.domain);
	else if (result != 0 || res == NULL ||
	    fudp_connect(u, res->ai_addr, res->ai_addrlen) == -1)
		log_info("freedom: udp to %s: cannot resolve or connect",
		    u->f->dst.domain);
	if (res != NULL)
		evutil_freeaddrinfo(res);
	fudp_flush_queue(u);
}

static int
fudp_send(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct freedom_udp	*u = f->out_state;
	uint32_t		 len = (uint32_t)n;

	if (u->resolving) {
		if (u->nqueued >= UDP_QUEUE_MAX)
			return 0;	/* UDP may drop; memory may not grow */
		evbuffer_add(u->queue, &len, sizeof(len));
		evbuffer_add(u->queue, p, n);
		u->nqueued++;
		return 0;
	}
	if (u->fd == -1)
		return -1;
	return send(u->fd, p, n, 0) == -1 ? -1 : 0;
}

static void
fudp_close(struct udp_flow *f)
{
	struct freedom_udp	*u = f->out_state;

	if (u == NULL)
		return;
	if (u->req != NULL)
		evdns_getaddrinfo_cancel(u->req);
	vdns_cancel(u->vreq);
	if (u->ev != NULL)
		event_free(u->ev);
	if (u->fd != -1)
		close(u->fd);
	evbuffer_free(u->queue);
	free(u);
	f->out_state = NULL;
}

/* The name through the system resolver, as 4.34's AsIs dial. */
static void
fudp_lookup_system(struct freedom_udp *u, const char *name)
{
	struct evutil_addrinfo		 hints;
	struct evdns_getaddrinfo_request *req;
	char				 port[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = dns_family(u->f->out->c->domain_strategy);
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(port, sizeof(port), "%u", u->port);
	u->resolving = true;	/* queue datagrams until the answer */
	req = evdns_getaddrinfo(u->f->eng->dns, name, port, &hints,
	    fudp_dns_cb, u);
	/* NULL: the callback already ran (hosts file or failure). */
	if (req != NULL)
		u->req = req;
}

static void
fudp_vdns_cb(int rcode, const struct route_ip *ips, size_t nips, void *arg)
{
	struct freedom_udp	*u = arg;
	struct net_addr		 a;
	struct sockaddr_storage	 ss;
	int			 len;

	u->vreq = NULL;
	if (nips == 0) {
		fudp_lookup_system(u, u->f->dst.domain);
		return;
	}
	u->resolving = false;
	memset(&a, 0, sizeof(a));
	a.family = ips[0].family;
	memcpy(a.ip, ips[0].addr, sizeof(a.ip));
	a.port = u->port;
	if (!dispatch_flow_allowed(u->f, ips, nips))
		log_info("freedom: udp to %s: its address is blocked by "
		    "routing", u->f->dst.domain);
	else if ((len = net_addr_to_sockaddr(&a, &ss)) == -1 ||
	    fudp_connect(u, (struct sockaddr *)&ss, (socklen_t)len) == -1)
		log_info("freedom: udp to %s: cannot connect",
		    u->f->dst.domain);
	fudp_flush_queue(u);
}

static int
freedom_udp_open(struct udp_flow *f)
{
	struct freedom_udp		*u;
	struct net_addr			 t;
	struct sockaddr_storage		 ss;
	int				 len;

	freedom_target(f->out->c, &f->dst, &t);
	/*
	 * proxySettings: 4.34 dials the datagrams through the named outbound
	 * too; the flow becomes that outbound's, to the same target.
	 */
	if (f->out->c->proxy_tag != NULL) {
		if ((f->out = engine_outbound(f->eng,
		    f->out->c->proxy_tag)) == NULL)
			return -1;
		f->dst = t;
		return f->out->ops->udp_open != NULL ?
		    f->out->ops->udp_open(f) : -1;
	}
	u = xcalloc(1, sizeof(*u));
	u->f = f;
	u->fd = -1;
	u->queue = evbuffer_new();
	f->out_state = u;
	f->send = fudp_send;
	f->out_close = fudp_close;
	net_addr_normalize(&t);
	if ((len = net_addr_to_sockaddr(&t, &ss)) != -1)
		return fudp_connect(u, (struct sockaddr *)&ss,
		    (socklen_t)len);
	u->port = t.port;
	if (f->out->c->domain_strategy == CONF_DS_ASIS ||
	    strcmp(t.domain, f->dst.domain) != 0) {
		fudp_lookup_system(u, t.domain);
		return 0;
	}
	u->resolving = true;
	u->vreq = vdns_lookup(f->eng->vdns, t.domain,
	    dns_family(f->out->c->domain_strategy), fudp_vdns_cb, u);
	return 0;
}

const struct outbound_ops freedom_outbound_ops = {
	.name = "freedom",
	.proto = CONF_PROTO_FREEDOM,
	.open = freedom_open,
	.udp_open = freedom_udp_open,
};
