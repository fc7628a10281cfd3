/* SPDX-License-Identifier: MIT */
/*
 * outdial.h: where an outbound gets its connection. Directly
 * (transport_dial over its streamSettings) or, with proxySettings.tag (V2Ray 4.34's
 * app/proxyman/outbound Handler.Dial), as a stream carried by the named
 * outbound: an internal session whose destination is the address this
 * outbound wanted to dial, opened by that outbound's handler, so a VMess
 * connection can go out through a SOCKS or HTTP proxy.
 */
#ifndef LIBSHARED_OUTDIAL_H
#define LIBSHARED_OUTDIAL_H

#include "core/session.h"
#include "transport/transport.h"

struct outbound_rt;
struct outbound_dial;

/*
 * Open a stream for ob to `to` (family and tries as transport_dial's). cb is
 * called once, never before this returns, with the stream (the callee's)
 * or NULL and a reason. A chained stream ends the carrying session when
 * freed, and reads EOF when that session ends first.
 */
struct outbound_dial *outbound_dial(struct outbound_rt *ob,
	    const struct net_addr *to, int family, int tries,
	    transport_connect_cb *cb, void *arg);
/* Abandon a dial in progress; cb is not called. NULL is fine. */
void	outbound_dial_cancel(struct outbound_dial *d);
/* The half-close of the streams outbound_dial gives for ob. */
stream_shutdown_fn *outbound_dial_shutdown(const struct outbound_rt *ob);

/*
 * socks and http outbounds: their servers in turn (4.34's round robin
 * picker), each server's users in turn; *acc is NULL for a server
 * without users. start/stop are the handlers' ops.
 */
struct conf_account;
struct conf_server;
int	outbound_servers_start(struct outbound_rt *ob, char *err, size_t len);
void	outbound_servers_stop(struct outbound_rt *ob);
const struct conf_server *outbound_next_server(struct outbound_rt *ob,
	    const struct conf_account **acc);

#endif
