/* SPDX-License-Identifier: MIT */
/*
 * stats.c: the counter registry. Counters are created on first use and
 * never freed before exit, so a session may keep pointers into them across
 * a reload; they are keyed by name (a tag, an email), which is what lets
 * the old engine's sessions and the new engine's count into the same ones.
 */
#include "stats/stats.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "base/log.h"
#include "base/strmap.h"
#include "base/util.h"
#include "conf/conf.h"
#include "core/dynport.h"
#include "core/engine.h"
#include "core/session.h"
#include "core/udp.h"
#include "mux/mux.h"

#ifndef VTOOLS_VERSION
#define VTOOLS_VERSION "0.0.0"
#endif

static void	link_unref(struct stats_link *);

#define STATS_ERRORS	16	/* recent warnings and errors kept */
#define STATS_ERROR_LEN	240

struct stats_counter {			/* V2Ray's named counter */
	enum stats_kind	 kind;
	char		*name;		/* email or tag */
	uint64_t	 up, down;
	bool		 has_up, has_down;
};

struct stats_inbound {
	char		*name;
	uint64_t	 open, total;
	uint64_t	 hs[STATS_HS_MAX];
};

struct stats_routec {
	char		*rule;
	char		*outbound;
	uint64_t	 n;
};

struct stats_link {
	unsigned		 id;
	char			*role, *name, *peer;
	struct mux_worker	*w;
	int64_t			 since, last_beat;
	uint64_t		 up, down;
	unsigned		 refs;		/* the owner, the session */
	struct stats_link	*next;
};

/* A growable list of pointers with a name index. */
struct stats_set {
	void		**v;
	size_t		  n;
	struct strmap	  idx;
};

static struct {
	bool		 init;
	const char	*tool;
	int64_t		 started;
	uint64_t	 start_ms;
	struct engine	*eng;
	size_t		 sessions;
	uint64_t	 errors;
	struct stats_set counters, inbounds, routes;
	struct stats_link *links;
	unsigned	 next_link;
	struct {
		int64_t	 when;
		char	 line[STATS_ERROR_LEN];
	}		 err[STATS_ERRORS];
	size_t		 nerr, err_next;
	bool		 dumping;	/* SIGUSR2's lines are no errors */
} st;

static int64_t
wall_now(void)
{
	return (int64_t)time(NULL);
}

void
stats_init(const char *tool)
{
	if (st.init)
		return;
	st.init = true;
	st.tool = tool;
	st.started = wall_now();
	st.start_ms = util_now_ms();
	log_set_error_hook(stats_note_error);
}

void
stats_set_engine(struct engine *eng)
{
	st.eng = eng;
}

struct engine *
stats_engine(void)
{
	return st.eng;
}

/* The item named key in set, or NULL (make it with mk when asked to). */
static void *
set_get(struct stats_set *set, const char *key, void *(*mk)(const char *))
{
	uint32_t	*i = strmap_get(&set->idx, key);
	void		*item;

	if (i != NULL)
		return set->v[*i];
	if (mk == NULL)
		return NULL;
	item = mk(key);
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	if (strmap_add(&set->idx, key, (uint32_t)set->n) == -1)
		abort();	/* out of memory, as xmalloc */
	set->v[set->n++] = item;
	return item;
}

static void *
inbound_mk(const char *key)
{
	struct stats_inbound	*ib = xcalloc(1, sizeof(*ib));

	ib->name = xstrdup(key);
	return ib;
}

/* "inbound>>>TAG" style keys: the kind's word, then the name. */
static const char *const kind_word[] = { "user", "inbound", "outbound" };

static void *
counter_mk(const char *key)
{
	struct stats_counter	*c = xcalloc(1, sizeof(*c));
	const char		*sep = strstr(key, ">>>");
	int			 k;

	for (k = 0; k < 3; k++)
		if (strncmp(key, kind_word[k], strlen(kind_word[k])) == 0 &&
		    key + strlen(kind_word[k]) == sep)
			c->kind = (enum stats_kind)k;
	c->name = xstrdup(sep != NULL ? sep + 3 : key);
	return c;
}

/* Keys are built whole (names have no length limit): one per lookup. */
static char *
key_join(const char *a, const char *sep, const char *b)
{
	size_t	 n = strlen(a) + strlen(sep) + strlen(b) + 1;
	char	*k = xmalloc(n);

	snprintf(k, n, "%s%s%s", a, sep, b);
	return k;
}

static struct stats_counter *
counter_get(enum stats_kind kind, const char *name)
{
	char			*key = key_join(kind_word[kind], ">>>", name);
	struct stats_counter	*c = set_get(&st.counters, key, counter_mk);

	free(key);
	return c;
}

static void *
route_mk(const char *key)
{
	struct stats_routec	*r = xcalloc(1, sizeof(*r));
	const char		*sep = strchr(key, '\n');

	r->rule = xstrdup(key);
	r->rule[sep - key] = '\0';
	r->outbound = xstrdup(sep + 1);
	return r;
}

/* An inbound's name on the page: its tag, else protocol:port. */
static const char *
inbound_name(const struct conf_inbound *c, char *buf, size_t len)
{
	if (c->tag != NULL && *c->tag != '\0')
		return c->tag;
	snprintf(buf, len, "%s:%u", conf_proto_name(c->proto), c->port.from);
	return buf;
}

void
stats_session_new(struct session *s, bool accepted)
{
	char			 buf[64];
	struct stats_inbound	*ib;

	st.sessions++;
	if (!accepted || s->in == NULL)
		return;
	ib = set_get(&st.inbounds, inbound_name(s->in->c, buf, sizeof(buf)),
	    inbound_mk);
	ib->open++;
	ib->total++;
	s->st.conn = ib;
}

void
stats_session_close(struct session *s)
{
	st.sessions--;
	if (s->st.conn != NULL)
		s->st.conn->open--;
	s->st.conn = NULL;
	if (s->st.link != NULL)
		link_unref(s->st.link);
	s->st.link = NULL;
}

/* Each direction's list stays NULL-terminated: a NULL is not added. */
static void
tap_add(struct stats_taps *t, uint64_t *up, uint64_t *down)
{
	int	 i;

	for (i = 0; up != NULL && i < STATS_TAPS; i++)
		if (t->up[i] == NULL) {
			t->up[i] = up;
			break;
		}
	for (i = 0; down != NULL && i < STATS_TAPS; i++)
		if (t->down[i] == NULL) {
			t->down[i] = down;
			break;
		}
}

/* A counter's direction, when its switch is on; else NULL. */
static uint64_t *
pick(struct stats_counter *c, bool on, bool up)
{
	if (!on)
		return NULL;
	if (up) {
		c->has_up = true;
		return &c->up;
	}
	c->has_down = true;
	return &c->down;
}

static void
taps_add_counter(struct stats_taps *t, enum stats_kind kind,
    const char *name, bool up_on, bool down_on)
{
	struct stats_counter	*c;
	uint64_t		*u, *d;

	if (name == NULL || *name == '\0' || (!up_on && !down_on))
		return;
	c = counter_get(kind, name);
	u = pick(c, up_on, true);
	d = pick(c, down_on, false);
	tap_add(t, u, d);
}

/*
 * As V2Ray 4.34's dispatcher: traffic is counted for the inbound (by tag)
 * and the user (by email, when the user's level asks for it) that routing
 * saw, and for the outbound it chose. Links that only carry other
 * sessions (a Mux connection, an internal session without an inbound) are
 * not counted again: their sub-sessions are.
 */
static void
resolve(struct stats_taps *t, const struct conf *c, const char *in_tag,
    const char *user, const struct conf_level *lv, const char *out_tag)
{
	t->resolved = true;
	if (!c->stats)
		return;
	taps_add_counter(t, STATS_INBOUND, in_tag, c->stats_in_up,
	    c->stats_in_down);
	taps_add_counter(t, STATS_USER, user, lv->stats_user_up,
	    lv->stats_user_down);
	taps_add_counter(t, STATS_OUTBOUND, out_tag, c->stats_out_up,
	    c->stats_out_down);
}

void
stats_session_relay(struct session *s)
{
	if (s->st.resolved || s->out == NULL ||
	    (s->in == NULL && s->in_tag == NULL))
		return;
	resolve(&s->st, s->eng->conf, s->in != NULL ? s->in->c->tag : NULL,
	    s->user, &s->policy, s->out->c->tag);
}

void
stats_flow_count(struct udp_flow *f, bool up, size_t n)
{
	struct conf_level	 lv;

	if (!f->st.resolved && f->out != NULL) {
		lv = conf_policy(f->eng->conf, f->level);
		resolve(&f->st, f->eng->conf, f->in != NULL ? f->in->c->tag :
		    NULL, f->user, &lv, f->out->c->tag);
	}
	stats_count(&f->st, up, n);
}

void
stats_handshake_fail(struct session *s, enum stats_hs why)
{
	if (s->st.hs_failed || s->state != SESSION_HANDSHAKE)
		return;
	s->st.hs_failed = true;
	if (s->st.conn != NULL)
		s->st.conn->hs[why]++;
}

enum stats_hs
stats_vmess_reason(const char *err)
{
	if (err == NULL)
		return STATS_HS_BAD_REQUEST;
	if (strstr(err, "replay") != NULL || strstr(err, "duplicated") != NULL)
		return STATS_HS_REPLAY;
	if (strstr(err, "invalid user") != NULL || strstr(err,
	    "tainted") != NULL || strstr(err, "authentication") != NULL)
		return STATS_HS_BAD_AUTH;
	return STATS_HS_BAD_REQUEST;
}

void
stats_route(int rule, const struct outbound_rt *ob)
{
	char			 idx[16], *key;
	struct stats_routec	*r;

	if (rule >= 0)
		snprintf(idx, sizeof(idx), "%d", rule);
	else
		snprintf(idx, sizeof(idx), "default");
	key = key_join(idx, "\n", ob != NULL && ob->c->tag != NULL ?
	    ob->c->tag : "");
	r = set_get(&st.routes, key, route_mk);
	r->n++;
	free(key);
}

struct stats_link *
stats_link_new(const char *role, const char *name, const char *peer,
    struct mux_worker *w)
{
	struct stats_link	*l = xcalloc(1, sizeof(*l));

	l->id = ++st.next_link;
	l->role = xstrdup(role);
	l->name = xstrdup(name != NULL ? name : "");
	l->peer = xstrdup(peer != NULL ? peer : "");
	l->w = w;
	l->since = wall_now();
	l->refs = 1;
	l->next = st.links;
	st.links = l;
	return l;
}

void
stats_link_attach(struct stats_link *l, struct session *s)
{
	if (s->st.link != NULL)
		return;
	tap_add(&s->st, &l->up, &l->down);
	s->st.link = l;
	l->refs++;
}

static void
link_unref(struct stats_link *l)
{
	if (--l->refs > 0)
		return;
	free(l->role);
	free(l->name);
	free(l->peer);
	free(l);
}

void
stats_link_beat(struct stats_link *l)
{
	if (l != NULL)
		l->last_beat = wall_now();
}

void
stats_link_free(struct stats_link *l)
{
	struct stats_link	**pp;

	if (l == NULL)
		return;
	for (pp = &st.links; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	l->w = NULL;
	link_unref(l);
}

void
stats_note_error(const char *line)
{
	if (st.dumping)
		return;
	st.errors++;
	st.err[st.err_next].when = wall_now();
	snprintf(st.err[st.err_next].line, STATS_ERROR_LEN, "%s", line);
	st.err_next = (st.err_next + 1) % STATS_ERRORS;
	if (st.nerr < STATS_ERRORS)
		st.nerr++;
}

void
stats_reset(void)
{
	size_t			 i;
	struct stats_counter	*c;
	struct stats_inbound	*ib;

	for (i = 0; i < st.counters.n; i++) {
		c = st.counters.v[i];
		c->up = c->down = 0;
	}
	for (i = 0; i < st.inbounds.n; i++) {
		ib = st.inbounds.v[i];
		ib->total = 0;
		memset(ib->hs, 0, sizeof(ib->hs));
	}
	for (i = 0; i < st.routes.n; i++)
		((struct stats_routec *)st.routes.v[i])->n = 0;
}

void
stats_reload(const struct conf *c)
{
	if (c->metrics.reset_on_reload)
		stats_reset();
}

/* Readers */

void
stats_walk_traffic(void (*fn)(const struct stats_traffic *, void *),
    void *arg)
{
	struct stats_traffic	 t;
	struct stats_counter	*c;
	size_t			 i;

	for (i = 0; i < st.counters.n; i++) {
		c = st.counters.v[i];
		t.kind = c->kind;
		t.name = c->name;
		t.up = c->up;
		t.down = c->down;
		t.has_up = c->has_up;
		t.has_down = c->has_down;
		fn(&t, arg);
	}
}

static void
view_fill(struct stats_inbound_view *v, const struct stats_inbound *ib)
{
	memset(v, 0, sizeof(*v));
	v->name = ib->name;
	v->proto = "";
	v->listen = "";
	v->open = ib->open;
	v->total = ib->total;
	memcpy(v->hs, ib->hs, sizeof(v->hs));
}

/*
 * The serving engine's inbounds first, in config order (with their
 * address), then those only earlier configs had.
 */
void
stats_walk_inbounds(void (*fn)(const struct stats_inbound_view *, void *),
    void *arg)
{
	struct stats_inbound_view	 v;
	struct stats_inbound		*ib, zero;
	const struct conf_inbound	*c;
	uint16_t			 ports[1024];
	bool				*seen;
	char				 buf[64];
	const char			*name;
	size_t				 i;
	uint32_t			*k;

	seen = xcalloc(st.inbounds.n + 1, sizeof(*seen));
	for (i = 0; st.eng != NULL && i < st.eng->ninbounds; i++) {
		c = st.eng->inbounds[i].c;
		name = inbound_name(c, buf, sizeof(buf));
		if ((k = strmap_get(&st.inbounds.idx, name)) != NULL) {
			ib = st.inbounds.v[*k];
			seen[*k] = true;
		} else {
			memset(&zero, 0, sizeof(zero));
			zero.name = (char *)name;
			ib = &zero;
		}
		view_fill(&v, ib);
		v.running = true;
		v.proto = conf_proto_name(c->proto);
		v.listen = conf_inbound_listen(c);
		v.port_from = c->port.from;
		v.port_to = c->port.to;
		if (st.eng->inbounds[i].dyn != NULL)
			v.dynports = dynport_ports(st.eng->inbounds[i].dyn,
			    ports, sizeof(ports) / sizeof(ports[0]));
		fn(&v, arg);
	}
	for (i = 0; i < st.inbounds.n; i++) {
		if (seen[i])
			continue;
		view_fill(&v, st.inbounds.v[i]);
		fn(&v, arg);
	}
	free(seen);
}

void
stats_walk_routes(void (*fn)(const char *, const char *, uint64_t, void *),
    void *arg)
{
	struct stats_routec	*r;
	size_t			 i;

	for (i = 0; i < st.routes.n; i++) {
		r = st.routes.v[i];
		fn(r->rule, r->outbound, r->n, arg);
	}
}

void
stats_walk_links(void (*fn)(const struct stats_link_view *, void *),
    void *arg)
{
	struct stats_link_view	 v;
	struct stats_link	*l;

	for (l = st.links; l != NULL; l = l->next) {
		v.id = l->id;
		v.role = l->role;
		v.name = l->name;
		v.peer = l->peer;
		v.since = l->since;
		v.last_beat = l->last_beat;
		v.sessions = l->w != NULL ? mux_worker_total(l->w) : 0;
		v.active = l->w != NULL ? mux_worker_active(l->w) : 0;
		v.up = l->up;
		v.down = l->down;
		fn(&v, arg);
	}
}

void
stats_walk_errors(void (*fn)(int64_t, const char *, void *), void *arg)
{
	size_t	 i, at;

	for (i = 0; i < st.nerr; i++) {
		at = (st.err_next + STATS_ERRORS - st.nerr + i) % STATS_ERRORS;
		fn(st.err[at].when, st.err[at].line, arg);
	}
}

void
stats_get_summary(struct stats_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->tool = st.tool != NULL ? st.tool : "vtools";
	sum->version = VTOOLS_VERSION;
	sum->started = st.started;
	sum->uptime_ms = util_now_ms() - st.start_ms;
	sum->sessions = st.sessions;
	sum->errors = st.errors;
	sum->stats = st.eng != NULL && st.eng->conf->stats;
}

const char *
stats_hs_name(enum stats_hs why)
{
	static const char *const names[STATS_HS_MAX] = { "bad_auth",
	    "replay", "bad_request", "timeout", "shed", "source_cap" };

	return why < STATS_HS_MAX ? names[why] : "other";
}

/* SIGUSR2 */

static void
dump_traffic(const struct stats_traffic *t, void *arg)
{
	if (t->has_up)
		log_warn("stats: %s>>>%s>>>traffic>>>uplink %llu",
		    kind_word[t->kind], t->name, (unsigned long long)t->up);
	if (t->has_down)
		log_warn("stats: %s>>>%s>>>traffic>>>downlink %llu",
		    kind_word[t->kind], t->name, (unsigned long long)t->down);
}

static void
dump_inbound(const struct stats_inbound_view *v, void *arg)
{
	char	 hs[256];
	size_t	 o = 0;
	int	 i;

	hs[0] = '\0';
	for (i = 0; i < STATS_HS_MAX; i++)
		if (v->hs[i] > 0 && o < sizeof(hs))
			o += (size_t)snprintf(hs + o, sizeof(hs) - o,
			    " %s=%llu", stats_hs_name((enum stats_hs)i),
			    (unsigned long long)v->hs[i]);
	log_warn("stats: inbound %s: connections open %llu total %llu%s%s",
	    v->name, (unsigned long long)v->open,
	    (unsigned long long)v->total, hs[0] != '\0' ?
	    "; handshake failures" : "", hs);
}

static void
dump_route(const char *rule, const char *ob, uint64_t n, void *arg)
{
	log_warn("stats: route rule %s -> %s: %llu", rule, ob,
	    (unsigned long long)n);
}

static void
dump_link(const struct stats_link_view *v, void *arg)
{
	log_warn("stats: %s %s link %u%s%s: up since %lld, %u sessions (%zu "
	    "open), up %llu down %llu bytes, last heartbeat %lld", v->role,
	    v->name, v->id, *v->peer != '\0' ? " from " : "", v->peer,
	    (long long)v->since, v->sessions, v->active,
	    (unsigned long long)v->up, (unsigned long long)v->down,
	    (long long)v->last_beat);
}

void
stats_log_dump(void)
{
	struct stats_summary	 sum;

	st.dumping = true;
	stats_get_summary(&sum);
	log_warn("stats: %s up %llu s, %zu sessions, stats %s", sum.tool,
	    (unsigned long long)(sum.uptime_ms / 1000), sum.sessions,
	    sum.stats ? "on" : "off (no \"stats\" object)");
	stats_walk_traffic(dump_traffic, NULL);
	stats_walk_inbounds(dump_inbound, NULL);
	stats_walk_routes(dump_route, NULL);
	stats_walk_links(dump_link, NULL);
	st.dumping = false;
}

/* Listen addresses */

bool
stats_host_is_loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

int
stats_listen_parse(const char *s, char *host, size_t hostlen, uint16_t *port,
    const char **errstr)
{
	const char	*colon, *p, *h = "127.0.0.1";
	size_t		 hl = 9;
	unsigned long	 n;
	char		*e;
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (s == NULL || *s == '\0') {
		*errstr = "empty address";
		return -1;
	}
	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL) {
			*errstr = "want [IPv6]:PORT";
			return -1;
		}
		h = s + 1;
		hl = (size_t)(colon - h);
		p = colon + 2;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		if (strchr(s, ':') != colon) {
			*errstr = "write an IPv6 address as [ADDR]:PORT";
			return -1;
		}
		if (colon != s) {
			h = s;
			hl = (size_t)(colon - s);
		}
		p = colon + 1;
	} else
		p = s;
	n = strtoul(p, &e, 10);
	if (*p < '0' || *p > '9' || *e != '\0' || n == 0 || n > 65535) {
		*errstr = "port must be 1..65535";
		return -1;
	}
	if (hl == 0 || hl >= hostlen) {
		*errstr = "bad host";
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &a4) != 1 &&
	    inet_pton(AF_INET6, host, &a6) != 1) {
		*errstr = "host must be an IP address";
		return -1;
	}
	*port = (uint16_t)n;
	return 0;
}
