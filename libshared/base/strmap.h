/* SPDX-License-Identifier: MIT */
/*
 * strmap.h: a string -> uint32 map (open addressing, FNV-1a, load <= 1/2)
 * for sets and indexes that must not cost a scan per lookup: routing's
 * domain and user sets, a server's users by email.
 */
#ifndef LIBSHARED_STRMAP_H
#define LIBSHARED_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap {
	char		**keys;		/* owned copies; NULL = empty slot */
	uint32_t	 *vals;
	size_t		  cap;		/* power of two, or 0 */
	size_t		  n;
};

/* The value's slot for key, or NULL. */
uint32_t *strmap_get(const struct strmap *m, const char *key);
/* Add key -> val unless key is there (then 0, value unchanged). 0, -1. */
int	strmap_add(struct strmap *m, const char *key, uint32_t val);
void	strmap_free(struct strmap *m);

#endif
