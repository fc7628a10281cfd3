/* SPDX-License-Identifier: MIT */
/*
 * quick.h: one-line deployments. Each tool's quick flags (vserver -port
 * -id, vclient vmess://LINK, ...) become config objects added to a base
 * config, and vmess:// share links (v2rayN format) are encoded and decoded.
 */
#ifndef LIBSHARED_QUICK_H
#define LIBSHARED_QUICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"

#define QUICK_HOST_MAX	256	/* a DNS name (253) or an IP, NUL included */
#define QUICK_LINK_MAX	8192	/* longest vmess:// link, either way */

/* Default reverse-proxy domain of vportal/vbridge when -domain is absent. */
#define QUICK_DEFAULT_DOMAIN	"reverse.vtools.internal"

enum quick_tool {
	QUICK_NONE = 0,		/* a tool without quick flags */
	QUICK_VSERVER,
	QUICK_VCLIENT,
	QUICK_VPORTAL,
	QUICK_VBRIDGE
};

/* One vmess:// link: the v2rayN "v": "2" JSON object, decoded. */
struct quick_link {
	char			 ps[QUICK_HOST_MAX];	/* remark */
	char			 add[QUICK_HOST_MAX];	/* server address */
	uint16_t		 port;
	char			 id[37];		/* canonical UUID */
	int			 aid;			/* alterId */
	enum conf_security	 scy;
	enum conf_network	 net;			/* tcp, kcp, ws or h2 */
	char			 type[16];		/* mKCP header type;
							   tcp: none or http */
	/*
	 * ws: the Host header and the path; h2: hosts (a comma list) and
	 * the path; tcp with type http: Host values and paths (comma
	 * lists), as v2rayN writes them; kcp: path is the seed.
	 */
	char			 host[QUICK_HOST_MAX];
	char			 path[QUICK_HOST_MAX];
	bool			 tls;			/* "tls": "tls" */
	char			 sni[QUICK_HOST_MAX];	/* "" = none */
};

struct quick_hostport {
	char		host[QUICK_HOST_MAX];
	uint16_t	port;			/* 0 = not given */
};

/*
 * The quick flags as parsed. Plain data with argv-independent copies, so
 * the caller may keep it after argv is gone; quick_free() releases it.
 */
struct quick {
	enum quick_tool		 tool;
	const char		*name;		/* tool name, for messages */
	bool			 any;		/* some quick flag was given */
	bool			 want_uuid;	/* vserver -uuid */

	char			(*ids)[37];	/* -id, canonical, in order */
	size_t			 nids;
	int			 aid;		/* -aid; -1 = not given */
	bool			 kcp;		/* -kcp */
	/* -ws PATH or -h2 PATH: CONF_NET_WS/H2 with net_path; else tcp. */
	enum conf_network	 net;
	char			 net_path[QUICK_HOST_MAX];

	/*
	 * Where the tool's main inbound listens: vserver -listen/-port,
	 * vclient -socks, vportal -listen.
	 */
	struct quick_hostport	 listen;
	bool			 listen_set;

	/* vserver */
	struct conf_ports	 dynamic;	/* -dynamic A-B */
	int			 dyn_concurrency;
	/* vserver, vportal: -host, "" = none */
	char			 host[QUICK_HOST_MAX];

	/* vclient: -server or a link; vbridge: -portal or a link */
	struct quick_hostport	 peer;
	bool			 have_link;
	struct quick_link	 link;
	bool			 security_set;
	enum conf_security	 security;
	int			 mux;		/* 0 = no mux */
	bool			 sniff;
	struct quick_hostport	 http;		/* -http; port 0 = none */

	/* vportal */
	struct quick_hostport	*publics;
	size_t			 npublics;
	char			 domain[QUICK_HOST_MAX]; /* "": default */

	/* vbridge */
	struct quick_hostport	 to;		/* freedom redirect */

	/* TLS: vserver/vportal -tls CERT,KEY; vclient/vbridge -tls -sni
	 * NAME -insecure */
	char			*tls_cert;	/* NULL = no TLS (server) */
	char			*tls_key;
	bool			 tls;		/* client: use TLS */
	char			 sni[QUICK_HOST_MAX];
	bool			 insecure;
};

/* tool is t->name ("vserver" ...); other names get no quick flags. */
void	quick_init(struct quick *q, const char *tool);
void	quick_free(struct quick *q);

/*
 * Offer argv[*i] to the quick flags. name and val are the flag name and
 * its inline "=value" as cli.c split them; name is NULL for an argument
 * that is not a flag (vclient's vmess:// link). Returns 1 when taken
 * (*i moved past a separate value), 0 when it is no quick flag of this
 * tool, -1 on a usage error with the reason in err.
 */
int	quick_arg(struct quick *q, const char *name, const char *val,
	    int argc, char *const *argv, int *i, char *err, size_t errlen);
/* After the last argument: the checks across flags. 0 or -1 (usage). */
int	quick_finish(struct quick *q, char *err, size_t errlen);
/* The quick flags of q's tool, for -h. */
void	quick_usage(const struct quick *q, FILE *fp);

/*
 * Add the flags' objects to c (empty or loaded from a file), then check
 * the whole of it. The first outbound the flags add becomes the default;
 * "direct"/"blocked" are not added again when c has them. A tag the base
 * already uses for what the flags would add is an error. Problems go to
 * d like conf_load()'s. 0 or -1.
 */
int	quick_apply(const struct quick *q, struct conf *c,
	    struct conf_diag *d);

/*
 * The link vserver's user i (vportal: its bridge's user) can paste into a
 * client (vbridge). Returns 1 when the address is 127.0.0.1 standing in
 * for a wildcard listen address (no -host), 0 otherwise, -1 when there is
 * no such user.
 */
int	quick_server_link(const struct quick *q, size_t i,
	    struct quick_link *l);
/* vserver or vportal started from flags: every user's link to out, hints
 * to warn. */
void	quick_print_links(const struct quick *q, FILE *out, FILE *warn);

/* A random (RFC 4122 version 4) UUID, canonical form. 0 or -1. */
int	quick_uuid_new(char out[37]);

/*
 * "vmess://" + standard padded base64 of the JSON object. Returns the
 * length written (NUL not counted), or -1 when l is invalid or buf is
 * too small.
 */
int	quick_vmess_link_encode(const struct quick_link *l, char *buf,
	    size_t size);
/*
 * Parse a vmess:// link: standard or URL-safe base64, padded or not;
 * port and aid as strings or numbers. 0, or -1 with *errstr a static
 * reason. Networks other than tcp, kcp, ws and h2 are refused, and so is
 * TLS over kcp.
 */
int	quick_vmess_link_decode(const char *link, struct quick_link *l,
	    const char **errstr);

#endif
