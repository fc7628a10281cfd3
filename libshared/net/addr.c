/* SPDX-License-Identifier: MIT */
/* addr.c: destination addresses. */
#include "net/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
net_addr_set(struct net_addr *a, const char *host, uint16_t port)
{
	char	 tmp[256];
	size_t	 n;

	memset(a, 0, sizeof(*a));
	a->port = port;
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(tmp)) {
		memcpy(tmp, host + 1, n - 2);
		tmp[n - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, a->ip) == 1) {
			a->family = AF_INET6;
			return;
		}
	}
	if (inet_pton(AF_INET, host, a->ip) == 1) {
		a->family = AF_INET;
		return;
	}
	if (inet_pton(AF_INET6, host, a->ip) == 1) {
		a->family = AF_INET6;
		return;
	}
	snprintf(a->domain, sizeof(a->domain), "%s", host);
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
