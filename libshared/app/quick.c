/* SPDX-License-Identifier: MIT */
/*
 * quick.c: each tool's quick flags turned into config objects, and the
 * vmess:// share links (v2rayN "v": "2") vserver prints and vclient takes.
 */
#include "app/quick.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "base/util.h"
#include "transport/httphdr.h"

#define B(t)	(1u << (t))
#define VS	B(QUICK_VSERVER)
#define VC	B(QUICK_VCLIENT)
#define VP	B(QUICK_VPORTAL)
#define VB	B(QUICK_VBRIDGE)

enum quick_flag_id {
	QF_PORT, QF_LISTEN, QF_ID, QF_AID, QF_DYNAMIC, QF_KCP, QF_HOST,
	QF_UUID, QF_SOCKS, QF_SERVER, QF_SECURITY, QF_MUX, QF_SNIFF,
	QF_PUBLIC, QF_DOMAIN, QF_PORTAL, QF_TO, QF_TLS, QF_SNI, QF_INSECURE,
	QF_HTTP, QF_WS, QF_H2
};

static const struct quick_flag {
	const char		*name;
	enum quick_flag_id	 id;
	unsigned		 tools;
	bool			 value;		/* false: a boolean flag */
} quick_flags[] = {
	{ "port",	QF_PORT,	VS,		true },
	{ "listen",	QF_LISTEN,	VS | VP,	true },
	{ "id",		QF_ID,		VS | VC | VP | VB, true },
	{ "aid",	QF_AID,		VS | VC,	true },
	{ "dynamic",	QF_DYNAMIC,	VS,		true },
	{ "kcp",	QF_KCP,		VS | VC,	false },
	{ "host",	QF_HOST,	VS | VP,	true },
	{ "uuid",	QF_UUID,	VS,		false },
	{ "socks",	QF_SOCKS,	VC,		true },
	{ "http",	QF_HTTP,	VC,		true },
	{ "server",	QF_SERVER,	VC,		true },
	{ "security",	QF_SECURITY,	VC,		true },
	{ "mux",	QF_MUX,		VC,		true },
	{ "sniff",	QF_SNIFF,	VC,		false },
	{ "public",	QF_PUBLIC,	VP,		true },
	{ "domain",	QF_DOMAIN,	VP | VB,	true },
	{ "portal",	QF_PORTAL,	VB,		true },
	{ "to",		QF_TO,		VB,		true },
	/* A value (CERT,KEY) on vserver/vportal, a boolean on the clients. */
	{ "tls",	QF_TLS,		VS | VC | VP | VB, true },
	{ "sni",	QF_SNI,		VC | VB,	true },
	{ "insecure",	QF_INSECURE,	VC | VB,	false },
	{ "ws",		QF_WS,		VS | VC | VP | VB, true },
	{ "h2",		QF_H2,		VS | VC | VP | VB, true },
};

static const char *const quick_tool_names[] = {
	[QUICK_NONE] = "", [QUICK_VSERVER] = "vserver",
	[QUICK_VCLIENT] = "vclient", [QUICK_VPORTAL] = "vportal",
	[QUICK_VBRIDGE] = "vbridge"
};

static void	quick_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
quick_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Strict decimal: digits only, no sign, no blanks, at most max. */
static int
quick_uint_parse(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long	n = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > max)
			return -1;
	}
	*v = n;
	return 0;
}

static int
quick_port_parse(const char *s, uint16_t *port)
{
	unsigned long	v;

	if (quick_uint_parse(s, 65535, &v) == -1 || v == 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * conf_uuid_parse() is as lenient as 4.34 (trailing junk, dashes
 * optional); a flag or link must be exactly a UUID, so typos show.
 */
static int
quick_uuid_parse(const char *s, char canon[37])
{
	size_t	len, i;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len == 36) {
		for (i = 0; i < 36; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23) {
				if (s[i] != '-')
					return -1;
			} else if (!isxdigit((unsigned char)s[i]))
				return -1;
		}
	} else if (len == 32) {
		for (i = 0; i < 32; i++)
			if (!isxdigit((unsigned char)s[i]))
				return -1;
	} else
		return -1;
	return conf_uuid_parse(s, NULL, canon);
}

static bool
quick_is_ip(const char *s)
{
	uint8_t	a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* A DNS name or an IP literal: what a link's "add" or -host may hold. */
static bool
quick_host_valid(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len >= QUICK_HOST_MAX)
		return false;
	if (strchr(s, ':') != NULL)
		return quick_is_ip(s);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

/*
 * "HOST:PORT", "[V6]:PORT", or, when defhost is given, ":PORT" and
 * "PORT" meaning defhost. A listen address must be an IP.
 */
static int
quick_hostport_parse(const char *s, const char *defhost, bool listen,
    struct quick_hostport *hp)
{
	const char	*colon, *h, *port;
	char		 host[QUICK_HOST_MAX];
	size_t		 hlen;

	colon = strrchr(s, ':');
	if (colon == NULL) {
		if (defhost == NULL)
			return -1;
		h = defhost;
		hlen = strlen(defhost);
		port = s;
	} else {
		port = colon + 1;
		h = s;
		hlen = (size_t)(colon - s);
		if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
			h++;
			hlen -= 2;
			if (memchr(h, ':', hlen) == NULL)
				return -1;
		} else if (memchr(h, ':', hlen) != NULL)
			return -1;	/* bare v6: ambiguous, as in Go */
		if (hlen == 0) {
			if (defhost == NULL)
				return -1;
			h = defhost;
			hlen = strlen(defhost);
		}
	}
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (!quick_host_valid(host))
		return -1;
	if (listen && !quick_is_ip(host))
		return -1;
	if (quick_port_parse(port, &hp->port) == -1)
		return -1;
	memcpy(hp->host, host, hlen + 1);
	return 0;
}

/* "host:port" as a freedom redirect or a message shows it. */
static void
quick_hostport_fmt(const struct quick_hostport *hp, char *buf, size_t size)
{
	if (strchr(hp->host, ':') != NULL)
		snprintf(buf, size, "[%s]:%u", hp->host, hp->port);
	else
		snprintf(buf, size, "%s:%u", hp->host, hp->port);
}

static bool
quick_wildcard(const char *host)
{
	return *host == '\0' || strcmp(host, "0.0.0.0") == 0 ||
	    strcmp(host, "::") == 0;
}

void
quick_init(struct quick *q, const char *tool)
{
	size_t	i;

	memset(q, 0, sizeof(*q));
	q->aid = -1;
	q->tool = QUICK_NONE;
	for (i = 1; i < sizeof(quick_tool_names) / sizeof(*quick_tool_names);
	    i++)
		if (tool != NULL && strcmp(tool, quick_tool_names[i]) == 0)
			q->tool = (enum quick_tool)i;
	q->name = quick_tool_names[q->tool];
}

void
quick_free(struct quick *q)
{
	free(q->ids);
	free(q->publics);
	free(q->tls_cert);
	free(q->tls_key);
	q->tls_cert = q->tls_key = NULL;
	q->ids = NULL;
	q->publics = NULL;
	q->nids = q->npublics = 0;
}

static const struct quick_flag *
quick_flag_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(quick_flags) / sizeof(*quick_flags); i++)
		if (strcmp(name, quick_flags[i].name) == 0)
			return &quick_flags[i];
	return NULL;
}

/* Go's flag package: a bare boolean is true, "-kcp=false" turns it off. */
static int
quick_bool_parse(const char *val, bool *b)
{
	if (val == NULL || strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
		*b = true;
	else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0)
		*b = false;
	else
		return -1;
	return 0;
}

static int
quick_take_link(struct quick *q, const char *arg, char *err, size_t errlen)
{
	const char	*why = NULL;

	if (q->have_link) {
		quick_err(err, errlen, "only one vmess:// link can be given");
		return -1;
	}
	if (quick_vmess_link_decode(arg, &q->link, &why) == -1) {
		quick_err(err, errlen, "bad vmess:// link: %s", why);
		return -1;
	}
	q->have_link = true;
	q->any = true;
	return 1;
}

static int
quick_take_id(struct quick *q, const char *val, char *err, size_t errlen)
{
	char	canon[37];

	if (quick_uuid_parse(val, canon) == -1) {
		quick_err(err, errlen, "-id %.64s: not a UUID (like "
		    "%s; make one with `vserver -uuid`)", val,
		    "919bb344-901c-4e35-bd94-7f358d70326e");
		return -1;
	}
	if (q->tool != QUICK_VSERVER && q->nids > 0) {
		quick_err(err, errlen, "%s takes one -id", q->name);
		return -1;
	}
	q->ids = xrealloc(q->ids, (q->nids + 1) * sizeof(*q->ids));
	memcpy(q->ids[q->nids++], canon, sizeof(canon));
	return 1;
}

static int
quick_take_value(struct quick *q, const struct quick_flag *f,
    const char *val, char *err, size_t errlen)
{
	unsigned long	 v;
	bool		 listen;

	switch (f->id) {
	case QF_PORT:
		if (quick_port_parse(val, &q->listen.port) == -1)
			goto badport;
		return 1;
	case QF_LISTEN:
		if (q->tool == QUICK_VSERVER) {
			if (strlen(val) >= sizeof(q->listen.host) ||
			    !quick_is_ip(val)) {
				quick_err(err, errlen, "-listen %.64s: not an "
				    "IP address", val);
				return -1;
			}
			strcpy(q->listen.host, val);
			q->listen_set = true;
			return 1;
		}
		if (quick_hostport_parse(val, "0.0.0.0", true, &q->listen) ==
		    -1)
			goto badaddr;
		q->listen_set = true;
		return 1;
	case QF_ID:
		return quick_take_id(q, val, err, errlen);
	case QF_AID:
		if (quick_uint_parse(val, 65535, &v) == -1) {
			quick_err(err, errlen, "-aid %.64s: not a number "
			    "0..65535", val);
			return -1;
		}
		q->aid = (int)v;
		return 1;
	case QF_DYNAMIC:
		if (conf_ports_parse(val, &q->dynamic) == -1 ||
		    q->dynamic.from == 0) {
			quick_err(err, errlen, "-dynamic %.64s: not a port "
			    "range A-B", val);
			return -1;
		}
		return 1;
	case QF_HOST:
		if (strlen(val) >= sizeof(q->host) || !quick_host_valid(val)) {
			quick_err(err, errlen, "-host %.64s: not a host name "
			    "or IP address", val);
			return -1;
		}
		strcpy(q->host, val);
		return 1;
	case QF_SOCKS:
		if (quick_hostport_parse(val, "127.0.0.1", true, &q->listen) ==
		    -1)
			goto badaddr;
		q->listen_set = true;
		return 1;
	case QF_HTTP:
		if (quick_hostport_parse(val, "127.0.0.1", true, &q->http) ==
		    -1)
			goto badaddr;
		return 1;
	case QF_SERVER:
	case QF_PORTAL:
	case QF_TO:
		if (quick_hostport_parse(val, NULL, false, f->id == QF_TO ?
		    &q->to : &q->peer) == -1)
			goto badaddr;
		return 1;
	case QF_SECURITY:
		if (conf_security_parse(val, &q->security) == -1 ||
		    *val == '\0' || q->security == CONF_SEC_LEGACY) {
			quick_err(err, errlen, "-security %.64s: use auto, "
			    "aes-128-gcm, chacha20-poly1305, none or zero",
			    val);
			return -1;
		}
		q->security_set = true;
		return 1;
	case QF_MUX:
		if (quick_uint_parse(val, 1024, &v) == -1 || v == 0) {
			quick_err(err, errlen, "-mux %.64s: streams per "
			    "connection, 1..1024", val);
			return -1;
		}
		q->mux = (int)v;
		return 1;
	case QF_PUBLIC:
		q->publics = xrealloc(q->publics, (q->npublics + 1) *
		    sizeof(*q->publics));
		memset(&q->publics[q->npublics], 0, sizeof(*q->publics));
		if (quick_hostport_parse(val, "0.0.0.0", true,
		    &q->publics[q->npublics]) == -1)
			goto badaddr;
		q->npublics++;
		return 1;
	case QF_DOMAIN:
		if (strlen(val) >= sizeof(q->domain) || strchr(val, ':') !=
		    NULL || !quick_host_valid(val)) {
			quick_err(err, errlen, "-domain %.64s: not a domain "
			    "name", val);
			return -1;
		}
		strcpy(q->domain, val);
		return 1;
	case QF_TLS: {
		/* vserver/vportal: CERT,KEY (PEM files). */
		const char	*comma = strchr(val, ',');

		if (comma == NULL || comma == val || comma[1] == '\0') {
			quick_err(err, errlen, "-tls %.64s: want CERT,KEY "
			    "(PEM files)", val);
			return -1;
		}
		free(q->tls_cert);
		free(q->tls_key);
		q->tls_cert = xstrdup(val);
		q->tls_cert[comma - val] = '\0';
		q->tls_key = xstrdup(comma + 1);
		return 1;
	}
	case QF_WS:
	case QF_H2: {
		enum conf_network net = f->id == QF_WS ? CONF_NET_WS :
		    CONF_NET_H2;

		if (*val != '/' || strlen(val) >= sizeof(q->net_path) ||
		    strpbrk(val, " \t\r\n") != NULL) {
			quick_err(err, errlen, "-%s %.64s: a path starting "
			    "with / (like /ray)", f->name, val);
			return -1;
		}
		if (q->net != CONF_NET_TCP && q->net != net) {
			quick_err(err, errlen, "-ws and -h2 exclude each "
			    "other");
			return -1;
		}
		q->net = net;
		strcpy(q->net_path, val);
		return 1;
	}
	case QF_SNI:
		if (strlen(val) >= sizeof(q->sni) || !quick_host_valid(val)) {
			quick_err(err, errlen, "-sni %.64s: not a host name",
			    val);
			return -1;
		}
		strcpy(q->sni, val);
		return 1;
	default:
		break;
	}
	quick_err(err, errlen, "-%s: internal error", f->name);
	return -1;
badport:
	quick_err(err, errlen, "-%s %.64s: not a port 1..65535", f->name, val);
	return -1;
badaddr:
	listen = f->id == QF_SOCKS || f->id == QF_LISTEN ||
	    f->id == QF_PUBLIC || f->id == QF_HTTP;
	quick_err(err, errlen, "-%s %.64s: want %s, PORT 1..65535%s", f->name,
	    val, listen ? "IP:PORT or PORT" : "HOST:PORT",
	    listen ? ", IP an address of this machine" : "");
	return -1;
}

int
quick_arg(struct quick *q, const char *name, const char *val, int argc,
    char *const *argv, int *i, char *err, size_t errlen)
{
	const struct quick_flag	*f;
	bool			 b;

	if (q->tool == QUICK_NONE)
		return 0;
	if (name == NULL) {
		if ((q->tool == QUICK_VCLIENT || q->tool == QUICK_VBRIDGE) &&
		    strncasecmp(argv[*i], "vmess://", 8) == 0)
			return quick_take_link(q, argv[*i], err, errlen);
		return 0;
	}
	if ((f = quick_flag_find(name)) == NULL)
		return 0;
	if ((f->tools & B(q->tool)) == 0) {
		quick_err(err, errlen, "-%s is not a %s flag (see %s -h)",
		    name, q->name, q->name);
		return -1;
	}
	if (!f->value || (f->id == QF_TLS && (q->tool == QUICK_VCLIENT ||
	    q->tool == QUICK_VBRIDGE))) {
		if (quick_bool_parse(val, &b) == -1) {
			quick_err(err, errlen, "-%s=%.64s: want true or false",
			    name, val);
			return -1;
		}
		if (f->id == QF_UUID)
			q->want_uuid = b;
		else {
			if (f->id == QF_KCP)
				q->kcp = b;
			else if (f->id == QF_TLS)
				q->tls = b;
			else if (f->id == QF_INSECURE)
				q->insecure = b;
			else
				q->sniff = b;
			q->any = true;
		}
		return 1;
	}
	if (val == NULL) {
		if (*i + 1 >= argc) {
			quick_err(err, errlen, "-%s needs a value", name);
			return -1;
		}
		val = argv[++*i];
	}
	q->any = true;
	return quick_take_value(q, f, val, err, errlen);
}

static int
quick_finish_vserver(struct quick *q, char *err, size_t errlen)
{
	unsigned	n;

	if (q->listen.port == 0) {
		quick_err(err, errlen, "-port PORT is needed");
		return -1;
	}
	if (q->nids == 0) {
		quick_err(err, errlen, "-id UUID is needed (make one with "
		    "`vserver -uuid`)");
		return -1;
	}
	if (!q->listen_set)
		strcpy(q->listen.host, "0.0.0.0");
	if (q->aid < 0)
		q->aid = 0;
	if (q->dynamic.from != 0) {
		n = (unsigned)q->dynamic.to - q->dynamic.from + 1;
		if (n < 3) {
			quick_err(err, errlen, "-dynamic %u-%u: a range of at "
			    "least 3 ports is needed", q->dynamic.from,
			    q->dynamic.to);
			return -1;
		}
		if (q->listen.port >= q->dynamic.from &&
		    q->listen.port <= q->dynamic.to) {
			quick_err(err, errlen, "-dynamic %u-%u holds -port %u",
			    q->dynamic.from, q->dynamic.to, q->listen.port);
			return -1;
		}
		/* The docs' advice: a third of the range at most. */
		q->dyn_concurrency = n / 3 < 3 ? (int)(n / 3) : 3;
	}
	return 0;
}

static int
quick_finish_vclient(struct quick *q, char *err, size_t errlen)
{
	if (!q->listen_set) {
		strcpy(q->listen.host, "127.0.0.1");
		q->listen.port = 1080;
	}
	if (q->http.port != 0 && q->http.port == q->listen.port) {
		quick_err(err, errlen, "-http port %u is the SOCKS port",
		    q->http.port);
		return -1;
	}
	if (q->have_link) {
		if (q->peer.port != 0 || q->nids > 0 || q->aid >= 0 ||
		    q->security_set) {
			quick_err(err, errlen, "-server, -id, -aid and "
			    "-security do not go with a vmess:// link");
			return -1;
		}
		return 0;
	}
	if (q->peer.port == 0 && q->nids > 0) {
		quick_err(err, errlen, "-id needs -server HOST:PORT");
		return -1;
	}
	if (q->peer.port == 0) {
		quick_err(err, errlen, "give a vmess:// link, or -server "
		    "HOST:PORT -id UUID");
		return -1;
	}
	if (q->nids == 0) {
		quick_err(err, errlen, "-server needs -id UUID");
		return -1;
	}
	if (q->aid < 0)
		q->aid = 0;
	return 0;
}

static int
quick_finish_vportal(struct quick *q, char *err, size_t errlen)
{
	size_t	i, j;

	if (!q->listen_set) {
		quick_err(err, errlen, "-listen ADDR:PORT (where vbridge "
		    "connects) is needed");
		return -1;
	}
	if (q->nids == 0) {
		quick_err(err, errlen, "-id UUID is needed");
		return -1;
	}
	if (q->npublics == 0) {
		quick_err(err, errlen, "-public ADDR:PORT is needed");
		return -1;
	}
	for (i = 0; i < q->npublics; i++) {
		if (q->publics[i].port == q->listen.port) {
			quick_err(err, errlen, "-public port %u is also the "
			    "-listen port", q->listen.port);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (q->publics[j].port == q->publics[i].port) {
				quick_err(err, errlen, "-public port %u "
				    "given twice", q->publics[i].port);
				return -1;
			}
	}
	return 0;
}

static int
quick_finish_vbridge(struct quick *q, char *err, size_t errlen)
{
	if (q->have_link) {
		if (q->peer.port != 0 || q->nids > 0) {
			quick_err(err, errlen, "-portal and -id do not go "
			    "with a vmess:// link");
			return -1;
		}
	} else if (q->peer.port == 0) {
		quick_err(err, errlen, "give a vmess:// link (vportal prints "
		    "one), or -portal HOST:PORT -id UUID");
		return -1;
	} else if (q->nids == 0) {
		quick_err(err, errlen, "-id UUID is needed");
		return -1;
	}
	if (q->to.port == 0) {
		quick_err(err, errlen, "-to HOST:PORT (the service to "
		    "expose) is needed");
		return -1;
	}
	return 0;
}

/* -ws / -h2 against the other flags. */
static int
quick_finish_net(struct quick *q, char *err, size_t errlen)
{
	const char	*name = q->net == CONF_NET_WS ? "-ws" : "-h2";

	if (q->net == CONF_NET_TCP)
		return 0;
	if (q->kcp) {
		quick_err(err, errlen, "-kcp and %s exclude each other", name);
		return -1;
	}
	if (q->have_link) {
		quick_err(err, errlen, "%s does not go with a vmess:// link "
		    "(the link names its transport)", name);
		return -1;
	}
	if (q->net == CONF_NET_H2 && q->tls_cert == NULL && !q->tls) {
		quick_err(err, errlen, "-h2 needs -tls (V2Ray's HTTP/2 "
		    "transport runs over TLS)");
		return -1;
	}
	return 0;
}

int
quick_finish(struct quick *q, char *err, size_t errlen)
{
	if (!q->any)
		return 0;
	if (quick_finish_net(q, err, errlen) == -1)
		return -1;
	if (q->domain[0] == '\0')
		strcpy(q->domain, QUICK_DEFAULT_DOMAIN);
	switch (q->tool) {
	case QUICK_VSERVER:
		return quick_finish_vserver(q, err, errlen);
	case QUICK_VCLIENT:
		return quick_finish_vclient(q, err, errlen);
	case QUICK_VPORTAL:
		return quick_finish_vportal(q, err, errlen);
	case QUICK_VBRIDGE:
		return quick_finish_vbridge(q, err, errlen);
	default:
		return 0;
	}
}

void
quick_usage(const struct quick *q, FILE *fp)
{
	static const char *const text[] = {
		[QUICK_NONE] = NULL,
		[QUICK_VSERVER] =
		"  -port PORT        VMess port (needed)\n"
		"  -listen ADDR      listen address (default 0.0.0.0)\n"
		"  -id UUID          a user; repeat for more\n"
		"  -aid N            the users' alterId (default 0: AEAD)\n"
		"  -dynamic A-B      dynamic ports in A-B, detour from -port\n"
		"  -kcp              mKCP instead of TCP\n"
		"  -ws PATH          WebSocket on PATH instead of TCP\n"
		"  -h2 PATH          HTTP/2 on PATH (with -tls)\n"
		"  -host NAME        address the printed vmess:// links give\n"
		"  -tls CERT,KEY     TLS with this certificate and key (PEM)\n"
		"  -uuid             print a random UUID and exit\n"
		"example: vserver -port 10086 -id $(vserver -uuid) "
		"-host vpn.example.com\n",
		[QUICK_VCLIENT] =
		"  vmess://LINK      the server, as vserver prints it, or\n"
		"  -server HOST:PORT the server, with\n"
		"  -id UUID          its user id,\n"
		"  -aid N            its alterId (default 0) and\n"
		"  -security S       auto aes-128-gcm chacha20-poly1305 "
		"none zero\n"
		"  -socks ADDR:PORT  SOCKS5 listen address (default "
		"127.0.0.1:1080, UDP on)\n"
		"  -http ADDR:PORT   also an HTTP proxy there (e.g. "
		"127.0.0.1:8080)\n"
		"  -mux N            Mux, N streams per connection\n"
		"  -kcp              mKCP instead of TCP\n"
		"  -ws PATH, -h2 PATH WebSocket or HTTP/2 (a link says its own)\n"
		"  -sniff            sniff http and tls for the domain\n"
		"  -tls              TLS to the server (a link says \"tls\")\n"
		"  -sni NAME         TLS server name (default: the address)\n"
		"  -insecure         TLS without verifying the server\n"
		"example: vclient vmess://eyJ2Ijoi...\n",
		[QUICK_VPORTAL] =
		"  -listen ADDR:PORT where vbridge connects (VMess)\n"
		"  -id UUID          the bridge's user id\n"
		"  -public ADDR:PORT a public port served by the bridge; "
		"repeatable\n"
		"  -domain D         reverse tunnel domain (default "
		QUICK_DEFAULT_DOMAIN ")\n"
		"  -tls CERT,KEY     TLS on the bridge's port (PEM files)\n"
		"  -ws PATH, -h2 PATH WebSocket or HTTP/2 on the bridge's port\n"
		"  -host NAME        address the printed vmess:// link gives\n"
		"example: vportal -listen 0.0.0.0:10240 -id UUID "
		"-public 0.0.0.0:8080\n",
		[QUICK_VBRIDGE] =
		"  vmess://LINK      the vportal, as it prints it, or\n"
		"  -portal HOST:PORT the vportal to dial, with\n"
		"  -id UUID          its user id for this bridge\n"
		"  -to HOST:PORT     the service portal traffic reaches\n"
		"  -domain D         reverse tunnel domain, as on vportal\n"
		"  -tls              TLS to the portal; -sni NAME, -insecure\n"
		"  -ws PATH, -h2 PATH WebSocket or HTTP/2 to the portal\n"
		"example: vbridge -portal portal.example.com:10240 -id UUID "
		"-to 127.0.0.1:80\n",
	};

	if (q->tool == QUICK_NONE || text[q->tool] == NULL)
		return;
	fprintf(fp, "\nquick start: flags instead of a config file (with "
	    "-c FILE they add to it;\n-test and -dump work on the result):\n"
	    "%s", text[q->tool]);
}

/* Building the config. */

static void
quick_dup_err(struct conf_diag *d, const struct quick *q,
    const struct conf *c, const char *kind, const char *tag)
{
	conf_err(d, "%s: the %s flags add %s \"%s\", but the configuration "
	    "already has one", c->path, q->name, kind, tag);
}

static struct conf_inbound *
quick_inbound(const struct quick *q, struct conf *c, struct conf_diag *d,
    const char *tag, enum conf_proto proto)
{
	struct conf_inbound	*in;

	if (conf_find_inbound(c, tag) != NULL) {
		quick_dup_err(d, q, c, "inbound", tag);
		return NULL;
	}
	in = conf_add_inbound(c);
	in->tag = xstrdup(tag);
	in->proto = proto;
	return in;
}

/*
 * The flags' main outbounds go in at *pos, counting from the front, so
 * the first is the default even over a base config's; the others (pos
 * NULL) go at the end. An auxiliary one the base has already (same tag)
 * is left to the base: NULL, no error.
 */
static struct conf_outbound *
quick_outbound(const struct quick *q, struct conf *c, struct conf_diag *d,
    size_t *pos, const char *tag, enum conf_proto proto, bool aux)
{
	struct conf_outbound	 tmp, *out;

	if (conf_find_outbound(c, tag) != NULL) {
		if (!aux)
			quick_dup_err(d, q, c, "outbound", tag);
		return NULL;
	}
	out = conf_add_outbound(c);
	if (pos != NULL) {
		tmp = *out;
		memmove(&c->outbounds[*pos + 1], &c->outbounds[*pos],
		    (c->noutbounds - 1 - *pos) * sizeof(*c->outbounds));
		out = &c->outbounds[(*pos)++];
		*out = tmp;
	}
	out->tag = xstrdup(tag);
	out->proto = proto;
	return out;
}

static struct conf_rule *
quick_rule(struct conf *c, const char *outbound)
{
	struct conf_rule	*r = conf_add_rule(c);

	r->outbound_tag = xstrdup(outbound);
	return r;
}

static void
quick_user(struct conf_user *u, const char *id, int aid,
    enum conf_security sec)
{
	conf_uuid_parse(id, u->uuid, u->id);
	u->alter_id = aid;
	u->security = sec;
}

static void
quick_kcp(struct conf_stream *st, const char *header, const char *seed)
{
	st->network = CONF_NET_KCP;
	if (header != NULL && *header != '\0') {
		free(st->kcp.header_type);
		st->kcp.header_type = xstrdup(header);
	}
	if (seed != NULL && *seed != '\0') {
		free(st->kcp.seed);
		st->kcp.seed = xstrdup(seed);
	}
}

/* Append the items of a v2rayN comma list ("a.example,b.example"). */
static void
quick_split(struct conf_strv *sv, const char *s)
{
	const char	*q;
	char		*item;
	size_t		 n;

	for (; *s != '\0'; s = *q != '\0' ? q + 1 : q) {
		q = s + strcspn(s, ",");
		n = (size_t)(q - s);
		if (n == 0)
			continue;
		item = xmalloc(n + 1);
		memcpy(item, s, n);
		item[n] = '\0';
		conf_strv_push(sv, item);
		free(item);
	}
}

static void
quick_strset(char **dst, const char *s)
{
	if (s == NULL || *s == '\0')
		return;
	free(*dst);
	*dst = xstrdup(s);
}

/*
 * A transport as a link (or the flags) describes it: ws with its path and
 * Host; h2 with its path and hosts; tcp with the http header, its paths
 * and Host values (4.34's other request fields kept, as v2rayN does).
 */
static void
quick_net(struct conf_stream *st, enum conf_network net, const char *type,
    const char *path, const char *host)
{
	struct conf_http_field	*f;
	struct conf_http_req	*r = &st->tcp.req;
	size_t			 i;

	switch (net) {
	case CONF_NET_KCP:
		quick_kcp(st, type, path);
		break;
	case CONF_NET_WS:
		st->network = CONF_NET_WS;
		quick_strset(&st->ws.path, path);
		quick_strset(&st->ws.host, host);
		break;
	case CONF_NET_H2:
		st->network = CONF_NET_H2;
		quick_strset(&st->h2.path, path);
		quick_split(&st->h2.host, host);
		break;
	default:
		if (type == NULL || strcmp(type, "http") != 0)
			break;
		st->tcp.http_header = true;
		quick_split(&r->path, path);
		if (*host == '\0')
			break;
		httphdr_request_defaults(r);
		for (i = 0; i < r->nfields; i++)
			if (strcasecmp(r->fields[i].name, "Host") == 0)
				break;
		f = &r->fields[i < r->nfields ? i : 0];
		conf_strv_free(&f->values);
		quick_split(&f->values, host);
		/* As 4.34 orders a configured headers map. */
		conf_http_fields_sort(r->fields, r->nfields);
		break;
	}
}

/* -kcp, -ws PATH, -h2 PATH on a stream. */
static void
quick_net_flags(const struct quick *q, struct conf_stream *st)
{
	if (q->kcp)
		quick_kcp(st, NULL, NULL);
	else if (q->net != CONF_NET_TCP)
		quick_net(st, q->net, NULL, q->net_path, "");
}

/* Server side: -tls CERT,KEY. */
static void
quick_tls_server(const struct quick *q, struct conf_stream *st)
{
	struct conf_cert	*cert;

	if (q->tls_cert == NULL)
		return;
	st->tls = true;
	cert = conf_tls_add_cert(&st->tlss);
	cert->cert_file = xstrdup(q->tls_cert);
	cert->key_file = xstrdup(q->tls_key);
}

/* Client side: TLS on, with a server name (or none) and -insecure. */
static void
quick_tls_client(const struct quick *q, struct conf_stream *st,
    const char *sni)
{
	st->tls = true;
	if (sni != NULL && *sni != '\0') {
		free(st->tlss.server_name);
		st->tlss.server_name = xstrdup(sni);
	}
	if (q->insecure)
		st->tlss.allow_insecure = true;
}

/* A link's transport and TLS on an outbound. */
static void
quick_link_stream(const struct quick *q, struct conf_stream *st,
    const struct quick_link *l)
{
	quick_net(st, l->net, l->type, l->path, l->host);
	if (l->tls)
		quick_tls_client(q, st, l->sni);
}

static void
quick_apply_vserver(const struct quick *q, struct conf *c,
    struct conf_diag *d)
{
	struct conf_inbound	*in;
	struct conf_rule	*r;
	size_t			 i, pos = 0;

	if ((in = quick_inbound(q, c, d, "vmess-in", CONF_PROTO_VMESS)) !=
	    NULL) {
		in->listen = xstrdup(q->listen.host);
		in->port.from = in->port.to = q->listen.port;
		for (i = 0; i < q->nids; i++)
			quick_user(conf_inbound_add_client(in), q->ids[i],
			    q->aid, CONF_SEC_AUTO);
		quick_net_flags(q, &in->stream);
		quick_tls_server(q, &in->stream);
		if (q->dynamic.from != 0)
			in->detour_to = xstrdup("dynamic");
	}
	if (q->dynamic.from != 0 && (in = quick_inbound(q, c, d, "dynamic",
	    CONF_PROTO_VMESS)) != NULL) {
		in->listen = xstrdup(q->listen.host);
		in->port = q->dynamic;
		in->allocate.present = true;
		in->allocate.strategy = CONF_ALLOC_RANDOM;
		in->allocate.concurrency = q->dyn_concurrency;
		in->allocate.refresh_sec = 5 * 60;
		quick_net_flags(q, &in->stream);
		quick_tls_server(q, &in->stream);
	}
	quick_outbound(q, c, d, &pos, "direct", CONF_PROTO_FREEDOM, true);
	quick_outbound(q, c, d, NULL, "blocked", CONF_PROTO_BLACKHOLE, true);
	r = quick_rule(c, "blocked");
	conf_strv_push(&r->ip, "geoip:private");
}

static void
quick_apply_vclient(const struct quick *q, struct conf *c,
    struct conf_diag *d)
{
	struct conf_inbound	*in;
	struct conf_outbound	*out;
	struct conf_server	*srv;
	const struct quick_link	*l = &q->link;
	size_t			 pos = 0;

	if ((in = quick_inbound(q, c, d, "socks-in", CONF_PROTO_SOCKS)) !=
	    NULL) {
		in->listen = xstrdup(q->listen.host);
		in->port.from = in->port.to = q->listen.port;
		in->socks_udp = true;
		if (q->sniff) {
			in->sniff_enabled = true;
			in->sniff_http = true;
			in->sniff_tls = true;
		}
	}
	if (q->http.port != 0 && (in = quick_inbound(q, c, d, "http-in",
	    CONF_PROTO_HTTP)) != NULL) {
		in->listen = xstrdup(q->http.host);
		in->port.from = in->port.to = q->http.port;
		if (q->sniff) {
			in->sniff_enabled = true;
			in->sniff_http = true;
			in->sniff_tls = true;
		}
	}
	if ((out = quick_outbound(q, c, d, &pos, "proxy", CONF_PROTO_VMESS,
	    false)) != NULL) {
		srv = conf_outbound_add_server(out);
		if (q->have_link) {
			srv->address = xstrdup(l->add);
			srv->port = l->port;
			quick_user(conf_server_add_user(srv), l->id, l->aid,
			    l->scy);
			quick_link_stream(q, &out->stream, l);
		} else {
			srv->address = xstrdup(q->peer.host);
			srv->port = q->peer.port;
			quick_user(conf_server_add_user(srv), q->ids[0],
			    q->aid, q->security_set ? q->security :
			    CONF_SEC_AUTO);
		}
		quick_net_flags(q, &out->stream);
		if (q->tls || q->sni[0] != '\0' || q->insecure)
			quick_tls_client(q, &out->stream, q->sni);
		if (q->mux > 0) {
			out->mux_enabled = true;
			out->mux_concurrency = q->mux;
		}
	}
	quick_outbound(q, c, d, NULL, "direct", CONF_PROTO_FREEDOM, true);
}

static bool
quick_reverse_has(const struct conf_reverse_end *v, size_t n,
    const char *tag)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i].tag != NULL && strcmp(v[i].tag, tag) == 0)
			return true;
	return false;
}

static void
quick_apply_vportal(const struct quick *q, struct conf *c,
    struct conf_diag *d)
{
	struct conf_inbound	*in;
	struct conf_reverse_end	*p;
	struct conf_rule	*r;
	char			 tag[32];
	size_t			 i;

	if (quick_reverse_has(c->portals, c->nportals, "portal"))
		quick_dup_err(d, q, c, "portal", "portal");
	else {
		p = conf_add_portal(c);
		p->tag = xstrdup("portal");
		p->domain = xstrdup(q->domain);
	}
	for (i = 0; i < q->npublics; i++) {
		snprintf(tag, sizeof(tag), "public%zu", i + 1);
		if ((in = quick_inbound(q, c, d, tag, CONF_PROTO_DOKODEMO)) ==
		    NULL)
			continue;
		in->listen = xstrdup(q->publics[i].host);
		in->port.from = in->port.to = q->publics[i].port;
		/* The bridge's freedom redirect decides the real target. */
		in->dk_address = xstrdup("127.0.0.1");
		in->dk_port = q->publics[i].port;
		in->dk_network = CONF_NETBIT_TCP;
	}
	if ((in = quick_inbound(q, c, d, "interconn", CONF_PROTO_VMESS)) !=
	    NULL) {
		in->listen = xstrdup(q->listen.host);
		in->port.from = in->port.to = q->listen.port;
		quick_user(conf_inbound_add_client(in), q->ids[0], 0,
		    CONF_SEC_AUTO);
		quick_net_flags(q, &in->stream);
		quick_tls_server(q, &in->stream);
	}
	r = quick_rule(c, "portal");
	for (i = 0; i < q->npublics; i++) {
		snprintf(tag, sizeof(tag), "public%zu", i + 1);
		conf_strv_push(&r->inbound_tag, tag);
	}
	r = quick_rule(c, "portal");
	conf_strv_push(&r->inbound_tag, "interconn");
}

static void
quick_apply_vbridge(const struct quick *q, struct conf *c,
    struct conf_diag *d)
{
	struct conf_reverse_end	*b;
	struct conf_outbound	*out;
	struct conf_server	*srv;
	struct conf_rule	*r;
	char			 buf[QUICK_HOST_MAX + 16];
	size_t			 pos = 0;

	if (quick_reverse_has(c->bridges, c->nbridges, "bridge"))
		quick_dup_err(d, q, c, "bridge", "bridge");
	else {
		b = conf_add_bridge(c);
		b->tag = xstrdup("bridge");
		b->domain = xstrdup(q->domain);
	}
	if ((out = quick_outbound(q, c, d, &pos, "out", CONF_PROTO_FREEDOM,
	    false)) != NULL) {
		quick_hostport_fmt(&q->to, buf, sizeof(buf));
		out->redirect = xstrdup(buf);
	}
	if ((out = quick_outbound(q, c, d, &pos, "interconn",
	    CONF_PROTO_VMESS, false)) != NULL) {
		srv = conf_outbound_add_server(out);
		if (q->have_link) {
			srv->address = xstrdup(q->link.add);
			srv->port = q->link.port;
			quick_user(conf_server_add_user(srv), q->link.id,
			    q->link.aid, q->link.scy);
			quick_link_stream(q, &out->stream, &q->link);
		} else {
			srv->address = xstrdup(q->peer.host);
			srv->port = q->peer.port;
			quick_user(conf_server_add_user(srv), q->ids[0], 0,
			    CONF_SEC_AUTO);
			quick_net_flags(q, &out->stream);
		}
		if (q->tls || q->sni[0] != '\0' || q->insecure)
			quick_tls_client(q, &out->stream, q->sni);
	}
	r = quick_rule(c, "interconn");
	conf_strv_push(&r->inbound_tag, "bridge");
	snprintf(buf, sizeof(buf), "full:%s", q->domain);
	conf_strv_push(&r->domain, buf);
	r = quick_rule(c, "out");
	conf_strv_push(&r->inbound_tag, "bridge");
}

static bool
quick_strv_has(const struct conf_strv *sv, const char *s)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

int
quick_apply(const struct quick *q, struct conf *c, struct conf_diag *d)
{
	struct conf_diag	chk;
	size_t			nerr = d->errors.n, i;

	if (!q->any)
		return 0;
	if (c->path == NULL)
		c->path = xstrdup("command line");
	switch (q->tool) {
	case QUICK_VSERVER:
		quick_apply_vserver(q, c, d);
		break;
	case QUICK_VCLIENT:
		quick_apply_vclient(q, c, d);
		break;
	case QUICK_VPORTAL:
		quick_apply_vportal(q, c, d);
		break;
	case QUICK_VBRIDGE:
		quick_apply_vbridge(q, c, d);
		break;
	default:
		return 0;
	}
	if (d->errors.n > nerr)
		return -1;
	/*
	 * Check the whole again; what conf_load() already said about the
	 * base is not repeated.
	 */
	conf_diag_init(&chk);
	conf_check(c, &chk);
	for (i = 0; i < chk.errors.n; i++)
		if (!quick_strv_has(&d->errors, chk.errors.v[i]))
			conf_strv_push(&d->errors, chk.errors.v[i]);
	for (i = 0; i < chk.warnings.n; i++)
		if (!quick_strv_has(&d->warnings, chk.warnings.v[i]))
			conf_strv_push(&d->warnings, chk.warnings.v[i]);
	conf_diag_cleanup(&chk);
	return d->errors.n > nerr ? -1 : 0;
}

int
quick_server_link(const struct quick *q, size_t i, struct quick_link *l)
{
	const char	*host;
	int		 guessed = 0;

	if ((q->tool != QUICK_VSERVER && q->tool != QUICK_VPORTAL) ||
	    i >= q->nids)
		return -1;
	memset(l, 0, sizeof(*l));
	if (q->host[0] != '\0')
		host = q->host;
	else if (quick_wildcard(q->listen.host)) {
		host = "127.0.0.1";
		guessed = 1;
	} else
		host = q->listen.host;
	snprintf(l->add, sizeof(l->add), "%s", host);
	if (q->tool == QUICK_VPORTAL)
		snprintf(l->ps, sizeof(l->ps), "vtools portal %.*s:%u", 200,
		    host, q->listen.port);
	else if (q->nids > 1)
		snprintf(l->ps, sizeof(l->ps), "vtools %.*s:%u #%zu", 200,
		    host, q->listen.port, i + 1);
	else
		snprintf(l->ps, sizeof(l->ps), "vtools %.*s:%u", 200, host,
		    q->listen.port);
	l->port = q->listen.port;
	memcpy(l->id, q->ids[i], sizeof(l->id));
	l->aid = q->aid < 0 || q->tool == QUICK_VPORTAL ? 0 : q->aid;
	l->scy = CONF_SEC_AUTO;
	l->net = q->kcp ? CONF_NET_KCP : q->net;
	strcpy(l->type, "none");
	if (q->net != CONF_NET_TCP)
		snprintf(l->path, sizeof(l->path), "%s", q->net_path);
	if (q->tls_cert != NULL) {
		l->tls = true;
		/* The certificate's name: -host when it is one. */
		if (q->host[0] != '\0' && !quick_is_ip(q->host))
			snprintf(l->sni, sizeof(l->sni), "%s", q->host);
	}
	return guessed;
}

void
quick_print_links(const struct quick *q, FILE *out, FILE *warn)
{
	struct quick_link	 l;
	char			 buf[QUICK_LINK_MAX];
	size_t			 i;
	int			 rv;

	if ((q->tool != QUICK_VSERVER && q->tool != QUICK_VPORTAL) ||
	    !q->any)
		return;
	for (i = 0; i < q->nids; i++) {
		if ((rv = quick_server_link(q, i, &l)) == -1)
			continue;
		if (rv == 1 && i == 0)
			fprintf(warn, "%s: listening on %s: the links below "
			    "say 127.0.0.1, which works only on this "
			    "machine; give -host NAME (this server's "
			    "public name or address)\n", q->name,
			    q->listen.host);
		if (quick_vmess_link_encode(&l, buf, sizeof(buf)) > 0)
			fprintf(out, "%s\n", buf);
	}
	fflush(out);
}

int
quick_uuid_new(char out[37])
{
	uint8_t	b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	    b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* vmess:// links. */

static const char quick_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard alphabet, padded: what v2rayN writes. -1 if it won't fit. */
static int
quick_b64_encode(const uint8_t *p, size_t len, char *out, size_t size)
{
	size_t		i, o = 0;
	uint32_t	v;

	if ((len + 2) / 3 * 4 >= size)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = quick_b64[v >> 18 & 63];
		out[o++] = quick_b64[v >> 12 & 63];
		out[o++] = quick_b64[v >> 6 & 63];
		out[o++] = quick_b64[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = quick_b64[v >> 18 & 63];
		out[o++] = quick_b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? quick_b64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int
quick_b64_val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

/*
 * Either alphabet, padding optional, line breaks skipped (links get
 * wrapped in mail). Returns the decoded length or -1.
 */
static int
quick_b64_decode(const char *s, uint8_t *out, size_t size)
{
	uint32_t	v = 0;
	size_t		n = 0, o = 0, pad = 0;
	int		d;

	for (; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n' || *s == ' ' || *s == '\t')
			continue;
		if (*s == '=') {
			if (++pad > 2)
				return -1;
			continue;
		}
		if (pad > 0 || (d = quick_b64_val((unsigned char)*s)) < 0)
			return -1;
		v = v << 6 | (uint32_t)d;
		if (++n % 4 == 0) {
			if (o + 3 > size)
				return -1;
			out[o++] = (uint8_t)(v >> 16);
			out[o++] = (uint8_t)(v >> 8);
			out[o++] = (uint8_t)v;
			v = 0;
		}
	}
	switch (n % 4) {
	case 1:
		return -1;
	case 2:
		if (o + 1 > size)
			return -1;
		out[o++] = (uint8_t)(v >> 4);
		break;
	case 3:
		if (o + 2 > size)
			return -1;
		out[o++] = (uint8_t)(v >> 10);
		out[o++] = (uint8_t)(v >> 2);
		break;
	}
	if (pad > 0 && (n + pad) % 4 != 0)
		return -1;
	return (int)o;
}

/* Append s as a JSON string; false when it will not fit. */
static bool
quick_json_put(char *buf, size_t size, size_t *o, const char *key,
    const char *s, bool last)
{
	const unsigned char	*p;
	int			 n;

	n = snprintf(buf + *o, size - *o, "\"%s\":\"", key);
	if (n < 0 || (size_t)n >= size - *o)
		return false;
	*o += (size_t)n;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (size - *o < 8)
			return false;
		if (*p < 0x20 || *p == 0x7f)
			*o += (size_t)snprintf(buf + *o, size - *o, "\\u%04x",
			    *p);
		else {
			if (*p == '"' || *p == '\\')
				buf[(*o)++] = '\\';
			buf[(*o)++] = (char)*p;
		}
	}
	n = snprintf(buf + *o, size - *o, "\"%s", last ? "}" : ",");
	if (n < 0 || (size_t)n >= size - *o)
		return false;
	*o += (size_t)n;
	return true;
}

static bool
quick_field_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* A link's "net": v2rayN's names. */
static const char *
quick_net_name(enum conf_network net)
{
	switch (net) {
	case CONF_NET_TCP:
		return "tcp";
	case CONF_NET_KCP:
		return "kcp";
	case CONF_NET_WS:
		return "ws";
	case CONF_NET_H2:
		return "h2";
	default:
		return NULL;
	}
}

int
quick_vmess_link_encode(const struct quick_link *l, char *buf, size_t size)
{
	char	json[QUICK_LINK_MAX], num[16], port[8], canon[37];
	size_t	o = 0;
	int	n;

	if (l == NULL || buf == NULL || l->port == 0 || l->aid < 0 ||
	    l->aid > 65535 || !quick_field_ok(l->ps, sizeof(l->ps)) ||
	    !quick_field_ok(l->add, sizeof(l->add)) ||
	    !quick_field_ok(l->id, sizeof(l->id)) ||
	    !quick_field_ok(l->type, sizeof(l->type)) ||
	    !quick_field_ok(l->host, sizeof(l->host)) ||
	    !quick_field_ok(l->path, sizeof(l->path)) ||
	    !quick_field_ok(l->sni, sizeof(l->sni)) ||
	    !quick_host_valid(l->add) || quick_uuid_parse(l->id, canon) == -1 ||
	    quick_net_name(l->net) == NULL ||
	    (unsigned)l->scy > CONF_SEC_LEGACY)
		return -1;
	snprintf(port, sizeof(port), "%u", l->port);
	snprintf(num, sizeof(num), "%d", l->aid);
	json[o++] = '{';
	if (!quick_json_put(json, sizeof(json), &o, "v", "2", false) ||
	    !quick_json_put(json, sizeof(json), &o, "ps", l->ps, false) ||
	    !quick_json_put(json, sizeof(json), &o, "add", l->add, false) ||
	    !quick_json_put(json, sizeof(json), &o, "port", port, false) ||
	    !quick_json_put(json, sizeof(json), &o, "id", canon, false) ||
	    !quick_json_put(json, sizeof(json), &o, "aid", num, false) ||
	    !quick_json_put(json, sizeof(json), &o, "scy",
	    conf_security_name(l->scy), false) ||
	    !quick_json_put(json, sizeof(json), &o, "net",
	    quick_net_name(l->net), false) ||
	    !quick_json_put(json, sizeof(json), &o, "type",
	    l->type[0] != '\0' ? l->type : "none", false) ||
	    !quick_json_put(json, sizeof(json), &o, "host", l->host, false) ||
	    !quick_json_put(json, sizeof(json), &o, "path", l->path, false) ||
	    (l->sni[0] != '\0' && !quick_json_put(json, sizeof(json), &o,
	    "sni", l->sni, false)) ||
	    !quick_json_put(json, sizeof(json), &o, "tls", l->tls ? "tls" :
	    "", true))
		return -1;
	if (size < 9)
		return -1;
	memcpy(buf, "vmess://", 8);
	if ((n = quick_b64_encode((const uint8_t *)json, o, buf + 8,
	    size - 8)) == -1)
		return -1;
	return n + 8;
}

/* A string field: 1 absent (or null), 0 copied, -1 wrong type or size. */
static int
quick_json_str(struct json_object *o, const char *key, char *dst,
    size_t size)
{
	struct json_object	*v;
	const char		*s;
	size_t			 len;

	dst[0] = '\0';
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 1;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len >= size || strlen(s) != len)	/* too long, or holds NUL */
		return -1;
	memcpy(dst, s, len + 1);
	return 0;
}

/* A number written either way: "443" or 443. Same returns. */
static int
quick_json_uint(struct json_object *o, const char *key, unsigned long max,
    unsigned long *out)
{
	struct json_object	*v;
	int64_t			 n;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 1;
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		if (n < 0 || (uint64_t)n > max)
			return -1;
		*out = (unsigned long)n;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	if (json_object_get_string_len(v) == 0)
		return 1;
	if ((size_t)json_object_get_string_len(v) !=
	    strlen(json_object_get_string(v)))
		return -1;
	return quick_uint_parse(json_object_get_string(v), max, out);
}

static int
quick_link_fields(struct json_object *o, struct quick_link *l,
    const char **errstr)
{
	char		buf[QUICK_HOST_MAX];
	unsigned long	v;
	int		rv;

	if (quick_json_str(o, "v", buf, sizeof(buf)) == -1) {
		if (quick_json_uint(o, "v", 10, &v) != 0 || v != 2)
			goto badv;
	} else if (buf[0] != '\0' && strcmp(buf, "2") != 0)
		goto badv;
	if (quick_json_str(o, "ps", l->ps, sizeof(l->ps)) == -1) {
		*errstr = "\"ps\" is not a string of at most 255 bytes";
		return -1;
	}
	if (quick_json_str(o, "add", l->add, sizeof(l->add)) != 0 ||
	    !quick_host_valid(l->add)) {
		*errstr = "\"add\" is missing or not a host name or IP address";
		return -1;
	}
	if (quick_json_uint(o, "port", 65535, &v) != 0 || v == 0) {
		*errstr = "\"port\" is missing or not a port 1..65535";
		return -1;
	}
	l->port = (uint16_t)v;
	if (quick_json_str(o, "id", buf, sizeof(buf)) != 0 ||
	    quick_uuid_parse(buf, l->id) == -1) {
		*errstr = "\"id\" is missing or not a UUID";
		return -1;
	}
	if ((rv = quick_json_uint(o, "aid", 65535, &v)) == -1) {
		*errstr = "\"aid\" is not a number 0..65535";
		return -1;
	}
	l->aid = rv == 0 ? (int)v : 0;
	if (quick_json_str(o, "scy", buf, sizeof(buf)) == -1 ||
	    conf_security_parse(buf, &l->scy) == -1) {
		*errstr = "\"scy\" is not a VMess security (auto, "
		    "aes-128-gcm, chacha20-poly1305, none, zero)";
		return -1;
	}
	if (quick_json_str(o, "net", buf, sizeof(buf)) == -1) {
		*errstr = "\"net\" is not a string";
		return -1;
	}
	if (buf[0] == '\0' || strcasecmp(buf, "tcp") == 0)
		l->net = CONF_NET_TCP;
	else if (strcasecmp(buf, "kcp") == 0 || strcasecmp(buf, "mkcp") == 0)
		l->net = CONF_NET_KCP;
	else if (strcasecmp(buf, "ws") == 0 ||
	    strcasecmp(buf, "websocket") == 0)
		l->net = CONF_NET_WS;
	else if (strcasecmp(buf, "h2") == 0 || strcasecmp(buf, "http") == 0)
		l->net = CONF_NET_H2;
	else {
		*errstr = "\"net\" is a transport vtools lacks (tcp, kcp, "
		    "ws and h2 only)";
		return -1;
	}
	if (quick_json_str(o, "type", l->type, sizeof(l->type)) == -1) {
		*errstr = "\"type\" is not a header type";
		return -1;
	}
	if (l->type[0] == '\0')
		strcpy(l->type, "none");
	if (l->net == CONF_NET_TCP && strcmp(l->type, "none") != 0 &&
	    strcmp(l->type, "http") != 0) {
		*errstr = "\"type\": a tcp header is none or http";
		return -1;
	}
	if (l->net == CONF_NET_KCP && conf_kcp_header_valid(l->type) == -1) {
		*errstr = "\"type\" is not an mKCP header type";
		return -1;
	}
	if (quick_json_str(o, "host", l->host, sizeof(l->host)) == -1 ||
	    quick_json_str(o, "path", l->path, sizeof(l->path)) == -1 ||
	    strpbrk(l->host, " \t\r\n") != NULL ||
	    (l->net != CONF_NET_KCP && strpbrk(l->path, " \t\r\n") !=
	    NULL)) {
		*errstr = "\"host\" or \"path\" is not a string of at most "
		    "255 bytes without blanks";
		return -1;
	}
	if (quick_json_str(o, "tls", buf, sizeof(buf)) == -1 ||
	    (buf[0] != '\0' && strcasecmp(buf, "none") != 0 &&
	    strcasecmp(buf, "tls") != 0)) {
		*errstr = "\"tls\" is neither \"tls\" nor empty";
		return -1;
	}
	l->tls = strcasecmp(buf, "tls") == 0;
	if (quick_json_str(o, "sni", l->sni, sizeof(l->sni)) == -1) {
		*errstr = "\"sni\" is not a string of at most 255 bytes";
		return -1;
	}
	if (l->tls && l->net == CONF_NET_KCP) {
		*errstr = "\"tls\": TLS over mKCP is not supported";
		return -1;
	}
	return 0;
badv:
	*errstr = "\"v\" is not 2: only v2rayN's version 2 links are read";
	return -1;
}

int
quick_vmess_link_decode(const char *link, struct quick_link *l,
    const char **errstr)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	uint8_t			 json[QUICK_LINK_MAX];
	const char		*why = "not a link";
	size_t			 len, end;
	int			 n, rv = -1;

	if (errstr == NULL)
		errstr = &why;
	if (l == NULL || link == NULL) {
		*errstr = "no link";
		return -1;
	}
	memset(l, 0, sizeof(*l));
	len = strlen(link);
	if (len < 8 || strncasecmp(link, "vmess://", 8) != 0) {
		*errstr = "does not start with vmess://";
		return -1;
	}
	if (len > QUICK_LINK_MAX) {
		*errstr = "too long";
		return -1;
	}
	if ((n = quick_b64_decode(link + 8, json, sizeof(json))) == -1) {
		*errstr = "what follows vmess:// is not base64";
		return -1;
	}
	if (n == 0 || memchr(json, '\0', (size_t)n) != NULL) {
		*errstr = "the base64 does not hold JSON text";
		return -1;
	}
	if ((tok = json_tokener_new_ex(8)) == NULL) {
		*errstr = "out of memory";
		return -1;
	}
	o = json_tokener_parse_ex(tok, (const char *)json, n);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		*errstr = "the base64 does not hold a JSON object";
		goto out;
	}
	for (end = json_tokener_get_parse_end(tok); end < (size_t)n; end++)
		if (!isspace(json[end])) {
			*errstr = "data after the JSON object";
			goto out;
		}
	if (!json_object_is_type(o, json_type_object)) {
		*errstr = "the base64 does not hold a JSON object";
		goto out;
	}
	rv = quick_link_fields(o, l, errstr);
out:
	json_object_put(o);
	json_tokener_free(tok);
	if (rv == -1)
		memset(l, 0, sizeof(*l));
	return rv;
}
