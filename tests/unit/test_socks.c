/* SPDX-License-Identifier: MIT */
/*
 * test_socks.c: SOCKS5/4/4a codec — every message, split input, malformed
 * tables and encoders; limits checked against /usr/bin/v2ray 4.34.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "socks/socks5.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

/*
 * Each prefix is copied into a buffer of exactly its length, so ASan
 * catches a decoder that reads past len.
 */
static uint8_t *
socks_test_dup(const uint8_t *p, size_t n)
{
	uint8_t	*b = malloc(n ? n : 1);

	assert_non_null(b);
	if (n)
		memcpy(b, p, n);
	return b;
}

/* Every strict prefix needs more; the whole decodes to its full length. */
#define SPLIT_CHECK(fn, msg, len, outp) do {				\
	const char	*e_;						\
	uint8_t		*b_;						\
	size_t		 i_;						\
	for (i_ = 0; i_ < (len); i_++) {				\
		e_ = NULL;						\
		b_ = socks_test_dup((msg), i_);				\
		assert_int_equal(fn(b_, i_, (outp), &e_), 0);		\
		assert_null(e_);					\
		free(b_);						\
	}								\
	e_ = NULL;							\
	b_ = socks_test_dup((msg), (len));				\
	assert_int_equal(fn(b_, (len), (outp), &e_), (len));		\
	assert_null(e_);						\
	free(b_);							\
} while (0)

/* Malformed: -1 with a reason, on exactly the bytes given. */
#define BAD_CHECK(fn, msg, len, outp) do {				\
	const char	*e_ = NULL;					\
	uint8_t		*b_ = socks_test_dup((msg), (len));		\
	assert_int_equal(fn(b_, (len), (outp), &e_), -1);		\
	assert_non_null(e_);						\
	assert_true(strlen(e_) > 0);					\
	free(b_);							\
} while (0)

struct socks_test_bad {
	const char	*what;
	uint8_t		 b[24];
	size_t		 n;
};

static void
test_socks_greeting_decode(void **state)
{
	static const uint8_t	 g[] = { 5, 2, 0, 2 };
	static const uint8_t	 zero[] = { 5, 0, 0xAA };
	uint8_t			 all[2 + 255 + 3];
	struct socks_greeting	 out;
	const char		*e = NULL;
	size_t			 i;

	SPLIT_CHECK(socks5_greeting_decode, g, sizeof(g), &out);
	assert_int_equal(out.nmethods, 2);
	assert_int_equal(out.methods[0], SOCKS_METHOD_NOAUTH);
	assert_int_equal(out.methods[1], SOCKS_METHOD_PASSWORD);

	/* 4.34 answers NMETHODS 0 with 05 FF, so it must decode. */
	memset(&out, 0xEE, sizeof(out));
	assert_int_equal(socks5_greeting_decode(zero, sizeof(zero), &out, &e),
	    2);
	assert_int_equal(out.nmethods, 0);

	/* 255 methods, with trailing bytes that belong to the next step. */
	all[0] = 5;
	all[1] = 255;
	for (i = 0; i < 255; i++)
		all[2 + i] = (uint8_t)i;
	memset(all + 257, 0x77, 3);
	assert_int_equal(socks5_greeting_decode(all, sizeof(all), &out, &e),
	    257);
	assert_int_equal(out.nmethods, 255);
	assert_int_equal(out.methods[0], 0);
	assert_int_equal(out.methods[254], 254);
	assert_int_equal(socks5_greeting_decode(all, 256, &out, &e), 0);
}

static void
test_socks_greeting_malformed(void **state)
{
	static const uint8_t	 v4[] = { 4, 1, 0 };
	static const uint8_t	 v6[] = { 6, 1, 0 };
	static const uint8_t	 v0[] = { 0 };
	struct socks_greeting	 out;

	BAD_CHECK(socks5_greeting_decode, v4, sizeof(v4), &out);
	BAD_CHECK(socks5_greeting_decode, v6, sizeof(v6), &out);
	/* The version alone is enough to refuse. */
	BAD_CHECK(socks5_greeting_decode, v6, 1, &out);
	BAD_CHECK(socks5_greeting_decode, v0, 1, &out);
}

static void
test_socks_userpass_decode(void **state)
{
	static const uint8_t	 m[] = { 1, 5, 'a', 'l', 'i', 'c', 'e', 3,
				    'p', 'w', 'd', 0x05 };
	/* The sub-negotiation version is not checked. */
	static const uint8_t	 empty[] = { 7, 0, 0 };
	uint8_t			 big[3 + 255 + 255];
	struct socks_userpass	 out;
	const char		*e = NULL;

	SPLIT_CHECK(socks5_userpass_decode, m, sizeof(m) - 1, &out);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.pass, "pwd");
	/* The byte after the message is left for the request. */
	assert_int_equal(socks5_userpass_decode(m, sizeof(m), &out, &e),
	    sizeof(m) - 1);

	memset(&out, 'z', sizeof(out));
	SPLIT_CHECK(socks5_userpass_decode, empty, sizeof(empty), &out);
	assert_string_equal(out.user, "");
	assert_string_equal(out.pass, "");

	big[0] = 1;
	big[1] = 255;
	memset(big + 2, 'u', 255);
	big[257] = 255;
	memset(big + 258, 'p', 255);
	SPLIT_CHECK(socks5_userpass_decode, big, sizeof(big), &out);
	assert_int_equal(strlen(out.user), 255);
	assert_int_equal(strlen(out.pass), 255);
	assert_int_equal(out.user[254], 'u');
	assert_int_equal(out.pass[0], 'p');
}

static void
test_socks_userpass_malformed(void **state)
{
	static const struct socks_test_bad bad[] = {
		{ "NUL in user", { 1, 2, 'a', 0, 1, 'x' }, 6 },
		{ "NUL in pass", { 1, 1, 'a', 2, 'x', 0 }, 6 },
		{ "NUL user", { 1, 1, 0, 1, 'x' }, 5 },
	};
	struct socks_userpass	 out;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		BAD_CHECK(socks5_userpass_decode, bad[i].b, bad[i].n, &out);
}

static void
test_socks_request_ipv4(void **state)
{
	static const uint8_t	 m[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0x1F,
				    0x90 };
	static const uint8_t	 lax[] = { 9, 2, 7, 1, 10, 1, 2, 3, 0xFF,
				    0xFF, 'x' };
	struct socks_request	 rq;
	const char		*e = NULL;

	SPLIT_CHECK(socks5_request_decode, m, sizeof(m), &rq);
	assert_int_equal(rq.cmd, SOCKS_CMD_CONNECT);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_IPV4);
	assert_memory_equal(rq.addr.ip, "\x7f\0\0\1", 4);
	assert_int_equal(rq.addr.port, 8080);

	/* VER 9 and RSV 7 pass, as 4.34; trailing data is not consumed. */
	assert_int_equal(socks5_request_decode(lax, sizeof(lax), &rq, &e), 10);
	assert_int_equal(rq.cmd, SOCKS_CMD_BIND);
	assert_memory_equal(rq.addr.ip, "\x0a\x01\x02\x03", 4);
	assert_int_equal(rq.addr.port, 65535);
}

static void
test_socks_request_ipv6(void **state)
{
	static const uint8_t	 m[] = { 5, 3, 0, 4, 0x20, 0x01, 0x0d, 0xb8,
				    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd,
				    0x01, 0xBB };
	struct socks_request	 rq;

	SPLIT_CHECK(socks5_request_decode, m, sizeof(m), &rq);
	assert_int_equal(rq.cmd, SOCKS_CMD_UDP);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_IPV6);
	assert_memory_equal(rq.addr.ip, m + 4, 16);
	assert_int_equal(rq.addr.port, 443);
}

static void
test_socks_request_domain(void **state)
{
	static const uint8_t	 one[] = { 5, 0xF0, 0, 3, 1, 'x', 0, 53 };
	uint8_t			 m[4 + 1 + 255 + 2];
	struct socks_request	 rq;

	SPLIT_CHECK(socks5_request_decode, one, sizeof(one), &rq);
	assert_int_equal(rq.cmd, SOCKS_CMD_TOR_RESOLVE);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_DOMAIN);
	assert_string_equal(rq.addr.domain, "x");
	assert_int_equal(rq.addr.port, 53);

	memcpy(m, "\x05\x01\x00\x03", 4);
	m[4] = 255;
	memset(m + 5, 'a', 255);
	m[9] = '.';
	m[10] = '-';
	m[11] = '_';
	m[12] = 'Z';
	m[13] = '9';
	m[260] = 1;
	m[261] = 0;
	SPLIT_CHECK(socks5_request_decode, m, sizeof(m), &rq);
	assert_int_equal(strlen(rq.addr.domain), 255);
	assert_memory_equal(rq.addr.domain, m + 5, 255);
	assert_int_equal(rq.addr.port, 256);
}

static void
test_socks_request_ip_literal_domain(void **state)
{
	/* 4.34 takes these as IPs; /usr/bin/v2ray accepted "[::1]". */
	static const char	*ok[] = { "[::1]", "2001:db8::1", "1::",
				    "1::ffff:1.2.3.4", "[2001:db8::2]",
				    "127.0.0.1", "01.example",
				    "[::ffff:1.2.3.4]" };
	uint8_t			 m[4 + 1 + 255 + 2];
	struct socks_request	 rq;
	const char		*e;
	size_t			 i, n;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = strlen(ok[i]);
		memcpy(m, "\x05\x01\x00\x03", 4);
		m[4] = (uint8_t)n;
		memcpy(m + 5, ok[i], n);
		m[5 + n] = 0;
		m[6 + n] = 80;
		e = NULL;
		assert_int_equal(socks5_request_decode(m, 7 + n, &rq, &e),
		    (ssize_t)(7 + n));
		assert_int_equal(rq.addr.atyp, SOCKS_ATYP_DOMAIN);
		assert_string_equal(rq.addr.domain, ok[i]);
	}
}

static void
test_socks_request_malformed(void **state)
{
	static const struct socks_test_bad bad[] = {
		{ "atyp 0", { 5, 1, 0, 0 }, 4 },
		{ "atyp 2", { 5, 1, 0, 2, 1, 2, 3, 4, 0, 80 }, 10 },
		{ "atyp 5", { 5, 1, 0, 5, 1, 2, 3, 4, 0, 80 }, 10 },
		{ "atyp ff", { 5, 1, 0, 0xff, 1, 2, 3, 4, 0, 80 }, 10 },
		{ "empty name", { 5, 1, 0, 3, 0, 0, 80 }, 7 },
		{ "empty name, no port yet", { 5, 1, 0, 3, 0 }, 5 },
		{ "NUL in name", { 5, 1, 0, 3, 2, 'a', 0, 0, 80 }, 9 },
		{ "NUL after IP", { 5, 1, 0, 3, 9, '1', '.', '2', '.', '3',
		    '.', '4', 0, 'x', 0, 80 }, 16 },
		{ "space", { 5, 1, 0, 3, 3, 'a', ' ', 'b', 0, 80 }, 10 },
		{ "star", { 5, 1, 0, 3, 3, 'a', '*', 'b', 0, 80 }, 10 },
		{ "utf-8", { 5, 1, 0, 3, 6, 0xc3, 0xa9, '.', 'c', 'o', 'm',
		    0, 80 }, 13 },
		{ "host:port", { 5, 1, 0, 3, 6, '1', '.', '2', ':', '8', '0',
		    0, 80 }, 13 },
		{ "bare ::1", { 5, 1, 0, 3, 3, ':', ':', '1', 0, 80 }, 10 },
		{ "empty []", { 5, 1, 0, 3, 2, '[', ']', 0, 80 }, 9 },
		{ "[ without ]", { 5, 1, 0, 3, 4, '[', ':', ':', '1', 0, 80 },
		    11 },
	};
	struct socks_request	 rq;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		BAD_CHECK(socks5_request_decode, bad[i].b, bad[i].n, &rq);
}

static void
test_socks_addr_decode(void **state)
{
	static const uint8_t	 v4[] = { 1, 8, 8, 4, 4, 0, 53 };
	static const uint8_t	 bad[] = { 3, 0 };
	struct socks_addr	 a;

	SPLIT_CHECK(socks_addr_decode, v4, sizeof(v4), &a);
	assert_int_equal(a.atyp, SOCKS_ATYP_IPV4);
	assert_memory_equal(a.ip, "\x08\x08\x04\x04", 4);
	assert_int_equal(a.port, 53);
	BAD_CHECK(socks_addr_decode, bad, sizeof(bad), &a);
}

static void
test_socks_socks4_decode(void **state)
{
	static const uint8_t	 s4[] = { 4, 1, 0, 80, 10, 0, 0, 1, 'u',
				    0 };
	static const uint8_t	 anon[] = { 4, 2, 0x1F, 0x90, 1, 0, 0, 0, 0,
				    0xAB };
	static const uint8_t	 s4a[] = { 4, 1, 1, 0, 0, 0, 0, 9, 'i', 'd',
				    0, 'h', 'o', 's', 't', 0 };
	/* Only IP[0] decides 4a: 0.1.2.3 is 4a, 1.0.0.0 is not. */
	static const uint8_t	 s4a2[] = { 4, 1, 0, 21, 0, 1, 2, 3, 0, 'd',
				    0 };
	struct socks4_request	 rq;
	const char		*e = NULL;

	SPLIT_CHECK(socks4_request_decode, s4, sizeof(s4), &rq);
	assert_int_equal(rq.cmd, SOCKS_CMD_CONNECT);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_IPV4);
	assert_memory_equal(rq.addr.ip, "\x0a\0\0\1", 4);
	assert_int_equal(rq.addr.port, 80);
	assert_string_equal(rq.userid, "u");

	/* Empty user id; the byte after the NUL is not consumed. */
	assert_int_equal(socks4_request_decode(anon, sizeof(anon), &rq, &e),
	    9);
	assert_int_equal(rq.cmd, SOCKS_CMD_BIND);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_IPV4);
	assert_memory_equal(rq.addr.ip, "\x01\0\0\0", 4);
	assert_int_equal(rq.addr.port, 8080);
	assert_string_equal(rq.userid, "");

	SPLIT_CHECK(socks4_request_decode, s4a, sizeof(s4a), &rq);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_DOMAIN);
	assert_string_equal(rq.addr.domain, "host");
	assert_string_equal(rq.userid, "id");
	assert_int_equal(rq.addr.port, 256);

	SPLIT_CHECK(socks4_request_decode, s4a2, sizeof(s4a2), &rq);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_DOMAIN);
	assert_string_equal(rq.addr.domain, "d");
	assert_int_equal(rq.addr.port, 21);
}

static void
test_socks_socks4_limits(void **state)
{
	uint8_t			*m;
	size_t			 n;
	struct socks4_request	 rq;
	const char		*e;

	/* A 2047-byte user id passes on 4.34; the copy keeps 255. */
	n = 8 + 2047 + 1;
	m = malloc(n);
	assert_non_null(m);
	memcpy(m, "\x04\x01\x00\x50\x7f\x00\x00\x01", 8);
	memset(m + 8, 'x', 2047);
	m[8 + 2047] = 0;
	m[8] = 'A';
	e = NULL;
	assert_int_equal(socks4_request_decode(m, n, &rq, &e), (ssize_t)n);
	assert_int_equal(strlen(rq.userid), 255);
	assert_int_equal(rq.userid[0], 'A');
	/* No NUL yet, but still within the limit: need more. */
	assert_int_equal(socks4_request_decode(m, n - 1, &rq, &e), 0);
	assert_null(e);
	free(m);

	/* 2048 bytes without a NUL overrun 4.34's buffer. */
	n = 8 + 2048 + 1;
	m = malloc(n);
	assert_non_null(m);
	memcpy(m, "\x04\x01\x00\x50\x7f\x00\x00\x01", 8);
	memset(m + 8, 'x', 2048);
	m[8 + 2048] = 0;
	BAD_CHECK(socks4_request_decode, m, n, &rq);
	BAD_CHECK(socks4_request_decode, m, n - 1, &rq);
	free(m);

	/* 4a domain: 255 fits socks_addr, 256 does not. */
	n = 8 + 1 + 255 + 1;
	m = malloc(n + 1);
	assert_non_null(m);
	memcpy(m, "\x04\x01\x00\x50\x00\x00\x00\x01\x00", 9);
	memset(m + 9, 'd', 256);
	m[9 + 255] = 0;
	SPLIT_CHECK(socks4_request_decode, m, n, &rq);
	assert_int_equal(strlen(rq.addr.domain), 255);
	m[9 + 255] = 'd';
	m[9 + 256] = 0;
	BAD_CHECK(socks4_request_decode, m, n + 1, &rq);
	/* Refused as soon as 256 bytes without a NUL are in. */
	BAD_CHECK(socks4_request_decode, m, n, &rq);
	free(m);
}

static void
test_socks_socks4_malformed(void **state)
{
	static const struct socks_test_bad bad[] = {
		{ "version 5", { 5, 1, 0, 80, 1, 2, 3, 4, 0 }, 9 },
		{ "version 5, 1 byte", { 5 }, 1 },
		{ "version 0", { 0, 1, 0, 80, 1, 2, 3, 4, 0 }, 9 },
		{ "empty 4a domain", { 4, 1, 0, 80, 0, 0, 0, 1, 'u', 0, 0 },
		    11 },
	};
	struct socks4_request	 rq;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		BAD_CHECK(socks4_request_decode, bad[i].b, bad[i].n, &rq);
}

static void
test_socks_udp_decode(void **state)
{
	static const uint8_t	 d4[] = { 0, 0, 0, 1, 127, 0, 0, 1, 0, 53,
				    'h', 'i' };
	static const uint8_t	 dn[] = { 0xAB, 0xCD, 1, 3, 1, 'a', 0, 53,
				    'x' };
	static const uint8_t	 d6[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0, 0, 0, 1, 0x12, 0x34 };
	struct socks_udp_header	 h;
	const char		*e = NULL;

	assert_int_equal(socks5_udp_decode(d4, sizeof(d4), &h, &e), 10);
	assert_int_equal(h.frag, 0);
	assert_int_equal(h.addr.atyp, SOCKS_ATYP_IPV4);
	assert_memory_equal(h.addr.ip, "\x7f\0\0\1", 4);
	assert_int_equal(h.addr.port, 53);

	/* RSV is ignored; FRAG is reported for the caller to drop. */
	assert_int_equal(socks5_udp_decode(dn, sizeof(dn), &h, &e), 8);
	assert_int_equal(h.frag, 1);
	assert_int_equal(h.addr.atyp, SOCKS_ATYP_DOMAIN);
	assert_string_equal(h.addr.domain, "a");

	/* A bare header with no payload still decodes. */
	assert_int_equal(socks5_udp_decode(d6, sizeof(d6), &h, &e),
	    sizeof(d6));
	assert_int_equal(h.addr.atyp, SOCKS_ATYP_IPV6);
	assert_int_equal(h.addr.ip[15], 1);
	assert_int_equal(h.addr.port, 0x1234);
}

static void
test_socks_udp_malformed(void **state)
{
	static const uint8_t	 d4[] = { 0, 0, 0, 1, 127, 0, 0, 1, 0, 53 };
	static const uint8_t	 d6[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0, 0, 0, 1, 0x12, 0x34 };
	static const uint8_t	 atyp[] = { 0, 0, 0, 7, 1, 2, 3, 4, 0, 1 };
	static const uint8_t	 dom[] = { 0, 0, 0, 3, 0, 0, 1, 'x' };
	struct socks_udp_header	 h;
	size_t			 i;

	/* A datagram is whole: every truncation is malformed, never 0. */
	for (i = 0; i < sizeof(d4); i++)
		BAD_CHECK(socks5_udp_decode, d4, i, &h);
	for (i = 0; i < sizeof(d6); i++)
		BAD_CHECK(socks5_udp_decode, d6, i, &h);
	BAD_CHECK(socks5_udp_decode, atyp, sizeof(atyp), &h);
	BAD_CHECK(socks5_udp_decode, dom, sizeof(dom), &h);
}

static void
socks_test_addr(struct socks_addr *a, uint8_t atyp, const char *dom,
    uint16_t port)
{
	size_t	 i;

	memset(a, 0, sizeof(*a));
	a->atyp = atyp;
	a->port = port;
	for (i = 0; i < 16; i++)
		a->ip[i] = (uint8_t)(0xA0 + i);
	if (dom != NULL)
		snprintf(a->domain, sizeof(a->domain), "%s", dom);
}

static void
test_socks_reply_encode(void **state)
{
	struct socks_addr	 a;
	uint8_t			 buf[300];

	socks_test_addr(&a, SOCKS_ATYP_IPV4, NULL, 1080);
	memcpy(a.ip, "\x7f\0\0\1", 4);
	assert_int_equal(socks5_reply_encode(SOCKS_REP_OK, &a, buf,
	    sizeof(buf)), 10);
	assert_memory_equal(buf, "\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38",
	    10);

	/* What the handler sends for BIND and friends (doc §3.2). */
	socks_test_addr(&a, SOCKS_ATYP_IPV4, NULL, 0);
	memset(a.ip, 0, 4);
	assert_int_equal(socks5_reply_encode(SOCKS_REP_CMD_UNSUPP, &a, buf,
	    sizeof(buf)), 10);
	assert_memory_equal(buf, "\x05\x07\x00\x01\0\0\0\0\0\0", 10);

	socks_test_addr(&a, SOCKS_ATYP_IPV6, NULL, 0xFFFF);
	assert_int_equal(socks5_reply_encode(SOCKS_REP_FAIL, &a, buf,
	    sizeof(buf)), 22);
	assert_memory_equal(buf, "\x05\x01\x00\x04", 4);
	assert_memory_equal(buf + 4, a.ip, 16);
	assert_memory_equal(buf + 20, "\xff\xff", 2);

	socks_test_addr(&a, SOCKS_ATYP_DOMAIN, "localhost", 4685);
	assert_int_equal(socks5_reply_encode(SOCKS_REP_OK, &a, buf,
	    sizeof(buf)), 3 + 2 + 9 + 2);
	assert_memory_equal(buf, "\x05\x00\x00\x03\x09localhost\x12\x4d", 16);
}

static void
test_socks_udp_encode(void **state)
{
	struct socks_addr	 a;
	struct socks_udp_header	 h;
	uint8_t			 buf[300];
	const char		*e = NULL;

	/* The echo from doc §3.3: the domain form is kept. */
	socks_test_addr(&a, SOCKS_ATYP_DOMAIN, "localhost", 4685);
	assert_int_equal(socks5_udp_encode(&a, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, "\x00\x00\x00\x03\x09localhost\x12\x4d", 16);
	assert_int_equal(socks5_udp_decode(buf, 16, &h, &e), 16);
	assert_int_equal(h.frag, 0);
	assert_string_equal(h.addr.domain, "localhost");
	assert_int_equal(h.addr.port, 4685);

	socks_test_addr(&a, SOCKS_ATYP_IPV4, NULL, 53);
	assert_int_equal(socks5_udp_encode(&a, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "\x00\x00\x00\x01\xa0\xa1\xa2\xa3\x00\x35",
	    10);
}

static void
test_socks_socks4_reply_encode(void **state)
{
	uint8_t	 buf[9];

	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(socks4_reply_encode(1, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "\x00\x5a\0\0\0\0\0\0\xee", 9);
	assert_int_equal(socks4_reply_encode(0, buf, 8), 8);
	assert_memory_equal(buf, "\x00\x5b\0\0\0\0\0\0", 8);
	assert_int_equal(socks4_reply_encode(42, buf, 8), 8);
	assert_int_equal(buf[1], 0x5a);
}

static void
test_socks_request_encode(void **state)
{
	static const uint8_t	 atyps[] = { SOCKS_ATYP_IPV4,
				    SOCKS_ATYP_IPV6, SOCKS_ATYP_DOMAIN };
	static const char	*doms[] = { "x", "example.com" };
	struct socks_addr	 a;
	struct socks_request	 rq;
	uint8_t			 buf[300];
	char			 longdom[256];
	ssize_t			 n;
	size_t			 i, j;

	socks_test_addr(&a, SOCKS_ATYP_DOMAIN, "example.com", 443);
	n = socks5_request_encode(SOCKS_CMD_CONNECT, &a, buf, sizeof(buf));
	assert_int_equal(n, 18);
	assert_memory_equal(buf, "\x05\x01\x00\x03\x0b" "example.com\x01\xbb",
	    18);

	/* Round trips through the decoder, whole and split. */
	memset(longdom, 'q', 255);
	longdom[255] = '\0';
	for (i = 0; i < sizeof(atyps); i++) {
		for (j = 0; j < 3; j++) {
			socks_test_addr(&a, atyps[i], j < 2 ? doms[j] :
			    longdom, (uint16_t)(i * 1000 + j));
			n = socks5_request_encode(SOCKS_CMD_UDP, &a, buf,
			    sizeof(buf));
			assert_true(n > 0);
			SPLIT_CHECK(socks5_request_decode, buf, (size_t)n,
			    &rq);
			assert_int_equal(rq.cmd, SOCKS_CMD_UDP);
			assert_int_equal(rq.addr.atyp, a.atyp);
			assert_int_equal(rq.addr.port, a.port);
			if (a.atyp == SOCKS_ATYP_DOMAIN)
				assert_string_equal(rq.addr.domain, a.domain);
			else
				assert_memory_equal(rq.addr.ip, a.ip,
				    a.atyp == SOCKS_ATYP_IPV4 ? 4 : 16);
		}
	}
}

/* The socks outbound's side: hello (+ RFC 1929) and the server's reply. */
static void
test_socks_client_hello_reply(void **state)
{
	struct socks_request	 rp;
	struct socks_addr	 a;
	const char		*err = NULL;
	uint8_t			 buf[600];
	char			 u[257];

	assert_int_equal(socks5_hello_encode(NULL, NULL, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "\x05\x01\x00", 3);
	assert_int_equal(socks5_hello_encode("su", "sp", buf, sizeof(buf)),
	    3 + 3 + 4);
	assert_memory_equal(buf, "\x05\x01\x02\x01\x02su\x02sp", 10);
	assert_int_equal(socks5_hello_encode("", "", buf, sizeof(buf)), 6);
	assert_int_equal(socks5_hello_encode("su", "sp", buf, 9), -1);
	memset(u, 'u', 256);
	u[256] = '\0';
	assert_int_equal(socks5_hello_encode(u, "p", buf, sizeof(buf)), -1);

	socks_test_addr(&a, SOCKS_ATYP_IPV4, NULL, 1080);
	assert_int_equal(socks5_reply_encode(SOCKS_REP_OK, &a, buf,
	    sizeof(buf)), 10);
	SPLIT_CHECK(socks5_reply_decode, buf, 10, &rp);
	assert_int_equal(rp.cmd, SOCKS_REP_OK);
	assert_int_equal(rp.addr.port, 1080);
	buf[0] = 4;
	assert_int_equal(socks5_reply_decode(buf, 10, &rp, &err), -1);
	assert_non_null(err);
}

static void
test_socks_encode_unencodable(void **state)
{
	struct socks_addr	 a;
	uint8_t			 buf[600];

	socks_test_addr(&a, SOCKS_ATYP_DOMAIN, "", 80);
	assert_int_equal(socks_addr_encode(&a, buf, sizeof(buf)), -1);
	assert_int_equal(socks5_reply_encode(0, &a, buf, sizeof(buf)), -1);
	assert_int_equal(socks5_udp_encode(&a, buf, sizeof(buf)), -1);
	assert_int_equal(socks5_request_encode(1, &a, buf, sizeof(buf)), -1);

	/* domain[] with no NUL at all: 256 bytes cannot be encoded. */
	memset(a.domain, 'a', sizeof(a.domain));
	assert_int_equal(socks_addr_encode(&a, buf, sizeof(buf)), -1);

	socks_test_addr(&a, 0, NULL, 80);
	assert_int_equal(socks_addr_encode(&a, buf, sizeof(buf)), -1);
	socks_test_addr(&a, 2, NULL, 80);
	assert_int_equal(socks5_reply_encode(0, &a, buf, sizeof(buf)), -1);
}

/*
 * Every capacity below the needed length fails, into a buffer of exactly
 * that capacity so ASan sees any write past it; the exact one succeeds.
 */
static void
test_socks_encode_cap_too_small(void **state)
{
	static const uint8_t	 atyps[] = { SOCKS_ATYP_IPV4,
				    SOCKS_ATYP_IPV6, SOCKS_ATYP_DOMAIN };
	struct socks_addr	 a;
	uint8_t			*b;
	ssize_t			 need[4], got;
	size_t			 i, k, cap;
	char			 dom[256];

	memset(dom, 'm', 255);
	dom[255] = '\0';
	for (i = 0; i < sizeof(atyps); i++) {
		socks_test_addr(&a, atyps[i], dom, 8080);
		need[0] = atyps[i] == SOCKS_ATYP_IPV4 ? 7 :
		    atyps[i] == SOCKS_ATYP_IPV6 ? 19 : 2 + 255 + 2;
		need[1] = need[2] = need[3] = need[0] + 3;
		for (k = 0; k < 4; k++) {
			for (cap = 0; cap <= (size_t)need[k]; cap++) {
				b = malloc(cap ? cap : 1);
				assert_non_null(b);
				switch (k) {
				case 0:
					got = socks_addr_encode(&a, b, cap);
					break;
				case 1:
					got = socks5_reply_encode(0, &a, b,
					    cap);
					break;
				case 2:
					got = socks5_udp_encode(&a, b, cap);
					break;
				default:
					got = socks5_request_encode(1, &a, b,
					    cap);
					break;
				}
				assert_int_equal(got, cap < (size_t)need[k] ?
				    -1 : need[k]);
				free(b);
			}
		}
	}
	for (cap = 0; cap < 8; cap++) {
		b = malloc(cap ? cap : 1);
		assert_non_null(b);
		assert_int_equal(socks4_reply_encode(1, b, cap), -1);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socks_greeting_decode),
		cmocka_unit_test(test_socks_greeting_malformed),
		cmocka_unit_test(test_socks_userpass_decode),
		cmocka_unit_test(test_socks_userpass_malformed),
		cmocka_unit_test(test_socks_request_ipv4),
		cmocka_unit_test(test_socks_request_ipv6),
		cmocka_unit_test(test_socks_request_domain),
		cmocka_unit_test(test_socks_request_ip_literal_domain),
		cmocka_unit_test(test_socks_request_malformed),
		cmocka_unit_test(test_socks_addr_decode),
		cmocka_unit_test(test_socks_socks4_decode),
		cmocka_unit_test(test_socks_socks4_limits),
		cmocka_unit_test(test_socks_socks4_malformed),
		cmocka_unit_test(test_socks_udp_decode),
		cmocka_unit_test(test_socks_udp_malformed),
		cmocka_unit_test(test_socks_reply_encode),
		cmocka_unit_test(test_socks_udp_encode),
		cmocka_unit_test(test_socks_socks4_reply_encode),
		cmocka_unit_test(test_socks_request_encode),
		cmocka_unit_test(test_socks_client_hello_reply),
		cmocka_unit_test(test_socks_encode_unencodable),
		cmocka_unit_test(test_socks_encode_cap_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
