/* SPDX-License-Identifier: MIT */
/*
 * test_conf_ini.c: the INI front end key by key, its diagnostics with line
 * numbers, and both dump writers through JSON -> INI -> JSON round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/session.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

#include "conf_fx.h"

static int
load(struct fx *f, const char *ini)
{
	return conf_load_ini_buf("t.ini", ini, strlen(ini), &f->c, &f->d);
}

/* Load text that must give no error at all; show them if it does. */
static void
load_ok(struct fx *f, const char *ini)
{
	int	rv = load(f, ini);

	if (rv != 0 || f->d.errors.n != 0)
		conf_diag_print(&f->d, stderr);
	assert_int_equal(rv, 0);
	assert_int_equal(f->d.errors.n, 0);
}

static bool
has_exact(const struct conf_strv *sv, const char *line)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], line) == 0)
			return true;
	return false;
}

static void
assert_error(const struct fx *f, const char *line)
{
	if (!has_exact(&f->d.errors, line)) {
		fprintf(stderr, "missing error: %s\ngot:\n", line);
		conf_diag_print(&f->d, stderr);
		fail();
	}
}

static char *
read_file(const char *path, size_t *lenp)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*lenp = (size_t)n;
	return buf;
}

static void
test_conf_ini_log(void **state)
{
	struct fx	*f = *state;

	/* Without [log]: as in JSON, access off and errors to the console. */
	load_ok(f, "[inbound]\nprotocol = socks\nport = 1\n");
	assert_int_equal(f->c.log.access_dest, CONF_LOGDEST_OFF);
	assert_int_equal(f->c.log.error_dest, CONF_LOGDEST_CONSOLE);
	conf_cleanup(&f->c);
	conf_init(&f->c);

	load_ok(f, "[log]\naccess =\nerror = /tmp/e.log\nloglevel = Debug\n");
	assert_int_equal(f->c.log.access_dest, CONF_LOGDEST_CONSOLE);
	assert_null(f->c.log.access_path);
	assert_int_equal(f->c.log.error_dest, CONF_LOGDEST_FILE);
	assert_string_equal(f->c.log.error_path, "/tmp/e.log");
	assert_int_equal(f->c.log.level, CONF_LOG_DEBUG);
	conf_cleanup(&f->c);
	conf_init(&f->c);

	load_ok(f, "[log]\naccess = none\n");
	assert_int_equal(f->c.log.access_dest, CONF_LOGDEST_OFF);
	assert_int_equal(f->c.log.error_dest, CONF_LOGDEST_CONSOLE);
	assert_int_equal(f->c.log.level, CONF_LOG_WARNING);
	conf_cleanup(&f->c);
	conf_init(&f->c);

	/* loglevel none silences both, whatever the order of the keys. */
	load_ok(f, "[log]\nloglevel = none\naccess = /tmp/a.log\n");
	assert_int_equal(f->c.log.access_dest, CONF_LOGDEST_OFF);
	assert_int_equal(f->c.log.error_dest, CONF_LOGDEST_OFF);
}

static void
test_conf_ini_policy(void **state)
{
	struct fx		*f = *state;
	struct conf_level	 l;

	load_ok(f, "[policy 1]\nhandshake = 4\nconnIdle = 30\n"
	    "uplinkOnly = 0\ndownlinkOnly = 2\nbufferSize = -5\n"
	    "[policy 4294967295]\nbufferSize = 0\n");
	assert_int_equal(f->c.nlevels, 2);
	l = conf_policy(&f->c, 1);
	assert_int_equal(l.handshake, 4);
	assert_int_equal(l.conn_idle, 30);
	assert_int_equal(l.uplink_only, 0);
	assert_int_equal(l.downlink_only, 2);
	assert_int_equal(l.buffer_size, -1);
	l = conf_policy(&f->c, UINT32_MAX);
	assert_int_equal(l.buffer_size, 0);
	assert_int_equal(l.handshake, 60);
	assert_int_equal(l.conn_idle, 300);
}

/* bufferSize becomes a session's watermark, clamped: never unbounded. */
static void
test_conf_ini_policy_watermark(void **state)
{
	struct fx	*f = *state;
	struct session	 s;

	load_ok(f, "[policy 1]\nbufferSize = -5\n[policy 2]\nbufferSize = 0\n"
	    "[policy 3]\nbufferSize = 64\n[policy 4]\nbufferSize = 99999\n");
	memset(&s, 0, sizeof(s));
	s.policy = conf_policy(&f->c, 0);
	assert_int_equal(session_hiwat(&s), 512 * 1024);
	s.policy = conf_policy(&f->c, 1);
	assert_int_equal(session_hiwat(&s), PIPE_HIWAT_MAX);
	s.policy = conf_policy(&f->c, 2);
	assert_int_equal(session_hiwat(&s), PIPE_HIWAT_MIN);
	s.policy = conf_policy(&f->c, 3);
	assert_int_equal(session_hiwat(&s), 64 * 1024);
	s.policy = conf_policy(&f->c, 4);
	assert_int_equal(session_hiwat(&s), PIPE_HIWAT_MAX);
}

static void
test_conf_ini_socks(void **state)
{
	struct fx		*f = *state;
	struct conf_inbound	*in;

	load_ok(f,
	    "[inbound socks-in]\n"
	    "protocol = SOCKS\n"
	    "listen = 127.0.0.1\n"
	    "port = 1080-1090\n"
	    "sniffing = http, TLS\n"
	    "auth = password\n"
	    "account = alice:pa:ss\n"
	    "account = bob:\n"
	    "udp = yes\n"
	    "ip = 127.0.0.1\n"
	    "userLevel = 7\n");
	assert_int_equal(f->c.ninbounds, 1);
	in = &f->c.inbounds[0];
	assert_string_equal(in->tag, "socks-in");
	assert_int_equal(in->proto, CONF_PROTO_SOCKS);
	assert_string_equal(in->listen, "127.0.0.1");
	assert_int_equal(in->port.from, 1080);
	assert_int_equal(in->port.to, 1090);
	assert_true(in->sniff_enabled);
	assert_true(in->sniff_http);
	assert_true(in->sniff_tls);
	assert_true(in->socks_password);
	assert_int_equal(in->naccounts, 2);
	assert_string_equal(in->accounts[0].user, "alice");
	assert_string_equal(in->accounts[0].pass, "pa:ss");
	assert_string_equal(in->accounts[1].user, "bob");
	assert_string_equal(in->accounts[1].pass, "");
	assert_true(in->socks_udp);
	assert_string_equal(in->socks_ip, "127.0.0.1");
	assert_int_equal(in->user_level, 7);
	assert_int_equal(in->stream.network, CONF_NET_TCP);
	assert_false(in->allocate.present);
}

static void
test_conf_ini_sniffing(void **state)
{
	struct fx	*f = *state;

	load_ok(f, "[inbound]\nprotocol = socks\nsniffing = on\n"
	    "[inbound]\nprotocol = socks\nsniffing = off\n"
	    "[inbound]\nprotocol = socks\nsniffing =\n"
	    "[inbound]\nprotocol = socks\nsniffing = https\n"
	    "[inbound]\nprotocol = socks\n");
	assert_int_equal(f->c.ninbounds, 5);
	assert_true(f->c.inbounds[0].sniff_enabled);
	assert_false(f->c.inbounds[0].sniff_http);
	assert_false(f->c.inbounds[0].sniff_tls);
	assert_false(f->c.inbounds[1].sniff_enabled);
	assert_false(f->c.inbounds[2].sniff_enabled);
	assert_true(f->c.inbounds[3].sniff_enabled);
	assert_false(f->c.inbounds[3].sniff_http);
	assert_true(f->c.inbounds[3].sniff_tls);
	assert_false(f->c.inbounds[4].sniff_enabled);
	/* Untagged inbounds stay untagged. */
	assert_null(f->c.inbounds[0].tag);
}

static void
test_conf_ini_dokodemo(void **state)
{
	struct fx		*f = *state;
	struct conf_inbound	*in;

	load_ok(f,
	    "[inbound a]\nprotocol = dokodemo-door\nport = 8080\n"
	    "address = 10.1.2.3\ndestPort = 80\n"
	    "dokodemo.network = tcp,udp\nfollowRedirect = on\n"
	    "userLevel = 2\n"
	    "[inbound b]\nprotocol = dokodemo-door\nport = 8081\n"
	    "to = [::1]:443\n");
	in = &f->c.inbounds[0];
	assert_int_equal(in->proto, CONF_PROTO_DOKODEMO);
	assert_string_equal(in->dk_address, "10.1.2.3");
	assert_int_equal(in->dk_port, 80);
	assert_int_equal(in->dk_network, CONF_NETBIT_TCP | CONF_NETBIT_UDP);
	assert_true(in->dk_follow_redirect);
	assert_int_equal(in->user_level, 2);
	in = &f->c.inbounds[1];
	assert_string_equal(in->dk_address, "::1");
	assert_int_equal(in->dk_port, 443);
	/* The dokodemo default network is tcp. */
	assert_int_equal(in->dk_network, CONF_NETBIT_TCP);
}

static void
test_conf_ini_vmess_in(void **state)
{
	struct fx		*f = *state;
	struct conf_inbound	*in;

	load_ok(f,
	    "[inbound main]\n"
	    "protocol = vmess\n"
	    "port = 10086\n"
	    "client = 919BB344-901C-4E35-BD94-7F358D70326E\n"
	    "client = 7e8ca6528ccf4ba38251907823eaeb02 , alterId = 64 ,"
	    " level=3, email = a,b@example.com\n"
	    "detour = dyn\n"
	    "disableInsecureEncryption = 1\n"
	    "[inbound dyn]\n"
	    "protocol = vmess\n"
	    "port = 20000-20099\n"
	    "default.alterId = 32\n"
	    "default.level = 1\n"
	    "allocate = random\n"
	    "allocate.refresh = 20s\n"
	    "allocate.concurrency = 4\n");
	in = &f->c.inbounds[0];
	assert_int_equal(in->nclients, 2);
	assert_string_equal(in->clients[0].id,
	    "919bb344-901c-4e35-bd94-7f358d70326e");
	assert_int_equal(in->clients[0].uuid[0], 0x91);
	assert_int_equal(in->clients[0].alter_id, 0);
	assert_null(in->clients[0].email);
	assert_string_equal(in->clients[1].id,
	    "7e8ca652-8ccf-4ba3-8251-907823eaeb02");
	assert_int_equal(in->clients[1].alter_id, 64);
	assert_int_equal(in->clients[1].level, 3);
	/* The email runs to the end of the line, commas and all. */
	assert_string_equal(in->clients[1].email, "a,b@example.com");
	assert_string_equal(in->detour_to, "dyn");
	assert_true(in->disable_insecure);
	assert_false(in->has_default);
	in = &f->c.inbounds[1];
	assert_true(in->has_default);
	assert_int_equal(in->default_alter_id, 32);
	assert_int_equal(in->default_level, 1);
	assert_true(in->allocate.present);
	assert_int_equal(in->allocate.strategy, CONF_ALLOC_RANDOM);
	assert_int_equal(in->allocate.refresh_sec, 20);
	assert_int_equal(in->allocate.concurrency, 4);
	conf_cleanup(&f->c);
	conf_init(&f->c);

	/* A bare refresh is minutes, as in JSON. */
	load_ok(f, "[inbound]\nprotocol = vmess\nallocate.refresh = 5\n");
	assert_true(f->c.inbounds[0].allocate.present);
	assert_int_equal(f->c.inbounds[0].allocate.strategy,
	    CONF_ALLOC_ALWAYS);
	assert_int_equal(f->c.inbounds[0].allocate.refresh_sec, 300);
	assert_int_equal(f->c.inbounds[0].allocate.concurrency, 3);
}

static void
test_conf_ini_kcp(void **state)
{
	struct fx		*f = *state;
	struct conf_kcp		*k;
	char			*j;

	load_ok(f,
	    "[outbound]\n"
	    "protocol = freedom\n"
	    "network = mKCP\n"
	    "kcp.mtu = 1200\n"
	    "kcp.tti = 20\n"
	    "kcp.uplinkCapacity = 0\n"
	    "kcp.downlinkCapacity = 100\n"
	    "kcp.congestion = true\n"
	    "kcp.readBufferSize = 4\n"
	    "kcp.writeBufferSize = 8\n"
	    "kcp.header = WeChat-Video\n"
	    "kcp.seed =\n");
	assert_int_equal(f->c.outbounds[0].stream.network, CONF_NET_KCP);
	k = &f->c.outbounds[0].stream.kcp;
	assert_int_equal(k->mtu, 1200);
	assert_int_equal(k->tti, 20);
	assert_int_equal(k->uplink_capacity, 0);
	assert_int_equal(k->downlink_capacity, 100);
	assert_true(k->congestion);
	assert_int_equal(k->read_buffer_size, 4);
	assert_int_equal(k->write_buffer_size, 8);
	assert_string_equal(k->header_type, "wechat-video");
	/* An empty seed is kept: it still selects the AEAD obfuscation. */
	assert_non_null(k->seed);
	assert_string_equal(k->seed, "");
	assert_int_equal(f->d.warnings.n, 0);
	j = dump_string(&f->c, true);
	assert_non_null(strstr(j, "\"seed\": \"\"\n"));
	assert_non_null(strstr(j, "\"type\": \"wechat-video\""));
	free(j);
	conf_cleanup(&f->c);
	conf_init(&f->c);

	/* kcp keys on a tcp stream are allowed but pointed out. */
	load_ok(f, "[inbound]\nprotocol = socks\nkcp.mtu = 1000\n");
	assert_int_equal(f->d.warnings.n, 1);
	assert_string_equal(f->d.warnings.v[0],
	    "t.ini:3: kcp.mtu: ignored, network is not kcp");
}

static void
test_conf_ini_outbounds(void **state)
{
	struct fx		*f = *state;
	struct conf_outbound	*o;

	load_ok(f,
	    "[outbound proxy]\n"
	    "protocol = vmess\n"
	    "sendThrough = 127.0.0.2\n"
	    "mux = 4\n"
	    "server = 127.0.0.1:10086\n"
	    "user = 919bb344-901c-4e35-bd94-7f358d70326e, security=none\n"
	    "user = 7e8ca652-8ccf-4ba3-8251-907823eaeb02, alterId=4, "
	    "security=chacha20-poly1305, level=1, email=x@y\n"
	    "server = [::1]:443\n"
	    "user = 9002b5a1-7e60-4aa9-977d-4e145be7a6ae\n"
	    "[outbound direct]\n"
	    "protocol = freedom\n"
	    "domainStrategy = UseIPv4\n"
	    "redirect = 127.0.0.1:80\n"
	    "userLevel = 3\n"
	    "mux = on\n"
	    "[outbound blocked]\n"
	    "protocol = blackhole\n"
	    "response = HTTP\n"
	    "mux = off\n");
	assert_int_equal(f->c.noutbounds, 3);
	o = &f->c.outbounds[0];
	assert_string_equal(o->tag, "proxy");
	assert_int_equal(o->proto, CONF_PROTO_VMESS);
	assert_string_equal(o->send_through, "127.0.0.2");
	assert_true(o->mux_enabled);
	assert_int_equal(o->mux_concurrency, 4);
	assert_int_equal(o->nvnext, 2);
	assert_string_equal(o->vnext[0].address, "127.0.0.1");
	assert_int_equal(o->vnext[0].port, 10086);
	assert_int_equal(o->vnext[0].nusers, 2);
	assert_int_equal(o->vnext[0].users[0].security, CONF_SEC_NONE);
	assert_int_equal(o->vnext[0].users[1].security, CONF_SEC_CHACHA20);
	assert_int_equal(o->vnext[0].users[1].alter_id, 4);
	assert_int_equal(o->vnext[0].users[1].level, 1);
	assert_string_equal(o->vnext[0].users[1].email, "x@y");
	assert_string_equal(o->vnext[1].address, "::1");
	assert_int_equal(o->vnext[1].port, 443);
	assert_int_equal(o->vnext[1].nusers, 1);
	assert_int_equal(o->vnext[1].users[0].security, CONF_SEC_AUTO);
	o = &f->c.outbounds[1];
	assert_int_equal(o->proto, CONF_PROTO_FREEDOM);
	assert_int_equal(o->domain_strategy, CONF_DS_USEIPV4);
	assert_string_equal(o->redirect, "127.0.0.1:80");
	assert_int_equal(o->user_level, 3);
	assert_true(o->mux_enabled);
	assert_int_equal(o->mux_concurrency, 8);
	o = &f->c.outbounds[2];
	assert_true(o->bh_http);
	assert_false(o->mux_enabled);
	/* The first outbound is the default: file order is kept. */
	assert_ptr_equal(conf_find_outbound(&f->c, "proxy"),
	    &f->c.outbounds[0]);
}

static void
test_conf_ini_rules(void **state)
{
	struct fx		*f = *state;
	struct conf_rule	*r;

	load_ok(f,
	    "[outbound direct]\nprotocol = freedom\n"
	    "[routing]\ndomainStrategy = IPIfNonMatch\n"
	    "[rule]\n"
	    "domain = a.com, domain:b.com\n"
	    "domain = full:c.com\n"
	    "ip = 10.0.0.0/8\n"
	    "port = 53, 443\n"
	    "port = 1000-2000\n"
	    "sourcePort = 1-1024\n"
	    "network = tcp\n"
	    "network = udp\n"
	    "source = 127.0.0.1, ::1\n"
	    "user = a@b\n"
	    "inboundTag = in1, in2\n"
	    "protocol = http,tls\n"
	    "outboundTag = direct\n"
	    "[rule]\n"
	    "network = tcp\n"
	    "balancerTag = lb\n"
	    "[bridge br]\ndomain = r.example\n"
	    "[portal po]\ndomain = r.example\n"
	    "[bridge br2]\ndomain = s.example\n");
	assert_int_equal(f->c.route_strategy, CONF_RS_IPIFNONMATCH);
	assert_int_equal(f->c.nrules, 2);
	r = &f->c.rules[0];
	assert_int_equal(r->domain.n, 3);
	assert_string_equal(r->domain.v[0], "a.com");
	assert_string_equal(r->domain.v[1], "domain:b.com");
	assert_string_equal(r->domain.v[2], "full:c.com");
	assert_int_equal(r->ip.n, 1);
	assert_string_equal(r->port, "53,443,1000-2000");
	assert_string_equal(r->source_port, "1-1024");
	assert_int_equal(r->network, CONF_NETBIT_TCP | CONF_NETBIT_UDP);
	assert_int_equal(r->source.n, 2);
	assert_string_equal(r->source.v[1], "::1");
	assert_int_equal(r->user.n, 1);
	assert_int_equal(r->inbound_tag.n, 2);
	assert_int_equal(r->protocol.n, 2);
	assert_string_equal(r->outbound_tag, "direct");
	assert_null(r->balancer_tag);
	r = &f->c.rules[1];
	assert_int_equal(r->network, CONF_NETBIT_TCP);
	assert_string_equal(r->balancer_tag, "lb");
	assert_null(r->outbound_tag);
	assert_int_equal(f->c.nbridges, 2);
	assert_string_equal(f->c.bridges[0].tag, "br");
	assert_string_equal(f->c.bridges[1].domain, "s.example");
	assert_int_equal(f->c.nportals, 1);
	assert_string_equal(f->c.portals[0].tag, "po");
}

static void
test_conf_ini_syntax(void **state)
{
	struct fx	*f = *state;

	/* BOM, CRLF, comments, indentation, "key: value", any case. */
	load_ok(f,
	    "\xef\xbb\xbf; comment\r\n"
	    "# another\r\n"
	    "\r\n"
	    "  [ Inbound  my tag ]   ; trailing comment\r\n"
	    "PROTOCOL = socks ; inline comment\r\n"
	    "\tport: 1080\r\n"
	    "    udp = true\n"
	    "ip = 127.0.0.1#kept\n"
	    "listen =;opens the value: a comment too\n");
	assert_int_equal(f->c.ninbounds, 1);
	assert_string_equal(f->c.inbounds[0].tag, "my tag");
	assert_int_equal(f->c.inbounds[0].proto, CONF_PROTO_SOCKS);
	assert_int_equal(f->c.inbounds[0].port.from, 1080);
	/* An indented line is a key, not inih's continuation line. */
	assert_true(f->c.inbounds[0].socks_udp);
	assert_string_equal(f->c.inbounds[0].socks_ip, "127.0.0.1#kept");
	assert_null(f->c.inbounds[0].listen);
	conf_cleanup(&f->c);
	conf_init(&f->c);

	/* Nothing at all is no error, and no object. */
	assert_int_equal(conf_load_ini_buf("t.ini", "", 0, &f->c, &f->d), 0);
	assert_int_equal(f->c.ninbounds, 0);
	assert_int_equal(conf_load_ini_buf("t.ini", NULL, 0, &f->c, &f->d),
	    0);
	assert_int_equal(f->d.errors.n, 0);
}

static void
test_conf_ini_errors(void **state)
{
	struct fx	*f = *state;
	static const char text[] =
	    "foo = bar\n"				/* 1 */
	    "[inbound a]\n"				/* 2 */
	    "protocol = vmes\n"				/* 3 */
	    "port = 70000\n"				/* 4 */
	    "bogus = 1\n"				/* 5 */
	    "[inbound b]\n"				/* 6 */
	    "protocol = socks\n"			/* 7 */
	    "port = 1\n"				/* 8 */
	    "port = 2\n"				/* 9 */
	    "client = 919bb344-901c-4e35-bd94-7f358d70326e\n"	/* 10 */
	    "udp = maybe\n"				/* 11 */
	    "[rule\n"					/* 12 */
	    "[weird x]\n"				/* 13 */
	    "key = ignored\n"				/* 14 */
	    "[rule]\n"					/* 15 */
	    "junk line\n"				/* 16 */
	    " = x\n"					/* 17 */
	    "domain = a,,b\n"				/* 18 */
	    "[outbound]\n"				/* 19 */
	    "protocol = vmess\n"			/* 20 */
	    "user = 919bb344-901c-4e35-bd94-7f358d70326e\n"	/* 21 */
	    "server = 1.2.3.4\n"			/* 22 */
	    "server = 1.2.3.4:1\n"			/* 23 */
	    "user = 919bb344-901c-4e35-bd94-7f358d70326ex\n"	/* 24 */
	    "user = 919bb344-901c-4e35-bd94-7f358d70326e, tag=1\n" /* 25 */
	    "[policy x]\n"				/* 26 */
	    "[log] extra\n"				/* 27 */
	    "[log]\n"					/* 28 */
	    "loglevel = loud\n"				/* 29 */
	    "[inbound]\n"				/* 30 */
	    "port = 5\n"				/* 31 */
	    "[outbound]\n"				/* 32 */
	    "protocol = dokodemo-door\n"		/* 33 */
	    "[bridge]\n"				/* 34 */
	    "[inbound d]\n"				/* 35 */
	    "protocol = dokodemo-door\n"		/* 36 */
	    "to = 127.0.0.1:80\n"			/* 37 */
	    "address = 127.0.0.1\n";			/* 38 */

	assert_int_equal(load(f, text), -1);
	assert_error(f, "t.ini:1: foo: key outside any section (start one "
	    "with a header such as [inbound])");
	assert_error(f, "t.ini:3: protocol: unknown protocol \"vmes\" (socks, "
	    "http, dokodemo-door, vmess)");
	assert_error(f, "t.ini:4: port: invalid port \"70000\" (N or A-B "
	    "within 1..65535)");
	assert_error(f, "t.ini:5: unknown key \"bogus\" in [inbound]");
	assert_error(f, "t.ini:9: port: given twice in [inbound b] (first on "
	    "line 8)");
	assert_error(f, "t.ini:10: client: not a setting of protocol socks");
	assert_error(f, "t.ini:11: udp: \"maybe\" is not a boolean "
	    "(true/false, yes/no, on/off, 1/0)");
	assert_error(f, "t.ini:12: section header without a closing ']'");
	assert_error(f, "t.ini:13: unknown section [weird] (log, policy, "
	    "inbound, outbound, routing, rule, bridge, portal, stats, "
	    "metrics, dns)");
	assert_error(f, "t.ini:16: expected KEY = VALUE, a [section] or a "
	    "comment, got \"junk line\"");
	assert_error(f, "t.ini:17: missing key before '='");
	assert_error(f, "t.ini:18: domain: empty item in list \"a,,b\"");
	assert_error(f, "t.ini:21: user: no server= line before it");
	assert_error(f, "t.ini:22: server: \"1.2.3.4\" is not HOST:PORT");
	assert_error(f, "t.ini:24: user: invalid UUID "
	    "\"919bb344-901c-4e35-bd94-7f358d70326ex\"");
	assert_error(f, "t.ini:25: user: unknown user option \"tag\" "
	    "(alterId, level, security, email)");
	assert_error(f, "t.ini:26: [policy x]: the level must be a number "
	    "0..4294967295");
	assert_error(f, "t.ini:27: text after the section header \"[log]\"");
	assert_error(f, "t.ini:28: duplicate [log] section (first on line "
	    "27)");
	assert_error(f, "t.ini:29: loglevel: unknown level \"loud\" (debug, "
	    "info, warning, error, none)");
	assert_error(f, "t.ini:30: [inbound]: protocol is missing");
	assert_error(f, "t.ini:33: protocol: dokodemo-door is an inbound "
	    "protocol, not an outbound one");
	assert_error(f, "t.ini:34: [bridge] needs a name, as in [bridge TAG]");
	assert_error(f, "t.ini:37: to: give either to= or address= and "
	    "destPort=, not both");
	/* Exactly these: the keys of [weird x] are not reported one by one. */
	assert_int_equal(f->d.errors.n, 24);
	/* What did parse is still there. */
	assert_int_equal(f->c.inbounds[1].port.from, 1);
	assert_int_equal(f->c.outbounds[0].nvnext, 1);
	assert_int_equal(f->c.outbounds[0].vnext[0].nusers, 2);
}

static void
test_conf_ini_value_errors(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f,
	    "[inbound]\n"				/* 1 */
	    "protocol = freedom\n"			/* 2 */
	    "[inbound]\n"				/* 3 */
	    "protocol = vmess\n"			/* 4 */
	    "network = quic\n"				/* 5 */
	    "kcp.tti = 5\n"				/* 6 */
	    "kcp.header = tls\n"			/* 7 */
	    "sniffing = http, ftp\n"			/* 8 */
	    "allocate = sometimes\n"			/* 9 */
	    "allocate.refresh = 5x\n"			/* 10 */
	    "client = 919bb344-901c-4e35-bd94-7f358d70326e, level=256\n"
	    "default.alterId = 65536\n"			/* 12 */
	    "[outbound]\n"				/* 13 */
	    "protocol = freedom\n"			/* 14 */
	    "mux = 2000\n"				/* 15 */
	    "domainStrategy = UseIPv5\n"		/* 16 */
	    "redirect = nowhere\n"			/* 17 */
	    "response = http\n"				/* 18 */
	    "[routing]\n"				/* 19 */
	    "domainStrategy = Sometimes\n"		/* 20 */
	    "[rule]\n"					/* 21 */
	    "network = icmp\n"				/* 22 */
	    "[policy 0]\n"				/* 23 */
	    "handshake = -1\n"				/* 24 */
	    "connIdle = 1e3\n"),			/* 25 */
	    -1);
	assert_error(f, "t.ini:2: protocol: freedom is an outbound protocol, "
	    "not an inbound one");
	assert_error(f, "t.ini:5: network: unknown network \"quic\" (tcp, "
	    "kcp, ws or h2)");
	assert_error(f, "t.ini:6: kcp.tti: 5 out of range 10..100");
	assert_error(f, "t.ini:7: kcp.header: unknown mKCP header type \"tls\" "
	    "(none, srtp, utp, wechat-video, dtls, wireguard)");
	assert_error(f, "t.ini:8: sniffing: unknown protocol \"ftp\" (http, "
	    "tls; or on, off)");
	assert_error(f, "t.ini:9: allocate: unknown strategy \"sometimes\" "
	    "(always or random)");
	assert_error(f, "t.ini:10: allocate.refresh: invalid duration \"5x\" "
	    "(minutes, or 20s, 3m, 1h)");
	assert_error(f, "t.ini:11: client: 256 out of range 0..255");
	assert_error(f, "t.ini:12: default.alterId: 65536 out of range "
	    "0..65535");
	assert_error(f, "t.ini:15: mux: invalid mux \"2000\" (concurrency "
	    "0..1024, or on/off)");
	assert_error(f, "t.ini:16: domainStrategy: unknown domainStrategy "
	    "\"UseIPv5\" (AsIs, UseIP, UseIPv4, UseIPv6)");
	assert_error(f, "t.ini:17: redirect: invalid redirect \"nowhere\" "
	    "(HOST:PORT or :PORT)");
	assert_error(f, "t.ini:18: response: not a setting of protocol "
	    "freedom");
	assert_error(f, "t.ini:20: domainStrategy: unknown domainStrategy "
	    "\"Sometimes\" (AsIs, IPIfNonMatch, IPOnDemand)");
	assert_error(f, "t.ini:22: network: unknown network \"icmp\" (tcp, udp "
	    "or tcp,udp)");
	assert_error(f, "t.ini:24: handshake: -1 out of range 0..2147483647");
	assert_error(f, "t.ini:25: connIdle: \"1e3\" is not an integer");
	assert_int_equal(f->d.errors.n, 17);
}

static void
test_conf_ini_long_line(void **state)
{
	struct fx	*f = *state;
	char		 text[1024], val[256];
	size_t		 n;

	/* 198 characters fit: "domain = " plus 189. */
	memset(val, 'a', 189);
	val[189] = '\0';
	snprintf(text, sizeof(text), "[rule]\ndomain = %s\n", val);
	load_ok(f, text);
	n = strlen(f->c.rules[0].domain.v[0]);
	assert_int_equal(n, 189);
	conf_cleanup(&f->c);
	conf_init(&f->c);

	/* One more is refused whole, not cut, and the next line still reads. */
	memset(val, 'a', 190);
	val[190] = '\0';
	snprintf(text, sizeof(text), "[rule]\n; x\ndomain = %s\n"
	    "domain = b.com\nbogus = 1\n", val);
	assert_int_equal(load(f, text), -1);
	assert_error(f, "t.ini:3: line too long (199 characters, at most "
	    "198): split the list over repeated keys");
	assert_error(f, "t.ini:5: unknown key \"bogus\" in [rule]");
	assert_int_equal(f->d.errors.n, 2);
	assert_int_equal(f->c.rules[0].domain.n, 1);
	assert_string_equal(f->c.rules[0].domain.v[0], "b.com");
}

static void
test_conf_ini_nul_byte(void **state)
{
	struct fx		*f = *state;
	static const char	 text[] =
	    "[rule]\ndomain = a\0b\nip = 1.2.3.4\n";

	assert_int_equal(conf_load_ini_buf("t.ini", text, sizeof(text) - 1,
	    &f->c, &f->d), -1);
	assert_error(f, "t.ini:2: NUL byte in the line");
	assert_int_equal(f->d.errors.n, 1);
	assert_int_equal(f->c.rules[0].domain.n, 0);
	assert_int_equal(f->c.rules[0].ip.n, 1);
}

/* JSON dump of a JSON text, or NULL when the JSON front end refused it. */
static char *
json_dump_of(const char *name, const char *buf, size_t len)
{
	struct conf		c;
	struct conf_diag	d;
	char			*s = NULL;

	conf_init(&c);
	conf_diag_init(&d);
	if (conf_load_json_buf(name, buf, len, &c, &d) == 0)
		s = dump_string(&c, true);
	conf_cleanup(&c);
	conf_diag_cleanup(&d);
	return s;
}

/*
 * JSON -> INI dump -> INI load -> JSON dump equals the first JSON dump.
 * False when the JSON front end refuses the text: nothing to compare.
 */
static bool
round_trip_buf(const char *name, const char *buf, size_t len)
{
	struct conf		c1, c2;
	struct conf_diag	d1, d2;
	char			*j1, *ini, *j2;

	conf_init(&c1);
	conf_diag_init(&d1);
	if (conf_load_json_buf(name, buf, len, &c1, &d1) != 0) {
		conf_cleanup(&c1);
		conf_diag_cleanup(&d1);
		return false;
	}
	j1 = dump_string(&c1, true);
	ini = dump_string(&c1, false);
	conf_init(&c2);
	conf_diag_init(&d2);
	if (conf_load_ini_buf("dump.ini", ini, strlen(ini), &c2, &d2) != 0) {
		fprintf(stderr, "%s: INI dump does not load:\n%s\n", name, ini);
		conf_diag_print(&d2, stderr);
		fail();
	}
	assert_int_equal(d2.warnings.n, 0);
	j2 = dump_string(&c2, true);
	if (strcmp(j1, j2) != 0) {
		fprintf(stderr, "%s: dumps differ\n--- json\n%s--- ini\n%s"
		    "--- json again\n%s", name, j1, ini, j2);
		fail();
	}
	free(j1);
	free(j2);
	free(ini);
	conf_cleanup(&c1);
	conf_cleanup(&c2);
	conf_diag_cleanup(&d1);
	conf_diag_cleanup(&d2);
	return true;
}

static bool
round_trip(const char *path)
{
	char	*buf;
	size_t	 len;
	bool	 ok;

	buf = read_file(path, &len);
	assert_non_null(buf);
	ok = round_trip_buf(path, buf, len);
	/*
	 * Only the two verbatim seeds with placeholder UUIDs and the typo
	 * are refused; every other file must make the round trip.
	 */
	if (strstr(path, "seed000-server.json") == NULL &&
	    strstr(path, "seed002-bridge-typo.json") == NULL) {
		if (!ok)
			fprintf(stderr, "round trip failed: %s\n", path);
		assert_true(ok);
	} else
		assert_false(ok);
	free(buf);
	return ok;
}

/*
 * What only JSON can hold must be dropped alike by both dumps: settings
 * the effective configuration ignores, empty optional strings.
 */
static void
test_conf_ini_round_trip_edges(void **state)
{
	static const char *const cases[] = {
		"{\"inbounds\": [{\"tag\": \"\", \"protocol\": \"socks\", "
		"\"port\": 1, \"listen\": \"\", \"sniffing\": {\"enabled\": "
		"false, \"destOverride\": [\"http\"]}, \"streamSettings\": "
		"{\"network\": \"tcp\", \"kcpSettings\": {\"mtu\": 1000}}, "
		"\"settings\": {\"auth\": \"password\", \"ip\": \"\", "
		"\"udp\": true, \"accounts\": [{\"user\": \"u\", \"pass\": "
		"\"p:q\"}]}}], \"outbounds\": [{\"protocol\": \"freedom\", "
		"\"mux\": {\"enabled\": false, \"concurrency\": 4}, "
		"\"settings\": {\"redirect\": \"\", \"domainStrategy\": "
		"\"UseIP\"}}]}",

		"{\"transport\": {\"kcpSettings\": {\"mtu\": 1200, \"seed\": "
		"\"s\", \"header\": {\"type\": \"utp\"}, \"congestion\": "
		"true}}, \"inbounds\": [{\"protocol\": \"vmess\", \"port\": "
		"\"5-99\", \"streamSettings\": {\"network\": \"kcp\"}, "
		"\"settings\": {\"default\": {\"level\": 2}, \"clients\": "
		"[{\"id\": \"919bb344-901c-4e35-bd94-7f358d70326e\", "
		"\"email\": \"e,f\", \"alterId\": 4}]}, \"allocate\": "
		"{\"strategy\": \"random\", \"refresh\": \"20s\", "
		"\"concurrency\": 1}}], "
		"\"outbounds\": [{\"protocol\": \"vmess\", \"settings\": "
		"{\"vnext\": [{\"address\": \"::1\", \"port\": 1, \"users\": "
		"[{\"id\": \"7e8ca652-8ccf-4ba3-8251-907823eaeb02\", "
		"\"security\": \"zero\", \"level\": 3}]}]}, \"mux\": "
		"{\"enabled\": true}, \"streamSettings\": {\"network\": "
		"\"kcp\", \"kcpSettings\": {\"seed\": \"\"}}}], \"routing\": "
		"{\"domainStrategy\": \"IPOnDemand\", \"rules\": [{\"type\": "
		"\"field\", \"port\": 53, \"sourcePort\": \"1-2,5\", "
		"\"network\": \"tcp,udp\", \"source\": [\"1.2.3.4\"], "
		"\"user\": [\"a\"], \"protocol\": [\"http\"], "
		"\"balancerTag\": \"b\"}]}, \"policy\": {\"levels\": {\"3\": "
		"{\"bufferSize\": -7}, \"0\": {\"connIdle\": 5}}}, \"log\": "
		"{\"loglevel\": \"none\"}}",

		"{\"log\": {\"access\": \"none\", \"error\": \"/tmp/x.log\", "
		"\"loglevel\": \"info\"}, \"inbounds\": [{\"protocol\": "
		"\"dokodemo-door\", \"port\": 2, \"tag\": \"d\", \"settings\": "
		"{\"network\": \"udp\", \"followRedirect\": true, \"port\": "
		"0}}], \"outbounds\": [{\"protocol\": \"blackhole\", "
		"\"sendThrough\": \"\", \"settings\": {\"response\": "
		"{\"type\": \"http\"}}}], \"reverse\": {\"portals\": "
		"[{\"tag\": \"p\", \"domain\": \"x.test\"}]}}",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_true(round_trip_buf("edge.json", cases[i],
		    strlen(cases[i])));
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.json names in dir, minus the verbatim and deliberately bad. */
static size_t
list_json(const char *dir, char ***out)
{
	DIR		*dp;
	struct dirent	*de;
	char		**v = NULL;
	size_t		 n = 0, len;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0 ||
		    strstr(de->d_name, "verbatim") != NULL ||
		    strstr(de->d_name, "bad") != NULL)
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		if (asprintf(&v[n], "%s/%s", dir, de->d_name) == -1)
			fail();
		n++;
	}
	closedir(dp);
	if (n > 0)
		qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	return n;
}

static void
test_conf_ini_round_trip_files(void **state)
{
	static const char *const dirs[] = { SRCDIR "/conf",
	    SRCDIR "/conf/seeds" };
	char		**v = NULL;
	size_t		  i, n, d, done = 0;

	(void)state;
	for (d = 0; d < 2; d++) {
		n = list_json(dirs[d], &v);
		for (i = 0; i < n; i++) {
			if (round_trip(v[i]))
				done++;
			free(v[i]);
		}
		free(v);
	}
	/* The four examples at least, and whatever seeds load. */
	assert_true(done >= 4);
}

/* Each conf/NAME.ini and conf/NAME.json describe the same configuration. */
static void
test_conf_ini_example_twins(void **state)
{
	static const char *const names[] = { "vserver", "vclient", "vportal",
	    "vbridge" };
	struct conf		c;
	struct conf_diag	d;
	char			path[512], *buf, *ja, *jb;
	size_t			i, len;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), SRCDIR "/conf/%s.json", names[i]);
		buf = read_file(path, &len);
		assert_non_null(buf);
		ja = json_dump_of(path, buf, len);
		assert_non_null(ja);
		free(buf);

		/* The INI twin loads through conf_load(), checks included. */
		snprintf(path, sizeof(path), SRCDIR "/conf/%s.ini", names[i]);
		conf_init(&c);
		conf_diag_init(&d);
		if (conf_load(path, CONF_FMT_AUTO, &c, &d) != 0) {
			conf_diag_print(&d, stderr);
			fail();
		}
		assert_int_equal(d.warnings.n, 0);
		jb = dump_string(&c, true);
		if (strcmp(ja, jb) != 0) {
			fprintf(stderr, "%s differs from its JSON twin:\n%s\n"
			    "---\n%s", path, ja, jb);
			fail();
		}
		free(ja);
		free(jb);
		conf_cleanup(&c);
		conf_diag_cleanup(&d);
	}
}

/* Long lists wrap by repeating the key, and load back unchanged. */
static void
test_conf_ini_dump_wraps(void **state)
{
	struct fx		*f = *state;
	struct conf		 c2;
	struct conf_diag	 d2;
	struct conf_rule	*r;
	char			*ini, *line, *save, item[64], ports[1024];
	size_t			 i, nlines = 0;

	(void)f;
	conf_init(&c2);
	conf_diag_init(&d2);
	r = conf_add_rule(&f->c);
	ports[0] = '\0';
	for (i = 0; i < 60; i++) {
		snprintf(item, sizeof(item), "domain:host-%02zu.example.com",
		    i);
		conf_strv_push(&r->domain, item);
		snprintf(item, sizeof(item), "%s%zu", i > 0 ? "," : "",
		    10000 + i);
		strcat(ports, item);
	}
	r->port = strdup(ports);
	r->outbound_tag = strdup("x");
	ini = dump_string(&f->c, false);
	assert_int_equal(conf_load_ini_buf("w.ini", ini, strlen(ini), &c2,
	    &d2), 0);
	assert_int_equal(c2.nrules, 1);
	assert_int_equal(c2.rules[0].domain.n, 60);
	for (i = 0; i < 60; i++)
		assert_string_equal(c2.rules[0].domain.v[i], r->domain.v[i]);
	assert_string_equal(c2.rules[0].port, ports);
	for (line = strtok_r(ini, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 100);
		if (strncmp(line, "domain = ", 9) == 0)
			nlines++;
	}
	assert_true(nlines >= 10);
	free(ini);
	conf_cleanup(&c2);
	conf_diag_cleanup(&d2);
}

/* Spot checks of the canonical JSON: defaults and the refresh rule. */
static void
test_conf_ini_dump_json_defaults(void **state)
{
	struct fx	*f = *state;
	char		*j, *ini;

	load_ok(f,
	    "[inbound a]\nprotocol = vmess\nport = 1000-1099\n"
	    "network = kcp\nallocate = random\nallocate.refresh = 90s\n"
	    "[inbound b]\nprotocol = vmess\nport = 2000-2099\n"
	    "allocate = random\nallocate.refresh = 2\nsniffing = on\n"
	    "[outbound]\nprotocol = vmess\nmux = 2\n"
	    "server = 127.0.0.1:1\n"
	    "user = 919bb344-901c-4e35-bd94-7f358d70326e\n");
	j = dump_string(&f->c, true);
	assert_non_null(strstr(j, "\"refresh\": \"90s\""));
	assert_non_null(strstr(j, "\"refresh\": 2,"));
	assert_non_null(strstr(j, "\"listen\": \"0.0.0.0\""));
	assert_non_null(strstr(j, "\"security\": \"auto\""));
	assert_non_null(strstr(j, "\"concurrency\": 2\n"));
	assert_non_null(strstr(j, "\"mtu\": 1350"));
	assert_non_null(strstr(j, "\"header\": {\n"));
	assert_non_null(strstr(j, "\"destOverride\": [\n"));
	assert_non_null(strstr(j, "\"bufferSize\": 512"));
	/* kcpSettings only for the kcp inbound. */
	assert_ptr_equal(strstr(strstr(j, "kcpSettings") + 1, "kcpSettings"),
	    NULL);
	ini = dump_string(&f->c, false);
	assert_non_null(strstr(ini, "allocate.refresh = 90s\n"));
	assert_non_null(strstr(ini, "allocate.refresh = 2\n"));
	assert_non_null(strstr(ini, "sniffing = on\n"));
	assert_non_null(strstr(ini, "mux = 2\n"));
	free(j);
	free(ini);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conf_ini_log,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_policy_watermark,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_policy,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_socks,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_sniffing,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_dokodemo,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_vmess_in,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_kcp,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_outbounds,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_rules,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_syntax,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_errors,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_value_errors,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_long_line,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conf_ini_nul_byte,
		    fx_setup, fx_teardown),
		cmocka_unit_test(test_conf_ini_round_trip_edges),
		cmocka_unit_test(test_conf_ini_round_trip_files),
		cmocka_unit_test(test_conf_ini_example_twins),
		cmocka_unit_test_setup_teardown(test_conf_ini_dump_wraps,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_conf_ini_dump_json_defaults, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
