/* SPDX-License-Identifier: MIT */
/*
 * socks_in.c: the SOCKS inbound handler (§3): SOCKS5 no-auth and
 * username/password, CONNECT (Tor resolve treated as CONNECT), UDP
 * ASSOCIATE, SOCKS4/4a. Unlike 4.34, the UDP socket relays only for
 * client addresses that hold a live association.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "core/dispatch.h"
#include "core/session.h"
#include "core/udp.h"
#include "socks/socks5.h"

enum socks_phase {
	PH_START = 0,
	PH_AUTH,
	PH_REQUEST,
	PH_ASSOC,	/* control connection of a UDP association */
	PH_DONE
};

/* A client address (port ignored) allowed to use the UDP socket. */
struct socks_assoc {
	struct net_addr		 ip;
	unsigned		 refs;
	struct socks_assoc	*next;
};

/*
 * The addresses with a live association. A reload hands them to the new
 * engine's inbound, whose UDP socket takes over the port while the
 * control connections stay on the old engine: without them it would drop
 * every datagram of an association made before the SIGHUP.
 */
struct socks_assocs {
	unsigned		 holders;	/* inbounds sharing the list */
	struct socks_assoc	*list;
};

struct socks_state {
	struct udp_ports	 udp;
	struct socks_assocs	*as;
};

struct socks_conn {
	enum socks_phase	 phase;
	bool			 assoc;
};

static bool
same_ip(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->ip, b->ip, a->family == AF_INET ? 4 : 16) == 0;
}

static struct socks_assoc *
assoc_find(struct socks_state *st, const struct net_addr *ip)
{
	struct socks_assoc	*a;

	for (a = st->as->list; a != NULL; a = a->next)
		if (same_ip(&a->ip, ip))
			return a;
	return NULL;
}

static void
assoc_add(struct socks_state *st, const struct net_addr *ip)
{
	struct socks_assoc	*a = assoc_find(st, ip);

	if (a == NULL) {
		a = xcalloc(1, sizeof(*a));
		a->ip = *ip;
		a->next = st->as->list;
		st->as->list = a;
	}
	a->refs++;
}

static void
assoc_drop(struct socks_state *st, const struct net_addr *ip)
{
	struct socks_assoc	**pp, *a;

	for (pp = &st->as->list; (a = *pp) != NULL; pp = &a->next) {
		if (!same_ip(&a->ip, ip))
			continue;
		if (--a->refs == 0) {
			*pp = a->next;
			free(a);
		}
		return;
	}
}

static void
conn_free(struct session *s)
{
	struct socks_conn	*c = s->in_state;
	struct socks_state	*st = s->in->state;

	if (c == NULL)
		return;
	if (c->assoc && st != NULL)
		assoc_drop(st, &s->src);
	free(c);
	s->in_state = NULL;
}

static void
flushed_close_cb(struct bufferevent *bev, void *arg)
{
	session_reject(arg, "socks: request refused");
}

/* Write a refusal, then close once it has left. */
static void
refuse(struct session *s, const void *p, size_t n, const char *why)
{
	log_info("socks: %s", why);
	bufferevent_disable(s->cbev, EV_READ);
	evbuffer_add(bufferevent_get_output(s->cbev), p, n);
	bufferevent_setcb(s->cbev, NULL, flushed_close_cb, NULL, s);
	bufferevent_enable(s->cbev, EV_WRITE);
}

/* BND.ADDR/PORT: the address the client reached us on. */
static void
local_addr(struct session *s, struct socks_addr *bnd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct net_addr		 na;

	memset(&na, 0, sizeof(na));
	na.family = AF_INET;
	if (getsockname(bufferevent_getfd(s->cbev), (struct sockaddr *)&ss,
	    &len) == 0)
		net_addr_from_sockaddr(&na, (struct sockaddr *)&ss);
	socks_addr_from_net(&na, bnd);
}

static void	socks_read_cb(struct bufferevent *, void *);

static void
socks_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session		*s = arg;
	struct socks_conn	*c = s->in_state;

	if (c->phase == PH_ASSOC) {
		session_close(s, NULL);	/* the association ends with it */
		return;
	}
	session_reject(s, (what & BEV_EVENT_EOF) ?
	    "socks: client closed during handshake" :
	    "socks: read error during handshake");
}

static int
do_greeting(struct session *s, const uint8_t *p, size_t n)
{
	const struct conf_inbound	*ci = s->in->c;
	struct socks_greeting		 g;
	const char			*err = NULL;
	uint8_t				 want, rep[2] = { 5, 0 };
	ssize_t				 used;
	int				 i;

	if ((used = socks5_greeting_decode(p, n, &g, &err)) <= 0) {
		if (used < 0)
			session_reject(s, err);
		return (int)used;
	}
	want = ci->socks_password ? SOCKS_METHOD_PASSWORD :
	    SOCKS_METHOD_NOAUTH;
	for (i = 0; i < g.nmethods; i++)
		if (g.methods[i] == want)
			break;
	if (i == g.nmethods) {
		rep[1] = SOCKS_METHOD_NONE;
		refuse(s, rep, 2, "no acceptable authentication method");
		return -1;
	}
	rep[1] = want;
	bufferevent_write(s->cbev, rep, 2);
	((struct socks_conn *)s->in_state)->phase =
	    ci->socks_password ? PH_AUTH : PH_REQUEST;
	return (int)used;
}

static int
do_auth(struct session *s, const uint8_t *p, size_t n)
{
	const struct conf_inbound	*ci = s->in->c;
	struct socks_userpass		 up;
	const char			*err = NULL;
	static const uint8_t		 ok[2] = { 1, 0 }, bad[2] = { 1, 0xFF };
	ssize_t				 used;
	size_t				 i;

	if ((used = socks5_userpass_decode(p, n, &up, &err)) <= 0) {
		if (used < 0)
			session_reject(s, err);
		return (int)used;
	}
	for (i = 0; i < ci->naccounts; i++)
		if (strcmp(ci->accounts[i].user, up.user) == 0 &&
		    strcmp(ci->accounts[i].pass, up.pass) == 0)
			break;
	if (i == ci->naccounts) {
		refuse(s, bad, 2, "wrong username or password");
		return -1;
	}
	free(s->user);
	s->user = xstrdup(up.user);
	bufferevent_write(s->cbev, ok, 2);
	((struct socks_conn *)s->in_state)->phase = PH_REQUEST;
	return (int)used;
}

static int
do_request(struct session *s, const uint8_t *p, size_t n)
{
	const struct conf_inbound	*ci = s->in->c;
	struct socks_conn		*c = s->in_state;
	struct socks_request		 rq;
	struct socks_addr		 bnd;
	const char			*err = NULL;
	uint8_t				 rep[32];
	ssize_t				 used, rl;

	if ((used = socks5_request_decode(p, n, &rq, &err)) <= 0) {
		if (used < 0)
			session_reject(s, err);
		return (int)used;
	}
	local_addr(s, &bnd);
	switch (rq.cmd) {
	case SOCKS_CMD_CONNECT:
	case SOCKS_CMD_TOR_RESOLVE:
	case SOCKS_CMD_TOR_RESOLVE_PTR:
		/* 4.34 answers before dialing; clients rely on that timing. */
		rl = socks5_reply_encode(SOCKS_REP_OK, &bnd, rep, sizeof(rep));
		bufferevent_write(s->cbev, rep, (size_t)rl);
		socks_addr_to_net(&rq.addr, &s->dst);
		c->phase = PH_DONE;
		return (int)used;
	case SOCKS_CMD_UDP:
		if (!ci->socks_udp)
			break;
		if (ci->socks_ip != NULL) {
			struct net_addr na;

			net_addr_set(&na, ci->socks_ip, bnd.port);
			socks_addr_from_net(&na, &bnd);
		}
		rl = socks5_reply_encode(SOCKS_REP_OK, &bnd, rep, sizeof(rep));
		bufferevent_write(s->cbev, rep, (size_t)rl);
		assoc_add(s->in->state, &s->src);
		c->assoc = true;
		c->phase = PH_ASSOC;
		return (int)used;
	default:
		break;
	}
	memset(&bnd, 0, sizeof(bnd));
	bnd.atyp = SOCKS_ATYP_IPV4;
	rl = socks5_reply_encode(SOCKS_REP_CMD_UNSUPP, &bnd, rep, sizeof(rep));
	refuse(s, rep, (size_t)rl, "unsupported command");
	return -1;
}

static int
do_socks4(struct session *s, const uint8_t *p, size_t n)
{
	struct socks4_request	 rq;
	const char		*err = NULL;
	uint8_t			 rep[8];
	ssize_t			 used;

	if ((used = socks4_request_decode(p, n, &rq, &err)) <= 0) {
		if (used < 0)
			session_reject(s, err);
		return (int)used;
	}
	if (s->in->c->socks_password || rq.cmd != SOCKS_CMD_CONNECT) {
		socks4_reply_encode(0, rep, sizeof(rep));
		refuse(s, rep, sizeof(rep), s->in->c->socks_password ?
		    "socks4 needs no-auth" : "socks4: unsupported command");
		return -1;
	}
	socks4_reply_encode(1, rep, sizeof(rep));
	bufferevent_write(s->cbev, rep, sizeof(rep));
	socks_addr_to_net(&rq.addr, &s->dst);
	((struct socks_conn *)s->in_state)->phase = PH_DONE;
	return (int)used;
}

static void
socks_read_cb(struct bufferevent *bev, void *arg)
{
	struct session		*s = arg;
	struct socks_conn	*c = s->in_state;
	struct evbuffer		*in = bufferevent_get_input(bev);
	const uint8_t		*p;
	size_t			 n;
	int			 used;

	for (;;) {
		if (c->phase == PH_ASSOC) {
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		}
		/* Handshake messages are small: 2 + 255 + 255 or 4a's 2 KiB. */
		n = evbuffer_get_length(in);
		if (n > 4200)
			n = 4200;
		if (n == 0)
			return;
		p = evbuffer_pullup(in, (ev_ssize_t)n);
		if (c->phase == PH_START && p[0] == 4)
			used = do_socks4(s, p, n);
		else if (c->phase == PH_START && p[0] == 5)
			used = do_greeting(s, p, n);
		else if (c->phase == PH_START) {
			char why[48];

			snprintf(why, sizeof(why), "unknown Socks version: %u",
			    p[0]);
			session_reject(s, why);
			return;
		} else if (c->phase == PH_AUTH)
			used = do_auth(s, p, n);
		else
			used = do_request(s, p, n);
		if (used <= 0) {
			if (used == 0 && n >= 4200)
				session_reject(s, "socks: request too long");
			return;	/* need more, or closed/refusing */
		}
		evbuffer_drain(in, (size_t)used);
		if (c->phase == PH_DONE) {
			dispatch_start(s);
			return;
		}
		if (c->phase == PH_ASSOC) {
			/* No timeout: the association lives with this link. */
			session_handshake_done(s);
			evtimer_del(s->timer);
		}
	}
}

static void
socks_accept(struct session *s)
{
	s->in_state = xcalloc(1, sizeof(struct socks_conn));
	s->in_free = conn_free;
	bufferevent_setcb(s->cbev, socks_read_cb, NULL, socks_event_cb, s);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
}

/* UDP: RSV(2) FRAG ATYP ADDR PORT DATA, both ways. */
static void
socks_udp_reply(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct udp_port		*u = f->in_ctx;
	struct socks_addr	 sa;
	struct sockaddr_storage	 ss;
	static uint8_t		 buf[UDP_MAX_DATAGRAM + 300];
	ssize_t			 hl;
	int			 len;

	socks_addr_from_net(&f->dst, &sa);
	hl = socks5_udp_encode(&sa, buf, sizeof(buf));
	if (hl < 0 || n > sizeof(buf) - (size_t)hl)
		return;
	memcpy(buf + hl, p, n);
	if ((len = net_addr_to_sockaddr(&f->src, &ss)) != -1)
		sendto(u->fd, buf, (size_t)hl + n, 0, (struct sockaddr *)&ss,
		    (socklen_t)len);
}

static void
socks_udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_port		*u = arg;
	struct socks_state	*st = u->ib->state;
	static uint8_t		 buf[UDP_MAX_DATAGRAM];
	struct sockaddr_storage	 ss;
	struct socks_udp_header	 h;
	struct net_addr		 src, dst;
	struct udp_flow		*f;
	const char		*err;
	socklen_t		 sl;
	ssize_t			 n, hl;
	int			 i;

	for (i = 0; i < 64; i++) {
		sl = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss,
		    &sl);
		if (n < 0)
			return;
		if (net_addr_from_sockaddr(&src, (struct sockaddr *)&ss) == -1)
			continue;
		if (assoc_find(st, &src) == NULL) {
			log_debug("socks: udp from a client without an "
			    "association, dropped");
			continue;
		}
		hl = socks5_udp_decode(buf, (size_t)n, &h, &err);
		if (hl <= 0 || h.frag != 0 || hl == n)
			continue;	/* malformed, fragment, or empty */
		socks_addr_to_net(&h.addr, &dst);
		f = udp_flow_find(u->ib->eng, u->ib, &src, &dst, u);
		if (f == NULL)
			f = udp_flow_new(u->ib->eng, u->ib, &src, &dst, u,
			    socks_udp_reply, NULL);
		if (f != NULL)
			udp_flow_send(f, buf + hl, (size_t)(n - hl));
	}
}

static void
socks_quiesce(struct inbound_rt *ib)
{
	struct socks_state	*st = ib->state;

	if (st != NULL)
		udp_ports_close(&st->udp, ib->eng);
}

static void
socks_stop(struct inbound_rt *ib)
{
	struct socks_state	*st = ib->state;
	struct socks_assoc	*a;

	if (st == NULL)
		return;
	socks_quiesce(ib);
	if (--st->as->holders == 0) {
		while ((a = st->as->list) != NULL) {
			st->as->list = a->next;
			free(a);
		}
		free(st->as);
	}
	free(st);
	ib->state = NULL;
}

static int
socks_start(struct inbound_rt *ib, char *err, size_t errlen)
{
	const struct conf_inbound	*ci = ib->c;
	struct socks_state		*st = xcalloc(1, sizeof(*st));
	struct inbound_rt		*old = engine_previous_inbound(ib);

	ib->state = st;
	st->as = old != NULL ? ((struct socks_state *)old->state)->as :
	    xcalloc(1, sizeof(*st->as));
	st->as->holders++;
	if (!ci->socks_udp)
		return 0;
	return udp_ports_open(&st->udp, ib, ci->listen ? ci->listen :
	    "127.0.0.1", socks_udp_read_cb, err, errlen);
}

const struct inbound_ops socks_inbound_ops = {
	.name = "socks",
	.proto = CONF_PROTO_SOCKS,
	.tcp = true,
	.start = socks_start,
	.stop = socks_stop,
	.quiesce = socks_quiesce,
	.accept = socks_accept,
};
