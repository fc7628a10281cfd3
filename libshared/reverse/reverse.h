/* SPDX-License-Identifier: MIT */
/*
 * reverse.h: V2Ray's reverse proxy (mux-reverse-socks-routing-config.md
 * §2). A portal is an outbound: a session for its domain from an
 * authenticated VMess user becomes a bridge link (Mux client + control
 * channel with 2 s heartbeats, DRAIN after 256 sessions); any other session
 * becomes a Mux sub-session on the least-loaded live link. A bridge dials
 * its domain through the router, serves Mux on what it gets and keeps
 * enough links up, re-dialing on its own with a short backoff.
 */
#ifndef LIBSHARED_REVERSE_H
#define LIBSHARED_REVERSE_H

struct engine;
struct reverse_bridge;

extern const struct outbound_ops portal_outbound_ops;

/* Start every configured bridge (tools that offer bridges). 0 or -1. */
int	reverse_bridges_start(struct engine *eng);
void	reverse_bridges_stop(struct engine *eng);
/* Stopping: no new links; links that carry nothing close now. */
void	reverse_bridges_quiesce(struct engine *eng);

#endif
