/* SPDX-License-Identifier: MIT */
/*
 * test_http_head.c: the HTTP proxy inbound's request-head parser: split
 * input, limits, malformed lines, targets, Basic credentials, rewrite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "http/http_head.h"

/* Parse a copy of exactly n bytes, so ASan sees reads past the end. */
static ssize_t
parse_n(const char *s, size_t n, struct http_head *h)
{
	uint8_t	*b = malloc(n ? n : 1);
	ssize_t	 r;

	assert_non_null(b);
	memcpy(b, s, n);
	r = http_head_parse(b, n, h);
	free(b);
	return r;
}

static const char curl_get[] =
    "GET http://127.0.0.1:8000/x?y=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:8000\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Proxy-Connection: Keep-Alive\r\n"
    "\r\n";

static void
test_http_head_split(void **state)
{
	struct http_head	*h = malloc(sizeof(*h));
	size_t			 i, n = strlen(curl_get);

	for (i = 0; i < n; i++)
		assert_int_equal(parse_n(curl_get, i, h), HTTP_HEAD_MORE);
	assert_int_equal(parse_n(curl_get, n, h), (ssize_t)n);
	/* Pointers are into the (freed) copy: parse the original again. */
	assert_int_equal(http_head_parse((const uint8_t *)curl_get, n, h),
	    (ssize_t)n);
	assert_true(http_head_is(h, "GET"));
	assert_int_equal(h->minor, 1);
	assert_int_equal(h->nfields, 4);
	assert_non_null(http_head_get(h, "proxy-connection"));
	assert_null(http_head_get(h, "Cookie"));
	free(h);
}

static void
test_http_head_lf_and_body(void **state)
{
	struct http_head	*h = malloc(sizeof(*h));
	const char		*s = "POST / HTTP/1.0\nHost: a\n\nBODY";

	assert_int_equal(http_head_parse((const uint8_t *)s, strlen(s), h),
	    (ssize_t)strlen(s) - 4);
	assert_int_equal(h->minor, 0);
	assert_int_equal(h->f[0].vlen, 1);
	free(h);
}

/* The http outbound reads the CONNECT answer with it. */
static void
test_http_head_response(void **state)
{
	struct http_head	*h = malloc(sizeof(*h));
	static const char	*bad[] = { "HTTP/2 200 OK\r\n\r\n",
	    "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
	    "HTTP/1.1  200\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
	    "HTTP/1.1 200 O\x01K\r\n\r\n", NULL };
	const char		*s = "HTTP/1.1 407 Proxy Authentication "
				    "Required\r\nProxy-Authenticate: Basic "
				    "realm=\"proxy\"\r\n\r\ntunnel";
	size_t			 i;

	assert_int_equal(http_response_parse((const uint8_t *)s, strlen(s),
	    h), (ssize_t)strlen(s) - 6);
	assert_int_equal(h->status, 407);
	assert_non_null(http_head_get(h, "proxy-authenticate"));
	s = "HTTP/1.0 200\n\n";
	assert_int_equal(http_response_parse((const uint8_t *)s, strlen(s),
	    h), (ssize_t)strlen(s));
	assert_int_equal(h->status, 200);
	assert_int_equal(h->minor, 0);
	assert_int_equal(http_response_parse((const uint8_t *)s, 5, h),
	    HTTP_HEAD_MORE);
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(http_response_parse((const uint8_t *)bad[i],
		    strlen(bad[i]), h), HTTP_HEAD_BAD);
	/* Rewritten for the client: hop-by-hop out, keep-alive or close in. */
	s = "HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n"
	    "Content-Length: 2\r\nKeep-Alive: 9\r\n\r\nhi";
	{
		char		 out[512];
		uint64_t	 len = 0;
		ssize_t		 w;

		assert_true(http_response_parse((const uint8_t *)s, strlen(s),
		    h) > 0);
		assert_int_equal(http_content_length(h, &len), 1);
		assert_int_equal(len, 2);
		w = http_response_rewrite(h, true, out, sizeof(out));
		assert_true(w > 0);
		out[w] = '\0';
		assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Length: "
		    "2\r\nProxy-Connection: keep-alive\r\nConnection: "
		    "keep-alive\r\nKeep-Alive: timeout=4\r\n\r\n");
		w = http_response_rewrite(h, false, out, sizeof(out));
		out[w] = '\0';
		assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Length: "
		    "2\r\nConnection: close\r\n\r\n");
		assert_int_equal(http_response_rewrite(h, false, out, 20), -1);
	}
	/* Content-Length: absent, malformed, repeated (equal or not). */
	{
		static const char	*cls[] = {
		    "HTTP/1.1 200\r\n\r\n",
		    "HTTP/1.1 200\r\nContent-Length: 1x\r\n\r\n",
		    "HTTP/1.1 200\r\nContent-Length:\r\n\r\n",
		    "HTTP/1.1 200\r\nContent-Length: 3\r\ncontent-length: 3"
		    "\r\n\r\n",
		    "HTTP/1.1 200\r\nContent-Length: 3\r\ncontent-length: 4"
		    "\r\n\r\n",
		    "HTTP/1.1 200\r\nContent-Length: 1234567890123456789"
		    "\r\n\r\n" };
		static const int	 want[] = { 0, -1, -1, 1, -1, -1 };
		uint64_t		 len;

		for (i = 0; i < 6; i++) {
			assert_true(http_response_parse((const uint8_t *)cls[i],
			    strlen(cls[i]), h) > 0);
			assert_int_equal(http_content_length(h, &len), want[i]);
		}
	}
	/* A request line is no status line, and the other way round. */
	s = "HTTP/1.1 200 OK\r\n\r\n";
	assert_int_equal(http_head_parse((const uint8_t *)s, strlen(s), h),
	    HTTP_HEAD_BAD);
	free(h);
}

static void
test_http_head_malformed(void **state)
{
	struct http_head	*h = malloc(sizeof(*h));
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET /\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		" GET / HTTP/1.1\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
		"GET / HTTP/1.1\r\n folded: x\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\001b\r\n\r\n",
		"\r\n\r\n",
		NULL
	};
	size_t	 i;

	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(parse_n(bad[i], strlen(bad[i]), h),
		    HTTP_HEAD_BAD);
	/* A bad request line is known before the head ends. */
	assert_int_equal(parse_n("HELLO\r\n", 7, h), HTTP_HEAD_BAD);
	free(h);
}

static void
test_http_head_limits(void **state)
{
	struct http_head	*h = malloc(sizeof(*h));
	char			*b = malloc(HTTP_HEAD_MAX + 100);
	size_t			 n, i;

	/* Exactly the limit is fine; one byte more is too big. */
	n = (size_t)snprintf(b, 64, "GET / HTTP/1.1\r\nX: ");
	memset(b + n, 'a', HTTP_HEAD_MAX - n - 4);
	memcpy(b + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX, h), HTTP_HEAD_MAX);
	memset(b + n, 'a', HTTP_HEAD_MAX - n - 3);
	memcpy(b + HTTP_HEAD_MAX - 3, "\r\n\r\n", 4);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX + 1, h), HTTP_HEAD_TOO_BIG);
	assert_int_equal(parse_n(b, HTTP_HEAD_MAX, h), HTTP_HEAD_TOO_BIG);
	/* Too many fields. */
	n = (size_t)snprintf(b, 64, "GET / HTTP/1.1\r\n");
	for (i = 0; i <= HTTP_HEAD_MAX_FIELDS; i++)
		n += (size_t)snprintf(b + n, 16, "X:%zu\r\n", i % 10);
	memcpy(b + n, "\r\n", 2);
	assert_int_equal(parse_n(b, n + 2, h), HTTP_HEAD_TOO_BIG);
	free(b);
	free(h);
}

static struct http_target *
target_of(const char *req, bool transparent, int want)
{
	static struct http_head		h;
	static struct http_target	t;

	assert_true(http_head_parse((const uint8_t *)req, strlen(req), &h) > 0);
	assert_int_equal(http_target_parse(&h, transparent, &t), want);
	return &t;
}

static void
test_http_head_target(void **state)
{
	struct http_target	*t;

	t = target_of("CONNECT example.com:443 HTTP/1.1\r\n\r\n", false, 0);
	assert_string_equal(t->host, "example.com");
	assert_int_equal(t->port, 443);
	t = target_of("CONNECT [::1]:8443 HTTP/1.1\r\n\r\n", false, 0);
	assert_string_equal(t->host, "::1");
	assert_int_equal(t->port, 8443);
	target_of("CONNECT example.com HTTP/1.1\r\n\r\n", false, -1);
	target_of("CONNECT example.com:0 HTTP/1.1\r\n\r\n", false, -1);
	target_of("CONNECT example.com:65536 HTTP/1.1\r\n\r\n", false, -1);
	target_of("CONNECT :80 HTTP/1.1\r\n\r\n", false, -1);
	t = target_of("GET http://a.b/p?q HTTP/1.1\r\n\r\n", false, 0);
	assert_string_equal(t->host, "a.b");
	assert_int_equal(t->port, 80);
	assert_int_equal(t->plen, 4);
	t = target_of("GET HTTPS://u:p@a.b:8443 HTTP/1.1\r\n\r\n", false, 0);
	assert_string_equal(t->host, "a.b");
	assert_string_equal(t->authority, "a.b:8443");
	assert_int_equal(t->port, 8443);
	assert_int_equal(t->plen, 0);
	target_of("GET / HTTP/1.1\r\nHost: a.b\r\n\r\n", false, -1);
	t = target_of("GET / HTTP/1.1\r\nHost: a.b:81\r\n\r\n", true, 0);
	assert_string_equal(t->host, "a.b");
	assert_int_equal(t->port, 81);
	assert_false(t->absolute);
	target_of("GET / HTTP/1.1\r\n\r\n", true, -1);
	target_of("GET ftp://a.b/ HTTP/1.1\r\n\r\n", false, -1);
	target_of("GET http:///x HTTP/1.1\r\n\r\n", false, -1);
}

static void
test_http_head_basic(void **state)
{
	char	 u[64], p[64];
	/* user:pa:ss */
	const char *v = "Basic dXNlcjpwYTpzcw==";

	assert_int_equal(http_basic_parse(v, strlen(v), u, sizeof(u), p,
	    sizeof(p)), 0);
	assert_string_equal(u, "user");
	assert_string_equal(p, "pa:ss");
	v = "basic dXNlcjpwYTpzcw==";
	assert_int_equal(http_basic_parse(v, strlen(v), u, sizeof(u), p,
	    sizeof(p)), -1);
	v = "Basic dXNlcg==";	/* no colon */
	assert_int_equal(http_basic_parse(v, strlen(v), u, sizeof(u), p,
	    sizeof(p)), -1);
	v = "Basic dXNlcjpwYTpzcw=";
	assert_int_equal(http_basic_parse(v, strlen(v), u, sizeof(u), p,
	    sizeof(p)), -1);
	v = "Basic dX=lcjpwYTpzcw==";
	assert_int_equal(http_basic_parse(v, strlen(v), u, sizeof(u), p,
	    sizeof(p)), -1);
	v = "Basic Og==";	/* ":" */
	assert_int_equal(http_basic_parse(v, strlen(v), u, sizeof(u), p,
	    sizeof(p)), 0);
	assert_string_equal(u, "");
	assert_string_equal(p, "");
	v = "Basic dXNlcjpwYTpzcw==";
	assert_int_equal(http_basic_parse(v, strlen(v), u, 4, p, sizeof(p)),
	    -1);
}

static void
test_http_head_rewrite(void **state)
{
	static const char req[] =
	    "GET http://a.b:8000/x HTTP/1.1\r\n"
	    "Host: evil\r\n"
	    "User-Agent: curl\r\n"
	    "Proxy-Connection: Keep-Alive\r\n"
	    "Proxy-Authorization: Basic Og==\r\n"
	    "Connection: X-Drop, keep-alive\r\n"
	    "X-Drop: 1\r\n"
	    "Keep-Alive: 5\r\n"
	    "TE: trailers\r\n"
	    "Trailer: X\r\n"
	    "Upgrade: h2c\r\n"
	    "X-Keep: 2\r\n"
	    "\r\n";
	static const char want[] =
	    "GET /x HTTP/1.1\r\n"
	    "Host: a.b:8000\r\n"
	    "User-Agent: curl\r\n"
	    "X-Keep: 2\r\n"
	    "Connection: close\r\n"
	    "\r\n";
	struct http_head	*h = malloc(sizeof(*h));
	struct http_target	 t;
	char			 out[512];
	ssize_t			 n;

	assert_int_equal(http_head_parse((const uint8_t *)req, strlen(req), h),
	    (ssize_t)strlen(req));
	assert_int_equal(http_target_parse(h, false, &t), 0);
	n = http_head_rewrite(h, &t, out, sizeof(out));
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(out, want, strlen(want));
	assert_int_equal(http_head_rewrite(h, &t, out, 20), -1);
	/* No path: "/". */
	assert_true(http_head_parse((const uint8_t *)"GET http://a HTTP/1.0"
	    "\r\n\r\n", 25, h) > 0);
	assert_int_equal(http_target_parse(h, false, &t), 0);
	n = http_head_rewrite(h, &t, out, sizeof(out));
	assert_true(n > 0);
	assert_memory_equal(out, "GET / HTTP/1.0\r\nHost: a\r\n", 25);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_head_split),
		cmocka_unit_test(test_http_head_lf_and_body),
		cmocka_unit_test(test_http_head_response),
		cmocka_unit_test(test_http_head_malformed),
		cmocka_unit_test(test_http_head_limits),
		cmocka_unit_test(test_http_head_target),
		cmocka_unit_test(test_http_head_basic),
		cmocka_unit_test(test_http_head_rewrite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
