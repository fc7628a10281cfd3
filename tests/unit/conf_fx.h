/* SPDX-License-Identifier: MIT */
/* conf_fx.h: the cmocka fixture the config front-end tests share: a fresh
 * model and diagnostics per test, cleaned up after it; and -dump as a
 * string. */
#ifndef TESTS_CONF_FX_H
#define TESTS_CONF_FX_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/conf.h"

struct fx {
	struct conf		c;
	struct conf_diag	d;
};

static int
fx_setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	conf_init(&f->c);
	conf_diag_init(&f->d);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*f = *state;

	conf_cleanup(&f->c);
	conf_diag_cleanup(&f->d);
	free(f);
	return 0;
}

/* c's -dump json (or ini) as a string to free. */
static __attribute__((unused, noinline)) char *
dump_string(const struct conf *c, bool json)
{
	char	*s = NULL;
	size_t	 n = 0;
	FILE	*fp;

	fp = open_memstream(&s, &n);
	assert_non_null(fp);
	if (json)
		conf_dump_json(c, fp);
	else
		conf_dump_ini(c, fp);
	fclose(fp);
	assert_non_null(s);
	return s;
}

#endif
