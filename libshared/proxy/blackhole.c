/* SPDX-License-Identifier: MIT */
/*
 * blackhole.c: the outbound that drops everything (§5.3). With response
 * type "http" it writes 4.34's exact 403 (LF line ends), lingers 1 s and
 * closes; with "none" it closes at once. UDP datagrams are dropped.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/engine.h"
#include "core/session.h"
#include "core/udp.h"

static const char bh_http[] =
    "HTTP/1.1 403 Forbidden\nConnection: close\n"
    "Cache-Control: max-age=3600, public\nContent-Length: 0\n\n\n";

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	session_close(arg, NULL);
}

static void
bh_free(struct session *s)
{
	if (s->out_state != NULL)
		event_free(s->out_state);
	s->out_state = NULL;
}

static void
bh_event_cb(struct bufferevent *bev, short what, void *arg)
{
	/* The client going away ends the linger early. */
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		session_close(arg, NULL);
}

static void
blackhole_open(struct session *s)
{
	struct timeval	 tv = { 1, 0 };
	struct event	*ev;

	if (!s->out->c->bh_http) {
		session_close(s, NULL);
		return;
	}
	evbuffer_add(bufferevent_get_output(s->cbev), bh_http,
	    sizeof(bh_http) - 1);
	/* Discard whatever the client sends meanwhile. */
	evbuffer_drain(bufferevent_get_input(s->cbev),
	    evbuffer_get_length(bufferevent_get_input(s->cbev)));
	bufferevent_setcb(s->cbev, NULL, NULL, bh_event_cb, s);
	bufferevent_enable(s->cbev, EV_WRITE);
	ev = evtimer_new(s->eng->base, linger_cb, s);
	s->out_state = ev;
	s->out_free = bh_free;
	evtimer_add(ev, &tv);
}

static int
bh_udp_send(struct udp_flow *f, const uint8_t *p, size_t n)
{
	return 0;
}

static int
blackhole_udp_open(struct udp_flow *f)
{
	f->send = bh_udp_send;
	return 0;
}

const struct outbound_ops blackhole_outbound_ops = {
	.name = "blackhole",
	.proto = CONF_PROTO_BLACKHOLE,
	.open = blackhole_open,
	.udp_open = blackhole_udp_open,
};
