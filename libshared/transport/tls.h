/* SPDX-License-Identifier: MIT */
/*
 * tls.h: streamSettings.security "tls" (V2Ray 4.34's tlsSettings), a
 * transport layer (transport.h): an OpenSSL filter bufferevent stacked on
 * the accepted or dialed stream. One SSL_CTX per inbound or outbound
 * stream, built when the engine starts, never per connection.
 */
#ifndef LIBSHARED_TRANSPORT_TLS_H
#define LIBSHARED_TRANSPORT_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "net/addr.h"

struct conf_tls;

/*
 * What -test checks: every certificate file readable and parseable, each
 * key matching its certificate, a server with a certificate to serve.
 * Returns -1 with a message naming the file.
 */
int	tls_check(const struct conf_tls *t, bool server, char *err,
	    size_t errlen);

/* The layer itself is tls_layer in transport.c's table. */

#endif
