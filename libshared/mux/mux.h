/* SPDX-License-Identifier: MIT */
/*
 * mux.h: Mux.Cool workers. A worker runs the frame protocol over one plain
 * bufferevent (one end of a pair whose other end a session relays through
 * VMess), in the client role (opens sub-sessions: vclient's mux, vportal)
 * or the server role (dispatches sub-sessions: vserver, vbridge). Each
 * sub-session is a session of its own, relaying through a bufferevent pair,
 * so routing, sniffing, timeouts and logs apply to it unchanged.
 */
#ifndef LIBSHARED_MUX_H
#define LIBSHARED_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

struct bufferevent;
struct engine;
struct inbound_rt;
struct mux_worker;
struct session;
struct udp_flow;

enum mux_role {
	MUX_ROLE_CLIENT = 0,
	MUX_ROLE_SERVER
};

/* Per sub-session buffering before the whole link pauses (4.34 has no
 * per-session flow control: this bounds memory without stalling the
 * other sessions until one falls this far behind). */
#define MUX_SESS_HIWAT	(1024 * 1024)
/* A session the link waits for that takes nothing for this long is closed. */
#define MUX_STALL_MS	5000

/*
 * Takes ownership of bev (a plain stream). Server role: sub-sessions are
 * dispatched as coming from `in` (may be NULL) with inbound tag `tag`,
 * source, user and level of the carrying connection.
 */
struct mux_worker *mux_worker_new(struct engine *eng, enum mux_role role,
	    struct bufferevent *bev);
void	mux_worker_set_origin(struct mux_worker *w, struct inbound_rt *in,
	    const char *tag, const struct net_addr *src, const char *user,
	    uint32_t level);
/* Called once when the worker dies (link closed or broken). */
void	mux_worker_on_close(struct mux_worker *w,
	    void (*cb)(struct mux_worker *, void *), void *arg);
/*
 * Server role: a New frame for this destination is handed to cb instead of
 * being dispatched (the bridge's control channel). Its datagrams go to
 * cb's data callback.
 */
void	mux_worker_set_control(struct mux_worker *w, const char *domain,
	    void (*data)(struct mux_worker *, const uint8_t *, size_t, void *),
	    void *arg);
void	mux_worker_close(struct mux_worker *w);
/*
 * The internal session that carries the link: when it ends the worker
 * dies, and when the worker dies first the session is left to finish on
 * the EOF it gets.
 */
void	mux_worker_bind_session(struct mux_worker *w, struct session *s);

/* Client role: limits (0 = none). */
void	mux_worker_set_limits(struct mux_worker *w, unsigned concurrency,
	    unsigned max_total);
bool	mux_worker_full(const struct mux_worker *w);
bool	mux_worker_dead(const struct mux_worker *w);
size_t	mux_worker_active(const struct mux_worker *w);
unsigned mux_worker_total(const struct mux_worker *w);
/* Client role: close when no session is left at a 16 s tick (4.34). */
void	mux_worker_idle_close(struct mux_worker *w, bool on);

/*
 * Client role: carry session s (destination s->dst, TCP) as a sub-session:
 * sets s->rbev and starts the relay. 0, or -1 when the worker cannot.
 */
int	mux_worker_open(struct mux_worker *w, struct session *s);
/* Client role: carry a UDP flow as a packet sub-session. 0 or -1. */
int	mux_worker_open_flow(struct mux_worker *w, struct udp_flow *f);
/*
 * Client role: a raw packet sub-session (the portal's control channel).
 * Returns its id, or -1; send datagrams with mux_worker_send / end it.
 */
int	mux_worker_open_packet(struct mux_worker *w, const char *domain,
	    uint16_t port, const uint8_t *first, size_t len);
void	mux_worker_send(struct mux_worker *w, int id, const uint8_t *p,
	    size_t n);
void	mux_worker_end(struct mux_worker *w, int id);

#endif
