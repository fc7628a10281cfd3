/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h: between an inbound that has read its header and the outbound
 * that carries the session: sniffing (HTTP Host, TLS SNI, destOverride),
 * routing (field rules, DNS when the strategy wants IPs), outbound open.
 */
#ifndef LIBSHARED_DISPATCH_H
#define LIBSHARED_DISPATCH_H

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

#endif
