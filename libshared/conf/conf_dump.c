/* SPDX-License-Identifier: MIT */
/*
 * conf_dump.c: write the effective configuration back out, as canonical
 * V2Ray 4.34 JSON (every default spelled out) or in the INI format of
 * conf_ini.c (docs/ini-format.md). Loading either dump gives the same JSON.
 */
#include "conf/conf.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/util.h"

/* INI lists are wrapped by repeating the key once a line passes this. */
#define DUMP_INI_WIDTH	100

/*
 * What the effective configuration ignores (kcp settings on a tcp stream,
 * sniffing protocols while sniffing is off, the mux concurrency while mux
 * is off, empty optional strings) is left out of both dumps: the INI form
 * cannot carry it, and the JSON dumps of both must be byte-equal.
 */
static bool
dump_set(const char *s)
{
	return s != NULL && *s != '\0';
}

static int
dump_level_cmp(const void *a, const void *b)
{
	const struct conf_level	*la = a, *lb = b;

	return la->level < lb->level ? -1 : la->level > lb->level;
}

/*
 * The policy levels in numeric order, level 0 always among them (with
 * the 4.34 defaults when unset) so the dump shows what applies.
 */
static struct conf_level *
dump_levels(const struct conf *c, size_t *np)
{
	struct conf_level	*v;
	size_t			 n = c->nlevels, i;
	bool			 has0 = false;

	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i] = c->levels[i];
		if (v[i].level == 0)
			has0 = true;
	}
	if (!has0)
		conf_level_init(&v[n++], 0);
	qsort(v, n, sizeof(*v), dump_level_cmp);
	*np = n;
	return v;
}

static const char *
dump_logdest(enum conf_logdest dest, const char *path)
{
	switch (dest) {
	case CONF_LOGDEST_OFF:
		return "none";
	case CONF_LOGDEST_FILE:
		return path != NULL ? path : "";
	case CONF_LOGDEST_CONSOLE:
		break;
	}
	return "";
}

/* allocate.refresh: whole minutes as a number, anything else as "Ns". */
static void
dump_refresh(int sec, char *buf, size_t size, bool *minutes)
{
	*minutes = sec % 60 == 0;
	if (*minutes)
		snprintf(buf, size, "%d", sec / 60);
	else
		snprintf(buf, size, "%ds", sec);
}

static const char *
dump_listen(const struct conf_inbound *in)
{
	return conf_inbound_listen(in);
}

/* JSON. */

static void
dj_add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static void
dj_str(struct json_object *o, const char *key, const char *s)
{
	dj_add(o, key, json_object_new_string(s != NULL ? s : ""));
}

static void
dj_opt(struct json_object *o, const char *key, const char *s)
{
	if (dump_set(s))
		dj_str(o, key, s);
}

static void
dj_int(struct json_object *o, const char *key, int64_t n)
{
	dj_add(o, key, json_object_new_int64(n));
}

static void
dj_bool(struct json_object *o, const char *key, bool b)
{
	dj_add(o, key, json_object_new_boolean(b));
}

static void
dj_strv(struct json_object *o, const char *key, const struct conf_strv *sv)
{
	struct json_object	*a;
	size_t			 i;

	if (sv->n == 0)
		return;
	a = json_object_new_array();
	for (i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	dj_add(o, key, a);
}

static struct json_object *
dj_log(const struct conf *c)
{
	struct json_object	*o = json_object_new_object();

	dj_str(o, "access", dump_logdest(c->log.access_dest,
	    c->log.access_path));
	dj_str(o, "error", dump_logdest(c->log.error_dest, c->log.error_path));
	dj_str(o, "loglevel", conf_loglevel_name(c->log.level));
	return o;
}

static struct json_object *
dj_policy(const struct conf *c)
{
	struct json_object	*o, *levels, *lo;
	struct conf_level	*v;
	size_t			 i, n;
	char			 key[16];

	v = dump_levels(c, &n);
	levels = json_object_new_object();
	for (i = 0; i < n; i++) {
		lo = json_object_new_object();
		dj_int(lo, "handshake", v[i].handshake);
		dj_int(lo, "connIdle", v[i].conn_idle);
		dj_int(lo, "uplinkOnly", v[i].uplink_only);
		dj_int(lo, "downlinkOnly", v[i].downlink_only);
		dj_int(lo, "bufferSize", v[i].buffer_size < 0 ? -1 :
		    v[i].buffer_size);
		if (v[i].stats_user_up)
			dj_bool(lo, "statsUserUplink", true);
		if (v[i].stats_user_down)
			dj_bool(lo, "statsUserDownlink", true);
		snprintf(key, sizeof(key), "%u", v[i].level);
		dj_add(levels, key, lo);
	}
	free(v);
	o = json_object_new_object();
	dj_add(o, "levels", levels);
	lo = json_object_new_object();
	dj_int(lo, "handshakePerSource", c->hs_per_source);
	if (c->stats_in_up)
		dj_bool(lo, "statsInboundUplink", true);
	if (c->stats_in_down)
		dj_bool(lo, "statsInboundDownlink", true);
	if (c->stats_out_up)
		dj_bool(lo, "statsOutboundUplink", true);
	if (c->stats_out_down)
		dj_bool(lo, "statsOutboundDownlink", true);
	dj_add(o, "system", lo);
	return o;
}

/* "stats" and our "metrics", only when given. */
static void
dj_stats(struct json_object *root, const struct conf *c)
{
	const struct conf_metrics	*m = &c->metrics;
	struct json_object		*o;

	if (c->stats)
		dj_add(root, "stats", json_object_new_object());
	if (m->listen == NULL && m->user == NULL && m->password == NULL &&
	    !m->reset_on_reload)
		return;
	o = json_object_new_object();
	if (m->listen != NULL)
		dj_str(o, "listen", m->listen);
	if (m->user != NULL)
		dj_str(o, "user", m->user);
	if (m->password != NULL)
		dj_str(o, "password", m->password);
	if (m->reset_on_reload)
		dj_bool(o, "resetOnReload", true);
	dj_add(root, "metrics", o);
}

static struct json_object *
dj_ports(struct conf_ports p)
{
	char	buf[16];

	if (p.from == p.to)
		return json_object_new_int(p.from);
	snprintf(buf, sizeof(buf), "%u-%u", p.from, p.to);
	return json_object_new_string(buf);
}

static struct json_object *
dj_lines(const char *pem)
{
	struct json_object	*a = json_object_new_array();
	const char		*p, *q;

	for (p = pem; *p != '\0'; p = *q != '\0' ? q + 1 : q) {
		q = strchr(p, '\n');
		if (q == NULL)
			q = p + strlen(p);
		json_object_array_add(a, json_object_new_string_len(p,
		    (int)(q - p)));
	}
	return a;
}

static struct json_object *
dj_tls(const struct conf_tls *t)
{
	struct json_object	*o = json_object_new_object(), *a, *co;
	const struct conf_cert	*c;
	size_t			 i;

	dj_opt(o, "serverName", t->server_name);
	dj_bool(o, "allowInsecure", t->allow_insecure);
	dj_bool(o, "disableSystemRoot", t->disable_system_root);
	if (t->has_alpn) {
		a = json_object_new_array();
		for (i = 0; i < t->alpn.n; i++)
			json_object_array_add(a,
			    json_object_new_string(t->alpn.v[i]));
		dj_add(o, "alpn", a);
	}
	a = json_object_new_array();
	for (i = 0; i < t->ncerts; i++) {
		c = &t->certs[i];
		co = json_object_new_object();
		dj_str(co, "usage", c->usage == CONF_CERT_VERIFY ? "verify" :
		    "encipherment");
		dj_opt(co, "certificateFile", c->cert_file);
		dj_opt(co, "keyFile", c->key_file);
		/* Inline PEM as 4.34 takes it: one string a line. */
		if (c->cert_file == NULL && c->cert_pem != NULL)
			dj_add(co, "certificate", dj_lines(c->cert_pem));
		if (c->key_file == NULL && c->key_pem != NULL)
			dj_add(co, "key", dj_lines(c->key_pem));
		json_object_array_add(a, co);
	}
	dj_add(o, "certificates", a);
	return o;
}

static struct json_object *
dj_h2(const struct conf_h2 *h)
{
	struct json_object	*o = json_object_new_object();

	dj_strv(o, "host", &h->host);
	if (h->path != NULL)
		dj_str(o, "path", h->path);
	return o;
}

static struct json_object *
dj_http_fields(const struct conf_http_field *f, size_t n)
{
	struct json_object	*o = json_object_new_object();
	size_t			 i;

	for (i = 0; i < n; i++)
		dj_strv(o, f[i].name, &f[i].values);
	return o;
}

/* tcpSettings, when it says more than the defaults. */
static void
dj_tcp(struct json_object *o, const struct conf_tcp *t)
{
	struct json_object	*to, *ho, *r;

	if (!t->accept_proxy_protocol && !t->http_header)
		return;
	to = json_object_new_object();
	if (t->accept_proxy_protocol)
		dj_bool(to, "acceptProxyProtocol", true);
	if (t->http_header) {
		ho = json_object_new_object();
		dj_str(ho, "type", "http");
		r = json_object_new_object();
		dj_opt(r, "version", t->req.version);
		dj_opt(r, "method", t->req.method);
		if (t->req.path.n > 0)
			dj_strv(r, "path", &t->req.path);
		if (t->req.nfields > 0)
			dj_add(r, "headers", dj_http_fields(t->req.fields,
			    t->req.nfields));
		dj_add(ho, "request", r);
		r = json_object_new_object();
		dj_opt(r, "version", t->resp.version);
		dj_opt(r, "status", t->resp.status);
		dj_opt(r, "reason", t->resp.reason);
		if (t->resp.nfields > 0)
			dj_add(r, "headers", dj_http_fields(t->resp.fields,
			    t->resp.nfields));
		dj_add(ho, "response", r);
		dj_add(to, "header", ho);
	}
	dj_add(o, "tcpSettings", to);
}

static struct json_object *
dj_ws(const struct conf_ws *w)
{
	struct json_object	*o = json_object_new_object(), *h;
	size_t			 i;

	if (w->path != NULL)
		dj_str(o, "path", w->path);
	if (w->host != NULL || w->hdr_names.n > 0) {
		h = json_object_new_object();
		if (w->host != NULL)
			dj_str(h, "Host", w->host);
		for (i = 0; i < w->hdr_names.n; i++)
			dj_str(h, w->hdr_names.v[i], w->hdr_values.v[i]);
		dj_add(o, "headers", h);
	}
	if (w->accept_proxy_protocol)
		dj_bool(o, "acceptProxyProtocol", true);
	return o;
}

static struct json_object *
dj_stream(const struct conf_stream *st)
{
	const struct conf_kcp	*k = &st->kcp;
	struct json_object	*o, *ko, *ho;

	o = json_object_new_object();
	if (st->tls) {
		dj_str(o, "security", "tls");
		dj_add(o, "tlsSettings", dj_tls(&st->tlss));
	}
	if (st->network == CONF_NET_WS) {
		dj_str(o, "network", "ws");
		dj_add(o, "wsSettings", dj_ws(&st->ws));
		return o;
	}
	if (st->network == CONF_NET_H2) {
		dj_str(o, "network", "http");
		dj_add(o, "httpSettings", dj_h2(&st->h2));
		return o;
	}
	if (st->network != CONF_NET_KCP) {
		dj_str(o, "network", "tcp");
		dj_tcp(o, &st->tcp);
		return o;
	}
	dj_str(o, "network", "kcp");
	ko = json_object_new_object();
	dj_int(ko, "mtu", k->mtu);
	dj_int(ko, "tti", k->tti);
	dj_int(ko, "uplinkCapacity", k->uplink_capacity);
	dj_int(ko, "downlinkCapacity", k->downlink_capacity);
	dj_bool(ko, "congestion", k->congestion);
	dj_int(ko, "readBufferSize", k->read_buffer_size);
	dj_int(ko, "writeBufferSize", k->write_buffer_size);
	ho = json_object_new_object();
	dj_str(ho, "type", k->header_type != NULL ? k->header_type : "none");
	dj_add(ko, "header", ho);
	/* An empty seed still selects the AEAD obfuscation: keep it. */
	if (k->seed != NULL)
		dj_str(ko, "seed", k->seed);
	dj_add(o, "kcpSettings", ko);
	return o;
}

static struct json_object *
dj_user(const struct conf_user *u, bool outbound)
{
	struct json_object	*o = json_object_new_object();

	dj_str(o, "id", u->id);
	dj_int(o, "alterId", u->alter_id);
	if (outbound)
		dj_str(o, "security", conf_security_name(u->security));
	dj_int(o, "level", u->level);
	dj_opt(o, "email", u->email);
	return o;
}

/* accounts of a socks or http inbound, when there are some. */
static void
dj_accounts(struct json_object *o, const struct conf_inbound *in)
{
	struct json_object	*a, *ao;
	size_t			 i;

	if (in->naccounts > 0) {
		a = json_object_new_array();
		for (i = 0; i < in->naccounts; i++) {
			ao = json_object_new_object();
			dj_str(ao, "user", in->accounts[i].user);
			dj_str(ao, "pass", in->accounts[i].pass);
			json_object_array_add(a, ao);
		}
		dj_add(o, "accounts", a);
	}
}

static struct json_object *
dj_socks_in(const struct conf_inbound *in)
{
	struct json_object	*o;

	o = json_object_new_object();
	dj_str(o, "auth", in->socks_password ? "password" : "noauth");
	dj_accounts(o, in);
	dj_bool(o, "udp", in->socks_udp);
	dj_opt(o, "ip", in->socks_ip);
	if (in->http_timeout > 0)
		dj_int(o, "timeout", in->http_timeout);
	dj_int(o, "userLevel", in->user_level);
	return o;
}

static struct json_object *
dj_http_in(const struct conf_inbound *in)
{
	struct json_object	*o = json_object_new_object();

	dj_accounts(o, in);
	dj_bool(o, "allowTransparent", in->http_transparent);
	if (in->http_timeout > 0)
		dj_int(o, "timeout", in->http_timeout);
	dj_int(o, "userLevel", in->user_level);
	return o;
}

static struct json_object *
dj_dokodemo_in(const struct conf_inbound *in)
{
	struct json_object	*o = json_object_new_object();

	dj_opt(o, "address", in->dk_address);
	dj_int(o, "port", in->dk_port);
	dj_str(o, "network", conf_network_name(in->dk_network));
	dj_bool(o, "followRedirect", in->dk_follow_redirect);
	if (in->http_timeout > 0)
		dj_int(o, "timeout", in->http_timeout);
	dj_int(o, "userLevel", in->user_level);
	return o;
}

static struct json_object *
dj_vmess_in(const struct conf_inbound *in)
{
	struct json_object	*o, *a, *d;
	size_t			 i;

	o = json_object_new_object();
	a = json_object_new_array();
	for (i = 0; i < in->nclients; i++)
		json_object_array_add(a, dj_user(&in->clients[i], false));
	dj_add(o, "clients", a);
	if (in->has_default) {
		d = json_object_new_object();
		dj_int(d, "alterId", in->default_alter_id);
		dj_int(d, "level", in->default_level);
		dj_add(o, "default", d);
	}
	if (dump_set(in->detour_to)) {
		d = json_object_new_object();
		dj_str(d, "to", in->detour_to);
		dj_add(o, "detour", d);
	}
	dj_bool(o, "disableInsecureEncryption", in->disable_insecure);
	return o;
}

static struct json_object *
dj_inbound(const struct conf_inbound *in)
{
	struct json_object	*o, *s, *a;
	char			 buf[32];
	bool			 minutes;

	o = json_object_new_object();
	dj_opt(o, "tag", in->tag);
	dj_str(o, "protocol", conf_proto_name(in->proto));
	dj_str(o, "listen", dump_listen(in));
	dj_add(o, "port", dj_ports(in->port));
	switch (in->proto) {
	case CONF_PROTO_SOCKS:
		s = dj_socks_in(in);
		break;
	case CONF_PROTO_HTTP:
		s = dj_http_in(in);
		break;
	case CONF_PROTO_DOKODEMO:
		s = dj_dokodemo_in(in);
		break;
	case CONF_PROTO_VMESS:
		s = dj_vmess_in(in);
		break;
	default:
		s = json_object_new_object();
		break;
	}
	dj_add(o, "settings", s);
	dj_add(o, "streamSettings", dj_stream(&in->stream));
	s = json_object_new_object();
	dj_bool(s, "enabled", in->sniff_enabled);
	if (in->sniff_enabled) {
		a = json_object_new_array();
		if (in->sniff_http)
			json_object_array_add(a,
			    json_object_new_string("http"));
		if (in->sniff_tls)
			json_object_array_add(a,
			    json_object_new_string("tls"));
		dj_add(s, "destOverride", a);
	}
	dj_add(o, "sniffing", s);
	if (in->allocate.present) {
		s = json_object_new_object();
		dj_str(s, "strategy",
		    conf_alloc_strategy_name(in->allocate.strategy));
		dump_refresh(in->allocate.refresh_sec, buf, sizeof(buf),
		    &minutes);
		if (minutes)
			dj_int(s, "refresh", in->allocate.refresh_sec / 60);
		else
			dj_str(s, "refresh", buf);
		dj_int(s, "concurrency", in->allocate.concurrency);
		dj_add(o, "allocate", s);
	}
	return o;
}

static struct json_object *
dj_vmess_out(const struct conf_outbound *out)
{
	struct json_object	*o, *vn, *so, *ua;
	const struct conf_server *srv;
	size_t			 i, j;

	vn = json_object_new_array();
	for (i = 0; i < out->nvnext; i++) {
		srv = &out->vnext[i];
		so = json_object_new_object();
		dj_str(so, "address", srv->address);
		dj_int(so, "port", srv->port);
		ua = json_object_new_array();
		for (j = 0; j < srv->nusers; j++)
			json_object_array_add(ua, dj_user(&srv->users[j],
			    true));
		dj_add(so, "users", ua);
		json_object_array_add(vn, so);
	}
	o = json_object_new_object();
	dj_add(o, "vnext", vn);
	return o;
}

/* socks and http outbounds: servers with their users. */
static struct json_object *
dj_proxy_out(const struct conf_outbound *out)
{
	struct json_object	*o, *vn, *so, *ua, *uo;
	const struct conf_server *srv;
	size_t			 i, j;

	vn = json_object_new_array();
	for (i = 0; i < out->nvnext; i++) {
		srv = &out->vnext[i];
		so = json_object_new_object();
		dj_str(so, "address", srv->address);
		dj_int(so, "port", srv->port);
		if (srv->naccounts > 0) {
			ua = json_object_new_array();
			for (j = 0; j < srv->naccounts; j++) {
				uo = json_object_new_object();
				dj_str(uo, "user", srv->accounts[j].user);
				dj_str(uo, "pass", srv->accounts[j].pass);
				json_object_array_add(ua, uo);
			}
			dj_add(so, "users", ua);
		}
		json_object_array_add(vn, so);
	}
	o = json_object_new_object();
	dj_add(o, "servers", vn);
	return o;
}

static struct json_object *
dj_outbound(const struct conf_outbound *out)
{
	struct json_object	*o, *s;

	o = json_object_new_object();
	dj_opt(o, "tag", out->tag);
	dj_str(o, "protocol", conf_proto_name(out->proto));
	dj_opt(o, "sendThrough", out->send_through);
	s = json_object_new_object();
	switch (out->proto) {
	case CONF_PROTO_FREEDOM:
		dj_str(s, "domainStrategy",
		    conf_dstrategy_name(out->domain_strategy));
		dj_opt(s, "redirect", out->redirect);
		dj_int(s, "userLevel", out->user_level);
		break;
	case CONF_PROTO_BLACKHOLE: {
		struct json_object *r = json_object_new_object();

		dj_str(r, "type", out->bh_http ? "http" : "none");
		dj_add(s, "response", r);
		break;
	}
	case CONF_PROTO_VMESS:
		json_object_put(s);
		s = dj_vmess_out(out);
		break;
	case CONF_PROTO_DNS:
		if (out->dns_network != 0)
			dj_str(s, "network",
			    conf_network_name(out->dns_network));
		dj_opt(s, "address", out->dns_address);
		if (out->dns_port != 0)
			dj_int(s, "port", out->dns_port);
		break;
	case CONF_PROTO_SOCKS:
	case CONF_PROTO_HTTP:
		json_object_put(s);
		s = dj_proxy_out(out);
		break;
	default:
		break;
	}
	dj_add(o, "settings", s);
	dj_add(o, "streamSettings", dj_stream(&out->stream));
	if (dump_set(out->proxy_tag)) {
		s = json_object_new_object();
		dj_str(s, "tag", out->proxy_tag);
		dj_add(o, "proxySettings", s);
	}
	s = json_object_new_object();
	dj_bool(s, "enabled", out->mux_enabled);
	if (out->mux_enabled)
		dj_int(s, "concurrency", out->mux_concurrency);
	dj_add(o, "mux", s);
	return o;
}

static struct json_object *
dj_rule(const struct conf_rule *r)
{
	struct json_object	*o = json_object_new_object();

	dj_str(o, "type", "field");
	dj_strv(o, "domain", &r->domain);
	dj_strv(o, "ip", &r->ip);
	dj_opt(o, "port", r->port);
	dj_opt(o, "sourcePort", r->source_port);
	if (r->network != 0)
		dj_str(o, "network", conf_network_name(r->network));
	dj_strv(o, "source", &r->source);
	dj_strv(o, "user", &r->user);
	dj_strv(o, "inboundTag", &r->inbound_tag);
	dj_strv(o, "protocol", &r->protocol);
	dj_opt(o, "outboundTag", r->outbound_tag);
	dj_opt(o, "balancerTag", r->balancer_tag);
	return o;
}

static struct json_object *
dj_reverse_ends(const struct conf_reverse_end *v, size_t n)
{
	struct json_object	*a, *o;
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		dj_str(o, "tag", v[i].tag);
		dj_str(o, "domain", v[i].domain);
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * The dns object as 4.34 reads it: a list value only when there is one, a
 * server with nothing but an address as a plain string.
 */
static void
dj_dns(struct json_object *root, const struct conf_dns *d)
{
	const struct conf_dns_server	*ds;
	struct json_object		*o, *h, *a, *so;
	size_t				 i;

	if (!d->present)
		return;
	o = json_object_new_object();
	h = json_object_new_object();
	for (i = 0; i < d->nhosts; i++) {
		if (d->hosts[i].values.n == 1)
			dj_str(h, d->hosts[i].key, d->hosts[i].values.v[0]);
		else
			dj_strv(h, d->hosts[i].key, &d->hosts[i].values);
	}
	dj_add(o, "hosts", h);
	a = json_object_new_array();
	for (i = 0; i < d->nservers; i++) {
		ds = &d->servers[i];
		if (ds->port == 0 && ds->domains.n == 0 &&
		    ds->expect_ips.n == 0 && !dump_set(ds->client_ip)) {
			json_object_array_add(a, json_object_new_string(
			    ds->address != NULL ? ds->address : ""));
			continue;
		}
		so = json_object_new_object();
		dj_opt(so, "address", ds->address);
		if (ds->port != 0)
			dj_int(so, "port", ds->port);
		dj_strv(so, "domains", &ds->domains);
		dj_strv(so, "expectIps", &ds->expect_ips);
		dj_opt(so, "clientIp", ds->client_ip);
		json_object_array_add(a, so);
	}
	dj_add(o, "servers", a);
	dj_opt(o, "clientIp", d->client_ip);
	dj_opt(o, "tag", d->tag);
	dj_add(root, "dns", o);
}

void
conf_dump_json(const struct conf *c, FILE *fp)
{
	struct json_object	*root, *a, *o;
	size_t			 i;

	root = json_object_new_object();
	dj_add(root, "log", dj_log(c));
	dj_add(root, "policy", dj_policy(c));
	dj_stats(root, c);
	a = json_object_new_array();
	for (i = 0; i < c->ninbounds; i++)
		json_object_array_add(a, dj_inbound(&c->inbounds[i]));
	dj_add(root, "inbounds", a);
	a = json_object_new_array();
	for (i = 0; i < c->noutbounds; i++)
		json_object_array_add(a, dj_outbound(&c->outbounds[i]));
	dj_add(root, "outbounds", a);
	o = json_object_new_object();
	dj_str(o, "domainStrategy",
	    conf_route_strategy_name(c->route_strategy));
	a = json_object_new_array();
	for (i = 0; i < c->nrules; i++)
		json_object_array_add(a, dj_rule(&c->rules[i]));
	dj_add(o, "rules", a);
	dj_add(root, "routing", o);
	if (c->nbridges > 0 || c->nportals > 0) {
		o = json_object_new_object();
		if (c->nbridges > 0)
			dj_add(o, "bridges", dj_reverse_ends(c->bridges,
			    c->nbridges));
		if (c->nportals > 0)
			dj_add(o, "portals", dj_reverse_ends(c->portals,
			    c->nportals));
		dj_add(root, "reverse", o);
	}
	dj_dns(root, &c->dns);
	fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE), fp);
	fputc('\n', fp);
	json_object_put(root);
}

/* INI. */

static void
di_kv(FILE *fp, const char *key, const char *val)
{
	if (val == NULL || *val == '\0')
		fprintf(fp, "%s =\n", key);
	else
		fprintf(fp, "%s = %s\n", key, val);
}

static void
di_int(FILE *fp, const char *key, long long n)
{
	fprintf(fp, "%s = %lld\n", key, n);
}

static void
di_bool(FILE *fp, const char *key, bool b)
{
	di_kv(fp, key, b ? "true" : "false");
}

/*
 * One list as "key = a,b,c" lines, starting a new line (the key repeats,
 * which appends) before one grows past DUMP_INI_WIDTH. An item too long
 * for any line still goes out whole, on a line of its own.
 */
static void
di_list(FILE *fp, const char *key, char *const *items, size_t n)
{
	size_t	i, w = 0, klen = strlen(key) + 3;

	for (i = 0; i < n; i++) {
		if (w > 0 && w + 1 + strlen(items[i]) > DUMP_INI_WIDTH) {
			fputc('\n', fp);
			w = 0;
		}
		if (w == 0) {
			fprintf(fp, "%s = %s", key, items[i]);
			w = klen + strlen(items[i]);
		} else {
			fprintf(fp, ",%s", items[i]);
			w += 1 + strlen(items[i]);
		}
	}
	if (w > 0)
		fputc('\n', fp);
}

static void
di_strv(FILE *fp, const char *key, const struct conf_strv *sv)
{
	di_list(fp, key, sv->v, sv->n);
}

/* A port list string is a list too: split it on its commas to wrap it. */
static void
di_portlist(FILE *fp, const char *key, const char *s)
{
	struct conf_strv	 sv = { NULL, 0 };
	const char		*p, *q;
	char			*item;
	size_t			 n;

	if (!dump_set(s))
		return;
	for (p = s;; p = q + 1) {
		q = strchr(p, ',');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		item = xmalloc(n + 1);
		memcpy(item, p, n);
		item[n] = '\0';
		conf_strv_push(&sv, item);
		free(item);
		if (q == NULL)
			break;
	}
	di_strv(fp, key, &sv);
	conf_strv_free(&sv);
}

static void
di_section(FILE *fp, const char *kind, const char *arg)
{
	if (dump_set(arg))
		fprintf(fp, "\n[%s %s]\n", kind, arg);
	else
		fprintf(fp, "\n[%s]\n", kind);
}

static void
di_tls(FILE *fp, const struct conf_tls *t)
{
	const struct conf_cert	*c;
	size_t			 i;

	di_kv(fp, "security", "tls");
	if (t->server_name != NULL)
		di_kv(fp, "tls.serverName", t->server_name);
	di_bool(fp, "tls.allowInsecure", t->allow_insecure);
	di_bool(fp, "tls.disableSystemRoot", t->disable_system_root);
	if (t->has_alpn) {
		fprintf(fp, "tls.alpn = ");
		for (i = 0; i < t->alpn.n; i++)
			fprintf(fp, "%s%s", i > 0 ? "," : "", t->alpn.v[i]);
		fputc('\n', fp);
	}
	for (i = 0; i < t->ncerts; i++) {
		c = &t->certs[i];
		if (c->cert_file == NULL)
			fprintf(fp, "# tls: an inline certificate (JSON only) "
			    "is not shown\n");
		else if (c->usage == CONF_CERT_VERIFY)
			di_kv(fp, "tls.ca", c->cert_file);
		else if (c->key_file != NULL)
			fprintf(fp, "tls.certificate = %s,%s\n", c->cert_file,
			    c->key_file);
		else
			di_kv(fp, "tls.certificate", c->cert_file);
	}
}

static void
di_http_fields(FILE *fp, const char *key, const struct conf_http_field *f,
    size_t n)
{
	size_t	 i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < f[i].values.n; j++)
			fprintf(fp, "%s = %s: %s\n", key, f[i].name,
			    f[i].values.v[j]);
}

static void
di_tcp(FILE *fp, const struct conf_tcp *t)
{
	if (t->accept_proxy_protocol)
		di_bool(fp, "tcp.acceptProxyProtocol", true);
	if (!t->http_header)
		return;
	di_kv(fp, "tcp.header", "http");
	if (t->req.version != NULL)
		di_kv(fp, "tcp.request.version", t->req.version);
	if (t->req.method != NULL)
		di_kv(fp, "tcp.request.method", t->req.method);
	di_strv(fp, "tcp.request.path", &t->req.path);
	di_http_fields(fp, "tcp.request.header", t->req.fields,
	    t->req.nfields);
	if (t->resp.version != NULL)
		di_kv(fp, "tcp.response.version", t->resp.version);
	if (t->resp.status != NULL)
		di_kv(fp, "tcp.response.status", t->resp.status);
	if (t->resp.reason != NULL)
		di_kv(fp, "tcp.response.reason", t->resp.reason);
	di_http_fields(fp, "tcp.response.header", t->resp.fields,
	    t->resp.nfields);
}

static void
di_ws(FILE *fp, const struct conf_ws *w)
{
	size_t	 i;

	di_kv(fp, "network", "ws");
	if (w->path != NULL)
		di_kv(fp, "ws.path", w->path);
	if (w->host != NULL)
		di_kv(fp, "ws.host", w->host);
	for (i = 0; i < w->hdr_names.n; i++)
		fprintf(fp, "ws.header = %s: %s\n", w->hdr_names.v[i],
		    w->hdr_values.v[i]);
	if (w->accept_proxy_protocol)
		di_bool(fp, "ws.acceptProxyProtocol", true);
}

static void
di_stream(FILE *fp, const struct conf_stream *st)
{
	const struct conf_kcp	*k = &st->kcp;

	if (st->tls)
		di_tls(fp, &st->tlss);
	if (st->network == CONF_NET_WS) {
		di_ws(fp, &st->ws);
		return;
	}
	if (st->network == CONF_NET_H2) {
		di_kv(fp, "network", "h2");
		di_strv(fp, "h2.host", &st->h2.host);
		if (st->h2.path != NULL)
			di_kv(fp, "h2.path", st->h2.path);
		return;
	}
	if (st->network != CONF_NET_KCP) {
		di_kv(fp, "network", "tcp");
		di_tcp(fp, &st->tcp);
		return;
	}
	di_kv(fp, "network", "kcp");
	di_int(fp, "kcp.mtu", k->mtu);
	di_int(fp, "kcp.tti", k->tti);
	di_int(fp, "kcp.uplinkCapacity", k->uplink_capacity);
	di_int(fp, "kcp.downlinkCapacity", k->downlink_capacity);
	di_bool(fp, "kcp.congestion", k->congestion);
	di_int(fp, "kcp.readBufferSize", k->read_buffer_size);
	di_int(fp, "kcp.writeBufferSize", k->write_buffer_size);
	di_kv(fp, "kcp.header", k->header_type != NULL ? k->header_type :
	    "none");
	if (k->seed != NULL)
		di_kv(fp, "kcp.seed", k->seed);
}

static void
di_user(FILE *fp, const char *key, const struct conf_user *u, bool outbound)
{
	fprintf(fp, "%s = %s, alterId=%d", key, u->id, u->alter_id);
	if (outbound)
		fprintf(fp, ", security=%s", conf_security_name(u->security));
	fprintf(fp, ", level=%u", u->level);
	/* Last, because an email may hold commas. */
	if (dump_set(u->email))
		fprintf(fp, ", email=%s", u->email);
	fputc('\n', fp);
}

static void
di_inbound(FILE *fp, const struct conf_inbound *in)
{
	char	buf[32];
	size_t	i;
	bool	minutes;

	di_section(fp, "inbound", in->tag);
	di_kv(fp, "protocol", conf_proto_name(in->proto));
	di_kv(fp, "listen", dump_listen(in));
	if (in->port.from == in->port.to)
		snprintf(buf, sizeof(buf), "%u", in->port.from);
	else
		snprintf(buf, sizeof(buf), "%u-%u", in->port.from, in->port.to);
	di_kv(fp, "port", buf);
	di_stream(fp, &in->stream);
	if (!in->sniff_enabled)
		di_kv(fp, "sniffing", "off");
	else if (in->sniff_http && in->sniff_tls)
		di_kv(fp, "sniffing", "http,tls");
	else if (in->sniff_http || in->sniff_tls)
		di_kv(fp, "sniffing", in->sniff_http ? "http" : "tls");
	else
		di_kv(fp, "sniffing", "on");
	if (in->allocate.present) {
		di_kv(fp, "allocate",
		    conf_alloc_strategy_name(in->allocate.strategy));
		dump_refresh(in->allocate.refresh_sec, buf, sizeof(buf),
		    &minutes);
		di_kv(fp, "allocate.refresh", buf);
		di_int(fp, "allocate.concurrency", in->allocate.concurrency);
	}
	switch (in->proto) {
	case CONF_PROTO_SOCKS:
	case CONF_PROTO_HTTP:
		if (in->proto == CONF_PROTO_SOCKS)
			di_kv(fp, "auth", in->socks_password ? "password" :
			    "noauth");
		for (i = 0; i < in->naccounts; i++)
			fprintf(fp, "account = %s:%s\n",
			    in->accounts[i].user != NULL ?
			    in->accounts[i].user : "",
			    in->accounts[i].pass != NULL ?
			    in->accounts[i].pass : "");
		if (in->http_timeout > 0)
			di_int(fp, "timeout", in->http_timeout);
		if (in->proto == CONF_PROTO_HTTP)
			di_bool(fp, "allowTransparent", in->http_transparent);
		else {
			di_bool(fp, "udp", in->socks_udp);
			if (dump_set(in->socks_ip))
				di_kv(fp, "ip", in->socks_ip);
		}
		di_int(fp, "userLevel", in->user_level);
		break;
	case CONF_PROTO_DOKODEMO:
		if (dump_set(in->dk_address))
			di_kv(fp, "address", in->dk_address);
		di_int(fp, "destPort", in->dk_port);
		di_kv(fp, "dokodemo.network",
		    conf_network_name(in->dk_network));
		di_bool(fp, "followRedirect", in->dk_follow_redirect);
		if (in->http_timeout > 0)
			di_int(fp, "timeout", in->http_timeout);
		di_int(fp, "userLevel", in->user_level);
		break;
	case CONF_PROTO_VMESS:
		for (i = 0; i < in->nclients; i++)
			di_user(fp, "client", &in->clients[i], false);
		if (in->has_default) {
			di_int(fp, "default.alterId", in->default_alter_id);
			di_int(fp, "default.level", in->default_level);
		}
		if (dump_set(in->detour_to))
			di_kv(fp, "detour", in->detour_to);
		di_bool(fp, "disableInsecureEncryption", in->disable_insecure);
		break;
	default:
		break;
	}
}

static void
di_outbound(FILE *fp, const struct conf_outbound *out)
{
	const struct conf_server	*srv;
	size_t				 i, j;

	di_section(fp, "outbound", out->tag);
	di_kv(fp, "protocol", conf_proto_name(out->proto));
	if (dump_set(out->send_through))
		di_kv(fp, "sendThrough", out->send_through);
	di_stream(fp, &out->stream);
	if (out->mux_enabled)
		di_int(fp, "mux", out->mux_concurrency);
	if (dump_set(out->proxy_tag))
		di_kv(fp, "proxy", out->proxy_tag);
	switch (out->proto) {
	case CONF_PROTO_FREEDOM:
		di_kv(fp, "domainStrategy",
		    conf_dstrategy_name(out->domain_strategy));
		if (dump_set(out->redirect))
			di_kv(fp, "redirect", out->redirect);
		di_int(fp, "userLevel", out->user_level);
		break;
	case CONF_PROTO_BLACKHOLE:
		di_kv(fp, "response", out->bh_http ? "http" : "none");
		break;
	case CONF_PROTO_DNS:
		if (out->dns_network != 0)
			di_kv(fp, "dns.network",
			    conf_network_name(out->dns_network));
		if (dump_set(out->dns_address))
			di_kv(fp, "address", out->dns_address);
		if (out->dns_port != 0)
			di_int(fp, "port", out->dns_port);
		break;
	case CONF_PROTO_VMESS:
	case CONF_PROTO_SOCKS:
	case CONF_PROTO_HTTP:
		for (i = 0; i < out->nvnext; i++) {
			srv = &out->vnext[i];
			/* A v6 literal needs brackets to keep its port. */
			if (srv->address != NULL &&
			    strchr(srv->address, ':') != NULL)
				fprintf(fp, "server = [%s]:%u\n", srv->address,
				    srv->port);
			else
				fprintf(fp, "server = %s:%u\n",
				    srv->address != NULL ? srv->address : "",
				    srv->port);
			for (j = 0; j < srv->nusers; j++)
				di_user(fp, "user", &srv->users[j], true);
			for (j = 0; j < srv->naccounts; j++)
				fprintf(fp, "account = %s:%s\n",
				    srv->accounts[j].user,
				    srv->accounts[j].pass);
		}
		break;
	default:
		break;
	}
}

static void
di_rule(FILE *fp, const struct conf_rule *r)
{
	fprintf(fp, "\n[rule]\n");
	di_strv(fp, "domain", &r->domain);
	di_strv(fp, "ip", &r->ip);
	di_portlist(fp, "port", r->port);
	di_portlist(fp, "sourcePort", r->source_port);
	if (r->network != 0)
		di_kv(fp, "network", conf_network_name(r->network));
	di_strv(fp, "source", &r->source);
	di_strv(fp, "user", &r->user);
	di_strv(fp, "inboundTag", &r->inbound_tag);
	di_strv(fp, "protocol", &r->protocol);
	if (dump_set(r->outbound_tag))
		di_kv(fp, "outboundTag", r->outbound_tag);
	if (dump_set(r->balancer_tag))
		di_kv(fp, "balancerTag", r->balancer_tag);
}

/* The [policy system] switches, then [stats] and [metrics] if given. */
static void
di_stats(FILE *fp, const struct conf *c)
{
	const struct conf_metrics	*m = &c->metrics;

	if (c->stats_in_up)
		di_bool(fp, "statsInboundUplink", true);
	if (c->stats_in_down)
		di_bool(fp, "statsInboundDownlink", true);
	if (c->stats_out_up)
		di_bool(fp, "statsOutboundUplink", true);
	if (c->stats_out_down)
		di_bool(fp, "statsOutboundDownlink", true);
	if (c->stats)
		fprintf(fp, "\n[stats]\n");
	if (m->listen == NULL && m->user == NULL && m->password == NULL &&
	    !m->reset_on_reload)
		return;
	fprintf(fp, "\n[metrics]\n");
	if (m->listen != NULL)
		di_kv(fp, "listen", m->listen);
	if (m->user != NULL)
		di_kv(fp, "user", m->user);
	if (m->password != NULL)
		di_kv(fp, "password", m->password);
	if (m->reset_on_reload)
		di_bool(fp, "resetOnReload", true);
}

/* [dns] with its hosts, then one [dns server] per server, in order. */
static void
di_dns(FILE *fp, const struct conf_dns *d)
{
	const struct conf_dns_server	*ds;
	size_t				 i, j;

	if (!d->present)
		return;
	fprintf(fp, "\n[dns]\n");
	if (dump_set(d->tag))
		di_kv(fp, "tag", d->tag);
	if (dump_set(d->client_ip))
		di_kv(fp, "clientIp", d->client_ip);
	/* One value a line keeps every line short; repeats append. */
	for (i = 0; i < d->nhosts; i++)
		for (j = 0; j < d->hosts[i].values.n; j++)
			fprintf(fp, "host = %s %s\n", d->hosts[i].key,
			    d->hosts[i].values.v[j]);
	for (i = 0; i < d->nservers; i++) {
		ds = &d->servers[i];
		fprintf(fp, "\n[dns server]\n");
		di_kv(fp, "address", ds->address);
		if (ds->port != 0)
			di_int(fp, "port", ds->port);
		di_strv(fp, "domains", &ds->domains);
		di_strv(fp, "expectIps", &ds->expect_ips);
		if (dump_set(ds->client_ip))
			di_kv(fp, "clientIp", ds->client_ip);
	}
}

void
conf_dump_ini(const struct conf *c, FILE *fp)
{
	struct conf_level	*v;
	size_t			 i, n;

	fprintf(fp, "; vtools configuration (docs/ini-format.md)\n");
	fprintf(fp, "\n[log]\n");
	di_kv(fp, "access", dump_logdest(c->log.access_dest,
	    c->log.access_path));
	di_kv(fp, "error", dump_logdest(c->log.error_dest, c->log.error_path));
	di_kv(fp, "loglevel", conf_loglevel_name(c->log.level));
	v = dump_levels(c, &n);
	for (i = 0; i < n; i++) {
		fprintf(fp, "\n[policy %u]\n", v[i].level);
		di_int(fp, "handshake", v[i].handshake);
		di_int(fp, "connIdle", v[i].conn_idle);
		di_int(fp, "uplinkOnly", v[i].uplink_only);
		di_int(fp, "downlinkOnly", v[i].downlink_only);
		di_int(fp, "bufferSize", v[i].buffer_size < 0 ? -1 :
		    v[i].buffer_size);
		if (v[i].stats_user_up)
			di_bool(fp, "statsUserUplink", true);
		if (v[i].stats_user_down)
			di_bool(fp, "statsUserDownlink", true);
	}
	free(v);
	fprintf(fp, "\n[policy system]\n");
	di_int(fp, "handshakePerSource", c->hs_per_source);
	di_stats(fp, c);
	for (i = 0; i < c->ninbounds; i++)
		di_inbound(fp, &c->inbounds[i]);
	for (i = 0; i < c->noutbounds; i++)
		di_outbound(fp, &c->outbounds[i]);
	fprintf(fp, "\n[routing]\n");
	di_kv(fp, "domainStrategy",
	    conf_route_strategy_name(c->route_strategy));
	for (i = 0; i < c->nrules; i++)
		di_rule(fp, &c->rules[i]);
	for (i = 0; i < c->nbridges; i++) {
		di_section(fp, "bridge", c->bridges[i].tag);
		di_kv(fp, "domain", c->bridges[i].domain);
	}
	for (i = 0; i < c->nportals; i++) {
		di_section(fp, "portal", c->portals[i].tag);
		di_kv(fp, "domain", c->portals[i].domain);
	}
	di_dns(fp, &c->dns);
}
