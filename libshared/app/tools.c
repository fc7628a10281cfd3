/* SPDX-License-Identifier: MIT */
/*
 * tools.c: what each tool offers. One table per tool, so a config asking a
 * tool for something it lacks can name the tool that has it.
 */
#include <stddef.h>

#include "core/engine.h"

static const struct inbound_ops *const vserver_in[] = {
	&vmess_inbound_ops, &dokodemo_inbound_ops, NULL
};
/* socks and http outbounds: an upstream proxy, also under proxySettings. */
static const struct outbound_ops *const vserver_out[] = {
	&freedom_outbound_ops, &blackhole_outbound_ops, &dns_outbound_ops,
	&socks_outbound_ops, &http_outbound_ops, NULL
};
static const struct inbound_ops *const vclient_in[] = {
	&socks_inbound_ops, &http_inbound_ops, &dokodemo_inbound_ops, NULL
};
static const struct outbound_ops *const vclient_out[] = {
	&vmess_outbound_ops, &freedom_outbound_ops, &blackhole_outbound_ops,
	&dns_outbound_ops, &socks_outbound_ops, &http_outbound_ops, NULL
};
static const struct inbound_ops *const vportal_in[] = {
	&vmess_inbound_ops, &dokodemo_inbound_ops, NULL
};
static const struct inbound_ops *const vbridge_in[] = {
	&dokodemo_inbound_ops, NULL
};

const struct tool tool_vserver = {
	"vserver", "VMess server with dynamic ports, mKCP and routing",
	vserver_in,
	vserver_out, NULL, NULL
};
const struct tool tool_vclient = {
	"vclient", "SOCKS5/4a and HTTP proxy client with sniffing, VMess outbound and Mux",
	vclient_in,
	vclient_out, NULL, NULL
};
const struct tool tool_vportal = {
	"vportal", "reverse-tunnel portal: public side of vbridge",
	vportal_in,
	vserver_out, NULL, &portal_outbound_ops
};
const struct tool tool_vbridge = {
	"vbridge", "reverse-tunnel bridge: dials vportal from behind NAT",
	vbridge_in,
	vclient_out, &reverse_bridge_service, NULL
};

const struct tool *const tool_all[] = {
	&tool_vserver, &tool_vclient, &tool_vportal, &tool_vbridge, NULL
};
