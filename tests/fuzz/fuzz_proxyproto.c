/* SPDX-License-Identifier: MIT */
/*
 * fuzz_proxyproto.c: the PROXY protocol header parser (acceptProxyProtocol)
 * over arbitrary bytes. Results keep their contract (a length within the
 * input and the version's limit, "more" only for a header's prefix, a
 * reason with every refusal), a parsed header parses the same from any
 * longer input, and an address it gives is a complete sockaddr.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "transport/proxyproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxyproto_hdr	 h, h2;
	const char		*why = NULL, *why2;
	uint8_t			*p;
	ssize_t			 r, r2;

	/* An exact-size copy, so reads past size are caught. */
	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	r = proxyproto_parse(p, size, &h, &why);
	if (r < PROXYPROTO_BAD || r > (ssize_t)size || r > PROXYPROTO_V2_MAX)
		abort();
	if (r == PROXYPROTO_BAD && why == NULL)
		abort();
	if (r > 0) {
		if (h.version == 1 && r > PROXYPROTO_V1_MAX)
			abort();
		if (h.has_src && !((h.src.ss_family == AF_INET &&
		    h.srclen == sizeof(struct sockaddr_in)) ||
		    (h.src.ss_family == AF_INET6 &&
		    h.srclen == sizeof(struct sockaddr_in6))))
			abort();
		/* The header alone parses the same. */
		r2 = proxyproto_parse(p, (size_t)r, &h2, &why2);
		if (r2 != r || h2.has_src != h.has_src ||
		    (h.has_src && memcmp(&h.src, &h2.src, h.srclen) != 0))
			abort();
	}
	if (r == PROXYPROTO_MORE && size > 0) {
		/* A prefix of a prefix is one too. */
		if (proxyproto_parse(p, size - 1, &h2, &why2) !=
		    PROXYPROTO_MORE)
			abort();
	}
	free(p);
	return 0;
}
