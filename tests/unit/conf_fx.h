/* SPDX-License-Identifier: MIT */
/* conf_fx.h: the cmocka fixture the config front-end tests share: a fresh
 * model and diagnostics per test, cleaned up after it. */
#ifndef TESTS_CONF_FX_H
#define TESTS_CONF_FX_H

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

#endif
