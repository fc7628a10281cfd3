/* SPDX-License-Identifier: MIT */
/*
 * engine.c: build the runtime from a checked model — handlers by name from
 * the tool's tables, the router, DNS, TCP listeners that shed silent
 * handshakes under descriptor pressure instead of refusing real clients.
 */
#include "core/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "base/log.h"
#include "core/dynport.h"
#include "dns/dns.h"
#include "base/util.h"
#include "net/srccap.h"
#include "core/udp.h"
#include "route/route.h"
#include "transport/dial.h"
#include "transport/transport.h"

static const struct inbound_ops *
find_in(const struct tool *t, enum conf_proto p)
{
	const struct inbound_ops *const	*o;

	for (o = t->inbounds; o != NULL && *o != NULL; o++)
		if ((*o)->proto == p)
			return *o;
	return NULL;
}

static const struct outbound_ops *
find_out(const struct tool *t, enum conf_proto p)
{
	const struct outbound_ops *const *o;

	for (o = t->outbounds; o != NULL && *o != NULL; o++)
		if ((*o)->proto == p)
			return *o;
	return NULL;
}

/* "vserver or vportal": the tools that do offer what t lacks. */
static void
who_offers(bool inbound, enum conf_proto p, char *buf, size_t len)
{
	const struct tool *const	*t;
	size_t				 n = 0, used = 0;

	buf[0] = '\0';
	for (t = tool_all; *t != NULL; t++) {
		if (inbound ? find_in(*t, p) == NULL : find_out(*t, p) == NULL)
			continue;
		used += (size_t)snprintf(buf + used, len > used ? len - used : 0,
		    "%s%s", n++ ? " or " : "", (*t)->name);
	}
	if (n == 0)
		snprintf(buf, len, "no tool");
}

int
engine_check_tool(const struct tool *t, const struct conf *c,
    struct conf_diag *d)
{
	char	 alt[128];
	size_t	 i;
	int	 bad = 0;

	for (i = 0; i < c->ninbounds; i++) {
		if (find_in(t, c->inbounds[i].proto) != NULL)
			continue;
		who_offers(true, c->inbounds[i].proto, alt, sizeof(alt));
		conf_err(d, "%s: inbounds[%zu]: %s does not offer a %s inbound; "
		    "use %s", c->path ? c->path : "config", i, t->name,
		    conf_proto_name(c->inbounds[i].proto), alt);
		bad = 1;
	}
	for (i = 0; i < c->noutbounds; i++) {
		if (find_out(t, c->outbounds[i].proto) != NULL)
			continue;
		who_offers(false, c->outbounds[i].proto, alt, sizeof(alt));
		conf_err(d, "%s: outbounds[%zu]: %s does not offer a %s outbound;"
		    " use %s", c->path ? c->path : "config", i, t->name,
		    conf_proto_name(c->outbounds[i].proto), alt);
		bad = 1;
	}
	if (c->nbridges > 0 && !t->bridges) {
		conf_err(d, "%s: reverse.bridges: %s is not a bridge; use vbridge",
		    c->path ? c->path : "config", t->name);
		bad = 1;
	}
	/* Reverse already multiplexes; Mux under it only adds a layer. */
	if (c->nbridges > 0 && t->bridges)
		for (i = 0; i < c->noutbounds; i++)
			if (c->outbounds[i].mux_enabled)
				conf_warn(d, "%s: outbounds[%zu]%s%s: Mux is "
				    "enabled on an outbound of a bridge; reverse "
				    "links are multiplexed already, turn it off",
				    c->path ? c->path : "config", i,
				    c->outbounds[i].tag ? " " : "",
				    c->outbounds[i].tag ? c->outbounds[i].tag :
				    "");
	if (c->nportals > 0 && t->portals == NULL) {
		conf_err(d, "%s: reverse.portals: %s is not a portal; use vportal",
		    c->path ? c->path : "config", t->name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

struct outbound_rt *
engine_outbound(struct engine *eng, const char *tag)
{
	size_t	 i;

	/* Duplicate tags: the later one wins, as in V2Ray. */
	for (i = eng->noutbounds; i-- > 0;)
		if (eng->outbounds[i].c->tag != NULL &&
		    strcmp(eng->outbounds[i].c->tag, tag) == 0)
			return &eng->outbounds[i];
	return NULL;
}

bool
engine_shed(struct engine *eng)
{
	struct session	*s = session_oldest_handshake(eng);

	if (s == NULL)
		return false;
	stats_handshake_fail(s, STATS_HS_SHED);
	session_reject(s, "shed: out of descriptors, oldest handshake closed");
	return true;
}

/*
 * An inbound with transport layers (TLS, WebSocket, ...): the handler
 * starts once they are done; until then the session's handshake timer,
 * the handshake list and the per-source cap cover the connection like any
 * other, and its client stream is the top of what is stacked so far.
 */
static void
tp_stacked(void *arg, struct bufferevent *top)
{
	struct session	*s = arg;

	s->cbev = top;
}

static void
tp_source(void *arg, const struct sockaddr *sa, socklen_t len)
{
	session_set_source(arg, sa);
}

static void
tp_ready(void *arg, struct bufferevent *top)
{
	struct session	*s = arg;

	s->tacc = NULL;
	s->cbev = top;
	s->in->ops->accept(s);
}

static void
tp_failed(void *arg, const char *why)
{
	session_reject(arg, why);
}

static void
tp_adopted(void *arg)
{
	struct session	*s = arg;

	/* The transport keeps the connection; its streams are sessions. */
	s->tacc = NULL;
	s->cbev = NULL;
	s->flags |= SESSION_LOGGED;
	session_close(s, NULL);
}

static void	engine_accept(struct inbound_rt *, struct bufferevent *,
		    const struct sockaddr *, bool);

static void
tp_stream(void *owner, struct bufferevent *bev, const struct sockaddr *src,
    socklen_t srclen)
{
	engine_accept(owner, bev, src, false);
}

/* An adopted HTTP/2 connection counts as a session of its inbound. */
static void
tp_hold(void *owner, bool on)
{
	struct inbound_rt	*ib = owner;

	if (on)
		ib->nsess++;
	else
		engine_inbound_release(ib);
}

static const struct transport_accept_hooks tp_hooks = {
	tp_stacked, tp_source, tp_ready, tp_failed, tp_adopted, tp_stream,
	tp_hold
};

/* A new stream on inbound ib; layered: run ib's transport layers first. */
static void
engine_accept(struct inbound_rt *ib, struct bufferevent *bev,
    const struct sockaddr *sa, bool layered)
{
	struct session	*s;

	s = session_new(ib->eng, ib, bev, sa);
	if (layered) {
		s->c_shutdown = transport_shutdown(ib->tp);
		s->tacc = transport_accept(ib->tp, bev, sa,
		    sa == NULL ? 0 : sa->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
		    &tp_hooks, s, ib);
		if (s->tacc != NULL)
			return;
	} else
		s->c_shutdown = stream_shutdown_pair;
	ib->ops->accept(s);
}

/*
 * A new stream from a listener. A retired dynamic-port worker keeps its
 * mKCP socket for the sessions it has (they share it) but takes no new one.
 */
static void
listener_conn_cb(struct bufferevent *bev, const struct sockaddr *from,
    void *arg)
{
	struct inbound_rt	*ib = arg;

	if (ib->retired || ib->eng->stopping) {
		bufferevent_free(bev);
		return;
	}
	engine_accept(ib, bev, from, true);
}

static bool
listener_shed(void *arg)
{
	struct inbound_rt	*ib = arg;

	return engine_shed(ib->eng);
}

static const char *
default_listen(const struct conf_inbound *ci)
{
	return conf_inbound_listen(ci);
}

int
engine_listen_port(struct inbound_rt *ib, uint16_t port, char *err,
    size_t errlen)
{
	const char		*host = default_listen(ib->c);
	struct net_addr		 a;
	struct sockaddr_storage	 ss;
	struct transport_listener *l;
	int			 len;

	net_addr_set(&a, host, port);
	if ((len = net_addr_to_sockaddr(&a, &ss)) == -1) {
		snprintf(err, errlen, "listen address %s is not an IP", host);
		return -1;
	}
	l = transport_listen(ib->tp, ib->eng->base, (struct sockaddr *)&ss,
	    (socklen_t)len, listener_conn_cb, listener_shed, ib, err, errlen);
	if (l == NULL)
		return -1;
	ib->ls = xrealloc(ib->ls, (ib->nls + 1) * sizeof(*ib->ls));
	ib->ls[ib->nls++] = l;
	return 0;
}

static int
listen_tcp(struct inbound_rt *ib, char *err, size_t errlen)
{
	unsigned	 p;

	for (p = ib->c->port.from; p <= ib->c->port.to; p++)
		if (engine_listen_port(ib, (uint16_t)p, err, errlen) == -1)
			return -1;
	return 0;
}

/* Free the listeners; keep (keep_shared) those whose sessions share them. */
static void
listeners_free(struct inbound_rt *ib, bool keep_shared)
{
	size_t	 i, n = 0;

	for (i = 0; i < ib->nls; i++) {
		if (keep_shared && transport_listener_shared(ib->ls[i]))
			ib->ls[n++] = ib->ls[i];
		else
			transport_listener_free(ib->ls[i]);
	}
	ib->nls = n;
	if (n == 0) {
		free(ib->ls);
		ib->ls = NULL;
	}
}

void
engine_inbound_close(struct inbound_rt *ib)
{
	/* mKCP sessions share their listener's socket: a retiring worker
	 * keeps it until its last session ends (listener_conn_cb refuses
	 * new ones); otherwise it closes now, and its sessions with it. */
	listeners_free(ib, ib->retired);
	/* Pooled HTTP/2 connections must not carry new streams here. */
	transport_quiesce(ib->tp, ib);
	if (ib->dyn != NULL) {
		dynport_free(ib->dyn);
		ib->dyn = NULL;
	}
	if (ib->ops != NULL && ib->ops->quiesce != NULL)
		ib->ops->quiesce(ib);
}

void
engine_inbound_retire(struct inbound_rt *ib)
{
	ib->retired = true;
	engine_inbound_close(ib);
	if (ib->nsess > 0)
		return;
	listeners_free(ib, false);
	if (ib->ops != NULL && ib->ops->stop != NULL)
		ib->ops->stop(ib);
	free(ib);
}

void
engine_inbound_release(struct inbound_rt *ib)
{
	/* Only workers (dynamic ports) are ever retired and freed. */
	if (--ib->nsess > 0 || !ib->retired)
		return;
	listeners_free(ib, false);
	if (ib->ops != NULL && ib->ops->stop != NULL)
		ib->ops->stop(ib);
	free(ib);
}

struct inbound_rt *
engine_inbound(struct engine *eng, const char *tag)
{
	size_t	 i;

	for (i = 0; i < eng->ninbounds; i++)
		if (eng->inbounds[i].c->tag != NULL &&
		    strcmp(eng->inbounds[i].c->tag, tag) == 0)
			return &eng->inbounds[i];
	return NULL;
}

struct inbound_rt *
engine_previous_inbound(struct inbound_rt *ib)
{
	struct engine		*eng = ib->eng, *prev = eng->prev;
	struct inbound_rt	*old = NULL;
	size_t			 i;

	if (prev == NULL || ib < eng->inbounds ||
	    ib >= eng->inbounds + eng->ninbounds)
		return NULL;	/* not a reload, or a dynamic-port worker */
	i = (size_t)(ib - eng->inbounds);
	if (ib->c->tag != NULL)
		old = engine_inbound(prev, ib->c->tag);
	else if (i < prev->ninbounds && prev->inbounds[i].c->tag == NULL)
		old = &prev->inbounds[i];
	return old != NULL && old->ops == ib->ops && old->state != NULL ?
	    old : NULL;
}

void
engine_stop_listening(struct engine *eng)
{
	size_t	 i;

	for (i = 0; i < eng->ninbounds; i++)
		engine_inbound_close(&eng->inbounds[i]);
	for (i = 0; i < eng->noutbounds; i++)
		if (eng->outbounds[i].ops != NULL &&
		    eng->outbounds[i].ops->quiesce != NULL)
			eng->outbounds[i].ops->quiesce(&eng->outbounds[i]);
	if (eng->tool->bridges != NULL)
		eng->tool->bridges->quiesce(eng);
}

/* Descriptors are the budget for silent connections: take them all. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct engine *
engine_new(const struct tool *t, struct event_base *base, struct conf *c,
    char *err, size_t errlen)
{
	return engine_new_from(t, base, c, NULL, err, errlen);
}

struct engine *
engine_new_from(const struct tool *t, struct event_base *base, struct conf *c,
    struct engine *prev, char *err, size_t errlen)
{
	struct engine	*eng = xcalloc(1, sizeof(*eng));
	char		 rerr[512];
	size_t		 i, np;

	raise_nofile();
	eng->base = base;
	eng->tool = t;
	eng->prev = prev;
	eng->conf = c;
	TAILQ_INIT(&eng->sessions);
	TAILQ_INIT(&eng->handshaking);
	eng->hs_src = srccap_new();
	LIST_INIT(&eng->flows);
	if ((eng->rt = route_compile(c, rerr, sizeof(rerr))) == NULL) {
		snprintf(err, errlen, "routing: %s", rerr);
		goto fail;
	}
	eng->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (eng->dns == NULL) {
		/* No resolv.conf: still answer from /etc/hosts. */
		eng->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (eng->dns != NULL)
			evdns_base_load_hosts(eng->dns, NULL);
	}
	if ((eng->vdns = vdns_new(eng, &c->dns, err, errlen)) == NULL)
		goto fail;
	/* Portals are outbounds too, after the configured ones (§2.3). */
	np = t->portals != NULL ? c->nportals : 0;
	eng->portal_confs = xcalloc(np, sizeof(*eng->portal_confs));
	eng->outbounds = xcalloc(c->noutbounds + np, sizeof(*eng->outbounds));
	for (i = 0; i < c->noutbounds + np; i++) {
		struct outbound_rt *ob = &eng->outbounds[i];

		ob->eng = eng;
		if (i < c->noutbounds) {
			ob->c = &c->outbounds[i];
			ob->ops = find_out(t, ob->c->proto);
		} else {
			eng->portal_confs[i - c->noutbounds].tag =
			    c->portals[i - c->noutbounds].tag;
			ob->c = &eng->portal_confs[i - c->noutbounds];
			ob->ops = t->portals;
		}
		eng->noutbounds++;
		if (ob->ops == NULL) {
			snprintf(err, errlen, "%s cannot run a %s outbound",
			    t->name, conf_proto_name(ob->c->proto));
			goto fail;
		}
		if ((ob->tp = transport_new(&ob->c->stream, false, err,
		    errlen)) == NULL)
			goto fail;
		if (ob->ops->start != NULL && ob->ops->start(ob, err, errlen))
			goto fail;
	}
	eng->inbounds = xcalloc(c->ninbounds, sizeof(*eng->inbounds));
	for (i = 0; i < c->ninbounds; i++) {
		struct inbound_rt *ib = &eng->inbounds[i];

		ib->eng = eng;
		ib->c = &c->inbounds[i];
		ib->ops = find_in(t, ib->c->proto);
		eng->ninbounds++;
		if (ib->ops == NULL) {
			snprintf(err, errlen, "%s cannot run a %s inbound",
			    t->name, conf_proto_name(ib->c->proto));
			goto fail;
		}
		if ((ib->tp = transport_new(&ib->c->stream, true, err,
		    errlen)) == NULL)
			goto fail;
		if (ib->ops->start != NULL && ib->ops->start(ib, err, errlen)) {
			ib->ops = NULL;
			goto fail;
		}
		if (ib->c->allocate.present &&
		    ib->c->allocate.strategy == CONF_ALLOC_RANDOM) {
			/* Workers of their own take the ports, in turns. */
			if ((ib->dyn = dynport_new(ib, err, errlen)) == NULL)
				goto fail;
		} else if (ib->ops->tcp && !ib->no_tcp &&
		    listen_tcp(ib, err, errlen) == -1)
			goto fail;
	}
	if (t->bridges != NULL && t->bridges->start(eng) == -1) {
		snprintf(err, errlen, "cannot start the reverse bridges");
		goto fail;
	}
	log_attach(base);
	eng->prev = NULL;
	return eng;
 fail:
	engine_free(eng);
	return NULL;
}

void
engine_free(struct engine *eng)
{
	struct session	*s;
	size_t		 i;

	if (eng == NULL)
		return;
	eng->stopping = true;
	if (eng->tool->bridges != NULL)
		eng->tool->bridges->stop(eng);
	engine_stop_listening(eng);
	while ((s = TAILQ_FIRST(&eng->sessions)) != NULL)
		session_close(s, NULL);
	while (!LIST_EMPTY(&eng->flows))
		udp_flow_close(LIST_FIRST(&eng->flows));
	vdns_free(eng->vdns);
	eng->vdns = NULL;
	for (i = 0; i < eng->ninbounds; i++)
		if (eng->inbounds[i].ops != NULL &&
		    eng->inbounds[i].ops->stop != NULL)
			eng->inbounds[i].ops->stop(&eng->inbounds[i]);
	for (i = 0; i < eng->noutbounds; i++)
		if (eng->outbounds[i].ops != NULL &&
		    eng->outbounds[i].ops->stop != NULL)
			eng->outbounds[i].ops->stop(&eng->outbounds[i]);
	for (i = 0; i < eng->ninbounds; i++)
		transport_free(eng->inbounds[i].tp);
	for (i = 0; i < eng->noutbounds; i++)
		transport_free(eng->outbounds[i].tp);
	free(eng->inbounds);
	free(eng->outbounds);
	free(eng->portal_confs);
	if (eng->dns != NULL)
		evdns_base_free(eng->dns, 0);
	route_free(eng->rt);
	srccap_free(eng->hs_src);
	conf_cleanup(eng->conf);
	free(eng->conf);
	if (eng->stage != NULL)
		evbuffer_free(eng->stage);
	free(eng);
}
