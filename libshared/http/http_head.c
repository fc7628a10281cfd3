/* SPDX-License-Identifier: MIT */
/*
 * http_head.c: HTTP/1.x request head parser, target, Basic credentials and
 * the origin-form rewrite for the HTTP proxy inbound. No I/O.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http_head.h"

static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The end of the line starting at p (index of '\n'), or -1. */
static ssize_t
line_end(const uint8_t *p, size_t n)
{
	const uint8_t	*e = memchr(p, '\n', n);

	return e == NULL ? -1 : e - p;
}

static int
parse_request_line(const uint8_t *p, size_t n, struct http_head *h)
{
	size_t	 i = 0, j;

	while (i < n && is_tchar(p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		return -1;
	h->method = (const char *)p;
	h->mlen = i;
	j = ++i;
	while (i < n && p[i] > ' ' && p[i] != 0x7f)
		i++;
	if (i == j || i >= n || p[i] != ' ')
		return -1;
	h->target = (const char *)p + j;
	h->tlen = i - j;
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 ||
	    p[i + 7] < '0' || p[i + 7] > '9')
		return -1;
	h->minor = p[i + 7] - '0';
	return 0;
}

/* HTTP/1.x SP 3DIGIT [SP reason]: the reason is not kept. */
static int
parse_status_line(const uint8_t *p, size_t n, struct http_head *h)
{
	size_t	 i;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' ||
	    p[7] > '9' || p[8] != ' ')
		return -1;
	h->minor = p[7] - '0';
	for (i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	if (n > 12 && p[12] != ' ')
		return -1;
	for (i = 12; i < n; i++)
		if ((p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f)
			return -1;
	h->target = (const char *)p + (n > 12 ? 13 : 12);
	h->tlen = n > 12 ? n - 13 : 0;
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	return 0;
}

static int
parse_field(const uint8_t *p, size_t n, struct http_field *f)
{
	size_t	 i = 0, b, e;

	while (i < n && is_tchar(p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ':')
		return -1;
	f->name = (const char *)p;
	f->nlen = i;
	b = i + 1;
	while (b < n && (p[b] == ' ' || p[b] == '\t'))
		b++;
	e = n;
	while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;
	for (i = b; i < e; i++)
		if ((p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f)
			return -1;
	f->value = (const char *)p + b;
	f->vlen = e - b;
	return 0;
}

static ssize_t
parse_head(const uint8_t *p, size_t n, struct http_head *h, bool response)
{
	size_t	 off = 0, len;
	ssize_t	 le;
	bool	 first = true;

	memset(h, 0, sizeof(*h));
	if (n > HTTP_HEAD_MAX)
		n = HTTP_HEAD_MAX;
	for (;;) {
		if ((le = line_end(p + off, n - off)) < 0) {
			if (n == HTTP_HEAD_MAX)
				return HTTP_HEAD_TOO_BIG;
			/* Reject a bad request line early when possible. */
			return HTTP_HEAD_MORE;
		}
		len = (size_t)le;
		if (len > 0 && p[off + len - 1] == '\r')
			len--;
		if (first) {
			if ((response ? parse_status_line(p + off, len, h) :
			    parse_request_line(p + off, len, h)) == -1)
				return HTTP_HEAD_BAD;
			first = false;
		} else if (len == 0) {
			h->len = off + (size_t)le + 1;
			return (ssize_t)h->len;
		} else {
			if (h->nfields == HTTP_HEAD_MAX_FIELDS)
				return HTTP_HEAD_TOO_BIG;
			if (parse_field(p + off, len, &h->f[h->nfields]) == -1)
				return HTTP_HEAD_BAD;
			h->nfields++;
		}
		off += (size_t)le + 1;
	}
}

ssize_t
http_head_parse(const uint8_t *p, size_t n, struct http_head *h)
{
	return parse_head(p, n, h, false);
}

ssize_t
http_response_parse(const uint8_t *p, size_t n, struct http_head *h)
{
	return parse_head(p, n, h, true);
}

const struct http_field *
http_head_get(const struct http_head *h, const char *name)
{
	size_t	 i, nl = strlen(name);

	for (i = 0; i < h->nfields; i++)
		if (h->f[i].nlen == nl &&
		    strncasecmp(h->f[i].name, name, nl) == 0)
			return &h->f[i];
	return NULL;
}

bool
http_head_is(const struct http_head *h, const char *method)
{
	return h->mlen == strlen(method) &&
	    memcmp(h->method, method, h->mlen) == 0;
}

int
http_authority_parse(const char *s, size_t n, uint16_t defport, char *host,
    size_t hostcap, uint16_t *port)
{
	const char	*hb, *he, *pp = NULL;
	size_t		 i, hl;
	unsigned long	 v = 0;

	if (n == 0)
		return -1;
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL)
			return -1;
		hb = s + 1;
		he = rb;
		if ((size_t)(rb - s) + 1 < n) {
			if (rb[1] != ':')
				return -1;
			pp = rb + 2;
		}
		for (const char *q = hb; q < he; q++)
			if (!(*q == ':' || *q == '.' || (*q >= '0' &&
			    *q <= '9') || (*q >= 'a' && *q <= 'f') ||
			    (*q >= 'A' && *q <= 'F')))
				return -1;
	} else {
		const char *c = memchr(s, ':', n);

		hb = s;
		he = c ? c : s + n;
		if (c != NULL)
			pp = c + 1;
		for (const char *q = hb; q < he; q++)
			if (!(is_tchar((unsigned char)*q) && *q != '|' &&
			    *q != '`' && *q != '^'))
				return -1;
	}
	hl = (size_t)(he - hb);
	if (hl == 0 || hl >= hostcap)
		return -1;
	if (pp != NULL) {
		size_t pl = (size_t)(s + n - pp);

		if (pl == 0 || pl > 5)
			return -1;
		for (i = 0; i < pl; i++) {
			if (pp[i] < '0' || pp[i] > '9')
				return -1;
			v = v * 10 + (unsigned long)(pp[i] - '0');
		}
		if (v == 0 || v > 65535)
			return -1;
		*port = (uint16_t)v;
	} else {
		if (defport == 0)
			return -1;
		*port = defport;
	}
	memcpy(host, hb, hl);
	host[hl] = '\0';
	return 0;
}

static void
set_authority(struct http_target *t, const char *s, size_t n)
{
	if (n >= sizeof(t->authority))
		n = sizeof(t->authority) - 1;
	memcpy(t->authority, s, n);
	t->authority[n] = '\0';
}

int
http_target_parse(const struct http_head *h, bool transparent,
    struct http_target *t)
{
	const char		*s = h->target, *a, *ae, *at;
	size_t			 n = h->tlen;
	uint16_t		 def;
	const struct http_field	*hf;

	memset(t, 0, sizeof(*t));
	if (http_head_is(h, "CONNECT")) {
		if (http_authority_parse(s, n, 0, t->host, sizeof(t->host),
		    &t->port) == -1)
			return -1;
		set_authority(t, s, n);
		t->absolute = true;
		return 0;
	}
	if (n >= 7 && strncasecmp(s, "http://", 7) == 0) {
		a = s + 7;
		def = 80;
	} else if (n >= 8 && strncasecmp(s, "https://", 8) == 0) {
		a = s + 8;
		def = 443;
	} else if (s[0] == '/' && transparent) {
		if ((hf = http_head_get(h, "Host")) == NULL ||
		    http_authority_parse(hf->value, hf->vlen, 80, t->host,
		    sizeof(t->host), &t->port) == -1)
			return -1;
		set_authority(t, hf->value, hf->vlen);
		t->path = s;
		t->plen = n;
		return 0;
	} else
		return -1;
	for (ae = a; ae < s + n && *ae != '/' && *ae != '?' && *ae != '#';
	    ae++)
		;
	/* Userinfo is not part of where to go. */
	for (at = ae; at > a && at[-1] != '@'; at--)
		;
	if (at > a)
		a = at;
	if (http_authority_parse(a, (size_t)(ae - a), def, t->host,
	    sizeof(t->host), &t->port) == -1)
		return -1;
	set_authority(t, a, (size_t)(ae - a));
	t->absolute = true;
	t->path = ae;
	t->plen = (size_t)(s + n - ae);
	if (t->plen > 0 && *ae == '#')
		t->plen = 0;
	return 0;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
http_basic_parse(const char *v, size_t n, char *user, size_t ucap,
    char *pass, size_t pcap)
{
	char		 buf[512];
	size_t		 i, o = 0, pad = 0, ul;
	unsigned	 acc = 0;
	int		 bits = 0, d;
	const char	*colon;

	if (n < 6 || memcmp(v, "Basic ", 6) != 0)
		return -1;
	v += 6;
	n -= 6;
	while (n > 0 && *v == ' ') {
		v++;
		n--;
	}
	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] == '=') {
			if (i + 2 < n || (i + 1 < n && v[i + 1] != '='))
				return -1;
			pad++;
			continue;
		}
		if ((d = b64val((unsigned char)v[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == sizeof(buf))
				return -1;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (pad > 2 || memchr(buf, '\0', o) != NULL ||
	    (colon = memchr(buf, ':', o)) == NULL)
		return -1;
	ul = (size_t)(colon - buf);
	if (ul >= ucap || o - ul - 1 >= pcap)
		return -1;
	memcpy(user, buf, ul);
	user[ul] = '\0';
	memcpy(pass, colon + 1, o - ul - 1);
	pass[o - ul - 1] = '\0';
	return 0;
}

static bool
name_is(const struct http_field *f, const char *name, size_t nl)
{
	return f->nlen == nl && strncasecmp(f->name, name, nl) == 0;
}

/* Does a Connection field's comma list name f? */
static bool
listed(const struct http_field *c, const struct http_field *f)
{
	const char	*p = c->value, *e = c->value + c->vlen, *b, *te;

	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		b = p;
		while (p < e && *p != ',')
			p++;
		te = p;
		while (te > b && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		if (te > b && name_is(f, b, (size_t)(te - b)))
			return true;
	}
	return false;
}

bool
http_field_is_hop(const struct http_head *h, const struct http_field *f)
{
	static const char *const hop[] = {
		"Proxy-Connection", "Proxy-Authenticate",
		"Proxy-Authorization", "Connection", "Keep-Alive", "TE",
		"Trailer", "Trailers", "Upgrade", NULL
	};
	size_t	 i;

	for (i = 0; hop[i] != NULL; i++)
		if (name_is(f, hop[i], strlen(hop[i])))
			return true;
	for (i = 0; i < h->nfields; i++)
		if (name_is(&h->f[i], "Connection", 10) &&
		    listed(&h->f[i], f))
			return true;
	return false;
}

/* Append n bytes; false when out of room. */
static bool
put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (n > cap - *o)
		return false;
	memcpy(out + *o, s, n);
	*o += n;
	return true;
}

/*
 * After the first line at out[0..o): every field but hop-by-hop ones (and
 * Host when asked), then tail. The whole length, or -1.
 */
static ssize_t
put_fields(const struct http_head *h, bool skip_host, const char *tail,
    char *out, size_t cap, size_t o)
{
	size_t	 i;

	for (i = 0; i < h->nfields; i++) {
		const struct http_field *f = &h->f[i];

		if ((skip_host && name_is(f, "Host", 4)) ||
		    http_field_is_hop(h, f))
			continue;
		if (!put(out, cap, &o, f->name, f->nlen) ||
		    !put(out, cap, &o, ": ", 2) ||
		    !put(out, cap, &o, f->value, f->vlen) ||
		    !put(out, cap, &o, "\r\n", 2))
			return -1;
	}
	if (!put(out, cap, &o, tail, strlen(tail)))
		return -1;
	return (ssize_t)o;
}

ssize_t
http_head_rewrite(const struct http_head *h, const struct http_target *t,
    char *out, size_t cap)
{
	size_t	 o = 0;
	char	 ver[16];

	snprintf(ver, sizeof(ver), " HTTP/1.%d\r\n", h->minor);
	if (!put(out, cap, &o, h->method, h->mlen) ||
	    !put(out, cap, &o, " ", 1) ||
	    !(t->plen == 0 || t->path[0] != '/' ? put(out, cap, &o, "/", 1) :
	    true) ||
	    (t->plen > 0 && !put(out, cap, &o, t->path, t->plen)) ||
	    !put(out, cap, &o, ver, strlen(ver)) ||
	    !put(out, cap, &o, "Host: ", 6) ||
	    !put(out, cap, &o, t->authority, strlen(t->authority)) ||
	    !put(out, cap, &o, "\r\n", 2))
		return -1;
	return put_fields(h, true, "Connection: close\r\n\r\n", out, cap, o);
}

ssize_t
http_response_rewrite(const struct http_head *h, bool keep, char *out,
    size_t cap)
{
	static const char	 ka[] = "Proxy-Connection: keep-alive\r\n"
				    "Connection: keep-alive\r\n"
				    "Keep-Alive: timeout=4\r\n\r\n";
	static const char	 cl[] = "Connection: close\r\n\r\n";
	size_t			 o = 0;
	char			 line[24];

	snprintf(line, sizeof(line), "HTTP/1.%d %03d", h->minor, h->status);
	if (!put(out, cap, &o, line, strlen(line)) ||
	    (h->tlen > 0 && (!put(out, cap, &o, " ", 1) ||
	    !put(out, cap, &o, h->target, h->tlen))) ||
	    !put(out, cap, &o, "\r\n", 2))
		return -1;
	return put_fields(h, false, keep ? ka : cl, out, cap, o);
}

int
http_content_length(const struct http_head *h, uint64_t *len)
{
	const struct http_field	*f;
	uint64_t		 v;
	size_t			 i, j;
	int			 seen = 0;

	for (i = 0; i < h->nfields; i++) {
		f = &h->f[i];
		if (!name_is(f, "Content-Length", 14))
			continue;
		if (f->vlen == 0 || f->vlen > 18)
			return -1;
		for (v = 0, j = 0; j < f->vlen; j++) {
			if (f->value[j] < '0' || f->value[j] > '9')
				return -1;
			v = v * 10 + (uint64_t)(f->value[j] - '0');
		}
		/* Repeated with another value: a smuggling attempt. */
		if (seen && v != *len)
			return -1;
		*len = v;
		seen = 1;
	}
	return seen;
}
