/* SPDX-License-Identifier: MIT */
/*
 * test_conf_ws.c: network "ws" and wsSettings in the JSON and INI front
 * ends (transport.wsSettings as the default, own settings replacing it
 * whole), the checks (-test) and both dumps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define VMESS_IN(port, stream) "{\"port\":" #port ",\"protocol\":\"vmess\"," \
		"\"settings\":{\"clients\":[{\"id\":" \
		"\"27848739-7e62-4138-9fd3-098a63964b6b\"}]}," \
		"\"streamSettings\":" stream "}"
#define OUT_HEAD "{\"outbounds\":[{\"protocol\":\"vmess\",\"settings\":{" \
		"\"vnext\":[{\"address\":\"example.com\",\"port\":443," \
		"\"users\":[{\"id\":\"27848739-7e62-4138-9fd3-098a63964b6b\"}]}" \
		"]},\"streamSettings\":"

static void
test_ws_global_and_own(void **state)
{
	struct fx		*f = *state;
	const struct conf_ws	*a, *b;

	assert_int_equal(load_json(f, "{\"transport\":{\"wsSettings\":{"
	    "\"path\":\"/g\",\"headers\":{\"host\":\"h.test\",\"X-A\":\"1\"},"
	    "\"acceptProxyProtocol\":true}},\"inbounds\":["
	    VMESS_IN(1, "{\"network\":\"websocket\"}") ","
	    VMESS_IN(2, "{\"network\":\"ws\",\"security\":\"tls\","
	    "\"tlsSettings\":{\"certificates\":[{\"certificateFile\":"
	    "\"" SRCDIR "/tests/unit/no-such.crt\"}]},"
	    "\"wsSettings\":{\"path\":\"own\"}}") "]}"), -1);
	/* Only the missing certificate fails: ws takes TLS. */
	assert_true(conf_diag_has(&f->d, "no-such.crt"));
	assert_false(conf_diag_has(&f->d, "supported over tcp"));
	assert_int_equal(f->c.ninbounds, 2);
	a = &f->c.inbounds[0].stream.ws;
	b = &f->c.inbounds[1].stream.ws;
	assert_int_equal(f->c.inbounds[0].stream.network, CONF_NET_WS);
	assert_string_equal(a->path, "/g");
	assert_string_equal(a->host, "h.test");
	assert_true(a->accept_proxy_protocol);
	assert_int_equal(a->hdr_names.n, 1);
	assert_string_equal(a->hdr_names.v[0], "X-A");
	assert_string_equal(a->hdr_values.v[0], "1");
	/* Own settings replace the global ones whole. */
	assert_string_equal(b->path, "own");
	assert_null(b->host);
	assert_false(b->accept_proxy_protocol);
	assert_int_equal(b->hdr_names.n, 0);
}

static void
test_ws_errors(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, OUT_HEAD "{\"network\":\"ws\","
	    "\"wsSettings\":{\"path\":5,\"headers\":{\"X\":1,\"a b\":\"c\","
	    "\"Sec-WebSocket-Key\":\"k\"}}}}]}"), -1);
	assert_true(conf_diag_has(&f->d, "wsSettings.path"));
	assert_true(conf_diag_has(&f->d, "wsSettings.headers.X"));
	assert_true(conf_diag_has(&f->d, "not a valid HTTP header"));
	assert_true(conf_diag_has(&f->d, "Sec-WebSocket-Key is the "
	    "handshake's own"));
}

static void
test_ws_ini_and_dumps(void **state)
{
	struct fx		*f = *state;
	static const char	 ini[] =
	    "[outbound]\n"
	    "protocol = vmess\n"
	    "server = example.com:443\n"
	    "user = 27848739-7e62-4138-9fd3-098a63964b6b\n"
	    "network = ws\n"
	    "ws.path = /p\n"
	    "ws.header = Host: h.test\n"
	    "ws.header = X-A: b c\n";
	const struct conf_ws	*w;
	char			*j, *i;

	assert_int_equal(conf_load_ini_buf("t.ini", ini, strlen(ini), &f->c,
	    &f->d), 0);
	assert_int_equal(conf_check(&f->c, &f->d), 0);
	w = &f->c.outbounds[0].stream.ws;
	assert_string_equal(w->path, "/p");
	assert_string_equal(w->host, "h.test");
	assert_string_equal(w->hdr_values.v[0], "b c");
	j = dump_string(&f->c, true);
	assert_non_null(strstr(j, "\"network\": \"ws\""));
	assert_non_null(strstr(j, "\"Host\": \"h.test\""));
	assert_non_null(strstr(j, "\"X-A\": \"b c\""));
	i = dump_string(&f->c, false);
	assert_non_null(strstr(i, "ws.path = /p\n"));
	assert_non_null(strstr(i, "ws.host = h.test\n"));
	assert_non_null(strstr(i, "ws.header = X-A: b c\n"));
	free(j);
	free(i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ws_global_and_own,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ws_errors,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ws_ini_and_dumps,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
