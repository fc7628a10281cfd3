/* SPDX-License-Identifier: MIT */
/*
 * mux_frame.c: Mux.Cool frame codec with V2Ray 4.34's acceptance rules
 * (common/mux/frame.go, common/protocol/address.go).
 *
 *   frame     L(2) META(L) [N(2) DATA(N) when option has D]
 *   META      ID(2) STATUS(1) OPTION(1) [NEW-META | ignored bytes]
 *   NEW-META  NETWORK(1) PORT(2) ATYP(1) ADDR [ignored bytes]
 *   ADDR      01 IPv4(4) | 02 LEN NAME(LEN) | 03 IPv6(16)
 */
#include "mux/mux_frame.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

static uint16_t
mux_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
mux_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool
mux_is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static bool
mux_valid_domain(const uint8_t *d, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!mux_is_alnum(d[i]) && d[i] != '-' && d[i] != '.' &&
		    d[i] != '_')
			return false;
	return true;
}

/*
 * Length of the Unicode white space (Go's unicode.IsSpace) that starts at
 * p, or that ends at p + n when at_end; 0 if there is none.
 */
static size_t
mux_space_len(const uint8_t *p, size_t n, bool at_end)
{
	static const uint8_t	 spaces[][3] = {
		{ 0xc2, 0x85 }, { 0xc2, 0xa0 }, { 0xe1, 0x9a, 0x80 },
		{ 0xe2, 0x80, 0x80 }, { 0xe2, 0x80, 0x81 },
		{ 0xe2, 0x80, 0x82 }, { 0xe2, 0x80, 0x83 },
		{ 0xe2, 0x80, 0x84 }, { 0xe2, 0x80, 0x85 },
		{ 0xe2, 0x80, 0x86 }, { 0xe2, 0x80, 0x87 },
		{ 0xe2, 0x80, 0x88 }, { 0xe2, 0x80, 0x89 },
		{ 0xe2, 0x80, 0x8a }, { 0xe2, 0x80, 0xa8 },
		{ 0xe2, 0x80, 0xa9 }, { 0xe2, 0x80, 0xaf },
		{ 0xe2, 0x81, 0x9f }, { 0xe3, 0x80, 0x80 },
	};
	const uint8_t		*s;
	size_t			 i, k;
	uint8_t			 c;

	if (n == 0)
		return 0;
	c = at_end ? p[n - 1] : p[0];
	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return 1;
	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		k = spaces[i][0] == 0xc2 ? 2 : 3;
		if (n < k)
			continue;
		s = at_end ? p + n - k : p;
		if (memcmp(s, spaces[i], k) == 0)
			return k;
	}
	return 0;
}

/*
 * Go's net.ParseAddress as used on a wire domain: strip "[...]", trim white
 * space when either end is not alphanumeric, then ParseIP. inet_pton stands
 * in for ParseIP; both reject IPv4 octets with leading zeros and zones.
 * Returns true and fills a when the string is an IP.
 */
static bool
mux_domain_as_ip(const uint8_t *d, size_t n, struct mux_addr *a)
{
	char	 s[MUX_DOMAIN_MAX + 1];
	size_t	 k;

	if (n >= 2 && d[0] == '[' && d[n - 1] == ']') {
		d++;
		n -= 2;
	}
	if (n > 0 && (!mux_is_alnum(d[0]) || !mux_is_alnum(d[n - 1]))) {
		while ((k = mux_space_len(d, n, false)) > 0) {
			d += k;
			n -= k;
		}
		while ((k = mux_space_len(d, n, true)) > 0)
			n -= k;
	}
	if (n == 0 || n > MUX_DOMAIN_MAX || memchr(d, '\0', n) != NULL)
		return false;
	memcpy(s, d, n);
	s[n] = '\0';
	if (inet_pton(AF_INET, s, a->ip) == 1) {
		a->type = MUX_ADDR_IPV4;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->ip) == 1) {
		a->type = MUX_ADDR_IPV6;
		return true;
	}
	return false;
}

/* An IPv6 address ::ffff:a.b.c.d becomes the IPv4 a.b.c.d (Go IPAddress). */
static void
mux_unmap_v4(struct mux_addr *a)
{
	static const uint8_t	 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
				    0, 0, 0xff, 0xff };

	if (a->type == MUX_ADDR_IPV6 && memcmp(a->ip, prefix, 12) == 0) {
		memmove(a->ip, a->ip + 12, 4);
		memset(a->ip + 4, 0, 12);
		a->type = MUX_ADDR_IPV4;
	}
}

/*
 * NEW-META starting at the network byte; m/n span the metadata after the
 * option byte. Returns the bytes parsed or -1.
 */
static ssize_t
mux_new_decode(const uint8_t *m, size_t n, struct mux_frame *out,
    const char **errstr)
{
	size_t	 used, dlen;

	/* 4.34 checks L >= 8 before it reads the address. */
	if (n < MUX_MIN_META_NEW - MUX_MIN_META) {
		*errstr = "New metadata shorter than 8 bytes";
		return -1;
	}
	out->network = m[0];
	out->port = mux_be16(m + 1);
	out->addr.type = m[3];
	used = 4;
	switch (m[3]) {
	case MUX_ADDR_IPV4:
		if (n < used + 4)
			goto truncated;
		memcpy(out->addr.ip, m + used, 4);
		used += 4;
		break;
	case MUX_ADDR_IPV6:
		if (n < used + 16)
			goto truncated;
		memcpy(out->addr.ip, m + used, 16);
		used += 16;
		mux_unmap_v4(&out->addr);
		break;
	case MUX_ADDR_DOMAIN:
		if (n < used + 1)
			goto truncated;
		dlen = m[used++];
		if (n < used + dlen)
			goto truncated;
		/*
		 * 4.34 turns a zero length into the 4 bytes before it, which
		 * always hold the invalid type byte 02: always an error.
		 */
		if (dlen == 0) {
			*errstr = "empty domain name";
			return -1;
		}
		if ((m[used] == '[' || (m[used] >= '0' && m[used] <= '9')) &&
		    mux_domain_as_ip(m + used, dlen, &out->addr)) {
			mux_unmap_v4(&out->addr);
		} else if (!mux_valid_domain(m + used, dlen)) {
			*errstr = "invalid domain name";
			return -1;
		} else {
			memcpy(out->addr.domain, m + used, dlen);
			out->addr.domain[dlen] = '\0';
		}
		used += dlen;
		break;
	default:
		*errstr = "unknown address type";
		return -1;
	}
	if (out->network != MUX_NET_TCP && out->network != MUX_NET_UDP) {
		*errstr = "unknown network type";
		return -1;
	}
	return (ssize_t)used;
 truncated:
	*errstr = "New address runs past the metadata";
	return -1;
}

ssize_t
mux_frame_decode(const uint8_t *p, size_t len, struct mux_frame *out,
    const char **errstr)
{
	const uint8_t	*m;
	size_t		 mlen, off, dlen;
	ssize_t		 r;

	if (len < 2)
		return 0;
	mlen = mux_be16(p);
	if (mlen > MUX_MAX_META) {
		*errstr = "metadata length over 512";
		return -1;
	}
	if (mlen < MUX_MIN_META) {
		*errstr = "metadata shorter than 4 bytes";
		return -1;
	}
	if (len < 2 + mlen)
		return 0;

	memset(out, 0, sizeof(*out));
	m = p + 2;
	out->id = mux_be16(m);
	out->status = m[2];
	out->option = m[3];
	m += MUX_MIN_META;
	mlen -= MUX_MIN_META;
	switch (out->status) {
	case MUX_STATUS_NEW:
		if ((r = mux_new_decode(m, mlen, out, errstr)) == -1)
			return -1;
		m += r;
		mlen -= (size_t)r;
		break;
	case MUX_STATUS_KEEP:
	case MUX_STATUS_END:
	case MUX_STATUS_KEEPALIVE:
		break;
	default:
		*errstr = "unknown session status";
		return -1;
	}
	if (mlen > 0) {
		out->extra = m;
		out->extra_len = mlen;
	}

	off = (size_t)(m + mlen - p);
	if (out->option & MUX_OPT_DATA) {
		if (len < off + 2)
			return 0;
		dlen = mux_be16(p + off);
		off += 2;
		if (len - off < dlen)
			return 0;
		out->data = p + off;
		out->data_len = dlen;
		off += dlen;
	}
	return (ssize_t)off;
}

/* L ID STATUS OPTION; returns 6. The caller has checked cap. */
static size_t
mux_put_head(uint8_t *out, uint16_t mlen, uint16_t id, uint8_t status,
    uint8_t option)
{
	mux_put_be16(out, mlen);
	mux_put_be16(out + 2, id);
	out[4] = status;
	out[5] = option;
	return 6;
}

/* Appends N and the data at out + off; returns the new length or -1. */
static ssize_t
mux_put_data(uint8_t *out, size_t off, size_t cap, const uint8_t *data,
    size_t len)
{
	if (data == NULL)
		return (ssize_t)off;
	if (len > UINT16_MAX || cap - off < 2 || cap - off - 2 < len)
		return -1;
	mux_put_be16(out + off, (uint16_t)len);
	if (len > 0)
		memcpy(out + off + 2, data, len);
	return (ssize_t)(off + 2 + len);
}

ssize_t
mux_frame_encode_new(uint16_t id, uint8_t network, uint16_t port,
    const struct mux_addr *addr, const uint8_t *data, size_t len,
    uint8_t *out, size_t cap)
{
	size_t	 alen, dlen = 0, mlen, off;

	if (network != MUX_NET_TCP && network != MUX_NET_UDP)
		return -1;
	if (data == NULL && len != 0)
		return -1;
	switch (addr->type) {
	case MUX_ADDR_IPV4:
		alen = 4;
		break;
	case MUX_ADDR_IPV6:
		alen = 16;
		break;
	case MUX_ADDR_DOMAIN:
		dlen = strnlen(addr->domain, sizeof(addr->domain));
		if (dlen == 0 || dlen > MUX_DOMAIN_MAX)
			return -1;
		alen = 1 + dlen;
		break;
	default:
		return -1;
	}
	mlen = MUX_MIN_META + 1 + 2 + 1 + alen;
	if (cap < 2 + mlen)
		return -1;
	off = mux_put_head(out, (uint16_t)mlen, id, MUX_STATUS_NEW,
	    data != NULL ? MUX_OPT_DATA : 0);
	out[off++] = network;
	mux_put_be16(out + off, port);
	off += 2;
	out[off++] = addr->type;
	if (addr->type == MUX_ADDR_DOMAIN) {
		out[off++] = (uint8_t)dlen;
		memcpy(out + off, addr->domain, dlen);
		off += dlen;
	} else {
		memcpy(out + off, addr->ip, alen);
		off += alen;
	}
	return mux_put_data(out, off, cap, data, len);
}

ssize_t
mux_frame_encode_keep(uint16_t id, const uint8_t *data, size_t len,
    uint8_t *out, size_t cap)
{
	if ((data == NULL && len != 0) || cap < 6)
		return -1;
	mux_put_head(out, MUX_MIN_META, id, MUX_STATUS_KEEP,
	    data != NULL ? MUX_OPT_DATA : 0);
	return mux_put_data(out, 6, cap, data, len);
}

ssize_t
mux_frame_encode_keep_hdr(uint16_t id, size_t len, uint8_t *out, size_t cap)
{
	if (len > UINT16_MAX || cap < MUX_FRAME_KEEP_HDR_LEN)
		return -1;
	mux_put_head(out, MUX_MIN_META, id, MUX_STATUS_KEEP, MUX_OPT_DATA);
	mux_put_be16(out + 6, (uint16_t)len);
	return MUX_FRAME_KEEP_HDR_LEN;
}

bool
mux_frame_decode_keep_hdr(const uint8_t h[MUX_FRAME_KEEP_HDR_LEN],
    uint16_t *id, size_t *len)
{
	if (mux_be16(h) != MUX_MIN_META || h[4] != MUX_STATUS_KEEP ||
	    h[5] != MUX_OPT_DATA)
		return false;
	*id = mux_be16(h + 2);
	*len = mux_be16(h + 6);
	return true;
}

ssize_t
mux_frame_encode_end(uint16_t id, int error, uint8_t *out, size_t cap)
{
	if (cap < MUX_FRAME_END_LEN)
		return -1;
	return (ssize_t)mux_put_head(out, MUX_MIN_META, id, MUX_STATUS_END,
	    error ? MUX_OPT_ERROR : 0);
}

ssize_t
mux_frame_encode_keepalive(uint8_t *out, size_t cap)
{
	if (cap < 6)
		return -1;
	return (ssize_t)mux_put_head(out, MUX_MIN_META, 0,
	    MUX_STATUS_KEEPALIVE, 0);
}
