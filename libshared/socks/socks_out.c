/* SPDX-License-Identifier: MIT */
/*
 * socks_out.c: the SOCKS5 outbound (an upstream SOCKS server), as 4.34's
 * proxy/socks/client.go: method selection with the password
 * sub-negotiation sent right behind it when the server has users, then
 * CONNECT (TCP) or UDP ASSOCIATE (a UDP flow: the control connection is
 * held for the flow's life, datagrams go to the relay address the server
 * answered, or to the server's own address when it answered 0.0.0.0/::).
 * Codecs are socks5.c's; the connection comes from outbound_dial, so
 * proxySettings applies to the control connection, and the datagrams then
 * go to the relay as a flow of the outbound it names (as 4.34 dials UDP
 * through the chain).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "core/engine.h"
#include "core/outdial.h"
#include "core/session.h"
#include "core/udp.h"
#include "socks/socks5.h"

#define SOUT_TRIES	5	/* 4.34: ExponentialBackoff(5, 100) */
#define SOUT_HELLO_MAX	(6 + 255 + 255)
#define SOUT_REQ_MAX	(6 + 256 + 16)
#define UDP_QUEUE_MAX	16

enum sout_stage {
	SOUT_METHOD = 0,	/* waiting for VER METHOD */
	SOUT_AUTH,		/* waiting for the RFC 1929 status */
	SOUT_REPLY		/* waiting for the CONNECT/ASSOCIATE reply */
};

/* One handshake on one control connection (a session or a UDP flow). */
struct sout_hs {
	enum sout_stage		 stage;
	bool			 auth;
	uint8_t			 cmd;
	struct socks_addr	 dst;
	struct socks_request	 reply;
};

struct sout_conn {
	struct outbound_dial	*dial;
	const struct conf_account *acc;	/* NULL: no authentication */
	struct sout_hs		 hs;
	/* UDP flows only */
	struct udp_flow		*flow;
	struct bufferevent	*bev;		/* control connection */
	struct net_addr		 server;
	int			 fd;		/* to the relay */
	struct udp_flow		*sub;		/* or: through the chain */
	struct event		*ev;
	struct evbuffer		*queue;		/* [u32 len][datagram]... */
	size_t			 nqueued;
};

static void
hs_start(struct sout_hs *hs, struct bufferevent *bev, uint8_t cmd,
    const struct net_addr *dst, const struct conf_account *acc)
{
	uint8_t	 buf[SOUT_HELLO_MAX];
	ssize_t	 n;

	memset(hs, 0, sizeof(*hs));
	hs->cmd = cmd;
	hs->auth = acc != NULL;
	socks_addr_from_net(dst, &hs->dst);
	n = socks5_hello_encode(acc != NULL ? acc->user : NULL,
	    acc != NULL ? acc->pass : NULL, buf, sizeof(buf));
	if (n > 0)
		bufferevent_write(bev, buf, (size_t)n);
}

static int
hs_request(struct sout_hs *hs, struct bufferevent *bev, const char **why)
{
	uint8_t	 buf[SOUT_REQ_MAX];
	ssize_t	 n;

	if ((n = socks5_request_encode(hs->cmd, &hs->dst, buf,
	    sizeof(buf))) < 0) {
		*why = "socks: cannot encode the destination";
		return -1;
	}
	bufferevent_write(bev, buf, (size_t)n);
	hs->stage = SOUT_REPLY;
	return 0;
}

/*
 * Advance the handshake over what bev holds: 1 when the reply is in
 * (hs->reply), 0 for more, -1 with *why.
 */
static int
hs_read(struct sout_hs *hs, struct bufferevent *bev, const char **why)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 n;
	const uint8_t	*p;
	ssize_t		 r;

	for (;;) {
		if ((n = evbuffer_get_length(in)) < 2)
			return 0;
		if (hs->stage == SOUT_REPLY) {
			p = evbuffer_pullup(in, (ev_ssize_t)(n < SOUT_REQ_MAX ?
			    n : SOUT_REQ_MAX));
			r = socks5_reply_decode(p, n < SOUT_REQ_MAX ? n :
			    SOUT_REQ_MAX, &hs->reply, why);
			if (r <= 0)
				return (int)r;
			evbuffer_drain(in, (size_t)r);
			if (hs->reply.cmd != SOCKS_REP_OK) {
				*why = "socks: the server refused the request";
				return -1;
			}
			return 1;
		}
		p = evbuffer_pullup(in, 2);
		if (hs->stage == SOUT_METHOD) {
			if (p[0] != 5) {
				*why = "socks: not a SOCKS5 server";
				return -1;
			}
			if (p[1] != (hs->auth ? SOCKS_METHOD_PASSWORD :
			    SOCKS_METHOD_NOAUTH)) {
				*why = "socks: the server refused the "
				    "authentication method";
				return -1;
			}
			evbuffer_drain(in, 2);
			if (hs->auth) {
				hs->stage = SOUT_AUTH;
				continue;
			}
		} else {
			if (p[1] != 0) {
				*why = "socks: the server refused the user";
				return -1;
			}
			evbuffer_drain(in, 2);
		}
		if (hs_request(hs, bev, why) == -1)
			return -1;
	}
}

/* TCP */

static void
sout_free(struct session *s)
{
	struct sout_conn	*c = s->out_state;

	if (c == NULL)
		return;
	outbound_dial_cancel(c->dial);
	free(c);
	s->out_state = NULL;
	s->out_free = NULL;
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct session		*s = arg;
	struct sout_conn	*c = s->out_state;
	const char		*why = NULL;
	int			 r;

	if ((r = hs_read(&c->hs, bev, &why)) == 0)
		return;
	if (r == -1) {
		session_close(s, why);
		return;
	}
	sout_free(s);
	/* Bytes behind the reply are the target's: the relay reads them. */
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	session_relay(s);
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	session_close(arg, (what & BEV_EVENT_EOF) ?
	    "socks: the server closed during the handshake" :
	    "socks: error during the handshake");
}

static void
tcp_dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct session		*s = arg;
	struct sout_conn	*c = s->out_state;

	c->dial = NULL;
	if (bev == NULL) {
		session_close(s, err);
		return;
	}
	/* s owns it from here, so a close frees it. */
	s->rbev = bev;
	s->r_shutdown = outbound_dial_shutdown(s->out);
	session_set_timeout(s, s->policy.handshake);
	hs_start(&c->hs, bev, SOCKS_CMD_CONNECT, &s->dst, c->acc);
	bufferevent_setcb(bev, tcp_read_cb, NULL, tcp_event_cb, s);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
sout_open(struct session *s)
{
	struct sout_conn		*c = xcalloc(1, sizeof(*c));
	const struct conf_server	*srv;
	const struct conf_account	*acc;

	srv = outbound_next_server(s->out, &acc);
	net_addr_set(&c->server, srv->address, srv->port);
	c->acc = acc;
	s->out_state = c;
	s->out_free = sout_free;
	c->dial = outbound_dial(s->out, &c->server, AF_UNSPEC, SOUT_TRIES,
	    tcp_dialed_cb, s);
}

/* UDP: one association per flow. */

static void
sudp_close(struct udp_flow *f)
{
	struct sout_conn	*c = f->out_state;

	if (c == NULL)
		return;
	if (c->sub != NULL) {
		c->sub->in_close = NULL;
		udp_flow_close(c->sub);
	}
	outbound_dial_cancel(c->dial);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd != -1)
		close(c->fd);
	evbuffer_free(c->queue);
	free(c);
	f->out_state = NULL;
}

static int
sudp_send_now(struct sout_conn *c, const uint8_t *p, size_t n)
{
	uint8_t		 buf[UDP_MAX_DATAGRAM + SOUT_REQ_MAX];
	ssize_t		 h;

	if ((h = socks5_udp_encode(&c->hs.dst, buf, sizeof(buf))) < 0 ||
	    n > sizeof(buf) - (size_t)h)
		return -1;
	memcpy(buf + h, p, n);
	if (c->sub != NULL) {
		udp_flow_send(c->sub, buf, (size_t)h + n);
		return 0;
	}
	return send(c->fd, buf, (size_t)h + n, 0) == -1 ? -1 : 0;
}

static int
sudp_send(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct sout_conn	*c = f->out_state;
	uint32_t		 len = (uint32_t)n;

	if (c->fd != -1 || c->sub != NULL)
		return sudp_send_now(c, p, n);
	if (c->nqueued >= UDP_QUEUE_MAX)
		return 0;	/* UDP may drop; memory may not grow */
	evbuffer_add(c->queue, &len, sizeof(len));
	evbuffer_add(c->queue, p, n);
	c->nqueued++;
	return 0;
}

/* A datagram from the relay: its payload goes back to the client. */
static void
sudp_from_relay(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct socks_udp_header	 h;
	const char		*why;
	ssize_t			 hl;

	/* Fragments are dropped, as 4.34's reader does. */
	if ((hl = socks5_udp_decode(p, n, &h, &why)) < 0 || h.frag != 0)
		return;
	udp_flow_reply(f, p + hl, n - (size_t)hl);
}

static void
sudp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t		 buf[UDP_MAX_DATAGRAM];
	ssize_t			 n;
	int			 i;

	/* Bounded per wakeup so one busy flow cannot starve the loop. */
	for (i = 0; i < 64; i++) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
			return;
		sudp_from_relay(arg, buf, (size_t)n);
	}
}

static void
sub_reply(struct udp_flow *sub, const uint8_t *p, size_t n)
{
	struct sout_conn	*c = sub->in_ctx;

	sudp_from_relay(c->flow, p, n);
}

/* The chain's flow ended: so does the association. */
static void
sub_closed(struct udp_flow *sub)
{
	struct sout_conn	*c = sub->in_ctx;

	c->sub = NULL;
	udp_flow_close(c->flow);
}

/* BND of the reply unspecified (0.0.0.0 or ::): the server's address. */
static bool
sudp_bnd_any(const struct net_addr *relay)
{
	return (relay->family == AF_INET && memcmp(relay->ip, "\0\0\0\0",
	    4) == 0) || (relay->family == AF_INET6 && memcmp(relay->ip,
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
}

/* Through the chain: the relay is a destination of the named outbound. */
static int
sudp_chain(struct udp_flow *f, struct sout_conn *c)
{
	struct outbound_rt	*via;
	struct net_addr		 relay;

	socks_addr_to_net(&c->hs.reply.addr, &relay);
	if (sudp_bnd_any(&relay)) {
		relay.family = c->server.family;
		memcpy(relay.ip, c->server.ip, sizeof(relay.ip));
		memcpy(relay.domain, c->server.domain, sizeof(relay.domain));
	}
	if ((via = engine_outbound(f->eng, f->out->c->proxy_tag)) == NULL ||
	    (c->sub = udp_flow_new_via(f->eng, via, &f->src, &relay, c,
	    sub_reply)) == NULL)
		return -1;
	c->sub->in_close = sub_closed;
	return 0;
}

/* The relay: BND of the reply, or the server when that is unspecified. */
static int
sudp_relay(struct sout_conn *c, struct sockaddr_storage *ss)
{
	struct net_addr		 relay;
	socklen_t		 len = sizeof(*ss);
	int			 r;

	socks_addr_to_net(&c->hs.reply.addr, &relay);
	if (relay.family == 0)
		return -1;
	if ((r = net_addr_to_sockaddr(&relay, ss)) == -1)
		return -1;
	if (sudp_bnd_any(&relay)) {
		/* The control connection's peer is the server. */
		if (getpeername(bufferevent_getfd(c->bev),
		    (struct sockaddr *)ss, &len) == -1)
			return -1;
		if (ss->ss_family == AF_INET6)
			((struct sockaddr_in6 *)ss)->sin6_port =
			    htons(relay.port);
		else
			((struct sockaddr_in *)ss)->sin_port =
			    htons(relay.port);
		return (int)len;
	}
	return r;
}

static void
sudp_ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct udp_flow		*f = arg;
	struct sout_conn	*c = f->out_state;
	struct sockaddr_storage	 ss;
	const char		*why = NULL;
	uint8_t			 buf[UDP_MAX_DATAGRAM];
	uint32_t		 len;
	int			 r, sl;

	if (c->fd != -1 || c->sub != NULL) {
		/* Nothing more is said on the control connection. */
		evbuffer_drain(bufferevent_get_input(bev),
		    evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	if ((r = hs_read(&c->hs, bev, &why)) == 0)
		return;
	if (r == 1 && f->out->c->proxy_tag != NULL) {
		if (sudp_chain(f, c) == -1) {
			log_info("socks: udp flow: the relay cannot be reached "
			    "through %s", f->out->c->proxy_tag);
			udp_flow_close(f);
			return;
		}
		goto flush;
	}
	if (r == 1 && (sl = sudp_relay(c, &ss)) == -1) {
		why = "socks: unusable UDP relay address";
		r = -1;
	}
	if (r == 1 && ((c->fd = socket(ss.ss_family, SOCK_DGRAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 || connect(c->fd,
	    (struct sockaddr *)&ss, (socklen_t)sl) == -1)) {
		why = "socks: cannot reach the UDP relay";
		r = -1;
	}
	if (r == -1) {
		log_info("socks: udp flow: %s", why);
		udp_flow_close(f);
		return;
	}
	c->ev = event_new(f->eng->base, c->fd, EV_READ | EV_PERSIST,
	    sudp_read_cb, f);
	event_add(c->ev, NULL);
 flush:
	while (evbuffer_remove(c->queue, &len, sizeof(len)) == sizeof(len)) {
		evbuffer_remove(c->queue, buf, len);
		sudp_send_now(c, buf, len);
	}
	c->nqueued = 0;
	sudp_ctl_read_cb(bev, f);
}

/* The association lives as long as its control connection. */
static void
sudp_ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	udp_flow_close(arg);
}

static void
sudp_dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct udp_flow		*f = arg;
	struct sout_conn	*c = f->out_state;

	c->dial = NULL;
	if (bev == NULL) {
		log_info("socks: udp flow: %s", err);
		udp_flow_close(f);
		return;
	}
	c->bev = bev;
	hs_start(&c->hs, bev, SOCKS_CMD_UDP, &f->dst, c->acc);
	bufferevent_setcb(bev, sudp_ctl_read_cb, NULL, sudp_ctl_event_cb, f);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static int
sout_udp_open(struct udp_flow *f)
{
	struct sout_conn		*c;
	const struct conf_server	*srv;
	const struct conf_account	*acc;

	c = xcalloc(1, sizeof(*c));
	srv = outbound_next_server(f->out, &acc);
	net_addr_set(&c->server, srv->address, srv->port);
	c->acc = acc;
	c->flow = f;
	c->fd = -1;
	c->queue = evbuffer_new();
	f->out_state = c;
	f->send = sudp_send;
	f->out_close = sudp_close;
	c->dial = outbound_dial(f->out, &c->server, AF_UNSPEC, SOUT_TRIES,
	    sudp_dialed_cb, f);
	return 0;
}

const struct outbound_ops socks_outbound_ops = {
	.name = "socks",
	.proto = CONF_PROTO_SOCKS,
	.start = outbound_servers_start,
	.stop = outbound_servers_stop,
	.open = sout_open,
	.udp_open = sout_udp_open,
};
