/* SPDX-License-Identifier: MIT */
/*
 * test_geodat.c: the geoip.dat / geosite.dat reader over hand-encoded
 * files (tags ignoring case, attributes ANDed, unknown fields skipped,
 * every truncation refused), the domain set (each type, Aho-Corasick
 * against strstr, RE2 translation), where assets are looked for, and
 * routing rules with geoip:, geosite: and ext: over files in a temp dir.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "route/domset.h"
#include "route/geodat.h"
#include "route/route.h"

/* A protobuf writer, just enough for these messages. */

struct pbw {
	uint8_t	buf[8192];
	size_t	n;
};

static void
pbw_varint(struct pbw *w, uint64_t v)
{
	do {
		assert_true(w->n < sizeof(w->buf));
		w->buf[w->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
}

static void
pbw_bytes(struct pbw *w, uint32_t num, const void *p, size_t len)
{
	pbw_varint(w, (uint64_t)num << 3 | 2);
	pbw_varint(w, len);
	assert_true(w->n + len <= sizeof(w->buf));
	memcpy(w->buf + w->n, p, len);
	w->n += len;
}

static void
pbw_str(struct pbw *w, uint32_t num, const char *s)
{
	pbw_bytes(w, num, s, strlen(s));
}

static void
pbw_msg(struct pbw *w, uint32_t num, const struct pbw *m)
{
	pbw_bytes(w, num, m->buf, m->n);
}

static void
pbw_int(struct pbw *w, uint32_t num, uint64_t v)
{
	pbw_varint(w, (uint64_t)num << 3);
	pbw_varint(w, v);
}

static void
add_cidr(struct pbw *entry, const char *ip, unsigned prefix)
{
	struct pbw	c = { .n = 0 };
	uint8_t		a[16];

	if (inet_pton(AF_INET, ip, a) == 1)
		pbw_bytes(&c, 1, a, 4);
	else {
		assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
		pbw_bytes(&c, 1, a, 16);
	}
	pbw_int(&c, 2, prefix);
	pbw_msg(entry, 2, &c);
}

/* type 0..3, then attribute keys, NULL-terminated. */
static void
add_domain(struct pbw *entry, int type, const char *value, ...)
{
	struct pbw	 d = { .n = 0 }, a;
	const char	*k;
	va_list		 ap;

	if (type != 0)
		pbw_int(&d, 1, (uint64_t)type);
	pbw_str(&d, 2, value);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		a.n = 0;
		pbw_str(&a, 1, k);
		pbw_int(&a, 2, 1);
		pbw_msg(&d, 3, &a);
	}
	va_end(ap);
	pbw_msg(entry, 2, &d);
}

/* geoip: "CN" 1.2.3.0/24 2001:db8::/32; "us" 8.8.8.0/24; "EMPTY". */
static void
mk_geoip(struct pbw *f)
{
	struct pbw	e;

	f->n = 0;
	e.n = 0;
	pbw_str(&e, 1, "CN");
	add_cidr(&e, "1.2.3.0", 24);
	add_cidr(&e, "2001:db8::", 32);
	pbw_int(&e, 7, 99);		/* unknown field: skipped */
	pbw_msg(f, 1, &e);
	e.n = 0;
	add_cidr(&e, "8.8.8.0", 24);	/* tag after the data */
	pbw_str(&e, 1, "us");
	pbw_msg(f, 1, &e);
	e.n = 0;
	pbw_str(&e, 1, "EMPTY");
	pbw_msg(f, 1, &e);
	e.n = 0;
	pbw_str(&e, 1, "cn");		/* a second CN: the first wins */
	add_cidr(&e, "9.9.9.0", 24);
	pbw_msg(f, 1, &e);
}

/* geosite: "TEST" of every type; "GOOGLE" with attributes. */
static void
mk_geosite(struct pbw *f)
{
	struct pbw	e;

	f->n = 0;
	e.n = 0;
	pbw_str(&e, 1, "TEST");
	add_domain(&e, 2, "blocked.example", (const char *)NULL);
	add_domain(&e, 3, "exact.example", (const char *)NULL);
	add_domain(&e, 0, "kwblock", (const char *)NULL);
	add_domain(&e, 1, "^re\\d+\\.example$", (const char *)NULL);
	pbw_msg(f, 1, &e);
	e.n = 0;
	pbw_str(&e, 1, "google");
	add_domain(&e, 2, "ads.google.example", "ads", "cn",
	    (const char *)NULL);
	add_domain(&e, 2, "cn.google.example", "CN", (const char *)NULL);
	add_domain(&e, 2, "www.google.example", (const char *)NULL);
	pbw_msg(f, 1, &e);
}

/* Reader. */

struct got {
	char	s[1024];
	int	stop_after;
	int	n;
};

static int
got_ip(void *arg, int family, const uint8_t *addr, unsigned prefix)
{
	struct got	*g = arg;
	char		 a[INET6_ADDRSTRLEN];
	size_t		 l = strlen(g->s);

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(g->s + l, sizeof(g->s) - l, "%s%s/%u", l ? " " : "", a,
	    prefix);
	return ++g->n == g->stop_after;
}

static int
got_site(void *arg, enum geodat_dtype type, const char *v, size_t len)
{
	struct got	*g = arg;
	size_t		 l = strlen(g->s);

	snprintf(g->s + l, sizeof(g->s) - l, "%s%d:%.*s", l ? " " : "",
	    (int)type, (int)len, v);
	return ++g->n == g->stop_after;
}

static void
test_geodat_ip_scan(void **state)
{
	struct pbw	 f;
	struct got	 g;
	const char	*e = NULL;

	mk_geoip(&f);
	memset(&g, 0, sizeof(g));
	assert_int_equal(geodat_ip_scan(f.buf, f.n, "cn", got_ip, &g, &e), 2);
	assert_string_equal(g.s, "1.2.3.0/24 2001:db8::/32");
	memset(&g, 0, sizeof(g));
	assert_int_equal(geodat_ip_scan(f.buf, f.n, "US", got_ip, &g, &e), 1);
	assert_string_equal(g.s, "8.8.8.0/24");
	assert_int_equal(geodat_ip_scan(f.buf, f.n, "empty", got_ip, &g, &e),
	    0);
	assert_int_equal(geodat_ip_scan(f.buf, f.n, "jp", got_ip, &g, &e),
	    -2);
	assert_int_equal(geodat_ip_scan(f.buf, f.n, "c", got_ip, &g, &e), -2);
	assert_int_equal(geodat_ip_scan(NULL, 0, "cn", got_ip, &g, &e), -2);
	/* The callback can stop the scan. */
	memset(&g, 0, sizeof(g));
	g.stop_after = 1;
	assert_int_equal(geodat_ip_scan(f.buf, f.n, "cn", got_ip, &g, &e),
	    -3);
}

static void
test_geodat_site_scan(void **state)
{
	static const char *const ads[] = { "ads" }, *const two[] = { "ads",
	    "cn" }, *const none[] = { "nope" };
	struct pbw	 f;
	struct got	 g;
	const char	*e = NULL;

	mk_geosite(&f);
	memset(&g, 0, sizeof(g));
	assert_int_equal(geodat_site_scan(f.buf, f.n, "test", NULL, 0,
	    got_site, &g, &e), 4);
	assert_string_equal(g.s, "2:blocked.example 3:exact.example "
	    "0:kwblock 1:^re\\d+\\.example$");
	memset(&g, 0, sizeof(g));
	assert_int_equal(geodat_site_scan(f.buf, f.n, "GOOGLE", ads, 1,
	    got_site, &g, &e), 1);
	assert_string_equal(g.s, "2:ads.google.example");
	/* Attributes AND, and their keys ignore case ("CN" vs "cn"). */
	memset(&g, 0, sizeof(g));
	assert_int_equal(geodat_site_scan(f.buf, f.n, "google", two, 2,
	    got_site, &g, &e), 1);
	memset(&g, 0, sizeof(g));
	assert_int_equal(geodat_site_scan(f.buf, f.n, "google", two + 1, 1,
	    got_site, &g, &e), 2);
	assert_string_equal(g.s, "2:ads.google.example 2:cn.google.example");
	assert_int_equal(geodat_site_scan(f.buf, f.n, "google", none, 1,
	    got_site, &g, &e), 0);
	assert_int_equal(geodat_site_scan(f.buf, f.n, "nope", NULL, 0,
	    got_site, &g, &e), -2);
}

/* Every prefix of a file either is refused or reads as a shorter list. */
static void
test_geodat_malformed(void **state)
{
	struct pbw	 f, bad;
	struct got	 g;
	const char	*e;
	size_t		 i;
	long		 n;

	mk_geosite(&f);
	for (i = 0; i < f.n; i++) {
		memset(&g, 0, sizeof(g));
		e = NULL;
		n = geodat_site_scan(f.buf, i, "google", NULL, 0, got_site, &g,
		    &e);
		assert_true(n >= -2);
		if (n == -1)
			assert_non_null(e);
	}
	mk_geoip(&f);
	for (i = 0; i < f.n; i++) {
		e = NULL;
		n = geodat_ip_scan(f.buf, i, "us", got_ip, &g, &e);
		assert_true(n >= -2);
		if (n == -1)
			assert_non_null(e);
	}
	/* A 5-byte address, a /33 and an unknown domain type are refused. */
	bad.n = 0;
	{
		struct pbw	e1 = { .n = 0 }, c = { .n = 0 };

		pbw_str(&e1, 1, "x");
		pbw_bytes(&c, 1, "\1\2\3\4\5", 5);
		pbw_msg(&e1, 2, &c);
		pbw_msg(&bad, 1, &e1);
		e = NULL;
		assert_int_equal(geodat_ip_scan(bad.buf, bad.n, "x", got_ip, &g,
		    &e), -1);
		assert_non_null(e);
		bad.n = e1.n = c.n = 0;
		pbw_str(&e1, 1, "x");
		add_cidr(&e1, "1.2.3.4", 33);
		pbw_msg(&bad, 1, &e1);
		assert_int_equal(geodat_ip_scan(bad.buf, bad.n, "x", got_ip, &g,
		    &e), -1);
		bad.n = e1.n = 0;
		pbw_str(&e1, 1, "x");
		add_domain(&e1, 4, "a", (const char *)NULL);
		pbw_msg(&bad, 1, &e1);
		assert_int_equal(geodat_site_scan(bad.buf, bad.n, "x", NULL, 0,
		    got_site, &g, &e), -1);
	}
	/* An over-long varint and a group wire type. */
	memcpy(bad.buf, "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11);
	assert_int_equal(geodat_ip_scan(bad.buf, 11, "x", got_ip, &g, &e), -1);
	memcpy(bad.buf, "\x0b", 1);
	assert_int_equal(geodat_ip_scan(bad.buf, 1, "x", got_ip, &g, &e), -1);
}

/* Domain sets. */

static struct domset *
set_of(const char *first, ...)
{
	struct domset	*ds = domset_new();
	const char	*s;
	char		 err[256];
	va_list		 ap;

	assert_non_null(ds);
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		if (domset_add_spec(ds, s, DOMSET_SUBSTR, err,
		    sizeof(err)) == -1)
			fail_msg("%s: %s", s, err);
	va_end(ap);
	assert_int_equal(domset_finish(ds), 0);
	return ds;
}

static void
test_geodat_domset_types(void **state)
{
	struct domset	*ds;

	ds = set_of("domain:example.com", "full:exact.org", "keyword:kw",
	    "regexp:^re\\d+\\.net$", "plain", (const char *)NULL);
	assert_true(domset_match(ds, "example.com"));
	assert_true(domset_match(ds, "a.b.example.com"));
	assert_false(domset_match(ds, "notexample.com"));
	assert_false(domset_match(ds, "example.com.cn"));
	assert_true(domset_match(ds, "exact.org"));
	assert_false(domset_match(ds, "a.exact.org"));
	assert_true(domset_match(ds, "xxkwxx.io"));
	assert_true(domset_match(ds, "re12.net"));
	assert_false(domset_match(ds, "rex.net"));
	assert_true(domset_match(ds, "myplain.io"));
	assert_false(domset_match(ds, "Example.com"));	/* case-sensitive */
	assert_false(domset_match(ds, ""));
	assert_int_equal(domset_count(ds), 5);
	domset_free(ds);
	domset_free(NULL);

	/* RE2 spellings POSIX lacks. */
	ds = set_of("regexp:(?:ab|cd)\\.x$", "regexp:^[\\w\\-]+\\.y$",
	    "regexp:(?i)^UPPER\\.z$", "regexp:^[^\\d.]+\\.w$",
	    "regexp:^a\\Dc\\.v$", "dotless:intra", (const char *)NULL);
	assert_true(domset_match(ds, "cd.x"));
	assert_false(domset_match(ds, "ce.x"));
	assert_true(domset_match(ds, "a-b_c.y"));
	assert_false(domset_match(ds, "a.b.y"));
	assert_true(domset_match(ds, "upper.z"));
	assert_true(domset_match(ds, "abc.w"));
	assert_false(domset_match(ds, "a1c.w"));
	assert_true(domset_match(ds, "abc.v"));
	assert_false(domset_match(ds, "a1c.v"));
	assert_true(domset_match(ds, "myintranet"));
	assert_false(domset_match(ds, "intra.net"));
	domset_free(ds);
}

static void
test_geodat_domset_errors(void **state)
{
	static const char *const bad[] = { "regexp:(", "regexp:(?P<n>a)",
	    "regexp:\\pN", "regexp:[a", "full:", "domain:", "keyword:",
	    "regexp:", "dotless:a.b", "ext:nocolon", "ext:a:b:c",
	    "ext::b", "ext:a:", "geosite:", "geosite:@ads", NULL };
	struct domset	*ds;
	char		 err[512];
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++) {
		ds = domset_new();
		err[0] = '\0';
		if (domset_add_spec(ds, bad[i], DOMSET_SUBSTR, err,
		    sizeof(err)) != -1)
			fail_msg("%s accepted", bad[i]);
		assert_true(err[0] != '\0');
		domset_free(ds);
	}
}

/* The automaton answers as strstr over every keyword does. */
static void
test_geodat_domset_ac(void **state)
{
	static const char alpha[] = "abc.";
	struct domset	*ds = domset_new(), *slow = domset_new();
	char		 kw[8], name[24];
	unsigned	 seed = 1;
	size_t		 i, j, len;

	assert_non_null(ds);
	assert_non_null(slow);
	/* "bc" ends inside "abcd": found through the failure link. */
	assert_int_equal(domset_add(ds, DOMSET_SUBSTR, "abcd", NULL, 0), 0);
	assert_int_equal(domset_add(ds, DOMSET_SUBSTR, "bc", NULL, 0), 0);
	assert_int_equal(domset_finish(ds), 0);
	assert_true(domset_match(ds, "xabce"));
	assert_false(domset_match(ds, "xabdc"));
	assert_int_equal(domset_add(slow, DOMSET_SUBSTR, "abcd", NULL, 0), 0);
	assert_int_equal(domset_add(slow, DOMSET_SUBSTR, "bc", NULL, 0), 0);
	/* Long enough that most names miss. */
	for (i = 0; i < 40; i++) {
		len = 3 + (seed = seed * 1103515245 + 12345) % 4;
		for (j = 0; j < len; j++)
			kw[j] = alpha[(seed = seed * 1103515245 + 12345) >> 16 &
			    3];
		kw[len] = '\0';
		assert_int_equal(domset_add(ds, DOMSET_SUBSTR, kw, NULL, 0), 0);
		assert_int_equal(domset_add(slow, DOMSET_SUBSTR, kw, NULL, 0),
		    0);
	}
	assert_int_equal(domset_finish(ds), 0);
	for (i = 0; i < 5000; i++) {
		len = (seed = seed * 1103515245 + 12345) % 20;
		for (j = 0; j < len; j++)
			name[j] = alpha[(seed = seed * 1103515245 + 12345) >>
			    16 & 3];
		name[len] = '\0';
		assert_int_equal(domset_match(ds, name),
		    domset_match(slow, name));
	}
	domset_free(ds);
	domset_free(slow);
	/* An empty keyword (only a .dat can carry one) matches all. */
	ds = domset_new();
	assert_int_equal(domset_add(ds, DOMSET_SUBSTR, "", NULL, 0), 0);
	assert_int_equal(domset_finish(ds), 0);
	assert_true(domset_match(ds, "anything"));
	domset_free(ds);
}

/* Files in a temp dir named by V2RAY_LOCATION_ASSET. */

static char tmpdir[] = "/tmp/test_geodat.XXXXXX";

static void
write_file(const char *name, const struct pbw *w)
{
	char	 path[PATH_MAX];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(w->buf, 1, w->n, fp), w->n);
	fclose(fp);
}

static int
files_setup(void **state)
{
	struct pbw	f;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	mk_geoip(&f);
	write_file("geoip.dat", &f);
	write_file("other-ip.dat", &f);
	mk_geosite(&f);
	write_file("geosite.dat", &f);
	write_file("mine.dat", &f);
	write_file("junk.dat", &(struct pbw){ .buf = "\x0a\x05zz", .n = 4 });
	setenv("V2RAY_LOCATION_ASSET", tmpdir, 1);
	return 0;
}

static int
files_teardown(void **state)
{
	static const char *const names[] = { "geoip.dat", "other-ip.dat",
	    "geosite.dat", "mine.dat", "junk.dat" };
	char	path[PATH_MAX];
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	unsetenv("V2RAY_LOCATION_ASSET");
	return 0;
}

static void
test_geodat_asset_path(void **state)
{
	char	path[PATH_MAX], tried[3 * PATH_MAX], want[PATH_MAX];

	assert_int_equal(geodat_asset_path("geoip.dat", path, sizeof(path),
	    tried, sizeof(tried)), 0);
	snprintf(want, sizeof(want), "%s/geoip.dat", tmpdir);
	assert_string_equal(path, want);
	/* None exists: the error names the first place. */
	assert_int_equal(geodat_asset_path("none.dat", path, sizeof(path),
	    tried, sizeof(tried)), 0);
	snprintf(want, sizeof(want), "%s/none.dat", tmpdir);
	assert_string_equal(path, want);
	assert_non_null(strstr(tried, "/usr/local/share/v2ray/none.dat"));
	assert_non_null(strstr(tried, "/usr/share/v2ray/none.dat"));
	/* The lowercase name wins over the uppercase one, as in Go. */
	setenv("v2ray.location.asset", "/nonexistent", 1);
	assert_int_equal(geodat_asset_path("x.dat", path, sizeof(path), NULL,
	    0), 0);
	assert_string_equal(path, "/nonexistent/x.dat");
	unsetenv("v2ray.location.asset");
	/* Absolute names are taken as they are. */
	assert_int_equal(geodat_asset_path("/etc/hostname", path,
	    sizeof(path), NULL, 0), 0);
	assert_string_equal(path, "/etc/hostname");
	/* Unset: the executable's directory comes first. */
	unsetenv("V2RAY_LOCATION_ASSET");
	assert_int_equal(geodat_asset_path("none.dat", path, sizeof(path),
	    NULL, 0), 0);
	assert_non_null(strstr(path, "/tests/none.dat"));
	setenv("V2RAY_LOCATION_ASSET", tmpdir, 1);
}

static void
test_geodat_geosite_load(void **state)
{
	struct domset	*ds;
	char		 err[1024];

	ds = route_geosite_load("geosite:TEST", err, sizeof(err));
	assert_non_null(ds);
	assert_true(domset_match(ds, "a.blocked.example"));
	assert_true(domset_match(ds, "re7.example"));
	assert_false(domset_match(ds, "google.example"));
	domset_free(ds);
	ds = route_geosite_load("google @ Ads", err, sizeof(err));
	assert_non_null(ds);
	assert_true(domset_match(ds, "x.ads.google.example"));
	assert_false(domset_match(ds, "www.google.example"));
	domset_free(ds);
	ds = route_geosite_load("ext:mine.dat:google", err, sizeof(err));
	assert_non_null(ds);
	assert_int_equal(domset_count(ds), 3);
	domset_free(ds);

	assert_null(route_geosite_load("geosite:nope", err, sizeof(err)));
	assert_non_null(strstr(err, "\"nope\" not found in"));
	assert_non_null(strstr(err, "/geosite.dat"));
	assert_null(route_geosite_load("google@nope", err, sizeof(err)));
	assert_non_null(strstr(err, "no domains with those attributes"));
	assert_null(route_geosite_load("ext:missing.dat:x", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "missing.dat not found (looked for"));
	assert_null(route_geosite_load("ext:junk.dat:x", err, sizeof(err)));
	assert_non_null(strstr(err, "junk.dat: malformed"));
	assert_null(route_geosite_load("ext:/nonexistent/a.dat:x", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "cannot read /nonexistent/a.dat"));
}

static struct route_table *
rules(const char *const *dom, const char *const *ip, char *err,
    size_t errlen, struct conf *c)
{
	struct conf_rule	*r;

	conf_init(c);
	r = conf_add_rule(c);
	for (; dom != NULL && *dom != NULL; dom++)
		conf_strv_push(&r->domain, *dom);
	for (; ip != NULL && *ip != NULL; ip++)
		conf_strv_push(&r->ip, *ip);
	r->outbound_tag = strdup("block");
	return route_compile(c, err, errlen);
}

static const char *
route_dom(const struct route_table *rt, const char *d)
{
	struct route_query	 q;
	const char		*tag = NULL;

	memset(&q, 0, sizeof(q));
	q.network = CONF_NETBIT_TCP;
	q.domain = d;
	q.port = 80;
	return route_match(rt, &q, &tag, NULL) == ROUTE_MATCHED ? tag : "-";
}

static const char *
route_ip(const struct route_table *rt, const char *ip)
{
	struct route_query	 q;
	const char		*tag = NULL;

	memset(&q, 0, sizeof(q));
	q.network = CONF_NETBIT_TCP;
	if (inet_pton(AF_INET, ip, q.ip.addr) == 1)
		q.ip.family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, ip, q.ip.addr), 1);
		q.ip.family = AF_INET6;
	}
	q.port = 80;
	return route_match(rt, &q, &tag, NULL) == ROUTE_MATCHED ? tag : "-";
}

static void
test_geodat_route(void **state)
{
	static const char *const dom[] = { "geosite:test",
	    "geosite:google@ads", "ext:mine.dat:TEST", NULL };
	static const char *const ip[] = { "geoip:cn", "ext-ip:other-ip.dat:us",
	    "geoip:private", NULL };
	struct route_table	*rt;
	struct conf		 c;
	char			 err[1024];

	assert_non_null(rt = rules(dom, NULL, err, sizeof(err), &c));
	assert_string_equal(route_dom(rt, "blocked.example"), "block");
	assert_string_equal(route_dom(rt, "x.blocked.example"), "block");
	assert_string_equal(route_dom(rt, "notblocked.example"), "-");
	assert_string_equal(route_dom(rt, "exact.example"), "block");
	assert_string_equal(route_dom(rt, "a.exact.example"), "-");
	assert_string_equal(route_dom(rt, "akwblockb.org"), "block");
	assert_string_equal(route_dom(rt, "re99.example"), "block");
	assert_string_equal(route_dom(rt, "ads.google.example"), "block");
	assert_string_equal(route_dom(rt, "www.google.example"), "-");
	route_free(rt);
	conf_cleanup(&c);

	assert_non_null(rt = rules(NULL, ip, err, sizeof(err), &c));
	assert_string_equal(route_ip(rt, "1.2.3.200"), "block");
	assert_string_equal(route_ip(rt, "::ffff:1.2.3.4"), "block");
	assert_string_equal(route_ip(rt, "1.2.4.1"), "-");
	assert_string_equal(route_ip(rt, "2001:db8:1::1"), "block");
	assert_string_equal(route_ip(rt, "2001:db9::1"), "-");
	assert_string_equal(route_ip(rt, "8.8.8.8"), "block");
	assert_string_equal(route_ip(rt, "9.9.9.9"), "-");  /* 2nd "cn" */
	assert_string_equal(route_ip(rt, "192.168.1.1"), "block");
	route_free(rt);
	conf_cleanup(&c);
}

static void
test_geodat_route_errors(void **state)
{
	static const struct {
		const char *dom, *ip, *n1, *n2;
	} bad[] = {
		{ "geosite:nope", NULL, "rule 0: domain", "\"nope\" not "
		  "found in" },
		{ "geosite:google@nope", NULL, "geosite:google@nope",
		  "no domains" },
		{ "ext:missing.dat:x", NULL, "missing.dat not found", NULL },
		{ NULL, "geoip:jp", "rule 0: ip \"geoip:jp\"", "\"jp\" not "
		  "found in" },
		{ NULL, "geoip:!cn", "\"!cn\" not found", "negation" },
		{ NULL, "geoip:empty", "has no CIDRs", NULL },
		{ NULL, "ext:missing.dat:x", "missing.dat not found", NULL },
		{ NULL, "ext:junk.dat:x", "junk.dat: malformed", NULL },
		{ NULL, "ext:junk.dat", "want ext:FILE:CODE", NULL },
		{ NULL, "geoip:", "empty country code", NULL },
	};
	const char		*dom[2] = { NULL, NULL }, *ip[2] = { NULL,
				    NULL };
	struct route_table	*rt;
	struct conf		 c;
	char			 err[1024];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dom[0] = bad[i].dom;
		ip[0] = bad[i].ip;
		rt = rules(dom, ip, err, sizeof(err), &c);
		conf_cleanup(&c);
		if (rt != NULL)
			fail_msg("%s compiled", bad[i].dom ? bad[i].dom :
			    bad[i].ip);
		if (strstr(err, bad[i].n1) == NULL ||
		    (bad[i].n2 != NULL && strstr(err, bad[i].n2) == NULL))
			fail_msg("\"%s\" lacks \"%s\" / \"%s\"", err, bad[i].n1,
			    bad[i].n2 ? bad[i].n2 : "");
	}
}

/* The same sets outside routing (DNS expectIps). */
static void
test_geodat_ipset(void **state)
{
	struct conf_strv	 sv = { NULL, 0 };
	struct route_ipset	*set;
	struct route_ip		 ip;
	char			 err[1024];

	conf_strv_push(&sv, "geoip:CN");
	conf_strv_push(&sv, "ext:other-ip.dat:us");
	conf_strv_push(&sv, "geoip:private");
	conf_strv_push(&sv, "203.0.113.0/24");
	assert_non_null(set = route_ipset_new(&sv, err, sizeof(err)));
	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET;
	inet_pton(AF_INET, "1.2.3.9", ip.addr);
	assert_true(route_ipset_match(set, &ip));
	inet_pton(AF_INET, "8.8.8.8", ip.addr);
	assert_true(route_ipset_match(set, &ip));
	inet_pton(AF_INET, "10.1.1.1", ip.addr);
	assert_true(route_ipset_match(set, &ip));
	inet_pton(AF_INET, "203.0.113.77", ip.addr);
	assert_true(route_ipset_match(set, &ip));
	inet_pton(AF_INET, "9.9.9.9", ip.addr);
	assert_false(route_ipset_match(set, &ip));
	assert_false(route_ipset_match(NULL, &ip));
	route_ipset_free(set);
	route_ipset_free(NULL);
	conf_strv_push(&sv, "geoip:nope");
	assert_null(route_ipset_new(&sv, err, sizeof(err)));
	assert_non_null(strstr(err, "\"geoip:nope\": list \"nope\" not found"));
	conf_strv_free(&sv);
	conf_strv_push(&sv, "1.2.3.4/40");
	assert_null(route_ipset_new(&sv, err, sizeof(err)));
	assert_string_equal(err, "\"1.2.3.4/40\": bad IP or CIDR");
	conf_strv_free(&sv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geodat_ip_scan),
		cmocka_unit_test(test_geodat_site_scan),
		cmocka_unit_test(test_geodat_malformed),
		cmocka_unit_test(test_geodat_domset_types),
		cmocka_unit_test(test_geodat_domset_errors),
		cmocka_unit_test(test_geodat_domset_ac),
		cmocka_unit_test(test_geodat_asset_path),
		cmocka_unit_test(test_geodat_geosite_load),
		cmocka_unit_test(test_geodat_route),
		cmocka_unit_test(test_geodat_route_errors),
		cmocka_unit_test(test_geodat_ipset),
	};

	return cmocka_run_group_tests(tests, files_setup, files_teardown);
}
