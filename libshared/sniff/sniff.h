/* SPDX-License-Identifier: MIT */
/*
 * sniff.h: protocol sniffers for the dispatcher's destOverride, with
 * V2Ray 4.34's semantics (mux-reverse-socks-routing-config.md §4): HTTP
 * Host, TLS ClientHello SNI, BitTorrent handshake. Pure functions.
 */
#ifndef LIBSHARED_SNIFF_H
#define LIBSHARED_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#define SNIFF_WINDOW	2048	/* bytes looked at, as 4.34 */

enum sniff_result {
	SNIFF_FOUND = 0,	/* protocol (and maybe domain) set */
	SNIFF_MORE,		/* no clue yet: try again with more bytes */
	SNIFF_NOT		/* definitely not this protocol */
};

struct sniff_out {
	char	protocol[16];	/* "http1", "tls", "bittorrent" */
	char	domain[256];	/* "" when the protocol carries none */
};

enum sniff_result sniff_http(const uint8_t *p, size_t len,
	    struct sniff_out *out);
enum sniff_result sniff_tls(const uint8_t *p, size_t len,
	    struct sniff_out *out);
enum sniff_result sniff_bittorrent(const uint8_t *p, size_t len,
	    struct sniff_out *out);

/*
 * Run the sniffers still undecided, in 4.34's order (HTTP, TLS,
 * BitTorrent). *alive is a bit set (1 = http, 2 = tls, 4 = bt) of the
 * sniffers still in the race; start with SNIFF_ALL. Returns SNIFF_FOUND,
 * SNIFF_MORE while some sniffer may still decide, or SNIFF_NOT when all
 * have given up. At most SNIFF_WINDOW bytes of p are looked at; a full
 * window without a decision is SNIFF_NOT.
 */
#define SNIFF_ALL	0x7
enum sniff_result sniff_run(const uint8_t *p, size_t len, unsigned *alive,
	    struct sniff_out *out);

#endif
