/* SPDX-License-Identifier: MIT */
/*
 * srccap.h: who is in handshake, per source. A hash table keyed by the
 * source (an IPv4 address, IPv4-mapped IPv6 counting as IPv4, or an IPv6
 * /64) holds, for each source, its members oldest first, so the cap on
 * handshakes per source (policy.system.handshakePerSource) costs O(1)
 * per accept and per close. A source's entry is freed when its count
 * drops to zero. The members are links embedded in their owners
 * (sessions); the table never owns them.
 */
#ifndef LIBSHARED_SRCCAP_H
#define LIBSHARED_SRCCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "net/addr.h"

struct srccap;
struct srccap_node;

/* Embedded in a member; node is NULL while it is in no table. */
struct srccap_link {
	TAILQ_ENTRY(srccap_link) le;
	struct srccap_node	*node;
	uint64_t		 since_ms;	/* when it was added */
};

/* The source a table groups an address under: false for no IP. */
struct srccap_key {
	uint8_t		 family;	/* 4 or 6 */
	uint64_t	 bits;		/* IPv4 address, or the /64 prefix */
};
bool	srccap_key_of(const struct net_addr *a, struct srccap_key *k);

struct srccap *srccap_new(void);
/* Frees the table and its entries; links still in it are left as is. */
void	srccap_free(struct srccap *t);

/*
 * Append l (not in a table) as the newest member of a's source, added at
 * now_ms. Returns the source's count with l, or 0 when a is no IP (l
 * stays out).
 */
size_t	srccap_add(struct srccap *t, struct srccap_link *l,
	    const struct net_addr *a, uint64_t now_ms);
/* Take l out (no-op when it is in no table); frees an emptied source. */
void	srccap_remove(struct srccap *t, struct srccap_link *l);
/* The oldest member of l's source (l itself when alone), or NULL. */
struct srccap_link *srccap_oldest(const struct srccap_link *l);
/* Members of l's source; 0 when l is in no table. */
size_t	srccap_count(const struct srccap_link *l);
/* Sources in the table (for tests and statistics). */
size_t	srccap_sources(const struct srccap *t);

#endif
