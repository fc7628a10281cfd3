/* SPDX-License-Identifier: MIT */
/*
 * kcp_udp.c: mKCP sessions on UDP sockets with libevent timers; each one
 * drives a kcp_conn and one end of a bufferevent pair (docs/kcp-design.md).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "kcp/kcp_conn.h"
#include "kcp/kcp_packet.h"
#include "kcp/kcp_udp.h"

#define KCP_UDP_DELIVER_HIWAT	(256 * 1024)	/* our end's output */
#define KCP_UDP_TAKE_HIWAT	(256 * 1024)	/* our end's input */
#define KCP_UDP_SOCKBUF		(4 * 1024 * 1024)
#define KCP_UDP_READ_BURST	1024		/* datagrams per wake-up */
#define KCP_UDP_MAX_SESSIONS	65536		/* per listener */
#define KCP_UDP_DGRAM_MAX	(KCP_RECV_BUF_SIZE + 64)

#define SESS_APP_EOF	0x01	/* the app finished its stream */
#define SESS_CLOSED	0x02	/* kcp_conn_close called */
#define SESS_EOF_SENT	0x04	/* the app end got BEV_EVENT_EOF */
#define SESS_DEAD	0x08	/* waiting for the deferred free */

struct kcp_udp_listener;

struct kcp_udp_sess {
	struct event_base		*base;
	struct kcp_conn			*conn;
	struct bufferevent		*bev;	/* ours; the app has the partner */
	struct event			*timer;
	struct event			*kick;	/* deferred free */
	uint64_t			 timer_at;
	int				 timer_set;
	unsigned			 flags;
	uint32_t			 mss;
	uint16_t			 conv;

	struct kcp_udp_listener		*lst;	/* server session */
	struct kcp_udp_sess		*hnext;
	uint32_t			 hash;

	int				 fd;	/* client socket, else -1 */
	struct event			*rev;
	struct kcp_header		 hdr;
	struct kcp_security		 sec;
	int				 sec_ok;
	TAILQ_ENTRY(kcp_udp_sess)	 centry;

	struct sockaddr_storage		 peer;
	socklen_t			 peerlen;
};

TAILQ_HEAD(kcp_udp_sesslist, kcp_udp_sess);

struct kcp_udp_listener {
	struct event_base	*base;
	int			 fd;
	struct event		*rev;
	struct kcp_header	 hdr;	/* shared by all sessions (§2) */
	struct kcp_security	 sec;
	struct kcp_conn_config	 cfg;
	kcp_udp_accept_cb	*cb;
	void			*cb_arg;
	struct kcp_udp_sess	**tab;
	uint32_t		 tabsize;	/* power of two */
	size_t			 nsess;
	uint32_t		 salt;
	int			 in_read;
	int			 free_pending;
};

static struct kcp_udp_sesslist	kcp_udp_clients =
    TAILQ_HEAD_INITIALIZER(kcp_udp_clients);
static size_t			kcp_udp_nclients;
static uint16_t			kcp_udp_conv_counter;
static int			kcp_udp_conv_seeded;

static void	kcp_udp_sess_update(struct kcp_udp_sess *);

/* ---------------------------------------------------------- helpers */

static int
kcp_udp_settings(const struct conf_kcp *k, struct kcp_header *h,
    struct kcp_security *sec, struct kcp_conn_config *cc, uint32_t *mssp,
    const char **errstr)
{
	uint32_t	 mss;

	if (kcp_settings_check((uint32_t)k->mtu, (uint32_t)k->tti,
	    errstr) == -1)
		return -1;
	if (k->uplink_capacity < 0 || k->downlink_capacity < 0) {
		*errstr = "negative mKCP capacity";
		return -1;
	}
	if (kcp_header_init(h, k->header_type) == -1) {
		*errstr = "unknown mKCP header type";
		return -1;
	}
	if (kcp_security_init(sec, k->seed) == -1) {
		*errstr = "mKCP cipher setup failed";
		return -1;
	}
	if ((mss = kcp_packet_mss((uint32_t)k->mtu, h, sec)) == 0) {
		kcp_security_cleanup(sec);
		*errstr = "mKCP mtu leaves no room for data";
		return -1;
	}
	kcp_conn_config_init(cc, (uint32_t)k->mtu, (uint32_t)k->tti,
	    (uint32_t)k->uplink_capacity, (uint32_t)k->downlink_capacity,
	    kcp_buffer_bytes(k->write_buffer_size < 0 ? 0 :
	    (uint32_t)k->write_buffer_size), k->congestion, mss);
	*mssp = mss;
	return 0;
}

static int
kcp_udp_socket(int family)
{
	int	 fd, sz = KCP_UDP_SOCKBUF;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Bursts of a flush (cwnd x 20) must not die in our own buffers. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

static int
kcp_udp_blocked(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
}

/* ---------------------------------------------------------- sessions */

static int
kcp_udp_output(void *arg, const uint8_t *seg, size_t len)
{
	struct kcp_udp_sess	*s = arg;
	uint8_t			 d[KCP_UDP_DGRAM_MAX];
	ssize_t			 n, w;

	if (s->lst != NULL)
		n = kcp_packet_seal(&s->lst->hdr, &s->lst->sec, seg, len, d,
		    sizeof(d));
	else if (s->fd != -1)
		n = kcp_packet_seal(&s->hdr, &s->sec, seg, len, d, sizeof(d));
	else
		return 0;
	if (n <= 0)
		return 0;
	if (s->lst != NULL)
		w = sendto(s->lst->fd, d, (size_t)n, 0,
		    (struct sockaddr *)&s->peer, s->peerlen);
	else
		w = send(s->fd, d, (size_t)n, 0);
	if (w == -1 && kcp_udp_blocked(errno))
		return -1;
	/* Other errors (ECONNREFUSED, unreachable) are loss. */
	return 0;
}

static uint32_t
kcp_udp_key_hash(const struct kcp_udp_listener *l,
    const struct sockaddr *sa, uint16_t conv)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	const uint8_t			*p;
	size_t				 n, i;
	uint32_t			 h = 0x811c9dc5u ^ l->salt;
	uint8_t				 extra[4];

	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		p = (const uint8_t *)&sin6->sin6_addr;
		n = 16;
		memcpy(extra, &sin6->sin6_port, 2);
	} else {
		sin = (const struct sockaddr_in *)sa;
		p = (const uint8_t *)&sin->sin_addr;
		n = 4;
		memcpy(extra, &sin->sin_port, 2);
	}
	extra[2] = (uint8_t)(conv >> 8);
	extra[3] = (uint8_t)conv;
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x01000193u;
	for (i = 0; i < 4; i++)
		h = (h ^ extra[i]) * 0x01000193u;
	return h;
}

static int
kcp_udp_same_peer(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->ss_family != b->sa_family)
		return 0;
	if (b->sa_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)a;
		b6 = (const struct sockaddr_in6 *)b;
		return a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
	}
	a4 = (const struct sockaddr_in *)a;
	b4 = (const struct sockaddr_in *)b;
	return a4->sin_port == b4->sin_port &&
	    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
}

static void
kcp_udp_unhash(struct kcp_udp_sess *s)
{
	struct kcp_udp_listener	*l = s->lst;
	struct kcp_udp_sess	**pp;

	if (l == NULL)
		return;
	for (pp = &l->tab[s->hash & (l->tabsize - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			l->nsess--;
			break;
		}
	}
	s->hnext = NULL;
}

/* Release everything now; only from outside this session's callbacks. */
static void
kcp_udp_sess_free(struct kcp_udp_sess *s)
{
	if (s->lst != NULL)
		kcp_udp_unhash(s);
	if (s->fd != -1) {
		TAILQ_REMOVE(&kcp_udp_clients, s, centry);
		kcp_udp_nclients--;
	}
	if (s->bev != NULL) {
		/* The app learns the end even if it never heard of it. */
		if (!(s->flags & SESS_EOF_SENT) &&
		    bufferevent_pair_get_partner(s->bev) != NULL)
			(void)bufferevent_flush(s->bev, EV_WRITE,
			    BEV_FINISHED);
		bufferevent_free(s->bev);
	}
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->kick != NULL)
		event_free(s->kick);
	if (s->rev != NULL)
		event_free(s->rev);
	if (s->fd != -1) {
		close(s->fd);
		kcp_security_cleanup(&s->sec);
	}
	kcp_conn_free(s->conn);
	free(s);
}

static void
kcp_udp_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kcp_udp_sess	*s = arg;

	if (s->flags & SESS_DEAD)
		kcp_udp_sess_free(s);
	else
		kcp_udp_sess_update(s);
}

/*
 * Terminated: stop sending at once, free from the loop so no callback of
 * ours is still on the stack. A server key goes now, so a later packet
 * from the peer makes a new session (§6).
 */
static void
kcp_udp_sess_die(struct kcp_udp_sess *s)
{
	if (s->flags & SESS_DEAD)
		return;
	s->flags |= SESS_DEAD;
	log_debug("mKCP conv %u terminated", (unsigned)s->conv);
	if (s->lst != NULL)
		kcp_udp_unhash(s);
	s->lst = NULL;
	if (s->rev != NULL)
		event_del(s->rev);
	event_del(s->timer);
	if (s->bev != NULL)
		bufferevent_disable(s->bev, EV_READ);
	event_active(s->kick, EV_TIMEOUT, 1);
}

static uint64_t
kcp_udp_now(void)
{
	return util_now_ms();
}

/* Hand in-order bytes to the app, only while it keeps up (§7 window). */
static void
kcp_udp_deliver(struct kcp_udp_sess *s, uint64_t now)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	const uint8_t	*p;
	size_t		 n;

	if (bufferevent_pair_get_partner(s->bev) == NULL) {
		/* Nobody will read it: drain so the peer is not stalled. */
		while ((p = kcp_conn_peek(s->conn, &n)) != NULL)
			kcp_conn_consume(s->conn, n, now);
		return;
	}
	while (evbuffer_get_length(out) < KCP_UDP_DELIVER_HIWAT &&
	    (p = kcp_conn_peek(s->conn, &n)) != NULL) {
		if (evbuffer_add(out, p, n) == -1)
			break;
		kcp_conn_consume(s->conn, n, now);
	}
	/*
	 * A pair flush moves no more than the app's read watermark, so EOF
	 * waits until our output has gone over (write callback).
	 */
	if (!(s->flags & SESS_EOF_SENT) && kcp_conn_eof(s->conn) &&
	    evbuffer_get_length(out) == 0) {
		s->flags |= SESS_EOF_SENT;
		(void)bufferevent_flush(s->bev, EV_WRITE, BEV_FINISHED);
	}
}

/* App bytes into DATA segments while the send queue has room. */
static void
kcp_udp_take(struct kcp_udp_sess *s, uint64_t now)
{
	struct evbuffer	*in = bufferevent_get_input(s->bev);
	size_t		 len, n;
	ssize_t		 r;
	uint8_t		*p;

	if (bufferevent_pair_get_partner(s->bev) == NULL)
		s->flags |= SESS_APP_EOF;
	if (kcp_conn_state(s->conn) != KCP_STATE_ACTIVE) {
		/* Writes fail once the peer closed: the bytes have no taker. */
		(void)evbuffer_drain(in, evbuffer_get_length(in));
	}
	while ((len = evbuffer_get_length(in)) > 0 &&
	    kcp_conn_writable(s->conn)) {
		n = len < s->mss ? len : s->mss;
		if ((p = evbuffer_pullup(in, (ssize_t)n)) == NULL)
			break;
		if ((r = kcp_conn_send(s->conn, p, n, now)) <= 0)
			break;
		(void)evbuffer_drain(in, (size_t)r);
	}
	len = evbuffer_get_length(in);
	if ((s->flags & (SESS_APP_EOF | SESS_CLOSED)) == SESS_APP_EOF &&
	    len == 0) {
		s->flags |= SESS_CLOSED;
		kcp_conn_close(s->conn, now);
	}
	/* Backpressure: the app's own output grows while we hold off. */
	if (!(s->flags & SESS_DEAD)) {
		if (len >= KCP_UDP_TAKE_HIWAT)
			bufferevent_disable(s->bev, EV_READ);
		else
			bufferevent_enable(s->bev, EV_READ);
	}
}

static void
kcp_udp_sess_update(struct kcp_udp_sess *s)
{
	uint64_t	 now = kcp_udp_now(), at;
	struct timeval	 tv;

	if (s->flags & SESS_DEAD)
		return;
	kcp_udp_deliver(s, now);
	kcp_udp_take(s, now);
	/* A close or a consumed window wants a flush: run it now. */
	kcp_conn_run(s->conn, now);
	/* The flush may have changed the state: EOF may be due now. */
	kcp_udp_deliver(s, now);
	if (kcp_conn_state(s->conn) == KCP_STATE_TERMINATED) {
		kcp_udp_sess_die(s);
		return;
	}
	at = kcp_conn_next_timer(s->conn);
	if (s->timer_set && at == s->timer_at)
		return;
	at = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(at / 1000);
	tv.tv_usec = (suseconds_t)(at % 1000) * 1000;
	s->timer_at = kcp_conn_next_timer(s->conn);
	s->timer_set = 1;
	evtimer_add(s->timer, &tv);
}

static void
kcp_udp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kcp_udp_sess	*s = arg;

	s->timer_set = 0;
	kcp_udp_sess_update(s);
}

static void
kcp_udp_bev_read_cb(struct bufferevent *bev, void *arg)
{
	kcp_udp_sess_update(arg);
}

static void
kcp_udp_bev_write_cb(struct bufferevent *bev, void *arg)
{
	/* The app took what we gave it: refill, maybe EOF. */
	kcp_udp_sess_update(arg);
}

static void
kcp_udp_bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct kcp_udp_sess	*s = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		s->flags |= SESS_APP_EOF;
	kcp_udp_sess_update(s);
}

static struct kcp_udp_sess *
kcp_udp_sess_new(struct event_base *base, uint16_t conv,
    const struct kcp_conn_config *cc, uint32_t mss,
    struct bufferevent **app)
{
	struct kcp_udp_sess	*s;
	struct bufferevent	*pair[2];

	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->fd = -1;
	s->conv = conv;
	s->mss = mss;
	s->conn = kcp_conn_new(conv, cc, kcp_udp_now(), kcp_udp_output, s);
	s->timer = evtimer_new(base, kcp_udp_timer_cb, s);
	s->kick = event_new(base, -1, 0, kcp_udp_kick_cb, s);
	if (s->conn == NULL || s->timer == NULL || s->kick == NULL ||
	    bufferevent_pair_new(base, BEV_OPT_DEFER_CALLBACKS, pair) == -1) {
		kcp_udp_sess_free(s);
		return NULL;
	}
	s->bev = pair[0];
	*app = pair[1];
	bufferevent_setcb(s->bev, kcp_udp_bev_read_cb, kcp_udp_bev_write_cb,
	    kcp_udp_bev_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, KCP_UDP_DELIVER_HIWAT / 2,
	    0);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	return s;
}

void
kcp_udp_finish(struct bufferevent *bev)
{
	/* Moves our pending output across and raises EOF on the pair. */
	(void)bufferevent_flush(bev, EV_WRITE, BEV_FINISHED);
}

/* ------------------------------------------------------------ client */

static void
kcp_udp_client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kcp_udp_sess	*s = arg;
	uint8_t			 d[KCP_UDP_DGRAM_MAX], p[KCP_UDP_DGRAM_MAX];
	const char		*errstr;
	ssize_t			 n, m;
	int			 i;

	for (i = 0; i < KCP_UDP_READ_BURST; i++) {
		n = recv(fd, d, sizeof(d), 0);
		if (n == -1) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			break;
		}
		m = kcp_packet_open(&s->hdr, &s->sec, d, (size_t)n, p,
		    sizeof(p), &errstr);
		if (m <= 0)
			continue;
		(void)kcp_conn_input(s->conn, p, (size_t)m, kcp_udp_now());
		if (kcp_conn_state(s->conn) == KCP_STATE_TERMINATED)
			break;
	}
	kcp_udp_sess_update(s);
}

static uint16_t
kcp_udp_next_conv(void)
{
	uint16_t	 r;

	if (!kcp_udp_conv_seeded) {
		if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
			r = (uint16_t)util_now_ms();
		kcp_udp_conv_counter = r;
		kcp_udp_conv_seeded = 1;
	}
	return ++kcp_udp_conv_counter;
}

struct bufferevent *
kcp_udp_dial(struct event_base *base, const struct sockaddr *to,
    socklen_t tolen, const struct conf_kcp *k, const char **errstr)
{
	struct kcp_udp_sess	*s;
	struct kcp_conn_config	 cc;
	struct kcp_header	 hdr;
	struct kcp_security	 sec;
	struct bufferevent	*app;
	uint32_t		 mss;
	int			 fd;

	if (tolen > (socklen_t)sizeof(s->peer) ||
	    (to->sa_family != AF_INET && to->sa_family != AF_INET6)) {
		*errstr = "bad mKCP server address";
		return NULL;
	}
	if (kcp_udp_settings(k, &hdr, &sec, &cc, &mss, errstr) == -1)
		return NULL;
	if ((fd = kcp_udp_socket(to->sa_family)) == -1) {
		*errstr = "socket";
		kcp_security_cleanup(&sec);
		return NULL;
	}
	if (connect(fd, to, tolen) == -1) {
		*errstr = "connect";
		close(fd);
		kcp_security_cleanup(&sec);
		return NULL;
	}
	if ((s = kcp_udp_sess_new(base, kcp_udp_next_conv(), &cc, mss,
	    &app)) == NULL) {
		*errstr = "out of memory";
		close(fd);
		kcp_security_cleanup(&sec);
		return NULL;
	}
	s->fd = fd;
	s->hdr = hdr;
	s->sec = sec;
	memcpy(&s->peer, to, tolen);
	s->peerlen = tolen;
	TAILQ_INSERT_TAIL(&kcp_udp_clients, s, centry);
	kcp_udp_nclients++;
	s->rev = event_new(base, fd, EV_READ | EV_PERSIST,
	    kcp_udp_client_read_cb, s);
	if (s->rev == NULL || event_add(s->rev, NULL) == -1) {
		bufferevent_free(app);
		kcp_udp_sess_free(s);
		*errstr = "event_add";
		return NULL;
	}
	log_debug("mKCP dial conv %u", (unsigned)s->conv);
	kcp_udp_sess_update(s);
	return app;
}

size_t
kcp_udp_client_sessions(void)
{
	return kcp_udp_nclients;
}

void
kcp_udp_shutdown(void)
{
	struct kcp_udp_sess	*s;

	while ((s = TAILQ_FIRST(&kcp_udp_clients)) != NULL) {
		if (!(s->flags & SESS_DEAD)) {
			kcp_conn_abort(s->conn, kcp_udp_now());
			kcp_udp_deliver(s, kcp_udp_now());
		}
		kcp_udp_sess_free(s);
	}
}

/* ------------------------------------------------------------ server */

static int
kcp_udp_grow(struct kcp_udp_listener *l)
{
	struct kcp_udp_sess	**nt, *s, *next;
	uint32_t		 nsize = l->tabsize * 2, i;

	if ((nt = calloc(nsize, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < l->tabsize; i++) {
		for (s = l->tab[i]; s != NULL; s = next) {
			next = s->hnext;
			s->hnext = nt[s->hash & (nsize - 1)];
			nt[s->hash & (nsize - 1)] = s;
		}
	}
	free(l->tab);
	l->tab = nt;
	l->tabsize = nsize;
	return 0;
}

static struct kcp_udp_sess *
kcp_udp_lookup(struct kcp_udp_listener *l, const struct sockaddr *from,
    uint16_t conv, uint32_t h)
{
	struct kcp_udp_sess	*s;

	for (s = l->tab[h & (l->tabsize - 1)]; s != NULL; s = s->hnext)
		if (s->hash == h && s->conv == conv &&
		    kcp_udp_same_peer(&s->peer, from))
			return s;
	return NULL;
}

static void
kcp_udp_listener_teardown(struct kcp_udp_listener *l)
{
	struct kcp_udp_sess	*s;
	uint32_t		 i;

	for (i = 0; i < l->tabsize; i++) {
		while ((s = l->tab[i]) != NULL) {
			/* One TERMINATE from our socket before it goes. */
			kcp_conn_abort(s->conn, kcp_udp_now());
			kcp_udp_deliver(s, kcp_udp_now());
			kcp_udp_sess_free(s);
		}
	}
	event_free(l->rev);
	close(l->fd);
	kcp_security_cleanup(&l->sec);
	free(l->tab);
	free(l);
}

static void
kcp_udp_listener_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kcp_udp_listener	*l = arg;
	struct kcp_udp_sess	*s;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	struct kcp_segment	 first;
	struct bufferevent	*app;
	uint8_t			 d[KCP_UDP_DGRAM_MAX], p[KCP_UDP_DGRAM_MAX];
	const char		*errstr;
	ssize_t			 n, m;
	uint32_t		 h;
	int			 i;

	l->in_read = 1;
	for (i = 0; i < KCP_UDP_READ_BURST && !l->free_pending; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, d, sizeof(d), 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (from.ss_family != AF_INET && from.ss_family != AF_INET6)
			continue;
		m = kcp_packet_open(&l->hdr, &l->sec, d, (size_t)n, p,
		    sizeof(p), &errstr);
		if (m <= 0 || kcp_segment_decode(p, (size_t)m, &first,
		    &errstr) <= 0)
			continue;
		h = kcp_udp_key_hash(l, (struct sockaddr *)&from, first.conv);
		if ((s = kcp_udp_lookup(l, (struct sockaddr *)&from,
		    first.conv, h)) != NULL) {
			(void)kcp_conn_input(s->conn, p, (size_t)m,
			    kcp_udp_now());
			kcp_udp_sess_update(s);
			continue;
		}
		/* §6: no handshake; a stray TERMINATE makes nothing. */
		if (first.cmd == KCP_CMD_TERMINATE ||
		    l->nsess >= KCP_UDP_MAX_SESSIONS)
			continue;
		if (l->nsess >= 2 * (size_t)l->tabsize)
			(void)kcp_udp_grow(l);
		if ((s = kcp_udp_sess_new(l->base, first.conv, &l->cfg,
		    l->cfg.cc_mss, &app)) == NULL)
			continue;
		s->lst = l;
		s->hash = h;
		memcpy(&s->peer, &from, fromlen);
		s->peerlen = fromlen;
		s->hnext = l->tab[h & (l->tabsize - 1)];
		l->tab[h & (l->tabsize - 1)] = s;
		l->nsess++;
		log_debug("mKCP accept conv %u", (unsigned)s->conv);
		(void)kcp_conn_input(s->conn, p, (size_t)m, kcp_udp_now());
		l->cb(app, (struct sockaddr *)&from, fromlen, l->cb_arg);
		kcp_udp_sess_update(s);
	}
	l->in_read = 0;
	if (l->free_pending)
		kcp_udp_listener_teardown(l);
}

struct kcp_udp_listener *
kcp_udp_listen(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const struct conf_kcp *k, kcp_udp_accept_cb *cb,
    void *arg, const char **errstr)
{
	struct kcp_udp_listener	*l;
	uint32_t		 mss;
	int			 one = 1, fd, e;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		*errstr = "bad mKCP listen address";
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	if (kcp_udp_settings(k, &l->hdr, &l->sec, &l->cfg, &mss,
	    errstr) == -1) {
		free(l);
		return NULL;
	}
	if ((fd = kcp_udp_socket(sa->sa_family)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || bind(fd, sa, salen) == -1) {
		e = errno;
		*errstr = "cannot bind the mKCP socket";
		if (fd != -1)
			close(fd);
		kcp_security_cleanup(&l->sec);
		free(l);
		errno = e;
		return NULL;
	}
	l->base = base;
	l->fd = fd;
	l->cb = cb;
	l->cb_arg = arg;
	l->tabsize = 64;
	l->tab = xcalloc(l->tabsize, sizeof(*l->tab));
	if (RAND_bytes((unsigned char *)&l->salt, sizeof(l->salt)) != 1)
		l->salt = (uint32_t)util_now_ms();
	l->rev = event_new(base, fd, EV_READ | EV_PERSIST,
	    kcp_udp_listener_read_cb, l);
	if (l->rev == NULL || event_add(l->rev, NULL) == -1) {
		if (l->rev != NULL)
			event_free(l->rev);
		close(fd);
		kcp_security_cleanup(&l->sec);
		free(l->tab);
		free(l);
		*errstr = "event_add";
		return NULL;
	}
	return l;
}

int
kcp_udp_listener_addr(const struct kcp_udp_listener *l,
    struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof(*ss);
	return getsockname(l->fd, (struct sockaddr *)ss, len);
}

size_t
kcp_udp_listener_sessions(const struct kcp_udp_listener *l)
{
	return l->nsess;
}

void
kcp_udp_listener_free(struct kcp_udp_listener *l)
{
	if (l == NULL)
		return;
	if (l->in_read) {
		l->free_pending = 1;
		event_del(l->rev);
		return;
	}
	kcp_udp_listener_teardown(l);
}
