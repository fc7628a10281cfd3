/* SPDX-License-Identifier: MIT */
/* strmap.c: see strmap.h. */
#include "base/strmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t
strmap_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot of key, or the empty slot where it would go. */
static size_t
strmap_slot(char *const *keys, size_t cap, const char *key)
{
	size_t	i;

	for (i = strmap_hash(key) & (cap - 1); keys[i] != NULL &&
	    strcmp(keys[i], key) != 0; i = (i + 1) & (cap - 1))
		;
	return i;
}

uint32_t *
strmap_get(const struct strmap *m, const char *key)
{
	size_t	i;

	if (m->cap == 0)
		return NULL;
	i = strmap_slot(m->keys, m->cap, key);
	return m->keys[i] != NULL ? &m->vals[i] : NULL;
}

static int
strmap_grow(struct strmap *m)
{
	size_t	  ncap = m->cap ? m->cap * 2 : 8, i, j;
	char	**nkeys;
	uint32_t *nvals;

	if ((nkeys = calloc(ncap, sizeof(*nkeys))) == NULL)
		return -1;
	if ((nvals = calloc(ncap, sizeof(*nvals))) == NULL) {
		free(nkeys);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		j = strmap_slot(nkeys, ncap, m->keys[i]);
		nkeys[j] = m->keys[i];
		nvals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = nkeys;
	m->vals = nvals;
	m->cap = ncap;
	return 0;
}

int
strmap_add(struct strmap *m, const char *key, uint32_t val)
{
	size_t	 i;
	char	*dup;

	if (strmap_get(m, key) != NULL)
		return 0;
	/* Keep the load at or under one half so probes stay short. */
	if ((m->n + 1) * 2 > m->cap && strmap_grow(m) == -1)
		return -1;
	if ((dup = strdup(key)) == NULL)
		return -1;
	i = strmap_slot(m->keys, m->cap, key);
	m->keys[i] = dup;
	m->vals[i] = val;
	m->n++;
	return 0;
}

void
strmap_free(struct strmap *m)
{
	size_t	i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
