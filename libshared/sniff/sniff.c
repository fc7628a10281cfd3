/* SPDX-License-Identifier: MIT */
/*
 * sniff.c: HTTP Host, TLS SNI and BitTorrent sniffers reaching the same
 * decisions as V2Ray 4.34 (common/protocol/{http,tls,bittorrent}/sniff.go),
 * including the quirks of Go's net.SplitHostPort and net.ParseIP.
 */
#include "sniff/sniff.h"

#include <string.h>

#define SNIFF_DOMAIN_MAX	(sizeof(((struct sniff_out *)0)->domain) - 1)

/* A host as the HTTP sniffer sees it: Go would keep any length. */
struct sniff_name {
	char	n_buf[SNIFF_DOMAIN_MAX + 1];
	size_t	n_len;		/* full length, may exceed the buffer */
	int	n_nul;		/* contains a NUL: not a C string */
};

static void
sniff_found(struct sniff_out *out, const char *proto, const char *dom,
    size_t domlen)
{
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	strncpy(out->protocol, proto, sizeof(out->protocol) - 1);
	memcpy(out->domain, dom, domlen);
}

static int
sniff_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int
sniff_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/*
 * Go's TrimSpace trims Unicode White_Space, not just ASCII; these are
 * the UTF-8 forms of the non-ASCII ones (NEL, NBSP, U+1680, U+2000-200A,
 * U+2028/9, U+202F, U+205F, U+3000).
 */
static size_t
sniff_uspace(const uint8_t *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if ((s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) ||
	    (s[0] == 0xe2 && s[1] == 0x80 && (s[2] <= 0x8a ||
	    s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) ||
	    (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) ||
	    (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80))
		return 3;
	return 0;
}

/* The same set, matched at the end; UTF-8 self-synchronises. */
static size_t
sniff_uspace_end(const uint8_t *s, size_t n)
{
	size_t	k;

	for (k = 1; k <= 3 && k <= n; k++)
		if (sniff_uspace(s + n - k, k) == k)
			return k;
	return 0;
}

static void
sniff_trim(const uint8_t **s, size_t *n)
{
	size_t	k;

	while (*n > 0 && (k = sniff_uspace(*s, *n)) > 0) {
		*s += k;
		*n -= k;
	}
	while (*n > 0 && (k = sniff_uspace_end(*s, *n)) > 0)
		*n -= k;
}

static const uint8_t *
sniff_memchr(const uint8_t *s, size_t n, int c)
{
	return n == 0 ? NULL : memchr(s, c, n);
}

/* Go 1.19 parseIPv4: decimal, no leading zeros, exactly four parts. */
static int
sniff_ip4_parse(const uint8_t *s, size_t n, uint8_t ip[4])
{
	size_t		i, c;
	unsigned	v;

	for (i = 0; i < 4; i++) {
		if (n == 0)
			return -1;
		if (i > 0) {
			if (s[0] != '.')
				return -1;
			s++;
			n--;
		}
		for (c = 0, v = 0; c < n && s[c] >= '0' && s[c] <= '9'; c++) {
			v = v * 10 + (s[c] - '0');
			if (v > 255)
				return -1;
		}
		if (c == 0 || (c > 1 && s[0] == '0'))
			return -1;
		ip[i] = (uint8_t)v;
		s += c;
		n -= c;
	}
	return n == 0 ? 0 : -1;
}

static int
sniff_xdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Go 1.19 parseIPv6 (pre-netip): any number of hex digits per group as
 * long as the value fits, "::" must stand for at least one group except
 * at the very end of parsing, a dotted IPv4 tail only in the last 4 bytes.
 */
static int
sniff_ip6_parse(const uint8_t *s, size_t n, uint8_t ip[16])
{
	int		ellipsis = -1, i = 0, j, gap, d;
	size_t		c;
	unsigned	v;

	memset(ip, 0, 16);
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		ellipsis = 0;
		s += 2;
		n -= 2;
		if (n == 0)
			return 0;
	}
	while (i < 16) {
		for (c = 0, v = 0; c < n && (d = sniff_xdigit(s[c])) >= 0;
		    c++) {
			v = v * 16 + (unsigned)d;
			if (v > 0xffff)
				return -1;
		}
		if (c == 0)
			return -1;
		if (c < n && s[c] == '.') {
			if ((ellipsis < 0 && i != 12) || i + 4 > 16)
				return -1;
			if (sniff_ip4_parse(s, n, ip + i) == -1)
				return -1;
			n = 0;
			i += 4;
			break;
		}
		ip[i] = (uint8_t)(v >> 8);
		ip[i + 1] = (uint8_t)v;
		i += 2;
		s += c;
		n -= c;
		if (n == 0)
			break;
		if (s[0] != ':' || n == 1)
			return -1;
		s++;
		n--;
		if (s[0] == ':') {
			if (ellipsis >= 0)
				return -1;
			ellipsis = i;
			s++;
			n--;
			if (n == 0)
				break;
		}
	}
	if (n != 0)
		return -1;
	if (i < 16) {
		if (ellipsis < 0)
			return -1;
		gap = 16 - i;
		for (j = i - 1; j >= ellipsis; j--)
			ip[j + gap] = ip[j];
		for (j = ellipsis + gap - 1; j >= ellipsis; j--)
			ip[j] = 0;
	} else if (ellipsis >= 0)
		return -1;
	return 0;
}

static void
sniff_name_put(struct sniff_name *nm, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			nm->n_nul = 1;
		if (nm->n_len < SNIFF_DOMAIN_MAX)
			nm->n_buf[nm->n_len] = (char)sniff_lower(
			    (unsigned char)s[i]);
		nm->n_len++;
	}
}

static void
sniff_name_hex(struct sniff_name *nm, unsigned v)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 b[4];
	int			 k = 4;

	do {
		b[--k] = hex[v & 0xf];
		v >>= 4;
	} while (v != 0);
	sniff_name_put(nm, b + k, (size_t)(4 - k));
}

static void
sniff_name_ip4(struct sniff_name *nm, const uint8_t ip[4])
{
	char		b[4];
	int		i, k;
	unsigned	v;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			sniff_name_put(nm, ".", 1);
		v = ip[i];
		k = 4;
		do {
			b[--k] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		sniff_name_put(nm, b + k, (size_t)(4 - k));
	}
}

/*
 * V2Ray's Address.String(): IPv4-mapped IPv6 becomes IPv4, other IPv6
 * is Go's IP.String() in brackets (longest zero run, the first on a tie,
 * never a single group).
 */
static void
sniff_name_ip6(struct sniff_name *nm, const uint8_t ip[16])
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };
	int			 e0 = -1, e1 = -1, i, j;

	if (memcmp(ip, mapped, sizeof(mapped)) == 0) {
		sniff_name_ip4(nm, ip + 12);
		return;
	}
	for (i = 0; i < 16; i += 2) {
		j = i;
		while (j < 16 && ip[j] == 0 && ip[j + 1] == 0)
			j += 2;
		if (j > i && j - i > e1 - e0) {
			e0 = i;
			e1 = j;
			i = j;
		}
	}
	if (e1 - e0 <= 2)
		e0 = e1 = -1;
	sniff_name_put(nm, "[", 1);
	for (i = 0; i < 16; i += 2) {
		if (i == e0) {
			sniff_name_put(nm, "::", 2);
			i = e1;
			if (i >= 16)
				break;
		} else if (i > 0)
			sniff_name_put(nm, ":", 1);
		sniff_name_hex(nm, (unsigned)ip[i] << 8 | ip[i + 1]);
	}
	sniff_name_put(nm, "]", 1);
}

/* V2Ray's net.ParseAddress(host).String(). */
static void
sniff_address(const uint8_t *s, size_t n, struct sniff_name *nm)
{
	uint8_t	ip[16];
	size_t	i;

	if (n > 0 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n > 0 && (!sniff_alnum(s[0]) || !sniff_alnum(s[n - 1])))
		sniff_trim(&s, &n);
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (sniff_ip4_parse(s, n, ip) == 0) {
				sniff_name_ip4(nm, ip);
				return;
			}
			break;
		}
		if (s[i] == ':') {
			if (sniff_ip6_parse(s, n, ip) == 0) {
				sniff_name_ip6(nm, ip);
				return;
			}
			break;
		}
	}
	sniff_name_put(nm, (const char *)s, n);
}

/*
 * http.ParseHost over Go's net.SplitHostPort: only a "missing port"
 * error falls back to the whole value; every other error, and a port
 * that is not 0-65535 in plain decimal (what the shipped 4.34 binary
 * accepts), fails the sniff.
 */
static int
sniff_host(const uint8_t *v, size_t n, struct sniff_name *nm)
{
	const uint8_t	*colon = NULL, *end;
	size_t		 i, j = 0, k = 0, ci;
	unsigned long	 port;

	for (i = n; i > 0; i--)
		if (v[i - 1] == ':') {
			colon = v + i - 1;
			break;
		}
	if (colon == NULL)
		goto noport;
	ci = (size_t)(colon - v);
	if (v[0] == '[') {
		if ((end = sniff_memchr(v, n, ']')) == NULL)
			return -1;
		i = (size_t)(end - v);
		if (i + 1 == n)
			goto noport;
		if (i + 1 != ci) {
			/* "]" not right before the last ':' */
			if (v[i + 1] == ':')
				return -1;
			goto noport;
		}
		j = 1;
		k = i + 1;
	} else if (sniff_memchr(v, ci, ':') != NULL)
		return -1;
	if (sniff_memchr(v + j, n - j, '[') != NULL ||
	    sniff_memchr(v + k, n - k, ']') != NULL)
		return -1;
	for (i = ci + 1, port = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		port = port * 10 + (v[i] - '0');
		if (port > 65535)
			return -1;
	}
	if (j == 1)
		sniff_address(v + 1, k - 2, nm);
	else
		sniff_address(v, ci, nm);
	return 0;
 noport:
	sniff_address(v, n, nm);
	return 0;
}

/*
 * 4.34 tries the methods in this order and answers "no clue" as soon as
 * the buffer is shorter than the method being compared, even if a later,
 * shorter method would have matched ("PUT" alone is no clue).
 */
static enum sniff_result
sniff_http_method(const uint8_t *p, size_t len)
{
	static const char *const methods[] = { "get", "post", "head", "put",
				    "delete", "options", "connect" };
	size_t	i, k, ml;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		ml = strlen(methods[i]);
		if (len < ml)
			return SNIFF_MORE;
		for (k = 0; k < ml; k++)
			if (sniff_lower(p[k]) != methods[i][k])
				break;
		if (k == ml)
			return SNIFF_FOUND;
	}
	return SNIFF_NOT;
}

enum sniff_result
sniff_http(const uint8_t *p, size_t len, struct sniff_out *out)
{
	struct sniff_name	 host;
	const uint8_t		*line, *nl, *colon, *val, *end = p + len;
	size_t			 llen, vlen;
	enum sniff_result	 r;

	if ((r = sniff_http_method(p, len)) != SNIFF_FOUND)
		return r;
	memset(&host, 0, sizeof(host));
	/* Line 0 is the request line; a final unterminated line counts. */
	nl = memchr(p, '\n', len);
	while (nl != NULL) {
		line = nl + 1;
		nl = sniff_memchr(line, (size_t)(end - line), '\n');
		llen = (size_t)((nl != NULL ? nl : end) - line);
		/* Only a truly empty line ends the headers; "\r" is not. */
		if (llen == 0)
			break;
		if ((colon = memchr(line, ':', llen)) == NULL ||
		    colon - line != 4 || sniff_lower(line[0]) != 'h' ||
		    sniff_lower(line[1]) != 'o' ||
		    sniff_lower(line[2]) != 's' || sniff_lower(line[3]) != 't')
			continue;
		val = colon + 1;
		vlen = llen - 5;
		sniff_trim(&val, &vlen);
		/* The last Host wins, even an empty one. */
		memset(&host, 0, sizeof(host));
		if (sniff_host(val, vlen, &host) == -1)
			return SNIFF_NOT;
	}
	if (host.n_len == 0)
		return SNIFF_MORE;
	/* Go keeps any string; ours must fit sniff_out and be a C string. */
	if (host.n_len > SNIFF_DOMAIN_MAX || host.n_nul)
		return SNIFF_NOT;
	sniff_found(out, "http1", host.n_buf, host.n_len);
	return SNIFF_FOUND;
}

static unsigned
sniff_be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* ReadClientHello over one complete record body. */
static enum sniff_result
sniff_tls_hello(const uint8_t *d, size_t n, struct sniff_out *out)
{
	const uint8_t	*e;
	size_t		 sid, cs, cm, el, ext, elen, nl, names, nlen;

	/* Both "no clue" although the record is complete: as 4.34. */
	if (n < 42)
		return SNIFF_MORE;
	sid = d[38];
	if (sid > 32 || n < 39 + sid)
		return SNIFF_MORE;
	d += 39 + sid;
	n -= 39 + sid;
	if (n < 2)
		return SNIFF_MORE;
	cs = sniff_be16(d);
	if (cs % 2 == 1 || n < 2 + cs)
		return SNIFF_NOT;
	d += 2 + cs;
	n -= 2 + cs;
	if (n < 1)
		return SNIFF_MORE;
	cm = d[0];
	if (n < 1 + cm)
		return SNIFF_MORE;
	d += 1 + cm;
	n -= 1 + cm;
	if (n < 2)
		return SNIFF_NOT;
	el = sniff_be16(d);
	d += 2;
	n -= 2;
	if (el != n)
		return SNIFF_NOT;
	while (n != 0) {
		if (n < 4)
			return SNIFF_NOT;
		ext = sniff_be16(d);
		elen = sniff_be16(d + 2);
		d += 4;
		n -= 4;
		if (n < elen)
			return SNIFF_NOT;
		if (ext == 0) {
			e = d;
			nl = elen;
			if (nl < 2)
				return SNIFF_NOT;
			names = sniff_be16(e);
			e += 2;
			nl -= 2;
			if (nl != names)
				return SNIFF_NOT;
			while (nl > 0) {
				if (nl < 3)
					return SNIFF_NOT;
				nlen = sniff_be16(e + 1);
				if (nl - 3 < nlen)
					return SNIFF_NOT;
				if (e[0] == 0) {
					e += 3;
					/* RFC 6066 §3: no trailing dot. */
					if (nlen > 0 && e[nlen - 1] == '.')
						return SNIFF_NOT;
					/* Unrepresentable here; Go keeps it. */
					if (nlen > SNIFF_DOMAIN_MAX ||
					    sniff_memchr(e, nlen, '\0') != NULL)
						return SNIFF_NOT;
					sniff_found(out, "tls",
					    (const char *)e, nlen);
					return SNIFF_FOUND;
				}
				e += 3 + nlen;
				nl -= 3 + nlen;
			}
		}
		d += elen;
		n -= elen;
	}
	return SNIFF_NOT;
}

enum sniff_result
sniff_tls(const uint8_t *p, size_t len, struct sniff_out *out)
{
	size_t	rl;

	if (len < 5)
		return SNIFF_MORE;
	/* Handshake record, major version 3; the minor is not checked. */
	if (p[0] != 0x16 || p[1] != 3)
		return SNIFF_NOT;
	rl = sniff_be16(p + 3);
	if (5 + rl > len)
		return SNIFF_MORE;
	return sniff_tls_hello(p + 5, rl, out);
}

enum sniff_result
sniff_bittorrent(const uint8_t *p, size_t len, struct sniff_out *out)
{
	static const char	hs[] = "\x13" "BitTorrent protocol";

	if (len < sizeof(hs) - 1)
		return SNIFF_MORE;
	if (memcmp(p, hs, sizeof(hs) - 1) != 0)
		return SNIFF_NOT;
	sniff_found(out, "bittorrent", "", 0);
	return SNIFF_FOUND;
}

enum sniff_result
sniff_run(const uint8_t *p, size_t len, unsigned *alive,
    struct sniff_out *out)
{
	static const struct {
		unsigned	  bit;
		enum sniff_result (*fn)(const uint8_t *, size_t,
				    struct sniff_out *);
	} order[] = {
		{ 0x1, sniff_http },
		{ 0x2, sniff_tls },
		{ 0x4, sniff_bittorrent },
	};
	size_t	i;

	*alive &= SNIFF_ALL;
	if (len > SNIFF_WINDOW)
		len = SNIFF_WINDOW;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if ((*alive & order[i].bit) == 0)
			continue;
		switch (order[i].fn(p, len, out)) {
		case SNIFF_FOUND:
			return SNIFF_FOUND;
		case SNIFF_NOT:
			*alive &= ~order[i].bit;
			break;
		case SNIFF_MORE:
			break;
		}
	}
	if (*alive == 0)
		return SNIFF_NOT;
	/* More bytes could never be looked at: 4.34's "unknown content". */
	if (len == SNIFF_WINDOW) {
		*alive = 0;
		return SNIFF_NOT;
	}
	return SNIFF_MORE;
}
