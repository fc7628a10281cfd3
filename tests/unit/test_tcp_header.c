/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_header.c: tcpSettings: the PROXY protocol parser (v1 and v2,
 * prefixes, limits, broken headers), the http header disguise's texts and
 * the server's check of a request (4.34's 400 and 404 cases), and the
 * JSON/INI keys with both dumps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>

#include "conf/conf.h"
#include "conf_fx.h"
#include "transport/httphdr.h"
#include "transport/proxyproto.h"

static ssize_t
pp(const char *s, size_t n, struct proxyproto_hdr *h)
{
	const char	*why = NULL;
	ssize_t		 r;

	r = proxyproto_parse((const uint8_t *)s, n, h, &why);
	if (r == PROXYPROTO_BAD)
		assert_non_null(why);
	return r;
}

static void
src4(const struct proxyproto_hdr *h, const char *ip, uint16_t port)
{
	const struct sockaddr_in *s = (const struct sockaddr_in *)&h->src;
	char			  buf[INET_ADDRSTRLEN];

	assert_true(h->has_src);
	assert_int_equal(s->sin_family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, &s->sin_addr, buf,
	    sizeof(buf)), ip);
	assert_int_equal(ntohs(s->sin_port), port);
}

static void
test_pp_v1(void **state)
{
	struct proxyproto_hdr	 h;
	static const char	 v1[] = "PROXY TCP4 192.0.2.1 10.0.0.1 5555 "
				    "80\r\n\x05\x01\x00";
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&h.src;
	char			 buf[INET6_ADDRSTRLEN];
	size_t			 i, n = sizeof(v1) - 1;

	assert_int_equal(pp(v1, n, &h), n - 3);
	assert_int_equal(h.version, 1);
	src4(&h, "192.0.2.1", 5555);
	/* Every prefix asks for more. */
	for (i = 0; i < n - 3; i++)
		assert_int_equal(pp(v1, i, &h), PROXYPROTO_MORE);
	assert_int_equal(pp("PROXY TCP6 2001:db8::1 ::1 1 65535\r\n", 36, &h),
	    36);
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_string_equal(inet_ntop(AF_INET6, &s6->sin6_addr, buf,
	    sizeof(buf)), "2001:db8::1");
	/* UNKNOWN: the connection's own address stands. */
	assert_int_equal(pp("PROXY UNKNOWN\r\n", 15, &h), 15);
	assert_false(h.has_src);
	assert_int_equal(pp("PROXY UNKNOWN a b c d\r\nX", 24, &h), 23);
	assert_false(h.has_src);
}

static void
test_pp_v1_bad(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n",
		"\x05\x01\x00",
		"PROXY TCP4 192.0.2.1 10.0.0.1 5555\r\n",	/* 5 tokens */
		"PROXY TCP4 192.0.2.1 10.0.0.1 5555 80 x\r\n",
		"PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n",	/* family */
		"PROXY TCP6 192.0.2.1 ::1 1 2\r\n",
		"PROXY TCP4 300.0.2.1 10.0.0.1 1 2\r\n",
		"PROXY TCP4 192.0.2.1 10.0.0.1 65536 2\r\n",
		"PROXY TCP4 192.0.2.1 10.0.0.1 -1 2\r\n",
		"PROXY TCP4 192.0.2.1  10.0.0.1 1 2\r\n",	/* two blanks */
		"PROXY UDP4 192.0.2.1 10.0.0.1 1 2\r\n",
		"PROXY TCP4 192.0.2.1 10.0.0.1 1 2\n",		/* bare LF */
		"PROXY TCP4 192.0.2.1\r10.0.0.1 1 2\r\n",
		"PROXY TCP4 192.0.2.1 10.0.0.1 1 2\x01\r\n",
		"proxy TCP4 192.0.2.1 10.0.0.1 1 2\r\n",
	};
	struct proxyproto_hdr	 h;
	char			 longer[200];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(pp(bad[i], strlen(bad[i]), &h),
		    PROXYPROTO_BAD);
	/* No CRLF within 107 bytes. */
	memset(longer, 'a', sizeof(longer));
	memcpy(longer, "PROXY TCP4 ", 11);
	assert_int_equal(pp(longer, 106, &h), PROXYPROTO_MORE);
	assert_int_equal(pp(longer, 107, &h), PROXYPROTO_MORE);
	assert_int_equal(pp(longer, 108, &h), PROXYPROTO_BAD);
}

static size_t
v2(uint8_t *b, uint8_t vc, uint8_t fam, const uint8_t *body, size_t n)
{
	memcpy(b, "\r\n\r\n\0\r\nQUIT\n", 12);
	b[12] = vc;
	b[13] = fam;
	b[14] = (uint8_t)(n >> 8);
	b[15] = (uint8_t)n;
	memcpy(b + 16, body, n);
	return 16 + n;
}

static void
test_pp_v2(void **state)
{
	static const uint8_t	 a4[] = { 198, 51, 100, 7, 127, 0, 0, 1,
				    0x11, 0x5c, 0x00, 80, 4, 0, 3, 'a', 'b',
				    'c' };
	uint8_t			 b[300], a6[36 + 4], un[216];
	struct proxyproto_hdr	 h;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&h.src;
	size_t			 n, i;

	n = v2(b, 0x21, 0x11, a4, sizeof(a4));
	b[n] = 'X';
	assert_int_equal(pp((char *)b, n + 1, &h), n);
	assert_int_equal(h.version, 2);
	src4(&h, "198.51.100.7", 0x115c);
	for (i = 0; i < n; i++)
		assert_int_equal(pp((char *)b, i, &h), PROXYPROTO_MORE);
	/* UDP over IPv4 names a source too. */
	n = v2(b, 0x21, 0x12, a4, 12);
	assert_int_equal(pp((char *)b, n, &h), n);
	assert_true(h.has_src);
	/* IPv6. */
	memset(a6, 0, sizeof(a6));
	a6[0] = 0x20;
	a6[1] = 0x01;
	a6[15] = 9;
	a6[33] = 1;
	n = v2(b, 0x21, 0x21, a6, 36);
	assert_int_equal(pp((char *)b, n, &h), n);
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(s6->sin6_addr.s6_addr[15], 9);
	/* LOCAL, AF_UNSPEC, AF_UNIX: no source. */
	n = v2(b, 0x20, 0x11, a4, 12);
	assert_int_equal(pp((char *)b, n, &h), n);
	assert_false(h.has_src);
	n = v2(b, 0x21, 0x00, a4, 0);
	assert_int_equal(pp((char *)b, n, &h), n);
	assert_false(h.has_src);
	memset(un, 'u', sizeof(un));
	n = v2(b, 0x21, 0x31, un, sizeof(un));
	assert_int_equal(pp((char *)b, n, &h), n);
	assert_false(h.has_src);
}

static void
test_pp_v2_bad(void **state)
{
	static const uint8_t	 a4[12] = { 1, 2, 3, 4 };
	uint8_t			 b[64];
	struct proxyproto_hdr	 h;
	size_t			 n;

	n = v2(b, 0x11, 0x11, a4, 12);		/* version 1 */
	assert_int_equal(pp((char *)b, n, &h), PROXYPROTO_BAD);
	n = v2(b, 0x22, 0x11, a4, 12);		/* command 2 */
	assert_int_equal(pp((char *)b, n, &h), PROXYPROTO_BAD);
	n = v2(b, 0x21, 0x41, a4, 12);		/* family 4 */
	assert_int_equal(pp((char *)b, n, &h), PROXYPROTO_BAD);
	n = v2(b, 0x21, 0x11, a4, 11);		/* too short for IPv4 */
	assert_int_equal(pp((char *)b, n, &h), PROXYPROTO_BAD);
	n = v2(b, 0x21, 0x21, a4, 12);		/* too short for IPv6 */
	assert_int_equal(pp((char *)b, n, &h), PROXYPROTO_BAD);
	memcpy(b, "\r\n\r\n\0\r\nQUIX", 12);	/* signature */
	assert_int_equal(pp((char *)b, 12, &h), PROXYPROTO_BAD);
	/* The length says 65535: more until all of it is there. */
	n = v2(b, 0x21, 0x11, a4, 12);
	b[14] = b[15] = 0xff;
	assert_int_equal(pp((char *)b, n, &h), PROXYPROTO_MORE);
}

/* ---- The http header ---- */

static char *
text(struct evbuffer *b)
{
	size_t	 n = evbuffer_get_length(b);
	char	*s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static void
test_request_defaults(void **state)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	httphdr_request(NULL, b);
	s = text(b);
	assert_true(strncmp(s, "GET / HTTP/1.1\r\nHost: www.", 26) == 0);
	assert_non_null(strstr(s, "\r\nUser-Agent: Mozilla/5.0 ("));
	assert_non_null(strstr(s, "\r\nAccept-Encoding: gzip, deflate\r\n"
	    "Connection: keep-alive\r\nPragma: no-cache\r\n\r\n"));
	assert_int_equal(httphdr_check_request((uint8_t *)s, strlen(s), NULL),
	    strlen(s));
	free(s);
	httphdr_response(NULL, 784111777, b);
	s = text(b);
	assert_true(strncmp(s, "HTTP/1.1 200 OK\r\nContent-Type: ", 31) == 0);
	assert_non_null(strstr(s, "\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: keep-alive\r\nPragma: no-cache\r\nCache-Control: "));
	assert_non_null(strstr(s, "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "\r\n"));
	free(s);
	httphdr_refusal(404, 784111777, b);
	s = text(b);
	assert_string_equal(s, "HTTP/1.1 404 Not Found\r\nConnection: close\r\n"
	    "Cache-Control: private\r\nContent-Length: 0\r\n"
	    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
	free(s);
	evbuffer_free(b);
}

static void
test_request_configured(void **state)
{
	struct conf_http_req	 r;
	struct conf_http_resp	 rs;
	struct conf_http_field	*f;
	struct evbuffer		*b = evbuffer_new();
	char			*s;
	bool			 a = false, c = false;
	int			 i;

	memset(&r, 0, sizeof(r));
	r.method = strdup("POST");
	r.version = strdup("1.0");
	conf_strv_push(&r.path, "/x");
	conf_strv_push(&r.path, "/y");
	f = conf_http_field_get(&r.fields, &r.nfields, "Host");
	conf_strv_push(&f->values, "a.example");
	/* Each connection picks again: both values show up. */
	for (i = 0; i < 64 && !(a && c); i++) {
		httphdr_request(&r, b);
		s = text(b);
		assert_true(strncmp(s, "POST /x HTTP/1.0\r\nHost: a.example\r\n"
		    "\r\n", 35) == 0 || strncmp(s, "POST /y HTTP/1.0\r\n",
		    18) == 0);
		a |= s[6] == 'x';
		c |= s[6] == 'y';
		assert_true(httphdr_check_request((uint8_t *)s, strlen(s), &r) >
		    0);
		free(s);
	}
	assert_true(a && c);
	memset(&rs, 0, sizeof(rs));
	rs.reason = strdup("Fine");
	f = conf_http_field_get(&rs.fields, &rs.nfields, "date");
	conf_strv_push(&f->values, "yesterday");
	httphdr_response(&rs, 0, b);
	s = text(b);
	assert_string_equal(s, "HTTP/1.1 200 Fine\r\ndate: yesterday\r\n\r\n");
	free(s);
	evbuffer_free(b);
	free(r.method);
	free(r.version);
	conf_strv_free(&r.path);
	conf_strv_free(&r.fields[0].values);
	free(r.fields[0].name);
	free(r.fields);
	free(rs.reason);
	conf_strv_free(&rs.fields[0].values);
	free(rs.fields[0].name);
	free(rs.fields);
}

static ssize_t
chk(const char *s, const char *path)
{
	struct conf_http_req	 r;
	ssize_t			 rv;

	memset(&r, 0, sizeof(r));
	if (path != NULL)
		conf_strv_push(&r.path, path);
	rv = httphdr_check_request((const uint8_t *)s, strlen(s), &r);
	conf_strv_free(&r.path);
	return rv;
}

static void
test_check_request(void **state)
{
	char	big[HTTPHDR_MAX + 10];

	assert_int_equal(chk("GET / HTTP/1.1\r\n\r\nPAYLOAD", NULL), 18);
	assert_int_equal(chk("GET /?q=1 HTTP/1.1\r\nA: b\r\n\r\n", NULL), 28);
	assert_int_equal(chk("GET http://h.example/ HTTP/1.1\r\n\r\n", NULL),
	    34);
	assert_int_equal(chk("PUT /a%20b HTTP/2.0\r\n\r\n", "/a b"), 23);
	assert_int_equal(chk("GET /p HTTP/1.1\r\nX:1\r\n  more\r\n\r\n", "/p"),
	    32);
	/* Paths: 404. */
	assert_int_equal(chk("GET /a HTTP/1.1\r\n\r\n", NULL), HTTPHDR_NOT_FOUND);
	assert_int_equal(chk("GET / HTTP/1.1\r\n\r\n", "/a"), HTTPHDR_NOT_FOUND);
	assert_int_equal(chk("CONNECT h:443 HTTP/1.1\r\n\r\n", NULL),
	    HTTPHDR_NOT_FOUND);
	/* Not HTTP: 400, as soon as the first line is there. */
	assert_int_equal(chk("\x16\x03\x01\x01\x40\r\n", NULL), HTTPHDR_BAD);
	assert_int_equal(chk("GET / HTTP/1.1 x\r\n", NULL), HTTPHDR_BAD);
	assert_int_equal(chk("GET /\r\n\r\n", NULL), HTTPHDR_BAD);
	assert_int_equal(chk("G(T / HTTP/1.1\r\n\r\n", NULL), HTTPHDR_BAD);
	assert_int_equal(chk("GET a HTTP/1.1\r\n\r\n", NULL), HTTPHDR_BAD);
	assert_int_equal(chk("GET /%zz HTTP/1.1\r\n\r\n", NULL), HTTPHDR_BAD);
	assert_int_equal(chk("GET / HTTP/1.1\r\nNoColon\r\n\r\n", NULL),
	    HTTPHDR_BAD);
	assert_int_equal(chk("GET / HTTP/1.1\r\n Cont: x\r\n\r\n", NULL),
	    HTTPHDR_BAD);
	assert_int_equal(chk("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
	    NULL), HTTPHDR_BAD);
	assert_int_equal(chk("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
	    "\r\n", NULL), HTTPHDR_BAD);
	/* Incomplete. */
	assert_int_equal(chk("", NULL), HTTPHDR_MORE);
	assert_int_equal(chk("GET / HT", NULL), HTTPHDR_MORE);
	assert_int_equal(chk("GET / HTTP/1.1\r\nHost: x\r\n", NULL),
	    HTTPHDR_MORE);
	/* Over 8 KiB without an end. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(chk(big, NULL), HTTPHDR_TOO_LONG);
}

/* ---- Config ---- */

#define IN_HEAD	"{\"inbounds\":[{\"port\":1,\"protocol\":\"vmess\"," \
		"\"settings\":{\"clients\":[{\"id\":" \
		"\"27848739-7e62-4138-9fd3-098a63964b6b\"}]}," \
		"\"streamSettings\":"

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

static void
test_conf_json(void **state)
{
	struct fx		*f = *state;
	const struct conf_tcp	*t;
	char			*d;

	assert_int_equal(load_json(f, IN_HEAD "{\"tcpSettings\":{"
	    "\"acceptProxyProtocol\":true,\"header\":{\"type\":\"HTTP\","
	    "\"request\":{\"method\":\"POST\",\"path\":\"/a,/b\",\"headers\":{"
	    "\"Z\":\"1\",\"Host\":[\"x\",\"y\"]}},\"response\":{\"status\":"
	    "\"201\",\"headers\":{\"Server\":\"n\"}}}}}}]}"), 0);
	t = &f->c.inbounds[0].stream.tcp;
	assert_true(t->accept_proxy_protocol);
	assert_true(t->http_header);
	assert_string_equal(t->req.method, "POST");
	assert_int_equal(t->req.path.n, 2);
	assert_string_equal(t->req.path.v[1], "/b");
	assert_int_equal(t->req.nfields, 2);
	assert_string_equal(t->req.fields[0].name, "Host");	/* sorted */
	assert_int_equal(t->req.fields[0].values.n, 2);
	assert_string_equal(t->resp.status, "201");
	d = dump_string(&f->c, true);
	assert_non_null(strstr(d, "\"acceptProxyProtocol\": true"));
	assert_non_null(strstr(d, "\"type\": \"http\""));
	assert_non_null(strstr(d, "\"method\": \"POST\""));
	free(d);
	d = dump_string(&f->c, false);
	assert_non_null(strstr(d, "tcp.acceptProxyProtocol = true\n"));
	assert_non_null(strstr(d, "tcp.header = http\n"));
	assert_non_null(strstr(d, "tcp.request.path = /a,/b\n"));
	assert_non_null(strstr(d, "tcp.request.header = Host: y\n"));
	assert_non_null(strstr(d, "tcp.response.status = 201\n"));
	free(d);
}

static void
test_conf_json_errors(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load_json(f, IN_HEAD "{\"tcpSettings\":{\"header\":"
	    "{\"type\":\"srtp\"}}}}]}"), -1);
	assert_true(conf_diag_has(&f->d, "tcpSettings.header.type"));
	conf_diag_cleanup(&f->d);
	conf_diag_init(&f->d);
	assert_int_equal(load_json(f, IN_HEAD "{\"tcpSettings\":{\"header\":"
	    "{}}}}]}"), -1);
	assert_true(conf_diag_has(&f->d, "type is missing"));
	conf_diag_cleanup(&f->d);
	conf_diag_init(&f->d);
	assert_int_equal(load_json(f, IN_HEAD "{\"tcpSettings\":{\"header\":"
	    "{\"type\":\"http\",\"request\":{\"headers\":{\"A\":null,"
	    "\"B\":\"x\\r\\ny\"}}}}}}]}"), -1);
	assert_true(conf_diag_has(&f->d, "empty HTTP header value"));
}

static void
test_conf_ini(void **state)
{
	struct fx		*f = *state;
	const struct conf_tcp	*t;
	const char		*ini =
	    "[inbound in]\nprotocol = vmess\nport = 1\n"
	    "client = 27848739-7e62-4138-9fd3-098a63964b6b\n"
	    "tcp.acceptProxyProtocol = yes\ntcp.header = http\n"
	    "tcp.request.path = /a\ntcp.request.path = /b\n"
	    "tcp.request.header = Host: x\ntcp.request.header = Host: y\n"
	    "tcp.request.header = Accept: */*\n"
	    "tcp.response.reason = Fine\n";

	assert_int_equal(conf_load_ini_buf("t.ini", ini, strlen(ini), &f->c,
	    &f->d), 0);
	t = &f->c.inbounds[0].stream.tcp;
	assert_true(t->accept_proxy_protocol);
	assert_true(t->http_header);
	assert_int_equal(t->req.path.n, 2);
	assert_int_equal(t->req.nfields, 2);
	assert_string_equal(t->req.fields[0].name, "Accept");
	assert_string_equal(t->req.fields[1].values.v[1], "y");
	assert_string_equal(t->resp.reason, "Fine");
}

#define T(name)	cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pp_v1),
		cmocka_unit_test(test_pp_v1_bad),
		cmocka_unit_test(test_pp_v2),
		cmocka_unit_test(test_pp_v2_bad),
		cmocka_unit_test(test_request_defaults),
		cmocka_unit_test(test_request_configured),
		cmocka_unit_test(test_check_request),
		T(test_conf_json),
		T(test_conf_json_errors),
		T(test_conf_ini),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
