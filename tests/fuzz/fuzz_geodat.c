/* SPDX-License-Identifier: MIT */
/*
 * fuzz_geodat.c: the geoip.dat / geosite.dat reader over arbitrary bytes,
 * and what it reads fed to a domain set (RE2 translation, the substring
 * automaton) and matched. Input: byte 0 & 7 is the tag's length, the tag
 * follows, then one byte of flags (bit 0: filter on attribute "ads"),
 * then the file. The scans must keep their return contract, never read
 * past the input, and the set must agree with itself before and after
 * domset_finish.
 */
#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route/domset.h"
#include "route/geodat.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const names[] = { "a.example.com", "example.com",
    "ads.google.com", "x", "", "re12.net", "..", "www.cn" };

static int
fuzz_ip_cb(void *arg, int family, const uint8_t *addr, unsigned prefix)
{
	volatile uint8_t	sink;

	/* The reader checks what 4.34 would refuse. */
	if ((family != AF_INET && family != AF_INET6) ||
	    prefix > (family == AF_INET ? 32u : 128u))
		abort();
	/* ASan sees a read past the address's bytes. */
	sink = addr[family == AF_INET ? 3 : 15];
	(void)sink;
	return 0;
}

static int
fuzz_site_cb(void *arg, enum geodat_dtype type, const char *v, size_t len)
{
	char	buf[256];

	if ((unsigned)type > GEODAT_FULL)
		abort();
	/* Long regexps only cost regcomp time, not coverage. */
	if (len >= sizeof(buf) || (type == GEODAT_REGEX && len > 48) ||
	    memchr(v, '\0', len) != NULL)
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	domset_add(arg, (enum domset_type)type, buf, NULL, 0);
	return 0;
}

static void
fuzz_check(long n, const char *errstr)
{
	if (n < -3 || (n == -1 && errstr == NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ads[] = { "ads" };
	struct domset	*ds;
	char		 tag[8];
	const char	*errstr;
	size_t		 tlen, i;
	bool		 before[sizeof(names) / sizeof(names[0])];
	long		 n;
	int		 flags;

	if (size < 2)
		return 0;
	tlen = data[0] & 7;
	if (size < 2 + tlen)
		return 0;
	memcpy(tag, data + 1, tlen);
	tag[tlen] = '\0';
	flags = data[1 + tlen];
	data += 2 + tlen;
	size -= 2 + tlen;

	errstr = NULL;
	n = geodat_ip_scan(data, size, tag, fuzz_ip_cb, NULL, &errstr);
	fuzz_check(n, errstr);

	if ((ds = domset_new()) == NULL)
		return 0;
	errstr = NULL;
	n = geodat_site_scan(data, size, tag, (flags & 1) ? ads : NULL,
	    (flags & 1) ? 1 : 0, fuzz_site_cb, ds, &errstr);
	fuzz_check(n, errstr);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		before[i] = domset_match(ds, names[i]);
	if (domset_finish(ds) == 0)
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (domset_match(ds, names[i]) != before[i])
				abort();
	domset_free(ds);
	return 0;
}
