/* SPDX-License-Identifier: MIT */
/*
 * test_route.c: field-rule routing over hand-built configs: every domain
 * form, CIDR sets, ports, the §6.3 domainStrategy table, compile errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "route/route.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

/* Hand-built configs (conf.c is not linked in). */

static struct conf *
mkconf(enum conf_route_strategy rs, size_t nrules)
{
	struct conf	*c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->route_strategy = rs;
	c->nrules = nrules;
	c->rules = calloc(nrules ? nrules : 1, sizeof(*c->rules));
	assert_non_null(c->rules);
	return c;
}

/* Append the NULL-terminated strings to sv. */
static void
sv_add(struct conf_strv *sv, ...)
{
	va_list		 ap;
	const char	*s;

	va_start(ap, sv);
	while ((s = va_arg(ap, const char *)) != NULL) {
		sv->v = realloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
		assert_non_null(sv->v);
		sv->v[sv->n] = strdup(s);
		assert_non_null(sv->v[sv->n]);
		sv->n++;
	}
	va_end(ap);
}

static void
sv_free(struct conf_strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? strdup(s) : NULL;
}

static void
freeconf(struct conf *c)
{
	struct conf_rule	*r;
	size_t			 i;

	for (i = 0; i < c->nrules; i++) {
		r = &c->rules[i];
		sv_free(&r->domain);
		sv_free(&r->ip);
		sv_free(&r->source);
		sv_free(&r->user);
		sv_free(&r->inbound_tag);
		sv_free(&r->protocol);
		free(r->port);
		free(r->source_port);
		free(r->outbound_tag);
		free(r->balancer_tag);
	}
	free(c->rules);
	free(c);
}

static struct route_table *
compile_ok(const struct conf *c)
{
	struct route_table	*rt;
	char			 err[256] = "";

	rt = route_compile(c, err, sizeof(err));
	if (rt == NULL)
		fail_msg("route_compile: %s", err);
	return rt;
}

/* Compile must fail and the message must contain every needle given. */
static void
compile_fails(const struct conf *c, const char *needle1,
    const char *needle2)
{
	struct route_table	*rt;
	char			 err[1024] = "";

	rt = route_compile(c, err, sizeof(err));
	if (rt != NULL) {
		route_free(rt);
		fail_msg("compile succeeded, wanted \"%s\"", needle1);
	}
	if (strstr(err, needle1) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, needle1);
	if (needle2 != NULL && strstr(err, needle2) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, needle2);
}

static struct route_ip
mkip(const char *s)
{
	struct route_ip	ip;

	memset(&ip, 0, sizeof(ip));
	if (inet_pton(AF_INET, s, ip.addr) == 1)
		ip.family = AF_INET;
	else if (inet_pton(AF_INET6, s, ip.addr) == 1)
		ip.family = AF_INET6;
	else
		fail_msg("bad test address %s", s);
	return ip;
}

static void
q_domain(struct route_query *q, const char *d, uint16_t port)
{
	memset(q, 0, sizeof(*q));
	q->network = CONF_NETBIT_TCP;
	q->domain = d;
	q->port = port;
}

static void
q_ip(struct route_query *q, const char *ip, uint16_t port)
{
	memset(q, 0, sizeof(*q));
	q->network = CONF_NETBIT_TCP;
	q->ip = mkip(ip);
	q->port = port;
}

/* The verdict as text: the tag, "DEFAULT" or "NEED". */
static const char *
verdict(const struct route_table *rt, const struct route_query *q)
{
	const char		*tag = NULL;
	int			 idx = -1;
	enum route_verdict	 v;

	v = route_match(rt, q, &tag, &idx);
	switch (v) {
	case ROUTE_MATCHED:
		assert_non_null(tag);
		assert_true(idx >= 0);
		return tag;
	case ROUTE_DEFAULT:
		assert_null(tag);
		assert_int_equal(idx, -1);
		return "DEFAULT";
	case ROUTE_NEED_IPS:
		assert_null(tag);
		return "NEED";
	}
	return "?";
}

static const char *
vdomain(const struct route_table *rt, const char *d, uint16_t port)
{
	struct route_query	q;

	q_domain(&q, d, port);
	return verdict(rt, &q);
}

static const char *
vip(const struct route_table *rt, const char *ip, uint16_t port)
{
	struct route_query	q;

	q_ip(&q, ip, port);
	return verdict(rt, &q);
}

/* One-field rule list helpers. */

static struct conf *
ip_rule_conf(const char *a, const char *b, const char *c3)
{
	struct conf	*c = mkconf(CONF_RS_ASIS, 1);

	sv_add(&c->rules[0].ip, a, b, c3, (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "hit");
	return c;
}

/* Tests. */

static void
test_route_domain_forms(void **state)
{
	static const struct {
		const char *pat, *tag;
	} rules[] = {
		{ "full:example.com", "full" },
		{ "domain:google.com", "dom" },
		{ "keyword:bad", "kw" },
		{ "regexp:^ad[0-9]+\\.net$", "re" },
		{ "regexp:foo[0-9]", "re2" },
		{ "tracker", "plain" },
		{ "dotless:intra", "dotless-s" },
		{ "dotless:", "dotless" },
	};
	struct conf		*c;
	struct route_table	*rt;
	size_t			 i;

	c = mkconf(CONF_RS_ASIS, sizeof(rules) / sizeof(rules[0]));
	for (i = 0; i < c->nrules; i++) {
		sv_add(&c->rules[i].domain, rules[i].pat, (const char *)NULL);
		set_str(&c->rules[i].outbound_tag, rules[i].tag);
	}
	rt = compile_ok(c);

	assert_string_equal(vdomain(rt, "example.com", 80), "full");
	assert_string_equal(vdomain(rt, "www.example.com", 80), "DEFAULT");
	assert_string_equal(vdomain(rt, "example.com.cn", 80), "DEFAULT");

	assert_string_equal(vdomain(rt, "google.com", 80), "dom");
	assert_string_equal(vdomain(rt, "mail.google.com", 80), "dom");
	assert_string_equal(vdomain(rt, "a.b.google.com", 80), "dom");
	assert_string_equal(vdomain(rt, "notgoogle.com", 80), "DEFAULT");
	assert_string_equal(vdomain(rt, "google.com.cn", 80), "DEFAULT");

	assert_string_equal(vdomain(rt, "xbadx.org", 80), "kw");
	assert_string_equal(vdomain(rt, "ad12.net", 80), "re");
	assert_string_equal(vdomain(rt, "ad12.net.cn", 80), "DEFAULT");
	assert_string_equal(vdomain(rt, "x.ad12.net", 80), "DEFAULT");
	/* regexp: is unanchored. */
	assert_string_equal(vdomain(rt, "a.foo1.org", 80), "re2");
	assert_string_equal(vdomain(rt, "a.foo.org", 80), "DEFAULT");
	assert_string_equal(vdomain(rt, "x.tracker.y", 80), "plain");
	assert_string_equal(vdomain(rt, "trackerz.com", 80), "plain");

	assert_string_equal(vdomain(rt, "myintranet", 80), "dotless-s");
	assert_string_equal(vdomain(rt, "localhost", 80), "dotless");
	assert_string_equal(vdomain(rt, "intra.lan", 80), "DEFAULT");

	/* Case-sensitive, as 4.34. */
	assert_string_equal(vdomain(rt, "Example.com", 80), "DEFAULT");
	assert_string_equal(vdomain(rt, "GOOGLE.com", 80), "DEFAULT");

	/* Domain conditions never match an IP target. */
	assert_string_equal(vip(rt, "1.2.3.4", 80), "DEFAULT");

	route_free(rt);
	freeconf(c);
}

static void
test_route_domain_prefix_case(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 1);
	struct route_table	*rt;

	/* "Full:" is no prefix in 4.34: the whole string is a substring. */
	sv_add(&c->rules[0].domain, "Full:x.com", (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "t");
	rt = compile_ok(c);
	assert_string_equal(vdomain(rt, "x.com", 1), "DEFAULT");
	assert_string_equal(vdomain(rt, "aFull:x.comb", 1), "t");
	route_free(rt);
	freeconf(c);
}

static void
test_route_domain_many(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 2);
	struct route_table	*rt;
	char			 buf[64];
	int			 i;

	/* Enough values to force several rehashes of both sets. */
	for (i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "full:host%d.test", i);
		sv_add(&c->rules[0].domain, buf, (const char *)NULL);
		snprintf(buf, sizeof(buf), "domain:zone%d.test", i);
		sv_add(&c->rules[1].domain, buf, (const char *)NULL);
	}
	/* A duplicate must be harmless. */
	sv_add(&c->rules[0].domain, "full:host7.test", (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "full");
	set_str(&c->rules[1].outbound_tag, "dom");
	rt = compile_ok(c);
	for (i = 0; i < 1000; i += 37) {
		snprintf(buf, sizeof(buf), "host%d.test", i);
		assert_string_equal(vdomain(rt, buf, 1), "full");
		snprintf(buf, sizeof(buf), "a.host%d.test", i);
		assert_string_equal(vdomain(rt, buf, 1), "DEFAULT");
		snprintf(buf, sizeof(buf), "zone%d.test", i);
		assert_string_equal(vdomain(rt, buf, 1), "dom");
		snprintf(buf, sizeof(buf), "x.y.zone%d.test", i);
		assert_string_equal(vdomain(rt, buf, 1), "dom");
	}
	assert_string_equal(vdomain(rt, "host1000.test", 1), "DEFAULT");
	assert_string_equal(vdomain(rt, "zone1000.test", 1), "DEFAULT");
	assert_string_equal(vdomain(rt, "test", 1), "DEFAULT");
	assert_string_equal(vdomain(rt, "", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);
}

static void
test_route_cidr_parse(void **state)
{
	struct route_ip	net, ip;
	int		pfx;

	assert_int_equal(route_cidr_parse("10.0.0.0/8", &net, &pfx), 0);
	assert_int_equal(net.family, AF_INET);
	assert_int_equal(pfx, 8);
	assert_int_equal(net.addr[0], 10);

	/* Host bits are cleared. */
	assert_int_equal(route_cidr_parse("10.1.2.3/8", &net, &pfx), 0);
	assert_int_equal(net.addr[1], 0);
	assert_int_equal(net.addr[3], 0);

	assert_int_equal(route_cidr_parse("1.2.3.4", &net, &pfx), 0);
	assert_int_equal(pfx, 32);
	assert_int_equal(net.addr[3], 4);
	assert_int_equal(route_cidr_parse("::1", &net, &pfx), 0);
	assert_int_equal(net.family, AF_INET6);
	assert_int_equal(pfx, 128);
	assert_int_equal(route_cidr_parse("fe80::/10", &net, &pfx), 0);
	assert_int_equal(pfx, 10);
	assert_int_equal(route_cidr_parse("0.0.0.0/0", &net, &pfx), 0);
	assert_int_equal(pfx, 0);
	assert_int_equal(route_cidr_parse("10.0.0.0/08", &net, &pfx), 0);
	assert_int_equal(pfx, 8);

	/* A v4-mapped network of /96 or more is its IPv4 network. */
	assert_int_equal(route_cidr_parse("::ffff:10.0.0.0/104", &net, &pfx),
	    0);
	assert_int_equal(net.family, AF_INET);
	assert_int_equal(pfx, 8);
	assert_int_equal(net.addr[0], 10);
	assert_int_equal(route_cidr_parse("::ffff:1.2.3.4", &net, &pfx), 0);
	assert_int_equal(net.family, AF_INET);
	assert_int_equal(pfx, 32);

	assert_int_equal(route_cidr_parse("10.0.0.0/33", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("::/129", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("10.0.0.0/", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("10.0.0.0/-1", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("10.0.0.0/ 8", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("10.0.0.0/8x", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("10.0.0.0/99999999999999999999",
	    &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("10.0.0/8", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("256.0.0.0", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("example.com", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse("/8", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse(" 1.2.3.4", &net, &pfx), -1);
	assert_int_equal(route_cidr_parse(NULL, &net, &pfx), -1);

	assert_int_equal(route_cidr_parse("10.0.0.0/8", &net, &pfx), 0);
	ip = mkip("10.200.1.1");
	assert_true(route_cidr_contains(&net, pfx, &ip));
	ip = mkip("11.0.0.0");
	assert_false(route_cidr_contains(&net, pfx, &ip));
	ip = mkip("::ffff:10.9.9.9");
	assert_true(route_cidr_contains(&net, pfx, &ip));
	ip = mkip("::a00:1");	/* not mapped: an IPv6 address */
	assert_false(route_cidr_contains(&net, pfx, &ip));

	/* The helper also takes a mapped network given in v6 form. */
	net = mkip("::ffff:192.168.0.0");
	ip = mkip("192.168.77.1");
	assert_true(route_cidr_contains(&net, 112, &ip));
	assert_false(route_cidr_contains(&net, 129, &ip));
	assert_false(route_cidr_contains(&net, -1, &ip));

	assert_int_equal(route_cidr_parse("2001:db8::/32", &net, &pfx), 0);
	ip = mkip("2001:db8:ffff::1");
	assert_true(route_cidr_contains(&net, pfx, &ip));
	ip = mkip("2001:db9::1");
	assert_false(route_cidr_contains(&net, pfx, &ip));
	ip = mkip("32.1.13.184");	/* same leading bytes, other family */
	assert_false(route_cidr_contains(&net, pfx, &ip));

	assert_int_equal(route_cidr_parse("0.0.0.0/0", &net, &pfx), 0);
	ip = mkip("255.1.2.3");
	assert_true(route_cidr_contains(&net, pfx, &ip));
}

static void
test_route_ip_is_private(void **state)
{
	static const char *const yes[] = {
		"0.1.2.3", "10.0.0.1", "100.64.1.1", "100.127.255.255",
		"127.0.0.1", "169.254.9.9", "172.16.0.1", "172.31.255.255",
		"192.0.0.7", "192.0.2.1", "192.88.99.1", "192.168.1.1",
		"198.18.0.1", "198.19.255.255", "198.51.100.9",
		"203.0.113.5", "224.0.0.1", "239.1.1.1", "240.0.0.1",
		"255.255.255.255", "::1", "fc00::1", "fd12::1", "fe80::1",
		"febf::1", "ff02::1", "::ffff:192.168.1.1",
	};
	static const char *const no[] = {
		"1.1.1.1", "8.8.8.8", "100.128.0.1", "100.63.255.255",
		"172.32.0.1", "172.15.255.255", "192.0.1.1", "192.169.0.1",
		"198.20.0.1", "11.0.0.0", "9.255.255.255", "2001:4860::1",
		"::2", "fec0::1", "::ffff:1.1.1.1",
	};
	struct route_ip	ip;
	size_t		i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		ip = mkip(yes[i]);
		if (!route_ip_is_private(&ip))
			fail_msg("%s should be private", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		ip = mkip(no[i]);
		if (route_ip_is_private(&ip))
			fail_msg("%s should not be private", no[i]);
	}
}

static void
test_route_ip_overlap(void **state)
{
	struct conf		*c;
	struct route_table	*rt;

	/* 4.34's binary search misses 10.2.3.4 here; we must not. */
	c = ip_rule_conf("10.0.0.0/8", "10.1.0.0/16", NULL);
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "10.0.0.1", 1), "hit");
	assert_string_equal(vip(rt, "10.1.2.3", 1), "hit");
	assert_string_equal(vip(rt, "10.2.3.4", 1), "hit");
	assert_string_equal(vip(rt, "10.255.0.1", 1), "hit");
	assert_string_equal(vip(rt, "10.255.255.255", 1), "hit");
	assert_string_equal(vip(rt, "11.0.0.0", 1), "DEFAULT");
	assert_string_equal(vip(rt, "9.255.255.255", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);

	/* Reverse order, a contained bare IP, and a disjoint network. */
	c = ip_rule_conf("10.1.0.0/16", "10.0.0.0/8", "10.1.2.3");
	sv_add(&c->rules[0].ip, "192.168.1.0/24", "10.3.0.0/16",
	    (const char *)NULL);
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "10.200.3.4", 1), "hit");
	assert_string_equal(vip(rt, "10.1.2.3", 1), "hit");
	assert_string_equal(vip(rt, "192.168.1.255", 1), "hit");
	assert_string_equal(vip(rt, "192.168.2.0", 1), "DEFAULT");
	assert_string_equal(vip(rt, "192.168.0.255", 1), "DEFAULT");
	assert_string_equal(vip(rt, "172.16.0.1", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);

	/* Same start, the shorter network listed first and last. */
	c = ip_rule_conf("10.0.0.0/16", "10.0.0.0/8", "10.0.0.0/24");
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "10.200.0.1", 1), "hit");
	assert_string_equal(vip(rt, "10.0.3.1", 1), "hit");
	route_free(rt);
	freeconf(c);

	/* Partial overlap chain: /16 inside /12 beside a /24. */
	c = ip_rule_conf("172.16.0.0/12", "172.20.0.0/16", "172.31.255.0/24");
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "172.31.255.7", 1), "hit");
	assert_string_equal(vip(rt, "172.25.0.1", 1), "hit");
	assert_string_equal(vip(rt, "172.32.0.0", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);

	c = ip_rule_conf("0.0.0.0/0", NULL, NULL);
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "255.255.255.255", 1), "hit");
	assert_string_equal(vip(rt, "0.0.0.0", 1), "hit");
	assert_string_equal(vip(rt, "::1", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);
}

static void
test_route_ip_v6(void **state)
{
	struct conf		*c;
	struct route_table	*rt;

	c = ip_rule_conf("2001:db8::/32", "2001:db8:1::/48", "::1");
	sv_add(&c->rules[0].ip, "10.0.0.0/8", "::ffff:192.168.0.0/112",
	    (const char *)NULL);
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "2001:db8::5", 1), "hit");
	assert_string_equal(vip(rt, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	    1), "hit");
	assert_string_equal(vip(rt, "2001:db9::", 1), "DEFAULT");
	assert_string_equal(vip(rt, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
	    1), "DEFAULT");
	assert_string_equal(vip(rt, "::1", 1), "hit");
	assert_string_equal(vip(rt, "::2", 1), "DEFAULT");
	/* Mapped addresses hit IPv4 networks and vice versa. */
	assert_string_equal(vip(rt, "::ffff:10.9.8.7", 1), "hit");
	assert_string_equal(vip(rt, "192.168.3.4", 1), "hit");
	assert_string_equal(vip(rt, "::ffff:192.168.3.4", 1), "hit");
	assert_string_equal(vip(rt, "::ffff:11.0.0.1", 1), "DEFAULT");
	/* 32.1.13.184 shares its bytes with 2001:db8:: but is IPv4. */
	assert_string_equal(vip(rt, "32.1.13.184", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);

	/* High bits of both 64-bit halves: ranges that span the middle. */
	c = ip_rule_conf("::/0", NULL, NULL);
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    1), "hit");
	assert_string_equal(vip(rt, "::", 1), "hit");
	assert_string_equal(vip(rt, "1.2.3.4", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);

	c = ip_rule_conf("2001:db8:0:0:8000::/65", NULL, NULL);
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "2001:db8::8000:0:0:1", 1), "hit");
	assert_string_equal(vip(rt, "2001:db8::7fff:ffff:ffff:ffff", 1),
	    "DEFAULT");
	assert_string_equal(vip(rt, "2001:db8:0:1::", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);
}

static void
test_route_geoip_private(void **state)
{
	struct conf		*c;
	struct route_table	*rt;

	c = ip_rule_conf("GeoIP:Private", NULL, NULL);
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "192.168.1.1", 1), "hit");
	assert_string_equal(vip(rt, "100.64.1.1", 1), "hit");
	assert_string_equal(vip(rt, "1.1.1.1", 1), "DEFAULT");
	assert_string_equal(vip(rt, "fd00::1", 1), "hit");
	assert_string_equal(vip(rt, "2001:4860::1", 1), "DEFAULT");
	assert_string_equal(vip(rt, "255.255.255.255", 1), "hit");
	assert_string_equal(vip(rt, "223.255.255.255", 1), "DEFAULT");
	assert_string_equal(vip(rt, "255.255.255.254", 1), "hit");
	assert_string_equal(vip(rt, "::ffff:10.1.1.1", 1), "hit");
	route_free(rt);
	freeconf(c);

	/* Mixed with a plain CIDR in the same field. */
	c = ip_rule_conf("8.8.8.8", "geoip:private", NULL);
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "8.8.8.8", 1), "hit");
	assert_string_equal(vip(rt, "127.0.0.1", 1), "hit");
	assert_string_equal(vip(rt, "8.8.4.4", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);
}

static void
test_route_ports(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 4);
	struct route_table	*rt;
	struct route_query	 q;

	set_str(&c->rules[0].port, "80");
	set_str(&c->rules[0].outbound_tag, "p80");
	set_str(&c->rules[1].port, "1000-2000");
	set_str(&c->rules[1].outbound_tag, "range");
	set_str(&c->rules[2].port, "53, 443,,3000-3001 ");
	set_str(&c->rules[2].outbound_tag, "list");
	set_str(&c->rules[3].source_port, "0-1023");
	set_str(&c->rules[3].outbound_tag, "sport");
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "1.2.3.4", 80), "p80");
	assert_string_equal(vip(rt, "1.2.3.4", 81), "DEFAULT");
	assert_string_equal(vip(rt, "1.2.3.4", 79), "DEFAULT");
	assert_string_equal(vip(rt, "1.2.3.4", 1000), "range");
	assert_string_equal(vip(rt, "1.2.3.4", 2000), "range");
	assert_string_equal(vip(rt, "1.2.3.4", 1500), "range");
	assert_string_equal(vip(rt, "1.2.3.4", 999), "DEFAULT");
	assert_string_equal(vip(rt, "1.2.3.4", 2001), "DEFAULT");
	assert_string_equal(vip(rt, "1.2.3.4", 53), "list");
	assert_string_equal(vip(rt, "1.2.3.4", 443), "list");
	assert_string_equal(vip(rt, "1.2.3.4", 3001), "list");
	assert_string_equal(vip(rt, "1.2.3.4", 3002), "DEFAULT");
	assert_string_equal(vdomain(rt, "x.org", 443), "list");

	/* sourcePort needs a source. */
	q_ip(&q, "1.2.3.4", 9);
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.has_source = true;
	q.source = mkip("5.6.7.8");
	q.source_port = 1023;
	assert_string_equal(verdict(rt, &q), "sport");
	q.source_port = 1024;
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	route_free(rt);
	freeconf(c);

	/* Full range and port 0. */
	c = mkconf(CONF_RS_ASIS, 1);
	set_str(&c->rules[0].port, "0,65535");
	set_str(&c->rules[0].outbound_tag, "edge");
	rt = compile_ok(c);
	assert_string_equal(vip(rt, "1.2.3.4", 0), "edge");
	assert_string_equal(vip(rt, "1.2.3.4", 65535), "edge");
	assert_string_equal(vip(rt, "1.2.3.4", 1), "DEFAULT");
	route_free(rt);
	freeconf(c);
}

static void
test_route_network(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 2);
	struct route_table	*rt;
	struct route_query	 q;

	c->rules[0].network = CONF_NETBIT_UDP;
	set_str(&c->rules[0].outbound_tag, "udp");
	c->rules[1].network = CONF_NETBIT_TCP | CONF_NETBIT_UDP;
	set_str(&c->rules[1].outbound_tag, "both");
	rt = compile_ok(c);
	q_ip(&q, "1.2.3.4", 53);
	q.network = CONF_NETBIT_UDP;
	assert_string_equal(verdict(rt, &q), "udp");
	q.network = CONF_NETBIT_TCP;
	assert_string_equal(verdict(rt, &q), "both");
	route_free(rt);
	freeconf(c);

	c = mkconf(CONF_RS_ASIS, 1);
	c->rules[0].network = CONF_NETBIT_TCP;
	set_str(&c->rules[0].outbound_tag, "tcp");
	rt = compile_ok(c);
	q_domain(&q, "a.b", 1);
	q.network = CONF_NETBIT_UDP;
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.network = CONF_NETBIT_TCP;
	assert_string_equal(verdict(rt, &q), "tcp");
	route_free(rt);
	freeconf(c);
}

static void
test_route_user_inbound_protocol(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 3);
	struct route_table	*rt;
	struct route_query	 q;

	sv_add(&c->rules[0].user, "love@v2ray.com", "bob",
	    (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "user");
	sv_add(&c->rules[1].inbound_tag, "bridge", "socks-in",
	    (const char *)NULL);
	set_str(&c->rules[1].outbound_tag, "in");
	sv_add(&c->rules[2].protocol, "http", "bittorrent",
	    (const char *)NULL);
	set_str(&c->rules[2].outbound_tag, "proto");
	rt = compile_ok(c);

	q_domain(&q, "x.org", 80);
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.user = "bob";
	assert_string_equal(verdict(rt, &q), "user");
	q.user = "bo";		/* exact, not prefix */
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.user = "Bob";
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.user = "love@v2ray.com";
	assert_string_equal(verdict(rt, &q), "user");

	q_domain(&q, "x.org", 80);
	q.inbound_tag = "bridge";
	assert_string_equal(verdict(rt, &q), "in");
	q.inbound_tag = "bridge2";
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.inbound_tag = "socks-in";
	assert_string_equal(verdict(rt, &q), "in");

	q_domain(&q, "x.org", 80);
	q.protocol = "http1";	/* prefix match */
	assert_string_equal(verdict(rt, &q), "proto");
	q.protocol = "http";
	assert_string_equal(verdict(rt, &q), "proto");
	q.protocol = "tls";
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.protocol = "htt";
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.protocol = "bittorrent";
	assert_string_equal(verdict(rt, &q), "proto");
	route_free(rt);
	freeconf(c);
}

static void
test_route_source(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 1);
	struct route_table	*rt;
	struct route_query	 q;

	sv_add(&c->rules[0].source, "192.168.0.0/16", "geoip:PRIVATE",
	    "2001:db8::/32", (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "src");
	rt = compile_ok(c);
	q_ip(&q, "8.8.8.8", 53);
	assert_string_equal(verdict(rt, &q), "DEFAULT");	/* no source */
	q.has_source = true;
	q.source = mkip("10.0.0.2");
	assert_string_equal(verdict(rt, &q), "src");
	q.source = mkip("2001:db8::2");
	assert_string_equal(verdict(rt, &q), "src");
	q.source = mkip("8.8.4.4");
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	/* source is never resolved and ignores the target. */
	q_ip(&q, "10.0.0.1", 53);
	q.has_source = true;
	q.source = mkip("1.1.1.1");
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	route_free(rt);
	freeconf(c);
}

static void
test_route_first_match_and(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 4);
	struct route_table	*rt;
	struct route_query	 q;
	const char		*tag = NULL;
	int			 idx = -1;

	/* Rule 0 needs every field; the later ones are looser. */
	sv_add(&c->rules[0].domain, "domain:a.com", (const char *)NULL);
	set_str(&c->rules[0].port, "443");
	c->rules[0].network = CONF_NETBIT_TCP;
	sv_add(&c->rules[0].inbound_tag, "in1", (const char *)NULL);
	sv_add(&c->rules[0].user, "u", (const char *)NULL);
	sv_add(&c->rules[0].protocol, "tls", (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "all");
	sv_add(&c->rules[1].domain, "domain:a.com", (const char *)NULL);
	set_str(&c->rules[1].port, "443");
	set_str(&c->rules[1].outbound_tag, "two");
	sv_add(&c->rules[2].domain, "a.com", (const char *)NULL);
	set_str(&c->rules[2].outbound_tag, "first-plain");
	sv_add(&c->rules[3].domain, "a.com", (const char *)NULL);
	set_str(&c->rules[3].outbound_tag, "shadowed");
	rt = compile_ok(c);

	q_domain(&q, "x.a.com", 443);
	q.inbound_tag = "in1";
	q.user = "u";
	q.protocol = "tls";
	assert_int_equal(route_match(rt, &q, &tag, &idx), ROUTE_MATCHED);
	assert_string_equal(tag, "all");
	assert_int_equal(idx, 0);

	q.protocol = "http1";	/* one field off: falls to rule 1 */
	assert_int_equal(route_match(rt, &q, &tag, &idx), ROUTE_MATCHED);
	assert_string_equal(tag, "two");
	assert_int_equal(idx, 1);

	q.port = 80;
	assert_int_equal(route_match(rt, &q, &tag, &idx), ROUTE_MATCHED);
	assert_string_equal(tag, "first-plain");
	assert_int_equal(idx, 2);

	q.domain = "b.com";
	tag = NULL;
	idx = -1;
	assert_int_equal(route_match(rt, &q, &tag, &idx), ROUTE_DEFAULT);
	assert_null(tag);
	assert_int_equal(idx, -1);
	route_free(rt);
	freeconf(c);
}

static void
test_route_tags(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 2);
	struct route_table	*rt;

	sv_add(&c->rules[0].domain, "full:a", (const char *)NULL);
	set_str(&c->rules[0].balancer_tag, "bal");
	sv_add(&c->rules[1].domain, "full:b", (const char *)NULL);
	set_str(&c->rules[1].balancer_tag, "bal");
	set_str(&c->rules[1].outbound_tag, "out");
	rt = compile_ok(c);
	/* The table keeps its own copies of the tags. */
	set_str(&c->rules[0].balancer_tag, "changed");
	assert_string_equal(vdomain(rt, "a", 1), "bal");
	assert_string_equal(vdomain(rt, "b", 1), "out");
	route_free(rt);
	freeconf(c);
}

static void
test_route_empty(void **state)
{
	struct conf		*c = mkconf(CONF_RS_IPONDEMAND, 0);
	struct route_table	*rt;
	struct route_query	 q;

	rt = compile_ok(c);
	assert_string_equal(vdomain(rt, "a.b", 1), "DEFAULT");
	assert_string_equal(vip(rt, "1.1.1.1", 1), "DEFAULT");
	q_ip(&q, "1.1.1.1", 1);
	assert_int_equal(route_match(NULL, &q, NULL, NULL), ROUTE_DEFAULT);
	route_free(rt);
	route_free(NULL);
	freeconf(c);
}

/* The §6.3 table, verified against 4.34. */
static struct conf *
strategy_conf(enum conf_route_strategy rs)
{
	struct conf	*c = mkconf(rs, 3);

	sv_add(&c->rules[0].ip, "127.0.0.0/8", (const char *)NULL);
	set_str(&c->rules[0].port, "18081");
	set_str(&c->rules[0].outbound_tag, "A");
	sv_add(&c->rules[1].domain, "full:localhost", (const char *)NULL);
	set_str(&c->rules[1].port, "18081");
	set_str(&c->rules[1].outbound_tag, "B");
	sv_add(&c->rules[2].ip, "127.0.0.0/8", (const char *)NULL);
	set_str(&c->rules[2].port, "18082");
	set_str(&c->rules[2].outbound_tag, "A");
	return c;
}

/* Route like the dispatcher: answer NEED_IPS with 127.0.0.1 once. */
static const char *
strategy_route(const struct route_table *rt, uint16_t port, int *asked)
{
	static const struct route_ip	 lo = { AF_INET, { 127, 0, 0, 1 } };
	struct route_query		 q;
	const char			*v;

	q_domain(&q, "localhost", port);
	*asked = 0;
	v = verdict(rt, &q);
	if (strcmp(v, "NEED") != 0)
		return v;
	*asked = 1;
	q.resolved_done = true;
	q.resolved = &lo;
	q.nresolved = 1;
	v = verdict(rt, &q);
	assert_string_not_equal(v, "NEED");
	return v;
}

static void
test_route_strategy_table(void **state)
{
	static const struct {
		enum conf_route_strategy rs;
		const char	*p18081, *p18082;
		int		 ask18081, ask18082;
	} rows[] = {
		{ CONF_RS_ASIS, "B", "DEFAULT", 0, 0 },
		{ CONF_RS_IPIFNONMATCH, "B", "A", 0, 1 },
		{ CONF_RS_IPONDEMAND, "A", "A", 1, 1 },
	};
	struct conf		*c;
	struct route_table	*rt;
	size_t			 i;
	int			 asked;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		c = strategy_conf(rows[i].rs);
		rt = compile_ok(c);
		assert_string_equal(strategy_route(rt, 18081, &asked),
		    rows[i].p18081);
		assert_int_equal(asked, rows[i].ask18081);
		assert_string_equal(strategy_route(rt, 18082, &asked),
		    rows[i].p18082);
		assert_int_equal(asked, rows[i].ask18082);
		/* An IP target never needs DNS, whatever the strategy. */
		assert_string_equal(vip(rt, "127.0.0.1", 18081), "A");
		assert_string_equal(vip(rt, "127.0.0.1", 18082), "A");
		assert_string_equal(vip(rt, "10.0.0.1", 18082), "DEFAULT");
		/* Port mismatch on every rule: no DNS either. */
		if (rows[i].rs != CONF_RS_IPIFNONMATCH)
			assert_string_equal(vdomain(rt, "localhost", 1),
			    "DEFAULT");
		route_free(rt);
		freeconf(c);
	}
}

static void
test_route_strategy_dns_failure(void **state)
{
	struct conf		*c;
	struct route_table	*rt;
	struct route_query	 q;
	struct route_ip		 other = { AF_INET, { 8, 8, 8, 8 } };
	struct route_ip		 mapped = { AF_INET6,
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 9 } };

	/* IPIfNonMatch with a domain nothing matches asks, then defaults. */
	c = strategy_conf(CONF_RS_IPIFNONMATCH);
	rt = compile_ok(c);
	q_domain(&q, "nowhere.example", 1);
	assert_string_equal(verdict(rt, &q), "NEED");
	q.resolved_done = true;	/* DNS failed: no addresses */
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q_domain(&q, "localhost", 18082);
	q.resolved_done = true;
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.resolved = &other;
	q.nresolved = 1;
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.resolved = &mapped;	/* v4-mapped answers still hit 127/8 */
	assert_string_equal(verdict(rt, &q), "A");
	route_free(rt);
	freeconf(c);

	/* IPOnDemand: DNS failure makes the IP condition fail, and on. */
	c = strategy_conf(CONF_RS_IPONDEMAND);
	rt = compile_ok(c);
	q_domain(&q, "localhost", 18081);
	q.resolved_done = true;
	assert_string_equal(verdict(rt, &q), "B");
	q.resolved = &other;
	q.nresolved = 1;
	assert_string_equal(verdict(rt, &q), "B");
	route_free(rt);
	freeconf(c);

	/* AsIs never asks, even with IP rules and a domain target. */
	c = strategy_conf(CONF_RS_ASIS);
	rt = compile_ok(c);
	q_domain(&q, "localhost", 18082);
	q.resolved_done = true;
	q.resolved = &mapped;
	q.nresolved = 1;
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	route_free(rt);
	freeconf(c);
}

/*
 * The guard: a rule sending IP ranges to a blackhole makes a resolved name
 * meet every IP rule in one pass, whatever the strategy and even after an
 * earlier domain-only miss; without a blackhole target nothing changes.
 */
static void
test_route_guard(void **state)
{
	struct conf		*c = mkconf(CONF_RS_ASIS, 2);
	struct route_table	*rt;
	struct route_query	 q;
	struct route_ip		 lo6 = { AF_INET6, { [15] = 1 } };
	struct route_ip		 any6 = { AF_INET6, { 0 } };
	struct route_ip		 two[2] = { { AF_INET, { 1, 2, 3, 4 } },
	    { AF_INET, { 127, 0, 0, 1 } } };

	c->noutbounds = 2;
	c->outbounds = calloc(2, sizeof(*c->outbounds));
	assert_non_null(c->outbounds);
	c->outbounds[0].tag = strdup("direct");
	c->outbounds[0].proto = CONF_PROTO_FREEDOM;
	c->outbounds[1].tag = strdup("blocked");
	c->outbounds[1].proto = CONF_PROTO_BLACKHOLE;
	sv_add(&c->rules[0].domain, "full:nas.lan", (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "direct");
	sv_add(&c->rules[1].ip, "geoip:private", (const char *)NULL);
	set_str(&c->rules[1].outbound_tag, "blocked");
	rt = compile_ok(c);
	assert_true(route_guarded(rt));

	/* Before resolution AsIs is unchanged: the caller resolves. */
	q_domain(&q, "localhost", 80);
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.resolved_done = true;
	q.resolved = &lo6;
	q.nresolved = 1;
	assert_string_equal(verdict(rt, &q), "blocked");
	q.resolved = &any6;		/* :: connects to this host */
	assert_string_equal(verdict(rt, &q), "blocked");
	q.resolved = two;		/* any blocked answer blocks */
	q.nresolved = 2;
	assert_string_equal(verdict(rt, &q), "blocked");
	q.nresolved = 1;		/* 1.2.3.4 alone passes */
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	q.resolved_done = true;		/* no answer: nothing to block */
	q.nresolved = 0;
	assert_string_equal(verdict(rt, &q), "DEFAULT");
	/* An explicit domain rule first still wins. */
	q_domain(&q, "nas.lan", 80);
	q.resolved_done = true;
	q.resolved = &two[1];
	q.nresolved = 1;
	assert_string_equal(verdict(rt, &q), "direct");
	route_free(rt);

	/* IPIfNonMatch: resolved names meet IP rules before domain rules
	 * that come later, in one pass. */
	c->route_strategy = CONF_RS_IPIFNONMATCH;
	rt = compile_ok(c);
	q_domain(&q, "localhost", 80);
	q.resolved_done = true;
	q.resolved = &two[1];
	q.nresolved = 1;
	assert_string_equal(verdict(rt, &q), "blocked");
	route_free(rt);

	/* The same IP rule to a freedom outbound guards nothing. */
	set_str(&c->rules[1].outbound_tag, "direct");
	rt = compile_ok(c);
	assert_false(route_guarded(rt));
	route_free(rt);
	free(c->outbounds[0].tag);
	free(c->outbounds[1].tag);
	free(c->outbounds);
	freeconf(c);
}

static void
test_route_ondemand_order(void **state)
{
	struct conf		*c = mkconf(CONF_RS_IPONDEMAND, 2);
	struct route_table	*rt;
	struct route_query	 q;

	/* A rule whose earlier field fails never reaches its IP field. */
	sv_add(&c->rules[0].user, "nobody", (const char *)NULL);
	sv_add(&c->rules[0].ip, "0.0.0.0/0", (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "x");
	sv_add(&c->rules[1].domain, "domain:ok.com", (const char *)NULL);
	set_str(&c->rules[1].outbound_tag, "dom");
	rt = compile_ok(c);
	q_domain(&q, "www.ok.com", 1);
	assert_string_equal(verdict(rt, &q), "dom");
	q.user = "nobody";
	assert_string_equal(verdict(rt, &q), "NEED");
	route_free(rt);
	freeconf(c);
}

static void
test_route_compile_errors(void **state)
{
	static const struct {
		const char *domain, *ip, *port, *sport, *n1, *n2;
	} bad[] = {
		{ "geosite:cn", NULL, NULL, NULL, "\"geosite:cn\"",
		  "geosite.dat not found" },
		{ "ext:h2y.dat:gfw", NULL, NULL, NULL, "ext:h2y.dat:gfw",
		  NULL },
		{ "ext-domain:h2y.dat:gfw", NULL, NULL, NULL, "ext-domain",
		  NULL },
		{ "full:", NULL, NULL, NULL, "\"full:\"", "empty" },
		{ "domain:", NULL, NULL, NULL, "\"domain:\"", "empty" },
		{ "keyword:", NULL, NULL, NULL, "\"keyword:\"", "empty" },
		{ "regexp:", NULL, NULL, NULL, "\"regexp:\"", "empty" },
		{ "regexp:(", NULL, NULL, NULL, "regexp:(", "regexp" },
		{ "dotless:a.b", NULL, NULL, NULL, "dotless:a.b", "dot" },
		{ NULL, "10.0.0.0/33", NULL, NULL, "10.0.0.0/33", "rule 1" },
		{ NULL, "::/129", NULL, NULL, "::/129", NULL },
		{ NULL, "garbage", NULL, NULL, "\"garbage\"", "rule 1" },
		{ NULL, "1.2.3.4/", NULL, NULL, "1.2.3.4/", NULL },
		{ NULL, "geoip:cn", NULL, NULL, "geoip:cn", "geoip.dat" },
		{ NULL, "geoip:!private", NULL, NULL, "geoip:!private",
		  NULL },
		{ NULL, "ext:geoip.dat:cn", NULL, NULL, "ext:geoip.dat:cn",
		  NULL },
		{ NULL, NULL, "70000", NULL, "70000", "port" },
		{ NULL, NULL, "2000-1000", NULL, "2000-1000", NULL },
		{ NULL, NULL, "80-", NULL, "80-", NULL },
		{ NULL, NULL, "http", NULL, "http", NULL },
		{ NULL, NULL, "80 - 90", NULL, "80 - 90", NULL },
		{ NULL, NULL, "1,-2", NULL, "1,-2", NULL },
		{ NULL, NULL, NULL, "99999", "sourcePort", "99999" },
	};
	struct conf	*c;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A good rule first, so the index in the message is 1. */
		c = mkconf(CONF_RS_ASIS, 2);
		sv_add(&c->rules[0].domain, "full:ok", (const char *)NULL);
		set_str(&c->rules[0].outbound_tag, "ok");
		if (bad[i].domain != NULL)
			sv_add(&c->rules[1].domain, "full:fine", bad[i].domain,
			    (const char *)NULL);
		if (bad[i].ip != NULL)
			sv_add(&c->rules[1].ip, "10.0.0.0/8", bad[i].ip,
			    (const char *)NULL);
		set_str(&c->rules[1].port, bad[i].port);
		set_str(&c->rules[1].source_port, bad[i].sport);
		set_str(&c->rules[1].outbound_tag, "x");
		compile_fails(c, bad[i].n1, bad[i].n2);
		compile_fails(c, "rule 1", NULL);
		freeconf(c);
	}

	/* No effective field; an empty port list counts as none. */
	c = mkconf(CONF_RS_ASIS, 3);
	sv_add(&c->rules[0].domain, "full:ok", (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "ok");
	set_str(&c->rules[1].outbound_tag, "x");
	compile_fails(c, "rule 1 has no effective fields", NULL);
	set_str(&c->rules[1].port, " , ");
	compile_fails(c, "rule 1 has no effective fields", NULL);
	c->rules[1].network = CONF_NETBIT_TCP;
	sv_add(&c->rules[2].domain, "x", (const char *)NULL);
	compile_fails(c, "rule 2", "outboundTag");
	set_str(&c->rules[2].outbound_tag, "");
	compile_fails(c, "rule 2", "balancerTag");
	set_str(&c->rules[2].balancer_tag, "b");
	route_free(compile_ok(c));
	freeconf(c);

	/* Tiny and absent error buffers are fine. */
	c = mkconf(CONF_RS_ASIS, 1);
	sv_add(&c->rules[0].ip, "geoip:cn", (const char *)NULL);
	set_str(&c->rules[0].outbound_tag, "x");
	{
		char	tiny[5] = "zzzz";

		assert_null(route_compile(c, tiny, sizeof(tiny)));
		assert_string_equal(tiny, "rule");
		assert_null(route_compile(c, NULL, 0));
	}
	freeconf(c);
	assert_null(route_compile(NULL, NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_domain_forms),
		cmocka_unit_test(test_route_domain_prefix_case),
		cmocka_unit_test(test_route_domain_many),
		cmocka_unit_test(test_route_cidr_parse),
		cmocka_unit_test(test_route_ip_is_private),
		cmocka_unit_test(test_route_ip_overlap),
		cmocka_unit_test(test_route_ip_v6),
		cmocka_unit_test(test_route_geoip_private),
		cmocka_unit_test(test_route_ports),
		cmocka_unit_test(test_route_network),
		cmocka_unit_test(test_route_user_inbound_protocol),
		cmocka_unit_test(test_route_source),
		cmocka_unit_test(test_route_first_match_and),
		cmocka_unit_test(test_route_tags),
		cmocka_unit_test(test_route_empty),
		cmocka_unit_test(test_route_strategy_table),
		cmocka_unit_test(test_route_strategy_dns_failure),
		cmocka_unit_test(test_route_ondemand_order),
		cmocka_unit_test(test_route_guard),
		cmocka_unit_test(test_route_compile_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
