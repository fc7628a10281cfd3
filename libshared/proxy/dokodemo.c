/* SPDX-License-Identifier: MIT */
/*
 * dokodemo.c: the dokodemo-door inbound (§5.1): every connection or
 * datagram goes to the configured address:port (or, with followRedirect,
 * to the original destination of an iptables REDIRECT). UDP: one flow per
 * client source, replies sent back from the listening socket.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "core/dispatch.h"
#include "core/session.h"
#include "core/udp.h"

/* From <linux/netfilter_ipv4.h>, which clashes with <netinet/in.h>. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST	80
#endif

struct dk_state {
	struct udp_ports	 udp;
};

static bool
dk_destination(const struct conf_inbound *ci, int fd, struct net_addr *dst)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (ci->dk_follow_redirect && fd >= 0 &&
	    getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len) == 0 &&
	    net_addr_from_sockaddr(dst, (struct sockaddr *)&ss) == 0)
		return true;
	if (ci->dk_address == NULL)
		return false;
	net_addr_set(dst, ci->dk_address, ci->dk_port);
	return true;
}

static void
dk_accept(struct session *s)
{
	if (!dk_destination(s->in->c, bufferevent_getfd(s->cbev), &s->dst)) {
		session_reject(s, "unable to get destination");
		return;
	}
	dispatch_start(s);
}

static void
dk_reply(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct udp_port		*u = f->in_ctx;
	struct sockaddr_storage	 ss;
	int			 len;

	if ((len = net_addr_to_sockaddr(&f->src, &ss)) != -1)
		sendto(u->fd, p, n, 0, (struct sockaddr *)&ss, (socklen_t)len);
}

static void
dk_udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_port		*u = arg;
	static uint8_t		 buf[UDP_MAX_DATAGRAM];
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct net_addr		 src, dst;
	struct udp_flow		*f;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < 64; i++) {
		sl = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss,
		    &sl);
		if (n < 0)
			return;
		if (net_addr_from_sockaddr(&src, (struct sockaddr *)&ss) == -1 ||
		    !dk_destination(u->ib->c, -1, &dst))
			continue;
		f = udp_flow_find(u->ib->eng, u->ib, &src, &dst, u);
		if (f == NULL)
			f = udp_flow_new(u->ib->eng, u->ib, &src, &dst, u,
			    dk_reply, NULL);
		if (f != NULL)
			udp_flow_send(f, buf, (size_t)n);
	}
}

static void
dk_quiesce(struct inbound_rt *ib)
{
	struct dk_state	*st = ib->state;

	if (st != NULL)
		udp_ports_close(&st->udp, ib->eng);
}

static void
dk_stop(struct inbound_rt *ib)
{
	dk_quiesce(ib);
	free(ib->state);
	ib->state = NULL;
}

static int
dk_start(struct inbound_rt *ib, char *err, size_t errlen)
{
	const struct conf_inbound	*ci = ib->c;
	struct dk_state			*st = xcalloc(1, sizeof(*st));

	ib->state = st;
	ib->no_tcp = !(ci->dk_network & CONF_NETBIT_TCP);
	if (!(ci->dk_network & CONF_NETBIT_UDP))
		return 0;
	return udp_ports_open(&st->udp, ib, ci->listen ? ci->listen :
	    "0.0.0.0", dk_udp_read_cb, err, errlen);
}

const struct inbound_ops dokodemo_inbound_ops = {
	.name = "dokodemo-door",
	.proto = CONF_PROTO_DOKODEMO,
	.tcp = true,
	.start = dk_start,
	.stop = dk_stop,
	.quiesce = dk_quiesce,
	.accept = dk_accept,
};
