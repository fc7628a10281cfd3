/* SPDX-License-Identifier: MIT */
/*
 * socks5.c: SOCKS5 (RFC 1928/1929) and SOCKS4/4a codec, with V2Ray 4.34's
 * leniency (VER/RSV and the RFC 1929 sub-version are not checked).
 *
 *   greeting  05 NMETHODS METHODS[NMETHODS]
 *   userpass  01 ULEN UNAME PLEN PASSWD
 *   request   05 CMD 00 ATYP ADDR PORT(2)
 *   address   01 IPv4(4) | 03 LEN NAME(LEN) | 04 IPv6(16), then PORT(2)
 *   socks4    04 CMD PORT(2) IP(4) USERID 00 [DOMAIN 00 when IP = 0.0.0.x]
 *   udp       RSV(2) FRAG ATYP ADDR PORT DATA
 */
#include "socks/socks5.h"

#include <string.h>

#define SOCKS4_MAX_STRING	2048

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

ssize_t
socks_addr_decode(const uint8_t *p, size_t len, struct socks_addr *out,
    const char **errstr)
{
	size_t	 need;

	if (len < 1)
		return 0;
	memset(out, 0, sizeof(*out));
	out->atyp = p[0];
	switch (p[0]) {
	case SOCKS_ATYP_IPV4:
		need = 1 + 4 + 2;
		if (len < need)
			return 0;
		memcpy(out->ip, p + 1, 4);
		break;
	case SOCKS_ATYP_IPV6:
		need = 1 + 16 + 2;
		if (len < need)
			return 0;
		memcpy(out->ip, p + 1, 16);
		break;
	case SOCKS_ATYP_DOMAIN:
		if (len < 2)
			return 0;
		if (p[1] == 0) {
			*errstr = "empty domain name";
			return -1;
		}
		need = 2 + (size_t)p[1] + 2;
		if (len < need)
			return 0;
		if (memchr(p + 2, '\0', p[1]) != NULL) {
			*errstr = "NUL in domain name";
			return -1;
		}
		memcpy(out->domain, p + 2, p[1]);
		out->domain[p[1]] = '\0';
		break;
	default:
		*errstr = "unknown address type";
		return -1;
	}
	out->port = be16(p + need - 2);
	return (ssize_t)need;
}

ssize_t
socks5_greeting_decode(const uint8_t *p, size_t len,
    struct socks_greeting *out, const char **errstr)
{
	if (len < 2)
		return 0;
	if (p[0] != 5) {
		*errstr = "not a SOCKS5 greeting";
		return -1;
	}
	if (p[1] == 0) {
		*errstr = "no authentication method offered";
		return -1;
	}
	if (len < 2 + (size_t)p[1])
		return 0;
	out->nmethods = p[1];
	memcpy(out->methods, p + 2, p[1]);
	return 2 + (ssize_t)p[1];
}

ssize_t
socks5_userpass_decode(const uint8_t *p, size_t len,
    struct socks_userpass *out, const char **errstr)
{
	size_t	 ulen, plen;

	if (len < 2)
		return 0;
	ulen = p[1];
	if (len < 2 + ulen + 1)
		return 0;
	plen = p[2 + ulen];
	if (len < 3 + ulen + plen)
		return 0;
	if (memchr(p + 2, '\0', ulen) != NULL ||
	    memchr(p + 3 + ulen, '\0', plen) != NULL) {
		*errstr = "NUL in username or password";
		return -1;
	}
	memcpy(out->user, p + 2, ulen);
	out->user[ulen] = '\0';
	memcpy(out->pass, p + 3 + ulen, plen);
	out->pass[plen] = '\0';
	return (ssize_t)(3 + ulen + plen);
}

ssize_t
socks5_request_decode(const uint8_t *p, size_t len,
    struct socks_request *out, const char **errstr)
{
	ssize_t	 n;

	if (len < 4)
		return 0;
	out->cmd = p[1];
	if ((n = socks_addr_decode(p + 3, len - 3, &out->addr, errstr)) <= 0)
		return n;
	return 3 + n;
}

/* Length of a NUL-terminated string at p (without the NUL), 0 = need more. */
static ssize_t
cstring(const uint8_t *p, size_t len, const char **errstr)
{
	const uint8_t	*z;
	size_t		 lim = len < SOCKS4_MAX_STRING + 1 ? len :
			    SOCKS4_MAX_STRING + 1;

	if ((z = memchr(p, '\0', lim)) != NULL)
		return (ssize_t)(z - p) + 1;
	if (len > SOCKS4_MAX_STRING) {
		*errstr = "SOCKS4 string longer than 2048 bytes";
		return -1;
	}
	return 0;
}

ssize_t
socks4_request_decode(const uint8_t *p, size_t len,
    struct socks4_request *out, const char **errstr)
{
	ssize_t	 u, d;
	size_t	 off, n;

	if (len < 8)
		return 0;
	if (p[0] != 4) {
		*errstr = "not a SOCKS4 request";
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->cmd = p[1];
	out->addr.port = be16(p + 2);
	if ((u = cstring(p + 8, len - 8, errstr)) <= 0)
		return u;
	n = (size_t)u - 1 < sizeof(out->userid) - 1 ? (size_t)u - 1 :
	    sizeof(out->userid) - 1;
	memcpy(out->userid, p + 8, n);
	off = 8 + (size_t)u;
	/* 4a: 4.34 looks only at the first byte of the IP. */
	if (p[4] != 0) {
		out->addr.atyp = SOCKS_ATYP_IPV4;
		memcpy(out->addr.ip, p + 4, 4);
		return (ssize_t)off;
	}
	if ((d = cstring(p + off, len - off, errstr)) <= 0)
		return d;
	if (d == 1) {
		*errstr = "empty SOCKS4a domain";
		return -1;
	}
	if ((size_t)d - 1 >= sizeof(out->addr.domain)) {
		*errstr = "SOCKS4a domain longer than 255 bytes";
		return -1;
	}
	out->addr.atyp = SOCKS_ATYP_DOMAIN;
	memcpy(out->addr.domain, p + off, (size_t)d - 1);
	return (ssize_t)(off + (size_t)d);
}

ssize_t
socks5_udp_decode(const uint8_t *p, size_t len, struct socks_udp_header *out,
    const char **errstr)
{
	ssize_t	 n;

	if (len < 4) {
		/* A datagram is whole: short means malformed, not "more". */
		*errstr = "short UDP datagram";
		return -1;
	}
	out->frag = p[2];
	n = socks_addr_decode(p + 3, len - 3, &out->addr, errstr);
	if (n == 0) {
		*errstr = "truncated UDP address";
		return -1;
	}
	return n < 0 ? -1 : 3 + n;
}

ssize_t
socks_addr_encode(const struct socks_addr *a, uint8_t *out, size_t cap)
{
	size_t	 n, dl;

	switch (a->atyp) {
	case SOCKS_ATYP_IPV4:
		n = 1 + 4;
		if (cap < n + 2)
			return -1;
		memcpy(out + 1, a->ip, 4);
		break;
	case SOCKS_ATYP_IPV6:
		n = 1 + 16;
		if (cap < n + 2)
			return -1;
		memcpy(out + 1, a->ip, 16);
		break;
	case SOCKS_ATYP_DOMAIN:
		dl = strnlen(a->domain, sizeof(a->domain));
		if (dl == 0 || dl > 255)
			return -1;
		n = 2 + dl;
		if (cap < n + 2)
			return -1;
		out[1] = (uint8_t)dl;
		memcpy(out + 2, a->domain, dl);
		break;
	default:
		return -1;
	}
	out[0] = a->atyp;
	out[n] = (uint8_t)(a->port >> 8);
	out[n + 1] = (uint8_t)a->port;
	return (ssize_t)(n + 2);
}

ssize_t
socks5_reply_encode(uint8_t rep, const struct socks_addr *bnd, uint8_t *out,
    size_t cap)
{
	ssize_t	 n;

	if (cap < 3)
		return -1;
	out[0] = 5;
	out[1] = rep;
	out[2] = 0;
	if ((n = socks_addr_encode(bnd, out + 3, cap - 3)) < 0)
		return -1;
	return 3 + n;
}

ssize_t
socks5_udp_encode(const struct socks_addr *a, uint8_t *out, size_t cap)
{
	ssize_t	 n;

	if (cap < 3)
		return -1;
	out[0] = out[1] = out[2] = 0;
	if ((n = socks_addr_encode(a, out + 3, cap - 3)) < 0)
		return -1;
	return 3 + n;
}

ssize_t
socks4_reply_encode(int granted, uint8_t *out, size_t cap)
{
	if (cap < 8)
		return -1;
	memset(out, 0, 8);
	out[1] = granted ? 0x5A : 0x5B;
	return 8;
}

ssize_t
socks5_request_encode(uint8_t cmd, const struct socks_addr *a, uint8_t *out,
    size_t cap)
{
	ssize_t	 n;

	if (cap < 3)
		return -1;
	out[0] = 5;
	out[1] = cmd;
	out[2] = 0;
	if ((n = socks_addr_encode(a, out + 3, cap - 3)) < 0)
		return -1;
	return 3 + n;
}
