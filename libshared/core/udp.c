/* SPDX-License-Identifier: MIT */
/* udp.c: UDP flows between an inbound socket and an outbound path. */
#include "core/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "core/dispatch.h"

static bool
addr_eq(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    (a->family == 0 ? strcmp(a->domain, b->domain) == 0 :
	    memcmp(a->ip, b->ip, a->family == AF_INET ? 4 : 16) == 0);
}

struct udp_flow *
udp_flow_find(struct engine *eng, struct inbound_rt *in,
    const struct net_addr *src, const struct net_addr *dst, void *in_ctx)
{
	struct udp_flow	*f;

	LIST_FOREACH(f, &eng->flows, entry)
		if (f->in == in && f->in_ctx == in_ctx &&
		    addr_eq(&f->src, src) && addr_eq(&f->dst, dst))
			return f;
	return NULL;
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_flow	*f = arg;
	uint64_t	 now = util_now_ms();
	struct timeval	 tv = { UDP_FLOW_IDLE_SEC, 0 };

	if (now - f->last_ms < UDP_FLOW_IDLE_SEC * 1000ULL) {
		tv.tv_sec = (long)((UDP_FLOW_IDLE_SEC * 1000ULL -
		    (now - f->last_ms)) / 1000) + 1;
		evtimer_add(f->idle, &tv);
		return;
	}
	udp_flow_close(f);
}

static struct udp_flow *
flow_alloc(struct engine *eng, struct inbound_rt *in,
    const struct net_addr *src, const struct net_addr *dst, void *in_ctx,
    void (*reply)(struct udp_flow *, const uint8_t *, size_t),
    const char *in_tag)
{
	struct udp_flow	*f = xcalloc(1, sizeof(*f));

	f->eng = eng;
	f->in = in;
	f->src = *src;
	f->dst = *dst;
	f->in_ctx = in_ctx;
	f->reply = reply;
	f->in_tag = in_tag != NULL ? xstrdup(in_tag) : NULL;
	f->level = in != NULL ? in->c->user_level : 0;
	f->last_ms = util_now_ms();
	return f;
}

/* f->out chosen: log, list and open it (f is freed on failure). */
static struct udp_flow *
flow_open(struct udp_flow *f)
{
	struct engine	*eng = f->eng;
	const struct net_addr *src = &f->src, *dst = &f->dst;
	struct timeval	 tv = { UDP_FLOW_IDLE_SEC, 0 };
	char		 from[NET_ADDRSTRLEN + 8], to[NET_ADDRSTRLEN + 8];
	char		 a[NET_ADDRSTRLEN];

	snprintf(from, sizeof(from), "udp:%s", net_addr_str(src, a,
	    sizeof(a)));
	snprintf(to, sizeof(to), "udp:%s", net_addr_str(dst, a, sizeof(a)));
	if (f->out == NULL || f->out->ops->udp_open == NULL) {
		log_access(from, 0, to, f->out ? f->out->c->tag : NULL, NULL,
		    "outbound cannot carry UDP");
		free(f->in_tag);
		free(f);
		return NULL;
	}
	log_access(from, 1, to, f->out->c->tag, NULL, NULL);
	f->idle = evtimer_new(eng->base, idle_cb, f);
	LIST_INSERT_HEAD(&eng->flows, f, entry);
	if (f->out->ops->udp_open(f) == -1) {
		udp_flow_close(f);
		return NULL;
	}
	evtimer_add(f->idle, &tv);
	return f;
}

struct udp_flow *
udp_flow_new(struct engine *eng, struct inbound_rt *in,
    const struct net_addr *src, const struct net_addr *dst, void *in_ctx,
    void (*reply)(struct udp_flow *, const uint8_t *, size_t),
    const char *in_tag)
{
	struct udp_flow	*f;

	f = flow_alloc(eng, in, src, dst, in_ctx, reply, in_tag);
	f->out = dispatch_route_flow(f);
	return flow_open(f);
}

struct udp_flow *
udp_flow_new_via(struct engine *eng, struct outbound_rt *out,
    const struct net_addr *src, const struct net_addr *dst, void *ctx,
    void (*reply)(struct udp_flow *, const uint8_t *, size_t))
{
	struct udp_flow	*f;

	f = flow_alloc(eng, NULL, src, dst, ctx, reply, NULL);
	f->out = out;
	return flow_open(f);
}

void
udp_flow_send(struct udp_flow *f, const uint8_t *p, size_t n)
{
	f->last_ms = util_now_ms();
	stats_flow_count(f, true, n);
	if (f->send != NULL && f->send(f, p, n) == -1)
		log_debug("udp: send to destination failed: %s",
		    strerror(errno));
}

void
udp_flow_reply(struct udp_flow *f, const uint8_t *p, size_t n)
{
	f->last_ms = util_now_ms();
	stats_flow_count(f, false, n);
	f->reply(f, p, n);
}

void
udp_flow_close(struct udp_flow *f)
{
	LIST_REMOVE(f, entry);
	if (f->in_close != NULL)
		f->in_close(f);
	if (f->out_close != NULL)
		f->out_close(f);
	if (f->idle != NULL)
		event_free(f->idle);
	free(f->user);
	free(f->in_tag);
	free(f);
}

void
udp_flow_close_ctx(struct engine *eng, void *in_ctx)
{
	struct udp_flow	*f, *next;

	for (f = LIST_FIRST(&eng->flows); f != NULL; f = next) {
		next = LIST_NEXT(f, entry);
		if (f->in_ctx == in_ctx)
			udp_flow_close(f);
	}
}

int
udp_bind(const char *addr, uint16_t port)
{
	struct net_addr		 a;
	struct sockaddr_storage	 ss;
	int			 fd, len, one = 1;

	net_addr_set(&a, addr, port);
	if ((len = net_addr_to_sockaddr(&a, &ss)) == -1) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, (socklen_t)len) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
udp_ports_open(struct udp_ports *up, struct inbound_rt *ib, const char *host,
    void (*cb)(int, short, void *), char *err, size_t errlen)
{
	const struct conf_inbound	*ci = ib->c;
	unsigned			 port;
	int				 fd;

	up->p = xcalloc((size_t)(ci->port.to - ci->port.from) + 1,
	    sizeof(*up->p));
	up->n = 0;
	for (port = ci->port.from; port <= ci->port.to; port++) {
		if ((fd = udp_bind(host, (uint16_t)port)) == -1) {
			snprintf(err, errlen, "cannot listen on udp %s:%u: %s",
			    host, port, strerror(errno));
			udp_ports_close(up, ib->eng);
			return -1;
		}
		up->p[up->n].ib = ib;
		up->p[up->n].fd = fd;
		up->p[up->n].ev = event_new(ib->eng->base, fd,
		    EV_READ | EV_PERSIST, cb, &up->p[up->n]);
		event_add(up->p[up->n].ev, NULL);
		up->n++;
	}
	return 0;
}

void
udp_ports_close(struct udp_ports *up, struct engine *eng)
{
	size_t	 i;

	for (i = 0; i < up->n; i++) {
		udp_flow_close_ctx(eng, &up->p[i]);
		event_free(up->p[i].ev);
		close(up->p[i].fd);
	}
	free(up->p);
	up->p = NULL;
	up->n = 0;
}
