/* SPDX-License-Identifier: MIT */
/* util.h: allocation that cannot fail silently, and small helpers. */
#ifndef LIBSHARED_UTIL_H
#define LIBSHARED_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Out of memory is the one condition a daemon cannot recover from
 * meaningfully (Redis, relayd): these abort with a message instead.
 */
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);

/* Monotonic milliseconds. */
uint64_t util_now_ms(void);

/* A hex digit's value, or -1. */
int	util_hexval(int c);

/* Now as HTTP's Date field says it: "Sun, 06 Dec 2026 08:28:45 GMT". */
void	util_http_date(char *buf, size_t len);

#endif
