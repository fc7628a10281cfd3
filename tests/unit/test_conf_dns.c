/* SPDX-License-Identifier: MIT */
/*
 * test_conf_dns.c: the dns object and the dns outbound in both front ends
 * (conf_json.c, conf_ini.c), their checks, and -dump round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "conf_fx.h"

static const char dns_json[] =
    "{\"dns\": {\"tag\": \"dns-app\", \"clientIp\": \"1.2.3.4\",\n"
    "  \"hosts\": {\"z.test\": \"10.0.0.1\", \"domain:a.test\": \"b.test\",\n"
    "    \"list.test\": [\"10.0.0.2\", \"fd00::2\"]},\n"
    "  \"servers\": [\"localhost\", {\"address\": \"127.0.0.1\",\n"
    "    \"port\": 5353, \"domains\": [\"domain:lan\", \"full:x\"],\n"
    "    \"expectIps\": \"10.0.0.0/8,geoip:private\",\n"
    "    \"clientIp\": \"5.6.7.8\", \"disableCache\": true}]},\n"
    " \"inbounds\": [{\"port\": 1080, \"protocol\": \"socks\"}],\n"
    " \"outbounds\": [{\"protocol\": \"freedom\"}, {\"tag\": \"d\",\n"
    "   \"protocol\": \"dns\", \"settings\": {\"network\": \"tcp\",\n"
    "   \"address\": \"1.1.1.1\", \"port\": 53}}],\n"
    " \"routing\": {\"rules\": [{\"type\": \"field\",\n"
    "   \"inboundTag\": [\"dns-app\"], \"outboundTag\": \"d\"}]}}\n";

static void
test_conf_dns_json(void **state)
{
	struct fx		*f = *state;
	const struct conf_dns	*d = &f->c.dns;

	assert_int_equal(conf_load_json_buf("t.json", dns_json,
	    strlen(dns_json), &f->c, &f->d), 0);
	assert_true(d->present);
	assert_string_equal(d->tag, "dns-app");
	assert_string_equal(d->client_ip, "1.2.3.4");
	/* Sorted by key, as 4.34 walks them. */
	assert_int_equal(d->nhosts, 3);
	assert_string_equal(d->hosts[0].key, "domain:a.test");
	assert_string_equal(d->hosts[1].key, "list.test");
	assert_int_equal(d->hosts[1].values.n, 2);
	assert_string_equal(d->hosts[2].key, "z.test");
	assert_int_equal(d->nservers, 2);
	assert_string_equal(d->servers[0].address, "localhost");
	assert_int_equal(d->servers[1].port, 5353);
	assert_int_equal(d->servers[1].domains.n, 2);
	assert_int_equal(d->servers[1].expect_ips.n, 2);
	assert_string_equal(d->servers[1].client_ip, "5.6.7.8");
	assert_int_equal(f->c.outbounds[1].proto, CONF_PROTO_DNS);
	assert_string_equal(f->c.outbounds[1].dns_address, "1.1.1.1");
	assert_int_equal(f->c.outbounds[1].dns_port, 53);
	assert_int_equal(f->c.outbounds[1].dns_network, CONF_NETBIT_TCP);
	/* Keys 4.34 does not know are named; the dns tag is a known source. */
	assert_true(f->d.warnings.n == 1);
	assert_non_null(strstr(f->d.warnings.v[0], "disableCache"));
}

/* JSON -> dump ini -> load -> dump json: the same JSON. */
static void
test_conf_dns_roundtrip(void **state)
{
	struct fx	*f = *state;
	struct conf	 c2;
	struct conf_diag d2;
	char		*j1, *ini, *j2;

	assert_int_equal(conf_load_json_buf("t.json", dns_json,
	    strlen(dns_json), &f->c, &f->d), 0);
	j1 = dump_string(&f->c, true);
	ini = dump_string(&f->c, false);
	assert_non_null(strstr(ini, "\n[dns server]\naddress = 127.0.0.1\n"
	    "port = 5353\n"));
	assert_non_null(strstr(ini, "host = list.test fd00::2\n"));
	conf_init(&c2);
	conf_diag_init(&d2);
	assert_int_equal(conf_load_ini_buf("t.ini", ini, strlen(ini), &c2,
	    &d2), 0);
	j2 = dump_string(&c2, true);
	assert_string_equal(j1, j2);
	free(j1);
	free(ini);
	free(j2);
	conf_cleanup(&c2);
	conf_diag_cleanup(&d2);
}

static void
test_conf_dns_errors(void **state)
{
	struct fx	*f = *state;
	static const char bad[] =
	    "{\"dns\": {\"hosts\": {\"a.test\": 5, \"b.test\": [\"1.1.1.1\","
	    " \"c.test\"], \"full:\": \"1.1.1.1\"},\n"
	    "  \"servers\": [null, {\"address\": \"https://x/dns-query\"}],"
	    " \"clientIp\": \"nope\"},\n"
	    " \"outbounds\": [{\"protocol\": \"dns\", \"settings\":"
	    " {\"port\": 70000}}]}";
	static const char bad_ini[] =
	    "[dns]\nhost = a.test\nhost = b.test 1.1.1.1 2.2.2.2\n"
	    "[dns]\n[dns other]\n[dns server]\nport = x\n"
	    "[outbound]\nprotocol = freedom\ndns.network = tcp\n";

	assert_int_equal(conf_load_json_buf("t.json", bad, strlen(bad),
	    &f->c, &f->d), -1);
	assert_true(conf_diag_has(&f->d, "t.json: dns.hosts.a.test: expected "
	    "an address or a list of addresses, got a number 5"));
	assert_true(conf_diag_has(&f->d, "dns.servers[0]: expected a server, "
	    "got null"));
	assert_true(conf_diag_has(&f->d, "port: 70000 out of range"));
	/* The semantic check names the first bad value it meets. */
	assert_int_equal(conf_check(&f->c, &f->d), -1);
	assert_true(conf_diag_has(&f->d, "t.json: dns: hosts[\"b.test\"]: "
	    "\"c.test\" is not an IP address"));
	conf_cleanup(&f->c);
	conf_diag_cleanup(&f->d);
	conf_init(&f->c);
	conf_diag_init(&f->d);
	assert_int_equal(conf_load_ini_buf("t.ini", bad_ini, strlen(bad_ini),
	    &f->c, &f->d), -1);
	assert_true(conf_diag_has(&f->d, "t.ini:2: host: \"a.test\": want "
	    "KEY ADDRESS"));
	assert_true(conf_diag_has(&f->d, "t.ini:3: host:"));
	assert_true(conf_diag_has(&f->d, "t.ini:4: duplicate [dns] section"));
	assert_true(conf_diag_has(&f->d, "t.ini:5: [dns] takes no name but "
	    "\"server\""));
	assert_true(conf_diag_has(&f->d, "t.ini:7: port: \"x\" is not an "
	    "integer"));
	assert_true(conf_diag_has(&f->d, "t.ini:10: dns.network: not a "
	    "setting of protocol freedom"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conf_dns_json, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_dns_roundtrip,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_dns_errors, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
