/* SPDX-License-Identifier: MIT */
/*
 * dns_msg.h: the DNS messages the resolver and the dns outbound need
 * (RFC 1035 §4): parse a query's first question or a response's A/AAAA
 * answers with their smallest TTL; build an A/AAAA query (with V2Ray's
 * EDNS client-subnet option) and a local answer as 4.34's dns outbound
 * writes it. Pure: no I/O, no logging.
 */
#ifndef LIBSHARED_DNS_MSG_H
#define LIBSHARED_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "route/route.h"

#define DNS_TYPE_A	1
#define DNS_TYPE_CNAME	5
#define DNS_TYPE_AAAA	28
#define DNS_TYPE_OPT	41
#define DNS_CLASS_IN	1

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3

#define DNS_HEADER_LEN	12
#define DNS_NAME_MAX	254	/* dotted text, no final dot, NUL included */
#define DNS_MSG_MAX_IPS	32	/* answers kept; the rest are skipped */
#define DNS_MSG_MAX	65535

/* Header flags. */
#define DNS_FLAG_QR	0x8000
#define DNS_FLAG_AA	0x0400
#define DNS_FLAG_TC	0x0200
#define DNS_FLAG_RD	0x0100
#define DNS_FLAG_RA	0x0080

struct dns_msg {
	uint16_t	 id;
	uint16_t	 flags;		/* rcode in the low 4 bits */
	uint16_t	 qdcount, ancount, nscount, arcount;
	/* First question, if qdcount > 0 (else qname is ""). */
	char		 qname[DNS_NAME_MAX];
	uint16_t	 qtype;
	uint16_t	 qclass;
	/* DNS_MSG_ANSWERS: the A and AAAA records, in order. */
	struct route_ip	 ips[DNS_MSG_MAX_IPS];
	size_t		 nips;
	/* Smallest TTL of any answer record; UINT32_MAX without answers. */
	uint32_t	 ttl;
};

#define DNS_MSG_QUESTION	0	/* header and first question */
#define DNS_MSG_ANSWERS		1	/* also the answer section */

/*
 * Parse len bytes at p into m. 0, or -1 with *errstr on malformed input
 * (truncated, a name too long, a compression loop, a label with a dot or
 * a byte that is not printable ASCII).
 */
int	dns_msg_parse(const uint8_t *p, size_t len, int what,
	    struct dns_msg *m, const char **errstr);

/*
 * A query for name (a trailing dot is allowed) and qtype, RD set; with
 * ecs, an OPT record as 4.34's genEDNS0Options (UDP size 1350, TTL
 * 0xE0008000, client subnet /24 or /96). Returns the length, or -1 when
 * the name is not a valid DNS name or buf is too small.
 */
ssize_t	dns_msg_query(uint8_t *buf, size_t size, uint16_t id,
	    const char *name, uint16_t qtype, const struct route_ip *ecs);

/*
 * An answer as 4.34's dns outbound builds it: flags QR|AA|RD|RA, rcode,
 * the question echoed, one record per address of qtype's family (ttl
 * seconds) named by a pointer to the question. Length, or -1.
 */
ssize_t	dns_msg_answer(uint8_t *buf, size_t size, uint16_t id,
	    const char *name, uint16_t qtype, int rcode,
	    const struct route_ip *ips, size_t nips, uint32_t ttl);

#endif
