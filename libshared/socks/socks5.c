/* SPDX-License-Identifier: MIT */
/*
 * socks5.c: SOCKS5 (RFC 1928/1929) and SOCKS4/4a codec with V2Ray 4.34's
 * leniency and limits (mux-reverse-socks-routing-config.md §3).
 *
 * Every decoder is handed the message from its first byte on:
 *
 *   greeting  05 NMETHODS METHODS[NMETHODS]          p[0] = VER (must be 5)
 *   userpass  VER ULEN UNAME PLEN PASSWD             p[0] = sub-version (any)
 *   request   VER CMD RSV ATYP ADDR PORT(2)          p[0] = VER (any)
 *   address   01 IPv4(4) | 03 LEN NAME(LEN) | 04 IPv6(16), then PORT(2)
 *   socks4    04 CMD PORT(2) IP(4) USERID 00 [DOMAIN 00 when IP[0] = 0]
 *   udp       RSV(2) FRAG ATYP ADDR PORT DATA         p[0] = RSV
 *
 * Ports are big-endian on the wire and host order in the structs.
 */
#include "socks/socks5.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "net/addr.h"

/*
 * 4.34 reads SOCKS4 strings byte by byte into one 2048-byte buffer and
 * fails once it is full, so a string and its NUL must fit in 2048 bytes
 * (checked against /usr/bin/v2ray: a 2047-byte user id passes, 2048 not).
 */
#define SOCKS4_MAX_STRING	2048

static uint16_t
socks_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * 4.34 (common/protocol/address.go) takes a name starting with '[' or a
 * digit that parses as an IP as that IP, and otherwise refuses anything
 * outside [0-9A-Za-z._-]. The name is kept in wire form here; turning
 * an IP literal into an address is the caller's business.
 */
static int
socks_domain_valid(const char *d, size_t n)
{
	char		 tmp[256];
	uint8_t		 ip[16];
	size_t		 i;

	/* inet_pton would stop at a NUL and pass "1.2.3.4\0junk". */
	if (memchr(d, '\0', n) != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if ((d[i] >= '0' && d[i] <= '9') ||
		    (d[i] >= 'a' && d[i] <= 'z') ||
		    (d[i] >= 'A' && d[i] <= 'Z') ||
		    d[i] == '-' || d[i] == '.' || d[i] == '_')
			continue;
		break;
	}
	if (i == n)
		return 1;
	if (d[0] != '[' && (d[0] < '0' || d[0] > '9'))
		return 0;
	if (d[0] == '[' && n >= 2 && d[n - 1] == ']') {
		d++;
		n -= 2;
	}
	memcpy(tmp, d, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET, tmp, ip) == 1 ||
	    inet_pton(AF_INET6, tmp, ip) == 1;
}

ssize_t
socks_addr_decode(const uint8_t *p, size_t len, struct socks_addr *out,
    const char **errstr)
{
	size_t	 need, dl;

	if (len < 1)
		return 0;
	switch (p[0]) {
	case SOCKS_ATYP_IPV4:
		need = 1 + 4 + 2;
		break;
	case SOCKS_ATYP_IPV6:
		need = 1 + 16 + 2;
		break;
	case SOCKS_ATYP_DOMAIN:
		if (len < 2)
			return 0;
		if (p[1] == 0) {
			/* 4.34 indexes domain[0] of it: no sane answer. */
			*errstr = "empty domain name";
			return -1;
		}
		need = 2 + (size_t)p[1] + 2;
		break;
	default:
		*errstr = "unknown address type";
		return -1;
	}
	if (len < need)
		return 0;

	memset(out, 0, sizeof(*out));
	out->atyp = p[0];
	switch (p[0]) {
	case SOCKS_ATYP_IPV4:
		memcpy(out->ip, p + 1, 4);
		break;
	case SOCKS_ATYP_IPV6:
		memcpy(out->ip, p + 1, 16);
		break;
	default:
		dl = p[1];
		memcpy(out->domain, p + 2, dl);
		out->domain[dl] = '\0';
		if (!socks_domain_valid(out->domain, dl)) {
			*errstr = "invalid domain name";
			return -1;
		}
		break;
	}
	out->port = socks_be16(p + need - 2);
	return (ssize_t)need;
}

ssize_t
socks5_greeting_decode(const uint8_t *p, size_t len,
    struct socks_greeting *out, const char **errstr)
{
	size_t	 n;

	if (len < 1)
		return 0;
	if (p[0] != 5) {
		*errstr = "not a SOCKS5 greeting";
		return -1;
	}
	if (len < 2)
		return 0;
	/*
	 * NMETHODS 0 is well formed: 4.34 answers it with 05 FF, which the
	 * caller does when no offered method matches.
	 */
	n = p[1];
	if (len < 2 + n)
		return 0;
	out->nmethods = (uint8_t)n;
	memcpy(out->methods, p + 2, n);
	return (ssize_t)(2 + n);
}

ssize_t
socks5_userpass_decode(const uint8_t *p, size_t len,
    struct socks_userpass *out, const char **errstr)
{
	size_t	 ulen, plen;

	/* The sub-negotiation version in p[0] is ignored, as 4.34 does. */
	if (len < 2)
		return 0;
	ulen = p[1];
	if (len < 2 + ulen + 1)
		return 0;
	plen = p[2 + ulen];
	if (len < 3 + ulen + plen)
		return 0;
	/*
	 * 4.34 compares Go strings, where "alice\0x" is not "alice"; as C
	 * strings they would match, so such credentials cannot be accepted.
	 */
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

	/* VER (p[0]) and RSV (p[2]) are not checked, as 4.34. */
	if (len < 4)
		return 0;
	if ((n = socks_addr_decode(p + 3, len - 3, &out->addr, errstr)) <= 0)
		return n;
	out->cmd = p[1];
	return 3 + n;
}

/*
 * Length of the NUL-terminated string at p including its NUL, 0 while
 * the NUL has not arrived, -1 when it cannot arrive within max bytes.
 */
static ssize_t
socks4_cstring(const uint8_t *p, size_t len, size_t max, const char **errstr,
    const char *toolong)
{
	const uint8_t	*z;

	if ((z = memchr(p, '\0', len < max ? len : max)) != NULL)
		return (ssize_t)(z - p) + 1;
	if (len >= max) {
		*errstr = toolong;
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

	if (len < 1)
		return 0;
	if (p[0] != 4) {
		*errstr = "not a SOCKS4 request";
		return -1;
	}
	if (len < 8)
		return 0;
	if ((u = socks4_cstring(p + 8, len - 8, SOCKS4_MAX_STRING, errstr,
	    "SOCKS4 user id longer than 2047 bytes")) <= 0)
		return u;
	off = 8 + (size_t)u;
	/* 4.34 looks only at the first byte of the IP to spot 4a. */
	if (p[4] == 0) {
		/*
		 * 4.34 takes up to 2047 bytes here, but no DNS name is
		 * longer than 253 and socks_addr holds 255.
		 */
		if ((d = socks4_cstring(p + off, len - off,
		    sizeof(out->addr.domain), errstr,
		    "SOCKS4a domain longer than 255 bytes")) <= 0)
			return d;
		if (d == 1) {
			/* 4.34 would grant it, then fail to dial "". */
			*errstr = "empty SOCKS4a domain";
			return -1;
		}
	} else
		d = 0;

	memset(out, 0, sizeof(*out));
	out->cmd = p[1];
	out->addr.port = socks_be16(p + 2);
	/* The user id only ever reaches logs; a prefix is enough. */
	n = (size_t)u - 1;
	if (n > sizeof(out->userid) - 1)
		n = sizeof(out->userid) - 1;
	memcpy(out->userid, p + 8, n);
	if (d == 0) {
		out->addr.atyp = SOCKS_ATYP_IPV4;
		memcpy(out->addr.ip, p + 4, 4);
		return (ssize_t)off;
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

	/*
	 * A datagram arrives whole, so "need more" would never be
	 * answered: anything short is malformed and never returns 0.
	 */
	if (len < 4) {
		*errstr = "short UDP datagram";
		return -1;
	}
	n = socks_addr_decode(p + 3, len - 3, &out->addr, errstr);
	if (n == 0) {
		*errstr = "truncated UDP address";
		return -1;
	}
	if (n < 0)
		return -1;
	/* RSV is ignored; FRAG is reported so the caller can drop it. */
	out->frag = p[2];
	return 3 + n;
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
		/* An unterminated domain[256] gives 256: not encodable. */
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

/* B0 B1 00 ATYP ADDR PORT: reply, request and datagram share the shape. */
static ssize_t
socks5_head_encode(uint8_t b0, uint8_t b1, const struct socks_addr *a,
    uint8_t *out, size_t cap)
{
	ssize_t	 n;

	if (cap < 3)
		return -1;
	if ((n = socks_addr_encode(a, out + 3, cap - 3)) < 0)
		return -1;
	out[0] = b0;
	out[1] = b1;
	out[2] = 0;
	return 3 + n;
}

ssize_t
socks5_reply_encode(uint8_t rep, const struct socks_addr *bnd, uint8_t *out,
    size_t cap)
{
	return socks5_head_encode(5, rep, bnd, out, cap);
}

ssize_t
socks5_udp_encode(const struct socks_addr *a, uint8_t *out, size_t cap)
{
	return socks5_head_encode(0, 0, a, out, cap);
}

ssize_t
socks4_reply_encode(int granted, uint8_t *out, size_t cap)
{
	/* 4.34 always answers with port 0 and IP 0.0.0.0. */
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
	return socks5_head_encode(5, cmd, a, out, cap);
}

ssize_t
socks5_hello_encode(const char *user, const char *pass, uint8_t *out,
    size_t cap)
{
	size_t	 ul, pl;

	if (user == NULL) {
		if (cap < 3)
			return -1;
		out[0] = 5;
		out[1] = 1;
		out[2] = SOCKS_METHOD_NOAUTH;
		return 3;
	}
	ul = strlen(user);
	pl = strlen(pass);
	if (ul > 255 || pl > 255 || cap < 3 + 3 + ul + pl)
		return -1;
	out[0] = 5;
	out[1] = 1;
	out[2] = SOCKS_METHOD_PASSWORD;
	/* RFC 1929 sub-negotiation, sent without waiting, as 4.34 does. */
	out[3] = 1;
	out[4] = (uint8_t)ul;
	memcpy(out + 5, user, ul);
	out[5 + ul] = (uint8_t)pl;
	memcpy(out + 6 + ul, pass, pl);
	return (ssize_t)(6 + ul + pl);
}

ssize_t
socks5_reply_decode(const uint8_t *p, size_t len, struct socks_request *out,
    const char **errstr)
{
	if (len > 0 && p[0] != 5) {
		*errstr = "not a SOCKS5 reply";
		return -1;
	}
	/* The reply has the request's layout, REP in place of CMD. */
	return socks5_request_decode(p, len, out, errstr);
}

void
socks_addr_to_net(const struct socks_addr *sa, struct net_addr *na)
{
	char	 host[256];

	memset(na, 0, sizeof(*na));
	na->port = sa->port;
	switch (sa->atyp) {
	case SOCKS_ATYP_IPV4:
		na->family = AF_INET;
		memcpy(na->ip, sa->ip, 4);
		break;
	case SOCKS_ATYP_IPV6:
		na->family = AF_INET6;
		memcpy(na->ip, sa->ip, 16);
		break;
	default:
		snprintf(host, sizeof(host), "%s", sa->domain);
		net_addr_set(na, host, sa->port);
		break;
	}
}

void
socks_addr_from_net(const struct net_addr *na, struct socks_addr *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->port = na->port;
	if (na->family == AF_INET) {
		sa->atyp = SOCKS_ATYP_IPV4;
		memcpy(sa->ip, na->ip, 4);
	} else if (na->family == AF_INET6) {
		sa->atyp = SOCKS_ATYP_IPV6;
		memcpy(sa->ip, na->ip, 16);
	} else {
		sa->atyp = SOCKS_ATYP_DOMAIN;
		snprintf(sa->domain, sizeof(sa->domain), "%s", na->domain);
	}
}
