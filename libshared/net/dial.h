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
struct engine;
struct net_dial;

/*
 * Called once: bev is a connected socket bufferevent (now the callee's,
 * BEV_OPT_CLOSE_ON_FREE), or NULL with a reason after the last try.
 */
typedef void net_dial_cb(struct bufferevent *bev, const char *err, void *arg);

/* family: AF_UNSPEC, AF_INET or AF_INET6 for name lookups. */
struct net_dial *net_dial(struct engine *eng, const struct net_addr *to,
	    int family, int tries, net_dial_cb *cb, void *arg);
/* Abandon a dial in progress; cb is not called. */
void	net_dial_cancel(struct net_dial *d);

#endif
