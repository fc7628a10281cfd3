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

/*
 * family: AF_UNSPEC, AF_INET or AF_INET6 for name lookups. stream: the
 * transport (NULL or tcp: TCP; kcp: an mKCP session whose bufferevent
 * must be half-closed with net_dial_shutdown).
 */
struct conf_stream;
struct session;
struct net_dial *net_dial(struct engine *eng, const struct net_addr *to,
	    int family, int tries, const struct conf_stream *stream,
	    net_dial_cb *cb, void *arg);
/* The half-close for a stream net_dial opened over this transport. */
void	(*net_dial_shutdown(const struct conf_stream *stream))
	    (struct session *, struct bufferevent *);
/* Abandon a dial in progress; cb is not called. */
void	net_dial_cancel(struct net_dial *d);

#endif
