/* SPDX-License-Identifier: MIT */
/*
 * httphdr.h: tcpSettings.header type "http", V2Ray 4.34's HTTP disguise
 * of a TCP stream: the client's first bytes are an HTTP request header,
 * the server's an HTTP response header, then the proxy's bytes as they
 * are. The header texts and the server's check of a request are pure
 * (evbuffers and byte spans); httphdr.c also holds the transport layer.
 */
#ifndef LIBSHARED_HTTPHDR_H
#define LIBSHARED_HTTPHDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct conf_http_req;
struct conf_http_resp;
struct evbuffer;

/* 4.34 reads at most this much header before giving up (400). */
#define HTTPHDR_MAX		8192

/* httphdr_check_request results besides a header length (> 0). */
#define HTTPHDR_MORE		0	/* incomplete: read more */
#define HTTPHDR_BAD		(-1)	/* not an HTTP request: 400 */
#define HTTPHDR_NOT_FOUND	(-2)	/* a path not configured: 404 */
#define HTTPHDR_TOO_LONG	(-3)	/* no end within HTTPHDR_MAX: 400 */

/*
 * The request a client sends first: "METHOD PATH HTTP/VERSION", then each
 * field with one of its values picked at random, then a blank line. r
 * NULL or empty parts take 4.34's defaults.
 */
void	httphdr_request(const struct conf_http_req *r, struct evbuffer *out);
/*
 * Fill r's fields with 4.34's default request fields, in its order, when
 * it has none (a link that names only the Host keeps the rest).
 */
void	httphdr_request_defaults(struct conf_http_req *r);
/* The response a server sends first; a Date field unless r has one. */
void	httphdr_response(const struct conf_http_resp *r, time_t now,
	    struct evbuffer *out);
/* The fixed answers 4.34 gives a request it refuses: 400 or 404. */
void	httphdr_refusal(int code, time_t now, struct evbuffer *out);

/*
 * Server: the request header at p[0..n) against r's paths. Returns the
 * header's length (the payload follows), HTTPHDR_MORE, or an error.
 */
ssize_t	httphdr_check_request(const uint8_t *p, size_t n,
	    const struct conf_http_req *r);

#endif
