/* SPDX-License-Identifier: MIT */
/*
 * test_dns_msg.c: the DNS message parser and builder (dns/dns_msg.c):
 * queries with and without the client-subnet option byte for byte as
 * 4.34 sends them, answers as its dns outbound builds them, responses
 * with compression, TTLs, truncation and malformed names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_msg.h"

/* Parse an exact-size copy, so ASan sees any read past the end. */
static int
parse_n(const uint8_t *p, size_t n, int what, struct dns_msg *m,
    const char **why)
{
	uint8_t	*b = malloc(n ? n : 1);
	int	 r;

	assert_non_null(b);
	memcpy(b, p, n);
	r = dns_msg_parse(b, n, what, m, why);
	free(b);
	return r;
}

static void
test_dns_msg_query(void **state)
{
	/* What 4.34 sends for "a.test." A with RD, ID 1 (dnscommon.go). */
	static const uint8_t want[] = {
		0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
		0x01, 'a', 0x04, 't', 'e', 's', 't', 0x00,
		0x00, 0x01, 0x00, 0x01,
	};
	uint8_t		buf[512];
	struct dns_msg	m;
	const char	*why;

	assert_int_equal(dns_msg_query(buf, sizeof(buf), 1, "a.test",
	    DNS_TYPE_A, NULL), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* A trailing dot is the same name. */
	assert_int_equal(dns_msg_query(buf, sizeof(buf), 1, "a.test.",
	    DNS_TYPE_A, NULL), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(parse_n(buf, sizeof(want), DNS_MSG_QUESTION, &m,
	    &why), 0);
	assert_string_equal(m.qname, "a.test");
	assert_int_equal(m.qtype, DNS_TYPE_A);
	assert_int_equal(m.id, 1);
	assert_int_equal(m.flags, DNS_FLAG_RD);
	/* Too small a buffer, empty labels, a 64-byte label. */
	assert_int_equal(dns_msg_query(buf, sizeof(want) - 1, 1, "a.test",
	    DNS_TYPE_A, NULL), -1);
	assert_int_equal(dns_msg_query(buf, sizeof(buf), 1, "a..test",
	    DNS_TYPE_A, NULL), -1);
	assert_int_equal(dns_msg_query(buf, sizeof(buf), 1, ".a",
	    DNS_TYPE_A, NULL), -1);
	assert_int_equal(dns_msg_query(buf, sizeof(buf), 1, "a.test..",
	    DNS_TYPE_A, NULL), -1);
	assert_int_equal(dns_msg_query(buf, sizeof(buf), 1,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".test", DNS_TYPE_A, NULL), -1);
}

static void
test_dns_msg_query_ecs(void **state)
{
	/* The OPT record 4.34 adds for clientIp 1.2.3.4 (doc §7 [B]). */
	static const uint8_t opt4[] = {
		0x00, 0x00, 0x29, 0x05, 0x46, 0xe0, 0x00, 0x80, 0x00,
		0x00, 0x0b, 0x00, 0x08, 0x00, 0x07,
		0x00, 0x01, 0x18, 0x00, 0x01, 0x02, 0x03,
	};
	struct route_ip	ip = { AF_INET, { 1, 2, 3, 4 } };
	uint8_t		buf[512];
	ssize_t		n;

	n = dns_msg_query(buf, sizeof(buf), 7, "a.test", DNS_TYPE_AAAA, &ip);
	assert_int_equal(n, 24 + sizeof(opt4));
	assert_int_equal(buf[11], 1);		/* ARCOUNT */
	assert_memory_equal(buf + 24, opt4, sizeof(opt4));
	ip.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1:2:3:4:5:6", ip.addr);
	n = dns_msg_query(buf, sizeof(buf), 7, "a.test", DNS_TYPE_A, &ip);
	/* /96: twelve address bytes, family 2. */
	assert_int_equal(n, 24 + 11 + 8 + 12);
	assert_int_equal(buf[24 + 15], 0);
	assert_int_equal(buf[24 + 16], 2);
	assert_int_equal(buf[24 + 17], 96);
	assert_memory_equal(buf + 24 + 19, ip.addr, 12);
}

static void
test_dns_msg_answer(void **state)
{
	struct route_ip	ips[3] = {
		{ AF_INET, { 10, 1, 1, 1 } },
		{ AF_INET6, { 0xfd, [15] = 5 } },
		{ AF_INET, { 10, 1, 1, 2 } },
	};
	uint8_t		buf[512];
	struct dns_msg	m;
	const char	*why;
	ssize_t		n;

	n = dns_msg_answer(buf, sizeof(buf), 0xbeef, "a.test", DNS_TYPE_A, 0,
	    ips, 3, 600);
	assert_true(n > 0);
	assert_int_equal(parse_n(buf, (size_t)n, DNS_MSG_ANSWERS, &m, &why),
	    0);
	assert_int_equal(m.id, 0xbeef);
	assert_int_equal(m.flags, 0x8580);	/* QR AA RD RA, as 4.34 */
	assert_string_equal(m.qname, "a.test");
	assert_int_equal(m.ancount, 2);		/* only the A records */
	assert_int_equal(m.nips, 2);
	assert_memory_equal(m.ips[1].addr, ips[2].addr, 4);
	assert_int_equal(m.ttl, 600);
	/* Records name the question through a pointer. */
	assert_int_equal(buf[24], 0xc0);
	assert_int_equal(buf[25], 12);
	n = dns_msg_answer(buf, sizeof(buf), 1, "a.test", DNS_TYPE_AAAA,
	    DNS_RCODE_NOERROR, ips, 3, 600);
	assert_int_equal(parse_n(buf, (size_t)n, DNS_MSG_ANSWERS, &m, &why),
	    0);
	assert_int_equal(m.nips, 1);
	assert_int_equal(m.ips[0].family, AF_INET6);
	/* NXDOMAIN: the rcode, no answer. */
	n = dns_msg_answer(buf, sizeof(buf), 1, "nx.test", DNS_TYPE_A,
	    DNS_RCODE_NXDOMAIN, NULL, 0, 600);
	assert_int_equal(parse_n(buf, (size_t)n, DNS_MSG_ANSWERS, &m, &why),
	    0);
	assert_int_equal(m.flags & 0xf, DNS_RCODE_NXDOMAIN);
	assert_int_equal(m.ancount, 0);
	assert_int_equal(m.ttl, UINT32_MAX);
	assert_int_equal(dns_msg_answer(buf, 30, 1, "a.test", DNS_TYPE_A, 0,
	    ips, 3, 600), -1);
}

/* A response with a CNAME, compression and mixed TTLs. */
static const uint8_t resp[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00,
	0x00, 0x00,
	/* 12: www.a.test A IN */
	0x03, 'w', 'w', 'w', 0x01, 'a', 0x04, 't', 'e', 's', 't', 0x00,
	0x00, 0x01, 0x00, 0x01,
	/* 28: www -> CNAME b.a.test (b + pointer to "a.test" at 16), TTL 50 */
	0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x32,
	0x00, 0x04, 0x01, 'b', 0xc0, 0x10,
	/* 44: b.a.test A 10.0.0.1, TTL 0 (counts as 600) */
	0xc0, 0x2a, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x04, 10, 0, 0, 1,
	/* 60: b.a.test A 10.0.0.2, TTL 300 */
	0xc0, 0x2a, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c,
	0x00, 0x04, 10, 0, 0, 2,
};

static void
test_dns_msg_response(void **state)
{
	struct dns_msg	 m;
	const char	*why;
	size_t		 i;

	assert_int_equal(parse_n(resp, sizeof(resp), DNS_MSG_ANSWERS, &m,
	    &why), 0);
	assert_string_equal(m.qname, "www.a.test");
	assert_int_equal(m.nips, 2);
	assert_int_equal(m.ips[0].addr[3], 1);
	assert_int_equal(m.ips[1].addr[3], 2);
	assert_int_equal(m.ttl, 50);
	/* Every truncation is an error, never a read past the end. */
	for (i = 0; i < sizeof(resp); i++)
		assert_int_equal(parse_n(resp, i, DNS_MSG_ANSWERS, &m, &why),
		    -1);
	/* The question alone needs only its bytes. */
	assert_int_equal(parse_n(resp, 28, DNS_MSG_QUESTION, &m, &why), 0);
}

static void
test_dns_msg_malformed(void **state)
{
	uint8_t		 b[sizeof(resp)];
	struct dns_msg	 m;
	const char	*why = NULL;
	char		 big[600];
	uint8_t		 q[600];
	size_t		 i, o;

	/* A pointer to itself, and one pointing forward. */
	memcpy(b, resp, sizeof(b));
	b[28] = 0xc0;
	b[29] = 28;
	assert_int_equal(parse_n(b, sizeof(b), DNS_MSG_ANSWERS, &m, &why), -1);
	assert_string_equal(why, "bad compression pointer");
	b[29] = 40;
	assert_int_equal(parse_n(b, sizeof(b), DNS_MSG_ANSWERS, &m, &why), -1);
	/* Label types 01 and 10 are reserved. */
	memcpy(b, resp, sizeof(b));
	b[12] = 0x43;
	assert_int_equal(parse_n(b, sizeof(b), DNS_MSG_QUESTION, &m, &why),
	    -1);
	/* A dot or a control byte inside a label. */
	memcpy(b, resp, sizeof(b));
	b[13] = '.';
	assert_int_equal(parse_n(b, sizeof(b), DNS_MSG_QUESTION, &m, &why),
	    -1);
	b[13] = 0;
	assert_int_equal(parse_n(b, sizeof(b), DNS_MSG_QUESTION, &m, &why),
	    -1);
	/* An A record of 5 bytes. */
	memcpy(b, resp, sizeof(b));
	b[55] = 5;
	assert_int_equal(parse_n(b, sizeof(b), DNS_MSG_ANSWERS, &m, &why), -1);
	/* A name longer than 253 characters in text. */
	memset(q, 0, sizeof(q));
	q[5] = 1;
	for (o = 12, i = 0; i < 5; i++) {
		q[o++] = 63;
		memset(q + o, 'x', 63);
		o += 63;
	}
	q[o++] = 0;
	o += 4;
	assert_int_equal(parse_n(q, o, DNS_MSG_QUESTION, &m, &why), -1);
	assert_string_equal(why, "name too long");
	/* 253 is fine: 3 x 63 + 61 and the dots. */
	memset(big, 0, sizeof(big));
	for (i = 0; i < 3; i++) {
		memset(big + i * 64, 'y', 63);
		big[i * 64 + 63] = '.';
	}
	memset(big + 192, 'z', 61);
	assert_int_equal(strlen(big), 253);
	assert_true(dns_msg_query(q, sizeof(q), 9, big, DNS_TYPE_A, NULL) > 0);
	assert_int_equal(parse_n(q, 12 + 255 + 4, DNS_MSG_QUESTION, &m, &why),
	    0);
	assert_string_equal(m.qname, big);
	/* Shorter than a header. */
	assert_int_equal(parse_n(resp, 11, DNS_MSG_QUESTION, &m, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_msg_query),
		cmocka_unit_test(test_dns_msg_query_ecs),
		cmocka_unit_test(test_dns_msg_answer),
		cmocka_unit_test(test_dns_msg_response),
		cmocka_unit_test(test_dns_msg_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
