/* SPDX-License-Identifier: MIT */
/*
 * test_quick.c: each tool's quick flags against the config they build
 * (field by field, conf_check() clean, seed 002 mirrored), usage errors,
 * and vmess:// links against ones Python's base64/json wrote.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/quick.h"
#include "conf/conf.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

#define U1	"27848739-7e62-4138-9fd3-098a63964b6b"
#define U2	"919bb344-901c-4e35-bd94-7f358d70326e"
#define ARGS(...)	((const char *const []){ __VA_ARGS__, NULL })

struct fx {
	struct quick		q;
	struct conf		c;
	struct conf_diag	d;
	char			err[512];
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

	quick_free(&f->q);
	conf_cleanup(&f->c);
	conf_diag_cleanup(&f->d);
	free(f);
	return 0;
}

/*
 * Split "-x", "--x", "-x=v" as cli.c does, then hand each argument to
 * quick_arg(); 0 when every argument was a quick flag and quick_finish()
 * agreed, -1 with f->err otherwise.
 */
static int
parse(struct fx *f, const char *tool, const char *const *args)
{
	char		*argv[64], names[64][32];
	const char	*name, *val, *eq;
	int		 argc, i, rc;

	quick_init(&f->q, tool);
	argv[0] = (char *)tool;
	for (argc = 1; args[argc - 1] != NULL; argc++)
		argv[argc] = (char *)args[argc - 1];
	for (i = 1; i < argc; i++) {
		name = NULL;
		val = NULL;
		if (argv[i][0] == '-') {
			name = argv[i] + (argv[i][1] == '-' ? 2 : 1);
			if ((eq = strchr(name, '=')) != NULL) {
				snprintf(names[i], sizeof(names[i]), "%.*s",
				    (int)(eq - name), name);
				name = names[i];
				val = eq + 1;
			}
		}
		rc = quick_arg(&f->q, name, val, argc, argv, &i, f->err,
		    sizeof(f->err));
		if (rc == -1)
			return -1;
		if (rc == 0) {
			snprintf(f->err, sizeof(f->err), "not taken: %s",
			    argv[i]);
			return -1;
		}
	}
	return quick_finish(&f->q, f->err, sizeof(f->err));
}

/* Flags to a checked config; fails the test on any error. */
static void
build(struct fx *f, const char *tool, const char *const *args)
{
	struct conf_diag	d;

	if (parse(f, tool, args) == -1)
		fail_msg("%s: %s", tool, f->err);
	if (quick_apply(&f->q, &f->c, &f->d) == -1) {
		conf_diag_print(&f->d, stderr);
		fail_msg("quick_apply failed");
	}
	assert_int_equal(f->d.errors.n, 0);
	conf_diag_init(&d);
	assert_int_equal(conf_check(&f->c, &d), 0);
	assert_int_equal(d.errors.n, 0);
	assert_int_equal(d.warnings.n, 0);
	conf_diag_cleanup(&d);
}

static void
assert_strv(const struct conf_strv *sv, const char *const *want)
{
	size_t	i;

	for (i = 0; want[i] != NULL; i++) {
		assert_true(i < sv->n);
		assert_string_equal(sv->v[i], want[i]);
	}
	assert_int_equal(sv->n, i);
}

static void
test_quick_vserver_basic(void **state)
{
	struct fx			*f = *state;
	const struct conf_inbound	*in;
	const struct conf_rule		*r;

	build(f, "vserver", ARGS("-port", "10086", "-id", U1));
	assert_int_equal(f->c.ninbounds, 1);
	in = &f->c.inbounds[0];
	assert_string_equal(in->tag, "vmess-in");
	assert_int_equal(in->proto, CONF_PROTO_VMESS);
	assert_string_equal(in->listen, "0.0.0.0");
	assert_int_equal(in->port.from, 10086);
	assert_int_equal(in->port.to, 10086);
	assert_int_equal(in->nclients, 1);
	assert_string_equal(in->clients[0].id, U1);
	assert_int_equal(in->clients[0].uuid[0], 0x27);
	assert_int_equal(in->clients[0].uuid[15], 0x6b);
	assert_int_equal(in->clients[0].alter_id, 0);
	assert_int_equal(in->stream.network, CONF_NET_TCP);
	assert_null(in->detour_to);
	assert_false(in->allocate.present);

	assert_int_equal(f->c.noutbounds, 2);
	assert_string_equal(f->c.outbounds[0].tag, "direct");
	assert_int_equal(f->c.outbounds[0].proto, CONF_PROTO_FREEDOM);
	assert_string_equal(f->c.outbounds[1].tag, "blocked");
	assert_int_equal(f->c.outbounds[1].proto, CONF_PROTO_BLACKHOLE);

	assert_int_equal(f->c.nrules, 1);
	r = &f->c.rules[0];
	assert_strv(&r->ip, ARGS("geoip:private"));
	assert_string_equal(r->outbound_tag, "blocked");
	assert_int_equal(r->inbound_tag.n, 0);
	assert_string_equal(f->c.path, "command line");
}

static void
test_quick_vserver_users_aid_listen(void **state)
{
	struct fx			*f = *state;
	const struct conf_inbound	*in;

	build(f, "vserver", ARGS("--port=443", "-listen", "127.0.0.1", "-id",
	    U1, "-id", "919BB344901C4E35BD947F358D70326E", "-aid", "64"));
	in = &f->c.inbounds[0];
	assert_string_equal(in->listen, "127.0.0.1");
	assert_int_equal(in->port.from, 443);
	assert_int_equal(in->nclients, 2);
	assert_string_equal(in->clients[0].id, U1);
	assert_string_equal(in->clients[1].id, U2);	/* canonical */
	assert_int_equal(in->clients[0].alter_id, 64);
	assert_int_equal(in->clients[1].alter_id, 64);
}

static void
test_quick_vserver_dynamic_kcp(void **state)
{
	struct fx			*f = *state;
	const struct conf_inbound	*in, *dyn;

	build(f, "vserver", ARGS("-port", "10086", "-id", U1, "-dynamic",
	    "30001-30100", "-kcp"));
	assert_int_equal(f->c.ninbounds, 2);
	in = &f->c.inbounds[0];
	dyn = &f->c.inbounds[1];
	assert_string_equal(in->detour_to, "dynamic");
	assert_int_equal(in->stream.network, CONF_NET_KCP);
	assert_string_equal(dyn->tag, "dynamic");
	assert_int_equal(dyn->proto, CONF_PROTO_VMESS);
	assert_int_equal(dyn->port.from, 30001);
	assert_int_equal(dyn->port.to, 30100);
	assert_true(dyn->allocate.present);
	assert_int_equal(dyn->allocate.strategy, CONF_ALLOC_RANDOM);
	assert_int_equal(dyn->allocate.concurrency, 3);
	assert_int_equal(dyn->allocate.refresh_sec, 300);
	assert_int_equal(dyn->nclients, 0);
	assert_int_equal(dyn->stream.network, CONF_NET_KCP);
	assert_string_equal(dyn->listen, "0.0.0.0");
}

static void
test_quick_vserver_dynamic_small_range(void **state)
{
	struct fx	*f = *state;

	/* 7 ports: concurrency is a third at most, so 2. */
	build(f, "vserver", ARGS("-port", "1", "-id", U1, "-dynamic",
	    "2000-2006"));
	assert_int_equal(f->c.inbounds[1].allocate.concurrency, 2);
	assert_int_equal(f->c.inbounds[0].stream.network, CONF_NET_TCP);
}

static void
test_quick_vclient_server(void **state)
{
	struct fx			*f = *state;
	const struct conf_inbound	*in;
	const struct conf_outbound	*out;

	build(f, "vclient", ARGS("-server", "vpn.example.com:443", "-id", U1,
	    "-aid", "4", "-security", "chacha20-poly1305"));
	assert_int_equal(f->c.ninbounds, 1);
	in = &f->c.inbounds[0];
	assert_string_equal(in->tag, "socks-in");
	assert_int_equal(in->proto, CONF_PROTO_SOCKS);
	assert_string_equal(in->listen, "127.0.0.1");
	assert_int_equal(in->port.from, 1080);
	assert_true(in->socks_udp);
	assert_false(in->socks_password);
	assert_false(in->sniff_enabled);

	assert_int_equal(f->c.noutbounds, 2);
	out = &f->c.outbounds[0];
	assert_string_equal(out->tag, "proxy");
	assert_int_equal(out->proto, CONF_PROTO_VMESS);
	assert_false(out->mux_enabled);
	assert_int_equal(out->stream.network, CONF_NET_TCP);
	assert_int_equal(out->nvnext, 1);
	assert_string_equal(out->vnext[0].address, "vpn.example.com");
	assert_int_equal(out->vnext[0].port, 443);
	assert_int_equal(out->vnext[0].nusers, 1);
	assert_string_equal(out->vnext[0].users[0].id, U1);
	assert_int_equal(out->vnext[0].users[0].alter_id, 4);
	assert_int_equal(out->vnext[0].users[0].security, CONF_SEC_CHACHA20);
	assert_string_equal(f->c.outbounds[1].tag, "direct");
	assert_int_equal(f->c.outbounds[1].proto, CONF_PROTO_FREEDOM);
	assert_int_equal(f->c.nrules, 0);
}

static void
test_quick_vclient_options(void **state)
{
	struct fx			*f = *state;
	const struct conf_inbound	*in;
	const struct conf_outbound	*out;

	build(f, "vclient", ARGS("-socks", "127.0.0.2:1081", "-server",
	    "[::1]:10086", "-id", U1, "-mux", "8", "-kcp", "-sniff"));
	in = &f->c.inbounds[0];
	assert_string_equal(in->listen, "127.0.0.2");
	assert_int_equal(in->port.from, 1081);
	assert_true(in->sniff_enabled);
	assert_true(in->sniff_http);
	assert_true(in->sniff_tls);
	out = &f->c.outbounds[0];
	assert_string_equal(out->vnext[0].address, "::1");
	assert_true(out->mux_enabled);
	assert_int_equal(out->mux_concurrency, 8);
	assert_int_equal(out->stream.network, CONF_NET_KCP);
	assert_int_equal(out->vnext[0].users[0].security, CONF_SEC_AUTO);
}

static void
test_quick_vclient_socks_port_only(void **state)
{
	struct fx	*f = *state;

	build(f, "vclient", ARGS("-socks", "1090", "-server", "h:1", "-id",
	    U1, "-sniff=false"));
	assert_string_equal(f->c.inbounds[0].listen, "127.0.0.1");
	assert_int_equal(f->c.inbounds[0].port.from, 1090);
	assert_false(f->c.inbounds[0].sniff_enabled);
}

/* Python: base64.b64encode(json.dumps({...}, separators=(',',':'))) */
#define LINK_STD "vmess://eyJ2IjoiMiIsInBzIjoiaGsgMDEiLCJhZGQiOiJ2cG4uZXhh" \
	"bXBsZS5jb20iLCJwb3J0IjoiNDQzIiwiaWQiOiIyNzg0ODczOS03ZTYyLTQxMzgtOWZk" \
	"My0wOThhNjM5NjRiNmIiLCJhaWQiOiI2NCIsInNjeSI6ImNoYWNoYTIwLXBvbHkxMzA1" \
	"IiwibmV0IjoidGNwIiwidHlwZSI6Im5vbmUiLCJob3N0IjoiIiwicGF0aCI6IiIsInRs" \
	"cyI6IiJ9"
/*
 * base64.urlsafe_b64encode(json.dumps({"v": 2, "ps": "é東京/x?>~~~",
 * "port": 10086, "aid": 0, "net": "kcp", "type": "wechat-video",
 * "path": "seedpw", id upper-case ...}, ensure_ascii=False)), '=' stripped.
 */
#define LINK_URLSAFE "vmess://eyJ2IjogMiwgInBzIjogIsOp5p2x5LqsL3g_Pn5-fiIsIC" \
	"JhZGQiOiAiMTAuMS4yLjMiLCAicG9ydCI6IDEwMDg2LCAiaWQiOiAiMjc4NDg3MzktN0" \
	"U2Mi00MTM4LTlGRDMtMDk4QTYzOTY0QjZCIiwgImFpZCI6IDAsICJuZXQiOiAia2NwIi" \
	"wgInR5cGUiOiAid2VjaGF0LXZpZGVvIiwgImhvc3QiOiAiIiwgInBhdGgiOiAic2VlZH" \
	"B3IiwgInRscyI6ICIifQ"
/* What vserver -port 10086 -id U1 must print, from Python likewise. */
#define LINK_EXACT "vmess://eyJ2IjoiMiIsInBzIjoidnRvb2xzIDEyNy4wLjAuMToxMD" \
	"A4NiIsImFkZCI6IjEyNy4wLjAuMSIsInBvcnQiOiIxMDA4NiIsImlkIjoiMjc4NDg3Mz" \
	"ktN2U2Mi00MTM4LTlmZDMtMDk4YTYzOTY0YjZiIiwiYWlkIjoiMCIsInNjeSI6ImF1dG" \
	"8iLCJuZXQiOiJ0Y3AiLCJ0eXBlIjoibm9uZSIsImhvc3QiOiIiLCJwYXRoIjoiIiwidG" \
	"xzIjoiIn0="
/* net "ws" with tls "tls", path "/". */
/* net tcp, type http, host "a.example,b.example", path "/x,/y". */
#define LINK_HTTP "vmess://eyJ2IjoiMiIsInBzIjoiaHR0cCIsImFkZCI6ImguZXhhbXBsZSIs" \
	"InBvcnQiOiI4MCIsImlkIjoiMjc4NDg3MzktN2U2Mi00MTM4LTlmZDMtMDk4YTYzOTY0" \
	"YjZiIiwiYWlkIjoiMCIsIm5ldCI6InRjcCIsInR5cGUiOiJodHRwIiwiaG9zdCI6ImEu" \
	"ZXhhbXBsZSxiLmV4YW1wbGUiLCJwYXRoIjoiL3gsL3kiLCJ0bHMiOiIifQ=="
/* net h2, host "a.example,b.example", path "/h", tls, sni s.example. */
#define LINK_H2 "vmess://eyJ2IjoiMiIsInBzIjoiaDIiLCJhZGQiOiJoLmV4YW1wbGUiLCJw" \
	"b3J0IjoiNDQzIiwiaWQiOiIyNzg0ODczOS03ZTYyLTQxMzgtOWZkMy0wOThhNjM5NjRi" \
	"NmIiLCJhaWQiOiIwIiwibmV0IjoiaDIiLCJ0eXBlIjoibm9uZSIsImhvc3QiOiJhLmV4" \
	"YW1wbGUsYi5leGFtcGxlIiwicGF0aCI6Ii9oIiwidGxzIjoidGxzIiwic25pIjoicy5l" \
	"eGFtcGxlIn0="
#define LINK_WS "vmess://eyJ2IjogIjIiLCAicHMiOiAid3MiLCAiYWRkIjogImEuZXhh" \
	"bXBsZS5jb20iLCAicG9ydCI6ICI0NDMiLCAiaWQiOiAiMjc4NDg3MzktN2U2Mi00MTM4" \
	"LTlmZDMtMDk4YTYzOTY0YjZiIiwgImFpZCI6ICIwIiwgIm5ldCI6ICJ3cyIsICJ0eXBl" \
	"IjogIm5vbmUiLCAiaG9zdCI6ICIiLCAicGF0aCI6ICIvIiwgInRscyI6ICJ0bHMifQ=="

static void
test_quick_vclient_link(void **state)
{
	struct fx			*f = *state;
	const struct conf_outbound	*out;

	build(f, "vclient", ARGS(LINK_STD, "-mux", "2"));
	out = &f->c.outbounds[0];
	assert_string_equal(out->tag, "proxy");
	assert_string_equal(out->vnext[0].address, "vpn.example.com");
	assert_int_equal(out->vnext[0].port, 443);
	assert_string_equal(out->vnext[0].users[0].id, U1);
	assert_int_equal(out->vnext[0].users[0].alter_id, 64);
	assert_int_equal(out->vnext[0].users[0].security, CONF_SEC_CHACHA20);
	assert_int_equal(out->stream.network, CONF_NET_TCP);
	assert_true(out->mux_enabled);
	assert_int_equal(out->mux_concurrency, 2);
	assert_int_equal(f->c.inbounds[0].port.from, 1080);
}

static void
test_quick_vclient_transport_links(void **state)
{
	struct fx			*f = *state;
	const struct conf_outbound	*out;
	const struct conf_http_req	*r;

	assert_int_equal(parse(f, "vclient", ARGS(LINK_WS)), 0);
	assert_int_equal(f->q.link.net, CONF_NET_WS);
	assert_string_equal(f->q.link.path, "/");
	assert_true(f->q.link.tls);
	quick_free(&f->q);
	assert_int_equal(parse(f, "vclient", ARGS(LINK_H2)), 0);
	assert_int_equal(f->q.link.net, CONF_NET_H2);
	assert_string_equal(f->q.link.path, "/h");
	assert_string_equal(f->q.link.host, "a.example,b.example");
	assert_string_equal(f->q.link.sni, "s.example");
	quick_free(&f->q);
	/* Applied: the same stream settings the JSON would give. */
	build(f, "vclient", ARGS(LINK_WS));
	out = &f->c.outbounds[0];
	assert_int_equal(out->stream.network, CONF_NET_WS);
	assert_string_equal(out->stream.ws.path, "/");
	assert_null(out->stream.ws.host);
	assert_true(out->stream.tls);
	conf_cleanup(&f->c);
	conf_init(&f->c);
	quick_free(&f->q);
	build(f, "vclient", ARGS(LINK_H2));
	out = &f->c.outbounds[0];
	assert_int_equal(out->stream.network, CONF_NET_H2);
	assert_string_equal(out->stream.h2.path, "/h");
	assert_strv(&out->stream.h2.host, ARGS("a.example", "b.example"));
	assert_true(out->stream.tls);
	assert_string_equal(out->stream.tlss.server_name, "s.example");
	conf_cleanup(&f->c);
	conf_init(&f->c);
	quick_free(&f->q);
	/* The http header: v2rayN's host and path lists, 4.34's other
	 * request fields, sorted as 4.34 sorts a headers map. */
	build(f, "vclient", ARGS(LINK_HTTP));
	out = &f->c.outbounds[0];
	assert_int_equal(out->stream.network, CONF_NET_TCP);
	assert_true(out->stream.tcp.http_header);
	r = &out->stream.tcp.req;
	assert_strv(&r->path, ARGS("/x", "/y"));
	assert_int_equal(r->nfields, 5);
	assert_string_equal(r->fields[0].name, "Accept-Encoding");
	assert_string_equal(r->fields[2].name, "Host");
	assert_strv(&r->fields[2].values, ARGS("a.example", "b.example"));
	assert_string_equal(r->fields[4].name, "User-Agent");
	assert_int_equal(r->fields[4].values.n, 2);
}

static void
test_quick_ws_h2_flags(void **state)
{
	struct fx			*f = *state;
	const struct conf_outbound	*out;
	struct quick_link		 l;
	char				 buf[QUICK_LINK_MAX];

	/* vserver -ws: the inbound and the link say ws and the path. */
	build(f, "vserver", ARGS("-port", "10086", "-id", U1, "-ws", "/ray",
	    "-host", "v.example"));
	assert_int_equal(f->c.inbounds[0].stream.network, CONF_NET_WS);
	assert_string_equal(f->c.inbounds[0].stream.ws.path, "/ray");
	assert_int_equal(quick_server_link(&f->q, 0, &l), 0);
	assert_int_equal(l.net, CONF_NET_WS);
	assert_string_equal(l.path, "/ray");
	assert_false(l.tls);
	assert_true(quick_vmess_link_encode(&l, buf, sizeof(buf)) > 0);
	assert_int_equal(quick_vmess_link_decode(buf, &l, NULL), 0);
	assert_int_equal(l.net, CONF_NET_WS);
	assert_string_equal(l.path, "/ray");
	conf_cleanup(&f->c);
	conf_init(&f->c);
	quick_free(&f->q);
	/* -h2 with TLS (certificates read only when the engine starts). */
	assert_int_equal(parse(f, "vserver", ARGS("-port", "443", "-id", U1,
	    "-h2", "/h", "-tls", "c.pem,k.pem", "-host", "v.example")), 0);
	assert_int_equal(quick_server_link(&f->q, 0, &l), 0);
	assert_int_equal(l.net, CONF_NET_H2);
	assert_true(l.tls);
	assert_string_equal(l.sni, "v.example");
	assert_true(quick_vmess_link_encode(&l, buf, sizeof(buf)) > 0);
	assert_int_equal(quick_vmess_link_decode(buf, &l, NULL), 0);
	assert_int_equal(l.net, CONF_NET_H2);
	assert_string_equal(l.path, "/h");
	quick_free(&f->q);
	/* vportal -ws: its link is the bridge's. */
	assert_int_equal(parse(f, "vportal", ARGS("-listen", "1024", "-id", U1,
	    "-public", "80", "-ws", "/rev", "-host", "p.example")), 0);
	assert_int_equal(quick_server_link(&f->q, 0, &l), 0);
	assert_string_equal(l.add, "p.example");
	assert_int_equal(l.port, 1024);
	assert_int_equal(l.net, CONF_NET_WS);
	assert_string_equal(l.path, "/rev");
	assert_true(quick_vmess_link_encode(&l, buf, sizeof(buf)) > 0);
	quick_free(&f->q);
	/* vbridge takes it: the interconn outbound from the link. */
	build(f, "vbridge", ARGS(buf, "-to", "127.0.0.1:80"));
	out = &f->c.outbounds[1];
	assert_string_equal(out->tag, "interconn");
	assert_string_equal(out->vnext[0].address, "p.example");
	assert_int_equal(out->vnext[0].port, 1024);
	assert_string_equal(out->vnext[0].users[0].id, U1);
	assert_int_equal(out->stream.network, CONF_NET_WS);
	assert_string_equal(out->stream.ws.path, "/rev");
	conf_cleanup(&f->c);
	conf_init(&f->c);
	quick_free(&f->q);
	/* The clients' flags. */
	build(f, "vclient", ARGS("-server", "h.example:443", "-id", U1, "-ws",
	    "/w"));
	out = &f->c.outbounds[0];
	assert_int_equal(out->stream.network, CONF_NET_WS);
	assert_string_equal(out->stream.ws.path, "/w");
	assert_false(out->stream.tls);
	quick_free(&f->q);
	conf_cleanup(&f->c);
	conf_init(&f->c);
	build(f, "vbridge", ARGS("-portal", "h.example:443", "-id", U1, "-to",
	    "127.0.0.1:80", "-h2", "/b", "-tls"));
	out = &f->c.outbounds[1];
	assert_int_equal(out->stream.network, CONF_NET_H2);
	assert_string_equal(out->stream.h2.path, "/b");
	assert_true(out->stream.tls);
}

static void
test_quick_vclient_kcp_link(void **state)
{
	struct fx			*f = *state;
	const struct conf_outbound	*out;

	build(f, "vclient", ARGS(LINK_URLSAFE));
	out = &f->c.outbounds[0];
	assert_string_equal(out->vnext[0].address, "10.1.2.3");
	assert_int_equal(out->vnext[0].port, 10086);
	assert_string_equal(out->vnext[0].users[0].id, U1);
	assert_int_equal(out->stream.network, CONF_NET_KCP);
	assert_string_equal(out->stream.kcp.header_type, "wechat-video");
	assert_string_equal(out->stream.kcp.seed, "seedpw");
}

static void
test_quick_vportal_seed002(void **state)
{
	struct fx			*f = *state;
	struct conf			 seed;
	struct conf_diag		 d;
	const struct conf_inbound	*in;
	size_t				 i;

	build(f, "vportal", ARGS("-listen", "127.0.0.1:10240", "-id", U1,
	    "-public", "8080", "-public", "127.0.0.1:8081"));
	assert_int_equal(f->c.nportals, 1);
	assert_string_equal(f->c.portals[0].tag, "portal");
	assert_string_equal(f->c.portals[0].domain, QUICK_DEFAULT_DOMAIN);
	assert_int_equal(f->c.nbridges, 0);
	assert_int_equal(f->c.noutbounds, 0);
	assert_int_equal(f->c.ninbounds, 3);
	for (i = 0; i < 2; i++) {
		in = &f->c.inbounds[i];
		assert_string_equal(in->tag, i == 0 ? "public1" : "public2");
		assert_int_equal(in->proto, CONF_PROTO_DOKODEMO);
		assert_string_equal(in->listen, i == 0 ? "0.0.0.0" :
		    "127.0.0.1");
		assert_int_equal(in->port.from, 8080 + i);
		assert_string_equal(in->dk_address, "127.0.0.1");
		assert_int_equal(in->dk_port, 8080 + i);
		assert_int_equal(in->dk_network, CONF_NETBIT_TCP);
	}
	in = &f->c.inbounds[2];
	assert_string_equal(in->tag, "interconn");
	assert_int_equal(in->proto, CONF_PROTO_VMESS);
	assert_string_equal(in->listen, "127.0.0.1");
	assert_int_equal(in->port.from, 10240);
	assert_int_equal(in->nclients, 1);
	assert_string_equal(in->clients[0].id, U1);
	assert_int_equal(f->c.nrules, 2);
	assert_strv(&f->c.rules[0].inbound_tag, ARGS("public1", "public2"));
	assert_string_equal(f->c.rules[0].outbound_tag, "portal");
	assert_strv(&f->c.rules[1].inbound_tag, ARGS("interconn"));
	assert_string_equal(f->c.rules[1].outbound_tag, "portal");

	/* Same shape as the seed: rules and portal. */
	conf_init(&seed);
	conf_diag_init(&d);
	assert_int_equal(conf_load(SRCDIR "/conf/seeds/seed002-portal.json",
	    CONF_FMT_AUTO, &seed, &d), 0);
	assert_int_equal(seed.nrules, f->c.nrules);
	assert_string_equal(seed.portals[0].tag, f->c.portals[0].tag);
	for (i = 0; i < seed.nrules; i++) {
		assert_string_equal(seed.rules[i].outbound_tag,
		    f->c.rules[i].outbound_tag);
		assert_int_equal(seed.rules[i].domain.n,
		    f->c.rules[i].domain.n);
	}
	assert_string_equal(seed.rules[1].inbound_tag.v[0],
	    f->c.rules[1].inbound_tag.v[0]);
	assert_int_equal(seed.inbounds[1].proto, in->proto);
	assert_string_equal(seed.inbounds[1].tag, in->tag);
	conf_cleanup(&seed);
	conf_diag_cleanup(&d);
}

static void
test_quick_vbridge_seed002(void **state)
{
	struct fx			*f = *state;
	struct conf			 seed;
	struct conf_diag		 d;
	const struct conf_outbound	*out;
	size_t				 i, j;

	build(f, "vbridge", ARGS("-portal", "portal.example.com:1024", "-id",
	    "27848739-7e62-4138-9fd3-098a63964b6b", "-to", "127.0.0.1:80",
	    "-domain", "test.v2ray.com"));
	assert_int_equal(f->c.nbridges, 1);
	assert_string_equal(f->c.bridges[0].tag, "bridge");
	assert_string_equal(f->c.bridges[0].domain, "test.v2ray.com");
	assert_int_equal(f->c.ninbounds, 0);
	assert_int_equal(f->c.noutbounds, 2);
	out = &f->c.outbounds[0];
	assert_string_equal(out->tag, "out");
	assert_int_equal(out->proto, CONF_PROTO_FREEDOM);
	assert_string_equal(out->redirect, "127.0.0.1:80");
	out = &f->c.outbounds[1];
	assert_string_equal(out->tag, "interconn");
	assert_int_equal(out->proto, CONF_PROTO_VMESS);
	assert_string_equal(out->vnext[0].address, "portal.example.com");
	assert_int_equal(out->vnext[0].port, 1024);
	assert_string_equal(out->vnext[0].users[0].id, U1);
	assert_int_equal(f->c.nrules, 2);
	assert_strv(&f->c.rules[0].inbound_tag, ARGS("bridge"));
	assert_strv(&f->c.rules[0].domain, ARGS("full:test.v2ray.com"));
	assert_string_equal(f->c.rules[0].outbound_tag, "interconn");
	assert_strv(&f->c.rules[1].inbound_tag, ARGS("bridge"));
	assert_int_equal(f->c.rules[1].domain.n, 0);
	assert_string_equal(f->c.rules[1].outbound_tag, "out");

	/* The seed says the same, but for the portal's address. */
	conf_init(&seed);
	conf_diag_init(&d);
	assert_int_equal(conf_load(SRCDIR "/conf/seeds/seed002-bridge.json",
	    CONF_FMT_AUTO, &seed, &d), 0);
	assert_string_equal(seed.bridges[0].domain, f->c.bridges[0].domain);
	assert_int_equal(seed.noutbounds, f->c.noutbounds);
	for (i = 0; i < seed.noutbounds; i++) {
		assert_string_equal(seed.outbounds[i].tag,
		    f->c.outbounds[i].tag);
		assert_int_equal(seed.outbounds[i].proto,
		    f->c.outbounds[i].proto);
	}
	assert_string_equal(seed.outbounds[0].redirect,
	    f->c.outbounds[0].redirect);
	assert_int_equal(seed.outbounds[1].vnext[0].port, 1024);
	assert_string_equal(seed.outbounds[1].vnext[0].users[0].id, U1);
	assert_int_equal(seed.nrules, f->c.nrules);
	for (i = 0; i < seed.nrules; i++) {
		assert_string_equal(seed.rules[i].outbound_tag,
		    f->c.rules[i].outbound_tag);
		assert_int_equal(seed.rules[i].domain.n,
		    f->c.rules[i].domain.n);
		for (j = 0; j < seed.rules[i].domain.n; j++)
			assert_string_equal(seed.rules[i].domain.v[j],
			    f->c.rules[i].domain.v[j]);
		assert_string_equal(seed.rules[i].inbound_tag.v[0],
		    f->c.rules[i].inbound_tag.v[0]);
	}
	conf_cleanup(&seed);
	conf_diag_cleanup(&d);
}

/* A base config: the flags add to it; the base's direct is kept. */
static void
test_quick_base_config(void **state)
{
	struct fx	*f = *state;
	static const char base[] =
	    "{\"inbounds\": [{\"tag\": \"extra\", \"port\": 9000, "
	    "\"protocol\": \"dokodemo-door\", \"settings\": {\"address\": "
	    "\"127.0.0.1\", \"port\": 22}}],"
	    " \"outbounds\": [{\"tag\": \"x\", \"protocol\": \"freedom\"},"
	    " {\"tag\": \"direct\", \"protocol\": \"freedom\"}],"
	    " \"routing\": {\"rules\": [{\"type\": \"field\", \"port\": \"25\","
	    " \"outboundTag\": \"x\"}]}}";

	assert_int_equal(conf_load_json_buf("base.json", base, strlen(base),
	    &f->c, &f->d), 0);
	assert_int_equal(parse(f, "vserver", ARGS("-port", "10086", "-id",
	    U1)), 0);
	assert_int_equal(quick_apply(&f->q, &f->c, &f->d), 0);
	assert_int_equal(f->c.ninbounds, 2);
	assert_string_equal(f->c.inbounds[0].tag, "extra");
	assert_string_equal(f->c.inbounds[1].tag, "vmess-in");
	/* direct is not doubled; blocked goes last, x stays the default. */
	assert_int_equal(f->c.noutbounds, 3);
	assert_string_equal(f->c.outbounds[0].tag, "x");
	assert_string_equal(f->c.outbounds[1].tag, "direct");
	assert_string_equal(f->c.outbounds[2].tag, "blocked");
	assert_int_equal(f->c.nrules, 2);
	assert_string_equal(f->c.rules[0].port, "25");
	assert_string_equal(f->c.rules[1].outbound_tag, "blocked");
	assert_string_equal(f->c.path, "base.json");
}

/* vclient's proxy becomes the default in front of the base's outbounds. */
static void
test_quick_base_client_default(void **state)
{
	struct fx	*f = *state;
	static const char base[] =
	    "{\"outbounds\": [{\"tag\": \"x\", \"protocol\": \"freedom\"}]}";

	assert_int_equal(conf_load_json_buf("b.json", base, strlen(base),
	    &f->c, &f->d), 0);
	assert_int_equal(parse(f, "vclient", ARGS(LINK_STD)), 0);
	assert_int_equal(quick_apply(&f->q, &f->c, &f->d), 0);
	assert_int_equal(f->c.noutbounds, 3);
	assert_string_equal(f->c.outbounds[0].tag, "proxy");
	assert_string_equal(f->c.outbounds[1].tag, "x");
	assert_string_equal(f->c.outbounds[2].tag, "direct");
}

static void
test_quick_base_tag_clash(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(conf_load(SRCDIR "/conf/vserver.json", CONF_FMT_AUTO,
	    &f->c, &f->d), 0);
	assert_int_equal(parse(f, "vserver", ARGS("-port", "1", "-id", U1)),
	    0);
	assert_int_equal(quick_apply(&f->q, &f->c, &f->d), -1);
	assert_true(conf_diag_has(&f->d, "vmess-in"));
	assert_true(conf_diag_has(&f->d, "already has"));
}

/* quick_apply() checks the whole result, base and flags together. */
static void
test_quick_apply_runs_check(void **state)
{
	struct fx	*f = *state;
	static const char base[] =
	    "{\"inbounds\": [{\"tag\": \"s\", \"port\": 10086, "
	    "\"protocol\": \"socks\"}]}";

	assert_int_equal(conf_load_json_buf("b.json", base, strlen(base),
	    &f->c, &f->d), 0);
	assert_int_equal(parse(f, "vserver", ARGS("-port", "10086", "-id",
	    U1)), 0);
	f->c.inbounds[0].stream.network = CONF_NET_KCP;
	f->c.inbounds[0].stream.kcp.mtu = 10;
	assert_int_equal(quick_apply(&f->q, &f->c, &f->d), -1);
	assert_true(conf_diag_has(&f->d, "MTU"));
}

static void
test_quick_usage_errors(void **state)
{
	static const struct {
		const char	*tool;
		const char	*args[8];
		const char	*want;
	} cases[] = {
		{ "vserver", { "-id", U1 }, "-port" },
		{ "vserver", { "-port", "1" }, "-id" },
		{ "vserver", { "-port", "0", "-id", U1 }, "-port 0" },
		{ "vserver", { "-port", "65536", "-id", U1 }, "65536" },
		{ "vserver", { "-port", "12a", "-id", U1 }, "12a" },
		{ "vserver", { "-port" }, "needs a value" },
		{ "vserver", { "-port", "1", "-id", "xxxxxxxx-xxxx-xxxx-xxxx-"
		    "xxxxxxxxxxxx" }, "not a UUID" },
		{ "vserver", { "-port", "1", "-id", U1 "junk" }, "not a UUID" },
		{ "vserver", { "-port", "1", "-id", U1, "-aid", "-1" },
		    "-aid" },
		{ "vserver", { "-port", "1", "-id", U1, "-aid", "65536" },
		    "-aid" },
		{ "vserver", { "-port", "1", "-id", U1, "-listen",
		    "example.com" }, "not an IP" },
		{ "vserver", { "-port", "1", "-id", U1, "-dynamic", "9-3" },
		    "-dynamic" },
		{ "vserver", { "-port", "1", "-id", U1, "-dynamic", "3-4" },
		    "at least 3" },
		{ "vserver", { "-port", "5", "-id", U1, "-dynamic", "3-9" },
		    "holds -port" },
		{ "vserver", { "-port", "1", "-id", U1, "-kcp=maybe" },
		    "true or false" },
		{ "vserver", { "-port", "1", "-id", U1, "-host", "a b" },
		    "-host" },
		{ "vserver", { "-port", "1", "-id", U1, "-socks", "1" },
		    "not a vserver flag" },
		{ "vclient", { "-server", "h:1" }, "-server needs -id" },
		{ "vclient", { "-id", U1 }, "-id needs -server" },
		{ "vclient", { "-sniff" }, "vmess:// link" },
		{ "vclient", { "-server", "h", "-id", U1 }, "HOST:PORT" },
		{ "vclient", { "-server", "h:0", "-id", U1 }, "-server" },
		{ "vclient", { "-server", "::1:80", "-id", U1 }, "-server" },
		{ "vclient", { "-server", "h:1", "-id", U1, "-id", U2 },
		    "one -id" },
		{ "vclient", { "-server", "h:1", "-id", U1, "-mux", "0" },
		    "-mux" },
		{ "vclient", { "-server", "h:1", "-id", U1, "-mux", "1025" },
		    "-mux" },
		{ "vclient", { "-server", "h:1", "-id", U1, "-security",
		    "aes-256-gcm" }, "-security" },
		{ "vclient", { "-server", "h:1", "-id", U1, "-socks",
		    "example.com:1080" }, "-socks" },
		{ "vclient", { LINK_STD, "-id", U1 }, "do not go with" },
		{ "vclient", { LINK_STD, LINK_STD }, "only one" },
		{ "vclient", { LINK_WS, "-ws", "/x" }, "names its transport" },
		{ "vclient", { "-server", "h:1", "-id", U1, "-h2", "/x" },
		    "-h2 needs -tls" },
		{ "vserver", { "-port", "1", "-id", U1, "-ws", "/x", "-kcp" },
		    "exclude" },
		{ "vserver", { "-port", "1", "-id", U1, "-ws", "/x", "-h2",
		    "/y" }, "exclude" },
		{ "vserver", { "-port", "1", "-id", U1, "-ws", "x" },
		    "starting with /" },
		{ "vbridge", { LINK_WS, "-portal", "h:1", "-to", "1.2.3.4:5" },
		    "do not go with" },
		{ "vbridge", { "-to", "1.2.3.4:5" }, "vmess:// link" },
		{ "vclient", { "vmess://%%%" }, "not base64" },
		{ "vclient", { "-port", "1" }, "not a vclient flag" },
		{ "vportal", { "-id", U1, "-public", "80" }, "-listen" },
		{ "vportal", { "-listen", "1024", "-public", "80" }, "-id" },
		{ "vportal", { "-listen", "1024", "-id", U1 }, "-public" },
		{ "vportal", { "-listen", "1024", "-id", U1, "-public",
		    "1024" }, "also the -listen" },
		{ "vportal", { "-listen", "1024", "-id", U1, "-public", "80",
		    "-public", "0.0.0.0:80" }, "twice" },
		{ "vportal", { "-listen", "1024", "-id", U1, "-public", "80",
		    "-domain", "a,b" }, "-domain" },
		{ "vbridge", { "-id", U1, "-to", "127.0.0.1:80" }, "-portal" },
		{ "vbridge", { "-portal", "p:1", "-to", "127.0.0.1:80" },
		    "-id" },
		{ "vbridge", { "-portal", "p:1", "-id", U1 }, "-to" },
		{ "vbridge", { "-portal", "p:1", "-id", U1, "-to", "80" },
		    "-to" },
		{ "vbridge", { "-portal", "p:1", "-id", U1, "-to", "h:1",
		    "-kcp" }, "not a vbridge flag" },
	};
	struct fx	*f = *state;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		quick_free(&f->q);
		f->err[0] = '\0';
		if (parse(f, cases[i].tool, cases[i].args) != -1)
			fail_msg("case %zu (%s %s) was accepted", i,
			    cases[i].tool, cases[i].args[0]);
		if (strstr(f->err, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, f->err,
			    cases[i].want);
	}
}

/* Not quick flags: left to cli.c. */
static void
test_quick_not_taken(void **state)
{
	struct fx	*f = *state;
	char		*argv[] = { "vserver", "-c", "x.json", "plain", NULL };
	int		 i = 1;

	quick_init(&f->q, "vserver");
	assert_int_equal(quick_arg(&f->q, "c", NULL, 4, argv, &i, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(i, 1);
	i = 3;
	assert_int_equal(quick_arg(&f->q, NULL, NULL, 4, argv, &i, f->err,
	    sizeof(f->err)), 0);
	assert_false(f->q.any);
	assert_int_equal(quick_finish(&f->q, f->err, sizeof(f->err)), 0);
	/* Without quick flags, quick_apply leaves the config alone. */
	assert_int_equal(quick_apply(&f->q, &f->c, &f->d), 0);
	assert_int_equal(f->c.ninbounds, 0);
	assert_null(f->c.path);
	quick_free(&f->q);
	quick_init(&f->q, "sometool");
	i = 1;
	assert_int_equal(quick_arg(&f->q, "port", "1", 4, argv, &i, f->err,
	    sizeof(f->err)), 0);
	/* -uuid alone is no deployment. */
	quick_free(&f->q);
	assert_int_equal(parse(f, "vserver", ARGS("-uuid")), 0);
	assert_true(f->q.want_uuid);
	assert_false(f->q.any);
}

static void
test_quick_link_decode_samples(void **state)
{
	struct quick_link	 l;
	const char		*why = NULL;

	assert_int_equal(quick_vmess_link_decode(LINK_STD, &l, &why), 0);
	assert_string_equal(l.ps, "hk 01");
	assert_string_equal(l.add, "vpn.example.com");
	assert_int_equal(l.port, 443);
	assert_string_equal(l.id, U1);
	assert_int_equal(l.aid, 64);
	assert_int_equal(l.scy, CONF_SEC_CHACHA20);
	assert_int_equal(l.net, CONF_NET_TCP);
	assert_string_equal(l.type, "none");

	assert_int_equal(quick_vmess_link_decode(LINK_URLSAFE, &l, &why), 0);
	assert_string_equal(l.ps, "\xc3\xa9\xe6\x9d\xb1\xe4\xba\xac/x?>~~~");
	assert_string_equal(l.add, "10.1.2.3");
	assert_int_equal(l.port, 10086);
	assert_string_equal(l.id, U1);		/* upper case canonicalised */
	assert_int_equal(l.aid, 0);
	assert_int_equal(l.scy, CONF_SEC_AUTO);	/* no "scy" key */
	assert_int_equal(l.net, CONF_NET_KCP);
	assert_string_equal(l.type, "wechat-video");
	assert_string_equal(l.path, "seedpw");

	/* Same JSON, standard alphabet with padding. */
	assert_int_equal(quick_vmess_link_decode("VMESS://eyJhZGQiOiJoIiwicG9"
	    "ydCI6MSwiaWQiOiIyNzg0ODczOS03ZTYyLTQxMzgtOWZkMy0wOThhNjM5NjRiNmIif"
	    "Q==", &l, &why), 0);
	assert_string_equal(l.add, "h");
	assert_int_equal(l.port, 1);
	assert_int_equal(l.aid, 0);
}

static void
test_quick_link_encode_exact(void **state)
{
	struct fx		*f = *state;
	struct quick_link	 l;
	char			 buf[QUICK_LINK_MAX];

	assert_int_equal(parse(f, "vserver", ARGS("-port", "10086", "-id",
	    U1)), 0);
	assert_int_equal(quick_server_link(&f->q, 0, &l), 1);	/* guessed */
	assert_string_equal(l.add, "127.0.0.1");
	assert_int_equal(quick_vmess_link_encode(&l, buf, sizeof(buf)),
	    (int)strlen(LINK_EXACT));
	assert_string_equal(buf, LINK_EXACT);
	assert_int_equal(quick_server_link(&f->q, 1, &l), -1);
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(quick_vmess_link_encode(&l, buf, 20), -1);
	assert_int_equal(quick_server_link(&f->q, 0, &l), 1);
	assert_int_equal(quick_vmess_link_encode(&l, buf,
	    strlen(LINK_EXACT)), -1);
	assert_int_equal(quick_vmess_link_encode(&l, buf,
	    strlen(LINK_EXACT) + 1), (int)strlen(LINK_EXACT));
}

static void
test_quick_link_roundtrip(void **state)
{
	struct quick_link	 a, b;
	char			 buf[QUICK_LINK_MAX];
	const char		*why = NULL;
	int			 n;

	memset(&a, 0, sizeof(a));
	snprintf(a.ps, sizeof(a.ps), "q\"uote\\ back\x01\n tab\t \xe2\x9c\x93");
	snprintf(a.add, sizeof(a.add), "2001:db8::1");
	a.port = 65535;
	snprintf(a.id, sizeof(a.id), "%s", U2);
	a.aid = 65535;
	a.scy = CONF_SEC_NONE;
	a.net = CONF_NET_KCP;
	snprintf(a.type, sizeof(a.type), "dtls");
	snprintf(a.host, sizeof(a.host), "h</>");
	snprintf(a.path, sizeof(a.path), "s33d");
	n = quick_vmess_link_encode(&a, buf, sizeof(buf));
	assert_true(n > 8);
	assert_int_equal(strncmp(buf, "vmess://", 8), 0);
	assert_int_equal(quick_vmess_link_decode(buf, &b, &why), 0);
	assert_memory_equal(&a, &b, sizeof(a));

	/* Invalid fields are refused by the encoder. */
	b = a;
	b.port = 0;
	assert_int_equal(quick_vmess_link_encode(&b, buf, sizeof(buf)), -1);
	b = a;
	b.id[3] = 'z';
	assert_int_equal(quick_vmess_link_encode(&b, buf, sizeof(buf)), -1);
	b = a;
	b.add[0] = '\0';
	assert_int_equal(quick_vmess_link_encode(&b, buf, sizeof(buf)), -1);
	b = a;
	memset(b.ps, 'x', sizeof(b.ps));	/* unterminated */
	assert_int_equal(quick_vmess_link_encode(&b, buf, sizeof(buf)), -1);
}

/* base64 of a JSON text, the way a test writes a bad link. */
static void
mklink(char *out, size_t size, const char *json)
{
	static const char	 t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*p = (const unsigned char *)json;
	size_t			 len = strlen(json), i, o = 8;
	uint32_t		 v;

	memcpy(out, "vmess://", 8);
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		assert_true(o + 5 < size);
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < len ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

#define GOOD_REST "\"port\":\"1\",\"id\":\"" U1 "\""

static void
test_quick_link_garbage(void **state)
{
	static const char *const raw[] = {
		"", "vmess:/", "vless://abcd", "vmess://", "vmess://====",
		"vmess://a", "vmess://ab=c", "vmess://abc===", "vmess://a b!",
		"vmess://bnVsbA", /* null */
		"vmess://WzFd", /* [1] */
		"vmess://eyJ9", /* {"} */
		"vmess://AAAA", /* NULs */
		"https://example.com/",
	};
	static const char *const json[] = {
		"{}",
		"{\"add\":\"h\"," GOOD_REST ",\"v\":\"1\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"v\":3}",
		"{\"port\":\"1\",\"id\":\"" U1 "\"}",
		"{\"add\":\"\"," GOOD_REST "}",
		"{\"add\":\"a b\"," GOOD_REST "}",
		"{\"add\":\"h/x\"," GOOD_REST "}",
		"{\"add\":\"h\\u0000x\"," GOOD_REST "}",
		"{\"add\":5," GOOD_REST "}",
		"{\"add\":\"h\",\"id\":\"" U1 "\"}",
		"{\"add\":\"h\",\"port\":\"0\",\"id\":\"" U1 "\"}",
		"{\"add\":\"h\",\"port\":70000,\"id\":\"" U1 "\"}",
		"{\"add\":\"h\",\"port\":-1,\"id\":\"" U1 "\"}",
		"{\"add\":\"h\",\"port\":1.5,\"id\":\"" U1 "\"}",
		"{\"add\":\"h\",\"port\":\" 1\",\"id\":\"" U1 "\"}",
		"{\"add\":\"h\",\"port\":\"1\"}",
		"{\"add\":\"h\",\"port\":\"1\",\"id\":\"nope\"}",
		"{\"add\":\"h\",\"port\":\"1\",\"id\":\"" U1 "0\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"aid\":\"x\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"aid\":-1}",
		"{\"add\":\"h\"," GOOD_REST ",\"aid\":65536}",
		"{\"add\":\"h\"," GOOD_REST ",\"scy\":\"aes-256-cfb\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"net\":\"quic\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"net\":\"grpc\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"type\":\"srtp\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"net\":\"ws\",\"path\":"
		    "\"/a b\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"net\":\"kcp\",\"type\":\"x\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"tls\":\"xtls\"}",
		"{\"add\":\"h\"," GOOD_REST ",\"path\":[]}",
		"{\"add\":\"h\"," GOOD_REST "} trailing",
		"{\"add\":\"h\"," GOOD_REST "",
		"[{\"add\":\"h\"," GOOD_REST "}]",
		"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]],"
		    "\"add\":\"h\"," GOOD_REST "}",
	};
	struct quick_link	 l;
	char			 link[1024], *big;
	const char		*why;
	size_t			 i, n, pad;

	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		why = NULL;
		if (quick_vmess_link_decode(raw[i], &l, &why) != -1)
			fail_msg("raw %zu accepted: %s", i, raw[i]);
		assert_non_null(why);
	}
	for (i = 0; i < sizeof(json) / sizeof(json[0]); i++) {
		why = NULL;
		mklink(link, sizeof(link), json[i]);
		if (quick_vmess_link_decode(link, &l, &why) != -1)
			fail_msg("json %zu accepted: %s", i, json[i]);
		assert_non_null(why);
		assert_true(strlen(why) > 5);
	}
	/* The control: the minimal good object passes through mklink. */
	mklink(link, sizeof(link), "{\"add\":\"h\"," GOOD_REST "}");
	assert_int_equal(quick_vmess_link_decode(link, &l, &why), 0);
	/* ... and with padding that does not fit the data, does not. */
	n = strlen(link);
	for (pad = 0; n > 0 && link[n - 1] == '='; n--)
		pad++;
	snprintf(link + n, sizeof(link) - n, "%s", pad == 1 ? "==" : "=");
	assert_int_equal(quick_vmess_link_decode(link, &l, &why), -1);
	mklink(link, sizeof(link), "{\"add\":\"h\"," GOOD_REST "}");
	assert_int_equal(quick_vmess_link_decode(NULL, &l, &why), -1);
	assert_int_equal(quick_vmess_link_decode(link, NULL, &why), -1);
	assert_int_equal(quick_vmess_link_decode(link, &l, NULL), 0);

	big = malloc(QUICK_LINK_MAX + 64);
	assert_non_null(big);
	memcpy(big, "vmess://", 8);
	memset(big + 8, 'A', QUICK_LINK_MAX + 40);
	big[QUICK_LINK_MAX + 48] = '\0';
	assert_int_equal(quick_vmess_link_decode(big, &l, &why), -1);
	assert_string_equal(why, "too long");
	free(big);
}

static void
test_quick_uuid_new(void **state)
{
	char	a[37], b[37];
	uint8_t	u[16];

	assert_int_equal(quick_uuid_new(a), 0);
	assert_int_equal(quick_uuid_new(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	assert_int_equal(conf_uuid_parse(a, u, NULL), 0);
	assert_int_equal(u[6] >> 4, 4);
	assert_int_equal(u[8] & 0xc0, 0x80);
	assert_int_equal(a[14], '4');
	assert_int_equal(a[8], '-');
	assert_int_equal(a[23], '-');
}

static void
test_quick_print_links(void **state)
{
	struct fx		*f = *state;
	struct quick_link	 l;
	char			*out = NULL, *warn = NULL, *line, *save;
	size_t			 outlen = 0, warnlen = 0;
	FILE			*fo, *fw;
	int			 n = 0;

	assert_int_equal(parse(f, "vserver", ARGS("-port", "10086", "-id",
	    U1, "-id", U2, "-kcp", "-aid", "2")), 0);
	fo = open_memstream(&out, &outlen);
	fw = open_memstream(&warn, &warnlen);
	assert_non_null(fo);
	assert_non_null(fw);
	quick_print_links(&f->q, fo, fw);
	fclose(fo);
	fclose(fw);
	assert_non_null(strstr(warn, "-host"));
	assert_non_null(strstr(warn, "0.0.0.0"));
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++) {
		assert_int_equal(quick_vmess_link_decode(line, &l, NULL), 0);
		assert_string_equal(l.add, "127.0.0.1");
		assert_int_equal(l.port, 10086);
		assert_string_equal(l.id, n == 0 ? U1 : U2);
		assert_int_equal(l.aid, 2);
		assert_int_equal(l.net, CONF_NET_KCP);
	}
	assert_int_equal(n, 2);
	free(out);
	free(warn);

	/* With -host: that name, and no hint. */
	quick_free(&f->q);
	assert_int_equal(parse(f, "vserver", ARGS("-port", "443", "-id", U1,
	    "-host", "vpn.example.com")), 0);
	out = warn = NULL;
	fo = open_memstream(&out, &outlen);
	fw = open_memstream(&warn, &warnlen);
	quick_print_links(&f->q, fo, fw);
	fclose(fo);
	fclose(fw);
	assert_int_equal(warnlen, 0);
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(quick_vmess_link_decode(out, &l, NULL), 0);
	assert_string_equal(l.add, "vpn.example.com");
	assert_int_equal(l.net, CONF_NET_TCP);
	free(out);
	free(warn);

	/* A specific listen address is the link's address. */
	quick_free(&f->q);
	assert_int_equal(parse(f, "vserver", ARGS("-port", "443", "-id", U1,
	    "-listen", "192.0.2.7")), 0);
	assert_int_equal(quick_server_link(&f->q, 0, &l), 0);
	assert_string_equal(l.add, "192.0.2.7");
}

static void
test_quick_usage_text(void **state)
{
	static const struct {
		const char	*tool;
		const char	*flags[6];
	} want[] = {
		{ "vserver", { "-port", "-listen", "-id", "-dynamic", "-uuid",
		    "-host" } },
		{ "vclient", { "vmess://", "-server", "-socks", "-mux",
		    "-sniff", "-security" } },
		{ "vportal", { "-listen", "-id", "-public", "-domain", NULL } },
		{ "vbridge", { "-portal", "-id", "-to", "-domain", NULL } },
	};
	struct quick	 q;
	char		*buf = NULL;
	size_t		 len = 0, i, j;
	FILE		*fp;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		quick_init(&q, want[i].tool);
		buf = NULL;
		fp = open_memstream(&buf, &len);
		quick_usage(&q, fp);
		fclose(fp);
		for (j = 0; j < 6 && want[i].flags[j] != NULL; j++)
			if (strstr(buf, want[i].flags[j]) == NULL)
				fail_msg("%s -h lacks %s", want[i].tool,
				    want[i].flags[j]);
		free(buf);
	}
	quick_init(&q, "other");
	buf = NULL;
	fp = open_memstream(&buf, &len);
	quick_usage(&q, fp);
	fclose(fp);
	assert_int_equal(len, 0);
	free(buf);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_quick_vserver_basic),
		T(test_quick_vserver_users_aid_listen),
		T(test_quick_vserver_dynamic_kcp),
		T(test_quick_vserver_dynamic_small_range),
		T(test_quick_vclient_server),
		T(test_quick_vclient_options),
		T(test_quick_vclient_socks_port_only),
		T(test_quick_vclient_link),
		T(test_quick_vclient_kcp_link),
		T(test_quick_vclient_transport_links),
		T(test_quick_ws_h2_flags),
		T(test_quick_vportal_seed002),
		T(test_quick_vbridge_seed002),
		T(test_quick_base_config),
		T(test_quick_base_client_default),
		T(test_quick_base_tag_clash),
		T(test_quick_apply_runs_check),
		T(test_quick_usage_errors),
		T(test_quick_not_taken),
		T(test_quick_link_decode_samples),
		T(test_quick_link_encode_exact),
		T(test_quick_link_roundtrip),
		T(test_quick_link_garbage),
		T(test_quick_uuid_new),
		T(test_quick_print_links),
		T(test_quick_usage_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
