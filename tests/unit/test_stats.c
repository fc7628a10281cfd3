/* SPDX-License-Identifier: MIT */
/*
 * test_stats.c: the stats config (JSON and INI: stats honoured, api
 * refused, metrics checked), listen addresses, and the Prometheus text
 * checked line by line by a strict parser (names, labels, escapes, one
 * HELP/TYPE per family before its samples).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "conf/conf.h"
#include "core/engine.h"
#include "stats/metrics.h"
#include "stats/stats.h"

#include "conf_fx.h"

static int
load_json(struct fx *f, const char *json)
{
	int	rv;

	rv = conf_load_json_buf("c.json", json, strlen(json), &f->c, &f->d);
	if (conf_check(&f->c, &f->d) == -1)
		rv = -1;
	return rv;
}

static int
load_ini(struct fx *f, const char *ini)
{
	int	rv;

	rv = conf_load_ini_buf("c.ini", ini, strlen(ini), &f->c, &f->d);
	if (conf_check(&f->c, &f->d) == -1)
		rv = -1;
	return rv;
}

#define INB	"\"inbounds\":[{\"port\":1080,\"protocol\":\"socks\"}]"

static void
test_stats_json_switches(void **state)
{
	struct fx		*f = *state;
	struct conf_level	 l;

	assert_int_equal(load_json(f, "{\"stats\":{},\"policy\":{\"levels\":"
	    "{\"1\":{\"statsUserUplink\":true}},\"system\":{"
	    "\"statsInboundDownlink\":true,\"statsOutboundUplink\":true}},"
	    "\"metrics\":{\"listen\":\"127.0.0.1:9100\",\"resetOnReload\":"
	    "true}," INB "}"), 0);
	assert_true(f->c.stats);
	assert_false(f->c.stats_in_up);
	assert_true(f->c.stats_in_down);
	assert_true(f->c.stats_out_up);
	assert_false(f->c.stats_out_down);
	l = conf_policy(&f->c, 1);
	assert_true(l.stats_user_up);
	assert_false(l.stats_user_down);
	assert_string_equal(f->c.metrics.listen, "127.0.0.1:9100");
	assert_true(f->c.metrics.reset_on_reload);
	assert_int_equal(f->d.warnings.n, 0);
}

static void
test_stats_json_api_refused(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, "{\"api\":{\"tag\":\"api\",\"services\":"
	    "[\"StatsService\"]}," INB "}"), -1);
	assert_true(conf_diag_has(&f->d, "api"));
	assert_true(conf_diag_has(&f->d, "metrics"));
}

static void
test_stats_metrics_checks(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, "{\"metrics\":{\"listen\":"
	    "\"0.0.0.0:9100\"}," INB "}"), -1);
	assert_true(conf_diag_has(&f->d, "not a loopback address"));
	conf_cleanup(&f->c);
	conf_diag_cleanup(&f->d);
	conf_init(&f->c);
	conf_diag_init(&f->d);
	assert_int_equal(load_json(f, "{\"metrics\":{\"listen\":"
	    "\"0.0.0.0:9100\",\"user\":\"u\",\"password\":\"p\"}," INB "}"), 0);
	conf_cleanup(&f->c);
	conf_diag_cleanup(&f->d);
	conf_init(&f->c);
	conf_diag_init(&f->d);
	assert_int_equal(load_json(f, "{\"metrics\":{\"listen\":\"host:x\","
	    "\"user\":\"u\"}," INB "}"), -1);
	assert_true(conf_diag_has(&f->d, "metrics.listen"));
	assert_true(conf_diag_has(&f->d, "give both user and password"));
}

static void
test_stats_ini(void **state)
{
	struct fx	*f = *state;
	char		*dump;

	assert_int_equal(load_ini(f, "[policy 0]\nstatsUserDownlink = yes\n"
	    "[policy system]\nstatsOutboundDownlink = on\n[stats]\n"
	    "[metrics]\nlisten = 9100\nuser = ops\npassword = pw\n"
	    "[inbound in]\nprotocol = socks\nport = 1080\n"), 0);
	assert_true(f->c.stats);
	assert_true(conf_policy(&f->c, 0).stats_user_down);
	assert_true(f->c.stats_out_down);
	assert_string_equal(f->c.metrics.user, "ops");
	dump = dump_string(&f->c, false);
	assert_non_null(strstr(dump, "\n[stats]\n"));
	assert_non_null(strstr(dump, "statsUserDownlink = true"));
	assert_non_null(strstr(dump, "[metrics]\nlisten = 9100\nuser = ops"));
	free(dump);
	dump = dump_string(&f->c, true);
	assert_non_null(strstr(dump, "\"statsOutboundDownlink\": true"));
	free(dump);
}

static void
test_stats_listen_parse(void **state)
{
	static const struct {
		const char	*in, *host;
		int		 port;
	} t[] = {
		{ "127.0.0.1:9100", "127.0.0.1", 9100 },
		{ "9100", "127.0.0.1", 9100 },
		{ ":9100", "127.0.0.1", 9100 },
		{ "[::1]:80", "::1", 80 },
		{ "0.0.0.0:1", "0.0.0.0", 1 },
		{ "::1:80", NULL, 0 },
		{ "127.0.0.1:0", NULL, 0 },
		{ "127.0.0.1:65536", NULL, 0 },
		{ "localhost:80", NULL, 0 },
		{ "[::1]80", NULL, 0 },
		{ "", NULL, 0 },
		{ "1.2.3.4:", NULL, 0 },
	};
	char		 host[64];
	uint16_t	 port;
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		if (t[i].host == NULL) {
			assert_int_equal(stats_listen_parse(t[i].in, host,
			    sizeof(host), &port, &why), -1);
			assert_non_null(why);
			continue;
		}
		assert_int_equal(stats_listen_parse(t[i].in, host, sizeof(host),
		    &port, &why), 0);
		assert_string_equal(host, t[i].host);
		assert_int_equal(port, t[i].port);
	}
	assert_true(stats_host_is_loopback("127.0.0.2"));
	assert_true(stats_host_is_loopback("::1"));
	assert_true(stats_host_is_loopback("::ffff:127.0.0.1"));
	assert_false(stats_host_is_loopback("1.2.3.4"));
	assert_false(stats_host_is_loopback("::"));
	assert_false(stats_host_is_loopback("0.0.0.0"));
	assert_false(stats_host_is_loopback("name"));
}

/* A metric name, then optional {k="v",...}, a space, a number; 1 or 0. */
static int
sample_ok(const char *l)
{
	const char	*p = l;
	char		*e;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
		p++;
	if (*p == '{') {
		for (p++; *p != '}';) {
			if (!isalpha((unsigned char)*p) && *p != '_')
				return 0;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			if (*p++ != '=' || *p++ != '"')
				return 0;
			for (; *p != '"'; p++) {
				if (*p == '\0' || *p == '\n')
					return 0;
				if (*p == '\\' && (p[1] != '\\' && p[1] != '"' &&
				    p[1] != 'n'))
					return 0;
				if (*p == '\\')
					p++;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return 0;
		}
		p++;
	}
	if (*p++ != ' ')
		return 0;
	strtod(p, &e);
	return e != p && *e == '\0';
}

/* Every line valid; HELP then TYPE before a family's first sample. */
static void
check_exposition(char *text)
{
	char	*line, *save = NULL, fam[128] = "";
	size_t	 n;
	int	 typed = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			n = strcspn(line + 7, " ");
			assert_true(n < sizeof(fam));
			memcpy(fam, line + 7, n);
			fam[n] = '\0';
			typed = 0;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(strncmp(line + 7, fam, strlen(fam)), 0);
			assert_true(strstr(line, " counter") != NULL ||
			    strstr(line, " gauge") != NULL);
			typed = 1;
			continue;
		}
		if (!sample_ok(line))
			fail_msg("bad sample line: %s", line);
		assert_true(typed);
		assert_int_equal(strncmp(line, fam, strlen(fam)), 0);
	}
}

static void
test_stats_prometheus_strict(void **state)
{
	struct conf		 c;
	struct conf_outbound	 co, co2;
	struct outbound_rt	 ob, ob2;
	char			 longtag[601];
	struct evbuffer		*b = evbuffer_new();
	char			*text;
	size_t			 len;

	/* The parser itself refuses what Prometheus would. */
	assert_false(sample_ok("x{a=\"b} 1"));
	assert_false(sample_ok("x{a=\"b\\q\"} 1"));
	assert_false(sample_ok("x{a=\"b\"}1"));
	assert_false(sample_ok("1x 1"));
	assert_false(sample_ok("x nope"));
	assert_true(sample_ok("x_total{a=\"b\\\"\",c=\"\"} 1.5"));
	conf_init(&c);
	memset(&co, 0, sizeof(co));
	memset(&ob, 0, sizeof(ob));
	memset(&co2, 0, sizeof(co2));
	memset(&ob2, 0, sizeof(ob2));
	co.tag = "we\"ird\\tag\nx";
	ob.c = &co;
	stats_init("vtest");
	stats_route(2, &ob);
	stats_route(-1, &ob);
	stats_route(-1, &ob);
	stats_note_error("a \"quoted\" <b>error</b> & more");
	/* Names are not cut: a 600-byte tag comes out whole. */
	memset(longtag, 'x', sizeof(longtag) - 1);
	longtag[sizeof(longtag) - 1] = '\0';
	co2.tag = longtag;
	ob2.c = &co2;
	stats_route(7, &ob2);
	metrics_prometheus(b);
	len = evbuffer_get_length(b);
	text = calloc(1, len + 1);
	assert_non_null(text);
	evbuffer_remove(b, text, len);
	assert_non_null(strstr(text, "vtools_route_decisions_total{rule=\"2\","
	    "outbound=\"we\\\"ird\\\\tag\\nx\"} 1\n"));
	assert_non_null(strstr(text, "rule=\"default\",outbound=\"we\\\"ird"
	    "\\\\tag\\nx\"} 2\n"));
	assert_non_null(strstr(text, "vtools_log_errors_total 1\n"));
	assert_non_null(strstr(text, longtag));
	check_exposition(text);
	free(text);
	/* The page escapes what it shows. */
	metrics_status_html(b);
	len = evbuffer_get_length(b);
	text = calloc(1, len + 1);
	assert_non_null(text);
	evbuffer_remove(b, text, len);
	assert_null(strstr(text, "<b>error"));
	assert_non_null(strstr(text, "&quot;quoted&quot; &lt;b&gt;error"));
	assert_non_null(strstr(text, "we&quot;ird\\tag"));
	free(text);
	stats_reset();
	metrics_prometheus(b);
	len = evbuffer_get_length(b);
	text = calloc(1, len + 1);
	assert_non_null(text);
	evbuffer_remove(b, text, len);
	assert_non_null(strstr(text, "outbound=\"we\\\"ird\\\\tag\\nx\"} 0\n"));
	free(text);
	evbuffer_free(b);
	conf_cleanup(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stats_json_switches,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stats_json_api_refused,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stats_metrics_checks,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stats_ini, fx_setup,
		    fx_teardown),
		cmocka_unit_test(test_stats_listen_parse),
		cmocka_unit_test(test_stats_prometheus_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
