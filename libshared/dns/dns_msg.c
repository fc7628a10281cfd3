/* SPDX-License-Identifier: MIT */
/*
 * dns_msg.c: DNS message parsing and building (RFC 1035 §4.1).
 *
 *   header   ID(2) FLAGS(2) QDCOUNT(2) ANCOUNT(2) NSCOUNT(2) ARCOUNT(2)
 *   question NAME QTYPE(2) QCLASS(2)
 *   record   NAME TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA
 *   NAME     labels (len 1..63, then bytes) ending in 0, or a 2-byte
 *            pointer 11xxxxxx xxxxxxxx to an earlier name (§4.1.4)
 */
#include "dns/dns_msg.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#define DNS_MAX_JUMPS	64	/* more pointers than a name has labels */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/*
 * Read the name at *off: its text into out (may be NULL to skip), *off
 * moved past it in the message (a pointer ends the name where it is).
 */
static int
read_name(const uint8_t *p, size_t len, size_t *off, char *out,
    const char **errstr)
{
	size_t	 pos = *off, end = 0, n = 0, i;
	int	 jumps = 0;
	uint8_t	 l;
	bool	 jumped = false;

	for (;;) {
		if (pos >= len)
			goto trunc;
		l = p[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				goto trunc;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			/* Only backwards, and a bounded number of times. */
			if (++jumps > DNS_MAX_JUMPS ||
			    (size_t)(get16(p + pos) & 0x3fff) >= pos) {
				*errstr = "bad compression pointer";
				return -1;
			}
			pos = get16(p + pos) & 0x3fff;
			continue;
		}
		if ((l & 0xc0) != 0) {
			*errstr = "bad label type";
			return -1;
		}
		pos++;
		if (l == 0)
			break;
		if (pos + l > len)
			goto trunc;
		/* Dotted text with its NUL must fit DNS_NAME_MAX. */
		if (n + (n > 0) + l + 1 > DNS_NAME_MAX) {
			*errstr = "name too long";
			return -1;
		}
		if (n > 0 && out != NULL)
			out[n] = '.';
		n += n > 0;
		for (i = 0; i < l; i++) {
			if (p[pos + i] <= 0x20 || p[pos + i] >= 0x7f ||
			    p[pos + i] == '.') {
				*errstr = "unsupported byte in a name";
				return -1;
			}
			if (out != NULL)
				out[n] = (char)p[pos + i];
			n++;
		}
		pos += l;
	}
	if (out != NULL)
		out[n] = '\0';
	*off = jumped ? end : pos;
	return 0;
 trunc:
	*errstr = "truncated name";
	return -1;
}

int
dns_msg_parse(const uint8_t *p, size_t len, int what, struct dns_msg *m,
    const char **errstr)
{
	size_t		 off = DNS_HEADER_LEN, i;
	uint16_t	 type, rdlen;
	uint32_t	 ttl;

	memset(m, 0, sizeof(*m));
	m->ttl = UINT32_MAX;
	if (len < DNS_HEADER_LEN) {
		*errstr = "shorter than a DNS header";
		return -1;
	}
	m->id = get16(p);
	m->flags = get16(p + 2);
	m->qdcount = get16(p + 4);
	m->ancount = get16(p + 6);
	m->nscount = get16(p + 8);
	m->arcount = get16(p + 10);
	for (i = 0; i < m->qdcount; i++) {
		if (read_name(p, len, &off, i == 0 ? m->qname : NULL,
		    errstr) == -1)
			return -1;
		if (off + 4 > len) {
			*errstr = "truncated question";
			return -1;
		}
		if (i == 0) {
			m->qtype = get16(p + off);
			m->qclass = get16(p + off + 2);
		}
		off += 4;
		if (what == DNS_MSG_QUESTION)
			return 0;
	}
	if (what == DNS_MSG_QUESTION)
		return 0;
	for (i = 0; i < m->ancount; i++) {
		if (read_name(p, len, &off, NULL, errstr) == -1)
			return -1;
		if (off + 10 > len) {
			*errstr = "truncated record";
			return -1;
		}
		type = get16(p + off);
		ttl = get32(p + off + 4);
		rdlen = get16(p + off + 8);
		off += 10;
		if (off + rdlen > len) {
			*errstr = "truncated record data";
			return -1;
		}
		/* As 4.34: TTL 0 counts as 600 s (dnscommon.go). */
		if (ttl == 0)
			ttl = 600;
		if (ttl < m->ttl)
			m->ttl = ttl;
		if ((type == DNS_TYPE_A && rdlen != 4) ||
		    (type == DNS_TYPE_AAAA && rdlen != 16)) {
			*errstr = "bad address length";
			return -1;
		}
		if ((type == DNS_TYPE_A || type == DNS_TYPE_AAAA) &&
		    m->nips < DNS_MSG_MAX_IPS) {
			m->ips[m->nips].family = type == DNS_TYPE_A ?
			    AF_INET : AF_INET6;
			memset(m->ips[m->nips].addr, 0, 16);
			memcpy(m->ips[m->nips].addr, p + off, rdlen);
			m->nips++;
		}
		off += rdlen;
	}
	return 0;
}

/* name as labels at buf; its length, or -1. */
static ssize_t
write_name(uint8_t *buf, size_t size, const char *name)
{
	size_t		 len = strlen(name), o = 0, l;
	const char	*s = name, *dot;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len > 253)
		return -1;
	while (s < name + len) {
		dot = memchr(s, '.', (size_t)(name + len - s));
		l = dot != NULL ? (size_t)(dot - s) : (size_t)(name + len - s);
		if (l == 0 || l > 63 || o + 1 + l + 1 > size)
			return -1;
		buf[o++] = (uint8_t)l;
		memcpy(buf + o, s, l);
		o += l;
		s += l + (dot != NULL);
		if (dot != NULL && s == name + len)
			return -1;	/* "a..": an empty last label */
	}
	if (o + 1 > size)
		return -1;
	buf[o++] = 0;
	return (ssize_t)o;
}

/* Header and question; the offset after them, or -1. */
static ssize_t
write_head(uint8_t *buf, size_t size, uint16_t id, uint16_t flags,
    const char *name, uint16_t qtype, uint16_t ancount, uint16_t arcount)
{
	ssize_t	n;

	if (size < DNS_HEADER_LEN)
		return -1;
	put16(buf, id);
	put16(buf + 2, flags);
	put16(buf + 4, 1);
	put16(buf + 6, ancount);
	put16(buf + 8, 0);
	put16(buf + 10, arcount);
	if ((n = write_name(buf + DNS_HEADER_LEN, size - DNS_HEADER_LEN,
	    name)) == -1 || (size_t)n + DNS_HEADER_LEN + 4 > size)
		return -1;
	n += DNS_HEADER_LEN;
	put16(buf + n, qtype);
	put16(buf + n + 2, DNS_CLASS_IN);
	return n + 4;
}

ssize_t
dns_msg_query(uint8_t *buf, size_t size, uint16_t id, const char *name,
    uint16_t qtype, const struct route_ip *ecs)
{
	ssize_t	 n;
	size_t	 alen, o;

	if ((n = write_head(buf, size, id, DNS_FLAG_RD, name, qtype, 0,
	    ecs != NULL)) == -1)
		return -1;
	if (ecs == NULL)
		return n;
	/* Source prefix /24 or /96, as 4.34: 3 or 12 address bytes. */
	alen = ecs->family == AF_INET ? 3 : 12;
	o = (size_t)n;
	if (o + 11 + 4 + 4 + alen > size)
		return -1;
	buf[o] = 0;				/* root name */
	put16(buf + o + 1, DNS_TYPE_OPT);
	put16(buf + o + 3, 1350);		/* UDP payload size */
	put32(buf + o + 5, 0xe0008000);		/* ext. rcode, DO */
	put16(buf + o + 9, (uint16_t)(4 + 4 + alen));
	put16(buf + o + 11, 8);			/* EDNS client subnet */
	put16(buf + o + 13, (uint16_t)(4 + alen));
	put16(buf + o + 15, ecs->family == AF_INET ? 1 : 2);
	buf[o + 17] = ecs->family == AF_INET ? 24 : 96;
	buf[o + 18] = 0;			/* scope */
	memcpy(buf + o + 19, ecs->addr, alen);
	return (ssize_t)(o + 19 + alen);
}

ssize_t
dns_msg_answer(uint8_t *buf, size_t size, uint16_t id, const char *name,
    uint16_t qtype, int rcode, const struct route_ip *ips, size_t nips,
    uint32_t ttl)
{
	int	 family = qtype == DNS_TYPE_AAAA ? AF_INET6 : AF_INET;
	size_t	 i, alen = family == AF_INET ? 4 : 16, o, count = 0;
	ssize_t	 n;

	for (i = 0; i < nips; i++)
		count += ips[i].family == family;
	if (count > UINT16_MAX)
		return -1;
	if ((n = write_head(buf, size, id, DNS_FLAG_QR | DNS_FLAG_AA |
	    DNS_FLAG_RD | DNS_FLAG_RA | (rcode & 0xf), name, qtype,
	    (uint16_t)count, 0)) == -1)
		return -1;
	o = (size_t)n;
	for (i = 0; i < nips; i++) {
		if (ips[i].family != family)
			continue;
		if (o + 12 + alen > size)
			return -1;
		put16(buf + o, 0xc000 | DNS_HEADER_LEN);  /* the question */
		put16(buf + o + 2, qtype);
		put16(buf + o + 4, DNS_CLASS_IN);
		put32(buf + o + 6, ttl);
		put16(buf + o + 10, (uint16_t)alen);
		memcpy(buf + o + 12, ips[i].addr, alen);
		o += 12 + alen;
	}
	return (ssize_t)o;
}
