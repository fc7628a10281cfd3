/* SPDX-License-Identifier: MIT */
/*
 * test_session_cap.c: the cap on handshakes per source
 * (policy.system.handshakePerSource): the per-source table (srccap), the
 * key in JSON, INI, -dump and the checks, and a live engine that closes a
 * source's oldest handshake, never the newcomer, and leaves other sources
 * alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/util.h"
#include "core/engine.h"
#include "conf/conf.h"
#include "net/srccap.h"

#include "conf_fx.h"

static struct net_addr
ip(const char *s)
{
	struct net_addr	a;

	net_addr_set(&a, s, 1);
	return a;
}

static void
test_key(void **state)
{
	struct srccap_key	 a, b;
	struct net_addr		 d;

	(void)state;
	assert_true(srccap_key_of(&(struct net_addr){ 0 }, &a) == false);
	net_addr_set(&d, "example.com", 80);
	assert_false(srccap_key_of(&d, &a));
	/* IPv4-mapped IPv6 counts as its IPv4 address. */
	d = ip("10.1.2.3");
	assert_true(srccap_key_of(&d, &a));
	d = ip("::ffff:10.1.2.3");
	assert_true(srccap_key_of(&d, &b));
	assert_int_equal(a.family, 4);
	assert_int_equal(b.family, 4);
	assert_true(a.bits == b.bits && a.bits == 0x0a010203);
	/* IPv6: one /64 is one source. */
	d = ip("2001:db8:0:1::1");
	assert_true(srccap_key_of(&d, &a));
	d = ip("2001:db8:0:1:ffff:eeee:dddd:cccc");
	assert_true(srccap_key_of(&d, &b));
	assert_int_equal(a.family, 6);
	assert_true(a.bits == b.bits);
	d = ip("2001:db8:0:2::1");
	assert_true(srccap_key_of(&d, &b));
	assert_true(a.bits != b.bits);
	/* ::/64 is not 0.0.0.0. */
	d = ip("::1");
	assert_true(srccap_key_of(&d, &a));
	d = ip("0.0.0.0");
	assert_true(srccap_key_of(&d, &b));
	assert_true(a.bits == b.bits && a.family != b.family);
}

static void
test_table(void **state)
{
	struct srccap		*t = srccap_new();
	struct srccap_link	 l[4], o, n;
	struct net_addr		 a = ip("192.0.2.7"), b = ip("192.0.2.8");
	struct net_addr		 m = ip("::ffff:192.0.2.7"), dom;
	int			 i;

	(void)state;
	memset(l, 0, sizeof(l));
	for (i = 0; i < 3; i++)
		assert_int_equal(srccap_add(t, &l[i], i == 1 ? &m : &a, 0),
		    (size_t)i + 1);
	assert_int_equal(srccap_add(t, &o, &b, 0), 1);
	assert_int_equal(srccap_sources(t), 2);
	assert_ptr_equal(srccap_oldest(&l[2]), &l[0]);
	assert_ptr_equal(srccap_oldest(&o), &o);
	assert_int_equal(srccap_count(&l[1]), 3);
	/* Out of the middle, then the oldest: age order holds. */
	srccap_remove(t, &l[1]);
	assert_null(l[1].node);
	assert_int_equal(srccap_count(&l[0]), 2);
	srccap_remove(t, &l[1]);		/* twice: a no-op */
	srccap_remove(t, &l[0]);
	assert_ptr_equal(srccap_oldest(&l[2]), &l[2]);
	/* The last member frees its source. */
	srccap_remove(t, &l[2]);
	assert_int_equal(srccap_sources(t), 1);
	srccap_remove(t, &o);
	assert_int_equal(srccap_sources(t), 0);
	assert_int_equal(srccap_count(&o), 0);
	assert_null(srccap_oldest(&o));
	/* No IP: not counted, not in the table. */
	net_addr_set(&dom, "example.com", 1);
	assert_int_equal(srccap_add(t, &n, &dom, 0), 0);
	assert_null(n.node);
	srccap_remove(t, &n);
	assert_int_equal(srccap_sources(t), 0);
	srccap_free(t);
}

/* Many sources grow the table; all gone shrinks it; nothing leaks. */
static void
test_many(void **state)
{
	enum { N = 20000 };
	struct srccap		*t = srccap_new();
	struct srccap_link	*l = calloc(2 * N, sizeof(*l));
	struct net_addr		 a;
	size_t			 i;

	(void)state;
	assert_non_null(l);
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.ip[0] = 0x20;
	for (i = 0; i < 2 * N; i++) {
		/* Two addresses in each /64. */
		a.ip[6] = (uint8_t)((i / 2) >> 8);
		a.ip[7] = (uint8_t)(i / 2);
		a.ip[15] = (uint8_t)(i & 1);
		assert_int_equal(srccap_add(t, &l[i], &a, i), (i & 1) + 1);
	}
	assert_int_equal(srccap_sources(t), N);
	for (i = 0; i < 2 * N; i += 2) {
		assert_ptr_equal(srccap_oldest(&l[i + 1]), &l[i]);
		srccap_remove(t, &l[i]);
	}
	assert_int_equal(srccap_sources(t), N);
	for (i = 1; i < 2 * N; i += 2)
		srccap_remove(t, &l[i]);
	assert_int_equal(srccap_sources(t), 0);
	/* Half left in at free: the table frees its entries. */
	for (i = 0; i < N; i++) {
		a.ip[7] = (uint8_t)i;
		a.ip[6] = (uint8_t)(i >> 8);
		srccap_add(t, &l[i], &a, i);
	}
	srccap_free(t);
	free(l);
}

static int
load_json(struct fx *f, const char *s)
{
	return conf_load_json_buf("t.json", s, strlen(s), &f->c, &f->d);
}

static int
load_ini(struct fx *f, const char *s)
{
	return conf_load_ini_buf("t.ini", s, strlen(s), &f->c, &f->d);
}

static void
expect_error(struct fx *f, const char *needle)
{
	if (!conf_diag_has(&f->d, needle)) {
		fprintf(stderr, "missing error: %s\ngot:\n", needle);
		conf_diag_print(&f->d, stderr);
		fail();
	}
}

static void
test_conf_default(void **state)
{
	struct fx	*f = *state;
	char		*j, *i;

	assert_int_equal(load_json(f, "{}"), 0);
	assert_int_equal(f->c.hs_per_source, CONF_HS_PER_SOURCE_DEFAULT);
	assert_int_equal(CONF_HS_PER_SOURCE_DEFAULT, 64);
	/* -dump spells the default out, in both forms. */
	j = dump_string(&f->c, true);
	assert_non_null(strstr(j, "\"system\": {\n"));
	assert_non_null(strstr(j, "\"handshakePerSource\": 64\n"));
	i = dump_string(&f->c, false);
	assert_non_null(strstr(i, "\n[policy system]\nhandshakePerSource = "
	    "64\n"));
	free(j);
	free(i);
}

static void
test_conf_json(void **state)
{
	struct fx	*f = *state;

	/* V2Ray's own system switches stay accepted beside ours. */
	assert_int_equal(load_json(f, "{\"policy\":{\"system\":{"
	    "\"statsInboundUplink\":true,\"handshakePerSource\":8},"
	    "\"levels\":{\"0\":{\"handshake\":4}}}}"), 0);
	assert_int_equal(f->d.warnings.n, 0);
	assert_int_equal(f->c.hs_per_source, 8);
	assert_int_equal(conf_policy(&f->c, 0).handshake, 4);
}

static void
test_conf_json_zero(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, "{\"policy\":{\"system\":{"
	    "\"handshakePerSource\":0}}}"), 0);
	assert_int_equal(f->c.hs_per_source, 0);
}

/* The JSON must be refused with an error containing needle. */
static void
json_refused(struct fx *f, const char *json, const char *needle)
{
	conf_diag_cleanup(&f->d);
	conf_diag_init(&f->d);
	assert_int_equal(load_json(f, json), -1);
	expect_error(f, needle);
}

static void
test_conf_json_bad(void **state)
{
	struct fx	*f = *state;

	json_refused(f, "{\"policy\":{\"system\":{\"handshakePerSource\":-1}}}",
	    "t.json: policy.system.handshakePerSource: -1 out of range "
	    "0..1048576");
	json_refused(f, "{\"policy\":{\"system\":{\"handshakePerSource\":"
	    "99999999999}}}", "policy.system.handshakePerSource: 99999999999 "
	    "out of range");
	json_refused(f, "{\"policy\":{\"system\":{\"handshakePerSource\":"
	    "\"8\"}}}", "policy.system.handshakePerSource: expected an "
	    "integer");
	json_refused(f, "{\"policy\":{\"system\":{\"statsInboundUplink\":"
	    "1}}}", "policy.system.statsInboundUplink: expected true or false");
}

static void
test_conf_ini(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_ini(f, "[policy 0]\nhandshake = 4\n"
	    "[policy System]\nhandshakePerSource = 8\n"), 0);
	assert_int_equal(f->c.hs_per_source, 8);
	assert_int_equal(conf_policy(&f->c, 0).handshake, 4);
	/* [policy system] is no level. */
	assert_int_equal(f->c.nlevels, 1);
}

static void
test_conf_ini_bad(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_ini(f, "[policy system]\n"
	    "handshakePerSource = -3\n"			/* 2 */
	    "handshake = 4\n"				/* 3 */
	    "[policy system]\n"				/* 4 */
	    "[policy 0]\nhandshakePerSource = 1\n"	/* 6 */
	    "[policy system]\nhandshakePerSource = 1048577\n"), -1);
	expect_error(f, "t.ini:2: handshakePerSource: -3 out of range "
	    "0..1048576");
	expect_error(f, "t.ini:3: unknown key \"handshake\" in [policy "
	    "system]");
	expect_error(f, "t.ini:4: duplicate [policy system] section (first "
	    "on line 1)");
	expect_error(f, "t.ini:6: unknown key \"handshakePerSource\" in "
	    "[policy]");
	expect_error(f, "t.ini:8: handshakePerSource: 1048577 out of range");
}

static void
test_conf_check(void **state)
{
	struct fx	*f = *state;

	f->c.hs_per_source = -5;
	assert_int_equal(conf_check(&f->c, &f->d), -1);
	expect_error(f, "config: policy.system.handshakePerSource: -5 out of "
	    "range 0..1048576 (0 = no cap)");
}

/* JSON -> INI -> JSON keeps the value. */
static void
test_conf_round_trip(void **state)
{
	struct fx	*f = *state;
	struct conf	 c2;
	struct conf_diag d2;
	char		*ini, *j1, *j2;

	assert_int_equal(load_json(f, "{\"policy\":{\"system\":{"
	    "\"handshakePerSource\":0}}}"), 0);
	j1 = dump_string(&f->c, true);
	ini = dump_string(&f->c, false);
	conf_init(&c2);
	conf_diag_init(&d2);
	assert_int_equal(conf_load_ini_buf("d.ini", ini, strlen(ini), &c2,
	    &d2), 0);
	assert_int_equal(c2.hs_per_source, 0);
	j2 = dump_string(&c2, true);
	assert_string_equal(j1, j2);
	conf_cleanup(&c2);
	conf_diag_cleanup(&d2);
	free(ini);
	free(j1);
	free(j2);
}

/* --- a live engine: a SOCKS inbound with the cap at 3 ---------------- */

static uint16_t
free_port(void)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	socklen_t		 len = sizeof(sin);
	int			 fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static int
dial(uint16_t port, const char *from)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	struct timeval		 tv = { 0, 200 * 1000 };
	int			 fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, from, &sin.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	sin.sin_port = htons(port);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Run the loop until the engine has seen every pending accept. */
static void
spin(struct event_base *base)
{
	int	i;

	for (i = 0; i < 20; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(5 * 1000);
	}
}

/* 1: the server closed it (EOF or reset); 0: still open. */
static int
closed(int fd)
{
	char	c;
	ssize_t	n = recv(fd, &c, 1, 0);

	if (n == 0 || (n == -1 && errno == ECONNRESET))
		return 1;
	assert_true(n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));
	return 0;
}

static struct engine *
engine_with_cap(struct event_base *base, uint16_t port, int cap)
{
	struct conf		*c = calloc(1, sizeof(*c));
	struct conf_diag	 d;
	struct engine		*eng;
	char			 cfg[512], err[256];

	assert_non_null(c);
	snprintf(cfg, sizeof(cfg), "{\"policy\":{\"system\":{"
	    "\"handshakePerSource\":%d}},\"inbounds\":[{\"port\":%u,"
	    "\"listen\":\"127.0.0.1\",\"protocol\":\"socks\"}],"
	    "\"outbounds\":[{\"protocol\":\"freedom\"}]}", cap, port);
	conf_init(c);
	conf_diag_init(&d);
	assert_int_equal(conf_load_json_buf("live.json", cfg, strlen(cfg), c,
	    &d), 0);
	conf_diag_cleanup(&d);
	eng = engine_new(&tool_vclient, base, c, err, sizeof(err));
	if (eng == NULL)
		fail_msg("engine_new: %s", err);
	return eng;
}

/* A SOCKS5 CONNECT on fd to a listener of ours; returns the listener. */
static int
socks_connect(int fd)
{
	uint8_t			 req[13] = { 5, 1, 0,	/* greeting */
	    5, 1, 0, 1, 127, 0, 0, 1 };			/* CONNECT, port next */
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	socklen_t		 len = sizeof(sin);
	int			 lfd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	memcpy(req + 11, &sin.sin_port, 2);
	assert_int_equal(send(fd, req, sizeof(req), 0), (ssize_t)sizeof(req));
	return lfd;
}

static void
test_live(void **state)
{
	struct event_base	*base = event_base_new();
	struct engine		*eng;
	uint16_t		 port = free_port();
	uint8_t			 rep[10];
	int			 fd[9], other, lfd, i, tries;

	(void)state;
	assert_non_null(base);
	/*
	 * A burst of six from 127.0.0.1: younger than the grace, all in. A
	 * machine so loaded that the burst itself outlasts the 1 s grace
	 * tests nothing: that burst is thrown away and made again.
	 */
	for (tries = 0;; tries++) {
		uint64_t t0 = util_now_ms();

		eng = engine_with_cap(base, port, 3);
		for (i = 0; i < 6; i++) {
			fd[i] = dial(port, "127.0.0.1");
			spin(base);
		}
		if (util_now_ms() - t0 < 800 || tries == 9)
			break;
		for (i = 0; i < 6; i++)
			close(fd[i]);
		engine_free(eng);
		port = free_port();
	}
	assert_int_equal(eng->hs_cap_closed, 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(closed(fd[i]), 0);
	/* Past the grace, the next newcomer gets in and the oldest go
	 * until the source is back at the cap, newcomer included. */
	usleep(1100 * 1000);
	fd[6] = dial(port, "127.0.0.1");
	spin(base);
	assert_int_equal(eng->hs_cap_closed, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(closed(fd[i]), 1);
	for (i = 4; i < 7; i++)
		assert_int_equal(closed(fd[i]), 0);
	/* Another source is not this one's business. */
	other = dial(port, "127.0.0.2");
	spin(base);
	assert_int_equal(eng->hs_cap_closed, 4);
	assert_int_equal(closed(other), 0);
	assert_int_equal(srccap_sources(eng->hs_src), 2);
	/* Past its header a connection no longer counts, and the cap
	 * never closes it: fd[4] CONNECTs; then fd[7] fits, fd[8] does
	 * not and the oldest handshake left, fd[5], goes. */
	lfd = socks_connect(fd[4]);
	spin(base);
	usleep(1100 * 1000);
	fd[7] = dial(port, "127.0.0.1");
	spin(base);
	assert_int_equal(eng->hs_cap_closed, 4);
	fd[8] = dial(port, "127.0.0.1");
	spin(base);
	assert_int_equal(eng->hs_cap_closed, 5);
	assert_int_equal(closed(fd[5]), 1);
	assert_int_equal(closed(fd[6]), 0);
	assert_int_equal(recv(fd[4], rep, 2, 0), 2);
	assert_int_equal(recv(fd[4], rep, 10, 0), 10);
	assert_int_equal(rep[1], 0);		/* succeeded */
	assert_int_equal(closed(fd[4]), 0);
	/* Closing our ends: the sources' entries go with the last one. */
	for (i = 0; i < 9; i++)
		close(fd[i]);
	close(other);
	close(lfd);
	spin(base);
	assert_int_equal(srccap_sources(eng->hs_src), 0);
	assert_int_equal(eng->nsessions, 0);
	engine_free(eng);
	event_base_free(base);
}

/* Cap 0: nothing is closed. */
static void
test_live_off(void **state)
{
	struct event_base	*base = event_base_new();
	struct engine		*eng;
	uint16_t		 port = free_port();
	int			 fd[5], i;

	(void)state;
	eng = engine_with_cap(base, port, 0);
	for (i = 0; i < 5; i++) {
		fd[i] = dial(port, "127.0.0.1");
		spin(base);
		if (i == 3)
			usleep(1100 * 1000);
	}
	assert_int_equal(eng->hs_cap_closed, 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(closed(fd[i]), 0);
		close(fd[i]);
	}
	assert_int_equal(srccap_sources(eng->hs_src), 0);
	engine_free(eng);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_many),
		cmocka_unit_test_setup_teardown(test_conf_default,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_json,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_json_zero,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_json_bad,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_bad,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_check,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_round_trip,
		    fx_setup, fx_teardown),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_live_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
