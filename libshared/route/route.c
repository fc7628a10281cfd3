/* SPDX-License-Identifier: MIT */
/*
 * route.c: compiles V2Ray field rules (mux-reverse-socks-routing-config.md
 * §6) into hash sets, merged IP ranges and port ranges, and matches them.
 */
#include "route/route.h"
#include "base/strmap.h"
#include "conf/conf.h"
#include "route/domset.h"
#include "route/geodat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


/* 128-bit unsigned key; IPv4 addresses live in lo only. */
struct route_u128 {
	uint64_t hi;
	uint64_t lo;
};

struct route_range {
	struct route_u128 lo;
	struct route_u128 hi;
};

/* Sorted, disjoint ranges per family, so lookup is a binary search. */
struct route_ipset {
	struct route_range	*v4;
	size_t			 nv4;
	struct route_range	*v6;
	size_t			 nv6;
};

struct route_prange {
	uint16_t from;
	uint16_t to;
};

struct route_portset {
	struct route_prange	*r;
	size_t			 n;
};

struct route_strv {
	char	**v;
	size_t	  n;
};

struct route_rule {
	bool			 has_domain;
	struct domset		*dom;		/* every domain form */

	bool			 has_user;
	struct strmap	 user;
	bool			 has_inbound;
	struct strmap	 inbound;
	bool			 has_port;
	struct route_portset	 port;
	bool			 has_sport;
	struct route_portset	 sport;
	unsigned		 network;
	bool			 has_ip;
	struct route_ipset	 ip;
	bool			 has_source;
	struct route_ipset	 source;
	bool			 has_proto;
	struct route_strv	 proto;

	char			*tag;
};

struct route_table {
	enum conf_route_strategy strategy;
	/*
	 * Some rule sends IP ranges to a blackhole: a name headed for a
	 * direct dial must be resolved and its addresses checked first, or
	 * any name pointing at a blocked range would walk past the block.
	 */
	bool			 guard;
	struct route_rule	*rules;
	size_t			 nrules;
};

/* How an IP condition treats a domain target in the current pass. */
enum route_ipmode {
	ROUTE_IPM_NONE,		/* AsIs: IP conditions fail */
	ROUTE_IPM_RESOLVED,	/* use q->resolved */
	ROUTE_IPM_DEMAND	/* resolve first unless already done */
};

enum route_rm {
	ROUTE_RM_NO,
	ROUTE_RM_YES,
	ROUTE_RM_NEED
};

/* v2fly/geoip "private" input list (§6.2); 4.34 has no built-in one. */
static const struct {
	int	family;
	uint8_t	addr[16];
	int	prefix;
} route_private[] = {
	{ AF_INET, { 0, 0, 0, 0 }, 8 },
	{ AF_INET, { 10, 0, 0, 0 }, 8 },
	{ AF_INET, { 100, 64, 0, 0 }, 10 },
	{ AF_INET, { 127, 0, 0, 0 }, 8 },
	{ AF_INET, { 169, 254, 0, 0 }, 16 },
	{ AF_INET, { 172, 16, 0, 0 }, 12 },
	{ AF_INET, { 192, 0, 0, 0 }, 24 },
	{ AF_INET, { 192, 0, 2, 0 }, 24 },
	{ AF_INET, { 192, 88, 99, 0 }, 24 },
	{ AF_INET, { 192, 168, 0, 0 }, 16 },
	{ AF_INET, { 198, 18, 0, 0 }, 15 },
	{ AF_INET, { 198, 51, 100, 0 }, 24 },
	{ AF_INET, { 203, 0, 113, 0 }, 24 },
	{ AF_INET, { 224, 0, 0, 0 }, 4 },
	{ AF_INET, { 240, 0, 0, 0 }, 4 },
	{ AF_INET, { 255, 255, 255, 255 }, 32 },
	{ AF_INET6, { 0 }, 128 },	/* ::, which connects to this host */
	{ AF_INET6, { [15] = 1 }, 128 },
	{ AF_INET6, { 0xfc }, 7 },
	{ AF_INET6, { 0xfe, 0x80 }, 10 },
	{ AF_INET6, { 0xff }, 8 },
};

#define ROUTE_NPRIVATE	(sizeof(route_private) / sizeof(route_private[0]))

/* Errors. */

void
route_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* String sets: strmaps whose values go unused. */

static bool
route_strset_has(const struct strmap *set, const char *s)
{
	return strmap_get(set, s) != NULL;
}

static int
route_strset_add(struct strmap *set, const char *s)
{
	return strmap_add(set, s, 0);
}

static void
route_strset_free(struct strmap *set)
{
	strmap_free(set);
}

static int
route_strv_add(struct route_strv *sv, const char *s)
{
	char	**nv, *dup;

	if ((dup = strdup(s)) == NULL)
		return -1;
	if ((nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv))) == NULL) {
		free(dup);
		return -1;
	}
	sv->v = nv;
	sv->v[sv->n++] = dup;
	return 0;
}

static void
route_strv_free(struct route_strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

/* Addresses and CIDRs. */

static const uint8_t route_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/*
 * V2Ray turns ::ffff:a.b.c.d into a.b.c.d before matching, so a mapped
 * address must hit IPv4 rules. Returns false for an unknown family.
 */
static bool
route_ip_norm(const struct route_ip *in, struct route_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (in->family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->addr, in->addr, 4);
		return true;
	}
	if (in->family != AF_INET6)
		return false;
	if (memcmp(in->addr, route_v4mapped, 12) == 0) {
		out->family = AF_INET;
		memcpy(out->addr, in->addr + 12, 4);
	} else {
		out->family = AF_INET6;
		memcpy(out->addr, in->addr, 16);
	}
	return true;
}

static struct route_u128
route_ip_key(const struct route_ip *ip)
{
	struct route_u128	k = { 0, 0 };
	int			i;

	if (ip->family == AF_INET) {
		for (i = 0; i < 4; i++)
			k.lo = k.lo << 8 | ip->addr[i];
		return k;
	}
	for (i = 0; i < 8; i++)
		k.hi = k.hi << 8 | ip->addr[i];
	for (i = 8; i < 16; i++)
		k.lo = k.lo << 8 | ip->addr[i];
	return k;
}

static int
route_u128_cmp(struct route_u128 a, struct route_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* Keep only the top prefix bits of a 16-byte address. */
static void
route_mask(uint8_t *addr, size_t len, int prefix)
{
	size_t	i;
	int	bits;

	for (i = 0; i < len; i++) {
		bits = prefix - (int)i * 8;
		if (bits >= 8)
			continue;
		addr[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

/*
 * A v4-mapped network of /96 or longer is the IPv4 network it maps, so
 * "::ffff:10.0.0.0/104" is 10.0.0.0/8; shorter ones stay IPv6.
 */
static void
route_cidr_norm(struct route_ip *net, int *prefix)
{
	if (net->family == AF_INET6 && *prefix >= 96 &&
	    memcmp(net->addr, route_v4mapped, 12) == 0) {
		memmove(net->addr, net->addr + 12, 4);
		memset(net->addr + 4, 0, 12);
		net->family = AF_INET;
		*prefix -= 96;
	}
}

int
route_cidr_parse(const char *s, struct route_ip *net, int *prefix)
{
	char		 buf[INET6_ADDRSTRLEN + 1];
	const char	*slash, *p;
	size_t		 n;
	int		 bits, max;

	if (s == NULL || net == NULL || prefix == NULL)
		return -1;
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash != NULL) {
		p = slash + 1;
		if (*p == '\0')
			return -1;
		/* Digits only, and stop before any overflow is possible. */
		for (bits = 0; *p != '\0'; p++) {
			if (!isdigit((unsigned char)*p))
				return -1;
			bits = bits * 10 + (*p - '0');
			if (bits > max)
				return -1;
		}
	}
	route_mask(net->addr, 16, bits);
	route_cidr_norm(net, &bits);
	*prefix = bits;
	return 0;
}

bool
route_cidr_contains(const struct route_ip *net, int prefix,
    const struct route_ip *ip)
{
	struct route_ip	n, a;
	size_t		len;

	if (net == NULL || ip == NULL || prefix < 0 || !route_ip_norm(ip, &a))
		return false;
	if (net->family != AF_INET && net->family != AF_INET6)
		return false;
	n = *net;
	if (prefix > (n.family == AF_INET ? 32 : 128))
		return false;
	route_cidr_norm(&n, &prefix);
	if (n.family != a.family)
		return false;
	len = n.family == AF_INET ? 4 : 16;
	route_mask(n.addr, len, prefix);
	route_mask(a.addr, len, prefix);
	return memcmp(n.addr, a.addr, len) == 0;
}

bool
route_ip_is_private(const struct route_ip *ip)
{
	struct route_ip	net;
	size_t		i;

	for (i = 0; i < ROUTE_NPRIVATE; i++) {
		memset(&net, 0, sizeof(net));
		net.family = route_private[i].family;
		memcpy(net.addr, route_private[i].addr, 16);
		if (route_cidr_contains(&net, route_private[i].prefix, ip))
			return true;
	}
	return false;
}

/* IP sets. */

static int
route_ipset_add(struct route_ipset *set, const struct route_ip *net,
    int prefix)
{
	struct route_range	**v, *nv, r;
	size_t			 *n;
	int			  bits;

	bits = net->family == AF_INET ? 32 : 128;
	r.lo = route_ip_key(net);
	r.hi = r.lo;
	/* Set every host bit of hi; bits counted from the key's bottom. */
	for (; prefix < bits; prefix++) {
		int	b = bits - 1 - prefix;

		if (b >= 64)
			r.hi.hi |= 1ULL << (b - 64);
		else
			r.hi.lo |= 1ULL << b;
	}
	if (net->family == AF_INET) {
		v = &set->v4;
		n = &set->nv4;
	} else {
		v = &set->v6;
		n = &set->nv6;
	}
	/* Doubling: a geoip list adds thousands of ranges one by one. */
	if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
		if ((nv = realloc(*v, (*n ? *n * 2 : 8) * sizeof(*nv))) ==
		    NULL)
			return -1;
		*v = nv;
	}
	(*v)[(*n)++] = r;
	return 0;
}

static int
route_range_cmp(const void *a, const void *b)
{
	const struct route_range	*x = a, *y = b;
	int				 c;

	if ((c = route_u128_cmp(x->lo, y->lo)) != 0)
		return c;
	return route_u128_cmp(x->hi, y->hi);
}

/* Overlapping CIDRs merge into one range, so any containing CIDR hits. */
static void
route_ranges_merge(struct route_range *v, size_t *n)
{
	size_t	i, out;

	if (*n == 0)
		return;
	qsort(v, *n, sizeof(*v), route_range_cmp);
	for (out = 0, i = 1; i < *n; i++) {
		if (route_u128_cmp(v[i].lo, v[out].hi) <= 0) {
			if (route_u128_cmp(v[i].hi, v[out].hi) > 0)
				v[out].hi = v[i].hi;
		} else
			v[++out] = v[i];
	}
	*n = out + 1;
}

static bool
route_ranges_has(const struct route_range *v, size_t n, struct route_u128 k)
{
	size_t	lo = 0, hi = n, mid;

	/* Find the last range starting at or before k. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (route_u128_cmp(v[mid].lo, k) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && route_u128_cmp(k, v[lo - 1].hi) <= 0;
}

static bool
route_ipset_has(const struct route_ipset *set, const struct route_ip *ip)
{
	struct route_ip	a;

	if (!route_ip_norm(ip, &a))
		return false;
	if (a.family == AF_INET)
		return route_ranges_has(set->v4, set->nv4, route_ip_key(&a));
	return route_ranges_has(set->v6, set->nv6, route_ip_key(&a));
}

static void
route_ipset_cleanup(struct route_ipset *set)
{
	free(set->v4);
	free(set->v6);
	memset(set, 0, sizeof(*set));
}

static int
route_geoip_cb(void *arg, int family, const uint8_t *addr, unsigned prefix)
{
	struct route_ip	net;

	memset(&net, 0, sizeof(net));
	net.family = family;
	memcpy(net.addr, addr, family == AF_INET ? 4 : 16);
	route_mask(net.addr, 16, (int)prefix);
	return route_ipset_add(arg, &net, (int)prefix) == -1 ? 1 : 0;
}

/*
 * The list cc of file into set; file NULL: cc is ext:'s "FILE:CC".
 */
static int
route_geoip_load(struct route_ipset *set, const char *file, const char *cc,
    const char *what, char *err, size_t errlen)
{
	struct geodat_file	 f;
	char			 path[PATH_MAX], msg[1024], *ext = NULL;
	const char		*errstr = "malformed";
	long			 n;
	int			 rc;

	if (file == NULL) {
		if ((ext = geodat_ext_split(cc, &cc)) == NULL) {
			route_err(err, errlen, "%s: %s", what, errno ==
			    EINVAL ? "want ext:FILE:CODE" : "out of memory");
			return -1;
		}
		file = ext;
	}
	if (*cc == '\0') {
		route_err(err, errlen, "%s: empty country code", what);
		free(ext);
		return -1;
	}
	rc = geodat_open_asset(file, &f, path, sizeof(path), msg, sizeof(msg));
	free(ext);
	if (rc == -1) {
		route_err(err, errlen, "%s: %s", what, msg);
		return -1;
	}
	n = geodat_ip_scan(f.p, f.len, cc, route_geoip_cb, set, &errstr);
	geodat_unmap(&f);
	if (n == -3)
		route_err(err, errlen, "%s: out of memory", what);
	else if (n == -2)
		route_err(err, errlen, "%s: list \"%s\" not found in %s%s",
		    what, cc, path, *cc == '!' ? " (V2Ray 4.34 has no "
		    "geoip:! negation)" : "");
	else if (n == -1)
		route_err(err, errlen, "%s: %s: %s", what, path, errstr);
	else if (n == 0)
		route_err(err, errlen, "%s: list \"%s\" in %s has no CIDRs",
		    what, cc, path);
	else
		return 0;
	return -1;
}

/*
 * Fill set from a list of CIDRs, geoip: and ext: lists: 0, or -1 with
 * err naming the value.
 */
static int
route_ipset_fill(struct route_ipset *set, const struct conf_strv *sv,
    char *err, size_t errlen)
{
	struct route_ip	 net;
	const char	*s, *cc;
	char		 what[256];
	size_t		 i, j;
	int		 prefix;

	for (i = 0; i < sv->n; i++) {
		s = sv->v[i] != NULL ? sv->v[i] : "";
		snprintf(what, sizeof(what), "\"%.200s\"", s);
		if (strncasecmp(s, "geoip:", 6) == 0) {
			cc = s + 6;
			if (strcasecmp(cc, "private") != 0) {
				if (route_geoip_load(set, "geoip.dat", cc, what,
				    err, errlen) == -1)
					return -1;
				continue;
			}
			/* Built in: Debian's v2ray ships no geoip.dat. */
			for (j = 0; j < ROUTE_NPRIVATE; j++) {
				memset(&net, 0, sizeof(net));
				net.family = route_private[j].family;
				memcpy(net.addr, route_private[j].addr, 16);
				if (route_ipset_add(set, &net,
				    route_private[j].prefix) == -1)
					goto oom;
			}
			continue;
		}
		if (strncmp(s, "ext:", 4) == 0 ||
		    strncmp(s, "ext-ip:", 7) == 0) {
			if (route_geoip_load(set, NULL, s + (s[3] == ':' ? 4 :
			    7), what, err, errlen) == -1)
				return -1;
			continue;
		}
		if (route_cidr_parse(s, &net, &prefix) == -1) {
			route_err(err, errlen, "%s: bad IP or CIDR", what);
			return -1;
		}
		if (route_ipset_add(set, &net, prefix) == -1)
			goto oom;
	}
	route_ranges_merge(set->v4, &set->nv4);
	route_ranges_merge(set->v6, &set->nv6);
	return 0;
oom:
	route_err(err, errlen, "out of memory");
	return -1;
}

/* Compile an "ip" or "source" list: 0, or -1 with err written. */
static int
route_ipset_compile(struct route_ipset *set, const struct conf_strv *sv,
    size_t ri, const char *field, char *err, size_t errlen)
{
	char	msg[1536];

	if (route_ipset_fill(set, sv, msg, sizeof(msg)) == 0)
		return 0;
	route_err(err, errlen, "rule %zu: %s %s", ri, field, msg);
	return -1;
}

struct route_ipset *
route_ipset_new(const struct conf_strv *sv, char *err, size_t errlen)
{
	struct route_ipset	*set;

	if ((set = calloc(1, sizeof(*set))) == NULL) {
		route_err(err, errlen, "out of memory");
		return NULL;
	}
	if (route_ipset_fill(set, sv, err, errlen) == -1) {
		route_ipset_free(set);
		return NULL;
	}
	return set;
}

bool
route_ipset_match(const struct route_ipset *set, const struct route_ip *ip)
{
	return set != NULL && ip != NULL && route_ipset_has(set, ip);
}

void
route_ipset_free(struct route_ipset *set)
{
	if (set == NULL)
		return;
	route_ipset_cleanup(set);
	free(set);
}

/* Ports. */

static int
route_port_num(const char *p, const char *e, uint16_t *port)
{
	unsigned long	v = 0;

	if (p == e)
		return -1;
	for (; p < e; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

/*
 * "53,443,1000-2000". Like 4.34, items are trimmed and empty items are
 * skipped, so "" compiles to no ranges (the field is then absent).
 */
static int
route_portset_compile(struct route_portset *set, const char *s, size_t ri,
    const char *field, char *err, size_t errlen)
{
	struct route_prange	*nr, r;
	const char		*p, *q, *e, *dash;

	for (p = s;; p = q + 1) {
		if ((q = strchr(p, ',')) == NULL)
			q = p + strlen(p);
		e = q;
		while (p < e && isspace((unsigned char)*p))
			p++;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		if (p < e) {
			dash = memchr(p, '-', (size_t)(e - p));
			if (dash == NULL) {
				if (route_port_num(p, e, &r.from) == -1)
					goto bad;
				r.to = r.from;
			} else if (route_port_num(p, dash, &r.from) == -1 ||
			    route_port_num(dash + 1, e, &r.to) == -1 ||
			    r.from > r.to)
				goto bad;
			if ((nr = realloc(set->r, (set->n + 1) *
			    sizeof(*nr))) == NULL) {
				route_err(err, errlen, "rule %zu: out of "
				    "memory", ri);
				return -1;
			}
			set->r = nr;
			set->r[set->n++] = r;
		}
		if (*q == '\0')
			break;
	}
	return 0;
bad:
	route_err(err, errlen, "rule %zu: %s \"%s\": bad port list (want "
	    "\"80\", \"1000-2000\" or \"53,443,1000-2000\", ports 0-65535)",
	    ri, field, s);
	return -1;
}

static bool
route_portset_has(const struct route_portset *set, uint16_t port)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		if (port >= set->r[i].from && port <= set->r[i].to)
			return true;
	return false;
}

/* Domains. */

static int
route_domain_compile(struct route_rule *r, const struct conf_strv *sv,
    size_t ri, char *err, size_t errlen)
{
	char		 msg[1024];
	const char	*s;
	size_t		 i;

	if ((r->dom = domset_new()) == NULL)
		goto oom;
	for (i = 0; i < sv->n; i++) {
		s = sv->v[i] != NULL ? sv->v[i] : "";
		if (domset_add_spec(r->dom, s, DOMSET_SUBSTR, msg,
		    sizeof(msg)) == -1) {
			route_err(err, errlen, "rule %zu: domain %s", ri, msg);
			return -1;
		}
	}
	if (domset_finish(r->dom) == -1)
		goto oom;
	return 0;
oom:
	route_err(err, errlen, "rule %zu: out of memory", ri);
	return -1;
}

/* Rules. */

static void
route_rule_free(struct route_rule *r)
{
	domset_free(r->dom);
	route_strset_free(&r->user);
	route_strset_free(&r->inbound);
	free(r->port.r);
	free(r->sport.r);
	route_ipset_cleanup(&r->ip);
	route_ipset_cleanup(&r->source);
	route_strv_free(&r->proto);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

static int
route_strset_compile(struct strmap *set, const struct conf_strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		if (sv->v[i] != NULL && route_strset_add(set, sv->v[i]) == -1)
			return -1;
	return 0;
}

static int
route_rule_compile(struct route_rule *r, const struct conf_rule *cr,
    size_t ri, char *err, size_t errlen)
{
	const char	*tag;
	size_t		 i;

	if (cr->domain.n > 0) {
		r->has_domain = true;
		if (route_domain_compile(r, &cr->domain, ri, err, errlen) == -1)
			return -1;
	}
	if (cr->user.n > 0) {
		r->has_user = true;
		if (route_strset_compile(&r->user, &cr->user) == -1)
			goto oom;
	}
	if (cr->inbound_tag.n > 0) {
		r->has_inbound = true;
		if (route_strset_compile(&r->inbound, &cr->inbound_tag) == -1)
			goto oom;
	}
	if (cr->port != NULL) {
		if (route_portset_compile(&r->port, cr->port, ri, "port", err,
		    errlen) == -1)
			return -1;
		r->has_port = r->port.n > 0;
	}
	if (cr->source_port != NULL) {
		if (route_portset_compile(&r->sport, cr->source_port, ri,
		    "sourcePort", err, errlen) == -1)
			return -1;
		r->has_sport = r->sport.n > 0;
	}
	r->network = cr->network & (CONF_NETBIT_TCP | CONF_NETBIT_UDP);
	if (cr->ip.n > 0) {
		r->has_ip = true;
		if (route_ipset_compile(&r->ip, &cr->ip, ri, "ip", err,
		    errlen) == -1)
			return -1;
	}
	if (cr->source.n > 0) {
		r->has_source = true;
		if (route_ipset_compile(&r->source, &cr->source, ri, "source",
		    err, errlen) == -1)
			return -1;
	}
	if (cr->protocol.n > 0) {
		r->has_proto = true;
		for (i = 0; i < cr->protocol.n; i++)
			if (cr->protocol.v[i] != NULL &&
			    route_strv_add(&r->proto, cr->protocol.v[i]) == -1)
				goto oom;
	}
	if (!r->has_domain && !r->has_user && !r->has_inbound &&
	    !r->has_port && !r->has_sport && r->network == 0 && !r->has_ip &&
	    !r->has_source && !r->has_proto) {
		route_err(err, errlen, "rule %zu has no effective fields", ri);
		return -1;
	}
	/* outboundTag wins over balancerTag; the engine resolves either. */
	tag = cr->outbound_tag != NULL && *cr->outbound_tag != '\0' ?
	    cr->outbound_tag : cr->balancer_tag;
	if (tag == NULL || *tag == '\0') {
		route_err(err, errlen, "rule %zu has neither outboundTag nor "
		    "balancerTag", ri);
		return -1;
	}
	if ((r->tag = strdup(tag)) == NULL)
		goto oom;
	return 0;
oom:
	route_err(err, errlen, "rule %zu: out of memory", ri);
	return -1;
}

/* The outbound a tag names is a blackhole. */
static bool
route_tag_blocks(const struct conf *c, const char *tag)
{
	size_t	i;

	for (i = 0; i < c->noutbounds; i++)
		if (c->outbounds[i].tag != NULL &&
		    strcmp(c->outbounds[i].tag, tag) == 0)
			return c->outbounds[i].proto == CONF_PROTO_BLACKHOLE;
	return false;
}

struct route_table *
route_compile(const struct conf *c, char *err, size_t errlen)
{
	struct route_table	*rt;
	size_t			 i;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (c == NULL) {
		route_err(err, errlen, "no configuration");
		return NULL;
	}
	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		goto oom;
	switch (c->route_strategy) {
	case CONF_RS_IPIFNONMATCH:
	case CONF_RS_IPONDEMAND:
		rt->strategy = c->route_strategy;
		break;
	default:
		rt->strategy = CONF_RS_ASIS;
		break;
	}
	if (c->nrules > 0) {
		if ((rt->rules = calloc(c->nrules, sizeof(*rt->rules))) ==
		    NULL) {
			free(rt);
			goto oom;
		}
	}
	for (i = 0; i < c->nrules; i++) {
		/* Counted first so route_free releases a half-built rule. */
		rt->nrules++;
		if (route_rule_compile(&rt->rules[i], &c->rules[i], i, err,
		    errlen) == -1) {
			route_free(rt);
			return NULL;
		}
		if (rt->rules[i].has_ip &&
		    route_tag_blocks(c, rt->rules[i].tag))
			rt->guard = true;
	}
	return rt;
oom:
	route_err(err, errlen, "out of memory");
	return NULL;
}

bool
route_guarded(const struct route_table *rt)
{
	return rt != NULL && rt->guard;
}

void
route_free(struct route_table *rt)
{
	size_t	i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->nrules; i++)
		route_rule_free(&rt->rules[i]);
	free(rt->rules);
	free(rt);
}

/* Matching. */

static enum route_rm
route_ip_cond(const struct route_ipset *set, const struct route_query *q,
    enum route_ipmode mode)
{
	size_t	i;

	if (q->domain == NULL)
		return route_ipset_has(set, &q->ip) ? ROUTE_RM_YES :
		    ROUTE_RM_NO;
	if (mode == ROUTE_IPM_NONE)
		return ROUTE_RM_NO;
	if (mode == ROUTE_IPM_DEMAND && !q->resolved_done)
		return ROUTE_RM_NEED;
	/* No addresses (DNS failed) means no match: the request falls on. */
	for (i = 0; q->resolved != NULL && i < q->nresolved; i++)
		if (route_ipset_has(set, &q->resolved[i]))
			return ROUTE_RM_YES;
	return ROUTE_RM_NO;
}

/* Fields in 4.34's order, which only matters for when DNS is asked. */
static enum route_rm
route_rule_match(const struct route_rule *r, const struct route_query *q,
    enum route_ipmode mode)
{
	enum route_rm	rm;
	size_t		i;

	if (r->has_domain && (q->domain == NULL ||
	    !domset_match(r->dom, q->domain)))
		return ROUTE_RM_NO;
	if (r->has_user && (q->user == NULL ||
	    !route_strset_has(&r->user, q->user)))
		return ROUTE_RM_NO;
	if (r->has_inbound && (q->inbound_tag == NULL ||
	    !route_strset_has(&r->inbound, q->inbound_tag)))
		return ROUTE_RM_NO;
	if (r->has_port && !route_portset_has(&r->port, q->port))
		return ROUTE_RM_NO;
	if (r->has_sport && (!q->has_source ||
	    !route_portset_has(&r->sport, q->source_port)))
		return ROUTE_RM_NO;
	if (r->network != 0 && (r->network & q->network) == 0)
		return ROUTE_RM_NO;
	if (r->has_ip && (rm = route_ip_cond(&r->ip, q, mode)) != ROUTE_RM_YES)
		return rm;
	if (r->has_source && (!q->has_source ||
	    !route_ipset_has(&r->source, &q->source)))
		return ROUTE_RM_NO;
	if (r->has_proto) {
		if (q->protocol == NULL)
			return ROUTE_RM_NO;
		for (i = 0; i < r->proto.n; i++)
			if (strncmp(q->protocol, r->proto.v[i],
			    strlen(r->proto.v[i])) == 0)
				break;
		if (i == r->proto.n)
			return ROUTE_RM_NO;
	}
	return ROUTE_RM_YES;
}

static enum route_verdict
route_pass(const struct route_table *rt, const struct route_query *q,
    enum route_ipmode mode, const char **tag, int *rule_index)
{
	size_t	i;

	for (i = 0; i < rt->nrules; i++) {
		switch (route_rule_match(&rt->rules[i], q, mode)) {
		case ROUTE_RM_YES:
			if (tag != NULL)
				*tag = rt->rules[i].tag;
			if (rule_index != NULL)
				*rule_index = (int)i;
			return ROUTE_MATCHED;
		case ROUTE_RM_NEED:
			return ROUTE_NEED_IPS;
		case ROUTE_RM_NO:
			break;
		}
	}
	return ROUTE_DEFAULT;
}

enum route_verdict
route_match(const struct route_table *rt, const struct route_query *q,
    const char **tag, int *rule_index)
{
	enum route_verdict	v;

	if (rt == NULL || q == NULL)
		return ROUTE_DEFAULT;
	/*
	 * A guarded name was resolved before a direct dial: its addresses
	 * meet every IP rule in one pass, whatever the strategy, so an
	 * earlier domain rule cannot carry it past a block.
	 */
	if (rt->guard && q->domain != NULL && q->resolved_done)
		return route_pass(rt, q, ROUTE_IPM_RESOLVED, tag, rule_index);
	switch (rt->strategy) {
	case CONF_RS_IPONDEMAND:
		return route_pass(rt, q, ROUTE_IPM_DEMAND, tag, rule_index);
	case CONF_RS_IPIFNONMATCH:
		v = route_pass(rt, q, ROUTE_IPM_NONE, tag, rule_index);
		if (v != ROUTE_DEFAULT || q->domain == NULL)
			return v;
		if (!q->resolved_done)
			return ROUTE_NEED_IPS;
		return route_pass(rt, q, ROUTE_IPM_RESOLVED, tag, rule_index);
	default:
		return route_pass(rt, q, ROUTE_IPM_NONE, tag, rule_index);
	}
}
