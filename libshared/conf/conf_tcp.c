/* SPDX-License-Identifier: MIT */
/* conf_tcp.c: tcpSettings' part of the model, the http header's fields. */
#include "conf/conf.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* The field named name (exactly), appended when new. */
struct conf_http_field *
conf_http_field_get(struct conf_http_field **fields, size_t *n,
    const char *name)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*fields)[i].name, name) == 0)
			return &(*fields)[i];
	*fields = xrealloc(*fields, (*n + 1) * sizeof(**fields));
	memset(&(*fields)[*n], 0, sizeof(**fields));
	(*fields)[*n].name = xstrdup(name);
	return &(*fields)[(*n)++];
}

static int
field_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_http_field *)a)->name,
	    ((const struct conf_http_field *)b)->name);
}

/* 4.34 writes a configured headers map sorted by name (Go's sort). */
void
conf_http_fields_sort(struct conf_http_field *fields, size_t n)
{
	if (n > 1)
		qsort(fields, n, sizeof(*fields), field_cmp);
}

static void
fields_free(struct conf_http_field *f, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(f[i].name);
		conf_strv_free(&f[i].values);
	}
	free(f);
}

void
conf_tcp_cleanup(struct conf_tcp *t)
{
	free(t->req.version);
	free(t->req.method);
	conf_strv_free(&t->req.path);
	fields_free(t->req.fields, t->req.nfields);
	free(t->resp.version);
	free(t->resp.status);
	free(t->resp.reason);
	fields_free(t->resp.fields, t->resp.nfields);
	memset(t, 0, sizeof(*t));
}
