/* SPDX-License-Identifier: MIT */
/*
 * conf.h: the one configuration model. conf_json.c and conf_ini.c fill it,
 * conf_check.c validates it, conf_dump.c writes it back as JSON or INI.
 * Plain data only: no runtime pointers, so SIGHUP can build a second one
 * beside the live one and swap it in only when it validates.
 */
#ifndef LIBSHARED_CONF_H
#define LIBSHARED_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A growable list of owned strings. */
struct conf_strv {
	char	**v;
	size_t	  n;
};

/* Port range; an unset range has from == 0 and to == 0. */
struct conf_ports {
	uint16_t from;
	uint16_t to;
};

enum conf_proto {
	CONF_PROTO_NONE = 0,
	CONF_PROTO_SOCKS,
	CONF_PROTO_DOKODEMO,	/* "dokodemo-door" */
	CONF_PROTO_VMESS,
	CONF_PROTO_FREEDOM,
	CONF_PROTO_BLACKHOLE,
	CONF_PROTO_HTTP,	/* HTTP proxy inbound */
	CONF_PROTO_DNS,		/* dns outbound */
	CONF_PROTO_MAX
};

/* VMess body security as configured ("auto" resolved at runtime). */
enum conf_security {
	CONF_SEC_AUTO = 0,
	CONF_SEC_AES128GCM,
	CONF_SEC_CHACHA20,
	CONF_SEC_NONE,
	CONF_SEC_ZERO,
	CONF_SEC_LEGACY		/* aes-128-cfb: only for dynamic-port accounts */
};

enum conf_network {
	CONF_NET_TCP = 0,
	CONF_NET_KCP,
	CONF_NET_WS,		/* "ws", "websocket" */
	CONF_NET_H2		/* "h2", "http" */
};

/* Freedom domainStrategy and routing domainStrategy share no values. */
enum conf_dstrategy {
	CONF_DS_ASIS = 0,
	CONF_DS_USEIP,
	CONF_DS_USEIPV4,
	CONF_DS_USEIPV6
};

enum conf_route_strategy {
	CONF_RS_ASIS = 0,
	CONF_RS_IPIFNONMATCH,
	CONF_RS_IPONDEMAND
};

enum conf_loglevel {
	CONF_LOG_DEBUG = 0,
	CONF_LOG_INFO,
	CONF_LOG_WARNING,
	CONF_LOG_ERROR,
	CONF_LOG_NONE
};

/* Where a log goes: off, stdout, or a file. */
enum conf_logdest {
	CONF_LOGDEST_OFF = 0,
	CONF_LOGDEST_CONSOLE,
	CONF_LOGDEST_FILE
};

/* Network bits, for dokodemo "network" and rule "network". */
#define CONF_NETBIT_TCP	0x01
#define CONF_NETBIT_UDP	0x02

struct conf_log {
	enum conf_logdest	 access_dest;
	char			*access_path;	/* when CONF_LOGDEST_FILE */
	enum conf_logdest	 error_dest;
	char			*error_path;
	enum conf_loglevel	 level;
};

/* One policy level; every field already holds 4.34's default if unset. */
struct conf_level {
	uint32_t level;
	int	 handshake;	/* seconds, default 60 */
	int	 conn_idle;	/* 300 */
	int	 uplink_only;	/* 1 */
	int	 downlink_only;	/* 1 */
	int	 buffer_size;	/* KiB, default 512; -1 = unlimited */
	bool	 stats_user_up;		/* statsUserUplink */
	bool	 stats_user_down;	/* statsUserDownlink */
};

struct conf_kcp {
	int	 mtu;			/* 576..1460, default 1350 */
	int	 tti;			/* 10..100 ms, default 50 */
	int	 uplink_capacity;	/* MB/s, default 5 */
	int	 downlink_capacity;	/* MB/s, default 20 */
	bool	 congestion;
	int	 read_buffer_size;	/* MB, default 2 */
	int	 write_buffer_size;	/* MB, default 2 */
	char	*header_type;		/* none srtp utp wechat-video dtls wireguard */
	char	*seed;			/* NULL = SimpleAuthenticator */
};

/* tlsSettings.certificates[] entry. */
enum conf_cert_usage {
	CONF_CERT_ENCIPHERMENT = 0,	/* served by a server */
	CONF_CERT_VERIFY		/* a client's extra trust anchor */
};

struct conf_cert {
	enum conf_cert_usage usage;
	char	*cert_file;		/* certificateFile, or NULL */
	char	*key_file;		/* keyFile, or NULL */
	char	*cert_pem;		/* inline certificate lines joined */
	char	*key_pem;		/* inline key lines joined */
};

/* streamSettings.security "tls" with tlsSettings. */
struct conf_tls {
	char		*server_name;	/* NULL = none */
	bool		 allow_insecure;
	bool		 disable_system_root;
	bool		 has_alpn;	/* alpn given (else 4.34's default) */
	struct conf_strv alpn;
	struct conf_cert *certs;
	size_t		 ncerts;
};

/* tcpSettings (transport/httphdr.c, transport/proxyproto.c). */
/* One header of the tcp http disguise: a value picked at random each time. */
struct conf_http_field {
	char		*name;
	struct conf_strv values;
};

/* header.request / header.response; NULL or empty: 4.34's defaults. */
struct conf_http_req {
	char		*version;	/* "1.1" */
	char		*method;	/* "GET" */
	struct conf_strv path;		/* ["/"]; one picked per connection */
	struct conf_http_field *fields;	/* sorted by name, as 4.34 */
	size_t		 nfields;
};

struct conf_http_resp {
	char		*version;	/* "1.1" */
	char		*status;	/* "200" */
	char		*reason;	/* "OK" */
	struct conf_http_field *fields;
	size_t		 nfields;
};

struct conf_tcp {
	bool		 accept_proxy_protocol;
	bool		 http_header;	/* header.type "http" */
	struct conf_http_req  req;
	struct conf_http_resp resp;
};

/* wsSettings (transport/ws.c). */
struct conf_ws {
	char		*path;		/* NULL = "/" */
	char		*host;		/* headers.Host */
	bool		 accept_proxy_protocol;
	struct conf_strv hdr_names;	/* other headers, as given */
	struct conf_strv hdr_values;
};

/* httpSettings (transport/h2.c). */
struct conf_h2 {
	struct conf_strv host;		/* empty: www.example.com (4.34) */
	char		*path;		/* NULL = "/" */
};

struct conf_stream {
	enum conf_network network;
	bool		  tls;		/* security: "tls" */
	struct conf_tls	  tlss;		/* tlsSettings */
	struct conf_kcp	  kcp;
	struct conf_tcp	  tcp;		/* network tcp */
	struct conf_ws	  ws;		/* network ws */
	struct conf_h2	  h2;		/* network h2 */
};

/* VMess user, inbound ("clients") or outbound ("vnext[].users"). */
struct conf_user {
	char			 id[37];	/* canonical lower-case UUID */
	uint8_t			 uuid[16];
	int			 alter_id;
	uint32_t		 level;
	char			*email;
	enum conf_security	 security;	/* outbound only */
};

struct conf_account {		/* SOCKS username/password */
	char	*user;
	char	*pass;
};

struct conf_server {		/* vmess vnext, socks/http servers entry */
	char			*address;
	uint16_t		 port;
	struct conf_user	*users;		/* vmess */
	size_t			 nusers;
	struct conf_account	*accounts;	/* socks/http: users[] */
	size_t			 naccounts;
};

enum conf_alloc_strategy {
	CONF_ALLOC_ALWAYS = 0,
	CONF_ALLOC_RANDOM
};

struct conf_allocate {
	bool			 present;
	enum conf_alloc_strategy strategy;
	int			 refresh_sec;	/* JSON number = minutes; "20s" ok */
	int			 concurrency;	/* default 3 */
};

struct conf_inbound {
	char			*tag;		/* may be NULL */
	enum conf_proto		 proto;
	char			*listen;	/* NULL = default for the proto */
	struct conf_ports	 port;
	struct conf_stream	 stream;
	struct conf_allocate	 allocate;
	bool			 sniff_enabled;
	bool			 sniff_http;	/* destOverride contains http */
	bool			 sniff_tls;	/* tls/https/ssl */
	uint32_t		 user_level;	/* socks/dokodemo/http userLevel */

	/* socks */
	bool			 socks_password;	/* auth = "password" */
	struct conf_account	*accounts;
	size_t			 naccounts;
	bool			 socks_udp;
	char			*socks_ip;

	/* dokodemo-door */
	char			*dk_address;
	uint16_t		 dk_port;
	unsigned		 dk_network;		/* CONF_NETBIT_* */
	bool			 dk_follow_redirect;

	/* http (accounts above, as socks) */
	bool			 http_transparent;	/* allowTransparent */
	int			 http_timeout;		/* s; 0 = policy's;
							   also socks' and
							   dokodemo's */

	/* vmess */
	struct conf_user	*clients;
	size_t			 nclients;
	bool			 has_default;
	int			 default_alter_id;	/* "default" object */
	uint32_t		 default_level;
	char			*detour_to;
	bool			 disable_insecure;
};

struct conf_outbound {
	char			*tag;
	enum conf_proto		 proto;
	char			*send_through;
	struct conf_stream	 stream;
	bool			 mux_enabled;
	int			 mux_concurrency;	/* default 8 */

	/* freedom */
	enum conf_dstrategy	 domain_strategy;
	char			*redirect;	/* "host:port" as given, or NULL */
	uint32_t		 user_level;

	/* blackhole */
	bool			 bh_http;	/* response.type == "http" */

	/* dns: where forwarded queries go instead of the destination */
	char			*dns_address;
	uint16_t		 dns_port;
	unsigned		 dns_network;	/* CONF_NETBIT_*, 0 = as sent */

	/* vmess vnext; socks and http servers */
	struct conf_server	*vnext;
	size_t			 nvnext;

	/* proxySettings.tag: connections are opened through that outbound */
	char			*proxy_tag;
};

/*
 * A field rule. Empty lists mean "not present". Matching strings are kept
 * as written so the dump reproduces them; route.c compiles them.
 */
struct conf_rule {
	struct conf_strv domain;
	struct conf_strv ip;
	char		*port;		/* "53,443,1000-2000" or NULL */
	char		*source_port;
	unsigned	 network;	/* CONF_NETBIT_*, 0 = any */
	struct conf_strv source;
	struct conf_strv user;
	struct conf_strv inbound_tag;
	struct conf_strv protocol;
	char		*outbound_tag;
	char		*balancer_tag;
};

struct conf_reverse_end {	/* bridge or portal */
	char	*tag;
	char	*domain;
};

/*
 * policy.system.handshakePerSource: connections one source (an IPv4
 * address, an IPv6 /64) may have in handshake before its oldest is
 * closed; 0 = no cap. A vtools key; V2Ray ignores it.
 */
#define CONF_HS_PER_SOURCE_DEFAULT	64
#define CONF_HS_PER_SOURCE_MAX		1048576	/* Linux's fs.nr_open */

/*
 * The dns object (V2Ray 4.34 app/dns). A hosts entry maps a key as
 * written ("full:a.com", "domain:b.com", "c.com") to IPs or to one alias
 * name; a server is "localhost" (system resolver) or an address, tried on
 * UDP port (0 = 53).
 */
struct conf_dns_host {
	char			*key;
	struct conf_strv	 values;
};

struct conf_dns_server {
	char			*address;
	uint16_t		 port;
	struct conf_strv	 domains;
	struct conf_strv	 expect_ips;
	char			*client_ip;
};

struct conf_dns {
	bool			 present;
	struct conf_dns_host	*hosts;		/* sorted by key */
	size_t			 nhosts;
	struct conf_dns_server	*servers;
	size_t			 nservers;
	char			*client_ip;
	char			*tag;
};

/*
 * "metrics" (a vtools key; V2Ray ignores it, INI [metrics]): where the
 * Prometheus text, the status page and /status.json are served.
 */
struct conf_metrics {
	char	*listen;		/* "127.0.0.1:9100"; NULL = none */
	char	*user;			/* Basic auth, both or neither */
	char	*password;
	bool	 reset_on_reload;	/* resetOnReload: SIGHUP zeroes */
};

struct conf {
	char			*path;		/* file it came from */
	struct conf_log		 log;
	struct conf_level	*levels;
	size_t			 nlevels;
	int			 hs_per_source;	/* policy.system */
	bool			 stats;		/* the "stats" object */
	bool			 stats_in_up;	/* policy.system.statsInbound… */
	bool			 stats_in_down;
	bool			 stats_out_up;	/* …statsOutbound… */
	bool			 stats_out_down;
	struct conf_metrics	 metrics;
	struct conf_inbound	*inbounds;	/* merged, V2Ray order */
	size_t			 ninbounds;
	struct conf_outbound	*outbounds;	/* merged; [0] is default */
	size_t			 noutbounds;
	enum conf_route_strategy route_strategy;
	struct conf_rule	*rules;
	size_t			 nrules;
	struct conf_reverse_end	*bridges;
	size_t			 nbridges;
	struct conf_reverse_end	*portals;
	size_t			 nportals;
	struct conf_dns		 dns;
};

enum conf_format {
	CONF_FMT_AUTO = 0,	/* from the file extension */
	CONF_FMT_JSON,
	CONF_FMT_INI
};

/*
 * Diagnostics collected while loading/checking. Every message is a full
 * line ready to print: "file:line:col: message" for syntax, or
 * "file: inbounds[1].port: port 70000 out of range" for meaning.
 */
struct conf_diag {
	struct conf_strv errors;
	struct conf_strv warnings;
};

/* Initialise c with nothing configured and every default set. */
void	conf_init(struct conf *c);
void	conf_cleanup(struct conf *c);

/* Defaults for a fresh object; used by both front ends. */
void	conf_inbound_init(struct conf_inbound *in);
void	conf_outbound_init(struct conf_outbound *out);
void	conf_stream_init(struct conf_stream *s);
void	conf_level_init(struct conf_level *l, uint32_t level);

/* Append a zeroed, default-initialised element; return it. */
struct conf_inbound	*conf_add_inbound(struct conf *c);
struct conf_outbound	*conf_add_outbound(struct conf *c);
struct conf_rule	*conf_add_rule(struct conf *c);
struct conf_level	*conf_get_level(struct conf *c, uint32_t level, bool create);

void	conf_strv_push(struct conf_strv *sv, const char *s);
/* The dns object's entries (conf_dns.c). */
struct conf_dns_host	*conf_dns_add_host(struct conf_dns *d);
struct conf_dns_server	*conf_dns_add_server(struct conf_dns *d);
/* 4.34 walks the hosts keys sorted: matches answer in that order. */
void	conf_dns_sort_hosts(struct conf_dns *d);
void	conf_dns_cleanup(struct conf_dns *d);
void	conf_strv_free(struct conf_strv *sv);

/* More append helpers (each returns a zeroed, default-initialised slot). */
struct conf_reverse_end	*conf_add_bridge(struct conf *c);
struct conf_reverse_end	*conf_add_portal(struct conf *c);
struct conf_user	*conf_inbound_add_client(struct conf_inbound *in);
struct conf_account	*conf_inbound_add_account(struct conf_inbound *in);
struct conf_server	*conf_outbound_add_server(struct conf_outbound *out);
struct conf_user	*conf_server_add_user(struct conf_server *srv);
/* Any list of accounts (a socks/http outbound server's users). */
struct conf_account	*conf_accounts_add(struct conf_account **v, size_t *n);
void	conf_kcp_init(struct conf_kcp *k);
/* Free a stream's TLS settings (the struct stays initialised). */
void	conf_tls_cleanup(struct conf_tls *t);
/* tcpSettings (conf_tcp.c). */
struct conf_http_field *conf_http_field_get(struct conf_http_field **fields,
	    size_t *n, const char *name);
void	conf_http_fields_sort(struct conf_http_field *fields, size_t n);
void	conf_tcp_cleanup(struct conf_tcp *t);
struct conf_cert	*conf_tls_add_cert(struct conf_tls *t);
/* Copy src over dst (dst must be initialised; its strings are freed). */
void	conf_kcp_copy(struct conf_kcp *dst, const struct conf_kcp *src);

void	conf_diag_init(struct conf_diag *d);
void	conf_diag_cleanup(struct conf_diag *d);
void	conf_err(struct conf_diag *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	conf_warn(struct conf_diag *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print every error then every warning, one a line. */
void	conf_diag_print(const struct conf_diag *d, FILE *fp);
/* Whether some recorded error line contains needle (tests, callers). */
bool	conf_diag_has(const struct conf_diag *d, const char *needle);

/*
 * Load path into c (after conf_init). Returns 0 when no error was recorded,
 * -1 otherwise; every problem is in d. Runs conf_check() too.
 */
int	conf_load(const char *path, enum conf_format fmt, struct conf *c,
	    struct conf_diag *d);
/* Load from memory; name is used in messages. */
int	conf_load_json_buf(const char *name, const char *buf, size_t len,
	    struct conf *c, struct conf_diag *d);
int	conf_load_ini_buf(const char *name, const char *buf, size_t len,
	    struct conf *c, struct conf_diag *d);

/* Semantic checks over a filled model (conf_check.c). 0 or -1. */
int	conf_check(const struct conf *c, struct conf_diag *d);

/* Write the effective configuration (conf_dump.c). */
void	conf_dump_json(const struct conf *c, FILE *fp);
void	conf_dump_ini(const struct conf *c, FILE *fp);

/*
 * The address an inbound binds: its listen, else 127.0.0.1 for a local
 * proxy (socks, http) and 0.0.0.0 for the rest (engine and -dump agree).
 */
const char *conf_inbound_listen(const struct conf_inbound *in);

/* Small parsers shared by both front ends (conf.c). 0 ok, -1 bad. */
const char *conf_proto_name(enum conf_proto p);
int	conf_proto_parse(const char *s, enum conf_proto *p);
const char *conf_security_name(enum conf_security s);
int	conf_security_parse(const char *s, enum conf_security *sec);
int	conf_uuid_parse(const char *s, uint8_t uuid[16], char canon[37]);
/*
 * "N" or "A-B", 1..65535, A <= B. A single "0" parses (it means "keep the
 * original port" for dokodemo/freedom); conf_check() refuses it where a
 * real port is needed (inbound listen port, vnext port).
 */
int	conf_ports_parse(const char *s, struct conf_ports *p);
int	conf_network_parse(const char *s, unsigned *bits);	/* "tcp,udp" */
int	conf_loglevel_parse(const char *s, enum conf_loglevel *l);
const char *conf_loglevel_name(enum conf_loglevel l);
int	conf_dstrategy_parse(const char *s, enum conf_dstrategy *ds);
const char *conf_dstrategy_name(enum conf_dstrategy ds);
int	conf_route_strategy_parse(const char *s, enum conf_route_strategy *rs);
const char *conf_route_strategy_name(enum conf_route_strategy rs);
/* "5" (minutes) or "20s" / "3m" → seconds. */
int	conf_duration_parse(const char *s, int *seconds);
/* "tcp,udp" style text for CONF_NETBIT_* bits ("" for 0). */
const char *conf_network_name(unsigned bits);
/* mKCP header.type: none srtp utp wechat-video dtls wireguard. */
int	conf_kcp_header_valid(const char *s);
int	conf_alloc_strategy_parse(const char *s, enum conf_alloc_strategy *st);
const char *conf_alloc_strategy_name(enum conf_alloc_strategy st);
/* freedom "redirect": "host:port", ":port", "[v6]:port"; port 0..65535. */
int	conf_redirect_valid(const char *s);
/* Syntax only: "10.0.0.0/8", "::1/128", bare IPs, geoip:/ext: forms. */
int	conf_cidr_valid(const char *s);
/* Rule port list "53,443,1000-2000"; every item 0..65535, A <= B. */
int	conf_portlist_valid(const char *s);

/* The policy for a level: configured one, or the 4.34 defaults. */
struct conf_level conf_policy(const struct conf *c, uint32_t level);

/* Find an inbound/outbound by tag; NULL when none. */
const struct conf_inbound  *conf_find_inbound(const struct conf *c, const char *tag);
const struct conf_outbound *conf_find_outbound(const struct conf *c, const char *tag);

#endif
