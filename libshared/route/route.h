/* SPDX-License-Identifier: MIT */
/*
 * route.h: V2Ray field-rule routing (mux-reverse-socks-routing-config.md
 * §6), compiled once from the config model. First match wins; inside a
 * rule every present field must match; inside a field any value may.
 * Pure: DNS is the caller's job (route_match asks for it).
 */
#ifndef LIBSHARED_ROUTE_H
#define LIBSHARED_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct route_table;

/* An IP address: family is AF_INET (4 bytes used) or AF_INET6 (16). */
struct route_ip {
	int	family;
	uint8_t	addr[16];
};

struct route_query {
	unsigned		 network;	/* CONF_NETBIT_TCP or _UDP */
	const char		*domain;	/* target domain, NULL for an IP */
	struct route_ip		 ip;		/* target IP when domain NULL */
	uint16_t		 port;
	bool			 has_source;
	struct route_ip		 source;
	uint16_t		 source_port;
	const char		*user;		/* email / SOCKS user, or NULL */
	const char		*inbound_tag;	/* or NULL */
	const char		*protocol;	/* sniffed ("http1", "tls"…) or NULL */
	/*
	 * Resolved addresses of domain, for IPIfNonMatch / IPOnDemand.
	 * resolved_done false means "not looked up yet".
	 */
	bool			 resolved_done;
	const struct route_ip	*resolved;
	size_t			 nresolved;
};

enum route_verdict {
	ROUTE_MATCHED = 0,	/* *tag is the rule's outboundTag */
	ROUTE_DEFAULT,		/* no rule matched: use the default outbound */
	ROUTE_NEED_IPS		/* resolve q->domain, fill resolved*, ask again */
};

/*
 * Compile c's rules and routing domainStrategy. Returns NULL and writes a
 * reason naming the rule and value into err on a bad CIDR, port list,
 * regexp or domain pattern.
 */
struct route_table *route_compile(const struct conf *c, char *err,
	    size_t errlen);
void	route_free(struct route_table *rt);

/*
 * True when a rule sends IP ranges to a blackhole. Then a name that would
 * be dialed directly is resolved first and asked again with resolved_done:
 * its addresses meet every IP rule (any match counts), and the dial must
 * use exactly those addresses (no second lookup, no rebinding window).
 */
bool	route_guarded(const struct route_table *rt);

/* *tag and *rule_index are set only for ROUTE_MATCHED. */
enum route_verdict route_match(const struct route_table *rt,
	    const struct route_query *q, const char **tag, int *rule_index);

/*
 * An address set as a rule's "ip" list takes it: IPs, CIDRs, "geoip:CC"
 * (geoip:private built in), "ext:FILE:CC" / "ext-ip:FILE:CC", looked up
 * by binary search over merged ranges (IPv4-mapped addresses match IPv4
 * entries). For DNS expectIps and the like. NULL with err naming the
 * value, file or list.
 */
struct route_ipset;
struct conf_strv;
struct route_ipset *route_ipset_new(const struct conf_strv *sv, char *err,
	    size_t errlen);
bool	route_ipset_match(const struct route_ipset *set,
	    const struct route_ip *ip);
void	route_ipset_free(struct route_ipset *set);

/* printf into err when err is not NULL: messages of route/ files. */
void	route_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Helpers, exposed for tests and conf_check. 0 ok, -1 bad. */
int	route_cidr_parse(const char *s, struct route_ip *net, int *prefix);
bool	route_cidr_contains(const struct route_ip *net, int prefix,
	    const struct route_ip *ip);
bool	route_ip_is_private(const struct route_ip *ip);	/* geoip:private */

#endif
