/* SPDX-License-Identifier: MIT */
/*
 * conf.c: the configuration model's life cycle, V2Ray 4.34 defaults, the
 * small value parsers both front ends share, diagnostics and conf_load().
 */
#include "conf/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include "base/util.h"

/* Larger than any sane config; keeps a mistaken -c /dev/zero bounded. */
#define CONF_MAX_FILE	(16u * 1024 * 1024)

/* Grow an array by one element and zero the new slot. */
static void *
conf_grow(void *arr, size_t *n, size_t elsize)
{
	char	*p;

	p = xrealloc(arr, (*n + 1) * elsize);
	memset(p + *n * elsize, 0, elsize);
	(*n)++;
	return p;
}

void
conf_strv_push(struct conf_strv *sv, const char *s)
{
	sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
	sv->v[sv->n++] = xstrdup(s);
}

void
conf_strv_free(struct conf_strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void
conf_kcp_init(struct conf_kcp *k)
{
	memset(k, 0, sizeof(*k));
	k->mtu = 1350;
	k->tti = 50;
	k->uplink_capacity = 5;
	k->downlink_capacity = 20;
	k->congestion = false;
	k->read_buffer_size = 2;
	k->write_buffer_size = 2;
	k->header_type = xstrdup("none");
	k->seed = NULL;
}

static void
conf_kcp_cleanup(struct conf_kcp *k)
{
	free(k->header_type);
	free(k->seed);
	k->header_type = NULL;
	k->seed = NULL;
}

void
conf_kcp_copy(struct conf_kcp *dst, const struct conf_kcp *src)
{
	conf_kcp_cleanup(dst);
	*dst = *src;
	dst->header_type = src->header_type ? xstrdup(src->header_type) : NULL;
	dst->seed = src->seed ? xstrdup(src->seed) : NULL;
}

/* Everything a streamSettings object owns. */
static void
conf_stream_cleanup(struct conf_stream *st)
{
	conf_kcp_cleanup(&st->kcp);
	conf_tls_cleanup(&st->tlss);
	conf_tcp_cleanup(&st->tcp);
	free(st->ws.path);
	free(st->ws.host);
	conf_strv_free(&st->ws.hdr_names);
	conf_strv_free(&st->ws.hdr_values);
	conf_strv_free(&st->h2.host);
	free(st->h2.path);
}

void
conf_tls_cleanup(struct conf_tls *t)
{
	size_t	i;

	free(t->server_name);
	conf_strv_free(&t->alpn);
	for (i = 0; i < t->ncerts; i++) {
		free(t->certs[i].cert_file);
		free(t->certs[i].key_file);
		free(t->certs[i].cert_pem);
		free(t->certs[i].key_pem);
	}
	free(t->certs);
	memset(t, 0, sizeof(*t));
}

struct conf_cert *
conf_tls_add_cert(struct conf_tls *t)
{
	struct conf_cert	*c;

	t->certs = xrealloc(t->certs, (t->ncerts + 1) * sizeof(*t->certs));
	c = &t->certs[t->ncerts++];
	memset(c, 0, sizeof(*c));
	return c;
}

void
conf_stream_init(struct conf_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->network = CONF_NET_TCP;
	conf_kcp_init(&s->kcp);
}

void
conf_level_init(struct conf_level *l, uint32_t level)
{
	memset(l, 0, sizeof(*l));
	l->level = level;
	l->handshake = 60;
	l->conn_idle = 300;
	l->uplink_only = 1;
	l->downlink_only = 1;
	l->buffer_size = 512;
}

void
conf_inbound_init(struct conf_inbound *in)
{
	memset(in, 0, sizeof(*in));
	conf_stream_init(&in->stream);
	in->allocate.present = false;
	in->allocate.strategy = CONF_ALLOC_ALWAYS;
	in->allocate.refresh_sec = 300;
	in->allocate.concurrency = 3;
	in->dk_network = CONF_NETBIT_TCP;
}

void
conf_outbound_init(struct conf_outbound *out)
{
	memset(out, 0, sizeof(*out));
	conf_stream_init(&out->stream);
	out->mux_concurrency = 8;
	out->domain_strategy = CONF_DS_ASIS;
}

static void
conf_user_cleanup(struct conf_user *u)
{
	free(u->email);
	u->email = NULL;
}

static void
conf_inbound_cleanup(struct conf_inbound *in)
{
	size_t	i;

	free(in->tag);
	free(in->listen);
	conf_stream_cleanup(&in->stream);
	for (i = 0; i < in->naccounts; i++) {
		free(in->accounts[i].user);
		free(in->accounts[i].pass);
	}
	free(in->accounts);
	free(in->socks_ip);
	free(in->dk_address);
	for (i = 0; i < in->nclients; i++)
		conf_user_cleanup(&in->clients[i]);
	free(in->clients);
	free(in->detour_to);
	memset(in, 0, sizeof(*in));
}

static void
conf_outbound_cleanup(struct conf_outbound *out)
{
	size_t	i, j;

	free(out->tag);
	free(out->send_through);
	conf_stream_cleanup(&out->stream);
	free(out->redirect);
	free(out->dns_address);
	for (i = 0; i < out->nvnext; i++) {
		free(out->vnext[i].address);
		for (j = 0; j < out->vnext[i].nusers; j++)
			conf_user_cleanup(&out->vnext[i].users[j]);
		free(out->vnext[i].users);
		for (j = 0; j < out->vnext[i].naccounts; j++) {
			free(out->vnext[i].accounts[j].user);
			free(out->vnext[i].accounts[j].pass);
		}
		free(out->vnext[i].accounts);
	}
	free(out->vnext);
	free(out->proxy_tag);
	memset(out, 0, sizeof(*out));
}

static void
conf_rule_cleanup(struct conf_rule *r)
{
	conf_strv_free(&r->domain);
	conf_strv_free(&r->ip);
	free(r->port);
	free(r->source_port);
	conf_strv_free(&r->source);
	conf_strv_free(&r->user);
	conf_strv_free(&r->inbound_tag);
	conf_strv_free(&r->protocol);
	free(r->outbound_tag);
	free(r->balancer_tag);
	memset(r, 0, sizeof(*r));
}

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	/* 4.34 without a `log` key: no access log, errors on stdout. */
	c->log.access_dest = CONF_LOGDEST_OFF;
	c->log.error_dest = CONF_LOGDEST_CONSOLE;
	c->log.level = CONF_LOG_WARNING;
	c->route_strategy = CONF_RS_ASIS;
	c->hs_per_source = CONF_HS_PER_SOURCE_DEFAULT;
}

void
conf_cleanup(struct conf *c)
{
	size_t	i;

	free(c->path);
	free(c->log.access_path);
	free(c->log.error_path);
	free(c->metrics.listen);
	free(c->metrics.user);
	free(c->metrics.password);
	free(c->levels);
	for (i = 0; i < c->ninbounds; i++)
		conf_inbound_cleanup(&c->inbounds[i]);
	free(c->inbounds);
	for (i = 0; i < c->noutbounds; i++)
		conf_outbound_cleanup(&c->outbounds[i]);
	free(c->outbounds);
	for (i = 0; i < c->nrules; i++)
		conf_rule_cleanup(&c->rules[i]);
	free(c->rules);
	for (i = 0; i < c->nbridges; i++) {
		free(c->bridges[i].tag);
		free(c->bridges[i].domain);
	}
	free(c->bridges);
	for (i = 0; i < c->nportals; i++) {
		free(c->portals[i].tag);
		free(c->portals[i].domain);
	}
	free(c->portals);
	conf_dns_cleanup(&c->dns);
	memset(c, 0, sizeof(*c));
}

struct conf_inbound *
conf_add_inbound(struct conf *c)
{
	struct conf_inbound	*in;

	c->inbounds = conf_grow(c->inbounds, &c->ninbounds, sizeof(*in));
	in = &c->inbounds[c->ninbounds - 1];
	conf_inbound_init(in);
	return in;
}

struct conf_outbound *
conf_add_outbound(struct conf *c)
{
	struct conf_outbound	*out;

	c->outbounds = conf_grow(c->outbounds, &c->noutbounds, sizeof(*out));
	out = &c->outbounds[c->noutbounds - 1];
	conf_outbound_init(out);
	return out;
}

struct conf_rule *
conf_add_rule(struct conf *c)
{
	c->rules = conf_grow(c->rules, &c->nrules, sizeof(*c->rules));
	return &c->rules[c->nrules - 1];
}

struct conf_reverse_end *
conf_add_bridge(struct conf *c)
{
	c->bridges = conf_grow(c->bridges, &c->nbridges, sizeof(*c->bridges));
	return &c->bridges[c->nbridges - 1];
}

struct conf_reverse_end *
conf_add_portal(struct conf *c)
{
	c->portals = conf_grow(c->portals, &c->nportals, sizeof(*c->portals));
	return &c->portals[c->nportals - 1];
}

struct conf_user *
conf_inbound_add_client(struct conf_inbound *in)
{
	in->clients = conf_grow(in->clients, &in->nclients,
	    sizeof(*in->clients));
	return &in->clients[in->nclients - 1];
}

struct conf_account *
conf_inbound_add_account(struct conf_inbound *in)
{
	in->accounts = conf_grow(in->accounts, &in->naccounts,
	    sizeof(*in->accounts));
	return &in->accounts[in->naccounts - 1];
}

struct conf_server *
conf_outbound_add_server(struct conf_outbound *out)
{
	out->vnext = conf_grow(out->vnext, &out->nvnext, sizeof(*out->vnext));
	return &out->vnext[out->nvnext - 1];
}

struct conf_user *
conf_server_add_user(struct conf_server *srv)
{
	srv->users = conf_grow(srv->users, &srv->nusers, sizeof(*srv->users));
	return &srv->users[srv->nusers - 1];
}

struct conf_account *
conf_accounts_add(struct conf_account **v, size_t *n)
{
	*v = conf_grow(*v, n, sizeof(**v));
	return &(*v)[*n - 1];
}

struct conf_level *
conf_get_level(struct conf *c, uint32_t level, bool create)
{
	size_t	i;

	for (i = 0; i < c->nlevels; i++)
		if (c->levels[i].level == level)
			return &c->levels[i];
	if (!create)
		return NULL;
	c->levels = conf_grow(c->levels, &c->nlevels, sizeof(*c->levels));
	conf_level_init(&c->levels[c->nlevels - 1], level);
	return &c->levels[c->nlevels - 1];
}

struct conf_level
conf_policy(const struct conf *c, uint32_t level)
{
	struct conf_level	l;
	size_t			i;

	for (i = 0; i < c->nlevels; i++)
		if (c->levels[i].level == level)
			return c->levels[i];
	conf_level_init(&l, level);
	return l;
}

const struct conf_inbound *
conf_find_inbound(const struct conf *c, const char *tag)
{
	size_t	i;

	if (tag == NULL)
		return NULL;
	for (i = 0; i < c->ninbounds; i++)
		if (c->inbounds[i].tag != NULL &&
		    strcmp(c->inbounds[i].tag, tag) == 0)
			return &c->inbounds[i];
	return NULL;
}

const struct conf_outbound *
conf_find_outbound(const struct conf *c, const char *tag)
{
	size_t	i;

	if (tag == NULL)
		return NULL;
	/* V2Ray does not reject duplicate outbound tags: the later wins. */
	for (i = c->noutbounds; i > 0; i--)
		if (c->outbounds[i - 1].tag != NULL &&
		    strcmp(c->outbounds[i - 1].tag, tag) == 0)
			return &c->outbounds[i - 1];
	return NULL;
}

/* Diagnostics. */

void
conf_diag_init(struct conf_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
conf_diag_cleanup(struct conf_diag *d)
{
	conf_strv_free(&d->errors);
	conf_strv_free(&d->warnings);
}

static void
conf_diag_vadd(struct conf_strv *sv, const char *fmt, va_list ap)
{
	char	*s = NULL;

	if (vasprintf(&s, fmt, ap) == -1 || s == NULL) {
		conf_strv_push(sv, "(diagnostic lost: out of memory)");
		return;
	}
	sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
	sv->v[sv->n++] = s;
}

void
conf_err(struct conf_diag *d, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_diag_vadd(&d->errors, fmt, ap);
	va_end(ap);
}

void
conf_warn(struct conf_diag *d, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_diag_vadd(&d->warnings, fmt, ap);
	va_end(ap);
}

void
conf_diag_print(const struct conf_diag *d, FILE *fp)
{
	size_t	i;

	for (i = 0; i < d->errors.n; i++)
		fprintf(fp, "%s\n", d->errors.v[i]);
	for (i = 0; i < d->warnings.n; i++)
		fprintf(fp, "warning: %s\n", d->warnings.v[i]);
}

bool
conf_diag_has(const struct conf_diag *d, const char *needle)
{
	size_t	i;

	for (i = 0; i < d->errors.n; i++)
		if (strstr(d->errors.v[i], needle) != NULL)
			return true;
	return false;
}

/* Small parsers. */

static const char *const conf_proto_names[CONF_PROTO_MAX] = {
	[CONF_PROTO_NONE] = "none",
	[CONF_PROTO_SOCKS] = "socks",
	[CONF_PROTO_DOKODEMO] = "dokodemo-door",
	[CONF_PROTO_VMESS] = "vmess",
	[CONF_PROTO_FREEDOM] = "freedom",
	[CONF_PROTO_BLACKHOLE] = "blackhole",
	[CONF_PROTO_HTTP] = "http",
	[CONF_PROTO_DNS] = "dns",
};

const char *
conf_inbound_listen(const struct conf_inbound *in)
{
	if (in->listen != NULL && *in->listen != '\0')
		return in->listen;
	/* A local proxy open to the LAN is a surprise nobody wants. */
	return in->proto == CONF_PROTO_SOCKS || in->proto == CONF_PROTO_HTTP ?
	    "127.0.0.1" : "0.0.0.0";
}

const char *
conf_proto_name(enum conf_proto p)
{
	if ((unsigned)p >= CONF_PROTO_MAX)
		return "?";
	return conf_proto_names[p];
}

int
conf_proto_parse(const char *s, enum conf_proto *p)
{
	int	i;

	if (s == NULL)
		return -1;
	for (i = CONF_PROTO_NONE + 1; i < CONF_PROTO_MAX; i++)
		if (strcasecmp(s, conf_proto_names[i]) == 0) {
			*p = (enum conf_proto)i;
			return 0;
		}
	return -1;
}

const char *
conf_security_name(enum conf_security s)
{
	switch (s) {
	case CONF_SEC_AUTO:
		return "auto";
	case CONF_SEC_AES128GCM:
		return "aes-128-gcm";
	case CONF_SEC_CHACHA20:
		return "chacha20-poly1305";
	case CONF_SEC_NONE:
		return "none";
	case CONF_SEC_ZERO:
		return "zero";
	case CONF_SEC_LEGACY:
		return "aes-128-cfb";
	}
	return "?";
}

int
conf_security_parse(const char *s, enum conf_security *sec)
{
	static const enum conf_security all[] = {
		CONF_SEC_AUTO, CONF_SEC_AES128GCM, CONF_SEC_CHACHA20,
		CONF_SEC_NONE, CONF_SEC_ZERO, CONF_SEC_LEGACY
	};
	size_t	i;

	if (s == NULL)
		return -1;
	/* An empty security is what an omitted key means: auto. */
	if (*s == '\0') {
		*sec = CONF_SEC_AUTO;
		return 0;
	}
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcasecmp(s, conf_security_name(all[i])) == 0) {
			*sec = all[i];
			return 0;
		}
	return -1;
}

static int
conf_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * As 4.34's uuid.ParseString: at least 32 characters, then five hex groups
 * of 8-4-4-4-12 digits, each optionally preceded by one '-'; whatever
 * follows the last group is ignored.
 */
int
conf_uuid_parse(const char *s, uint8_t uuid[16], char canon[37])
{
	static const int groups[5] = { 8, 4, 4, 4, 12 };
	uint8_t		 b[16];
	size_t		 len, pos = 0, o = 0;
	int		 g, i, hi, lo;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len < 32)
		return -1;
	for (g = 0; g < 5; g++) {
		if (pos < len && s[pos] == '-')
			pos++;
		if (len - pos < (size_t)groups[g])
			return -1;
		for (i = 0; i < groups[g]; i += 2) {
			hi = conf_hexval((unsigned char)s[pos + i]);
			lo = conf_hexval((unsigned char)s[pos + i + 1]);
			if (hi < 0 || lo < 0)
				return -1;
			b[o++] = (uint8_t)(hi << 4 | lo);
		}
		pos += groups[g];
	}
	if (uuid != NULL)
		memcpy(uuid, b, 16);
	if (canon != NULL)
		snprintf(canon, 37,
		    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		    "%02x%02x%02x%02x%02x%02x",
		    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		    b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* Decimal 0..max with optional surrounding blanks; *end after it. */
static int
conf_uint_parse(const char *s, unsigned long max, unsigned long *v,
    const char **end)
{
	unsigned long	n = 0;
	const char	*p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > max)
			return -1;
		p++;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	*v = n;
	*end = p;
	return 0;
}

/*
 * "N" or "A-B". V2Ray's parser takes 0..65535 anywhere; we accept a single
 * 0 (it means "unset / keep the original port" for dokodemo, freedom and a
 * listener that wants any port) but a range must lie within 1..65535 and
 * be in order. Whether 0 is usable is conf_check()'s business.
 */
int
conf_ports_parse(const char *s, struct conf_ports *p)
{
	unsigned long	 a, b;
	const char	*e;

	if (s == NULL || conf_uint_parse(s, 65535, &a, &e) == -1)
		return -1;
	if (*e == '\0') {
		p->from = p->to = (uint16_t)a;
		return 0;
	}
	if (*e != '-' || conf_uint_parse(e + 1, 65535, &b, &e) == -1 ||
	    *e != '\0')
		return -1;
	if (a == 0 || a > b)
		return -1;
	p->from = (uint16_t)a;
	p->to = (uint16_t)b;
	return 0;
}

int
conf_network_parse(const char *s, unsigned *bits)
{
	const char	*p, *q;
	size_t		 n;
	unsigned	 r = 0;

	if (s == NULL)
		return -1;
	for (p = s;; p = q + 1) {
		while (*p == ' ' || *p == '\t')
			p++;
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		n = (size_t)(q - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 3 && strncasecmp(p, "tcp", 3) == 0)
			r |= CONF_NETBIT_TCP;
		else if (n == 3 && strncasecmp(p, "udp", 3) == 0)
			r |= CONF_NETBIT_UDP;
		else
			return -1;
		if (*q == '\0')
			break;
	}
	*bits = r;
	return 0;
}

const char *
conf_network_name(unsigned bits)
{
	switch (bits & (CONF_NETBIT_TCP | CONF_NETBIT_UDP)) {
	case CONF_NETBIT_TCP:
		return "tcp";
	case CONF_NETBIT_UDP:
		return "udp";
	case CONF_NETBIT_TCP | CONF_NETBIT_UDP:
		return "tcp,udp";
	}
	return "";
}

static const char *const conf_loglevel_names[] = {
	[CONF_LOG_DEBUG] = "debug",
	[CONF_LOG_INFO] = "info",
	[CONF_LOG_WARNING] = "warning",
	[CONF_LOG_ERROR] = "error",
	[CONF_LOG_NONE] = "none",
};

int
conf_loglevel_parse(const char *s, enum conf_loglevel *l)
{
	int	i;

	if (s == NULL)
		return -1;
	for (i = CONF_LOG_DEBUG; i <= CONF_LOG_NONE; i++)
		if (strcasecmp(s, conf_loglevel_names[i]) == 0) {
			*l = (enum conf_loglevel)i;
			return 0;
		}
	return -1;
}

const char *
conf_loglevel_name(enum conf_loglevel l)
{
	if ((unsigned)l > CONF_LOG_NONE)
		return "warning";
	return conf_loglevel_names[l];
}

/* Match s against a NULL-terminated alias list, case-insensitively. */
static bool
conf_alias(const char *s, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcasecmp(s, *names) == 0)
			return true;
	return false;
}

int
conf_dstrategy_parse(const char *s, enum conf_dstrategy *ds)
{
	static const char *const asis[] = { "asis", "as_is", "", NULL };
	static const char *const ip[] = { "useip", "use_ip", NULL };
	static const char *const ip4[] = { "useip4", "useipv4", "use_ipv4",
	    "use_ip_v4", "use_ip4", NULL };
	static const char *const ip6[] = { "useip6", "useipv6", "use_ipv6",
	    "use_ip_v6", "use_ip6", NULL };

	if (s == NULL)
		return -1;
	if (conf_alias(s, asis))
		*ds = CONF_DS_ASIS;
	else if (conf_alias(s, ip))
		*ds = CONF_DS_USEIP;
	else if (conf_alias(s, ip4))
		*ds = CONF_DS_USEIPV4;
	else if (conf_alias(s, ip6))
		*ds = CONF_DS_USEIPV6;
	else
		return -1;
	return 0;
}

const char *
conf_dstrategy_name(enum conf_dstrategy ds)
{
	switch (ds) {
	case CONF_DS_ASIS:
		return "AsIs";
	case CONF_DS_USEIP:
		return "UseIP";
	case CONF_DS_USEIPV4:
		return "UseIPv4";
	case CONF_DS_USEIPV6:
		return "UseIPv6";
	}
	return "AsIs";
}

int
conf_route_strategy_parse(const char *s, enum conf_route_strategy *rs)
{
	static const char *const asis[] = { "asis", "as_is", "", NULL };
	/* 4.34 parses AlwaysIP as UseIp, which the router treats as AsIs. */
	static const char *const always[] = { "alwaysip", "always_ip",
	    "always-ip", NULL };
	static const char *const nonmatch[] = { "ipifnonmatch",
	    "ip_if_non_match", "ip-if-non-match", NULL };
	static const char *const demand[] = { "ipondemand", "ip_on_demand",
	    "ip-on-demand", NULL };

	if (s == NULL)
		return -1;
	if (conf_alias(s, asis) || conf_alias(s, always))
		*rs = CONF_RS_ASIS;
	else if (conf_alias(s, nonmatch))
		*rs = CONF_RS_IPIFNONMATCH;
	else if (conf_alias(s, demand))
		*rs = CONF_RS_IPONDEMAND;
	else
		return -1;
	return 0;
}

const char *
conf_route_strategy_name(enum conf_route_strategy rs)
{
	switch (rs) {
	case CONF_RS_ASIS:
		return "AsIs";
	case CONF_RS_IPIFNONMATCH:
		return "IPIfNonMatch";
	case CONF_RS_IPONDEMAND:
		return "IPOnDemand";
	}
	return "AsIs";
}

/* A bare number is minutes, as allocate.refresh has always been. */
int
conf_duration_parse(const char *s, int *seconds)
{
	unsigned long	 v, mul = 60;
	const char	*e;

	if (s == NULL || conf_uint_parse(s, 1000000000UL, &v, &e) == -1)
		return -1;
	if (*e == 's' || *e == 'S')
		mul = 1;
	else if (*e == 'm' || *e == 'M')
		mul = 60;
	else if (*e == 'h' || *e == 'H')
		mul = 3600;
	else if (*e != '\0')
		return -1;
	if (*e != '\0') {
		e++;
		while (*e == ' ' || *e == '\t')
			e++;
		if (*e != '\0')
			return -1;
	}
	if (v > (unsigned long)INT32_MAX / mul)
		return -1;
	*seconds = (int)(v * mul);
	return 0;
}

int
conf_kcp_header_valid(const char *s)
{
	static const char *const types[] = { "none", "srtp", "utp",
	    "wechat-video", "dtls", "wireguard", NULL };

	if (s == NULL)
		return -1;
	return conf_alias(s, types) ? 0 : -1;
}

int
conf_alloc_strategy_parse(const char *s, enum conf_alloc_strategy *st)
{
	if (s == NULL)
		return -1;
	if (*s == '\0' || strcasecmp(s, "always") == 0)
		*st = CONF_ALLOC_ALWAYS;
	else if (strcasecmp(s, "random") == 0)
		*st = CONF_ALLOC_RANDOM;
	else
		return -1;
	return 0;
}

const char *
conf_alloc_strategy_name(enum conf_alloc_strategy st)
{
	return st == CONF_ALLOC_RANDOM ? "random" : "always";
}

int
conf_redirect_valid(const char *s)
{
	const char	*colon, *e;
	unsigned long	 port;
	size_t		 hostlen;
	char		 host[256];
	uint8_t		 a6[16];

	if (s == NULL)
		return -1;
	colon = strrchr(s, ':');
	if (colon == NULL || conf_uint_parse(colon + 1, 65535, &port, &e) ==
	    -1 || *e != '\0' || colon[1] == ' ')
		return -1;
	hostlen = (size_t)(colon - s);
	if (hostlen >= sizeof(host))
		return -1;
	memcpy(host, s, hostlen);
	host[hostlen] = '\0';
	if (host[0] == '[') {
		if (hostlen < 3 || host[hostlen - 1] != ']')
			return -1;
		host[hostlen - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, a6) == 1 ? 0 : -1;
	}
	/* An unbracketed v6 address is ambiguous, as in Go's SplitHostPort. */
	if (strchr(host, ':') != NULL || strchr(host, ' ') != NULL)
		return -1;
	return 0;
}

int
conf_cidr_valid(const char *s)
{
	char		 ip[64];
	const char	*slash, *e;
	unsigned long	 bits;
	uint8_t		 a[16];
	size_t		 n;
	int		 af;

	if (s == NULL || *s == '\0')
		return -1;
	/* Named lists are resolved by route.c; only their shape here. */
	if (strncasecmp(s, "geoip:", 6) == 0)
		return s[6] != '\0' ? 0 : -1;
	if (strncasecmp(s, "ext:", 4) == 0 || strncasecmp(s, "ext-ip:", 7) ==
	    0)
		return strchr(strchr(s, ':') + 1, ':') != NULL ? 0 : -1;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(ip))
		return -1;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		af = AF_INET6;
	else
		return -1;
	if (slash == NULL)
		return 0;
	if (conf_uint_parse(slash + 1, 128, &bits, &e) == -1 || *e != '\0' ||
	    slash[1] == ' ')
		return -1;
	if (af == AF_INET && bits > 32)
		return -1;
	return 0;
}

int
conf_portlist_valid(const char *s)
{
	char		 item[32];
	const char	*p, *q, *e;
	unsigned long	 a, b;
	size_t		 n;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s;; p = q + 1) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		n = (size_t)(q - p);
		if (n == 0 || n >= sizeof(item))
			return -1;
		memcpy(item, p, n);
		item[n] = '\0';
		if (conf_uint_parse(item, 65535, &a, &e) == -1)
			return -1;
		if (*e == '-') {
			if (conf_uint_parse(e + 1, 65535, &b, &e) == -1 ||
			    a > b)
				return -1;
		}
		if (*e != '\0')
			return -1;
		if (*q == '\0')
			break;
	}
	return 0;
}

/* Loading. */

static bool
conf_ext_is(const char *path, const char *ext)
{
	const char	*dot = strrchr(path, '.');
	const char	*slash = strrchr(path, '/');

	if (dot == NULL || (slash != NULL && dot < slash))
		return false;
	return strcasecmp(dot + 1, ext) == 0;
}

/* No usable extension: JSON starts with '{' after blanks and comments. */
static enum conf_format
conf_sniff_format(const char *buf, size_t len)
{
	size_t	i = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len) {
		if (isspace((unsigned char)buf[i])) {
			i++;
		} else if (buf[i] == '/' && i + 1 < len && buf[i + 1] == '/') {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (buf[i] == '/' && i + 1 < len && buf[i + 1] == '*') {
			for (i += 2; i + 1 < len &&
			    !(buf[i] == '*' && buf[i + 1] == '/'); i++)
				;
			i += 2;
		} else
			return buf[i] == '{' ? CONF_FMT_JSON : CONF_FMT_INI;
	}
	return CONF_FMT_JSON;
}

static char *
conf_read_file(const char *path, size_t *lenp, struct conf_diag *d)
{
	FILE		*fp;
	struct stat	 st;
	char		*buf;
	size_t		 len = 0, cap = 65536, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		conf_err(d, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		conf_err(d, "%s: is a directory, not a configuration file",
		    path);
		fclose(fp);
		return NULL;
	}
	buf = xmalloc(cap + 1);
	for (;;) {
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (len > CONF_MAX_FILE) {
			conf_err(d, "%s: larger than %u MiB, not a "
			    "configuration file", path,
			    CONF_MAX_FILE / (1024 * 1024));
			goto fail;
		}
		if (len < cap) {
			if (ferror(fp)) {
				conf_err(d, "%s: read error: %s", path,
				    strerror(errno));
				goto fail;
			}
			if (feof(fp))
				break;
			continue;
		}
		cap *= 2;
		buf = xrealloc(buf, cap + 1);
	}
	fclose(fp);
	buf[len] = '\0';
	*lenp = len;
	return buf;
 fail:
	fclose(fp);
	free(buf);
	return NULL;
}

/* True when buf cannot be a text file: a NUL byte or mostly controls. */
static bool
conf_is_binary(const char *buf, size_t len, size_t *where)
{
	size_t	i, ctl = 0;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\0') {
			*where = i;
			return true;
		}
		if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t' &&
		    ch != '\f')
			ctl++;
	}
	*where = 0;
	return len > 0 && ctl * 10 > len;
}

int
conf_load(const char *path, enum conf_format fmt, struct conf *c,
    struct conf_diag *d)
{
	char	*buf;
	size_t	 len = 0, i, where, nerr = d->errors.n;
	int	 rv;

	free(c->path);
	c->path = xstrdup(path);
	if ((buf = conf_read_file(path, &len, d)) == NULL)
		return -1;
	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	if (i == len) {
		conf_err(d, "%s: empty file, no configuration in it", path);
		free(buf);
		return -1;
	}
	if (conf_is_binary(buf, len, &where)) {
		conf_err(d, "%s: binary data (offset %zu), not a text "
		    "configuration file", path, where);
		free(buf);
		return -1;
	}
	if (fmt == CONF_FMT_AUTO) {
		if (conf_ext_is(path, "json"))
			fmt = CONF_FMT_JSON;
		else if (conf_ext_is(path, "ini") || conf_ext_is(path, "conf")
		    || conf_ext_is(path, "cfg"))
			fmt = CONF_FMT_INI;
		else
			fmt = conf_sniff_format(buf, len);
	}
	if (fmt == CONF_FMT_INI)
		rv = conf_load_ini_buf(path, buf, len, c, d);
	else
		rv = conf_load_json_buf(path, buf, len, c, d);
	free(buf);
	/*
	 * A file that did not even parse leaves a model whose checks would
	 * only repeat the syntax error as missing pieces.
	 */
	if (rv == 0 || c->ninbounds > 0 || c->noutbounds > 0 ||
	    c->nrules > 0)
		if (conf_check(c, d) == -1)
			rv = -1;
	return d->errors.n > nerr || rv == -1 ? -1 : 0;
}
