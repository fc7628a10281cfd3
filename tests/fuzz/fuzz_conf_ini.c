/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf_ini.c: libFuzzer target for the INI front end, the semantic
 * checks and both dump writers; any input must give diagnostics, never a
 * crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_dump(const struct conf *c, int json)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return;
	if (json)
		conf_dump_json(c, fp);
	else
		conf_dump_ini(c, fp);
	fclose(fp);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf		c;
	struct conf_diag	d;

	conf_init(&c);
	conf_diag_init(&d);
	if (conf_load_ini_buf("fuzz.ini", (const char *)data, size, &c,
	    &d) == 0 || c.ninbounds > 0 || c.noutbounds > 0 || c.nrules > 0)
		conf_check(&c, &d);
	fuzz_dump(&c, 1);
	fuzz_dump(&c, 0);
	conf_cleanup(&c);
	conf_diag_cleanup(&d);
	return 0;
}
