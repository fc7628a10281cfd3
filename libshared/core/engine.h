/* SPDX-License-Identifier: MIT */
/*
 * engine.h: the runtime built from a checked config model: inbound and
 * outbound handlers instantiated from the tables a tool registered, the
 * router, the session list, DNS, signals.
 */
#ifndef LIBSHARED_ENGINE_H
#define LIBSHARED_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conf/conf.h"
#include "core/session.h"

struct event_base;
struct evdns_base;
struct route_table;
struct srccap;
struct udp_flow;

/* An inbound protocol handler. */
struct inbound_ops {
	const char	*name;		/* "socks", "dokodemo-door", … */
	enum conf_proto	 proto;
	bool		 tcp;		/* engine opens TCP listeners */
	/* Optional: extra setup (UDP sockets, user tables). 0 or -1. */
	int		(*start)(struct inbound_rt *ib, char *err, size_t len);
	void		(*stop)(struct inbound_rt *ib);
	/* Optional: stop taking datagrams (reload, stop); state stays. */
	void		(*quiesce)(struct inbound_rt *ib);
	/* A TCP connection was accepted: read the header from s->cbev. */
	void		(*accept)(struct session *s);
};

/* An outbound protocol handler. */
struct outbound_ops {
	const char	*name;
	enum conf_proto	 proto;
	int		(*start)(struct outbound_rt *ob, char *err, size_t len);
	void		(*stop)(struct outbound_rt *ob);
	/* Open a stream to s->dst: set s->rbev then session_relay(). */
	void		(*open)(struct session *s);
	/* UDP: open the outbound half of a flow; 0 or -1. */
	int		(*udp_open)(struct udp_flow *f);
	/* Optional: the process is stopping; let long-lived links go. */
	void		(*quiesce)(struct outbound_rt *ob);
};

struct inbound_rt {
	struct engine			*eng;
	const struct conf_inbound	*c;
	const struct inbound_ops	*ops;
	struct transport_listener	**ls;		/* TCP or mKCP */
	size_t				 nls;
	struct transport		*tp;		/* streamSettings; a
							   worker's is its
							   parent's */
	bool				 no_tcp;	/* start() may set */
	void				*state;		/* handler's */
	/*
	 * Dynamic ports: the configured inbound owns a dynport manager; its
	 * workers are inbound_rts of their own (one port, own state) that
	 * outlive their listener until their last session ends.
	 */
	struct dynport			*dyn;
	uint16_t			 port;		/* worker: its port */
	size_t				 nsess;		/* live sessions */
	bool				 retired;	/* free at nsess 0 */
};

struct outbound_rt {
	struct engine			*eng;
	const struct conf_outbound	*c;
	const struct outbound_ops	*ops;
	struct transport		*tp;		/* streamSettings */
	void				*state;
};

TAILQ_HEAD(session_list, session);

struct engine {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct vdns		*vdns;		/* dns/dns.c: the dns object */
	const struct tool	*tool;
	struct conf		*conf;		/* owned */
	struct route_table	*rt;
	struct inbound_rt	*inbounds;
	size_t			 ninbounds;
	struct outbound_rt	*outbounds;
	size_t			 noutbounds;
	struct session_list	 sessions;
	struct session_list	 handshaking;
	/* The same handshakes per source, for handshakePerSource. */
	struct srccap		*hs_src;
	uint64_t		 hs_cap_closed;	/* closed by that cap */
	uint64_t		 hs_cap_unlogged;	/* since the last warning */
	uint64_t		 hs_cap_log_ms;
	size_t			 nsessions;
	uint64_t		 next_id;
	LIST_HEAD(, udp_flow)	 flows;
	bool			 stopping;
	/*
	 * While a reload builds this engine: the one it replaces, whose
	 * handlers may hand over what did not change (VMess user keys).
	 */
	struct engine		*prev;
	struct reverse_bridge	*bridges;
	struct conf_outbound	*portal_confs;	/* portals as outbounds */
	struct evbuffer		*stage;		/* session.c, empty between
						   passes */
};

/* What a tool offers; its main.c fills one and calls app_main(). */
/*
 * What a tool runs beside its inbounds (vbridge's reverse bridges), given
 * as a table so the engine does not call up into the proxies: started
 * after the listeners, quiesced when listening stops, stopped before the
 * engine is freed.
 */
struct engine_service {
	int	(*start)(struct engine *);
	void	(*quiesce)(struct engine *);
	void	(*stop)(struct engine *);
};

struct tool {
	const char			 *name;		/* "vclient" */
	const char			 *summary;
	const struct inbound_ops *const	 *inbounds;	/* NULL-terminated */
	const struct outbound_ops *const *outbounds;
	const struct engine_service	 *bridges;	/* reverse.bridges */
	const struct outbound_ops	 *portals;	/* reverse.portals */
};

/* Every handler the library has, whether a tool offers it or not. */
extern const struct engine_service reverse_bridge_service;
extern const struct outbound_ops portal_outbound_ops;
extern const struct inbound_ops socks_inbound_ops;
extern const struct inbound_ops http_inbound_ops;
extern const struct inbound_ops dokodemo_inbound_ops;
extern const struct outbound_ops freedom_outbound_ops;
extern const struct outbound_ops blackhole_outbound_ops;
extern const struct outbound_ops dns_outbound_ops;
extern const struct inbound_ops vmess_inbound_ops;
extern const struct outbound_ops vmess_outbound_ops;
extern const struct outbound_ops socks_outbound_ops;
extern const struct outbound_ops http_outbound_ops;

/*
 * VMess detour (vmess.md §5.2): fill sw with an account on ib's
 * `detour.to` inbound for this user email. 0, or -1 when there is none.
 */
struct vmess_switch;
int	vmess_inbound_switch(struct inbound_rt *ib, const char *email,
	    struct vmess_switch *sw);

extern const struct tool tool_vserver, tool_vclient, tool_vportal,
	    tool_vbridge;
extern const struct tool *const tool_all[];

/*
 * The command line shared by every tool (app/cli.c): flags, config
 * loading, -test, -dump, signals, exit codes. Returns the exit status.
 */
#define EXIT_OK		0
#define EXIT_CONFIG	1
#define EXIT_USAGE	2
#define EXIT_RUNTIME	3
int	app_main(const struct tool *t, int argc, char **argv);

/*
 * Refuse a config asking for what the tool does not offer; each problem is
 * added to d naming the tool that has it. 0 or -1.
 */
int	engine_check_tool(const struct tool *t, const struct conf *c,
	    struct conf_diag *d);

/*
 * Build the runtime (takes ownership of c) and open every listener.
 * Returns NULL with a message in err (address in use names the address).
 */
struct engine *engine_new(const struct tool *t, struct event_base *base,
	    struct conf *c, char *err, size_t errlen);
/* The same for a reload replacing prev (still alive, not listening). */
struct engine *engine_new_from(const struct tool *t, struct event_base *base,
	    struct conf *c, struct engine *prev, char *err, size_t errlen);
void	engine_free(struct engine *eng);
/* Stop accepting; sessions keep running. */
void	engine_stop_listening(struct engine *eng);

struct outbound_rt *engine_outbound(struct engine *eng, const char *tag);
struct inbound_rt *engine_inbound(struct engine *eng, const char *tag);
/*
 * During a reload, the replaced engine's inbound that ib takes over (same
 * tag, or same place when untagged, same handler), so a handler can keep
 * what must outlive the reload; NULL otherwise.
 */
struct inbound_rt *engine_previous_inbound(struct inbound_rt *ib);

/* Listen on one more TCP port for ib (host from its config). 0 or -1. */
int	engine_listen_port(struct inbound_rt *ib, uint16_t port, char *err,
	    size_t errlen);
/* A session of ib ended: frees a retired worker with no session left. */
void	engine_inbound_release(struct inbound_rt *ib);
/* Close ib's listeners (and dynamic ports); its state stays. */
void	engine_inbound_close(struct inbound_rt *ib);
/* A heap-allocated worker stops accepting; freed after its last session. */
void	engine_inbound_retire(struct inbound_rt *ib);

/* Under descriptor pressure: close the oldest handshaking session. */
bool	engine_shed(struct engine *eng);

#endif
