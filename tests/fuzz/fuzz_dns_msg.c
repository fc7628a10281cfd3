/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns_msg.c: the DNS message parser (dns/dns_msg.c) over arbitrary
 * bytes, as the dns outbound and the resolver meet them from the network.
 * A parsed question's name builds a query and an answer that parse back
 * to the same name, type and addresses.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg	 m, m2;
	static uint8_t		 buf[DNS_HEADER_LEN + DNS_NAME_MAX + 4 +
				    DNS_MSG_MAX_IPS * 28 + 64];
	struct route_ip		 ecs = { AF_INET, { 1, 2, 3, 4 } };
	const char		*why;
	uint8_t			*p;
	ssize_t			 n;
	size_t			 i;

	/* An exact-size copy, so reads past size are caught. */
	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	if (dns_msg_parse(p, size, DNS_MSG_ANSWERS, &m, &why) == 0) {
		if (m.nips > DNS_MSG_MAX_IPS || (m.ancount == 0 &&
		    m.ttl != UINT32_MAX) || m.ttl == 0)
			abort();
		for (i = 0; i < m.nips; i++)
			if (m.ips[i].family != AF_INET &&
			    m.ips[i].family != AF_INET6)
				abort();
	}
	if (dns_msg_parse(p, size, DNS_MSG_QUESTION, &m, &why) == 0 &&
	    m.qdcount > 0 && m.qname[0] != '\0') {
		if (strlen(m.qname) >= DNS_NAME_MAX)
			abort();
		n = dns_msg_query(buf, sizeof(buf), m.id, m.qname, m.qtype,
		    size > 12 && (data[12] & 1) ? &ecs : NULL);
		if (n < 0 || dns_msg_parse(buf, (size_t)n, DNS_MSG_QUESTION,
		    &m2, &why) == -1 || strcmp(m.qname, m2.qname) != 0 ||
		    m2.qtype != m.qtype || m2.id != m.id)
			abort();
		if (dns_msg_parse(p, size, DNS_MSG_ANSWERS, &m2, &why) == 0) {
			n = dns_msg_answer(buf, sizeof(buf), m.id, m.qname,
			    DNS_TYPE_AAAA, 3, m2.ips, m2.nips, 600);
			if (n < 0 || dns_msg_parse(buf, (size_t)n,
			    DNS_MSG_ANSWERS, &m, &why) == -1 ||
			    (m.flags & 0xf) != 3)
				abort();
		}
	}
	free(p);
	return 0;
}
