/* SPDX-License-Identifier: MIT */
/* fuzz_socks.c: every SOCKS decoder over arbitrary bytes; what decodes
 * must re-encode and decode to the same address. */
#include <stdint.h>
#include <string.h>

#include "socks/socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct socks_greeting	 g;
	struct socks_userpass	 up;
	struct socks_request	 rq, again;
	struct socks4_request	 r4;
	struct socks_udp_header	 uh;
	const char		*e;
	uint8_t			 buf[600];
	ssize_t			 r, m;

	(void)socks5_greeting_decode(p, n, &g, &e);
	(void)socks5_userpass_decode(p, n, &up, &e);
	(void)socks4_request_decode(p, n, &r4, &e);
	(void)socks5_udp_decode(p, n, &uh, &e);
	r = socks5_request_decode(p, n, &rq, &e);
	if (r > 0) {
		m = socks5_request_encode(rq.cmd, &rq.addr, buf, sizeof(buf));
		if (m < 0 || socks5_request_decode(buf, (size_t)m, &again,
		    &e) != m || again.addr.port != rq.addr.port ||
		    again.addr.atyp != rq.addr.atyp)
			__builtin_trap();
	}
	return 0;
}
