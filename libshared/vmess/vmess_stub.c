/* SPDX-License-Identifier: MIT */
/*
 * vmess_stub.c: placeholders so configs naming VMess are read and checked
 * by the tools that will run them. Starting one fails with a clear
 * message until the VMess handlers land (issue 3); nothing pretends to work.
 */
#include <stdio.h>

#include "app/engine.h"

static int
vmess_unavailable(char *err, size_t len)
{
	snprintf(err, len, "VMess is not implemented in this build yet");
	return -1;
}

static int
vmess_in_start(struct inbound_rt *ib, char *err, size_t len)
{
	return vmess_unavailable(err, len);
}

static int
vmess_out_start(struct outbound_rt *ob, char *err, size_t len)
{
	return vmess_unavailable(err, len);
}

const struct inbound_ops vmess_inbound_ops = {
	.name = "vmess",
	.proto = CONF_PROTO_VMESS,
	.start = vmess_in_start,
};

const struct outbound_ops vmess_outbound_ops = {
	.name = "vmess",
	.proto = CONF_PROTO_VMESS,
	.start = vmess_out_start,
};
