/* SPDX-License-Identifier: MIT */
/*
 * httphdr.c: tcpSettings.header type "http" as V2Ray 4.34 writes it
 * (transport/internet/headers/http): a client's first write is preceded
 * by an HTTP request header, a server's by a response header, each field
 * value picked at random among those configured; the server reads the
 * request header (up to 8 KiB) and checks its path before the proxy sees
 * a byte, and answers a bad one with 4.34's 400 or 404. The client skips
 * the response header without judging it, as 4.34 does.
 *
 * The layer is a bufferevent filter over the stream: its output filter
 * puts the header in front of the first bytes written, the client's
 * input filter drops the server's header. The server reads the request
 * during the transport handshake (refusals are "rejected" access lines).
 */
#include "transport/httphdr.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/util.h"
#include "conf/conf.h"
#include "crypto/vcrypto.h"
#include "transport/transport.h"

/* 4.34's defaults (infra/conf/transport_authenticators.go). */
static const char *const req_host[] = { "www.baidu.com", "www.bing.com" };
static const char *const req_ua[] = {
	"Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, "
	"like Gecko) Chrome/53.0.2785.143 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 10_0_2 like Mac OS X) "
	"AppleWebKit/601.1 (KHTML, like Gecko) CriOS/53.0.2785.109 "
	"Mobile/14A456 Safari/601.1.46"
};
static const char *const req_enc[] = { "gzip, deflate" };
static const char *const keep_alive[] = { "keep-alive" };
static const char *const no_cache[] = { "no-cache" };
static const char *const resp_type[] = { "application/octet-stream",
	"video/mpeg" };
static const char *const resp_te[] = { "chunked" };
static const char *const resp_cache[] = { "private", "no-cache" };
static const char *const close_[] = { "close" };
static const char *const private_[] = { "private" };
static const char *const zero[] = { "0" };

struct default_field {
	const char		*name;
	const char *const	*v;
	size_t			 n;
};

#define DF(name, v)	{ name, v, sizeof(v) / sizeof(*(v)) }
static const struct default_field req_def[] = {
	DF("Host", req_host), DF("User-Agent", req_ua),
	DF("Accept-Encoding", req_enc), DF("Connection", keep_alive),
	DF("Pragma", no_cache)
};
static const struct default_field resp_def[] = {
	DF("Content-Type", resp_type), DF("Transfer-Encoding", resp_te),
	DF("Connection", keep_alive), DF("Pragma", no_cache),
	DF("Cache-Control", resp_cache)
};
static const struct default_field refusal_def[] = {
	DF("Connection", close_), DF("Cache-Control", private_),
	DF("Content-Length", zero)
};

static const char *
pick(const char *const *v, size_t n)
{
	uint32_t	 r = 0;

	if (n == 0)
		return "";
	if (n > 1)
		(void)vcrypto_random(&r, sizeof(r));
	return v[r % n];
}

static void
fields_out(const struct conf_http_field *f, size_t nf,
    const struct default_field *d, size_t nd, struct evbuffer *out)
{
	size_t	 i;

	for (i = 0; i < nf; i++)
		evbuffer_add_printf(out, "%s: %s\r\n", f[i].name,
		    pick((const char *const *)f[i].values.v,
		    f[i].values.n));
	for (i = 0; nf == 0 && i < nd; i++)
		evbuffer_add_printf(out, "%s: %s\r\n", d[i].name,
		    pick(d[i].v, d[i].n));
}

static const char *
or_default(const char *s, const char *def)
{
	return s != NULL && *s != '\0' ? s : def;
}

void
httphdr_request(const struct conf_http_req *r, struct evbuffer *out)
{
	static const char *const slash[] = { "/" };
	const char	*path;

	path = r != NULL && r->path.n > 0 ?
	    pick((const char *const *)r->path.v, r->path.n) : slash[0];
	evbuffer_add_printf(out, "%s %s HTTP/%s\r\n",
	    or_default(r != NULL ? r->method : NULL, "GET"), path,
	    or_default(r != NULL ? r->version : NULL, "1.1"));
	fields_out(r != NULL ? r->fields : NULL, r != NULL ? r->nfields : 0,
	    req_def, sizeof(req_def) / sizeof(*req_def), out);
	evbuffer_add(out, "\r\n", 2);
}

void
httphdr_request_defaults(struct conf_http_req *r)
{
	struct conf_http_field	*f;
	size_t			 i, j;

	if (r->nfields > 0)
		return;
	for (i = 0; i < sizeof(req_def) / sizeof(*req_def); i++) {
		f = conf_http_field_get(&r->fields, &r->nfields, req_def[i].name);
		for (j = 0; j < req_def[i].n; j++)
			conf_strv_push(&f->values, req_def[i].v[j]);
	}
}

static void
date_out(time_t now, struct evbuffer *out)
{
	struct tm	 tm;
	char		 buf[64];

	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evbuffer_add_printf(out, "Date: %s\r\n", buf);
}

static bool
has_field(const struct conf_http_field *f, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(f[i].name, name) == 0)
			return true;
	return false;
}

void
httphdr_response(const struct conf_http_resp *r, time_t now,
    struct evbuffer *out)
{
	bool	 status = r != NULL && (r->status != NULL || r->reason != NULL);

	evbuffer_add_printf(out, "HTTP/%s %s %s\r\n",
	    or_default(r != NULL ? r->version : NULL, "1.1"),
	    status ? or_default(r->status, "200") : "200",
	    status ? or_default(r->reason, "OK") : "OK");
	fields_out(r != NULL ? r->fields : NULL, r != NULL ? r->nfields : 0,
	    resp_def, sizeof(resp_def) / sizeof(*resp_def), out);
	if (r == NULL || !has_field(r->fields, r->nfields, "Date"))
		date_out(now, out);
	evbuffer_add(out, "\r\n", 2);
}

void
httphdr_refusal(int code, time_t now, struct evbuffer *out)
{
	evbuffer_add_printf(out, "HTTP/1.1 %s\r\n", code == 404 ?
	    "404 Not Found" : "400 Bad Request");
	fields_out(NULL, 0, refusal_def, sizeof(refusal_def) /
	    sizeof(*refusal_def), out);
	date_out(now, out);
	evbuffer_add(out, "\r\n", 2);
}

/* ---- The server's check, as Go's net/http reads a request ---- */

static bool
is_tchar(int c)
{
	return c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", c) ==
	    NULL;
}

/* Go's ParseHTTPVersion: "HTTP/" major "." minor. */
static bool
version_ok(const char *s, size_t n)
{
	size_t	 i = 5, d;

	if (n < 8 || memcmp(s, "HTTP/", 5) != 0)
		return false;
	for (d = 0; i < n && isdigit((unsigned char)s[i]); i++)
		d++;
	if (d == 0 || d > 6 || i == n || s[i++] != '.')
		return false;
	for (d = 0; i < n && isdigit((unsigned char)s[i]); i++)
		d++;
	return d > 0 && d < 7 && i == n;
}

/*
 * The request target's path as Go's url.ParseRequestURI gives it: query
 * cut, %XX decoded; "" for an authority (CONNECT) or an opaque URI.
 * Returns its length in out, or -1 when Go would refuse the target.
 */
static ssize_t
target_path(const char *u, size_t n, bool connect, char *out, size_t cap)
{
	size_t	 i = 0, o = 0, end;
	int	 h, l;

	if (n == 0)
		return -1;
	if (n == 1 && u[0] == '*') {
		out[0] = '*';
		return 1;
	}
	if (u[0] != '/') {
		if (connect)
			return 0;
		/* scheme ":" ... ; "//" authority, then the path. */
		if (!isalpha((unsigned char)u[0]))
			return -1;
		for (i = 1; i < n && (isalnum((unsigned char)u[i]) ||
		    u[i] == '+' || u[i] == '-' || u[i] == '.'); i++)
			;
		if (i == n || u[i] != ':')
			return -1;
		i++;
		if (n - i < 2 || u[i] != '/' || u[i + 1] != '/')
			return 0;
		for (i += 2; i < n && u[i] != '/' && u[i] != '?'; i++)
			;
	}
	for (end = i; end < n && u[end] != '?'; end++)
		;
	for (; i < end; i++) {
		if (o + 1 >= cap)
			return -1;
		if (u[i] != '%') {
			out[o++] = u[i];
			continue;
		}
		if (i + 2 >= end ||
		    (h = util_hexval((unsigned char)u[i + 1])) == -1 ||
		    (l = util_hexval((unsigned char)u[i + 2])) == -1)
			return -1;
		out[o++] = (char)(h << 4 | l);
		i += 2;
	}
	return (ssize_t)o;
}

/* "METHOD TARGET VERSION": the path into out; -1 when malformed. */
static ssize_t
request_line(const char *s, size_t n, char *out, size_t cap)
{
	const char	*s1, *s2;
	size_t		 i;

	if ((s1 = memchr(s, ' ', n)) == NULL || (s2 = memchr(s1 + 1, ' ',
	    n - (size_t)(s1 + 1 - s))) == NULL || s1 == s)
		return -1;
	for (i = 0; s + i < s1; i++)
		if (!is_tchar((unsigned char)s[i]))
			return -1;
	if (!version_ok(s2 + 1, n - (size_t)(s2 + 1 - s)))
		return -1;
	return target_path(s1 + 1, (size_t)(s2 - s1 - 1), s1 - s == 7 &&
	    memcmp(s, "CONNECT", 7) == 0, out, cap);
}

static bool
value_is(const char *v, size_t n, const char *want)
{
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == strlen(want) && strncasecmp(v, want, n) == 0;
}

static bool
digits(const char *v, size_t n)
{
	size_t	 i, d = 0;

	for (i = 0; i < n; i++)
		if (isdigit((unsigned char)v[i]))
			d++;
		else if (v[i] != ' ' && v[i] != '\t')
			return false;
	return d > 0;
}

/* The fields: "name: value" lines, continuations, framing Go checks. */
static bool
fields_ok(const char *s, size_t n)
{
	const char	*line, *nl, *colon;
	size_t		 len, klen;
	bool		 first = true;

	for (line = s; line < s + n; line = nl + 1, first = false) {
		nl = memchr(line, '\n', (size_t)(s + n - line));
		if (nl == NULL)
			nl = s + n;
		len = (size_t)(nl - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			if (first)
				return false;
			continue;
		}
		if ((colon = memchr(line, ':', len)) == NULL)
			return false;
		for (klen = (size_t)(colon - line); klen > 0 &&
		    line[klen - 1] == ' '; klen--)
			;
		len -= (size_t)(colon + 1 - line);
		if (klen == 17 && strncasecmp(line, "Transfer-Encoding",
		    17) == 0 && !value_is(colon + 1, len, "chunked"))
			return false;
		if (klen == 14 && strncasecmp(line, "Content-Length", 14) ==
		    0 && !digits(colon + 1, len))
			return false;
	}
	return true;
}

ssize_t
httphdr_check_request(const uint8_t *p, size_t n,
    const struct conf_http_req *r)
{
	const char	*s = (const char *)p, *nl;
	char		 path[HTTPHDR_MAX];
	size_t		 m = n < HTTPHDR_MAX ? n : HTTPHDR_MAX, i, end, l1;
	ssize_t		 plen;

	for (end = 0; end + 4 <= m; end++)
		if (memcmp(s + end, "\r\n\r\n", 4) == 0)
			break;
	/* A first line that is complete is judged at once, as 4.34 does. */
	if ((nl = memchr(s, '\n', end + 4 <= m ? end : m)) == NULL) {
		if (end + 4 > m)
			return n >= HTTPHDR_MAX ? HTTPHDR_TOO_LONG :
			    HTTPHDR_MORE;
		nl = s + end;
	}
	l1 = (size_t)(nl - s);
	if (l1 > 0 && s[l1 - 1] == '\r')
		l1--;
	if ((plen = request_line(s, l1, path, sizeof(path))) < 0)
		return HTTPHDR_BAD;
	if (end + 4 > m)
		return n >= HTTPHDR_MAX ? HTTPHDR_TOO_LONG : HTTPHDR_MORE;
	if (nl < s + end && !fields_ok(nl + 1, (size_t)(s + end + 2 -
	    (nl + 1))))
		return HTTPHDR_BAD;
	if (r == NULL || r->path.n == 0)
		return plen == 1 && path[0] == '/' ? (ssize_t)end + 4 :
		    HTTPHDR_NOT_FOUND;
	for (i = 0; i < r->path.n; i++)
		if (strlen(r->path.v[i]) == (size_t)plen &&
		    memcmp(r->path.v[i], path, (size_t)plen) == 0)
			return (ssize_t)end + 4;
	return HTTPHDR_NOT_FOUND;
}

/* ---- The layer ---- */

struct hh_ctx {
	const struct conf_tcp	*tcp;
};

/* One disguised stream. */
struct hh_stream {
	const struct conf_tcp	*tcp;
	bool			 server;
	bool			 sent;		/* our header went out */
	bool			 got;		/* client: theirs was read */
	struct bufferevent	*self, *below;
};

/*
 * Write text to bev and on to the socket now: the connection is closed
 * right after, and a socket bufferevent only writes from the loop. Each
 * filter below passes what it is given on at once (their output
 * callbacks), so only the socket at the bottom needs a push.
 */
static void
send_now(struct bufferevent *bev, struct evbuffer *text)
{
	struct bufferevent	*u;
	struct evbuffer		*o;
	evutil_socket_t		 fd;

	evbuffer_add_buffer(bufferevent_get_output(bev), text);
	while ((u = bufferevent_get_underlying(bev)) != NULL)
		bev = u;
	if ((fd = bufferevent_getfd(bev)) < 0)
		return;
	o = bufferevent_get_output(bev);
	evbuffer_unfreeze(o, 1);
	(void)evbuffer_write(o, fd);
	evbuffer_freeze(o, 1);
}

static enum bufferevent_filter_result
out_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct hh_stream	*h = arg;
	struct evbuffer		*t;
	size_t			 n;

	if (!h->sent && evbuffer_get_length(src) > 0 &&
	    (t = evbuffer_new()) != NULL) {
		h->sent = true;
		if (h->server)
			httphdr_response(&h->tcp->resp, time(NULL), t);
		else
			httphdr_request(&h->tcp->req, t);
		evbuffer_add_buffer(t, src);
		/*
		 * The header and the first bytes in one piece: TLS below
		 * makes a record of each piece, and 4.34 fails a header
		 * that does not come whole in the first record it reads.
		 */
		n = evbuffer_get_length(t);
		evbuffer_pullup(t, (ev_ssize_t)(n < 16384 ? n : 16384));
		evbuffer_add_buffer(dst, t);
		evbuffer_free(t);
	}
	evbuffer_add_buffer(dst, src);
	return BEV_OK;
}

/* Client: drop the response header, whatever it says (as 4.34). */
static enum bufferevent_filter_result
in_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct hh_stream	*h = arg;
	struct evbuffer_ptr	 pos;

	if (!h->got) {
		pos = evbuffer_search(src, "\r\n\r\n", 4, NULL);
		if (pos.pos < 0 || pos.pos + 4 > HTTPHDR_MAX) {
			if (evbuffer_get_length(src) < HTTPHDR_MAX)
				return BEV_NEED_MORE;
			bufferevent_trigger_event(h->self, BEV_EVENT_READING |
			    BEV_EVENT_ERROR, BEV_TRIG_DEFER_CALLBACKS);
			return BEV_ERROR;
		}
		evbuffer_drain(src, (size_t)pos.pos + 4);
		h->got = true;
	}
	evbuffer_add_buffer(dst, src);
	return BEV_OK;
}

/*
 * Freed with the stream. A server that never answered closes as 4.34's
 * does, with a 400 (a refused VMess request, a blocked destination): the
 * streams below are still open here (the filter holds them until after
 * this), and a TLS one seals what it is given at once.
 */
static void
stream_free(void *arg)
{
	struct hh_stream	*h = arg;
	struct evbuffer		*b;

	if (h->server && !h->sent && h->below != NULL &&
	    (b = evbuffer_new()) != NULL) {
		httphdr_refusal(400, time(NULL), b);
		send_now(h->below, b);
		evbuffer_free(b);
	}
	free(h);
}

static void
placeholder_read_cb(struct bufferevent *bev, void *arg)
{
	/* Until the next layer or the proxy sets its own. */
}

static struct bufferevent *
wrap(struct bufferevent *bev, const struct conf_tcp *tcp, bool server)
{
	struct hh_stream	*h = xcalloc(1, sizeof(*h));
	struct bufferevent	*fb;

	h->tcp = tcp;
	h->server = server;
	h->below = bev;
	/*
	 * Deferred callbacks: a filter otherwise calls the relay's write
	 * callback from inside the write that drained it (the relay's
	 * half-close writes its end marker and may end the session there).
	 */
	fb = bufferevent_filter_new(bev, server ? NULL : in_filter,
	    out_filter, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS,
	    stream_free, h);
	if (fb == NULL) {
		free(h);
		return NULL;
	}
	h->self = fb;
	return fb;
}

struct hh_accept {
	struct transport_accept	*a;
	struct hh_ctx		*ctx;
};

static void
accept_fail(struct transport_accept *a, struct bufferevent *bev, int code,
    const char *why)
{
	struct evbuffer	*b;

	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if (code != 0 && (b = evbuffer_new()) != NULL) {
		httphdr_refusal(code, time(NULL), b);
		send_now(bev, b);
		evbuffer_free(b);
	}
	transport_accept_fail(a, why);
}

static void
accept_read_cb(struct bufferevent *bev, void *arg)
{
	struct hh_accept	*st = arg;
	struct transport_accept	*a = st->a;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct bufferevent	*fb;
	size_t			 n = evbuffer_get_length(in);
	ssize_t			 r;

	if (n > HTTPHDR_MAX)
		n = HTTPHDR_MAX;
	r = httphdr_check_request(evbuffer_pullup(in, (ev_ssize_t)n), n,
	    &st->ctx->tcp->req);
	switch (r) {
	case HTTPHDR_MORE:
		return;
	case HTTPHDR_BAD:
		accept_fail(a, bev, 400, "http header: not an HTTP request");
		return;
	case HTTPHDR_NOT_FOUND:
		accept_fail(a, bev, 404, "http header: path not configured");
		return;
	case HTTPHDR_TOO_LONG:
		accept_fail(a, bev, 400, "http header: request header over "
		    "8192 bytes");
		return;
	}
	evbuffer_drain(in, (size_t)r);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if ((fb = wrap(bev, st->ctx->tcp, true)) == NULL) {
		accept_fail(a, bev, 0, "http header: out of memory");
		return;
	}
	bufferevent_setcb(fb, placeholder_read_cb, NULL, NULL, NULL);
	bufferevent_enable(fb, EV_READ | EV_WRITE);
	/* The payload that came with the header: through the filter. */
	if (evbuffer_get_length(in) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
	transport_accept_done(a, fb);
}

static void
accept_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct hh_accept	*st = arg;

	/* 4.34 answers a request cut short with a 400 too. */
	accept_fail(st->a, bev, 400, "http header: the connection ended "
	    "before the request header");
}

static void
layer_accept(struct transport_accept *a, void *arg)
{
	struct bufferevent	*bev = transport_accept_top(a);
	struct hh_accept	*st = xcalloc(1, sizeof(*st));

	st->a = a;
	st->ctx = arg;
	transport_accept_set_state(a, st, free);
	bufferevent_setcb(bev, accept_read_cb, NULL, accept_event_cb, st);
	bufferevent_enable(bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
}

static void
layer_connect(struct transport_connect *c, void *arg)
{
	struct hh_ctx		*ctx = arg;
	struct bufferevent	*fb;

	if ((fb = wrap(transport_connect_top(c), ctx->tcp, false)) == NULL) {
		transport_connect_fail(c, "http header: out of memory");
		return;
	}
	transport_connect_done(c, fb);
}

static bool
layer_applies(const struct conf_stream *st, bool server)
{
	return st->network == CONF_NET_TCP && st->tcp.http_header;
}

static void *
layer_new(const struct conf_stream *st, bool server, char *err,
    size_t errlen)
{
	struct hh_ctx	*ctx = xcalloc(1, sizeof(*ctx));

	ctx->tcp = &st->tcp;
	return ctx;
}

/*
 * 4.34's disguised connection cannot half-close (its wrapper has no
 * CloseWrite): the VMess end marker ends each direction, as over TLS.
 */
const struct transport_layer httphdr_layer = {
	.name = "http",
	.applies = layer_applies,
	.new = layer_new,
	.free = free,
	.accept = layer_accept,
	.connect = layer_connect,
	.shutdown = stream_shutdown_none,
};
