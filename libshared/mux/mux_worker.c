/* SPDX-License-Identifier: MIT */
/*
 * mux_worker.c: Mux.Cool over one plain stream (mux-reverse-socks-
 * routing-config.md §1). Frames are parsed and written here; every TCP
 * sub-session is a session relaying through a bufferevent pair whose other
 * end this worker feeds, UDP sub-sessions are flows (one per destination,
 * one datagram per frame). Unlike 4.34, a client keeps receiving after it
 * half-closed (End), and dead links are reported at once.
 */
#include "mux/mux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "core/dispatch.h"
#include "mux/mux_frame.h"
#include "core/session.h"
#include "core/udp.h"

struct mux_sub {
	uint16_t		 id;
	struct mux_worker	*w;
	bool			 udp;
	bool			 control;	/* raw packets, no session */
	struct bufferevent	*b;		/* our end of the pair */
	struct session		*s;
	struct udp_flow		*f;
	bool			 sent_end;
	bool			 got_end;
	LIST_ENTRY(mux_sub)	 entry;
};

struct mux_worker {
	struct engine		*eng;
	enum mux_role		 role;
	struct bufferevent	*bev;
	LIST_HEAD(, mux_sub)	 subs;
	size_t			 nsubs;
	unsigned		 total;
	uint16_t		 next_id;
	unsigned		 concurrency, max_total;
	bool			 dead;
	bool			 paused;	/* link reads stopped */
	struct mux_sub		*lagger;	/* the session it waits for */
	size_t			 lag_len;	/* its backlog when last seen */
	struct event		*stall;		/* lagger made no progress */
	struct event		*kick;		/* resume reading, deferred */
	struct event		*idle;
	/* server role origin */
	struct inbound_rt	*in;
	char			*tag;
	struct net_addr		 src;
	char			*user;
	uint32_t		 level;
	/* control channel (bridge) */
	char			*ctl_domain;
	void			(*ctl_data)(struct mux_worker *,
				    const uint8_t *, size_t, void *);
	void			*ctl_arg;
	void			(*on_close)(struct mux_worker *, void *);
	void			*on_close_arg;
	struct session		*link;		/* carrying session */
};

static void	link_read_cb(struct bufferevent *, void *);
static void	stall_cb(evutil_socket_t, short, void *);
static void	kick_cb(evutil_socket_t, short, void *);
static void	link_write_cb(struct bufferevent *, void *);
static void	link_event_cb(struct bufferevent *, short, void *);
static void	worker_die(struct mux_worker *, const char *);

static struct mux_sub *
sub_find(struct mux_worker *w, uint16_t id)
{
	struct mux_sub	*m;

	LIST_FOREACH(m, &w->subs, entry)
		if (m->id == id)
			return m;
	return NULL;
}

static void
send_end(struct mux_worker *w, uint16_t id, int error)
{
	uint8_t	 buf[MUX_FRAME_END_LEN];
	ssize_t	 n;

	if (w->dead)
		return;
	if ((n = mux_frame_encode_end(id, error, buf, sizeof(buf))) > 0)
		bufferevent_write(w->bev, buf, (size_t)n);
}

/*
 * Data from a sub-session toward the peer as Keep frames, one per source
 * chain where a chain fits in a frame, so whole chains move instead of
 * being copied (see pump_read_more).
 */
static void
send_keep(struct mux_worker *w, uint16_t id, struct evbuffer *src, size_t n)
{
	struct evbuffer		*out = bufferevent_get_output(w->bev);
	struct evbuffer_iovec	 head;
	uint8_t			 hdr[MUX_FRAME_KEEP_HDR_LEN];
	size_t			 k;

	while (n > 0) {
		k = n > MUX_FRAME_DATA_MAX ? MUX_FRAME_DATA_MAX : n;
		if (evbuffer_peek(src, -1, NULL, &head, 1) >= 1 &&
		    head.iov_len > 0 && head.iov_len < k)
			k = head.iov_len;
		mux_frame_encode_keep_hdr(id, k, hdr, sizeof(hdr));
		evbuffer_add(out, hdr, sizeof(hdr));
		evbuffer_remove_buffer(src, out, k);
		n -= k;
	}
}

static void
send_packet(struct mux_worker *w, uint16_t id, const uint8_t *p, size_t n)
{
	uint8_t	 hdr[MUX_FRAME_KEEP_HDR_LEN];

	if (w->dead || n > MUX_UDP_MAX)
		return;		/* 4.34 aborts on more; we drop the datagram */
	mux_frame_encode_keep_hdr(id, n, hdr, sizeof(hdr));
	bufferevent_write(w->bev, hdr, sizeof(hdr));
	bufferevent_write(w->bev, p, n);
}

/* The link cannot take more: stop every sub-session reading. */
static void
link_backpressure(struct mux_worker *w)
{
	struct mux_sub	*m;

	if (evbuffer_get_length(bufferevent_get_output(w->bev)) < PIPE_HIWAT)
		return;
	LIST_FOREACH(m, &w->subs, entry)
		if (m->b != NULL)
			bufferevent_disable(m->b, EV_READ);
	bufferevent_setwatermark(w->bev, EV_WRITE, PIPE_HIWAT / 2, 0);
}

static void
stall_arm(struct mux_worker *w)
{
	struct timeval	 tv = { MUX_STALL_MS / 1000,
			    (MUX_STALL_MS % 1000) * 1000 };

	evtimer_add(w->stall, &tv);
}

/* Reading resumes from the event loop, never inside a frame's handling. */
static void
link_resume(struct mux_worker *w)
{
	w->paused = false;
	w->lagger = NULL;
	evtimer_del(w->stall);
	if (w->dead)
		return;
	bufferevent_enable(w->bev, EV_READ);
	event_active(w->kick, EV_TIMEOUT, 0);
}

static void
sub_free(struct mux_sub *m)
{
	struct mux_worker	*w = m->w;

	/* The session the link waited for is gone: nothing to wait for. */
	if (w->paused && w->lagger == m)
		link_resume(w);
	LIST_REMOVE(m, entry);
	w->nsubs--;
	if (m->b != NULL)
		bufferevent_free(m->b);
	free(m);
}

/* The carried session ended: our end of the pair goes with it. */
static void
sub_gone(struct mux_sub *m)
{
	if (m == NULL)
		return;
	m->s = NULL;
	/* Not a clean end in both directions: tell the peer it failed. */
	if (!m->sent_end)
		send_end(m->w, m->id, !m->got_end);
	sub_free(m);
}

static void
sub_gone_in(struct session *s)	/* server role: an in_free hook */
{
	struct mux_sub	*m = s->in_state;

	s->in_state = NULL;
	s->in_free = NULL;
	sub_gone(m);
}

static void
sub_gone_out(struct session *s)	/* client role: an out_free hook */
{
	struct mux_sub	*m = s->out_state;

	s->out_state = NULL;
	s->out_free = NULL;
	sub_gone(m);
}

static void
sub_read_cb(struct bufferevent *b, void *arg)
{
	struct mux_sub	*m = arg;
	struct evbuffer	*in = bufferevent_get_input(b);

	if (m->w->dead || m->sent_end)
		return;
	send_keep(m->w, m->id, in, evbuffer_get_length(in));
	link_backpressure(m->w);
}

static void
sub_write_cb(struct bufferevent *b, void *arg)
{
	struct mux_sub		*m = arg;
	struct mux_worker	*w = m->w;

	/* The session took its backlog: the link may read again. */
	bufferevent_setwatermark(b, EV_WRITE, 0, 0);
	if (w->paused)
		link_resume(w);
}

static void
sub_event_cb(struct bufferevent *b, short what, void *arg)
{
	struct mux_sub	*m = arg;

	if (what & BEV_EVENT_EOF) {
		/* The session finished sending: End, half-close. */
		sub_read_cb(b, m);
		if (!m->sent_end) {
			m->sent_end = true;
			send_end(m->w, m->id, 0);
		}
		return;
	}
	if (what & BEV_EVENT_ERROR && !m->sent_end) {
		m->sent_end = true;
		send_end(m->w, m->id, 1);
	}
}


static struct mux_sub *
sub_new(struct mux_worker *w, uint16_t id, bool udp)
{
	struct mux_sub	*m = xcalloc(1, sizeof(*m));

	m->id = id;
	m->w = w;
	m->udp = udp;
	LIST_INSERT_HEAD(&w->subs, m, entry);
	w->nsubs++;
	w->total++;
	return m;
}

/* A pair for a TCP sub: returns the session's end, keeps ours in m->b. */
static struct bufferevent *
sub_pair(struct mux_sub *m)
{
	struct bufferevent	*pair[2];

	if (bufferevent_pair_new(m->w->eng->base, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, pair) == -1)
		return NULL;
	m->b = pair[1];
	bufferevent_setcb(m->b, sub_read_cb, sub_write_cb, sub_event_cb, m);
	bufferevent_enable(m->b, EV_READ | EV_WRITE);
	return pair[0];
}

static void
frame_addr(const struct mux_frame *f, struct net_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->port = f->port;
	if (f->addr.type == MUX_ADDR_IPV4) {
		a->family = AF_INET;
		memcpy(a->ip, f->addr.ip, 4);
	} else if (f->addr.type == MUX_ADDR_IPV6) {
		a->family = AF_INET6;
		memcpy(a->ip, f->addr.ip, 16);
	} else
		snprintf(a->domain, sizeof(a->domain), "%s", f->addr.domain);
}

static void
to_mux_addr(const struct net_addr *a, struct mux_addr *m)
{
	memset(m, 0, sizeof(*m));
	if (a->family == AF_INET) {
		m->type = MUX_ADDR_IPV4;
		memcpy(m->ip, a->ip, 4);
	} else if (a->family == AF_INET6) {
		m->type = MUX_ADDR_IPV6;
		memcpy(m->ip, a->ip, 16);
	} else {
		m->type = MUX_ADDR_DOMAIN;
		snprintf(m->domain, sizeof(m->domain), "%s", a->domain);
	}
}

/* Server role, UDP: replies from the destination go back as Keep frames. */
static void
sub_udp_reply(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct mux_sub	*m = f->in_ctx;

	if (m != NULL)
		send_packet(m->w, m->id, p, n);
}

static void
sub_flow_gone(struct udp_flow *f)
{
	struct mux_sub	*m = f->in_ctx;

	if (m == NULL)
		return;
	m->f = NULL;
	if (!m->sent_end)
		send_end(m->w, m->id, 0);
	sub_free(m);
}

/* Server role: a New frame. -1 is fatal for the link, as in 4.34. */
static int
server_new(struct mux_worker *w, const struct mux_frame *f)
{
	struct mux_sub		*m;
	struct session		*s;
	struct bufferevent	*a;
	struct net_addr		 dst;

	frame_addr(f, &dst);
	if ((m = sub_find(w, f->id)) != NULL) {
		/* A duplicate New replaces the old session, as 4.34. */
		if (m->s != NULL)
			session_close(m->s, "mux: session id reused");
		else if (m->f != NULL)
			udp_flow_close(m->f);
		else
			sub_free(m);
	}
	m = sub_new(w, f->id, f->network == MUX_NET_UDP);
	if (w->ctl_domain != NULL && f->addr.type == MUX_ADDR_DOMAIN &&
	    strcmp(f->addr.domain, w->ctl_domain) == 0) {
		m->control = true;
		if (f->data != NULL && f->data_len > 0)
			w->ctl_data(w, f->data, f->data_len, w->ctl_arg);
		return 0;
	}
	if (m->udp) {
		m->f = udp_flow_new(w->eng, w->in, &w->src, &dst, m,
		    sub_udp_reply, w->tag);
		if (m->f == NULL) {
			m->sent_end = true;
			send_end(w, m->id, 1);
			sub_free(m);
			return 0;
		}
		m->f->in_close = sub_flow_gone;
		if (w->user != NULL)	/* counted for the user, as TCP */
			m->f->user = xstrdup(w->user);
		if (f->data != NULL && f->data_len > 0)
			udp_flow_send(m->f, f->data, f->data_len);
		return 0;
	}
	if ((a = sub_pair(m)) == NULL)
		return -1;
	s = session_new(w->eng, w->in, a, NULL);
	s->src = w->src;
	s->dst = dst;
	if (w->user != NULL)
		s->user = xstrdup(w->user);
	s->level = w->level;
	s->policy = conf_policy(w->eng->conf, w->level);
	s->in_tag = w->tag;
	s->c_shutdown = stream_shutdown_pair;
	s->in_state = m;
	s->in_free = sub_gone_in;
	m->s = s;
	if (f->data != NULL && f->data_len > 0)
		bufferevent_write(m->b, f->data, f->data_len);
	dispatch_start(s);
	return 0;
}

/*
 * A session that lags far behind pauses the link until it catches up,
 * rather than have its backlog grow without bound (Mux.Cool cannot tell
 * the peer to hold one session back). A session that takes nothing at all
 * for MUX_STALL_MS while the link waits for it is closed (End with error),
 * so one stuck reader cannot hold every other session on the link.
 */
static void
sub_lag_check(struct mux_worker *w, struct mux_sub *m, struct evbuffer *out)
{
	if (evbuffer_get_length(out) > MUX_SESS_HIWAT && !w->paused) {
		w->paused = true;
		w->lagger = m;
		w->lag_len = evbuffer_get_length(out);
		bufferevent_disable(w->bev, EV_READ);
		bufferevent_setwatermark(m->b, EV_WRITE, MUX_SESS_HIWAT / 2, 0);
		stall_arm(w);
	}
}

static void
deliver(struct mux_worker *w, struct mux_sub *m, const uint8_t *p, size_t n)
{
	struct evbuffer	*out;

	if (m->control) {
		if (w->ctl_data != NULL)
			w->ctl_data(w, p, n, w->ctl_arg);
		return;
	}
	if (m->udp) {
		if (m->f == NULL)
			return;
		if (w->role == MUX_ROLE_SERVER)
			udp_flow_send(m->f, p, n);
		else
			udp_flow_reply(m->f, p, n);
		return;
	}
	if (m->b == NULL || m->s == NULL)
		return;
	out = bufferevent_get_output(m->b);
	evbuffer_add(out, p, n);
	sub_lag_check(w, m, out);
}

/*
 * The hot path: a plain Keep with data for a TCP session (0004 id 02 01 N,
 * all of it in `in`) moves its data from the link's buffer to the
 * session's, whole chains without a copy, instead of being pulled up and
 * copied. Returns false for anything else, which takes the general path.
 */
static bool
fast_keep(struct mux_worker *w, struct evbuffer *in, size_t framelen)
{
	uint8_t		 h[MUX_FRAME_KEEP_HDR_LEN];
	struct mux_sub	*m;
	struct evbuffer	*out;
	uint16_t	 id;
	size_t		 n;

	if (framelen < sizeof(h) ||
	    evbuffer_copyout(in, h, sizeof(h)) != (ev_ssize_t)sizeof(h) ||
	    !mux_frame_decode_keep_hdr(h, &id, &n) || framelen != sizeof(h) + n)
		return false;
	m = sub_find(w, id);
	if (m == NULL || m->control || m->udp || m->b == NULL || m->s == NULL)
		return false;
	evbuffer_drain(in, sizeof(h));
	out = bufferevent_get_output(m->b);
	evbuffer_remove_buffer(in, out, n);
	sub_lag_check(w, m, out);
	return true;
}

static void
peer_end(struct mux_worker *w, struct mux_sub *m, bool error)
{
	m->got_end = true;
	if (m->control) {
		sub_free(m);
		return;
	}
	if (m->udp) {
		if (m->f != NULL) {
			m->sent_end = true;	/* no End back for a flow */
			udp_flow_close(m->f);	/* frees m via in_close */
		} else
			sub_free(m);
		return;
	}
	if (error && m->s != NULL) {
		m->sent_end = true;
		session_close(m->s, "mux: peer aborted the session");
		return;
	}
	/* Half-close: the session sees EOF after the buffered data. */
	if (m->b != NULL)
		bufferevent_flush(m->b, EV_WRITE, BEV_FINISHED);
	if (m->sent_end && m->s == NULL)
		sub_free(m);
}

/* One whole frame. -1: fatal for the link. */
static int
handle_frame(struct mux_worker *w, const struct mux_frame *f)
{
	struct mux_sub	*m;

	switch (f->status) {
	case MUX_STATUS_NEW:
		if (w->role == MUX_ROLE_SERVER)
			return server_new(w, f);
		return 0;	/* a server never opens sessions */
	case MUX_STATUS_KEEP:
		if ((m = sub_find(w, f->id)) == NULL) {
			send_end(w, f->id, 0);
			return 0;
		}
		if (f->data != NULL && f->data_len > 0)
			deliver(w, m, f->data, f->data_len);
		return 0;
	case MUX_STATUS_END:
		if ((m = sub_find(w, f->id)) != NULL)
			peer_end(w, m, (f->option & MUX_OPT_ERROR) != 0);
		return 0;
	default:		/* KeepAlive: discard */
		return 0;
	}
}

/*
 * Bytes the frame at the head of `in` occupies, 0 if not all there yet;
 * a length the decoder will refuse is returned as is, so it can say why.
 */
static size_t
frame_size(struct evbuffer *in)
{
	uint8_t	 h[2 + MUX_MAX_META + 2];
	size_t	 avail = evbuffer_get_length(in), l, need;

	if (avail < 2)
		return 0;
	evbuffer_copyout(in, h, 2);
	l = (size_t)h[0] << 8 | h[1];
	if (l > MUX_MAX_META || l < MUX_MIN_META)
		return avail;
	need = 2 + l;
	if (avail < need)
		return 0;
	evbuffer_copyout(in, h, avail < need + 2 ? need : need + 2);
	if (!(h[5] & MUX_OPT_DATA))
		return need;
	if (avail < need + 2)
		return 0;
	need += 2 + ((size_t)h[need] << 8 | h[need + 1]);
	return avail < need ? 0 : need;
}

static void
link_read_cb(struct bufferevent *bev, void *arg)
{
	struct mux_worker	*w = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct mux_frame	 f;
	const char		*err = NULL;
	const uint8_t		*p;
	size_t			 n;
	ssize_t			 used;

	while (!w->dead && !w->paused && (n = frame_size(in)) > 0) {
		if (fast_keep(w, in, n))
			continue;
		p = evbuffer_pullup(in, (ev_ssize_t)n);
		used = mux_frame_decode(p, n, &f, &err);
		if (used <= 0) {
			worker_die(w, err != NULL ? err : "mux: bad frame");
			return;
		}
		if (handle_frame(w, &f) == -1) {
			worker_die(w, "mux: cannot dispatch a session");
			return;
		}
		evbuffer_drain(in, (size_t)used);
	}
}

static void
link_write_cb(struct bufferevent *bev, void *arg)
{
	struct mux_worker	*w = arg;
	struct mux_sub		*m;

	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	LIST_FOREACH(m, &w->subs, entry)
		if (m->b != NULL && !m->sent_end)
			bufferevent_enable(m->b, EV_READ);
}

static void
link_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct mux_worker	*w = arg;

	if (what & BEV_EVENT_EOF)
		link_read_cb(bev, w);
	worker_die(w, (what & BEV_EVENT_EOF) ? NULL : "mux: link error");
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mux_worker	*w = arg;

	if (!w->dead && !w->paused)
		link_read_cb(w->bev, w);
}

static void
stall_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mux_worker	*w = arg;
	struct mux_sub		*m = w->lagger;
	size_t			 now;

	if (w->dead || !w->paused || m == NULL || m->b == NULL)
		return;
	now = evbuffer_get_length(bufferevent_get_output(m->b));
	if (now < w->lag_len) {
		/* Slow but moving: keep waiting for it. */
		w->lag_len = now;
		stall_arm(w);
		return;
	}
	log_info("mux: session %u took nothing for %d ms; closed so the "
	    "link's other sessions go on", m->id, MUX_STALL_MS);
	if (!m->sent_end) {
		m->sent_end = true;
		send_end(w, m->id, 1);
	}
	if (m->s != NULL)
		session_close(m->s, "mux: session stalled its link");
	else
		sub_free(m);	/* resumes the link */
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mux_worker	*w = arg;

	if (w->nsubs == 0)
		worker_die(w, NULL);
}

struct mux_worker *
mux_worker_new(struct engine *eng, enum mux_role role, struct bufferevent *bev)
{
	struct mux_worker	*w = xcalloc(1, sizeof(*w));

	w->eng = eng;
	w->role = role;
	w->bev = bev;
	w->stall = evtimer_new(eng->base, stall_cb, w);
	w->kick = event_new(eng->base, -1, 0, kick_cb, w);
	if (w->stall == NULL || w->kick == NULL)
		abort();	/* out of memory: as xcalloc does */
	LIST_INIT(&w->subs);
	bufferevent_setcb(bev, link_read_cb, link_write_cb, link_event_cb, w);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return w;
}

void
mux_worker_set_origin(struct mux_worker *w, struct inbound_rt *in,
    const char *tag, const struct net_addr *src, const char *user,
    uint32_t level)
{
	w->in = in;
	free(w->tag);
	w->tag = tag != NULL ? xstrdup(tag) : NULL;
	if (src != NULL)
		w->src = *src;
	free(w->user);
	w->user = user != NULL ? xstrdup(user) : NULL;
	w->level = level;
}

void
mux_worker_on_close(struct mux_worker *w,
    void (*cb)(struct mux_worker *, void *), void *arg)
{
	w->on_close = cb;
	w->on_close_arg = arg;
}

void
mux_worker_set_control(struct mux_worker *w, const char *domain,
    void (*data)(struct mux_worker *, const uint8_t *, size_t, void *),
    void *arg)
{
	free(w->ctl_domain);
	w->ctl_domain = xstrdup(domain);
	w->ctl_data = data;
	w->ctl_arg = arg;
}

void
mux_worker_set_limits(struct mux_worker *w, unsigned concurrency,
    unsigned max_total)
{
	w->concurrency = concurrency;
	w->max_total = max_total;
}

void
mux_worker_idle_close(struct mux_worker *w, bool on)
{
	struct timeval	 tv = { MUX_IDLE_CHECK_MS / 1000, 0 };

	if (on && w->idle == NULL) {
		w->idle = event_new(w->eng->base, -1, EV_PERSIST, idle_cb, w);
		event_add(w->idle, &tv);
	}
}

bool
mux_worker_dead(const struct mux_worker *w)
{
	return w->dead;
}

size_t
mux_worker_active(const struct mux_worker *w)
{
	return w->nsubs;
}

unsigned
mux_worker_total(const struct mux_worker *w)
{
	return w->total;
}

bool
mux_worker_full(const struct mux_worker *w)
{
	return w->dead || (w->max_total > 0 && w->total >= w->max_total) ||
	    (w->concurrency > 0 && w->nsubs >= w->concurrency);
}

static int
next_id(struct mux_worker *w)
{
	unsigned	 tries;

	for (tries = 0; tries < 65536; tries++) {
		if (++w->next_id == 0)
			w->next_id = 1;
		if (sub_find(w, w->next_id) == NULL)
			return w->next_id;
	}
	return -1;
}

static int
send_new(struct mux_worker *w, struct mux_sub *m, uint8_t net,
    const struct net_addr *dst, const uint8_t *data, size_t len)
{
	uint8_t		 buf[MUX_FRAME_HDR_MAX + MUX_UDP_MAX];
	struct mux_addr	 ma;
	ssize_t		 n;

	to_mux_addr(dst, &ma);
	n = mux_frame_encode_new(m->id, net, dst->port, &ma, data, len, buf,
	    sizeof(buf));
	if (n < 0)
		return -1;
	bufferevent_write(w->bev, buf, (size_t)n);
	return 0;
}

int
mux_worker_open(struct mux_worker *w, struct session *s)
{
	struct mux_sub		*m;
	struct bufferevent	*a;
	int			 id;

	if (mux_worker_full(w) || w->role != MUX_ROLE_CLIENT ||
	    (id = next_id(w)) == -1)
		return -1;
	m = sub_new(w, (uint16_t)id, false);
	if ((a = sub_pair(m)) == NULL ||
	    send_new(w, m, MUX_NET_TCP, &s->dst, NULL, 0) == -1) {
		sub_free(m);
		return -1;
	}
	m->s = s;
	s->rbev = a;
	s->r_shutdown = stream_shutdown_pair;
	s->out_state = m;
	s->out_free = sub_gone_out;
	session_relay(s);
	return 0;
}

static int
flow_send(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct mux_sub	*m = f->out_state;

	if (m != NULL)
		send_packet(m->w, m->id, p, n);
	return 0;
}

static void
flow_close(struct udp_flow *f)
{
	struct mux_sub	*m = f->out_state;

	if (m == NULL)
		return;
	f->out_state = NULL;
	m->f = NULL;
	if (!m->sent_end)
		send_end(m->w, m->id, 0);
	sub_free(m);
}

int
mux_worker_open_flow(struct mux_worker *w, struct udp_flow *f)
{
	struct mux_sub	*m;
	int		 id;

	if (mux_worker_full(w) || w->role != MUX_ROLE_CLIENT ||
	    (id = next_id(w)) == -1)
		return -1;
	m = sub_new(w, (uint16_t)id, true);
	if (send_new(w, m, MUX_NET_UDP, &f->dst, NULL, 0) == -1) {
		sub_free(m);
		return -1;
	}
	m->f = f;
	f->out_state = m;
	f->send = flow_send;
	f->out_close = flow_close;
	return 0;
}

int
mux_worker_open_packet(struct mux_worker *w, const char *domain,
    uint16_t port, const uint8_t *first, size_t len)
{
	struct mux_sub	*m;
	struct net_addr	 dst;
	int		 id;

	if (w->dead || (id = next_id(w)) == -1)
		return -1;
	memset(&dst, 0, sizeof(dst));
	snprintf(dst.domain, sizeof(dst.domain), "%s", domain);
	dst.port = port;
	m = sub_new(w, (uint16_t)id, true);
	m->control = true;
	if (send_new(w, m, MUX_NET_UDP, &dst, first, first ? len : 0) == -1) {
		sub_free(m);
		return -1;
	}
	return id;
}

void
mux_worker_send(struct mux_worker *w, int id, const uint8_t *p, size_t n)
{
	if (id >= 0 && sub_find(w, (uint16_t)id) != NULL)
		send_packet(w, (uint16_t)id, p, n);
}

void
mux_worker_end(struct mux_worker *w, int id)
{
	struct mux_sub	*m;

	if (id < 0 || (m = sub_find(w, (uint16_t)id)) == NULL)
		return;
	send_end(w, m->id, 0);
	sub_free(m);
}

/*
 * The link is gone (or must go): every sub-session ends, the owner hears
 * of it, and the worker is freed. Callers return right after.
 */
static void
worker_die(struct mux_worker *w, const char *why)
{
	struct mux_sub	*m;

	if (w->dead)
		return;
	w->dead = true;
	if (why != NULL)
		log_info("%s", why);
	if (w->link != NULL) {
		w->link->on_close = NULL;
		w->link = NULL;
	}
	while ((m = LIST_FIRST(&w->subs)) != NULL) {
		m->sent_end = true;
		if (m->s != NULL)
			session_close(m->s, why ? why : "mux: link closed");
		else if (m->f != NULL)
			udp_flow_close(m->f);	/* frees m through a hook */
		else
			sub_free(m);
	}
	if (w->on_close != NULL)
		w->on_close(w, w->on_close_arg);
	if (w->idle != NULL)
		event_free(w->idle);
	event_free(w->stall);
	event_free(w->kick);
	/* Our end going away is EOF for the session carrying the link. */
	bufferevent_flush(w->bev, EV_WRITE, BEV_FINISHED);
	bufferevent_free(w->bev);
	free(w->tag);
	free(w->user);
	free(w->ctl_domain);
	free(w);
}

void
mux_worker_close(struct mux_worker *w)
{
	worker_die(w, NULL);
}

static void
link_session_closed(void *arg)
{
	struct mux_worker	*w = arg;

	w->link = NULL;
	worker_die(w, NULL);
}

void
mux_worker_bind_session(struct mux_worker *w, struct session *s)
{
	w->link = s;
	s->on_close = link_session_closed;
	s->on_close_arg = w;
}
