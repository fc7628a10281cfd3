/* SPDX-License-Identifier: MIT */
/*
 * fuzz_httphdr.c: the tcp http header's check of a request (what a server
 * with header type "http" reads first) over arbitrary bytes, with the
 * default path and with a configured one. Results keep their contract: a
 * length within the input and the 8 KiB limit, ending in CRLF CRLF; the
 * header alone gives the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "transport/httphdr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
one(const uint8_t *p, size_t size, const struct conf_http_req *r)
{
	ssize_t	 n;

	n = httphdr_check_request(p, size, r);
	if (n < HTTPHDR_TOO_LONG || n > (ssize_t)size || n > HTTPHDR_MAX)
		abort();
	if (n > 0 && (n < 4 || memcmp(p + n - 4, "\r\n\r\n", 4) != 0))
		abort();
	if (n > 0 && httphdr_check_request(p, (size_t)n, r) != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_http_req	 r;
	static char			*paths[] = { "/", "/a b", "*" };
	uint8_t				*p;

	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	r.path.v = paths;
	r.path.n = 3;
	one(p, size, NULL);
	one(p, size, &r);
	free(p);
	return 0;
}
