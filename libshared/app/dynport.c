/* SPDX-License-Identifier: MIT */
/*
 * dynport.c: generations of dynamic-port workers. A worker is an
 * inbound_rt of its own (one listener, its handler state: for VMess its
 * own user table, so its users are fresh per port and refresh as in 4.34).
 */
#include "app/dynport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "app/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/vcrypto.h"

struct generation {
	struct inbound_rt	**w;
	size_t			  nw;
	uint64_t		  born_ms;
	struct event		 *expire;
	struct dynport		 *dp;
	struct generation	 *next;		/* older */
};

struct dynport {
	struct inbound_rt	*ib;
	struct event		*refresh;
	struct generation	*gens;		/* newest first */
};

static bool
port_taken(const struct dynport *dp, uint16_t port)
{
	const struct generation	*g;
	size_t			 i;

	for (g = dp->gens; g != NULL; g = g->next)
		for (i = 0; i < g->nw; i++)
			if (g->w[i]->port == port)
				return true;
	return false;
}

static void
generation_free(struct generation *g)
{
	size_t	 i;

	for (i = 0; i < g->nw; i++)
		engine_inbound_retire(g->w[i]);
	free(g->w);
	event_free(g->expire);
	free(g);
}

static void
expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct generation	*g = arg, **pp;
	struct dynport		*dp = g->dp;

	for (pp = &dp->gens; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	log_info("dynamic ports: a generation of %zu ports closes", g->nw);
	generation_free(g);
}

static struct inbound_rt *
worker_new(struct dynport *dp, uint16_t port)
{
	struct inbound_rt	*ib = dp->ib, *w = xcalloc(1, sizeof(*w));
	char			 err[256];

	w->eng = ib->eng;
	w->c = ib->c;
	w->ops = ib->ops;
	w->port = port;
	if (w->ops->start != NULL && w->ops->start(w, err, sizeof(err))) {
		free(w);
		return NULL;
	}
	if (engine_listen_port(w, port, err, sizeof(err)) == -1) {
		log_debug("dynamic ports: %s", err);
		engine_inbound_retire(w);
		return NULL;
	}
	return w;
}

/*
 * Draw `concurrency` distinct free ports. Each try takes a random port and
 * walks forward to the next one not in use, so a range that is nearly full
 * costs one pass, never a spin.
 */
static void
generation_new(struct dynport *dp)
{
	const struct conf_inbound *ci = dp->ib->c;
	struct generation	*g = xcalloc(1, sizeof(*g));
	struct timeval		 tv;
	unsigned		 span = (unsigned)(ci->port.to - ci->port.from) + 1;
	unsigned		 want = (unsigned)ci->allocate.concurrency;
	unsigned		 tries, k;
	uint32_t		 r;
	uint16_t		 port;

	g->dp = dp;
	g->w = xcalloc(want ? want : 1, sizeof(*g->w));
	g->born_ms = util_now_ms();
	/* In the list from the start, so port_taken sees its own ports. */
	g->next = dp->gens;
	dp->gens = g;
	for (tries = 0; g->nw < want && tries < want * 4; tries++) {
		vcrypto_random(&r, sizeof(r));
		for (k = 0; k < span; k++) {
			port = (uint16_t)(ci->port.from + (r + k) % span);
			if (!port_taken(dp, port))
				break;
		}
		if (k == span)
			break;		/* every port of the range is held */
		if ((g->w[g->nw] = worker_new(dp, port)) != NULL)
			g->nw++;
	}
	if (g->nw < want)
		log_warn("dynamic ports: only %zu of %u ports could be opened "
		    "in %u-%u", g->nw, want, ci->port.from, ci->port.to);
	g->expire = evtimer_new(dp->ib->eng->base, expire_cb, g);
	tv.tv_sec = 2 * ci->allocate.refresh_sec;
	tv.tv_usec = 0;
	evtimer_add(g->expire, &tv);
	log_info("dynamic ports: new generation of %zu ports", g->nw);
}

static void
refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dynport		*dp = arg;
	struct generation	*g, **pp;
	uint64_t		 life = (uint64_t)dp->ib->c->allocate.refresh_sec
				    * 2000, now = util_now_ms();

	/*
	 * A generation due to close now goes before the new one opens, so
	 * timer jitter never leaves three generations listening at once.
	 */
	for (pp = &dp->gens; (g = *pp) != NULL;) {
		if (now - g->born_ms + 500 >= life) {
			*pp = g->next;
			generation_free(g);
		} else
			pp = &g->next;
	}
	generation_new(dp);
}

struct dynport *
dynport_new(struct inbound_rt *ib, char *err, size_t errlen)
{
	struct dynport	*dp = xcalloc(1, sizeof(*dp));
	struct timeval	 tv = { ib->c->allocate.refresh_sec, 0 };

	dp->ib = ib;
	generation_new(dp);
	if (dp->gens->nw == 0) {
		snprintf(err, errlen, "dynamic ports: no port of %u-%u could "
		    "be opened", ib->c->port.from, ib->c->port.to);
		dynport_free(dp);
		return NULL;
	}
	dp->refresh = event_new(ib->eng->base, -1, EV_PERSIST, refresh_cb, dp);
	event_add(dp->refresh, &tv);
	return dp;
}

void
dynport_free(struct dynport *dp)
{
	struct generation	*g;

	if (dp == NULL)
		return;
	if (dp->refresh != NULL)
		event_free(dp->refresh);
	while ((g = dp->gens) != NULL) {
		dp->gens = g->next;
		generation_free(g);
	}
	free(dp);
}

struct inbound_rt *
dynport_pick(struct dynport *dp, int *valid_min)
{
	struct generation	*g = dp->gens;
	uint64_t		 age, left, refresh;
	uint32_t		 r = 0;

	if (g == NULL || g->nw == 0)
		return NULL;
	vcrypto_random(&r, sizeof(r));
	refresh = (uint64_t)dp->ib->c->allocate.refresh_sec * 1000;
	age = util_now_ms() - g->born_ms;
	left = age < refresh ? refresh - age : 0;
	*valid_min = (int)((left + 59999) / 60000);
	if (*valid_min < 1)
		*valid_min = 1;
	if (*valid_min > 255)
		*valid_min = 255;
	return g->w[r % g->nw];
}

size_t
dynport_ports(const struct dynport *dp, uint16_t *out, size_t max)
{
	const struct generation	*g;
	size_t			 i, n = 0;

	for (g = dp->gens; g != NULL; g = g->next)
		for (i = 0; i < g->nw && n < max; i++)
			out[n++] = g->w[i]->port;
	return n;
}
