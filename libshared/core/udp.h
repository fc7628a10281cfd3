/* SPDX-License-Identifier: MIT */
/*
 * udp.h: UDP flows. A flow is one (client, destination) pair: the inbound
 * owns the socket the client talks to, the outbound owns the path to the
 * destination; datagrams go through without being merged or split.
 */
#ifndef LIBSHARED_UDP_H
#define LIBSHARED_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "net/addr.h"
#include "stats/stats.h"

struct engine;
struct event;
struct inbound_rt;
struct outbound_rt;

/* Flows idle this long are closed (4.34 closes at 4-8 s per destination;
 * we allow a little more so a slow DNS answer still finds its way back). */
#define UDP_FLOW_IDLE_SEC	30
#define UDP_MAX_DATAGRAM	65535

struct udp_flow {
	struct engine		*eng;
	struct inbound_rt	*in;
	struct outbound_rt	*out;
	struct net_addr		 src;
	struct net_addr		 dst;
	char			*in_tag;	/* overrides in's tag (bridge) */
	char			*user;
	uint32_t		 level;

	/* Inbound side: deliver a reply datagram to the client. */
	void			(*reply)(struct udp_flow *, const uint8_t *,
				    size_t);
	void			*in_ctx;
	/* Optional: the flow is closing (idle, outbound gone). */
	void			(*in_close)(struct udp_flow *);
	/* Outbound side, set by ops->udp_open. */
	int			(*send)(struct udp_flow *, const uint8_t *,
				    size_t);
	void			(*out_close)(struct udp_flow *);
	void			*out_state;

	struct event		*idle;
	uint64_t		 last_ms;
	struct stats_taps	 st;		/* its traffic counters */
	LIST_ENTRY(udp_flow)	 entry;
};

/* Existing flow of this inbound for (src, dst), or NULL. */
struct udp_flow *udp_flow_find(struct engine *eng, struct inbound_rt *in,
	    const struct net_addr *src, const struct net_addr *dst,
	    void *in_ctx);
/*
 * New flow: routes it and opens the outbound half. Returns NULL when the
 * route ends in nothing usable (logged).
 */
struct udp_flow *udp_flow_new(struct engine *eng, struct inbound_rt *in,
	    const struct net_addr *src, const struct net_addr *dst,
	    void *in_ctx, void (*reply)(struct udp_flow *, const uint8_t *,
	    size_t), const char *in_tag);
/*
 * A flow on a given outbound, not routed: an outbound sending its own
 * datagrams through its proxySettings chain. reply gets what comes back
 * (f->in_ctx is ctx). NULL when out cannot carry UDP (logged).
 */
struct udp_flow *udp_flow_new_via(struct engine *eng,
	    struct outbound_rt *out, const struct net_addr *src,
	    const struct net_addr *dst, void *ctx,
	    void (*reply)(struct udp_flow *, const uint8_t *, size_t));
/* Client → destination. */
void	udp_flow_send(struct udp_flow *f, const uint8_t *p, size_t n);
/* Destination → client (called by outbounds). */
void	udp_flow_reply(struct udp_flow *f, const uint8_t *p, size_t n);
void	udp_flow_close(struct udp_flow *f);
/* Close every flow whose inbound context is ctx (socket going away). */
void	udp_flow_close_ctx(struct engine *eng, void *in_ctx);

/* Bind a UDP socket on addr:port; -1 with errno. Non-blocking. */
int	udp_bind(const char *addr, uint16_t port);

/*
 * The UDP sockets of an inbound, one per port of its range, each read by
 * cb(fd, what, port) where port is the struct udp_port (its ib, its fd).
 */
struct udp_port {
	struct inbound_rt	*ib;
	int			 fd;
	struct event		*ev;
};

struct udp_ports {
	struct udp_port		*p;
	size_t			 n;
};

/* 0, or -1 with err naming the address that could not be bound. */
int	udp_ports_open(struct udp_ports *up, struct inbound_rt *ib,
	    const char *host, void (*cb)(int, short, void *), char *err,
	    size_t errlen);
/* Close every socket and the flows that came in through them. */
void	udp_ports_close(struct udp_ports *up, struct engine *eng);

#endif
