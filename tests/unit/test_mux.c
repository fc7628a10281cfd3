/* SPDX-License-Identifier: MIT */
/*
 * test_mux.c: Mux.Cool frame codec and reverse Control codec — byte-exact
 * vectors (from the reference and from captures of V2Ray 4.34), split
 * input, 4.34's quirks, and the malformed-frame table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "mux/mux_frame.h"
#include "mux/mux_control.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

/*
 * Every strict prefix needs more, the whole frame decodes to its length,
 * and bytes after it are left alone.
 */
static void
check_whole(const uint8_t *f, size_t n, struct mux_frame *out)
{
	uint8_t		 buf[70000];
	const char	*e = NULL;
	size_t		 i;

	assert_true(n + 7 <= sizeof(buf));
	for (i = 0; i < n; i++)
		assert_int_equal(mux_frame_decode(f, i, out, &e), 0);
	memcpy(buf, f, n);
	memcpy(buf + n, "\x00\x04\x00\x09\x03\x00\xff", 7);
	assert_int_equal(mux_frame_decode(buf, n + 7, out, &e), n);
	assert_null(e);
	assert_int_equal(mux_frame_decode(f, n, out, &e), n);
	assert_null(e);
}

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* §1.2: New TCP, domain, first payload inside (79-byte HTTP request). */
static void
test_mux_new_tcp_domain(void **state)
{
	static const uint8_t	 hdr[] = { 0x00, 0x12, 0x00, 0x01, 0x01, 0x01,
				    0x01, 0x46, 0xa0, 0x02, 0x09, 'l', 'o', 'c',
				    'a', 'l', 'h', 'o', 's', 't', 0x00, 0x4f };
	static const char	 req[] = "GET / HTTP/1.1\r\n"
				    "Host: localhost:18080\r\n"
				    "User-Agent: curl/7.88.1\r\n"
				    "Accept: */*\r\n\r\n";
	uint8_t			 f[sizeof(hdr) + 79], enc[300];
	struct mux_frame	 m;
	struct mux_addr		 a;

	assert_int_equal(sizeof(req) - 1, 79);
	memcpy(f, hdr, sizeof(hdr));
	memcpy(f + sizeof(hdr), req, 79);
	check_whole(f, sizeof(f), &m);
	assert_int_equal(m.id, 1);
	assert_int_equal(m.status, MUX_STATUS_NEW);
	assert_int_equal(m.option, MUX_OPT_DATA);
	assert_int_equal(m.network, MUX_NET_TCP);
	assert_int_equal(m.port, 18080);
	assert_int_equal(m.addr.type, MUX_ADDR_DOMAIN);
	assert_string_equal(m.addr.domain, "localhost");
	assert_int_equal(m.extra_len, 0);
	/* Data is referenced in place, not copied. */
	assert_ptr_equal(m.data, f + sizeof(hdr));
	assert_int_equal(m.data_len, 79);

	memset(&a, 0, sizeof(a));
	a.type = MUX_ADDR_DOMAIN;
	strcpy(a.domain, "localhost");
	assert_int_equal(mux_frame_encode_new(1, MUX_NET_TCP, 18080, &a,
	    (const uint8_t *)req, 79, enc, sizeof(enc)), sizeof(f));
	assert_memory_equal(enc, f, sizeof(f));
}

/* §1.2: New TCP, IPv4, with and without a first payload. */
static void
test_mux_new_tcp_ipv4(void **state)
{
	static const uint8_t	 withd[] = { 0x00, 0x0c, 0x00, 0x02, 0x01,
				    0x01, 0x01, 0x46, 0xa0, 0x01, 0x7f, 0x00,
				    0x00, 0x01, 0x00, 0x03, 'a', 'b', 'c' };
	static const uint8_t	 nod[] = { 0x00, 0x0c, 0x00, 0x02, 0x01, 0x00,
				    0x01, 0x46, 0xa0, 0x01, 0x7f, 0x00, 0x00,
				    0x01 };
	static const uint8_t	 lo[4] = { 127, 0, 0, 1 };
	uint8_t			 enc[64];
	struct mux_frame	 m;
	struct mux_addr		 a;

	check_whole(withd, sizeof(withd), &m);
	assert_int_equal(m.id, 2);
	assert_int_equal(m.addr.type, MUX_ADDR_IPV4);
	assert_memory_equal(m.addr.ip, lo, 4);
	assert_int_equal(m.port, 18080);
	assert_int_equal(m.data_len, 3);
	assert_memory_equal(m.data, "abc", 3);

	check_whole(nod, sizeof(nod), &m);
	assert_int_equal(m.option, 0);
	assert_null(m.data);
	assert_int_equal(m.data_len, 0);

	memset(&a, 0, sizeof(a));
	a.type = MUX_ADDR_IPV4;
	memcpy(a.ip, lo, 4);
	assert_int_equal(mux_frame_encode_new(2, MUX_NET_TCP, 18080, &a,
	    (const uint8_t *)"abc", 3, enc, sizeof(enc)), sizeof(withd));
	assert_memory_equal(enc, withd, sizeof(withd));
	assert_int_equal(mux_frame_encode_new(2, MUX_NET_TCP, 18080, &a,
	    NULL, 0, enc, sizeof(enc)), sizeof(nod));
	assert_memory_equal(enc, nod, sizeof(nod));
}

/* §1.2: New UDP, IPv4, one datagram "ping0". */
static void
test_mux_new_udp_ipv4(void **state)
{
	static const uint8_t	 f[] = { 0x00, 0x0c, 0x00, 0x03, 0x01, 0x01,
				    0x02, 0x46, 0x85, 0x01, 0x7f, 0x00, 0x00,
				    0x01, 0x00, 0x05, 'p', 'i', 'n', 'g', '0' };
	uint8_t			 enc[64];
	struct mux_frame	 m;

	check_whole(f, sizeof(f), &m);
	assert_int_equal(m.id, 3);
	assert_int_equal(m.network, MUX_NET_UDP);
	assert_int_equal(m.port, 0x4685);
	assert_int_equal(m.data_len, 5);
	assert_memory_equal(m.data, "ping0", 5);
	assert_int_equal(mux_frame_encode_new(3, MUX_NET_UDP, 0x4685, &m.addr,
	    m.data, m.data_len, enc, sizeof(enc)), sizeof(f));
	assert_memory_equal(enc, f, sizeof(f));
}

/*
 * Captured from 4.34 (socks in, socks out with mux): TCP to
 * [2001:db8::1]:8080, UDP to [::1]:5353 and to example:53.
 */
static void
test_mux_new_ipv6_and_udp_domain(void **state)
{
	static const uint8_t	 tcp6[] = { 0x00, 0x18, 0x00, 0x01, 0x01,
				    0x01, 0x01, 0x1f, 0x90, 0x03, 0x20, 0x01,
				    0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0x01, 0x00, 0x06, 'h', 'e', 'l', 'l', 'o',
				    '6' };
	static const uint8_t	 udp6[] = { 0x00, 0x18, 0x00, 0x02, 0x01,
				    0x01, 0x02, 0x14, 0xe9, 0x03, 0, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,
				    0x04, 'u', 'd', 'p', '6' };
	static const uint8_t udpd[] = {
		0x00, 0x10, 0x00, 0x03, 0x01, 0x01, 0x02, 0x00, 0x35, 0x02,
		0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x00, 0x03, 'd', 'o',
		'm',
	};
	static const uint8_t	 ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
				    0, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t			 enc[64];
	struct mux_frame	 m;

	check_whole(tcp6, sizeof(tcp6), &m);
	assert_int_equal(m.network, MUX_NET_TCP);
	assert_int_equal(m.port, 8080);
	assert_int_equal(m.addr.type, MUX_ADDR_IPV6);
	assert_memory_equal(m.addr.ip, ip6, 16);
	assert_int_equal(mux_frame_encode_new(1, MUX_NET_TCP, 8080, &m.addr,
	    m.data, m.data_len, enc, sizeof(enc)), sizeof(tcp6));
	assert_memory_equal(enc, tcp6, sizeof(tcp6));

	check_whole(udp6, sizeof(udp6), &m);
	assert_int_equal(m.network, MUX_NET_UDP);
	assert_int_equal(m.port, 5353);
	assert_int_equal(m.addr.type, MUX_ADDR_IPV6);
	assert_int_equal(m.addr.ip[15], 1);
	assert_int_equal(mux_frame_encode_new(2, MUX_NET_UDP, 5353, &m.addr,
	    m.data, m.data_len, enc, sizeof(enc)), sizeof(udp6));
	assert_memory_equal(enc, udp6, sizeof(udp6));

	check_whole(udpd, sizeof(udpd), &m);
	assert_int_equal(m.network, MUX_NET_UDP);
	assert_int_equal(m.port, 53);
	assert_string_equal(m.addr.domain, "example");
	assert_int_equal(mux_frame_encode_new(3, MUX_NET_UDP, 53, &m.addr,
	    m.data, m.data_len, enc, sizeof(enc)), sizeof(udpd));
	assert_memory_equal(enc, udpd, sizeof(udpd));
}

/* §1.2: Keep with 185 bytes of data; Keep without data; header only. */
static void
test_mux_keep(void **state)
{
	static const uint8_t	 bare[] = { 0x00, 0x04, 0x00, 0x07, 0x02,
				    0x00 };
	uint8_t			 f[8 + 185], data[185], enc[300];
	struct mux_frame	 m;

	fill(data, sizeof(data), 3);
	memcpy(f, "\x00\x04\x00\x01\x02\x01\x00\xb9", 8);
	memcpy(f + 8, data, sizeof(data));
	check_whole(f, sizeof(f), &m);
	assert_int_equal(m.id, 1);
	assert_int_equal(m.status, MUX_STATUS_KEEP);
	assert_int_equal(m.network, 0);
	assert_ptr_equal(m.data, f + 8);
	assert_int_equal(m.data_len, 185);
	assert_int_equal(mux_frame_encode_keep(1, data, sizeof(data), enc,
	    sizeof(enc)), sizeof(f));
	assert_memory_equal(enc, f, sizeof(f));
	assert_int_equal(mux_frame_encode_keep_hdr(1, 185, enc, sizeof(enc)),
	    MUX_FRAME_KEEP_HDR_LEN);
	assert_memory_equal(enc, f, 8);
	/* The hot-path reader takes exactly this header and nothing else. */
	{
		uint16_t	 id = 0;
		size_t		 n = 0;
		uint8_t		 h[8];

		assert_true(mux_frame_decode_keep_hdr(f, &id, &n));
		assert_int_equal(id, 1);
		assert_int_equal(n, 185);
		memcpy(h, f, 8);
		h[5] = MUX_OPT_DATA | MUX_OPT_ERROR;	/* Keep+E */
		assert_false(mux_frame_decode_keep_hdr(h, &id, &n));
		memcpy(h, f, 8);
		h[1] = 0x0c;				/* metadata beyond id */
		assert_false(mux_frame_decode_keep_hdr(h, &id, &n));
		memcpy(h, f, 8);
		h[5] = 0;				/* Keep, no data */
		assert_false(mux_frame_decode_keep_hdr(h, &id, &n));
	}

	check_whole(bare, sizeof(bare), &m);
	assert_int_equal(m.id, 7);
	assert_null(m.data);
	assert_int_equal(mux_frame_encode_keep(7, NULL, 0, enc, sizeof(enc)),
	    sizeof(bare));
	assert_memory_equal(enc, bare, sizeof(bare));
}

/* §1.2: End and End+E; §1.4.4: KeepAlive. */
static void
test_mux_end_keepalive(void **state)
{
	static const uint8_t	 end[] = { 0x00, 0x04, 0x00, 0x01, 0x03,
				    0x00 };
	static const uint8_t	 ende[] = { 0x00, 0x04, 0x00, 0x03, 0x03,
				    0x02 };
	static const uint8_t	 ka[] = { 0x00, 0x04, 0x00, 0x00, 0x04, 0x00 };
	/* 4.34 accepts a KeepAlive with data and discards it. */
	static const uint8_t	 kad[] = { 0x00, 0x04, 0x00, 0x05, 0x04, 0x01,
				    0x00, 0x02, 'z', 'z' };
	uint8_t			 enc[16];
	struct mux_frame	 m;

	check_whole(end, sizeof(end), &m);
	assert_int_equal(m.status, MUX_STATUS_END);
	assert_int_equal(m.option & MUX_OPT_ERROR, 0);
	assert_int_equal(mux_frame_encode_end(1, 0, enc, sizeof(enc)), 6);
	assert_memory_equal(enc, end, 6);

	check_whole(ende, sizeof(ende), &m);
	assert_int_equal(m.id, 3);
	assert_int_equal(m.option, MUX_OPT_ERROR);
	assert_int_equal(mux_frame_encode_end(3, 1, enc, sizeof(enc)), 6);
	assert_memory_equal(enc, ende, 6);

	check_whole(ka, sizeof(ka), &m);
	assert_int_equal(m.status, MUX_STATUS_KEEPALIVE);
	assert_int_equal(mux_frame_encode_keepalive(enc, sizeof(enc)), 6);
	assert_memory_equal(enc, ka, 6);

	check_whole(kad, sizeof(kad), &m);
	assert_int_equal(m.data_len, 2);
}

/*
 * What 4.34 accepts although it looks odd (§1.2, §1.6, §1.9, §10). The
 * domain-as-IP cases were checked against the 4.34 binary ("10.1.2.3 "
 * dials 10.1.2.3, "1.2.3.05" stays a domain, "::1" is "invalid domain").
 */
static void
test_mux_quirks(void **state)
{
	/* UDP Keep with an XUDP-style address inside L: ignored. */
	static const uint8_t	 xudp[] = { 0x00, 0x0c, 0x00, 0x02, 0x02,
				    0x01, 0x02, 0x00, 0x35, 0x01, 0x08, 0x08,
				    0x08, 0x08, 0x00, 0x02, 'h', 'i' };
	/* sid 0, unknown option bits, D with N = 0. */
	static const uint8_t	 odd[] = { 0x00, 0x04, 0x00, 0x00, 0x02, 0xf5,
				    0x00, 0x00 };
	/* New with bytes after the address inside L. */
	static const uint8_t	 newx[] = { 0x00, 0x0e, 0x00, 0x01, 0x01,
				    0x00, 0x01, 0x00, 0x50, 0x01, 0x0a, 0x00,
				    0x00, 0x01, 0xde, 0xad };
	/* IPv4-mapped IPv6 on the wire is IPv4. */
	static const uint8_t	 mapped[] = { 0x00, 0x18, 0x00, 0x01, 0x01,
				    0x00, 0x01, 0x00, 0x50, 0x03, 0, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 };
	static const uint8_t	 ip[4] = { 192, 0, 2, 1 };
	static const struct {
		const char	*name;
		uint8_t		 type;
		uint8_t		 ip[16];
	} asip[] = {
		/* An IP sent as a domain becomes an IP (first char digit/[). */
		{ "127.0.0.1", MUX_ADDR_IPV4, { 127, 0, 0, 1 } },
		{ "[::1]", MUX_ADDR_IPV6, { [15] = 1 } },
		{ "[::ffff:10.0.0.1]", MUX_ADDR_IPV4, { 10, 0, 0, 1 } },
		{ "[2001:db8::2]", MUX_ADDR_IPV6, { 0x20, 0x01, 0x0d, 0xb8,
		    [15] = 2 } },
		/* Go trims white space when an end is not alphanumeric. */
		{ "10.1.2.3 ", MUX_ADDR_IPV4, { 10, 1, 2, 3 } },
		{ "[ 10.1.2.4\t]", MUX_ADDR_IPV4, { 10, 1, 2, 4 } },
		{ "1.2.3.4\xc2\xa0", MUX_ADDR_IPV4, { 1, 2, 3, 4 } },
	};
	static const char	*asdomain[] = { "1.example", "0x7f.1",
				    "123", "1.2.3.04", "A-Z_a.z", "-" };
	uint8_t			 f[600], enc[600];
	struct mux_frame	 m;
	const char		*e = NULL;
	size_t			 i, n;

	check_whole(xudp, sizeof(xudp), &m);
	assert_int_equal(m.status, MUX_STATUS_KEEP);
	assert_int_equal(m.network, 0);
	assert_int_equal(m.port, 0);
	assert_ptr_equal(m.extra, xudp + 6);
	assert_int_equal(m.extra_len, 8);
	assert_memory_equal(m.data, "hi", 2);

	check_whole(odd, sizeof(odd), &m);
	assert_int_equal(m.id, 0);
	assert_int_equal(m.option, 0xf5);
	assert_non_null(m.data);
	assert_int_equal(m.data_len, 0);

	check_whole(newx, sizeof(newx), &m);
	assert_int_equal(m.port, 80);
	assert_int_equal(m.extra_len, 2);
	assert_ptr_equal(m.extra, newx + 14);

	check_whole(mapped, sizeof(mapped), &m);
	assert_int_equal(m.addr.type, MUX_ADDR_IPV4);
	assert_memory_equal(m.addr.ip, ip, 4);

	for (i = 0; i < sizeof(asip) / sizeof(asip[0]); i++) {
		n = strlen(asip[i].name);
		memcpy(f, "\x00\x00\x00\x01\x01\x00\x01\x00\x50\x02", 10);
		f[1] = (uint8_t)(4 + 1 + 2 + 1 + 1 + n);
		f[10] = (uint8_t)n;
		memcpy(f + 11, asip[i].name, n);
		assert_int_equal(mux_frame_decode(f, 11 + n, &m, &e),
		    11 + n);
		assert_int_equal(m.addr.type, asip[i].type);
		assert_memory_equal(m.addr.ip, asip[i].ip, 16);
	}
	for (i = 0; i < sizeof(asdomain) / sizeof(asdomain[0]); i++) {
		n = strlen(asdomain[i]);
		memcpy(f, "\x00\x00\x00\x01\x01\x00\x01\x00\x50\x02", 10);
		f[1] = (uint8_t)(4 + 1 + 2 + 1 + 1 + n);
		f[10] = (uint8_t)n;
		memcpy(f + 11, asdomain[i], n);
		assert_int_equal(mux_frame_decode(f, 11 + n, &m, &e),
		    11 + n);
		assert_int_equal(m.addr.type, MUX_ADDR_DOMAIN);
		assert_string_equal(m.addr.domain, asdomain[i]);
	}

	/* L = 512 is the largest accepted; a 255-byte domain round-trips. */
	memset(f, 0, sizeof(f));
	memcpy(f, "\x02\x00\x00\x09\x02\x00", 6);
	assert_int_equal(mux_frame_decode(f, 514, &m, &e), 514);
	assert_int_equal(m.extra_len, 508);
	memset(&m.addr, 0, sizeof(m.addr));
	m.addr.type = MUX_ADDR_DOMAIN;
	memset(m.addr.domain, 'a', MUX_DOMAIN_MAX);
	assert_int_equal(mux_frame_encode_new(9, MUX_NET_TCP, 443, &m.addr,
	    (const uint8_t *)"x", 1, enc, MUX_FRAME_HDR_MAX + 1),
	    MUX_FRAME_HDR_MAX + 1);
	check_whole(enc, MUX_FRAME_HDR_MAX + 1, &m);
	assert_int_equal(strlen(m.addr.domain), MUX_DOMAIN_MAX);
	assert_int_equal(m.port, 443);
}

/* Largest data chunk a frame can carry; the decoder does not cap N. */
static void
test_mux_large_data(void **state)
{
	static uint8_t		 data[65535], enc[65535 + 8];
	struct mux_frame	 m;
	const char		*e = NULL;

	fill(data, sizeof(data), 1);
	assert_int_equal(mux_frame_encode_keep(4, data, sizeof(data), enc,
	    sizeof(enc)), sizeof(enc));
	assert_int_equal(mux_frame_decode(enc, sizeof(enc), &m, &e),
	    sizeof(enc));
	assert_int_equal(m.data_len, 65535);
	assert_memory_equal(m.data, data, sizeof(data));
	assert_int_equal(mux_frame_decode(enc, sizeof(enc) - 1, &m, &e), 0);
	/* 2049 bytes on a UDP session is the session's check, not ours. */
	assert_int_equal(mux_frame_encode_keep(4, data, MUX_UDP_MAX + 1, enc,
	    sizeof(enc)), MUX_UDP_MAX + 1 + 8);
	assert_int_equal(mux_frame_decode(enc, MUX_UDP_MAX + 9, &m, &e),
	    MUX_UDP_MAX + 9);
}

/* §1.2, §1.5, §9, §10.13: malformed frames are fatal, with a reason. */
static void
test_mux_malformed(void **state)
{
	static const struct {
		const char	*what;
		size_t		 len;
		uint8_t		 b[24];
		const char	*reason;	/* substring of *errstr */
	} bad[] = {
		{ "L = 513", 2, { 0x02, 0x01 }, "over 512" },
		{ "L = 65535", 2, { 0xff, 0xff }, "over 512" },
		{ "L = 0", 2, { 0x00, 0x00 }, "shorter than 4" },
		{ "L = 3", 5, { 0x00, 0x03, 0x00, 0x01, 0x02 },
		    "shorter than 4" },
		{ "status 0", 6, { 0, 4, 0, 1, 0x00, 0 }, "unknown session" },
		{ "status 5", 6, { 0, 4, 0, 1, 0x05, 0 }, "unknown session" },
		{ "status ff", 6, { 0, 4, 0, 1, 0xff, 1 }, "unknown session" },
		{ "New L = 4", 6, { 0, 4, 0, 1, 1, 0 }, "shorter than 8" },
		{ "New L = 7", 9, { 0, 7, 0, 1, 1, 0, 1, 0, 80 },
		    "shorter than 8" },
		{ "New L = 8 (no address)", 10,
		    { 0, 8, 0, 1, 1, 0, 1, 0, 80, 1 }, "runs past" },
		{ "New network 0", 14,
		    { 0, 12, 0, 1, 1, 0, 0, 0, 80, 1, 127, 0, 0, 1 },
		    "unknown network" },
		{ "New network 3", 14,
		    { 0, 12, 0, 1, 1, 0, 3, 0, 80, 1, 127, 0, 0, 1 },
		    "unknown network" },
		{ "New address type 0", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 0, 127, 0, 0, 1 },
		    "unknown address type" },
		{ "New address type 4 (SOCKS IPv6)", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 4, 127, 0, 0, 1 },
		    "unknown address type" },
		{ "New address type 16", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 16, 127, 0, 0, 1 },
		    "unknown address type" },
		{ "New IPv4 cut by L", 13,
		    { 0, 11, 0, 1, 1, 0, 1, 0, 80, 1, 127, 0, 0 },
		    "runs past" },
		{ "New IPv6 cut by L", 20,
		    { 0, 18, 0, 1, 1, 0, 1, 0, 80, 3, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0 }, "runs past" },
		{ "New domain cut by L", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 2, 5, 'a', 'b', 'c' },
		    "runs past" },
		{ "New empty domain", 11, { 0, 9, 0, 1, 1, 0, 1, 0, 80, 2, 0 },
		    "empty domain" },
		{ "New domain with space", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 2, 3, 'a', ' ', 'b' },
		    "invalid domain" },
		{ "New domain with NUL", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 2, 3, 'a', 0, 'b' },
		    "invalid domain" },
		{ "New domain with 0x80", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 2, 3, 'a', 0x80, 'b' },
		    "invalid domain" },
		{ "New domain ::1 (':' is no IP prefix)", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 2, 3, ':', ':', '1' },
		    "invalid domain" },
		{ "New domain [x]", 14,
		    { 0, 12, 0, 1, 1, 0, 1, 0, 80, 2, 3, '[', 'x', ']' },
		    "invalid domain" },
		{ "New UDP, bad domain", 13,
		    { 0, 11, 0, 1, 1, 1, 2, 0, 53, 2, 2, 'a', '!' },
		    "invalid domain" },
	};
	struct mux_frame	 m;
	const char		*e;
	size_t			 i;
	uint8_t			 f[24];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(f, bad[i].b, sizeof(f));
		e = NULL;
		if (mux_frame_decode(f, bad[i].len, &m, &e) != -1)
			fail_msg("accepted: %s", bad[i].what);
		assert_non_null(e);
		if (strstr(e, bad[i].reason) == NULL)
			fail_msg("%s: reason \"%s\"", bad[i].what, e);
		/* More bytes after it change nothing. */
		memset(f + bad[i].len, 0x01, sizeof(f) - bad[i].len);
		assert_int_equal(mux_frame_decode(f, sizeof(f), &m, &e), -1);
	}
}

/* Encoders refuse what cannot be put on the wire, and short buffers. */
static void
test_mux_encode_errors(void **state)
{
	static uint8_t		 big[65536];
	uint8_t			 out[MUX_FRAME_HDR_MAX + 8];
	struct mux_addr		 a;
	size_t			 cap;
	ssize_t			 full;

	memset(&a, 0, sizeof(a));
	a.type = MUX_ADDR_DOMAIN;
	assert_int_equal(mux_frame_encode_new(1, MUX_NET_TCP, 1, &a, NULL, 0,
	    out, sizeof(out)), -1);			/* empty domain */
	strcpy(a.domain, "example.com");
	assert_int_equal(mux_frame_encode_new(1, 3, 1, &a, NULL, 0, out,
	    sizeof(out)), -1);				/* network */
	assert_int_equal(mux_frame_encode_new(1, MUX_NET_TCP, 1, &a, NULL, 5,
	    out, sizeof(out)), -1);		/* len without data */
	a.type = 4;
	assert_int_equal(mux_frame_encode_new(1, MUX_NET_TCP, 1, &a, NULL, 0,
	    out, sizeof(out)), -1);			/* address type */
	a.type = MUX_ADDR_DOMAIN;
	full = mux_frame_encode_new(1, MUX_NET_TCP, 1, &a,
	    (const uint8_t *)"abc", 3, out, sizeof(out));
	assert_int_equal(full, 2 + 4 + 4 + 1 + 11 + 2 + 3);
	for (cap = 0; cap < (size_t)full; cap++)
		assert_int_equal(mux_frame_encode_new(1, MUX_NET_TCP, 1, &a,
		    (const uint8_t *)"abc", 3, out, cap), -1);

	assert_int_equal(mux_frame_encode_keep(1, big, sizeof(big), out,
	    sizeof(out)), -1);
	assert_int_equal(mux_frame_encode_keep_hdr(1, 65536, out, sizeof(out)),
	    -1);
	assert_int_equal(mux_frame_encode_keep_hdr(1, 1, out, 7), -1);
	assert_int_equal(mux_frame_encode_keep(1, big, 3, out, 10), -1);
	assert_int_equal(mux_frame_encode_keep(1, big, 3, out, 11), 11);
	assert_int_equal(mux_frame_encode_keep(1, NULL, 3, out, 11), -1);
	assert_int_equal(mux_frame_encode_end(1, 0, out, 5), -1);
	assert_int_equal(mux_frame_encode_keepalive(out, 5), -1);
}

/*
 * Captured from 4.34: a portal's first bytes on a new bridge connection —
 * New UDP reverse.internal.v2ray.com:0 on sid 1 carrying the first
 * heartbeat, then two Keep heartbeats 2 s apart.
 */
static const uint8_t portal_capture[] = {
	0x00, 0x23, 0x00, 0x01, 0x01, 0x01, 0x02, 0x00, 0x00, 0x02, 0x1a, 0x72,
	0x65, 0x76, 0x65, 0x72, 0x73, 0x65, 0x2e, 0x69, 0x6e, 0x74, 0x65, 0x72,
	0x6e, 0x61, 0x6c, 0x2e, 0x76, 0x32, 0x72, 0x61, 0x79, 0x2e, 0x63, 0x6f,
	0x6d, 0x00, 0x16, 0x9a, 0x06, 0x13, 0x4e, 0x0b, 0x5a, 0xa5, 0x5d, 0x8b,
	0x9f, 0x4d, 0x1f, 0x56, 0x4f, 0x6f, 0xcf, 0xa9, 0x90, 0x70, 0xc2, 0x0b,
	0x74, 0x00, 0x04, 0x00, 0x01, 0x02, 0x01, 0x00, 0x2f, 0x9a, 0x06, 0x2c,
	0x6d, 0x29, 0x2e, 0xe8, 0xf6, 0xb2, 0x92, 0xad, 0xc1, 0x7e, 0x86, 0xc3,
	0x03, 0xac, 0x0a, 0x7b, 0xcf, 0x79, 0xbb, 0x1a, 0xe2, 0xb9, 0x60, 0x78,
	0xc1, 0xc6, 0xff, 0x1a, 0x8c, 0x28, 0x08, 0xcb, 0x22, 0x1b, 0xe4, 0x9a,
	0xc9, 0x42, 0xe1, 0x54, 0x34, 0xb2, 0x57, 0xe8, 0x00, 0x04, 0x00, 0x01,
	0x02, 0x01, 0x00, 0x2e, 0x9a, 0x06, 0x2b, 0x8e, 0x06, 0xce, 0x74, 0x50,
	0x89, 0x4c, 0x33, 0xda, 0xd5, 0x08, 0x34, 0x24, 0x80, 0x0b, 0xbc, 0x3a,
	0x13, 0xf0, 0xe7, 0xb2, 0xfb, 0xb5, 0x75, 0x44, 0xa8, 0xa4, 0x5b, 0x58,
	0xa4, 0xe7, 0x85, 0x9a, 0x7d, 0xe8, 0x1b, 0x59, 0x96, 0xcb, 0x94, 0x82,
	0x6b, 0xdd,
};

static void
test_mux_control_captured(void **state)
{
	static const size_t	 flen[] = { 61, 55, 54 };
	static const size_t	 rlen[] = { 19, 44, 43 };
	struct mux_frame	 m;
	struct mux_control	 c;
	struct mux_addr		 a;
	const uint8_t		*p = portal_capture;
	size_t			 left = sizeof(portal_capture), i;
	const char		*e = NULL;
	uint8_t			 enc[128];
	ssize_t			 r;

	for (i = 0; i < 3; i++) {
		r = mux_frame_decode(p, left, &m, &e);
		assert_int_equal(r, flen[i]);
		assert_int_equal(m.id, MUX_REVERSE_CONTROL_ID);
		assert_int_equal(m.status, i == 0 ? MUX_STATUS_NEW :
		    MUX_STATUS_KEEP);
		if (i == 0) {
			assert_int_equal(m.network, MUX_NET_UDP);
			assert_int_equal(m.port, MUX_REVERSE_PORT);
			assert_string_equal(m.addr.domain,
			    MUX_REVERSE_DOMAIN);
		}
		assert_int_equal(mux_control_decode(m.data, m.data_len, &c,
		    &e), m.data_len);
		assert_int_equal(c.state, MUX_CONTROL_ACTIVE);
		assert_int_equal(c.random_len, rlen[i]);
		assert_ptr_equal(c.random, m.data + 3);
		/* Re-encoding gives the captured message and frame back. */
		assert_int_equal(mux_control_encode(c.state, c.random,
		    c.random_len, enc, sizeof(enc)), m.data_len);
		assert_memory_equal(enc, m.data, m.data_len);
		if (i == 0) {
			memset(&a, 0, sizeof(a));
			a.type = MUX_ADDR_DOMAIN;
			strcpy(a.domain, MUX_REVERSE_DOMAIN);
			assert_int_equal(mux_frame_encode_new(1, MUX_NET_UDP,
			    0, &a, m.data, m.data_len, enc, sizeof(enc)), r);
		} else
			assert_int_equal(mux_frame_encode_keep(1, m.data,
			    m.data_len, enc, sizeof(enc)), r);
		assert_memory_equal(enc, p, (size_t)r);
		p += r;
		left -= (size_t)r;
	}
	assert_int_equal(left, 0);
}

/* §2.4: ACTIVE is empty or padding only; DRAIN is 08 01 first. */
static void
test_mux_control_roundtrip(void **state)
{
	static const uint8_t	 drain[] = { 0x08, 0x01, 0x9a, 0x06, 0x03,
				    'x', 'y', 'z' };
	static const uint8_t	 neg[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff, 0x01 };
	uint8_t			 rnd[MUX_CONTROL_RANDOM_MAX], enc[200];
	struct mux_control	 c;
	const char		*e = NULL;
	size_t			 n;
	ssize_t			 r;

	assert_int_equal(mux_control_encode(MUX_CONTROL_ACTIVE, NULL, 0, enc,
	    0), 0);
	assert_int_equal(mux_control_decode(enc, 0, &c, &e), 0);
	assert_int_equal(c.state, MUX_CONTROL_ACTIVE);
	assert_int_equal(c.random_len, 0);

	assert_int_equal(mux_control_encode(MUX_CONTROL_DRAIN,
	    (const uint8_t *)"xyz", 3, enc, sizeof(enc)), sizeof(drain));
	assert_memory_equal(enc, drain, sizeof(drain));
	assert_int_equal(mux_control_decode(drain, sizeof(drain), &c, &e),
	    sizeof(drain));
	assert_int_equal(c.state, MUX_CONTROL_DRAIN);
	assert_memory_equal(c.random, "xyz", 3);

	assert_int_equal(mux_control_encode(MUX_CONTROL_DRAIN, NULL, 0, enc,
	    sizeof(enc)), 2);
	assert_memory_equal(enc, "\x08\x01", 2);

	fill(rnd, sizeof(rnd), 9);
	for (n = 0; n <= MUX_CONTROL_RANDOM_MAX; n++) {
		r = mux_control_encode(n % 2 ? MUX_CONTROL_DRAIN :
		    MUX_CONTROL_ACTIVE, rnd, n, enc, MUX_CONTROL_MAX_LEN);
		assert_int_equal(r, (n % 2 ? 2 : 0) + (n ? 3 + n : 0));
		assert_int_equal(mux_control_decode(enc, (size_t)r, &c, &e), r);
		assert_int_equal(c.state, n % 2);
		assert_int_equal(c.random_len, n);
		if (n > 0)
			assert_memory_equal(c.random, rnd, n);
		if (r > 0)
			assert_int_equal(mux_control_encode(n % 2, rnd, n,
			    enc, (size_t)r - 1), -1);
	}

	/* Go sign-extends negative enums; they decode back (int32). */
	assert_int_equal(mux_control_encode(-1, NULL, 0, enc, sizeof(enc)),
	    sizeof(neg));
	assert_memory_equal(enc, neg, sizeof(neg));
	assert_int_equal(mux_control_decode(neg, sizeof(neg), &c, &e),
	    sizeof(neg));
	assert_int_equal(c.state, -1);
	assert_int_equal(mux_control_encode(1, NULL, 3, enc, sizeof(enc)), -1);
}

/* protobuf-go skips unknown fields and lets the last occurrence win. */
static void
test_mux_control_unknown_fields(void **state)
{
	static const uint8_t	 m[] = {
		0x10, 0x96, 0x01,			/* 2: varint 150 */
		0x19, 1, 2, 3, 4, 5, 6, 7, 8,		/* 3: fixed64 */
		0x22, 0x02, 'h', 'i',			/* 4: bytes */
		0x2d, 1, 2, 3, 4,			/* 5: fixed32 */
		/* 6: group { 1: 5, 7: group { 1: "q" } } */
		0x33, 0x08, 0x05, 0x3b, 0x0a, 0x01, 'q', 0x3c, 0x34,
		0x0a, 0x01, 0x01,			/* 1 as bytes */
		0x98, 0x06, 0x05,			/* 99 as varint */
		0x08, 0x01,				/* state DRAIN */
		0x9a, 0x06, 0x01, 'a',
		0x08, 0x80, 0x00,			/* non-minimal ACTIVE */
		0x9a, 0x06, 0x02, 'b', 'c',		/* last random wins */
		0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00,	/* 2^29-1: varint */
		0xc3, 0x3e, 0xfb, 0xff, 0xff, 0xff, 0x3f, 0xfc, 0xff, 0xff,
		0xff, 0x3f, 0xc4, 0x3e,			/* group 1000 holding an
							   empty group 2^31-1 */
	};
	static const uint8_t	 big[] = { 0x08, 0x82, 0x80, 0x80, 0x80, 0x10 };
	struct mux_control	 c;
	const char		*e = NULL;

	assert_int_equal(mux_control_decode(m, sizeof(m), &c, &e), sizeof(m));
	assert_null(e);
	assert_int_equal(c.state, MUX_CONTROL_ACTIVE);
	assert_int_equal(c.random_len, 2);
	assert_memory_equal(c.random, "bc", 2);

	/* 2^32 + 2 keeps the low 32 bits, as int32(v). */
	assert_int_equal(mux_control_decode(big, sizeof(big), &c, &e),
	    sizeof(big));
	assert_int_equal(c.state, 2);
}

static void
test_mux_control_malformed(void **state)
{
	static const struct {
		const char	*what;
		size_t		 len;
		uint8_t		 b[16];
	} bad[] = {
		{ "truncated tag", 1, { 0x88 } },
		{ "truncated state", 2, { 0x08, 0x80 } },
		{ "11-byte varint", 12, { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x80, 0x80, 0x80, 0x80, 0x80, 0x01 } },
		{ "10th varint byte 2", 11, { 0x08, 0x80, 0x80, 0x80, 0x80,
		    0x80, 0x80, 0x80, 0x80, 0x80, 0x02 } },
		{ "field 0", 2, { 0x00, 0x00 } },
		{ "field 2^29", 6, { 0x80, 0x80, 0x80, 0x80, 0x10, 0x00 } },
		{ "wire type 6", 2, { 0x0e, 0x00 } },
		{ "wire type 7", 2, { 0x17, 0x00 } },
		{ "end group at top", 1, { 0x0c } },
		{ "unterminated group", 3, { 0x0b, 0x08, 0x01 } },
		{ "mismatched end group", 2, { 0x0b, 0x14 } },
		{ "bad type in group", 2, { 0x0b, 0x0f } },
		{ "random past the end", 5, { 0x9a, 0x06, 0x03, 'a', 'b' } },
		{ "random length overflow", 13, { 0x9a, 0x06, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'a' } },
		{ "unknown bytes past the end", 3, { 0x22, 0x05, 'a' } },
		{ "truncated fixed32", 4, { 0x2d, 1, 2, 3 } },
		{ "truncated fixed64", 8, { 0x19, 1, 2, 3, 4, 5, 6, 7 } },
		{ "truncated unknown varint", 2, { 0x10, 0xff } },
	};
	struct mux_control	 c;
	const char		*e;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = NULL;
		if (mux_control_decode(bad[i].b, bad[i].len, &c, &e) != -1)
			fail_msg("accepted: %s", bad[i].what);
		assert_non_null(e);
	}
}

/* Many frames in one buffer, consumed in a loop as a session layer would. */
static void
test_mux_frame_stream(void **state)
{
	uint8_t			 buf[4096], data[300];
	struct mux_addr		 a;
	struct mux_frame	 m;
	const char		*e = NULL;
	size_t			 off = 0, total, i;
	ssize_t			 r;
	static const uint8_t	 want[] = { MUX_STATUS_NEW, MUX_STATUS_KEEP,
				    MUX_STATUS_KEEP, MUX_STATUS_KEEPALIVE,
				    MUX_STATUS_END };

	fill(data, sizeof(data), 5);
	memset(&a, 0, sizeof(a));
	a.type = MUX_ADDR_IPV6;
	a.ip[15] = 1;
	off += (size_t)mux_frame_encode_new(5, MUX_NET_TCP, 80, &a, data, 10,
	    buf + off, sizeof(buf) - off);
	off += (size_t)mux_frame_encode_keep(5, data, 300, buf + off,
	    sizeof(buf) - off);
	off += (size_t)mux_frame_encode_keep(5, NULL, 0, buf + off,
	    sizeof(buf) - off);
	off += (size_t)mux_frame_encode_keepalive(buf + off, sizeof(buf) - off);
	off += (size_t)mux_frame_encode_end(5, 1, buf + off, sizeof(buf) - off);
	assert_int_equal(off, 38 + 308 + 6 + 6 + 6);

	for (i = 0, total = off; off > 0; i++) {
		r = mux_frame_decode(buf + (total - off), off, &m, &e);
		assert_true(r > 0);
		assert_int_equal(m.status, want[i]);
		off -= (size_t)r;
	}
	assert_int_equal(i, 5);
	assert_int_equal(m.option, MUX_OPT_ERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mux_new_tcp_domain),
		cmocka_unit_test(test_mux_new_tcp_ipv4),
		cmocka_unit_test(test_mux_new_udp_ipv4),
		cmocka_unit_test(test_mux_new_ipv6_and_udp_domain),
		cmocka_unit_test(test_mux_keep),
		cmocka_unit_test(test_mux_end_keepalive),
		cmocka_unit_test(test_mux_quirks),
		cmocka_unit_test(test_mux_large_data),
		cmocka_unit_test(test_mux_malformed),
		cmocka_unit_test(test_mux_encode_errors),
		cmocka_unit_test(test_mux_frame_stream),
		cmocka_unit_test(test_mux_control_captured),
		cmocka_unit_test(test_mux_control_roundtrip),
		cmocka_unit_test(test_mux_control_unknown_fields),
		cmocka_unit_test(test_mux_control_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
