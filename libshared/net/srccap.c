/* SPDX-License-Identifier: MIT */
/*
 * srccap.c: the per-source table of handshakes. Chained buckets, a power
 * of two of them, grown when the sources outnumber them and shrunk when
 * they are an eighth of them, so a flood from many sources that ends
 * leaves no big table behind. The bucket comes from SipHash-2-4 under a
 * random key: the sources are chosen by whoever connects, and with a
 * known hash an IPv6 attacker could pile its /64s into one chain.
 */
#include "net/srccap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/util.h"
#include "crypto/vcrypto.h"

#define SRCCAP_MIN	16		/* buckets */

struct srccap_node {
	LIST_ENTRY(srccap_node)	 chain;
	struct srccap_key	 key;
	size_t			 n;
	TAILQ_HEAD(, srccap_link) members;	/* oldest first */
};

LIST_HEAD(srccap_bucket, srccap_node);

struct srccap {
	struct srccap_bucket	*b;
	size_t			 nb;		/* power of two */
	size_t			 n;		/* sources */
	uint8_t			 key[16];	/* SipHash key */
};

bool
srccap_key_of(const struct net_addr *a, struct srccap_key *k)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };
	const uint8_t		*p = a->ip;
	uint64_t		 v = 0;
	int			 i;

	memset(k, 0, sizeof(*k));
	if (a->family == AF_INET6 && memcmp(p, mapped, 12) == 0) {
		k->family = 4;
		p += 12;
	} else if (a->family == AF_INET)
		k->family = 4;
	else if (a->family == AF_INET6)
		k->family = 6;
	else
		return false;
	/* IPv4: the address; IPv6: the /64 a single host can roam in. */
	for (i = 0; i < (k->family == 4 ? 4 : 8); i++)
		v = v << 8 | p[i];
	k->bits = v;
	return true;
}

/* SipHash-2-4 of the key bits (little-endian) and the family. */
static uint64_t
srccap_hash(const struct srccap *t, const struct srccap_key *k)
{
	uint8_t	 m[9];
	int	 i;

	for (i = 0; i < 8; i++)
		m[i] = (uint8_t)(k->bits >> (8 * i));
	m[8] = k->family;
	return vcrypto_siphash(t->key, m, sizeof(m));
}

static struct srccap_bucket *
srccap_bucket(const struct srccap *t, const struct srccap_key *k)
{
	return &t->b[srccap_hash(t, k) & (t->nb - 1)];
}

static void
srccap_resize(struct srccap *t, size_t nb)
{
	struct srccap_bucket	*old = t->b;
	struct srccap_node	*e;
	size_t			 i, onb = t->nb;

	t->b = xcalloc(nb, sizeof(*t->b));
	t->nb = nb;
	for (i = 0; i < nb; i++)
		LIST_INIT(&t->b[i]);
	for (i = 0; i < onb; i++)
		while ((e = LIST_FIRST(&old[i])) != NULL) {
			LIST_REMOVE(e, chain);
			LIST_INSERT_HEAD(srccap_bucket(t, &e->key), e, chain);
		}
	free(old);
}

struct srccap *
srccap_new(void)
{
	struct srccap	*t = xcalloc(1, sizeof(*t));
	uint64_t	 weak;

	/* No randomness: a weaker key still spreads the sources; only
	 * resistance to chosen collisions suffers. */
	if (vcrypto_random(t->key, sizeof(t->key)) == -1) {
		weak = (uint64_t)(uintptr_t)t ^ util_now_ms();
		memcpy(t->key, &weak, sizeof(weak));
	}
	srccap_resize(t, SRCCAP_MIN);
	return t;
}

void
srccap_free(struct srccap *t)
{
	struct srccap_node	*e;
	size_t			 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nb; i++)
		while ((e = LIST_FIRST(&t->b[i])) != NULL) {
			LIST_REMOVE(e, chain);
			free(e);
		}
	free(t->b);
	free(t);
}

size_t
srccap_add(struct srccap *t, struct srccap_link *l, const struct net_addr *a,
    uint64_t now_ms)
{
	struct srccap_bucket	*b;
	struct srccap_node	*e;
	struct srccap_key	 k;

	l->node = NULL;
	if (!srccap_key_of(a, &k))
		return 0;
	b = srccap_bucket(t, &k);
	LIST_FOREACH(e, b, chain)
		if (e->key.family == k.family && e->key.bits == k.bits)
			break;
	if (e == NULL) {
		if (t->n >= t->nb) {
			srccap_resize(t, t->nb * 2);
			b = srccap_bucket(t, &k);
		}
		e = xcalloc(1, sizeof(*e));
		e->key = k;
		TAILQ_INIT(&e->members);
		LIST_INSERT_HEAD(b, e, chain);
		t->n++;
	}
	TAILQ_INSERT_TAIL(&e->members, l, le);
	l->node = e;
	l->since_ms = now_ms;
	return ++e->n;
}

void
srccap_remove(struct srccap *t, struct srccap_link *l)
{
	struct srccap_node	*e = l->node;

	if (e == NULL)
		return;
	TAILQ_REMOVE(&e->members, l, le);
	l->node = NULL;
	if (--e->n > 0)
		return;
	LIST_REMOVE(e, chain);
	free(e);
	t->n--;
	if (t->nb > SRCCAP_MIN && t->n * 8 < t->nb)
		srccap_resize(t, t->nb / 2);
}

struct srccap_link *
srccap_oldest(const struct srccap_link *l)
{
	return l->node != NULL ? TAILQ_FIRST(&l->node->members) : NULL;
}

size_t
srccap_count(const struct srccap_link *l)
{
	return l->node != NULL ? l->node->n : 0;
}

size_t
srccap_sources(const struct srccap *t)
{
	return t->n;
}
