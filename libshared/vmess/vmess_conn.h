/* SPDX-License-Identifier: MIT */
/*
 * vmess_conn.h: the VMess body codecs bound to evbuffers, for both roles,
 * as stream_codecs the relay runs (core/session.h). One vmess_conn per
 * connection holds both directions' body state and the response header.
 */
#ifndef LIBSHARED_VMESS_CONN_H
#define LIBSHARED_VMESS_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "vmess/vmess.h"

struct evbuffer;
struct stream_codec;

struct vmess_conn {
	bool		 server;
	bool		 aead;		/* request header mode */
	bool		 udp;
	uint8_t		 v;		/* response auth byte */
	bool		 resp_done;	/* response header sent / read */
	struct vmess_resp resp;		/* server: to send; client: got */
	struct vmess_body up;		/* request direction */
	struct vmess_body down;		/* response direction */
	/* Client: called when a response carries SwitchAccount. */
	void		(*on_switch)(void *, const struct vmess_switch *);
	void		*on_switch_arg;
};

/*
 * Set up both bodies from a request (sec, opt, keys). Returns 0, or -1 for
 * an unusable security.
 */
int	vmess_conn_init(struct vmess_conn *vc, bool server,
	    const struct vmess_request *req);
void	vmess_conn_cleanup(struct vmess_conn *vc);

/* Relay codecs: the server's client side and the client's remote side. */
extern const struct stream_codec vmess_server_codec;
extern const struct stream_codec vmess_client_codec;

/*
 * Seal all of src into dst as chunks of the 4.34 writer's size (or one
 * chunk per call for UDP: src must then hold exactly one datagram).
 */
int	vmess_conn_seal(struct vmess_body *b, struct evbuffer *src,
	    struct evbuffer *dst, const char **errstr);
/*
 * Open what src holds into dst. Returns 0, 1 when the end marker was
 * seen, -1 with *errstr. With a datagram callback instead of dst (dst
 * NULL), each chunk's plaintext is one datagram.
 */
int	vmess_conn_open(struct vmess_body *b, struct evbuffer *src,
	    struct evbuffer *dst, void (*dgram)(void *, const uint8_t *,
	    size_t), void *arg, const char **errstr);
/* Server: the response header, once, before the first response bytes. */
int	vmess_conn_resp_header(struct vmess_conn *vc, struct evbuffer *dst,
	    const char **errstr);
/* Client: read the response header; 1 done, 0 need more, -1 bad. */
int	vmess_conn_resp_read(struct vmess_conn *vc, struct evbuffer *src,
	    const char **errstr);

/* Wire security and options a 4.34 client uses for a configured one. */
void	vmess_security_wire(int conf_security, uint8_t *sec, uint8_t *opt);

#endif
