/* SPDX-License-Identifier: MIT */
/*
 * test_dynport.c: dynamic-port allocation on a real event loop: random
 * distinct ports of the range, a new generation every refresh, one never
 * announced closed after 2 x refresh, one announced kept until its promise
 * (ValidMin minutes from the announcement, plus a grace) has run out, no
 * port of a promised generation drawn again, and a range too small for the
 * demand served partly instead of spinning. The promise tests shorten the
 * minute to 3 s and the grace to 0.3 s.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/dynport.h"
#include "core/engine.h"
#include "base/util.h"

static const struct inbound_ops dummy_ops = {
	.name = "dummy", .proto = CONF_PROTO_DOKODEMO, .tcp = true,
};

/*
 * A block of n free loopback ports, below Linux's ephemeral range (32768
 * up) so that no connection of a test running beside this one takes a
 * port of the block between the check and the draws.
 */
static uint16_t
free_block(unsigned n)
{
	unsigned	 base, p;
	int		 fd, one = 1, ok;
	struct sockaddr_in sin;

	for (base = 21000 + (unsigned)(getpid() % 200) * 50; base + n <= 32768;
	    base += n) {
		ok = 1;
		for (p = base; p < base + n && ok; p++) {
			fd = socket(AF_INET, SOCK_STREAM, 0);
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof(one));
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = htons((uint16_t)p);
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			ok = bind(fd, (struct sockaddr *)&sin,
			    sizeof(sin)) == 0;
			close(fd);
		}
		if (ok)
			return (uint16_t)base;
	}
	return 0;
}

struct fixture {
	struct engine		 eng;
	struct conf_inbound	 ci;
	struct inbound_rt	 ib;
	struct conf		 conf;
};

static void
setup_fx(struct fixture *fx, unsigned span, int conc, int refresh)
{
	memset(fx, 0, sizeof(*fx));
	fx->eng.base = event_base_new();
	fx->eng.conf = &fx->conf;
	conf_inbound_init(&fx->ci);
	fx->ci.listen = "127.0.0.1";
	fx->ci.port.from = free_block(span);
	assert_int_not_equal(fx->ci.port.from, 0);
	fx->ci.port.to = (uint16_t)(fx->ci.port.from + span - 1);
	fx->ci.allocate.present = true;
	fx->ci.allocate.strategy = CONF_ALLOC_RANDOM;
	fx->ci.allocate.concurrency = conc;
	fx->ci.allocate.refresh_sec = refresh;
	fx->ib.eng = &fx->eng;
	fx->ib.c = &fx->ci;
	fx->ib.ops = &dummy_ops;
}

static void
teardown_fx(struct fixture *fx)
{
	free(fx->ci.stream.kcp.header_type);
	free(fx->ci.stream.kcp.seed);
	event_base_free(fx->eng.base);
}

static void
run_ms(struct fixture *fx, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(fx->eng.base, &tv);
	event_base_dispatch(fx->eng.base);
}

static size_t
ports(struct dynport *dp, uint16_t *out)
{
	return dynport_ports(dp, out, 64);
}

static void
test_dynport_generations(void **state)
{
	struct fixture	 fx;
	struct dynport	*dp;
	uint16_t	 p[64], first[64];
	char		 err[256];
	size_t		 n, i, j, still;

	setup_fx(&fx, 100, 3, 1);
	dp = dynport_new(&fx.ib, err, sizeof(err));
	assert_non_null(dp);
	n = ports(dp, p);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_true(p[i] >= fx.ci.port.from && p[i] <= fx.ci.port.to);
		for (j = 0; j < i; j++)
			assert_int_not_equal(p[i], p[j]);
	}
	memcpy(first, p, sizeof(p));

	run_ms(&fx, 1300);		/* one refresh: two generations */
	n = ports(dp, p);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			assert_int_not_equal(p[i], p[j]);

	run_ms(&fx, 1000);		/* 2 x refresh, never announced: gone */
	n = ports(dp, p);
	assert_true(n <= 6);
	still = 0;
	for (i = 0; i < 3; i++)
		for (j = 0; j < n; j++)
			if (first[i] == p[j])
				still++;
	/* A later generation may draw a freed port again, not all three. */
	assert_true(still < 3);
	dynport_free(dp);
	teardown_fx(&fx);
}

static size_t
common(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
	size_t	 i, j, k = 0;

	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (a[i] == b[j])
				k++;
	return k;
}

/*
 * Minutes of 3 s and a grace of 0.3 s; `span` ports, 3 per generation,
 * a refresh of 1 s. The first generation's ports go to first[0..2].
 */
static struct dynport *
promise_fx(struct fixture *fx, unsigned span, uint16_t *first)
{
	struct dynport	*dp;
	char		 err[256];

	dynport_set_timescale(3000, 300);
	setup_fx(fx, span, 3, 1);
	dp = dynport_new(&fx->ib, err, sizeof(err));
	assert_non_null(dp);
	assert_int_equal(ports(dp, first), 3);
	return dp;
}

/* Run ms; how many of first[0..2] listen then, with *n ports in all. */
static size_t
kept_after(struct fixture *fx, struct dynport *dp, int ms,
    const uint16_t *first, size_t *n)
{
	uint16_t	 p[64];

	run_ms(fx, ms);
	*n = ports(dp, p);
	return common(first, 3, p, *n);
}

static void
promise_done(struct fixture *fx, struct dynport *dp)
{
	dynport_free(dp);
	teardown_fx(fx);
	dynport_set_timescale(60000, 5000);
}

static void
test_dynport_promise_kept(void **state)
{
	struct fixture	 fx;
	struct dynport	*dp;
	struct inbound_rt *w;
	uint16_t	 first[64];
	size_t		 n;
	int		 valid;

	dp = promise_fx(&fx, 100, first);
	/* Announced at 0 for the rest of a 1 s period: 1 "minute" (3 s). */
	w = dynport_pick(dp, &valid);
	assert_non_null(w);
	assert_int_equal(valid, 1);
	assert_int_equal(common(&w->port, 1, first, 3), 1);

	/* 2.5 s: past 2 x refresh, promised until 3.3 s */
	assert_int_equal(kept_after(&fx, dp, 2500, first, &n), 3);
	assert_int_equal(n, 9);	/* generations born at 0, 1 and 2 s */
	/* 3.8 s: the promise has run out */
	assert_true(kept_after(&fx, dp, 1300, first, &n) < 3);
	assert_int_equal(n, 6);	/* born at 2 and 3 s */
	promise_done(&fx, dp);
}

static void
test_dynport_promise_at_write(void **state)
{
	struct fixture	 fx;
	struct dynport	*dp;
	uint16_t	 first[64];
	size_t		 n;

	dp = promise_fx(&fx, 100, first);
	/* The header announcing first[1] written at 1.5 s: kept to 4.8 s. */
	run_ms(&fx, 1500);
	dynport_promise(dp, first[1], 1);
	dynport_promise(dp, 1, 1);	/* not of the range: nothing */
	assert_int_equal(kept_after(&fx, dp, 2800, first, &n), 3);	/* 4.3 s */
	assert_true(kept_after(&fx, dp, 1000, first, &n) < 3);		/* 5.3 s */
	promise_done(&fx, dp);
}

static void
test_dynport_no_reuse_while_promised(void **state)
{
	struct fixture	 fx;
	struct dynport	*dp;
	struct inbound_rt *w;
	uint16_t	 p[64], first[64], second[64];
	size_t		 n, i, j;
	int		 valid;

	/* 6 ports, 3 per generation, the first promised until 3.3 s. */
	dp = promise_fx(&fx, 6, first);
	assert_non_null(dynport_pick(dp, &valid));
	run_ms(&fx, 1300);
	n = ports(dp, p);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			assert_int_not_equal(p[i], p[j]);
	memcpy(second, p, 3 * sizeof(*p));	/* newest first */
	assert_int_equal(common(first, 3, second, 3), 0);
	/*
	 * At 2 s the second is not due and the first is promised: no port is
	 * free, so no third generation; the second goes on being announced.
	 */
	run_ms(&fx, 1000);
	n = ports(dp, p);
	assert_int_equal(n, 6);
	assert_int_equal(common(first, 3, p, n), 3);
	w = dynport_pick(dp, &valid);
	assert_non_null(w);
	assert_int_equal(common(&w->port, 1, second, 3), 1);
	promise_done(&fx, dp);
}

static void
test_dynport_small_range_never_spins(void **state)
{
	struct fixture	 fx;
	struct dynport	*dp;
	uint16_t	 p[64];
	char		 err[256];
	uint64_t	 t0;

	/* 4 ports, 3 per generation: the second generation gets 1. */
	setup_fx(&fx, 4, 3, 1);
	dp = dynport_new(&fx.ib, err, sizeof(err));
	assert_non_null(dp);
	assert_int_equal(ports(dp, p), 3);
	t0 = util_now_ms();
	run_ms(&fx, 1200);
	assert_true(util_now_ms() - t0 < 3000);
	assert_int_equal(ports(dp, p), 4);
	dynport_free(dp);
	teardown_fx(&fx);
}

static void
test_dynport_no_port_at_all(void **state)
{
	struct fixture	 fx;
	char		 err[256];
	int		 fd, one = 1;
	struct sockaddr_in sin;

	setup_fx(&fx, 1, 1, 60);
	/* Someone else holds the only port. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(fx.ci.port.from);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	err[0] = '\0';
	assert_null(dynport_new(&fx.ib, err, sizeof(err)));
	assert_non_null(strstr(err, "no port"));
	close(fd);
	teardown_fx(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dynport_generations),
		cmocka_unit_test(test_dynport_promise_kept),
		cmocka_unit_test(test_dynport_promise_at_write),
		cmocka_unit_test(test_dynport_no_reuse_while_promised),
		cmocka_unit_test(test_dynport_small_range_never_spins),
		cmocka_unit_test(test_dynport_no_port_at_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
