/* SPDX-License-Identifier: MIT */
/*
 * conf_ini.c: the INI front end. inih splits the key=value lines; our own
 * line reader in front of it counts lines, parses the [section] headers
 * and refuses lines inih would silently cut. docs/ini-format.md is the
 * user's reference; the summary below is the contract this file keeps.
 *
 * Format. Lines are "key = value", "[kind NAME]" headers, or comments
 * (";" or "#" first; a ";" after a blank or opening a value). Blanks
 * around keys and values are dropped; keys and kinds match
 * case-insensitively. A line holds at most CI_LINE_MAX characters: every
 * list can be split over repeated keys (a repeated list key appends).
 * Every header starts a new object, so [rule] and [inbound] repeat; order
 * in the file is order in the model.
 *
 *   [log]           access= error= (empty: console, "none": off) loglevel=
 *   [policy N]      handshake= connIdle= uplinkOnly= downlinkOnly=
 *                   bufferSize= (KiB, negative: unlimited)
 *   [policy system] handshakePerSource= (0: no cap)
 *                   statsInboundUplink= statsInboundDownlink=
 *                   statsOutboundUplink= statsOutboundDownlink=
 *   [policy N]      statsUserUplink= statsUserDownlink= (as well)
 *   [stats]         no keys: V2Ray's "stats" object, counters on
 *   [metrics]       listen=ADDR:PORT user= password= resetOnReload=
 *   [inbound TAG]   protocol=socks|http|dokodemo-door|vmess listen= port=N|A-B
 *                   network=tcp|kcp kcp.mtu= kcp.tti= kcp.uplinkCapacity=
 *                   kcp.downlinkCapacity= kcp.congestion= kcp.readBufferSize=
 *                   kcp.writeBufferSize= kcp.header= kcp.seed=
 *                   security=tls|none tls.serverName= tls.allowInsecure=
 *                   tls.alpn=h2,http/1.1 tls.disableSystemRoot=
 *                   tls.certificate=CERT[,KEY] (repeat; encipherment)
 *                   tls.ca=FILE (repeat; usage verify)
 *                   network=ws ws.path= ws.host= ws.header=NAME: VALUE
 *                   (repeat) ws.acceptProxyProtocol=
 *                   network=h2 (or http) h2.host=A,B (repeat) h2.path=
 *                   tcp.acceptProxyProtocol= tcp.header=http|none
 *                   tcp.request.version= .method= .path=/a,/b (repeat)
 *                   tcp.request.header=NAME: VALUE (repeat; a name again
 *                   adds a value picked at random) tcp.response.version=
 *                   .status= .reason= tcp.response.header=NAME: VALUE
 *                   sniffing=http,tls|on|off
 *                   allocate=always|random allocate.refresh=5|20s
 *                   allocate.concurrency=
 *     socks:        auth=noauth|password account=USER:PASS (repeat) udp=
 *                   ip= userLevel=
 *     http:         account=USER:PASS (repeat) allowTransparent= timeout=
 *                   userLevel=
 *     dokodemo-door: address= destPort= to=HOST:PORT dokodemo.network=
 *                   followRedirect= userLevel=
 *     vmess:        client=UUID[,alterId=N][,level=N][,email=E] (repeat)
 *                   default.alterId= default.level= detour=TAG
 *                   disableInsecureEncryption=
 *   [outbound TAG]  protocol=freedom|blackhole|vmess|socks|http sendThrough= network=
 *                   kcp.*= mux=N|on|off (first [outbound] is the default)
 *     freedom:      domainStrategy= redirect=HOST:PORT userLevel=
 *     blackhole:    response=none|http
 *                   proxy=TAG (proxySettings.tag)
 *     vmess:        server=HOST:PORT (repeat; starts a vnext entry)
 *                   user=UUID[,alterId=N][,security=S][,level=N][,email=E]
 *                   (repeat; for the last server=)
 *     socks, http:  server=HOST:PORT (repeat) account=USER:PASS (repeat;
 *                   for the last server=)
 *   [routing]       domainStrategy=AsIs|IPIfNonMatch|IPOnDemand
 *   [rule]          domain= ip= port= sourcePort= network= source= user=
 *                   inboundTag= protocol= (comma lists, repeat to append)
 *                   outboundTag= balancerTag=
 *   [bridge TAG]    domain=
 *   [portal TAG]    domain=
 *   [dns]           tag= clientIp= host=KEY ADDRESS|ALIAS (repeat; a
 *                   repeated KEY adds an address)
 *   [dns server]    address= port= domains= expectIps= clientIp= (one
 *                   section per server, in order)
 *   [outbound TAG]  dns: address= port= dns.network=tcp|udp
 *
 * Booleans: true/false, yes/no, on/off, 1/0. Every problem is reported as
 * "file:line: message" and parsing goes on, so one run shows them all.
 */
#include "conf/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "base/util.h"

/* inih's 200-byte line buffer, less the newline and the NUL. */
#define CI_LINE_MAX	198
#define CI_MAXKEYS	128
#define CI_LABEL	80

enum ci_sect {
	CI_S_NONE = 0,		/* before the first header */
	CI_S_SKIP,		/* a bad header: its keys are not reported */
	CI_S_LOG,
	CI_S_POLICY,
	CI_S_SYSTEM,		/* [policy system] */
	CI_S_INBOUND,
	CI_S_OUTBOUND,
	CI_S_ROUTING,
	CI_S_RULE,
	CI_S_BRIDGE,
	CI_S_PORTAL,
	CI_S_STATS,		/* [stats] */
	CI_S_METRICS,		/* [metrics] */
	CI_S_DNS,		/* [dns] */
	CI_S_DNSSRV		/* [dns server] */
};

#define SB(s)		(1u << (s))
#define PB(p)		(1u << (p))
#define S_BOUND		(SB(CI_S_INBOUND) | SB(CI_S_OUTBOUND))
#define S_REV		(SB(CI_S_BRIDGE) | SB(CI_S_PORTAL))

enum ci_type {
	CI_T_INT,		/* int field within [min, max] */
	CI_T_U32,		/* uint32_t field within [min, max] */
	CI_T_BOOL,
	CI_T_STR,		/* char *; an empty value unsets it */
	CI_T_LIST,		/* struct conf_strv; comma list, appends */
	CI_T_FN		/* the row's own setter */
};

/* Which object a row's offset is relative to. */
enum ci_base {
	CI_B_NONE,
	CI_B_CONF,
	CI_B_LEVEL,
	CI_B_IN,
	CI_B_OUT,
	CI_B_KCP,
	CI_B_RULE,
	CI_B_REV,
	CI_B_DNSSRV
};

struct ci;

/* A setter returns NULL, or why the value was refused. */
typedef const char *ci_set_fn(struct ci *, const char *);

struct ci_key {
	unsigned	 sects;		/* SB() of the sections it belongs to */
	const char	*name;
	unsigned	 protos;	/* PB() of protocols; 0 = any */
	bool		 repeat;
	enum ci_type	 type;
	enum ci_base	 base;
	size_t		 off;
	long long	 min, max;
	ci_set_fn	*fn;
};

struct ci {
	const char		*name;
	struct conf		*c;
	struct conf_diag	*d;
	const char		*buf;
	size_t			 len;
	size_t			 off;
	int			 line;		/* the line inih is handling */
	enum ci_sect		 sect;
	int			 sect_line;
	char			 label[CI_LABEL];	/* "[inbound in]" */
	size_t			 idx;		/* object in its array */
	uint32_t		 level;		/* of a [policy N] */
	int			 seen[CI_MAXKEYS];	/* line of first use */
	int			 log_line;
	int			 routing_line;
	int			 system_line;
	int			 stats_line;
	int			 metrics_line;
	int			 dns_line;
	char			 msg[256];
};

static void	ci_err(struct ci *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	ci_warn(struct ci *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static const char *ci_msg(struct ci *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
ci_err(struct ci *x, int line, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err(x->d, "%s:%d: %s", x->name, line, msg);
}

static void
ci_warn(struct ci *x, int line, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_warn(x->d, "%s:%d: %s", x->name, line, msg);
}

/* A setter's formatted reason, valid until the next one. */
static const char *
ci_msg(struct ci *x, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	return x->msg;
}

static struct conf_inbound *
ci_in(struct ci *x)
{
	return &x->c->inbounds[x->idx];
}

static struct conf_outbound *
ci_out(struct ci *x)
{
	return &x->c->outbounds[x->idx];
}

static struct conf_stream *
ci_stream(struct ci *x)
{
	return x->sect == CI_S_INBOUND ? &ci_in(x)->stream :
	    &ci_out(x)->stream;
}

static void *
ci_base(struct ci *x, enum ci_base b)
{
	switch (b) {
	case CI_B_CONF:
		return x->c;
	case CI_B_LEVEL:
		return conf_get_level(x->c, x->level, true);
	case CI_B_IN:
		return ci_in(x);
	case CI_B_OUT:
		return ci_out(x);
	case CI_B_KCP:
		return &ci_stream(x)->kcp;
	case CI_B_RULE:
		return &x->c->rules[x->idx];
	case CI_B_REV:
		return x->sect == CI_S_BRIDGE ? &x->c->bridges[x->idx] :
		    &x->c->portals[x->idx];
	case CI_B_DNSSRV:
		return &x->c->dns.servers[x->c->dns.nservers - 1];
	case CI_B_NONE:
		break;
	}
	return NULL;
}

/* Value parsers. */

static const char *
ci_int(struct ci *x, const char *v, long long min, long long max,
    long long *out)
{
	long long	 n;
	char		*e;

	errno = 0;
	n = strtoll(v, &e, 10);
	if (!(isdigit((unsigned char)*v) || (*v == '-' &&
	    isdigit((unsigned char)v[1]))) || *e != '\0')
		return ci_msg(x, "\"%.64s\" is not an integer", v);
	if (errno == ERANGE || n < min || n > max)
		return ci_msg(x, "%.64s out of range %lld..%lld", v, min, max);
	*out = n;
	return NULL;
}

static int
ci_bool_word(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };
	size_t	i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static const char *
ci_bool(struct ci *x, const char *v, bool *out)
{
	if (ci_bool_word(v, out) == -1)
		return ci_msg(x, "\"%.64s\" is not a boolean (true/false, "
		    "yes/no, on/off, 1/0)", v);
	return NULL;
}

static void
ci_strset(char **dst, const char *v)
{
	free(*dst);
	*dst = *v != '\0' ? xstrdup(v) : NULL;
}

static char *
ci_trim(char *s)
{
	size_t	n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Append the comma-separated items of v to sv; no item may be empty. */
static const char *
ci_split(struct ci *x, const char *v, struct conf_strv *sv)
{
	char		*copy, *p, *q, *item;
	const char	*msg = NULL;

	copy = xstrdup(v);
	for (p = copy;; p = q + 1) {
		if ((q = strchr(p, ',')) != NULL)
			*q = '\0';
		item = ci_trim(p);
		if (*item == '\0') {
			msg = ci_msg(x, "empty item in list \"%.64s\"", v);
			break;
		}
		conf_strv_push(sv, item);
		if (q == NULL)
			break;
	}
	free(copy);
	return msg;
}

/* "host:port" or "[v6]:port" into a new host string and a port. */
static const char *
ci_hostport(struct ci *x, const char *v, char **host, uint16_t *port)
{
	const char	*colon, *msg;
	long long	 n;
	size_t		 hl;

	colon = strrchr(v, ':');
	if (colon == NULL || colon == v)
		return ci_msg(x, "\"%.64s\" is not HOST:PORT", v);
	if ((msg = ci_int(x, colon + 1, 0, 65535, &n)) != NULL)
		return msg;
	hl = (size_t)(colon - v);
	if (v[0] == '[') {
		if (hl < 3 || v[hl - 1] != ']')
			return ci_msg(x, "\"%.64s\" is not [ADDRESS]:PORT", v);
		v++;
		hl -= 2;
	} else if (memchr(v, ':', hl) != NULL)
		return ci_msg(x, "\"%.64s\": write an IPv6 address as "
		    "[ADDRESS]:PORT", v);
	*host = xmalloc(hl + 1);
	memcpy(*host, v, hl);
	(*host)[hl] = '\0';
	*port = (uint16_t)n;
	return NULL;
}

/* Setters for the [log] section. */

static const char *
ci_logdest(const char *v, enum conf_logdest *dest, char **path)
{
	free(*path);
	*path = NULL;
	if (*v == '\0')
		*dest = CONF_LOGDEST_CONSOLE;
	else if (strcasecmp(v, "none") == 0)
		*dest = CONF_LOGDEST_OFF;
	else {
		*dest = CONF_LOGDEST_FILE;
		*path = xstrdup(v);
	}
	return NULL;
}

static const char *
ci_set_access(struct ci *x, const char *v)
{
	return ci_logdest(v, &x->c->log.access_dest, &x->c->log.access_path);
}

static const char *
ci_set_error(struct ci *x, const char *v)
{
	return ci_logdest(v, &x->c->log.error_dest, &x->c->log.error_path);
}

static const char *
ci_set_loglevel(struct ci *x, const char *v)
{
	if (conf_loglevel_parse(v, &x->c->log.level) == -1)
		return ci_msg(x, "unknown level \"%.64s\" (debug, info, "
		    "warning, error, none)", v);
	return NULL;
}

static const char *
ci_set_buffer_size(struct ci *x, const char *v)
{
	const char	*msg;
	long long	 n;

	if ((msg = ci_int(x, v, INT32_MIN, INT32_MAX, &n)) != NULL)
		return msg;
	conf_get_level(x->c, x->level, true)->buffer_size = n < 0 ? -1 :
	    (int)n;
	return NULL;
}

/* Setters shared by [inbound] and [outbound]. */

static const char *
ci_set_protocol(struct ci *x, const char *v)
{
	enum conf_proto	p;
	bool		inbound = x->sect == CI_S_INBOUND;

	if (conf_proto_parse(v, &p) == -1)
		return ci_msg(x, "unknown protocol \"%.64s\" (%s)", v,
		    inbound ? "socks, http, dokodemo-door, vmess" :
		    "freedom, blackhole, vmess, socks, http");
	if (inbound && (p == CONF_PROTO_FREEDOM || p == CONF_PROTO_BLACKHOLE))
		return ci_msg(x, "%s is an outbound protocol, not an inbound "
		    "one", conf_proto_name(p));
	if (!inbound && p == CONF_PROTO_DOKODEMO)
		return ci_msg(x, "%s is an inbound protocol, not an outbound "
		    "one", conf_proto_name(p));
	if (inbound)
		ci_in(x)->proto = p;
	else
		ci_out(x)->proto = p;
	return NULL;
}

static const char *
ci_set_network(struct ci *x, const char *v)
{
	struct conf_stream	*st = ci_stream(x);

	if (*v == '\0' || strcasecmp(v, "tcp") == 0)
		st->network = CONF_NET_TCP;
	else if (strcasecmp(v, "kcp") == 0 || strcasecmp(v, "mkcp") == 0)
		st->network = CONF_NET_KCP;
	else if (strcasecmp(v, "ws") == 0 || strcasecmp(v, "websocket") == 0)
		st->network = CONF_NET_WS;
	else if (strcasecmp(v, "h2") == 0 || strcasecmp(v, "http") == 0)
		st->network = CONF_NET_H2;
	else
		return ci_msg(x, "unknown network \"%.64s\" (tcp, kcp, ws "
		    "or h2)", v);
	return NULL;
}

static const char *
ci_set_kcp_header(struct ci *x, const char *v)
{
	struct conf_kcp	*k = &ci_stream(x)->kcp;
	char		*p;

	if (conf_kcp_header_valid(v) == -1)
		return ci_msg(x, "unknown mKCP header type \"%.64s\" (none, "
		    "srtp, utp, wechat-video, dtls, wireguard)", v);
	free(k->header_type);
	k->header_type = xstrdup(v);
	for (p = k->header_type; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return NULL;
}

/* Unlike other strings an empty seed stays: it still turns on AEAD. */
static const char *
ci_set_kcp_seed(struct ci *x, const char *v)
{
	struct conf_kcp	*k = &ci_stream(x)->kcp;

	free(k->seed);
	k->seed = xstrdup(v);
	return NULL;
}

static const char *
ci_set_security(struct ci *x, const char *v)
{
	struct conf_stream	*st = ci_stream(x);

	if (strcasecmp(v, "tls") == 0)
		st->tls = true;
	else if (*v == '\0' || strcasecmp(v, "none") == 0)
		st->tls = false;
	else
		return ci_msg(x, "unknown security \"%.64s\" (tls or none)",
		    v);
	return NULL;
}

static const char *
ci_set_tls_sni(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->tlss.server_name, v);
	return NULL;
}

static const char *
ci_set_tls_insecure(struct ci *x, const char *v)
{
	return ci_bool(x, v, &ci_stream(x)->tlss.allow_insecure);
}

static const char *
ci_set_tls_noroot(struct ci *x, const char *v)
{
	return ci_bool(x, v, &ci_stream(x)->tlss.disable_system_root);
}

static const char *
ci_set_tls_alpn(struct ci *x, const char *v)
{
	struct conf_tls	*t = &ci_stream(x)->tlss;

	conf_strv_free(&t->alpn);
	t->has_alpn = true;
	return ci_split(x, v, &t->alpn);
}

/* CERT[,KEY] files: a certificate to serve (usage encipherment). */
static const char *
ci_set_tls_cert(struct ci *x, const char *v)
{
	struct conf_cert	*c;
	const char		*comma = strchr(v, ',');
	size_t			 n = comma != NULL ? (size_t)(comma - v) :
				    strlen(v);

	while (n > 0 && v[n - 1] == ' ')
		n--;
	if (n == 0)
		return ci_msg(x, "a certificate file is missing (CERT[,KEY])");
	c = conf_tls_add_cert(&ci_stream(x)->tlss);
	c->cert_file = xmalloc(n + 1);
	memcpy(c->cert_file, v, n);
	c->cert_file[n] = '\0';
	if (comma != NULL) {
		for (comma++; *comma == ' '; comma++)
			;
		if (*comma != '\0')
			c->key_file = xstrdup(comma);
	}
	return NULL;
}

/* A client's extra trust anchor (usage verify). */
static const char *
ci_set_tls_ca(struct ci *x, const char *v)
{
	struct conf_cert	*c;

	if (*v == '\0')
		return ci_msg(x, "a certificate file is missing");
	c = conf_tls_add_cert(&ci_stream(x)->tlss);
	c->usage = CONF_CERT_VERIFY;
	c->cert_file = xstrdup(v);
	return NULL;
}

static const char *
ci_set_tcp_header(struct ci *x, const char *v)
{
	struct conf_tcp	*t = &ci_stream(x)->tcp;

	if (strcasecmp(v, "http") == 0)
		t->http_header = true;
	else if (*v == '\0' || strcasecmp(v, "none") == 0)
		t->http_header = false;
	else
		return ci_msg(x, "unknown tcp header type \"%.64s\" (none or "
		    "http)", v);
	return NULL;
}

static const char *
ci_set_tcp_pp(struct ci *x, const char *v)
{
	return ci_bool(x, v, &ci_stream(x)->tcp.accept_proxy_protocol);
}

/* One line of the tcp http header: NAME: VALUE; a name again adds a value. */
static const char *
ci_http_field(struct ci *x, const char *v, struct conf_http_field **f,
    size_t *n)
{
	const char	*c = strchr(v, ':'), *val;
	char		*name;
	size_t		 nl;

	if (c == NULL || c == v)
		return ci_msg(x, "a header is NAME: VALUE");
	for (nl = (size_t)(c - v); nl > 0 && isspace((unsigned char)v[nl - 1]);
	    nl--)
		;
	if (nl == 0 || strcspn(v, " \t") < nl)
		return ci_msg(x, "invalid header name in \"%.64s\"", v);
	for (val = c + 1; isspace((unsigned char)*val); val++)
		;
	name = xmalloc(nl + 1);
	memcpy(name, v, nl);
	name[nl] = '\0';
	conf_strv_push(&conf_http_field_get(f, n, name)->values, val);
	free(name);
	conf_http_fields_sort(*f, *n);
	return NULL;
}

static const char *
ci_set_tcp_rq_ver(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->tcp.req.version, v);
	return NULL;
}

static const char *
ci_set_tcp_rq_method(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->tcp.req.method, v);
	return NULL;
}

static const char *
ci_set_tcp_rq_path(struct ci *x, const char *v)
{
	return ci_split(x, v, &ci_stream(x)->tcp.req.path);
}

static const char *
ci_set_tcp_rq_field(struct ci *x, const char *v)
{
	struct conf_http_req	*r = &ci_stream(x)->tcp.req;

	return ci_http_field(x, v, &r->fields, &r->nfields);
}

static const char *
ci_set_tcp_rs_ver(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->tcp.resp.version, v);
	return NULL;
}

static const char *
ci_set_tcp_rs_status(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->tcp.resp.status, v);
	return NULL;
}

static const char *
ci_set_tcp_rs_reason(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->tcp.resp.reason, v);
	return NULL;
}

static const char *
ci_set_tcp_rs_field(struct ci *x, const char *v)
{
	struct conf_http_resp	*r = &ci_stream(x)->tcp.resp;

	return ci_http_field(x, v, &r->fields, &r->nfields);
}

static const char *
ci_set_ws_path(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->ws.path, v);
	return NULL;
}

static const char *
ci_set_ws_host(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->ws.host, v);
	return NULL;
}

/* ws.header = Name: value, one per line, as the JSON headers object. */
static const char *
ci_set_ws_header(struct ci *x, const char *v)
{
	struct conf_ws	*w = &ci_stream(x)->ws;
	const char	*c = strchr(v, ':'), *val;
	char		*name;
	size_t		 nl;

	if (c == NULL || c == v)
		return ci_msg(x, "a header is NAME: VALUE");
	for (nl = (size_t)(c - v); nl > 0 && isspace((unsigned char)v[nl - 1]);
	    nl--)
		;
	if (nl == 0 || strcspn(v, " \t") < nl)
		return ci_msg(x, "invalid header name in \"%.64s\"", v);
	for (val = c + 1; isspace((unsigned char)*val); val++)
		;
	name = xmalloc(nl + 1);
	memcpy(name, v, nl);
	name[nl] = '\0';
	if (strcasecmp(name, "Host") == 0)
		ci_strset(&w->host, val);
	else {
		conf_strv_push(&w->hdr_names, name);
		conf_strv_push(&w->hdr_values, val);
	}
	free(name);
	return NULL;
}

static const char *
ci_set_ws_pp(struct ci *x, const char *v)
{
	return ci_bool(x, v, &ci_stream(x)->ws.accept_proxy_protocol);
}

/* h2.host = a.example,b.example (repeat to append): httpSettings.host. */
static const char *
ci_set_h2_host(struct ci *x, const char *v)
{
	return ci_split(x, v, &ci_stream(x)->h2.host);
}

static const char *
ci_set_h2_path(struct ci *x, const char *v)
{
	ci_strset(&ci_stream(x)->h2.path, v);
	return NULL;
}

/* Setters for [inbound]. */

static const char *
ci_set_port(struct ci *x, const char *v)
{
	if (conf_ports_parse(v, &ci_in(x)->port) == -1)
		return ci_msg(x, "invalid port \"%.64s\" (N or A-B within "
		    "1..65535)", v);
	return NULL;
}

static const char *
ci_set_sniffing(struct ci *x, const char *v)
{
	struct conf_inbound	*in = ci_in(x);
	struct conf_strv	 sv = { NULL, 0 };
	const char		*msg = NULL;
	size_t			 i;
	bool			 b;

	in->sniff_enabled = in->sniff_http = in->sniff_tls = false;
	if (*v == '\0')
		return NULL;
	if (ci_bool_word(v, &b) == 0) {
		in->sniff_enabled = b;
		return NULL;
	}
	if ((msg = ci_split(x, v, &sv)) == NULL) {
		for (i = 0; i < sv.n && msg == NULL; i++) {
			if (strcasecmp(sv.v[i], "http") == 0)
				in->sniff_http = true;
			else if (strcasecmp(sv.v[i], "tls") == 0 ||
			    strcasecmp(sv.v[i], "https") == 0 ||
			    strcasecmp(sv.v[i], "ssl") == 0)
				in->sniff_tls = true;
			else
				msg = ci_msg(x, "unknown protocol \"%.64s\" "
				    "(http, tls; or on, off)", sv.v[i]);
		}
		in->sniff_enabled = msg == NULL;
	}
	conf_strv_free(&sv);
	return msg;
}

static const char *
ci_set_allocate(struct ci *x, const char *v)
{
	struct conf_allocate	*al = &ci_in(x)->allocate;

	if (*v == '\0' || conf_alloc_strategy_parse(v, &al->strategy) == -1)
		return ci_msg(x, "unknown strategy \"%.64s\" (always or "
		    "random)", v);
	al->present = true;
	return NULL;
}

static const char *
ci_set_alloc_refresh(struct ci *x, const char *v)
{
	struct conf_allocate	*al = &ci_in(x)->allocate;

	if (conf_duration_parse(v, &al->refresh_sec) == -1)
		return ci_msg(x, "invalid duration \"%.64s\" (minutes, or "
		    "20s, 3m, 1h)", v);
	al->present = true;
	return NULL;
}

static const char *
ci_set_alloc_conc(struct ci *x, const char *v)
{
	struct conf_allocate	*al = &ci_in(x)->allocate;
	const char		*msg;
	long long		 n;

	if ((msg = ci_int(x, v, 0, INT32_MAX, &n)) != NULL)
		return msg;
	al->concurrency = (int)n;
	al->present = true;
	return NULL;
}

static const char *
ci_set_auth(struct ci *x, const char *v)
{
	if (strcasecmp(v, "password") == 0)
		ci_in(x)->socks_password = true;
	else if (strcasecmp(v, "noauth") == 0)
		ci_in(x)->socks_password = false;
	else
		return ci_msg(x, "unknown auth \"%.64s\" (noauth or "
		    "password)", v);
	return NULL;
}

/* The user name ends at the first ':'; a password may hold more. */
static const char *
ci_set_account(struct ci *x, const char *v)
{
	struct conf_account	*a;
	const char		*colon;

	struct conf_outbound	*out;

	if ((colon = strchr(v, ':')) == NULL)
		return ci_msg(x, "\"%.64s\" is not USER:PASS", v);
	if (x->sect == CI_S_OUTBOUND) {
		/* socks/http outbound: a user of the last server= */
		out = ci_out(x);
		if (out->nvnext == 0)
			return ci_msg(x, "no server= line before it");
		a = conf_accounts_add(&out->vnext[out->nvnext - 1].accounts,
		    &out->vnext[out->nvnext - 1].naccounts);
	} else
		a = conf_inbound_add_account(ci_in(x));
	a->user = xmalloc((size_t)(colon - v) + 1);
	memcpy(a->user, v, (size_t)(colon - v));
	a->user[colon - v] = '\0';
	a->pass = xstrdup(colon + 1);
	return NULL;
}

static const char *
ci_set_dest_port(struct ci *x, const char *v)
{
	const char	*msg;
	long long	 n;

	if ((msg = ci_int(x, v, 0, 65535, &n)) != NULL)
		return msg;
	ci_in(x)->dk_port = (uint16_t)n;
	return NULL;
}

static const char *
ci_set_to(struct ci *x, const char *v)
{
	struct conf_inbound	*in = ci_in(x);
	const char		*msg;
	char			*host = NULL;
	uint16_t		 port;

	if ((msg = ci_hostport(x, v, &host, &port)) != NULL)
		return msg;
	free(in->dk_address);
	in->dk_address = host;
	in->dk_port = port;
	return NULL;
}

static const char *
ci_set_dk_network(struct ci *x, const char *v)
{
	if (conf_network_parse(v, &ci_in(x)->dk_network) == -1)
		return ci_msg(x, "unknown network \"%.64s\" (tcp, udp or "
		    "tcp,udp)", v);
	return NULL;
}

/* The UUID alone: hex and dashes, nothing V2Ray would skip silently. */
static const char *
ci_uuid(struct ci *x, const char *s, struct conf_user *u)
{
	size_t	n = strlen(s);

	if (n < 32 || n > 36 || strspn(s, "0123456789abcdefABCDEF-") != n ||
	    conf_uuid_parse(s, u->uuid, u->id) == -1)
		return ci_msg(x, "invalid UUID \"%.64s\"", s);
	return NULL;
}

/* "UUID, alterId=N, security=S, level=N, email=E" into u. */
static const char *
ci_user(struct ci *x, const char *v, struct conf_user *u, bool outbound)
{
	char		*copy, *p, *q, *k, *val, *eq;
	const char	*msg;
	long long	 n;

	copy = xstrdup(v);
	if ((q = strchr(copy, ',')) != NULL)
		*q = '\0';
	if ((msg = ci_uuid(x, ci_trim(copy), u)) != NULL)
		goto out;
	for (p = q; p != NULL; p = q) {
		p++;
		if ((eq = strchr(p, '=')) == NULL) {
			msg = ci_msg(x, "\"%.64s\" is not OPTION=VALUE",
			    ci_trim(p));
			goto out;
		}
		*eq = '\0';
		k = ci_trim(p);
		val = eq + 1;
		/* An email runs to the end of the line, commas and all. */
		if (strcasecmp(k, "email") == 0) {
			free(u->email);
			u->email = xstrdup(ci_trim(val));
			break;
		}
		if ((q = strchr(val, ',')) != NULL)
			*q = '\0';
		val = ci_trim(val);
		if (strcasecmp(k, "alterId") == 0) {
			if ((msg = ci_int(x, val, 0, 65535, &n)) != NULL)
				goto out;
			u->alter_id = (int)n;
		} else if (strcasecmp(k, "level") == 0) {
			if ((msg = ci_int(x, val, 0, 255, &n)) != NULL)
				goto out;
			u->level = (uint32_t)n;
		} else if (outbound && strcasecmp(k, "security") == 0) {
			if (conf_security_parse(val, &u->security) == -1) {
				msg = ci_msg(x, "unknown security \"%.64s\" "
				    "(aes-128-gcm, chacha20-poly1305, auto, "
				    "none, zero)", val);
				goto out;
			}
		} else {
			msg = ci_msg(x, "unknown user option \"%.64s\" "
			    "(alterId, level, %semail)", k, outbound ?
			    "security, " : "");
			goto out;
		}
	}
 out:
	free(copy);
	return msg;
}

static const char *
ci_set_client(struct ci *x, const char *v)
{
	return ci_user(x, v, conf_inbound_add_client(ci_in(x)), false);
}

static const char *
ci_set_default_alter(struct ci *x, const char *v)
{
	const char	*msg;
	long long	 n;

	if ((msg = ci_int(x, v, 0, 65535, &n)) != NULL)
		return msg;
	ci_in(x)->default_alter_id = (int)n;
	ci_in(x)->has_default = true;
	return NULL;
}

static const char *
ci_set_default_level(struct ci *x, const char *v)
{
	const char	*msg;
	long long	 n;

	if ((msg = ci_int(x, v, 0, 255, &n)) != NULL)
		return msg;
	ci_in(x)->default_level = (uint32_t)n;
	ci_in(x)->has_default = true;
	return NULL;
}

/* Setters for [outbound]. */

/* A number is the concurrency (0 = off); on/off keep the default 8. */
static const char *
ci_set_mux(struct ci *x, const char *v)
{
	struct conf_outbound	*out = ci_out(x);
	long long		 n;
	bool			 b;

	if (isdigit((unsigned char)*v) || *v == '-') {
		if (ci_int(x, v, 0, 1024, &n) != NULL)
			return ci_msg(x, "invalid mux \"%.64s\" (concurrency "
			    "0..1024, or on/off)", v);
		out->mux_enabled = n > 0;
		if (n > 0)
			out->mux_concurrency = (int)n;
		return NULL;
	}
	if (ci_bool_word(v, &b) == -1)
		return ci_msg(x, "invalid mux \"%.64s\" (concurrency "
		    "0..1024, or on/off)", v);
	out->mux_enabled = b;
	return NULL;
}

static const char *
ci_set_freedom_ds(struct ci *x, const char *v)
{
	if (conf_dstrategy_parse(v, &ci_out(x)->domain_strategy) == -1)
		return ci_msg(x, "unknown domainStrategy \"%.64s\" (AsIs, "
		    "UseIP, UseIPv4, UseIPv6)", v);
	return NULL;
}

static const char *
ci_set_redirect(struct ci *x, const char *v)
{
	if (*v != '\0' && conf_redirect_valid(v) == -1)
		return ci_msg(x, "invalid redirect \"%.64s\" (HOST:PORT or "
		    ":PORT)", v);
	ci_strset(&ci_out(x)->redirect, v);
	return NULL;
}

static const char *
ci_set_response(struct ci *x, const char *v)
{
	if (strcasecmp(v, "http") == 0)
		ci_out(x)->bh_http = true;
	else if (strcasecmp(v, "none") == 0)
		ci_out(x)->bh_http = false;
	else
		return ci_msg(x, "unknown response \"%.64s\" (none or http)",
		    v);
	return NULL;
}

static const char *
ci_set_server(struct ci *x, const char *v)
{
	struct conf_server	*srv;
	const char		*msg;
	char			*host = NULL;
	uint16_t		 port;

	if ((msg = ci_hostport(x, v, &host, &port)) != NULL)
		return msg;
	srv = conf_outbound_add_server(ci_out(x));
	srv->address = host;
	srv->port = port;
	return NULL;
}

static const char *
ci_set_user(struct ci *x, const char *v)
{
	struct conf_outbound	*out = ci_out(x);

	if (out->nvnext == 0)
		return ci_msg(x, "no server= line before it");
	return ci_user(x, v, conf_server_add_user(&out->vnext[out->nvnext -
	    1]), true);
}

/* Setters for [routing] and [rule]. */

static const char *
ci_set_route_ds(struct ci *x, const char *v)
{
	if (conf_route_strategy_parse(v, &x->c->route_strategy) == -1)
		return ci_msg(x, "unknown domainStrategy \"%.64s\" (AsIs, "
		    "IPIfNonMatch, IPOnDemand)", v);
	return NULL;
}

/* Port lists stay one string, as in JSON; repeated keys join with ','. */
static const char *
ci_portlist(struct ci *x, const char *v, char **dst)
{
	struct conf_strv	 sv = { NULL, 0 };
	const char		*msg;
	size_t			 i, n, len;
	char			*s;

	if ((msg = ci_split(x, v, &sv)) != NULL) {
		conf_strv_free(&sv);
		return msg;
	}
	len = *dst != NULL ? strlen(*dst) : 0;
	for (i = 0, n = len; i < sv.n; i++)
		n += strlen(sv.v[i]) + 1;
	s = xmalloc(n + 1);
	s[0] = '\0';
	if (*dst != NULL)
		memcpy(s, *dst, len + 1);
	for (i = 0; i < sv.n; i++) {
		if (*s != '\0')
			strcat(s, ",");
		strcat(s, sv.v[i]);
	}
	free(*dst);
	*dst = s;
	conf_strv_free(&sv);
	return NULL;
}

static const char *
ci_set_rule_port(struct ci *x, const char *v)
{
	return ci_portlist(x, v, &x->c->rules[x->idx].port);
}

static const char *
ci_set_rule_sport(struct ci *x, const char *v)
{
	return ci_portlist(x, v, &x->c->rules[x->idx].source_port);
}

static const char *
ci_set_rule_network(struct ci *x, const char *v)
{
	unsigned	bits;

	if (conf_network_parse(v, &bits) == -1)
		return ci_msg(x, "unknown network \"%.64s\" (tcp, udp or "
		    "tcp,udp)", v);
	x->c->rules[x->idx].network |= bits;
	return NULL;
}

/* Setters for [dns], [dns server] and the dns outbound. */

/* "KEY ADDRESS": a repeated KEY adds to its entry, as a JSON list. */
static const char *
ci_set_dns_host(struct ci *x, const char *v)
{
	struct conf_dns		*d = &x->c->dns;
	struct conf_dns_host	*h = NULL;
	char			*copy, *key, *val;
	size_t			 i;

	copy = xstrdup(v);
	for (val = copy; *val != '\0' && !isspace((unsigned char)*val); val++)
		;
	if (*val != '\0')
		*val++ = '\0';
	key = copy;
	val = ci_trim(val);
	if (*key == '\0' || *val == '\0' || strchr(val, ' ') != NULL) {
		free(copy);
		return ci_msg(x, "\"%.64s\": want KEY ADDRESS (one address a "
		    "line; repeat the key for more)", v);
	}
	for (i = 0; i < d->nhosts; i++)
		if (strcmp(d->hosts[i].key, key) == 0)
			h = &d->hosts[i];
	if (h == NULL) {
		h = conf_dns_add_host(d);
		h->key = xstrdup(key);
	}
	conf_strv_push(&h->values, val);
	free(copy);
	return NULL;
}

static const char *
ci_set_dns_port(struct ci *x, const char *v)
{
	const char	*msg;
	long long	 n;

	if ((msg = ci_int(x, v, 0, 65535, &n)) != NULL)
		return msg;
	if (x->sect == CI_S_DNSSRV)
		x->c->dns.servers[x->c->dns.nservers - 1].port = (uint16_t)n;
	else
		ci_out(x)->dns_port = (uint16_t)n;
	return NULL;
}

static const char *
ci_set_dns_network(struct ci *x, const char *v)
{
	if (conf_network_parse(v, &ci_out(x)->dns_network) == -1)
		return ci_msg(x, "unknown network \"%.64s\" (tcp or udp)", v);
	return NULL;
}

#define SOCKS		PB(CONF_PROTO_SOCKS)
#define DOKO		PB(CONF_PROTO_DOKODEMO)
#define VMESS		PB(CONF_PROTO_VMESS)
#define FREEDOM		PB(CONF_PROTO_FREEDOM)
#define BLACKHOLE	PB(CONF_PROTO_BLACKHOLE)
#define HTTP		PB(CONF_PROTO_HTTP)
#define DNSOUT		PB(CONF_PROTO_DNS)

#define FN(sects, name, protos, rep, fn)				\
	{ sects, name, protos, rep, CI_T_FN, CI_B_NONE, 0, 0, 0, fn }
#define FIELD(sects, name, protos, type, base, st, mem, min, max)	\
	{ sects, name, protos, false, type, base, offsetof(st, mem),	\
	  min, max, NULL }

static const struct ci_key ci_keys[] = {
	FN(SB(CI_S_LOG), "access", 0, false, ci_set_access),
	FN(SB(CI_S_LOG), "error", 0, false, ci_set_error),
	FN(SB(CI_S_LOG), "loglevel", 0, false, ci_set_loglevel),

	FIELD(SB(CI_S_POLICY), "handshake", 0, CI_T_INT, CI_B_LEVEL,
	    struct conf_level, handshake, 0, INT32_MAX),
	FIELD(SB(CI_S_POLICY), "connIdle", 0, CI_T_INT, CI_B_LEVEL,
	    struct conf_level, conn_idle, 0, INT32_MAX),
	FIELD(SB(CI_S_POLICY), "uplinkOnly", 0, CI_T_INT, CI_B_LEVEL,
	    struct conf_level, uplink_only, 0, INT32_MAX),
	FIELD(SB(CI_S_POLICY), "downlinkOnly", 0, CI_T_INT, CI_B_LEVEL,
	    struct conf_level, downlink_only, 0, INT32_MAX),
	FN(SB(CI_S_POLICY), "bufferSize", 0, false, ci_set_buffer_size),
	FIELD(SB(CI_S_SYSTEM), "handshakePerSource", 0, CI_T_INT, CI_B_CONF,
	    struct conf, hs_per_source, 0, CONF_HS_PER_SOURCE_MAX),
	FIELD(SB(CI_S_POLICY), "statsUserUplink", 0, CI_T_BOOL, CI_B_LEVEL,
	    struct conf_level, stats_user_up, 0, 0),
	FIELD(SB(CI_S_POLICY), "statsUserDownlink", 0, CI_T_BOOL, CI_B_LEVEL,
	    struct conf_level, stats_user_down, 0, 0),
	FIELD(SB(CI_S_SYSTEM), "statsInboundUplink", 0, CI_T_BOOL, CI_B_CONF,
	    struct conf, stats_in_up, 0, 0),
	FIELD(SB(CI_S_SYSTEM), "statsInboundDownlink", 0, CI_T_BOOL,
	    CI_B_CONF, struct conf, stats_in_down, 0, 0),
	FIELD(SB(CI_S_SYSTEM), "statsOutboundUplink", 0, CI_T_BOOL, CI_B_CONF,
	    struct conf, stats_out_up, 0, 0),
	FIELD(SB(CI_S_SYSTEM), "statsOutboundDownlink", 0, CI_T_BOOL,
	    CI_B_CONF, struct conf, stats_out_down, 0, 0),
	FIELD(SB(CI_S_METRICS), "listen", 0, CI_T_STR, CI_B_CONF,
	    struct conf, metrics.listen, 0, 0),
	FIELD(SB(CI_S_METRICS), "user", 0, CI_T_STR, CI_B_CONF,
	    struct conf, metrics.user, 0, 0),
	FIELD(SB(CI_S_METRICS), "password", 0, CI_T_STR, CI_B_CONF,
	    struct conf, metrics.password, 0, 0),
	FIELD(SB(CI_S_METRICS), "resetOnReload", 0, CI_T_BOOL, CI_B_CONF,
	    struct conf, metrics.reset_on_reload, 0, 0),

	FN(S_BOUND, "protocol", 0, false, ci_set_protocol),
	FN(S_BOUND, "network", 0, false, ci_set_network),
	FIELD(S_BOUND, "kcp.mtu", 0, CI_T_INT, CI_B_KCP, struct conf_kcp,
	    mtu, 576, 1460),
	FIELD(S_BOUND, "kcp.tti", 0, CI_T_INT, CI_B_KCP, struct conf_kcp,
	    tti, 10, 100),
	FIELD(S_BOUND, "kcp.uplinkCapacity", 0, CI_T_INT, CI_B_KCP,
	    struct conf_kcp, uplink_capacity, 0, INT32_MAX),
	FIELD(S_BOUND, "kcp.downlinkCapacity", 0, CI_T_INT, CI_B_KCP,
	    struct conf_kcp, downlink_capacity, 0, INT32_MAX),
	FIELD(S_BOUND, "kcp.congestion", 0, CI_T_BOOL, CI_B_KCP,
	    struct conf_kcp, congestion, 0, 0),
	FIELD(S_BOUND, "kcp.readBufferSize", 0, CI_T_INT, CI_B_KCP,
	    struct conf_kcp, read_buffer_size, 0, INT32_MAX),
	FIELD(S_BOUND, "kcp.writeBufferSize", 0, CI_T_INT, CI_B_KCP,
	    struct conf_kcp, write_buffer_size, 0, INT32_MAX),
	FN(S_BOUND, "kcp.header", 0, false, ci_set_kcp_header),
	FN(S_BOUND, "kcp.seed", 0, false, ci_set_kcp_seed),
	FN(S_BOUND, "security", 0, false, ci_set_security),
	FN(S_BOUND, "tls.serverName", 0, false, ci_set_tls_sni),
	FN(S_BOUND, "tls.allowInsecure", 0, false, ci_set_tls_insecure),
	FN(S_BOUND, "tls.disableSystemRoot", 0, false, ci_set_tls_noroot),
	FN(S_BOUND, "tls.alpn", 0, false, ci_set_tls_alpn),
	FN(S_BOUND, "tls.certificate", 0, true, ci_set_tls_cert),
	FN(S_BOUND, "tls.ca", 0, true, ci_set_tls_ca),
	FN(S_BOUND, "ws.path", 0, false, ci_set_ws_path),
	FN(S_BOUND, "ws.host", 0, false, ci_set_ws_host),
	FN(S_BOUND, "ws.header", 0, true, ci_set_ws_header),
	FN(S_BOUND, "ws.acceptProxyProtocol", 0, false, ci_set_ws_pp),
	FN(S_BOUND, "h2.host", 0, true, ci_set_h2_host),
	FN(S_BOUND, "h2.path", 0, false, ci_set_h2_path),
	FN(S_BOUND, "tcp.header", 0, false, ci_set_tcp_header),
	FN(S_BOUND, "tcp.acceptProxyProtocol", 0, false, ci_set_tcp_pp),
	FN(S_BOUND, "tcp.request.version", 0, false, ci_set_tcp_rq_ver),
	FN(S_BOUND, "tcp.request.method", 0, false, ci_set_tcp_rq_method),
	FN(S_BOUND, "tcp.request.path", 0, true, ci_set_tcp_rq_path),
	FN(S_BOUND, "tcp.request.header", 0, true, ci_set_tcp_rq_field),
	FN(S_BOUND, "tcp.response.version", 0, false, ci_set_tcp_rs_ver),
	FN(S_BOUND, "tcp.response.status", 0, false, ci_set_tcp_rs_status),
	FN(S_BOUND, "tcp.response.reason", 0, false, ci_set_tcp_rs_reason),
	FN(S_BOUND, "tcp.response.header", 0, true, ci_set_tcp_rs_field),

	FIELD(SB(CI_S_INBOUND), "listen", 0, CI_T_STR, CI_B_IN,
	    struct conf_inbound, listen, 0, 0),
	FN(SB(CI_S_INBOUND), "port", 0, false, ci_set_port),
	FN(SB(CI_S_INBOUND), "sniffing", 0, false, ci_set_sniffing),
	FN(SB(CI_S_INBOUND), "allocate", 0, false, ci_set_allocate),
	FN(SB(CI_S_INBOUND), "allocate.refresh", 0, false,
	    ci_set_alloc_refresh),
	FN(SB(CI_S_INBOUND), "allocate.concurrency", 0, false,
	    ci_set_alloc_conc),
	FN(SB(CI_S_INBOUND), "auth", SOCKS, false, ci_set_auth),
	FN(SB(CI_S_INBOUND), "account", SOCKS | HTTP, true, ci_set_account),
	FIELD(SB(CI_S_INBOUND), "allowTransparent", HTTP, CI_T_BOOL, CI_B_IN,
	    struct conf_inbound, http_transparent, 0, 0),
	FIELD(SB(CI_S_INBOUND), "timeout", SOCKS | DOKO | HTTP, CI_T_INT,
	    CI_B_IN, struct conf_inbound, http_timeout, 0, INT32_MAX),
	FIELD(SB(CI_S_INBOUND), "udp", SOCKS, CI_T_BOOL, CI_B_IN,
	    struct conf_inbound, socks_udp, 0, 0),
	FIELD(SB(CI_S_INBOUND), "ip", SOCKS, CI_T_STR, CI_B_IN,
	    struct conf_inbound, socks_ip, 0, 0),
	FIELD(SB(CI_S_INBOUND), "userLevel", SOCKS | DOKO | HTTP, CI_T_U32,
	    CI_B_IN, struct conf_inbound, user_level, 0, UINT32_MAX),
	FIELD(SB(CI_S_INBOUND), "address", DOKO, CI_T_STR, CI_B_IN,
	    struct conf_inbound, dk_address, 0, 0),
	FN(SB(CI_S_INBOUND), "destPort", DOKO, false, ci_set_dest_port),
	FN(SB(CI_S_INBOUND), "to", DOKO, false, ci_set_to),
	FN(SB(CI_S_INBOUND), "dokodemo.network", DOKO, false,
	    ci_set_dk_network),
	FIELD(SB(CI_S_INBOUND), "followRedirect", DOKO, CI_T_BOOL,
	    CI_B_IN, struct conf_inbound, dk_follow_redirect, 0, 0),
	FN(SB(CI_S_INBOUND), "client", VMESS, true, ci_set_client),
	FN(SB(CI_S_INBOUND), "default.alterId", VMESS, false,
	    ci_set_default_alter),
	FN(SB(CI_S_INBOUND), "default.level", VMESS, false,
	    ci_set_default_level),
	FIELD(SB(CI_S_INBOUND), "detour", VMESS, CI_T_STR, CI_B_IN,
	    struct conf_inbound, detour_to, 0, 0),
	FIELD(SB(CI_S_INBOUND), "disableInsecureEncryption", VMESS,
	    CI_T_BOOL, CI_B_IN, struct conf_inbound, disable_insecure, 0, 0),

	FIELD(SB(CI_S_OUTBOUND), "sendThrough", 0, CI_T_STR, CI_B_OUT,
	    struct conf_outbound, send_through, 0, 0),
	FN(SB(CI_S_OUTBOUND), "mux", 0, false, ci_set_mux),
	FN(SB(CI_S_OUTBOUND), "domainStrategy", FREEDOM, false,
	    ci_set_freedom_ds),
	FN(SB(CI_S_OUTBOUND), "redirect", FREEDOM, false, ci_set_redirect),
	FIELD(SB(CI_S_OUTBOUND), "userLevel", FREEDOM, CI_T_U32, CI_B_OUT,
	    struct conf_outbound, user_level, 0, UINT32_MAX),
	FN(SB(CI_S_OUTBOUND), "response", BLACKHOLE, false, ci_set_response),
	FN(SB(CI_S_OUTBOUND), "server", VMESS | SOCKS | HTTP, true,
	    ci_set_server),
	FN(SB(CI_S_OUTBOUND), "user", VMESS, true, ci_set_user),
	FN(SB(CI_S_OUTBOUND), "account", SOCKS | HTTP, true, ci_set_account),
	FIELD(SB(CI_S_OUTBOUND), "proxy", 0, CI_T_STR, CI_B_OUT,
	    struct conf_outbound, proxy_tag, 0, 0),

	FN(SB(CI_S_ROUTING), "domainStrategy", 0, false, ci_set_route_ds),

	{ SB(CI_S_RULE), "domain", 0, true, CI_T_LIST, CI_B_RULE,
	  offsetof(struct conf_rule, domain), 0, 0, NULL },
	{ SB(CI_S_RULE), "ip", 0, true, CI_T_LIST, CI_B_RULE,
	  offsetof(struct conf_rule, ip), 0, 0, NULL },
	FN(SB(CI_S_RULE), "port", 0, true, ci_set_rule_port),
	FN(SB(CI_S_RULE), "sourcePort", 0, true, ci_set_rule_sport),
	FN(SB(CI_S_RULE), "network", 0, true, ci_set_rule_network),
	{ SB(CI_S_RULE), "source", 0, true, CI_T_LIST, CI_B_RULE,
	  offsetof(struct conf_rule, source), 0, 0, NULL },
	{ SB(CI_S_RULE), "user", 0, true, CI_T_LIST, CI_B_RULE,
	  offsetof(struct conf_rule, user), 0, 0, NULL },
	{ SB(CI_S_RULE), "inboundTag", 0, true, CI_T_LIST, CI_B_RULE,
	  offsetof(struct conf_rule, inbound_tag), 0, 0, NULL },
	{ SB(CI_S_RULE), "protocol", 0, true, CI_T_LIST, CI_B_RULE,
	  offsetof(struct conf_rule, protocol), 0, 0, NULL },
	FIELD(SB(CI_S_RULE), "outboundTag", 0, CI_T_STR, CI_B_RULE,
	    struct conf_rule, outbound_tag, 0, 0),
	FIELD(SB(CI_S_RULE), "balancerTag", 0, CI_T_STR, CI_B_RULE,
	    struct conf_rule, balancer_tag, 0, 0),

	FIELD(S_REV, "domain", 0, CI_T_STR, CI_B_REV,
	    struct conf_reverse_end, domain, 0, 0),

	FIELD(SB(CI_S_DNS), "tag", 0, CI_T_STR, CI_B_CONF, struct conf,
	    dns.tag, 0, 0),
	FIELD(SB(CI_S_DNS), "clientIp", 0, CI_T_STR, CI_B_CONF, struct conf,
	    dns.client_ip, 0, 0),
	FN(SB(CI_S_DNS), "host", 0, true, ci_set_dns_host),
	FIELD(SB(CI_S_DNSSRV), "address", 0, CI_T_STR, CI_B_DNSSRV,
	    struct conf_dns_server, address, 0, 0),
	FN(SB(CI_S_DNSSRV) | SB(CI_S_OUTBOUND), "port", DNSOUT, false,
	    ci_set_dns_port),
	{ SB(CI_S_DNSSRV), "domains", 0, true, CI_T_LIST, CI_B_DNSSRV,
	  offsetof(struct conf_dns_server, domains), 0, 0, NULL },
	{ SB(CI_S_DNSSRV), "expectIps", 0, true, CI_T_LIST, CI_B_DNSSRV,
	  offsetof(struct conf_dns_server, expect_ips), 0, 0, NULL },
	FIELD(SB(CI_S_DNSSRV), "clientIp", 0, CI_T_STR, CI_B_DNSSRV,
	    struct conf_dns_server, client_ip, 0, 0),
	FIELD(SB(CI_S_OUTBOUND), "address", DNSOUT, CI_T_STR, CI_B_OUT,
	    struct conf_outbound, dns_address, 0, 0),
	FN(SB(CI_S_OUTBOUND), "dns.network", DNSOUT, false,
	    ci_set_dns_network),
};

#define CI_NKEYS	(sizeof(ci_keys) / sizeof(ci_keys[0]))
_Static_assert(CI_NKEYS <= CI_MAXKEYS, "raise CI_MAXKEYS");

static const char *
ci_sect_name(enum ci_sect s)
{
	switch (s) {
	case CI_S_LOG:
		return "log";
	case CI_S_POLICY:
		return "policy";
	case CI_S_SYSTEM:
		return "policy system";
	case CI_S_INBOUND:
		return "inbound";
	case CI_S_OUTBOUND:
		return "outbound";
	case CI_S_ROUTING:
		return "routing";
	case CI_S_RULE:
		return "rule";
	case CI_S_BRIDGE:
		return "bridge";
	case CI_S_PORTAL:
		return "portal";
	case CI_S_STATS:
		return "stats";
	case CI_S_METRICS:
		return "metrics";
	case CI_S_DNS:
		return "dns";
	case CI_S_DNSSRV:
		return "dns server";
	case CI_S_NONE:
	case CI_S_SKIP:
		break;
	}
	return "?";
}

static const char *
ci_apply(struct ci *x, const struct ci_key *k, const char *v)
{
	char		*base;
	const char	*msg;
	long long	 n;
	bool		 b;

	if (k->type == CI_T_FN)
		return k->fn(x, v);
	base = ci_base(x, k->base);
	switch (k->type) {
	case CI_T_INT:
	case CI_T_U32:
		if ((msg = ci_int(x, v, k->min, k->max, &n)) != NULL)
			return msg;
		if (k->type == CI_T_INT)
			*(int *)(void *)(base + k->off) = (int)n;
		else
			*(uint32_t *)(void *)(base + k->off) = (uint32_t)n;
		return NULL;
	case CI_T_BOOL:
		if ((msg = ci_bool(x, v, &b)) != NULL)
			return msg;
		*(bool *)(void *)(base + k->off) = b;
		return NULL;
	case CI_T_STR:
		ci_strset((char **)(void *)(base + k->off), v);
		return NULL;
	case CI_T_LIST:
		return ci_split(x, v,
		    (struct conf_strv *)(void *)(base + k->off));
	case CI_T_FN:
		break;
	}
	return NULL;
}

/* inih's handler: one key of the current section. */
static int
ci_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct ci		*x = user;
	const struct ci_key	*k = NULL;
	const char		*msg;
	size_t			 i;

	(void)section;		/* ours, from the reader, is not cut short */
	if (x->sect == CI_S_SKIP)
		return 1;
	if (x->sect == CI_S_NONE) {
		ci_err(x, x->line, "%.64s: key outside any section (start "
		    "one with a header such as [inbound])", name);
		return 1;
	}
	for (i = 0; i < CI_NKEYS; i++)
		if ((ci_keys[i].sects & SB(x->sect)) != 0 &&
		    strcasecmp(ci_keys[i].name, name) == 0) {
			k = &ci_keys[i];
			break;
		}
	if (k == NULL) {
		ci_err(x, x->line, "unknown key \"%.64s\" in [%s]", name,
		    ci_sect_name(x->sect));
		return 1;
	}
	if (x->seen[i] != 0 && !k->repeat) {
		ci_err(x, x->line, "%.64s: given twice in %s (first on line "
		    "%d)", name, x->label, x->seen[i]);
		return 1;
	}
	if (x->seen[i] == 0)
		x->seen[i] = x->line;
	if ((msg = ci_apply(x, k, value)) != NULL)
		ci_err(x, x->line, "%.64s: %s", name, msg);
	return 1;
}

static size_t
ci_key_index(const char *name, enum ci_sect s)
{
	size_t	i;

	for (i = 0; i < CI_NKEYS; i++)
		if ((ci_keys[i].sects & SB(s)) != 0 &&
		    strcmp(ci_keys[i].name, name) == 0)
			return i;
	return 0;
}

/* Checks that need the whole [inbound] or [outbound] section. */
static void
ci_finish_bound(struct ci *x)
{
	const struct ci_key	*k;
	enum conf_proto		 proto;
	enum conf_network	 net;
	size_t			 i, to;

	if (x->sect == CI_S_INBOUND) {
		proto = ci_in(x)->proto;
		net = ci_in(x)->stream.network;
	} else {
		proto = ci_out(x)->proto;
		net = ci_out(x)->stream.network;
	}
	if (proto == CONF_PROTO_NONE) {
		/* A bad protocol= was reported where it stood. */
		if (x->seen[ci_key_index("protocol", x->sect)] == 0)
			ci_err(x, x->sect_line, "%s: protocol is missing",
			    x->label);
		return;
	}
	for (i = 0; i < CI_NKEYS; i++) {
		k = &ci_keys[i];
		if (x->seen[i] == 0)
			continue;
		if (k->protos != 0 && (k->protos & PB(proto)) == 0)
			ci_err(x, x->seen[i], "%s: not a setting of protocol "
			    "%s", k->name, conf_proto_name(proto));
		if (net != CONF_NET_KCP && strncmp(k->name, "kcp.", 4) == 0)
			ci_warn(x, x->seen[i], "%s: ignored, network is not "
			    "kcp", k->name);
		if (net != CONF_NET_WS && strncmp(k->name, "ws.", 3) == 0)
			ci_warn(x, x->seen[i], "%s: ignored, network is not "
			    "ws", k->name);
		if (net != CONF_NET_H2 && strncmp(k->name, "h2.", 3) == 0)
			ci_warn(x, x->seen[i], "%s: ignored, network is not "
			    "h2", k->name);
	}
	if (x->sect == CI_S_INBOUND && proto == CONF_PROTO_DOKODEMO) {
		to = ci_key_index("to", CI_S_INBOUND);
		if (x->seen[to] != 0 && (x->seen[ci_key_index("address",
		    CI_S_INBOUND)] != 0 || x->seen[ci_key_index("destPort",
		    CI_S_INBOUND)] != 0))
			ci_err(x, x->seen[to], "to: give either to= or "
			    "address= and destPort=, not both");
	}
}

static void
ci_finish(struct ci *x)
{
	struct conf_log	*l = &x->c->log;

	switch (x->sect) {
	case CI_S_LOG:
		/* As in JSON: loglevel none silences both logs. */
		if (l->level == CONF_LOG_NONE) {
			l->access_dest = CONF_LOGDEST_OFF;
			l->error_dest = CONF_LOGDEST_OFF;
		}
		break;
	case CI_S_INBOUND:
	case CI_S_OUTBOUND:
		ci_finish_bound(x);
		break;
	case CI_S_DNS:
		conf_dns_sort_hosts(&x->c->dns);
		break;
	default:
		break;
	}
	memset(x->seen, 0, sizeof(x->seen));
	x->sect = CI_S_NONE;
}

enum ci_arg { CI_ARG_NONE, CI_ARG_OPT, CI_ARG_NEED };

static const struct {
	const char	*kind;
	enum ci_sect	 sect;
	enum ci_arg	 arg;
} ci_kinds[] = {
	{ "log", CI_S_LOG, CI_ARG_NONE },
	{ "policy", CI_S_POLICY, CI_ARG_NEED },
	{ "inbound", CI_S_INBOUND, CI_ARG_OPT },
	{ "outbound", CI_S_OUTBOUND, CI_ARG_OPT },
	{ "routing", CI_S_ROUTING, CI_ARG_NONE },
	{ "rule", CI_S_RULE, CI_ARG_NONE },
	{ "bridge", CI_S_BRIDGE, CI_ARG_NEED },
	{ "portal", CI_S_PORTAL, CI_ARG_NEED },
	{ "stats", CI_S_STATS, CI_ARG_NONE },
	{ "metrics", CI_S_METRICS, CI_ARG_NONE },
	{ "dns", CI_S_DNS, CI_ARG_OPT },
};

/* A section that may come once: true the first time, else reported. */
static bool
ci_once(struct ci *x, enum ci_sect s, int *first)
{
	if (*first != 0) {
		ci_err(x, x->line, "duplicate [%s] section (first on line %d)",
		    ci_sect_name(s), *first);
		return false;
	}
	*first = x->line;
	return true;
}

/* Make the object a header names; false when the header is unusable. */
static bool
ci_begin(struct ci *x, enum ci_sect s, const char *arg)
{
	struct conf_reverse_end	*re;
	unsigned long long	 n;
	char			*e;

	switch (s) {
	case CI_S_LOG:
		if (!ci_once(x, s, &x->log_line))
			break;
		/* As in JSON: with a log section, no path means console. */
		x->c->log.access_dest = CONF_LOGDEST_CONSOLE;
		x->c->log.error_dest = CONF_LOGDEST_CONSOLE;
		break;
	case CI_S_POLICY:
		errno = 0;
		n = strtoull(arg, &e, 10);
		if (!isdigit((unsigned char)*arg) || *e != '\0' ||
		    errno == ERANGE || n > UINT32_MAX) {
			ci_err(x, x->line, "[policy %.64s]: the level must "
			    "be a number 0..4294967295", arg);
			return false;
		}
		x->level = (uint32_t)n;
		if (conf_get_level(x->c, x->level, false) != NULL)
			ci_err(x, x->line, "duplicate [policy %u] section",
			    x->level);
		conf_get_level(x->c, x->level, true);
		break;
	case CI_S_SYSTEM:
		ci_once(x, s, &x->system_line);
		break;
	case CI_S_STATS:
		ci_once(x, s, &x->stats_line);
		x->c->stats = true;
		break;
	case CI_S_METRICS:
		ci_once(x, s, &x->metrics_line);
		break;
	case CI_S_DNS:
		ci_once(x, s, &x->dns_line);
		x->c->dns.present = true;
		break;
	case CI_S_DNSSRV:
		conf_dns_add_server(&x->c->dns);
		x->c->dns.present = true;
		break;
	case CI_S_INBOUND:
		conf_add_inbound(x->c)->tag = *arg != '\0' ? xstrdup(arg) :
		    NULL;
		x->idx = x->c->ninbounds - 1;
		break;
	case CI_S_OUTBOUND:
		conf_add_outbound(x->c)->tag = *arg != '\0' ? xstrdup(arg) :
		    NULL;
		x->idx = x->c->noutbounds - 1;
		break;
	case CI_S_ROUTING:
		ci_once(x, s, &x->routing_line);
		break;
	case CI_S_RULE:
		conf_add_rule(x->c);
		x->idx = x->c->nrules - 1;
		break;
	case CI_S_BRIDGE:
	case CI_S_PORTAL:
		re = s == CI_S_BRIDGE ? conf_add_bridge(x->c) :
		    conf_add_portal(x->c);
		re->tag = xstrdup(arg);
		x->idx = (s == CI_S_BRIDGE ? x->c->nbridges :
		    x->c->nportals) - 1;
		break;
	case CI_S_NONE:
	case CI_S_SKIP:
		return false;
	}
	return true;
}

/* A "[kind NAME]" line: p holds n characters, p[0] == '['. */
static void
ci_header(struct ci *x, const char *p, size_t n)
{
	const char	*close, *rest;
	char		 text[CI_LINE_MAX + 1], *kind, *arg;
	size_t		 i, len;
	enum ci_sect	 sect;

	ci_finish(x);
	x->sect = CI_S_SKIP;
	x->sect_line = x->line;
	if ((close = memchr(p, ']', n)) == NULL) {
		ci_err(x, x->line, "section header without a closing ']'");
		return;
	}
	for (rest = close + 1; rest < p + n && isspace((unsigned char)*rest);
	    rest++)
		;
	if (rest < p + n && *rest != ';' && *rest != '#')
		ci_err(x, x->line, "text after the section header \"%.*s\"",
		    (int)(close + 1 - p), p);
	len = (size_t)(close - p - 1);
	memcpy(text, p + 1, len);
	text[len] = '\0';
	kind = ci_trim(text);
	for (arg = kind; *arg != '\0' && !isspace((unsigned char)*arg); arg++)
		;
	if (*arg != '\0')
		*arg++ = '\0';
	arg = ci_trim(arg);
	snprintf(x->label, sizeof(x->label), "[%s%s%.64s]", kind,
	    *arg != '\0' ? " " : "", arg);
	for (i = 0; i < sizeof(ci_kinds) / sizeof(ci_kinds[0]); i++)
		if (strcasecmp(kind, ci_kinds[i].kind) == 0)
			break;
	if (i == sizeof(ci_kinds) / sizeof(ci_kinds[0])) {
		ci_err(x, x->line, "unknown section [%.64s] (log, policy, "
		    "inbound, outbound, routing, rule, bridge, portal, stats, "
		    "metrics, dns)", kind);
		return;
	}
	if (ci_kinds[i].arg == CI_ARG_NEED && *arg == '\0') {
		ci_err(x, x->line, "[%s] needs a name, as in [%s %s]",
		    ci_kinds[i].kind, ci_kinds[i].kind,
		    ci_kinds[i].sect == CI_S_POLICY ? "0" : "TAG");
		return;
	}
	if (ci_kinds[i].arg == CI_ARG_NONE && *arg != '\0')
		ci_err(x, x->line, "[%s] takes no name, got \"%.64s\"",
		    ci_kinds[i].kind, arg);
	/* [policy system] is V2Ray's policy.system, not a level. */
	sect = ci_kinds[i].sect;
	if (sect == CI_S_POLICY && strcasecmp(arg, "system") == 0)
		sect = CI_S_SYSTEM;
	/* [dns server] is one of dns.servers. */
	if (sect == CI_S_DNS && strcasecmp(arg, "server") == 0)
		sect = CI_S_DNSSRV;
	else if (sect == CI_S_DNS && *arg != '\0') {
		ci_err(x, x->line, "[dns] takes no name but \"server\", got "
		    "\"%.64s\"", arg);
		return;
	}
	if (ci_begin(x, sect, arg))
		x->sect = sect;
}

/*
 * True when p is "key = value" as inih will split it. *np may shrink: a
 * ';' that opens the value starts a comment, as one after a blank does
 * (inih alone would keep "=;x" as a value but drop "= ;x").
 */
static bool
ci_keyline_ok(struct ci *x, const char *p, size_t *np)
{
	size_t	i, k, n = *np;

	for (i = 0; i < n; i++) {
		if (p[i] == '=' || p[i] == ':')
			break;
		/* inih's inline comment: a ';' after whitespace. */
		if (p[i] == ';' && i > 0 && isspace((unsigned char)p[i - 1]))
			break;
	}
	if (i == n || p[i] == ';') {
		ci_err(x, x->line, "expected KEY = VALUE, a [section] or a "
		    "comment, got \"%.*s\"", (int)(n < 64 ? n : 64), p);
		return false;
	}
	for (k = i; k > 0 && isspace((unsigned char)p[k - 1]); k--)
		;
	if (k == 0) {
		ci_err(x, x->line, "missing key before '%c'", p[i]);
		return false;
	}
	for (k = i + 1; k < n && isspace((unsigned char)p[k]); k++)
		;
	if (k < n && p[k] == ';')
		*np = i + 1;
	return true;
}

/*
 * inih's reader: hands over one line at a time, left-trimmed so inih
 * never takes it for a continuation. Headers and bad lines are dealt
 * with here and reach inih as blank lines.
 */
static char *
ci_reader(char *str, int num, void *stream)
{
	struct ci	*x = stream;
	const char	*p, *nl;
	size_t		 n, max;

	if (x->off >= x->len || num < 2)
		return NULL;
	p = x->buf + x->off;
	nl = memchr(p, '\n', x->len - x->off);
	n = nl != NULL ? (size_t)(nl - p) : x->len - x->off;
	x->off += n + (nl != NULL);
	x->line++;
	str[0] = '\n';
	str[1] = '\0';
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (x->line == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	max = (size_t)num - 2 < CI_LINE_MAX ? (size_t)num - 2 : CI_LINE_MAX;
	if (memchr(p, '\0', n) != NULL) {
		ci_err(x, x->line, "NUL byte in the line");
		return str;
	}
	if (n > max) {
		ci_err(x, x->line, "line too long (%zu characters, at most "
		    "%zu): split the list over repeated keys", n, max);
		return str;
	}
	while (n > 0 && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (n == 0 || *p == ';' || *p == '#')
		return str;
	if (*p == '[') {
		ci_header(x, p, n);
		return str;
	}
	if (!ci_keyline_ok(x, p, &n))
		return str;
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

int
conf_load_ini_buf(const char *name, const char *buf, size_t len,
    struct conf *c, struct conf_diag *d)
{
	struct ci	 x;
	size_t		 nerr = d->errors.n;
	int		 rv;

	memset(&x, 0, sizeof(x));
	x.name = name != NULL ? name : "config";
	x.c = c;
	x.d = d;
	x.buf = buf;
	x.len = buf != NULL ? len : 0;
	if (c->path == NULL)
		c->path = xstrdup(x.name);
	rv = ini_parse_stream(ci_reader, &x, ci_handler, &x);
	ci_finish(&x);
	/* Our reader hands inih only lines it accepts; this is a backstop. */
	if (rv > 0 && d->errors.n == nerr)
		ci_err(&x, rv, "syntax error");
	else if (rv < 0)
		conf_err(d, "%s: cannot parse: %s", x.name, rv == -2 ?
		    "out of memory" : "read error");
	return d->errors.n > nerr ? -1 : 0;
}
