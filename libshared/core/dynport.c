/* SPDX-License-Identifier: MIT */
/*
 * dynport.c: generations of dynamic-port workers. A worker is an
 * inbound_rt of its own (one listener, its handler state: for VMess its
 * own user table, so its users are fresh per port and refresh as in 4.34).
 *
 * Lifetime of a generation: it listens until 2 x refresh after its birth
 * (as 4.34) and until the latest promise made for one of its ports has run
 * out, whichever is later; then its listeners close, and each worker (with
 * its user table) is freed when its last session ends. A promise is made
 * each time a port is announced: a 4.34 client keeps the port for ValidMin
 * whole minutes from when it reads the announcement, however short the
 * refresh. Recording a promise is O(1) (at the pick) or O(live ports) (at
 * the header write); a timer that fires before the latest promise simply
 * re-arms.
 */
#include "core/dynport.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/vcrypto.h"

/*
 * A ValidMin minute (tests shorten it), and the grace: a client reads the
 * announcement a little after we write it (network delay, scheduling), so
 * the promise runs this much longer than ValidMin.
 */
static uint64_t	minute_ms = 60000;
static uint64_t	grace_ms = 5000;

struct generation {
	struct inbound_rt	**w;
	size_t			  nw;
	uint64_t		  born_ms;
	uint64_t		  until_ms;	/* latest promise, 0: none */
	struct event		 *expire;
	struct dynport		 *dp;
	struct generation	 *next;		/* older */
};

struct dynport {
	struct inbound_rt	*ib;
	struct event		*refresh;
	struct generation	*gens;		/* newest first */
	uint8_t			*held;		/* per port of the range:
						   a live generation's */
	bool			 warned;	/* range too small, said once */
};

static uint64_t
life_ms(const struct dynport *dp)
{
	return (uint64_t)dp->ib->c->allocate.refresh_sec * 2000;
}

/*
 * Due to close: 2 x refresh reached (half a second early, so a generation
 * due at a refresh goes before the next opens) and every promise kept.
 */
static bool
closable(const struct generation *g, uint64_t now)
{
	return now + 500 >= g->born_ms + life_ms(g->dp) && now >= g->until_ms;
}

static void
arm(struct generation *g, uint64_t now)
{
	uint64_t	 due = g->born_ms + life_ms(g->dp), wait;
	struct timeval	 tv;

	if (g->until_ms > due)
		due = g->until_ms;
	wait = due > now ? due - now : 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(g->expire, &tv);
}

static void
generation_free(struct generation *g)
{
	const struct conf_inbound *ci = g->dp->ib->c;
	size_t	 i;

	for (i = 0; i < g->nw; i++) {
		g->dp->held[g->w[i]->port - ci->port.from] = 0;
		engine_inbound_retire(g->w[i]);
	}
	free(g->w);
	if (g->expire != NULL)
		event_free(g->expire);
	free(g);
}

/* Close the live generation *pp: out of the list, its listeners closed. */
static void
retire(struct generation **pp)
{
	struct generation	*g = *pp;

	*pp = g->next;
	log_info("dynamic ports: a generation of %zu ports closes", g->nw);
	generation_free(g);
}

static void
expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct generation	*g = arg, **pp;
	uint64_t		 now = util_now_ms();

	if (!closable(g, now)) {
		arm(g, now);		/* promised again since armed */
		return;
	}
	for (pp = &g->dp->gens; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			retire(pp);
			return;
		}
}

static struct inbound_rt *
worker_new(struct dynport *dp, uint16_t port)
{
	struct inbound_rt	*ib = dp->ib, *w = xcalloc(1, sizeof(*w));
	char			 err[256];

	w->eng = ib->eng;
	w->c = ib->c;
	w->tp = ib->tp;
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
 * Draw `concurrency` distinct ports that no live generation holds (one
 * still promised to a client included). Each try takes a random port and
 * walks forward to the next free one, so a range that is nearly full costs
 * one pass, never a spin. NULL when not one port could be opened: the
 * newest live generation then goes on being announced.
 */
static struct generation *
generation_new(struct dynport *dp)
{
	const struct conf_inbound *ci = dp->ib->c;
	struct generation	*g = xcalloc(1, sizeof(*g));
	unsigned		 span = (unsigned)(ci->port.to - ci->port.from) + 1;
	unsigned		 want = (unsigned)ci->allocate.concurrency;
	unsigned		 tries, k, i;
	uint32_t		 r;

	g->dp = dp;
	g->w = xcalloc(want ? want : 1, sizeof(*g->w));
	g->born_ms = util_now_ms();
	for (tries = 0; g->nw < want && tries < want * 4; tries++) {
		vcrypto_random(&r, sizeof(r));
		for (k = 0; k < span; k++)
			if (!dp->held[(i = (r + k) % span)])
				break;
		if (k == span)
			break;		/* every port of the range is held */
		if ((g->w[g->nw] = worker_new(dp,
		    (uint16_t)(ci->port.from + i))) != NULL) {
			dp->held[i] = 1;
			g->nw++;
		}
	}
	if (g->nw < want) {
		if (!dp->warned)
			log_warn("dynamic ports: only %zu of %u ports free in "
			    "%u-%u (a port stays held while a client may use "
			    "it: with a refresh under a minute that takes about "
			    "concurrency x (2 + 65 s / refresh) ports); "
			    "serving with fewer", g->nw, want, ci->port.from,
			    ci->port.to);
		else
			log_debug("dynamic ports: only %zu of %u ports",
			    g->nw, want);
		dp->warned = true;
	}
	if (g->nw == 0) {
		free(g->w);
		free(g);
		return NULL;
	}
	g->next = dp->gens;
	dp->gens = g;
	g->expire = evtimer_new(dp->ib->eng->base, expire_cb, g);
	arm(g, g->born_ms);
	log_info("dynamic ports: new generation of %zu ports", g->nw);
	return g;
}

static void
refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dynport		*dp = arg;
	struct generation	**pp;
	uint64_t		 now = util_now_ms();

	/*
	 * A generation due to close now goes before the new one opens, so
	 * timer jitter never holds a port longer than needed.
	 */
	for (pp = &dp->gens; *pp != NULL;) {
		if (closable(*pp, now))
			retire(pp);
		else
			pp = &(*pp)->next;
	}
	(void)generation_new(dp);
}

struct dynport *
dynport_new(struct inbound_rt *ib, char *err, size_t errlen)
{
	struct dynport	*dp = xcalloc(1, sizeof(*dp));
	struct timeval	 tv = { ib->c->allocate.refresh_sec, 0 };

	dp->ib = ib;
	dp->held = xcalloc((size_t)(ib->c->port.to - ib->c->port.from) + 1, 1);
	if (generation_new(dp) == NULL) {
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
	free(dp->held);
	free(dp);
}

static void
promise(struct generation *g, int valid_min)
{
	uint64_t	 until = util_now_ms() + (uint64_t)valid_min * minute_ms +
			    grace_ms;

	if (until > g->until_ms)
		g->until_ms = until;
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
	*valid_min = (int)((left + minute_ms - 1) / minute_ms);
	if (*valid_min < 1)
		*valid_min = 1;
	if (*valid_min > 255)
		*valid_min = 255;
	promise(g, *valid_min);
	return g->w[r % g->nw];
}

void
dynport_promise(struct dynport *dp, uint16_t port, int valid_min)
{
	struct generation	*g;
	size_t			 i;

	if (port < dp->ib->c->port.from || port > dp->ib->c->port.to ||
	    !dp->held[port - dp->ib->c->port.from])
		return;
	for (g = dp->gens; g != NULL; g = g->next)
		for (i = 0; i < g->nw; i++)
			if (g->w[i]->port == port) {
				promise(g, valid_min);
				return;
			}
}

void
dynport_set_timescale(unsigned minute, unsigned grace)
{
	minute_ms = minute;
	grace_ms = grace;
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
