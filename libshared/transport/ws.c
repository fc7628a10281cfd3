/* SPDX-License-Identifier: MIT */
/*
 * ws.c: streamSettings.network "ws", V2Ray 4.34's websocket transport.
 * Server: the HTTP/1.1 upgrade read off the stream below (TCP or TLS),
 * answered as Go's net/http and gorilla/websocket answer it (404 for
 * another path and 400/405 for a bad upgrade, the connection kept; 400
 * and 431 closing for a malformed or oversized head), then 101. Client:
 * the upgrade request as gorilla writes it (header order included), the
 * 101 and its Accept checked, 8 s at most as 4.34's dialer allows.
 *
 * Then a bufferevent filter carries the payload as binary frames: every
 * complete frame below is decoded at once (a frame's payload passed on as
 * it arrives, never gathered), so nothing decodable waits below a filter
 * whose reading was stopped (libevent would not wake it again), and the
 * bytes held are bounded by one read of the stream below. Writes go out as
 * one frame per pass of what the relay queued, up to the stream below's
 * write high-water mark (WS_UNDER_HIWAT), so backpressure reaches the
 * relay. A ping is answered with a pong, a close with a close (then the
 * stream ends), a protocol error with close 1002.
 *
 * Why no library: wslay, the maintained C one, reads and writes through
 * its own callbacks and buffers (a 4 KiB read buffer; messages gathered
 * by its event API), which would cost a copy each way over evbuffers and
 * its own flow control beside libevent's. The framing itself is small
 * (ws_codec.c, with its own unit tests and fuzz target).
 */
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <ctype.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <openssl/evp.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "http/http_head.h"
#include "transport/transport.h"
#include "transport/ws_codec.h"

/* Go's MaxHeaderBytes 2048 plus its 4096 bytes of slack. */
#define WS_HEAD_MAX		6144
#define WS_RESP_MAX		16384
#define WS_DIAL_TIMEOUT		8	/* s, gorilla's HandshakeTimeout */
/* Frames: an unmasked payload this small is copied beside its header
 * (one chain, one TLS record); of a larger one, only what fills the
 * header's record, the rest moving by reference. */
#define WS_COPY_MAX		16384
#define WS_FRAME_MIN		16384
#define WS_FRAME_MAX		(256 * 1024)
/* What the filter queues below before the relay must wait. */
#define WS_UNDER_HIWAT		(512 * 1024)
/* What one pass may read from the socket beyond libevent's 4 KiB. */
#define WS_READ_MORE		(1024 * 1024)

struct ws_hdrline {
	char		*name;
	char		*value;		/* NULL: the key's place */
};

struct ws_ctx {
	const struct conf_stream *st;
	bool			 server;
	char			*path;		/* normalized: "/" first */
	/* Client: the fields after Host and User-Agent, sorted as Go. */
	struct ws_hdrline	*lines;
	size_t			 nlines;
	const char		*ua;
};

/* The framing filter's state, one per stream. */
struct ws_stream {
	struct bufferevent	*bev;		/* the filter */
	struct bufferevent	*under;
	struct ws_rd		 rd;
	bool			 server;
	bool			 closed;	/* close sent: no frame after */
	bool			 ended;		/* input over */
	struct bufferevent	*sock;		/* the socket at the bottom */
	bool			 in_more;
};

/* ---- Frames ---- */

/* Bytes queued below bev go out now, before a close frees them. */
static void
flush_below(struct bufferevent *bev)
{
	struct bufferevent	*b;
	struct evbuffer		*o;

	for (b = bev; b != NULL; b = bufferevent_get_underlying(b)) {
		/* Only the socket itself: a filter's output is plaintext. */
		if (bufferevent_get_underlying(b) != NULL ||
		    bufferevent_getfd(b) < 0)
			continue;
		o = bufferevent_get_output(b);
		if (evbuffer_get_length(o) == 0)
			continue;
		/* A socket bufferevent keeps its output's start frozen. */
		evbuffer_unfreeze(o, 1);
		(void)evbuffer_write(o, bufferevent_getfd(b));
		evbuffer_freeze(o, 1);
	}
}

/* A whole frame with payload p (control frames, small) below. */
static void
ws_send(struct ws_stream *w, uint8_t op, const uint8_t *p, size_t n)
{
	struct evbuffer		*out = bufferevent_get_output(w->under);
	uint8_t			 f[WS_HDR_MAX + WS_CTL_MAX], key[4];
	size_t			 hl;

	if (w->closed || n > WS_CTL_MAX)
		return;
	if (op == WS_OP_CLOSE)
		w->closed = true;
	if (!w->server)
		arc4random_buf(key, sizeof(key));
	hl = ws_hdr_build(f, op, true, n, w->server ? NULL : key);
	if (w->server)
		memcpy(f + hl, p, n);
	else
		ws_mask_copy(f + hl, p, n, key, 0);
	evbuffer_add(out, f, hl + n);
}

static void
ws_send_close(struct ws_stream *w, uint16_t code)
{
	uint8_t	 c[2] = { (uint8_t)(code >> 8), (uint8_t)code };

	ws_send(w, WS_OP_CLOSE, c, code == 1005 ? 0 : 2);
}

/* The stream is over for the reader: tell it from the loop. */
static void
ws_end(struct ws_stream *w, short what, int err)
{
	w->ended = true;
	/* The close frame must leave before the reader frees the stream. */
	flush_below(w->under);
	EVUTIL_SET_SOCKET_ERROR(err);
	bufferevent_trigger_event(w->bev, what | BEV_EVENT_READING,
	    BEV_TRIG_DEFER_CALLBACKS);
}

static void
ws_control(struct ws_stream *w)
{
	switch (w->rd.h.op) {
	case WS_OP_PING:
		ws_send(w, WS_OP_PONG, w->rd.ctl, w->rd.nctl);
		break;
	case WS_OP_CLOSE:
		/* Echoed with its code, as gorilla does; then EOF. */
		ws_send_close(w, ws_close_code(&w->rd));
		ws_end(w, BEV_EVENT_EOF, 0);
		break;
	default:	/* pong */
		break;
	}
}

/* k payload bytes of the current data frame from src to dst, unmasked
 * in place once moved. */
static void
ws_move(struct ws_stream *w, struct evbuffer *src, struct evbuffer *dst,
    size_t k)
{
	struct evbuffer_iovec	 v[16];
	struct evbuffer_ptr	 ptr;
	size_t			 at = evbuffer_get_length(dst), done = 0, l;
	int			 nv, i;

	evbuffer_remove_buffer(src, dst, k);
	if (!w->rd.h.masked) {
		(void)ws_rd_take(&w->rd, NULL, k);
		return;
	}
	while (done < k) {
		if (evbuffer_ptr_set(dst, &ptr, at + done,
		    EVBUFFER_PTR_SET) == -1)
			break;
		nv = evbuffer_peek(dst, (ev_ssize_t)(k - done), &ptr, v, 16);
		if (nv <= 0)
			break;
		for (i = 0; i < nv && i < 16 && done < k; i++) {
			l = v[i].iov_len < k - done ? v[i].iov_len : k - done;
			(void)ws_rd_take(&w->rd, v[i].iov_base, l);
			done += l;
		}
	}
}

static enum bufferevent_filter_result
ws_in(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct ws_stream	*w = arg;
	uint8_t			 b[WS_CTL_MAX > WS_HDR_MAX ? WS_CTL_MAX :
				    WS_HDR_MAX];
	const char		*why;
	size_t			 n, k, got = 0, start = evbuffer_get_length(src);
	int			 h;

	if (w->ended) {
		evbuffer_drain(src, start);
		return start > 0 ? BEV_OK : BEV_NEED_MORE;
	}
	while ((n = evbuffer_get_length(src)) > 0) {
		if (!w->rd.in_frame) {
			k = n < WS_HDR_MAX ? n : WS_HDR_MAX;
			evbuffer_copyout(src, b, k);
			if ((h = ws_rd_header(&w->rd, b, k, &why)) == 0)
				break;
			if (h < 0) {
				log_info("websocket: %s from the peer, "
				    "closing (1002)", why);
				ws_send_close(w, WS_CLOSE_PROTOCOL);
				evbuffer_drain(src, n);
				ws_end(w, BEV_EVENT_ERROR, EPROTO);
				return BEV_ERROR;
			}
			evbuffer_drain(src, (size_t)h);
			if (!w->rd.in_frame && ws_rd_is_control(&w->rd)) {
				ws_control(w);
				if (w->ended)
					break;
			}
			continue;
		}
		if (ws_rd_is_control(&w->rd)) {
			k = n < sizeof(b) ? n : sizeof(b);
			evbuffer_copyout(src, b, k);
			evbuffer_drain(src, ws_rd_take(&w->rd, b, k));
			if (!w->rd.in_frame) {
				ws_control(w);
				if (w->ended)
					break;
			}
			continue;
		}
		k = (uint64_t)n < w->rd.left ? n : (size_t)w->rd.left;
		if (lim >= 0) {
			if (got >= (size_t)lim)
				break;
			if (k > (size_t)lim - got)
				k = (size_t)lim - got;
		}
		ws_move(w, src, dst, k);
		got += k;
	}
	if (w->ended)
		evbuffer_drain(src, evbuffer_get_length(src));
	/* Progress says OK (the reader is woken); none, NEED_MORE, which
	 * also ends libevent's loop over this filter. */
	return evbuffer_get_length(src) < start ? BEV_OK : BEV_NEED_MORE;
}

static enum bufferevent_filter_result
ws_frame_out(struct ws_stream *w, struct evbuffer *src, struct evbuffer *dst,
    ev_ssize_t lim)
{
	struct evbuffer_iovec	 r, v[16];
	uint8_t			 hdr[WS_HDR_MAX], key[4];
	size_t			 n = evbuffer_get_length(src), k, hl, done;
	int			 nv, i;

	if (n == 0)
		return BEV_NEED_MORE;
	if (w->closed) {
		evbuffer_drain(src, n);
		return BEV_OK;
	}
	/* Past the limit by one frame at most, never a frame of nothing. */
	k = lim >= 0 && (size_t)lim < WS_FRAME_MIN ? WS_FRAME_MIN :
	    lim >= 0 ? (size_t)lim : n;
	if (k > n)
		k = n;
	if (k > WS_FRAME_MAX)
		k = WS_FRAME_MAX;
	if (w->server) {
		hl = ws_hdr_build(hdr, WS_OP_BINARY, true, k, NULL);
		if (k > WS_COPY_MAX) {
			size_t	 c = WS_COPY_MAX - hl;

			/* The header with the payload's start fills one TLS
			 * record (alone it would make a record of its own);
			 * the rest moves by reference. */
			if (evbuffer_reserve_space(dst, WS_COPY_MAX, &r, 1) < 1 ||
			    r.iov_len < WS_COPY_MAX)
				return BEV_ERROR;
			memcpy(r.iov_base, hdr, hl);
			evbuffer_copyout(src, (uint8_t *)r.iov_base + hl, c);
			r.iov_len = WS_COPY_MAX;
			evbuffer_commit_space(dst, &r, 1);
			evbuffer_drain(src, c);
			evbuffer_remove_buffer(src, dst, k - c);
			return BEV_OK;
		}
	} else {
		arc4random_buf(key, sizeof(key));
		hl = ws_hdr_build(hdr, WS_OP_BINARY, true, k, key);
	}
	if (evbuffer_reserve_space(dst, (ev_ssize_t)(hl + k), &r, 1) < 1 ||
	    r.iov_len < hl + k)
		return BEV_ERROR;
	memcpy(r.iov_base, hdr, hl);
	if (w->server)
		evbuffer_copyout(src, (uint8_t *)r.iov_base + hl, k);
	else {
		nv = evbuffer_peek(src, (ev_ssize_t)k, NULL, v, 16);
		for (i = 0, done = 0; i < nv && i < 16 && done < k; i++) {
			size_t l = v[i].iov_len < k - done ? v[i].iov_len :
			    k - done;

			ws_mask_copy((uint8_t *)r.iov_base + hl + done,
			    v[i].iov_base, l, key, done);
			done += l;
		}
		/* More pieces than v holds: the rest in this same frame. */
		if (done < k) {
			uint8_t	*tail = (uint8_t *)r.iov_base + hl + done;

			evbuffer_drain(src, done);
			evbuffer_copyout(src, tail, k - done);
			ws_mask(tail, k - done, key, done);
			evbuffer_drain(src, k - done);
			r.iov_len = hl + k;
			evbuffer_commit_space(dst, &r, 1);
			return BEV_OK;
		}
	}
	r.iov_len = hl + k;
	evbuffer_commit_space(dst, &r, 1);
	evbuffer_drain(src, k);
	return BEV_OK;
}

/*
 * libevent 2.1 reads at most 4 KiB a pass from a socket, whatever is
 * waiting (session.c's pump_read_more says more); the relay's own remedy
 * skips layered streams. Right after such a read (this buffer callback
 * runs inside it, the buffer's end still open), take what the kernel
 * holds, up to the socket's read high-water mark and WS_READ_MORE, so
 * the layers above (TLS, frames, VMess) work on one large piece a pass.
 * Only bytes FIONREAD reports are read: EOF and errors stay for libevent.
 */
static void
ws_more_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct ws_stream	*w = arg;
	struct evbuffer_iovec	 v[4];
	struct iovec		 io[4];
	size_t			 lo, hi, len, room, left, k;
	evutil_socket_t		 fd;
	ssize_t			 r;
	int			 avail, nv, i;

	if (info->n_added == 0 || w->in_more ||
	    (fd = bufferevent_getfd(w->sock)) < 0 ||
	    ioctl(fd, FIONREAD, &avail) == -1 || avail <= 0)
		return;
	len = evbuffer_get_length(buf);
	bufferevent_getwatermark(w->sock, EV_READ, &lo, &hi);
	room = WS_READ_MORE;
	if (hi > 0)
		room = len >= hi ? 0 : hi - len < room ? hi - len : room;
	if ((size_t)avail < room)
		room = (size_t)avail;
	if (room == 0)
		return;
	w->in_more = true;
	if ((nv = evbuffer_reserve_space(buf, (ev_ssize_t)room, v, 4)) > 0) {
		for (i = 0, left = room; i < nv; i++) {
			k = v[i].iov_len < left ? v[i].iov_len : left;
			io[i].iov_base = v[i].iov_base;
			io[i].iov_len = k;
			left -= k;
		}
		do
			r = readv(fd, io, nv);
		while (r == -1 && errno == EINTR);
		left = r > 0 ? (size_t)r : 0;
		for (i = 0; i < nv; i++) {
			v[i].iov_len = io[i].iov_len < left ? io[i].iov_len :
			    left;
			left -= v[i].iov_len;
		}
		evbuffer_commit_space(buf, v, nv);
	}
	w->in_more = false;
}

/*
 * A frame out, then straight to the socket: libevent would write it only
 * on the next loop pass, after an epoll round (the relay's direct write
 * is for plain sockets only); what the kernel refuses stays queued.
 */
static enum bufferevent_filter_result
ws_out(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct ws_stream		*w = arg;
	enum bufferevent_filter_result	 r;

	if ((r = ws_frame_out(w, src, dst, lim)) == BEV_OK)
		flush_below(w->under);
	return r;
}

static void
pending_read_cb(struct bufferevent *bev, void *arg)
{
	/* Only a placeholder until the next layer or the proxy sets its own. */
}

/* The framing stream over under (owned from now on), or NULL. */
static struct bufferevent *
ws_stream_new(struct bufferevent *under, bool server)
{
	struct ws_stream	*w = xcalloc(1, sizeof(*w));
	struct bufferevent	*fb, *b;

	w->under = under;
	w->server = server;
	ws_rd_init(&w->rd, server);
	/* Deferred: the filter would run the relay's write callback from
	 * inside the relay's own write to it (which may end the session). */
	fb = bufferevent_filter_new(under, ws_in, ws_out,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, free, w);
	if (fb == NULL) {
		free(w);
		return NULL;
	}
	w->bev = fb;
	/* Each filter below stops at its own one's mark (TLS below too),
	 * so what waits for the socket stays bounded. */
	for (b = under; b != NULL; b = bufferevent_get_underlying(b)) {
		bufferevent_setwatermark(b, EV_WRITE, 0, WS_UNDER_HIWAT);
		w->sock = b;
	}
	if (bufferevent_getfd(w->sock) >= 0)
		evbuffer_add_cb(bufferevent_get_input(w->sock), ws_more_cb, w);
	/* Frames that came with the handshake wake no read below: decode
	 * them now and queue a read for whoever reads fb next. */
	if (evbuffer_get_length(bufferevent_get_input(under)) > 0) {
		(void)ws_in(bufferevent_get_input(under),
		    bufferevent_get_input(fb), -1, BEV_NORMAL, w);
		bufferevent_setcb(fb, pending_read_cb, NULL, NULL, NULL);
		bufferevent_trigger(fb, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
	}
	return fb;
}

/* ---- Server ---- */

struct ws_accept {
	struct transport_accept	*a;
	struct ws_ctx		*ctx;
	char			 why[256];	/* the last refusal */
};

static void
acc_closing_cb(struct bufferevent *bev, void *arg)
{
	struct ws_accept	*st = arg;

	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	flush_below(bev);
	transport_accept_fail(st->a, st->why);
}

/*
 * A refusal as Go writes it. close: Go's answer to a head it cannot
 * parse, the connection then closed; else a handler's, kept open unless
 * the client asked to close (then Go says so too).
 */
static void
acc_refuse(struct ws_accept *st, struct bufferevent *bev, int code,
    bool handler, bool close, const char *why)
{
	struct evbuffer	*out = bufferevent_get_output(bev);
	const char	*text = code == 404 ? "Not Found" : code == 405 ?
			    "Method Not Allowed" : code == 431 ?
			    "Request Header Fields Too Large" : "Bad Request";
	char		 date[64];

	snprintf(st->why, sizeof(st->why), "websocket: %s (%d)", why, code);
	if (!handler)
		evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: "
		    "text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
		    "%d %s", code, text, code, text);
	else {
		util_http_date(date, sizeof(date));
		if (code == 404)
			evbuffer_add_printf(out, "HTTP/1.1 404 Not Found\r\n"
			    "Date: %s\r\nContent-Length: 0\r\n%s\r\n", date,
			    close ? "Connection: close\r\n" : "");
		else
			evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
			    "Content-Type: text/plain; charset=utf-8\r\n"
			    "Sec-Websocket-Version: 13\r\n"
			    "X-Content-Type-Options: nosniff\r\n"
			    "Date: %s\r\nContent-Length: %zu\r\n%s\r\n%s\n",
			    code, text, date, strlen(text) + 1, close ?
			    "Connection: close\r\n" : "", text);
	}
	if (!handler || close) {
		/* Fail once the answer has left. */
		bufferevent_disable(bev, EV_READ);
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_setcb(bev, NULL, acc_closing_cb, NULL, st);
		if (evbuffer_get_length(out) == 0)
			acc_closing_cb(bev, st);
		return;
	}
	log_info("%s", st->why);
}

/* The first X-Forwarded-For element, when an IP, is the client (4.34). */
static void
acc_forwarded(struct ws_accept *st, const struct http_head *h)
{
	const struct http_field	*f = http_head_get(h, "X-Forwarded-For");
	struct sockaddr_in6	 s6;
	struct sockaddr_in	 s4;
	char			 ip[64];
	size_t			 i = 0, j;

	if (f == NULL)
		return;
	while (i < f->vlen && (f->value[i] == ' ' || f->value[i] == '\t'))
		i++;
	for (j = i; j < f->vlen && f->value[j] != ',' && f->value[j] != ' ';
	    j++)
		;
	if (j - i == 0 || j - i >= sizeof(ip))
		return;
	memcpy(ip, f->value + i, j - i);
	ip[j - i] = '\0';
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		transport_accept_source(st->a, (struct sockaddr *)&s4,
		    sizeof(s4));
	} else if (inet_pton(AF_INET6, ip, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		transport_accept_source(st->a, (struct sockaddr *)&s6,
		    sizeof(s6));
	}
}

static bool
field_has(const struct http_head *h, const char *name, const char *token)
{
	size_t	 i;

	for (i = 0; i < h->nfields; i++)
		if (h->f[i].nlen == strlen(name) &&
		    strncasecmp(h->f[i].name, name, h->f[i].nlen) == 0 &&
		    ws_token_in(h->f[i].value, h->f[i].vlen, token))
			return true;
	return false;
}

/* One request head off the input: 1 when upgraded (st is gone), 0 when
 * more is needed or refused and kept, -1 when closing. */
static int
acc_request(struct ws_accept *st, struct bufferevent *bev)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct http_head	 h;
	const struct http_field	*key;
	struct bufferevent	*fb;
	size_t			 n = evbuffer_get_length(in), m;
	char			 path[1024], acc[29];
	const uint8_t		*p;
	ssize_t			 r;
	bool			 close;

	m = n < WS_HEAD_MAX ? n : WS_HEAD_MAX;
	if (m == 0 || (p = evbuffer_pullup(in, (ev_ssize_t)m)) == NULL)
		return 0;
	r = http_head_parse(p, m, &h);
	if (r == HTTP_HEAD_MORE && n < WS_HEAD_MAX)
		return 0;
	if (r == HTTP_HEAD_MORE || r == HTTP_HEAD_TOO_BIG) {
		acc_refuse(st, bev, 431, false, true, "request head too large");
		return -1;
	}
	if (r == HTTP_HEAD_BAD || ws_target_path(h.target, h.tlen, path,
	    sizeof(path)) == -1) {
		acc_refuse(st, bev, 400, false, true, "malformed request");
		return -1;
	}
	close = h.minor == 0 || field_has(&h, "Connection", "close");
	if (strcmp(path, st->ctx->path) != 0) {
		char	 why[128];

		snprintf(why, sizeof(why), "request for %.64s%s, not the "
		    "path", path, strlen(path) > 64 ? "..." : "");
		acc_refuse(st, bev, 404, true, close, why);
		evbuffer_drain(in, (size_t)r);
		return close ? -1 : 0;
	}
	key = http_head_get(&h, "Sec-WebSocket-Key");
	if (!field_has(&h, "Connection", "upgrade") ||
	    !field_has(&h, "Upgrade", "websocket")) {
		acc_refuse(st, bev, 400, true, close, "not a websocket "
		    "upgrade");
		evbuffer_drain(in, (size_t)r);
		return close ? -1 : 0;
	}
	if (!http_head_is(&h, "GET")) {
		acc_refuse(st, bev, 405, true, close, "upgrade request "
		    "method is not GET");
		evbuffer_drain(in, (size_t)r);
		return close ? -1 : 0;
	}
	if (!field_has(&h, "Sec-WebSocket-Version", "13") || key == NULL ||
	    key->vlen == 0) {
		acc_refuse(st, bev, 400, true, close, "websocket version not "
		    "13 or no key");
		evbuffer_drain(in, (size_t)r);
		return close ? -1 : 0;
	}
	ws_accept_for(key->value, key->vlen, acc);
	acc_forwarded(st, &h);
	evbuffer_drain(in, (size_t)r);
	evbuffer_add_printf(bufferevent_get_output(bev), "HTTP/1.1 101 "
	    "Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
	    "Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acc);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if ((fb = ws_stream_new(bev, true)) == NULL) {
		transport_accept_fail(st->a, "websocket: out of memory");
		return -1;
	}
	transport_accept_done(st->a, fb);
	return 1;
}

static void
acc_read_cb(struct bufferevent *bev, void *arg)
{
	struct ws_accept	*st = arg;

	struct evbuffer		*in = bufferevent_get_input(bev);
	size_t			 n;

	/* Several requests may wait (refusals keep the connection). */
	do {
		n = evbuffer_get_length(in);
		if (acc_request(st, bev) != 0)
			return;
	} while (evbuffer_get_length(in) > 0 && evbuffer_get_length(in) < n);
}

static void
acc_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ws_accept	*st = arg;
	char			 why[300];

	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if (st->why[0] != '\0')
		snprintf(why, sizeof(why), "%s; then the client closed",
		    st->why);
	else
		snprintf(why, sizeof(why), "websocket: the client closed "
		    "before the upgrade");
	transport_accept_fail(st->a, why);
}

static void
layer_accept(struct transport_accept *a, void *arg)
{
	struct ws_ctx		*ctx = arg;
	struct bufferevent	*bev = transport_accept_top(a);
	struct ws_accept	*st;

	st = xcalloc(1, sizeof(*st));
	st->a = a;
	st->ctx = ctx;
	transport_accept_set_state(a, st, free);
	bufferevent_setcb(bev, acc_read_cb, NULL, acc_event_cb, st);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	/* A head that came with the layer below's last bytes: from the
	 * loop, as a layer must not finish before accept returns. */
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
}

/* ---- Client ---- */

struct ws_connect {
	struct transport_connect *tc;
	struct event		*timer;
	char			 accept[29];
};

static void
con_free(void *arg)
{
	struct ws_connect	*c = arg;

	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
}

static void
con_fail(struct ws_connect *c, const char *why)
{
	struct bufferevent	*bev = transport_connect_top(c->tc);

	if (bev != NULL) {
		bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
		bufferevent_disable(bev, EV_READ);
	}
	evtimer_del(c->timer);
	log_warn("%s", why);
	transport_connect_fail(c->tc, why);
}

static void
con_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	con_fail(arg, "websocket: no answer to the upgrade within 8 s");
}

static void
con_read_cb(struct bufferevent *bev, void *arg)
{
	struct ws_connect	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct bufferevent	*fb;
	size_t			 n = evbuffer_get_length(in), m;
	const uint8_t		*p;
	char			 why[256];
	ssize_t			 r;

	m = n < WS_RESP_MAX ? n : WS_RESP_MAX;
	if ((p = evbuffer_pullup(in, (ev_ssize_t)m)) == NULL)
		return;
	r = ws_response_check(p, m, WS_RESP_MAX, c->accept, why, sizeof(why));
	if (r == 0)
		return;
	if (r < 0) {
		con_fail(c, why);
		return;
	}
	evbuffer_drain(in, (size_t)r);
	evtimer_del(c->timer);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if ((fb = ws_stream_new(bev, false)) == NULL) {
		con_fail(c, "websocket: out of memory");
		return;
	}
	transport_connect_done(c->tc, fb);
}

static void
con_event_cb(struct bufferevent *bev, short what, void *arg)
{
	con_fail(arg, "websocket: the server closed the connection during "
	    "the upgrade");
}

static void
layer_connect(struct transport_connect *tc, void *arg)
{
	struct ws_ctx		*ctx = arg;
	struct bufferevent	*bev = transport_connect_top(tc);
	const struct net_addr	*to = transport_connect_to(tc);
	struct evbuffer		*out = bufferevent_get_output(bev);
	struct ws_connect	*c;
	struct timeval		 tv = { WS_DIAL_TIMEOUT, 0 };
	unsigned char		 raw[16];
	char			 key[25], host[300];
	size_t			 i;

	c = xcalloc(1, sizeof(*c));
	c->tc = tc;
	c->timer = evtimer_new(transport_connect_base(tc), con_timeout_cb, c);
	transport_connect_set_state(tc, c, con_free);
	arc4random_buf(raw, sizeof(raw));
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	ws_accept_for(key, strlen(key), c->accept);
	/* Host: the configured one, else host[:port] (the port left out
	 * only where the scheme implies it: 80 for ws, 443 for wss). */
	if (ctx->st->ws.host != NULL)
		snprintf(host, sizeof(host), "%s", ctx->st->ws.host);
	else {
		char	 h[NET_ADDRSTRLEN];

		net_addr_host(to, h, sizeof(h));
		if (to->port == (ctx->st->tls ? 443 : 80))
			snprintf(host, sizeof(host), to->family == AF_INET6 ?
			    "[%s]" : "%s", h);
		else
			snprintf(host, sizeof(host), to->family == AF_INET6 ?
			    "[%s]:%u" : "%s:%u", h, to->port);
	}
	evbuffer_add_printf(out, "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: %s\r\n", ctx->path, host, ctx->ua);
	for (i = 0; i < ctx->nlines; i++)
		evbuffer_add_printf(out, "%s: %s\r\n", ctx->lines[i].name,
		    ctx->lines[i].value != NULL ? ctx->lines[i].value : key);
	evbuffer_add(out, "\r\n", 2);
	bufferevent_setcb(bev, con_read_cb, NULL, con_event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	evtimer_add(c->timer, &tv);
}

/* ---- The layer ---- */

static bool
layer_applies(const struct conf_stream *st, bool server)
{
	return st->network == CONF_NET_WS;
}

/* Fields gorilla sets itself: a configured one fails every dial. */
static const char *const ws_own[] = { "Upgrade", "Connection",
    "Sec-WebSocket-Key", "Sec-WebSocket-Version",
    "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", NULL };

static int
layer_check(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	size_t	 i, j;

	for (i = 0; !server && i < st->ws.hdr_names.n; i++)
		for (j = 0; ws_own[j] != NULL; j++)
			if (strcasecmp(st->ws.hdr_names.v[i], ws_own[j]) == 0) {
				snprintf(err, errlen, "wsSettings.headers: "
				    "%s is the handshake's own (V2Ray 4.34 "
				    "fails every dial with it)", ws_own[j]);
				return -1;
			}
	return 0;
}

/* Go's canonical header key: "x-my-field" -> "X-My-Field". */
static char *
canonical(const char *s)
{
	char	*c = xstrdup(s), *p;
	bool	 up = true;

	for (p = c; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return strcpy(c, s);
	for (p = c; *p != '\0'; p++) {
		*p = up ? (char)toupper((unsigned char)*p) :
		    (char)tolower((unsigned char)*p);
		up = *p == '-';
	}
	return c;
}

static int
line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ws_hdrline *)a)->name,
	    ((const struct ws_hdrline *)b)->name);
}

static void
ctx_free(void *arg)
{
	struct ws_ctx	*ctx = arg;
	size_t		 i;

	for (i = 0; i < ctx->nlines; i++) {
		free(ctx->lines[i].name);
		free(ctx->lines[i].value);
	}
	free(ctx->lines);
	free(ctx->path);
	free(ctx);
}

static void *
layer_new(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	static const char *const fixed[][2] = { { "Connection", "Upgrade" },
	    { "Sec-WebSocket-Key", NULL }, { "Sec-WebSocket-Version", "13" },
	    { "Upgrade", "websocket" } };
	const struct conf_ws	*w = &st->ws;
	struct ws_ctx		*ctx;
	const char		*p = w->path != NULL ? w->path : "";
	size_t			 i;

	if (layer_check(st, server, err, errlen) == -1)
		return NULL;
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->st = st;
	ctx->server = server;
	/* 4.34's GetNormalizedPath. */
	ctx->path = xmalloc(strlen(p) + 2);
	snprintf(ctx->path, strlen(p) + 2, "%s%s", *p == '/' ? "" : "/", p);
	ctx->ua = "Go-http-client/1.1";
	ctx->lines = xcalloc(4 + w->hdr_names.n, sizeof(*ctx->lines));
	for (i = 0; i < 4; i++) {
		ctx->lines[i].name = xstrdup(fixed[i][0]);
		ctx->lines[i].value = fixed[i][1] != NULL ?
		    xstrdup(fixed[i][1]) : NULL;
	}
	ctx->nlines = 4;
	for (i = 0; i < w->hdr_names.n; i++) {
		/* Written in its own place, before the sorted ones. */
		if (strcasecmp(w->hdr_names.v[i], "User-Agent") == 0) {
			ctx->ua = w->hdr_values.v[i];
			continue;
		}
		ctx->lines[ctx->nlines].name = canonical(w->hdr_names.v[i]);
		ctx->lines[ctx->nlines].value = xstrdup(w->hdr_values.v[i]);
		ctx->nlines++;
	}
	qsort(ctx->lines, ctx->nlines, sizeof(*ctx->lines), line_cmp);
	return ctx;
}

/* 4.34's websocket connections never half-close (the VMess end marker
 * ends each direction): nothing is sent. */
const struct transport_layer ws_layer = {
	.name = "ws",
	.applies = layer_applies,
	.check = layer_check,
	.new = layer_new,
	.free = ctx_free,
	.accept = layer_accept,
	.connect = layer_connect,
	.shutdown = stream_shutdown_none,
};
