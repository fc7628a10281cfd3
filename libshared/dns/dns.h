/* SPDX-License-Identifier: MIT */
/*
 * dns.h: the DNS client of V2Ray 4.34's `dns` object (app/dns): hosts,
 * servers tried in order (those whose `domains` match first), 4 s each,
 * `expectIps` filtering, fallback only on a timeout or an expectIps
 * mismatch, a cache per server that keeps an answer for its smallest TTL
 * (at most 600 s). Routing (IPIfNonMatch, IPOnDemand, the private-range
 * guard), freedom's UseIP* and the dns outbound ask it.
 *
 * Queries are ours (dns_msg.c) over UDP flows that go through routing
 * with the dns tag as inbound tag, as 4.34 sends them through its
 * dispatcher: a rule may send them through a VMess outbound. The server
 * "localhost" is the system resolver (evdns with resolv.conf and hosts).
 */
#ifndef LIBSHARED_DNS_H
#define LIBSHARED_DNS_H

#include <stddef.h>

#include "route/route.h"

struct conf_dns;
struct engine;
struct vdns;
struct vdns_req;

/*
 * The answer: rcode 0 and nips > 0, the addresses; rcode 0 and nips 0, a
 * name with no address of that family; rcode > 0, the DNS error code the
 * server gave (3 = NXDOMAIN); rcode -1, no answer (timeouts, no server).
 */
typedef void vdns_cb(int rcode, const struct route_ip *ips, size_t nips,
	    void *arg);

/*
 * Build the client for eng from c (NULL or absent: the system resolver
 * alone, as 4.34 with no servers). NULL with err naming the value.
 */
struct vdns *vdns_new(struct engine *eng, const struct conf_dns *c,
	    char *err, size_t errlen);
void	vdns_free(struct vdns *d);

/* Check c as vdns_new would (for -test): 0, or -1 with err. */
int	vdns_check(const struct conf_dns *c, char *err, size_t errlen);

/*
 * Look name up: family AF_INET (A), AF_INET6 (AAAA) or AF_UNSPEC (both).
 * cb is always called later from the loop, never before this returns,
 * unless the request is cancelled first. Never NULL.
 */
struct vdns_req *vdns_lookup(struct vdns *d, const char *name, int family,
	    vdns_cb *cb, void *arg);
/* Abandon a request; its cb is not called. */
void	vdns_cancel(struct vdns_req *r);

/* The tag queries carry as their inbound tag (configured or "dns"). */
const char *vdns_tag(const struct vdns *d);

#endif
