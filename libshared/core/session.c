/* SPDX-License-Identifier: MIT */
/*
 * session.c: the one session lifecycle and the relay between the client
 * stream and the remote stream. Every protocol hands its streams here, so
 * backpressure, half-close and V2Ray's policy timeouts are written once.
 */
#include "core/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"

static void	relay_read_cb(struct bufferevent *, void *);
static void	relay_write_cb(struct bufferevent *, void *);
static void	relay_event_cb(struct bufferevent *, short, void *);
static void	timer_cb(evutil_socket_t, short, void *);
static void	cap_source(struct session *);

struct session *
session_new(struct engine *eng, struct inbound_rt *in,
    struct bufferevent *cbev, const struct sockaddr *from)
{
	struct session	*s = xcalloc(1, sizeof(*s));

	s->eng = eng;
	s->in = in;
	s->id = ++eng->next_id;
	s->cbev = cbev;
	s->network = CONF_NETBIT_TCP;
	s->c_shutdown = stream_shutdown_socket;
	s->r_shutdown = stream_shutdown_socket;
	if (from != NULL)
		net_addr_from_sockaddr(&s->src, from);
	s->level = in != NULL ? in->c->user_level : 0;
	s->policy = conf_policy(eng->conf, s->level);
	/* 4.34's socks, http and dokodemo "timeout": connIdle at level 0. */
	if (in != NULL && in->c->http_timeout > 0 && s->level == 0)
		s->policy.conn_idle = in->c->http_timeout;
	s->state = SESSION_HANDSHAKE;
	s->timer = evtimer_new(eng->base, timer_cb, s);
	TAILQ_INSERT_TAIL(&eng->sessions, s, entry);
	TAILQ_INSERT_TAIL(&eng->handshaking, s, hs_entry);
	eng->nsessions++;
	if (in != NULL)
		in->nsess++;
	stats_session_new(s, from != NULL);
	/* Bytes the remote side is not ready for yet stay in the kernel. */
	bufferevent_setwatermark(cbev, EV_READ, 0, session_hiwat(s));
	session_set_timeout(s, s->policy.handshake);
	if (from != NULL)
		cap_source(s);
	return s;
}

size_t
session_hiwat(const struct session *s)
{
	int	 kb = s->policy.buffer_size;

	if (kb < 0 || kb > PIPE_HIWAT_MAX / 1024)
		return PIPE_HIWAT_MAX;
	if (kb < PIPE_HIWAT_MIN / 1024)
		return PIPE_HIWAT_MIN;
	return (size_t)kb * 1024;
}

struct session *
session_new_internal(struct engine *eng, const struct net_addr *dst,
    struct bufferevent **peer)
{
	struct bufferevent	*pair[2];
	struct session		*s;

	if (bufferevent_pair_new(eng->base, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, pair) == -1)
		return NULL;
	s = session_new(eng, NULL, pair[0], NULL);
	s->dst = *dst;
	s->c_shutdown = stream_shutdown_pair;
	s->flags |= SESSION_LOGGED;	/* internal: no access line */
	session_handshake_done(s);
	*peer = pair[1];
	return s;
}

struct session *
session_oldest_handshake(struct engine *eng)
{
	return TAILQ_FIRST(&eng->handshaking);
}

static void
leave_handshake(struct session *s)
{
	if (s->state != SESSION_HANDSHAKE)
		return;
	TAILQ_REMOVE(&s->eng->handshaking, s, hs_entry);
	srccap_remove(s->eng->hs_src, &s->hs_src);
}

void
session_handshake_done(struct session *s)
{
	leave_handshake(s);
	if (s->state == SESSION_HANDSHAKE)
		s->state = SESSION_DISPATCH;
}

void
session_set_source(struct session *s, const struct sockaddr *sa)
{
	net_addr_from_sockaddr(&s->src, sa);
	if (s->state != SESSION_HANDSHAKE || s->hs_src.node == NULL)
		return;
	srccap_remove(s->eng->hs_src, &s->hs_src);
	cap_source(s);
}

static const char *
tag_or_empty(const char *t)
{
	return t != NULL ? t : "";
}

void
session_log_accept(struct session *s)
{
	char	 from[NET_ADDRSTRLEN + 8], to[NET_ADDRSTRLEN + 8];
	char	 a[NET_ADDRSTRLEN];

	if (s->flags & SESSION_LOGGED)
		return;
	s->flags |= SESSION_LOGGED;
	if (s->src.family == 0 && s->src.domain[0] == '\0') {
		/* No source (a bridge's sessions from its portal): 4.34
		 * writes no access line for these either. */
		log_debug("[%llu] %s: session to %s",
		    (unsigned long long)s->id, tag_or_empty(s->in_tag),
		    net_addr_str(&s->dst, a, sizeof(a)));
		return;
	}
	/* V2Ray's format: "tcp:1.2.3.4:5 accepted tcp:host:80 [tag]". */
	snprintf(from, sizeof(from), "tcp:%s",
	    net_addr_str(&s->src, a, sizeof(a)));
	snprintf(to, sizeof(to), "%s:%s",
	    s->network == CONF_NETBIT_UDP ? "udp" : "tcp",
	    net_addr_str(&s->dst, a, sizeof(a)));
	log_access(from, 1, to, s->out ? tag_or_empty(s->out->c->tag) : "",
	    s->user, NULL);
}

/* The access log's "rejected" line, once. */
static void
log_rejected(struct session *s, const char *why)
{
	char	 from[NET_ADDRSTRLEN + 8], a[NET_ADDRSTRLEN];

	if (!(s->flags & SESSION_LOGGED)) {
		s->flags |= SESSION_LOGGED;
		snprintf(from, sizeof(from), "tcp:%s",
		    net_addr_str(&s->src, a, sizeof(a)));
		log_access(from, 0, "", NULL, s->user, why);
	}
}

void
session_reject(struct session *s, const char *why)
{
	stats_handshake_fail(s, STATS_HS_BAD_REQUEST);
	log_rejected(s, why);
	session_close(s, why);
}

/*
 * policy.system.handshakePerSource: s, just accepted, joins its source's
 * handshakes. Past the cap the source's oldest ones are closed, never s,
 * so a flood of silent connections cannot hold every descriptor and a
 * real client behind the flood's address (a NAT) still gets in. A
 * handshake younger than HS_CAP_GRACE_MS is never closed so: a burst of
 * real connections (a browser, vclient's own dials, a NAT) may pass the
 * cap for as long as it takes them to send their headers. Each session is
 * closed at most once, so this is O(1) per accept, amortised. The closes
 * are counted (eng->hs_cap_closed) and reported at most once every
 * HS_CAP_LOG_MS, so a flood does not flood the error log.
 */
#define HS_CAP_GRACE_MS	1000
#define HS_CAP_LOG_MS	10000
#define HS_CAP_WHY	"too many connections in handshake from this " \
			"source, oldest closed"

static void
cap_source(struct session *s)
{
	struct engine		*eng = s->eng;
	struct srccap_link	*l;
	struct session		*old;
	uint64_t		 now = util_now_ms(), n = 0;
	int			 cap = eng->conf->hs_per_source;
	char			 a[NET_ADDRSTRLEN];

	if (cap <= 0 || eng->hs_src == NULL ||
	    srccap_add(eng->hs_src, &s->hs_src, &s->src, now) <= (size_t)cap)
		return;
	while (srccap_count(&s->hs_src) > (size_t)cap &&
	    (l = srccap_oldest(&s->hs_src)) != &s->hs_src &&
	    now - l->since_ms >= HS_CAP_GRACE_MS) {
		old = (struct session *)(void *)((char *)l -
		    offsetof(struct session, hs_src));
		/* One access line per connection as ever; no error line. */
		stats_handshake_fail(old, STATS_HS_SOURCE_CAP);
		log_rejected(old, HS_CAP_WHY);
		session_close(old, NULL);
		n++;
	}
	if (n == 0)
		return;
	eng->hs_cap_closed += n;
	eng->hs_cap_unlogged += n;
	if (eng->hs_cap_log_ms != 0 && now - eng->hs_cap_log_ms <
	    HS_CAP_LOG_MS)
		return;
	log_warn("%s: more than %d connections in handshake "
	    "(policy.system.handshakePerSource): closing the oldest; %llu "
	    "closed so since the last report, %llu in all",
	    net_addr_host(&s->src, a, sizeof(a)), cap,
	    (unsigned long long)eng->hs_cap_unlogged,
	    (unsigned long long)eng->hs_cap_closed);
	eng->hs_cap_log_ms = now;
	eng->hs_cap_unlogged = 0;
}

void
session_close(struct session *s, const char *why)
{
	struct engine	*eng = s->eng;
	char		 dst[NET_ADDRSTRLEN];

	if (s->state == SESSION_DEAD)
		return;
	if (why != NULL)
		log_info("[%llu] %s closed: %s", (unsigned long long)s->id,
		    net_addr_str(&s->dst, dst, sizeof(dst)), why);
	else
		log_debug("[%llu] closed, up %llu down %llu",
		    (unsigned long long)s->id,
		    (unsigned long long)s->up_bytes,
		    (unsigned long long)s->down_bytes);
	leave_handshake(s);
	stats_session_close(s);
	s->state = SESSION_DEAD;
	if (s->on_close != NULL)
		s->on_close(s->on_close_arg);
	TAILQ_REMOVE(&eng->sessions, s, entry);
	eng->nsessions--;
	if (s->in_free != NULL)
		s->in_free(s);
	if (s->out_free != NULL)
		s->out_free(s);
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->tacc != NULL) {
		/* Still in its transport's handshakes: that owns cbev. */
		transport_accept_abort(s->tacc);
		s->cbev = NULL;
	}
	if (s->cbev != NULL)
		bufferevent_free(s->cbev);
	if (s->rbev != NULL)
		bufferevent_free(s->rbev);
	if (s->scratch != NULL)
		evbuffer_free(s->scratch);
	if (s->cplain != NULL)
		evbuffer_free(s->cplain);
	free(s->user);
	free(s->dst_ips);
	if (s->in != NULL)
		engine_inbound_release(s->in);
	free(s);
}

void
session_set_timeout(struct session *s, int seconds)
{
	struct timeval	 tv;

	if (seconds < 0)
		seconds = 0;
	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	s->last_ms = util_now_ms();
	evtimer_add(s->timer, &tv);
}

/*
 * Which timeout applies now, as V2Ray's policy: connIdle while both ways
 * are open, downlinkOnly once the client finished, uplinkOnly once the
 * remote finished.
 */
static int
current_timeout(struct session *s)
{
	if (s->state == SESSION_HANDSHAKE || s->state == SESSION_DISPATCH)
		return s->policy.handshake;
	if (s->flags & SESSION_C_EOF)
		return s->policy.downlink_only;
	if (s->flags & SESSION_R_EOF)
		return s->policy.uplink_only;
	return s->policy.conn_idle;
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;
	uint64_t	 now = util_now_ms(), due;
	int		 t = current_timeout(s);
	struct timeval	 tv;

	/*
	 * Activity only stamps last_ms; the timer is re-armed lazily here
	 * instead of on every read, which keeps the hot path free of
	 * timer-heap work.
	 */
	due = s->last_ms + (uint64_t)t * 1000;
	if (s->state == SESSION_RELAY && now < due) {
		tv.tv_sec = (due - now) / 1000;
		tv.tv_usec = ((due - now) % 1000) * 1000;
		evtimer_add(s->timer, &tv);
		return;
	}
	switch (s->state) {
	case SESSION_HANDSHAKE:
		stats_handshake_fail(s, STATS_HS_TIMEOUT);
		session_reject(s, "handshake timeout");
		break;
	case SESSION_DISPATCH:
		session_close(s, "timeout while connecting");
		break;
	default:
		/* An idle or half-closed session ending is no error. */
		session_close(s, NULL);
		break;
	}
}

static void
touch(struct session *s)
{
	s->last_ms = util_now_ms();
}

/* Both directions done and flushed: the session is over (returns true). */
static bool
maybe_finish(struct session *s)
{
	if ((s->flags & (SESSION_C_SHUT | SESSION_R_SHUT)) !=
	    (SESSION_C_SHUT | SESSION_R_SHUT))
		return false;
	session_close(s, NULL);
	return true;
}

/*
 * Finish writing to bev (the peer of the side that hit EOF): queue the
 * codec's end marker once, then half-close when the output has drained
 * (relay_write_cb calls back here).
 */
static void
try_shutdown(struct session *s, struct bufferevent *bev)
{
	bool			 client = bev == s->cbev;
	const struct stream_codec *co = client ? s->c_codec : s->r_codec;
	unsigned		 fin = client ? SESSION_C_FIN : SESSION_R_FIN;
	unsigned		 shut = client ? SESSION_C_SHUT : SESSION_R_SHUT;
	struct evbuffer		*out = bufferevent_get_output(bev);

	if (s->flags & shut)
		return;
	if (!(s->flags & fin)) {
		s->flags |= fin;
		if (co != NULL && co->finish != NULL)
			co->finish(client ? s->c_codec_ctx : s->r_codec_ctx,
			    out);
	}
	if (evbuffer_get_length(out) > 0)
		return;
	s->flags |= shut;
	if (client)
		s->c_shutdown(bev);
	else
		s->r_shutdown(bev);
}

static void
arm_current(struct session *s)
{
	session_set_timeout(s, current_timeout(s));
}

static int	side_eof(struct session *, struct bufferevent *);

/*
 * libevent 2.1 reads at most 4096 bytes per callback (EVBUFFER_MAX_READ),
 * whatever max_single_read says: on a bulk stream that is one epoll round,
 * one codec pass and one write per 4 KiB. Take what the kernel already
 * holds, up to room bytes, in one more readv. Only bytes FIONREAD reports
 * are read, so EOF and errors stay for libevent to see. Plain sockets
 * only: a filter (TLS, WebSocket) must not be bypassed.
 *
 * The bytes land in blocks of READ_BLOCK added to the buffer by
 * reference, one chain each: a chain moves between evbuffers without a
 * copy only whole, so a Mux writer can send each block as one Keep frame
 * (a frame carries at most 65535 bytes) without copying it.
 */
#define READ_BLOCK	(65536 - 128)	/* + malloc's header: one 64 KiB */
#define READ_BLOCKS	(PIPE_HIWAT_MAX / READ_BLOCK + 1)

static void
block_free(const void *data, size_t len, void *arg)
{
	free(arg);
}

/* -1 when bytes were read but could not be kept (out of memory). */
static int
pump_read_more(struct bufferevent *src, struct evbuffer *in, size_t room)
{
	struct iovec	 v[READ_BLOCKS];
	evutil_socket_t	 fd = bufferevent_getfd(src);
	int		 avail, nv, i;
	ssize_t		 r;
	size_t		 left, k;
	bool		 lost = false;

	if (fd < 0 || bufferevent_get_underlying(src) != NULL ||
	    ioctl(fd, FIONREAD, &avail) == -1 || avail <= 0)
		return 0;
	if ((size_t)avail < room)
		room = (size_t)avail;
	for (nv = 0, left = room; left > 0 && nv < READ_BLOCKS; nv++) {
		k = left < READ_BLOCK ? left : READ_BLOCK;
		if ((v[nv].iov_base = malloc(k)) == NULL)
			break;
		v[nv].iov_len = k;
		left -= k;
	}
	if (nv == 0)
		return 0;
	do
		r = readv(fd, v, nv);
	while (r == -1 && errno == EINTR);
	left = r > 0 ? (size_t)r : 0;
	/* The socket bufferevent keeps the end frozen outside its reads. */
	evbuffer_unfreeze(in, 0);
	for (i = 0; i < nv; i++) {
		k = v[i].iov_len < left ? v[i].iov_len : left;
		left -= k;
		if (k > 0 && evbuffer_add_reference(in, v[i].iov_base, k,
		    block_free, v[i].iov_base) == 0)
			continue;
		if (k > 0 && evbuffer_add(in, v[i].iov_base, k) == -1)
			lost = true;
		free(v[i].iov_base);
	}
	evbuffer_freeze(in, 0);
	return lost ? -1 : 0;
}

/*
 * The descriptor to write dst's bytes to directly, or -1: only a plain
 * socket in the relay whose output is empty (nothing to overtake) and
 * whose writing is on.
 */
static evutil_socket_t
direct_fd(struct session *s, struct bufferevent *dst, struct evbuffer *out)
{
	if (s->state != SESSION_RELAY || evbuffer_get_length(out) > 0 ||
	    !(bufferevent_get_enabled(dst) & EV_WRITE) ||
	    bufferevent_get_underlying(dst) != NULL)
		return -1;
	return bufferevent_getfd(dst);
}

/*
 * Move what src has read to its peer, through the codecs of each side,
 * stopping src when the peer is full. Returns -1 when the session closed.
 */
static int
pump(struct session *s, struct bufferevent *src)
{
	bool			 from_client = src == s->cbev;
	struct bufferevent	*dst = from_client ? s->rbev : s->cbev;
	const struct stream_codec *sc = from_client ? s->c_codec : s->r_codec;
	const struct stream_codec *dc = from_client ? s->r_codec : s->c_codec;
	void			*sctx = from_client ? s->c_codec_ctx :
				    s->r_codec_ctx;
	void			*dctx = from_client ? s->r_codec_ctx :
				    s->c_codec_ctx;
	struct evbuffer		*in = bufferevent_get_input(src);
	struct evbuffer		*out = bufferevent_get_output(dst);
	struct evbuffer		*plain = in, *to = out;
	size_t			 n = evbuffer_get_length(in), pn;
	size_t			 hiwat = session_hiwat(s);
	evutil_socket_t		 wfd;
	const char		*err = NULL;
	int			 rc = 0;

	if (n == 0)
		return 0;
	/* A full libevent read means more is probably waiting. */
	if (n >= 4096 && n < hiwat && evbuffer_get_length(out) < hiwat &&
	    (bufferevent_get_enabled(src) & EV_READ) &&
	    pump_read_more(src, in, hiwat - n) == -1) {
		session_close(s, "out of memory");
		return -1;
	}
	pn = n = evbuffer_get_length(in);
	if ((wfd = direct_fd(s, dst, out)) >= 0) {
		/* Output empty: this pass's bytes go straight to the socket
		 * (from a staging buffer, or from `in` when nothing is coded)
		 * and only what the kernel refuses is queued. A small message
		 * then costs no write-interest epoll_ctl pair and no extra
		 * loop pass before it leaves. */
		if (sc == NULL && dc == NULL)
			to = in;
		else {
			/* One per engine: every pass leaves it empty. */
			if (s->eng->stage == NULL)
				s->eng->stage = evbuffer_new();
			to = s->eng->stage;
		}
	}
	if (sc != NULL) {
		/*
		 * Decoded bytes pass through scratch even without an encoder
		 * (moved on by reference): counters take payload, as V2Ray's,
		 * and a pair's output would hand them on before they were
		 * counted.
		 */
		if (s->scratch == NULL)
			s->scratch = evbuffer_new();
		plain = s->scratch;
		pn = evbuffer_get_length(plain);
		if ((rc = sc->decode(sctx, in, plain, &err)) == -1)
			goto fail;
		pn = evbuffer_get_length(plain) - pn;
	}
	if (dc != NULL) {
		if (dc->encode(dctx, plain, to, &err) == -1)
			goto fail;
	} else if (plain != to)
		evbuffer_add_buffer(to, plain);
	if (to != out) {
		/* Errors are left for libevent to meet on its own write. */
		if (evbuffer_get_length(to) > 0)
			(void)evbuffer_write(to, wfd);
		if (evbuffer_get_length(to) > 0)
			evbuffer_add_buffer(out, to);
	}
	if (from_client)
		s->up_bytes += n;
	else
		s->down_bytes += n;
	stats_count(&s->st, from_client, pn);
	touch(s);
	if (evbuffer_get_length(out) >= hiwat) {
		/* Peer is slower than us: stop reading until it drains. */
		bufferevent_disable(src, EV_READ);
		bufferevent_setwatermark(dst, EV_WRITE, hiwat / 2, 0);
	}
	if (rc == 1)		/* the codec saw the peer's end marker */
		return side_eof(s, src);
	return 0;
 fail:
	/* The engine's stage must not carry this session's bytes on. */
	if (to != out && to != in)
		evbuffer_drain(to, evbuffer_get_length(to));
	session_close(s, err);
	return -1;
}

static void
relay_read_cb(struct bufferevent *bev, void *arg)
{
	(void)pump(arg, bev);
}

static void
relay_write_cb(struct bufferevent *bev, void *arg)
{
	struct session		*s = arg;
	struct bufferevent	*peer = bev == s->cbev ? s->rbev : s->cbev;
	unsigned		 peer_eof = bev == s->cbev ? SESSION_R_EOF :
				    SESSION_C_EOF;

	/* Called at the low watermark: let the peer read again. */
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (!(s->flags & peer_eof))
		bufferevent_enable(peer, EV_READ);
	else {
		try_shutdown(s, bev);
		maybe_finish(s);
	}
}

/*
 * src will send nothing more: pass the end on, maybe finish. Returns -1
 * when the session is gone.
 */
static int
side_eof(struct session *s, struct bufferevent *src)
{
	struct bufferevent	*peer = src == s->cbev ? s->rbev : s->cbev;
	unsigned		 eof = src == s->cbev ? SESSION_C_EOF :
				    SESSION_R_EOF;

	if (s->flags & eof)
		return 0;
	s->flags |= eof;
	bufferevent_disable(src, EV_READ);
	try_shutdown(s, peer);
	if ((s->flags & (SESSION_C_EOF | SESSION_R_EOF)) ==
	    (SESSION_C_EOF | SESSION_R_EOF)) {
		try_shutdown(s, src);
		return maybe_finish(s) ? -1 : 0;
	}
	arm_current(s);
	return 0;
}

static void
relay_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session		*s = arg;
	int			 err;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF) {
		if (pump(s, bev) == -1)
			return;
		(void)side_eof(s, bev);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		err = EVUTIL_SOCKET_ERROR();
		if (bev == s->rbev && s->state != SESSION_RELAY) {
			session_close(s, "remote failed");
			return;
		}
		/* A reset after both sides finished is a normal end. */
		session_close(s, err == ECONNRESET || err == EPIPE || err == 0 ?
		    NULL : evutil_socket_error_to_string(err));
	}
}

void
session_relay(struct session *s)
{
	leave_handshake(s);
	s->state = SESSION_RELAY;
	stats_session_relay(s);
	bufferevent_setwatermark(s->cbev, EV_READ, 0, 0);
	bufferevent_setcb(s->cbev, relay_read_cb, relay_write_cb,
	    relay_event_cb, s);
	bufferevent_setcb(s->rbev, relay_read_cb, relay_write_cb,
	    relay_event_cb, s);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
	bufferevent_enable(s->rbev, EV_READ | EV_WRITE);
	arm_current(s);
	/* Plaintext the dispatcher decoded to sniff goes first. */
	if (s->cplain != NULL && evbuffer_get_length(s->cplain) > 0) {
		const char *err = NULL;
		struct evbuffer *out = bufferevent_get_output(s->rbev);

		stats_count(&s->st, true, evbuffer_get_length(s->cplain));
		if (s->r_codec != NULL) {
			if (s->r_codec->encode(s->r_codec_ctx, s->cplain, out,
			    &err) == -1) {
				session_close(s, err);
				return;
			}
		} else
			evbuffer_add_buffer(out, s->cplain);
	}
	/* Payload that arrived with the header, or while dialing. */
	if (pump(s, s->cbev) == -1)
		return;
	if (s->flags & SESSION_C_EOF)
		try_shutdown(s, s->rbev);
}
