/* SPDX-License-Identifier: MIT */
/*
 * test_conf_json.c: the V2Ray JSON front end, the shared parsers and the
 * semantic checks, against the seed configs and one case per diagnostic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif
#define SEED(f)	SRCDIR "/conf/seeds/" f

#include "conf_fx.h"

/* What conf_load() does after reading: parse, then check. */
static int
load(struct fx *f, const char *json)
{
	int	rv;

	rv = conf_load_json_buf("config.json", json, strlen(json), &f->c,
	    &f->d);
	if (conf_check(&f->c, &f->d) == -1)
		rv = -1;
	return rv;
}

static void
dump_diag(const struct fx *f)
{
	conf_diag_print(&f->d, stderr);
}

static bool
has_warn(const struct conf_diag *d, const char *needle)
{
	size_t	i;

	for (i = 0; i < d->warnings.n; i++)
		if (strstr(d->warnings.v[i], needle) != NULL)
			return true;
	return false;
}

static void
expect_err(struct fx *f, const char *json, const char *needle)
{
	int	rv = load(f, json);

	if (!conf_diag_has(&f->d, needle)) {
		fprintf(stderr, "wanted error containing: %s\n", needle);
		dump_diag(f);
	}
	assert_int_equal(rv, -1);
	assert_true(conf_diag_has(&f->d, needle));
}

static void
expect_ok(struct fx *f, const char *json)
{
	int	rv = load(f, json);

	if (rv != 0)
		dump_diag(f);
	assert_int_equal(rv, 0);
	assert_int_equal(f->d.errors.n, 0);
}

static int
load_file(struct fx *f, const char *path)
{
	int	rv = conf_load(path, CONF_FMT_AUTO, &f->c, &f->d);

	if (rv != 0)
		dump_diag(f);
	return rv;
}

#define OUT_FREEDOM	"\"outbounds\":[{\"protocol\":\"freedom\"}]"
#define UUID1		"d17a1af7-efa5-42ca-b7e9-6a35282d737f"

/* Seeds */

static void
test_conf_json_seeds_load(void **state)
{
	static const char *const files[] = {
		SEED("seed000-server-uuid.json"), SEED("seed001-server.json"),
		SEED("seed001-client.json"), SEED("seed001-kcp-server.json"),
		SEED("seed001-kcp-client.json"), SEED("seed002-bridge.json"),
		SEED("seed002-portal.json"),
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct conf		c;
		struct conf_diag	d;

		conf_init(&c);
		conf_diag_init(&d);
		if (conf_load(files[i], CONF_FMT_AUTO, &c, &d) != 0) {
			fprintf(stderr, "%s:\n", files[i]);
			conf_diag_print(&d, stderr);
		}
		assert_int_equal(d.errors.n, 0);
		assert_int_equal(d.warnings.n, 0);
		conf_cleanup(&c);
		conf_diag_cleanup(&d);
	}
}

static void
test_conf_json_seed000_values(void **state)
{
	struct fx		*f = *state;
	struct conf		*c = &f->c;
	struct conf_inbound	*in;

	assert_int_equal(load_file(f, SEED("seed000-server-uuid.json")), 0);
	assert_string_equal(c->path, SEED("seed000-server-uuid.json"));
	assert_int_equal(c->log.access_dest, CONF_LOGDEST_FILE);
	assert_string_equal(c->log.access_path, "/var/log/v2ray/access.log");
	assert_int_equal(c->log.error_dest, CONF_LOGDEST_FILE);
	assert_string_equal(c->log.error_path, "/var/log/v2ray/error.log");
	assert_int_equal(c->log.level, CONF_LOG_WARNING);

	/* Legacy `inbound` first, then inboundDetour. */
	assert_int_equal(c->ninbounds, 2);
	in = &c->inbounds[0];
	assert_int_equal(in->proto, CONF_PROTO_VMESS);
	assert_null(in->tag);
	assert_int_equal(in->port.from, 12345);
	assert_int_equal(in->port.to, 12345);
	assert_int_equal(in->nclients, 2);
	assert_string_equal(in->clients[0].id,
	    "8f3d5b2e-6c1a-4e9b-9d47-2a6b0c1e5f38");
	assert_int_equal(in->clients[0].uuid[0], 0x8f);
	assert_int_equal(in->clients[0].uuid[15], 0x38);
	assert_int_equal(in->clients[0].level, 1);
	assert_int_equal(in->clients[0].alter_id, 64);
	assert_int_equal(in->clients[1].level, 0);
	assert_int_equal(in->clients[1].alter_id, 32);
	assert_string_equal(in->detour_to, "dynamic_port");
	assert_false(in->allocate.present);

	in = &c->inbounds[1];
	assert_int_equal(in->proto, CONF_PROTO_VMESS);
	assert_string_equal(in->tag, "dynamic_port");
	assert_int_equal(in->port.from, 30001);
	assert_int_equal(in->port.to, 30100);
	assert_int_equal(in->nclients, 0);
	assert_true(in->allocate.present);
	assert_int_equal(in->allocate.strategy, CONF_ALLOC_RANDOM);
	assert_int_equal(in->allocate.concurrency, 2);
	assert_int_equal(in->allocate.refresh_sec, 300);
	assert_ptr_equal(conf_find_inbound(c, "dynamic_port"), in);

	/* Legacy `outbound` is the default; outboundDetour follows. */
	assert_int_equal(c->noutbounds, 2);
	assert_int_equal(c->outbounds[0].proto, CONF_PROTO_FREEDOM);
	assert_null(c->outbounds[0].tag);
	assert_int_equal(c->outbounds[1].proto, CONF_PROTO_BLACKHOLE);
	assert_string_equal(c->outbounds[1].tag, "blocked");
	assert_false(c->outbounds[1].bh_http);
	assert_ptr_equal(conf_find_outbound(c, "blocked"), &c->outbounds[1]);
	assert_null(conf_find_outbound(c, "nope"));

	/* routing.settings.rules, legacy form. */
	assert_int_equal(c->nrules, 1);
	assert_int_equal(c->rules[0].ip.n, 15);
	assert_string_equal(c->rules[0].ip.v[0], "0.0.0.0/8");
	assert_string_equal(c->rules[0].ip.v[14], "fe80::/10");
	assert_string_equal(c->rules[0].outbound_tag, "blocked");
	assert_int_equal(c->route_strategy, CONF_RS_ASIS);
}

static void
test_conf_json_seed000_placeholder_uuid(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(conf_load(SEED("seed000-server.json"), CONF_FMT_AUTO,
	    &f->c, &f->d), -1);
	assert_int_equal(f->d.errors.n, 2);
	assert_string_equal(f->d.errors.v[0],
	    SEED("seed000-server.json") ": inbound.settings.clients[0].id: "
	    "invalid UUID \"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\"");
	assert_string_equal(f->d.errors.v[1],
	    SEED("seed000-server.json") ": inbound.settings.clients[1].id: "
	    "invalid UUID \"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy\"");
}

static void
test_conf_json_seed001_values(void **state)
{
	struct fx		*f = *state;
	struct conf		*c = &f->c;
	struct conf_inbound	*in;
	struct conf_outbound	*out;
	struct conf		 c2;
	struct conf_diag	 d2;

	assert_int_equal(load_file(f, SEED("seed001-server.json")), 0);
	assert_int_equal(c->ninbounds, 2);
	in = &c->inbounds[0];
	assert_int_equal(in->port.from, 37192);
	assert_string_equal(in->clients[0].id, UUID1);
	assert_int_equal(in->clients[0].alter_id, 64);
	assert_string_equal(in->detour_to, "dynamicPort");
	in = &c->inbounds[1];
	assert_string_equal(in->tag, "dynamicPort");
	assert_int_equal(in->port.from, 10000);
	assert_int_equal(in->port.to, 20000);
	assert_true(in->has_default);
	assert_int_equal(in->default_alter_id, 64);
	assert_int_equal(in->allocate.refresh_sec, 180);
	assert_int_equal(in->allocate.concurrency, 2);
	assert_int_equal(in->stream.network, CONF_NET_TCP);
	assert_int_equal(c->outbounds[0].proto, CONF_PROTO_FREEDOM);
	/* No `log` key: access off, errors to the console at warning. */
	assert_int_equal(c->log.access_dest, CONF_LOGDEST_OFF);
	assert_int_equal(c->log.error_dest, CONF_LOGDEST_CONSOLE);
	assert_int_equal(c->log.level, CONF_LOG_WARNING);

	conf_init(&c2);
	conf_diag_init(&d2);
	assert_int_equal(conf_load(SEED("seed001-client.json"), CONF_FMT_AUTO,
	    &c2, &d2), 0);
	in = &c2.inbounds[0];
	assert_int_equal(in->proto, CONF_PROTO_SOCKS);
	assert_int_equal(in->port.from, 1080);
	assert_false(in->socks_password);
	assert_true(in->sniff_enabled);
	assert_true(in->sniff_http);
	assert_true(in->sniff_tls);
	out = &c2.outbounds[0];
	assert_int_equal(out->proto, CONF_PROTO_VMESS);
	assert_int_equal(out->nvnext, 1);
	assert_string_equal(out->vnext[0].address, "1.2.3.4");
	assert_int_equal(out->vnext[0].port, 37192);
	assert_int_equal(out->vnext[0].nusers, 1);
	assert_string_equal(out->vnext[0].users[0].id, UUID1);
	assert_int_equal(out->vnext[0].users[0].alter_id, 64);
	assert_int_equal(out->vnext[0].users[0].security, CONF_SEC_AUTO);
	assert_false(out->mux_enabled);
	assert_int_equal(out->mux_concurrency, 8);
	conf_cleanup(&c2);
	conf_diag_cleanup(&d2);
}

static void
test_conf_json_seed001_kcp(void **state)
{
	struct fx		*f = *state;
	struct conf		*c = &f->c;
	struct conf_kcp		*k;

	assert_int_equal(load_file(f, SEED("seed001-kcp-server.json")), 0);
	assert_int_equal(c->inbounds[0].stream.network, CONF_NET_KCP);
	assert_int_equal(c->inbounds[0].clients[0].level, 1);
	assert_int_equal(c->inbounds[1].stream.network, CONF_NET_KCP);
	assert_int_equal(c->inbounds[1].default_level, 1);
	assert_int_equal(c->inbounds[1].default_alter_id, 32);
	assert_int_equal(c->outbounds[0].stream.network, CONF_NET_TCP);
	k = &c->inbounds[0].stream.kcp;
	assert_int_equal(k->mtu, 1350);
	assert_int_equal(k->tti, 50);
	assert_int_equal(k->uplink_capacity, 5);
	assert_int_equal(k->downlink_capacity, 20);
	assert_false(k->congestion);
	assert_int_equal(k->read_buffer_size, 2);
	assert_int_equal(k->write_buffer_size, 2);
	assert_string_equal(k->header_type, "none");
	assert_null(k->seed);
}

static void
test_conf_json_seed002_bridge_portal(void **state)
{
	struct fx		*f = *state;
	struct conf		*c = &f->c;
	struct conf		 p;
	struct conf_diag	 d;

	assert_int_equal(load_file(f, SEED("seed002-bridge.json")), 0);
	assert_int_equal(c->ninbounds, 0);
	assert_int_equal(c->nbridges, 1);
	assert_string_equal(c->bridges[0].tag, "bridge");
	assert_string_equal(c->bridges[0].domain, "test.v2ray.com");
	assert_int_equal(c->noutbounds, 2);
	assert_string_equal(c->outbounds[0].tag, "out");	/* default */
	assert_int_equal(c->outbounds[0].proto, CONF_PROTO_FREEDOM);
	assert_string_equal(c->outbounds[0].redirect, "127.0.0.1:80");
	assert_string_equal(c->outbounds[1].tag, "interconn");
	assert_int_equal(c->outbounds[1].vnext[0].port, 1024);
	assert_string_equal(c->outbounds[1].vnext[0].users[0].id,
	    "27848739-7e62-4138-9fd3-098a63964b6b");
	assert_int_equal(c->nrules, 2);
	assert_string_equal(c->rules[0].inbound_tag.v[0], "bridge");
	assert_string_equal(c->rules[0].domain.v[0], "full:test.v2ray.com");
	assert_string_equal(c->rules[0].outbound_tag, "interconn");
	assert_string_equal(c->rules[1].outbound_tag, "out");

	conf_init(&p);
	conf_diag_init(&d);
	assert_int_equal(conf_load(SEED("seed002-portal.json"), CONF_FMT_AUTO,
	    &p, &d), 0);
	assert_int_equal(p.nportals, 1);
	assert_string_equal(p.portals[0].tag, "portal");
	assert_int_equal(p.noutbounds, 0);
	assert_int_equal(p.ninbounds, 2);
	assert_string_equal(p.inbounds[0].tag, "external");
	assert_int_equal(p.inbounds[0].proto, CONF_PROTO_DOKODEMO);
	assert_int_equal(p.inbounds[0].port.from, 80);
	assert_string_equal(p.inbounds[0].dk_address, "127.0.0.1");
	assert_int_equal(p.inbounds[0].dk_port, 80);
	assert_int_equal(p.inbounds[0].dk_network, CONF_NETBIT_TCP);
	assert_int_equal(p.inbounds[1].proto, CONF_PROTO_VMESS);
	/* A portal acts as an outbound for routing. */
	assert_string_equal(p.rules[0].outbound_tag, "portal");
	assert_string_equal(p.rules[1].inbound_tag.v[0], "interconn");
	conf_cleanup(&p);
	conf_diag_cleanup(&d);
}

static void
test_conf_json_seed002_typo_position(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(conf_load(SEED("seed002-bridge-typo.json"),
	    CONF_FMT_AUTO, &f->c, &f->d), -1);
	assert_int_equal(f->d.errors.n, 1);
	/* Line 14 is `  "protocol": "freedom",` right after "tag": "out". */
	assert_string_equal(f->d.errors.v[0],
	    SEED("seed002-bridge-typo.json") ":14:3: object value "
	    "separator ',' expected");
}

/* Files */

static char *
tmpfile_with(const void *data, size_t len, const char *suffix)
{
	char	*path;
	int	 fd;

	if (asprintf(&path, "/tmp/test_conf_json_XXXXXX%s", suffix) == -1)
		return NULL;
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void
test_conf_json_missing_file(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(conf_load("/nonexistent/vtools.json", CONF_FMT_AUTO,
	    &f->c, &f->d), -1);
	assert_string_equal(f->d.errors.v[0], "/nonexistent/vtools.json: "
	    "cannot open: No such file or directory");
}

static void
test_conf_json_empty_file(void **state)
{
	struct fx	*f = *state;
	char		*p = tmpfile_with(" \n\t\n", 4, ".json");
	char		 want[256];

	assert_int_equal(conf_load(p, CONF_FMT_AUTO, &f->c, &f->d), -1);
	snprintf(want, sizeof(want), "%s: empty file", p);
	assert_int_equal(f->d.errors.n, 1);
	assert_true(strncmp(f->d.errors.v[0], want, strlen(want)) == 0);
	unlink(p);
	free(p);
	/* The same through the buffer entry point. */
	conf_diag_cleanup(&f->d);
	assert_int_equal(conf_load_json_buf("x.json", "", 0, &f->c, &f->d),
	    -1);
	assert_string_equal(f->d.errors.v[0], "x.json: empty, no JSON "
	    "object in it");
}

static void
test_conf_json_binary_garbage(void **state)
{
	struct fx	*f = *state;
	unsigned char	 junk[512];
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	p = tmpfile_with(junk, sizeof(junk), ".json");
	assert_int_equal(conf_load(p, CONF_FMT_AUTO, &f->c, &f->d), -1);
	assert_int_equal(f->d.errors.n, 1);
	assert_non_null(strstr(f->d.errors.v[0], "binary data"));
	unlink(p);
	free(p);
	/* Through the buffer API: NUL byte named with its position. */
	conf_diag_cleanup(&f->d);
	assert_int_equal(conf_load_json_buf("b.json", "{\n \0}", 5, &f->c,
	    &f->d), -1);
	assert_string_equal(f->d.errors.v[0], "b.json:2:2: NUL byte, not a "
	    "text file");
	/* Endless input stops at the size cap; a directory is named. */
	conf_diag_cleanup(&f->d);
	assert_int_equal(conf_load("/dev/zero", CONF_FMT_JSON, &f->c, &f->d),
	    -1);
	assert_string_equal(f->d.errors.v[0], "/dev/zero: larger than 16 MiB, "
	    "not a configuration file");
	conf_diag_cleanup(&f->d);
	assert_int_equal(conf_load("/tmp", CONF_FMT_JSON, &f->c, &f->d), -1);
	assert_string_equal(f->d.errors.v[0], "/tmp: is a directory, not a "
	    "configuration file");
}

static void
test_conf_json_bom(void **state)
{
	struct fx	*f = *state;

	expect_ok(f, "\xef\xbb\xbf{\"inbounds\":[{\"port\":1,\"protocol\":"
	    "\"socks\"}]," OUT_FREEDOM "}");
	assert_int_equal(f->c.ninbounds, 1);
}

static void
test_conf_json_format_by_extension(void **state)
{
	struct fx	*f = *state;
	const char	*js = "{\"inbounds\":[{\"port\":1,\"protocol\":"
	    "\"socks\"}]," OUT_FREEDOM "}";
	char		*p = tmpfile_with(js, strlen(js), ".conf-noext");

	/* No known extension: sniffed from the leading '{'. */
	assert_int_equal(conf_load(p, CONF_FMT_AUTO, &f->c, &f->d), 0);
	assert_int_equal(f->c.ninbounds, 1);
	unlink(p);
	free(p);
}

/* Syntax */

static void
test_conf_json_comments(void **state)
{
	struct fx	*f = *state;

	expect_ok(f,
	    "# hash comment at the top\n"
	    "{ // line comment\n"
	    "  /* block\n     comment */ \"inbounds\": [{\n"
	    "    \"port\": 1080, # trailing hash\n"
	    "    \"protocol\": \"socks\",\n"
	    "    \"tag\": \"a#b//c/*d*/\"\n"
	    "  }],\n" OUT_FREEDOM "\n}\n");
	assert_string_equal(f->c.inbounds[0].tag, "a#b//c/*d*/");
	assert_int_equal(f->c.inbounds[0].port.from, 1080);
}

static void
test_conf_json_syntax_positions(void **state)
{
	struct fx	*f = *state;

	/* A comment before the error must not shift the column. */
	assert_int_equal(load(f, "{\n  # note\n  \"log\": {},,\n}"), -1);
	assert_string_equal(f->d.errors.v[0],
	    "config.json:3:13: quoted object property name expected");
	conf_diag_cleanup(&f->d);
	assert_int_equal(load(f, "{\n  \"log\": {}\n  /* open"), -1);
	assert_string_equal(f->d.errors.v[0],
	    "config.json:3:3: unterminated /* comment");
	conf_diag_cleanup(&f->d);
	assert_int_equal(load(f, "{\"log\": {\n"), -1);
	assert_string_equal(f->d.errors.v[0],
	    "config.json:2:1: unexpected end of file");
	conf_diag_cleanup(&f->d);
	assert_int_equal(load(f, "{} {}"), -1);
	assert_string_equal(f->d.errors.v[0],
	    "config.json:1:4: unexpected text after the top-level object");
	conf_diag_cleanup(&f->d);
	assert_int_equal(load(f, "[1, 2]"), -1);
	assert_string_equal(f->d.errors.v[0],
	    "config.json: the top level must be a JSON object, not an array");
}

static void
test_conf_json_case_insensitive_keys(void **state)
{
	struct fx	*f = *state;

	expect_ok(f, "{\"INBOUNDS\":[{\"PORT\":\"1080\",\"Protocol\":\"SOCKS\","
	    "\"Settings\":{\"AUTH\":\"Password\",\"ACCOUNTS\":[{\"User\":\"u\","
	    "\"PASS\":\"p\"}],\"udp\":true,\"IP\":\"127.0.0.1\"}}],"
	    "\"OutBounds\":[{\"PROTOCOL\":\"Freedom\",\"SETTINGS\":"
	    "{\"DomainStrategy\":\"USE_IP_V4\"}}]}");
	assert_int_equal(f->c.ninbounds, 1);
	assert_int_equal(f->c.inbounds[0].proto, CONF_PROTO_SOCKS);
	assert_int_equal(f->c.inbounds[0].port.from, 1080);
	assert_true(f->c.inbounds[0].socks_password);
	assert_int_equal(f->c.inbounds[0].naccounts, 1);
	assert_string_equal(f->c.inbounds[0].accounts[0].user, "u");
	assert_string_equal(f->c.inbounds[0].accounts[0].pass, "p");
	assert_true(f->c.inbounds[0].socks_udp);
	assert_string_equal(f->c.inbounds[0].socks_ip, "127.0.0.1");
	assert_int_equal(f->c.outbounds[0].domain_strategy, CONF_DS_USEIPV4);
	assert_int_equal(f->d.warnings.n, 0);
}

static void
test_conf_json_unknown_key_warning(void **state)
{
	struct fx	*f = *state;

	expect_ok(f, "{\"inbounds\":[{\"port\":1080,\"protocol\":\"socks\","
	    "\"settingz\":{}}]," OUT_FREEDOM ",\"foo\":1}");
	assert_true(has_warn(&f->d,
	    "config.json: inbounds[0].settingz: unknown key, ignored"));
	assert_true(has_warn(&f->d, "config.json: foo: unknown key, ignored"));
	assert_int_equal(f->d.warnings.n, 2);
}

static void
test_conf_json_legacy_merge_order(void **state)
{
	struct fx	*f = *state;
	struct conf	*c = &f->c;

	/* Keys deliberately in the "wrong" order in the file. */
	expect_ok(f, "{\"inbounds\":[{\"tag\":\"plural\",\"port\":3,"
	    "\"protocol\":\"socks\"}],"
	    "\"inboundDetour\":[{\"tag\":\"detour\",\"port\":2,"
	    "\"protocol\":\"socks\"}],"
	    "\"port\":1,"
	    "\"inbound\":{\"tag\":\"single\",\"protocol\":\"socks\"},"
	    "\"outbounds\":[{\"tag\":\"o3\",\"protocol\":\"blackhole\"}],"
	    "\"outboundDetour\":[{\"tag\":\"o2\",\"protocol\":\"blackhole\"}],"
	    "\"outbound\":{\"tag\":\"o1\",\"protocol\":\"freedom\"}}");
	assert_int_equal(c->ninbounds, 3);
	assert_string_equal(c->inbounds[0].tag, "single");
	assert_string_equal(c->inbounds[1].tag, "detour");
	assert_string_equal(c->inbounds[2].tag, "plural");
	/* Legacy top-level port fills the first inbound's missing port. */
	assert_int_equal(c->inbounds[0].port.from, 1);
	assert_int_equal(c->inbounds[1].port.from, 2);
	assert_int_equal(c->noutbounds, 3);
	assert_string_equal(c->outbounds[0].tag, "o1");	/* default */
	assert_string_equal(c->outbounds[1].tag, "o2");
	assert_string_equal(c->outbounds[2].tag, "o3");
}

static void
test_conf_json_routing_merge(void **state)
{
	struct fx	*f = *state;
	struct conf	*c = &f->c;

	expect_ok(f, "{\"inbounds\":[{\"tag\":\"in\",\"port\":1,\"protocol\":"
	    "\"socks\"}],\"outbounds\":[{\"tag\":\"a\",\"protocol\":"
	    "\"freedom\"},{\"tag\":\"b\",\"protocol\":\"blackhole\"}],"
	    "\"routing\":{\"settings\":{\"domainStrategy\":\"IPOnDemand\","
	    "\"rules\":[{\"type\":\"field\",\"port\":53,\"outboundTag\":"
	    "\"b\"}]},\"domainStrategy\":\"ip_if_non_match\",\"rules\":[{"
	    "\"type\":\"Field\",\"domain\":\"full:x.com,keyword:y\","
	    "\"domains\":[\"z\"],\"network\":[\"tcp\",\"udp\"],"
	    "\"inboundTag\":\"in\",\"sourcePort\":\"1000-2000\","
	    "\"outboundTag\":\"a\"}]}}");
	assert_int_equal(c->nrules, 2);
	assert_int_equal(c->route_strategy, CONF_RS_IPIFNONMATCH);
	assert_int_equal(c->rules[0].domain.n, 3);
	assert_string_equal(c->rules[0].domain.v[0], "full:x.com");
	assert_string_equal(c->rules[0].domain.v[1], "keyword:y");
	assert_string_equal(c->rules[0].domain.v[2], "z");
	assert_int_equal(c->rules[0].network, CONF_NETBIT_TCP |
	    CONF_NETBIT_UDP);
	assert_string_equal(c->rules[0].source_port, "1000-2000");
	assert_string_equal(c->rules[0].outbound_tag, "a");
	assert_string_equal(c->rules[1].port, "53");
	assert_string_equal(c->rules[1].outbound_tag, "b");
}

static void
test_conf_json_log(void **state)
{
	struct fx	*f = *state;

	expect_ok(f, "{\"log\":{\"loglevel\":\"Debug\"},\"inbounds\":[{"
	    "\"port\":1,\"protocol\":\"socks\"}]," OUT_FREEDOM "}");
	/* A `log` object makes the access log go to the console. */
	assert_int_equal(f->c.log.access_dest, CONF_LOGDEST_CONSOLE);
	assert_int_equal(f->c.log.error_dest, CONF_LOGDEST_CONSOLE);
	assert_int_equal(f->c.log.level, CONF_LOG_DEBUG);
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	expect_ok(f, "{\"log\":{\"access\":\"none\",\"error\":\"/tmp/e.log\","
	    "\"loglevel\":\"bogus\"},\"inbounds\":[{\"port\":1,\"protocol\":"
	    "\"socks\"}]," OUT_FREEDOM "}");
	assert_int_equal(f->c.log.access_dest, CONF_LOGDEST_OFF);
	assert_int_equal(f->c.log.error_dest, CONF_LOGDEST_FILE);
	assert_string_equal(f->c.log.error_path, "/tmp/e.log");
	assert_int_equal(f->c.log.level, CONF_LOG_WARNING);
	assert_true(has_warn(&f->d, "log.loglevel: unknown level \"bogus\""));
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	expect_ok(f, "{\"log\":{\"loglevel\":\"none\"},\"inbounds\":[{"
	    "\"port\":1,\"protocol\":\"socks\"}]," OUT_FREEDOM "}");
	assert_int_equal(f->c.log.access_dest, CONF_LOGDEST_OFF);
	assert_int_equal(f->c.log.error_dest, CONF_LOGDEST_OFF);
}

static void
test_conf_json_policy(void **state)
{
	struct fx		*f = *state;
	struct conf_level	 l;

	expect_ok(f, "{\"policy\":{\"levels\":{\"1\":{\"handshake\":4,"
	    "\"connIdle\":30,\"bufferSize\":-3,\"statsUserUplink\":true}},"
	    "\"system\":{}},\"inbounds\":[{\"port\":1,\"protocol\":"
	    "\"socks\"}]," OUT_FREEDOM "}");
	l = conf_policy(&f->c, 1);
	assert_int_equal(l.level, 1);
	assert_int_equal(l.handshake, 4);
	assert_int_equal(l.conn_idle, 30);
	assert_int_equal(l.uplink_only, 1);
	assert_int_equal(l.downlink_only, 1);
	assert_int_equal(l.buffer_size, -1);
	l = conf_policy(&f->c, 0);
	assert_int_equal(l.handshake, 60);
	assert_int_equal(l.conn_idle, 300);
	assert_int_equal(l.uplink_only, 1);
	assert_int_equal(l.downlink_only, 1);
	assert_int_equal(l.buffer_size, 512);
	assert_null(conf_get_level(&f->c, 7, false));
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	expect_err(f, "{\"policy\":{\"levels\":{\"x1\":{}}}}",
	    "config.json: policy.levels.x1: level must be a decimal number");
}

static void
test_conf_json_kcp_settings(void **state)
{
	struct fx		*f = *state;
	struct conf_kcp		*k;

	expect_ok(f, "{\"transport\":{\"kcpSettings\":{\"mtu\":1200,"
	    "\"seed\":\"g\"}},\"inbounds\":[{\"port\":1,\"protocol\":\"socks\","
	    "\"streamSettings\":{\"network\":\"mkcp\",\"kcpSettings\":{"
	    "\"mtu\":576,\"tti\":10,\"uplinkCapacity\":0,"
	    "\"downlinkCapacity\":100,\"congestion\":true,"
	    "\"readBufferSize\":0,\"writeBufferSize\":4,\"header\":{\"type\":"
	    "\"Wechat-Video\"},\"seed\":\"s3cret\"}}},{\"port\":2,"
	    "\"protocol\":\"socks\",\"streamSettings\":{\"network\":\"KCP\"}}"
	    "]," OUT_FREEDOM "}");
	k = &f->c.inbounds[0].stream.kcp;
	assert_int_equal(f->c.inbounds[0].stream.network, CONF_NET_KCP);
	assert_int_equal(k->mtu, 576);
	assert_int_equal(k->tti, 10);
	assert_int_equal(k->uplink_capacity, 0);
	assert_int_equal(k->downlink_capacity, 100);
	assert_true(k->congestion);
	assert_int_equal(k->read_buffer_size, 0);
	assert_int_equal(k->write_buffer_size, 4);
	assert_string_equal(k->header_type, "wechat-video");
	assert_string_equal(k->seed, "s3cret");
	/* Without its own kcpSettings: the global transport ones. */
	k = &f->c.inbounds[1].stream.kcp;
	assert_int_equal(k->mtu, 1200);
	assert_int_equal(k->tti, 50);
	assert_string_equal(k->seed, "g");
	/* Outbounds get them too (the default freedom has tcp). */
	assert_int_equal(f->c.outbounds[0].stream.kcp.mtu, 1200);
}

static void
test_conf_json_kcp_errors(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\","
	    "\"streamSettings\":{\"network\":\"kcp\",\"kcpSettings\":{"
	    "\"mtu\":1461,\"tti\":9,\"header\":{\"type\":\"xor\"}}}}]}",
	    "config.json: inbounds[0].streamSettings.kcpSettings.mtu: "
	    "invalid mKCP MTU size: 1461");
	assert_true(conf_diag_has(&f->d, "kcpSettings.tti: invalid mKCP "
	    "TTI: 9"));
	assert_true(conf_diag_has(&f->d, "kcpSettings.header.type: unknown "
	    "mKCP header type \"xor\""));
}

/* httpSettings (network http/h2): host list or comma string, path, and
 * transport.httpSettings for a stream without its own. */
static void
test_conf_json_h2_settings(void **state)
{
	struct fx		*f = *state;
	const struct conf_h2	*h;

	expect_ok(f, "{\"transport\":{\"httpSettings\":{\"host\":"
	    "[\"g.test\"],\"path\":\"/g\"}},\"inbounds\":[{\"port\":1,"
	    "\"protocol\":\"vmess\",\"settings\":{\"clients\":[{\"id\":\""
	    UUID1 "\"}]},\"streamSettings\":{\"network\":\"h2\","
	    "\"httpSettings\":{\"host\":\"a.test,b.test\",\"path\":\"vt\"}}},"
	    "{\"port\":2,\"protocol\":\"vmess\",\"settings\":{\"clients\":"
	    "[{\"id\":\"" UUID1 "\"}]},\"streamSettings\":{\"network\":"
	    "\"http\"}}]," OUT_FREEDOM "}");
	h = &f->c.inbounds[0].stream.h2;
	assert_int_equal(f->c.inbounds[0].stream.network, CONF_NET_H2);
	assert_int_equal(h->host.n, 2);
	assert_string_equal(h->host.v[0], "a.test");
	assert_string_equal(h->host.v[1], "b.test");
	assert_string_equal(h->path, "vt");
	h = &f->c.inbounds[1].stream.h2;
	assert_int_equal(f->c.inbounds[1].stream.network, CONF_NET_H2);
	assert_int_equal(h->host.n, 1);
	assert_string_equal(h->host.v[0], "g.test");
	assert_string_equal(h->path, "/g");
}

/* 4.34's h2 client cannot dial without TLS: refused at -test. */
static void
test_conf_json_h2_client_needs_tls(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"outbounds\":[{\"protocol\":\"vmess\","
	    "\"settings\":{\"vnext\":[{\"address\":\"127.0.0.1\","
	    "\"port\":1,\"users\":[{\"id\":\"" UUID1 "\"}]}]},"
	    "\"streamSettings\":{\"network\":\"http\"}}]}",
	    "needs security \"tls\" on an outbound");
}

static void
test_conf_json_network_not_supported(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"vmess\","
	    "\"settings\":{\"clients\":[{\"id\":\"" UUID1 "\"}]},"
	    "\"streamSettings\":{\"network\":\"quic\"}}]," OUT_FREEDOM "}",
	    "config.json: inbounds[0].streamSettings.network: network quic "
	    "not supported");
}

static void
test_conf_json_dokodemo_freedom_blackhole(void **state)
{
	struct fx		*f = *state;
	struct conf_inbound	*in;

	expect_ok(f, "{\"inbounds\":[{\"port\":\"5000-5002\",\"listen\":"
	    "\"127.0.0.1\",\"protocol\":\"Dokodemo-Door\",\"settings\":{"
	    "\"address\":\"example.com\",\"port\":\"443\",\"network\":[\"tcp\","
	    "\"udp\"],\"followRedirect\":true,\"userLevel\":3}}],"
	    "\"outbounds\":[{\"protocol\":\"freedom\",\"settings\":{"
	    "\"domainStrategy\":\"UseIPv6\",\"redirect\":\":18080\","
	    "\"userLevel\":2}},{\"protocol\":\"blackhole\",\"settings\":{"
	    "\"response\":{\"type\":\"HTTP\"}}}]}");
	in = &f->c.inbounds[0];
	assert_int_equal(in->proto, CONF_PROTO_DOKODEMO);
	assert_int_equal(in->port.from, 5000);
	assert_int_equal(in->port.to, 5002);
	assert_string_equal(in->listen, "127.0.0.1");
	assert_string_equal(in->dk_address, "example.com");
	assert_int_equal(in->dk_port, 443);
	assert_int_equal(in->dk_network, CONF_NETBIT_TCP | CONF_NETBIT_UDP);
	assert_true(in->dk_follow_redirect);
	assert_int_equal(in->user_level, 3);
	assert_int_equal(f->c.outbounds[0].domain_strategy, CONF_DS_USEIPV6);
	assert_string_equal(f->c.outbounds[0].redirect, ":18080");
	assert_int_equal(f->c.outbounds[0].user_level, 2);
	assert_true(f->c.outbounds[1].bh_http);
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":"
	    "\"dokodemo-door\",\"settings\":{\"address\":\"a\",\"network\":"
	    "\"tcp,sctp\"}}],\"outbounds\":[{\"protocol\":\"freedom\","
	    "\"settings\":{\"redirect\":\"nocolon\"}}]}",
	    "config.json: inbounds[0].settings.network: unknown network "
	    "\"sctp\"");
	assert_true(conf_diag_has(&f->d, "outbounds[0].settings.redirect: "
	    "invalid redirect \"nocolon\""));
}

static void
test_conf_json_vmess_settings(void **state)
{
	struct fx		*f = *state;
	struct conf_inbound	*in;
	struct conf_outbound	*out;

	expect_ok(f, "{\"inbounds\":[{\"port\":1,\"tag\":\"main\",\"protocol\":"
	    "\"vmess\",\"settings\":{\"clients\":[{\"id\":"
	    "\"-D17A1AF7efa5-42ca-b7e9-6a35282d737fTRAILING\",\"alterId\":4,"
	    "\"level\":2,\"email\":\"a@b\"}],\"default\":{\"level\":1,"
	    "\"alterId\":16},\"detour\":{\"to\":\"dyn\"},"
	    "\"disableInsecureEncryption\":true}},{\"port\":\"7000-7099\","
	    "\"tag\":\"dyn\",\"protocol\":\"vmess\",\"allocate\":{"
	    "\"strategy\":\"random\",\"refresh\":\"20s\",\"concurrency\":33}}],"
	    "\"outbounds\":[{\"protocol\":\"vmess\",\"mux\":{\"enabled\":true,"
	    "\"concurrency\":16},\"settings\":{\"vnext\":[{\"address\":"
	    "\"h.example\",\"port\":443,\"users\":[{\"id\":\"" UUID1 "\","
	    "\"security\":\"CHACHA20-POLY1305\",\"level\":1},{\"id\":\"" UUID1
	    "\",\"security\":\"aes-128-cfb\"},{\"id\":\"" UUID1 "\","
	    "\"security\":\"zero\"}]}]}}]}");
	in = &f->c.inbounds[0];
	assert_string_equal(in->clients[0].id, UUID1);
	assert_int_equal(in->clients[0].alter_id, 4);
	assert_int_equal(in->clients[0].level, 2);
	assert_string_equal(in->clients[0].email, "a@b");
	assert_true(in->has_default);
	assert_int_equal(in->default_level, 1);
	assert_int_equal(in->default_alter_id, 16);
	assert_string_equal(in->detour_to, "dyn");
	assert_true(in->disable_insecure);
	in = &f->c.inbounds[1];
	assert_int_equal(in->allocate.refresh_sec, 20);
	assert_int_equal(in->allocate.concurrency, 33);
	out = &f->c.outbounds[0];
	assert_true(out->mux_enabled);
	assert_int_equal(out->mux_concurrency, 16);
	assert_int_equal(out->vnext[0].nusers, 3);
	assert_int_equal(out->vnext[0].users[0].security, CONF_SEC_CHACHA20);
	assert_int_equal(out->vnext[0].users[0].level, 1);
	assert_int_equal(out->vnext[0].users[1].security, CONF_SEC_LEGACY);
	assert_int_equal(out->vnext[0].users[2].security, CONF_SEC_ZERO);
}

static void
test_conf_json_sniffing(void **state)
{
	struct fx	*f = *state;

	expect_ok(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\","
	    "\"domainOverride\":[\"tls\"]},{\"port\":2,\"protocol\":\"socks\","
	    "\"sniffing\":{\"enabled\":true,\"destOverride\":\"http,ssl\"}},"
	    "{\"port\":3,\"protocol\":\"socks\",\"sniffing\":{\"enabled\":"
	    "false}}]," OUT_FREEDOM "}");
	assert_true(f->c.inbounds[0].sniff_enabled);
	assert_false(f->c.inbounds[0].sniff_http);
	assert_true(f->c.inbounds[0].sniff_tls);
	assert_true(f->c.inbounds[1].sniff_enabled);
	assert_true(f->c.inbounds[1].sniff_http);
	assert_true(f->c.inbounds[1].sniff_tls);
	assert_false(f->c.inbounds[2].sniff_enabled);
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\","
	    "\"sniffing\":{\"enabled\":true,\"destOverride\":[\"quic\"]}}],"
	    OUT_FREEDOM "}", "config.json: inbounds[0].sniffing.destOverride: "
	    "unknown protocol: quic");
}

static void
test_conf_json_env_port(void **state)
{
	struct fx	*f = *state;

	setenv("VTOOLS_TEST_PORT", "4000-4010", 1);
	expect_ok(f, "{\"inbounds\":[{\"port\":\"env:VTOOLS_TEST_PORT\","
	    "\"protocol\":\"socks\"}]," OUT_FREEDOM "}");
	assert_int_equal(f->c.inbounds[0].port.from, 4000);
	assert_int_equal(f->c.inbounds[0].port.to, 4010);
	unsetenv("VTOOLS_TEST_PORT_NOT_SET");
	fx_teardown(state);
	fx_setup(state);
	f = *state;
	expect_err(f, "{\"inbounds\":[{\"port\":\"env:VTOOLS_TEST_PORT_NOT_SET"
	    "\",\"protocol\":\"socks\"}]}", "config.json: inbounds[0].port: "
	    "environment variable \"VTOOLS_TEST_PORT_NOT_SET\"");
}

/* One test per diagnostic. */

static void
test_conf_json_err_unknown_protocol(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"sockz\"}],"
	    "\"outbounds\":[{\"protocol\":\"vless\"},{\"protocol\":"
	    "\"dokodemo-door\"}]}", "config.json: inbounds[0].protocol: "
	    "unknown protocol \"sockz\"");
	assert_true(conf_diag_has(&f->d, "config.json: outbounds[0].protocol: "
	    "protocol vless not supported"));
	assert_true(conf_diag_has(&f->d, "outbounds[1].protocol: "
	    "dokodemo-door is an inbound protocol"));
	/* Reported once, by the front end, not again by the checks. */
	assert_int_equal(f->d.errors.n, 3);
}

static void
test_conf_json_err_bad_uuid(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"vmess\","
	    "\"settings\":{\"clients\":[{\"id\":\"d17a1af7-efa5-42ca-b7e9-"
	    "6a35282d737\"}]}}]," OUT_FREEDOM "}",
	    "config.json: inbounds[0].settings.clients[0].id: invalid UUID "
	    "\"d17a1af7-efa5-42ca-b7e9-6a35282d737\"");
	/* The model-level check catches one a front end let through. */
	conf_diag_cleanup(&f->d);
	strcpy(f->c.inbounds[0].clients[0].id, "zz7a1af7-efa5-42ca-b7e9-"
	    "6a35282d737f");
	assert_int_equal(conf_check(&f->c, &f->d), -1);
	assert_true(conf_diag_has(&f->d, "config.json: inbounds[0] "
	    "clients[0]: invalid UUID \"zz7a1af7"));
}

static void
test_conf_json_err_port_range(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":70000,\"protocol\":\"socks\"},"
	    "{\"port\":\"70000\",\"protocol\":\"socks\"},{\"port\":\"abc\","
	    "\"protocol\":\"socks\"},{\"port\":true,\"protocol\":\"socks\"}]"
	    "," OUT_FREEDOM "}",
	    "config.json: inbounds[0].port: port 70000 out of range 1..65535");
	assert_true(conf_diag_has(&f->d, "config.json: inbounds[1].port: "
	    "port 70000 out of range 1..65535"));
	assert_true(conf_diag_has(&f->d, "config.json: inbounds[2].port: "
	    "invalid port \"abc\""));
	assert_true(conf_diag_has(&f->d, "config.json: inbounds[3].port: "
	    "expected a port (number or string), got a boolean true"));
	/* An inbound without a port is refused by the checks. */
	assert_true(conf_diag_has(&f->d, "config.json: inbounds[3]: port not "
	    "specified"));
}

static void
test_conf_json_err_reversed_range(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":\"20000-10000\",\"protocol\":"
	    "\"socks\"}]," OUT_FREEDOM "}", "config.json: inbounds[0].port: "
	    "invalid port range 20000-10000: 20000 > 10000 (reversed)");
	/* Same check on a model filled by other means. */
	conf_diag_cleanup(&f->d);
	f->c.inbounds[0].port.from = 9;
	f->c.inbounds[0].port.to = 8;
	assert_int_equal(conf_check(&f->c, &f->d), -1);
	assert_true(conf_diag_has(&f->d, "config.json: inbounds[0]: invalid "
	    "port range 9-8 (reversed)"));
}

static void
test_conf_json_err_detour_to(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"vmess\","
	    "\"tag\":\"main\",\"settings\":{\"clients\":[{\"id\":\"" UUID1
	    "\"}],\"detour\":{\"to\":\"dynamicPort\"}}}]," OUT_FREEDOM "}",
	    "config.json: inbound \"main\": detour.to \"dynamicPort\" names "
	    "no inbound");
}

static void
test_conf_json_err_rule_outbound(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\"}],"
	    OUT_FREEDOM ",\"reverse\":{\"portals\":[{\"tag\":\"p\",\"domain\":"
	    "\"d\"}],\"bridges\":[{\"tag\":\"br\",\"domain\":\"d\"}]},"
	    "\"routing\":{\"rules\":[{\"type\":\"field\",\"inboundTag\":[\"br\"],"
	    "\"outboundTag\":\"p\"},{\"type\":\"field\",\"port\":\"80\","
	    "\"outboundTag\":\"nope\"}]}}",
	    "config.json: routing.rules[1]: outboundTag \"nope\" names no "
	    "outbound or portal");
	/* The portal tag and the bridge tag are fine. */
	assert_int_equal(f->d.errors.n, 1);
	assert_int_equal(f->d.warnings.n, 0);
}

static void
test_conf_json_err_bad_cidr(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\"}],"
	    OUT_FREEDOM ",\"routing\":{\"rules\":[{\"type\":\"field\",\"ip\":"
	    "[\"10.0.0.0/8\",\"::1\",\"geoip:private\",\"10.0.0.0/33\","
	    "\"1.2.3\",\"fe80::/129\"],\"source\":\"300.1.1.1\","
	    "\"port\":\"53,2000-1000\",\"outboundTag\":\"a\"}]}}",
	    "config.json: routing.rules[0]: invalid IP or CIDR "
	    "\"10.0.0.0/33\" in ip");
	assert_true(conf_diag_has(&f->d, "invalid IP or CIDR \"1.2.3\" in ip"));
	assert_true(conf_diag_has(&f->d, "invalid IP or CIDR \"fe80::/129\""));
	assert_true(conf_diag_has(&f->d, "invalid IP or CIDR \"300.1.1.1\" in "
	    "source"));
	assert_true(conf_diag_has(&f->d, "invalid port list \"53,2000-1000\""));
	assert_true(conf_diag_has(&f->d, "outboundTag \"a\" names no"));
	assert_int_equal(f->d.errors.n, 6);
}

static void
test_conf_json_err_unknown_security(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\"}],"
	    "\"outbounds\":[{\"protocol\":\"vmess\",\"settings\":{\"vnext\":[{"
	    "\"address\":\"a\",\"port\":1,\"users\":[{\"id\":\"" UUID1 "\","
	    "\"security\":\"aes-256-xyz\"}]}]}}]}",
	    "config.json: outbounds[0].settings.vnext[0].users[0].security: "
	    "unknown security \"aes-256-xyz\"");
}

static void
test_conf_json_err_allocate_concurrency(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"vmess\","
	    "\"settings\":{\"clients\":[{\"id\":\"" UUID1 "\"}],\"detour\":{"
	    "\"to\":\"dyn\"}}},{\"tag\":\"dyn\",\"port\":\"30001-30100\","
	    "\"protocol\":\"vmess\",\"allocate\":{\"strategy\":\"random\","
	    "\"concurrency\":40}}]," OUT_FREEDOM "}",
	    "config.json: inbound \"dyn\": allocate.concurrency 40 is more "
	    "than a third of the 100 ports in 30001-30100");
	assert_int_equal(f->d.errors.n, 1);
	/* 33 of 100 is fine. */
	conf_diag_cleanup(&f->d);
	f->c.inbounds[1].allocate.concurrency = 33;
	assert_int_equal(conf_check(&f->c, &f->d), 0);
	f->c.inbounds[1].allocate.concurrency = 34;
	assert_int_equal(conf_check(&f->c, &f->d), -1);
}

static void
test_conf_json_err_vmess_no_users(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"vmess\","
	    "\"settings\":{\"clients\":[]}}],\"outbounds\":[{\"tag\":\"v\","
	    "\"protocol\":\"vmess\",\"settings\":{\"vnext\":[{\"address\":"
	    "\"a\",\"port\":1,\"users\":[]}]}},{\"tag\":\"w\",\"protocol\":"
	    "\"vmess\"}]}",
	    "config.json: inbounds[0]: vmess inbound has no clients");
	assert_true(conf_diag_has(&f->d, "config.json: outbound \"v\" "
	    "vnext[0]: vmess outbound server has no users"));
	assert_true(conf_diag_has(&f->d, "config.json: outbound \"w\": vmess "
	    "outbound has no vnext server"));
	assert_int_equal(f->d.errors.n, 3);
}

static void
test_conf_json_err_duplicate_tag(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"tag\":\"a\",\"port\":1,\"protocol\":"
	    "\"socks\"},{\"tag\":\"a\",\"port\":2,\"protocol\":\"socks\"}],"
	    OUT_FREEDOM "}", "config.json: inbound \"a\": duplicate inbound "
	    "tag \"a\"");
	assert_int_equal(f->d.errors.n, 1);
}

static void
test_conf_json_err_rule_no_field(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\"}],"
	    OUT_FREEDOM ",\"routing\":{\"rules\":[{\"type\":\"field\","
	    "\"domain\":[],\"outboundTag\":\"x\"}]}}",
	    "config.json: routing.rules[0]: this rule has no effective fields");
}

static void
test_conf_json_err_rule_no_outbound(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\"}],"
	    OUT_FREEDOM ",\"routing\":{\"rules\":[{\"type\":\"field\","
	    "\"network\":\"udp\"},{\"domain\":\"x\",\"outboundTag\":\"y\"}]}}",
	    "config.json: routing.rules[0]: neither outboundTag nor "
	    "balancerTag is specified");
	assert_true(conf_diag_has(&f->d, "config.json: routing.rules[1].type: "
	    "missing, must be \"field\""));
}

static void
test_conf_json_err_mux_concurrency(void **state)
{
	struct fx	*f = *state;

	expect_err(f, "{\"inbounds\":[{\"port\":1,\"protocol\":\"socks\"}],"
	    "\"outbounds\":[{\"protocol\":\"freedom\",\"mux\":{\"enabled\":"
	    "true,\"concurrency\":2000}}]}", "config.json: outbounds[0].mux."
	    "concurrency: invalid mux concurrency: 2000");
}

/* Wrong types everywhere: every one reported, nothing crashes. */
static void
test_conf_json_wrong_types(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f, "{\"log\":[],\"policy\":{\"levels\":{\"0\":"
	    "{\"handshake\":\"x\",\"bufferSize\":1.5}}},\"transport\":7,"
	    "\"inbound\":null,\"inboundDetour\":{},\"inbounds\":[1,null,{"
	    "\"port\":{},\"protocol\":[],\"tag\":5,\"listen\":false,"
	    "\"settings\":[],\"streamSettings\":\"tcp\",\"sniffing\":1,"
	    "\"allocate\":true},{\"port\":1,\"protocol\":\"vmess\","
	    "\"settings\":{\"clients\":{},\"default\":[],\"detour\":1}},{"
	    "\"port\":1,\"protocol\":\"socks\",\"settings\":{\"accounts\":[1],"
	    "\"udp\":\"yes\",\"userLevel\":-1}}],\"outbounds\":[{\"protocol\":"
	    "\"vmess\",\"settings\":{\"vnext\":[{\"address\":1,\"port\":\"x\","
	    "\"users\":[{\"id\":7,\"alterId\":70000,\"level\":256}]}]}},{"
	    "\"protocol\":\"freedom\",\"mux\":[],\"settings\":{\"redirect\":1,"
	    "\"domainStrategy\":{}}}],\"routing\":{\"rules\":[{\"type\":1,"
	    "\"domain\":[1],\"ip\":{},\"port\":[],\"network\":5,"
	    "\"outboundTag\":[]}],\"settings\":[]},\"reverse\":{\"bridges\":"
	    "[{\"tag\":1}],\"portals\":\"x\"},\"port\":\"1\"}"), -1);
	assert_true(conf_diag_has(&f->d, "config.json: log: expected an "
	    "object, got an array []"));
	assert_true(conf_diag_has(&f->d, "policy.levels.0.handshake: expected "
	    "an integer, got a string \"x\""));
	assert_true(conf_diag_has(&f->d, "policy.levels.0.bufferSize: "
	    "expected an integer, got a fractional number 1.5"));
	/* As in Go, null is the same as absent for a single object. */
	assert_false(conf_diag_has(&f->d, "config.json: inbound:"));
	assert_true(conf_diag_has(&f->d, "config.json: inbounds[1]: expected "
	    "an object, got null"));
	assert_true(conf_diag_has(&f->d, "config.json: inboundDetour: "
	    "expected an array, got an object {}"));
	assert_true(conf_diag_has(&f->d, "config.json: inbounds[0]: expected "
	    "an object, got a number 1"));
	assert_true(conf_diag_has(&f->d, "inbounds[2].protocol: expected a "
	    "protocol name, got an array []"));
	assert_true(conf_diag_has(&f->d, "inbounds[3].settings.clients: "
	    "expected an array, got an object {}"));
	assert_true(conf_diag_has(&f->d, "inbounds[4].settings.userLevel: "
	    "-1 out of range 0..4294967295"));
	assert_true(conf_diag_has(&f->d, "outbounds[0].settings.vnext[0]."
	    "users[0].alterId: 70000 out of range 0..65535"));
	assert_true(conf_diag_has(&f->d, "outbounds[0].settings.vnext[0]."
	    "users[0].level: 256 out of range 0..255"));
	assert_true(conf_diag_has(&f->d, "routing.rules[0].network: expected "
	    "a string or an array of strings, got a number 5"));
	assert_true(conf_diag_has(&f->d, "config.json: port: expected an "
	    "integer, got a string \"1\""));
	assert_true(f->d.errors.n > 30);
}

/* Shared parsers */

static void
test_conf_json_parse_uuid(void **state)
{
	uint8_t	u[16];
	char	canon[37];

	(void)state;
	assert_int_equal(conf_uuid_parse("D17A1AF7-EFA5-42CA-B7E9-"
	    "6A35282D737F", u, canon), 0);
	assert_string_equal(canon, UUID1);
	assert_int_equal(u[0], 0xd1);
	assert_int_equal(u[15], 0x7f);
	/* No dashes, a dash before the first group, trailing junk. */
	assert_int_equal(conf_uuid_parse("d17a1af7efa542cab7e96a35282d737f",
	    u, canon), 0);
	assert_string_equal(canon, UUID1);
	assert_int_equal(conf_uuid_parse("-d17a1af7-efa5-42ca-b7e9-"
	    "6a35282d737f!!", u, canon), 0);
	assert_string_equal(canon, UUID1);
	assert_int_equal(conf_uuid_parse("d17a1af7-efa5-42ca-b7e9-6a35282d737",
	    u, canon), -1);
	assert_int_equal(conf_uuid_parse("d17a1af7--efa5-42ca-b7e9-"
	    "6a35282d737f", u, canon), -1);
	assert_int_equal(conf_uuid_parse("g17a1af7-efa5-42ca-b7e9-"
	    "6a35282d737f", u, canon), -1);
	/* 32+ characters but the dashes eat the last group's digits. */
	assert_int_equal(conf_uuid_parse("d17a1af7-efa5-42ca-b7e9-6a35282d",
	    u, canon), -1);
	assert_int_equal(conf_uuid_parse("", u, canon), -1);
	assert_int_equal(conf_uuid_parse(NULL, u, canon), -1);
}

static void
test_conf_json_parse_ports(void **state)
{
	struct conf_ports	p;

	(void)state;
	assert_int_equal(conf_ports_parse("443", &p), 0);
	assert_int_equal(p.from, 443);
	assert_int_equal(p.to, 443);
	assert_int_equal(conf_ports_parse("1-65535", &p), 0);
	assert_int_equal(p.from, 1);
	assert_int_equal(p.to, 65535);
	assert_int_equal(conf_ports_parse("0", &p), 0);
	assert_int_equal(p.from, 0);
	assert_int_equal(conf_ports_parse("0-5", &p), -1);
	assert_int_equal(conf_ports_parse("65536", &p), -1);
	assert_int_equal(conf_ports_parse("20-10", &p), -1);
	assert_int_equal(conf_ports_parse("10-", &p), -1);
	assert_int_equal(conf_ports_parse("-10", &p), -1);
	assert_int_equal(conf_ports_parse("1 2", &p), -1);
	assert_int_equal(conf_ports_parse("", &p), -1);
	assert_int_equal(conf_ports_parse("99999999999999999999", &p), -1);
	assert_int_equal(conf_portlist_valid("53,443,1000-2000"), 0);
	assert_int_equal(conf_portlist_valid("53,,443"), -1);
	assert_int_equal(conf_portlist_valid("2000-1000"), -1);
}

static void
test_conf_json_parse_small(void **state)
{
	enum conf_proto			pr;
	enum conf_security		sec;
	enum conf_dstrategy		ds;
	enum conf_route_strategy	rs;
	enum conf_loglevel		ll;
	unsigned			bits;
	int				sec_s;
	size_t				i;
	static const char *const	ip4[] = { "useip4", "UseIPv4",
	    "use_ipv4", "use_ip_v4", "use_ip4" };

	(void)state;
	assert_int_equal(conf_proto_parse("DOKODEMO-DOOR", &pr), 0);
	assert_int_equal(pr, CONF_PROTO_DOKODEMO);
	assert_int_equal(conf_proto_parse("Blackhole", &pr), 0);
	assert_int_equal(pr, CONF_PROTO_BLACKHOLE);
	assert_int_equal(conf_proto_parse("sockz", &pr), -1);
	assert_string_equal(conf_proto_name(CONF_PROTO_DOKODEMO),
	    "dokodemo-door");

	assert_int_equal(conf_security_parse("AES-128-GCM", &sec), 0);
	assert_int_equal(sec, CONF_SEC_AES128GCM);
	assert_int_equal(conf_security_parse("none", &sec), 0);
	assert_int_equal(sec, CONF_SEC_NONE);
	assert_int_equal(conf_security_parse("auto", &sec), 0);
	assert_int_equal(sec, CONF_SEC_AUTO);
	assert_int_equal(conf_security_parse("aes-128-cfb", &sec), 0);
	assert_int_equal(sec, CONF_SEC_LEGACY);
	assert_int_equal(conf_security_parse("rc4", &sec), -1);
	assert_string_equal(conf_security_name(CONF_SEC_CHACHA20),
	    "chacha20-poly1305");

	assert_int_equal(conf_network_parse("tcp, UDP", &bits), 0);
	assert_int_equal(bits, CONF_NETBIT_TCP | CONF_NETBIT_UDP);
	assert_int_equal(conf_network_parse("udp", &bits), 0);
	assert_int_equal(bits, CONF_NETBIT_UDP);
	assert_int_equal(conf_network_parse("tcp,", &bits), -1);
	assert_int_equal(conf_network_parse("", &bits), -1);
	assert_string_equal(conf_network_name(3), "tcp,udp");

	assert_int_equal(conf_loglevel_parse("Error", &ll), 0);
	assert_int_equal(ll, CONF_LOG_ERROR);
	assert_int_equal(conf_loglevel_parse("verbose", &ll), -1);

	for (i = 0; i < sizeof(ip4) / sizeof(ip4[0]); i++) {
		assert_int_equal(conf_dstrategy_parse(ip4[i], &ds), 0);
		assert_int_equal(ds, CONF_DS_USEIPV4);
	}
	assert_int_equal(conf_dstrategy_parse("use_ip6", &ds), 0);
	assert_int_equal(ds, CONF_DS_USEIPV6);
	assert_int_equal(conf_dstrategy_parse("USE_IP", &ds), 0);
	assert_int_equal(ds, CONF_DS_USEIP);
	assert_int_equal(conf_dstrategy_parse("AsIs", &ds), 0);
	assert_int_equal(ds, CONF_DS_ASIS);
	assert_int_equal(conf_dstrategy_parse("use-ip", &ds), -1);

	assert_int_equal(conf_route_strategy_parse("ip-if-non-match", &rs), 0);
	assert_int_equal(rs, CONF_RS_IPIFNONMATCH);
	assert_int_equal(conf_route_strategy_parse("IP_ON_DEMAND", &rs), 0);
	assert_int_equal(rs, CONF_RS_IPONDEMAND);
	rs = CONF_RS_IPONDEMAND;
	assert_int_equal(conf_route_strategy_parse("AlwaysIP", &rs), 0);
	assert_int_equal(rs, CONF_RS_ASIS);
	assert_int_equal(conf_route_strategy_parse("sometimes", &rs), -1);

	assert_int_equal(conf_duration_parse("5", &sec_s), 0);
	assert_int_equal(sec_s, 300);
	assert_int_equal(conf_duration_parse("20s", &sec_s), 0);
	assert_int_equal(sec_s, 20);
	assert_int_equal(conf_duration_parse("3m", &sec_s), 0);
	assert_int_equal(sec_s, 180);
	assert_int_equal(conf_duration_parse("1h", &sec_s), 0);
	assert_int_equal(sec_s, 3600);
	assert_int_equal(conf_duration_parse("3x", &sec_s), -1);
	assert_int_equal(conf_duration_parse("s", &sec_s), -1);
	assert_int_equal(conf_duration_parse("999999999h", &sec_s), -1);

	assert_int_equal(conf_redirect_valid("127.0.0.1:80"), 0);
	assert_int_equal(conf_redirect_valid(":80"), 0);
	assert_int_equal(conf_redirect_valid("[::1]:0"), 0);
	assert_int_equal(conf_redirect_valid("::1:80"), -1);
	assert_int_equal(conf_redirect_valid("host:99999"), -1);
	assert_int_equal(conf_cidr_valid("192.168.0.0/16"), 0);
	assert_int_equal(conf_cidr_valid("fc00::/7"), 0);
	assert_int_equal(conf_cidr_valid("GEOIP:cn"), 0);
	assert_int_equal(conf_cidr_valid("geoip:"), -1);
	assert_int_equal(conf_cidr_valid("10.0.0.0/"), -1);
}

static void
test_conf_json_defaults(void **state)
{
	struct conf_inbound	in;
	struct conf_outbound	out;

	(void)state;
	conf_inbound_init(&in);
	assert_int_equal(in.dk_network, CONF_NETBIT_TCP);
	assert_int_equal(in.allocate.refresh_sec, 300);
	assert_int_equal(in.allocate.concurrency, 3);
	assert_int_equal(in.stream.kcp.mtu, 1350);
	assert_string_equal(in.stream.kcp.header_type, "none");
	free(in.stream.kcp.header_type);
	conf_outbound_init(&out);
	assert_int_equal(out.mux_concurrency, 8);
	assert_int_equal(out.domain_strategy, CONF_DS_ASIS);
	free(out.stream.kcp.header_type);
}

#define T(name)	cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_conf_json_seeds_load),
		T(test_conf_json_seed000_values),
		T(test_conf_json_seed000_placeholder_uuid),
		T(test_conf_json_seed001_values),
		T(test_conf_json_seed001_kcp),
		T(test_conf_json_seed002_bridge_portal),
		T(test_conf_json_seed002_typo_position),
		T(test_conf_json_missing_file),
		T(test_conf_json_empty_file),
		T(test_conf_json_binary_garbage),
		T(test_conf_json_bom),
		T(test_conf_json_format_by_extension),
		T(test_conf_json_comments),
		T(test_conf_json_syntax_positions),
		T(test_conf_json_case_insensitive_keys),
		T(test_conf_json_unknown_key_warning),
		T(test_conf_json_h2_settings),
		T(test_conf_json_h2_client_needs_tls),
		T(test_conf_json_legacy_merge_order),
		T(test_conf_json_routing_merge),
		T(test_conf_json_log),
		T(test_conf_json_policy),
		T(test_conf_json_kcp_settings),
		T(test_conf_json_kcp_errors),
		T(test_conf_json_network_not_supported),
		T(test_conf_json_dokodemo_freedom_blackhole),
		T(test_conf_json_vmess_settings),
		T(test_conf_json_sniffing),
		T(test_conf_json_env_port),
		T(test_conf_json_err_unknown_protocol),
		T(test_conf_json_err_bad_uuid),
		T(test_conf_json_err_port_range),
		T(test_conf_json_err_reversed_range),
		T(test_conf_json_err_detour_to),
		T(test_conf_json_err_rule_outbound),
		T(test_conf_json_err_bad_cidr),
		T(test_conf_json_err_unknown_security),
		T(test_conf_json_err_allocate_concurrency),
		T(test_conf_json_err_vmess_no_users),
		T(test_conf_json_err_duplicate_tag),
		T(test_conf_json_err_rule_no_field),
		T(test_conf_json_err_rule_no_outbound),
		T(test_conf_json_err_mux_concurrency),
		T(test_conf_json_wrong_types),
		T(test_conf_json_parse_uuid),
		T(test_conf_json_parse_ports),
		T(test_conf_json_parse_small),
		T(test_conf_json_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
