/* SPDX-License-Identifier: MIT */
/*
 * addr.h: a proxy destination (IP or domain, port, network) and the
 * conversions every handler needs.
 */
#ifndef LIBSHARED_ADDR_H
#define LIBSHARED_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct net_addr {
	int		family;		/* AF_INET, AF_INET6, or 0 = domain */
	uint8_t		ip[16];
	char		domain[256];
	uint16_t	port;
};

#define NET_ADDRSTRLEN	300

/* "1.2.3.4", "::1", "[::1]" or a domain; port given separately. */
void	net_addr_set(struct net_addr *a, const char *host, uint16_t port);
/*
 * A domain that is an address in disguise ("[::1]", "127.1", "2130706433")
 * becomes that address; anything else is left alone.
 */
void	net_addr_normalize(struct net_addr *a);
/* "host:port", "[v6]:port", ":port" (host left as is). 0 or -1. */
int	net_addr_parse_hostport(struct net_addr *a, const char *s);
int	net_addr_from_sockaddr(struct net_addr *a, const struct sockaddr *sa);
/* IP only; -1 for a domain. Returns the sockaddr length. */
int	net_addr_to_sockaddr(const struct net_addr *a,
	    struct sockaddr_storage *ss);
/* "1.2.3.4:80", "[::1]:80", "example.com:80". */
char	*net_addr_str(const struct net_addr *a, char *buf, size_t len);
/* Host part only. */
char	*net_addr_host(const struct net_addr *a, char *buf, size_t len);
bool	net_addr_is_ip(const struct net_addr *a);

#endif
