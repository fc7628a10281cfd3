/* SPDX-License-Identifier: MIT */
/* dial.c: non-blocking TCP connect with DNS through evdns, and retries. */
#include "transport/dial.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "kcp/kcp_udp.h"

struct net_dial {
	struct event_base	*base;
	struct evdns_base	*dns;
	const struct conf_stream *stream;
	struct evdns_getaddrinfo_request *req;
	struct event		*ready;		/* kcp: deliver from the loop */
	struct net_addr		 to;
	int			 family;
	int			 tries, max;
	struct bufferevent	*bev;
	struct event		*retry;
	net_dial_cb		*cb;
	void			*arg;
};

static void	attempt(struct net_dial *);

void
net_tune_socket(struct bufferevent *bev)
{
	evutil_socket_t	 fd = bufferevent_getfd(bev);
	int		 one = 1;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bufferevent_set_max_single_read(bev, 128 * 1024);
	/* One writev may carry a whole watermark's worth: fewer pushes
	 * through the TCP stack per byte on a bulk stream. */
	bufferevent_set_max_single_write(bev, 1024 * 1024);
}

void
net_dial_cancel(struct net_dial *d)
{
	if (d == NULL)
		return;
	if (d->bev != NULL)
		bufferevent_free(d->bev);
	if (d->req != NULL) {
		d->cb = NULL;		/* the cancel callback frees d */
		evdns_getaddrinfo_cancel(d->req);
		return;
	}
	if (d->ready != NULL)
		event_free(d->ready);
	event_free(d->retry);
	free(d);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct net_dial	*d = arg;
	struct timeval	 tv;
	net_dial_cb	*cb = d->cb;
	void		*cbarg = d->arg;
	char		 why[160], a[NET_ADDRSTRLEN];
	int		 dnserr, err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED) {
		d->bev = NULL;
		bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
		net_tune_socket(bev);
		net_dial_cancel(d);
		cb(bev, NULL, cbarg);
		return;
	}
	dnserr = bufferevent_socket_get_dns_error(bev);
	snprintf(why, sizeof(why), "cannot reach %s: %s",
	    net_addr_str(&d->to, a, sizeof(a)),
	    dnserr ? evutil_gai_strerror(dnserr) : strerror(err));
	log_debug("dial attempt %d: %s", d->tries, why);
	bufferevent_free(d->bev);
	d->bev = NULL;
	if (d->tries >= d->max) {
		net_dial_cancel(d);
		cb(NULL, why, cbarg);
		return;
	}
	tv.tv_sec = 0;
	tv.tv_usec = d->tries * 100 * 1000;
	evtimer_add(d->retry, &tv);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	attempt(arg);
}

static void
kcp_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_dial	*d = arg;
	struct bufferevent *bev = d->bev;
	net_dial_cb	*cb = d->cb;
	void		*cbarg = d->arg;

	d->bev = NULL;
	net_dial_cancel(d);
	cb(bev, bev == NULL ? "mKCP: cannot open a socket" : NULL, cbarg);
}

static void
kcp_open(struct net_dial *d, const struct sockaddr *sa, socklen_t len)
{
	const char	*err = NULL;

	d->bev = kcp_udp_dial(d->base, sa, len, &d->stream->kcp, &err);
	if (d->bev == NULL)
		log_debug("mKCP dial: %s", err != NULL ? err : "failed");
	/* Never call back before net_dial() has returned. */
	d->ready = evtimer_new(d->base, kcp_ready_cb, d);
	event_active(d->ready, EV_TIMEOUT, 1);
}

static void
kcp_dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct net_dial	*d = arg;

	d->req = NULL;
	if (d->cb == NULL) {		/* cancelled */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		event_free(d->retry);
		free(d);
		return;
	}
	if (result != 0 || res == NULL) {
		net_dial_cb *cb = d->cb;
		void *cbarg = d->arg;

		if (res != NULL)
			evutil_freeaddrinfo(res);
		net_dial_cancel(d);
		cb(NULL, "mKCP: cannot resolve the server", cbarg);
		return;
	}
	kcp_open(d, res->ai_addr, res->ai_addrlen);
	evutil_freeaddrinfo(res);
}

static void
kcp_attempt(struct net_dial *d)
{
	struct sockaddr_storage	 ss;
	struct evutil_addrinfo	 hints;
	struct evdns_getaddrinfo_request *req;
	char			 port[8];
	int			 len;

	if ((len = net_addr_to_sockaddr(&d->to, &ss)) != -1) {
		kcp_open(d, (struct sockaddr *)&ss, (socklen_t)len);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = d->family;
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(port, sizeof(port), "%u", d->to.port);
	req = evdns_getaddrinfo(d->dns, d->to.domain, port, &hints,
	    kcp_dns_cb, d);
	if (req != NULL)
		d->req = req;
}

static void
attempt(struct net_dial *d)
{
	struct sockaddr_storage	 ss;
	char			 host[256];
	int			 len;

	d->tries++;
	/* Deferred callbacks: a connect that fails at once must not call
	 * back into the caller before net_dial() has returned. */
	d->bev = bufferevent_socket_new(d->base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(d->bev, NULL, NULL, event_cb, d);
	/* A failure inside either call is reported through event_cb. */
	if ((len = net_addr_to_sockaddr(&d->to, &ss)) != -1)
		bufferevent_socket_connect(d->bev, (struct sockaddr *)&ss, len);
	else
		bufferevent_socket_connect_hostname(d->bev, d->dns,
		    d->family, net_addr_host(&d->to, host, sizeof(host)),
		    d->to.port);
}

struct net_dial *
net_dial(struct event_base *base, struct evdns_base *dns,
    const struct net_addr *to, int family, int tries,
    const struct conf_stream *stream, net_dial_cb *cb, void *arg)
{
	struct net_dial	*d = xcalloc(1, sizeof(*d));

	d->base = base;
	d->dns = dns;
	d->stream = stream;
	d->to = *to;
	d->family = family;
	d->max = tries > 0 ? tries : 1;
	d->cb = cb;
	d->arg = arg;
	d->retry = evtimer_new(base, retry_cb, d);
	if (stream != NULL && stream->network == CONF_NET_KCP)
		kcp_attempt(d);
	else
		attempt(d);
	return d;
}
