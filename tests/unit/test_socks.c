/* SPDX-License-Identifier: MIT */
/* test_socks.c: SOCKS5/4/4a codec — every message, split input, malformed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "socks/socks5.h"

/* Every strict prefix needs more; the whole decodes to its full length. */
#define SPLIT_CHECK(fn, msg, outp) do {					\
	const char *e_ = NULL;						\
	for (size_t i_ = 0; i_ < sizeof(msg); i_++)			\
		assert_int_equal(fn(msg, i_, outp, &e_), 0);		\
	assert_int_equal(fn(msg, sizeof(msg), outp, &e_), sizeof(msg));	\
} while (0)

static void
test_socks_greeting(void **state)
{
	static const uint8_t	 g[] = { 5, 2, 0, 2 };
	struct socks_greeting	 out;
	const char		*e = NULL;
	static const uint8_t	 none[] = { 5, 0 }, v4[] = { 4, 1, 0 };

	SPLIT_CHECK(socks5_greeting_decode, g, &out);
	assert_int_equal(out.nmethods, 2);
	assert_int_equal(out.methods[1], SOCKS_METHOD_PASSWORD);
	assert_int_equal(socks5_greeting_decode(none, 2, &out, &e), -1);
	assert_non_null(e);
	e = NULL;
	assert_int_equal(socks5_greeting_decode(v4, 3, &out, &e), -1);
	assert_non_null(e);
}

static void
test_socks_userpass(void **state)
{
	static const uint8_t	 m[] = { 1, 5, 'a', 'l', 'i', 'c', 'e', 3,
				    'p', 'w', 'd' };
	static const uint8_t	 empty[] = { 7, 0, 0 };	/* sub-version unchecked */
	static const uint8_t	 nul[] = { 1, 2, 'a', 0, 1, 'x' };
	struct socks_userpass	 out;
	const char		*e = NULL;

	SPLIT_CHECK(socks5_userpass_decode, m, &out);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.pass, "pwd");
	assert_int_equal(socks5_userpass_decode(empty, 3, &out, &e), 3);
	assert_string_equal(out.user, "");
	assert_int_equal(socks5_userpass_decode(nul, sizeof(nul), &out, &e), -1);
	assert_non_null(e);
}

static void
test_socks_request_forms(void **state)
{
	static const uint8_t	 v4[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0x1F, 0x90 };
	static const uint8_t	 v6[] = { 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0, 0, 1, 0, 80 };
	static const uint8_t	 dn[] = { 5, 3, 9, 3, 1, 'x', 0, 53 };
	struct socks_request	 rq;

	SPLIT_CHECK(socks5_request_decode, v4, &rq);
	assert_int_equal(rq.cmd, SOCKS_CMD_CONNECT);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_IPV4);
	assert_int_equal(rq.addr.port, 8080);
	assert_memory_equal(rq.addr.ip, "\x7f\0\0\1", 4);
	SPLIT_CHECK(socks5_request_decode, v6, &rq);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_IPV6);
	assert_int_equal(rq.addr.ip[15], 1);
	assert_int_equal(rq.addr.port, 80);
	/* RSV is not checked (9 here), as 4.34. */
	SPLIT_CHECK(socks5_request_decode, dn, &rq);
	assert_int_equal(rq.cmd, SOCKS_CMD_UDP);
	assert_string_equal(rq.addr.domain, "x");
}

static void
test_socks_request_long_domain(void **state)
{
	uint8_t			 m[4 + 1 + 255 + 2];
	struct socks_request	 rq;
	const char		*e = NULL;

	memcpy(m, "\x05\x01\x00\x03", 4);
	m[4] = 255;
	memset(m + 5, 'a', 255);
	m[260] = 1;
	m[261] = 0;
	assert_int_equal(socks5_request_decode(m, sizeof(m), &rq, &e),
	    sizeof(m));
	assert_int_equal(strlen(rq.addr.domain), 255);
	assert_int_equal(rq.addr.port, 256);
	assert_int_equal(socks5_request_decode(m, sizeof(m) - 1, &rq, &e), 0);
}

static void
test_socks_request_malformed(void **state)
{
	static const struct {
		uint8_t	b[12];
		size_t	n;
	} bad[] = {
		{ { 5, 1, 0, 2, 1, 2, 3, 4, 0, 80 }, 10 },	/* atyp 2 */
		{ { 5, 1, 0, 0 }, 4 },				/* atyp 0 */
		{ { 5, 1, 0, 3, 0, 0, 80 }, 7 },		/* empty name */
		{ { 5, 1, 0, 3, 2, 'a', 0, 0, 80 }, 9 },	/* NUL in name */
		{ { 5, 1, 0, 0xff, 1, 2, 3, 4, 0, 80 }, 10 },
	};
	struct socks_request	 rq;
	const char		*e;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = NULL;
		assert_int_equal(socks5_request_decode(bad[i].b, bad[i].n, &rq,
		    &e), -1);
		assert_non_null(e);
	}
}

static void
test_socks_socks4(void **state)
{
	static const uint8_t	 s4[] = { 4, 1, 0, 80, 10, 0, 0, 1, 'u', 0 };
	static const uint8_t	 s4a[] = { 4, 1, 1, 0, 0, 0, 0, 9, 0, 'h',
				    'o', 's', 't', 0 };
	static const uint8_t	 empty4a[] = { 4, 1, 0, 80, 0, 0, 0, 1, 0, 0 };
	struct socks4_request	 rq;
	const char		*e = NULL;
	uint8_t			 big[8 + 3000];

	SPLIT_CHECK(socks4_request_decode, s4, &rq);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_IPV4);
	assert_int_equal(rq.addr.port, 80);
	assert_string_equal(rq.userid, "u");
	SPLIT_CHECK(socks4_request_decode, s4a, &rq);
	assert_int_equal(rq.addr.atyp, SOCKS_ATYP_DOMAIN);
	assert_string_equal(rq.addr.domain, "host");
	assert_int_equal(rq.addr.port, 256);
	assert_int_equal(socks4_request_decode(empty4a, sizeof(empty4a), &rq,
	    &e), -1);
	assert_non_null(e);
	/* A user id without its NUL beyond 2048 bytes is refused. */
	memcpy(big, s4, 8);
	memset(big + 8, 'x', sizeof(big) - 8);
	e = NULL;
	assert_int_equal(socks4_request_decode(big, sizeof(big), &rq, &e), -1);
	assert_non_null(e);
	assert_int_equal(socks4_request_decode(big, 8 + 100, &rq, &e), 0);
}

static void
test_socks_udp(void **state)
{
	static const uint8_t	 d[] = { 0, 0, 0, 1, 127, 0, 0, 1, 0, 53,
				    'h', 'i' };
	static const uint8_t	 frag[] = { 0, 0, 1, 3, 1, 'a', 0, 53, 'x' };
	struct socks_udp_header	 h;
	const char		*e = NULL;
	size_t			 i;

	assert_int_equal(socks5_udp_decode(d, sizeof(d), &h, &e), 10);
	assert_int_equal(h.frag, 0);
	assert_int_equal(h.addr.port, 53);
	assert_int_equal(socks5_udp_decode(frag, sizeof(frag), &h, &e), 8);
	assert_int_equal(h.frag, 1);
	/* A datagram is complete: a short one is malformed, never "more". */
	for (i = 0; i < 10; i++) {
		e = NULL;
		assert_int_equal(socks5_udp_decode(d, i, &h, &e), -1);
		assert_non_null(e);
	}
}

static void
test_socks_encoders(void **state)
{
	struct socks_addr	 a, back;
	uint8_t			 buf[300];
	const char		*e = NULL;
	struct socks_request	 rq;
	ssize_t			 n;

	memset(&a, 0, sizeof(a));
	a.atyp = SOCKS_ATYP_IPV4;
	memcpy(a.ip, "\x7f\0\0\1", 4);
	a.port = 1080;
	n = socks5_reply_encode(SOCKS_REP_OK, &a, buf, sizeof(buf));
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38", 10);
	assert_int_equal(socks5_reply_encode(0, &a, buf, 9), -1);
	assert_int_equal(socks4_reply_encode(1, buf, 8), 8);
	assert_memory_equal(buf, "\x00\x5a\0\0\0\0\0\0", 8);
	assert_int_equal(socks4_reply_encode(0, buf, 8), 8);
	assert_int_equal(buf[1], 0x5b);
	assert_int_equal(socks4_reply_encode(0, buf, 7), -1);

	a.atyp = SOCKS_ATYP_DOMAIN;
	memset(a.domain, 'z', 255);
	a.domain[255] = '\0';
	n = socks5_request_encode(SOCKS_CMD_CONNECT, &a, buf, sizeof(buf));
	assert_int_equal(n, 3 + 2 + 255 + 2);
	assert_int_equal(socks5_request_decode(buf, (size_t)n, &rq, &e), n);
	assert_string_equal(rq.addr.domain, a.domain);
	a.domain[0] = '\0';
	assert_int_equal(socks_addr_encode(&a, buf, sizeof(buf)), -1);

	memset(&a, 0, sizeof(a));
	a.atyp = SOCKS_ATYP_IPV6;
	a.ip[0] = 0xfe;
	a.port = 65535;
	n = socks5_udp_encode(&a, buf, sizeof(buf));
	assert_int_equal(n, 3 + 1 + 16 + 2);
	assert_int_equal(socks_addr_decode(buf + 3, (size_t)n - 3, &back, &e),
	    n - 3);
	assert_memory_equal(back.ip, a.ip, 16);
	assert_int_equal(back.port, 65535);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socks_greeting),
		cmocka_unit_test(test_socks_userpass),
		cmocka_unit_test(test_socks_request_forms),
		cmocka_unit_test(test_socks_request_long_domain),
		cmocka_unit_test(test_socks_request_malformed),
		cmocka_unit_test(test_socks_socks4),
		cmocka_unit_test(test_socks_udp),
		cmocka_unit_test(test_socks_encoders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
