/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http_head.c: the HTTP proxy inbound's request-head parser over
 * arbitrary bytes. Results keep their contract, fields stay inside the
 * input, a parsed head re-parses to the same length, and the target,
 * Basic credentials and origin-form rewrite never overrun. The same bytes
 * as a response head (the keep-alive path and the http outbound): its
 * Content-Length and its rewrite, which must parse again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_head.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_http_inside(const uint8_t *p, size_t n, const char *s, size_t l)
{
	if ((const uint8_t *)s < p || (const uint8_t *)s + l > p + n)
		abort();
}

static void
fuzz_response(const uint8_t *p, size_t size)
{
	static struct http_head	 h, h2;
	static char		 out[HTTP_HEAD_MAX + 512];
	uint64_t		 len;
	ssize_t			 r, w;
	size_t			 i;

	r = http_response_parse(p, size, &h);
	if (r < HTTP_HEAD_TOO_BIG || r > (ssize_t)size || r > HTTP_HEAD_MAX)
		abort();
	if (r <= 0)
		return;
	if (h.status < 0 || h.status > 999)
		abort();
	fuzz_http_inside(p, (size_t)r, h.target, h.tlen);
	for (i = 0; i < h.nfields; i++)
		fuzz_http_inside(p, (size_t)r, h.f[i].value, h.f[i].vlen);
	if (http_content_length(&h, &len) < -1)
		abort();
	w = http_response_rewrite(&h, size & 1, out, sizeof(out));
	if (w < 0 || (size_t)w > sizeof(out))
		abort();
	r = http_response_parse((const uint8_t *)out, (size_t)w, &h2);
	if (r != w && r != HTTP_HEAD_TOO_BIG)
		abort();
	if (r == w && h2.status != h.status)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_head		 h, h2;
	struct http_target		 t;
	const struct http_field		*f;
	static char			 out[HTTP_HEAD_MAX * 2 + 512];
	char				 u[256], pw[256];
	uint8_t				*p;
	ssize_t				 r, w;
	size_t				 i;

	/* An exact-size copy, so reads past size are caught. */
	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	r = http_head_parse(p, size, &h);
	if (r < HTTP_HEAD_TOO_BIG || r > (ssize_t)size || r > HTTP_HEAD_MAX)
		abort();
	if (r > 0) {
		fuzz_http_inside(p, (size_t)r, h.method, h.mlen);
		fuzz_http_inside(p, (size_t)r, h.target, h.tlen);
		for (i = 0; i < h.nfields; i++) {
			fuzz_http_inside(p, (size_t)r, h.f[i].name, h.f[i].nlen);
			fuzz_http_inside(p, (size_t)r, h.f[i].value,
			    h.f[i].vlen);
		}
		if (http_head_parse(p, (size_t)r, &h2) != r ||
		    h2.nfields != h.nfields)
			abort();
		if ((f = http_head_get(&h, "Proxy-Authorization")) != NULL)
			(void)http_basic_parse(f->value, f->vlen, u, sizeof(u),
			    pw, sizeof(pw));
		if (http_target_parse(&h, size & 1, &t) == 0) {
			if (t.host[0] == '\0' || t.port == 0)
				abort();
			if (!http_head_is(&h, "CONNECT")) {
				w = http_head_rewrite(&h, &t, out,
				    sizeof(out));
				if (w < 0 || (size_t)w > sizeof(out))
					abort();
				/*
				 * The rewrite is itself a valid head (two
				 * fields more may make it too big).
				 */
				r = http_head_parse((const uint8_t *)out,
				    (size_t)w, &h2);
				if (r != w && r != HTTP_HEAD_TOO_BIG)
					abort();
			}
		}
	}
	fuzz_response(p, size);
	free(p);
	return 0;
}
