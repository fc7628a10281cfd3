/* SPDX-License-Identifier: MIT */
/*
 * test_conf_tls.c: streamSettings.security "tls" and tlsSettings in the
 * JSON and INI front ends, the checks (-test) and both dumps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf_fx.h"

static int
load_json(struct fx *f, const char *json)
{
	int	rv;

	rv = conf_load_json_buf("config.json", json, strlen(json), &f->c,
	    &f->d);
	if (conf_check(&f->c, &f->d) == -1)
		rv = -1;
	return rv;
}

#define IN_HEAD	"{\"inbounds\":[{\"port\":1,\"protocol\":\"vmess\"," \
		"\"settings\":{\"clients\":[{\"id\":" \
		"\"27848739-7e62-4138-9fd3-098a63964b6b\"}]}," \
		"\"streamSettings\":"
#define OUT_HEAD "{\"outbounds\":[{\"protocol\":\"vmess\",\"settings\":{" \
		"\"vnext\":[{\"address\":\"example.com\",\"port\":443," \
		"\"users\":[{\"id\":\"27848739-7e62-4138-9fd3-098a63964b6b\"}]}" \
		"]},\"streamSettings\":"

static void
test_client_settings(void **state)
{
	struct fx		*f = *state;
	const struct conf_tls	*t;
	char			*d;

	assert_int_equal(load_json(f, OUT_HEAD "{\"security\":\"TLS\","
	    "\"tlsSettings\":{\"serverName\":\"v.example\",\"allowInsecure\":"
	    "true,\"alpn\":[\"h2\"],\"disableSystemRoot\":true}}}]}"), 0);
	assert_true(f->c.outbounds[0].stream.tls);
	t = &f->c.outbounds[0].stream.tlss;
	assert_string_equal(t->server_name, "v.example");
	assert_true(t->allow_insecure);
	assert_true(t->disable_system_root);
	assert_true(t->has_alpn);
	assert_int_equal(t->alpn.n, 1);
	assert_string_equal(t->alpn.v[0], "h2");
	d = dump_string(&f->c, true);
	assert_non_null(strstr(d, "\"security\": \"tls\""));
	assert_non_null(strstr(d, "\"serverName\": \"v.example\""));
	free(d);
	d = dump_string(&f->c, false);
	assert_non_null(strstr(d, "security = tls\n"));
	assert_non_null(strstr(d, "tls.serverName = v.example\n"));
	assert_non_null(strstr(d, "tls.alpn = h2\n"));
	free(d);
}

static void
test_other_security_is_none(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, OUT_HEAD "{\"security\":\"xtls\"}}]}"),
	    0);
	assert_false(f->c.outbounds[0].stream.tls);
	assert_true(conf_diag_has(&f->d, "means no TLS") ||
	    f->d.warnings.n > 0);
}

static void
test_inline_certificate_lines(void **state)
{
	struct fx		*f = *state;
	const struct conf_cert	*c;

	/* A client: certificates are trust anchors; bad PEM is named. */
	assert_int_equal(load_json(f, OUT_HEAD "{\"security\":\"tls\","
	    "\"tlsSettings\":{\"certificates\":[{\"usage\":\"verify\","
	    "\"certificate\":[\"-----BEGIN CERTIFICATE-----\",\"AAAA\","
	    "\"-----END CERTIFICATE-----\"]}]}}}]}"), -1);
	c = &f->c.outbounds[0].stream.tlss.certs[0];
	assert_int_equal(c->usage, CONF_CERT_VERIFY);
	assert_string_equal(c->cert_pem, "-----BEGIN CERTIFICATE-----\nAAAA"
	    "\n-----END CERTIFICATE-----");
	assert_true(conf_diag_has(&f->d, "(inline certificate)"));
}

static void
test_missing_file_named(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, IN_HEAD "{\"security\":\"tls\","
	    "\"tlsSettings\":{\"certificates\":[{\"certificateFile\":"
	    "\"/nonexistent/vt.crt\",\"keyFile\":\"/nonexistent/vt.key\"}]}}"
	    "}]}"), -1);
	assert_true(conf_diag_has(&f->d, "/nonexistent/vt.crt"));
}

static void
test_server_needs_certificate(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, IN_HEAD "{\"security\":\"tls\"}}]}"),
	    -1);
	assert_true(conf_diag_has(&f->d, "needs a certificate"));
}

static void
test_bad_usage(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, IN_HEAD "{\"security\":\"tls\","
	    "\"tlsSettings\":{\"certificates\":[{\"usage\":\"issue\","
	    "\"certificateFile\":\"a\",\"keyFile\":\"b\"}]}}}]}"), -1);
	assert_true(conf_diag_has(&f->d, "usage \"issue\""));
	conf_cleanup(&f->c);
	conf_diag_cleanup(&f->d);
	conf_init(&f->c);
	conf_diag_init(&f->d);
	assert_int_equal(load_json(f, IN_HEAD "{\"security\":\"tls\","
	    "\"tlsSettings\":{\"certificates\":[{\"usage\":\"sign\","
	    "\"certificateFile\":\"a\"}]}}}]}"), -1);
	assert_true(conf_diag_has(&f->d, "unknown usage"));
}

static void
test_tls_over_kcp_refused(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, OUT_HEAD "{\"network\":\"kcp\","
	    "\"security\":\"tls\"}}]}"), -1);
	assert_true(conf_diag_has(&f->d, "supported over tcp"));
}

static void
test_ini_keys(void **state)
{
	struct fx		*f = *state;
	static const char	 ini[] =
	    "[outbound]\n"
	    "protocol = vmess\n"
	    "server = example.com:443\n"
	    "user = 27848739-7e62-4138-9fd3-098a63964b6b\n"
	    "security = tls\n"
	    "tls.serverName = v.example\n"
	    "tls.allowInsecure = true\n"
	    "tls.alpn = h2,http/1.1\n"
	    "tls.disableSystemRoot = on\n";
	const struct conf_tls	*t;

	assert_int_equal(conf_load_ini_buf("t.ini", ini, strlen(ini), &f->c,
	    &f->d), 0);
	assert_true(f->c.outbounds[0].stream.tls);
	t = &f->c.outbounds[0].stream.tlss;
	assert_string_equal(t->server_name, "v.example");
	assert_true(t->allow_insecure);
	assert_true(t->disable_system_root);
	assert_int_equal(t->alpn.n, 2);
	assert_string_equal(t->alpn.v[1], "http/1.1");
}

#define T(name)	cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_client_settings),
		T(test_other_security_is_none),
		T(test_inline_certificate_lines),
		T(test_missing_file_named),
		T(test_server_needs_certificate),
		T(test_bad_usage),
		T(test_tls_over_kcp_refused),
		T(test_ini_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
