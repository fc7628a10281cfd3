/* SPDX-License-Identifier: MIT */
/*
 * test_addr.c: destinations as the wire gives them. A name that is an
 * address in a form the C library would dial ("127.1", "2130706433",
 * "0x7f.1", "[::1]") must become that address, so routing's IP rules see
 * it; real names must stay names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net/addr.h"

static void
expect_v4(const char *host, const char *want)
{
	struct net_addr	 a;
	char		 buf[NET_ADDRSTRLEN];

	memset(&a, 0, sizeof(a));
	snprintf(a.domain, sizeof(a.domain), "%s", host);
	net_addr_normalize(&a);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, a.ip, buf, sizeof(buf)), want);
	assert_string_equal(a.domain, "");
	net_addr_set(&a, host, 80);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.port, 80);
}

static void
expect_name(const char *host)
{
	struct net_addr	 a;

	net_addr_set(&a, host, 443);
	assert_int_equal(a.family, 0);
	assert_string_equal(a.domain, host);
	net_addr_normalize(&a);
	assert_int_equal(a.family, 0);
	assert_string_equal(a.domain, host);
}

static void
test_addr_disguised_v4(void **state)
{
	expect_v4("127.0.0.1", "127.0.0.1");
	expect_v4("127.1", "127.0.0.1");
	expect_v4("2130706433", "127.0.0.1");
	expect_v4("0x7f.1", "127.0.0.1");
	expect_v4("0x7F.0.0.1", "127.0.0.1");
	expect_v4("0177.0.0.1", "127.0.0.1");
	expect_v4("0", "0.0.0.0");
	expect_v4("10.1.1", "10.1.0.1");
}

static void
test_addr_v6(void **state)
{
	struct net_addr	 a;
	static const uint8_t lo[16] = { [15] = 1 };
	static const uint8_t mapped[16] = { [10] = 0xff, 0xff, 127, 0, 0, 1 };

	memset(&a, 0, sizeof(a));
	strcpy(a.domain, "[::1]");
	net_addr_normalize(&a);
	assert_int_equal(a.family, AF_INET6);
	assert_memory_equal(a.ip, lo, 16);
	net_addr_set(&a, "::ffff:127.0.0.1", 1);
	assert_int_equal(a.family, AF_INET6);
	assert_memory_equal(a.ip, mapped, 16);
	net_addr_set(&a, "[::ffff:127.0.0.1]", 1);
	assert_int_equal(a.family, AF_INET6);
	assert_memory_equal(a.ip, mapped, 16);
}

static void
test_addr_names_stay(void **state)
{
	expect_name("localhost");
	expect_name("example.com");
	expect_name("cafe.be");
	expect_name("deadbeef");
	expect_name("1e100.net");
	expect_name("127.0.0.1 x");	/* inet_aton would take this */
	expect_name("127.0.0.1.example");
	expect_name("[127.0.0.1]");
	expect_name("");
	expect_name("4294967296");	/* past 32 bits */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_disguised_v4),
		cmocka_unit_test(test_addr_v6),
		cmocka_unit_test(test_addr_names_stay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
