/* SPDX-License-Identifier: MIT */
/*
 * dial.h: open a TCP stream to an address or a name, without blocking
 * (names through evdns), retrying as V2Ray's freedom does: after the n-th
 * failure wait n × 100 ms, up to a number of tries.
 */
#ifndef LIBSHARED_DIAL_H
#define LIBSHARED_DIAL_H

#include "net/addr.h"

struct bufferevent;
struct event_base;
struct evdns_base;
struct net_dial;

/*
 * Tune a connected TCP stream: no Nagle (as Go, hence V2Ray, does) and
 * large single reads and writes, so a bulk transfer costs few syscalls.
 */
void	net_tune_socket(struct bufferevent *bev);

/*
 * Called once: bev is a connected socket bufferevent (now the callee's,
 * BEV_OPT_CLOSE_ON_FREE), or NULL with a reason after the last try.
 */
typedef void net_dial_cb(struct bufferevent *bev, const char *err, void *arg);

/*
 * family: AF_UNSPEC, AF_INET or AF_INET6 for name lookups. stream: NULL
 * or tcp: TCP; kcp: an mKCP session. The layers above (TLS, ...) are
 * transport.c's: proxies dial through transport_dial.
 */
struct conf_stream;
struct net_dial *net_dial(struct event_base *base, struct evdns_base *dns,
	    const struct net_addr *to, int family, int tries,
	    const struct conf_stream *stream, net_dial_cb *cb, void *arg);
/* Abandon a dial in progress; cb is not called. */
void	net_dial_cancel(struct net_dial *d);

#endif
