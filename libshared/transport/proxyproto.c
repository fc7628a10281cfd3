/* SPDX-License-Identifier: MIT */
/*
 * proxyproto.c: acceptProxyProtocol (tcpSettings, wsSettings), the first
 * layer on an accepted stream: the PROXY protocol header (v1 or v2) a
 * load balancer sends before anything else names the real client, which
 * routing and the access log then see. As V2Ray 4.34 (go-proxyproto
 * with policy REQUIRE) a connection without a valid header is closed.
 */
#include "transport/proxyproto.h"

#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf/conf.h"
#include "transport/transport.h"

static const uint8_t	 v2sig[12] = {
	'\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I', 'T', '\n'
};
static const char	 v1sig[] = "PROXY ";

static bool
pp_port(const char *s, uint16_t *port)
{
	unsigned long	 v = 0;
	size_t		 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i == 5)
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool
pp_sockaddr(int family, const char *ip, const char *port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	uint16_t		 p;

	memset(ss, 0, sizeof(*ss));
	if (!pp_port(port, &p))
		return false;
	if (family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
		*len = sizeof(*s4);
		return inet_pton(AF_INET, ip, &s4->sin_addr) == 1;
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(p);
	*len = sizeof(*s6);
	return inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1;
}

/* "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n". */
static ssize_t
pp_v1(const uint8_t *p, size_t n, struct proxyproto_hdr *h, const char **why)
{
	char		 line[PROXYPROTO_V1_MAX + 1], *tok[7], *s;
	socklen_t	 dlen;
	size_t		 i, ntok = 0;
	int		 family;

	for (i = 0; i < n && i < PROXYPROTO_V1_MAX; i++) {
		if (p[i] == '\n') {
			if (i == 0 || p[i - 1] != '\r')
				goto bad;
			break;
		}
		if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\r')
			goto bad;
	}
	if (i == n)
		return PROXYPROTO_MORE;
	if (i == PROXYPROTO_V1_MAX) {
		*why = "version 1 header longer than 107 bytes";
		return PROXYPROTO_BAD;
	}
	/* The line without its CRLF, split at single spaces. */
	memcpy(line, p, i - 1);
	line[i - 1] = '\0';
	if (strchr(line, '\r') != NULL)
		goto bad;
	for (s = line; ntok < 7; ) {
		tok[ntok++] = s;
		if ((s = strchr(s, ' ')) == NULL)
			break;
		*s++ = '\0';
	}
	h->version = 1;
	if (ntok >= 2 && strcmp(tok[1], "UNKNOWN") == 0)
		return (ssize_t)i + 1;
	if (ntok != 6)
		goto bad;
	if (strcmp(tok[1], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(tok[1], "TCP6") == 0)
		family = AF_INET6;
	else {
		*why = "version 1 protocol is not TCP4, TCP6 or UNKNOWN";
		return PROXYPROTO_BAD;
	}
	if (!pp_sockaddr(family, tok[2], tok[4], &h->src, &h->srclen) ||
	    !pp_sockaddr(family, tok[3], tok[5], &h->dst, &dlen)) {
		*why = "version 1 address or port invalid";
		return PROXYPROTO_BAD;
	}
	h->has_src = true;
	return (ssize_t)i + 1;
bad:
	*why = "malformed version 1 header";
	return PROXYPROTO_BAD;
}

static ssize_t
pp_v2(const uint8_t *p, size_t n, struct proxyproto_hdr *h, const char **why)
{
	struct sockaddr_in	*s4, *d4;
	struct sockaddr_in6	*s6, *d6;
	size_t			 len, min;
	unsigned		 cmd, fam;

	if (n < 16)
		return PROXYPROTO_MORE;
	if ((p[12] >> 4) != 2) {
		*why = "version 2 header with another version";
		return PROXYPROTO_BAD;
	}
	if ((cmd = p[12] & 0x0f) > 1) {
		*why = "version 2 command is neither LOCAL nor PROXY";
		return PROXYPROTO_BAD;
	}
	fam = p[13];
	switch (fam) {
	case 0x00:
		min = 0;
		break;
	case 0x11:	/* TCP over IPv4 */
	case 0x12:	/* UDP over IPv4 */
		min = 12;
		break;
	case 0x21:
	case 0x22:
		min = 36;
		break;
	case 0x31:	/* AF_UNIX: no address routing can use */
	case 0x32:
		min = 216;
		break;
	default:
		*why = "version 2 address family unknown";
		return PROXYPROTO_BAD;
	}
	len = (size_t)p[14] << 8 | p[15];
	if (len < min) {
		*why = "version 2 length too short for its addresses";
		return PROXYPROTO_BAD;
	}
	if (n < 16 + len)
		return PROXYPROTO_MORE;
	h->version = 2;
	/* LOCAL (a health check): the connection's own endpoints stand. */
	if (cmd == 0 || (fam >> 4) == 0 || (fam >> 4) == 3)
		return (ssize_t)(16 + len);
	memset(&h->src, 0, sizeof(h->src));
	memset(&h->dst, 0, sizeof(h->dst));
	if ((fam >> 4) == 1) {
		s4 = (struct sockaddr_in *)&h->src;
		d4 = (struct sockaddr_in *)&h->dst;
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, p + 16, 4);
		memcpy(&d4->sin_addr, p + 20, 4);
		memcpy(&s4->sin_port, p + 24, 2);
		memcpy(&d4->sin_port, p + 26, 2);
		h->srclen = sizeof(*s4);
	} else {
		s6 = (struct sockaddr_in6 *)&h->src;
		d6 = (struct sockaddr_in6 *)&h->dst;
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, p + 16, 16);
		memcpy(&d6->sin6_addr, p + 32, 16);
		memcpy(&s6->sin6_port, p + 48, 2);
		memcpy(&d6->sin6_port, p + 50, 2);
		h->srclen = sizeof(*s6);
	}
	h->has_src = true;
	return (ssize_t)(16 + len);
}

ssize_t
proxyproto_parse(const uint8_t *p, size_t n, struct proxyproto_hdr *h,
    const char **why)
{
	size_t	 m;

	memset(h, 0, sizeof(*h));
	m = n < sizeof(v2sig) ? n : sizeof(v2sig);
	if (memcmp(p, v2sig, m) == 0)
		return n < sizeof(v2sig) ? PROXYPROTO_MORE : pp_v2(p, n, h, why);
	m = n < sizeof(v1sig) - 1 ? n : sizeof(v1sig) - 1;
	if (memcmp(p, v1sig, m) == 0)
		return n < sizeof(v1sig) - 1 ? PROXYPROTO_MORE :
		    pp_v1(p, n, h, why);
	*why = "no PROXY protocol header";
	return PROXYPROTO_BAD;
}

/* ---- The layer ---- */

static void
placeholder_read_cb(struct bufferevent *bev, void *arg)
{
	/* Until the next layer or the proxy sets its own. */
}

static void
pp_fail(struct transport_accept *a, struct bufferevent *bev, const char *why)
{
	char	 buf[160];

	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	snprintf(buf, sizeof(buf), "PROXY protocol: %s", why);
	transport_accept_fail(a, buf);
}

static void
pp_read_cb(struct bufferevent *bev, void *arg)
{
	struct transport_accept	*a = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct proxyproto_hdr	 h;
	const char		*why = "no PROXY protocol header";
	size_t			 n = evbuffer_get_length(in);
	ssize_t			 r;

	if (n == 0)
		return;
	if (n > PROXYPROTO_V2_MAX)
		n = PROXYPROTO_V2_MAX;
	r = proxyproto_parse(evbuffer_pullup(in, (ev_ssize_t)n), n, &h, &why);
	if (r == PROXYPROTO_MORE)
		return;
	if (r < 0) {
		pp_fail(a, bev, why);
		return;
	}
	evbuffer_drain(in, (size_t)r);
	if (h.has_src)
		transport_accept_source(a, (struct sockaddr *)&h.src,
		    h.srclen);
	/*
	 * Bytes that came with the header wake no read of the next layer
	 * (a TLS filter reads its underlying stream only on new data): queue
	 * one, run from the loop with the callbacks set by then.
	 */
	bufferevent_setcb(bev, placeholder_read_cb, NULL, NULL, NULL);
	if (evbuffer_get_length(in) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
	transport_accept_done(a, bev);
}

static void
pp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	pp_fail(arg, bev, "the connection ended before the header");
}

static void
layer_accept(struct transport_accept *a, void *ctx)
{
	struct bufferevent	*bev = transport_accept_top(a);

	bufferevent_setcb(bev, pp_read_cb, NULL, pp_event_cb, a);
	bufferevent_enable(bev, EV_READ);
}

static bool
layer_applies(const struct conf_stream *st, bool server)
{
	if (!server)
		return false;
	switch (st->network) {
	case CONF_NET_TCP:
		return st->tcp.accept_proxy_protocol;
	case CONF_NET_WS:
		return st->ws.accept_proxy_protocol;
	default:
		return false;
	}
}

const struct transport_layer proxyproto_layer = {
	.name = "proxy",
	.applies = layer_applies,
	.accept = layer_accept,
};
