/* SPDX-License-Identifier: MIT */
/*
 * http_plain.h: plain HTTP requests of the HTTP proxy inbound, each
 * dispatched on its own, kept-alive connections as 4.34 keeps them.
 */
#ifndef LIBSHARED_HTTP_PLAIN_H
#define LIBSHARED_HTTP_PLAIN_H

#include <stdbool.h>
#include <stddef.h>

struct http_head;
struct http_plain;
struct net_addr;
struct session;

/* Read the next request head on s (the inbound's reader). */
typedef void http_plain_next_fn(struct session *s);

/* The plain-request state of client connection s; freed by its owner. */
struct http_plain *http_plain_new(struct session *s, http_plain_next_fn *next);
void	http_plain_free(struct http_plain *p);
/* Has a request been answered on it (an EOF now is no error)? */
bool	http_plain_served(const struct http_plain *p);
/* A next head is in: the wait for it is over. NULL is fine. */
void	http_plain_head_arrived(struct http_plain *p);

/*
 * Send the request with head h (the first `consumed` bytes of the
 * client's input; head[0..hlen) is it rewritten) to dst as a session of
 * its own, and its response back. Takes over s->cbev's callbacks; when
 * the response is done, either calls next(s) from the loop or closes s.
 * -1 (nothing taken over) for a malformed body length.
 */
int	http_plain_start(struct http_plain *p, const struct http_head *h,
	    const char *head, size_t hlen, const struct net_addr *dst,
	    size_t consumed);

#endif
