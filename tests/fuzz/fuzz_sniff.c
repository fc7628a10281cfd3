/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sniff.c: libFuzzer target for the sniffers; traps when an answer
 * breaks the sniff_out contract or sniff_run disagrees with the sniffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sniff/sniff.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_sniff_check(enum sniff_result r, const struct sniff_out *o,
    const char *proto)
{
	if (r != SNIFF_FOUND && r != SNIFF_MORE && r != SNIFF_NOT)
		__builtin_trap();
	if (r != SNIFF_FOUND)
		return;
	if (memchr(o->domain, '\0', sizeof(o->domain)) == NULL ||
	    memchr(o->protocol, '\0', sizeof(o->protocol)) == NULL)
		__builtin_trap();
	if (proto != NULL && strcmp(o->protocol, proto) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sniff_out	 o, ro, w[3];
	enum sniff_result	 r[3], rr;
	unsigned		 alive, bits;
	size_t			 win;
	int			 i, undecided = 0;

	r[0] = sniff_http(data, size, &o);
	fuzz_sniff_check(r[0], &o, "http1");
	r[1] = sniff_tls(data, size, &o);
	fuzz_sniff_check(r[1], &o, "tls");
	r[2] = sniff_bittorrent(data, size, &o);
	fuzz_sniff_check(r[2], &o, "bittorrent");
	if (r[2] == SNIFF_FOUND && o.domain[0] != '\0')
		__builtin_trap();

	/* sniff_run must equal the sniffers over the window, in order. */
	win = size < SNIFF_WINDOW ? size : SNIFF_WINDOW;
	r[0] = sniff_http(data, win, &w[0]);
	r[1] = sniff_tls(data, win, &w[1]);
	r[2] = sniff_bittorrent(data, win, &w[2]);
	alive = SNIFF_ALL;
	rr = sniff_run(data, size, &alive, &ro);
	fuzz_sniff_check(rr, &ro, NULL);
	for (i = 0; i < 3; i++) {
		if (r[i] == SNIFF_FOUND) {
			if (rr != SNIFF_FOUND ||
			    strcmp(ro.protocol, w[i].protocol) != 0 ||
			    strcmp(ro.domain, w[i].domain) != 0)
				__builtin_trap();
			break;
		}
		if (r[i] == SNIFF_MORE)
			undecided = 1;
	}
	if (i == 3 && rr != (undecided && win < SNIFF_WINDOW ? SNIFF_MORE :
	    SNIFF_NOT))
		__builtin_trap();

	/* Any starting set, including bits that mean nothing. */
	if (size > 0) {
		bits = data[0];
		rr = sniff_run(data + 1, size - 1, &bits, &ro);
		fuzz_sniff_check(rr, &ro, NULL);
		if ((bits & ~(unsigned)SNIFF_ALL) != 0 ||
		    (rr == SNIFF_NOT && bits != 0) ||
		    (rr == SNIFF_MORE && bits == 0))
			__builtin_trap();
	}
	return 0;
}
