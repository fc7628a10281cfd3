/* SPDX-License-Identifier: MIT */
/* dial.c: non-blocking TCP connect with DNS through evdns, and retries. */
#include "net/dial.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "app/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "net/session.h"

struct net_dial {
	struct engine		*eng;
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
net_dial_cancel(struct net_dial *d)
{
	if (d == NULL)
		return;
	if (d->bev != NULL)
		bufferevent_free(d->bev);
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
		session_tune_socket(bev);
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
attempt(struct net_dial *d)
{
	struct sockaddr_storage	 ss;
	char			 host[256];
	int			 len;

	d->tries++;
	/* Deferred callbacks: a connect that fails at once must not call
	 * back into the caller before net_dial() has returned. */
	d->bev = bufferevent_socket_new(d->eng->base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(d->bev, NULL, NULL, event_cb, d);
	/* A failure inside either call is reported through event_cb. */
	if ((len = net_addr_to_sockaddr(&d->to, &ss)) != -1)
		bufferevent_socket_connect(d->bev, (struct sockaddr *)&ss, len);
	else
		bufferevent_socket_connect_hostname(d->bev, d->eng->dns,
		    d->family, net_addr_host(&d->to, host, sizeof(host)),
		    d->to.port);
}

struct net_dial *
net_dial(struct engine *eng, const struct net_addr *to, int family,
    int tries, net_dial_cb *cb, void *arg)
{
	struct net_dial	*d = xcalloc(1, sizeof(*d));

	d->eng = eng;
	d->to = *to;
	d->family = family;
	d->max = tries > 0 ? tries : 1;
	d->cb = cb;
	d->arg = arg;
	d->retry = evtimer_new(eng->base, retry_cb, d);
	attempt(d);
	return d;
}
