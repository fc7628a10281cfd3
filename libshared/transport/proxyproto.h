/* SPDX-License-Identifier: MIT */
/*
 * proxyproto.h: the PROXY protocol header (HAProxy, versions 1 and 2) a
 * load balancer puts in front of a connection to say who the client is.
 * The parser is pure (bytes in, addresses out); proxyproto.c also holds
 * the server-side transport layer (tcpSettings/wsSettings
 * acceptProxyProtocol).
 */
#ifndef LIBSHARED_PROXYPROTO_H
#define LIBSHARED_PROXYPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Version 1: one text line of at most 107 bytes, CRLF included. */
#define PROXYPROTO_V1_MAX	107
/* Version 2: 16 fixed bytes and up to 65535 more. */
#define PROXYPROTO_V2_MAX	(16 + 65535)

/* proxyproto_parse results besides a header length (> 0). */
#define PROXYPROTO_MORE		0	/* a header's prefix: read more */
#define PROXYPROTO_BAD		(-1)	/* no header, or a broken one */

struct proxyproto_hdr {
	int			 version;	/* 1 or 2 */
	/*
	 * The client's address: false for v1 UNKNOWN, v2 LOCAL (a health
	 * check) and families without one (AF_UNSPEC, AF_UNIX); the
	 * connection's own address stands then.
	 */
	bool			 has_src;
	struct sockaddr_storage	 src;
	socklen_t		 srclen;
	struct sockaddr_storage	 dst;
};

/*
 * Parse the header at p[0..n). Returns its length (what to drop before
 * the payload), PROXYPROTO_MORE, or PROXYPROTO_BAD with *why a static
 * reason. Decides as soon as the bytes so far cannot start a header.
 */
ssize_t	proxyproto_parse(const uint8_t *p, size_t n, struct proxyproto_hdr *h,
	    const char **why);

#endif
