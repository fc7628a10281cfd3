/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h: between an inbound that has read its header and the outbound
 * that carries the session: sniffing (HTTP Host, TLS SNI, destOverride),
 * routing (field rules, DNS when the strategy wants IPs), outbound open.
 */
#ifndef LIBSHARED_DISPATCH_H
#define LIBSHARED_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/util.h>

struct session;
struct udp_flow;
struct outbound_rt;

/*
 * The inbound has read its header: destination in s->dst, user set, and
 * bytes still in s->cbev's input are payload. Takes over s->cbev's
 * callbacks. The session may be closed before this returns.
 */
void	dispatch_start(struct session *s);

/*
 * Route a UDP flow (no sniffing): returns the outbound, or NULL when the
 * router needs DNS that UDP does not wait for (then the default is used).
 */
struct outbound_rt *dispatch_route_flow(struct udp_flow *f);

/*
 * A direct outbound resolved a flow's name to ips: may it send there? No
 * when the table guards IP ranges and the addresses route elsewhere.
 */
struct route_ip;
bool	dispatch_flow_allowed(struct udp_flow *f, const struct route_ip *ips,
	    size_t nips);

/* The first max IPv4/IPv6 addresses of an evdns answer. */
size_t	dispatch_addrinfo_ips(const struct evutil_addrinfo *res,
	    struct route_ip *ips, size_t max);

#endif
