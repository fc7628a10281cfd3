/* SPDX-License-Identifier: MIT */
/* conf_dns.c: the dns object's part of the model (see conf.h). */
#include "conf/conf.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct conf_dns_host *
conf_dns_add_host(struct conf_dns *d)
{
	d->hosts = xrealloc(d->hosts, (d->nhosts + 1) * sizeof(*d->hosts));
	memset(&d->hosts[d->nhosts], 0, sizeof(*d->hosts));
	return &d->hosts[d->nhosts++];
}

struct conf_dns_server *
conf_dns_add_server(struct conf_dns *d)
{
	d->servers = xrealloc(d->servers, (d->nservers + 1) *
	    sizeof(*d->servers));
	memset(&d->servers[d->nservers], 0, sizeof(*d->servers));
	return &d->servers[d->nservers++];
}

static int
conf_dns_host_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_dns_host *)a)->key,
	    ((const struct conf_dns_host *)b)->key);
}

void
conf_dns_sort_hosts(struct conf_dns *d)
{
	if (d->nhosts > 1)
		qsort(d->hosts, d->nhosts, sizeof(*d->hosts),
		    conf_dns_host_cmp);
}

void
conf_dns_cleanup(struct conf_dns *d)
{
	size_t	i;

	for (i = 0; i < d->nhosts; i++) {
		free(d->hosts[i].key);
		conf_strv_free(&d->hosts[i].values);
	}
	free(d->hosts);
	for (i = 0; i < d->nservers; i++) {
		free(d->servers[i].address);
		conf_strv_free(&d->servers[i].domains);
		conf_strv_free(&d->servers[i].expect_ips);
		free(d->servers[i].client_ip);
	}
	free(d->servers);
	free(d->client_ip);
	free(d->tag);
	memset(d, 0, sizeof(*d));
}
