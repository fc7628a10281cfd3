/* SPDX-License-Identifier: MIT */
/*
 * socks5.h: SOCKS5 (RFC 1928/1929) and SOCKS4/4a wire codec, as V2Ray 4.34's
 * socks inbound speaks it (docs: mux-reverse-socks-routing-config.md §3).
 * Pure functions over byte spans; no I/O, no logging.
 *
 * Every decoder returns the number of bytes consumed (> 0), 0 when more
 * input is needed, or -1 for malformed input with *errstr set to a static
 * reason.
 */
#ifndef LIBSHARED_SOCKS5_H
#define LIBSHARED_SOCKS5_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOCKS_ATYP_IPV4		0x01
#define SOCKS_ATYP_DOMAIN	0x03
#define SOCKS_ATYP_IPV6		0x04

#define SOCKS_CMD_CONNECT	0x01
#define SOCKS_CMD_BIND		0x02
#define SOCKS_CMD_UDP		0x03
#define SOCKS_CMD_TOR_RESOLVE	0xF0
#define SOCKS_CMD_TOR_RESOLVE_PTR 0xF1

#define SOCKS_METHOD_NOAUTH	0x00
#define SOCKS_METHOD_PASSWORD	0x02
#define SOCKS_METHOD_NONE	0xFF

#define SOCKS_REP_OK		0x00
#define SOCKS_REP_FAIL		0x01
#define SOCKS_REP_CMD_UNSUPP	0x07

/* An address as it appears on the wire: IPv4, IPv6 or a domain name. */
struct socks_addr {
	uint8_t		atyp;		/* SOCKS_ATYP_* */
	uint8_t		ip[16];		/* 4 or 16 bytes used */
	char		domain[256];	/* NUL-terminated when atyp DOMAIN */
	uint16_t	port;		/* host order */
};

/* Method selection: VER(5) NMETHODS METHODS... */
struct socks_greeting {
	uint8_t	nmethods;
	uint8_t	methods[255];
};

/* RFC 1929: VER ULEN UNAME PLEN PASSWD (VER is not checked, as 4.34). */
struct socks_userpass {
	char	user[256];
	char	pass[256];
};

/* VER CMD RSV ATYP ADDR PORT (VER and RSV not checked, as 4.34). */
struct socks_request {
	uint8_t			cmd;
	struct socks_addr	addr;
};

/*
 * SOCKS4/4a: VER(4) CMD PORT(2) IP(4) USERID\0 [DOMAIN\0 when IP[0]==0].
 * Strings are limited to 2048 bytes counting the NUL, as 4.34's buffer;
 * a 4a domain to 255 (longer is malformed).
 */
struct socks4_request {
	uint8_t			cmd;
	struct socks_addr	addr;	/* IPV4 or DOMAIN (4a) */
	char			userid[256];	/* truncated copy */
};

/* UDP datagram header: RSV(2) FRAG(1) ATYP ADDR PORT, then the payload. */
struct socks_udp_header {
	uint8_t			frag;
	struct socks_addr	addr;
};

/*
 * Each decoder gets p at the first byte of its message: the greeting at
 * VER (p[0] must be 5), userpass at its sub-version byte, the request at
 * VER, SOCKS4 at VER (4), a datagram at its first RSV byte.
 */
ssize_t	socks5_greeting_decode(const uint8_t *p, size_t len,
	    struct socks_greeting *out, const char **errstr);
ssize_t	socks5_userpass_decode(const uint8_t *p, size_t len,
	    struct socks_userpass *out, const char **errstr);
ssize_t	socks5_request_decode(const uint8_t *p, size_t len,
	    struct socks_request *out, const char **errstr);
ssize_t	socks4_request_decode(const uint8_t *p, size_t len,
	    struct socks4_request *out, const char **errstr);
/*
 * Decodes the header of one datagram; the payload starts at the return.
 * A datagram is whole, so a truncated one is malformed (-1), never 0.
 */
ssize_t	socks5_udp_decode(const uint8_t *p, size_t len,
	    struct socks_udp_header *out, const char **errstr);

/* Address only (ATYP ADDR PORT), shared by request and UDP decoders. */
ssize_t	socks_addr_decode(const uint8_t *p, size_t len,
	    struct socks_addr *out, const char **errstr);

/*
 * Encoders write into out (capacity cap) and return the length written,
 * or -1 when cap is too small or the address cannot be encoded.
 */
ssize_t	socks_addr_encode(const struct socks_addr *a, uint8_t *out,
	    size_t cap);
/* 05 REP 00 ATYP BND.ADDR BND.PORT */
ssize_t	socks5_reply_encode(uint8_t rep, const struct socks_addr *bnd,
	    uint8_t *out, size_t cap);
/* 00 00 00 ATYP ADDR PORT (a datagram header for replies). */
ssize_t	socks5_udp_encode(const struct socks_addr *a, uint8_t *out,
	    size_t cap);
/* 00 5A|5B 0000 00000000 — 8 bytes. */
ssize_t	socks4_reply_encode(int granted, uint8_t *out, size_t cap);

/* Between the wire's address and the sessions' (net/addr.h). */
struct net_addr;
void	socks_addr_to_net(const struct socks_addr *sa, struct net_addr *na);
void	socks_addr_from_net(const struct net_addr *na, struct socks_addr *sa);

/* Client side (the socks outbound, tests). */
ssize_t	socks5_request_encode(uint8_t cmd, const struct socks_addr *a,
	    uint8_t *out, size_t cap);
/*
 * The client's opening: 05 01 00 without a user; with one, 05 01 02 and
 * the RFC 1929 sub-negotiation 01 ULEN USER PLEN PASS right behind it.
 */
ssize_t	socks5_hello_encode(const char *user, const char *pass,
	    uint8_t *out, size_t cap);
/* 05 REP RSV ATYP BND.ADDR BND.PORT; REP lands in out->cmd. */
ssize_t	socks5_reply_decode(const uint8_t *p, size_t len,
	    struct socks_request *out, const char **errstr);

#endif
