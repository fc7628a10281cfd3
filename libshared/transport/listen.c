/* SPDX-License-Identifier: MIT */
/*
 * listen.c: the bottom of a server's transport stack, TCP or mKCP; what
 * comes in goes up through transport_accept's layers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "kcp/kcp_udp.h"
#include "net/addr.h"
#include "transport/dial.h"
#include "transport/transport.h"

struct transport_listener {
	struct evconnlistener	*tcp;
	struct kcp_udp_listener	*kcp;
	struct event		*resume;	/* TCP paused under pressure */
	transport_conn_cb	*cb;
	bool			(*shed)(void *);
	void			*arg;
};

static void
tcp_accept_cb(struct evconnlistener *el, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct transport_listener *l = arg;
	struct bufferevent	*bev;

	bev = bufferevent_socket_new(evconnlistener_get_base(el), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	net_tune_socket(bev);
	l->cb(bev, sa, l->arg);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport_listener *l = arg;

	evconnlistener_enable(l->tcp);
}

static void
tcp_error_cb(struct evconnlistener *el, void *arg)
{
	struct transport_listener *l = arg;
	int			 err = EVUTIL_SOCKET_ERROR();
	struct timeval		 tv = { 0, 100 * 1000 };

	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		/*
		 * Silent connections must not lock real clients out: free a
		 * descriptor held by the oldest unfinished handshake, and the
		 * pending accept succeeds on the next loop.
		 */
		if (l->shed != NULL && l->shed(l->arg))
			return;
		log_warn("accept: %s; pausing 100 ms", strerror(err));
		evconnlistener_disable(el);
		evtimer_add(l->resume, &tv);
		return;
	}
	log_warn("accept: %s", strerror(err));
}

static void
kcp_accept_cb(struct bufferevent *bev, const struct sockaddr *from,
    socklen_t fromlen, void *arg)
{
	struct transport_listener *l = arg;

	l->cb(bev, from, l->arg);
}

struct transport_listener *
transport_listen(const struct transport *t, struct event_base *base,
    const struct sockaddr *sa, socklen_t len, transport_conn_cb *cb,
    bool (*shed)(void *), void *arg, char *err, size_t errlen)
{
	const struct conf_stream *st = transport_stream(t);
	struct transport_listener *l = xcalloc(1, sizeof(*l));
	struct net_addr		 a;
	char			 as[NET_ADDRSTRLEN];
	const char		*kerr = NULL;

	l->cb = cb;
	l->shed = shed;
	l->arg = arg;
	net_addr_from_sockaddr(&a, sa);
	if (st != NULL && st->network == CONF_NET_KCP) {
		l->kcp = kcp_udp_listen(base, sa, len, &st->kcp, kcp_accept_cb,
		    l, &kerr);
		if (l->kcp == NULL) {
			snprintf(err, errlen, "cannot listen on udp %s: %s",
			    net_addr_str(&a, as, sizeof(as)),
			    kerr != NULL ? kerr : strerror(errno));
			free(l);
			return NULL;
		}
		return l;
	}
	l->tcp = evconnlistener_new_bind(base, tcp_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, sa, (int)len);
	if (l->tcp == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s",
		    net_addr_str(&a, as, sizeof(as)), strerror(errno));
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->tcp, tcp_error_cb);
	l->resume = evtimer_new(base, resume_cb, l);
	return l;
}

bool
transport_listener_shared(const struct transport_listener *l)
{
	return l->kcp != NULL;
}

void
transport_listener_free(struct transport_listener *l)
{
	if (l == NULL)
		return;
	if (l->tcp != NULL)
		evconnlistener_free(l->tcp);
	if (l->kcp != NULL)
		kcp_udp_listener_free(l->kcp);
	if (l->resume != NULL)
		event_free(l->resume);
	free(l);
}
