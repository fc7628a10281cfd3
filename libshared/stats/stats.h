/* SPDX-License-Identifier: MIT */
/*
 * stats.h: the process's traffic and health counters. V2Ray 4.34's named
 * counters (the `stats` object and the policy switches: user>>>E>>>traffic
 * >>>uplink, inbound>>>T>>>…, outbound>>>T>>>…) and vtools' always-on ones
 * (connections per inbound, routing decisions, handshake failures, reverse
 * links, recent errors). One registry per process, outside the engines, so
 * counts survive a SIGHUP reload (a new engine beside the old one); it is
 * read by metrics_http.c (Prometheus text, status page, JSON) and SIGUSR2.
 *
 * The hot path is stats_count(): a session resolves pointers to its
 * counters once, when its relay starts, then adds to at most STATS_TAPS of
 * them per relay pass. Single-threaded, as the event loop is.
 */
#ifndef LIBSHARED_STATS_H
#define LIBSHARED_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct engine;
struct session;
struct udp_flow;
struct mux_worker;
struct outbound_rt;

/* Why a connection never got past its inbound's handshake. */
enum stats_hs {
	STATS_HS_BAD_AUTH = 0,	/* VMess: unknown user, failed auth */
	STATS_HS_REPLAY,	/* VMess: auth ID or session replayed */
	STATS_HS_BAD_REQUEST,	/* malformed header, refused request, EOF */
	STATS_HS_TIMEOUT,	/* policy handshake ran out */
	STATS_HS_SHED,		/* closed under descriptor pressure */
	STATS_HS_SOURCE_CAP,	/* policy.system.handshakePerSource */
	STATS_HS_MAX
};

#define STATS_TAPS	4	/* inbound, user, outbound, reverse link */

/* Embedded in a session or UDP flow: where its bytes are counted. */
struct stats_taps {
	uint64_t		*up[STATS_TAPS];	/* NULL-terminated */
	uint64_t		*down[STATS_TAPS];
	struct stats_inbound	*conn;	/* counted open on this inbound */
	struct stats_link	*link;	/* holds a reference to it */
	bool			 resolved;
	bool			 hs_failed;	/* a failure was counted */
};

/* Add n bytes to every counter t holds for that direction. */
static inline void
stats_count(struct stats_taps *t, bool up, size_t n)
{
	uint64_t	**p = up ? t->up : t->down;
	int		  i;

	for (i = 0; i < STATS_TAPS && p[i] != NULL; i++)
		*p[i] += n;
}

/* Process start: tool name for the page, start time. Idempotent. */
void	stats_init(const char *tool);
/* The engine now serving (reloads call it again), for live state. */
void	stats_set_engine(struct engine *eng);
struct engine *stats_engine(void);
/* A reload: zero every counter (not the gauges) when c asks for it. */
void	stats_reload(const struct conf *c);
/* Zero every counter (the gauges stay). */
void	stats_reset(void);

/* Session hooks (core/session.c). */
void	stats_session_new(struct session *s, bool accepted);
void	stats_session_relay(struct session *s);
void	stats_session_close(struct session *s);
/* Count one handshake failure for s's inbound, once per session. */
void	stats_handshake_fail(struct session *s, enum stats_hs why);
/* The VMess header decoder's reason, classified. */
enum stats_hs stats_vmess_reason(const char *err);

/* Routing: rule index (-1: no rule matched) chose ob. */
void	stats_route(int rule, const struct outbound_rt *ob);

/* UDP flows: count n bytes, resolving the flow's taps on first use. */
void	stats_flow_count(struct udp_flow *f, bool up, size_t n);

/* Reverse links. role "portal" or "bridge"; name the portal's domain or
 * the bridge's tag; peer the bridge's VMess user on a portal. */
struct stats_link;
struct stats_link *stats_link_new(const char *role, const char *name,
	    const char *peer, struct mux_worker *w);
/* Count the link's bytes (the session carrying it, which may outlive
 * the link: it holds a reference until it closes). */
void	stats_link_attach(struct stats_link *l, struct session *s);
/* A heartbeat (control message) was sent or received now. */
void	stats_link_beat(struct stats_link *l);
/* The link is gone: off the list; freed once no session holds it. */
void	stats_link_free(struct stats_link *l);

/* Warnings and errors logged (base/log.c hook): kept for the page. */
void	stats_note_error(const char *line);

/* SIGUSR2: every counter to the error log, one a line. */
void	stats_log_dump(void);

/*
 * Readers (metrics_http.c). Each walk calls fn once per item; strings are
 * borrowed for the call.
 */
enum stats_kind { STATS_USER = 0, STATS_INBOUND, STATS_OUTBOUND };
struct stats_traffic {
	enum stats_kind	 kind;
	const char	*name;		/* email or tag */
	uint64_t	 up, down;
	bool		 has_up, has_down;
};
void	stats_walk_traffic(void (*fn)(const struct stats_traffic *, void *),
	    void *arg);

struct stats_inbound_view {
	const char	*name;
	const char	*proto;
	const char	*listen;	/* effective; "" when not running */
	unsigned	 port_from, port_to;
	uint64_t	 open, total;
	uint64_t	 hs[STATS_HS_MAX];
	size_t		 dynports;	/* live dynamic ports */
	bool		 running;	/* in the serving engine */
};
void	stats_walk_inbounds(void (*fn)(const struct stats_inbound_view *,
	    void *), void *arg);

void	stats_walk_routes(void (*fn)(const char *rule, const char *outbound,
	    uint64_t n, void *), void *arg);

struct stats_link_view {
	unsigned	 id;
	const char	*role, *name, *peer;
	int64_t		 since;		/* unix seconds */
	int64_t		 last_beat;	/* unix seconds, 0 = none yet */
	unsigned	 sessions;	/* opened on the link, in all */
	size_t		 active;	/* open now */
	uint64_t	 up, down;
};
void	stats_walk_links(void (*fn)(const struct stats_link_view *, void *),
	    void *arg);

/* Recent warnings and errors, oldest first. */
void	stats_walk_errors(void (*fn)(int64_t when, const char *line, void *),
	    void *arg);

struct stats_summary {
	const char	*tool;
	const char	*version;
	int64_t		 started;	/* unix seconds */
	uint64_t	 uptime_ms;
	size_t		 sessions;	/* live, every engine */
	uint64_t	 errors;	/* warnings and errors logged */
	bool		 stats;		/* the `stats` object is on */
};
void	stats_get_summary(struct stats_summary *sum);

const char *stats_hs_name(enum stats_hs why);

/*
 * "host:port", "[v6]:port" or a bare "port" (loopback) into host/port.
 * 0, or -1 with *errstr. Pure; used by conf_check.
 */
int	stats_listen_parse(const char *s, char *host, size_t hostlen,
	    uint16_t *port, const char **errstr);
/* Whether host (an IP literal) is a loopback address. */
bool	stats_host_is_loopback(const char *host);

#endif
