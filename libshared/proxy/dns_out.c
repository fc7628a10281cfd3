/* SPDX-License-Identifier: MIT */
/*
 * dns_out.c: the dns outbound of V2Ray 4.34 (proxy/dns/dns.go): a DNS
 * message arriving over UDP, or over TCP with 2-byte length framing, whose
 * first question asks for A or AAAA is answered from the `dns` object
 * (vdns) as 4.34 does (flags QR AA RD RA, the question echoed, TTL 600;
 * no reply when the lookup ends without an rcode); any other message is
 * forwarded unchanged to the destination (or `address`/`port`/`network`)
 * and its replies passed back. Queries the DNS client itself routed here
 * are all forwarded, or they would loop.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "core/engine.h"
#include "core/session.h"
#include "core/udp.h"
#include "dns/dns.h"
#include "dns/dns_msg.h"

#define DNS_OUT_TTL		600
#define DNS_OUT_MAX_QUERIES	64	/* answered locally at once */
#define DNS_OUT_FWD_QUEUE	(256 * 1024)	/* bytes toward the server */

struct dns_conn;

/* A query being answered locally. */
struct dns_q {
	struct dns_conn		*c;
	struct vdns_req		*req;
	uint16_t		 id;
	uint16_t		 qtype;
	char			 name[DNS_NAME_MAX];
	TAILQ_ENTRY(dns_q)	 entry;
};

/* One client stream (TCP) or flow (UDP) and its upstream. */
struct dns_conn {
	struct engine		*eng;
	struct session		*s;		/* TCP source, or */
	struct udp_flow		*f;		/* UDP source */
	bool			 own;		/* from the DNS client */
	struct net_addr		 dest;
	bool			 dest_tcp;
	TAILQ_HEAD(, dns_q)	 qs;
	size_t			 nqs;
	/* Upstream for forwarded messages: a UDP socket or a TCP stream. */
	int			 fd;
	struct event		*ev;
	struct bufferevent	*bev;
};

static void	conn_reply(struct dns_conn *, const uint8_t *, size_t);
static int	tcp_finish(struct session *);

static void
conn_free(struct dns_conn *c)
{
	struct dns_q	*q;

	while ((q = TAILQ_FIRST(&c->qs)) != NULL) {
		TAILQ_REMOVE(&c->qs, q, entry);
		vdns_cancel(q->req);
		free(q);
	}
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd != -1)
		close(c->fd);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	free(c);
}

/* Where forwarded messages go: the destination with the overrides. */
static void
conn_dest(struct dns_conn *c, const struct conf_outbound *co,
    const struct net_addr *dst, unsigned src_net)
{
	c->dest = *dst;
	if (co->dns_address != NULL && *co->dns_address != '\0')
		net_addr_set(&c->dest, co->dns_address, dst->port);
	if (co->dns_port != 0)
		c->dest.port = co->dns_port;
	net_addr_normalize(&c->dest);
	c->dest_tcp = co->dns_network != 0 ?
	    (co->dns_network & CONF_NETBIT_TCP) != 0 :
	    src_net == CONF_NETBIT_TCP;
}

static void
answered_cb(int rcode, const struct route_ip *ips, size_t nips, void *arg)
{
	struct dns_q	*q = arg;
	struct dns_conn	*c = q->c;
	uint8_t		 buf[DNS_HEADER_LEN + DNS_NAME_MAX + 4 +
			    DNS_MSG_MAX_IPS * 28 + 16];
	ssize_t		 n;

	TAILQ_REMOVE(&c->qs, q, entry);
	c->nqs--;
	/* 4.34 writes nothing when the lookup failed without an rcode. */
	if (rcode < 0)
		log_info("dns: %s: no answer to give", q->name);
	else if ((n = dns_msg_answer(buf, sizeof(buf), q->id, q->name,
	    q->qtype, rcode, ips, nips, DNS_OUT_TTL)) > 0)
		conn_reply(c, buf, (size_t)n);
	free(q);
	if (c->s != NULL)
		tcp_finish(c->s);
}

/* Upstream. */

static void
up_udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_conn	*c = arg;
	static uint8_t	 buf[DNS_MSG_MAX];
	ssize_t		 n;
	int		 i;

	for (i = 0; i < 16; i++) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
			return;
		conn_reply(c, buf, (size_t)n);
	}
}

/* TCP upstream: every whole framed message goes back. */
static void
up_tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct dns_conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 hdr[2], *p;
	size_t		 len;

	while (evbuffer_copyout(in, hdr, 2) == 2) {
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < len + 2)
			return;
		p = evbuffer_pullup(in, (ev_ssize_t)(len + 2));
		conn_reply(c, p + 2, len);
		evbuffer_drain(in, len + 2);
	}
}

static void
up_tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct dns_conn	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		/* The next forwarded message dials again. */
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
}

static int
up_open(struct dns_conn *c)
{
	struct sockaddr_storage	 ss;
	int			 len;
	char			 a[NET_ADDRSTRLEN];

	if ((len = net_addr_to_sockaddr(&c->dest, &ss)) == -1) {
		log_info("dns: cannot forward to %s: not an IP address",
		    net_addr_str(&c->dest, a, sizeof(a)));
		return -1;
	}
	if (c->dest_tcp) {
		c->bev = bufferevent_socket_new(c->eng->base, -1,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		bufferevent_setcb(c->bev, up_tcp_read_cb, NULL,
		    up_tcp_event_cb, c);
		bufferevent_enable(c->bev, EV_READ);
		/* A failure is reported through up_tcp_event_cb. */
		bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss, len);
		return 0;
	}
	if ((c->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    connect(c->fd, (struct sockaddr *)&ss, (socklen_t)len) == -1) {
		log_info("dns: cannot forward to %s: %s",
		    net_addr_str(&c->dest, a, sizeof(a)), strerror(errno));
		if (c->fd != -1)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->ev = event_new(c->eng->base, c->fd, EV_READ | EV_PERSIST,
	    up_udp_read_cb, c);
	event_add(c->ev, NULL);
	return 0;
}

static void
forward(struct dns_conn *c, const uint8_t *p, size_t len)
{
	uint8_t	 hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	if (c->bev == NULL && c->fd == -1 && up_open(c) == -1)
		return;
	if (c->bev != NULL) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
		    DNS_OUT_FWD_QUEUE)
			return;		/* the server is not reading */
		bufferevent_write(c->bev, hdr, 2);
		bufferevent_write(c->bev, p, len);
	} else
		send(c->fd, p, len, 0);
}

/* One message from the client. */
static void
handle(struct dns_conn *c, const uint8_t *p, size_t len)
{
	struct dns_msg	 m;
	struct dns_q	*q;
	const char	*why;

	if (!c->own && c->eng->vdns != NULL &&
	    dns_msg_parse(p, len, DNS_MSG_QUESTION, &m, &why) == 0 &&
	    m.qdcount > 0 && !(m.flags & DNS_FLAG_QR) &&
	    (m.qtype == DNS_TYPE_A || m.qtype == DNS_TYPE_AAAA)) {
		if (c->nqs >= DNS_OUT_MAX_QUERIES)
			return;	/* a client that floods waits, as UDP may */
		q = xcalloc(1, sizeof(*q));
		q->c = c;
		q->id = m.id;
		q->qtype = m.qtype;
		memcpy(q->name, m.qname, sizeof(q->name));
		TAILQ_INSERT_TAIL(&c->qs, q, entry);
		c->nqs++;
		q->req = vdns_lookup(c->eng->vdns, m.qname,
		    m.qtype == DNS_TYPE_A ? AF_INET : AF_INET6, answered_cb,
		    q);
		return;
	}
	forward(c, p, len);
}

/* TCP source, under the inbound's codec (VMess) if it has one. */

static void
conn_reply(struct dns_conn *c, const uint8_t *p, size_t len)
{
	struct session	*s = c->s;
	struct evbuffer	*out, *plain;
	uint8_t		 hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	const char	*why = NULL;

	if (c->f != NULL) {
		udp_flow_reply(c->f, p, len);
		return;
	}
	if (len > UINT16_MAX)
		return;
	out = bufferevent_get_output(s->cbev);
	plain = s->c_codec != NULL ? evbuffer_new() : out;
	evbuffer_add(plain, hdr, 2);
	evbuffer_add(plain, p, len);
	if (s->c_codec != NULL) {
		if (s->c_codec->encode(s->c_codec_ctx, plain, out, &why) == -1)
			log_info("dns: cannot encode an answer: %s", why);
		evbuffer_free(plain);
	}
	s->down_bytes += len + 2;
	session_set_timeout(s, s->policy.conn_idle);
}

/* The client finished and every answer is written: the end. 1 if closed. */
static int
tcp_finish(struct session *s)
{
	struct dns_conn	*c = s->out_state;

	if (!(s->flags & SESSION_C_EOF) || c->nqs > 0 ||
	    evbuffer_get_length(bufferevent_get_output(s->cbev)) > 0)
		return 0;
	session_close(s, NULL);
	return 1;
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	struct dns_conn	*c = s->out_state;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 hdr[2], *p;
	size_t		 len;
	const char	*why = NULL;
	int		 rc;

	if (s->c_codec != NULL) {
		if (s->cplain == NULL)
			s->cplain = evbuffer_new();
		if ((rc = s->c_codec->decode(s->c_codec_ctx, in, s->cplain,
		    &why)) == -1) {
			session_close(s, why);
			return;
		}
		if (rc == 1)
			s->flags |= SESSION_C_EOF;
		in = s->cplain;
	}
	while (evbuffer_copyout(in, hdr, 2) == 2) {
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < len + 2)
			break;
		p = evbuffer_pullup(in, (ev_ssize_t)(len + 2));
		s->up_bytes += len + 2;
		session_set_timeout(s, s->policy.conn_idle);
		handle(c, p + 2, len);
		evbuffer_drain(in, len + 2);
	}
	tcp_finish(s);
}

static void
tcp_write_cb(struct bufferevent *bev, void *arg)
{
	tcp_finish(arg);
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session	*s = arg;

	if (what & BEV_EVENT_EOF) {
		/* Answers still being looked up are written first. */
		s->flags |= SESSION_C_EOF;
		bufferevent_disable(bev, EV_READ);
		tcp_read_cb(bev, arg);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		session_close(s, "client closed");
}

static void
session_conn_free(struct session *s)
{
	conn_free(s->out_state);
	s->out_state = NULL;
	s->out_free = NULL;
}

static struct dns_conn *
conn_new(struct engine *eng)
{
	struct dns_conn	*c = xcalloc(1, sizeof(*c));

	c->eng = eng;
	c->fd = -1;
	TAILQ_INIT(&c->qs);
	return c;
}

static void
dns_out_open(struct session *s)
{
	struct dns_conn	*c = conn_new(s->eng);

	c->s = s;
	c->own = s->eng->vdns != NULL && s->in_tag != NULL &&
	    strcmp(s->in_tag, vdns_tag(s->eng->vdns)) == 0;
	conn_dest(c, s->out->c, &s->dst, CONF_NETBIT_TCP);
	s->out_state = c;
	s->out_free = session_conn_free;
	session_set_timeout(s, s->policy.conn_idle);
	bufferevent_setcb(s->cbev, tcp_read_cb, tcp_write_cb, tcp_event_cb,
	    s);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
	tcp_read_cb(s->cbev, s);
}

/* UDP source: each datagram is one message. */

static int
udp_send(struct udp_flow *f, const uint8_t *p, size_t n)
{
	handle(f->out_state, p, n);
	return 0;
}

static void
udp_close(struct udp_flow *f)
{
	if (f->out_state != NULL)
		conn_free(f->out_state);
	f->out_state = NULL;
}

static int
dns_out_udp_open(struct udp_flow *f)
{
	struct dns_conn	*c = conn_new(f->eng);

	c->f = f;
	c->own = f->eng->vdns != NULL && f->in_tag != NULL &&
	    strcmp(f->in_tag, vdns_tag(f->eng->vdns)) == 0;
	conn_dest(c, f->out->c, &f->dst, CONF_NETBIT_UDP);
	f->out_state = c;
	f->send = udp_send;
	f->out_close = udp_close;
	return 0;
}

const struct outbound_ops dns_outbound_ops = {
	.name = "dns",
	.proto = CONF_PROTO_DNS,
	.open = dns_out_open,
	.udp_open = dns_out_udp_open,
};
