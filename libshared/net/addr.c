/* SPDX-License-Identifier: MIT */
/* addr.c: destination addresses. */
#include "net/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The numeric forms a C library dials without DNS: "127.1", "2130706433",
 * "0x7f.1" (inet_aton's), so that routing's IP rules see them as the
 * address they are. Only digits, hex letters, 'x' and dots: nothing else
 * inet_aton would take after a space.
 */
static bool
net_inet_aton(const char *host, uint8_t ip[4])
{
	struct in_addr	 in;

	if (*host == '\0' || host[strspn(host, "0123456789abcdefABCDEFxX.")]
	    != '\0' || inet_aton(host, &in) == 0)
		return false;
	memcpy(ip, &in, 4);
	return true;
}

static bool
net_addr_parse_ip(struct net_addr *a, const char *host)
{
	char	 tmp[256];
	size_t	 n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(tmp)) {
		memcpy(tmp, host + 1, n - 2);
		tmp[n - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, a->ip) == 1) {
			a->family = AF_INET6;
			return true;
		}
	}
	if (inet_pton(AF_INET, host, a->ip) == 1 ||
	    net_inet_aton(host, a->ip)) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, host, a->ip) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

void
net_addr_set(struct net_addr *a, const char *host, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->port = port;
	if (!net_addr_parse_ip(a, host))
		snprintf(a->domain, sizeof(a->domain), "%s", host);
}

void
net_addr_normalize(struct net_addr *a)
{
	if (a->family != 0 || !net_addr_parse_ip(a, a->domain))
		return;
	memset(a->domain, 0, sizeof(a->domain));
}

int
net_addr_parse_hostport(struct net_addr *a, const char *s)
{
	const char	*colon;
	char		 host[256], *end;
	long		 port;
	size_t		 hl;

	if ((colon = strrchr(s, ':')) == NULL)
		return -1;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	/* A bare IPv6 without brackets has more than one colon. */
	if (hl > 0 && host[0] != '[' && strchr(host, ':') != NULL)
		return -1;
	net_addr_set(a, host, (uint16_t)port);
	return 0;
}

int
net_addr_from_sockaddr(struct net_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		a->family = AF_INET;
		memcpy(a->ip, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		a->family = AF_INET6;
		memcpy(a->ip, &in6->sin6_addr, 16);
		a->port = ntohs(in6->sin6_port);
		return 0;
	}
	return -1;
}

int
net_addr_to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (void *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		memcpy(&in->sin_addr, a->ip, 4);
		return sizeof(*in);
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(a->port);
		memcpy(&in6->sin6_addr, a->ip, 16);
		return sizeof(*in6);
	}
	return -1;
}

char *
net_addr_host(const struct net_addr *a, char *buf, size_t len)
{
	if (a->family == AF_INET || a->family == AF_INET6) {
		if (inet_ntop(a->family, a->ip, buf, len) == NULL)
			snprintf(buf, len, "?");
	} else
		snprintf(buf, len, "%s", a->domain);
	return buf;
}

char *
net_addr_str(const struct net_addr *a, char *buf, size_t len)
{
	char	 host[256];

	net_addr_host(a, host, sizeof(host));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, a->port);
	else
		snprintf(buf, len, "%s:%u", host, a->port);
	return buf;
}

bool
net_addr_is_ip(const struct net_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}
