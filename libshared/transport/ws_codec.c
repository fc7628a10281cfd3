/* SPDX-License-Identifier: MIT */
/*
 * ws_codec.c: RFC 6455 frames and the upgrade handshake's checks, over
 * byte spans only. The payload is never gathered: a data frame's bytes
 * are unmasked where they lie and passed on as they arrive, so a frame of
 * any size costs no buffer of its size.
 */
#include "transport/ws_codec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base/util.h"

void
ws_rd_init(struct ws_rd *r, bool server)
{
	memset(r, 0, sizeof(*r));
	r->server = server;
}

bool
ws_rd_is_control(const struct ws_rd *r)
{
	return (r->h.op & 0x8) != 0;
}

int
ws_rd_header(struct ws_rd *r, const uint8_t *p, size_t n, const char **why)
{
	struct ws_hdr	 h;
	size_t		 need = 2, i;
	uint8_t		 l7;

	if (n < 2)
		return 0;
	memset(&h, 0, sizeof(h));
	h.fin = (p[0] & 0x80) != 0;
	h.op = p[0] & 0x0f;
	h.masked = (p[1] & 0x80) != 0;
	l7 = p[1] & 0x7f;
	if (l7 == 126)
		need += 2;
	else if (l7 == 127)
		need += 8;
	if (h.masked)
		need += 4;
	if (n < need)
		return 0;
	if (l7 == 126)
		h.len = (uint64_t)p[2] << 8 | p[3];
	else if (l7 == 127) {
		for (i = 0; i < 8; i++)
			h.len = h.len << 8 | p[2 + i];
	} else
		h.len = l7;
	if (h.masked)
		memcpy(h.key, p + need - 4, 4);
	/* No extension is ever negotiated, so no RSV bit may be set. */
	if (p[0] & 0x70) {
		*why = "reserved bits set";
		return -1;
	}
	if (l7 == 127 && (h.len >> 63) != 0) {
		*why = "frame length over 2^63";
		return -1;
	}
	if (h.masked != r->server) {
		*why = "bad MASK";
		return -1;
	}
	switch (h.op) {
	case WS_OP_CONT:
		if (!r->in_msg) {
			*why = "continuation frame outside a message";
			return -1;
		}
		break;
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		if (r->in_msg) {
			*why = "new message inside a fragmented one";
			return -1;
		}
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!h.fin || h.len > WS_CTL_MAX) {
			*why = "fragmented or oversized control frame";
			return -1;
		}
		break;
	default:
		*why = "unknown opcode";
		return -1;
	}
	if (!(h.op & 0x8))
		r->in_msg = !h.fin;
	r->h = h;
	r->left = h.len;
	r->off = 0;
	r->nctl = 0;
	r->in_frame = h.len > 0;
	return (int)need;
}

size_t
ws_rd_take(struct ws_rd *r, uint8_t *p, size_t n)
{
	size_t	 k;

	if (!r->in_frame)
		return 0;
	k = (uint64_t)n < r->left ? n : (size_t)r->left;
	if (ws_rd_is_control(r)) {
		if (r->h.masked)
			ws_mask_copy(r->ctl + r->nctl, p, k, r->h.key, r->off);
		else
			memcpy(r->ctl + r->nctl, p, k);
		r->nctl += k;
	} else if (r->h.masked)
		ws_mask(p, k, r->h.key, r->off);
	r->off += k;
	r->left -= k;
	r->in_frame = r->left > 0;
	return k;
}

uint16_t
ws_close_code(const struct ws_rd *r)
{
	if (r->nctl < 2)
		return 1005;
	return (uint16_t)(r->ctl[0] << 8 | r->ctl[1]);
}

size_t
ws_hdr_build(uint8_t *out, uint8_t op, bool fin, uint64_t len,
    const uint8_t *key)
{
	size_t	 n = 2;
	int	 i;

	out[0] = (fin ? 0x80 : 0) | (op & 0x0f);
	if (len < 126)
		out[1] = (uint8_t)len;
	else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] = 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (key != NULL) {
		out[1] |= 0x80;
		memcpy(out + n, key, 4);
		n += 4;
	}
	return n;
}

/* The key as 8 bytes in phase with payload offset off. */
static uint64_t
key8(const uint8_t key[4], uint64_t off, uint8_t k[8])
{
	uint64_t	 kk;
	int		 i;

	for (i = 0; i < 8; i++)
		k[i] = key[(off + i) & 3];
	memcpy(&kk, k, 8);
	return kk;
}

void
ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t off)
{
	uint8_t		 k[8];
	uint64_t	 kk = key8(key, off, k), w;
	size_t		 i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		w ^= kk;
		memcpy(p + i, &w, 8);
	}
	for (; i < n; i++)
		p[i] ^= k[i & 7];
}

void
ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t n,
    const uint8_t key[4], uint64_t off)
{
	uint8_t		 k[8];
	uint64_t	 kk = key8(key, off, k), w;
	size_t		 i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, src + i, 8);
		w ^= kk;
		memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++)
		dst[i] = src[i] ^ k[i & 7];
}

void
ws_accept_for(const char *key, size_t keylen, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char	 md[20];
	char		 in[256 + sizeof(guid)];
	unsigned int	 mdlen = 0;

	if (keylen > 256)
		keylen = 256;
	memcpy(in, key, keylen);
	memcpy(in + keylen, guid, sizeof(guid) - 1);
	if (EVP_Digest(in, keylen + sizeof(guid) - 1, md, &mdlen, EVP_sha1(),
	    NULL) != 1 || mdlen != sizeof(md)) {
		out[0] = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
}

bool
ws_token_in(const char *v, size_t vlen, const char *token)
{
	size_t	 tl = strlen(token), i = 0, s, e;

	while (i < vlen) {
		while (i < vlen && (v[i] == ' ' || v[i] == '\t' ||
		    v[i] == ','))
			i++;
		s = i;
		while (i < vlen && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
			return true;
	}
	return false;
}

/* The end of the head (after its blank line) in p[0..n), or 0. */
static size_t
head_end(const uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* One line of p[*i..end) without its CR LF; advances *i. */
static size_t
next_line(const uint8_t *p, size_t end, size_t *i, const char **line)
{
	size_t	 s = *i, e;

	while (*i < end && p[*i] != '\n')
		(*i)++;
	e = *i;
	if (*i < end)
		(*i)++;
	if (e > s && p[e - 1] == '\r')
		e--;
	*line = (const char *)p + s;
	return e - s;
}

ssize_t
ws_response_check(const uint8_t *p, size_t n, size_t max, const char *accept,
    char *why, size_t whylen)
{
	const char	*l, *c, *v;
	size_t		 end, i = 0, ll, nl, vl;
	bool		 up = false, conn = false, acc = false;

	if ((end = head_end(p, n < max ? n : max)) == 0) {
		if (n < max)
			return 0;
		snprintf(why, whylen, "websocket: the server's answer has no "
		    "end in %zu bytes", max);
		return -1;
	}
	ll = next_line(p, end, &i, &l);
	if (ll < 12 || strncmp(l, "HTTP/1.", 7) != 0 || l[8] != ' ' ||
	    strncmp(l + 9, "101", 3) != 0 || (ll > 12 && l[12] != ' ')) {
		for (vl = 0; vl < ll && vl < 80; vl++)
			if (!isprint((unsigned char)l[vl]))
				break;
		snprintf(why, whylen, "websocket: the server answered \"%.*s\" "
		    "instead of 101 Switching Protocols", (int)vl, l);
		return -1;
	}
	while ((ll = next_line(p, end, &i, &l)) > 0) {
		if ((c = memchr(l, ':', ll)) == NULL)
			continue;
		nl = (size_t)(c - l);
		v = c + 1;
		vl = ll - nl - 1;
		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (nl == 7 && strncasecmp(l, "Upgrade", 7) == 0)
			up = up || ws_token_in(v, vl, "websocket");
		else if (nl == 10 && strncasecmp(l, "Connection", 10) == 0)
			conn = conn || ws_token_in(v, vl, "upgrade");
		else if (nl == 20 && strncasecmp(l, "Sec-WebSocket-Accept",
		    20) == 0)
			acc = vl == strlen(accept) && memcmp(v, accept, vl) == 0;
	}
	if (!up || !conn) {
		snprintf(why, whylen, "websocket: the server's 101 lacks "
		    "Upgrade: websocket or Connection: upgrade");
		return -1;
	}
	if (!acc) {
		snprintf(why, whylen, "websocket: the server's "
		    "Sec-WebSocket-Accept does not match the key");
		return -1;
	}
	return (ssize_t)end;
}

int
ws_target_path(const char *t, size_t tlen, char *out, size_t cap)
{
	size_t	 i = 0, o = 0, e;
	int	 hi, lo;

	if (cap == 0)
		return -1;
	if (tlen >= 7 && strncasecmp(t, "http://", 7) == 0)
		i = 7;
	else if (tlen >= 8 && strncasecmp(t, "https://", 8) == 0)
		i = 8;
	if (i > 0) {
		while (i < tlen && t[i] != '/' && t[i] != '?')
			i++;
	} else if (tlen == 0 || t[0] != '/')
		return -1;
	for (e = i; e < tlen && t[e] != '?'; e++)
		;
	for (; i < e; i++) {
		char	 ch = t[i];

		if (ch == '%') {
			if (i + 2 >= e)
				return -1;
			if ((hi = util_hexval(t[i + 1])) < 0 ||
			    (lo = util_hexval(t[i + 2])) < 0)
				return -1;
			ch = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}
