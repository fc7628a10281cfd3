/* SPDX-License-Identifier: MIT */
/*
 * h2.c: V2Ray 4.34's "http" transport (network "h2" or "http",
 * httpSettings host and path). Each proxied stream is one HTTP/2 request:
 * PUT https://HOST/PATH whose body carries the upstream bytes and whose
 * 200 response body carries the downstream ones. Streams to one server
 * share a connection, as Go's http2 client pools them. nghttp2 reads and
 * writes the frames; this file moves bytes between its streams and
 * bufferevent pairs, one per stream, and keeps the connections:
 *
 *   server  The connection (TLS, or h2c with prior knowledge, which 4.34
 *           serves without TLS) stays its session's until the first valid
 *           request, so the handshake timeout covers TLS, the preface and
 *           that request. Then the layer adopts it and every valid request
 *           becomes a session of its own (hooks->stream); any other gets
 *           404, as 4.34 answers. A connection without a live stream for
 *           H2_SERVER_IDLE_MS ends with GOAWAY.
 *   client  A dial takes a pooled connection to the same destination with
 *           room for a stream, or opens one below (TCP, TLS that must
 *           agree on h2), and is done when the 200 response's headers
 *           arrive, as Go's client.Do returns then.
 *
 * Flow control: WINDOW_UPDATE is sent only for bytes the session took out
 * of the pair, so a slow reader holds back its own stream's peer; what an
 * app writes waits in its pair (read watermark) until nghttp2 may send
 * it; frames wait for the socket only up to H2_SEND_HIWAT.
 *
 * nghttp2's callbacks only change this file's state and queue frames;
 * what calls out (adopting, handing a stream to the engine, finishing a
 * dial) runs after nghttp2 returns, from conn_run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <nghttp2/nghttp2.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "transport/transport.h"
#include "transport/ws_codec.h"

#define H2_STREAM_HIWAT		(256 * 1024)	/* app bytes before DATA */
#define H2_SEND_HIWAT		(256 * 1024)	/* frames before the socket */
#define H2_SERVER_WINDOW	(1 << 20)	/* Go's server stream window */
#define H2_CLIENT_WINDOW	(4 << 20)	/* Go's client stream window */
#define H2_CONN_WINDOW		(1 << 30)	/* Go's client; the streams
						   bound the memory */
#define H2_MAX_STREAMS		250		/* Go's server default */
#define H2_MAX_FRAME		(1 << 20)	/* Go's server: frames it reads */
#define H2_DATA_MAX		(64 * 1024)	/* DATA frames we send */
#define H2_SERVER_HEADERS	1048896		/* Go's server header list */
#define H2_CLIENT_HEADERS	(10 << 20)	/* Go's client header list */
#define H2_TICK_MS		1000		/* idle */
#define H2_LIVE_TICK_MS		200		/* with sessions on it */
#define H2_CLOSE_TICK_MS	50
#define H2_SERVER_IDLE_MS	(300 * 1000)
#define H2_CLIENT_IDLE_MS	(120 * 1000)
#define H2_CONNECT_MS		(16 * 1000)	/* 4.34's system dialer */
#define H2_CLOSE_MS		2000		/* to flush a GOAWAY */
#define H2_PATH_MAX		8192
#define H2_DEFAULT_HOST		"www.example.com"

struct h2_conn;

struct h2_stream {
	struct h2_conn		*c;
	LIST_ENTRY(h2_stream)	 entry;
	int32_t			 id;		/* 0: not submitted */
	struct bufferevent	*b;		/* our end of the pair */
	struct bufferevent	*app;		/* the other, until handed */
	struct evbuffer_cb_entry *outcb;
	bool			 given;		/* the app end is handed */
	bool			 live;		/* counted in c->nlive */
	bool			 deferred;	/* the data source waits */
	bool			 app_eof;	/* the app finished sending */
	bool			 app_gone;	/* the app freed its end */
	bool			 peer_end;	/* END_STREAM came */
	bool			 eof_given;
	bool			 reset_after_end;
	bool			 closed;	/* nghttp2 closed it */
	uint32_t		 close_code;
	/* server: the request */
	bool			 pending;	/* valid, to hand over */
	bool			 host_long;
	char			 authority[256];
	char			 xff[64];
	char			*path;
	/* client: the dial until the response */
	struct transport_connect *tc;
	const char		*host;
	int			 status;
	bool			 responded;	/* 200: to finish the dial */
	bool			 refused;	/* other status: to fail it */
	bool			 retried;
};

LIST_HEAD(h2_streams, h2_stream);

enum h2_state {
	H2_CONNECTING,
	H2_OPEN,
	H2_CLOSING
};

struct h2_ctx {
	const struct conf_stream *st;
	bool			 server;
	char			*path;		/* normalized */
	LIST_HEAD(, h2_conn)	 conns;
};

struct h2_conn {
	struct h2_ctx		*ctx;
	LIST_ENTRY(h2_conn)	 entry;
	bool			 listed;
	enum h2_state		 state;
	bool			 broken;	/* nothing more can be sent */
	bool			 goaway;	/* the peer takes no new stream */
	bool			 draining;	/* its inbound stopped listening */
	bool			 goaway_sent;
	nghttp2_session		*ng;
	struct bufferevent	*bev;		/* TLS (or TCP) below */
	struct event		*kick;		/* conn_run from the loop */
	struct event		*tick;
	struct h2_streams	 streams;	/* submitted, or with an id */
	struct h2_streams	 waiting;	/* client: not submitted */
	size_t			 nstreams;
	size_t			 nlive;		/* streams carrying sessions */
	uint64_t		 since_ms;	/* idle, connecting, closing */
	int			 tick_ms;
	char			 why[200];
	/* server */
	struct transport_accept	*a;		/* until adopted */
	const struct transport_accept_hooks *hooks;
	void			*owner;
	bool			 held;
	struct sockaddr_storage	 src;
	socklen_t		 srclen;
	/* client */
	struct net_addr		 to;
	struct transport_connect *below;
};

static void	conn_run(struct h2_conn *);
static void	conn_kick(struct h2_conn *);
static void	conn_free(struct h2_conn *, bool);
static void	pool_submit(struct h2_ctx *, struct h2_stream *);
static int	xff_addr(const char *, struct sockaddr_storage *,
		    socklen_t *);

/* ---- Streams and their pairs ---- */

static struct bufferevent *
stream_partner(struct h2_stream *s)
{
	return s->b != NULL ? bufferevent_pair_get_partner(s->b) : NULL;
}

/* Bytes the session took from the pair open the peer's window again. */
static void
stream_out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct h2_stream	*s = arg;

	if (info->n_deleted == 0 || s->c == NULL || s->c->ng == NULL)
		return;
	if (s->id != 0 && !s->closed)
		(void)nghttp2_session_consume(s->c->ng, s->id, info->n_deleted);
	else
		(void)nghttp2_session_consume_connection(s->c->ng,
		    info->n_deleted);
	conn_kick(s->c);
}

static void
stream_resume(struct h2_stream *s)
{
	if (!s->deferred || s->closed || s->id == 0 || s->c->ng == NULL)
		return;
	s->deferred = false;
	(void)nghttp2_session_resume_data(s->c->ng, s->id);
	conn_kick(s->c);
}

static void
stream_read_cb(struct bufferevent *b, void *arg)
{
	stream_resume(arg);
}

static void
stream_event_cb(struct bufferevent *b, short what, void *arg)
{
	struct h2_stream	*s = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		s->app_eof = true;
		stream_resume(s);
	}
}

/* The pair: the app end goes to the engine, ours to the stream. */
static int
stream_pair(struct h2_stream *s, struct event_base *base)
{
	struct bufferevent	*pair[2];

	if (bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, pair) == -1)
		return -1;
	s->app = pair[0];
	s->b = pair[1];
	bufferevent_setcb(s->b, stream_read_cb, NULL, stream_event_cb, s);
	/* What the app writes stays with it until DATA frames take it. */
	bufferevent_setwatermark(s->b, EV_READ, 0, H2_STREAM_HIWAT);
	bufferevent_enable(s->b, EV_READ | EV_WRITE);
	s->outcb = evbuffer_add_cb(bufferevent_get_output(s->b),
	    stream_out_cb, s);
	return 0;
}

static void
stream_free(struct h2_stream *s)
{
	if (s->live && s->c != NULL && --s->c->nlive == 0)
		s->c->since_ms = util_now_ms();
	if (s->b != NULL) {
		if (s->outcb != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_output(s->b),
			    s->outcb);
		bufferevent_free(s->b);
	}
	if (s->app != NULL)
		bufferevent_free(s->app);
	free(s->path);
	free(s);
}

/*
 * Move bytes to the app end past its read watermark: a pair flush moves
 * no more than the watermark allows, and the rest would be lost with our
 * end. Bounded by the stream window.
 */
static void
stream_push_rest(struct h2_stream *s, struct bufferevent *app)
{
	struct evbuffer	*out = bufferevent_get_output(s->b);
	struct evbuffer	*in = bufferevent_get_input(app);

	if (evbuffer_get_length(out) == 0)
		return;
	evbuffer_unfreeze(out, 1);
	evbuffer_unfreeze(in, 0);
	evbuffer_add_buffer(in, out);
	evbuffer_freeze(in, 0);
	evbuffer_freeze(out, 1);
}

/* END_STREAM came: the app reads what is left, then EOF. */
static void
stream_give_eof(struct h2_stream *s)
{
	struct bufferevent	*app;

	if (!s->given || s->eof_given || s->b == NULL)
		return;
	s->eof_given = true;
	if ((app = stream_partner(s)) == NULL)
		return;
	stream_push_rest(s, app);
	(void)bufferevent_flush(s->b, EV_WRITE, BEV_FINISHED);
}

/* The nghttp2 stream is gone: a clean end is EOF, anything else an error. */
static void
stream_finish(struct h2_stream *s)
{
	struct bufferevent	*app;

	if (!s->given || (app = stream_partner(s)) == NULL)
		return;
	if (s->peer_end) {
		stream_give_eof(s);
		return;
	}
	bufferevent_trigger_event(app, BEV_EVENT_ERROR | BEV_EVENT_READING,
	    BEV_TRIG_DEFER_CALLBACKS);
}

/*
 * The app freed its end without finishing (a pair says nothing then; the
 * tick finds it): drop what it would have read, send what it wrote, end
 * our side and reset the stream if the peer has not finished, as Go's
 * server does when a handler returns.
 */
static void
stream_app_gone(struct h2_stream *s)
{
	struct h2_conn	*c = s->c;
	struct evbuffer	*out = bufferevent_get_output(s->b);

	if (s->app_gone)
		return;
	s->app_gone = true;
	s->app_eof = true;
	evbuffer_unfreeze(out, 1);
	(void)evbuffer_drain(out, evbuffer_get_length(out));
	evbuffer_freeze(out, 1);
	if (s->closed || s->id == 0 || c->ng == NULL)
		return;
	s->reset_after_end = true;
	if (nghttp2_session_get_stream_local_close(c->ng, s->id) == 1 &&
	    nghttp2_session_get_stream_remote_close(c->ng, s->id) == 0)
		(void)nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, s->id,
		    c->ctx->server ? NGHTTP2_NO_ERROR : NGHTTP2_CANCEL);
	s->deferred = true;
	stream_resume(s);
}

static struct h2_stream *
stream_find(struct h2_conn *c, int32_t id)
{
	struct h2_stream	*s;

	LIST_FOREACH(s, &c->streams, entry)
		if (s->id == id)
			return s;
	return NULL;
}

/* ---- nghttp2 callbacks ---- */

static ssize_t
send_cb(nghttp2_session *ng, const uint8_t *data, size_t len, int flags,
    void *arg)
{
	struct h2_conn	*c = arg;
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (evbuffer_get_length(out) >= H2_SEND_HIWAT)
		return NGHTTP2_ERR_WOULDBLOCK;
	if (evbuffer_add(out, data, len) == -1)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return (ssize_t)len;
}

/* DATA payloads move from the pair to the socket without a copy. */
static int
send_data_cb(nghttp2_session *ng, nghttp2_frame *frame, const uint8_t *hd,
    size_t len, nghttp2_data_source *src, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s = src->ptr;
	struct evbuffer		*out = bufferevent_get_output(c->bev);
	uint8_t			 pad;

	if (evbuffer_get_length(out) >= H2_SEND_HIWAT)
		return NGHTTP2_ERR_WOULDBLOCK;
	if (evbuffer_add(out, hd, 9) == -1)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if (frame->data.padlen > 0) {
		pad = (uint8_t)(frame->data.padlen - 1);
		evbuffer_add(out, &pad, 1);
	}
	if (len > 0 && evbuffer_remove_buffer(bufferevent_get_input(s->b),
	    out, len) != (int)len)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if (frame->data.padlen > 1) {
		static const uint8_t zero[256];

		evbuffer_add(out, zero, frame->data.padlen - 1);
	}
	return 0;
}

static bool
stream_app_done(struct h2_stream *s)
{
	struct bufferevent	*app;

	if (s->app_gone || s->b == NULL)
		return true;
	if (!s->app_eof)
		return false;
	/* The pair may hold back part of what came before the EOF. */
	app = stream_partner(s);
	return app == NULL ||
	    evbuffer_get_length(bufferevent_get_output(app)) == 0;
}

/* DATA frames as large as the peer takes (16 KiB unless it says more). */
static ssize_t
data_length_cb(nghttp2_session *ng, uint8_t type, int32_t id,
    int32_t conn_window, int32_t stream_window, uint32_t max_frame,
    void *arg)
{
	int32_t	 n = conn_window < stream_window ? conn_window : stream_window;

	if (n > (int32_t)max_frame)
		n = (int32_t)max_frame;
	/* nghttp2 sizes a buffer of the connection to the largest frame. */
	if (n > H2_DATA_MAX)
		n = H2_DATA_MAX;
	return n > 0 ? n : 1;
}

static ssize_t
data_read_cb(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct h2_stream	*s = src->ptr;
	size_t			 avail;

	avail = s->b != NULL && !s->app_gone ?
	    evbuffer_get_length(bufferevent_get_input(s->b)) : 0;
	if (avail > 0) {
		if (avail > len)
			avail = len;
		*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
		if (avail == evbuffer_get_length(bufferevent_get_input(s->b)) &&
		    stream_app_done(s))
			*flags |= NGHTTP2_DATA_FLAG_EOF;
		return (ssize_t)avail;
	}
	if (stream_app_done(s)) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		return 0;
	}
	s->deferred = true;
	return NGHTTP2_ERR_DEFERRED;
}

static int
begin_headers_cb(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s;

	if (!c->ctx->server || frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->id = frame->hd.stream_id;
	LIST_INSERT_HEAD(&c->streams, s, entry);
	c->nstreams++;
	nghttp2_session_set_stream_user_data(ng, s->id, s);
	return 0;
}

static void
copy_field(char *dst, size_t size, const uint8_t *v, size_t len, bool *toolong)
{
	if (len >= size) {
		if (toolong != NULL)
			*toolong = true;
		len = size - 1;
	}
	memcpy(dst, v, len);
	dst[len] = '\0';
}

#define NAME_IS(n, nl, lit) \
	((nl) == sizeof(lit) - 1 && memcmp((n), (lit), (nl)) == 0)

static int
header_cb(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s;
	size_t			 i;

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    (s = nghttp2_session_get_stream_user_data(ng,
	    frame->hd.stream_id)) == NULL)
		return 0;
	if (!c->ctx->server) {
		if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE &&
		    NAME_IS(name, namelen, ":status") && valuelen == 3) {
			s->status = 0;
			for (i = 0; i < 3; i++)
				s->status = s->status * 10 + (value[i] - '0');
		}
		return 0;
	}
	if (frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	/* Go's Request.Host: :authority, else the Host field. */
	if (NAME_IS(name, namelen, ":authority") || (NAME_IS(name, namelen,
	    "host") && s->authority[0] == '\0' && !s->host_long))
		copy_field(s->authority, sizeof(s->authority), value, valuelen,
		    &s->host_long);
	else if (NAME_IS(name, namelen, ":path") && s->path == NULL) {
		if (valuelen > H2_PATH_MAX)
			valuelen = 0;	/* no valid path: 404 */
		s->path = xmalloc(valuelen + 1);
		memcpy(s->path, value, valuelen);
		s->path[valuelen] = '\0';
	} else if (NAME_IS(name, namelen, "x-forwarded-for") &&
	    s->xff[0] == '\0') {
		bool	 toolong = false;

		copy_field(s->xff, sizeof(s->xff), value, valuelen, &toolong);
		/* Only the first address counts; cut at the comma. */
		s->xff[strcspn(s->xff, ",")] = '\0';
		if (toolong && strlen(s->xff) == sizeof(s->xff) - 1)
			s->xff[0] = '\0';
	}
	return 0;
}

/* Go's check: URL.Path (unescaped, no query) starts with the path. */
static bool
path_ok(const char *want, const char *raw)
{
	char	 path[H2_PATH_MAX + 1];

	if (raw == NULL || ws_target_path(raw, strlen(raw), path,
	    sizeof(path)) == -1)
		return false;
	return strncmp(path, want, strlen(want)) == 0;
}

static bool
host_ok(const struct h2_ctx *ctx, const struct h2_stream *s)
{
	const struct conf_strv	*h = &ctx->st->h2.host;
	size_t			 i;

	if (s->host_long)
		return false;
	if (h->n == 0)
		return strcmp(s->authority, H2_DEFAULT_HOST) == 0;
	for (i = 0; i < h->n; i++)
		if (strcmp(s->authority, h->v[i]) == 0)
			return true;
	return false;
}

static void
nv_set(nghttp2_nv *nv, const char *name, const char *value)
{
	nv->name = (uint8_t *)(uintptr_t)name;
	nv->namelen = strlen(name);
	nv->value = (uint8_t *)(uintptr_t)value;
	nv->valuelen = strlen(value);
	nv->flags = NGHTTP2_NV_FLAG_NONE;
}

/* A whole request head came: 200 with the downstream, or 404 as 4.34. */
static void
server_request(struct h2_conn *c, struct h2_stream *s)
{
	nghttp2_data_provider	 prd;
	nghttp2_nv		 nv[3];
	char			 date[64];

	util_http_date(date, sizeof(date));
	if (!host_ok(c->ctx, s) || !path_ok(c->ctx->path, s->path)) {
		log_debug("h2: 404 for host \"%.64s\" path \"%.64s\"",
		    s->authority, s->path != NULL ? s->path : "");
		nv_set(&nv[0], ":status", "404");
		nv_set(&nv[1], "content-length", "0");
		nv_set(&nv[2], "date", date);
		s->reset_after_end = true;
		(void)nghttp2_submit_response(c->ng, s->id, nv, 3, NULL);
		return;
	}
	if (c->state != H2_OPEN) {
		(void)nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, s->id,
		    NGHTTP2_REFUSED_STREAM);
		return;
	}
	if (stream_pair(s, bufferevent_get_base(c->bev)) == -1) {
		(void)nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, s->id,
		    NGHTTP2_INTERNAL_ERROR);
		return;
	}
	nv_set(&nv[0], ":status", "200");
	nv_set(&nv[1], "cache-control", "no-store");
	nv_set(&nv[2], "date", date);
	prd.source.ptr = s;
	prd.read_callback = data_read_cb;
	if (nghttp2_submit_response(c->ng, s->id, nv, 3, &prd) != 0) {
		(void)nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, s->id,
		    NGHTTP2_INTERNAL_ERROR);
		return;
	}
	s->pending = true;
}

static int
frame_recv_cb(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s = NULL;
	bool			 end;

	if (frame->hd.type == NGHTTP2_GOAWAY) {
		c->goaway = true;
		return 0;
	}
	if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
		return 0;
	if ((s = nghttp2_session_get_stream_user_data(ng,
	    frame->hd.stream_id)) == NULL)
		return 0;
	end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
	if (frame->hd.type == NGHTTP2_HEADERS) {
		if (c->ctx->server &&
		    frame->headers.cat == NGHTTP2_HCAT_REQUEST)
			server_request(c, s);
		else if (!c->ctx->server &&
		    frame->headers.cat == NGHTTP2_HCAT_RESPONSE &&
		    s->tc != NULL) {
			if (s->status >= 100 && s->status < 200)
				s->status = 0;	/* informational: wait */
			else if (s->status == 200)
				s->responded = true;
			else
				s->refused = true;
		}
	}
	if (end) {
		s->peer_end = true;
		stream_give_eof(s);
	}
	return 0;
}

static int
data_chunk_cb(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *arg)
{
	struct h2_stream	*s;

	s = nghttp2_session_get_stream_user_data(ng, id);
	if (s == NULL || s->b == NULL || s->app_gone ||
	    bufferevent_write(s->b, data, len) == -1)
		(void)nghttp2_session_consume(ng, id, len);
	return 0;
}

/* A client stream ended before its response: retried or failed later. */
static void
stream_unanswered(struct h2_conn *c, struct h2_stream *s, uint32_t code)
{
	LIST_REMOVE(s, entry);
	c->nstreams--;
	s->closed = true;
	s->close_code = code;
	LIST_INSERT_HEAD(&c->waiting, s, entry);
	conn_kick(c);
}

static void
stream_closed(struct h2_conn *c, struct h2_stream *s, uint32_t code)
{
	if (s->tc != NULL) {
		stream_unanswered(c, s, code);
		return;
	}
	LIST_REMOVE(s, entry);
	if (--c->nstreams == 0 && !c->ctx->server)
		c->since_ms = util_now_ms();
	s->closed = true;
	stream_finish(s);
	stream_free(s);
}

static int
stream_close_cb(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s;

	if ((s = nghttp2_session_get_stream_user_data(ng, id)) == NULL &&
	    (s = stream_find(c, id)) == NULL)
		return 0;
	nghttp2_session_set_stream_user_data(ng, id, NULL);
	stream_closed(c, s, code);
	return 0;
}

/* A request that never left (GOAWAY, or cancelled before it was sent). */
static int
frame_not_send_cb(nghttp2_session *ng, const nghttp2_frame *frame,
    int lib_error, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s;

	if (frame->hd.type != NGHTTP2_HEADERS || c->ctx->server ||
	    (s = stream_find(c, frame->hd.stream_id)) == NULL)
		return 0;
	/* Its stream, if nghttp2 opened one, closes without us. */
	(void)nghttp2_session_set_stream_user_data(ng, frame->hd.stream_id,
	    NULL);
	stream_closed(c, s, NGHTTP2_REFUSED_STREAM);
	return 0;
}

static int
frame_send_cb(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s;

	if ((frame->hd.type != NGHTTP2_HEADERS &&
	    frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
	    (s = nghttp2_session_get_stream_user_data(ng,
	    frame->hd.stream_id)) == NULL)
		return 0;
	/* Go's server resets a request whose handler returned unread. */
	if (s->reset_after_end &&
	    nghttp2_session_get_stream_remote_close(ng, s->id) == 0)
		(void)nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, s->id,
		    c->ctx->server ? NGHTTP2_NO_ERROR : NGHTTP2_CANCEL);
	return 0;
}

static int
error_cb(nghttp2_session *ng, int code, const char *msg, size_t len,
    void *arg)
{
	log_debug("h2: %.*s", (int)len, msg);
	return 0;
}

static nghttp2_session_callbacks *
h2_callbacks(void)
{
	static nghttp2_session_callbacks *cbs;

	if (cbs != NULL)
		return cbs;
	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return NULL;
	nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
	nghttp2_session_callbacks_set_send_data_callback(cbs, send_data_cb);
	nghttp2_session_callbacks_set_data_source_read_length_callback(cbs,
	    data_length_cb);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
	    begin_headers_cb);
	nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
	    frame_recv_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
	    data_chunk_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
	    stream_close_cb);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs,
	    frame_send_cb);
	nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs,
	    frame_not_send_cb);
	nghttp2_session_callbacks_set_error_callback2(cbs, error_cb);
	return cbs;
}

/* ---- Connections ---- */

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_run(arg);
}

static void
conn_kick(struct h2_conn *c)
{
	if (c->kick != NULL)
		event_active(c->kick, EV_TIMEOUT, 1);
}

/*
 * The tick finds sessions that ended (their pair end freed) and resets
 * their streams: often while sessions live on the connection, seldom
 * when it idles.
 */
static void
conn_tick_rate(struct h2_conn *c)
{
	struct timeval	 tv;
	int		 ms = c->state == H2_CLOSING ? H2_CLOSE_TICK_MS :
			    c->nlive > 0 ? H2_LIVE_TICK_MS : H2_TICK_MS;

	if (ms == c->tick_ms || c->tick == NULL)
		return;
	c->tick_ms = ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(c->tick, &tv);
}

/* Bytes still on their way out, the layers below included. */
static size_t
conn_unsent(struct h2_conn *c)
{
	struct bufferevent	*b;
	size_t			 n = 0;

	for (b = c->bev; b != NULL; b = bufferevent_get_underlying(b))
		n += evbuffer_get_length(bufferevent_get_output(b));
	return n;
}

static void
conn_close(struct h2_conn *c, const char *why)
{
	if (c->state == H2_CLOSING)
		return;
	log_debug("h2: connection closes: %s", why);
	snprintf(c->why, sizeof(c->why), "%s", why);
	c->state = H2_CLOSING;
	c->since_ms = util_now_ms();
	if (c->bev != NULL)
		bufferevent_disable(c->bev, EV_READ);
	if (c->ng != NULL)
		(void)nghttp2_session_terminate_session(c->ng,
		    NGHTTP2_NO_ERROR);
	conn_tick_rate(c);
	conn_kick(c);
}

/* The connection broke: nothing more to send. */
static void
conn_abort(struct h2_conn *c, const char *why)
{
	c->broken = true;
	conn_close(c, why);
}

/*
 * The end, from the loop: before adoption the accepting session owns the
 * connection and ends it (freeing it through conn_state_free).
 */
static void
conn_end(struct h2_conn *c)
{
	if (c->a != NULL) {
		transport_accept_fail(c->a, c->why);
		return;
	}
	conn_free(c, false);
}

/*
 * The streams of a connection that ends. teardown (the layer is freed
 * with its engine): no dial is called back, whoever holds one cancels it.
 */
static void
conn_free_streams(struct h2_conn *c, bool teardown)
{
	struct h2_stream	*s;

	while ((s = LIST_FIRST(&c->streams)) != NULL ||
	    (s = LIST_FIRST(&c->waiting)) != NULL) {
		LIST_REMOVE(s, entry);
		if (s->tc != NULL) {
			transport_connect_set_state(s->tc, NULL, NULL);
			if (!teardown)
				transport_connect_fail(s->tc, c->why[0] ?
				    c->why : "http2: connection lost");
			s->tc = NULL;
		}
		s->closed = true;
		stream_finish(s);
		s->c = NULL;
		stream_free(s);
	}
	c->nstreams = 0;
	c->nlive = 0;
}

static void
conn_free(struct h2_conn *c, bool teardown)
{
	const struct transport_accept_hooks *h = c->hooks;

	if (c->below != NULL)
		transport_dial_cancel(c->below);
	conn_free_streams(c, teardown);
	if (c->ng != NULL)
		nghttp2_session_del(c->ng);
	if (c->kick != NULL)
		event_free(c->kick);
	if (c->tick != NULL)
		event_free(c->tick);
	if (c->bev != NULL && c->a == NULL)
		bufferevent_free(c->bev);
	if (c->listed)
		LIST_REMOVE(c, entry);
	/* Last: the owner may go with its last hold. */
	if (c->held && h->hold != NULL)
		h->hold(c->owner, false);
	free(c);
}

static void
conn_state_free(void *arg)
{
	struct h2_conn	*c = arg;

	/* The accept frees the stream below; we only leave it. */
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	c->bev = NULL;
	c->a = NULL;
	conn_free(c, true);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct h2_conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	ssize_t		 n, r;
	unsigned char	*p;

	while (c->state == H2_OPEN &&
	    (n = evbuffer_get_contiguous_space(in)) > 0) {
		if ((p = evbuffer_pullup(in, n)) == NULL)
			break;
		r = nghttp2_session_mem_recv(c->ng, p, (size_t)n);
		if (r < 0) {
			char why[128];

			snprintf(why, sizeof(why), "http2: %s",
			    nghttp2_strerror((int)r));
			conn_close(c, why);
			break;
		}
		evbuffer_drain(in, (size_t)r);
	}
	if (c->state != H2_OPEN)
		evbuffer_drain(in, evbuffer_get_length(in));
	conn_run(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	conn_run(arg);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct h2_conn	*c = arg;

	if (what & BEV_EVENT_EOF)
		conn_abort(c, "the peer closed the connection");
	else if (what & BEV_EVENT_ERROR)
		conn_abort(c, "connection error");
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s, *next;
	uint64_t		 now = util_now_ms();

	if (c->state == H2_CONNECTING) {
		if (now - c->since_ms >= H2_CONNECT_MS) {
			transport_dial_cancel(c->below);
			c->below = NULL;
			snprintf(c->why, sizeof(c->why), "http2: connecting "
			    "timed out");
			conn_free(c, false);
		}
		return;
	}
	if (c->state == H2_OPEN) {
		/* A session that ended frees its end of the pair silently. */
		for (s = LIST_FIRST(&c->streams); s != NULL; s = next) {
			next = LIST_NEXT(s, entry);
			if (s->given && !s->app_gone && stream_partner(s) ==
			    NULL)
				stream_app_gone(s);
			else if (s->deferred && (evbuffer_get_length(
			    bufferevent_get_input(s->b)) > 0 ||
			    stream_app_done(s)))
				stream_resume(s);
		}
		if (c->a == NULL && c->nlive == 0 && c->nstreams == 0 &&
		    LIST_EMPTY(&c->waiting) && now - c->since_ms >=
		    (c->ctx->server ? H2_SERVER_IDLE_MS : H2_CLIENT_IDLE_MS))
			conn_close(c, "idle");
	}
	conn_run(c);
}

/* Hand valid requests to the engine, finish or fail dials. */
static void
conn_deliver(struct h2_conn *c)
{
	struct h2_stream	*s;
	struct transport_connect *tc;
	struct transport_accept	*a;
	struct bufferevent	*app;
	struct sockaddr_storage	 ss;
	const struct sockaddr	*sa;
	socklen_t		 salen;
	char			 why[64];

 again:
	if (c->state != H2_OPEN)
		return;
	LIST_FOREACH(s, &c->streams, entry) {
		if (s->pending) {
			s->pending = false;
			if ((a = c->a) != NULL) {
				/* Hold the owner before its session ends. */
				c->a = NULL;
				if (c->hooks->hold != NULL) {
					c->hooks->hold(c->owner, true);
					c->held = true;
				}
				transport_accept_adopt(a);
			}
			sa = (const struct sockaddr *)&c->src;
			salen = c->srclen;
			if (s->xff[0] != '\0' && xff_addr(s->xff, &ss,
			    &salen) == 0)
				sa = (const struct sockaddr *)&ss;
			app = s->app;
			s->app = NULL;
			s->given = s->live = true;
			c->nlive++;
			c->hooks->stream(c->owner, app, salen > 0 ? sa : NULL,
			    salen);
			if (s->peer_end)
				stream_give_eof(s);
			goto again;
		}
		if (s->responded || s->refused) {
			tc = s->tc;
			s->tc = NULL;
			transport_connect_set_state(tc, NULL, NULL);
			if (s->refused) {
				s->refused = false;
				snprintf(why, sizeof(why), "http2: unexpected "
				    "status %d", s->status);
				log_debug("%s", why);
				(void)nghttp2_submit_rst_stream(c->ng,
				    NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
				transport_connect_fail(tc, why);
				goto again;
			}
			s->responded = false;
			app = s->app;
			s->app = NULL;
			s->given = s->live = true;
			c->nlive++;
			transport_connect_done(tc, app);
			if (s->peer_end)
				stream_give_eof(s);
			goto again;
		}
	}
	LIST_FOREACH(s, &c->waiting, entry) {
		if (!s->closed)
			continue;
		LIST_REMOVE(s, entry);
		/* Not processed (GOAWAY, REFUSED_STREAM): once more. */
		if (s->close_code == NGHTTP2_REFUSED_STREAM && !s->retried &&
		    s->tc != NULL) {
			s->retried = true;
			s->closed = false;
			s->id = 0;
			pool_submit(c->ctx, s);
			goto again;
		}
		if (s->tc != NULL) {
			tc = s->tc;
			s->tc = NULL;
			transport_connect_set_state(tc, NULL, NULL);
			snprintf(why, sizeof(why), "http2: stream closed (%s)",
			    nghttp2_http2_strerror(s->close_code));
			transport_connect_fail(tc, why);
		}
		s->c = NULL;
		stream_free(s);
		goto again;
	}
}

static void
conn_run(struct h2_conn *c)
{
	int	 rv;

	if (c->state == H2_CONNECTING)
		return;
	if (c->state == H2_CLOSING) {
		if (!c->broken && c->ng != NULL &&
		    nghttp2_session_send(c->ng) != 0)
			c->broken = true;
		if (c->broken || conn_unsent(c) == 0 ||
		    util_now_ms() - c->since_ms >= H2_CLOSE_MS)
			conn_end(c);
		return;
	}
	conn_deliver(c);
	if (c->state != H2_OPEN) {
		conn_run(c);
		return;
	}
	/* Streams begun so far finish; the client opens new ones elsewhere. */
	if (c->draining && !c->goaway_sent && c->a == NULL) {
		c->goaway_sent = true;
		(void)nghttp2_submit_goaway(c->ng, NGHTTP2_FLAG_NONE,
		    nghttp2_session_get_last_proc_stream_id(c->ng),
		    NGHTTP2_NO_ERROR, NULL, 0);
	}
	if ((rv = nghttp2_session_send(c->ng)) != 0) {
		char why[128];

		snprintf(why, sizeof(why), "http2: %s", nghttp2_strerror(rv));
		conn_abort(c, why);
		return;
	}
	if (!nghttp2_session_want_read(c->ng) &&
	    !nghttp2_session_want_write(c->ng))
		conn_close(c, "finished");
	conn_tick_rate(c);
}

static struct h2_conn *
conn_new(struct h2_ctx *ctx, struct event_base *base)
{
	struct h2_conn	*c = xcalloc(1, sizeof(*c));

	c->ctx = ctx;
	LIST_INIT(&c->streams);
	LIST_INIT(&c->waiting);
	c->kick = event_new(base, -1, 0, kick_cb, c);
	c->tick = event_new(base, -1, EV_PERSIST, tick_cb, c);
	conn_tick_rate(c);
	c->since_ms = util_now_ms();
	return c;
}

/* The HTTP/2 session on a connected stream; -1 when out of memory. */
static int
conn_start(struct h2_conn *c, struct bufferevent *bev)
{
	nghttp2_session_callbacks *cbs = h2_callbacks();
	nghttp2_option		*opt;
	nghttp2_settings_entry	 set[5];
	struct bufferevent	*u;
	size_t			 n = 0;
	int			 rv;

	c->bev = bev;
	if (cbs == NULL || nghttp2_option_new(&opt) != 0)
		return -1;
	/* WINDOW_UPDATE only for what the sessions took (stream_out_cb). */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	/* Go's first SETTINGS, in its order, on either side. */
	if (c->ctx->server) {
		rv = nghttp2_session_server_new2(&c->ng, cbs, c, opt);
		set[n].settings_id = NGHTTP2_SETTINGS_MAX_FRAME_SIZE;
		set[n++].value = H2_MAX_FRAME;
		set[n].settings_id = NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS;
		set[n++].value = H2_MAX_STREAMS;
		set[n].settings_id = NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE;
		set[n++].value = H2_SERVER_HEADERS;
		set[n].settings_id = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
		set[n++].value = H2_SERVER_WINDOW;
	} else {
		rv = nghttp2_session_client_new2(&c->ng, cbs, c, opt);
		set[n].settings_id = NGHTTP2_SETTINGS_ENABLE_PUSH;
		set[n++].value = 0;
		set[n].settings_id = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
		set[n++].value = H2_CLIENT_WINDOW;
		set[n].settings_id = NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE;
		set[n++].value = H2_CLIENT_HEADERS;
	}
	nghttp2_option_del(opt);
	if (rv != 0)
		return -1;
	if (nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, set, n) != 0 ||
	    nghttp2_submit_window_update(c->ng, NGHTTP2_FLAG_NONE, 0,
	    H2_CONN_WINDOW) != 0)
		return -1;
	c->state = H2_OPEN;
	c->since_ms = util_now_ms();
	/*
	 * The TLS filter hands its output to the socket only below this
	 * mark, so its own output (send_cb's measure) fills and its write
	 * callback says when there is room again.
	 */
	if ((u = bufferevent_get_underlying(bev)) != NULL)
		bufferevent_setwatermark(u, EV_WRITE, 0, H2_SEND_HIWAT);
	bufferevent_setwatermark(bev, EV_WRITE, H2_SEND_HIWAT / 2, 0);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
	return 0;
}

/* ---- Server ---- */

/* X-Forwarded-For's first entry, if an IP (4.34 takes it as the source). */
static int
xff_addr(const char *v, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 buf[64];
	size_t			 n;

	while (*v == ' ' || *v == '\t')
		v++;
	snprintf(buf, sizeof(buf), "%s", v);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static void
layer_accept(struct transport_accept *a, void *arg)
{
	struct h2_ctx		*ctx = arg;
	struct bufferevent	*bev = transport_accept_top(a);
	const struct sockaddr	*sa;
	struct h2_conn		*c;
	socklen_t		 len;

	c = conn_new(ctx, bufferevent_get_base(bev));
	c->a = a;
	c->hooks = transport_accept_hooks(a);
	c->owner = transport_accept_owner(a);
	if ((sa = transport_accept_src(a, &len)) != NULL &&
	    len <= sizeof(c->src)) {
		memcpy(&c->src, sa, len);
		c->srclen = len;
	}
	LIST_INSERT_HEAD(&ctx->conns, c, entry);
	c->listed = true;
	transport_accept_set_state(a, c, conn_state_free);
	if (c->kick == NULL || c->tick == NULL || conn_start(c, bev) == -1)
		transport_accept_fail(a, "http2: out of memory");
}

/* ---- Client ---- */

static bool
addr_same(const struct net_addr *a, const struct net_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return memcmp(a->ip, b->ip, 4) == 0;
	if (a->family == AF_INET6)
		return memcmp(a->ip, b->ip, 16) == 0;
	return strcasecmp(a->domain, b->domain) == 0;
}

static void
stream_submit(struct h2_conn *c, struct h2_stream *s)
{
	nghttp2_data_provider	 prd;
	nghttp2_nv		 nv[6];
	char			 authority[NET_ADDRSTRLEN];
	int32_t			 id;

	s->c = c;
	/* Go's client: the request's Host, else the URL's host:port. */
	if (s->host[0] != '\0')
		snprintf(authority, sizeof(authority), "%s", s->host);
	else
		net_addr_str(&c->to, authority, sizeof(authority));
	nv_set(&nv[0], ":authority", authority);
	nv_set(&nv[1], ":method", "PUT");
	nv_set(&nv[2], ":path", c->ctx->path);
	nv_set(&nv[3], ":scheme", "https");
	nv_set(&nv[4], "accept-encoding", "identity");
	nv_set(&nv[5], "user-agent", "Go-http-client/2.0");
	prd.source.ptr = s;
	prd.read_callback = data_read_cb;
	LIST_INSERT_HEAD(&c->streams, s, entry);
	c->nstreams++;
	if ((id = nghttp2_submit_request(c->ng, NULL, nv, 6, &prd, s)) < 0) {
		stream_unanswered(c, s, NGHTTP2_INTERNAL_ERROR);
		return;
	}
	s->id = id;
	conn_kick(c);
}

static void
below_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s;
	const unsigned char	*p = NULL;
	unsigned int		 plen = 0;
	SSL			*ssl;

	c->below = NULL;
	if (bev == NULL) {
		snprintf(c->why, sizeof(c->why), "%s", err != NULL ? err :
		    "http2: cannot connect");
		conn_free(c, false);
		return;
	}
	/* Go's http2 client insists on h2, whatever else was offered. */
	if ((ssl = bufferevent_openssl_get_ssl(bev)) != NULL)
		SSL_get0_alpn_selected(ssl, &p, &plen);
	if (ssl != NULL && (plen != 2 || memcmp(p, "h2", 2) != 0)) {
		snprintf(c->why, sizeof(c->why), "http2: unexpected ALPN "
		    "protocol \"%.*s\"; want h2", (int)plen, p != NULL ?
		    (const char *)p : "");
		log_warn("%s", c->why);
		bufferevent_free(bev);
		conn_free(c, false);
		return;
	}
	if (conn_start(c, bev) == -1) {
		snprintf(c->why, sizeof(c->why), "http2: out of memory");
		conn_free(c, false);
		return;
	}
	while ((s = LIST_FIRST(&c->waiting)) != NULL) {
		LIST_REMOVE(s, entry);
		stream_submit(c, s);
	}
	conn_run(c);
}

/* A free stream on a pooled connection to the same place, or a new one. */
static void
pool_submit(struct h2_ctx *ctx, struct h2_stream *s)
{
	const struct net_addr	*to = transport_connect_to(s->tc);
	struct h2_conn		*c;

	LIST_FOREACH(c, &ctx->conns, entry) {
		if (c->state == H2_CLOSING || c->goaway ||
		    !addr_same(&c->to, to))
			continue;
		if (c->state == H2_CONNECTING) {
			s->c = c;
			LIST_INSERT_HEAD(&c->waiting, s, entry);
			return;
		}
		if (c->nstreams < nghttp2_session_get_remote_settings(c->ng,
		    NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) &&
		    nghttp2_session_check_request_allowed(c->ng)) {
			stream_submit(c, s);
			return;
		}
	}
	c = conn_new(ctx, transport_connect_base(s->tc));
	c->state = H2_CONNECTING;
	c->to = *to;
	LIST_INSERT_HEAD(&ctx->conns, c, entry);
	c->listed = true;
	s->c = c;
	LIST_INSERT_HEAD(&c->waiting, s, entry);
	c->below = transport_dial_below(s->tc, below_cb, c);
}

/* The dial was abandoned (transport_dial_cancel). */
static void
stream_cancel(void *arg)
{
	struct h2_stream	*s = arg;
	struct h2_conn		*c = s->c;

	s->tc = NULL;
	if (s->id == 0 || s->closed) {
		/* Waiting for a connection, or already out of nghttp2. */
		LIST_REMOVE(s, entry);
		s->c = NULL;
		stream_free(s);
		return;
	}
	/* Never handed: nobody else will free the app end. */
	if (s->app != NULL) {
		bufferevent_free(s->app);
		s->app = NULL;
	}
	s->app_gone = true;
	if (c->state == H2_OPEN)
		(void)nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE,
		    s->id, NGHTTP2_CANCEL);
	conn_kick(c);
}

static void
layer_dial(struct transport_connect *tc, void *arg)
{
	struct h2_ctx		*ctx = arg;
	const struct conf_strv	*h = &ctx->st->h2.host;
	struct h2_stream	*s = xcalloc(1, sizeof(*s));
	uint32_t		 r = 0;

	if (stream_pair(s, transport_connect_base(tc)) == -1) {
		free(s);
		transport_connect_fail(tc, "http2: out of memory");
		return;
	}
	/* 4.34: a random host of the list each request. */
	if (h->n > 1)
		(void)RAND_bytes((unsigned char *)&r, sizeof(r));
	s->host = h->n > 0 ? h->v[r % h->n] : H2_DEFAULT_HOST;
	s->tc = tc;
	transport_connect_set_state(tc, s, stream_cancel);
	pool_submit(ctx, s);
}

/* ---- The layer ---- */

static bool
layer_applies(const struct conf_stream *st, bool server)
{
	return st->network == CONF_NET_H2;
}

static int
layer_check(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	/* 4.34's server serves h2c without TLS; its client refuses. */
	if (!server && !st->tls) {
		snprintf(err, errlen, "network \"http\" (HTTP/2) needs "
		    "security \"tls\" on an outbound, as V2Ray 4.34 "
		    "refuses to dial it without");
		return -1;
	}
	return 0;
}

static void *
layer_new(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	struct h2_ctx	*ctx;
	const char	*p = st->h2.path;
	size_t		 n;

	if (layer_check(st, server, err, errlen) == -1)
		return NULL;
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->st = st;
	ctx->server = server;
	LIST_INIT(&ctx->conns);
	/* 4.34's getNormalizedPath: "/" when empty, a leading slash added. */
	if (p == NULL || *p == '\0')
		p = "/";
	n = strlen(p);
	ctx->path = xmalloc(n + 2);
	snprintf(ctx->path, n + 2, "%s%s", *p == '/' ? "" : "/", p);
	return ctx;
}

/* The inbound owner stopped listening (reload, stop, a retired port). */
static void
layer_quiesce(void *arg, void *owner)
{
	struct h2_ctx	*ctx = arg;
	struct h2_conn	*c;

	LIST_FOREACH(c, &ctx->conns, entry)
		if (c->owner == owner && !c->draining) {
			c->draining = true;
			conn_kick(c);
		}
}

static void
layer_free(void *arg)
{
	struct h2_ctx	*ctx = arg;
	struct h2_conn	*c;

	while ((c = LIST_FIRST(&ctx->conns)) != NULL) {
		if (c->a != NULL) {
			/* Its accepting session ends it (none is left when
			 * an engine frees its transports). */
			LIST_REMOVE(c, entry);
			c->listed = false;
			continue;
		}
		conn_free(c, true);
	}
	free(ctx->path);
	free(ctx);
}

const struct transport_layer h2_layer = {
	.name = "h2",
	.applies = layer_applies,
	.check = layer_check,
	.new = layer_new,
	.free = layer_free,
	.accept = layer_accept,
	.dial = layer_dial,
	.shutdown = stream_shutdown_pair,
	.quiesce = layer_quiesce,
};
