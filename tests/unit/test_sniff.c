/* SPDX-License-Identifier: MIT */
/*
 * test_sniff.c: the sniffers against real ClientHellos and the HTTP cases
 * of mux-reverse-socks-routing-config.md §4; host forms checked on 4.34.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sniff/sniff.h"

/*
 * Captured on this machine: Python's ssl.MemoryBIO handshake, and
 * `openssl s_client` (OpenSSL 3.0) against a local listener.
 */
/* Python 3 ssl (OpenSSL 3.0), server_hostname='www.tls.example': 517 bytes */
static const char hello_py_sni[] =
    "1603010200010001fc03035aa9b1d7fdb755e878146b7fd306c7e6b406a613ed"
    "258d3265399e1ea983e280206c80abf468d1fda51fb9ab74df4f9ac9a7bdd620"
    "2365e50835d35ca26e1cfbfa0024130213031301c02cc030c02bc02fcca9cca8"
    "c024c028c023c027009f009e006b006700ff0100018f00000014001200000f77"
    "77772e746c732e6578616d706c65000b000403000102000a00160014001d0017"
    "001e0019001801000101010201030104002300000016000000170000000d002a"
    "0028040305030603080708080809080a080b0804080508060401050106010303"
    "03010302040205020602002b00050403040303002d0002010100330026002400"
    "1d0020acf0ac064407faca216bd9d35602e6a0b12216a53366250a5c861bfdba"
    "e77f4e001500de00000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000";

/* Python 3 ssl (OpenSSL 3.0), server_hostname=None: 517 bytes */
static const char hello_py_nosni[] =
    "1603010200010001fc0303380b1878261363a3cd09f9fae65c8513d4bc7dee49"
    "fb6d1db94578dce2ba875a2035d4de8dbc980ad01e469729a91adf8f5414e22f"
    "38e7ae0235b1783d31b127a70024130213031301c02cc030c02bc02fcca9cca8"
    "c024c028c023c027009f009e006b006700ff0100018f000b000403000102000a"
    "00160014001d0017001e00190018010001010102010301040023000000160000"
    "00170000000d002a0028040305030603080708080809080a080b080408050806"
    "040105010601030303010302040205020602002b00050403040303002d000201"
    "01003300260024001d002042cf00be3c321ad6ab792158189a5525cf5c4e3384"
    "758cd702ceb1ff01b64231001500f60000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000";

/* openssl s_client -servername www.ossl.example: 322 bytes */
static const char hello_ossl_sni[] =
    "160301013d01000139030349e7176a57de2f1ba26d3e534f8d3fb1c2a7519631"
    "be135634313dd4d2dad3d9201c566a33d2a9adc2bfe83f91158864873e282fec"
    "b13a7500536e9fdac9f439ae003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
    "009c003d003c0035002f00ff010000b20000001500130000107777772e6f7373"
    "6c2e6578616d706c65000b000403000102000a00160014001d0017001e001900"
    "1801000101010201030104002300000016000000170000000d002a0028040305"
    "030603080708080809080a080b08040805080604010501060103030301030204"
    "0205020602002b0009080304030303020301002d00020101003300260024001d"
    "0020f1d537955cf8d686d9814b1f50d8c5bbaaf0125001cdd34ad392c9fb9069"
    "ef62";

/* openssl s_client -servername trailing.example.: 323 bytes */
static const char hello_ossl_dot[] =
    "160301013e0100013a030312dfbe534305291eb278302836c793c87627d3449d"
    "286f80c00a8bf97a488253205ab39912d8b5062698c3b32c6efa4d2340980747"
    "8f347506fcaa97746f893d3a003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
    "009c003d003c0035002f00ff010000b3000000160014000011747261696c696e"
    "672e6578616d706c652e000b000403000102000a00160014001d0017001e0019"
    "001801000101010201030104002300000016000000170000000d002a00280403"
    "05030603080708080809080a080b080408050806040105010601030303010302"
    "040205020602002b0009080304030303020301002d0002010100330026002400"
    "1d002065d993fc8983b51d66f42f33940f9a1b07e00f569af4e3e7eee228df1a"
    "73297d";

/* openssl s_client -tls1_2 -servername Mixed.Case.Example: 215 bytes */
static const char hello_ossl12_sni[] =
    "16030100d2010000ce0303b656c5686a45a415a57926160fac99c23a3f567be1"
    "b25ea1d895888f465a8624000038c02cc030009fcca9cca8ccaac02bc02f009e"
    "c024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c"
    "0035002f00ff0100006d0000001700150000124d697865642e436173652e4578"
    "616d706c65000b000403000102000a000c000a001d0017001e00190018002300"
    "000016000000170000000d002a0028040305030603080708080809080a080b08"
    "0408050806040105010601030303010302040205020602";

/* openssl s_client -noservername: 297 bytes */
static const char hello_ossl_nosni[] =
    "1603010124010001200303245c2e6faa2236b2692754138bde2186bbc3323a74"
    "317c76831bdddde286a79f20c14762c3b2c7bf00e52f728e7d551c18b94338e6"
    "846acc224ea5a3e1c32c91b6003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
    "009c003d003c0035002f00ff01000099000b000403000102000a00160014001d"
    "0017001e0019001801000101010201030104002300000016000000170000000d"
    "002a0028040305030603080708080809080a080b080408050806040105010601"
    "030303010302040205020602002b0009080304030303020301002d0002010100"
    "3300260024001d00204983f0b0dc2a82622f46d52dd9069f8e7924dfca4a3440"
    "8b5493362a0f68d93f";

#define BUFMAX	4096

struct hello {
	uint8_t	b[BUFMAX];
	size_t	len;
};

static void
hello_load(struct hello *h, const char *hex)
{
	size_t		n = strlen(hex), i;
	unsigned	v;

	assert_true(n % 2 == 0 && n / 2 <= BUFMAX);
	for (i = 0; i < n / 2; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		h->b[i] = (uint8_t)v;
	}
	h->len = n / 2;
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t
get16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/* Offset of the extensions length field, walked independently. */
static size_t
hello_ext_off(const struct hello *h)
{
	size_t	i = 5 + 4 + 2 + 32;

	i += 1 + h->b[i];
	i += 2 + get16(h->b + i);
	i += 1 + h->b[i];
	assert_true(i + 2 <= h->len);
	return i;
}

/* Offset of extension `type`'s header, or 0. */
static size_t
hello_find_ext(const struct hello *h, unsigned type)
{
	size_t	i = hello_ext_off(h) + 2;

	while (i + 4 <= h->len) {
		if (get16(h->b + i) == type)
			return i;
		i += 4 + get16(h->b + i + 2);
	}
	return 0;
}

/* Grow the record by one (padding-type) extension of `extra` bytes. */
static void
hello_grow(struct hello *h, size_t extra)
{
	size_t	eo = hello_ext_off(h), body;

	assert_true(extra >= 4 && h->len + extra <= BUFMAX);
	memset(h->b + h->len, 0, extra);
	put16(h->b + h->len, 0x15);
	put16(h->b + h->len + 2, extra - 4);
	h->len += extra;
	put16(h->b + 3, h->len - 5);
	body = h->len - 9;
	h->b[6] = (uint8_t)(body >> 16);
	put16(h->b + 7, body);
	put16(h->b + eo, h->len - eo - 2);
}

/* A minimal ClientHello around the given extensions block. */
static void
hello_build(struct hello *h, const uint8_t *ext, size_t extlen)
{
	static const uint8_t	head[] = { 0x16, 0x03, 0x01, 0, 0, 0x01, 0,
				    0, 0, 0x03, 0x03 };
	size_t			i;

	memcpy(h->b, head, sizeof(head));
	i = sizeof(head);
	memset(h->b + i, 0xab, 32);		/* random */
	i += 32;
	h->b[i++] = 0;				/* session id */
	put16(h->b + i, 2);
	put16(h->b + i + 2, 0x1301);
	i += 4;
	h->b[i++] = 1;				/* compression */
	h->b[i++] = 0;
	put16(h->b + i, extlen);
	i += 2;
	memcpy(h->b + i, ext, extlen);
	h->len = i + extlen;
	put16(h->b + 3, h->len - 5);
	put16(h->b + 7, h->len - 9);
}

/* SNI extension with the given raw server_name_list entries. */
static size_t
sni_ext(uint8_t *e, const uint8_t *list, size_t listlen)
{
	put16(e, 0);
	put16(e + 2, listlen + 2);
	put16(e + 4, listlen);
	memcpy(e + 6, list, listlen);
	return listlen + 6;
}

static void
out_poison(struct sniff_out *o)
{
	memset(o, 'Z', sizeof(*o));
}

static void
out_untouched(const struct sniff_out *o)
{
	struct sniff_out	z;

	out_poison(&z);
	assert_memory_equal(o, &z, sizeof(z));
}

static void
expect_tls(const struct hello *h, const char *domain)
{
	struct sniff_out	o;

	out_poison(&o);
	assert_int_equal(sniff_tls(h->b, h->len, &o), SNIFF_FOUND);
	assert_string_equal(o.protocol, "tls");
	assert_string_equal(o.domain, domain);
}

static void
expect_tls_r(const struct hello *h, enum sniff_result r)
{
	struct sniff_out	o;

	out_poison(&o);
	assert_int_equal(sniff_tls(h->b, h->len, &o), r);
	out_untouched(&o);
}

static void
test_sniff_tls_real_hellos(void **state)
{
	struct hello	h;

	hello_load(&h, hello_py_sni);
	assert_int_equal(h.len, 517);
	expect_tls(&h, "www.tls.example");
	hello_load(&h, hello_ossl_sni);
	expect_tls(&h, "www.ossl.example");
	/* SNI is returned as sent: the TLS sniffer does not lowercase. */
	hello_load(&h, hello_ossl12_sni);
	expect_tls(&h, "Mixed.Case.Example");
}

static void
test_sniff_tls_every_prefix_is_more(void **state)
{
	static const char *const hex[] = { hello_py_sni, hello_ossl_sni,
				    hello_ossl12_sni, hello_py_nosni,
				    hello_ossl_nosni, hello_ossl_dot };
	struct hello		h;
	struct sniff_out	o;
	size_t			i, n;

	for (i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		hello_load(&h, hex[i]);
		for (n = 0; n < h.len; n++) {
			out_poison(&o);
			assert_int_equal(sniff_tls(h.b, n, &o), SNIFF_MORE);
			out_untouched(&o);
		}
		assert_int_not_equal(sniff_tls(h.b, h.len, &o), SNIFF_MORE);
	}
}

static void
test_sniff_tls_no_sni(void **state)
{
	struct hello	h;

	hello_load(&h, hello_py_nosni);
	assert_int_equal(hello_find_ext(&h, 0), 0);
	expect_tls_r(&h, SNIFF_NOT);
	hello_load(&h, hello_ossl_nosni);
	expect_tls_r(&h, SNIFF_NOT);
}

static void
test_sniff_tls_trailing_dot(void **state)
{
	struct hello	h;
	size_t		x;

	hello_load(&h, hello_ossl_dot);
	expect_tls_r(&h, SNIFF_NOT);
	/* Same hello with the last name byte changed: the dot decides. */
	x = hello_find_ext(&h, 0);
	assert_true(x != 0);
	assert_int_equal(h.b[x + 4 + get16(h.b + x + 2) - 1], '.');
	h.b[x + 4 + get16(h.b + x + 2) - 1] = 'x';
	expect_tls(&h, "trailing.examplex");

	hello_load(&h, hello_py_sni);
	x = hello_find_ext(&h, 0);
	h.b[x + 4 + get16(h.b + x + 2) - 1] = '.';
	expect_tls_r(&h, SNIFF_NOT);
}

static void
test_sniff_tls_record_header(void **state)
{
	struct hello	h;

	hello_load(&h, hello_py_sni);
	h.b[0] = 0x17;
	expect_tls_r(&h, SNIFF_NOT);
	hello_load(&h, hello_py_sni);
	h.b[1] = 0x02;
	expect_tls_r(&h, SNIFF_NOT);
	/* The minor version is not checked. */
	hello_load(&h, hello_py_sni);
	h.b[2] = 0x7f;
	expect_tls(&h, "www.tls.example");
	/* Not TLS is known from the first 5 bytes alone. */
	assert_int_equal(sniff_tls((const uint8_t *)"GET /", 5, NULL),
	    SNIFF_NOT);
	assert_int_equal(sniff_tls((const uint8_t *)"GET ", 4, NULL),
	    SNIFF_MORE);
	/* A record longer than the bytes at hand: no clue yet. */
	hello_load(&h, hello_py_sni);
	put16(h.b + 3, get16(h.b + 3) + 1);
	expect_tls_r(&h, SNIFF_MORE);
	/* Bytes after the record are ignored. */
	hello_load(&h, hello_py_sni);
	memcpy(h.b + h.len, "\x17\x03\x03junk", 8);
	h.len += 8;
	expect_tls(&h, "www.tls.example");
}

static void
test_sniff_tls_malformed(void **state)
{
	struct hello	h;
	size_t		x, eo, cso;

	/* Odd cipher suite length. */
	hello_load(&h, hello_py_sni);
	cso = 5 + 4 + 2 + 32 + 1 + h.b[5 + 4 + 2 + 32];
	put16(h.b + cso, get16(h.b + cso) + 1);
	expect_tls_r(&h, SNIFF_NOT);
	/* Cipher suites running past the record. */
	hello_load(&h, hello_py_sni);
	put16(h.b + cso, 0xfffe);
	expect_tls_r(&h, SNIFF_NOT);
	/* Extensions total must equal the rest exactly, both ways. */
	hello_load(&h, hello_py_sni);
	eo = hello_ext_off(&h);
	put16(h.b + eo, get16(h.b + eo) - 1);
	expect_tls_r(&h, SNIFF_NOT);
	put16(h.b + eo, get16(h.b + eo) + 2);
	expect_tls_r(&h, SNIFF_NOT);
	/* One extra byte inside the record after the extensions. */
	hello_load(&h, hello_py_sni);
	h.b[h.len++] = 0;
	put16(h.b + 3, h.len - 5);
	expect_tls_r(&h, SNIFF_NOT);
	/* SNI list length not equal to the extension body. */
	hello_load(&h, hello_py_sni);
	x = hello_find_ext(&h, 0);
	put16(h.b + x + 4, get16(h.b + x + 4) - 1);
	expect_tls_r(&h, SNIFF_NOT);
	/* Name length past the list. */
	hello_load(&h, hello_py_sni);
	put16(h.b + x + 7, get16(h.b + x + 7) + 1);
	expect_tls_r(&h, SNIFF_NOT);
	/* Session id over 32 and a body under 42 are "no clue", as 4.34. */
	hello_load(&h, hello_py_sni);
	h.b[5 + 38] = 33;
	expect_tls_r(&h, SNIFF_MORE);
	hello_load(&h, hello_py_sni);
	put16(h.b + 3, 41);
	h.len = 5 + 41;
	expect_tls_r(&h, SNIFF_MORE);
	put16(h.b + 3, 42);
	h.len = 5 + 42;
	h.b[5 + 38] = 0;
	put16(h.b + 5 + 39, 0);			/* no suites */
	h.b[5 + 41] = 1;			/* 1 method, not there */
	expect_tls_r(&h, SNIFF_MORE);
	/* A record ending inside the compression list: no clue either. */
	hello_load(&h, hello_py_sni);
	x = cso + 2 + get16(h.b + cso);
	assert_int_equal(h.b[x], 1);
	h.len = x + 1;
	put16(h.b + 3, h.len - 5);
	expect_tls_r(&h, SNIFF_MORE);
	/* Ending right after it, with no extensions length: not a hello. */
	h.len = x + 2;
	put16(h.b + 3, h.len - 5);
	expect_tls_r(&h, SNIFF_NOT);
}

static void
test_sniff_tls_sni_entries(void **state)
{
	struct hello	h;
	uint8_t		ext[1024], list[600];
	char		name[256];
	size_t		n;

	/* A type-1 entry is skipped; the first type-0 name is returned. */
	memcpy(list, "\x01\x00\x03" "abc" "\x00\x00\x05" "first"
	    "\x00\x00\x06" "second", 3 + 3 + 3 + 5 + 3 + 6);
	n = sni_ext(ext, list, 23);
	hello_build(&h, ext, n);
	expect_tls(&h, "first");
	/* Only non-zero types: no SNI at all. */
	n = sni_ext(ext, list, 6);
	hello_build(&h, ext, n);
	expect_tls_r(&h, SNIFF_NOT);
	/* An empty name is still a name (the domain is ""). */
	n = sni_ext(ext, (const uint8_t *)"\x00\x00\x00", 3);
	hello_build(&h, ext, n);
	expect_tls(&h, "");
	/* Other extensions first; an empty extensions block has no SNI. */
	memcpy(ext, "\x00\x0b\x00\x02\x01\x00", 6);
	n = 6 + sni_ext(ext + 6, list + 6, 8);
	hello_build(&h, ext, n);
	expect_tls(&h, "first");
	hello_build(&h, ext, 0);
	expect_tls_r(&h, SNIFF_NOT);
	/* An extension header cut short. */
	hello_build(&h, ext, 3);
	expect_tls_r(&h, SNIFF_NOT);
	/* 255 bytes fit sniff_out; longer, or with a NUL, cannot. */
	list[0] = 0;
	put16(list + 1, 255);
	memset(list + 3, 'a', 256);
	n = sni_ext(ext, list, 3 + 255);
	hello_build(&h, ext, n);
	memset(name, 'a', 255);
	name[255] = '\0';
	expect_tls(&h, name);
	put16(list + 1, 256);
	n = sni_ext(ext, list, 3 + 256);
	hello_build(&h, ext, n);
	expect_tls_r(&h, SNIFF_NOT);
	memcpy(list, "\x00\x00\x03" "a\0b", 6);
	n = sni_ext(ext, list, 6);
	hello_build(&h, ext, n);
	expect_tls_r(&h, SNIFF_NOT);
}

struct http_case {
	const char		*req;
	enum sniff_result	 r;
	const char		*domain;	/* when SNIFF_FOUND */
};

static void
http_cases(const struct http_case *c, size_t n)
{
	struct sniff_out	o;
	enum sniff_result	r;
	size_t			i;

	for (i = 0; i < n; i++) {
		out_poison(&o);
		r = sniff_http((const uint8_t *)c[i].req, strlen(c[i].req),
		    &o);
		if (r != c[i].r || (r == SNIFF_FOUND &&
		    strcmp(o.domain, c[i].domain) != 0))
			fail_msg("case %zu \"%s\": got %d \"%.*s\"", i,
			    c[i].req, r, r == SNIFF_FOUND ? 255 : 0,
			    o.domain);
		if (r == SNIFF_FOUND)
			assert_string_equal(o.protocol, "http1");
		else
			out_untouched(&o);
	}
}

#define H(host)	"GET / HTTP/1.1\r\nHost: " host "\r\n\r\n"

static void
test_sniff_http_basic(void **state)
{
	static const struct http_case c[] = {
		{ H("www.example.com"), SNIFF_FOUND, "www.example.com" },
		{ "GET / HTTP/1.1\r\nUser-Agent: x\r\nHost: a.example\r\n"
		  "Accept: */*\r\n\r\n", SNIFF_FOUND, "a.example" },
		/* Bare \n works as well as CRLF. */
		{ "GET / HTTP/1.1\nHost: lf.example\n\n", SNIFF_FOUND,
		  "lf.example" },
		/* Every method of the list, any case. */
		{ "post / HTTP/1.1\r\nHost: p\r\n", SNIFF_FOUND, "p" },
		{ "HeAd / HTTP/1.1\r\nHost: h\r\n", SNIFF_FOUND, "h" },
		{ "PUT / HTTP/1.1\r\nHost: u\r\n", SNIFF_FOUND, "u" },
		{ "DELETE / HTTP/1.1\r\nHost: d\r\n", SNIFF_FOUND, "d" },
		{ "OPTIONS * HTTP/1.1\r\nHost: o\r\n", SNIFF_FOUND, "o" },
		{ "CONNECT c:443 HTTP/1.1\r\nHost: c:443\r\n", SNIFF_FOUND,
		  "c" },
		/* Only a prefix is compared, as 4.34. */
		{ "GETX / HTTP/1.1\nHost: b.example\n\n", SNIFF_FOUND,
		  "b.example" },
		/* A truncated final line is taken as it is. */
		{ "GET / HTTP/1.1\r\nHost: exa", SNIFF_FOUND, "exa" },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_host_port(void **state)
{
	/* Port handling as /usr/bin/v2ray 4.34 does it. */
	static const struct http_case c[] = {
		{ H("example.com:8080"), SNIFF_FOUND, "example.com" },
		{ H("example.com:"), SNIFF_FOUND, "example.com" },
		{ H("a:65535"), SNIFF_FOUND, "a" },
		{ H("a:0"), SNIFF_FOUND, "a" },
		{ H("a:007"), SNIFF_FOUND, "a" },
		{ H("a:65536"), SNIFF_NOT, NULL },
		{ H("a:x"), SNIFF_NOT, NULL },
		{ H("a:+5"), SNIFF_NOT, NULL },
		{ H("a:-5"), SNIFF_NOT, NULL },
		{ H("a:99999999999999999999"), SNIFF_NOT, NULL },
		{ H("a :80"), SNIFF_FOUND, "a" },
		{ H("1.2.3.4:80"), SNIFF_FOUND, "1.2.3.4" },
		{ H(":80"), SNIFF_MORE, NULL },
		{ H("a]:80"), SNIFF_NOT, NULL },
		{ H("a[:80"), SNIFF_NOT, NULL },
		{ H("a[b"), SNIFF_FOUND, "a[b" },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_ipv6(void **state)
{
	/* Results observed on /usr/bin/v2ray 4.34 (Go 1.19 net.ParseIP). */
	static const struct http_case c[] = {
		{ H("[::1]"), SNIFF_FOUND, "[::1]" },
		{ H("[::1]:443"), SNIFF_FOUND, "[::1]" },
		{ H("[2001:DB8::1]:80"), SNIFF_FOUND, "[2001:db8::1]" },
		{ H("[0:0::1]"), SNIFF_FOUND, "[::1]" },
		{ H("[0:0:0:0:0:0:0:0]:8"), SNIFF_FOUND, "[::]" },
		{ H("[00001::]"), SNIFF_FOUND, "[1::]" },
		{ H("[1:0:0:2:0:0:0:3]"), SNIFF_FOUND, "[1:0:0:2::3]" },
		{ H("[1:0:0:1:0:0:1:1]"), SNIFF_FOUND, "[1::1:0:0:1:1]" },
		{ H("[1:2:3:4:5:6:7::]"), SNIFF_FOUND, "[1:2:3:4:5:6:7:0]" },
		{ H("[1:2:3:4:5:6:1.2.3.4]"), SNIFF_FOUND,
		  "[1:2:3:4:5:6:102:304]" },
		{ H("[::1.2.3.4]"), SNIFF_FOUND, "[::102:304]" },
		/* IPv4-mapped addresses become IPv4. */
		{ H("[::ffff:1.2.3.4]:80"), SNIFF_FOUND, "1.2.3.4" },
		{ H("[::FFFF:0102:0304]"), SNIFF_FOUND, "1.2.3.4" },
		{ H("[::ffff:0:0]"), SNIFF_FOUND, "0.0.0.0" },
		/* Not IP literals to Go: kept as names, brackets gone. */
		{ H("[1::2:3:4:5:6:7:8]"), SNIFF_FOUND, "1::2:3:4:5:6:7:8" },
		{ H("[fe80::1%eth0]"), SNIFF_FOUND, "fe80::1%eth0" },
		{ H("[::ffff:01.2.3.4]"), SNIFF_FOUND, "::ffff:01.2.3.4" },
		{ H("[1:2::3:]"), SNIFF_FOUND, "1:2::3:" },
		{ H("[example.COM]"), SNIFF_FOUND, "example.com" },
		{ H("[ a ]:1"), SNIFF_FOUND, "a" },
		{ H("[]"), SNIFF_MORE, NULL },
		/* Unbracketed IPv6 is "too many colons": a hard error. */
		{ H("::1"), SNIFF_NOT, NULL },
		{ H("::"), SNIFF_NOT, NULL },
		{ H("[::1"), SNIFF_NOT, NULL },
		/* "]" not before the last ":": the whole value is the name. */
		{ H("[::1]x:80"), SNIFF_FOUND, "[::1]x:80" },
		{ H("[::1]:80:80"), SNIFF_NOT, NULL },
		{ H("[::1]]:80"), SNIFF_FOUND, "[::1]]:80" },
		{ H("[::1]x"), SNIFF_FOUND, "[::1]x" },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_ipv4_and_names(void **state)
{
	static const struct http_case c[] = {
		{ H("1.2.3.4"), SNIFF_FOUND, "1.2.3.4" },
		{ H("[1.2.3.4]"), SNIFF_FOUND, "1.2.3.4" },
		{ H("0.0.0.0"), SNIFF_FOUND, "0.0.0.0" },
		/* Go 1.19 refuses leading zeros: these stay names. */
		{ H("010.1.1.1"), SNIFF_FOUND, "010.1.1.1" },
		{ H("1.2.3.04"), SNIFF_FOUND, "1.2.3.04" },
		{ H("1.2.3.4."), SNIFF_FOUND, "1.2.3.4." },
		{ H("256.1.1.1"), SNIFF_FOUND, "256.1.1.1" },
		{ H("1.2.3x4"), SNIFF_FOUND, "1.2.3x4" },
		{ H("[1:2:3:1.2.3.4]"), SNIFF_FOUND, "1:2:3:1.2.3.4" },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_lowercase_and_trim(void **state)
{
	static const struct http_case c[] = {
		{ "GET / HTTP/1.1\r\nHOST: WWW.Example.COM\r\n\r\n",
		  SNIFF_FOUND, "www.example.com" },
		{ "gEt / HTTP/1.1\r\nhOsT:\tMiXeD.example \t\r\n\r\n",
		  SNIFF_FOUND, "mixed.example" },
		{ "GET / HTTP/1.1\r\nHost:nospace.example\r\n\r\n",
		  SNIFF_FOUND, "nospace.example" },
		{ H("\x0bz.com\x0c"), SNIFF_FOUND, "z.com" },
		/* Go trims Unicode spaces too (NBSP, U+2000). */
		{ "GET / HTTP/1.1\r\nHost:\xc2\xa0x.com\xc2\xa0\r\n\r\n",
		  SNIFF_FOUND, "x.com" },
		{ H("\xe2\x80\x80" "a"), SNIFF_FOUND, "a" },
		/* The key itself is not trimmed. */
		{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", SNIFF_MORE, NULL },
		{ "GET / HTTP/1.1\r\n Host: a\r\n\r\n", SNIFF_MORE, NULL },
		{ "GET / HTTP/1.1\r\nHostname: a\r\n\r\n", SNIFF_MORE,
		  NULL },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_last_host_wins(void **state)
{
	static const struct http_case c[] = {
		{ "GET / HTTP/1.1\r\nHost: first\r\nHost: second\r\n\r\n",
		  SNIFF_FOUND, "second" },
		{ "GET / HTTP/1.1\r\nHost: first:1\r\nX: y\r\n"
		  "host: [::2]:2\r\n\r\n", SNIFF_FOUND, "[::2]" },
		/* An empty last Host wins too, leaving no host. */
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: \r\n\r\n", SNIFF_MORE,
		  NULL },
		/* A bad Host fails at once, whatever follows. */
		{ "GET / HTTP/1.1\r\nHost: a:+5\r\nHost: b\r\n\r\n",
		  SNIFF_NOT, NULL },
		{ "GET / HTTP/1.1\r\nHost: b\r\nHost: a:+5\r\n\r\n",
		  SNIFF_NOT, NULL },
		/* Hosts after the empty line are body, not headers. */
		{ "GET / HTTP/1.1\nHost: head\n\nHost: body\n", SNIFF_FOUND,
		  "head" },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_empty_line(void **state)
{
	static const struct http_case c[] = {
		/* "\r" alone is not empty: parsing runs into the body. */
		{ "GET / HTTP/1.1\r\nX: y\r\n\r\nHost: body.example\r\n",
		  SNIFF_FOUND, "body.example" },
		/* A truly empty line stops it. */
		{ "GET / HTTP/1.1\nX: y\n\nHost: body.example\n", SNIFF_MORE,
		  NULL },
		/* The request line is never a header. */
		{ "GET Host: a\r\n\r\n", SNIFF_MORE, NULL },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_missing_host(void **state)
{
	static const struct http_case c[] = {
		{ "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", SNIFF_MORE,
		  NULL },
		{ "GET / HTTP/1.0\r\n\r\n", SNIFF_MORE, NULL },
		{ "GET / HTTP/1.1\r\n", SNIFF_MORE, NULL },
		{ "GET", SNIFF_MORE, NULL },
		{ "GET / HTTP/1.1\r\nHo", SNIFF_MORE, NULL },
		{ "GET / HTTP/1.1\r\nHost:", SNIFF_MORE, NULL },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_unknown_method(void **state)
{
	static const struct http_case c[] = {
		{ "PATCH / HTTP/1.1\r\nHost: a\r\n\r\n", SNIFF_NOT, NULL },
		{ "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", SNIFF_NOT, NULL },
		{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", SNIFF_NOT, NULL },
		{ "XYZWVUT", SNIFF_NOT, NULL },
		{ "\x16\x03\x01\x02\x01\x01\x01", SNIFF_NOT, NULL },
	};

	http_cases(c, sizeof(c) / sizeof(c[0]));
}

static void
test_sniff_http_short_buffer_quirk(void **state)
{
	/*
	 * Shorter than the method being compared is "no clue", even when a
	 * later, shorter method would have matched or nothing could.
	 */
	static const struct http_case c[] = {
		{ "", SNIFF_MORE, NULL },
		{ "G", SNIFF_MORE, NULL },
		{ "GE", SNIFF_MORE, NULL },
		{ "PUT", SNIFF_MORE, NULL },	/* "post" is compared first */
		{ "POS", SNIFF_MORE, NULL },
		{ "XYZ", SNIFF_MORE, NULL },
		{ "XYZW", SNIFF_MORE, NULL },	/* "delete" is 6 long */
		{ "PATCH ", SNIFF_MORE, NULL },	/* "options" is 7 long */
		{ "PATCH /", SNIFF_NOT, NULL },
		{ "PUT /", SNIFF_MORE, NULL },	/* method ok, no Host */
	};
	struct sniff_out	o;

	http_cases(c, sizeof(c) / sizeof(c[0]));
	assert_int_equal(sniff_http(NULL, 0, &o), SNIFF_MORE);
}

static void
test_sniff_http_unrepresentable(void **state)
{
	static const char	 nul[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	char			 req[600], name[300];
	struct sniff_out	 o;

	/* Go would keep these; sniff_out cannot, so they are refused. */
	assert_int_equal(sniff_http((const uint8_t *)nul, sizeof(nul) - 1,
	    &o), SNIFF_NOT);
	memset(name, 'n', 256);
	name[256] = '\0';
	snprintf(req, sizeof(req), H("%s"), name);
	assert_int_equal(sniff_http((const uint8_t *)req, strlen(req), &o),
	    SNIFF_NOT);
	name[255] = '\0';
	snprintf(req, sizeof(req), H("%s:80"), name);
	assert_int_equal(sniff_http((const uint8_t *)req, strlen(req), &o),
	    SNIFF_FOUND);
	assert_string_equal(o.domain, name);
	/* A long Host followed by a usable one: the last wins. */
	name[255] = 'n';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n"
	    "Host: ok\r\n\r\n", name);
	assert_int_equal(sniff_http((const uint8_t *)req, strlen(req), &o),
	    SNIFF_FOUND);
	assert_string_equal(o.domain, "ok");
}

static void
test_sniff_bittorrent(void **state)
{
	uint8_t			hs[68];
	struct sniff_out	o;
	size_t			n;

	memset(hs, 0x5a, sizeof(hs));
	memcpy(hs, "\x13" "BitTorrent protocol", 20);
	for (n = 0; n < 20; n++) {
		out_poison(&o);
		assert_int_equal(sniff_bittorrent(hs, n, &o), SNIFF_MORE);
		out_untouched(&o);
	}
	out_poison(&o);
	assert_int_equal(sniff_bittorrent(hs, 20, &o), SNIFF_FOUND);
	assert_string_equal(o.protocol, "bittorrent");
	assert_string_equal(o.domain, "");
	assert_int_equal(sniff_bittorrent(hs, sizeof(hs), &o), SNIFF_FOUND);
	hs[19] = 'L';
	assert_int_equal(sniff_bittorrent(hs, sizeof(hs), &o), SNIFF_NOT);
	hs[19] = 'l';
	hs[0] = 0x14;
	assert_int_equal(sniff_bittorrent(hs, sizeof(hs), &o), SNIFF_NOT);
}

static void
test_sniff_run_order(void **state)
{
	static const char	 req[] = H("run.example");
	uint8_t			 bt[68];
	struct hello		 h;
	struct sniff_out	 o;
	unsigned		 alive;

	/* HTTP decides first: TLS and BitTorrent are never consulted. */
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run((const uint8_t *)req, sizeof(req) - 1,
	    &alive, &o), SNIFF_FOUND);
	assert_string_equal(o.protocol, "http1");
	assert_string_equal(o.domain, "run.example");
	assert_int_equal(alive, SNIFF_ALL);
	/* TLS after HTTP gave up; BitTorrent not reached. */
	hello_load(&h, hello_py_sni);
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run(h.b, h.len, &alive, &o), SNIFF_FOUND);
	assert_string_equal(o.protocol, "tls");
	assert_string_equal(o.domain, "www.tls.example");
	assert_int_equal(alive, 0x2 | 0x4);
	/* BitTorrent last, after both others gave up. */
	memset(bt, 0, sizeof(bt));
	memcpy(bt, "\x13" "BitTorrent protocol", 20);
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run(bt, sizeof(bt), &alive, &o), SNIFF_FOUND);
	assert_string_equal(o.protocol, "bittorrent");
	assert_string_equal(o.domain, "");
	assert_int_equal(alive, 0x4);
}

static void
test_sniff_run_alive(void **state)
{
	static const char	 req[] = H("run.example");
	static const char	 part[] = "GET / HTTP/1.1\r\n";
	struct hello		 h;
	struct sniff_out	 o;
	unsigned		 alive;
	uint8_t			 junk[64];

	/* Undecided sniffers stay in the race, decided ones leave it. */
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run((const uint8_t *)part, sizeof(part) - 1,
	    &alive, &o), SNIFF_MORE);
	assert_int_equal(alive, 0x1 | 0x4);
	assert_int_equal(sniff_run((const uint8_t *)req, sizeof(req) - 1,
	    &alive, &o), SNIFF_FOUND);
	assert_string_equal(o.domain, "run.example");
	/* A dropped sniffer is not run again. */
	alive = 0x2 | 0x4;
	assert_int_equal(sniff_run((const uint8_t *)req, sizeof(req) - 1,
	    &alive, &o), SNIFF_NOT);
	assert_int_equal(alive, 0);
	hello_load(&h, hello_py_sni);
	alive = 0x1;
	assert_int_equal(sniff_run(h.b, h.len, &alive, &o), SNIFF_NOT);
	alive = 0;
	assert_int_equal(sniff_run(h.b, h.len, &alive, &o), SNIFF_NOT);
	/* Nothing yet: nobody can decide. */
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run(NULL, 0, &alive, &o), SNIFF_MORE);
	assert_int_equal(alive, SNIFF_ALL);
	/* All give up. */
	memset(junk, 0, sizeof(junk));
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run(junk, sizeof(junk), &alive, &o),
	    SNIFF_NOT);
	assert_int_equal(alive, 0);
}

static void
test_sniff_run_tls_prefixes(void **state)
{
	struct hello		h;
	struct sniff_out	o;
	unsigned		alive = SNIFF_ALL;
	size_t			n;

	/* As the dispatcher calls it: one alive set, growing buffer. */
	hello_load(&h, hello_ossl_sni);
	for (n = 0; n < h.len; n++)
		assert_int_equal(sniff_run(h.b, n, &alive, &o), SNIFF_MORE);
	assert_int_equal(alive, 0x2);
	assert_int_equal(sniff_run(h.b, h.len, &alive, &o), SNIFF_FOUND);
	assert_string_equal(o.domain, "www.ossl.example");
}

static void
test_sniff_run_window_http(void **state)
{
	static char		 req[4096];
	struct sniff_out	 o;
	unsigned		 alive;
	size_t			 n, hdr;

	/* Host starting beyond byte 2048 is never seen. */
	n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX: ");
	memset(req + n, 'x', 2100);
	n += 2100;
	n += (size_t)snprintf(req + n, sizeof(req) - n,
	    "\r\nHost: far.example\r\n\r\n");
	assert_int_equal(sniff_http((const uint8_t *)req, n, &o),
	    SNIFF_FOUND);
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run((const uint8_t *)req, n, &alive, &o),
	    SNIFF_NOT);
	assert_int_equal(alive, 0);
	/* A window short of full is still worth waiting for... */
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run((const uint8_t *)req, SNIFF_WINDOW - 1,
	    &alive, &o), SNIFF_MORE);
	assert_int_equal(alive, 0x1);
	/* ...a full one is not. */
	assert_int_equal(sniff_run((const uint8_t *)req, SNIFF_WINDOW,
	    &alive, &o), SNIFF_NOT);
	/* Host inside the window, request running past it. */
	n = (size_t)snprintf(req, sizeof(req),
	    "GET / HTTP/1.1\r\nHost: near.example\r\nX: ");
	memset(req + n, 'x', 3000);
	n += 3000;
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run((const uint8_t *)req, n, &alive, &o),
	    SNIFF_FOUND);
	assert_string_equal(o.domain, "near.example");
	/* A Host line cut by the window end is taken cut (4.34 quirk). */
	hdr = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX: ");
	memset(req + hdr, 'x', SNIFF_WINDOW - hdr - 10);
	memcpy(req + SNIFF_WINDOW - 10, "\r\nHost: ab", 10);
	memcpy(req + SNIFF_WINDOW, "cdef\r\n\r\n", 8);
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run((const uint8_t *)req, SNIFF_WINDOW + 8,
	    &alive, &o), SNIFF_FOUND);
	assert_string_equal(o.domain, "ab");
}

static void
test_sniff_run_window_tls(void **state)
{
	struct hello		h;
	struct sniff_out	o;
	unsigned		alive;

	/* A real hello padded to exactly fill the window still works. */
	hello_load(&h, hello_py_sni);
	hello_grow(&h, SNIFF_WINDOW - h.len);
	assert_int_equal(h.len, SNIFF_WINDOW);
	expect_tls(&h, "www.tls.example");
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run(h.b, h.len, &alive, &o), SNIFF_FOUND);
	assert_string_equal(o.domain, "www.tls.example");
	/* One byte more and it can never be complete inside the window. */
	hello_load(&h, hello_py_sni);
	hello_grow(&h, SNIFF_WINDOW + 1 - h.len);
	expect_tls(&h, "www.tls.example");
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run(h.b, h.len, &alive, &o), SNIFF_NOT);
	assert_int_equal(alive, 0);
	alive = SNIFF_ALL;
	assert_int_equal(sniff_run(h.b, SNIFF_WINDOW - 1, &alive, &o),
	    SNIFF_MORE);
	assert_int_equal(alive, 0x2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff_tls_real_hellos),
		cmocka_unit_test(test_sniff_tls_every_prefix_is_more),
		cmocka_unit_test(test_sniff_tls_no_sni),
		cmocka_unit_test(test_sniff_tls_trailing_dot),
		cmocka_unit_test(test_sniff_tls_record_header),
		cmocka_unit_test(test_sniff_tls_malformed),
		cmocka_unit_test(test_sniff_tls_sni_entries),
		cmocka_unit_test(test_sniff_http_basic),
		cmocka_unit_test(test_sniff_http_host_port),
		cmocka_unit_test(test_sniff_http_ipv6),
		cmocka_unit_test(test_sniff_http_ipv4_and_names),
		cmocka_unit_test(test_sniff_http_lowercase_and_trim),
		cmocka_unit_test(test_sniff_http_last_host_wins),
		cmocka_unit_test(test_sniff_http_empty_line),
		cmocka_unit_test(test_sniff_http_missing_host),
		cmocka_unit_test(test_sniff_http_unknown_method),
		cmocka_unit_test(test_sniff_http_short_buffer_quirk),
		cmocka_unit_test(test_sniff_http_unrepresentable),
		cmocka_unit_test(test_sniff_bittorrent),
		cmocka_unit_test(test_sniff_run_order),
		cmocka_unit_test(test_sniff_run_alive),
		cmocka_unit_test(test_sniff_run_tls_prefixes),
		cmocka_unit_test(test_sniff_run_window_http),
		cmocka_unit_test(test_sniff_run_window_tls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
