/* SPDX-License-Identifier: MIT */
/*
 * reverse.c: portal and bridge. Unlike 4.34, a dead link leaves the
 * portal's picker at once (4.34 keeps preferring it for up to 30 s), only
 * VMess users may register a link, and a bridge re-dials after 0.5, 1, 2 s
 * instead of waiting for its next 2 s tick.
 */
#include "reverse/reverse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/vcrypto.h"
#include "core/dispatch.h"
#include "mux/mux.h"
#include "mux/mux_control.h"
#include "core/session.h"
#include "core/udp.h"

/* ---------------------------------------------------------------- */
/* Portal                                                           */

struct portal_link {
	struct portal		*p;
	struct mux_worker	*w;
	int			 ctl;		/* control sub-session id */
	bool			 draining;
	struct event		*beat;
	struct stats_link	*st;		/* status page, metrics */
	LIST_ENTRY(portal_link)	 entry;
};

struct portal {
	const char		*domain;
	LIST_HEAD(, portal_link) links;
};

static void
control_message(struct portal_link *l, int32_t state, uint8_t *buf,
    size_t cap, size_t *len)
{
	uint8_t		 pad[MUX_CONTROL_RANDOM_MAX];
	uint8_t		 r = 0;
	ssize_t		 n;

	/* 0..63 bytes of padding, as 4.34's rand.Intn(64). */
	vcrypto_random(&r, 1);
	r %= MUX_CONTROL_RANDOM_MAX + 1;
	vcrypto_random(pad, r);
	n = mux_control_encode(state, pad, r, buf, cap);
	*len = n > 0 ? (size_t)n : 0;
}

static void
heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct portal_link	*l = arg;
	uint8_t			 msg[MUX_CONTROL_MAX_LEN];
	size_t			 n;

	if (mux_worker_total(l->w) > MUX_REVERSE_DRAIN_SESSIONS) {
		/* Retire this link: the bridge opens a fresh one. */
		control_message(l, MUX_CONTROL_DRAIN, msg, sizeof(msg), &n);
		mux_worker_send(l->w, l->ctl, msg, n);
		mux_worker_end(l->w, l->ctl);
		mux_worker_idle_close(l->w, true);
		l->draining = true;
		event_del(l->beat);
		return;
	}
	control_message(l, MUX_CONTROL_ACTIVE, msg, sizeof(msg), &n);
	mux_worker_send(l->w, l->ctl, msg, n);
	stats_link_beat(l->st);
}

static void
link_gone(struct mux_worker *w, void *arg)
{
	struct portal_link	*l = arg;

	log_info("portal %s: a bridge link closed", l->p->domain);
	LIST_REMOVE(l, entry);
	event_free(l->beat);
	stats_link_free(l->st);
	free(l);
}

static void
portal_new_link(struct session *s, struct portal *p)
{
	struct bufferevent	*pair[2];
	struct portal_link	*l;
	struct timeval		 tv = { MUX_REVERSE_HEARTBEAT_MS / 1000, 0 };
	uint8_t			 msg[MUX_CONTROL_MAX_LEN];
	size_t			 n;

	if (s->in == NULL || s->in->ops != &vmess_inbound_ops) {
		/* 4.34 lets any inbound register a bridge; we do not. */
		session_close(s, "portal: links are accepted from VMess users "
		    "only");
		return;
	}
	if (bufferevent_pair_new(s->eng->base, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, pair) == -1) {
		session_close(s, "portal: out of memory");
		return;
	}
	l = xcalloc(1, sizeof(*l));
	l->p = p;
	l->w = mux_worker_new(s->eng, MUX_ROLE_CLIENT, pair[1]);
	mux_worker_on_close(l->w, link_gone, l);
	mux_worker_bind_session(l->w, s);
	l->st = stats_link_new("portal", p->domain, s->user, l->w);
	stats_link_attach(l->st, s);
	control_message(l, MUX_CONTROL_ACTIVE, msg, sizeof(msg), &n);
	l->ctl = mux_worker_open_packet(l->w, MUX_REVERSE_DOMAIN,
	    MUX_REVERSE_PORT, msg, n);
	stats_link_beat(l->st);		/* the first control message */
	l->beat = event_new(s->eng->base, -1, EV_PERSIST, heartbeat_cb, l);
	event_add(l->beat, &tv);
	LIST_INSERT_HEAD(&p->links, l, entry);
	s->rbev = pair[0];
	s->r_shutdown = stream_shutdown_pair;
	log_info("portal %s: bridge link from %s", p->domain,
	    s->user != NULL ? s->user : "a VMess user");
	session_relay(s);
}

/* The least-loaded live link; draining ones only when nothing else. */
static struct mux_worker *
portal_pick(struct portal *p)
{
	struct portal_link	*l, *best = NULL;
	int			 pass;

	for (pass = 0; pass < 2 && best == NULL; pass++)
		LIST_FOREACH(l, &p->links, entry) {
			if (mux_worker_dead(l->w) || (pass == 0 && l->draining))
				continue;
			if (best == NULL || mux_worker_active(l->w) <
			    mux_worker_active(best->w))
				best = l;
		}
	return best != NULL ? best->w : NULL;
}

static void
portal_open(struct session *s)
{
	struct portal		*p = s->out->state;
	struct mux_worker	*w;

	if (s->dst.family == 0 && strcmp(s->dst.domain, p->domain) == 0) {
		portal_new_link(s, p);
		return;
	}
	if ((w = portal_pick(p)) == NULL) {
		session_close(s, "portal: no bridge is connected");
		return;
	}
	if (mux_worker_open(w, s) == -1)
		session_close(s, "portal: cannot open a session on the link");
}

static int
portal_udp_open(struct udp_flow *f)
{
	struct mux_worker	*w = portal_pick(f->out->state);

	return w != NULL ? mux_worker_open_flow(w, f) : -1;
}

static int
portal_start(struct outbound_rt *ob, char *err, size_t errlen)
{
	const struct conf	*c = ob->eng->conf;
	struct portal		*p;
	size_t			 i;

	for (i = 0; i < c->nportals; i++)
		if (strcmp(c->portals[i].tag, ob->c->tag) == 0)
			break;
	if (i == c->nportals) {
		snprintf(err, errlen, "portal %s is not configured",
		    ob->c->tag);
		return -1;
	}
	p = xcalloc(1, sizeof(*p));
	p->domain = c->portals[i].domain;
	LIST_INIT(&p->links);
	ob->state = p;
	return 0;
}

static void
portal_stop(struct outbound_rt *ob)
{
	struct portal		*p = ob->state;
	struct portal_link	*l;

	if (p == NULL)
		return;
	while ((l = LIST_FIRST(&p->links)) != NULL)
		mux_worker_close(l->w);		/* link_gone unlinks l */
	free(p);
	ob->state = NULL;
}

/*
 * Stopping: tell every bridge to move (DRAIN), so it dials the portal's
 * next instance at once instead of finding out when this one is gone;
 * links that carry no session close now instead of holding the grace.
 */
static void
portal_quiesce(struct outbound_rt *ob)
{
	struct portal		*p = ob->state;
	struct portal_link	*l, *next;
	uint8_t			 msg[MUX_CONTROL_MAX_LEN];
	size_t			 n;

	if (p == NULL)
		return;
	for (l = LIST_FIRST(&p->links); l != NULL; l = next) {
		next = LIST_NEXT(l, entry);
		if (!l->draining) {
			control_message(l, MUX_CONTROL_DRAIN, msg, sizeof(msg),
			    &n);
			mux_worker_send(l->w, l->ctl, msg, n);
			mux_worker_end(l->w, l->ctl);
			l->draining = true;
			event_del(l->beat);
		}
		if (mux_worker_active(l->w) == 0)
			mux_worker_close(l->w);	/* frees l */
		else	/* once its last session ends, as a drained link */
			mux_worker_idle_close(l->w, true);
	}
}

const struct outbound_ops portal_outbound_ops = {
	.name = "portal",
	.proto = CONF_PROTO_NONE,
	.start = portal_start,
	.stop = portal_stop,
	.open = portal_open,
	.udp_open = portal_udp_open,
	.quiesce = portal_quiesce,
};

/* ---------------------------------------------------------------- */
/* Bridge                                                           */

struct bridge_link {
	struct reverse_bridge	*b;
	struct mux_worker	*w;
	bool			 active;	/* last control state */
	bool			 heard;		/* a control message came */
	struct stats_link	*st;		/* status page, metrics */
	LIST_ENTRY(bridge_link)	 entry;
};

struct reverse_bridge {
	struct engine		*eng;
	const char		*tag;
	const char		*domain;
	LIST_HEAD(, bridge_link) links;
	struct event		*monitor;
	struct event		*redial;
	int			 failures;	/* links that died unheard */
	bool			 quiescing;	/* retired: no new links */
	struct reverse_bridge	*next;
};

static void	bridge_dial(struct reverse_bridge *);

static void
bridge_control(struct mux_worker *w, const uint8_t *p, size_t n, void *arg)
{
	struct bridge_link	*l = arg;
	struct mux_control	 c;
	const char		*err = NULL;

	if (mux_control_decode(p, n, &c, &err) < 0) {
		log_info("bridge %s: bad control message: %s", l->b->tag, err);
		return;
	}
	l->heard = true;
	l->b->failures = 0;
	stats_link_beat(l->st);
	if (l->active && c.state != MUX_CONTROL_ACTIVE) {
		/* Drained: a fresh link now, not at the next 2 s tick. */
		static const struct timeval now = { 0, 0 };

		l->active = false;
		if (!l->b->eng->stopping && !l->b->quiescing)
			evtimer_add(l->b->redial, &now);
		return;
	}
	l->active = c.state == MUX_CONTROL_ACTIVE;
}

static void
bridge_link_gone(struct mux_worker *w, void *arg)
{
	struct bridge_link	*l = arg;
	struct reverse_bridge	*b = l->b;
	struct timeval		 tv;
	int			 k;

	LIST_REMOVE(l, entry);
	if (!l->heard)
		b->failures++;
	stats_link_free(l->st);
	free(l);
	if (b->eng->stopping || b->quiescing)
		return;
	/* Re-dial soon: 0.5, 1, then every 2 s while it keeps failing. */
	k = b->failures < 3 ? b->failures : 2;
	tv.tv_sec = (500 << k) / 1000;
	tv.tv_usec = ((500 << k) % 1000) * 1000;
	evtimer_add(b->redial, &tv);
	log_info("bridge %s: link to the portal closed", b->tag);
}

static void
bridge_dial(struct reverse_bridge *b)
{
	struct bridge_link	*l;
	struct session		*s;
	struct bufferevent	*peer;
	struct net_addr		 dst;

	memset(&dst, 0, sizeof(dst));
	snprintf(dst.domain, sizeof(dst.domain), "%s", b->domain);
	if ((s = session_new_internal(b->eng, &dst, &peer)) == NULL)
		return;
	l = xcalloc(1, sizeof(*l));
	l->b = b;
	l->active = true;	/* until the portal says otherwise */
	l->w = mux_worker_new(b->eng, MUX_ROLE_SERVER, peer);
	mux_worker_set_origin(l->w, NULL, b->tag, NULL, NULL, 0);
	mux_worker_set_control(l->w, MUX_REVERSE_DOMAIN, bridge_control, l);
	mux_worker_on_close(l->w, bridge_link_gone, l);
	mux_worker_bind_session(l->w, s);
	l->st = stats_link_new("bridge", b->tag, b->domain, l->w);
	stats_link_attach(l->st, s);
	LIST_INSERT_HEAD(&b->links, l, entry);
	log_info("bridge %s: dialing the portal for %s", b->tag, b->domain);
	/* The user's rules pick the outbound to the portal (§2.2). */
	s->in_tag = b->tag;
	dispatch_start(s);
}

static void
bridge_close_idle(struct reverse_bridge *b)
{
	struct bridge_link	*l, *next;

	for (l = LIST_FIRST(&b->links); l != NULL; l = next) {
		next = LIST_NEXT(l, entry);
		/* Only the control session left: nothing to finish. */
		if (mux_worker_active(l->w) <= 1)
			mux_worker_close(l->w);	/* frees l */
	}
}

/*
 * Every 2 s (4.34): with no active link, or more than 16 sessions per
 * active link on average (control sessions included), open one more.
 */
static void
monitor_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reverse_bridge	*b = arg;
	struct bridge_link	*l;
	size_t			 n = 0, c = 0;

	if (b->quiescing) {
		/* Retired: a link goes once its last session has ended. */
		bridge_close_idle(b);
		return;
	}
	LIST_FOREACH(l, &b->links, entry) {
		if (!l->active || mux_worker_dead(l->w))
			continue;
		n++;
		c += mux_worker_active(l->w);
	}
	if (n == 0 || c / n > MUX_REVERSE_SCALE_SESSIONS) {
		if (n == 0 && evtimer_pending(b->redial, NULL))
			return;		/* a backoff re-dial is due */
		bridge_dial(b);
	}
}

static void
redial_cb(evutil_socket_t fd, short what, void *arg)
{
	monitor_cb(fd, what, arg);
}

int
reverse_bridges_start(struct engine *eng)
{
	const struct conf	*c = eng->conf;
	struct reverse_bridge	*b;
	struct timeval		 tv = { MUX_REVERSE_MONITOR_MS / 1000, 0 };
	size_t			 i;

	for (i = 0; i < c->nbridges; i++) {
		b = xcalloc(1, sizeof(*b));
		b->eng = eng;
		b->tag = c->bridges[i].tag;
		b->domain = c->bridges[i].domain;
		LIST_INIT(&b->links);
		b->monitor = event_new(eng->base, -1, EV_PERSIST, monitor_cb, b);
		b->redial = evtimer_new(eng->base, redial_cb, b);
		event_add(b->monitor, &tv);
		b->next = eng->bridges;
		eng->bridges = b;
		bridge_dial(b);
	}
	return 0;
}

/*
 * A reload or a stop: no new links (a closing one must not re-dial from
 * the retired engine); links that still carry sessions close at a later
 * monitor tick, once those have ended.
 */
void
reverse_bridges_quiesce(struct engine *eng)
{
	struct reverse_bridge	*b;

	for (b = eng->bridges; b != NULL; b = b->next) {
		b->quiescing = true;
		event_del(b->redial);
		bridge_close_idle(b);
	}
}

void
reverse_bridges_stop(struct engine *eng)
{
	struct reverse_bridge	*b;
	struct bridge_link	*l;

	while ((b = eng->bridges) != NULL) {
		eng->bridges = b->next;
		event_free(b->monitor);
		event_free(b->redial);
		while ((l = LIST_FIRST(&b->links)) != NULL) {
			/* Unlink first: the close hook must not re-dial. */
			LIST_REMOVE(l, entry);
			mux_worker_on_close(l->w, NULL, NULL);
			mux_worker_close(l->w);
			stats_link_free(l->st);
			free(l);
		}
		free(b);
	}
}

const struct engine_service reverse_bridge_service = {
	reverse_bridges_start, reverse_bridges_quiesce, reverse_bridges_stop
};
