/* SPDX-License-Identifier: MIT */
/*
 * fuzz_socks.c: every SOCKS decoder over arbitrary bytes. What decodes is
 * re-encoded and must decode back to the same thing; the decoders must
 * keep their return contract and never read past len.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socks/socks5.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_socks_check(ssize_t r, size_t n, const char *e)
{
	/* -1 carries a reason, > 0 stays within the input. */
	if (r < -1 || (r == -1 && e == NULL) || (r > 0 && (size_t)r > n))
		abort();
}

static void
fuzz_socks_same_addr(const struct socks_addr *a, const struct socks_addr *b)
{
	if (a->atyp != b->atyp || a->port != b->port)
		abort();
	switch (a->atyp) {
	case SOCKS_ATYP_IPV4:
		if (memcmp(a->ip, b->ip, 4) != 0)
			abort();
		break;
	case SOCKS_ATYP_IPV6:
		if (memcmp(a->ip, b->ip, 16) != 0)
			abort();
		break;
	case SOCKS_ATYP_DOMAIN:
		if (a->domain[0] == '\0' || strcmp(a->domain, b->domain) != 0)
			abort();
		break;
	default:
		abort();
	}
}

typedef ssize_t (*fuzz_socks_decode_fn)(const uint8_t *, size_t, void *,
    const char **);

/* A prefix of a message that decoded: a stream decoder must ask for more. */
static void
fuzz_socks_prefix(const uint8_t *p, size_t i, fuzz_socks_decode_fn fn,
    void *out)
{
	const char	*e = NULL;
	uint8_t		*b;

	/* An exact-size copy, so ASan sees any read past i. */
	if ((b = malloc(i ? i : 1)) == NULL)
		return;
	memcpy(b, p, i);
	if (fn(b, i, out, &e) != 0)
		abort();
	free(b);
}

/* Every strict prefix; long messages are sampled to keep runs fast. */
static void
fuzz_socks_prefixes(const uint8_t *p, size_t r, fuzz_socks_decode_fn fn,
    void *out)
{
	size_t	 i, step;

	step = r > 300 ? r / 64 : 1;
	for (i = 0; i < r; i += step)
		fuzz_socks_prefix(p, i, fn, out);
	fuzz_socks_prefix(p, r - 1, fn, out);
}

static ssize_t
fuzz_socks_req(const uint8_t *p, size_t n, void *o, const char **e)
{
	return socks5_request_decode(p, n, o, e);
}

static ssize_t
fuzz_socks_s4(const uint8_t *p, size_t n, void *o, const char **e)
{
	return socks4_request_decode(p, n, o, e);
}

static ssize_t
fuzz_socks_greet(const uint8_t *p, size_t n, void *o, const char **e)
{
	return socks5_greeting_decode(p, n, o, e);
}

static ssize_t
fuzz_socks_up(const uint8_t *p, size_t n, void *o, const char **e)
{
	return socks5_userpass_decode(p, n, o, e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct socks_greeting	 g;
	struct socks_userpass	 up;
	struct socks_request	 rq, rq2;
	struct socks4_request	 r4;
	struct socks_udp_header	 uh, uh2;
	struct socks_addr	 a, a2;
	const char		*e;
	uint8_t			 buf[600];
	ssize_t			 r, m;

	e = NULL;
	r = socks5_greeting_decode(p, n, &g, &e);
	fuzz_socks_check(r, n, e);
	if (r > 0) {
		if ((size_t)r != 2 + (size_t)g.nmethods)
			abort();
		fuzz_socks_prefixes(p, (size_t)r, fuzz_socks_greet, &g);
	}

	e = NULL;
	r = socks5_userpass_decode(p, n, &up, &e);
	fuzz_socks_check(r, n, e);
	if (r > 0) {
		if ((size_t)r != 3 + strlen(up.user) + strlen(up.pass))
			abort();
		fuzz_socks_prefixes(p, (size_t)r, fuzz_socks_up, &up);
	}

	e = NULL;
	r = socks4_request_decode(p, n, &r4, &e);
	fuzz_socks_check(r, n, e);
	if (r > 0) {
		if (r4.addr.atyp != SOCKS_ATYP_IPV4 &&
		    r4.addr.atyp != SOCKS_ATYP_DOMAIN)
			abort();
		m = socks4_reply_encode(r4.cmd == SOCKS_CMD_CONNECT, buf,
		    sizeof(buf));
		if (m != 8)
			abort();
		/* The 4a domain is a valid socks_addr: it must encode. */
		if (socks_addr_encode(&r4.addr, buf, sizeof(buf)) <= 0)
			abort();
		fuzz_socks_prefixes(p, (size_t)r, fuzz_socks_s4, &r4);
	}

	e = NULL;
	r = socks5_request_decode(p, n, &rq, &e);
	fuzz_socks_check(r, n, e);
	if (r > 0) {
		m = socks5_request_encode(rq.cmd, &rq.addr, buf, sizeof(buf));
		e = NULL;
		if (m != r || socks5_request_decode(buf, (size_t)m, &rq2,
		    &e) != m || rq2.cmd != rq.cmd)
			abort();
		fuzz_socks_same_addr(&rq.addr, &rq2.addr);
		/* Identical apart from VER and RSV, which are not checked. */
		if (memcmp(buf + 3, p + 3, (size_t)m - 3) != 0)
			abort();
		m = socks5_reply_encode(SOCKS_REP_OK, &rq.addr, buf,
		    sizeof(buf));
		if (m != r || buf[0] != 5 || buf[1] != SOCKS_REP_OK)
			abort();
		fuzz_socks_prefixes(p, (size_t)r, fuzz_socks_req, &rq);
	}

	e = NULL;
	r = socks5_udp_decode(p, n, &uh, &e);
	/* A datagram never asks for more. */
	if (r == 0)
		abort();
	fuzz_socks_check(r, n, e);
	if (r > 0) {
		m = socks5_udp_encode(&uh.addr, buf, sizeof(buf));
		e = NULL;
		if (m != r || socks5_udp_decode(buf, (size_t)m, &uh2,
		    &e) != m || uh2.frag != 0)
			abort();
		fuzz_socks_same_addr(&uh.addr, &uh2.addr);
		if (memcmp(buf + 3, p + 3, (size_t)m - 3) != 0)
			abort();
	}

	e = NULL;
	r = socks_addr_decode(p, n, &a, &e);
	fuzz_socks_check(r, n, e);
	if (r > 0) {
		m = socks_addr_encode(&a, buf, sizeof(buf));
		if (m != r || memcmp(buf, p, (size_t)m) != 0)
			abort();
		/* One byte short of room must fail, not overflow. */
		if (socks_addr_encode(&a, buf, (size_t)m - 1) != -1)
			abort();
		e = NULL;
		if (socks_addr_decode(buf, (size_t)m, &a2, &e) != m)
			abort();
		fuzz_socks_same_addr(&a, &a2);
	}
	return 0;
}
