/* SPDX-License-Identifier: MIT */
/*
 * metrics_http.c: the stats endpoint. One evhttp server per process on the
 * event loop (requests are answered from the registry in one pass, no
 * state kept between them); a reload rebinds it only when metrics.listen
 * changed. Documents: Prometheus text format 0.0.4 (/metrics), the status
 * page (/: one HTML document, inline style and script, no external asset,
 * refreshed in place every 5 s) and its JSON form (/status.json).
 */
#include "stats/metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/log.h"
#include "base/util.h"
#include "conf/conf.h"
#include "core/engine.h"
#include "stats/stats.h"

#define METRICS_TIMEOUT_SEC	10
#define METRICS_MAX_HEADERS	8192

static struct {
	struct event_base		*base;
	struct evhttp			*http;
	char				*listen;	/* as configured */
	char				*auth;		/* "user:password" */
} srv;

/* Prometheus text */

/* A label value: backslash, double quote and newline escaped. */
static void
prom_label(struct evbuffer *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(out, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, s, 1);
	}
}

static void
prom_head(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

struct prom_ctx {
	struct evbuffer	*out;
	enum stats_kind	 kind;
	int		 what;
	const char	*name;		/* reverse_links: counting for */
	const char	*role;
	unsigned	 n;
};

static void
prom_traffic(const struct stats_traffic *t, void *arg)
{
	struct prom_ctx		*p = arg;
	static const char *const label[] = { "user", "inbound", "outbound" };

	if (t->kind != p->kind)
		return;
	if (t->has_up) {
		evbuffer_add_printf(p->out, "vtools_%s_bytes_total{%s=\"",
		    label[t->kind], label[t->kind]);
		prom_label(p->out, t->name);
		evbuffer_add_printf(p->out, "\",direction=\"up\"} %llu\n",
		    (unsigned long long)t->up);
	}
	if (t->has_down) {
		evbuffer_add_printf(p->out, "vtools_%s_bytes_total{%s=\"",
		    label[t->kind], label[t->kind]);
		prom_label(p->out, t->name);
		evbuffer_add_printf(p->out, "\",direction=\"down\"} %llu\n",
		    (unsigned long long)t->down);
	}
}

enum { PI_OPEN, PI_TOTAL, PI_HS, PI_DYN };

static void
prom_inbound(const struct stats_inbound_view *v, void *arg)
{
	struct prom_ctx	*p = arg;
	static const char *const name[] = { "connections_open",
	    "connections_total", "", "dynamic_ports" };
	int		 i;

	if (p->what == PI_HS) {
		for (i = 0; i < STATS_HS_MAX; i++) {
			evbuffer_add_printf(p->out,
			    "vtools_handshake_failures_total{inbound=\"");
			prom_label(p->out, v->name);
			evbuffer_add_printf(p->out, "\",reason=\"%s\"} %llu\n",
			    stats_hs_name((enum stats_hs)i),
			    (unsigned long long)v->hs[i]);
		}
		return;
	}
	if (p->what == PI_DYN && v->dynports == 0)
		return;
	evbuffer_add_printf(p->out, "vtools_inbound_%s{inbound=\"",
	    name[p->what]);
	prom_label(p->out, v->name);
	evbuffer_add_printf(p->out, "\"} %llu\n", (unsigned long long)(
	    p->what == PI_OPEN ? v->open : p->what == PI_TOTAL ? v->total :
	    v->dynports));
}

static void
prom_route(const char *rule, const char *ob, uint64_t n, void *arg)
{
	struct prom_ctx	*p = arg;

	evbuffer_add_printf(p->out, "vtools_route_decisions_total{rule=\"");
	prom_label(p->out, rule);
	evbuffer_add_printf(p->out, "\",outbound=\"");
	prom_label(p->out, ob);
	evbuffer_add_printf(p->out, "\"} %llu\n", (unsigned long long)n);
}

enum { PL_SINCE, PL_BEAT, PL_SESS, PL_ACTIVE, PL_BYTES, PL_COUNT };

static void
prom_link_labels(struct evbuffer *out, const struct stats_link_view *v)
{
	evbuffer_add_printf(out, "{role=\"%s\",name=\"", v->role);
	prom_label(out, v->name);
	evbuffer_add_printf(out, "\",peer=\"");
	prom_label(out, v->peer);
	evbuffer_add_printf(out, "\",link=\"%u\"", v->id);
}

static void
prom_link(const struct stats_link_view *v, void *arg)
{
	struct prom_ctx	*p = arg;
	static const char *const name[] = { "up_since_seconds",
	    "last_heartbeat_seconds", "sessions_total", "sessions_open" };
	long long	 val[] = { v->since, v->last_beat, v->sessions,
			    (long long)v->active };

	if (p->what == PL_COUNT) {
		if (strcmp(v->role, p->role) == 0 &&
		    strcmp(v->name, p->name) == 0)
			p->n++;
		return;
	}
	if (p->what == PL_BYTES) {
		evbuffer_add_printf(p->out, "vtools_reverse_link_bytes_total");
		prom_link_labels(p->out, v);
		evbuffer_add_printf(p->out, ",direction=\"up\"} %llu\n",
		    (unsigned long long)v->up);
		evbuffer_add_printf(p->out, "vtools_reverse_link_bytes_total");
		prom_link_labels(p->out, v);
		evbuffer_add_printf(p->out, ",direction=\"down\"} %llu\n",
		    (unsigned long long)v->down);
		return;
	}
	if (p->what == PL_BEAT && v->last_beat == 0)
		return;
	evbuffer_add_printf(p->out, "vtools_reverse_link_%s", name[p->what]);
	prom_link_labels(p->out, v);
	evbuffer_add_printf(p->out, "} %lld\n", val[p->what]);
}

/* Configured bridges and portals with their live links: 0 is news too. */
static void
prom_reverse_links(struct prom_ctx *p)
{
	struct engine	*eng = stats_engine();
	const struct conf *c = eng != NULL ? eng->conf : NULL;
	size_t		 i;

	prom_head(p->out, "vtools_reverse_links", "gauge",
	    "Live reverse links of each configured bridge (by tag) and "
	    "portal (by domain).");
	p->what = PL_COUNT;
	for (i = 0; c != NULL && i < c->nbridges + c->nportals; i++) {
		p->role = i < c->nbridges ? "bridge" : "portal";
		p->name = i < c->nbridges ? c->bridges[i].tag :
		    c->portals[i - c->nbridges].domain;
		p->n = 0;
		stats_walk_links(prom_link, p);
		evbuffer_add_printf(p->out, "vtools_reverse_links{role=\"%s\","
		    "name=\"", p->role);
		prom_label(p->out, p->name);
		evbuffer_add_printf(p->out, "\"} %u\n", p->n);
	}
}

/* The families walked per inbound (the first PF_INBOUND), then per link. */
#define PF_INBOUND	4
static const struct {
	const char	*name, *type, *help;
	int		 what;
} prom_fam[] = {
	{ "vtools_inbound_connections_open", "gauge",
	    "Accepted connections open now, per inbound.", PI_OPEN },
	{ "vtools_inbound_connections_total", "counter",
	    "Accepted connections, per inbound.", PI_TOTAL },
	{ "vtools_handshake_failures_total", "counter",
	    "Connections closed before their inbound's header was read, by "
	    "reason.", PI_HS },
	{ "vtools_inbound_dynamic_ports", "gauge",
	    "Dynamic ports listening now, per detour inbound.", PI_DYN },
	{ "vtools_reverse_link_up_since_seconds", "gauge",
	    "When each live reverse link came up, Unix time.", PL_SINCE },
	{ "vtools_reverse_link_last_heartbeat_seconds", "gauge",
	    "Last heartbeat on each link (sent by a portal, received by a "
	    "bridge), Unix time.", PL_BEAT },
	{ "vtools_reverse_link_sessions_total", "counter",
	    "Sessions opened on each link (its control session included).",
	    PL_SESS },
	{ "vtools_reverse_link_sessions_open", "gauge",
	    "Sessions open on each link now.", PL_ACTIVE },
	{ "vtools_reverse_link_bytes_total", "counter",
	    "Bytes carried by each link, framing included.", PL_BYTES },
};

void
metrics_prometheus(struct evbuffer *out)
{
	struct stats_summary	 sum;
	struct prom_ctx		 p;
	static const char *const help[] = {
	    "Payload bytes per user (policy.levels.N.statsUserUplink, "
	    "statsUserDownlink; needs the stats object).",
	    "Payload bytes per inbound tag (policy.system.statsInbound"
	    "Uplink, statsInboundDownlink; needs the stats object).",
	    "Payload bytes per outbound tag (policy.system.statsOutbound"
	    "Uplink, statsOutboundDownlink; needs the stats object)." };
	static const char *const fam[] = { "vtools_user_bytes_total",
	    "vtools_inbound_bytes_total", "vtools_outbound_bytes_total" };
	int			 k;

	memset(&p, 0, sizeof(p));
	p.out = out;
	stats_get_summary(&sum);
	prom_head(out, "vtools_info", "gauge", "The tool serving these "
	    "metrics and its version.");
	evbuffer_add_printf(out, "vtools_info{tool=\"%s\",version=\"%s\"} 1\n",
	    sum.tool, sum.version);
	prom_head(out, "vtools_start_time_seconds", "gauge",
	    "When the process started, Unix time.");
	evbuffer_add_printf(out, "vtools_start_time_seconds %lld\n",
	    (long long)sum.started);
	prom_head(out, "vtools_uptime_seconds", "gauge",
	    "Seconds since the process started.");
	evbuffer_add_printf(out, "vtools_uptime_seconds %.3f\n",
	    (double)sum.uptime_ms / 1000.0);
	prom_head(out, "vtools_sessions", "gauge", "Sessions open now, on "
	    "every configuration a reload left running.");
	evbuffer_add_printf(out, "vtools_sessions %zu\n", sum.sessions);
	prom_head(out, "vtools_log_errors_total", "counter",
	    "Warnings and errors written to the error log.");
	evbuffer_add_printf(out, "vtools_log_errors_total %llu\n",
	    (unsigned long long)sum.errors);
	for (k = 0; k < 3; k++) {
		prom_head(out, fam[k], "counter", help[k]);
		p.kind = (enum stats_kind)k;
		stats_walk_traffic(prom_traffic, &p);
	}
	for (k = 0; k < PF_INBOUND; k++) {
		prom_head(out, prom_fam[k].name, prom_fam[k].type,
		    prom_fam[k].help);
		p.what = prom_fam[k].what;
		stats_walk_inbounds(prom_inbound, &p);
	}
	prom_head(out, "vtools_route_decisions_total", "counter",
	    "Routing decisions by rule (index in routing.rules, or "
	    "default) and the outbound chosen.");
	stats_walk_routes(prom_route, &p);
	prom_reverse_links(&p);
	for (; k < (int)(sizeof(prom_fam) / sizeof(prom_fam[0])); k++) {
		prom_head(out, prom_fam[k].name, prom_fam[k].type,
		    prom_fam[k].help);
		p.what = prom_fam[k].what;
		stats_walk_links(prom_link, &p);
	}
}

/* JSON */

static void
jo_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void
jo_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void
js_traffic(const struct stats_traffic *t, void *arg)
{
	struct json_object	**a = arg, *o = json_object_new_object();

	jo_str(o, "name", t->name);
	if (t->has_up)
		jo_int(o, "up", (int64_t)t->up);
	if (t->has_down)
		jo_int(o, "down", (int64_t)t->down);
	json_object_array_add(a[t->kind], o);
}

static void
js_inbound(const struct stats_inbound_view *v, void *arg)
{
	struct json_object	*o = json_object_new_object(), *hs;
	int			 i;

	jo_str(o, "name", v->name);
	jo_str(o, "protocol", v->proto);
	jo_str(o, "listen", v->listen);
	jo_int(o, "port", v->port_from);
	if (v->port_to != v->port_from)
		jo_int(o, "port_to", v->port_to);
	json_object_object_add(o, "running", json_object_new_boolean(
	    v->running));
	jo_int(o, "connections_open", (int64_t)v->open);
	jo_int(o, "connections_total", (int64_t)v->total);
	hs = json_object_new_object();
	for (i = 0; i < STATS_HS_MAX; i++)
		jo_int(hs, stats_hs_name((enum stats_hs)i), (int64_t)v->hs[i]);
	json_object_object_add(o, "handshake_failures", hs);
	if (v->dynports > 0)
		jo_int(o, "dynamic_ports", (int64_t)v->dynports);
	json_object_array_add(arg, o);
}

static void
js_route(const char *rule, const char *ob, uint64_t n, void *arg)
{
	struct json_object	*o = json_object_new_object();

	jo_str(o, "rule", rule);
	jo_str(o, "outbound", ob);
	jo_int(o, "count", (int64_t)n);
	json_object_array_add(arg, o);
}

static void
js_link(const struct stats_link_view *v, void *arg)
{
	struct json_object	*o = json_object_new_object();

	jo_int(o, "id", v->id);
	jo_str(o, "role", v->role);
	jo_str(o, "name", v->name);
	jo_str(o, "peer", v->peer);
	jo_int(o, "up_since", v->since);
	jo_int(o, "last_heartbeat", v->last_beat);
	jo_int(o, "sessions_total", v->sessions);
	jo_int(o, "sessions_open", (int64_t)v->active);
	jo_int(o, "up", (int64_t)v->up);
	jo_int(o, "down", (int64_t)v->down);
	json_object_array_add(arg, o);
}

static void
js_error(int64_t when, const char *line, void *arg)
{
	struct json_object	*o = json_object_new_object();

	jo_int(o, "time", when);
	jo_str(o, "line", line);
	json_object_array_add(arg, o);
}

void
metrics_status_json(struct evbuffer *out)
{
	struct stats_summary	 sum;
	struct json_object	*root = json_object_new_object(), *a[3], *x;
	static const char *const key[] = { "users", "inbound_traffic",
	    "outbound_traffic" };
	int			 i;

	stats_get_summary(&sum);
	jo_str(root, "tool", sum.tool);
	jo_str(root, "version", sum.version);
	jo_int(root, "started", sum.started);
	jo_int(root, "uptime_seconds", (int64_t)(sum.uptime_ms / 1000));
	jo_int(root, "sessions", (int64_t)sum.sessions);
	json_object_object_add(root, "stats",
	    json_object_new_boolean(sum.stats));
	jo_int(root, "log_errors", (int64_t)sum.errors);
	x = json_object_new_array();
	stats_walk_inbounds(js_inbound, x);
	json_object_object_add(root, "inbounds", x);
	for (i = 0; i < 3; i++)
		a[i] = json_object_new_array();
	stats_walk_traffic(js_traffic, a);
	for (i = 0; i < 3; i++)
		json_object_object_add(root, key[i], a[i]);
	x = json_object_new_array();
	stats_walk_routes(js_route, x);
	json_object_object_add(root, "routes", x);
	x = json_object_new_array();
	stats_walk_links(js_link, x);
	json_object_object_add(root, "links", x);
	x = json_object_new_array();
	stats_walk_errors(js_error, x);
	json_object_object_add(root, "errors", x);
	evbuffer_add_printf(out, "%s\n", json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

/* HTML */

static void
html_text(struct evbuffer *out, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			evbuffer_add(out, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(out, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(out, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(out, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(out, "&#39;", 5);
			break;
		default:
			evbuffer_add(out, s, 1);
		}
}

/* A byte count for people, the exact one in the title. */
static void
html_bytes(struct evbuffer *out, uint64_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	double	 v = (double)n;
	int	 u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	evbuffer_add_printf(out, "<td class=n title=\"%llu bytes\">",
	    (unsigned long long)n);
	if (u == 0)
		evbuffer_add_printf(out, "%llu B</td>", (unsigned long long)n);
	else
		evbuffer_add_printf(out, "%.1f %s</td>", v, unit[u]);
}

static void
html_duration(struct evbuffer *out, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		evbuffer_add_printf(out, "%lldd %lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		evbuffer_add_printf(out, "%lldh %lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		evbuffer_add_printf(out, "%lldm %llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		evbuffer_add_printf(out, "%llds", (long long)s);
}

static void
html_time(struct evbuffer *out, int64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	char		 buf[32];

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	evbuffer_add_printf(out, "<time datetime=\"%lld\">%s</time>",
	    (long long)t, buf);
}

struct html_ctx {
	struct evbuffer	*out;
	enum stats_kind	 kind;
	unsigned	 n;
};

static void
html_inbound(const struct stats_inbound_view *v, void *arg)
{
	struct html_ctx	*h = arg;
	uint64_t	 hs = 0;
	int		 i;

	h->n++;
	evbuffer_add_printf(h->out, "<tr%s><td>", v->running ? "" :
	    " class=old");
	html_text(h->out, v->name);
	evbuffer_add_printf(h->out, "</td><td>%s</td><td>", v->proto);
	if (v->running) {
		html_text(h->out, v->listen);
		evbuffer_add_printf(h->out, ":%u", v->port_from);
		if (v->port_to != v->port_from)
			evbuffer_add_printf(h->out, "-%u", v->port_to);
		if (v->dynports > 0)
			evbuffer_add_printf(h->out, " (%zu dynamic live)",
			    v->dynports);
	} else
		evbuffer_add_printf(h->out, "(before a reload)");
	for (i = 0; i < STATS_HS_MAX; i++)
		hs += v->hs[i];
	evbuffer_add_printf(h->out, "</td><td class=n>%llu</td><td class=n>"
	    "%llu</td><td class=n title=\"", (unsigned long long)v->open,
	    (unsigned long long)v->total);
	for (i = 0; i < STATS_HS_MAX; i++)
		evbuffer_add_printf(h->out, "%s%s %llu", i > 0 ? ", " : "",
		    stats_hs_name((enum stats_hs)i),
		    (unsigned long long)v->hs[i]);
	evbuffer_add_printf(h->out, "\">%llu</td></tr>\n",
	    (unsigned long long)hs);
}

static void
html_traffic(const struct stats_traffic *t, void *arg)
{
	struct html_ctx	*h = arg;

	if (t->kind != h->kind)
		return;
	h->n++;
	evbuffer_add_printf(h->out, "<tr><td>");
	html_text(h->out, t->name);
	evbuffer_add_printf(h->out, "</td>");
	if (t->has_up)
		html_bytes(h->out, t->up);
	else
		evbuffer_add_printf(h->out, "<td class=n>off</td>");
	if (t->has_down)
		html_bytes(h->out, t->down);
	else
		evbuffer_add_printf(h->out, "<td class=n>off</td>");
	evbuffer_add_printf(h->out, "</tr>\n");
}

static void
html_link(const struct stats_link_view *v, void *arg)
{
	struct html_ctx	*h = arg;
	int64_t		 now = (int64_t)time(NULL);

	h->n++;
	evbuffer_add_printf(h->out, "<tr class=link><td>%s</td><td>", v->role);
	html_text(h->out, v->name);
	evbuffer_add_printf(h->out, "</td><td>");
	html_text(h->out, *v->peer != '\0' ? v->peer : "-");
	evbuffer_add_printf(h->out, "</td><td>");
	html_duration(h->out, now - v->since);
	evbuffer_add_printf(h->out, "</td><td class=n>%zu / %u</td>",
	    v->active, v->sessions);
	html_bytes(h->out, v->up);
	html_bytes(h->out, v->down);
	evbuffer_add_printf(h->out, "<td>");
	if (v->last_beat != 0) {
		html_duration(h->out, now - v->last_beat);
		evbuffer_add_printf(h->out, " ago");
	} else
		evbuffer_add_printf(h->out, "none yet");
	evbuffer_add_printf(h->out, "</td></tr>\n");
}

static void
html_route(const char *rule, const char *ob, uint64_t n, void *arg)
{
	struct html_ctx	*h = arg;

	h->n++;
	evbuffer_add_printf(h->out, "<tr><td>");
	html_text(h->out, rule);
	evbuffer_add_printf(h->out, "</td><td>");
	html_text(h->out, ob);
	evbuffer_add_printf(h->out, "</td><td class=n>%llu</td></tr>\n",
	    (unsigned long long)n);
}

static void
html_error(int64_t when, const char *line, void *arg)
{
	struct html_ctx	*h = arg;

	h->n++;
	evbuffer_add_printf(h->out, "<li>");
	html_time(h->out, when);
	evbuffer_add_printf(h->out, " ");
	html_text(h->out, line);
	evbuffer_add_printf(h->out, "</li>\n");
}

static void
html_table(struct evbuffer *out, struct html_ctx *h, const char *title,
    const char *id, const char *cols, const char *empty,
    void (*fill)(struct html_ctx *))
{
	struct evbuffer	*rows = evbuffer_new();

	if (rows == NULL)
		return;
	h->out = rows;
	h->n = 0;
	fill(h);
	evbuffer_add_printf(out, "<section id=%s><h2>%s</h2>", id, title);
	if (h->n == 0)
		evbuffer_add_printf(out, "<p class=none>%s</p>", empty);
	else {
		evbuffer_add_printf(out, "<div class=scroll><table><thead><tr>"
		    "%s</tr></thead><tbody>\n", cols);
		evbuffer_add_buffer(out, rows);
		evbuffer_add_printf(out, "</tbody></table></div>");
	}
	evbuffer_add_printf(out, "</section>\n");
	evbuffer_free(rows);
}

static void
fill_inbounds(struct html_ctx *h)
{
	stats_walk_inbounds(html_inbound, h);
}

static void
fill_users(struct html_ctx *h)
{
	h->kind = STATS_USER;
	stats_walk_traffic(html_traffic, h);
}

static void
fill_in_traffic(struct html_ctx *h)
{
	h->kind = STATS_INBOUND;
	stats_walk_traffic(html_traffic, h);
}

static void
fill_out_traffic(struct html_ctx *h)
{
	h->kind = STATS_OUTBOUND;
	stats_walk_traffic(html_traffic, h);
}

static void
fill_links(struct html_ctx *h)
{
	stats_walk_links(html_link, h);
}

static void
fill_routes(struct html_ctx *h)
{
	stats_walk_routes(html_route, h);
}

static const char html_style[] =
    "<style>"
    ":root{color-scheme:light dark;--b:#8884}"
    "body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;padding:.8em;"
    "max-width:64em}"
    "h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.05em;margin:1.2em 0 "
    ".4em}"
    ".sum{display:flex;flex-wrap:wrap;gap:.3em 1.2em;margin:0;padding:0;"
    "list-style:none}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{padding:.25em .5em;border-bottom:1px solid var(--b);"
    "text-align:left;white-space:nowrap}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.old td{opacity:.6}.none{opacity:.7}"
    "ol{padding-left:1.2em;font:13px/1.4 monospace;word-break:break-word}"
    "footer{margin-top:1.5em;font-size:.85em;opacity:.7}"
    "</style>";

/*
 * The page refreshes itself by fetching itself and swapping <main>, so
 * there is one renderer (this file) and no script on the reader's side
 * that could go stale; with scripts off it simply does not refresh.
 */
static const char html_script[] =
    "<script>"
    "(function(){"
    "function tick(){"
    "fetch(location.origin+location.pathname,{cache:'no-store',"
    "credentials:'same-origin'})"
    ".then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);"
    "return r.text();})"
    ".then(function(t){var d=new DOMParser().parseFromString(t,"
    "'text/html');var m=d.querySelector('main');"
    "var o=document.querySelector('main');"
    "if(m&&o){o.innerHTML=m.innerHTML;"
    "o.dataset.refreshed=(+o.dataset.refreshed||0)+1;}"
    "document.getElementById('state').textContent='';})"
    ".catch(function(e){document.getElementById('state').textContent="
    "' (refresh failed: '+e.message+')';});}"
    "setInterval(tick,5000);"
    "})();"
    "</script>";

void
metrics_status_html(struct evbuffer *out)
{
	struct stats_summary	 sum;
	struct html_ctx		 h;

	memset(&h, 0, sizeof(h));
	stats_get_summary(&sum);
	evbuffer_add_printf(out, "<!DOCTYPE html>\n<html lang=en><head>"
	    "<meta charset=utf-8><meta name=viewport content=\"width=device-"
	    "width,initial-scale=1\"><title>%s status</title>"
	    "<link rel=icon href=\"data:,\">%s</head>\n<body><main>\n",
	    sum.tool, html_style);
	evbuffer_add_printf(out, "<h1>%s %s</h1><ul class=sum><li>up ",
	    sum.tool, sum.version);
	html_duration(out, (int64_t)(sum.uptime_ms / 1000));
	evbuffer_add_printf(out, " (since ");
	html_time(out, sum.started);
	evbuffer_add_printf(out, ")</li><li>%zu sessions open</li>"
	    "<li>%llu warnings and errors logged</li><li>traffic counters %s"
	    "</li></ul>\n", sum.sessions, (unsigned long long)sum.errors,
	    sum.stats ? "on" : "off (no \"stats\" object in the config)");
	html_table(out, &h, "Inbounds", "inbounds", "<th>inbound</th>"
	    "<th>protocol</th><th>listening on</th><th>open</th><th>total"
	    "</th><th>failed handshakes</th>", "No inbound.", fill_inbounds);
	html_table(out, &h, "Users", "users", "<th>user</th><th>up</th>"
	    "<th>down</th>", "No user traffic counted (policy.levels.N."
	    "statsUserUplink / statsUserDownlink).", fill_users);
	html_table(out, &h, "Reverse links", "links", "<th>role</th>"
	    "<th>name</th><th>peer</th><th>up for</th><th>sessions open / "
	    "total</th><th>up</th><th>down</th><th>heartbeat</th>",
	    "No reverse link is up.", fill_links);
	html_table(out, &h, "Traffic per inbound", "inbound-traffic",
	    "<th>inbound</th><th>up</th><th>down</th>", "Not counted "
	    "(policy.system.statsInboundUplink / Downlink).", fill_in_traffic);
	html_table(out, &h, "Traffic per outbound", "outbound-traffic",
	    "<th>outbound</th><th>up</th><th>down</th>", "Not counted "
	    "(policy.system.statsOutboundUplink / Downlink).",
	    fill_out_traffic);
	html_table(out, &h, "Routing decisions", "routes", "<th>rule</th>"
	    "<th>outbound</th><th>count</th>", "None yet.", fill_routes);
	evbuffer_add_printf(out, "<section id=errors><h2>Recent warnings and "
	    "errors</h2>");
	h.out = evbuffer_new();
	if (h.out != NULL) {
		h.n = 0;
		stats_walk_errors(html_error, &h);
		if (h.n == 0)
			evbuffer_add_printf(out, "<p class=none>None.</p>");
		else {
			evbuffer_add_printf(out, "<ol>");
			evbuffer_add_buffer(out, h.out);
			evbuffer_add_printf(out, "</ol>");
		}
		evbuffer_free(h.out);
	}
	evbuffer_add_printf(out, "</section>\n<footer>Generated ");
	html_time(out, (int64_t)time(NULL));
	evbuffer_add_printf(out, "<span id=state></span>. "
	    "<a href=\"metrics\">Prometheus</a> · <a href=\"status.json\">"
	    "JSON</a></footer>\n</main>%s</body></html>\n", html_script);
}

/* The server */

static bool
authorized(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char	*h, *peer = NULL;
	unsigned char	 dec[512];
	ev_uint16_t	 port;
	int		 n;
	size_t		 len;

	if (srv.auth == NULL) {
		/* conf_check allows no credentials on loopback only; the
		 * peer check keeps a proxy in front honest too. */
		evhttp_connection_get_peer(conn, (char **)&peer, &port);
		return peer != NULL && stats_host_is_loopback(peer);
	}
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return false;
	for (h += 6; *h == ' '; h++)
		;
	len = strlen(h);
	if (len == 0 || len % 4 != 0 || len / 4 * 3 >= sizeof(dec))
		return false;
	if ((n = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)len)) < 0)
		return false;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (h[len - 1] == '=')
		n--;
	if (h[len - 2] == '=')
		n--;
	return (size_t)n == strlen(srv.auth) &&
	    CRYPTO_memcmp(dec, srv.auth, (size_t)n) == 0;
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq	*oh = evhttp_request_get_output_headers(req);
	struct evbuffer		*body;
	const char		*uri = evhttp_request_get_uri(req), *type;
	size_t			 plen;

	if (!authorized(req)) {
		evhttp_add_header(oh, "WWW-Authenticate",
		    "Basic realm=\"vtools\", charset=\"UTF-8\"");
		evhttp_add_header(oh, "Content-Type", "text/plain");
		if ((body = evbuffer_new()) != NULL)
			evbuffer_add_printf(body, "401 authorization "
			    "required\n");
		evhttp_send_reply(req, 401, "Unauthorized", body);
		if (body != NULL)
			evbuffer_free(body);
		return;
	}
	plen = strcspn(uri, "?#");
	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (plen == 1 && uri[0] == '/') {
		metrics_status_html(body);
		type = "text/html; charset=utf-8";
	} else if (plen == 8 && strncmp(uri, "/metrics", 8) == 0) {
		metrics_prometheus(body);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (plen == 12 && strncmp(uri, "/status.json", 12) == 0) {
		metrics_status_json(body);
		type = "application/json";
	} else {
		evbuffer_free(body);
		evhttp_send_error(req, 404, NULL);
		return;
	}
	evhttp_add_header(oh, "Content-Type", type);
	evhttp_add_header(oh, "Cache-Control", "no-store");
	/* The page carries its own style and script and needs nothing
	 * else: say so, so an injected string could not load more. */
	evhttp_add_header(oh, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
	    "connect-src 'self'; img-src data:");
	evhttp_add_header(oh, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
metrics_stop(void)
{
	if (srv.http != NULL)
		evhttp_free(srv.http);
	srv.http = NULL;
	free(srv.listen);
	srv.listen = NULL;
	if (srv.auth != NULL)
		OPENSSL_cleanse(srv.auth, strlen(srv.auth));
	free(srv.auth);
	srv.auth = NULL;
}

int
metrics_configure(struct event_base *base, const struct conf *c, char *err,
    size_t errlen)
{
	const struct conf_metrics	*m = &c->metrics;
	struct evhttp			*http;
	const char			*why = NULL;
	char				 host[64];
	uint16_t			 port;
	size_t				 n;

	if (m->listen == NULL) {
		metrics_stop();
		return 0;
	}
	if (srv.http == NULL || !same(srv.listen, m->listen)) {
		if (stats_listen_parse(m->listen, host, sizeof(host), &port,
		    &why) == -1) {
			snprintf(err, errlen, "metrics.listen %s: %s",
			    m->listen, why);
			return -1;
		}
		/* The old listener may hold the port: it goes first. */
		metrics_stop();
		if ((http = evhttp_new(base)) == NULL) {
			snprintf(err, errlen, "metrics: out of memory");
			return -1;
		}
		if (evhttp_bind_socket_with_handle(http, host, port) == NULL) {
			snprintf(err, errlen, "cannot listen on %s (metrics): "
			    "address in use or not available", m->listen);
			evhttp_free(http);
			return -1;
		}
		evhttp_set_allowed_methods(http, EVHTTP_REQ_GET |
		    EVHTTP_REQ_HEAD);
		evhttp_set_timeout(http, METRICS_TIMEOUT_SEC);
		evhttp_set_max_headers_size(http, METRICS_MAX_HEADERS);
		evhttp_set_max_body_size(http, 0);
		evhttp_set_gencb(http, request_cb, NULL);
		srv.http = http;
		srv.listen = xstrdup(m->listen);
	}
	srv.base = base;
	if (srv.auth != NULL)
		OPENSSL_cleanse(srv.auth, strlen(srv.auth));
	free(srv.auth);
	srv.auth = NULL;
	if (m->user != NULL && m->password != NULL) {
		n = strlen(m->user) + strlen(m->password) + 2;
		srv.auth = xmalloc(n);
		snprintf(srv.auth, n, "%s:%s", m->user, m->password);
	}
	return 0;
}
