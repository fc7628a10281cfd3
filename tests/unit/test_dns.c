/* SPDX-License-Identifier: MIT */
/*
 * test_dns.c: the dns object's parts that need no network (dns/dns.c):
 * hosts (full, domain:, keyword:, regexp:, aliases, 127.0.0.1 -> ::1,
 * family filtering, 4.34's match order), IP literals, cancelling, and the
 * configuration errors vdns_check names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "core/engine.h"
#include "dns/dns.h"

struct result {
	int		calls;
	int		rcode;
	char		text[512];
};

static void
done_cb(int rcode, const struct route_ip *ips, size_t nips, void *arg)
{
	struct result	*r = arg;
	char		 a[64];
	size_t		 i;

	r->calls++;
	r->rcode = rcode;
	r->text[0] = '\0';
	for (i = 0; i < nips; i++) {
		inet_ntop(ips[i].family, ips[i].addr, a, sizeof(a));
		if (i > 0)
			strcat(r->text, " ");
		strcat(r->text, a);
	}
}

static void
add_host(struct conf_dns *d, const char *key, const char *v1,
    const char *v2)
{
	struct conf_dns_host	*h = conf_dns_add_host(d);

	h->key = strdup(key);
	conf_strv_push(&h->values, v1);
	if (v2 != NULL)
		conf_strv_push(&h->values, v2);
}

/* Look name up in a fresh client over d; the answer as text. */
static struct result
lookup(struct conf_dns *d, const char *name, int family)
{
	struct engine	 eng;
	struct vdns	*v;
	struct result	 r;
	char		 err[256];

	memset(&eng, 0, sizeof(eng));
	memset(&r, 0, sizeof(r));
	eng.base = event_base_new();
	v = vdns_new(&eng, d, err, sizeof(err));
	assert_non_null(v);
	eng.vdns = v;
	vdns_lookup(v, name, family, done_cb, &r);
	/* Never called back before vdns_lookup returns. */
	assert_int_equal(r.calls, 0);
	event_base_loop(eng.base, EVLOOP_NONBLOCK);
	vdns_free(v);
	event_base_free(eng.base);
	return r;
}

static void
hosts_conf(struct conf_dns *d)
{
	memset(d, 0, sizeof(*d));
	d->present = true;
	/* Sorted by key, as the JSON front end leaves them. */
	add_host(d, "a.test", "10.0.0.1", NULL);
	add_host(d, "alias.test", "b.alias.test", NULL);
	add_host(d, "domain:alias.test", "10.0.0.9", NULL);
	add_host(d, "domain:x.test", "10.0.0.3", NULL);
	add_host(d, "domain:y.x.test", "10.0.0.2", NULL);
	add_host(d, "full:z.y.x.test", "10.0.0.4", NULL);
	add_host(d, "keyword:kw", "10.0.0.5", NULL);
	add_host(d, "list.test", "10.0.0.6", "fd00::6");
	add_host(d, "local.test", "127.0.0.1", NULL);
	add_host(d, "loop1.test", "loop2.test", NULL);
	add_host(d, "loop2.test", "loop1.test", NULL);
	add_host(d, "regexp:^re[0-9]+\\.test$", "10.0.0.7", NULL);
}

static void
test_dns_hosts(void **state)
{
	struct conf_dns	d;
	struct result	r;

	hosts_conf(&d);
	r = lookup(&d, "a.test", AF_UNSPEC);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.rcode, 0);
	assert_string_equal(r.text, "10.0.0.1");
	/* A trailing dot is the same name; case is not folded (4.34). */
	assert_string_equal(lookup(&d, "a.test.", AF_INET).text, "10.0.0.1");
	/* full first, then domain: from the longest suffix, then others. */
	assert_string_equal(lookup(&d, "z.y.x.test", AF_INET).text,
	    "10.0.0.4 10.0.0.2 10.0.0.3");
	assert_string_equal(lookup(&d, "q.x.test", AF_INET).text, "10.0.0.3");
	assert_string_equal(lookup(&d, "x.test", AF_INET).text, "10.0.0.3");
	assert_string_equal(lookup(&d, "kw.y.x.test", AF_INET).text,
	    "10.0.0.2 10.0.0.3 10.0.0.5");
	assert_string_equal(lookup(&d, "re42.test", AF_INET).text,
	    "10.0.0.7");
	/* The family asked for; none of it: NOERROR without addresses. */
	assert_string_equal(lookup(&d, "list.test", AF_INET6).text, "fd00::6");
	assert_string_equal(lookup(&d, "list.test", AF_UNSPEC).text,
	    "10.0.0.6 fd00::6");
	r = lookup(&d, "a.test", AF_INET6);
	assert_int_equal(r.rcode, 0);
	assert_string_equal(r.text, "");
	/* 127.0.0.1 alone also answers ::1. */
	assert_string_equal(lookup(&d, "local.test", AF_INET6).text, "::1");
	/* An alias whose target has an entry of its own. */
	assert_string_equal(lookup(&d, "alias.test", AF_INET).text,
	    "10.0.0.9");
	conf_dns_cleanup(&d);
}

static void
test_dns_literal(void **state)
{
	struct conf_dns	d;
	struct result	r;

	memset(&d, 0, sizeof(d));
	r = lookup(&d, "192.0.2.1", AF_UNSPEC);
	assert_int_equal(r.rcode, 0);
	assert_string_equal(r.text, "192.0.2.1");
	assert_string_equal(lookup(&d, "192.0.2.1", AF_INET6).text, "");
	assert_string_equal(lookup(&d, "[::1]", AF_INET6).text, "::1");
	assert_int_equal(lookup(&d, "", AF_INET).rcode, -1);
	assert_int_equal(lookup(&d, ".", AF_INET).rcode, -1);
}

static void
test_dns_cancel(void **state)
{
	struct conf_dns	 d;
	struct engine	 eng;
	struct vdns	*v;
	struct result	 r;
	char		 err[256];

	hosts_conf(&d);
	memset(&eng, 0, sizeof(eng));
	memset(&r, 0, sizeof(r));
	eng.base = event_base_new();
	v = vdns_new(&eng, &d, err, sizeof(err));
	vdns_cancel(vdns_lookup(v, "a.test", AF_INET, done_cb, &r));
	vdns_cancel(NULL);
	event_base_loop(eng.base, EVLOOP_NONBLOCK);
	assert_int_equal(r.calls, 0);
	vdns_free(v);
	event_base_free(eng.base);
	conf_dns_cleanup(&d);
}

/* vdns_check's message for a config with one bad piece, or NULL. */
static const char *
check_msg(struct conf_dns *d)
{
	static char	err[256];

	err[0] = '\0';
	return vdns_check(d, err, sizeof(err)) == 0 ? NULL : err;
}

static void
test_dns_check(void **state)
{
	struct conf_dns		 d;
	struct conf_dns_server	*s;

	memset(&d, 0, sizeof(d));
	assert_null(check_msg(&d));
	add_host(&d, "full:", "10.0.0.1", NULL);
	assert_non_null(strstr(check_msg(&d), "empty value"));
	conf_dns_cleanup(&d);
	add_host(&d, "a.test", "10.0.0.1", "b.test");
	assert_non_null(strstr(check_msg(&d), "\"b.test\" is not an IP"));
	conf_dns_cleanup(&d);
	add_host(&d, "geosite:cn", "10.0.0.1", NULL);
	assert_non_null(strstr(check_msg(&d), "geosite"));
	conf_dns_cleanup(&d);
	add_host(&d, "regexp:(", "10.0.0.1", NULL);
	assert_non_null(strstr(check_msg(&d), "bad regexp"));
	conf_dns_cleanup(&d);
	s = conf_dns_add_server(&d);
	s->address = strdup("https://dns.example/dns-query");
	assert_non_null(strstr(check_msg(&d), "no DoH"));
	conf_dns_cleanup(&d);
	s = conf_dns_add_server(&d);
	s->address = strdup("127.0.0.1");
	conf_strv_push(&s->expect_ips, "10.0.0.0/33");
	assert_non_null(strstr(check_msg(&d), "expectIps"));
	conf_dns_cleanup(&d);
	s = conf_dns_add_server(&d);
	s->address = strdup("localhost");
	conf_strv_push(&s->domains, "domain:lan");
	conf_strv_push(&s->expect_ips, "geoip:private");
	s = conf_dns_add_server(&d);
	s->address = strdup("127.0.0.1");
	s->port = 5353;
	s->client_ip = strdup("1.2.3.4");
	assert_null(check_msg(&d));
	d.client_ip = strdup("not-an-ip");
	s = conf_dns_add_server(&d);
	s->address = strdup("127.0.0.2");
	assert_non_null(strstr(check_msg(&d), "clientIp"));
	conf_dns_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_hosts),
		cmocka_unit_test(test_dns_literal),
		cmocka_unit_test(test_dns_cancel),
		cmocka_unit_test(test_dns_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
