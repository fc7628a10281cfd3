/* SPDX-License-Identifier: MIT */
/*
 * dns.c: V2Ray 4.34's DNS client (app/dns/dns.go, nameserver_udp.go,
 * hosts.go, dnscommon.go; v2ray-434-transports-dns-geo-stats.md §7).
 *
 * Why our own queries rather than an evdns_base per server: a server's
 * queries must go through routing like any other UDP flow (4.34 sends
 * them through its dispatcher, so a rule can carry them over VMess),
 * carry `clientIp` as an EDNS client-subnet option, and stop falling back
 * at an NXDOMAIN; evdns can do none of those. The "localhost" server is
 * evdns's system resolver, as 4.34's is Go's.
 */
#include "dns/dns.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/random.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "core/dispatch.h"
#include "core/engine.h"
#include "core/udp.h"
#include "dns/dns_msg.h"
#include "route/domset.h"
#include "route/geodat.h"

#define VDNS_SERVER_MS	4000	/* per server, as Client.QueryIP */
#define VDNS_PENDING_MS	8000	/* a query's ID is kept this long */
#define VDNS_TTL_MAX	600	/* 4.34 keeps no answer longer */
#define VDNS_CACHE_MAX	4096	/* names per server */
#define VDNS_BUCKETS	256
#define VDNS_ALIAS_DEPTH 5
#define VDNS_MAX_IPS	DNS_MSG_MAX_IPS

/* strmatcher's kinds, in the order a MatcherGroup reports matches. */
enum vdns_mt {
	VM_FULL = 0,
	VM_DOMAIN,
	VM_OTHER,	/* keyword (substr) or regexp */
	VM_LIST		/* geosite:, ext: (route/domset.c) */
};

struct vdns_matcher {
	enum vdns_mt	 type;
	char		*value;		/* full, domain, keyword */
	bool		 is_re;
	regex_t		 re;
	struct domset	*list;		/* VM_LIST */
};

struct vdns_host {
	struct vdns_matcher	 m;
	struct route_ip		*ips;
	size_t			 nips;
	char			*alias;		/* or one domain */
};

struct vdns_rec {
	bool		 set;
	uint64_t	 expire_ms;
	int		 rcode;
	struct route_ip	*ips;
	size_t		 nips;
};

struct vdns_cent {
	char			*name;
	struct vdns_rec		 a, aaaa;
	struct vdns_cent	*next;
};

struct vdns_pend {
	uint16_t		 id;
	uint16_t		 qtype;
	char			 name[DNS_NAME_MAX];
	uint64_t		 expire_ms;
	TAILQ_ENTRY(vdns_pend)	 entry;
};

struct vdns_cidr {
	struct route_ip	 net;
	int		 prefix;
};

TAILQ_HEAD(vdns_reqs, vdns_req);

struct vdns_server {
	struct vdns		*d;
	bool			 local;
	struct net_addr		 addr;
	char			 name[NET_ADDRSTRLEN];
	struct vdns_matcher	*domains;
	size_t			 ndomains;
	struct vdns_cidr	*expect;
	size_t			 nexpect;
	bool			 expect_private;	/* geoip:private */
	bool			 has_ecs;
	struct route_ip		 ecs;
	uint16_t		 next_id;
	struct vdns_cent	*cache[VDNS_BUCKETS];
	size_t			 ncache;
	TAILQ_HEAD(, vdns_pend)	 pending;
	struct vdns_reqs	 waiting;
	struct udp_flow		*flow;
};

struct vdns {
	struct engine		*eng;
	char			*tag;
	struct vdns_host	*hosts;
	size_t			 nhosts;
	struct vdns_server	*servers;
	size_t			 nservers;
};

struct vdns_req {
	struct vdns		*d;
	char			 name[DNS_NAME_MAX];
	int			 family;
	vdns_cb			*cb;
	void			*arg;
	size_t			*order;		/* server indexes to try */
	size_t			 norder, pos;
	struct vdns_server	*at;		/* waiting for its answer */
	struct event		*timer;		/* server timeout, delivery */
	struct evdns_getaddrinfo_request *lreq;
	bool			 local_timedout;
	bool			 cancelled;	/* freed by the evdns callback */
	bool			 done;
	int			 rcode;
	struct route_ip		 ips[VDNS_MAX_IPS];
	size_t			 nips;
	TAILQ_ENTRY(vdns_req)	 wait;
};

static void	server_try(struct vdns_req *);

/* 4.34 localTLDsAndDotlessDomains: the "localhost" server's names. */
static const struct {
	enum vdns_mt	 type;
	const char	*value;
} local_domains[] = {
	{ VM_OTHER, "^[^.]+$" },
	{ VM_DOMAIN, "local" }, { VM_DOMAIN, "localdomain" },
	{ VM_DOMAIN, "localhost" }, { VM_DOMAIN, "lan" },
	{ VM_DOMAIN, "home.arpa" }, { VM_DOMAIN, "example" },
	{ VM_DOMAIN, "invalid" }, { VM_DOMAIN, "test" },
};

/* Matchers. */

static int
matcher_set(struct vdns_matcher *m, enum vdns_mt type, const char *v,
    bool is_re, char *err, size_t errlen)
{
	int	rc;

	m->type = type;
	m->is_re = is_re;
	if (!is_re) {
		m->value = xstrdup(v);
		return 0;
	}
	if ((rc = regcomp(&m->re, v, REG_EXTENDED | REG_NOSUB)) != 0) {
		snprintf(err, errlen, "bad regexp \"%.64s\"", v);
		return -1;
	}
	m->value = xstrdup(v);
	return 0;
}

static void
matcher_free(struct vdns_matcher *m)
{
	if (m->value != NULL && m->is_re)
		regfree(&m->re);
	free(m->value);
	m->value = NULL;
	domset_free(m->list);
	m->list = NULL;
}

/*
 * Compile a rule as written. plain is the kind a bare string has: full
 * in hosts, keyword in a server's domains (infra/conf/dns.go).
 */
static int
matcher_parse(struct vdns_matcher *m, const char *s, enum vdns_mt plain,
    char *err, size_t errlen)
{
	static const struct {
		const char	*prefix;
		enum vdns_mt	 type;
		bool		 re;
	} pf[] = {
		{ "domain:", VM_DOMAIN, false }, { "full:", VM_FULL, false },
		{ "keyword:", VM_OTHER, false }, { "regexp:", VM_OTHER, true },
	};
	char	 pat[300];
	size_t	 i, n;

	if (strncmp(s, "geosite:", 8) == 0 || strncmp(s, "ext:", 4) == 0 ||
	    strncmp(s, "ext-domain:", 11) == 0) {
		/* The one list, from geosite.dat or FILE where 4.34 looks. */
		m->type = VM_LIST;
		if ((m->list = route_geosite_load(s, err, errlen)) == NULL)
			return -1;
		m->value = xstrdup(s);
		return 0;
	}
	if (strncmp(s, "dotless:", 8) == 0) {
		if (strchr(s + 8, '.') != NULL) {
			snprintf(err, errlen, "\"%.64s\": dotless: value must "
			    "not contain a dot", s);
			return -1;
		}
		if (s[8] == '\0')
			snprintf(pat, sizeof(pat), "^[^.]*$");
		else
			snprintf(pat, sizeof(pat), "^[^.]*%.200s[^.]*$",
			    s + 8);
		return matcher_set(m, VM_OTHER, pat, true, err, errlen);
	}
	for (i = 0; i < sizeof(pf) / sizeof(pf[0]); i++) {
		n = strlen(pf[i].prefix);
		if (strncmp(s, pf[i].prefix, n) != 0)
			continue;
		if (s[n] == '\0') {
			snprintf(err, errlen, "\"%.64s\": empty value after "
			    "the prefix", s);
			return -1;
		}
		return matcher_set(m, pf[i].type, s + n, pf[i].re, err,
		    errlen);
	}
	if (*s == '\0') {
		snprintf(err, errlen, "empty domain rule");
		return -1;
	}
	return matcher_set(m, plain, s, false, err, errlen);
}

/*
 * Whether m matches name; *rank orders matches as 4.34's MatcherGroup
 * lists them: full, then domain (the longest suffix first), then others.
 */
static bool
matcher_match(const struct vdns_matcher *m, const char *name, size_t *rank)
{
	size_t	nl = strlen(name), vl;

	switch (m->type) {
	case VM_FULL:
		*rank = 0;
		return strcmp(name, m->value) == 0;
	case VM_DOMAIN:
		vl = strlen(m->value);
		*rank = 1 + (DNS_NAME_MAX - vl);
		return nl >= vl && strcmp(name + nl - vl, m->value) == 0 &&
		    (nl == vl || name[nl - vl - 1] == '.');
	case VM_OTHER:
		*rank = 2 + DNS_NAME_MAX;
		if (m->is_re)
			return regexec(&m->re, name, 0, NULL, 0) == 0;
		return strstr(name, m->value) != NULL;
	case VM_LIST:
		/*
		 * 4.34 ranks each of the list's entries by its kind; a set
		 * only says whether one matched, so a list ranks last.
		 */
		*rank = 3 + DNS_NAME_MAX;
		return domset_match(m->list, name);
	}
	return false;
}

/* Addresses. */

static int
ip_parse(const char *s, struct route_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->addr) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ip->addr) == 1)
		ip->family = AF_INET6;
	else
		return -1;
	return 0;
}

/* An IPv4-mapped IPv6 address is the IPv4 one, as Go's net.IP is. */
static void
ip_unmap(struct route_ip *ip)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (ip->family == AF_INET6 && memcmp(ip->addr, mapped, 12) == 0) {
		memmove(ip->addr, ip->addr + 12, 4);
		memset(ip->addr + 4, 0, 12);
		ip->family = AF_INET;
	}
}

static bool
family_wanted(int want, int family)
{
	return want == AF_UNSPEC || want == family;
}

/* Building. */

static void
vdns_destroy(struct vdns *d)
{
	struct vdns_server	*s;
	struct vdns_cent	*e, *next;
	struct vdns_pend	*p;
	size_t			 i, j;

	for (i = 0; i < d->nhosts; i++) {
		matcher_free(&d->hosts[i].m);
		free(d->hosts[i].ips);
		free(d->hosts[i].alias);
	}
	free(d->hosts);
	for (i = 0; i < d->nservers; i++) {
		s = &d->servers[i];
		if (s->flow != NULL) {
			s->flow->in_close = NULL;
			udp_flow_close(s->flow);
		}
		for (j = 0; j < s->ndomains; j++)
			matcher_free(&s->domains[j]);
		free(s->domains);
		free(s->expect);
		for (j = 0; j < VDNS_BUCKETS; j++)
			for (e = s->cache[j]; e != NULL; e = next) {
				next = e->next;
				free(e->name);
				free(e->a.ips);
				free(e->aaaa.ips);
				free(e);
			}
		while ((p = TAILQ_FIRST(&s->pending)) != NULL) {
			TAILQ_REMOVE(&s->pending, p, entry);
			free(p);
		}
	}
	free(d->servers);
	free(d->tag);
	free(d);
}

static int
host_build(struct vdns_host *h, const struct conf_dns_host *ch, char *err,
    size_t errlen)
{
	char	 msg[400];
	size_t	 i;

	if (matcher_parse(&h->m, ch->key, VM_FULL, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "hosts: %s", msg);
		return -1;
	}
	if (ch->values.n == 0) {
		snprintf(err, errlen, "hosts[\"%.64s\"]: no address",
		    ch->key);
		return -1;
	}
	h->ips = xcalloc(ch->values.n + 1, sizeof(*h->ips));
	for (i = 0; i < ch->values.n; i++) {
		if (ip_parse(ch->values.v[i], &h->ips[h->nips]) == 0) {
			ip_unmap(&h->ips[h->nips]);
			h->nips++;
			continue;
		}
		/* An alias must stand alone: 4.34 maps a key to one value. */
		if (ch->values.n > 1 || *ch->values.v[i] == '\0') {
			snprintf(err, errlen, "hosts[\"%.64s\"]: \"%.64s\" "
			    "is not an IP address", ch->key, ch->values.v[i]);
			return -1;
		}
		h->alias = xstrdup(ch->values.v[i]);
	}
	/* hosts.go: 127.0.0.1 alone also answers ::1. */
	if (h->nips == 1 && h->ips[0].family == AF_INET &&
	    memcmp(h->ips[0].addr, "\x7f\0\0\1", 4) == 0) {
		h->ips[1].family = AF_INET6;
		h->ips[1].addr[15] = 1;
		h->nips = 2;
	}
	return 0;
}

struct expect_load {
	struct vdns_server	*s;
	size_t			 cap;
};

static int
expect_add_cb(void *arg, int family, const uint8_t *addr, unsigned prefix)
{
	struct expect_load	*el = arg;
	struct vdns_server	*s = el->s;

	if (s->nexpect == el->cap) {
		el->cap = el->cap * 2 + 16;
		s->expect = xrealloc(s->expect, el->cap * sizeof(*s->expect));
	}
	memset(&s->expect[s->nexpect], 0, sizeof(*s->expect));
	s->expect[s->nexpect].net.family = family;
	memcpy(s->expect[s->nexpect].net.addr, addr,
	    family == AF_INET ? 4 : 16);
	s->expect[s->nexpect].prefix = (int)prefix;
	s->nexpect++;
	return 0;
}

/* "geoip:CC", "ext:FILE:CC" or "ext-ip:FILE:CC" from V2Ray's files. */
static int
expect_load_list(struct expect_load *el, const char *spec, char *err,
    size_t errlen)
{
	struct geodat_file	 f;
	const char		*cc, *errstr = "malformed";
	char			 path[PATH_MAX], msg[512], *file;
	long			 n;

	if (strncasecmp(spec, "geoip:", 6) == 0) {
		file = xstrdup("geoip.dat");
		cc = spec + 6;
	} else if ((file = geodat_ext_split(spec + (spec[3] == ':' ? 4 : 7),
	    &cc)) == NULL) {
		snprintf(err, errlen, "servers: expectIps: \"%.64s\": want "
		    "ext:FILE:CODE", spec);
		return -1;
	}
	if (geodat_open_asset(file, &f, path, sizeof(path), msg,
	    sizeof(msg)) == -1) {
		snprintf(err, errlen, "servers: expectIps: \"%.64s\": %s",
		    spec, msg);
		free(file);
		return -1;
	}
	free(file);
	n = geodat_ip_scan(f.p, f.len, cc, expect_add_cb, el, &errstr);
	geodat_unmap(&f);
	if (n > 0)
		return 0;
	snprintf(err, errlen, "servers: expectIps: \"%.64s\": %s", spec,
	    n == -2 ? "no such list" : n == 0 ? "the list is empty" : errstr);
	return -1;
}

static int
expect_build(struct vdns_server *s, const struct conf_strv *sv, char *err,
    size_t errlen)
{
	struct expect_load	 el = { s, sv->n + 1 };
	struct route_ip		 net;
	int			 prefix;
	size_t			 i;

	s->expect = xcalloc(el.cap, sizeof(*s->expect));
	for (i = 0; i < sv->n; i++) {
		if (strcasecmp(sv->v[i], "geoip:private") == 0) {
			s->expect_private = true;
			continue;
		}
		if (strncasecmp(sv->v[i], "geoip:", 6) == 0 ||
		    strncmp(sv->v[i], "ext:", 4) == 0 ||
		    strncmp(sv->v[i], "ext-ip:", 7) == 0) {
			if (expect_load_list(&el, sv->v[i], err, errlen) == -1)
				return -1;
			continue;
		}
		if (route_cidr_parse(sv->v[i], &net, &prefix) == -1) {
			snprintf(err, errlen, "servers: expectIps: "
			    "\"%.64s\" is not an IP, a CIDR or a geoip: list",
			    sv->v[i]);
			return -1;
		}
		expect_add_cb(&el, net.family, net.addr, (unsigned)prefix);
	}
	return 0;
}

static int
server_build(struct vdns_server *s, const struct conf_dns_server *cs,
    const char *client_ip, char *err, size_t errlen)
{
	char		 msg[400];
	const char	*cip = cs->client_ip != NULL ? cs->client_ip : client_ip;
	size_t		 i, n;

	TAILQ_INIT(&s->pending);
	TAILQ_INIT(&s->waiting);
	if (cs->address == NULL || *cs->address == '\0') {
		snprintf(err, errlen, "servers: a server has no address");
		return -1;
	}
	if (strcmp(cs->address, "localhost") == 0) {
		s->local = true;
		snprintf(s->name, sizeof(s->name), "localhost");
	} else if (strchr(cs->address, ':') != NULL &&
	    strchr(cs->address, '/') != NULL) {
		snprintf(err, errlen, "servers: \"%.64s\": only classic "
		    "DNS over UDP and \"localhost\" are supported (no DoH or "
		    "DoQ)", cs->address);
		return -1;
	} else {
		net_addr_set(&s->addr, cs->address,
		    cs->port != 0 ? cs->port : 53);
		net_addr_normalize(&s->addr);
		net_addr_str(&s->addr, s->name, sizeof(s->name));
	}
	if (cip != NULL && *cip != '\0') {
		if (ip_parse(cip, &s->ecs) == -1) {
			snprintf(err, errlen, "clientIp \"%.64s\" is not an "
			    "IP address", cip);
			return -1;
		}
		ip_unmap(&s->ecs);
		s->has_ecs = true;
	}
	n = cs->domains.n + (s->local ? sizeof(local_domains) /
	    sizeof(local_domains[0]) : 0);
	s->domains = xcalloc(n + 1, sizeof(*s->domains));
	for (i = 0; i < cs->domains.n; i++, s->ndomains++)
		if (matcher_parse(&s->domains[i], cs->domains.v[i], VM_OTHER,
		    msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "servers: domains: %s", msg);
			return -1;
		}
	for (; s->local && s->ndomains < n; s->ndomains++) {
		i = s->ndomains - cs->domains.n;
		matcher_set(&s->domains[s->ndomains], local_domains[i].type,
		    local_domains[i].value, local_domains[i].type == VM_OTHER,
		    msg, sizeof(msg));
	}
	return expect_build(s, &cs->expect_ips, err, errlen);
}

static struct vdns *
vdns_build(struct engine *eng, const struct conf_dns *c, char *err,
    size_t errlen)
{
	struct vdns		*d = xcalloc(1, sizeof(*d));
	struct conf_dns_server	 local;
	uint32_t		 rnd = 0;
	char			 tag[32];
	size_t			 i, ns;

	d->eng = eng;
	if (c != NULL && c->tag != NULL && *c->tag != '\0')
		d->tag = xstrdup(c->tag);
	else {
		/* As 4.34: a tag no routing rule can name by accident. */
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint32_t)util_now_ms();
		snprintf(tag, sizeof(tag), "dns.%08x", rnd);
		d->tag = xstrdup(tag);
	}
	ns = c != NULL ? c->nservers : 0;
	d->hosts = xcalloc((c != NULL ? c->nhosts : 0) + 1, sizeof(*d->hosts));
	for (i = 0; c != NULL && i < c->nhosts; i++) {
		d->nhosts++;	/* freed by vdns_destroy even if half built */
		if (host_build(&d->hosts[i], &c->hosts[i], err, errlen) == -1)
			goto fail;
	}
	d->servers = xcalloc(ns > 0 ? ns : 1, sizeof(*d->servers));
	for (i = 0; i < ns; i++) {
		d->servers[i].d = d;
		d->nservers++;
		if (server_build(&d->servers[i], &c->servers[i],
		    c->client_ip, err, errlen) == -1)
			goto fail;
	}
	if (ns == 0) {
		/* No servers: the system resolver alone (NewLocalDNSClient). */
		memset(&local, 0, sizeof(local));
		local.address = "localhost";
		d->servers[0].d = d;
		server_build(&d->servers[0], &local, NULL, err, errlen);
		/* Without servers no name is preferred: plain order. */
		for (i = 0; i < d->servers[0].ndomains; i++)
			matcher_free(&d->servers[0].domains[i]);
		d->servers[0].ndomains = 0;
		d->nservers = 1;
	}
	return d;
 fail:
	vdns_destroy(d);
	return NULL;
}

struct vdns *
vdns_new(struct engine *eng, const struct conf_dns *c, char *err,
    size_t errlen)
{
	return vdns_build(eng, c, err, errlen);
}

int
vdns_check(const struct conf_dns *c, char *err, size_t errlen)
{
	struct vdns	*d;

	if ((d = vdns_build(NULL, c, err, errlen)) == NULL)
		return -1;
	vdns_destroy(d);
	return 0;
}

void
vdns_free(struct vdns *d)
{
	if (d != NULL)
		vdns_destroy(d);
}

const char *
vdns_tag(const struct vdns *d)
{
	return d->tag;
}

/* The cache: per server, as 4.34's ClassicNameServer.ips. */

static size_t
cache_hash(const char *name)
{
	uint32_t	h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h % VDNS_BUCKETS;
}

static struct vdns_cent *
cache_get(struct vdns_server *s, const char *name, bool create)
{
	struct vdns_cent	*e, **pp, *next;
	uint64_t		 now = util_now_ms();
	size_t			 h = cache_hash(name), i;

	for (e = s->cache[h]; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	if (!create)
		return NULL;
	if (s->ncache >= VDNS_CACHE_MAX) {
		/* Full: drop what expired; if nothing did, start over. */
		for (i = 0; i < VDNS_BUCKETS; i++)
			for (pp = &s->cache[i]; (e = *pp) != NULL; ) {
				/* Expired: neither record is still live. */
				if (s->ncache < VDNS_CACHE_MAX / 2 ||
				    e->a.expire_ms > now ||
				    e->aaaa.expire_ms > now) {
					pp = &e->next;
					continue;
				}
				*pp = e->next;
				free(e->name);
				free(e->a.ips);
				free(e->aaaa.ips);
				free(e);
				s->ncache--;
			}
		for (i = 0; s->ncache >= VDNS_CACHE_MAX && i < VDNS_BUCKETS;
		    i++) {
			for (e = s->cache[i]; e != NULL; e = next) {
				next = e->next;
				free(e->name);
				free(e->a.ips);
				free(e->aaaa.ips);
				free(e);
				s->ncache--;
			}
			s->cache[i] = NULL;
		}
	}
	e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(name);
	e->next = s->cache[h];
	s->cache[h] = e;
	s->ncache++;
	return e;
}

static const struct vdns_rec *
rec_live(const struct vdns_rec *r)
{
	return r->set && r->expire_ms > util_now_ms() ? r : NULL;
}

/*
 * What the cache knows of req's name at s: 1 with req's result filled,
 * 0 when a family is still missing (*need_a, *need_aaaa say which).
 */
static int
cache_answer(struct vdns_server *s, struct vdns_req *req, bool *need_a,
    bool *need_aaaa)
{
	struct vdns_cent	*e = cache_get(s, req->name, false);
	const struct vdns_rec	*r[2] = { NULL, NULL };
	size_t			 i, k;
	int			 rcode = 0;
	bool			 missing = false;

	*need_a = family_wanted(req->family, AF_INET);
	*need_aaaa = family_wanted(req->family, AF_INET6);
	if (e != NULL) {
		if (*need_a && (r[0] = rec_live(&e->a)) != NULL)
			*need_a = false;
		if (*need_aaaa && (r[1] = rec_live(&e->aaaa)) != NULL)
			*need_aaaa = false;
	}
	missing = *need_a || *need_aaaa;
	req->nips = 0;
	for (k = 0; k < 2; k++) {
		if (r[k] == NULL)
			continue;
		if (r[k]->rcode != 0)
			rcode = r[k]->rcode;
		for (i = 0; i < r[k]->nips && req->nips < VDNS_MAX_IPS; i++)
			req->ips[req->nips++] = r[k]->ips[i];
	}
	/* Addresses of one family answer, as findIPsForDomain does. */
	if (req->nips > 0) {
		req->rcode = 0;
		return 1;
	}
	if (missing)
		return 0;
	req->rcode = rcode;
	return 1;
}

static void
cache_put(struct vdns_server *s, const char *name, uint16_t qtype,
    const struct dns_msg *m)
{
	struct vdns_cent	*e = cache_get(s, name, true);
	struct vdns_rec		*r = qtype == DNS_TYPE_A ? &e->a : &e->aaaa;
	int			 family = qtype == DNS_TYPE_A ? AF_INET :
				    AF_INET6;
	uint32_t		 ttl = m->ttl < VDNS_TTL_MAX ? m->ttl :
				    VDNS_TTL_MAX;
	size_t			 i;

	free(r->ips);
	memset(r, 0, sizeof(*r));
	r->set = true;
	r->rcode = m->flags & 0xf;
	r->expire_ms = util_now_ms() + (uint64_t)ttl * 1000;
	r->ips = xcalloc(m->nips + 1, sizeof(*r->ips));
	for (i = 0; i < m->nips; i++)
		if (m->ips[i].family == family)
			r->ips[r->nips++] = m->ips[i];
}

/* Requests. */

static void
req_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vdns_req	*req = arg;

	if (req->done) {
		vdns_cb	*cb = req->cb;
		void	*cbarg = req->arg;
		int	 rcode = req->rcode;
		struct route_ip	 ips[VDNS_MAX_IPS];
		size_t	 n = req->nips;

		memcpy(ips, req->ips, n * sizeof(*ips));
		vdns_cancel(req);
		cb(rcode, ips, n, cbarg);
		return;
	}
	/* A server did not answer in time: the next one (4.34 falls on). */
	if (req->lreq != NULL) {
		req->local_timedout = true;
		evdns_getaddrinfo_cancel(req->lreq);
		return;
	}
	if (req->at != NULL) {
		log_info("dns: %s: no answer from %s in %d s", req->name,
		    req->at->name, VDNS_SERVER_MS / 1000);
		TAILQ_REMOVE(&req->at->waiting, req, wait);
		req->at = NULL;
	}
	req->pos++;
	server_try(req);
}

static void
req_finish(struct vdns_req *req, int rcode)
{
	struct timeval	 tv = { 0, 0 };

	if (req->at != NULL) {
		TAILQ_REMOVE(&req->at->waiting, req, wait);
		req->at = NULL;
	}
	req->done = true;
	req->rcode = rcode;
	if (rcode != 0)
		req->nips = 0;
	evtimer_add(req->timer, &tv);
}

static bool
expect_has(const struct vdns_server *s, const struct route_ip *ip)
{
	size_t	i;

	if (s->expect_private && route_ip_is_private(ip))
		return true;
	for (i = 0; i < s->nexpect; i++)
		if (route_cidr_contains(&s->expect[i].net, s->expect[i].prefix,
		    ip))
			return true;
	return false;
}

/*
 * s answered req (result in req): keep what expectIps allows, then end
 * the lookup or, on a mismatch, try the next server (dns.go).
 */
static void
server_answered(struct vdns_server *s, struct vdns_req *req)
{
	size_t	i, n = 0;

	if (req->at != NULL) {
		TAILQ_REMOVE(&req->at->waiting, req, wait);
		req->at = NULL;
	}
	evtimer_del(req->timer);
	if (req->nips > 0 && (s->nexpect > 0 || s->expect_private)) {
		for (i = 0; i < req->nips; i++)
			if (expect_has(s, &req->ips[i]))
				req->ips[n++] = req->ips[i];
		req->nips = n;
		if (n == 0) {
			log_debug("dns: %s: no address from %s matches "
			    "expectIps", req->name, s->name);
			req->pos++;
			server_try(req);
			return;
		}
	}
	req_finish(req, req->rcode);
}

static void
local_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct vdns_req		*req = arg;
	struct vdns_server	*s;
	size_t			 i;

	req->lreq = NULL;
	if (req->cancelled) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		free(req);
		return;
	}
	s = &req->d->servers[req->order[req->pos]];
	if (result == EVUTIL_EAI_CANCEL) {
		if (req->local_timedout) {
			req->local_timedout = false;
			req->pos++;
			server_try(req);
		}
		return;
	}
	req->nips = dispatch_addrinfo_ips(res, req->ips, VDNS_MAX_IPS);
	if (res != NULL)
		evutil_freeaddrinfo(res);
	for (i = 0; i < req->nips; i++)
		ip_unmap(&req->ips[i]);
	if (req->nips == 0) {
		/* Go's resolver error carries no rcode: the lookup ends. */
		evtimer_del(req->timer);
		req_finish(req, result == EVUTIL_EAI_NODATA ? 0 : -1);
		return;
	}
	req->rcode = 0;
	server_answered(s, req);
}

static void
local_try(struct vdns_server *s, struct vdns_req *req)
{
	struct evutil_addrinfo	 hints;
	struct evdns_getaddrinfo_request *lr;
	struct timeval		 tv = { VDNS_SERVER_MS / 1000, 0 };

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = req->family;
	hints.ai_socktype = SOCK_STREAM;
	evtimer_add(req->timer, &tv);
	/* NULL: local_cb already ran (hosts file, failure). */
	lr = evdns_getaddrinfo(req->d->eng->dns, req->name, NULL, &hints,
	    local_cb, req);
	if (lr != NULL)
		req->lreq = lr;
}

static void	flow_reply_cb(struct udp_flow *, const uint8_t *, size_t);

static void
flow_gone_cb(struct udp_flow *f)
{
	struct vdns_server	*s = f->in_ctx;

	s->flow = NULL;
}

/* Send one query for name/qtype unless one is already on its way. */
static int
server_send(struct vdns_server *s, const char *name, uint16_t qtype)
{
	struct vdns_pend	*p, *next;
	struct net_addr		 src;
	uint8_t			 buf[512];
	uint64_t		 now = util_now_ms();
	ssize_t			 n;

	for (p = TAILQ_FIRST(&s->pending); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->expire_ms <= now) {
			TAILQ_REMOVE(&s->pending, p, entry);
			free(p);
		} else if (p->qtype == qtype && strcmp(p->name, name) == 0)
			return 0;
	}
	if ((n = dns_msg_query(buf, sizeof(buf), ++s->next_id, name, qtype,
	    s->has_ecs ? &s->ecs : NULL)) == -1)
		return -1;
	if (s->flow == NULL) {
		/*
		 * No source address: 4.34's DNS app has only an inbound tag,
		 * which names the source in the access log ("udp:TAG:0").
		 */
		memset(&src, 0, sizeof(src));
		snprintf(src.domain, sizeof(src.domain), "%s", s->d->tag);
		s->flow = udp_flow_new(s->d->eng, NULL, &src, &s->addr, s,
		    flow_reply_cb, s->d->tag);
		if (s->flow == NULL)
			return -1;
		s->flow->in_close = flow_gone_cb;
	}
	p = xcalloc(1, sizeof(*p));
	p->id = s->next_id;
	p->qtype = qtype;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->expire_ms = now + VDNS_PENDING_MS;
	TAILQ_INSERT_TAIL(&s->pending, p, entry);
	udp_flow_send(s->flow, buf, (size_t)n);
	return 0;
}

static void
flow_reply_cb(struct udp_flow *f, const uint8_t *buf, size_t len)
{
	struct vdns_server	*s = f->in_ctx;
	struct vdns_pend	*p;
	struct vdns_req		*req, *next;
	struct dns_msg		 m;
	const char		*why;
	bool			 na, naaaa;

	if (dns_msg_parse(buf, len, DNS_MSG_ANSWERS, &m, &why) == -1) {
		log_info("dns: bad answer from %s: %s", s->name, why);
		return;
	}
	TAILQ_FOREACH(p, &s->pending, entry)
		if (p->id == m.id)
			break;
	/* The question must be ours too: an ID alone is easy to guess. */
	if (p == NULL || !(m.flags & DNS_FLAG_QR) || m.qdcount < 1 ||
	    m.qtype != p->qtype || strcasecmp(m.qname, p->name) != 0) {
		log_debug("dns: unexpected answer from %s", s->name);
		return;
	}
	TAILQ_REMOVE(&s->pending, p, entry);
	cache_put(s, p->name, p->qtype, &m);
	log_debug("dns: %s %s from %s: rcode %d, %zu addresses, ttl %u",
	    p->name, p->qtype == DNS_TYPE_A ? "A" : "AAAA", s->name,
	    m.flags & 0xf, m.nips, m.ttl);
	for (req = TAILQ_FIRST(&s->waiting); req != NULL; req = next) {
		next = TAILQ_NEXT(req, wait);
		if (strcmp(req->name, p->name) == 0 &&
		    cache_answer(s, req, &na, &naaaa) == 1)
			server_answered(s, req);
	}
	free(p);
}

static void
udp_try(struct vdns_server *s, struct vdns_req *req)
{
	struct timeval	 tv = { VDNS_SERVER_MS / 1000, 0 };
	bool		 na, naaaa;

	if (cache_answer(s, req, &na, &naaaa) == 1) {
		server_answered(s, req);
		return;
	}
	if ((na && server_send(s, req->name, DNS_TYPE_A) == -1) ||
	    (naaaa && server_send(s, req->name, DNS_TYPE_AAAA) == -1)) {
		/* Not routable over UDP (blackhole...): as a timeout. */
		log_info("dns: %s: cannot send a query to %s", req->name,
		    s->name);
		tv.tv_sec = 0;
	}
	req->at = s;
	TAILQ_INSERT_TAIL(&s->waiting, req, wait);
	evtimer_add(req->timer, &tv);
}

static void
server_try(struct vdns_req *req)
{
	struct vdns_server	*s;

	if (req->pos >= req->norder) {
		req_finish(req, -1);
		return;
	}
	s = &req->d->servers[req->order[req->pos]];
	if (s->local)
		local_try(s, req);
	else
		udp_try(s, req);
}

/* Servers whose domains match first, in match order (sortClients). */
static void
order_servers(struct vdns_req *req)
{
	struct vdns	*d = req->d;
	size_t		*best = xcalloc(d->nservers, sizeof(*best));
	bool		*used = xcalloc(d->nservers, sizeof(*used));
	size_t		 i, j, k, rank, r, n = 0, pick;

	req->order = xcalloc(d->nservers, sizeof(*req->order));
	for (i = 0; i < d->nservers; i++) {
		best[i] = SIZE_MAX;
		for (j = 0; j < d->servers[i].ndomains; j++)
			if (matcher_match(&d->servers[i].domains[j], req->name,
			    &r) && r < best[i])
				best[i] = r;
	}
	/* Smallest rank first; equal ranks keep config order. */
	for (k = 0; k < d->nservers; k++) {
		pick = SIZE_MAX;
		rank = SIZE_MAX;
		for (i = 0; i < d->nservers; i++)
			if (!used[i] && best[i] != SIZE_MAX && best[i] < rank) {
				rank = best[i];
				pick = i;
			}
		if (pick == SIZE_MAX)
			break;
		used[pick] = true;
		req->order[n++] = pick;
	}
	for (i = 0; i < d->nservers; i++)
		if (!used[i])
			req->order[n++] = i;
	req->norder = n;
	free(best);
	free(used);
}

/*
 * hosts.go: 1 with req's result filled (addresses, or none of the family
 * wanted), 0 when no key matches; follows aliases up to 5 deep.
 */
static int
hosts_lookup(struct vdns_req *req, int depth)
{
	struct vdns	*d = req->d;
	struct {
		size_t	rank, idx;
	} hit[64], t;
	size_t		 nhit = 0, i, j, r;
	const struct vdns_host *h;

	for (i = 0; i < d->nhosts && nhit < 64; i++)
		if (matcher_match(&d->hosts[i].m, req->name, &r)) {
			hit[nhit].rank = r;
			hit[nhit++].idx = i;
		}
	if (nhit == 0)
		return 0;
	for (i = 1; i < nhit; i++)	/* stable: keys stay sorted */
		for (j = i; j > 0 && hit[j - 1].rank > hit[j].rank; j--) {
			t = hit[j];
			hit[j] = hit[j - 1];
			hit[j - 1] = t;
		}
	h = &d->hosts[hit[0].idx];
	if (nhit == 1 && h->alias != NULL) {
		if (depth <= 0)
			return 0;
		log_info("dns: domain replaced: %s -> %s", req->name,
		    h->alias);
		snprintf(req->name, sizeof(req->name), "%s", h->alias);
		/* An alias with no entry of its own goes to the servers. */
		return hosts_lookup(req, depth - 1);
	}
	req->nips = 0;
	for (i = 0; i < nhit; i++) {
		h = &d->hosts[hit[i].idx];
		for (j = 0; j < h->nips && req->nips < VDNS_MAX_IPS; j++)
			if (family_wanted(req->family, h->ips[j].family))
				req->ips[req->nips++] = h->ips[j];
	}
	req->rcode = 0;
	return 1;
}

struct vdns_req *
vdns_lookup(struct vdns *d, const char *name, int family, vdns_cb *cb,
    void *arg)
{
	struct vdns_req	*req = xcalloc(1, sizeof(*req));
	struct net_addr	 a;
	size_t		 len;

	req->d = d;
	req->family = family;
	req->cb = cb;
	req->arg = arg;
	req->timer = evtimer_new(d->eng->base, req_deliver_cb, req);
	snprintf(req->name, sizeof(req->name), "%s", name);
	if ((len = strlen(req->name)) > 0 && req->name[len - 1] == '.')
		req->name[len - 1] = '\0';
	if (req->name[0] == '\0' || strlen(name) >= DNS_NAME_MAX) {
		req_finish(req, -1);
		return req;
	}
	net_addr_set(&a, req->name, 0);
	net_addr_normalize(&a);
	if (net_addr_is_ip(&a)) {
		req->ips[0].family = a.family;
		memcpy(req->ips[0].addr, a.ip, 16);
		req->nips = family_wanted(family, a.family);
		req_finish(req, 0);
		return req;
	}
	if (hosts_lookup(req, VDNS_ALIAS_DEPTH) == 1) {
		req_finish(req, 0);
		return req;
	}
	order_servers(req);
	server_try(req);
	return req;
}

void
vdns_cancel(struct vdns_req *req)
{
	if (req == NULL)
		return;
	if (req->at != NULL)
		TAILQ_REMOVE(&req->at->waiting, req, wait);
	req->at = NULL;
	event_free(req->timer);
	req->timer = NULL;
	free(req->order);
	req->order = NULL;
	if (req->lreq != NULL) {
		/* The evdns callback frees req. */
		req->cancelled = true;
		evdns_getaddrinfo_cancel(req->lreq);
		return;
	}
	free(req);
}
