/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf_json.c: libFuzzer target for the V2Ray JSON front end and the
 * semantic checks; any input must give diagnostics, never a crash or leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf		c;
	struct conf_diag	d;
	struct conf_level	l;

	conf_init(&c);
	conf_diag_init(&d);
	if (conf_load_json_buf("fuzz.json", (const char *)data, size, &c,
	    &d) == 0 || c.ninbounds > 0 || c.noutbounds > 0)
		conf_check(&c, &d);
	l = conf_policy(&c, 0);
	(void)l;
	if (c.ninbounds > 0)
		(void)conf_find_inbound(&c, c.inbounds[0].tag);
	if (c.noutbounds > 0)
		(void)conf_find_outbound(&c, c.outbounds[0].tag);
	conf_cleanup(&c);
	conf_diag_cleanup(&d);
	return 0;
}
