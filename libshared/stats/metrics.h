/* SPDX-License-Identifier: MIT */
/*
 * metrics.h: the counters of stats.h served over HTTP (libevent's evhttp)
 * on the config's metrics.listen: Prometheus text at /metrics, a
 * self-contained status page at /, the same as JSON at /status.json.
 * Without Basic auth configured only loopback clients are answered;
 * with it, every request must carry it (else 401).
 */
#ifndef LIBSHARED_METRICS_H
#define LIBSHARED_METRICS_H

#include <stddef.h>

struct conf;
struct event_base;
struct evbuffer;

/*
 * Serve c->metrics (nothing when it has no listen address). A reload
 * calls it again with the new config: the listener moves only when the
 * address changed. 0, or -1 with err naming the address.
 */
int	metrics_configure(struct event_base *base, const struct conf *c,
	    char *err, size_t errlen);
void	metrics_stop(void);

/* The three documents, for the server and the tests. */
void	metrics_prometheus(struct evbuffer *out);
void	metrics_status_json(struct evbuffer *out);
void	metrics_status_html(struct evbuffer *out);

#endif
