/* SPDX-License-Identifier: MIT */
/*
 * conf_check.c: semantic checks over a filled model, whichever front end
 * filled it. Each message names the object and the offending value.
 */
#include "conf/conf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "base/util.h"
#include "dns/dns.h"
#include "stats/stats.h"
#include "transport/transport.h"

/* Sorted tag lists: lookups stay O(log n) on configs of any size. */
struct chk_tags {
	const char	**v;
	size_t		  n;
};

struct chk {
	const struct conf	*c;
	struct conf_diag	*d;
	const char		*name;
	size_t			 nerr;
	struct chk_tags		 inbounds;	/* inbound tags only */
	struct chk_tags		 sources;	/* inbound + bridge tags */
	struct chk_tags		 targets;	/* outbound + portal tags */
	struct chk_tags		 detours;	/* every detour.to */
};

static void	chk_err(struct chk *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	chk_warn(struct chk *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
chk_err(struct chk *k, const char *what, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err(k->d, "%s: %s: %s", k->name, what, msg);
}

static void
chk_warn(struct chk *k, const char *what, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_warn(k->d, "%s: %s: %s", k->name, what, msg);
}

/* `inbound "tag"` reads better than an index into the merged list. */
static void
chk_label(char *buf, size_t size, const char *kind, size_t i,
    const char *tag)
{
	if (tag != NULL && *tag != '\0')
		snprintf(buf, size, "%s \"%.64s\"", kind, tag);
	else
		snprintf(buf, size, "%ss[%zu]", kind, i);
}

static bool
chk_is_ip(const char *s)
{
	uint8_t	a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static void
chk_kcp(struct chk *k, const char *what, const struct conf_stream *st)
{
	const struct conf_kcp	*kc = &st->kcp;

	if (st->network != CONF_NET_KCP)
		return;
	if (kc->mtu < 576 || kc->mtu > 1460)
		chk_err(k, what, "invalid mKCP MTU size: %d (must be "
		    "576..1460)", kc->mtu);
	if (kc->tti < 10 || kc->tti > 100)
		chk_err(k, what, "invalid mKCP TTI: %d (must be 10..100)",
		    kc->tti);
	if (kc->uplink_capacity < 0 || kc->downlink_capacity < 0 ||
	    kc->read_buffer_size < 0 || kc->write_buffer_size < 0)
		chk_err(k, what, "negative mKCP capacity or buffer size");
	if (kc->header_type != NULL &&
	    conf_kcp_header_valid(kc->header_type) == -1)
		chk_err(k, what, "unknown mKCP header type \"%.64s\"",
		    kc->header_type);
}

/* TLS: over tcp and ws only; every certificate file readable, keys matching. */
static void
chk_tls(struct chk *k, const char *what, const struct conf_stream *st,
    bool server)
{
	if (!st->tls)
		return;
	if (st->network == CONF_NET_KCP) {
		chk_err(k, what, "security \"tls\" is supported over tcp, "
		    "ws and http only");
		return;
	}
}

/* What the transport layers would refuse at start (certificate files). */
static void
chk_transport(struct chk *k, const char *what, const struct conf_stream *st,
    bool server)
{
	char	err[512];

	if (transport_check(st, server, err, sizeof(err)) == -1)
		chk_err(k, what, "%s", err);
}

/* Empty ids were reported by the front end that met them. */
static void
chk_user(struct chk *k, const char *what, const struct conf_user *u)
{
	uint8_t	uuid[16];
	char	canon[37];

	if (u->id[0] == '\0')
		return;
	if (conf_uuid_parse(u->id, uuid, canon) == -1)
		chk_err(k, what, "invalid UUID \"%.36s\"", u->id);
	if (u->alter_id < 0 || u->alter_id > 65535)
		chk_err(k, what, "alterId %d out of range 0..65535",
		    u->alter_id);
	if ((unsigned)u->security > CONF_SEC_LEGACY)
		chk_err(k, what, "unknown security %d", (int)u->security);
}

static int
chk_tag_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
chk_tags_init(struct chk_tags *t, size_t cap)
{
	t->v = xcalloc(cap + 1, sizeof(*t->v));
	t->n = 0;
}

static void
chk_tags_add(struct chk_tags *t, const char *s)
{
	if (s != NULL)
		t->v[t->n++] = s;
}

static void
chk_tags_sort(struct chk_tags *t)
{
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), chk_tag_cmp);
}

static bool
chk_tags_has(const struct chk_tags *t, const char *s)
{
	if (s == NULL || t->n == 0)
		return false;
	return bsearch(&s, t->v, t->n, sizeof(*t->v), chk_tag_cmp) != NULL;
}

/* Report each extra occurrence of a tag in a sorted list. */
static void
chk_tags_dups(struct chk *k, const struct chk_tags *t, const char *kind,
    bool fatal)
{
	char	w[128];
	size_t	i;

	for (i = 1; i < t->n; i++) {
		if (strcmp(t->v[i - 1], t->v[i]) != 0)
			continue;
		snprintf(w, sizeof(w), "%s \"%.64s\"", kind, t->v[i]);
		if (fatal)
			chk_err(k, w, "duplicate %s tag \"%.64s\"", kind,
			    t->v[i]);
		else
			chk_warn(k, w, "duplicate %s tag \"%.64s\": the later "
			    "one wins", kind, t->v[i]);
	}
}

static void
chk_index(struct chk *k)
{
	const struct conf	*c = k->c;
	size_t			 i;

	chk_tags_init(&k->inbounds, c->ninbounds);
	chk_tags_init(&k->sources, c->ninbounds + c->nbridges);
	chk_tags_init(&k->targets, c->noutbounds + c->nportals);
	chk_tags_init(&k->detours, c->ninbounds);
	for (i = 0; i < c->ninbounds; i++) {
		chk_tags_add(&k->inbounds, c->inbounds[i].tag);
		chk_tags_add(&k->sources, c->inbounds[i].tag);
		chk_tags_add(&k->detours, c->inbounds[i].detour_to);
	}
	for (i = 0; i < c->nbridges; i++)
		chk_tags_add(&k->sources, c->bridges[i].tag);
	for (i = 0; i < c->noutbounds; i++)
		chk_tags_add(&k->targets, c->outbounds[i].tag);
	for (i = 0; i < c->nportals; i++)
		chk_tags_add(&k->targets, c->portals[i].tag);
	chk_tags_sort(&k->inbounds);
	chk_tags_sort(&k->sources);
	chk_tags_sort(&k->targets);
	chk_tags_sort(&k->detours);
}

static void
chk_index_free(struct chk *k)
{
	free(k->inbounds.v);
	free(k->sources.v);
	free(k->targets.v);
	free(k->detours.v);
}

static void
chk_inbound(struct chk *k, size_t i)
{
	const struct conf		*c = k->c;
	const struct conf_inbound	*in = &c->inbounds[i];
	const struct conf_allocate	*al = &in->allocate;
	char				 w[128], wu[160];
	unsigned			 nports;
	size_t				 j;

	chk_label(w, sizeof(w), "inbound", i, in->tag);
	if (in->listen != NULL && (in->listen[0] == '/' ||
	    in->listen[0] == '@'))
		chk_err(k, w, "listen \"%.64s\": Unix sockets not supported",
		    in->listen);
	else if (in->listen != NULL && *in->listen != '\0' &&
	    strcasecmp(in->listen, "localhost") != 0 &&
	    !chk_is_ip(in->listen))
		chk_err(k, w, "listen \"%.64s\" is not an IP address",
		    in->listen);
	if (in->port.from == 0 && in->port.to == 0)
		chk_err(k, w, "port not specified");
	else if (in->port.from > in->port.to)
		chk_err(k, w, "invalid port range %u-%u (reversed)",
		    in->port.from, in->port.to);
	else if (in->port.from == 0)
		chk_err(k, w, "port range %u-%u includes port 0",
		    in->port.from, in->port.to);
	nports = in->port.from <= in->port.to ?
	    (unsigned)in->port.to - in->port.from + 1 : 0;
	if (al->present && al->strategy == CONF_ALLOC_RANDOM &&
	    in->port.from != 0 && nports > 0) {
		if (al->concurrency < 1)
			chk_err(k, w, "allocate.concurrency %d must be at "
			    "least 1", al->concurrency);
		else if ((unsigned long)al->concurrency * 3 > nports)
			chk_err(k, w, "allocate.concurrency %d is more than a "
			    "third of the %u ports in %u-%u",
			    al->concurrency, nports, in->port.from,
			    in->port.to);
	}
	if (al->present && al->refresh_sec < 1)
		chk_err(k, w, "allocate.refresh %d s must be positive",
		    al->refresh_sec);
	chk_kcp(k, w, &in->stream);
	chk_tls(k, w, &in->stream, true);
	chk_transport(k, w, &in->stream, true);

	switch (in->proto) {
	case CONF_PROTO_SOCKS:
		if (in->socks_password && in->naccounts == 0)
			chk_warn(k, w, "auth is password but there are no "
			    "accounts: nobody can connect");
		if (in->socks_ip != NULL && *in->socks_ip != '\0' &&
		    !chk_is_ip(in->socks_ip))
			chk_err(k, w, "ip \"%.64s\" is not an IP address",
			    in->socks_ip);
		break;
	case CONF_PROTO_DOKODEMO:
		if ((in->dk_network & (CONF_NETBIT_TCP | CONF_NETBIT_UDP)) ==
		    0)
			chk_err(k, w, "network is empty (tcp, udp or "
			    "tcp,udp)");
		if ((in->dk_address == NULL || *in->dk_address == '\0') &&
		    !in->dk_follow_redirect)
			chk_warn(k, w, "no address and no followRedirect: "
			    "every connection will fail");
		break;
	case CONF_PROTO_VMESS:
		if (in->nclients == 0 && !in->has_default &&
		    !chk_tags_has(&k->detours, in->tag))
			chk_err(k, w, "vmess inbound has no clients");
		for (j = 0; j < in->nclients; j++) {
			snprintf(wu, sizeof(wu), "%s clients[%zu]", w, j);
			chk_user(k, wu, &in->clients[j]);
		}
		if (in->detour_to != NULL && !chk_tags_has(&k->inbounds,
		    in->detour_to))
			chk_err(k, w, "detour.to \"%.64s\" names no inbound",
			    in->detour_to);
		break;
	case CONF_PROTO_FREEDOM:
	case CONF_PROTO_BLACKHOLE:
		chk_err(k, w, "%s is not an inbound protocol",
		    conf_proto_name(in->proto));
		break;
	default:
		/* Unknown protocols were reported while loading. */
		break;
	}
}

/* socks and http outbounds: servers [{address, port, users}]. */
static void
chk_proxy_servers(struct chk *k, const char *w,
    const struct conf_outbound *out)
{
	const struct conf_server	*srv;
	const struct conf_account	*a;
	char				 ws[160];
	size_t				 j, u;

	if (out->nvnext == 0)
		chk_err(k, w, "%s outbound has no server",
		    conf_proto_name(out->proto));
	for (j = 0; j < out->nvnext; j++) {
		srv = &out->vnext[j];
		snprintf(ws, sizeof(ws), "%s servers[%zu]", w, j);
		if (srv->address == NULL || *srv->address == '\0')
			chk_err(k, ws, "address missing");
		if (srv->port == 0)
			chk_err(k, ws, "port missing or 0");
		for (u = 0; u < srv->naccounts; u++) {
			a = &srv->accounts[u];
			/* RFC 1929 carries each in one length byte. */
			if (out->proto == CONF_PROTO_SOCKS &&
			    (strlen(a->user) > 255 || strlen(a->pass) > 255))
				chk_err(k, ws, "users[%zu]: user and pass are "
				    "at most 255 bytes for SOCKS", u);
		}
	}
}

/*
 * proxySettings.tag: the outbound must exist and the chain must end. Its
 * connection is a stream carried by that outbound, so mKCP (a UDP
 * transport) and HTTP/2 (which shares its own connections) cannot apply;
 * the layers stacked on a TCP stream (TLS, WebSocket, the TCP header) are.
 */
static void
chk_proxy_tag(struct chk *k, const char *w, const struct conf_outbound *out)
{
	const struct conf_outbound	*o = out;
	size_t				 hops;

	/* TLS, ws and the TCP header stack on the chain; these dial. */
	if (out->stream.network == CONF_NET_KCP ||
	    out->stream.network == CONF_NET_H2)
		chk_err(k, w, "proxySettings: the connection goes through "
		    "outbound \"%.64s\", so network cannot be %s",
		    out->proxy_tag, out->stream.network == CONF_NET_KCP ?
		    "mkcp" : "h2");
	if (out->proto == CONF_PROTO_BLACKHOLE)
		chk_warn(k, w, "proxySettings: a blackhole opens no "
		    "connection; ignored");
	for (hops = 0; o != NULL && o->proxy_tag != NULL; hops++) {
		if (hops > k->c->noutbounds) {
			chk_err(k, w, "proxySettings: the chain through "
			    "\"%.64s\" loops", out->proxy_tag);
			return;
		}
		/* A missing tag further down is that outbound's error. */
		if ((o = conf_find_outbound(k->c, o->proxy_tag)) == NULL &&
		    hops == 0)
			chk_err(k, w, "proxySettings: no outbound tagged "
			    "\"%.64s\"", out->proxy_tag);
	}
}

static void
chk_outbound(struct chk *k, size_t i)
{
	const struct conf		*c = k->c;
	const struct conf_outbound	*out = &c->outbounds[i];
	const struct conf_server	*srv;
	char				 w[128], ws[160], wu[200];
	size_t				 j, u;

	chk_label(w, sizeof(w), "outbound", i, out->tag);
	if (out->send_through != NULL && *out->send_through != '\0' &&
	    !chk_is_ip(out->send_through))
		chk_err(k, w, "sendThrough \"%.64s\" is not an IP address",
		    out->send_through);
	if (out->mux_enabled && (out->mux_concurrency < 1 ||
	    out->mux_concurrency > 1024))
		chk_err(k, w, "invalid mux concurrency: %d (1..1024)",
		    out->mux_concurrency);
	chk_kcp(k, w, &out->stream);
	chk_tls(k, w, &out->stream, false);
	chk_transport(k, w, &out->stream, false);

	switch (out->proto) {
	case CONF_PROTO_VMESS:
		if (out->nvnext == 0)
			chk_err(k, w, "vmess outbound has no vnext server");
		for (j = 0; j < out->nvnext; j++) {
			srv = &out->vnext[j];
			snprintf(ws, sizeof(ws), "%s vnext[%zu]", w, j);
			if (srv->address == NULL || *srv->address == '\0')
				chk_err(k, ws, "address missing");
			if (srv->port == 0)
				chk_err(k, ws, "port missing or 0");
			if (srv->nusers == 0)
				chk_err(k, ws, "vmess outbound server has no "
				    "users");
			for (u = 0; u < srv->nusers; u++) {
				snprintf(wu, sizeof(wu), "%s users[%zu]", ws,
				    u);
				chk_user(k, wu, &srv->users[u]);
			}
		}
		break;
	case CONF_PROTO_FREEDOM:
		if (out->redirect != NULL && *out->redirect != '\0' &&
		    conf_redirect_valid(out->redirect) == -1)
			chk_err(k, w, "invalid redirect \"%.64s\"",
			    out->redirect);
		if ((unsigned)out->domain_strategy > CONF_DS_USEIPV6)
			chk_err(k, w, "unknown domainStrategy %d",
			    (int)out->domain_strategy);
		break;
	case CONF_PROTO_SOCKS:
	case CONF_PROTO_HTTP:
		chk_proxy_servers(k, w, out);
		break;
	case CONF_PROTO_DOKODEMO:
		chk_err(k, w, "%s is not an outbound protocol",
		    conf_proto_name(out->proto));
		break;
	default:
		break;
	}
	if (out->proxy_tag != NULL)
		chk_proxy_tag(k, w, out);
}

static void
chk_domain(struct chk *k, const char *w, const char *s)
{
	static const char *const prefixes[] = { "full:", "domain:",
	    "keyword:", "regexp:", "geosite:", "ext:", "ext-domain:", NULL };
	size_t	i, n;

	if (*s == '\0') {
		chk_err(k, w, "empty domain");
		return;
	}
	for (i = 0; prefixes[i] != NULL; i++) {
		n = strlen(prefixes[i]);
		if (strncmp(s, prefixes[i], n) == 0 && s[n] == '\0') {
			chk_err(k, w, "domain \"%.64s\" has nothing after the "
			    "prefix", s);
			return;
		}
	}
	if (strncmp(s, "dotless:", 8) == 0 && strchr(s + 8, '.') != NULL)
		chk_err(k, w, "domain \"%.64s\": dotless: value must not "
		    "contain '.'", s);
}

static void
chk_rule(struct chk *k, size_t i)
{
	const struct conf	*c = k->c;
	const struct conf_rule	*r = &c->rules[i];
	char			 w[64];
	size_t			 j;
	const char		*t;

	snprintf(w, sizeof(w), "routing.rules[%zu]", i);
	if (r->domain.n == 0 && r->ip.n == 0 && r->port == NULL &&
	    r->source_port == NULL && r->network == 0 && r->source.n == 0 &&
	    r->user.n == 0 && r->inbound_tag.n == 0 && r->protocol.n == 0)
		chk_err(k, w, "this rule has no effective fields");
	if (r->outbound_tag == NULL && r->balancer_tag == NULL)
		chk_err(k, w, "neither outboundTag nor balancerTag is "
		    "specified");
	else if (r->outbound_tag != NULL) {
		if (!chk_tags_has(&k->targets, r->outbound_tag))
			chk_err(k, w, "outboundTag \"%.64s\" names no outbound "
			    "or portal", r->outbound_tag);
	} else
		chk_err(k, w, "balancerTag \"%.64s\": balancers not supported",
		    r->balancer_tag);
	for (j = 0; j < r->domain.n; j++)
		chk_domain(k, w, r->domain.v[j]);
	for (j = 0; j < r->ip.n; j++)
		if (conf_cidr_valid(r->ip.v[j]) == -1)
			chk_err(k, w, "invalid IP or CIDR \"%.64s\" in ip",
			    r->ip.v[j]);
	for (j = 0; j < r->source.n; j++)
		if (conf_cidr_valid(r->source.v[j]) == -1)
			chk_err(k, w, "invalid IP or CIDR \"%.64s\" in source",
			    r->source.v[j]);
	if (r->port != NULL && conf_portlist_valid(r->port) == -1)
		chk_err(k, w, "invalid port list \"%.64s\"", r->port);
	if (r->source_port != NULL && conf_portlist_valid(r->source_port) ==
	    -1)
		chk_err(k, w, "invalid sourcePort list \"%.64s\"",
		    r->source_port);
	for (j = 0; j < r->inbound_tag.n; j++) {
		t = r->inbound_tag.v[j];
		/* The dns object's queries carry its tag (dns.c). */
		if (!chk_tags_has(&k->sources, t) && (k->c->dns.tag == NULL ||
		    strcmp(t, k->c->dns.tag) != 0))
			chk_warn(k, w, "inboundTag \"%.64s\" names no inbound "
			    "or bridge", t);
	}
}

static void
chk_reverse(struct chk *k)
{
	const struct conf	*c = k->c;
	char			 w[64];
	size_t			 i;

	for (i = 0; i < c->nbridges; i++) {
		snprintf(w, sizeof(w), "reverse.bridges[%zu]", i);
		if (c->bridges[i].tag == NULL || *c->bridges[i].tag == '\0')
			chk_err(k, w, "bridge tag is empty");
		if (c->bridges[i].domain == NULL ||
		    *c->bridges[i].domain == '\0')
			chk_err(k, w, "bridge domain is empty");
	}
	for (i = 0; i < c->nportals; i++) {
		snprintf(w, sizeof(w), "reverse.portals[%zu]", i);
		if (c->portals[i].tag == NULL || *c->portals[i].tag == '\0')
			chk_err(k, w, "portal tag is empty");
		if (c->portals[i].domain == NULL ||
		    *c->portals[i].domain == '\0')
			chk_err(k, w, "portal domain is empty");
	}
}

/*
 * The endpoint shows users' emails and traffic: without credentials it
 * may only listen on loopback.
 */
static void
chk_metrics(struct chk *k)
{
	const struct conf_metrics	*m = &k->c->metrics;
	const struct conf_level		*l;
	const char			*why = NULL;
	char				 host[64];
	uint16_t			 port;
	size_t				 i;
	bool				 any = k->c->stats_in_up ||
					    k->c->stats_in_down ||
					    k->c->stats_out_up ||
					    k->c->stats_out_down;

	for (i = 0; i < k->c->nlevels; i++) {
		l = &k->c->levels[i];
		any = any || l->stats_user_up || l->stats_user_down;
	}
	if (any && !k->c->stats)
		chk_warn(k, "policy", "stats switches have no effect without "
		    "a \"stats\" object (as in V2Ray)");
	if ((m->user == NULL) != (m->password == NULL) ||
	    (m->user != NULL && (*m->user == '\0' || *m->password == '\0' ||
	    strchr(m->user, ':') != NULL)))
		chk_err(k, "metrics", "give both user and password (non-empty; "
		    "no ':' in the user) or neither");
	if (m->listen == NULL) {
		if (m->user != NULL || m->reset_on_reload)
			chk_warn(k, "metrics", "no listen address: nothing is "
			    "served");
		return;
	}
	if (stats_listen_parse(m->listen, host, sizeof(host), &port,
	    &why) == -1)
		chk_err(k, "metrics.listen", "\"%.64s\": %s", m->listen, why);
	else if (!stats_host_is_loopback(host) && m->user == NULL)
		chk_err(k, "metrics.listen", "%.64s is not a loopback address: "
		    "set metrics.user and metrics.password (Basic auth) to "
		    "serve it there", m->listen);
}

int
conf_check(const struct conf *c, struct conf_diag *d)
{
	struct chk	k;
	size_t		i;
	char		dnserr[512];

	k.c = c;
	k.d = d;
	k.name = c->path != NULL ? c->path : "config";
	k.nerr = d->errors.n;
	if (c->log.access_dest == CONF_LOGDEST_FILE &&
	    (c->log.access_path == NULL || *c->log.access_path == '\0'))
		chk_err(&k, "log", "access log file has no path");
	if (c->log.error_dest == CONF_LOGDEST_FILE &&
	    (c->log.error_path == NULL || *c->log.error_path == '\0'))
		chk_err(&k, "log", "error log file has no path");
	if (c->ninbounds == 0 && c->nbridges == 0)
		chk_warn(&k, "inbounds", "no inbound: nothing will listen");
	/* The front ends refuse these; a model built otherwise may not. */
	if (c->hs_per_source < 0 || c->hs_per_source > CONF_HS_PER_SOURCE_MAX)
		chk_err(&k, "policy.system.handshakePerSource", "%d out of "
		    "range 0..%d (0 = no cap)", c->hs_per_source,
		    CONF_HS_PER_SOURCE_MAX);
	if (vdns_check(&c->dns, dnserr, sizeof(dnserr)) == -1)
		chk_err(&k, "dns", "%s", dnserr);
	chk_index(&k);
	chk_tags_dups(&k, &k.inbounds, "inbound", true);
	for (i = 0; i < c->ninbounds; i++)
		chk_inbound(&k, i);
	chk_tags_dups(&k, &k.targets, "outbound", false);
	for (i = 0; i < c->noutbounds; i++)
		chk_outbound(&k, i);
	for (i = 0; i < c->nrules; i++)
		chk_rule(&k, i);
	chk_reverse(&k);
	chk_metrics(&k);
	chk_index_free(&k);
	return d->errors.n > k.nerr ? -1 : 0;
}
