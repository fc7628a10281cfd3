/* SPDX-License-Identifier: MIT */
/*
 * http_head.h: HTTP/1.x request heads for the HTTP proxy inbound. Pure:
 * bytes in, a parsed struct pointing into those bytes out; no sockets.
 */
#ifndef VT_HTTP_HEAD_H
#define VT_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The largest request head taken (request line, fields, blank line).
 * 4.34 sets none (it forwards heads of 70 KB); 64 KiB keeps cookie-heavy
 * browser requests working while bounding what one handshake holds.
 */
#define HTTP_HEAD_MAX		65536
#define HTTP_HEAD_MAX_FIELDS	100

/* http_head_parse() results besides a head length (> 0). */
#define HTTP_HEAD_MORE		0	/* incomplete: read more */
#define HTTP_HEAD_BAD		(-1)	/* malformed request line or field */
#define HTTP_HEAD_TOO_BIG	(-2)	/* over HTTP_HEAD_MAX or too many fields */

struct http_field {
	const char	*name;
	size_t		 nlen;
	const char	*value;		/* surrounding blanks trimmed */
	size_t		 vlen;
};

struct http_head {
	const char		*method;
	size_t			 mlen;
	const char		*target;
	size_t			 tlen;
	int			 minor;		/* HTTP/1.minor */
	int			 status;	/* responses: 100..999 */
	size_t			 nfields;
	struct http_field	 f[HTTP_HEAD_MAX_FIELDS];
	size_t			 len;		/* bytes of the whole head */
};

/*
 * Parse the head at p[0..n). Lines end in CRLF or a bare LF. Returns the
 * head's length, HTTP_HEAD_MORE, HTTP_HEAD_BAD or HTTP_HEAD_TOO_BIG.
 * Only the first HTTP_HEAD_MAX bytes are ever looked at.
 */
ssize_t	http_head_parse(const uint8_t *p, size_t n, struct http_head *h);

/*
 * The same for a response head (status line "HTTP/1.x NNN reason"): no
 * method, h->status set, target/tlen hold the reason phrase.
 */
ssize_t	http_response_parse(const uint8_t *p, size_t n, struct http_head *h);

/* The first field named name (case-insensitive), or NULL. */
const struct http_field *http_head_get(const struct http_head *h,
	    const char *name);

/* Is the method name (case-sensitive, as HTTP says)? */
bool	http_head_is(const struct http_head *h, const char *method);

/* Where a request goes. */
struct http_target {
	char		 host[256];	/* no brackets around IPv6 */
	uint16_t	 port;
	char		 authority[300];	/* host[:port] as for Host: */
	const char	*path;		/* origin-form, into the head */
	size_t		 plen;		/* 0: "/" */
	bool		 absolute;	/* absolute-URI (or CONNECT) */
};

/*
 * The destination: CONNECT's authority (a port is required), an absolute
 * http:// or https:// URI (default port 80 / 443), or, for origin-form
 * ("/path"), the Host field (default port 80) when transparent is set.
 * Returns 0, or -1 when there is none or it is malformed.
 */
int	http_target_parse(const struct http_head *h, bool transparent,
	    struct http_target *t);

/* "host[:port]" or "[v6][:port]"; 0 or -1. */
int	http_authority_parse(const char *s, size_t n, uint16_t defport,
	    char *host, size_t hostcap, uint16_t *port);

/*
 * A Proxy-Authorization value "Basic <base64(user:pass)>" (the scheme is
 * case-sensitive, as in 4.34). 0 with NUL-terminated user and pass, or -1.
 */
int	http_basic_parse(const char *v, size_t n, char *user, size_t ucap,
	    char *pass, size_t pcap);

/*
 * The request to send upstream: origin-form request line, Host set to the
 * target's authority, hop-by-hop fields removed (Proxy-Connection,
 * Proxy-Authenticate, Proxy-Authorization, Connection and every field it
 * names, Keep-Alive, TE, Trailer(s), Upgrade), "Connection: close" added.
 * Returns the length written to out, or -1 when cap is too small.
 */
ssize_t	http_head_rewrite(const struct http_head *h,
	    const struct http_target *t, char *out, size_t cap);

/* Is the field named by the Connection field(s) or a fixed hop-by-hop one? */
bool	http_field_is_hop(const struct http_head *h, const struct http_field *f);

/*
 * A response head for the client: its status line, fields less hop-by-hop
 * ones, then, as 4.34 words it, "Proxy-Connection: keep-alive",
 * "Connection: keep-alive" and "Keep-Alive: timeout=4" when keep, else
 * "Connection: close". The length written, or -1 when cap is too small.
 */
ssize_t	http_response_rewrite(const struct http_head *h, bool keep,
	    char *out, size_t cap);

/*
 * Content-Length: 1 with *len, 0 when absent, -1 when malformed or given
 * twice with different values.
 */
int	http_content_length(const struct http_head *h, uint64_t *len);

#endif
